//! Observability: `/metrics` in the Prometheus text format, an access-log line per request
//! with a request id, JSON logs, nothing personal above debug, and protocol errors of
//! anonymous clients not logged as errors.
use std::io::{Read, Write};

use serde_json::Value;

use crate::helpers::{
    comment, json_body, postgres_url, spawn_app_with, test_config_on_backend, SITE,
};
use crate::process::Process;
use crate::review_support::premoderated;

/// The value of the series line starting with `prefix` (labels included).
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Every documented series is there after some traffic, in the text format, and the
/// review-queue gauge counts what waits.
#[tokio::test]
async fn metrics_in_prometheus_text_format() {
    let app = spawn_app_with(|c| {
        premoderated(c);
        let r = &mut c.sites.get_mut(SITE).unwrap().rate_limit;
        r.ip_burst = 2;
        r.ip_per_minute = 1;
    })
    .await;
    for i in 0..3 {
        let mut c = comment(&format!("Metrics comment {i}: publish every budget line."));
        c["author_email"] = format!("m{i}@example.com").into();
        app.post_comment_json(&c).await;
    }
    app.client.get(app.url("/nowhere")).send().await.unwrap();

    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line.rsplit_once(' ').expect("series value");
        assert!(value.parse::<f64>().is_ok(), "{line}");
        assert!(series.starts_with("commentguard_"), "{line}");
    }
    for name in [
        "commentguard_http_requests_total{method=\"POST\",route=\"/api/v1/comments\",status=\"202\"}",
        "commentguard_http_requests_total{method=\"POST\",route=\"/api/v1/comments\",status=\"429\"}",
        "commentguard_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}",
        "commentguard_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/comments\",le=",
        "commentguard_comments_total{site=\"news\",status=\"pending\"}",
        "commentguard_comment_reasons_total{site=\"news\",reason=\"premoderated\",outcome=\"hold\"}",
        "commentguard_model_score_bucket{model=\"spam\",le=",
        "commentguard_model_score_bucket{model=\"abuse\",le=",
        "commentguard_rate_limited_total{limit=\"comment\"}",
        "commentguard_store_batch_size_bucket{le=",
        "commentguard_store_commit_seconds_bucket{le=",
        "commentguard_store_wal_sync_seconds_bucket{le=",
        "commentguard_webhook_backlog ",
        "commentguard_model_info{model=\"spam\",sha256=",
        "commentguard_model_threshold{model=\"abuse\",kind=\"hold\"}",
    ] {
        // The writer's series are the SQLite backend's group commit: PostgreSQL has none.
        if name.starts_with("commentguard_store_") && postgres_url().is_some() {
            continue;
        }
        assert!(
            sample(&text, name).is_some(),
            "{name} missing from:\n{text}"
        );
    }
    assert_eq!(
        sample(
            &text,
            "commentguard_review_queue{site=\"news\",status=\"pending\"}"
        ),
        Some(2.0),
        "two held, the third was rate-limited"
    );
}

/// A request id is made for each request, or the caller's plain one kept, and echoed.
#[tokio::test]
async fn every_answer_has_a_request_id() {
    let app = spawn_app_with(|_| {}).await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    let made = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(made.len(), 16);
    let res = app
        .client
        .get(app.url("/nowhere"))
        .header("x-request-id", "lb-42.abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "lb-42.abc");
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "not plain\u{7f}")
        .send()
        .await;
    // reqwest refuses to send an invalid header value; a plain but long one is replaced.
    assert!(res.is_err() || res.unwrap().status() == 200);
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "x".repeat(65))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"].len(), 16);
}

/// Request heads over 32 KiB are refused with 431 and the API's JSON error (up to the
/// 128 KiB at which actix-http's own parser answers with an empty 431 before our code).
#[tokio::test]
async fn oversized_headers_get_a_json_431() {
    let app = spawn_app_with(|_| {}).await;
    let res = app
        .client
        .post(app.url("/api/v1/comments"))
        .header("x-padding", "p".repeat(40 * 1024))
        .json(&comment("Headers too large."))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 431);
    assert!(res.headers().contains_key("x-request-id"));
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "HEADERS_TOO_LARGE", "{json}");
    assert_eq!(app.stored_comments(), 0);
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("cookie", "c".repeat(8 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "a large cookie is fine");
}

/// Sends raw bytes and returns the response's status line.
fn raw_request(address: &str, request: &[u8]) -> String {
    let addr = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(request);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// With `log_format = "json"` every log line is a JSON object; each request has an access
/// line carrying its request id; comment text and e-mail addresses appear in no line;
/// malformed requests from anonymous clients are refused without an ERROR line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_access_log_without_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let (mut config, _schema) = test_config_on_backend(dir.path()).await;
    config.log_format = commentguard::telemetry::LogFormat::Json;
    let admin = commentguard::commands::moderator::add(&config, "ops", &[], true)
        .await
        .unwrap()
        .token;
    let server = Process::start(&mut config, dir.path(), "serve.log").await;
    commentguard::webhooks::install_tls_provider();
    let client = crate::helpers::plain_client();
    let mut c = comment("Secret-sauce sentence nobody else would write about the budget.");
    c["author_email"] = "private.person@example.com".into();
    c["author_name"] = "Private Person".into();
    let res = client
        .post(server.url("/api/v1/comments"))
        .header("x-request-id", "trace-me-1")
        .json(&c)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", json_body(res).await);

    // A handler's own line carries the request id too.
    let res = client
        .post(server.url("/api/v1/admin/erase"))
        .header("x-request-id", "trace-me-2")
        .bearer_auth(&admin)
        .json(&serde_json::json!({"author_email": "private.person@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let too_large = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200 * 1024)
    );
    let status = raw_request(&server.address, too_large.as_bytes());
    assert!(status.contains(" 431"), "{status}");
    let large = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
        "a".repeat(40 * 1024)
    );
    let status = raw_request(&server.address, large.as_bytes());
    assert!(status.contains(" 431"), "{status}");
    let bad_length = b"POST /api/v1/comments HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}";
    let status = raw_request(&server.address, bad_length);
    assert!(status.contains(" 400"), "{status}");

    // Stopping waits for the process to exit, which flushes its last log lines.
    let log_path = server.log_path.clone();
    server.stop();
    let log = std::fs::read_to_string(log_path).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let request_id = |l: &Value| l["spans"][0]["request_id"].as_str().map(str::to_owned);
    let access = lines
        .iter()
        .find(|l| {
            l["target"] == "commentguard::access" && request_id(l).as_deref() == Some("trace-me-1")
        })
        .unwrap_or_else(|| panic!("no access line for trace-me-1 in:\n{log}"));
    let erased = lines
        .iter()
        .find(|l| l["fields"]["message"] == "a commenter's data was erased")
        .unwrap_or_else(|| panic!("no erasure line in:\n{log}"));
    assert_eq!(
        request_id(erased).as_deref(),
        Some("trace-me-2"),
        "{erased}"
    );
    assert_eq!(erased["fields"]["comments_deleted"], 1);
    assert_eq!(access["level"], "INFO");
    assert_eq!(access["fields"]["route"], "/api/v1/comments");
    assert!(access["fields"]["status"].as_u64().is_some_and(|s| s < 300));
    for secret in ["Secret-sauce", "private.person", "Private Person"] {
        assert!(!log.contains(secret), "{secret} was logged:\n{log}");
    }
    let errors: Vec<&Value> = lines.iter().filter(|l| l["level"] == "ERROR").collect();
    assert!(errors.is_empty(), "ERROR lines: {errors:?}");
}
