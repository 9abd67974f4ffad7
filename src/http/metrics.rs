//! `GET /metrics`: the Prometheus text format (see [`crate::monitoring`] for the series).
//!
//! Open like `/healthz`: it carries counts, site ids and model digests, no personal data.
//! Behind a reverse proxy, keep it internal (the snippets in `deploy/` answer 404 for it
//! from outside).
use actix_web::{web, HttpResponse};

use super::{ApiError, AppState};

/// `GET /metrics`
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "The Prometheus text format", content_type = "text/plain", body = String),
        (status = 503, description = "`UNAVAILABLE`: this process records no metrics", body = super::error::ErrorBody),
    ))]
pub async fn scrape(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let Some(handle) = crate::monitoring::install() else {
        return Err(ApiError::Unavailable(
            "metrics are not recorded in this process",
        ));
    };
    let sites: Vec<String> = state
        .sites
        .iter()
        .map(|s| s.id.as_str().to_owned())
        .collect();
    // The counts are a read; a database that cannot be read should not hide the rest.
    let (queue, backlog) = match state.store.waiting_counts(sites).await {
        Ok(counts) => counts,
        Err(err) => {
            tracing::warn!(error = %err, "metrics: cannot count the review queue");
            (Vec::new(), 0)
        }
    };
    let models = state.models.identity().await.ok();
    let model_set = state.models.status();
    let body = crate::monitoring::render(
        &handle,
        &crate::monitoring::Snapshot {
            queue,
            webhook_backlog: backlog,
            models: models.as_deref(),
            model_set: model_set.as_ref(),
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}
