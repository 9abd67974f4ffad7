//! One comment for moderators and the decisions on it: `GET /api/v1/review/{id}` (the
//! comment with its audit log), `POST /api/v1/review/{id}/decision` (approve or reject)
//! and `POST /api/v1/review/decisions` (up to 500, each applied or refused on its own).
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::moderator_auth::Moderator;
use super::review::{comment_not_found as not_found, invalid};
use super::review_views::{
    item_error, item_view, AppliedView, BulkResult, BulkView, ReviewItemView,
};
use super::{ApiError, AppState};
use crate::domain::{CommentId, Note, ValidationCode, ValidationError, Verdict};
use crate::store::{DecisionOutcome, DecisionRequest, MAX_BULK_DECISIONS};

/// `GET /api/v1/review/{id}`: the comment as in the queue, plus `decisions`, its audit
/// log, oldest first.
#[utoipa::path(get, path = "/api/v1/review/{id}", tag = "review",
    params(("id" = i64, Path, description = "The comment id")),
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "The comment with `decisions`", body = ReviewItemView),
        (status = 401, description = "No valid moderator token", body = ErrorBody),
        (status = 403, description = "`SITE_NOT_GRANTED`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
        (status = 404, description = "`COMMENT_NOT_FOUND`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "review_item", skip_all, fields(id = %id))]
pub(crate) async fn item(
    moderator: Moderator,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = CommentId::new(id.into_inner()).ok_or_else(not_found)?;
    let (item, audit) = state.store.review_item(id).await?.ok_or_else(not_found)?;
    // Another site's comment looks exactly like a missing one: ids are not probed.
    if !moderator.grants().allows(&item.comment.site_id) {
        return Err(not_found());
    }
    let mut view = item_view(&state, &item);
    view.decisions = Some(&audit);
    Ok(HttpResponse::Ok().json(view))
}

/// A decision as sent; every field optional so each missing one is reported by name.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct DecisionBody {
    /// The comment (in bulk requests; the path names it otherwise).
    id: Option<i64>,
    /// `approve` or `reject`.
    decision: Option<String>,
    /// With `reject`: `spam`, `abuse` or `other`.
    label: Option<String>,
    /// Up to 1,000 characters, kept in the audit log.
    note: Option<String>,
    /// The comment version you decided on.
    version: Option<i64>,
}

impl DecisionBody {
    fn parse(&self, id: Option<i64>) -> Result<DecisionRequest, ValidationError> {
        let id = id.or(self.id).and_then(CommentId::new).ok_or_else(|| {
            ValidationError::new("id", ValidationCode::Required, "id must be a comment id")
        })?;
        let decision = self.decision.as_deref().ok_or_else(|| {
            ValidationError::new(
                "decision",
                ValidationCode::Required,
                "decision is approve or reject",
            )
        })?;
        let verdict = Verdict::parse(decision, self.label.as_deref())?;
        let note = Note::parse(self.note.as_deref())?;
        let version = self.version.filter(|v| *v >= 1).ok_or_else(|| {
            ValidationError::new(
                "version",
                ValidationCode::Required,
                "version must be the comment version you decided on",
            )
        })?;
        Ok(DecisionRequest {
            id,
            verdict,
            note,
            version,
        })
    }
}

/// The outcome of one decision as an HTTP error, or its success view.
fn outcome(outcome: DecisionOutcome, seen: i64) -> Result<AppliedView, ApiError> {
    match outcome {
        DecisionOutcome::Applied {
            state,
            previous,
            changed,
        } => Ok(AppliedView::new(state, previous, changed)),
        // Another site's comment looks exactly like a missing one: ids are not probed.
        DecisionOutcome::NotFound | DecisionOutcome::Forbidden => Err(not_found()),
        DecisionOutcome::Stale { current } => Err(ApiError::StaleVersion {
            seen,
            current: Box::new(current),
        }),
    }
}

/// `POST /api/v1/review/{id}/decision`
/// `{"decision": "approve"|"reject", "label": "spam"|"abuse"|"other", "note", "version"}`
#[utoipa::path(post, path = "/api/v1/review/{id}/decision", tag = "review",
    params(("id" = i64, Path, description = "The comment id")),
    request_body = DecisionBody,
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "Applied (`changed`), or already in force", body = AppliedView),
        (status = 400, description = "`INVALID_JSON`", body = ErrorBody),
        (status = 401, description = "No valid moderator token", body = ErrorBody),
        (status = 403, description = "`SITE_NOT_GRANTED`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
        (status = 404, description = "`COMMENT_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`STALE_VERSION`, with `current`", body = ErrorBody),
        (status = 422, description = "A missing or bad field", body = ErrorBody),
    ))]
#[tracing::instrument(name = "review_decide", skip_all, fields(id = %id, moderator = %moderator.name()))]
pub(crate) async fn decide_one(
    moderator: Moderator,
    id: web::Path<i64>,
    body: web::Json<DecisionBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if CommentId::new(id).is_none() {
        return Err(not_found());
    }
    let request = body.parse(Some(id))?;
    let seen = request.version;
    let mut outcomes = state
        .store
        .decide(moderator.actor(), moderator.grants().clone(), vec![request])
        .await?;
    let one = outcomes
        .pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the store returned no outcome")))?;
    let view = outcome(one, seen)?;
    Ok(HttpResponse::Ok().json(view))
}

/// Up to 500 decisions.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct BulkBody {
    decisions: Vec<DecisionBody>,
}

/// `POST /api/v1/review/decisions` `{"decisions": [{"id", "decision", "label", "note",
/// "version"}, ...]}` (at most 500): each decision is applied or refused on its own; the
/// answer is 200 with one result per decision, in order.
#[utoipa::path(post, path = "/api/v1/review/decisions", tag = "review",
    request_body = BulkBody,
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "One result per decision", body = BulkView),
        (status = 400, description = "`INVALID_JSON`", body = ErrorBody),
        (status = 401, description = "No valid moderator token", body = ErrorBody),
        (status = 403, description = "`SITE_NOT_GRANTED`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
        (status = 422, description = "None or more than 500 decisions", body = ErrorBody),
    ))]
#[tracing::instrument(name = "review_decide_many", skip_all, fields(moderator = %moderator.name(), n = body.decisions.len()))]
pub(crate) async fn decide_many(
    moderator: Moderator,
    body: web::Json<BulkBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let n = body.decisions.len();
    if n == 0 || n > MAX_BULK_DECISIONS {
        return Err(invalid(
            "decisions",
            ValidationCode::OutOfRange,
            format!("send between 1 and {MAX_BULK_DECISIONS} decisions"),
        ));
    }
    // Refusals found while parsing keep their place; the rest go to the store together.
    let parsed: Vec<Result<DecisionRequest, ValidationError>> =
        body.decisions.iter().map(|d| d.parse(None)).collect();
    let requests: Vec<DecisionRequest> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok().cloned())
        .collect();
    let mut outcomes = state
        .store
        .decide(moderator.actor(), moderator.grants().clone(), requests)
        .await?
        .into_iter();
    let mut results = Vec::with_capacity(n);
    let (mut applied, mut refused) = (0usize, 0usize);
    for (raw, parsed) in body.decisions.iter().zip(parsed) {
        let entry = match parsed {
            Err(e) => Err(ApiError::from(e)),
            Ok(request) => {
                let o = outcomes.next().ok_or_else(|| {
                    ApiError::Internal(anyhow::anyhow!("the store returned too few outcomes"))
                })?;
                outcome(o, request.version)
            }
        };
        results.push(match entry {
            Ok(view) => {
                applied += 1;
                BulkResult::Applied {
                    ok: true,
                    applied: view,
                }
            }
            Err(err) => {
                refused += 1;
                item_error(&err, raw.id)
            }
        });
    }
    Ok(HttpResponse::Ok().json(BulkView {
        results,
        applied,
        refused,
    }))
}
