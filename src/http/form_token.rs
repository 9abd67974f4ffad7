//! `GET /api/v1/form-token?site=ID`: a signed timestamp for a comment form being rendered.
//!
//! The page puts `token` in a hidden `form_token` input (and leaves the honeypot input
//! named `honeypot_field` empty and hidden). See [`crate::pipeline::form_token`].
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// The site id; optional when the instance serves one site.
    site: Option<String>,
}

/// A form token and how to send it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse<'a> {
    /// Send back as `form_token`.
    token: String,
    /// The form field to send the token in.
    field: &'static str,
    /// The site's honeypot field: render it hidden and empty.
    honeypot_field: &'a str,
    /// Forms sent sooner than this after the token was issued are held.
    min_seconds: u64,
}

/// `GET /api/v1/form-token`
#[utoipa::path(get, path = "/api/v1/form-token", tag = "comments",
    params(TokenQuery),
    responses(
        (status = 200, description = "A token for a form being rendered now", body = TokenResponse),
        (status = 400, description = "A malformed query", body = super::error::ErrorBody),
        (status = 422, description = "`UNKNOWN_SITE`, or no site on a multi-site instance", body = super::error::ErrorBody),
    ))]
pub async fn issue(
    query: web::Query<TokenQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let site = state.sites.resolve(query.site.as_deref())?;
    let now = u64::try_from(state.clock.now_millis()).unwrap_or(0);
    Ok(HttpResponse::Ok()
        // Each rendering needs its own timestamp.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            token: state.form_tokens.issue(&site.id, now),
            field: "form_token",
            honeypot_field: &site.honeypot_field,
            min_seconds: site.min_form_seconds,
        }))
}
