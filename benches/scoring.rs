//! Scoring speed: one comment through tokenize + vectorize + both models, for a short, a
//! median-length and a long real comment from the corpus; and loading the models.
//!
//! Baseline, measured in the same run: the same two models evaluated the way linfa does
//! it, a dense `joint_log_likelihood` row per model (built from the same model files, so
//! the results are the same numbers). Compare medians and the ratio, not absolute times.
//!
//! Run: `cargo bench --bench scoring`
use std::hint::black_box;
use std::path::Path;

use commentguard::classifier::tokenize::{tokenize_into, Tokens};
use commentguard::classifier::{Classifier, Task, TaskModel};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use linfa_bayes::{MultinomialNb, NaiveBayes};
use ndarray::Array2;

fn models_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/models"))
}

/// Short (10th percentile), median and long (99th percentile) comments by length, from
/// every text in the corpus.
fn sample_comments() -> Vec<(&'static str, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data");
    let mut texts = Vec::new();
    for name in [
        "tubespam.csv",
        "davidson.csv",
        "wikipedia.csv",
        "civil_comments.csv",
        "fox_news.csv",
    ] {
        let mut reader = csv::Reader::from_path(dir.join(name)).expect("corpus file");
        for record in reader.records() {
            texts.push(record.expect("corpus row")[0].to_string());
        }
    }
    texts.sort_by_key(|t| (t.chars().count(), t.clone()));
    let at = |q: f64| texts[((texts.len() - 1) as f64 * q) as usize].clone();
    vec![
        ("short", at(0.10)),
        ("median", at(0.50)),
        ("long", at(0.99)),
    ]
}

/// linfa's own model, rebuilt from our saved log-probabilities through linfa's serde form.
fn linfa_model(model: &TaskModel) -> MultinomialNb<f64, usize> {
    let file = model.file();
    let class = |c: usize| {
        let n = file.vocabulary.len();
        serde_json::json!({
            "class_count": 1,
            "prior": file.class_log_prior[c].exp(),
            "feature_count": {"v": 1, "dim": [n], "data": vec![0.0; n]},
            "feature_log_prob": {"v": 1, "dim": [n], "data": file.feature_log_prob[c]},
        })
    };
    serde_json::from_value(serde_json::json!({"class_info": {"0": class(0), "1": class(1)}}))
        .expect("linfa model from our parameters")
}

fn scoring(c: &mut Criterion) {
    let classifier = Classifier::load(models_dir()).expect("shipped models");
    let dense: Vec<(&TaskModel, MultinomialNb<f64, usize>)> = Task::ALL
        .iter()
        .map(|&t| (classifier.model(t), linfa_model(classifier.model(t))))
        .collect();
    let mut group = c.benchmark_group("score_both_models");
    for (name, text) in sample_comments() {
        let chars = text.chars().count();
        group.bench_with_input(
            BenchmarkId::new("commentguard", format!("{name} ({chars} chars)")),
            &text,
            |b, text| b.iter(|| black_box(classifier.score(black_box(text)))),
        );
        // What the service runs per submission: both scores, the language check and the
        // look-alike count.
        group.bench_with_input(
            BenchmarkId::new("commentguard_judge", format!("{name} ({chars} chars)")),
            &text,
            |b, text| b.iter(|| black_box(classifier.judge(black_box(text)))),
        );
        group.bench_with_input(
            BenchmarkId::new("linfa_dense_baseline", format!("{name} ({chars} chars)")),
            &text,
            |b, text| {
                let mut tokens = Tokens::new();
                let mut features = Vec::new();
                b.iter(|| {
                    tokenize_into(black_box(text), &mut tokens);
                    for (model, linfa) in &dense {
                        model.vectorize(&tokens, &mut features);
                        let mut row = Array2::<f64>::zeros((1, model.file().vocabulary.len()));
                        for &(col, v) in &features {
                            row[[0, col as usize]] = v;
                        }
                        black_box(linfa.joint_log_likelihood(row.view()));
                    }
                })
            },
        );
    }
    // A comment in another language takes the slow path of the language check (whatlang).
    // Hand-written: the corpus holds English comments only.
    let german = "Ich bin mit diesem Artikel nicht einverstanden, die Regierung sollte mehr tun.";
    group.bench_with_input(
        BenchmarkId::new("commentguard_judge", "german (78 chars)"),
        &german,
        |b, text| b.iter(|| black_box(classifier.judge(black_box(text)))),
    );
    group.finish();
}

fn loading(c: &mut Criterion) {
    let mut group = c.benchmark_group("load_models");
    group.sample_size(20);
    group.bench_function("both models", |b| {
        b.iter(|| black_box(Classifier::load(models_dir()).expect("models")))
    });
    group.finish();
}

criterion_group!(benches, scoring, loading);
criterion_main!(benches);
