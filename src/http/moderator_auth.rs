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
//! Successful requests are never counted.
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::{client_ip, session, ApiError, AppState, ErrorCode};
use crate::clock::retry_after_secs;
use crate::domain::{SessionSecret, TokenHash};
use crate::ratelimit::ip_key;
use crate::store::{Actor, ModeratorRecord, SiteGrants};

/// A boxed future; actix extractors run on one worker thread, so it need not be `Send`.
type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T>>>;

/// Failed authentications one client IP may make in a row.
pub const FAILURE_BURST: u32 = 10;
/// How fast that allowance refills.
pub const FAILURES_PER_MINUTE: u32 = 10;

/// Counts failed authentications per client IP and locks out IPs over the limit.
pub struct AuthFailures {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// IPs over the limit, and until when.
    locked: Mutex<HashMap<IpAddr, Instant>>,
    clock: DefaultClock,
}

impl Default for AuthFailures {
    fn default() -> Self {
        Self::new()
    }
}

impl AuthFailures {
    pub fn new() -> Self {
        // Both constants are non-zero.
        let quota =
            Quota::per_minute(NonZeroU32::new(FAILURES_PER_MINUTE).unwrap_or(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::new(FAILURE_BURST).unwrap_or(NonZeroU32::MIN));
        AuthFailures {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            locked: Mutex::new(HashMap::new()),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(wait)` while `ip` is locked out.
    pub fn check(&self, ip: IpAddr) -> Result<(), Duration> {
        let key = ip_key(ip);
        let locked = self.locked.lock().unwrap_or_else(|e| e.into_inner());
        match locked.get(&key) {
            Some(until) => match until.checked_duration_since(Instant::now()) {
                Some(wait) if !wait.is_zero() => Err(wait),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// Counts a failure from `ip`; `Some(wait)` when that one went over the limit (the IP
    /// is now locked out for `wait`).
    pub fn failed(&self, ip: IpAddr) -> Option<Duration> {
        let key = ip_key(ip);
        match self.limiter.check_key(&key) {
            Ok(()) => None,
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                self.locked
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, Instant::now() + wait);
                Some(wait)
            }
        }
    }

    /// Forgets recovered IPs (run with the other limiters' pruning).
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        let now = Instant::now();
        self.locked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, until| *until > now);
    }
}

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
/// over the failed-authentication limit, counting each failure.
pub(super) struct Gate<'a> {
    failures: &'a AuthFailures,
    ip: IpAddr,
    locked_out: Option<Duration>,
}

impl<'a> Gate<'a> {
    pub(super) fn new(req: &HttpRequest, state: &'a AppState) -> Result<Gate<'a>, ApiError> {
        let peer = req
            .peer_addr()
            .map(|a| a.ip())
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("request without a peer address")))?;
        let ip = client_ip::resolve(peer, req.headers(), &state.trusted_proxies);
        let failures = &state.auth_failures;
        Ok(Gate {
            failures,
            ip,
            locked_out: failures.check(ip).err(),
        })
    }

    /// A credential was presented and is not valid: counted; `err`, or 429 over the limit.
    pub(super) fn refuse(&self, err: ApiError) -> ApiError {
        if let Some(wait) = self.locked_out {
            // Still counted, and answered like every request from a locked-out IP.
            self.failures.failed(self.ip);
            return ApiError::AuthRateLimited {
                retry_after_secs: retry_after_secs(wait),
            };
        }
        match self.failures.failed(self.ip) {
            Some(wait) => {
                tracing::warn!(client_ip = %self.ip, "moderator authentication failures over the limit; locked out");
                ApiError::AuthRateLimited {
                    retry_after_secs: retry_after_secs(wait),
                }
            }
            None => err,
        }
    }

    /// No credential at all: not counted; 401, or 429 while the IP is locked out.
    fn missing(&self) -> ApiError {
        match self.locked_out {
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
                None => Err(gate.missing()),
            }
        }
        Err(()) => return Err(gate.refuse(invalid_token())),
    };
    match state
        .store
        .moderator_by_token(TokenHash::of(&token))
        .await?
    {
        Some(record) => Ok(Moderator(record, Credential::Token)),
        None => Err(gate.refuse(invalid_token())),
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
        return Err(gate.refuse(expired()));
    };
    let Some(session) = state.store.session(secret.hash()).await? else {
        return Err(gate.refuse(expired()));
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of failures is allowed; the next one locks the IP out, other IPs are free.
    #[test]
    fn failures_lock_out_after_the_burst() {
        let f = AuthFailures::new();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for i in 0..FAILURE_BURST {
            assert_eq!(f.failed(ip), None, "failure {i}");
            assert!(f.check(ip).is_ok());
        }
        let wait = f.failed(ip).expect("over the limit");
        assert!(wait <= Duration::from_secs(6), "{wait:?}");
        assert!(f.check(ip).is_err(), "locked out");
        assert!(f.check("192.0.2.2".parse().unwrap()).is_ok());
        assert_eq!(retry_after_secs(Duration::from_millis(5_100)), 6);
    }
}
