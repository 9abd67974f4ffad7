//! Data care on the suite's backend: `commentguard purge` applying the retention
//! settings, and erasing one commenter everywhere (admin API, then `commentguard forget`).
use serde_json::{json, Value};

use crate::helpers::{comment, json_body, spawn_app_with, TestApp, API_KEY, SITE};
use crate::review_support::{add_moderator, commentguard, outputs, with_other_site, OTHER_SITE};

/// Days ago, in unix milliseconds.
fn days_ago(days: i64) -> i64 {
    commentguard::clock::Clock::system().now_millis() - days * 24 * 60 * 60 * 1000
}

/// Posts a comment as the backend and returns its id.
async fn post(app: &TestApp, body: &str, email: &str, site: &str) -> i64 {
    let mut c = comment(body);
    c["author_email"] = email.into();
    c["site"] = site.into();
    c["user_agent"] = "Mozilla/5.0 (test)".into();
    c["client_ip"] = "203.0.113.7".into();
    let json = json_body(app.post_comment_as_backend(&c).await).await;
    json["id"].as_i64().unwrap_or_else(|| panic!("{json}"))
}

/// `commentguard purge` applies `retention_days`: old rejected comments are deleted, old
/// others keep their text but lose IP, e-mail and user agent; newer ones are untouched;
/// old audit entries go past `retention.audit_days`.
#[tokio::test]
async fn purge_applies_retention() {
    let app = spawn_app_with(|c| {
        c.sites.get_mut(SITE).unwrap().retention_days = Some(30);
        c.retention.audit_days = Some(365);
    })
    .await;
    let admin = add_moderator(&app, "ops", &[], true).await;
    let old_kept = post(
        &app,
        "An old comment the site published.",
        "old@example.com",
        SITE,
    )
    .await;
    let old_rejected = post(
        &app,
        "An old comment a moderator rejected.",
        "old2@example.com",
        SITE,
    )
    .await;
    let new = post(
        &app,
        "A fresh comment from this week.",
        "new@example.com",
        SITE,
    )
    .await;
    let v = json_body(app.get_comment_as_backend(old_rejected).await).await["backend"]["version"]
        .as_i64()
        .unwrap();
    let res = app
        .decide(
            &admin,
            old_rejected,
            &json!({"decision": "reject", "label": "spam", "version": v}),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.execute_sql(&format!(
        "UPDATE comments SET created_at = {} WHERE id IN ({old_kept}, {old_rejected})",
        days_ago(40)
    ));
    app.execute_sql(&format!(
        "UPDATE decisions SET created_at = {}",
        days_ago(400)
    ));

    let config = app.config_file();
    let run = commentguard(&["purge", "--config", config.to_str().unwrap()]);
    let (stdout, stderr) = outputs(&run);
    assert!(run.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["rejected_comments_deleted"], 1, "{report}");
    assert_eq!(report["comments_stripped"], 1, "{report}");

    let row = |id: i64| {
        app.query_text(&format!(
            "SELECT body, client_ip, author_email, user_agent FROM comments WHERE id = {id}"
        ))
        .pop()
        .map(|r| {
            (
                r[0].clone().unwrap(),
                r[1].clone().unwrap(),
                r[2].clone(),
                r[3].clone(),
            )
        })
    };
    assert_eq!(row(old_rejected), None);
    let (body, ip, email, ua) = row(old_kept).unwrap();
    assert_eq!(body, "An old comment the site published.");
    assert_eq!((ip.as_str(), email, ua), ("", None, None));
    let (_, ip, email, ua) = row(new).unwrap();
    assert_eq!(ip, "203.0.113.7");
    assert_eq!(email.as_deref(), Some("new@example.com"));
    assert!(ua.is_some());
    // The stripped comment is still served, and still to the backend.
    assert_eq!(app.get_comment_as_backend(old_kept).await.status(), 200);
    // A second purge has nothing left to do.
    let again = commentguard(&["purge", "--config", config.to_str().unwrap()]);
    let report: Value = serde_json::from_str(&outputs(&again).0).unwrap();
    assert_eq!(report["rejected_comments_deleted"], 0);
    assert_eq!(report["comments_stripped"], 0);
}

/// Erasing one commenter (admin API, then the CLI finds nothing left): their comments on
/// every site are gone, a reply by someone else stays without its link, and the answer
/// says what was done.
#[tokio::test]
async fn erasing_a_commenter_on_every_site() {
    let app = spawn_app_with(|c| {
        with_other_site(c);
        let other = c.sites.get_mut(OTHER_SITE).unwrap();
        other.api_key_sha256 = Some(commentguard::domain::KeyHash::of(API_KEY));
    })
    .await;
    let admin = add_moderator(&app, "ops", &[], true).await;
    let moderator = add_moderator(&app, "ann", &[SITE], false).await;
    let texts = crate::helpers::clearly_fine(3);
    let first = post(&app, &texts[0], "Ann@Example.com", SITE).await;
    let second = post(&app, &texts[1], "ann@example.com", OTHER_SITE).await;
    let mut reply = comment(&texts[2]);
    reply["author_email"] = "bob@example.com".into();
    reply["parent_id"] = first.into();
    let reply = json_body(app.post_comment_as_backend(&reply).await).await["id"]
        .as_i64()
        .unwrap();

    let erase = |token: String, email: &'static str| {
        app.client
            .post(app.url("/api/v1/admin/erase"))
            .bearer_auth(token)
            .json(&json!({ "author_email": email }))
            .send()
    };
    assert_eq!(
        erase(moderator, "ann@example.com").await.unwrap().status(),
        403,
        "admins only"
    );
    let res = erase(admin.clone(), " ANN@example.com ").await.unwrap();
    assert_eq!(res.status(), 200);
    let json = json_body(res).await;
    assert_eq!(
        json["report"],
        json!({"comments_deleted": 2, "sites": [SITE, OTHER_SITE], "replies_detached": 1, "bans_deleted": 0})
    );
    for id in [first, second] {
        assert_eq!(app.get_comment_as_backend(id).await.status(), 404, "{id}");
    }
    let kept = json_body(app.get_comment_as_backend(reply).await).await;
    assert_eq!(kept["parent_id"], Value::Null);
    let stored: i64 =
        app.query_i64("SELECT COUNT(*) FROM comments WHERE author_email LIKE '%ann%'")[0][0];
    assert_eq!(stored, 0);

    let config = app.config_file();
    let run = commentguard(&[
        "forget",
        "ann@example.com",
        "--config",
        config.to_str().unwrap(),
    ]);
    let (stdout, stderr) = outputs(&run);
    assert!(run.status.success(), "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["comments_deleted"], 0, "nothing left to erase");
    let bad = commentguard(&[
        "forget",
        "not-an-address",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(!bad.status.success());
}
