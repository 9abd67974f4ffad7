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

/// Request heads over 32 KiB are refused with 431 and the API's JSON error (from 128 KiB
/// on, actix-http's own parser refuses them before our code runs, with the same JSON error
/// through our patch of it: `json_access_log_without_personal_data`).
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

/// A response read off the wire: status line, headers and body as sent.
struct RawResponse {
    status_line: String,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends raw bytes and reads the response until the server closes the connection.
fn raw_request(address: &str, request: &[u8]) -> RawResponse {
    let addr = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let _ = stream.write_all(request);
    let mut response = Vec::new();
    // A server that refuses a head it has not read to the end may reset the connection
    // after answering: what was read until then is the answer.
    let _ = stream.read_to_end(&mut response);
    let head_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..head_end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = response.get(head_end + 4..).unwrap_or_default().to_vec();
    RawResponse {
        status_line,
        headers,
        body,
    }
}

/// `res` has `status` and the API's JSON error with `code`, a message, and the length it
/// declares.
fn assert_json_error(res: &RawResponse, status: u16, code: &str) {
    assert!(
        res.status_line.starts_with(&format!("HTTP/1.1 {status} ")),
        "{}",
        res.status_line
    );
    let body = String::from_utf8_lossy(&res.body);
    assert_eq!(
        res.header("content-type"),
        Some("application/json"),
        "{} {:?} {body}",
        res.status_line,
        res.headers
    );
    assert_eq!(
        res.header("content-length"),
        Some(res.body.len().to_string().as_str()),
        "{body}"
    );
    let json: Value = serde_json::from_slice(&res.body)
        .unwrap_or_else(|e| panic!("{} without a JSON body ({e}): {body:?}", res.status_line));
    assert_eq!(json["error"]["code"], code, "{json}");
    assert!(
        json["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{json}"
    );
    assert!(json["error"]["field"].is_null(), "{json}");
}

/// A GET of /healthz with `count` headers in all (`Host` and `Connection: close` among them).
fn request_with_headers(count: usize) -> String {
    let mut request = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for i in 2..count {
        request.push_str(&format!("X-Header-{i}: {i}\r\n"));
    }
    request.push_str("\r\n");
    request
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
    // Refused by actix-http's parser (over 128 KiB), by its patched dispatcher's JSON.
    let res = raw_request(&server.address, too_large.as_bytes());
    assert_json_error(&res, 431, "HEADERS_TOO_LARGE");
    // Refused by our middleware (over 32 KiB).
    let large = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: {}\r\n\r\n",
        "a".repeat(40 * 1024)
    );
    let res = raw_request(&server.address, large.as_bytes());
    assert_json_error(&res, 431, "HEADERS_TOO_LARGE");
    assert!(res.header("x-request-id").is_some(), "{:?}", res.headers);
    // actix-http parses at most 96 headers: one more is its 431.
    let res = raw_request(&server.address, request_with_headers(96).as_bytes());
    assert!(
        res.status_line.starts_with("HTTP/1.1 200 "),
        "{}",
        res.status_line
    );
    let res = raw_request(&server.address, request_with_headers(97).as_bytes());
    assert_json_error(&res, 431, "HEADERS_TOO_LARGE");
    // Malformed heads: actix-http's 400.
    let bad_length = b"POST /api/v1/comments HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}";
    let res = raw_request(&server.address, bad_length);
    assert_json_error(&res, 400, "BAD_REQUEST");
    let bad_line = b"GET /healthz HTTP/1.1 trailing\r\nHost: x\r\n\r\n";
    let res = raw_request(&server.address, bad_line);
    assert_json_error(&res, 400, "BAD_REQUEST");
    // A head that never ends: actix-http's 408 once the client request timeout (5 s) passes.
    let slow = b"GET /healthz HTTP/1.1\r\nHost: x\r\n";
    let res = raw_request(&server.address, slow);
    assert_json_error(&res, 408, "BAD_REQUEST");

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
