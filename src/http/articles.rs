//! `GET /api/v1/sites/{site}/articles/{article_id}/comments`: the published comments of an
//! article, oldest first, for the article page to render.
//!
//! Keyset pagination: each page ends with an opaque `next_cursor` (present only when more
//! comments follow); passing it back as `?cursor=` continues after the last comment
//! shown, so pages stay stable while new comments arrive. Replies are in the same list,
//! linked to their parent by `parent_id`. CORS allows the site's own origins.
//!
//! Every page also says whether the article is `closed` to new comments (a site rule an
//! admin can change at run time): the page then keeps showing the thread but not the
//! form, since a new comment would be refused with `409 ARTICLE_CLOSED`.
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{paging, ApiError, AppState};
use crate::domain::{ArticleId, CommentId};
use crate::store::PublishedComment;

/// Kind and version of listing cursors.
const CURSOR_KIND: &str = "c1";

/// Encodes the position after `id` as an opaque cursor.
pub fn encode_cursor(id: CommentId) -> String {
    paging::encode_cursor(CURSOR_KIND, &[&id.to_string()])
}

/// Decodes a cursor made by [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Result<CommentId, ApiError> {
    let [id] = paging::decode_cursor(cursor, CURSOR_KIND)?;
    id.parse::<i64>()
        .ok()
        .and_then(CommentId::new)
        .ok_or_else(paging::invalid_cursor)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Comments per page, 1-200 (default 50).
    #[param(value_type = Option<usize>)]
    limit: Option<String>,
}

/// A page of an article's published comments, oldest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CommentPage {
    /// Replies are in the same list, linked to their parent by `parent_id`.
    comments: Vec<PublishedComment>,
    /// Pass back as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
    /// The article is closed to new comments: its thread is still listed, but a new
    /// comment is refused with `409 ARTICLE_CLOSED`, so a page should not offer the form.
    closed: bool,
}

/// `GET /api/v1/sites/{site}/articles/{article_id}/comments?cursor=&limit=`
#[utoipa::path(get, path = "/api/v1/sites/{site}/articles/{article_id}/comments", tag = "comments",
    params(
        ("site" = String, Path, description = "The site id"),
        ("article_id" = String, Path, description = "The article id, percent-encoded (`/` as `%2F`)"),
        ListQuery,
    ),
    responses(
        (status = 200, description = "A page of published comments", body = CommentPage),
        (status = 400, description = "`INVALID_CURSOR`, or a malformed query (`INVALID_QUERY`: `limit` not a number)", body = super::error::ErrorBody),
        (status = 404, description = "`SITE_NOT_FOUND`", body = super::error::ErrorBody),
        (status = 422, description = "A bad `article_id`, or `limit` out of range (`OUT_OF_RANGE`)", body = super::error::ErrorBody),
    ))]
#[tracing::instrument(name = "list_comments", skip_all, fields(site = %path.0))]
pub async fn list(
    path: web::Path<(String, String)>,
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (site, article) = path.into_inner();
    let site = super::site_in_path(&state, &site)?;
    let article = ArticleId::parse(&article)?;
    let closed = site.rules().is_closed(article.as_str());
    let limit = paging::page_limit(query.limit.as_deref())?;
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    // One more than asked tells whether another page follows.
    let mut comments = state
        .store
        .published(site.id.clone(), article, after, limit + 1)
        .await?;
    let next_cursor = if comments.len() > limit {
        comments.truncate(limit);
        comments.last().map(|c| encode_cursor(c.id))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(CommentPage {
        comments,
        next_cursor,
        closed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    /// Cursors round-trip and junk is refused.
    #[test]
    fn cursors() {
        let id = CommentId::new(42).unwrap();
        assert_eq!(decode_cursor(&encode_cursor(id)).unwrap(), id);
        for bad in ["", "42", "!!!", &URL_SAFE_NO_PAD.encode("c1:-5")] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
