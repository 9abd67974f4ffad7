//! Every moderator and admin route refuses anonymous callers.
//!
//! The routes are read from the route tables documented at the top of the review and
//! admin files ([`REVIEW_AND_ADMIN_FILES`]: a route added to one of them is checked here
//! without touching this file), and each must answer 401 without a token and with a wrong
//! one — which also proves each documented route exists (an unknown one is a 404). Then
//! every other method and a spread of undocumented paths under the two scopes must not
//! answer anything but 401, 404 or 405 to an anonymous caller.
use reqwest::Method;

use crate::helpers::{json_body, spawn_app_with, trust_local_proxy};

/// The files whose route tables list moderator and admin routes.
const REVIEW_AND_ADMIN_FILES: &[&str] = &[
    "src/http/review.rs",
    "src/http/review_counts.rs",
    "src/http/review_authors.rs",
    "src/http/review_undo.rs",
    "src/http/admin.rs",
    "src/http/rules.rs",
];

/// `(method, path)` rows of the `//! | METHOD | `/path` | … |` tables of a source file.
fn documented_routes(file: &str) -> Vec<(Method, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let source = std::fs::read_to_string(&path).unwrap();
    let mut routes = Vec::new();
    for line in source.lines() {
        let Some(row) = line.strip_prefix("//! | ") else {
            continue;
        };
        let cells: Vec<&str> = row.split(" | ").collect();
        let (Some(methods), Some(route)) = (cells.first(), cells.get(1)) else {
            continue;
        };
        let Some(route) = route.strip_prefix('`').and_then(|r| r.strip_suffix('`')) else {
            continue;
        };
        for method in methods.split(", ") {
            if let Ok(method) = method.parse::<Method>() {
                routes.push((method, route.replace("{id}", "1").replace("{site}", "news")));
            }
        }
    }
    routes
}

/// Each documented review and admin route answers 401 to a caller without a token or
/// with a wrong one, whatever the body.
#[tokio::test]
async fn every_moderator_and_admin_route_refuses_anonymous_callers() {
    // Each request from its own client IP: the failed-authentication limit is not what is
    // tested here.
    let app = spawn_app_with(trust_local_proxy).await;
    let mut ip = 0u32;
    let mut next_ip = || {
        ip += 1;
        format!("10.{}.{}.{}", ip >> 16 & 255, ip >> 8 & 255, ip & 255)
    };
    let mut routes = Vec::new();
    for file in REVIEW_AND_ADMIN_FILES {
        routes.extend(documented_routes(file));
    }
    assert!(routes.len() >= 13, "the route tables were read: {routes:?}");
    for (method, path) in &routes {
        assert!(
            path.starts_with("/api/v1/review") || path.starts_with("/api/v1/admin"),
            "{path}"
        );
        let plausible = serde_json::json!({"decision": "approve", "version": 1, "id": 1,
            "author_email": "a@example.com", "site": "news", "decisions": []})
        .to_string();
        // A body no route accepts: credentials are judged before the body is read.
        let malformed = "{\"changes\": 7, \"decisions\": \"x\"".to_owned();
        let cases = [
            (None, &plausible),
            (Some("cgm_not_a_token"), &plausible),
            (Some(""), &plausible),
            (Some("cgm_not_a_token"), &malformed),
            (None, &malformed),
        ];
        for (token, body) in cases {
            let mut request = app
                .client
                .request(method.clone(), app.url(path))
                .header("content-type", "application/json")
                .body(body.clone())
                .header("x-forwarded-for", next_ip());
            if let Some(token) = token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            let res = request.send().await.unwrap();
            let status = res.status().as_u16();
            let json = json_body(res).await;
            assert_eq!(
                status, 401,
                "{method} {path} with {token:?}, {body}: {json}"
            );
            assert!(
                matches!(
                    json["error"]["code"].as_str(),
                    Some("MISSING_TOKEN" | "INVALID_TOKEN")
                ),
                "{method} {path}: {json}"
            );
        }
    }

    // Nothing under the two scopes answers an anonymous caller with data: other methods,
    // sub-paths, odd ids.
    let probes = [
        "/api/v1/review",
        "/api/v1/review/",
        "/api/v1/review/1",
        "/api/v1/review/-1",
        "/api/v1/review/abc",
        "/api/v1/review/1/decision",
        "/api/v1/review/1/decisions",
        "/api/v1/review/decisions",
        "/api/v1/review/authors",
        "/api/v1/review/authors/ban",
        "/api/v1/review/authors/unban",
        "/api/v1/review/authors/bans",
        "/api/v1/review/counts",
        "/api/v1/review/1/undo",
        "/api/v1/review/1/2",
        "/api/v1/admin",
        "/api/v1/admin/",
        "/api/v1/admin/models",
        "/api/v1/admin/reload-models",
        "/api/v1/admin/erase",
        "/api/v1/admin/anything",
        "/api/v1/admin/sites/news/rules",
        "/api/v1/admin/sites/nowhere/rules",
    ];
    for path in probes {
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::DELETE,
            Method::PATCH,
        ] {
            let res = app
                .client
                .request(method.clone(), app.url(path))
                .header("x-forwarded-for", next_ip())
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            assert!(
                matches!(status, 401 | 404 | 405),
                "{method} {path}: {status}"
            );
        }
    }
}
