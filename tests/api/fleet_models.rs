//! One `train` + `install` updates the fleet (issue 14): model sets installed in the
//! database reach every instance on it within `model_poll_seconds`, a damaged or
//! unloadable set is refused by every instance while the set before it keeps serving, an
//! instance that starts serves the newest installed set, and `commentguard models install`
//! checks the files before it installs them.
//!
//! Two instances share the suite's database: one PostgreSQL schema, or one SQLite file
//! opened by both — as two processes on one machine would (`serve` and the CLI's commands
//! already share a file that way: writes take SQLite's lock in turn).
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use commentguard::classifier::model::{model_path, ModelFile};
use commentguard::classifier::Task;
use commentguard::clock::Clock;
use commentguard::config::Config;
use commentguard::startup::Application;
use commentguard::store::NewModelSet;
use serde_json::{json, Value};

use crate::helpers::{
    classifier, clearly_fine, comment, json_body, spawn_app_with, test_store, TestApp, API_KEY,
};
use crate::review_support::{commentguard, copy_models, outputs};

/// How long an instance may take to notice an install: many poll periods (1 s here).
const NOTICED_WITHIN: Duration = Duration::from_secs(30);

/// A second instance on a test app's database (its own store, server and poll).
struct Instance {
    address: String,
    handle: ServerHandle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Instance {
    async fn start(config: &Config) -> Instance {
        let clock = Clock::system();
        let store = test_store(config, &clock).await;
        let app = Application::build_with_store(config.clone(), classifier(), clock, store)
            .await
            .expect("the second instance builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        let server = tokio::spawn(app.run_until_stopped());
        Instance {
            address,
            handle,
            server,
        }
    }

    async fn stop(self) {
        self.handle.stop(true).await;
        self.server.await.unwrap().unwrap();
    }
}

/// The committed model file of `task`.
fn committed(task: Task) -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    std::fs::read(model_path(&dir, task)).unwrap()
}

/// The committed spam model "retrained" to hold every comment: a hold threshold below
/// any score (and a note, so its digest differs whatever the threshold).
fn spam_holding_everything() -> Vec<u8> {
    let mut file: ModelFile = serde_json::from_slice(&committed(Task::Spam)).unwrap();
    file.thresholds.hold = 1e-9;
    file.training["retrained_by"] = json!("fleet_models test");
    serde_json::to_vec(&file).unwrap()
}

/// Installs a pair through the storage interface (what `commentguard models install`
/// does after its checks) and returns its version.
async fn install(app: &TestApp, spam: Vec<u8>, abuse: Vec<u8>) -> i64 {
    let installed = app
        .store
        .install_model_set(NewModelSet::new(spam, abuse, "fleet_models test"))
        .await
        .expect("installed");
    assert!(installed.new);
    installed.set.version
}

/// `/readyz` of the instance at `base`.
async fn ready(client: &reqwest::Client, base: &str) -> Value {
    let res = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    json_body(res).await
}

/// Waits until `/readyz` of `base` satisfies `done`, for at most [`NOTICED_WITHIN`].
async fn wait_for_model_set(
    client: &reqwest::Client,
    base: &str,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + NOTICED_WITHIN;
    loop {
        let now = ready(client, base).await;
        if done(&now["model_set"]) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "{base} did not reach {what} within {NOTICED_WITHIN:?}: {now}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until `/metrics` of `base` has every one of `lines`, for at most
/// [`NOTICED_WITHIN`]. The recorder is process-wide and other tests' instances set the
/// same gauges when scraped, so a scrape that shows another instance's value is retried.
async fn wait_for_metrics(client: &reqwest::Client, base: &str, lines: &[String]) {
    let deadline = Instant::now() + NOTICED_WITHIN;
    loop {
        let res = client.get(format!("{base}/metrics")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let text = res.text().await.unwrap();
        if lines.iter().all(|l| text.lines().any(|t| t == l)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{base}/metrics did not show {lines:?} within {NOTICED_WITHIN:?}: {text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The status the site's backend sees for a new comment posted to `base`, each by an
/// author of their own (no one becomes trusted by publishing here).
async fn posted_status(client: &reqwest::Client, base: &str, body: &str) -> String {
    static AUTHORS: AtomicUsize = AtomicUsize::new(0);
    let mut comment = comment(body);
    comment["author_email"] = json!(format!(
        "reader{}@example.com",
        AUTHORS.fetch_add(1, Ordering::Relaxed)
    ));
    let res = client
        .post(format!("{base}/api/v1/comments"))
        .bearer_auth(API_KEY)
        .json(&comment)
        .send()
        .await
        .unwrap();
    let json = json_body(res).await;
    json["status"].as_str().expect("a status").to_owned()
}

/// Two instances serve their models directory until a set is installed; each takes
/// every install within its poll interval (comments are held on both, then published
/// again); a set whose bytes do not match its checksum and a set with a truncated model
/// are refused by both, shown in `/readyz`, while the set before keeps serving.
#[tokio::test]
async fn an_install_reaches_every_instance_and_bad_sets_are_refused_by_all() {
    let app = spawn_app_with(|c| c.model_poll_seconds = 1).await;
    let second = Instance::start(&app.config).await;
    let client = &app.client;
    let both = [app.address.clone(), second.address.clone()];
    let mut fine = clearly_fine(10).into_iter();
    for base in &both {
        let set = ready(client, base).await["model_set"].clone();
        assert_eq!(set["source"], "files", "nothing installed yet: {set}");
        assert_eq!(set["version"], Value::Null);
        assert_eq!(
            posted_status(client, base, &fine.next().unwrap()).await,
            "published"
        );
    }

    let strict = install(&app, spam_holding_everything(), committed(Task::Abuse)).await;
    for base in &both {
        let now =
            wait_for_model_set(client, base, "the strict set", |s| s["version"] == strict).await;
        assert_eq!(now["model_set"]["source"], "database");
        assert_eq!(now["model_identity"]["spam"]["hold"], 1e-9);
        assert_eq!(
            posted_status(client, base, &fine.next().unwrap()).await,
            "pending"
        );
    }

    // Damaged at rest: the strict set's bytes under a checksum they do not have, written
    // past the store as a fault would.
    let damaged = strict + 1;
    assert_eq!(
        app.execute_sql(&format!(
            "INSERT INTO model_sets (version, checksum, installed_at, installed_by, spam, abuse)
             SELECT {damaged}, 'not-the-checksum', installed_at, 'a fault', spam, abuse
             FROM model_sets WHERE version = {strict}"
        )),
        1
    );
    for base in &both {
        let now = wait_for_model_set(client, base, "refusing the damaged set", |s| {
            s["refused_version"] == damaged
        })
        .await;
        assert_eq!(now["model_set"]["version"], strict, "the strict set serves");
        // What serves and what was refused are also gauges, for alerts.
        wait_for_metrics(
            client,
            base,
            &[
                format!("commentguard_model_set_version {strict}"),
                format!("commentguard_model_set_refused_version {damaged}"),
            ],
        )
        .await;
    }

    // Checksummed, but the spam model is cut in half: the classifier refuses it.
    let spam = committed(Task::Spam);
    let truncated = install(
        &app,
        spam[..spam.len() / 2].to_vec(),
        committed(Task::Abuse),
    )
    .await;
    for base in &both {
        let now = wait_for_model_set(client, base, "refusing the truncated set", |s| {
            s["refused_version"] == truncated
        })
        .await;
        assert_eq!(now["model_set"]["version"], strict, "the strict set serves");
        assert_eq!(
            posted_status(client, base, &fine.next().unwrap()).await,
            "pending"
        );
    }

    let committed_again = install(&app, committed(Task::Spam), committed(Task::Abuse)).await;
    for base in &both {
        let now = wait_for_model_set(client, base, "the committed set", |s| {
            s["version"] == committed_again
        })
        .await;
        assert_eq!(now["model_set"]["refused_version"], Value::Null);
        assert_eq!(
            posted_status(client, base, &fine.next().unwrap()).await,
            "published"
        );
    }
    second.stop().await;
}

/// An instance that starts on a database holding installed sets serves the newest, even
/// with polling off; until then (polling off) it kept its models directory.
#[tokio::test]
async fn a_restarted_instance_serves_the_newest_installed_set() {
    let app = spawn_app_with(|c| c.model_poll_seconds = 0).await;
    let strict = install(&app, spam_holding_everything(), committed(Task::Abuse)).await;
    assert_eq!(
        ready(&app.client, &app.address).await["model_set"]["source"],
        "files",
        "no poll: the running instance keeps its models"
    );
    let app = app.restart().await;
    let now = ready(&app.client, &app.address).await;
    assert_eq!(now["model_set"]["source"], "database");
    assert_eq!(now["model_set"]["version"], strict);
    assert_eq!(
        now["model_set"]["checksum"],
        commentguard::store::models::checksum(&spam_holding_everything(), &committed(Task::Abuse))
    );
    app.post_comment_expecting(&comment(&clearly_fine(1)[0]), "pending")
        .await;
}

/// `commentguard models install` against a running instance's database: a pair with a
/// truncated abuse model, and a retrained spam model without its manifest, are refused
/// naming the file, and nothing is installed; a good pair is installed (version and checksum printed), the instance takes it, installing it
/// again installs nothing, and `models list` shows it.
#[tokio::test]
async fn the_cli_installs_checked_models_for_running_instances() {
    let app = spawn_app_with(|c| c.model_poll_seconds = 1).await;
    let config = app.config_file();
    let config = config.to_str().unwrap();
    let models = copy_models(app.dir());
    let models_arg = models.to_str().unwrap();
    let abuse_file = model_path(&models, Task::Abuse);
    let abuse = std::fs::read(&abuse_file).unwrap();
    std::fs::write(&abuse_file, &abuse[..abuse.len() / 3]).unwrap();

    let refused = commentguard(&[
        "models", "install", "--config", config, "--models", models_arg,
    ]);
    let (_, stderr) = outputs(&refused);
    assert!(!refused.status.success(), "{:?}", outputs(&refused));
    assert!(
        stderr.contains("abuse.json") && stderr.contains("nothing was installed"),
        "{stderr}"
    );
    assert!(app.store.model_sets().await.unwrap().is_empty());

    // A retrained spam model copied without its manifest: not the pair, refused.
    std::fs::write(&abuse_file, &abuse).unwrap();
    std::fs::write(model_path(&models, Task::Spam), spam_holding_everything()).unwrap();
    let unpaired = commentguard(&[
        "models", "install", "--config", config, "--models", models_arg,
    ]);
    let (_, stderr) = outputs(&unpaired);
    assert!(!unpaired.status.success(), "{stderr}");
    assert!(
        stderr.contains("spam.json") && stderr.contains("manifest.json"),
        "{stderr}"
    );
    assert!(app.store.model_sets().await.unwrap().is_empty());

    // The manifest written as `train` writes it: the pair installs.
    commentguard::classifier::manifest::write(&models).unwrap();
    let installed = commentguard(&[
        "models", "install", "--config", config, "--models", models_arg, "--by", "ops@desk",
    ]);
    let (stdout, stderr) = outputs(&installed);
    assert!(installed.status.success(), "{stdout}\n{stderr}");
    let checksum = commentguard::store::models::checksum(&spam_holding_everything(), &abuse);
    assert_eq!(stdout.trim(), format!("version=1 checksum={checksum}"));

    let now = wait_for_model_set(&app.client, &app.address, "the installed set", |s| {
        s["version"] == 1
    })
    .await;
    assert_eq!(now["model_set"]["checksum"], checksum.as_str());
    app.post_comment_expecting(&comment(&clearly_fine(1)[0]), "pending")
        .await;

    let again = commentguard(&[
        "models", "install", "--config", config, "--models", models_arg,
    ]);
    let (stdout, stderr) = outputs(&again);
    assert!(again.status.success(), "{stderr}");
    assert_eq!(stdout.trim(), format!("version=1 checksum={checksum}"));
    assert!(stderr.contains("nothing was installed"), "{stderr}");

    let listed = commentguard(&["models", "list", "--config", config]);
    let (stdout, stderr) = outputs(&listed);
    assert!(listed.status.success(), "{stderr}");
    let rows: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{stdout}");
    assert!(
        rows[0].starts_with("1 ") && rows[0].contains("ops@desk") && rows[0].ends_with(&checksum),
        "{stdout}"
    );
}
