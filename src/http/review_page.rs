//! `GET /review`: the review desk — plain HTML, CSS and vanilla JavaScript compiled into
//! the binary (`include_str!`), no build step, no third-party resource.
//!
//! A moderator signs in once with their token (`POST /api/v1/session`: an HttpOnly,
//! SameSite=Strict session cookie the page never sees, and a CSRF token it sends with
//! every change). The page lists the queue with filters and counts that refresh on their
//! own, decides from the keyboard (`j`/`k`, `a`, `s`, `x`, `u`, `?`) or in bulk, opens an
//! author's comments and bans, lists bans, and — for admins — changes the site rules.
//!
//! It is served with a strict Content-Security-Policy: scripts, styles and API calls from
//! this origin only, nothing inline, no images, no frames (`frame-ancestors 'none'`), no
//! forms posting anywhere, and Trusted Types required for every DOM sink that could parse
//! HTML or load script (so such a call would throw even if one were written). Comment text
//! and every other value from the API are inserted with `textContent`, never as HTML, so a
//! comment cannot script the moderator's browser even if the CSP were missing.
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};

const PAGE: &str = include_str!("review_page.html");
const SCRIPT: &str = include_str!("review_page.js");
const STYLE: &str = include_str!("review_page.css");

/// The policy of the page and its assets.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; connect-src 'self'; img-src 'none'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; \
     trusted-types 'none'";

/// Registers `/review`, `/review/review.js` and `/review/review.css`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/review").route(web::get().to(page)))
        .service(web::resource("/review/review.js").route(web::get().to(script)))
        .service(web::resource("/review/review.css").route(web::get().to(style)));
}

fn respond(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}

/// `GET /review`: the moderators' page (its script and style are at `/review/review.js`
/// and `/review/review.css`).
#[utoipa::path(get, path = "/review", tag = "embed",
    responses((status = 200, description = "The moderators' page", content_type = "text/html", body = String)))]
pub async fn page() -> HttpResponse {
    respond("text/html; charset=utf-8", PAGE)
}

/// `GET /review/review.js`: the page's script.
#[utoipa::path(get, path = "/review/review.js", tag = "embed",
    responses((status = 200, description = "The moderators' page's script", content_type = "text/javascript", body = String)))]
pub async fn script() -> HttpResponse {
    respond("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /review/review.css`: the page's style.
#[utoipa::path(get, path = "/review/review.css", tag = "embed",
    responses((status = 200, description = "The moderators' page's style", content_type = "text/css", body = String)))]
pub async fn style() -> HttpResponse {
    respond("text/css; charset=utf-8", STYLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page loads only its own script and style, and the script never writes HTML.
    #[test]
    fn page_is_self_contained_and_never_writes_html() {
        assert!(PAGE.contains(r#"<script src="/review/review.js" defer></script>"#));
        assert!(PAGE.contains(r#"<link rel="stylesheet" href="/review/review.css">"#));
        assert!(
            !PAGE.contains("<script>"),
            "no inline script (CSP forbids it)"
        );
        assert!(!PAGE.contains("style="), "no inline style (CSP forbids it)");
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!SCRIPT.contains(sink), "review_page.js must not use {sink}");
        }
    }
}
