//! The numbers beside the queue: comments of a status per site and per reason.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/api/v1/review/counts` | comments of a status on each site and for each reason |
//!
//! The review page shows them as filters and polls them, so the totals follow every
//! decision, by anyone.
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::moderator_auth::Moderator;
use super::review::granted_sites;
use super::{review_words, ApiError, AppState};
use crate::domain::{ReasonCode, Status, ValidationCode, ValidationError};

/// Registers the route (inside the `/review` scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/counts").route(web::get().to(counts)));
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountsParams {
    /// `pending` (default), `published`, `rejected` or `reported`.
    status: Option<String>,
    /// One site (default: every site the moderator is granted).
    site: Option<String>,
}

/// One site's count.
#[derive(Serialize, ToSchema)]
pub struct SiteCount {
    site: String,
    count: u64,
}

/// How many comments carry one reason.
#[derive(Serialize, ToSchema)]
pub struct ReasonCount {
    /// A reason code, or `reported` (readers reported it at least once).
    code: String,
    /// In words a journalist understands.
    summary: &'static str,
    count: u64,
}

/// The counts of one status.
#[derive(Serialize, ToSchema)]
pub struct CountsView {
    status: Status,
    total: u64,
    /// Every site asked for, sorted, zeros included.
    sites: Vec<SiteCount>,
    /// The reasons present, most frequent first, then `reported` if any were reported.
    reasons: Vec<ReasonCount>,
}

/// `GET /api/v1/review/counts?status=&site=`
#[utoipa::path(get, path = "/api/v1/review/counts", tag = "review",
    params(CountsParams),
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "The counts", body = CountsView),
        (status = 401, description = "No valid moderator token", body = ErrorBody),
        (status = 403, description = "`SITE_NOT_GRANTED`", body = ErrorBody),
        (status = 422, description = "A bad status; `UNKNOWN_SITE`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "review_counts", skip_all, fields(moderator = %moderator.name()))]
pub async fn counts(
    moderator: Moderator,
    params: web::Query<CountsParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let status = match params.status.as_deref().map(str::trim) {
        None | Some("") => Status::Pending,
        Some(raw) => raw.parse().map_err(|_| {
            ValidationError::new(
                "status",
                ValidationCode::InvalidStatus,
                "status must be pending, published, rejected or reported",
            )
        })?,
    };
    let sites = granted_sites(&state, &moderator, params.site.as_deref())?;
    let counts = state.store.queue_counts(status, sites).await?;
    let mut reasons: Vec<ReasonCount> = counts
        .reasons
        .iter()
        // `reported` as a filter means "readers reported it", counted below.
        .filter(|(code, _)| *code != ReasonCode::Reported)
        .map(|(code, n)| ReasonCount {
            code: code.as_str().to_owned(),
            summary: review_words::summary(*code),
            count: *n,
        })
        .collect();
    if counts.reported > 0 {
        reasons.push(ReasonCount {
            code: "reported".into(),
            summary: "Readers reported it",
            count: counts.reported,
        });
    }
    Ok(HttpResponse::Ok().json(CountsView {
        status,
        total: counts.total,
        sites: counts
            .sites
            .into_iter()
            .map(|(site, count)| SiteCount { site, count })
            .collect(),
        reasons,
    }))
}
