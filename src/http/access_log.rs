//! One access-log line per request, with a request id, and the request metrics.
//!
//! The outermost middleware: it sees every response, including the JSON error fallback's,
//! and refuses request heads over [`MAX_HEADER_BYTES`] (431, JSON).
//! Each request gets an id — the caller's `X-Request-Id` when it is a plain token (1–64 of
//! `A-Z a-z 0-9 . _ -`), else 16 random hex digits — echoed in the `X-Request-Id`
//! response header and recorded on a `request` span, so every line logged while handling
//! the request carries it (JSON logs: `spans[0].request_id`). The access line itself
//! (`target: commentguard::access`, INFO) has method, route pattern, path, status and
//! milliseconds: never the query string, the body, a header value or the client's IP.
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use tracing::Instrument;

use super::ApiError;

/// Largest accepted request head (names and values of every header), in bytes: more is
/// a 431 with the API's JSON error. (actix-http's parser refuses heads over 128 KiB or
/// with more than 96 headers itself, before any of our code runs, with a 431 that carries
/// the same `HEADERS_TOO_LARGE` JSON error through our patch of it:
/// vendor/actix-http/PATCHES.md.)
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The request id header, read and written.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The caller's request id if it is a plain token, else a new one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{:016x}", rand::random::<u64>()))
}

/// The middleware (`actix_web::middleware::from_fn(observe)`).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().as_str().to_owned();
    let path = req.path().to_owned();
    let span = tracing::info_span!("request", request_id = %id);
    let head_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    let result = if head_bytes > MAX_HEADER_BYTES {
        let refusal = ApiError::HeadersTooLarge {
            limit: MAX_HEADER_BYTES,
        };
        Ok(req
            .into_response(refusal.error_response())
            .map_into_right_body())
    } else {
        next.call(req)
            .instrument(span.clone())
            .await
            .map(ServiceResponse::map_into_left_body)
    };
    let elapsed = started.elapsed();
    let (status, route) = match &result {
        Ok(res) => (
            res.status().as_u16(),
            res.request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned()),
        ),
        Err(err) => (
            err.as_response_error().status_code().as_u16(),
            "unmatched".to_owned(),
        ),
    };
    crate::monitoring::request(&method, &route, status, elapsed);
    // Entered (not just named as parent) so every formatter shows its request id.
    let _entered = span.enter();
    tracing::info!(
        target: "commentguard::access",
        method = %method,
        route = %route,
        path = %path,
        status,
        ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    drop(_entered);
    result.map(|mut res| {
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut().insert(REQUEST_ID, value);
        }
        res
    })
}
