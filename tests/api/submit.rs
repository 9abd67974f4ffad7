//! Submitting comments: JSON and forms, published and held, what each caller may see.
use commentguard::classifier::Task;
use serde_json::Value;

use crate::helpers::{
    clearly_bad, clearly_fine, comment, json_body, spawn_app, spawn_app_with, ORIGIN, SITE,
};

/// An ordinary comment is published at once (201 + Location) and is listed on its article.
#[tokio::test]
async fn normal_comment_is_published_and_listed() {
    let app = spawn_app().await;
    let text = clearly_fine(1).remove(0);

    let res = app.post_comment_json(&comment(&text)).await;

    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let json = json_body(res).await;
    assert_eq!(json["status"], "published");
    assert_eq!(location, format!("/api/v1/comments/{}", json["id"]));
    assert!(
        json.get("scores").is_none(),
        "anonymous callers see no scores"
    );
    let listed = json_body(app.list_comments("2024/budget", &[]).await).await;
    assert_eq!(listed["comments"][0]["id"], json["id"]);
    assert_eq!(listed["comments"][0]["body"], text.trim());
    let public = app.client.get(app.url(&location)).send().await.unwrap();
    assert_eq!(public.status(), 200, "Location points at the comment");
}

/// A form post with `redirect_to` on the site's origin is answered 303 back to that page,
/// saying the comment is published and which it is.
#[tokio::test]
async fn form_post_redirects_back_to_the_article() {
    let app = spawn_app().await;
    let text = clearly_fine(1).remove(0);
    let back = format!("{ORIGIN}/2024/budget#comments");

    let res = app
        .post_comment_form(&[
            ("site", SITE),
            ("article_id", "2024/budget"),
            ("author_name", "A Reader"),
            ("author_email", ""),
            ("website", ""),
            ("body", &text),
            ("redirect_to", &back),
        ])
        .await;
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!(
            "{ORIGIN}/2024/budget?commentguard=published#comment-"
        )),
        "{location}"
    );

    assert_eq!(res.status(), 303);
    let id = json_body(res).await["id"].as_i64().unwrap();
    assert_eq!(app.stored_comments(), 1);
    assert_eq!(app.listed_ids("2024/budget").await, [id]);
}

/// A form post is answered with JSON when it names no `redirect_to`.
#[tokio::test]
async fn form_post_without_redirect_gets_json() {
    let app = spawn_app().await;
    let text = clearly_fine(1).remove(0);
    let res = app
        .post_comment_form(&[
            ("article_id", "a1"),
            ("author_name", "Ann"),
            ("body", &text),
        ])
        .await;
    assert_eq!(
        res.status(),
        201,
        "site may be omitted when the instance has one site"
    );
    assert_eq!(json_body(res).await["status"], "published");
}

/// `redirect_to` pointing anywhere but the site's origins is refused (no open redirect)
/// and nothing is stored.
#[tokio::test]
async fn form_redirect_to_another_origin_is_refused() {
    let app = spawn_app().await;
    let text = clearly_fine(1).remove(0);
    for target in [
        "https://evil.example/phish",
        "https://news.example.evil.example/",
        "javascript:alert(1)",
    ] {
        let res = app
            .post_comment_form(&[
                ("article_id", "a1"),
                ("author_name", "Ann"),
                ("body", &text),
                ("redirect_to", target),
            ])
            .await;
        assert_eq!(res.status(), 422, "{target}");
        let json = json_body(res).await;
        assert_eq!(json["error"]["field"], "redirect_to", "{target}");
    }
    assert_eq!(app.stored_comments(), 0);
}

/// Real spam from the corpus is held: anonymous callers see `pending`, the backend sees
/// the spam reason, the score and the words that drove it.
#[tokio::test]
async fn real_spam_is_held() {
    let app = spawn_app().await;
    let spam = clearly_bad("tubespam.csv", Task::Spam, 6);
    // Different texts for the two callers: the same text again would be a duplicate.
    for (anonymous, text) in spam[..3].iter().zip(&spam[3..]) {
        let anon = app.post_comment_json(&comment(anonymous)).await;
        assert_eq!(anon.status(), 202, "{anonymous}");
        let anon = json_body(anon).await;
        assert_eq!(anon["status"], "pending", "{anonymous}");
        assert!(anon.get("scores").is_none() && anon.get("reasons").is_none());

        let backend = json_body(app.post_comment_as_backend(&comment(text)).await).await;
        assert_ne!(backend["status"], "published", "{text}");
        let spam = &backend["scores"]["spam"];
        assert!(spam["probability"].as_f64().unwrap() >= 0.5, "{backend}");
        assert!(
            !spam["top_tokens"].as_array().unwrap().is_empty(),
            "explained: {backend}"
        );
        assert!(has_reason(&backend, "spam"), "{backend}");
    }
    let listed = json_body(app.list_comments("2024/budget", &[]).await).await;
    assert_eq!(
        listed["comments"].as_array().unwrap().len(),
        0,
        "held comments are not listed"
    );
}

/// Real abusive comments from the corpus are held.
#[tokio::test]
async fn real_abuse_is_held() {
    let app = spawn_app().await;
    for file in ["davidson.csv", "civil_comments.csv"] {
        for text in clearly_bad(file, Task::Abuse, 2) {
            let res = app.post_comment_as_backend(&comment(&text)).await;
            assert_eq!(res.status(), 202, "{text}");
            let json = json_body(res).await;
            assert_ne!(json["status"], "published", "{text}");
            assert!(has_reason(&json, "abuse"), "{json}");
        }
    }
}

/// Whether the backend response lists `code` among its reasons.
fn has_reason(json: &Value, code: &str) -> bool {
    json["reasons"]
        .as_array()
        .is_some_and(|r| r.iter().any(|r| r["code"] == code))
}

/// An anonymous caller gets byte-for-byte the same kind of answer for a rejected comment
/// as for a held one; only the backend can tell them apart.
#[tokio::test]
async fn anonymous_caller_cannot_tell_rejected_from_held() {
    let app = spawn_app_with(|c| {
        c.sites.get_mut(SITE).unwrap().premoderate_articles = vec!["held-article".into()];
    })
    .await;
    let texts = clearly_fine(2);
    let mut held = comment(&texts[0]);
    held["article_id"] = "held-article".into();
    let mut rejected = comment(&texts[1]);
    rejected["website"] = "http://bot.example".into(); // the honeypot

    let held_res = app.post_comment_json(&held).await;
    let rejected_res = app.post_comment_json(&rejected).await;

    assert_eq!(held_res.status(), rejected_res.status());
    assert_eq!(held_res.status(), 202);
    let (held_json, rejected_json) = (json_body(held_res).await, json_body(rejected_res).await);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&held_json), keys(&rejected_json));
    assert_eq!(held_json["status"], "pending");
    assert_eq!(rejected_json["status"], "pending");
    let truth = json_body(
        app.get_comment_as_backend(rejected_json["id"].as_i64().unwrap())
            .await,
    )
    .await;
    assert_eq!(truth["status"], "rejected");
    let public = app
        .client
        .get(app.url(&format!("/api/v1/comments/{}", rejected_json["id"])))
        .send()
        .await
        .unwrap();
    assert_eq!(
        public.status(),
        404,
        "unpublished comments are not shown to the public"
    );
}

/// A wrong API key is refused rather than silently treated as anonymous.
#[tokio::test]
async fn wrong_api_key_is_401() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/comments"))
        .bearer_auth("cg_not_the_key")
        .json(&comment("Hello there, nice article."))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(json_body(res).await["error"]["code"], "INVALID_API_KEY");
    assert_eq!(app.stored_comments(), 0);
}

/// A reply is accepted on its parent's article and listed with `parent_id`; a reply that
/// names a comment of another article is refused.
#[tokio::test]
async fn replies_link_to_parents_on_the_same_article_only() {
    let app = spawn_app().await;
    let texts = clearly_fine(3);
    let parent = json_body(app.post_comment_json(&comment(&texts[0])).await).await;
    let parent_id = parent["id"].as_i64().unwrap();

    let mut reply = comment(&texts[1]);
    reply["parent_id"] = parent_id.into();
    let res = app.post_comment_json(&reply).await;
    assert_eq!(res.status(), 201);

    let mut elsewhere = comment(&texts[2]);
    elsewhere["article_id"] = "another-article".into();
    elsewhere["parent_id"] = parent_id.into();
    let res = app.post_comment_json(&elsewhere).await;
    assert_eq!(res.status(), 422);
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "PARENT_ON_OTHER_ARTICLE");
    assert_eq!(json["error"]["field"], "parent_id");

    let listed = json_body(app.list_comments("2024/budget", &[]).await).await;
    assert_eq!(listed["comments"][1]["parent_id"], parent_id);
    assert_eq!(app.stored_comments(), 2);
}

/// The site's backend can fetch any of its comments with everything stored about it.
#[tokio::test]
async fn backend_sees_the_whole_stored_comment() {
    let app = spawn_app().await;
    let text = clearly_bad("tubespam.csv", Task::Spam, 1).remove(0);
    let mut c = comment(&text);
    c["client_ip"] = "203.0.113.9".into(); // the backend forwards its reader's address
    c["user_agent"] = "Mozilla/5.0 (reader)".into();
    let id = json_body(app.post_comment_as_backend(&c).await).await["id"]
        .as_i64()
        .unwrap();

    let json = json_body(app.get_comment_as_backend(id).await).await;

    assert_ne!(json["status"], "published");
    let backend = &json["backend"];
    assert_eq!(backend["author_email"], "reader@example.com");
    assert_eq!(backend["client_ip"], "203.0.113.9");
    assert_eq!(backend["version"], 1);
    assert!(backend["scores"]["spam"]["probability"].as_f64().unwrap() >= 0.5);
    assert!(has_reason(backend, "spam"), "{json}");
}
