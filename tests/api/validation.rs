//! Bad input: every refusal is JSON with a stable code and, for fields, the field's name.
use serde_json::{json, Value};

use crate::helpers::{comment, json_body, spawn_app};

/// Each bad field gets 422 (or 400 when it is not even text) with its code and field.
#[tokio::test]
async fn each_bad_input_gets_its_code_and_field() {
    let app = spawn_app().await;
    let long_body = "x".repeat(5_001);
    let long_name = "n".repeat(101);
    let long_article = "a".repeat(201);
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        ("missing body", json!(null), 422, "REQUIRED", "body"),
        ("blank body", json!("   \n "), 422, "REQUIRED", "body"),
        ("body too long", json!(long_body), 422, "TOO_LONG", "body"),
        ("body not text", json!(["a"]), 400, "INVALID_TYPE", "body"),
        (
            "name too long",
            json!(long_name),
            422,
            "TOO_LONG",
            "author_name",
        ),
        (
            "bad e-mail",
            json!("not-an-email"),
            422,
            "INVALID_EMAIL",
            "author_email",
        ),
        (
            "javascript url",
            json!("javascript:alert(1)"),
            422,
            "INVALID_URL",
            "author_url",
        ),
        (
            "ftp article url",
            json!("ftp://news.example/x"),
            422,
            "INVALID_URL",
            "article_url",
        ),
        (
            "article id too long",
            json!(long_article),
            422,
            "TOO_LONG",
            "article_id",
        ),
        (
            "article id with control char",
            json!("a\u{7}b"),
            422,
            "INVALID_CHARACTERS",
            "article_id",
        ),
        (
            "unknown site",
            json!("elsewhere"),
            422,
            "UNKNOWN_SITE",
            "site",
        ),
        (
            "bad parent id",
            json!("abc"),
            422,
            "INVALID_ID",
            "parent_id",
        ),
        (
            "unknown parent",
            json!(999_999),
            422,
            "PARENT_NOT_FOUND",
            "parent_id",
        ),
        (
            "nudge not a flag",
            json!("maybe"),
            400,
            "INVALID_TYPE",
            "nudge",
        ),
        ("body a number", json!(12), 400, "INVALID_TYPE", "body"),
        ("body a boolean", json!(true), 400, "INVALID_TYPE", "body"),
        (
            "name a number",
            json!(7),
            400,
            "INVALID_TYPE",
            "author_name",
        ),
        (
            "name with a direction override",
            json!("admin\u{202E}gnp.exe"),
            422,
            "INVALID_CHARACTERS",
            "author_name",
        ),
        (
            "name with a zero-width space",
            json!("Ann\u{200B}"),
            422,
            "INVALID_CHARACTERS",
            "author_name",
        ),
    ];
    for (why, value, status, code, field) in cases {
        let mut c = comment("A perfectly fine comment.");
        let key = match why {
            "missing body" | "blank body" | "body too long" | "body not text" | "body a number"
            | "body a boolean" => "body",
            "name too long"
            | "name a number"
            | "name with a direction override"
            | "name with a zero-width space" => "author_name",
            "bad e-mail" => "author_email",
            "javascript url" => "author_url",
            "ftp article url" => "article_url",
            "unknown site" => "site",
            "bad parent id" | "unknown parent" => "parent_id",
            "nudge not a flag" => "nudge",
            _ => "article_id",
        };
        c[key] = value;

        let res = app.post_comment_json(&c).await;

        assert_eq!(res.status().as_u16(), status, "{why}");
        let json = json_body(res).await;
        assert_eq!(json["error"]["code"], code, "{why}: {json}");
        assert_eq!(json["error"]["field"], field, "{why}: {json}");
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{why}"
        );
    }
    assert_eq!(app.stored_comments(), 0, "nothing invalid is stored");
}

/// A site that requires e-mails refuses comments without one.
#[tokio::test]
async fn required_email_is_enforced() {
    let app = crate::helpers::spawn_app_with(|c| {
        c.sites.get_mut(crate::helpers::SITE).unwrap().require_email = true;
    })
    .await;
    let mut c = comment("A perfectly fine comment.");
    c.as_object_mut().unwrap().remove("author_email");
    let res = app.post_comment_json(&c).await;
    assert_eq!(res.status(), 422);
    let json = json_body(res).await;
    assert_eq!(
        (
            json["error"]["code"].as_str(),
            json["error"]["field"].as_str()
        ),
        (Some("REQUIRED"), Some("author_email"))
    );
}

/// Protocol-level errors — unknown route, wrong method, undecodable or oversized body,
/// wrong content type — are JSON errors too.
#[tokio::test]
async fn protocol_errors_are_json() {
    let app = spawn_app().await;
    let c = &app.client;
    let big = "x".repeat(65 * 1024);
    let cases = vec![
        ("unknown route", c.get(app.url("/nope")), 404, "NOT_FOUND"),
        (
            "wrong method",
            c.get(app.url("/api/v1/comments")),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        (
            "wrong method on listing",
            c.delete(app.url("/api/v1/sites/news/articles/a/comments")),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        (
            "malformed JSON",
            c.post(app.url("/api/v1/comments"))
                .header("content-type", "application/json")
                .body("{\"body\":"),
            400,
            "INVALID_JSON",
        ),
        (
            "JSON array",
            c.post(app.url("/api/v1/comments"))
                .header("content-type", "application/json")
                .body("[]"),
            400,
            "INVALID_JSON",
        ),
        (
            "text/plain",
            c.post(app.url("/api/v1/comments"))
                .header("content-type", "text/plain")
                .body("hello"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "no content type",
            c.post(app.url("/api/v1/comments")).body("hello"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
        (
            "over 64 KiB",
            c.post(app.url("/api/v1/comments"))
                .header("content-type", "application/json")
                .body(big),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        (
            "bad listing limit",
            c.get(app.url("/api/v1/sites/news/articles/a/comments?limit=0")),
            422,
            "OUT_OF_RANGE",
        ),
        (
            "bad listing cursor",
            c.get(app.url("/api/v1/sites/news/articles/a/comments?cursor=zzz")),
            400,
            "INVALID_CURSOR",
        ),
        (
            "non-numeric limit",
            c.get(app.url("/api/v1/sites/news/articles/a/comments?limit=ten")),
            400,
            "INVALID_QUERY",
        ),
        (
            "unknown site listing",
            c.get(app.url("/api/v1/sites/nope/articles/a/comments")),
            404,
            "SITE_NOT_FOUND",
        ),
        (
            "bad comment id",
            c.get(app.url("/api/v1/comments/abc")),
            404,
            "NOT_FOUND",
        ),
        (
            "unknown comment",
            c.get(app.url("/api/v1/comments/424242")),
            404,
            "COMMENT_NOT_FOUND",
        ),
        (
            "form token for an unknown site",
            c.get(app.url("/api/v1/form-token?site=nope")),
            422,
            "UNKNOWN_SITE",
        ),
    ];
    for (why, request, status, code) in cases {
        let res = request.send().await.unwrap();
        assert_eq!(res.status().as_u16(), status, "{why}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{why}"
        );
        assert_eq!(json_body(res).await["error"]["code"], code, "{why}");
    }
}

/// A form whose percent-encoded bytes are not UTF-8 is refused, naming the field, rather
/// than stored with U+FFFD in place of the bytes.
#[tokio::test]
async fn forms_with_invalid_utf8_are_refused() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/comments"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("site=news&article_id=a1&author_name=Ann&body=caf%E9+au+lait")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "INVALID_FORM", "{json}");
    assert_eq!(json["error"]["field"], "body", "{json}");
    assert_eq!(app.stored_comments(), 0);
}
