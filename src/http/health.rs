//! `GET /healthz` (the process answers) and `GET /readyz` (it can do its job: the database
//! answers, the writer runs, models are loaded). `/readyz` also names the models in
//! service (`model_identity`, see [`crate::reload::ModelsIdentity`]) and where they came
//! from (`model_set`: the models directory, or the installed set's version), so a deploy
//! can check that a reload or an install took effect on every instance.
use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiError, AppState};
use crate::reload::{ModelSetStatus, ModelsIdentity};

/// `GET /healthz`'s answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    status: &'static str,
}

/// `GET /readyz`'s answer.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    /// `ready`.
    status: &'static str,
    /// `ok`.
    database: &'static str,
    /// `ok`.
    models: &'static str,
    /// The models in service (`null` if they cannot be described).
    model_identity: Option<ModelsIdentity>,
    /// Where they came from: the models directory or an installed model set (`null` if
    /// they were put in service from outside the service's own reloads).
    model_set: Option<ModelSetStatus>,
}

/// Liveness: no dependencies checked, so a slow disk never gets the process restarted.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process answers", body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: 200 when comments can be taken, 503 otherwise.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Comments can be taken", body = Ready),
    (status = 503, description = "The database is not available", body = super::error::ErrorBody),
))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if let Err(err) = state.store.ping().await {
        tracing::warn!(error = %err, "not ready: database");
        return Err(ApiError::Unavailable("the database is not available"));
    }
    // The classifier is loaded before the server starts and swapped only for a loaded one,
    // so holding one means models are ready.
    let model_identity = match state.models.identity().await {
        Ok(identity) => Some((*identity).clone()),
        Err(err) => {
            tracing::warn!(error = %err, "cannot describe the models");
            None
        }
    };
    Ok(HttpResponse::Ok().json(Ready {
        status: "ready",
        database: "ok",
        models: "ok",
        model_identity,
        model_set: state.models.status(),
    }))
}
