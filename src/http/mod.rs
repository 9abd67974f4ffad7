//! The HTTP API: one file per resource, one error type, the shared application state.
//!
//! # Routes
//! | method | path | handler |
//! |---|---|---|
//! | POST | `/api/v1/comments` | [`comments::submit`] |
//! | GET | `/api/v1/comments/{id}` | [`comments::get_one`] |
//! | POST | `/api/v1/comments/{id}/report` | [`reports::report`] |
//! | GET | `/api/v1/sites/{site}/articles/{article_id}/comments` | [`articles::list`] |
//! | GET | `/api/v1/sites/{site}/articles/counts?ids=` | [`counts::counts`] |
//! | GET | `/api/v1/form-token` | [`form_token::issue`] |
//! | GET | `/healthz`, `/readyz` | [`health`] |
//! | GET | `/api/v1/openapi.json` | [`openapi`] (this table, as OpenAPI 3.1) |
//! | GET | `/metrics` | [`metrics`] (Prometheus) |
//! | POST, GET, DELETE | `/api/v1/session` | [`session`] (the review page's sign-in) |
//! | GET, POST | `/api/v1/review…` | [`review`] (moderators: queue, decisions, bans) |
//! | POST, GET | `/api/v1/admin/…` | [`admin`] (admins: model reload) |
//! | GET, POST | `/api/v1/admin/sites/{site}/rules` | [`rules`] (admins: site rules at run time) |
//! | GET | `/review` | [`review_page`] (the moderators' page) |
//! | GET | `/embed.js`, `/embed.css` | [`embed`] (drop-in comments for article pages) |
//!
//! # Layout
//! - [`error`] — [`ApiError`], [`ErrorCode`] (every code with its one status; the README's
//!   table is generated from it) and the JSON fallback for errors actix produces itself.
//! - [`paging`] — page sizes and cursors, the same for every listing.
//! - [`auth`] — the site-key extractor. [`client_ip`] — who the client is behind proxies.
//! - [`moderator_auth`] — the moderator and admin extractors (token or session cookie,
//!   CSRF), failed-auth limits; [`session`] — signing in and out.
//! - [`fields`] — decoding JSON and form bodies into named fields.
//! - [`cors`] — per-site CORS.
//! - [`review`] — the review routes and what they share; [`review_queue`],
//!   [`review_decisions`], [`review_bans`], [`review_undo`], [`review_authors`],
//!   [`review_counts`] — one concern each.
//! - [`review_views`] — the review API's answers, typed for the OpenAPI document;
//!   [`review_words`] — reasons in plain words.
//! - [`form_page`] — HTML answers to browsers' plain form posts (no JavaScript).
//! - [`hints`] — errors and warnings that tell an integrator what to fix.
//! - [`access_log`] — the request id, one log line and the metrics of each request.
pub mod access_log;
pub mod admin;
pub mod articles;
pub mod auth;
pub mod client_ip;
pub mod comments;
pub mod cors;
pub mod counts;
pub mod embed;
pub mod error;
pub mod fields;
pub mod form_page;
pub mod form_token;
pub mod health;
pub mod hints;
pub mod metrics;
pub mod moderator_auth;
pub mod openapi;
pub mod paging;
pub mod reports;
pub mod review;
pub mod review_authors;
pub mod review_bans;
pub mod review_counts;
pub mod review_decisions;
pub mod review_page;
pub mod review_queue;
pub mod review_undo;
pub mod review_views;
pub mod review_words;
pub mod rules;
pub mod session;

use std::sync::Arc;

use actix_web::{web, HttpRequest};
use arc_swap::ArcSwap;

pub use error::{ApiError, ErrorCode};

use crate::classifier::Classifier;
use crate::domain::{IpNet, Sites};
use crate::pipeline::FormTokens;
use crate::ratelimit::RateLimiters;
use crate::store::Store;

/// What every handler can reach; one instance shared by all workers.
pub struct AppState {
    pub sites: Arc<Sites>,
    pub store: Store,
    /// The models in service; swapped whole on reload, never mutated.
    pub classifier: Arc<ArcSwap<Classifier>>,
    pub limiters: Arc<RateLimiters>,
    pub form_tokens: FormTokens,
    pub trusted_proxies: Arc<[IpNet]>,
    /// Failed moderator authentications per client IP (see [`moderator_auth`]).
    pub auth_failures: Arc<moderator_auth::AuthFailures>,
    /// Reloads the models in `classifier` (models directory, installed model sets).
    pub models: Arc<crate::reload::ModelReloader>,
    /// Moderators' browser sessions (cookie and lifetime).
    pub sessions: crate::config::SessionConfig,
    /// The time every timed decision reads (the wall clock, or a test's).
    pub clock: crate::clock::Clock,
}

impl AppState {
    /// The model thresholds in force for `site` now: its rules over the models in service
    /// ([`crate::pipeline::ModelThresholds::resolve`]). The one place the HTTP layer resolves them, except
    /// a submission, which judges and resolves with one snapshot of the models.
    pub(crate) fn thresholds(
        &self,
        site: &crate::domain::Site,
    ) -> crate::pipeline::ModelThresholds {
        let classifier = self.classifier.load();
        crate::pipeline::ModelThresholds::resolve(site, &classifier)
    }
}

/// Registers every route and the extractor error handlers.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::coded(ErrorCode::InvalidQuery)
            .with_message(err.to_string())
            .into()
    }))
    .app_data(web::PathConfig::default().error_handler(|err, _req| {
        ApiError::coded(ErrorCode::NotFound)
            .with_message(format!("no such resource: {err}"))
            .into()
    }))
    .service(web::resource("/healthz").route(web::get().to(health::healthz)))
    .service(web::resource("/readyz").route(web::get().to(health::readyz)))
    .service(web::resource("/metrics").route(web::get().to(metrics::scrape)))
    .service(
        web::scope("/api/v1")
            .service(web::resource("/comments").route(web::post().to(comments::submit)))
            .service(web::resource("/comments/{id}").route(web::get().to(comments::get_one)))
            .service(web::resource("/comments/{id}/report").route(web::post().to(reports::report)))
            .service(
                web::resource("/sites/{site}/articles/counts").route(web::get().to(counts::counts)),
            )
            .service(
                web::resource("/sites/{site}/articles/{article_id}/comments")
                    .route(web::get().to(articles::list)),
            )
            .service(web::resource("/form-token").route(web::get().to(form_token::issue)))
            .service(web::resource("/openapi.json").route(web::get().to(openapi::document)))
            .configure(session::routes)
            .configure(review::routes)
            // Before the `/admin` scope, which would answer 404 for its path.
            .configure(rules::routes)
            .configure(admin::routes),
    )
    .configure(review_page::routes)
    .configure(embed::routes);
}

/// The site a path names (`/sites/{site}/…`), or `404 SITE_NOT_FOUND`.
pub(crate) fn site_in_path<'a>(
    state: &'a AppState,
    id: &str,
) -> Result<&'a std::sync::Arc<crate::domain::Site>, ApiError> {
    state.sites.get(id).ok_or_else(|| {
        ApiError::coded(ErrorCode::SiteNotFound)
            .with_message(format!("no site `{id}` on this instance"))
    })
}

/// The answer for routes that do not exist.
pub async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::coded(ErrorCode::NotFound).with_message(format!("no route for {}", req.path())))
}
