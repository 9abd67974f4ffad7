//! Signing in to the review page: a moderator's token, once, becomes a session cookie.
//!
//! | method | path | what |
//! |---|---|---|
//! | POST | `/api/v1/session` | sign in with a token: sets the cookie, answers the CSRF token |
//! | GET | `/api/v1/session` | who is signed in, and the session's CSRF token |
//! | DELETE | `/api/v1/session` | sign out: ends the session, clears the cookie |
//!
//! The cookie (`cg_session`, or `__Host-cg_session` with `sessions.secure_cookie`) is
//! `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page sends it),
//! `Path=/`, `Secure` when configured, and expires with the session (`sessions.hours`).
//! Its value is a fresh 256-bit secret; the database keeps its SHA-256. Requests carrying
//! it are authenticated by [`super::moderator_auth`], which also demands the session's
//! CSRF token in `X-CSRF-Token` on every request that is not GET, HEAD or OPTIONS.
//!
//! Sign-in is counted like any other authentication: a wrong token is a failure towards
//! the per-IP limit. A sign-in posted from another origin is refused (`CROSS_ORIGIN`), so
//! another site cannot sign a moderator's browser into someone else's account.
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::moderator_auth::{invalid_token, Credential, Gate, Moderator};
use super::{cors, ApiError, AppState};
use crate::config::SessionConfig;
use crate::domain::{SessionSecret, TokenHash, ValidationError};
use crate::store::{NewSession, SiteGrants};

/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The cookie's name over plain HTTP.
const COOKIE: &str = "cg_session";
/// Its name when `Secure`: the `__Host-` prefix makes browsers refuse it unless it is
/// `Secure`, has `Path=/` and no `Domain` (no sibling subdomain can plant one).
const SECURE_COOKIE: &str = "__Host-cg_session";
/// Largest sign-in body.
const MAX_JSON_BYTES: usize = 4 * 1024;

/// Registers the session routes (inside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/session")
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_JSON_BYTES)
                    .error_handler(|err, _req| {
                        ApiError::bad_request("INVALID_JSON", err.to_string(), None).into()
                    }),
            )
            .route(web::post().to(sign_in))
            .route(web::get().to(current))
            .route(web::delete().to(sign_out)),
    );
}

/// The session cookie's name under `config`.
pub fn cookie_name(config: &SessionConfig) -> &'static str {
    if config.secure_cookie {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

/// The value of the request's session cookie, if it sent one.
pub fn cookie_value(req: &HttpRequest, config: &SessionConfig) -> Option<String> {
    req.cookie(cookie_name(config))
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

fn cookie(config: &SessionConfig, value: String, max_age: time::Duration) -> Cookie<'static> {
    Cookie::build(cookie_name(config), value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(config.secure_cookie)
        .max_age(max_age)
        .finish()
}

/// The body of a sign-in.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignInBody {
    /// The moderator's token (`cgm_…`, from `commentguard moderator add`).
    token: Option<String>,
}

/// Who is signed in.
#[derive(Serialize, ToSchema)]
pub struct SignedInModerator {
    name: String,
    /// Admins see every site and the settings.
    is_admin: bool,
    /// The sites of this instance they moderate, sorted.
    sites: Vec<String>,
}

/// A moderator's session as the review page needs it.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    moderator: SignedInModerator,
    /// Send it as `X-CSRF-Token` with every POST and DELETE; `null` when the request was
    /// authenticated with a bearer token (no session).
    csrf_token: Option<String>,
    /// When the session ends (Unix milliseconds); `null` without a session.
    expires_at: Option<i64>,
}

fn view(state: &AppState, moderator: &Moderator) -> SessionView {
    let mut sites: Vec<String> = state
        .sites
        .iter()
        .map(|s| s.id.as_str().to_owned())
        .filter(|id| match moderator.grants() {
            SiteGrants::All => true,
            grants => grants.allows(id),
        })
        .collect();
    sites.sort_unstable();
    let (csrf_token, expires_at) = match &moderator.1 {
        Credential::Session { secret, expires_at } => {
            (Some(secret.csrf_token()), Some(*expires_at))
        }
        Credential::Token => (None, None),
    };
    SessionView {
        moderator: SignedInModerator {
            name: moderator.name().to_owned(),
            is_admin: moderator.0.is_admin,
            sites,
        },
        csrf_token,
        expires_at,
    }
}

/// `POST /api/v1/session` `{"token": "cgm_…"}`: signs in; the answer sets the session
/// cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "review",
    request_body = SignInBody,
    responses(
        (status = 200, description = "Signed in: `Set-Cookie` carries the session", body = SessionView,
            headers(("Set-Cookie" = String, description = "The session cookie (HttpOnly, SameSite=Strict)"))),
        (status = 400, description = "`INVALID_JSON`", body = ErrorBody),
        (status = 401, description = "`INVALID_TOKEN`", body = ErrorBody),
        (status = 403, description = "`CROSS_ORIGIN`: posted from another site's page", body = ErrorBody),
        (status = 422, description = "`REQUIRED`: no token", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "sign_in", skip_all)]
pub async fn sign_in(
    req: HttpRequest,
    body: web::Json<SignInBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let same = origin
            .to_str()
            .is_ok_and(|origin| cors::same_origin(origin, host));
        if !same {
            return Err(ApiError::Forbidden {
                code: "CROSS_ORIGIN",
                message: "sign in from the review page of this service".into(),
            });
        }
    }
    let gate = Gate::new(&req, &state)?;
    let token = body
        .token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ValidationError::new("token", "REQUIRED", "token is your moderator token")
        })?;
    let Some(record) = state.store.moderator_by_token(TokenHash::of(token)).await? else {
        return Err(gate.refuse(invalid_token()));
    };
    let secret = SessionSecret::generate();
    let hours = i64::from(state.sessions.hours);
    let expires_at = state.clock.now_millis() + hours * 3_600_000;
    state
        .store
        .create_session(NewSession {
            hash: secret.hash(),
            moderator_id: record.id,
            expires_at,
        })
        .await?;
    tracing::info!(moderator = %record.name, "signed in");
    let cookie = cookie(
        &state.sessions,
        secret.expose().to_owned(),
        time::Duration::hours(hours),
    );
    let moderator = Moderator(record, Credential::Session { secret, expires_at });
    Ok(HttpResponse::Ok()
        .cookie(cookie)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view(&state, &moderator)))
}

/// `GET /api/v1/session`: the signed-in moderator and the session's CSRF token.
#[utoipa::path(get, path = "/api/v1/session", tag = "review",
    security(("moderator_session" = []), ("moderator_token" = [])),
    responses(
        (status = 200, description = "Signed in", body = SessionView),
        (status = 401, description = "`MISSING_TOKEN` (not signed in) or `SESSION_EXPIRED`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
    ))]
pub async fn current(moderator: Moderator, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(view(&state, &moderator))
}

/// `DELETE /api/v1/session` (with `X-CSRF-Token`): signs out.
#[utoipa::path(delete, path = "/api/v1/session", tag = "review",
    security(("moderator_session" = []), ("moderator_token" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "`CSRF_TOKEN_MISSING` or `CSRF_TOKEN_INVALID`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "sign_out", skip_all, fields(moderator = %moderator.name()))]
pub async fn sign_out(
    moderator: Moderator,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if let Credential::Session { secret, .. } = &moderator.1 {
        state.store.end_session(secret.hash()).await?;
    }
    Ok(HttpResponse::NoContent()
        .cookie(cookie(&state.sessions, String::new(), time::Duration::ZERO))
        .finish())
}
