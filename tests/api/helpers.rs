//! Test harness: a real commentguard server on 127.0.0.1:0 with a fresh SQLite file in a
//! temporary directory, configured in code, plus typed helpers for each request.
//!
//! The models are the committed ones in `models/` (override with
//! `CG_TEST_MODELS=DIR`), loaded once per test binary and shared. Fixture
//! comments come from `training-data/*.csv`: real spam, real abuse, real ordinary
//! comments, chosen by what the loaded models actually score.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use actix_web::dev::ServerHandle;
use commentguard::classifier::{Classifier, Task};
use commentguard::config::{Config, SiteConfig};
use commentguard::domain::{KeyHash, Origin};
use commentguard::startup::Application;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Response;
use serde_json::{json, Value};
use tempfile::TempDir;

/// The site every test app serves.
pub const SITE: &str = "news";
/// Its article pages live here.
pub const ORIGIN: &str = "https://news.example";
/// Its backend's API key (the config holds only the hash).
pub const API_KEY: &str = "cg_test_key_for_the_news_site";

/// The models, loaded once.
pub fn classifier() -> Arc<Classifier> {
    static MODELS: OnceLock<Arc<Classifier>> = OnceLock::new();
    MODELS
        .get_or_init(|| {
            let dir = std::env::var_os("CG_TEST_MODELS")
                .map(PathBuf::from)
                .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
            let classifier = Classifier::load(&dir).unwrap_or_else(|e| {
                panic!(
                    "the API tests need trained models in {}: {e}",
                    dir.display()
                )
            });
            Arc::new(classifier)
        })
        .clone()
}

/// The configuration of a test app: one site, generous rate limits (every test request
/// comes from 127.0.0.1), one worker, the database in `dir`.
pub fn test_config(dir: &Path) -> Config {
    let mut site = SiteConfig {
        origins: vec![Origin::parse(ORIGIN).unwrap()],
        api_key_sha256: Some(KeyHash::of(API_KEY)),
        ..SiteConfig::default()
    };
    site.rate_limit.ip_burst = 10_000;
    site.rate_limit.ip_per_minute = 10_000;
    site.rate_limit.email_burst = 10_000;
    site.rate_limit.email_per_minute = 10_000;
    site.rate_limit.global_burst = 10_000;
    site.rate_limit.global_per_minute = 100_000;
    let mut config = Config {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        database: dir.join("commentguard.db"),
        workers: Some(2),
        ..Config::default()
    };
    config.sites.insert(SITE.to_owned(), site);
    config
}

/// A running test server.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub db_path: PathBuf,
    pub config: Config,
    /// Does not follow redirects, so tests see the 303.
    pub client: reqwest::Client,
    handle: ServerHandle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    dir: Arc<TempDir>,
}

/// A server with the default test configuration.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server whose test configuration `tweak` adjusts first.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let mut config = test_config(dir.path());
    tweak(&mut config);
    start(config, dir).await
}

async fn start(config: Config, dir: Arc<TempDir>) -> TestApp {
    let app = Application::build_with_classifier(config.clone(), classifier())
        .await
        .expect("the app builds");
    let port = app.port();
    let handle = app.handle();
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        db_path: config.database.clone(),
        config,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        handle,
        server,
        dir,
    }
}

/// A comment that passes validation, to be changed one field at a time.
pub fn comment(body: &str) -> Value {
    json!({
        "site": SITE,
        "article_id": "2024/budget",
        "article_url": "https://news.example/2024/budget",
        "author_name": "A Reader",
        "author_email": "reader@example.com",
        "body": body,
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `POST /api/v1/comments` as JSON, anonymously (as a browser script would).
    pub async fn post_comment_json(&self, comment: &Value) -> Response {
        self.post_comment_json_with(comment, HeaderMap::new()).await
    }

    /// `POST /api/v1/comments` as JSON from the site's backend (with its API key).
    pub async fn post_comment_as_backend(&self, comment: &Value) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {API_KEY}")).unwrap(),
        );
        self.post_comment_json_with(comment, headers).await
    }

    /// `POST /api/v1/comments` as JSON with extra headers.
    pub async fn post_comment_json_with(&self, comment: &Value, headers: HeaderMap) -> Response {
        self.client
            .post(self.url("/api/v1/comments"))
            .headers(headers)
            .json(comment)
            .send()
            .await
            .expect("request sent")
    }

    /// Posts all `comments` at once (anonymously, as JSON); statuses and bodies in order.
    pub async fn post_concurrently(&self, comments: Vec<Value>) -> Vec<(u16, Value)> {
        let tasks: Vec<_> = comments
            .into_iter()
            .map(|c| {
                let request = self.client.post(self.url("/api/v1/comments")).json(&c);
                tokio::spawn(async move {
                    let res = request.send().await.expect("request sent");
                    (res.status().as_u16(), json_body(res).await)
                })
            })
            .collect();
        let mut out = Vec::with_capacity(tasks.len());
        for task in tasks {
            out.push(task.await.expect("request task"));
        }
        out
    }

    /// `POST /api/v1/comments` as an HTML form would.
    pub async fn post_comment_form(&self, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url("/api/v1/comments"))
            .form(fields)
            .send()
            .await
            .expect("request sent")
    }

    /// `GET /api/v1/comments/{id}` with the backend's key.
    pub async fn get_comment_as_backend(&self, id: i64) -> Response {
        self.client
            .get(self.url(&format!("/api/v1/comments/{id}")))
            .bearer_auth(API_KEY)
            .send()
            .await
            .expect("request sent")
    }

    /// `GET /api/v1/sites/{site}/articles/{article}/comments[?cursor=&limit=]`.
    pub async fn list_comments(&self, article: &str, query: &[(&str, &str)]) -> Response {
        let article: String = url_escape(article);
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        self.client
            .get(self.url(&format!(
                "/api/v1/sites/{SITE}/articles/{article}/comments?{query}"
            )))
            .send()
            .await
            .expect("request sent")
    }

    /// A fresh form token for the site.
    pub async fn form_token(&self) -> String {
        let res = self
            .client
            .get(self.url(&format!("/api/v1/form-token?site={SITE}")))
            .send()
            .await
            .expect("request sent");
        assert_eq!(res.status(), 200);
        let json: Value = res.json().await.unwrap();
        json["token"].as_str().unwrap().to_owned()
    }

    /// Comments in the database, whatever their status (read straight from the file).
    pub fn stored_comments(&self) -> i64 {
        self.db()
            .query_row("SELECT COUNT(*) FROM comments", [], |r| r.get(0))
            .unwrap()
    }

    /// A connection to the app's database file (for arranging and checking state).
    pub fn db(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(&self.db_path).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        conn
    }

    /// Stops the server gracefully and returns what a restart needs.
    pub async fn stop(self) -> (Config, Arc<TempDir>) {
        self.handle.stop(true).await;
        self.server.await.unwrap().unwrap();
        (self.config, self.dir)
    }

    /// Stops this server and starts a new one on the same database file.
    pub async fn restart(self) -> TestApp {
        let (mut config, dir) = self.stop().await;
        config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
        start(config, dir).await
    }
}

/// Percent-escapes a path segment.
fn url_escape(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Response body as JSON, with the status in the panic message if it is not JSON.
pub async fn json_body(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {text}"))
}

/// One row of the canonical training CSV.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Row {
    pub text: String,
    pub spam: Option<u8>,
    pub abuse: Option<u8>,
}

/// Rows of `training-data/{file}`.
pub fn corpus(file: &str) -> Vec<Row> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("training-data")
        .join(file);
    let mut reader =
        csv::Reader::from_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    reader
        .deserialize()
        .map(|r| r.expect("canonical CSV row"))
        .collect()
}

/// Whether a text can be posted as is (length and link limits of the default site).
fn postable(text: &str) -> bool {
    let chars = text.trim().chars().count();
    (20..=1_000).contains(&chars) && !text.contains("http") && !text.contains("www.")
}

/// `n` real comments labelled `task` that the models score at or above the task's hold
/// threshold (so any site with default thresholds holds them), first in file order.
pub fn clearly_bad(file: &str, task: Task, n: usize) -> Vec<String> {
    let c = classifier();
    let hold = c.thresholds(task).hold;
    let picked: Vec<String> = corpus(file)
        .into_iter()
        .filter(|r| match task {
            Task::Spam => r.spam == Some(1),
            Task::Abuse => r.abuse == Some(1),
        })
        .filter(|r| postable(&r.text))
        .filter(|r| c.score(&r.text).get(task).reaches(hold))
        .map(|r| r.text)
        .take(n)
        .collect();
    assert_eq!(
        picked.len(),
        n,
        "{file} has {n} rows the {task:?} model clearly flags"
    );
    picked
}

/// `n` real ordinary comments (labelled neither spam nor abuse) that both models score
/// well below their hold thresholds.
pub fn clearly_fine(n: usize) -> Vec<String> {
    let c = classifier();
    let (spam, abuse) = (
        c.thresholds(Task::Spam).hold,
        c.thresholds(Task::Abuse).hold,
    );
    let picked: Vec<String> = corpus("fox_news.csv")
        .into_iter()
        .chain(corpus("wikipedia.csv"))
        .filter(|r| r.spam != Some(1) && r.abuse == Some(0))
        .filter(|r| postable(&r.text))
        .filter(|r| {
            let s = c.score(&r.text);
            s.spam.probability < spam / 2.0 && s.abuse.probability < abuse / 2.0
        })
        .map(|r| r.text)
        .take(n)
        .collect();
    assert_eq!(picked.len(), n, "the corpus has {n} clearly fine comments");
    picked
}
