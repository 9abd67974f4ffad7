//! Authors for moderators: one author's record, recent comments and bans (the author view
//! the review page opens from a card), and the list of bans.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/api/v1/review/authors` | an author on a site: record, latest comments, bans |
//! | GET | `/api/v1/review/authors/bans` | the bans in force (or all) on the moderator's sites |
//!
//! Banning and lifting bans are `POST /api/v1/review/authors/ban` and `…/unban`
//! ([`super::review`]).
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::moderator_auth::Moderator;
use super::review::{author_on_site, granted_sites};
use super::{ApiError, AppState};
use crate::domain::BanTarget;
use crate::store::{AuthorComment, AuthorHistory, BanEntry};

/// Registers the routes (inside the `/review` scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/authors").route(web::get().to(author)))
        .service(web::resource("/authors/bans").route(web::get().to(bans)));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorParams {
    /// The site (optional when the instance serves one).
    site: Option<String>,
    /// The author by e-mail …
    author_email: Option<String>,
    /// … or by IP address (one of the two).
    client_ip: Option<String>,
}

/// An author on a site.
#[derive(Serialize, ToSchema)]
pub struct AuthorDetailView {
    site: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    author_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_ip: Option<String>,
    history: AuthorHistory,
    /// Their latest comments on the site (any status), newest first, at most 20.
    comments: Vec<AuthorComment>,
    /// Their bans on the site, newest first; `active` says which is in force.
    bans: Vec<BanEntry>,
}

/// `GET /api/v1/review/authors?site=&author_email=|client_ip=`
#[utoipa::path(get, path = "/api/v1/review/authors", tag = "review",
    params(AuthorParams),
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "The author", body = AuthorDetailView),
        (status = 401, description = "No valid moderator token", body = ErrorBody),
        (status = 403, description = "`SITE_NOT_GRANTED`", body = ErrorBody),
        (status = 422, description = "A missing or bad author; `UNKNOWN_SITE`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "review_author", skip_all, fields(moderator = %moderator.name()))]
pub async fn author(
    moderator: Moderator,
    params: web::Query<AuthorParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (site, target) = author_on_site(
        &state,
        &moderator,
        params.site.as_deref(),
        params.author_email.as_deref(),
        params.client_ip.as_deref(),
    )?;
    let view = state.store.author(site.id.clone(), target.clone()).await?;
    let (author_email, client_ip) = match &target {
        BanTarget::Email(_) => (Some(target.key()), None),
        BanTarget::Ip(_) => (None, Some(target.key())),
    };
    Ok(HttpResponse::Ok().json(AuthorDetailView {
        site: site.id.as_str().to_owned(),
        author_email,
        client_ip,
        history: view.history,
        comments: view.comments,
        bans: view.bans,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BansParams {
    /// One site (default: every site the moderator is granted).
    site: Option<String>,
    /// `true`: lifted and expired bans too (default: only those in force).
    all: Option<bool>,
}

/// Bans, newest first.
#[derive(Serialize, ToSchema)]
pub struct BansView {
    /// At most 500.
    bans: Vec<BanEntry>,
}

/// `GET /api/v1/review/authors/bans?site=&all=`
#[utoipa::path(get, path = "/api/v1/review/authors/bans", tag = "review",
    params(BansParams),
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "The bans", body = BansView),
        (status = 400, description = "`INVALID_QUERY`", body = ErrorBody),
        (status = 401, description = "No valid moderator token", body = ErrorBody),
        (status = 403, description = "`SITE_NOT_GRANTED`", body = ErrorBody),
        (status = 422, description = "`UNKNOWN_SITE`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "review_bans", skip_all, fields(moderator = %moderator.name()))]
pub async fn bans(
    moderator: Moderator,
    params: web::Query<BansParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let sites = granted_sites(&state, &moderator, params.site.as_deref())?;
    let bans = state.store.bans(sites, params.all.unwrap_or(false)).await?;
    Ok(HttpResponse::Ok().json(BansView { bans }))
}
