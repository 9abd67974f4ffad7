//! Answers for a browser's plain HTML form post (no JavaScript on the article page).
//!
//! A reader whose browser posted the comment form itself must never land on raw JSON.
//! A request is such a post when it is form-encoded and its `Accept` asks for HTML (what
//! browsers send when they navigate); scripts and backends (JSON, or forms with
//! `Accept: */*` like `curl`) keep getting JSON.
//!
//! - Success, with `redirect_to`: `303` back to the article with
//!   `?commentguard=published|pending#comment-ID`, so the page can say which (and jump to
//!   the comment when it is shown). [`success_redirect`] is used for every form post with
//!   `redirect_to`, browser or not.
//! - Failure: a minimal HTML page with the error's status, the message naming the field,
//!   and the form again with what the reader typed, to fix and send again — nothing they
//!   wrote is lost — plus a link back to the article. For `LIKELY_ABUSIVE` the page offers
//!   to post the edited text (checked again) or the text as written (a moderator decides).
//!   An article closed to comments (`ARTICLE_CLOSED`) gets the message and the link
//!   back, without the form: sending it again could not succeed.
//!
//! Every value is HTML-escaped; the page has no script and no style, and its
//! Content-Security-Policy allows nothing but posting the form back to this service (and
//! following its redirect back to the article).
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::fields::{Encoding, Fields};
use super::{ApiError, ErrorCode};
use crate::domain::{CommentId, Status, WebUrl};

/// The policy of the error page: no script, no style, no frames; the form posts back
/// here, and may follow the service's redirect to `back`'s origin (browsers apply
/// `form-action` to a form's redirects too).
fn content_security_policy(back: Option<&WebUrl>) -> String {
    let article = back.map(|b| format!(" {}", b.origin().as_str()));
    format!(
        "default-src 'none'; base-uri 'none'; form-action 'self'{}; frame-ancestors 'none'",
        article.unwrap_or_default()
    )
}

/// The fields the page carries over, hidden, when it shows the form again.
const HIDDEN_FIELDS: &[&str] = &[
    "site",
    "article_id",
    "article_url",
    "author_url",
    "parent_id",
    "redirect_to",
    "form_token",
];

/// Whether `req` is a browser's own form post: form-encoded, asking for HTML.
pub fn is_browser_form(req: &HttpRequest) -> bool {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.to_ascii_lowercase().contains("text/html"));
    wants_html && matches!(Encoding::of(req), Ok(Encoding::Form))
}

/// `redirect_to` with `?commentguard=<status>` added and `#comment-<id>` as its fragment.
pub fn success_location(redirect_to: &WebUrl, status: Status, id: CommentId) -> String {
    // A `WebUrl` is a valid absolute URL, so this parse cannot fail in practice; should it,
    // the plain address is still a correct place to send the reader.
    let Ok(mut url) = url::Url::parse(redirect_to.as_str()) else {
        return redirect_to.as_str().to_owned();
    };
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "commentguard")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("commentguard", status.as_str());
    url.set_fragment(Some(&format!("comment-{id}")));
    url.into()
}

/// `303` to [`success_location`], with `body` (the JSON answer) for non-browser clients.
pub fn success_redirect(
    redirect_to: &WebUrl,
    status: Status,
    id: CommentId,
    body: &impl serde::Serialize,
) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, success_location(redirect_to, status, id)))
        .json(body)
}

/// Escapes text for HTML content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The error page for a failed browser comment post. `fields` is what was decoded (if
/// the body could be), `back` the article to return to (a checked `redirect_to`).
pub fn error_page(err: &ApiError, fields: Option<&Fields>, back: Option<&WebUrl>) -> HttpResponse {
    render("Your comment was not posted", err, fields, back)
}

/// The error page for a failed browser report (no form to send again: one click does it).
pub fn report_error_page(err: &ApiError, back: Option<&WebUrl>) -> HttpResponse {
    render("Your report was not sent", err, None, back)
}

/// The page: `title`, the error, the comment form again when `fields` are known.
fn render(
    title: &str,
    err: &ApiError,
    fields: Option<&Fields>,
    back: Option<&WebUrl>,
) -> HttpResponse {
    let status = err.status_code();
    let (message, field) = (err.message(), err.field());
    let value = |name: &'static str| {
        fields
            .and_then(|f| f.text(name).ok().flatten())
            .unwrap_or("")
    };
    let mut html = String::with_capacity(4096);
    html.push_str(&format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n",
        title = escape(title)
    ));
    html.push_str(&format!("<p id=\"message\">{}", escape(&message)));
    if let Some(field) = field {
        html.push_str(&format!(" (field: <code>{}</code>)", escape(field)));
    }
    html.push_str(&format!(
        " <small>[{} {}]</small></p>\n",
        status.as_u16(),
        escape(err.code().as_str())
    ));
    if let Some(retry) = err.retry_after_secs() {
        html.push_str(&format!(
            "<p>Please wait {retry} seconds before sending it again.</p>\n"
        ));
    }
    // A closed article takes no comment however often it is sent: no form to send again.
    let resendable = err.code() != ErrorCode::ArticleClosed;
    if fields.is_some() && resendable {
        html.push_str("<form id=\"again\" method=\"post\" action=\"/api/v1/comments\">\n");
        for name in HIDDEN_FIELDS {
            let v = value(name);
            if !v.is_empty() {
                html.push_str(&format!(
                    "<input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
                    escape(v)
                ));
            }
        }
        html.push_str(&format!(
            "<p><label>Your name<br><input name=\"author_name\" value=\"{}\" required maxlength=\"100\"></label></p>\n\
             <p><label>E-mail (optional, never shown)<br><input name=\"author_email\" type=\"email\" value=\"{}\"></label></p>\n\
             <p><label>Your comment<br><textarea name=\"body\" rows=\"8\" cols=\"60\" required>{}</textarea></label></p>\n",
            escape(value("author_name")),
            escape(value("author_email")),
            escape(value("body")),
        ));
        if matches!(err, ApiError::LikelyAbusive) {
            html.push_str(
                "<p><button type=\"submit\" name=\"nudge\" value=\"on\">Post my edited comment</button>\n\
                 <button type=\"submit\" name=\"nudge\" value=\"off\">Post it as written (a moderator will review it)</button></p>\n",
            );
        } else {
            if !value("nudge").is_empty() {
                html.push_str(&format!(
                    "<input type=\"hidden\" name=\"nudge\" value=\"{}\">\n",
                    escape(value("nudge"))
                ));
            }
            html.push_str("<p><button type=\"submit\">Send again</button></p>\n");
        }
        html.push_str("</form>\n");
    }
    if let Some(back) = back {
        html.push_str(&format!(
            "<p><a id=\"back\" href=\"{}\">Back to the article</a></p>\n",
            escape(back.as_str())
        ));
    }
    html.push_str("</body>\n</html>\n");

    let mut response = HttpResponse::build(status);
    if let Some(secs) = err.retry_after_secs() {
        response.insert_header((header::RETRY_AFTER, secs));
    }
    response
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            content_security_policy(back),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ValidationError;
    use actix_web::body::to_bytes;
    use actix_web::http::StatusCode;
    use actix_web::test::TestRequest;

    fn url(raw: &str) -> WebUrl {
        WebUrl::parse(raw, "redirect_to").unwrap()
    }

    /// The status goes in the query (others kept, an old one replaced), the id in the fragment.
    #[test]
    fn success_locations() {
        let id = CommentId::new(42).unwrap();
        assert_eq!(
            success_location(&url("https://news.example/a#comments"), Status::Pending, id),
            "https://news.example/a?commentguard=pending#comment-42"
        );
        assert_eq!(
            success_location(
                &url("https://news.example/a?page=2&commentguard=pending"),
                Status::Published,
                id
            ),
            "https://news.example/a?page=2&commentguard=published#comment-42"
        );
    }

    /// Browsers' form posts ask for HTML; scripts and curl do not.
    #[test]
    fn browser_forms() {
        let form = "application/x-www-form-urlencoded";
        let html = "text/html,application/xhtml+xml,*/*;q=0.8";
        let req = |ct: &str, accept: Option<&str>| {
            let mut r = TestRequest::default().insert_header((header::CONTENT_TYPE, ct));
            if let Some(a) = accept {
                r = r.insert_header((header::ACCEPT, a));
            }
            r.to_http_request()
        };
        assert!(is_browser_form(&req(form, Some(html))));
        assert!(!is_browser_form(&req(form, Some("*/*"))));
        assert!(!is_browser_form(&req(form, None)));
        assert!(!is_browser_form(&req("application/json", Some(html))));
    }

    /// What the reader typed comes back escaped, in the form, with the message and a way back.
    #[actix_web::test]
    async fn error_pages_escape_and_keep_the_text() {
        let fields = Fields::decode(
            Encoding::Form,
            b"site=news&article_id=a&author_name=%3Cb%3EAnn&body=%3C%2Ftextarea%3E%3Cscript%3Ex()%3C%2Fscript%3E",
        )
        .unwrap();
        let err = ApiError::from(ValidationError::new(
            "body",
            crate::domain::ValidationCode::TooLong,
            "body is too long",
        ));
        let back = url("https://news.example/a?x=1&y=\"2\"");
        let res = error_page(&err, Some(&fields), Some(&back));
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res
            .headers()
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let html = String::from_utf8(to_bytes(res.into_body()).await.unwrap().to_vec()).unwrap();
        assert!(html.contains("body is too long (field: <code>body</code>)"));
        assert!(html.contains("&lt;/textarea&gt;&lt;script&gt;x()&lt;/script&gt;</textarea>"));
        assert!(html.contains("value=\"&lt;b&gt;Ann\""));
        assert!(!html.contains("<script>"));
        assert!(html.contains("href=\"https://news.example/a?x=1&amp;y=%222%22\""));
        assert!(html.contains("<input type=\"hidden\" name=\"article_id\" value=\"a\">"));
        assert_eq!(
            content_security_policy(Some(&back)),
            "default-src 'none'; base-uri 'none'; form-action 'self' https://news.example; \
             frame-ancestors 'none'"
        );
    }
}
