//! The API's one error type, mapped once to JSON responses.
//!
//! Every 4xx and 5xx the service sends has the body
//! `{"error": {"code": "UPPER_SNAKE", "message": "...", "field": "name" | null}}` — the
//! handlers' own errors through [`ApiError`]'s `ResponseError` impl, extractor errors
//! through the handlers installed in [`super::configure`], and anything else actix
//! answers by itself (unknown route, wrong method, CORS refusal) through
//! [`json_error_fallback`]. `429` and `503` carry `Retry-After` (seconds), set here.
//!
//! The code is an [`ErrorCode`] (`code`), which also fixes the status: one code never
//! comes with two statuses.
//!
//! `Debug` prints the whole cause chain so a 500 in the logs explains itself; the client
//! only ever sees a generic message for it.
use std::fmt;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::ValidationError;
use crate::ratelimit::{RateLimited, StoreUnavailable};
use crate::store::{CommentState, StoreError};

mod code;

pub use code::ErrorCode;

/// Everything a request can fail with. Each error has one [`ErrorCode`], and its status is
/// the code's ([`ErrorCode::status`]).
#[derive(thiserror::Error)]
pub enum ApiError {
    /// A field breaks a rule (422).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A refusal that is only its code, a message and maybe the field at fault: a request
    /// that cannot be decoded (400), bad credentials (401), not allowed (403), nothing
    /// there (404), or a request that cannot apply to the resource as it is now (409: an
    /// article closed to comments, nothing left to undo; `current` carries the resource's
    /// state when the client can recover from it). Built with [`ApiError::coded`].
    #[error("{message}")]
    Coded {
        code: ErrorCode,
        message: String,
        field: Option<&'static str>,
        current: Option<Box<CommentState>>,
    },
    /// A moderator decided on a version of a comment that is no longer current (409); the
    /// body carries the comment's `current` state so the client can refresh.
    #[error("the comment changed since version {seen}; reload it and decide again")]
    StaleVersion {
        seen: i64,
        current: Box<CommentState>,
    },
    #[error("this route does not accept that method")]
    MethodNotAllowed,
    #[error("the comment was already submitted")]
    Duplicate,
    /// This client already reported this comment (409).
    #[error("you have already reported this comment")]
    AlreadyReported,
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("send application/json or application/x-www-form-urlencoded")]
    UnsupportedMediaType,
    /// The request's headers together are too large (431).
    #[error("the request headers are larger than {limit} bytes")]
    HeadersTooLarge { limit: usize },
    /// `nudge` was set and the abuse model would hold the comment (422).
    #[error("this comment looks abusive; please rephrase it")]
    LikelyAbusive,
    #[error("too many comments; try again later")]
    RateLimited(RateLimited),
    /// The IP rate limit, reached by a backend that sends no `client_ip` (429): every
    /// reader counts as the backend's address.
    #[error("too many comments from one address ({} s to wait); {}", .0.retry_after_secs(), super::hints::NO_CLIENT_IP)]
    RateLimitedWithoutClientIp(RateLimited),
    /// Too many reader reports from this client IP (429).
    #[error("too many reports; try again in {} s", .0.retry_after_secs())]
    ReportRateLimited(RateLimited),
    /// Too many failed authentications from this client IP (429).
    #[error("too many failed authentications; try again in {retry_after_secs} s")]
    AuthRateLimited { retry_after_secs: u64 },
    /// The shared rate-limit store is unreachable and `rate_limit_unreachable = "closed"`
    /// (503).
    #[error("the rate limits cannot be checked right now; try again in {} s", crate::clock::retry_after_secs(.0.retry_after))]
    RateLimitUnavailable(StoreUnavailable),
    /// New model files were refused; the models in service stay (422).
    #[error("models refused, the previous ones keep serving: {0}")]
    ModelsRefused(String),
    /// The write queue is full (503, retry soon).
    #[error("the service is busy; try again shortly")]
    Busy { retry_after_secs: u64 },
    /// A dependency is not ready (503).
    #[error("{0}")]
    Unavailable(&'static str),
    /// A bug or an I/O failure (500); details go to the log only.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError::coded(code)
    }
}

impl ApiError {
    /// The error of `code` with its default message; add what the caller should know with
    /// [`ApiError::with_message`], [`ApiError::with_field`], [`ApiError::with_current`].
    pub fn coded(code: ErrorCode) -> Self {
        ApiError::Coded {
            code,
            message: code.default_message().to_owned(),
            field: None,
            current: None,
        }
    }

    /// The same error saying `message` (for a [`ApiError::Coded`] or [`ApiError::Invalid`]).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        match &mut self {
            ApiError::Coded { message: m, .. } => *m = message.into(),
            ApiError::Invalid(e) => e.message = message.into(),
            _ => {}
        }
        self
    }

    /// The same error naming `field`, if given (for a [`ApiError::Coded`]).
    pub fn with_field(mut self, field: impl Into<Option<&'static str>>) -> Self {
        if let ApiError::Coded { field: f, .. } = &mut self {
            *f = field.into();
        }
        self
    }

    /// The same error with the resource's state now (for a [`ApiError::Coded`] 409).
    pub fn with_current(mut self, current: CommentState) -> Self {
        if let ApiError::Coded { current: c, .. } = &mut self {
            *c = Some(Box::new(current));
        }
        self
    }

    /// The stable code of the error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Invalid(e) => ErrorCode::Invalid(e.code),
            ApiError::Coded { code, .. } => *code,
            ApiError::StaleVersion { .. } => ErrorCode::StaleVersion,
            ApiError::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            ApiError::Duplicate => ErrorCode::Duplicate,
            ApiError::AlreadyReported => ErrorCode::AlreadyReported,
            ApiError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            ApiError::HeadersTooLarge { .. } => ErrorCode::HeadersTooLarge,
            ApiError::LikelyAbusive => ErrorCode::LikelyAbusive,
            ApiError::RateLimited(_)
            | ApiError::ReportRateLimited(_)
            | ApiError::RateLimitedWithoutClientIp(_) => ErrorCode::RateLimited,
            ApiError::AuthRateLimited { .. } => ErrorCode::AuthRateLimited,
            ApiError::RateLimitUnavailable(_) => ErrorCode::RateLimitUnavailable,
            ApiError::ModelsRefused(_) => ErrorCode::ModelsRefused,
            ApiError::Busy { .. } => ErrorCode::Busy,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The status and stable code of the error (the status is always the code's).
    pub fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        let code = self.code();
        (code.status(), code)
    }

    /// The field at fault, if the error is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ApiError::Invalid(e) => Some(e.field),
            ApiError::Coded { field, .. } => *field,
            ApiError::LikelyAbusive => Some("body"),
            ApiError::StaleVersion { .. } => Some("version"),
            _ => None,
        }
    }

    /// The resource as it is now, for a 409 the client can recover from.
    pub(crate) fn current(&self) -> Option<&CommentState> {
        match self {
            ApiError::StaleVersion { current, .. } => Some(current),
            ApiError::Coded {
                current: Some(current),
                ..
            } => Some(current),
            _ => None,
        }
    }

    /// When the client may try again, for 429 and 503.
    pub(crate) fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited(limited)
            | ApiError::ReportRateLimited(limited)
            | ApiError::RateLimitedWithoutClientIp(limited) => Some(limited.retry_after_secs()),
            ApiError::AuthRateLimited { retry_after_secs } => Some(*retry_after_secs),
            ApiError::Busy { retry_after_secs } => Some(*retry_after_secs),
            ApiError::RateLimitUnavailable(u) => {
                Some(crate::clock::retry_after_secs(u.retry_after))
            }
            ApiError::Unavailable(_) => Some(5),
            _ => None,
        }
    }

    /// The human message of the error body.
    pub(crate) fn message(&self) -> String {
        match self {
            ApiError::Invalid(e) => e.message.clone(),
            ApiError::RateLimited(limited) => format!(
                "too many comments ({} limit); try again in {} s",
                limited.scope.as_str(),
                limited.retry_after_secs()
            ),
            other => other.to_string(),
        }
    }

    /// The error for a response actix produced by itself with this status.
    fn for_status(status: StatusCode) -> ApiError {
        match status {
            StatusCode::NOT_FOUND => ApiError::coded(ErrorCode::NotFound),
            StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge {
                limit: super::comments::MAX_BODY_BYTES,
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ApiError::HeadersTooLarge {
                limit: super::access_log::MAX_HEADER_BYTES,
            },
            s if s.is_client_error() => ApiError::coded(ErrorCode::BadRequest)
                .with_message(s.canonical_reason().unwrap_or("bad request")),
            s => ApiError::Internal(anyhow::anyhow!("unhandled status {s}")),
        }
    }
}

/// Writes `err` and its sources, one per line.
fn error_chain_fmt(err: &impl std::error::Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{err}")?;
    let mut source = err.source();
    while let Some(cause) = source {
        writeln!(f, "caused by: {cause}")?;
        source = cause.source();
    }
    Ok(())
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let ApiError::Internal(inner) = self {
            return write!(f, "internal error: {inner:?}");
        }
        error_chain_fmt(self, f)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Busy => ApiError::Busy {
                retry_after_secs: 1,
            },
            StoreError::Closed => ApiError::Unavailable("the database is shutting down"),
            // Disk full, I/O error, read-only file, a lock held by another process: the
            // writer logs the cause (rate-limited); the client is told to come back.
            err if err.is_unavailable() => ApiError::Unavailable(
                "the database cannot take writes right now; try again shortly",
            ),
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<RateLimited> for ApiError {
    fn from(limited: RateLimited) -> Self {
        ApiError::RateLimited(limited)
    }
}

/// The body of every error response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    error: ErrorDetail,
    /// The resource as it is now, for a 409 the client can recover from.
    #[serde(skip_serializing_if = "Option::is_none")]
    current: Option<&'a CommentState>,
}

/// What went wrong.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable, `UPPER_SNAKE`; the code also fixes the status.
    code: ErrorCode,
    /// For people; names the field at fault.
    message: String,
    /// The request field at fault, if one is.
    field: Option<&'static str>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let (status, code) = self.status_and_code();
        match self {
            ApiError::RateLimited(_) => crate::monitoring::rate_limited("comment"),
            ApiError::ReportRateLimited(_) => crate::monitoring::rate_limited("report"),
            ApiError::AuthRateLimited { .. } => crate::monitoring::rate_limited("auth"),
            _ => {}
        }
        // Busy and Unavailable are conditions, not bugs: whoever detects them logs them.
        if status.is_server_error()
            && !matches!(
                self,
                ApiError::Busy { .. }
                    | ApiError::Unavailable(_)
                    | ApiError::RateLimitUnavailable(_)
            )
        {
            tracing::error!(error = ?self, "request failed");
        }
        let message = self.message();
        let mut response = HttpResponse::build(status);
        if let Some(secs) = self.retry_after_secs() {
            response.insert_header((header::RETRY_AFTER, secs));
        }
        if let ApiError::MethodNotAllowed = self {
            // The only methods any route here takes.
            response.insert_header((header::ALLOW, "GET, POST, DELETE, OPTIONS"));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code,
                message,
                field: self.field(),
            },
            current: self.current(),
        })
    }
}

/// Turns any error response that is not already our JSON or HTML (actix's own 404 and
/// 405, CORS refusals, extractor errors we did not map) into the API's error shape,
/// keeping its status and headers.
pub fn json_error_fallback<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // JSON is ours; so is HTML (actix's own errors are text/plain): the pages answering
    // browsers' plain form posts (`super::form_page`).
    let ours = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"application/json") || v.as_bytes().starts_with(b"text/html")
        });
    if ours {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, old) = res.into_parts();
    let mut new = ApiError::for_status(status).error_response();
    *new.status_mut() = status;
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    if status == StatusCode::METHOD_NOT_ALLOWED && !new.headers().contains_key(header::ALLOW) {
        new.headers_mut().insert(
            header::ALLOW,
            HeaderValue::from_static("GET, POST, DELETE, OPTIONS"),
        );
    }
    let res = ServiceResponse::new(req, new.map_into_boxed_body()).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(res))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    /// Every error renders as `{"error": {code, message, field}}` with its status.
    #[actix_web::test]
    async fn error_shape() {
        let err = ApiError::from(ValidationError::new(
            "body",
            crate::domain::ValidationCode::TooLong,
            "too long",
        ));
        let res = err.error_response();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = to_bytes(res.into_body()).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"]["code"], "TOO_LONG");
        assert_eq!(json["error"]["field"], "body");
        assert_eq!(json["error"]["message"], "too long");
    }

    /// 429 and 503 tell the client when to come back.
    #[actix_web::test]
    async fn retry_after() {
        let limited = RateLimited {
            scope: crate::ratelimit::LimitScope::Ip,
            retry_after: std::time::Duration::from_millis(11_200),
        };
        let res = ApiError::RateLimited(limited).error_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "12");
        let res = ApiError::from(StoreError::Busy).error_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "1");
    }

    /// Internal details never reach the client.
    #[actix_web::test]
    async fn internal_errors_are_opaque() {
        let err = ApiError::Internal(anyhow::anyhow!("disk on fire at /var/lib/x"));
        let body = to_bytes(err.error_response().into_body()).await.unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("disk"));
    }
}
