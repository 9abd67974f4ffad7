//! CORS: which pages may call the API from the browser.
//!
//! The listing of a site's article (`/api/v1/sites/{site}/…`) is readable from that site's
//! origins only. Routes not tied to a site in their path (submitting, form tokens) are
//! allowed from the origins of any configured site; the submission itself then checks
//! the named site. No credentials (cookies) are involved, and the API key is for
//! backends, so `Authorization` is not an allowed header for browsers.
//!
//! A request whose `Origin` is the service itself (the moderators' page at `/review`
//! calling the review API) is same-origin, not cross-origin, and is let through.
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::http::{header, Method};

use crate::domain::{Origin, Sites};

/// How long browsers may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: usize = 3600;

/// The site id in a `/api/v1/sites/{site}/…` path.
fn site_in_path(path: &str) -> Option<&str> {
    path.strip_prefix("/api/v1/sites/")?.split('/').next()
}

/// Whether a browser on `origin` may call `path`.
pub fn allowed(sites: &Sites, origin: &str, path: &str) -> bool {
    let Ok(origin) = Origin::parse(origin) else {
        return false;
    };
    match site_in_path(path) {
        Some(site) => sites.get(site).is_some_and(|s| s.allows_origin(&origin)),
        None => sites.any_allows_origin(&origin),
    }
}

/// Whether `origin` is the origin the request was sent to (same host and port as the
/// `Host` header): a same-origin request, which CORS has no say over.
pub fn same_origin(origin: &str, host: Option<&str>) -> bool {
    let Some(host) = host.map(str::trim).filter(|h| !h.is_empty()) else {
        return false;
    };
    origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

/// The CORS middleware for one worker.
pub fn middleware(sites: Arc<Sites>) -> Cors {
    Cors::default()
        .allowed_origin_fn(move |origin, head| {
            let host = head
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok());
            origin
                .to_str()
                .is_ok_and(|o| same_origin(o, host) || allowed(&sites, o, head.uri.path()))
        })
        .allowed_methods([Method::GET, Method::POST])
        .allowed_headers([header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([header::LOCATION, header::RETRY_AFTER])
        .max_age(PREFLIGHT_MAX_AGE)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::SiteConfig;

    /// A site's listing is open to its own origins only; submitting to any site's origins.
    #[test]
    fn origins_per_site() {
        let mut configs = BTreeMap::new();
        let site = |o: &str| SiteConfig {
            origins: vec![Origin::parse(o).unwrap()],
            ..SiteConfig::default()
        };
        configs.insert("a".to_owned(), site("https://a.example"));
        configs.insert("b".to_owned(), site("https://b.example"));
        let sites = Sites::from_config(&configs).unwrap();
        let list_a = "/api/v1/sites/a/articles/x/comments";
        assert!(allowed(&sites, "https://a.example", list_a));
        assert!(!allowed(&sites, "https://b.example", list_a));
        assert!(allowed(&sites, "https://b.example", "/api/v1/comments"));
        assert!(!allowed(&sites, "https://evil.example", "/api/v1/comments"));
        assert!(!allowed(&sites, "null", "/api/v1/comments"));
    }

    /// The service's own pages are same-origin: scheme aside, host and port must match.
    #[test]
    fn same_origin_requests() {
        let host = Some("review.example:8080");
        assert!(same_origin("http://review.example:8080", host));
        assert!(same_origin("https://REVIEW.example:8080", host));
        assert!(!same_origin("https://review.example", host));
        assert!(!same_origin("https://evil.example:8080", host));
        assert!(!same_origin("null", host));
        assert!(!same_origin("https://review.example:8080", None));
    }
}
