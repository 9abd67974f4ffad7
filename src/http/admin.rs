//! The admin API: operating the running service. Every route takes an [`Admin`] token
//! (`commentguard moderator add NAME --admin`).
//!
//! | method | path | what |
//! |---|---|---|
//! | POST | `/api/v1/admin/reload-models` | load the models directory and switch to it (same as `SIGHUP`; on this instance, until the next `commentguard models install`) |
//! | GET | `/api/v1/admin/models` | which models are in service |
//! | POST | `/api/v1/admin/erase` | erase one commenter, by e-mail, on every site (right to erasure) |
//!
//! A refused reload (a missing, truncated or incompatible model file) answers 422
//! `MODELS_REFUSED` naming the file, and the models in service keep serving.
use std::path::PathBuf;

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::moderator_auth::Admin;
use super::{ApiError, AppState};
use crate::domain::ValidationCode;
use crate::reload::{ModelSetStatus, ModelsIdentity, ReloadError};
use crate::store::ErasureReport;

/// The answer to a successful reload.
#[derive(Serialize, ToSchema)]
pub struct Reloaded {
    /// `reloaded`.
    status: &'static str,
    /// The models now serving.
    models: ModelsIdentity,
    /// Where they came from (`files`, after this reload).
    model_set: Option<ModelSetStatus>,
}

/// The models in service and where they are reloaded from.
#[derive(Serialize, ToSchema)]
pub struct ModelsInService {
    #[schema(value_type = String)]
    dir: PathBuf,
    models: ModelsIdentity,
    /// Where they came from: the directory or an installed model set (`null` if they were
    /// put in service from outside the service's own reloads).
    model_set: Option<ModelSetStatus>,
}

/// Registers the admin routes (inside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            // Credentials before the body (see `moderator_auth::authenticated`).
            .wrap(actix_web::middleware::from_fn(
                super::moderator_auth::authenticated,
            ))
            .service(web::resource("/reload-models").route(web::post().to(reload_models)))
            .service(web::resource("/models").route(web::get().to(models)))
            .service(web::resource("/erase").route(web::post().to(erase))),
    );
}

/// The body of `POST /api/v1/admin/erase`.
#[derive(Debug, serde::Deserialize, ToSchema)]
pub struct EraseBody {
    author_email: Option<String>,
}

/// The answer to an erasure.
#[derive(Serialize, ToSchema)]
pub struct Erased {
    /// `erased`.
    status: &'static str,
    report: ErasureReport,
}

/// `POST /api/v1/admin/erase` `{"author_email": "..."}`: deletes every comment written with
/// that address on every site, with what hangs off them, and the bans naming it (the same
/// as `commentguard forget`); answers what was done.
#[utoipa::path(post, path = "/api/v1/admin/erase", tag = "admin",
    request_body = EraseBody,
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "What was erased", body = Erased),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "`REQUIRED` or an invalid `author_email`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications", body = ErrorBody),
    ))]
#[tracing::instrument(name = "admin_erase", skip_all, fields(admin = %admin.0.name()))]
pub async fn erase(
    admin: Admin,
    state: web::Data<AppState>,
    body: web::Json<EraseBody>,
) -> Result<HttpResponse, ApiError> {
    let raw = body.author_email.as_deref().ok_or_else(|| {
        crate::domain::ValidationError::new(
            "author_email",
            ValidationCode::Required,
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
    Ok(HttpResponse::Ok().json(Erased {
        status: "erased",
        report,
    }))
}

fn api_error(err: ReloadError) -> ApiError {
    match err {
        ReloadError::Refused(refused) => ApiError::ModelsRefused(refused.to_string()),
        other => ApiError::Internal(anyhow::Error::new(other)),
    }
}

/// `POST /api/v1/admin/reload-models`: 200 with the identity of the models now serving.
/// Reads the models directory even when the database holds installed model sets: an
/// override on this instance until the next install (see [`crate::reload`]).
#[utoipa::path(post, path = "/api/v1/admin/reload-models", tag = "admin",
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "The new models serve", body = Reloaded),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "`MODELS_REFUSED`: the previous models keep serving", body = ErrorBody),
        (status = 429, description = "Too many failed authentications", body = ErrorBody),
    ))]
#[tracing::instrument(name = "admin_reload_models", skip_all, fields(admin = %admin.0.name()))]
pub async fn reload_models(
    state: web::Data<AppState>,
    admin: Admin,
) -> Result<HttpResponse, ApiError> {
    match state.models.reload().await {
        Ok(identity) => Ok(HttpResponse::Ok().json(Reloaded {
            status: "reloaded",
            models: (*identity).clone(),
            model_set: state.models.status(),
        })),
        Err(err) => {
            tracing::warn!(error = %err, "model reload refused; the previous models keep serving");
            Err(api_error(err))
        }
    }
}

/// `GET /api/v1/admin/models`: the identity of the models in service and where they are
/// reloaded from.
#[utoipa::path(get, path = "/api/v1/admin/models", tag = "admin",
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "The models in service", body = ModelsInService),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 429, description = "Too many failed authentications", body = ErrorBody),
    ))]
pub async fn models(state: web::Data<AppState>, _admin: Admin) -> Result<HttpResponse, ApiError> {
    let identity = state.models.identity().await.map_err(api_error)?;
    Ok(HttpResponse::Ok().json(ModelsInService {
        dir: state.models.dir().to_path_buf(),
        models: (*identity).clone(),
        model_set: state.models.status(),
    }))
}
