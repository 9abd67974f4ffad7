//! The admin API: operating the running service. Every route takes an [`Admin`] token
//! (`commentguard moderator add NAME --admin`).
//!
//! | method | path | what |
//! |---|---|---|
//! | POST | `/api/v1/admin/reload-models` | load the models directory and switch to it (same as `SIGHUP`) |
//! | GET | `/api/v1/admin/models` | which models are in service |
//!
//! A refused reload (a missing, truncated or incompatible model file) answers 422
//! `MODELS_REFUSED` naming the file, and the models in service keep serving.
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::moderator_auth::Admin;
use super::{ApiError, AppState};
use crate::reload::ReloadError;

/// Registers the admin routes (inside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .route("/reload-models", web::post().to(reload_models))
            .route("/models", web::get().to(models)),
    );
}

fn api_error(err: ReloadError) -> ApiError {
    match err {
        ReloadError::Refused(refused) => ApiError::ModelsRefused(refused.to_string()),
        other => ApiError::Internal(anyhow::Error::new(other)),
    }
}

/// `POST /api/v1/admin/reload-models`: 200 with the identity of the models now serving.
#[tracing::instrument(name = "admin_reload_models", skip_all, fields(admin = %admin.0.name()))]
pub async fn reload_models(
    state: web::Data<AppState>,
    admin: Admin,
) -> Result<HttpResponse, ApiError> {
    match state.models.reload().await {
        Ok(identity) => Ok(HttpResponse::Ok().json(json!({
            "status": "reloaded",
            "models": *identity,
        }))),
        Err(err) => {
            tracing::warn!(error = %err, "model reload refused; the previous models keep serving");
            Err(api_error(err))
        }
    }
}

/// `GET /api/v1/admin/models`: the identity of the models in service and where they are
/// reloaded from.
pub async fn models(state: web::Data<AppState>, _admin: Admin) -> Result<HttpResponse, ApiError> {
    let identity = state.models.identity().await.map_err(api_error)?;
    Ok(HttpResponse::Ok().json(json!({
        "dir": state.models.dir(),
        "models": *identity,
    })))
}
