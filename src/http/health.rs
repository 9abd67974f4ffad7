//! `GET /healthz` (the process answers) and `GET /readyz` (it can do its job: the database
//! answers, the writer runs, models are loaded). `/readyz` also names the models in
//! service (`model_identity`, see [`crate::reload::ModelsIdentity`]), so a deploy can
//! check that a reload took effect.
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::{ApiError, AppState};

/// Liveness: no dependencies checked, so a slow disk never gets the process restarted.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: 200 when comments can be taken, 503 otherwise.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if let Err(err) = state.store.ping().await {
        tracing::warn!(error = %err, "not ready: database");
        return Err(ApiError::Unavailable("the database is not available"));
    }
    // The classifier is loaded before the server starts and swapped only for a loaded one,
    // so holding one means models are ready.
    let identity = match state.models.identity().await {
        Ok(identity) => json!(*identity),
        Err(err) => {
            tracing::warn!(error = %err, "cannot describe the models");
            serde_json::Value::Null
        }
    };
    Ok(HttpResponse::Ok().json(json!({
        "status": "ready",
        "database": "ok",
        "models": "ok",
        "model_identity": identity,
    })))
}
