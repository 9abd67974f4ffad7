//! The classifier from the command line, end to end: `train` on a small slice of the
//! real corpus in a temp dir, `evaluate`, `score`; bad input gets a clear error and
//! leaves no model behind.
use commentguard::classifier::model::FORMAT_VERSION;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn commentguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_commentguard"))
        .args(args)
        .output()
        .expect("the commentguard binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn corpus_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("training-data")
        .join(name)
}

/// Every `step`-th record of a corpus file (header kept), so the slice holds every video
/// or thread and both classes.
fn slice(name: &str, step: usize, out: &Path) {
    let mut reader = csv::Reader::from_path(corpus_file(name)).unwrap();
    let mut writer = csv::Writer::from_path(out.join(name)).unwrap();
    writer.write_record(reader.headers().unwrap()).unwrap();
    for (i, record) in reader.records().enumerate() {
        if i % step == 0 {
            writer.write_record(&record.unwrap()).unwrap();
        }
    }
    writer.flush().unwrap();
}

/// A small but real training set: a quarter of TubeSpam, slices of three abuse sources.
fn small_corpus(dir: &Path) {
    slice("tubespam.csv", 4, dir);
    slice("davidson.csv", 40, dir);
    slice("wikipedia.csv", 40, dir);
    slice("fox_news.csv", 4, dir);
}

/// Train twice on the same data: the model files are byte-identical; evaluate and score
/// read them and report sensible figures.
#[test]
fn train_evaluate_score_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    fs::create_dir(&data).unwrap();
    small_corpus(&data);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));

    let out = commentguard(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--out",
        a.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "train failed: {}", stderr(&out));
    let report = stdout(&out);
    assert!(report.contains("random validation split"), "{report}");
    assert!(
        report.contains("held out: psy"),
        "leave-one-video-out is reported: {report}"
    );
    assert!(
        report.contains("held out: davidson"),
        "leave-one-source-out is reported: {report}"
    );
    // What a newsroom needs before installing a model: how many ordinary comments from
    // sources the model never saw it would hold, per source; human conversation used as
    // spam = 0 (and advertisements as abuse = 0); the identity templates and look-alike
    // letters.
    assert!(
        report.contains(
            "ordinary comments held (estimate, each source scored by a model that never saw it)"
        ),
        "{report}"
    );
    assert!(
        report.contains("human conversation labelled not spam"),
        "{report}"
    );
    // ... and TubeSpam's advertisements used as abuse = 0.
    assert!(
        report.contains("advertisements labelled not abuse"),
        "{report}"
    );
    assert!(report.contains("abuse: identity templates"), "{report}");
    assert!(report.contains("look-alike letters"), "{report}");
    let out = commentguard(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--out",
        b.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for name in ["spam.json", "abuse.json", "manifest.json"] {
        let (x, y) = (
            fs::read(a.join(name)).unwrap(),
            fs::read(b.join(name)).unwrap(),
        );
        assert!(x == y, "{name} differs between two identical runs");
    }

    // The model file carries its version, vocabulary and training metadata.
    let model: Value = serde_json::from_slice(&fs::read(a.join("spam.json")).unwrap()).unwrap();
    assert_eq!(model["format_version"], FORMAT_VERSION);
    assert!(model["vocabulary"].as_array().unwrap().len() > 100);
    assert_eq!(model["training"]["files"].as_array().unwrap().len(), 4);
    assert!(
        model["training"]["files"][0]["sha256"]
            .as_str()
            .unwrap()
            .len()
            == 64
    );

    // evaluate --json: exactly one JSON object with both tasks.
    let out = commentguard(&[
        "evaluate",
        "--input",
        corpus_file("tubespam.csv").to_str().unwrap(),
        "--models",
        a.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let eval: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let spam = &eval["spam"];
    assert_eq!(spam["support"], 1760);
    let auc = spam["roc_auc"].as_f64().unwrap();
    assert!(auc > 0.9, "spam ROC AUC on TubeSpam {auc}");
    let (tp, fp, tn, fn_) = (
        spam["tp"].as_u64().unwrap(),
        spam["fp"].as_u64().unwrap(),
        spam["tn"].as_u64().unwrap(),
        spam["fn"].as_u64().unwrap(),
    );
    assert_eq!(tp + fp + tn + fn_, 1760);
    assert!(eval["abuse"].is_null(), "TubeSpam has no abuse labels");
    assert!(eval["comments_per_second"].as_f64().unwrap() > 0.0);

    // score: a real TubeSpam spam comment is held and explained by its words.
    let spam_text = "Check out this video on YouTube: http://www.youtube.com/watch?v=example";
    let out = commentguard(&[
        "score",
        "--models",
        a.to_str().unwrap(),
        "--json",
        spam_text,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let scored: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let p = scored["spam"]["probability"].as_f64().unwrap();
    assert!(p > 0.5, "spam probability {p}");
    let words: Vec<&str> = scored["spam"]["top_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["token"].as_str().unwrap())
        .collect();
    assert!(!words.is_empty());
    assert!(
        words
            .iter()
            .any(|w| w.contains("youtube") || w.contains("check") || w.contains("__url__")),
        "{words:?}"
    );
    // Text from standard input works the same way.
    let mut child = Command::new(env!("CARGO_BIN_EXE_commentguard"))
        .args(["score", "--models", a.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spam_text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).starts_with("spam"), "{}", stdout(&out));
}

/// A site's decisions in blend mode: the model is an ordinary file that `evaluate` reads,
/// its training metadata records the mode, and the decisions' held-out folds are reported
/// (one per article). A non-positive blend strength is refused before anything is written.
#[test]
fn train_with_decisions_in_blend_mode() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    fs::create_dir(&data).unwrap();
    slice("davidson.csv", 40, &data);
    slice("wikipedia.csv", 40, &data);
    // The Fox News slice plays a site's moderators' decisions (group = article).
    let decisions = tmp.path().join("decisions");
    fs::create_dir(&decisions).unwrap();
    slice("fox_news.csv", 2, &decisions);
    let decisions = decisions.join("fox_news.csv");
    let out_dir = tmp.path().join("m");
    let args = |strength: &str| -> Vec<String> {
        [
            "train",
            "--task",
            "abuse",
            "--data",
            data.to_str().unwrap(),
            "--decisions",
            decisions.to_str().unwrap(),
            "--decision-mode",
            "blend",
            "--blend-strength",
            strength,
            "--compare-with",
            tmp.path().join("none").to_str().unwrap(),
            "--out",
            out_dir.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    let run = |strength: &str| {
        let args = args(strength);
        commentguard(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };

    let out = run("0");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--blend-strength"),
        "{}",
        stderr(&out)
    );
    assert!(!out_dir.exists(), "no model written");
    let mut mixed = args("50");
    mixed.extend(["--decision-weight".to_string(), "2".to_string()]);
    let out = commentguard(&mixed.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--decision-weight applies to --decision-mode weight"),
        "{}",
        stderr(&out)
    );

    // `evaluate` reads both models; only the abuse one is trained here.
    fs::create_dir(&out_dir).unwrap();
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/spam.json"),
        out_dir.join("spam.json"),
    )
    .unwrap();
    let out = run("50");
    assert!(out.status.success(), "train failed: {}", stderr(&out));
    let report = stdout(&out);
    assert!(
        report.contains("held out: decisions:fox_news (blend fold 1/5)"),
        "{report}"
    );
    let model: Value =
        serde_json::from_slice(&fs::read(out_dir.join("abuse.json")).unwrap()).unwrap();
    assert_eq!(model["training"]["options"]["decision_mode"], "blend");
    assert_eq!(model["training"]["options"]["blend_strength"], 50.0);
    let out = commentguard(&[
        "evaluate",
        "--input",
        decisions.to_str().unwrap(),
        "--models",
        out_dir.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "evaluate failed: {}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(
        report["abuse"]["roc_auc"].as_f64().unwrap() > 0.5,
        "{report}"
    );
}

/// A bad label names file and line, exits non-zero, and writes no model.
#[test]
fn bad_label_fails_without_writing_a_model() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("bad.csv");
    fs::write(&data, "text,spam,abuse\nhello there,0,0\nbuy now,yes,\n").unwrap();
    let out_dir = tmp.path().join("models");
    let out = commentguard(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("bad.csv:3"), "{err}");
    assert!(err.contains("`spam` must be 1, 0 or empty"), "{err}");
    assert!(!out_dir.exists(), "no partial model directory");
}

/// A task with one class only is refused by name.
#[test]
fn one_class_task_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("one.csv");
    fs::write(&data, "text,spam,abuse\nbuy now,1,0\ncheap pills,1,1\n").unwrap();
    let out = commentguard(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--out",
        tmp.path().join("m").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("one class only"), "{}", stderr(&out));
}

/// Missing, truncated and wrong-version model files are clear errors, never panics.
#[test]
fn broken_models_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = commentguard(&["score", "--models", dir.to_str().unwrap(), "hello"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("spam.json: cannot read model"),
        "{}",
        stderr(&out)
    );

    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let spam = fs::read(shipped.join("spam.json")).unwrap();
    fs::write(dir.join("spam.json"), &spam[..spam.len() / 2]).unwrap();
    fs::copy(shipped.join("abuse.json"), dir.join("abuse.json")).unwrap();
    let out = commentguard(&["score", "--models", dir.to_str().unwrap(), "hello"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a valid model file"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));

    let text = String::from_utf8(spam).unwrap().replacen(
        &format!("\"format_version\":{FORMAT_VERSION}"),
        "\"format_version\":99",
        1,
    );
    fs::write(dir.join("spam.json"), text).unwrap();
    let out = commentguard(&["score", "--models", dir.to_str().unwrap(), "hello"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("format version 99 is not supported"),
        "{}",
        stderr(&out)
    );
}

/// `commentguard score … | head -1`: a reader that closes the pipe before the command
/// writes stops it the way it stops any Unix tool (SIGPIPE), not with a panic.
#[cfg(unix)]
#[test]
fn a_closed_output_pipe_stops_a_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;

    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let child = Command::new(env!("CARGO_BIN_EXE_commentguard"))
        .args(["score", "--models", models.to_str().unwrap()])
        .arg("Thanks for sharing")
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    const SIGPIPE: i32 = 13;
    assert_eq!(out.status.signal(), Some(SIGPIPE), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}
