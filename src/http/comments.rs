//! `POST /api/v1/comments` (submit) and `GET /api/v1/comments/{id}` (look one up).
//!
//! A submission goes: decode (JSON | form) → site and credentials → rate limits →
//! validation into domain types → refused if its article is closed (the site's rules,
//! `409 ARTICLE_CLOSED`) → model scores → the store's writer, which in one
//! transaction looks up bans, the author's history and the parent, runs the pipeline's
//! decision, refuses duplicates and inserts (durable before we answer) → `201`
//! (published) or `202` (held or rejected) with `Location`, or `303` back to the article
//! for a form with `redirect_to` (`?commentguard=published|pending#comment-ID`). A
//! browser's own form post gets HTML, never JSON, when it fails (see [`form_page`]).
//!
//! What the caller learns depends on who it is: the site's backend (with its API key)
//! sees the true status, both scores, the reasons and the explaining words. Anyone else
//! sees `published` or `pending` — a rejected comment looks exactly like a held one, so
//! the models cannot be probed from a browser.
use std::net::IpAddr;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::auth::SiteCredentials;
use super::error::ErrorBody;
use super::fields::{Encoding, Fields};
use super::{client_ip, form_page, hints, ApiError, AppState, ErrorCode};
use crate::domain::comment::clean_user_agent;
use crate::domain::{
    ArticleId, ArticleTitle, AuthorEmail, AuthorName, AuthorQuery, CommentBody, CommentId,
    ModelScore, NewComment, Reason, Refusal, Site, Status, ValidationCode, ValidationError, WebUrl,
};
use crate::pipeline::{self, Caller, Intake, ModelThresholds};
use crate::ratelimit::{LimitScope, Refused};
use crate::store::{NewCommentRecord, StoredComment, Submitted};

/// Largest accepted request body (64 KiB); a 5,000-character comment fits many times over.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A decoded, validated submission with the extras that steer its handling.
struct Parsed<'a> {
    comment: NewComment,
    article_title: Option<ArticleTitle>,
    nudge: bool,
    redirect_to: Option<WebUrl>,
    honeypot: Option<&'a str>,
    form_token: Option<&'a str>,
}

/// Reads the body, refusing more than [`MAX_BODY_BYTES`] without buffering it.
async fn read_body(req: &HttpRequest, payload: web::Payload) -> Result<web::Bytes, ApiError> {
    let too_large = ApiError::PayloadTooLarge {
        limit: MAX_BODY_BYTES,
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(too_large);
    }
    match payload.to_bytes_limited(MAX_BODY_BYTES).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(err)) => Err(ApiError::coded(ErrorCode::InvalidBody)
            .with_message(format!("could not read the request body: {err}"))),
        Err(_) => Err(too_large),
    }
}

/// Turns the fields into domain types; the first field at fault is reported.
fn parse<'a>(
    fields: &'a Fields,
    site: &Site,
    caller: Caller,
    client_ip: IpAddr,
    user_agent: Option<&str>,
) -> Result<Parsed<'a>, ApiError> {
    let article_id = ArticleId::parse(fields.required("article_id")?)?;
    let author_name = AuthorName::parse(fields.required("author_name")?)?;
    let author_email = match fields.optional("author_email")? {
        Some(raw) => Some(AuthorEmail::parse(raw)?),
        None if site.require_email => {
            return Err(ValidationError::new(
                "author_email",
                ValidationCode::Required,
                "this site requires author_email",
            )
            .into())
        }
        None => None,
    };
    let author_url = fields
        .optional("author_url")?
        .map(|raw| WebUrl::parse(raw, "author_url"))
        .transpose()?;
    let article_url = fields
        .optional("article_url")?
        .map(|raw| WebUrl::parse(raw, "article_url"))
        .transpose()?;
    let article_title = ArticleTitle::parse(fields.optional("article_title")?)?;
    let body = CommentBody::parse(fields.required("body")?)?;
    let parent_id = fields
        .optional_number("parent_id")?
        .map(|raw| CommentId::parse(raw, "parent_id"))
        .transpose()?;
    let redirect_to = fields.redirect_to(site)?;
    // Only the site's backend may speak for the end user's user agent.
    let user_agent = match (caller, fields.optional("user_agent")?) {
        (Caller::Backend, Some(ua)) => clean_user_agent(ua),
        _ => user_agent.and_then(clean_user_agent),
    };
    Ok(Parsed {
        comment: NewComment {
            site: site.id.clone(),
            article_id,
            article_url,
            parent_id,
            author_name,
            author_email,
            author_url,
            body,
            client_ip,
            user_agent,
        },
        article_title,
        nudge: fields.flag("nudge")?,
        redirect_to,
        honeypot: fields.dynamic(&site.honeypot_field),
        form_token: fields.optional("form_token")?,
    })
}

/// The response to a submission the pipeline refused before storing it.
impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::ParentOnOtherArticle => ValidationError::new(
                "parent_id",
                ValidationCode::ParentOnOtherArticle,
                "parent_id is a comment on another article",
            )
            .into(),
            Refusal::ParentNotFound => ValidationError::new(
                "parent_id",
                ValidationCode::ParentNotFound,
                "parent_id is not a published comment of this site",
            )
            .into(),
            Refusal::LikelyAbusive => ApiError::LikelyAbusive,
        }
    }
}

/// The client IP: for the backend, the `client_ip` field it forwards (else the peer);
/// for everyone else, the peer or a trusted proxy's `X-Forwarded-For`.
fn client_address(
    req: &HttpRequest,
    state: &AppState,
    caller: Caller,
    fields: &Fields,
) -> Result<IpAddr, ApiError> {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("request without a peer address")))?;
    let resolved = client_ip::resolve(peer, req.headers(), &state.trusted_proxies);
    if caller == Caller::Backend {
        if let Some(raw) = fields.optional("client_ip")? {
            return raw.trim().parse().map_err(|_| {
                ValidationError::new(
                    "client_ip",
                    ValidationCode::InvalidIp,
                    "client_ip must be an IP address",
                )
                .into()
            });
        }
    }
    Ok(resolved)
}

/// A comment submission, as JSON or as an HTML form (`application/x-www-form-urlencoded`,
/// where `nudge` is `on`/`off` and every value is text).
///
/// This type only documents the body: the handler decodes both encodings into named
/// fields ([`Fields`]) so that each error names its field, and the honeypot's name is
/// per-site configuration (send it empty under the name `GET /api/v1/form-token` gives).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct CommentSubmission {
    /// The site id; optional when the instance serves one site.
    site: Option<String>,
    /// The CMS's key for the article (1-200 printable characters).
    article_id: String,
    /// The article's address (http or https).
    article_url: Option<String>,
    /// The article's headline (1-300 characters, one line), shown to moderators.
    article_title: Option<String>,
    /// 1-100 characters after trimming.
    author_name: String,
    /// Never shown publicly.
    author_email: Option<String>,
    author_url: Option<String>,
    /// 1-5,000 characters after trimming.
    body: String,
    /// A published comment of the same article this one answers.
    parent_id: Option<i64>,
    /// Refuse with `422 LIKELY_ABUSIVE` (storing nothing) what the abuse model would
    /// hold, so the page can offer to edit.
    nudge: Option<bool>,
    /// HTML forms: a page of the site to send the browser back to (303).
    redirect_to: Option<String>,
    /// From `GET /api/v1/form-token`.
    form_token: Option<String>,
    /// Backends only (with the API key): the reader's IP address. Without it every
    /// reader counts as the backend's address for rate limits.
    client_ip: Option<String>,
    /// Backends only: the reader's User-Agent.
    user_agent: Option<String>,
}

/// What a caller is told about a submission.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubmitResponse<'a> {
    id: CommentId,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    scores: Option<ScoresView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasons: Option<&'a [Reason]>,
    /// What the backend should fix in its requests (see [`hints`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<&'static str>,
}

/// Both models' scores (backend only).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ScoresView<'a> {
    spam: Option<&'a ModelScore>,
    abuse: Option<&'a ModelScore>,
}

/// `POST /api/v1/comments`
///
/// Anonymous callers (article pages) see `published` or `pending`; the site's backend,
/// with its API key, sees the true status, the scores and the reasons.
#[utoipa::path(post, path = "/api/v1/comments", tag = "comments",
    request_body(content(
        (CommentSubmission = "application/json"),
        (CommentSubmission = "application/x-www-form-urlencoded"),
    )),
    security((), ("site_key" = [])),
    responses(
        (status = 201, description = "Published", body = SubmitResponse,
            headers(("Location" = String, description = "The comment"))),
        (status = 202, description = "Held for review (or, for the backend, rejected)", body = SubmitResponse,
            headers(("Location" = String, description = "The comment"))),
        (status = 303, description = "A form with `redirect_to`: back to the article with \
            `?commentguard=published|pending#comment-ID`", body = SubmitResponse,
            headers(("Location" = String, description = "The article"))),
        (status = 400, description = "Undecodable body", body = ErrorBody),
        (status = 401, description = "An API key that is not the site's", body = ErrorBody),
        (status = 409, description = "`DUPLICATE`, or `ARTICLE_CLOSED`: the article takes no new comments", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 431, description = "`HEADERS_TOO_LARGE`: request headers over 32 KiB, or more than 96 of them", body = ErrorBody),
        (status = 415, description = "Neither JSON nor a form", body = ErrorBody),
        (status = 422, description = "A field breaks a rule (the error names it), `UNKNOWN_SITE`, or \
            `LIKELY_ABUSIVE` with `nudge`. A browser's own form post gets an HTML page instead", body = ErrorBody),
        (status = 429, description = "`RATE_LIMITED`, with `Retry-After`", body = ErrorBody),
        (status = 503, description = "`BUSY`, or `RATE_LIMIT_UNAVAILABLE` (the shared rate-limit \
            store is unreachable and `rate_limit_unreachable = \"closed\"`), with `Retry-After`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "submit_comment", skip_all, fields(site, status, id))]
pub async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    credentials: SiteCredentials,
) -> Result<HttpResponse, ApiError> {
    let browser_form = form_page::is_browser_form(&req);
    let decoded = match Encoding::of(&req) {
        Ok(encoding) => match read_body(&req, payload).await {
            Ok(bytes) => Fields::decode(encoding, &bytes).map(|fields| (encoding, fields)),
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    let (encoding, fields) = match decoded {
        Ok(decoded) => decoded,
        Err(err) if browser_form => return Ok(form_page::error_page(&err, None, None)),
        Err(err) => return Err(err),
    };
    match accept(&req, &state, &credentials, encoding, &fields).await {
        Err(err) if browser_form => {
            let back = state
                .sites
                .resolve(fields.optional("site").ok().flatten())
                .ok()
                .and_then(|site| fields.redirect_to(site).ok().flatten());
            Ok(form_page::error_page(&err, Some(&fields), back.as_ref()))
        }
        answer => answer,
    }
}

/// Everything after decoding: check, decide, store, answer.
async fn accept(
    req: &HttpRequest,
    state: &AppState,
    credentials: &SiteCredentials,
    encoding: Encoding,
    fields: &Fields,
) -> Result<HttpResponse, ApiError> {
    let site = state
        .sites
        .resolve(fields.optional("site")?)
        .map_err(|e| hints::unknown_site(e, &state.sites, credentials))?;
    tracing::Span::current().record("site", site.id.as_str());
    let caller = credentials.caller_for(site)?;
    let ip = client_address(req, state, caller, fields)?;
    let without_client_ip = caller == Caller::Backend && fields.optional("client_ip")?.is_none();
    // The per-e-mail limit counts the canonical address (`a+1@x` and `a+2@x` are one
    // author), or the raw text when it is not an address (refused later anyway).
    let email_key = fields.optional("author_email")?.map(|raw| {
        AuthorEmail::parse(raw).map_or_else(|_| raw.trim().to_owned(), |e| e.as_str().to_owned())
    });
    state
        .limiters
        .check(site.id.as_str(), ip, email_key.as_deref())
        .await
        .map_err(|refused| match refused {
            Refused::Limited(limited) if limited.scope == LimitScope::Ip && without_client_ip => {
                ApiError::RateLimitedWithoutClientIp(limited)
            }
            Refused::Limited(limited) => ApiError::RateLimited(limited),
            Refused::Unavailable(unavailable) => ApiError::RateLimitUnavailable(unavailable),
        })?;

    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let parsed = parse(fields, site, caller, ip, user_agent)?;
    let comment = &parsed.comment;
    if site.rules().is_closed(comment.article_id.as_str()) {
        return Err(ApiError::coded(ErrorCode::ArticleClosed)
            .with_message(format!(
                "article_id `{}` is closed to new comments",
                comment.article_id
            ))
            .with_field("article_id"));
    }

    let (judgement, thresholds) = {
        // A cheap pointer load; the guard is dropped before the next `.await`.
        let classifier = state.classifier.load();
        (
            classifier.judge(comment.body.as_str()),
            ModelThresholds::resolve(site, &classifier),
        )
    };
    let (mut scores, language, mixed_script_words) = (
        judgement.scores,
        judgement.language,
        judgement.mixed_script_words,
    );
    let readings = pipeline::Readings::of(comment);
    let form = state.form_tokens.check(
        &site.id,
        parsed.form_token,
        u64::try_from(state.clock.now_millis()).unwrap_or(0),
    );
    let query = AuthorQuery {
        site: site.id.clone(),
        email: comment.author_email.clone(),
        ip,
        parent: comment.parent_id,
        trust_after: site.rules().trusted_author_after,
    };
    // Hashed and encoded here, so that the writer thread only decides and inserts.
    let record = Arc::new(
        NewCommentRecord::read(
            parsed.comment,
            &readings.body,
            Some(pipeline::take_model_score(&mut scores.spam)),
            Some(pipeline::take_model_score(&mut scores.abuse)),
            site.duplicate_window,
        )
        .with_article_title(parsed.article_title),
    );
    // Everything the decision needs, owned: it runs inside the store's transaction, right
    // after the author lookup and before the insert.
    let intake = Arc::new(Intake {
        site: Arc::clone(site),
        caller,
        honeypot: parsed.honeypot.map(str::to_owned),
        form,
        readings,
        scores,
        language,
        mixed_script_words,
        thresholds,
        nudge: parsed.nudge,
    });
    let (submitted, verdict) = state
        .store
        .submit(query, Arc::clone(&record), intake)
        .await??;
    let id = match submitted {
        Submitted::Stored { id, .. } => id,
        Submitted::Duplicate { .. } => return Err(ApiError::Duplicate),
    };
    let status = verdict.status;
    crate::monitoring::submission(
        site.id.as_str(),
        status,
        &verdict.reasons,
        record.spam.as_ref().map(|s| s.probability),
        record.abuse.as_ref().map(|s| s.probability),
    );
    let span = tracing::Span::current();
    span.record("id", id.get());
    span.record("status", status.as_str());

    let location = format!("/api/v1/comments/{id}");
    let shown = match caller {
        Caller::Backend => status,
        // Held and rejected look the same from outside.
        Caller::Anonymous if status == Status::Published => Status::Published,
        Caller::Anonymous => Status::Pending,
    };
    let backend = caller == Caller::Backend;
    let body = SubmitResponse {
        id,
        status: shown,
        scores: backend.then_some(ScoresView {
            spam: record.spam.as_ref(),
            abuse: record.abuse.as_ref(),
        }),
        reasons: backend.then_some(verdict.reasons.as_slice()),
        warnings: if without_client_ip {
            vec![hints::NO_CLIENT_IP]
        } else {
            Vec::new()
        },
    };
    if let (Encoding::Form, Some(redirect)) = (encoding, &parsed.redirect_to) {
        return Ok(form_page::success_redirect(redirect, shown, id, &body));
    }
    let code = if status == Status::Published {
        StatusCode::CREATED
    } else {
        StatusCode::ACCEPTED
    };
    Ok(HttpResponse::build(code)
        .insert_header((header::LOCATION, location))
        .json(body))
}

/// A comment as `GET /api/v1/comments/{id}` shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CommentView<'a> {
    id: CommentId,
    site: &'a str,
    article_id: &'a str,
    parent_id: Option<CommentId>,
    author_name: &'a str,
    author_url: Option<&'a str>,
    body: &'a str,
    status: Status,
    /// Unix milliseconds.
    created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    backend: Option<BackendView<'a>>,
}

/// What only the site's backend sees.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BackendView<'a> {
    article_url: Option<&'a str>,
    author_email: Option<&'a str>,
    scores: ScoresView<'a>,
    reasons: &'a [Reason],
    client_ip: &'a str,
    version: i64,
}

fn view(c: &StoredComment, backend: bool) -> CommentView<'_> {
    CommentView {
        id: c.id,
        site: &c.site_id,
        article_id: &c.article_id,
        parent_id: c.parent_id,
        author_name: &c.author_name,
        author_url: c.author_url.as_deref(),
        body: &c.body,
        status: c.status,
        created_at: c.created_at,
        backend: backend.then(|| BackendView {
            article_url: c.article_url.as_deref(),
            author_email: c.author_email.as_deref(),
            scores: ScoresView {
                spam: c.spam.as_ref(),
                abuse: c.abuse.as_ref(),
            },
            reasons: &c.reasons,
            client_ip: &c.client_ip,
            version: c.version,
        }),
    }
}

/// `GET /api/v1/comments/{id}`: anyone sees a published comment; the backend of the
/// comment's site sees any of its comments, with scores and reasons. Everything else is
/// a 404, so ids of held comments cannot be probed.
#[utoipa::path(get, path = "/api/v1/comments/{id}", tag = "comments",
    params(("id" = i64, Path, description = "The comment id")),
    security((), ("site_key" = [])),
    responses(
        (status = 200, description = "The comment (with `backend` for the site's backend)", body = CommentView),
        (status = 401, description = "A malformed `Authorization`", body = ErrorBody),
        (status = 404, description = "`COMMENT_NOT_FOUND`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "get_comment", skip_all, fields(id = %id))]
pub async fn get_one(
    id: web::Path<i64>,
    state: web::Data<AppState>,
    credentials: SiteCredentials,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::coded(ErrorCode::CommentNotFound);
    let id = CommentId::new(id.into_inner()).ok_or_else(not_found)?;
    let comment = state.store.comment(id).await?.ok_or_else(not_found)?;
    let site = state.sites.get(&comment.site_id).ok_or_else(not_found)?;
    let backend = match credentials.caller_for(site) {
        Ok(caller) => caller == Caller::Backend,
        // A key for another site proves nothing about this comment.
        Err(_) if credentials.is_present() => return Err(not_found()),
        Err(err) => return Err(err),
    };
    if !backend && comment.status != Status::Published {
        return Err(not_found());
    }
    Ok(HttpResponse::Ok().json(view(&comment, backend)))
}
