//! `GET /api/v1/form-token?site=ID`: a signed timestamp for a comment form being rendered.
//!
//! The page puts `token` in a hidden `form_token` input (and leaves the honeypot input
//! named `honeypot_field` empty and hidden). See [`crate::pipeline::form_token`].
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};

#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    site: Option<String>,
}

#[derive(Serialize)]
struct TokenResponse<'a> {
    token: String,
    /// The form field to send the token in.
    field: &'static str,
    /// The site's honeypot field: render it hidden and empty.
    honeypot_field: &'a str,
    /// Forms sent sooner than this after the token was issued are held.
    min_seconds: u64,
}

/// `GET /api/v1/form-token`
pub async fn issue(
    query: web::Query<TokenQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let site = state.sites.resolve(query.site.as_deref())?;
    let now = super::comments::now_millis();
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
