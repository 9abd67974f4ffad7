//! `GET /api/v1/sites/{site}/articles/counts?ids=a,b,c`: how many published comments each
//! article has, for a list of headlines ("12 comments"). CORS like the listing: the site's
//! own origins.
//!
//! `ids` is a comma-separated list of article ids (so an id containing a comma cannot be
//! counted here; its listing still works). Repeated ids are counted once; the answer maps
//! each id to its count, `0` for an article nobody has commented on (or that does not
//! exist: the service does not know a site's articles, only their comments), and lists
//! which of them are `closed` to new comments (a site rule), so a list of headlines can
//! say "comments closed".
use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::domain::{ArticleId, ValidationCode, ValidationError};

/// Most article ids in one request.
pub const MAX_IDS: usize = 100;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountsQuery {
    /// Article ids, comma-separated (at most 100).
    ids: Option<String>,
}

/// The answer: each requested article id with its number of published comments.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Counts {
    site: String,
    counts: BTreeMap<String, u64>,
    /// The requested articles that are closed to new comments, in the order asked.
    closed: Vec<String>,
}

/// The distinct article ids of `raw`, in first-seen order.
fn parse_ids(raw: Option<&str>) -> Result<Vec<ArticleId>, ApiError> {
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ValidationError::new(
                "ids",
                ValidationCode::Required,
                "ids is required: article ids, comma-separated",
            )
        })?;
    let mut ids: Vec<ArticleId> = Vec::new();
    for part in raw.split(',') {
        let id = ArticleId::parse(part).map_err(|e| ValidationError {
            field: "ids",
            message: format!("ids: {}", e.message),
            ..e
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_IDS {
        return Err(ValidationError::new(
            "ids",
            ValidationCode::TooMany,
            format!("ids may name at most {MAX_IDS} articles"),
        )
        .into());
    }
    Ok(ids)
}

/// `GET /api/v1/sites/{site}/articles/counts?ids=`
#[utoipa::path(get, path = "/api/v1/sites/{site}/articles/counts", tag = "comments",
    params(("site" = String, Path, description = "The site id"), CountsQuery),
    responses(
        (status = 200, description = "Published comments per article", body = Counts),
        (status = 400, description = "A malformed query", body = super::error::ErrorBody),
        (status = 404, description = "`SITE_NOT_FOUND`", body = super::error::ErrorBody),
        (status = 422, description = "No `ids`, a bad id, or more than 100", body = super::error::ErrorBody),
    ))]
#[tracing::instrument(name = "comment_counts", skip_all, fields(site = %site))]
pub async fn counts(
    site: web::Path<String>,
    query: web::Query<CountsQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let site = super::site_in_path(&state, &site)?;
    let ids = parse_ids(query.ids.as_deref())?;
    let rules = site.rules();
    let closed = ids
        .iter()
        .map(ArticleId::as_str)
        .filter(|id| rules.is_closed(id))
        .map(str::to_owned)
        .collect();
    let numbers = state
        .store
        .published_counts(site.id.clone(), ids.clone())
        .await?;
    let counts = ids
        .into_iter()
        .map(|id| id.as_str().to_owned())
        .zip(numbers)
        .collect();
    Ok(HttpResponse::Ok().json(Counts {
        site: site.id.to_string(),
        counts,
        closed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids are split on commas, trimmed and de-duplicated; none, blanks and too many are refused.
    #[test]
    fn ids() {
        let ids = parse_ids(Some("a, 2024/05/b ,a")).unwrap();
        let ids: Vec<&str> = ids.iter().map(ArticleId::as_str).collect();
        assert_eq!(ids, ["a", "2024/05/b"]);
        for bad in [None, Some(""), Some("a,,b")] {
            let err = parse_ids(bad).unwrap_err();
            assert_eq!(err.status_and_code().0.as_u16(), 422, "{bad:?}");
        }
        let many: Vec<String> = (0..=MAX_IDS).map(|i| i.to_string()).collect();
        let err = parse_ids(Some(&many.join(","))).unwrap_err();
        assert_eq!(err.status_and_code().1, "TOO_MANY");
    }
}
