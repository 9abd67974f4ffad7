//! Banning authors: `POST /api/v1/review/authors/ban` (by e-mail or IP, until a time or
//! lifted, optionally rejecting the author's comments) and `…/unban`.
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::moderator_auth::Moderator;
use super::review::{author_on_site, invalid};
use super::review_views::{BanRecord, BanView, UnbanView};
use super::{ApiError, AppState};
use crate::domain::{BanTarget, Note, ValidationCode};
use crate::store::BanRequest;

/// A ban: by `author_email` or by `client_ip`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct BanBody {
    site: Option<String>,
    author_email: Option<String>,
    client_ip: Option<String>,
    #[serde(default)]
    reject_existing: bool,
    until: Option<String>,
    note: Option<String>,
}

/// Unix milliseconds of an RFC 3339 time after `now` (unix milliseconds).
fn parse_until(raw: &str, now: i64) -> Result<i64, ApiError> {
    let t = OffsetDateTime::parse(raw.trim(), &Rfc3339).map_err(|_| {
        invalid(
            "until",
            ValidationCode::InvalidTime,
            "until must be an RFC 3339 time, e.g. 2030-01-31T12:00:00Z",
        )
    })?;
    let millis = i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    if millis <= now {
        return Err(invalid(
            "until",
            ValidationCode::InThePast,
            "until must be in the future",
        ));
    }
    Ok(millis)
}

/// `POST /api/v1/review/authors/ban` `{"site", "author_email" | "client_ip",
/// "reject_existing", "until", "note"}`
#[utoipa::path(post, path = "/api/v1/review/authors/ban", tag = "review",
    request_body = BanBody,
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "Banned", body = BanView),
        (status = 400, description = "`INVALID_JSON`", body = ErrorBody),
        (status = 401, description = "No valid moderator token", body = ErrorBody),
        (status = 403, description = "`SITE_NOT_GRANTED`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
        (status = 422, description = "A missing or bad field; `UNKNOWN_SITE`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "review_ban", skip_all, fields(moderator = %moderator.name()))]
pub(crate) async fn ban(
    moderator: Moderator,
    body: web::Json<BanBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (site, target) = author_on_site(
        &state,
        &moderator,
        body.site.as_deref(),
        body.author_email.as_deref(),
        body.client_ip.as_deref(),
    )?;
    let now = state.clock.now_millis();
    let until = body
        .until
        .as_deref()
        .map(|raw| parse_until(raw, now))
        .transpose()?;
    let note = Note::parse(body.note.as_deref())?;
    let request = BanRequest {
        site: site.id.clone(),
        target: target.clone(),
        reject_existing: body.reject_existing,
        until,
        note: note.clone(),
    };
    let done = state.store.ban(moderator.actor(), request).await?;
    let (author_email, client_ip) = match &target {
        BanTarget::Email(_) => (Some(target.key()), None),
        BanTarget::Ip(_) => (None, Some(target.key())),
    };
    Ok(HttpResponse::Ok().json(BanView {
        ban: BanRecord {
            id: done.ban_id,
            site: site.id.as_str(),
            author_email: author_email.as_deref(),
            client_ip: client_ip.as_deref(),
            until: until.and_then(crate::clock::rfc3339),
            note: note.as_str(),
        },
        replaced: done.replaced,
        rejected: done.rejected,
    }))
}

/// Whose bans to lift.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct UnbanBody {
    site: Option<String>,
    author_email: Option<String>,
    client_ip: Option<String>,
}

/// `POST /api/v1/review/authors/unban` `{"site", "author_email" | "client_ip"}`: lifts
/// the author's active bans (`lifted` says how many; 0 if there were none). Comments the
/// ban rejected stay rejected; restore them one by one.
#[utoipa::path(post, path = "/api/v1/review/authors/unban", tag = "review",
    request_body = UnbanBody,
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "Lifted", body = UnbanView),
        (status = 400, description = "`INVALID_JSON`", body = ErrorBody),
        (status = 401, description = "No valid moderator token", body = ErrorBody),
        (status = 403, description = "`SITE_NOT_GRANTED`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
        (status = 422, description = "A missing or bad field; `UNKNOWN_SITE`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "review_unban", skip_all, fields(moderator = %moderator.name()))]
pub(crate) async fn unban(
    moderator: Moderator,
    body: web::Json<UnbanBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (site, target) = author_on_site(
        &state,
        &moderator,
        body.site.as_deref(),
        body.author_email.as_deref(),
        body.client_ip.as_deref(),
    )?;
    let lifted = state
        .store
        .unban(moderator.actor(), site.id.clone(), target)
        .await?;
    Ok(HttpResponse::Ok().json(UnbanView { lifted }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `until` is RFC 3339 and in the future.
    #[test]
    fn until_times() {
        let now = crate::clock::Clock::system().now_millis();
        assert!(parse_until("2999-01-01T00:00:00Z", now).is_ok());
        assert!(parse_until("2999-01-01T02:00:00+02:00", now).is_ok());
        assert!(parse_until("2000-01-01T00:00:00Z", now).is_err());
        assert!(parse_until("tomorrow", now).is_err());
        assert_eq!(
            crate::clock::rfc3339(32_503_680_000_000).as_deref(),
            Some("3000-01-01T00:00:00Z")
        );
    }
}
