//! Moderator authentication on every review and admin route: `Authorization: Bearer
//! <token>`, or the review page's session cookie (see [`super::session`]).
//!
//! [`Moderator`] (any active moderator) and [`Admin`] (a moderator added with `--admin`)
//! are extractors, so the permission a handler needs is in its signature and a review
//! route without authentication cannot be written by accident. Which *site* a moderator
//! may act on is checked by the handler ([`Moderator::require_site`]) or, for decisions,
//! by the store once the comment's site is known.
//!
//! | request | answer |
//! |---|---|
//! | no `Authorization` and no session cookie | 401 `MISSING_TOKEN` |
//! | malformed, unknown or revoked token | 401 `INVALID_TOKEN` (counted as a failure) |
//! | session cookie of no active session (expired, signed out, revoked) | 401 `SESSION_EXPIRED` (counted) |
//! | session cookie, a method other than GET/HEAD/OPTIONS, no `X-CSRF-Token` | 403 `CSRF_TOKEN_MISSING` |
//! | session cookie, `X-CSRF-Token` not the session's | 403 `CSRF_TOKEN_INVALID` |
//! | valid token, a site not granted | 403 `SITE_NOT_GRANTED` |
//! | valid token, admin route, not an admin | 403 `ADMIN_ONLY` |
//! | more than [`FAILURE_BURST`] failures from one client IP, no valid token | 429 `AUTH_RATE_LIMITED` + `Retry-After` |
//!
//! # Failed-authentication limit
//! Failures are counted per client IP (the same resolution as intake, so a spoofed
//! `X-Forwarded-For` counts against the real peer; IPv6 by /64): a burst of
//! [`FAILURE_BURST`], refilling at [`FAILURES_PER_MINUTE`]. Once an IP is over the limit
//! it is *locked out* until a failure would be allowed again: every request from it
//! without a valid token is answered 429 (and still counted). A valid token is let
//! through all the same: the newsroom behind a shared NAT must not be locked out by one
//! guesser on the same address. What a guesser could learn from that is nothing
//! practical: tokens are 256-bit random values, and each wrong guess is still counted.
//! Successful requests are never counted. The limit itself, and how several instances
//! share it through Redis, is [`crate::ratelimit::auth`].
use std::net::IpAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use super::{client_ip, session, ApiError, AppState, ErrorCode};
use crate::clock::retry_after_secs;
use crate::domain::{SessionSecret, TokenHash};
pub use crate::ratelimit::auth::{AuthFailures, FAILURES_PER_MINUTE, FAILURE_BURST};
use crate::ratelimit::redis::Lockout;
use crate::store::{Actor, ModeratorRecord, SiteGrants};

/// A boxed future; actix extractors run on one worker thread, so it need not be `Send`.
type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;

/// How a moderator proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// `Authorization: Bearer <token>` (scripts, the CLI's users).
    Token,
    /// The review page's session cookie (see [`super::session`]).
    Session {
        secret: SessionSecret,
        /// Unix milliseconds.
        expires_at: i64,
    },
}

/// An authenticated moderator.
#[derive(Debug, Clone)]
pub struct Moderator(pub ModeratorRecord, pub Credential);

impl Moderator {
    pub fn name(&self) -> &str {
        &self.0.name
    }

    pub fn grants(&self) -> &SiteGrants {
        &self.0.grants
    }

    /// Who the audit log will name.
    pub fn actor(&self) -> Actor {
        Actor {
            moderator_id: self.0.id,
            name: self.0.name.clone(),
        }
    }

    /// 403 unless the moderator may act on `site`.
    pub fn require_site(&self, site: &str) -> Result<(), ApiError> {
        if self.0.grants.allows(site) {
            Ok(())
        } else {
            Err(ApiError::coded(ErrorCode::SiteNotGranted)
                .with_message(format!("you are not a moderator of site `{site}`")))
        }
    }
}

/// An authenticated admin: a moderator of every site who may also use the admin API.
#[derive(Debug, Clone)]
pub struct Admin(pub Moderator);

/// The bearer token of a request: `Ok(None)` without `Authorization`, `Err(())` when the
/// header is not `Bearer <token>`.
fn bearer(req: &HttpRequest) -> Result<Option<String>, ()> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .map(|token| Some(token.to_owned()))
        .ok_or(())
}

/// One authentication attempt from a client IP: turns refusals into 429 once the IP is
/// over the failed-authentication limit, counting each failure. The limit is asked only
/// when the request has no valid credential, so a valid one never waits for it.
pub(super) struct Gate<'a> {
    failures: &'a AuthFailures,
    ip: IpAddr,
}

impl<'a> Gate<'a> {
    pub(super) fn new(req: &HttpRequest, state: &'a AppState) -> Result<Gate<'a>, ApiError> {
        let peer = req
            .peer_addr()
            .map(|a| a.ip())
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("request without a peer address")))?;
        let ip = client_ip::resolve(peer, req.headers(), &state.trusted_proxies);
        Ok(Gate {
            failures: &state.auth_failures,
            ip,
        })
    }

    /// A credential was presented and is not valid: counted; `err`, or 429 over the limit
    /// (a locked-out IP's failures are still counted, and answered 429).
    pub(super) async fn refuse(&self, err: ApiError) -> ApiError {
        match self.failures.failed(self.ip).await {
            Lockout::Counted => err,
            Lockout::LockedNow(wait) => {
                tracing::warn!(client_ip = %self.ip, "moderator authentication failures over the limit; locked out");
                ApiError::AuthRateLimited {
                    retry_after_secs: retry_after_secs(wait),
                }
            }
            Lockout::StillLocked(wait) => ApiError::AuthRateLimited {
                retry_after_secs: retry_after_secs(wait),
            },
        }
    }

    /// No credential at all: not counted; 401, or 429 while the IP is locked out.
    async fn missing(&self) -> ApiError {
        match self.failures.locked(self.ip).await {
            Some(wait) => ApiError::AuthRateLimited {
                retry_after_secs: retry_after_secs(wait),
            },
            None => ApiError::coded(ErrorCode::MissingToken),
        }
    }
}

/// The refusal of an unknown, revoked or malformed token.
pub(super) fn invalid_token() -> ApiError {
    ApiError::coded(ErrorCode::InvalidToken)
}

/// Methods that change nothing: a session needs no CSRF token for them.
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

async fn authenticate(req: HttpRequest) -> Result<Moderator, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("AppState is not registered")))?;
    let gate = Gate::new(&req, state)?;
    let token = match bearer(&req) {
        Ok(Some(token)) => token,
        Ok(None) => {
            return match session::cookie_value(&req, &state.sessions) {
                Some(raw) => by_session(&req, state, &gate, &raw).await,
                None => Err(gate.missing().await),
            }
        }
        Err(()) => return Err(gate.refuse(invalid_token()).await),
    };
    match state
        .store
        .moderator_by_token(TokenHash::of(&token))
        .await?
    {
        Some(record) => Ok(Moderator(record, Credential::Token)),
        None => Err(gate.refuse(invalid_token()).await),
    }
}

/// A request carrying the session cookie: the session must be active, and a request that
/// changes something must carry the session's CSRF token.
async fn by_session(
    req: &HttpRequest,
    state: &AppState,
    gate: &Gate<'_>,
    raw: &str,
) -> Result<Moderator, ApiError> {
    let expired = || ApiError::coded(ErrorCode::SessionExpired);
    let Some(secret) = SessionSecret::parse(raw) else {
        return Err(gate.refuse(expired()).await);
    };
    let Some(session) = state.store.session(secret.hash()).await? else {
        return Err(gate.refuse(expired()).await);
    };
    if !is_safe(req.method()) {
        let presented = req
            .headers()
            .get(session::CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty());
        match presented {
            None => {
                return Err(
                    ApiError::coded(ErrorCode::CsrfTokenMissing).with_message(format!(
                        "a signed-in request that changes something needs the session's \
                         CSRF token in the {} header",
                        session::CSRF_HEADER
                    )),
                )
            }
            Some(token) if !secret.accepts_csrf(token) => {
                return Err(
                    ApiError::coded(ErrorCode::CsrfTokenInvalid).with_message(format!(
                        "the {} header is not this session's CSRF token",
                        session::CSRF_HEADER
                    )),
                )
            }
            Some(_) => {}
        }
    }
    Ok(Moderator(
        session.moderator,
        Credential::Session {
            secret,
            expires_at: session.expires_at,
        },
    ))
}

/// Middleware for the review and admin routes: authenticates the request before any of
/// its handler's extractors runs, so a caller without valid credentials gets the 401 (or
/// 403, 429) whatever its path, query or body — an extractor that fails at once (a
/// malformed body) would otherwise answer first, while the credential lookup is still
/// waiting for the database. The [`Moderator`] it found is kept in the request for the
/// handler's extractor.
pub async fn authenticated(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    match authenticate(req.request().clone()).await {
        Ok(moderator) => {
            req.extensions_mut().insert(moderator);
            Ok(next.call(req).await?.map_into_left_body())
        }
        Err(err) => Ok(req.error_response(err).map_into_right_body()),
    }
}

/// The moderator the [`authenticated`] middleware found, else a fresh authentication.
async fn moderator_of(req: HttpRequest) -> Result<Moderator, ApiError> {
    let found = req.extensions().get::<Moderator>().cloned();
    match found {
        Some(moderator) => Ok(moderator),
        None => authenticate(req).await,
    }
}

impl FromRequest for Moderator {
    type Error = ApiError;
    type Future = BoxFuture<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(moderator_of(req.clone()))
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = BoxFuture<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let moderator = moderator_of(req).await?;
            if moderator.0.is_admin {
                Ok(Admin(moderator))
            } else {
                Err(ApiError::coded(ErrorCode::AdminOnly))
            }
        })
    }
}
