//! Model reload without a restart: through the admin API and through `SIGHUP`. A broken
//! model file, or one file replaced without the manifest that pairs the two, is refused
//! and the models in service keep serving; a retrained pair goes into service and
//! `/readyz` names it.
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use commentguard::classifier::manifest;
use commentguard::classifier::model::{model_path, ModelFile, TaskModel};
use commentguard::classifier::Task;
use serde_json::{json, Value};

use crate::helpers::{clearly_fine, comment, json_body, spawn_app_with, SITE};
use crate::review_support::{add_moderator, copy_models, outputs};

/// The models `/readyz` says are in service.
async fn identity(client: &reqwest::Client, base: &str) -> Value {
    let res = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    json_body(res).await["model_identity"].clone()
}

/// Replaces the spam model in `dir` with a "retrained" one: the same model with a new hold
/// threshold and a note in its training metadata, saved atomically but without the
/// manifest (as a copy of one file would leave the directory).
fn replace_spam(dir: &Path, hold: f64) {
    let path = model_path(dir, Task::Spam);
    let mut file: ModelFile = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    file.thresholds.hold = hold;
    file.training["retrained_by"] = json!("review_reload test");
    TaskModel::save(&file, &path).unwrap();
}

/// "Retrains" the spam model in `dir` the way `train` writes: the model, then the manifest
/// that pairs it with the abuse model.
fn retrain_spam(dir: &Path, hold: f64) {
    replace_spam(dir, hold);
    manifest::write(dir).unwrap();
}

/// Cuts a model file in half, as a crashed copy would leave it.
fn truncate(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
}

/// An admin reloads: a truncated spam model is refused (422 naming the file) and the old
/// pair keeps serving; a retrained one is switched to, visible in the answer and in
/// `/readyz`; only admins may reload.
#[tokio::test]
async fn reload_refuses_a_corrupt_model_and_picks_up_a_new_one() {
    let models_dir = tempfile::tempdir().unwrap();
    let models = copy_models(models_dir.path());
    let app = spawn_app_with(|c| c.models = models.clone()).await;
    let admin = add_moderator(&app, "root", &[], true).await;
    let before = identity(&app.client, &app.address).await;
    assert!(before["spam"]["sha256"].is_string(), "{before}");

    let spam_file = model_path(&models, Task::Spam);
    let good = std::fs::read(&spam_file).unwrap();
    truncate(&spam_file);
    let refused = app.reload_models(&admin).await;
    assert_eq!(refused.status(), 422);
    let refused = json_body(refused).await;
    assert_eq!(refused["error"]["code"], "MODELS_REFUSED");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("spam.json"),
        "{refused}"
    );
    assert_eq!(
        identity(&app.client, &app.address).await,
        before,
        "old models serve"
    );
    app.post_comment_expecting(&comment(&clearly_fine(1)[0]), "published")
        .await;

    // A new spam model copied in without its manifest is not paired with the abuse
    // model in service: refused, naming the manifest, and the old pair keeps serving.
    std::fs::write(&spam_file, good).unwrap();
    replace_spam(&models, 0.2);
    let unpaired = app.reload_models(&admin).await;
    assert_eq!(unpaired.status(), 422);
    let unpaired = json_body(unpaired).await;
    assert_eq!(unpaired["error"]["code"], "MODELS_REFUSED");
    assert!(
        unpaired["error"]["message"]
            .as_str()
            .unwrap()
            .contains("manifest.json"),
        "{unpaired}"
    );
    assert_eq!(identity(&app.client, &app.address).await, before);

    // With the manifest written (as `train` does last), the pair goes into service.
    manifest::write(&models).unwrap();
    let reloaded = app.reload_models(&admin).await;
    assert_eq!(reloaded.status(), 200);
    let reloaded = json_body(reloaded).await;
    assert_ne!(
        reloaded["models"]["spam"]["sha256"],
        before["spam"]["sha256"]
    );
    assert_eq!(reloaded["models"]["spam"]["hold"], 0.2);
    assert_eq!(
        reloaded["models"]["abuse"], before["abuse"],
        "abuse unchanged"
    );
    assert_eq!(
        identity(&app.client, &app.address).await,
        reloaded["models"]
    );
}

/// Kills the child process it owns when dropped (a failed assertion must not leave a
/// server running).
struct Owned(Child);

impl Drop for Owned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real binary reloads on `SIGHUP`: `commentguard serve` on a copy of the models; the
/// spam model is retrained on disk; after `kill -HUP` `/readyz` names the new model.
#[tokio::test]
async fn sighup_reloads_the_models_of_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let models = copy_models(dir.path());
    let config = dir.path().join("commentguard.toml");
    // Port 0: the server binds once and says which port it got in its "ready" line.
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:0\"\ndatabase = {:?}\nmodels = {:?}\n[sites.{SITE}]\n",
            dir.path().join("cg.db"),
            models
        ),
    )
    .unwrap();
    let log = dir.path().join("serve.log");
    let server = Command::new(env!("CARGO_BIN_EXE_commentguard"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .env_remove("COMMENTGUARD_BIND")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("the server starts");
    let server = Owned(server);
    let client = crate::helpers::plain_client();
    let mut base = None;
    let before = {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if base.is_none() {
                base = ready_port(&std::fs::read_to_string(&log).unwrap_or_default())
                    .map(|port| format!("http://127.0.0.1:{port}"));
            }
            if let Some(base) = &base {
                if let Ok(res) = client.get(format!("{base}/readyz")).send().await {
                    if res.status() == 200 {
                        break json_body(res).await["model_identity"].clone();
                    }
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not start: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };

    let base = base.expect("the ready line named the port");
    retrain_spam(&models, 0.25);
    let hup = Command::new("kill")
        .args(["-HUP", &server.0.id().to_string()])
        .output()
        .expect("kill runs");
    assert!(hup.status.success(), "{:?}", outputs(&hup));

    let mut now = before.clone();
    for _ in 0..300 {
        now = identity(&client, &base).await;
        if now != before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(
        now["spam"]["sha256"],
        before["spam"]["sha256"],
        "reloaded on SIGHUP: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert_eq!(now["spam"]["hold"], 0.25);
}

/// The port in the server's "commentguard ready" log line (`port=N`), once it is there.
fn ready_port(log: &str) -> Option<u16> {
    let line = log.lines().find(|l| l.contains("commentguard ready"))?;
    let rest = &line[line.find(" port=")? + " port=".len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}
