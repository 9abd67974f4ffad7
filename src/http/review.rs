//! The review API: moderators list held comments, inspect one, decide, ban authors.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/api/v1/review` | the queue: filters, order, keyset pages, total ([`super::review_queue`]) |
//! | GET | `/api/v1/review/{id}` | one comment with its audit log ([`super::review_decisions`]) |
//! | POST | `/api/v1/review/{id}/decision` | approve / reject one comment ([`super::review_decisions`]) |
//! | POST | `/api/v1/review/decisions` | up to 500 decisions, one result each ([`super::review_decisions`]) |
//! | POST | `/api/v1/review/{id}/undo` | undo one's own latest decision ([`super::review_undo`]) |
//! | POST | `/api/v1/review/authors/ban` | ban an author, optionally rejecting their comments ([`super::review_bans`]) |
//! | POST | `/api/v1/review/authors/unban` | lift an author's bans ([`super::review_bans`]) |
//! | GET | `/api/v1/review/authors`, `…/authors/bans` | an author's record, the list of bans ([`super::review_authors`]) |
//! | GET | `/api/v1/review/counts` | comments per site and reason ([`super::review_counts`]) |
//!
//! This file registers them and holds what they share; the answers are typed in
//! [`super::review_views`].
//!
//! Every route is authenticated by [`super::moderator_auth::authenticated`] before its
//! handler runs (401 without a valid token or session, before the path, query or body is
//! even looked at), takes the [`Moderator`] it found, and acts only on the
//! sites the moderator is granted: naming another site is a 403, and a comment id of
//! another site is a 404, exactly like an id that does not exist. Handlers parse the request into
//! domain types, call one store method and shape the answer; the rules (versions,
//! idempotent repeats, audit rows, labels, webhook events) live in
//! [`crate::store::ReviewQueue::decide`] and [`crate::store::Authors::ban`].
use actix_web::web;

use super::moderator_auth::Moderator;
use super::review_bans::{ban, unban};
use super::review_decisions::{decide_many, decide_one, item};
use super::review_queue::queue;
use super::{hints, ApiError, AppState, ErrorCode};
use crate::domain::{BanTarget, Site, ValidationCode, ValidationError};

/// Largest JSON body of a review request (a full bulk request with notes fits).
pub(crate) const MAX_JSON_BYTES: usize = 2 * 1024 * 1024;

/// Registers the review routes (inside `/api/v1`).
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/review")
            .wrap(actix_web::middleware::from_fn(
                super::moderator_auth::authenticated,
            ))
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_JSON_BYTES)
                    .error_handler(|err, _req| {
                        ApiError::coded(ErrorCode::InvalidJson)
                            .with_message(err.to_string())
                            .into()
                    }),
            )
            // Every path is a resource, so another method is a 405 naming the allowed
            // ones (a scope's `.route()` makes the method part of the match: a 404).
            .service(web::resource("").route(web::get().to(queue)))
            .service(web::resource("/decisions").route(web::post().to(decide_many)))
            .service(web::resource("/authors/ban").route(web::post().to(ban)))
            .service(web::resource("/authors/unban").route(web::post().to(unban)))
            // Before `/{id}`, which would take `counts` and `authors` for ids.
            .configure(super::review_counts::routes)
            .configure(super::review_authors::routes)
            .configure(super::review_undo::routes)
            .service(web::resource("/{id}").route(web::get().to(item)))
            .service(web::resource("/{id}/decision").route(web::post().to(decide_one))),
    );
}

pub(crate) fn invalid(
    field: &'static str,
    code: ValidationCode,
    message: impl Into<String>,
) -> ApiError {
    ValidationError::new(field, code, message).into()
}

/// A comment that does not exist, or one of a site the moderator is not granted: the two
/// look the same, so ids are not probed.
pub(crate) fn comment_not_found() -> ApiError {
    ApiError::coded(ErrorCode::CommentNotFound)
}

/// The site and author a request names (a ban, an unban, the author view): the site
/// resolved (optional when the instance serves one; an unknown one is told the sites the
/// moderator moderates) and checked against the moderator's grants, then the author by
/// e-mail or IP.
pub(crate) fn author_on_site<'a>(
    state: &'a AppState,
    moderator: &Moderator,
    site: Option<&str>,
    email: Option<&str>,
    ip: Option<&str>,
) -> Result<(&'a Site, BanTarget), ApiError> {
    let site = state.sites.resolve(site).map_err(|e| match e.code {
        ValidationCode::UnknownSite => ValidationError {
            message: hints::unknown_site_for_moderator(&state.sites, moderator.grants()),
            ..e
        },
        _ => e,
    })?;
    moderator.require_site(site.id.as_str())?;
    Ok((site, BanTarget::parse(email, ip)?))
}

/// The one site named (checked against the moderator's grants), or every configured site
/// the moderator is granted, sorted; 403 when that is none.
pub(crate) fn granted_sites(
    state: &AppState,
    moderator: &Moderator,
    site: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let sites = match site.map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => {
            if state.sites.get(id).is_none() {
                let message = hints::unknown_site_for_moderator(&state.sites, moderator.grants());
                return Err(
                    ValidationError::new("site", ValidationCode::UnknownSite, message).into(),
                );
            }
            moderator.require_site(id)?;
            vec![id.to_owned()]
        }
        None => {
            let mut all: Vec<String> = state
                .sites
                .iter()
                .map(|s| s.id.as_str().to_owned())
                .filter(|id| moderator.grants().allows(id))
                .collect();
            all.sort_unstable();
            all
        }
    };
    if sites.is_empty() {
        return Err(ApiError::coded(ErrorCode::SiteNotGranted)
            .with_message("you are not a moderator of any site of this instance"));
    }
    Ok(sites)
}
