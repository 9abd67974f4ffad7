//! `POST /api/v1/comments/{id}/report`: a reader reports a published comment.
//!
//! Body (JSON or form): `reason` (optional, ≤ 500 characters) and, for a plain HTML form,
//! `redirect_to` (a page of the comment's site to send the browser back to with `303`).
//!
//! | situation | answer |
//! |---|---|
//! | recorded (whether or not it reached the threshold) | `202 {"comment_id", "status": "received"}` |
//! | this IP already reported this comment | `409 ALREADY_REPORTED` (nothing changes) |
//! | no such comment, or it is not published (held, rejected, already reported) | `404 COMMENT_NOT_FOUND` |
//! | too many reports from this IP | `429 RATE_LIMITED` + `Retry-After` |
//! | the shared rate-limit store is unreachable, `rate_limit_unreachable = "closed"` | `503 RATE_LIMIT_UNAVAILABLE` + `Retry-After` |
//!
//! A second report from the same IP is a 409 rather than an idempotent 200 so the page
//! can say "you already reported this" instead of pretending a second report counted.
//! The answer never says how many reports a comment has or whether this one took it
//! down, so reporting cannot be used to probe the threshold.
//!
//! The client is identified by IP (the peer, or the right-most untrusted hop of a trusted
//! proxy's `X-Forwarded-For`); reports are rate-limited per IP under the site's
//! `rate_limit.report_ip_*`. The comment is looked up before the limit is counted (the
//! limit is per site, and the comment names the site); unknown ids cost one read.
//! At the site's `reports_to_review`-th report since the comment was last published it
//! goes back to the review queue as `reported` (see [`crate::store`]'s `reports`).
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::fields::{Encoding, Fields};
use super::{client_ip, form_page, ApiError, AppState, ErrorCode};
use crate::domain::WebUrl;
use crate::domain::{CommentId, ReportReason, Status};
use crate::ratelimit::Refused;
use crate::store::{NewReport, ReportOutcome};

/// Largest accepted report body; a 500-character reason fits many times over.
pub const MAX_REPORT_BYTES: usize = 8 * 1024;

/// A report, as JSON or as an HTML form.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ReportRequest {
    /// Up to 500 characters.
    reason: Option<String>,
    /// HTML forms: a page of the comment's site to send the browser back to (303).
    redirect_to: Option<String>,
}

/// A report was recorded.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportResponse {
    comment_id: CommentId,
    /// `received`.
    status: &'static str,
}

/// `POST /api/v1/comments/{id}/report`
#[utoipa::path(post, path = "/api/v1/comments/{id}/report", tag = "comments",
    params(("id" = i64, Path, description = "The comment id")),
    request_body(content(
        (ReportRequest = "application/json"),
        (ReportRequest = "application/x-www-form-urlencoded"),
    )),
    responses(
        (status = 202, description = "Recorded", body = ReportResponse),
        (status = 303, description = "A form with `redirect_to`: back to the page", body = ReportResponse),
        (status = 400, description = "Undecodable body", body = super::error::ErrorBody),
        (status = 404, description = "`COMMENT_NOT_FOUND` (or not published)", body = super::error::ErrorBody),
        (status = 409, description = "`ALREADY_REPORTED` by this IP", body = super::error::ErrorBody),
        (status = 413, description = "Body over 8 KiB", body = super::error::ErrorBody),
        (status = 415, description = "Neither JSON nor a form", body = super::error::ErrorBody),
        (status = 422, description = "A bad `reason` or `redirect_to`", body = super::error::ErrorBody),
        (status = 429, description = "`RATE_LIMITED`, with `Retry-After`", body = super::error::ErrorBody),
        (status = 503, description = "`RATE_LIMIT_UNAVAILABLE`: the shared rate-limit store is unreachable \
            and `rate_limit_unreachable = \"closed\"`; with `Retry-After`", body = super::error::ErrorBody),
    ))]
#[tracing::instrument(name = "report_comment", skip_all, fields(id = %id, outcome))]
pub async fn report(
    req: HttpRequest,
    id: web::Path<i64>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    // A browser's own form post gets an HTML page when it fails, never JSON.
    let browser_form = form_page::is_browser_form(&req);
    let mut back = None;
    match record(&req, id.into_inner(), payload, &state, &mut back).await {
        Err(err) if browser_form => Ok(form_page::report_error_page(&err, back.as_ref())),
        answer => answer,
    }
}

/// Decodes, checks and records the report; `back` is set to the page to return to as
/// soon as it is known (for the error page).
async fn record(
    req: &HttpRequest,
    id: i64,
    payload: web::Payload,
    state: &AppState,
    back: &mut Option<WebUrl>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::coded(ErrorCode::CommentNotFound);
    let id = CommentId::new(id).ok_or_else(not_found)?;
    let encoding = Encoding::of(req)?;
    let body = payload
        .to_bytes_limited(MAX_REPORT_BYTES)
        .await
        .map_err(|_| ApiError::PayloadTooLarge {
            limit: MAX_REPORT_BYTES,
        })?
        .map_err(|err| {
            ApiError::coded(ErrorCode::InvalidBody)
                .with_message(format!("could not read the request body: {err}"))
        })?;
    let fields = Fields::decode(encoding, &body)?;
    let reason = ReportReason::parse(fields.optional("reason")?)?;
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("request without a peer address")))?;
    let ip = client_ip::resolve(peer, req.headers(), &state.trusted_proxies);

    let comment = state.store.comment(id).await?.ok_or_else(not_found)?;
    if comment.status != Status::Published {
        return Err(not_found());
    }
    let site = state.sites.get(&comment.site_id).ok_or_else(not_found)?;
    *back = fields.redirect_to(site).ok().flatten();
    state
        .limiters
        .check_report(site.id.as_str(), ip)
        .await
        .map_err(|refused| match refused {
            Refused::Limited(limited) => ApiError::ReportRateLimited(limited),
            Refused::Unavailable(unavailable) => ApiError::RateLimitUnavailable(unavailable),
        })?;
    let redirect_to = fields.redirect_to(site)?;

    let outcome = state
        .store
        .report(NewReport {
            comment: id,
            site: site.id.clone(),
            client_ip: ip.to_string(),
            reason: reason.as_str().to_owned(),
            threshold: site.reports_to_review,
        })
        .await?;
    tracing::Span::current().record("outcome", tracing::field::debug(&outcome));
    match outcome {
        ReportOutcome::Recorded { .. } => {}
        ReportOutcome::AlreadyReported => return Err(ApiError::AlreadyReported),
        // Taken down or decided between the lookup and the write.
        ReportOutcome::NotFound => return Err(not_found()),
    }
    let body = ReportResponse {
        comment_id: id,
        status: "received",
    };
    if let (Encoding::Form, Some(redirect)) = (encoding, redirect_to) {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, redirect.as_str()))
            .json(body));
    }
    Ok(HttpResponse::Accepted().json(body))
}
