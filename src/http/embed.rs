//! `GET /embed.js` and `GET /embed.css`: the drop-in comments for article pages — plain
//! JavaScript and CSS compiled into the binary (`include_str!`), no CDN, no build step.
//!
//! An article page adds one element and one script tag:
//! ```html
//! <div id="commentguard" data-site="dailynews" data-article="2024/05/budget"></div>
//! <script src="https://comments.example/embed.js" async></script>
//! ```
//! The script finds the service's address from its own `src`, adds the stylesheet, and
//! renders the published thread and the comment form (see the comments in `embed.js`).
//! It never writes HTML: comment text goes into the page with `textContent` only, and it
//! creates no inline script or style, so it works under a strict Content-Security-Policy
//! that allows the service's origin.
//!
//! Both files are public and the same for every site, so caches may keep them a few
//! minutes; `Cross-Origin-Resource-Policy: cross-origin` lets pages that isolate
//! themselves (COEP) load them.
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpResponse};

/// The embed script.
pub const SCRIPT: &str = include_str!("embed.js");
/// The embed's default look, themable with `--cg-*` CSS variables.
pub const STYLE: &str = include_str!("embed.css");

/// How long browsers and proxies may cache the files, in seconds.
const MAX_AGE_SECS: u32 = 300;

/// Registers `/embed.js` and `/embed.css`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/embed.js").route(web::get().to(script)))
        .service(web::resource("/embed.css").route(web::get().to(style)));
}

fn respond(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(content_type)))
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={MAX_AGE_SECS}"),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("cross-origin-resource-policy", "cross-origin"))
        .body(body)
}

/// `GET /embed.js`
#[utoipa::path(get, path = "/embed.js", tag = "embed",
    responses((status = 200, description = "The embed script", content_type = "text/javascript", body = String)))]
pub async fn script() -> HttpResponse {
    respond("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /embed.css`
#[utoipa::path(get, path = "/embed.css", tag = "embed",
    responses((status = 200, description = "The embed's default style", content_type = "text/css", body = String)))]
pub async fn style() -> HttpResponse {
    respond("text/css; charset=utf-8", STYLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The script never turns text into markup and never needs an inline script or style.
    #[test]
    fn script_never_writes_html() {
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "setAttribute(\"style\"",
            ".style.",
            "createElement(\"style\")",
            "createElement(\"script\")",
        ] {
            assert!(!SCRIPT.contains(sink), "embed.js must not use {sink}");
        }
        assert!(SCRIPT.contains("textContent"));
    }

    /// Every colour, font and spacing goes through a `--cg-*` variable with a default.
    #[test]
    fn style_is_themable() {
        for var in [
            "--cg-accent",
            "--cg-font",
            "--cg-text",
            "--cg-bg",
            "--cg-border",
        ] {
            assert!(STYLE.contains(&format!("var({var}, ")), "{var}");
        }
    }
}
