//! Undo: a moderator takes back the decision they just made (the review page's `u`).
//!
//! | method | path | what |
//! |---|---|---|
//! | POST | `/api/v1/review/{id}/undo` | undo one's own latest decision on a comment (60 s) |
//!
//! The rules are [`crate::store::ReviewQueue::undo`]'s: the latest change of the comment must be
//! this moderator's approve or reject, at most [`UNDO_WINDOW_MS`] old, at the `version`
//! it produced; the comment goes back to the status, labels and decision time it had.
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::moderator_auth::Moderator;
use super::review::comment_not_found as not_found;
use super::review_views::AppliedView;
use super::{ApiError, AppState, ErrorCode};
use crate::domain::{CommentId, ValidationCode, ValidationError};
use crate::store::{UndoOutcome, UNDO_WINDOW_MS};

/// Registers the route (inside the `/review` scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/{id}/undo").route(web::post().to(undo)));
}

/// An undo: the version the decision being undone produced.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UndoBody {
    version: Option<i64>,
}

/// `POST /api/v1/review/{id}/undo` `{"version"}`
#[utoipa::path(post, path = "/api/v1/review/{id}/undo", tag = "review",
    params(("id" = i64, Path, description = "The comment id")),
    request_body = UndoBody,
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "Undone: `status` is the one the comment is back to, \
            `previous_status` the one the undone decision had set", body = AppliedView),
        (status = 400, description = "`INVALID_JSON`", body = ErrorBody),
        (status = 401, description = "No valid moderator token", body = ErrorBody),
        (status = 403, description = "`SITE_NOT_GRANTED`, or a session without its CSRF token", body = ErrorBody),
        (status = 404, description = "`COMMENT_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`STALE_VERSION`, `NOTHING_TO_UNDO` (the latest change is \
            not your decision) or `UNDO_EXPIRED`, with `current`", body = ErrorBody),
        (status = 422, description = "No `version`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "review_undo", skip_all, fields(id = %id, moderator = %moderator.name()))]
pub async fn undo(
    moderator: Moderator,
    id: web::Path<i64>,
    body: web::Json<UndoBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = CommentId::new(id.into_inner()).ok_or_else(not_found)?;
    let version = body.version.filter(|v| *v >= 1).ok_or_else(|| {
        ValidationError::new(
            "version",
            ValidationCode::Required,
            "version must be the comment version your decision produced",
        )
    })?;
    let outcome = state
        .store
        .undo(moderator.actor(), moderator.grants().clone(), id, version)
        .await?;
    match outcome {
        UndoOutcome::Undone { state, previous } => {
            Ok(HttpResponse::Ok().json(AppliedView::new(state, previous, true)))
        }
        // Another site's comment looks exactly like a missing one: ids are not probed.
        UndoOutcome::NotFound | UndoOutcome::Forbidden => Err(not_found()),
        UndoOutcome::Stale { current } => Err(ApiError::StaleVersion {
            seen: version,
            current: Box::new(current),
        }),
        UndoOutcome::NothingToUndo { current } => {
            Err(ApiError::coded(ErrorCode::NothingToUndo).with_current(current))
        }
        UndoOutcome::Expired { current } => Err(ApiError::coded(ErrorCode::UndoExpired)
            .with_message(format!(
                "a decision can be undone for {} s; decide again instead",
                UNDO_WINDOW_MS / 1000
            ))
            .with_current(current)),
    }
}
