//! Reading an article's published comments: oldest first, keyset pages, CORS.
use crate::helpers::{clearly_fine, comment, json_body, spawn_app, ORIGIN};

/// Published comments come oldest first in pages linked by an opaque cursor.
#[tokio::test]
async fn listing_is_paginated_oldest_first() {
    let app = spawn_app().await;
    let texts = clearly_fine(5);
    let mut ids = Vec::new();
    for text in &texts {
        let json = json_body(app.post_comment_json(&comment(text)).await).await;
        ids.push(json["id"].as_i64().unwrap());
    }

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(c) = &cursor {
            query.push(("cursor", c.as_str()));
        }
        let page = json_body(app.list_comments("2024/budget", &query).await).await;
        pages += 1;
        for c in page["comments"].as_array().unwrap() {
            seen.push(c["id"].as_i64().unwrap());
            assert!(c.get("author_email").is_none(), "e-mails are never public");
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    assert_eq!(pages, 3);
}

/// The article page's origin may read the listing from the browser; other origins may not.
#[tokio::test]
async fn listing_has_cors_for_the_site_origins_only() {
    let app = spawn_app().await;
    let path = app.url("/api/v1/sites/news/articles/2024%2Fbudget/comments");

    let ours = app
        .client
        .get(&path)
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(ours.status(), 200);
    assert_eq!(ours.headers()["access-control-allow-origin"], ORIGIN);

    let theirs = app
        .client
        .get(&path)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(theirs
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/comments"))
        .header("origin", ORIGIN)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(preflight.headers()["access-control-allow-origin"], ORIGIN);
}
