//! Reader reports: enough readers reporting a published comment take it off the article
//! and send it back to the review queue as `reported`.
use commentguard::classifier::Task;

use crate::helpers::{
    clearly_bad, clearly_fine, comment, json_body, spawn_app_with, trust_local_proxy, TestApp,
    ORIGIN, SITE,
};

const ARTICLE: &str = "2024/budget";

/// A test app behind a trusted proxy (so `X-Forwarded-For` names the reader) whose site
/// takes a comment down at `threshold` reports.
async fn app_with_threshold(threshold: u32) -> TestApp {
    spawn_app_with(|c| {
        trust_local_proxy(c);
        c.sites.get_mut(SITE).unwrap().reports_to_review = threshold;
    })
    .await
}

/// A published comment on the article; returns its id.
async fn published(app: &TestApp) -> i64 {
    app.post_comment_expecting(&comment(&clearly_fine(1)[0]), "published")
        .await
}

/// Three reports from three readers send a published comment back to the queue: it
/// leaves the article's listing, its status is `reported` with a `reported` reason and a
/// new version. Until the third, nothing changes.
#[tokio::test]
async fn three_readers_send_a_comment_back_to_the_queue() {
    let app = app_with_threshold(3).await;
    let id = published(&app).await;

    for ip in ["198.51.100.1", "198.51.100.2"] {
        let res = app.report(id, "name-calling", ip).await;
        assert_eq!(res.status(), 202);
        let json = json_body(res).await;
        assert_eq!(json["comment_id"], id);
        assert_eq!(json["status"], "received");
        assert_eq!(app.listed_ids(ARTICLE).await, vec![id], "still listed");
    }
    let third = app.report(id, "", "198.51.100.3").await;

    assert_eq!(
        third.status(),
        202,
        "the same answer: the count is not revealed"
    );
    assert!(app.listed_ids(ARTICLE).await.is_empty(), "off the article");
    let stored = json_body(app.get_comment_as_backend(id).await).await;
    assert_eq!(stored["status"], "reported");
    assert_eq!(stored["backend"]["version"], 2);
    let last_reason = stored["backend"]["reasons"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert_eq!(last_reason["code"], "reported");
    assert_eq!(last_reason["detail"], "3 reader reports");
    let anonymous = app
        .client
        .get(app.url(&format!("/api/v1/comments/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 404, "hidden from the public");
}

/// A reader's second report of the same comment is refused with 409 and does not count.
#[tokio::test]
async fn a_second_report_from_the_same_reader_does_not_count() {
    let app = app_with_threshold(2).await;
    let id = published(&app).await;
    assert_eq!(app.report(id, "spam", "203.0.113.7").await.status(), 202);

    let again = app.report(id, "spam!!", "203.0.113.7").await;

    assert_eq!(again.status(), 409);
    assert_eq!(json_body(again).await["error"]["code"], "ALREADY_REPORTED");
    assert_eq!(app.listed_ids(ARTICLE).await, vec![id], "one report so far");
    assert_eq!(app.report(id, "spam", "203.0.113.8").await.status(), 202);
    assert!(app.listed_ids(ARTICLE).await.is_empty(), "two readers");
}

/// Only published comments can be reported: held, unknown and malformed ids are all the
/// same 404, so held comments cannot be probed.
#[tokio::test]
async fn only_published_comments_can_be_reported() {
    let app = spawn_app_with(|c| {
        // Spam is held at the model's review threshold, rejected only when certain.
        c.sites.get_mut(SITE).unwrap().thresholds.spam_reject = Some(1.0);
    })
    .await;
    let spam = clearly_bad("tubespam.csv", Task::Spam, 1).remove(0);
    let held = app.post_comment_expecting(&comment(&spam), "pending").await;

    for (path, why) in [
        (format!("/api/v1/comments/{held}/report"), "held"),
        ("/api/v1/comments/999999/report".to_owned(), "unknown"),
        ("/api/v1/comments/0/report".to_owned(), "not an id"),
        ("/api/v1/comments/abc/report".to_owned(), "not a number"),
    ] {
        let res = app
            .client
            .post(app.url(&path))
            .json(&serde_json::json!({"reason": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{why}");
        let json = json_body(res).await;
        assert!(json["error"]["code"].is_string(), "{why}: {json}");
    }
    let stored = json_body(app.get_comment_as_backend(held).await).await;
    assert_eq!(stored["status"], "pending", "untouched");
}

/// Reports are rate-limited per reader IP, with Retry-After; other readers are not
/// affected.
#[tokio::test]
async fn reports_are_rate_limited_per_ip() {
    let app = spawn_app_with(|c| {
        trust_local_proxy(c);
        let limits = &mut c.sites.get_mut(SITE).unwrap().rate_limit;
        limits.report_ip_burst = 2;
        limits.report_ip_per_minute = 1;
    })
    .await;
    let mut ids = Vec::new();
    for text in clearly_fine(3) {
        ids.push(
            app.post_comment_expecting(&comment(&text), "published")
                .await,
        );
    }
    for id in &ids[..2] {
        assert_eq!(app.report(*id, "", "192.0.2.50").await.status(), 202);
    }

    let limited = app.report(ids[2], "", "192.0.2.50").await;

    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(json_body(limited).await["error"]["code"], "RATE_LIMITED");
    assert_eq!(app.report(ids[2], "", "192.0.2.51").await.status(), 202);
}

/// A plain HTML form on the article page reports and is sent back to the page; a reason
/// that is too long is refused naming the field.
#[tokio::test]
async fn a_form_report_redirects_back_and_reasons_are_checked() {
    let app = app_with_threshold(3).await;
    let id = published(&app).await;
    let url = app.url(&format!("/api/v1/comments/{id}/report"));
    let page = format!("{ORIGIN}/{ARTICLE}");

    let long = app
        .client
        .post(&url)
        .form(&[("reason", "x".repeat(501).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(long.status(), 422);
    let json = json_body(long).await;
    assert_eq!(json["error"]["code"], "TOO_LONG");
    assert_eq!(json["error"]["field"], "reason");

    let form = app
        .client
        .post(&url)
        .form(&[("reason", "off-topic"), ("redirect_to", page.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 303);
    assert_eq!(form.headers()["location"], page.as_str());

    let elsewhere = app
        .client
        .post(&url)
        .header("x-forwarded-for", "198.51.100.9")
        .form(&[("redirect_to", "https://evil.example/")])
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 422);
    assert_eq!(
        json_body(elsewhere).await["error"]["code"],
        "REDIRECT_NOT_ALLOWED"
    );
}
