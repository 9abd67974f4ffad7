//! The admin API: operating the running service. Every route takes an [`Admin`] token
//! (`commentguard moderator add NAME --admin`).
//!
//! | method | path | what |
//! |---|---|---|
//! | POST | `/api/v1/admin/reload-models` | load the models directory and switch to it (same as `SIGHUP`) |
//! | GET | `/api/v1/admin/models` | which models are in service |
//! | POST | `/api/v1/admin/erase` | erase one commenter, by e-mail, on every site (right to erasure) |
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
            .route("/models", web::get().to(models))
            .route("/erase", web::post().to(erase)),
    );
}

/// The body of `POST /api/v1/admin/erase`.
#[derive(Debug, serde::Deserialize)]
pub struct EraseBody {
    author_email: Option<String>,
}

/// `POST /api/v1/admin/erase` `{"author_email": "..."}`: deletes every comment written with
/// that address on every site, with what hangs off them, and the bans naming it (the same
/// as `commentguard forget`); answers what was done.
#[tracing::instrument(name = "admin_erase", skip_all, fields(admin = %admin.0.name()))]
pub async fn erase(
    admin: Admin,
    state: web::Data<AppState>,
    body: web::Json<EraseBody>,
) -> Result<HttpResponse, ApiError> {
    let raw = body.author_email.as_deref().ok_or_else(|| {
        crate::domain::ValidationError::new(
            "author_email",
            "REQUIRED",
            "author_email is the address to erase",
        )
    })?;
    let email = crate::domain::AuthorEmail::parse(raw)?;
    let report = state.store.erase_author(email.as_str().to_owned()).await?;
    tracing::info!(
        comments_deleted = report.comments_deleted,
        bans_deleted = report.bans_deleted,
        "a commenter's data was erased"
    );
    Ok(HttpResponse::Ok().json(json!({
        "status": "erased",
        "report": report,
    })))
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
