//! [`ErrorCode`]: every code an error response can carry, with its one HTTP status, the
//! fields it names and what it means — the API's one table of errors.
//!
//! A code has exactly one status wherever it is sent: an error is built from its code
//! ([`super::ApiError::coded`] and the variants of [`super::ApiError`]) and takes its
//! status from here. Codes for a refused field value are the domain's
//! [`ValidationCode`]s, all `422`. The table in the README ("Error codes") is made
//! from these rows by this file's tests; a test fails when the two differ, and the OpenAPI
//! document lists the codes as the `enum` of `ErrorDetail.code`.
use std::borrow::Cow;

use actix_web::http::StatusCode;
use serde::{Serialize, Serializer};

use crate::domain::ValidationCode;

/// Declares [`ErrorCode`]'s own variants with, for each, its wire text, status, the fields
/// it names, its default message and what it means — one row per code.
macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, $status:ident, $fields:literal,
        $message:literal, $meaning:literal; )*) => {
        /// A stable, machine-readable error code (`UPPER_SNAKE` on the wire).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            /// A field's value is refused (422); the reason is the domain's.
            Invalid(ValidationCode),
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// The codes other than [`ErrorCode::Invalid`], in the table's order.
            const OWN: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    ErrorCode::Invalid(code) => code.as_str(),
                    $(ErrorCode::$variant => $text,)*
                }
            }

            /// The one status every response with this code has.
            pub fn status(self) -> StatusCode {
                match self {
                    ErrorCode::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                    $(ErrorCode::$variant => StatusCode::$status,)*
                }
            }

            /// Which request fields an error with this code names (for the docs).
            pub fn fields(self) -> &'static str {
                match self {
                    ErrorCode::Invalid(code) => code.fields(),
                    $(ErrorCode::$variant => $fields,)*
                }
            }

            /// The message when the one raising it has nothing more specific to say.
            pub fn default_message(self) -> &'static str {
                match self {
                    ErrorCode::Invalid(code) => code.meaning(),
                    $(ErrorCode::$variant => $message,)*
                }
            }

            /// What the code means (for the docs).
            pub fn meaning(self) -> &'static str {
                match self {
                    ErrorCode::Invalid(code) => code.meaning(),
                    $(ErrorCode::$variant => $meaning,)*
                }
            }
        }
    };
}

error_codes! {
    InvalidJson = "INVALID_JSON", BAD_REQUEST, "—", "the body is not valid JSON",
        "The body is not a JSON object of the expected shape.";
    InvalidForm = "INVALID_FORM", BAD_REQUEST, "the field at fault, when known", "the form body is not valid",
        "A form body that is not percent-encoded UTF-8.";
    InvalidType = "INVALID_TYPE", BAD_REQUEST, "the field at fault", "a field has the wrong type",
        "A JSON value of the wrong type (a number or boolean where text is expected, …).";
    InvalidQuery = "INVALID_QUERY", BAD_REQUEST, "`limit`; none when the query string itself is malformed", "the query string is not valid",
        "A malformed query parameter: not a number where one is expected, not `true`/`false`, …";
    InvalidCursor = "INVALID_CURSOR", BAD_REQUEST, "`cursor`", "cursor is not valid",
        "A `cursor` that is not a `next_cursor` this service made for the same query.";
    InvalidBody = "INVALID_BODY", BAD_REQUEST, "—", "could not read the request body",
        "The request body could not be read.";
    BadRequest = "BAD_REQUEST", BAD_REQUEST, "—", "bad request",
        "A request actix refused by itself (a malformed request line, header or `Content-Length`, a CORS refusal, …); the status is the one it chose.";
    MissingToken = "MISSING_TOKEN", UNAUTHORIZED, "—", "send `Authorization: Bearer <moderator token>`, or sign in on the review page",
        "A review or admin route called without a moderator token or session.";
    InvalidToken = "INVALID_TOKEN", UNAUTHORIZED, "—", "the moderator token is not valid (unknown or revoked)",
        "An unknown, revoked or malformed moderator token.";
    SessionExpired = "SESSION_EXPIRED", UNAUTHORIZED, "—", "your session has ended (expired, signed out or revoked); sign in again",
        "The review page's session has ended.";
    InvalidApiKey = "INVALID_API_KEY", UNAUTHORIZED, "—", "the API key is not valid for this site",
        "The `Authorization: Bearer` key is not the site's API key.";
    InvalidAuthorization = "INVALID_AUTHORIZATION", UNAUTHORIZED, "—", "Authorization must be `Bearer <site API key>`",
        "An `Authorization` header that is not `Bearer <key>`.";
    SiteNotGranted = "SITE_NOT_GRANTED", FORBIDDEN, "—", "you are not a moderator of this site",
        "The moderator is not granted the site named.";
    AdminOnly = "ADMIN_ONLY", FORBIDDEN, "—", "this needs an admin token (`commentguard moderator add NAME --admin`)",
        "An admin route called by a moderator who is not an admin.";
    CsrfTokenMissing = "CSRF_TOKEN_MISSING", FORBIDDEN, "—", "a signed-in request that changes something needs the session's CSRF token",
        "A change sent with the session cookie but without the CSRF header.";
    CsrfTokenInvalid = "CSRF_TOKEN_INVALID", FORBIDDEN, "—", "the CSRF header is not this session's CSRF token",
        "The CSRF header is not the session's.";
    CrossOrigin = "CROSS_ORIGIN", FORBIDDEN, "—", "sign in from the review page of this service",
        "A sign-in sent from another origin.";
    NotFound = "NOT_FOUND", NOT_FOUND, "—", "no such route",
        "No route for this path (or a path segment of the wrong type).";
    CommentNotFound = "COMMENT_NOT_FOUND", NOT_FOUND, "—", "no such comment",
        "No such comment (or one of a site the caller may not see).";
    SiteNotFound = "SITE_NOT_FOUND", NOT_FOUND, "—", "no such site on this instance",
        "The site in the path is not served by this instance (a site in a field is `422 UNKNOWN_SITE`).";
    MethodNotAllowed = "METHOD_NOT_ALLOWED", METHOD_NOT_ALLOWED, "—", "this route does not accept that method",
        "The route exists, not with this method (`Allow` lists the methods).";
    StaleVersion = "STALE_VERSION", CONFLICT, "`version`", "the comment changed; reload it and decide again",
        "The comment changed since the `version` decided on; `current` is its state now.";
    Duplicate = "DUPLICATE", CONFLICT, "—", "the comment was already submitted",
        "The same body from the same author or address within the duplicate window.";
    AlreadyReported = "ALREADY_REPORTED", CONFLICT, "—", "you have already reported this comment",
        "This client already reported this comment.";
    ArticleClosed = "ARTICLE_CLOSED", CONFLICT, "`article_id`", "the article is closed to new comments",
        "The article takes no new comments.";
    NothingToUndo = "NOTHING_TO_UNDO", CONFLICT, "—", "the comment's latest change is not a decision of yours",
        "Undo: the comment's latest change is not the caller's decision; `current` is its state.";
    UndoExpired = "UNDO_EXPIRED", CONFLICT, "—", "the decision is too old to undo; decide again instead",
        "Undo: the decision is older than the undo window; `current` is its state.";
    PayloadTooLarge = "PAYLOAD_TOO_LARGE", PAYLOAD_TOO_LARGE, "—", "the request body is too large",
        "The body is larger than the route takes.";
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE", UNSUPPORTED_MEDIA_TYPE, "—", "send application/json or application/x-www-form-urlencoded",
        "A body that is neither JSON nor a urlencoded form.";
    LikelyAbusive = "LIKELY_ABUSIVE", UNPROCESSABLE_ENTITY, "`body`", "this comment looks abusive; please rephrase it",
        "`nudge` was set and the abuse model would hold the comment.";
    ModelsRefused = "MODELS_REFUSED", UNPROCESSABLE_ENTITY, "—", "models refused, the previous ones keep serving",
        "New model files were refused; the models in service stay.";
    RateLimited = "RATE_LIMITED", TOO_MANY_REQUESTS, "—", "too many requests; try again later",
        "Too many comments or reports (per IP, e-mail or site); `Retry-After` says when to retry.";
    AuthRateLimited = "AUTH_RATE_LIMITED", TOO_MANY_REQUESTS, "—", "too many failed authentications; try again later",
        "Too many failed authentications from this IP; `Retry-After` says when to retry.";
    RateLimitUnavailable = "RATE_LIMIT_UNAVAILABLE", SERVICE_UNAVAILABLE, "—", "the rate limits cannot be checked right now; try again shortly",
        "The shared rate-limit store (Redis) is unreachable and `rate_limit_unreachable = \"closed\"`; nothing was stored; `Retry-After`.";
    HeadersTooLarge = "HEADERS_TOO_LARGE", REQUEST_HEADER_FIELDS_TOO_LARGE, "—", "the request headers are too large",
        "The request's headers together are larger than 32 KiB (a head over 128 KiB or with more than 96 headers is refused the same way by the HTTP parser).";
    Internal = "INTERNAL", INTERNAL_SERVER_ERROR, "—", "internal error",
        "A bug or an I/O failure; the details are in the service's log only.";
    Busy = "BUSY", SERVICE_UNAVAILABLE, "—", "the service is busy; try again shortly",
        "The write queue is full; `Retry-After` says when to retry.";
    Unavailable = "UNAVAILABLE", SERVICE_UNAVAILABLE, "—", "the service cannot take this request right now; try again shortly",
        "The database cannot take writes (disk full, I/O error, read-only, locked) or is shutting down; nothing was stored; `Retry-After`.";
}

impl ErrorCode {
    /// Every code: the service's own, then the refused-value codes, in table order.
    pub fn all() -> impl Iterator<Item = ErrorCode> {
        let own = ErrorCode::OWN.iter().copied();
        let invalid = ValidationCode::ALL.iter().copied().map(ErrorCode::Invalid);
        own.chain(invalid)
    }
}

impl From<ValidationCode> for ErrorCode {
    fn from(code: ValidationCode) -> Self {
        ErrorCode::Invalid(code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets tests compare a code with its wire text.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "Stable, machine-readable, `UPPER_SNAKE`; the README's \"Error codes\" table \
                 gives each one's status and meaning.",
            ))
            .enum_values(Some(ErrorCode::all().map(ErrorCode::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for ErrorCode {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorCode")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's table of error codes, one row per code, ordered by status.
    fn markdown_table() -> String {
        let mut codes: Vec<ErrorCode> = ErrorCode::all().collect();
        // Stable: the table's order within a status is the declaration order.
        codes.sort_by_key(|c| c.status().as_u16());
        let mut out =
            String::from("| code | status | meaning | names the field |\n|---|---|---|---|\n");
        for code in codes {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                code.as_str(),
                code.status().as_u16(),
                code.meaning(),
                code.fields()
            ));
        }
        out
    }

    const BEGIN: &str = "<!-- error-codes:begin (generated from src/http/error/code.rs) -->\n";
    const END: &str = "<!-- error-codes:end -->";

    /// Every code has its own text; all are `UPPER_SNAKE`, every status a 4xx or 5xx.
    #[test]
    fn codes_are_distinct() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::all() {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(text.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }

    /// The OpenAPI document gives the codes as the `enum` of `ErrorDetail.code`.
    #[test]
    fn openapi_lists_every_code() {
        let doc = crate::http::openapi::json();
        let listed = &doc["components"]["schemas"]["ErrorCode"]["enum"];
        let listed: Vec<&str> = listed
            .as_array()
            .unwrap_or_else(|| panic!("no ErrorCode enum: {}", doc["components"]["schemas"]))
            .iter()
            .filter_map(|v| v.as_str())
            .collect();
        let all: Vec<&str> = ErrorCode::all().map(ErrorCode::as_str).collect();
        assert_eq!(listed, all);
    }

    /// The README's table is the one this enum makes (`UPDATE_README=1 cargo test
    /// readme_error_table` rewrites it).
    #[test]
    fn readme_error_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).expect("README.md");
        let start = readme
            .find(BEGIN)
            .expect("README has the error-codes markers")
            + BEGIN.len();
        let end = readme[start..]
            .find(END)
            .expect("README has the end marker")
            + start;
        let table = markdown_table();
        if readme[start..end] != table {
            if std::env::var_os("UPDATE_README").is_some() {
                let updated = format!("{}{table}{}", &readme[..start], &readme[end..]);
                std::fs::write(path, updated).expect("write README.md");
                return;
            }
            panic!(
                "README.md's error table differs from ErrorCode; run \
                 `UPDATE_README=1 cargo test readme_error_table`. Expected:\n{table}"
            );
        }
    }
}
