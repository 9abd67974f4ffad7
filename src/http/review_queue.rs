//! `GET /api/v1/review`: the review queue — filters (status, site, article, reason,
//! text), orders, keyset pages and the total of the whole filter.
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::error::ErrorBody;
use super::moderator_auth::Moderator;
use super::review::{granted_sites, invalid};
use super::review_views::{item_view, QueuePageView};
use super::{paging, ApiError, AppState};
use crate::domain::{ArticleId, CommentId, ReasonCode, SearchText, Site, Status, ValidationCode};
use crate::store::{QueueOrder, QueuePosition, QueueQuery, ReasonFilter, SiteHolds};

/// Kind and version of queue cursors.
const CURSOR_KIND: &str = "q1";

/// An opaque queue cursor: the order it belongs to and the last `(key, id)` shown.
pub fn encode_cursor(order: QueueOrder, pos: QueuePosition) -> String {
    // The key's exact bits: the next page resumes exactly after this comment.
    let key = format!("{:016x}", pos.key.to_bits());
    paging::encode_cursor(CURSOR_KIND, &[order.as_str(), &key, &pos.id.to_string()])
}

/// The position a cursor of `order`'s queue resumes after.
pub fn decode_cursor(cursor: &str, order: QueueOrder) -> Result<QueuePosition, ApiError> {
    let [o, key, id] = paging::decode_cursor(cursor, CURSOR_KIND)?;
    if o != order.as_str() {
        return Err(paging::invalid_cursor().with_message(format!(
            "this cursor is for order={o}; keep the query of the first page"
        )));
    }
    let key = u64::from_str_radix(&key, 16)
        .map(f64::from_bits)
        .map_err(|_| paging::invalid_cursor())?;
    let id = id
        .parse()
        .ok()
        .and_then(CommentId::new)
        .ok_or_else(paging::invalid_cursor)?;
    Ok(QueuePosition { key, id })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct QueueParams {
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
    #[param(value_type = Option<usize>)]
    limit: Option<String>,
    /// `next_cursor` of the previous page (same query).
    cursor: Option<String>,
}

/// The hold thresholds in force for `site` (its config over the models' defaults).
fn holds(state: &AppState, site: &Site) -> SiteHolds {
    let t = state.thresholds(site);
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
                ValidationCode::InvalidStatus,
                "status must be pending, published, rejected or reported",
            )
        })?,
    };
    let sites: Vec<SiteHolds> = granted_sites(state, moderator, p.site.as_deref())?
        .iter()
        .filter_map(|id| state.sites.get(id))
        .map(|site| holds(state, site))
        .collect();
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
                        ValidationCode::InvalidReason,
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
                ValidationCode::InvalidOrder,
                "order must be oldest, newest, spam, abuse or uncertain",
            )
        })?,
    };
    let limit = paging::page_limit(p.limit.as_deref())?;
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
        (status = 400, description = "`INVALID_CURSOR`, or a malformed query (`INVALID_QUERY`: `limit` not a number)", body = ErrorBody),
        (status = 401, description = "No valid moderator token", body = ErrorBody),
        (status = 403, description = "`SITE_NOT_GRANTED`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications, with `Retry-After`", body = ErrorBody),
        (status = 422, description = "A bad filter or order, a `limit` out of range (`OUT_OF_RANGE`); `UNKNOWN_SITE`", body = ErrorBody),
    ))]
#[tracing::instrument(name = "review_queue", skip_all, fields(moderator = %moderator.name()))]
pub(crate) async fn queue(
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
}
