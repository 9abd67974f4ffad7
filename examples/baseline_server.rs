//! Load-test baseline: an actix-web server with commentguard's HTTP settings whose
//! `POST /api/v1/comments` decodes the same JSON shape into a struct and answers `201`
//! `{"id": n, "status": "published"}` — no validation, scoring, rate limits or storage.
//! `benches/load.sh` measures it next to the real service, so ours/baseline is the share
//! of the bare HTTP + JSON throughput that the service keeps.
//!
//! Same as `commentguard serve`: one worker per core (actix's default, which `serve`
//! keeps when `workers` is unset), a 64 KiB body limit, `application/json` only, the
//! same shutdown timeout, the same allocator (mimalloc).
//!
//! Run: `cargo run --release --example baseline_server -- 127.0.0.1:8081`
//! (or a bare port, or `BASELINE_BIND=127.0.0.1:8081`; default 127.0.0.1:8081).
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};

use actix_web::http::header;
use actix_web::{web, App, HttpResponse, HttpServer};
use serde::{Deserialize, Serialize};

// Same allocator as the `commentguard` binary, so the ratio compares work, not allocators.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Same as `commentguard::http::comments::MAX_BODY_BYTES`.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Same as `commentguard::startup::SHUTDOWN_TIMEOUT_SECS`.
const SHUTDOWN_TIMEOUT_SECS: u64 = 10;

/// The fields `POST /api/v1/comments` accepts (`commentguard::domain::KNOWN_FIELDS`).
/// `parent_id` may be a number or a string and `nudge` a boolean or a string there, so
/// those two stay loosely typed here.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // decoded to cost what decoding costs; never read
struct Submission {
    site: Option<String>,
    article_id: Option<String>,
    article_url: Option<String>,
    author_name: Option<String>,
    author_email: Option<String>,
    author_url: Option<String>,
    body: Option<String>,
    parent_id: Option<serde_json::Value>,
    nudge: Option<serde_json::Value>,
    redirect_to: Option<String>,
    form_token: Option<String>,
    client_ip: Option<String>,
    user_agent: Option<String>,
}

#[derive(Serialize)]
struct Answer {
    id: i64,
    status: &'static str,
}

static NEXT_ID: AtomicI64 = AtomicI64::new(1);

async fn submit(submission: web::Json<Submission>) -> HttpResponse {
    let submission = submission.into_inner();
    std::hint::black_box(&submission);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/comments/{id}")))
        .json(Answer {
            id,
            status: "published",
        })
}

fn bind_address() -> Result<SocketAddr, String> {
    let raw = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("BASELINE_BIND").ok())
        .unwrap_or_else(|| "127.0.0.1:8081".to_owned());
    if let Ok(port) = raw.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    raw.parse()
        .map_err(|e| format!("bad bind address {raw:?} (want ADDR:PORT or PORT): {e}"))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let addr = bind_address().map_err(std::io::Error::other)?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    eprintln!("baseline_server listening on {addr} with {workers} workers");
    HttpServer::new(|| {
        App::new()
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_BODY_BYTES)
                    .content_type_required(true),
            )
            .service(web::resource("/api/v1/comments").route(web::post().to(submit)))
    })
    .workers(workers)
    .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
    .bind(addr)?
    .run()
    .await
}
