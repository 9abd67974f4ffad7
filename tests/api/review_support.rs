//! Helpers for the review-queue stories: moderators, the review API, the CLI binary, and
//! real comments the models hold (neither published nor rejected).
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use commentguard::classifier::Task;
use commentguard::config::SiteConfig;
use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{classifier, corpus, json_body, TestApp, SITE};

/// A second site served by some test apps.
pub const OTHER_SITE: &str = "sport";

/// Adds a moderator to the app's database (as `commentguard moderator add` does) and
/// returns their token.
pub async fn add_moderator(app: &TestApp, name: &str, sites: &[&str], admin: bool) -> String {
    let sites: Vec<String> = sites.iter().map(|s| s.to_string()).collect();
    commentguard::commands::moderator::add(&app.config, name, &sites, admin)
        .await
        .expect("moderator added")
        .token
}

/// Adds the second site ([`OTHER_SITE`]) with the test site's generous rate limits.
pub fn with_other_site(config: &mut commentguard::config::Config) {
    let mut site: SiteConfig = config.sites[SITE].clone();
    site.api_key_sha256 = None;
    site.origins.clear();
    config.sites.insert(OTHER_SITE.to_owned(), site);
}

/// Holds every comment of the test site (pre-moderation), so any real comment is held.
pub fn premoderated(config: &mut commentguard::config::Config) {
    config.sites.get_mut(SITE).unwrap().premoderate = true;
}

/// `n` real spam comments from TubeSpam that the spam model holds for review: at or above
/// the hold threshold, below the reject threshold, and unremarkable to the abuse model.
pub fn held_spam(n: usize) -> Vec<String> {
    let c = classifier();
    let spam = c.thresholds(Task::Spam);
    let abuse = c.thresholds(Task::Abuse);
    let picked: Vec<String> = corpus("tubespam.csv")
        .into_iter()
        .filter(|r| r.spam == Some(1))
        .filter(|r| {
            let chars = r.text.trim().chars().count();
            (20..=1_000).contains(&chars) && !r.text.contains("http") && !r.text.contains("www.")
        })
        .filter(|r| {
            let s = c.score(&r.text);
            s.spam.reaches(spam.hold)
                && !spam.rejects(s.spam.probability)
                && !s.abuse.reaches(abuse.hold)
        })
        .map(|r| r.text)
        .take(n)
        .collect();
    assert_eq!(
        picked.len(),
        n,
        "tubespam.csv has {n} comments the spam model holds"
    );
    picked
}

impl TestApp {
    /// `GET /api/v1/review?…` with a moderator token.
    pub async fn review_queue(&self, token: &str, query: &[(&str, &str)]) -> Response {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        self.client
            .get(self.url(&format!("/api/v1/review?{query}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// `GET /api/v1/review/{id}` with a moderator token.
    pub async fn review_item(&self, token: &str, id: i64) -> Response {
        self.client
            .get(self.url(&format!("/api/v1/review/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// `POST /api/v1/review/{id}/decision` with a moderator token.
    pub async fn decide(&self, token: &str, id: i64, decision: &Value) -> Response {
        self.client
            .post(self.url(&format!("/api/v1/review/{id}/decision")))
            .bearer_auth(token)
            .json(decision)
            .send()
            .await
            .expect("request sent")
    }

    /// `POST /api/v1/review/decisions` with a moderator token.
    pub async fn decide_many(&self, token: &str, decisions: Vec<Value>) -> Response {
        self.client
            .post(self.url("/api/v1/review/decisions"))
            .bearer_auth(token)
            .json(&json!({ "decisions": decisions }))
            .send()
            .await
            .expect("request sent")
    }

    /// `POST /api/v1/review/authors/{action}` (`ban` or `unban`) with a moderator token.
    pub async fn author_action(&self, token: &str, action: &str, body: &Value) -> Response {
        self.client
            .post(self.url(&format!("/api/v1/review/authors/{action}")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// `POST /api/v1/admin/reload-models` with a token.
    pub async fn reload_models(&self, token: &str) -> Response {
        self.client
            .post(self.url("/api/v1/admin/reload-models"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent")
    }

    /// The comment's current status and version, as a moderator sees them.
    pub async fn status_and_version(&self, token: &str, id: i64) -> (String, i64) {
        let item = json_body(self.review_item(token, id).await).await;
        (
            item["status"].as_str().expect("a status").to_owned(),
            item["version"].as_i64().expect("a version"),
        )
    }

    /// The app's configuration as a TOML file (for the CLI binary), in the test's
    /// temporary directory.
    pub fn config_file(&self) -> PathBuf {
        let path = self.dir().join("commentguard.toml");
        let text = toml::to_string(&self.config).expect("the config serializes");
        std::fs::write(&path, text).expect("config written");
        path
    }
}

/// Runs the `commentguard` binary.
pub fn commentguard(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_commentguard"))
        .args(args)
        .env_remove("COMMENTGUARD_BIND")
        .output()
        .expect("the commentguard binary runs")
}

/// Standard output and error of a finished command, for assertion messages.
pub fn outputs(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A copy of the committed `models/` directory in `dir` (to break or replace safely): both
/// models and the manifest that pairs them.
pub fn copy_models(dir: &Path) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let target = dir.join("models");
    std::fs::create_dir_all(&target).unwrap();
    for name in ["spam.json", "abuse.json", "manifest.json"] {
        std::fs::copy(source.join(name), target.join(name)).unwrap();
    }
    target
}
