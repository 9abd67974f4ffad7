//! The review API: moderators list held comments, inspect one, decide, ban authors.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/api/v1/review` | the queue: filters, order, keyset pages, total |
//! | GET | `/api/v1/review/{id}` | one comment with its audit log |
//! | POST | `/api/v1/review/{id}/decision` | approve / reject one comment |
//! | POST | `/api/v1/review/decisions` | up to 500 decisions, one result each |
//! | POST | `/api/v1/review/authors/ban` | ban an author, optionally rejecting their comments |
//! | POST | `/api/v1/review/authors/unban` | lift an author's bans |
//!
//! More review routes live in their own files: the counts per site and reason
//! ([`super::review_counts`]), the author view and the list of bans
//! ([`super::review_authors`]), and undo ([`super::review_undo`]).
//!
//! Every route is authenticated by [`super::moderator_auth::authenticated`] before its
//! handler runs (401 without a valid token or session, before the path, query or body is
//! even looked at), takes the [`Moderator`] it found, and acts only on the
//! sites the moderator is granted: naming another site is a 403, and a comment id of
//! another site is a 404, exactly like an id that does not exist. Handlers parse the request into
//! domain types, call one store method and shape the answer; the rules (versions,
//! idempotent repeats, audit rows, labels, webhook events) live in
//! [`crate::store::ReviewQueue::decide`] and [`crate::store::Authors::ban`].
use actix_web::{web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::moderator_auth::Moderator;
use super::review_views::{
    item_error, item_view, AppliedView, BanRecord, BanView, BulkResult, BulkView, QueuePageView,
    ReviewItemView, UnbanView,
};
use super::{hints, ApiError, AppState};
use crate::domain::{
    ArticleId, BanTarget, CommentId, Note, ReasonCode, SearchText, Site, Status, ValidationError,
    Verdict,
};
use crate::pipeline::ModelThresholds;
use crate::store::{
    BanRequest, DecisionOutcome, DecisionRequest, QueueOrder, QueuePosition, QueueQuery,
    ReasonFilter, SiteHolds, MAX_BULK_DECISIONS,
};

/// Queue items per page unless `limit` says otherwise.
pub const DEFAULT_PAGE: usize = 50;
/// Most queue items per page.
pub const MAX_PAGE: usize = 200;
/// Largest JSON body of a review request (a full bulk request with notes fits).
pub const MAX_JSON_BYTES: usize = 2 * 1024 * 1024;
/// Version prefix inside queue cursors.
const CURSOR_PREFIX: &str = "q1";

/// Registers the review routes (inside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/review")
            .wrap(actix_web::middleware::from_fn(
                super::moderator_auth::authenticated,
            ))
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_JSON_BYTES)
                    .error_handler(|err, _req| {
                        ApiError::bad_request("INVALID_JSON", err.to_string(), None).into()
                    }),
            )
            .route("", web::get().to(queue))
            .route("/decisions", web::post().to(decide_many))
            .route("/authors/ban", web::post().to(ban))
            .route("/authors/unban", web::post().to(unban))
            // Before `/{id}`, which would take `counts` and `authors` for ids.
            .configure(super::review_counts::routes)
            .configure(super::review_authors::routes)
            .configure(super::review_undo::routes)
            .route("/{id}", web::get().to(item))
            .route("/{id}/decision", web::post().to(decide_one)),
    );
}

fn invalid(field: &'static str, code: &'static str, message: impl Into<String>) -> ApiError {
    ValidationError::new(field, code, message).into()
}

/// An opaque queue cursor: the order it belongs to and the last `(key, id)` shown.
pub fn encode_cursor(order: QueueOrder, pos: QueuePosition) -> String {
    // The key's exact bits: the next page resumes exactly after this comment.
    URL_SAFE_NO_PAD.encode(format!(
        "{CURSOR_PREFIX}:{}:{:016x}:{}",
        order.as_str(),
        pos.key.to_bits(),
        pos.id
    ))
}

pub fn decode_cursor(cursor: &str, order: QueueOrder) -> Result<QueuePosition, ApiError> {
    let bad = || ApiError::bad_request("INVALID_CURSOR", "cursor is not valid", Some("cursor"));
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = text.split(':');
    let (Some(CURSOR_PREFIX), Some(o), Some(key), Some(id), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad());
    };
    if o != order.as_str() {
        return Err(ApiError::bad_request(
            "INVALID_CURSOR",
            format!("this cursor is for order={o}; keep the query of the first page"),
            Some("cursor"),
        ));
    }
    let key = u64::from_str_radix(key, 16)
        .map(f64::from_bits)
        .map_err(|_| bad())?;
    let id = id.parse().ok().and_then(CommentId::new).ok_or_else(bad)?;
    Ok(QueuePosition { key, id })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// `pending` (default), `published`, `rejected` or `reported`.
    status: Option<String>,
    /// One site (default: every site the moderator is granted).
    site: Option<String>,
    article_id: Option<String>,
    /// `spam`, `abuse`, any reason code, or `reported`.
    reason: Option<String>,
    /// Text in the body, the author's name or e-mail (ASCII letters in any case).
    q: Option<String>,
    /// `oldest` (default), `newest`, `spam`, `abuse` or `uncertain`.
    order: Option<String>,
    /// 1-200 (default 50).
    limit: Option<String>,
    /// `next_cursor` of the previous page (same query).
    cursor: Option<String>,
}

/// The hold thresholds in force for `site` (its config over the models' defaults).
fn holds(state: &AppState, site: &Site) -> SiteHolds {
    let classifier = state.classifier.load();
    let t = ModelThresholds::resolve(site, &classifier);
    SiteHolds {
        site: site.id.clone(),
        spam_hold: t.spam.hold,
        abuse_hold: t.abuse.hold,
    }
}

fn parse_queue(
    p: &QueueParams,
    state: &AppState,
    moderator: &Moderator,
) -> Result<QueueQuery, ApiError> {
    let status = match p.status.as_deref().map(str::trim) {
        None | Some("") => Status::Pending,
        Some(raw) => raw.parse().map_err(|_| {
            invalid(
                "status",
                "INVALID_STATUS",
                "status must be pending, published, rejected or reported",
            )
        })?,
    };
    let sites: Vec<SiteHolds> = match p.site.as_deref().map(str::trim) {
        Some(id) if !id.is_empty() => {
            let site = state.sites.get(id).ok_or_else(|| {
                let message = hints::unknown_site_for_moderator(&state.sites, moderator.grants());
                invalid("site", "UNKNOWN_SITE", message)
            })?;
            moderator.require_site(id)?;
            vec![holds(state, site)]
        }
        _ => {
            let mut sites: Vec<SiteHolds> = state
                .sites
                .iter()
                .filter(|s| moderator.grants().allows(s.id.as_str()))
                .map(|s| holds(state, s))
                .collect();
            sites.sort_by(|a, b| a.site.cmp(&b.site));
            sites
        }
    };
    if sites.is_empty() {
        return Err(ApiError::Forbidden {
            code: "SITE_NOT_GRANTED",
            message: "you are not a moderator of any site of this instance".into(),
        });
    }
    let article_id = p
        .article_id
        .as_deref()
        .filter(|a| !a.trim().is_empty())
        .map(ArticleId::parse)
        .transpose()?;
    let reason = match p.reason.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("reported") => Some(ReasonFilter::Reported),
        Some(raw) => Some(ReasonFilter::Code(
            serde_json::from_value::<ReasonCode>(serde_json::Value::String(raw.to_owned()))
                .map_err(|_| {
                    invalid(
                        "reason",
                        "INVALID_REASON",
                        "reason must be a reason code (spam, abuse, too_many_links, ...) or reported",
                    )
                })?,
        )),
    };
    let search = SearchText::parse(p.q.as_deref())?;
    let order = match p.order.as_deref().map(str::trim) {
        None | Some("") => QueueOrder::Oldest,
        Some(raw) => QueueOrder::parse(raw).ok_or_else(|| {
            invalid(
                "order",
                "INVALID_ORDER",
                "order must be oldest, newest, spam, abuse or uncertain",
            )
        })?,
    };
    let limit = match p.limit.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_PAGE,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_PAGE).contains(l))
            .ok_or_else(|| {
                invalid(
                    "limit",
                    "OUT_OF_RANGE",
                    format!("limit must be between 1 and {MAX_PAGE}"),
                )
            })?,
    };
    let after = p
        .cursor
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| decode_cursor(c, order))
        .transpose()?;
    Ok(QueueQuery {
        sites,
        status,
        article_id,
        reason,
        search,
        order,
        after,
        limit,
    })
}

/// `GET /api/v1/review?status=&site=&article_id=&reason=&q=&order=&limit=&cursor=`
#[utoipa::path(get, path = "/api/v1/review", tag = "review",
    params(QueueParams),
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "A page of the queue", body = QueuePageView),
        (status = 400, description = "`INVALID_CURSOR` or a malformed query", body = ErrorBody),
        (status = 401, description = "No valid moderator token", body = ErrorBody),
        (status = 403, description = "`SITE_NOT_GRANTED`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
        (status = 422, description = "A bad filter, order or limit; `UNKNOWN_SITE`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "review_queue", skip_all, fields(moderator = %moderator.name()))]
pub async fn queue(
    moderator: Moderator,
    params: web::Query<QueueParams>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = parse_queue(&params, &state, &moderator)?;
    let order = query.order;
    let page = state.store.review_queue(query).await?;
    Ok(HttpResponse::Ok().json(QueuePageView {
        items: page.items.iter().map(|i| item_view(&state, i)).collect(),
        total: page.total,
        next_cursor: page.next.map(|pos| encode_cursor(order, pos)),
    }))
}

fn not_found() -> ApiError {
    ApiError::not_found("COMMENT_NOT_FOUND", "no such comment")
}

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
pub async fn item(
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
pub struct DecisionBody {
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
        let id = id
            .or(self.id)
            .and_then(CommentId::new)
            .ok_or_else(|| ValidationError::new("id", "REQUIRED", "id must be a comment id"))?;
        let decision = self.decision.as_deref().ok_or_else(|| {
            ValidationError::new("decision", "REQUIRED", "decision is approve or reject")
        })?;
        let verdict = Verdict::parse(decision, self.label.as_deref())?;
        let note = Note::parse(self.note.as_deref())?;
        let version = self.version.filter(|v| *v >= 1).ok_or_else(|| {
            ValidationError::new(
                "version",
                "REQUIRED",
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
            current: Box::new(json!(current)),
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
pub async fn decide_one(
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
pub struct BulkBody {
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
pub async fn decide_many(
    moderator: Moderator,
    body: web::Json<BulkBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let n = body.decisions.len();
    if n == 0 || n > MAX_BULK_DECISIONS {
        return Err(invalid(
            "decisions",
            "OUT_OF_RANGE",
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

/// A ban: by `author_email` or by `client_ip`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BanBody {
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
            "INVALID_TIME",
            "until must be an RFC 3339 time, e.g. 2030-01-31T12:00:00Z",
        )
    })?;
    let millis = i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    if millis <= now {
        return Err(invalid(
            "until",
            "IN_THE_PAST",
            "until must be in the future",
        ));
    }
    Ok(millis)
}

fn rfc3339(millis: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
}

/// The site and author a ban request names, checked against the moderator's grants.
fn ban_target<'a>(
    state: &'a AppState,
    moderator: &Moderator,
    site: Option<&str>,
    email: Option<&str>,
    ip: Option<&str>,
) -> Result<(&'a Site, BanTarget), ApiError> {
    let site = state.sites.resolve(site).map_err(|e| match e.code {
        "UNKNOWN_SITE" => ValidationError {
            message: hints::unknown_site_for_moderator(&state.sites, moderator.grants()),
            ..e
        },
        _ => e,
    })?;
    moderator.require_site(site.id.as_str())?;
    Ok((site, BanTarget::parse(email, ip)?))
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
pub async fn ban(
    moderator: Moderator,
    body: web::Json<BanBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (site, target) = ban_target(
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
            until: until.and_then(rfc3339),
            note: note.as_str(),
        },
        replaced: done.replaced,
        rejected: done.rejected,
    }))
}

/// Whose bans to lift.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UnbanBody {
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
pub async fn unban(
    moderator: Moderator,
    body: web::Json<UnbanBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (site, target) = ban_target(
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

    /// A cursor resumes at exactly the key and id it was made from, and only for its order.
    #[test]
    fn cursors_round_trip() {
        let pos = QueuePosition {
            key: 0.123_456_789_012_345_67,
            id: CommentId::new(42).unwrap(),
        };
        let c = encode_cursor(QueueOrder::Uncertain, pos);
        assert_eq!(decode_cursor(&c, QueueOrder::Uncertain).unwrap(), pos);
        assert!(decode_cursor(&c, QueueOrder::Spam).is_err());
        assert!(decode_cursor("garbage", QueueOrder::Spam).is_err());
    }

    /// `until` is RFC 3339 and in the future.
    #[test]
    fn until_times() {
        let now = crate::clock::Clock::system().now_millis();
        assert!(parse_until("2999-01-01T00:00:00Z", now).is_ok());
        assert!(parse_until("2999-01-01T02:00:00+02:00", now).is_ok());
        assert!(parse_until("2000-01-01T00:00:00Z", now).is_err());
        assert!(parse_until("tomorrow", now).is_err());
        assert_eq!(
            rfc3339(32_503_680_000_000).as_deref(),
            Some("3000-01-01T00:00:00Z")
        );
    }
}
