//! Site rules at run time: an admin changes block lists (words, e-mails, IPs),
//! pre-moderated and closed articles, thresholds and trusted authors through the API;
//! the next comment is judged by the new rules (and by the old ones again once an entry
//! is removed), every change is audited, the rules survive a restart, and the
//! configuration file gives the initial values.
use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{clearly_fine, comment, json_body, spawn_app_with, TestApp, SITE};
use crate::review_support::{add_moderator, held_spam};

impl TestApp {
    /// `GET /api/v1/admin/sites/{site}/rules` with a token.
    pub async fn site_rules(&self, token: &str) -> (u16, Value) {
        let res = self
            .client
            .get(self.url(&format!("/api/v1/admin/sites/{SITE}/rules")))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent");
        let status = res.status().as_u16();
        (status, json_body(res).await)
    }

    /// `POST /api/v1/admin/sites/{site}/rules` with a token.
    pub async fn change_rules(&self, token: &str, body: &Value) -> Response {
        self.client
            .post(self.url(&format!("/api/v1/admin/sites/{SITE}/rules")))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }
}

/// The rule named `name` in a rules answer.
fn rule<'a>(rules: &'a Value, name: &str) -> &'a Value {
    rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == name)
        .unwrap_or_else(|| panic!("no rule {name}: {rules}"))
}

/// An admin closes an article: the next comment on it is refused with `ARTICLE_CLOSED`
/// naming `article_id` (a browser's plain form gets the HTML page), other articles take
/// comments; the change is in the audit log with the admin's note; a moderator who is
/// not an admin may not change rules; reopening takes comments again, and the rules
/// survive a restart.
#[tokio::test]
async fn closing_an_article_refuses_its_next_comment() {
    let app = spawn_app_with(|_| {}).await;
    let root = add_moderator(&app, "root", &[], true).await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let texts = clearly_fine(4);
    app.post_comment_expecting(&comment(&texts[0]), "published")
        .await;

    let res = app
        .change_rules(
            &root,
            &json!({"changes": [{"rule": "closed_articles", "add": ["2024/budget"]}],
                    "note": "legal asked us to close it"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let changed = json_body(res).await;
    assert_eq!(
        rule(&changed, "closed_articles")["value"],
        json!(["2024/budget"])
    );
    assert_eq!(rule(&changed, "closed_articles")["changed_by"], "root");
    assert_eq!(changed["changes"][0]["note"], "legal asked us to close it");

    let refused = app.post_comment_json(&comment(&texts[1])).await;
    assert_eq!(refused.status(), 409);
    let refused = json_body(refused).await;
    assert_eq!(refused["error"]["code"], "ARTICLE_CLOSED");
    assert_eq!(refused["error"]["field"], "article_id");
    let form = app
        .client
        .post(app.url("/api/v1/comments"))
        .header("accept", "text/html")
        .form(&[
            ("site", SITE),
            ("article_id", "2024/budget"),
            ("author_name", "Reader"),
            ("body", texts[1].as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 409);
    assert!(form
        .text()
        .await
        .unwrap()
        .contains("closed to new comments"));
    let mut elsewhere = comment(&texts[1]);
    elsewhere["article_id"] = json!("2024/other");
    app.post_comment_expecting(&elsewhere, "published").await;

    let not_admin = app
        .change_rules(
            &ann,
            &json!({"changes": [{"rule": "closed_articles", "reset": true}]}),
        )
        .await;
    assert_eq!(not_admin.status(), 403);
    assert_eq!(json_body(not_admin).await["error"]["code"], "ADMIN_ONLY");

    let app = app.restart().await;
    let again = app.post_comment_json(&comment(&texts[2])).await;
    assert_eq!(again.status(), 409, "still closed after a restart");
    let (_, rules) = app.site_rules(&root).await;
    assert_eq!(rules["changes"][0]["moderator"], "root");
    assert_eq!(rules["changes"][0]["old_value"], json!([]));
    let reopened = app
        .change_rules(
            &root,
            &json!({"changes": [{"rule": "closed_articles", "remove": ["2024/budget"]}]}),
        )
        .await;
    assert_eq!(reopened.status(), 200);
    app.post_comment_expecting(&comment(&texts[3]), "published")
        .await;
}

/// Block lists, pre-moderated articles, thresholds and trusted authors change what
/// happens to the very next comment; a bad value is refused naming the rule, and then
/// nothing of that request changes.
#[tokio::test]
async fn rules_judge_the_next_comment() {
    let app = spawn_app_with(|_| {}).await;
    let root = add_moderator(&app, "root", &[], true).await;
    let texts = clearly_fine(6);
    let word = texts[0]
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 5)
        .max_by_key(|w| w.len())
        .unwrap()
        .to_lowercase();

    let res = app
        .change_rules(
            &root,
            &json!({"changes": [
                {"rule": "blocked_words", "add": [word]},
                {"rule": "premoderated_articles", "set": ["2024/trial"]},
            ]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", json_body(res).await);
    let held = json_body(app.post_comment_as_backend(&comment(&texts[0])).await).await;
    assert_eq!(held["status"], "pending", "{held}");
    assert_eq!(held["reasons"][0]["code"], "blocked_word");
    let mut on_trial = comment(&texts[1]);
    on_trial["article_id"] = json!("2024/trial");
    let premoderated = json_body(app.post_comment_as_backend(&on_trial).await).await;
    assert_eq!(premoderated["reasons"][0]["code"], "premoderated");

    let spam = held_spam(3);
    app.post_comment_expecting(&comment(&spam[0]), "pending")
        .await;
    let refused = app
        .change_rules(
            &root,
            &json!({"changes": [
                {"rule": "spam_review", "set": 1.0},
                {"rule": "spam_reject", "set": 0.5},
            ]}),
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(json_body(refused).await["error"]["field"], "spam_review");
    let (_, rules) = app.site_rules(&root).await;
    assert_eq!(
        rule(&rules, "spam_review")["value"],
        Value::Null,
        "nothing changed"
    );
    let bad = app
        .change_rules(
            &root,
            &json!({"changes": [{"rule": "blocked_ips", "add": ["10.0.0.0/99"]}]}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(json_body(bad).await["error"]["field"], "blocked_ips");
    let unknown = app
        .change_rules(
            &root,
            &json!({"changes": [{"rule": "max_links", "set": 9}]}),
        )
        .await;
    assert_eq!(json_body(unknown).await["error"]["code"], "UNKNOWN_RULE");

    let mut trusted = comment(&spam[1]);
    trusted["author_email"] = json!("columnist@example.com");
    let ok = app
        .change_rules(
            &root,
            &json!({"changes": [{"rule": "trusted_authors", "add": ["Columnist@Example.com"]}]}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let published = json_body(app.post_comment_as_backend(&trusted).await).await;
    assert_eq!(published["status"], "published", "{published}");
    assert_eq!(published["reasons"][0]["code"], "trusted_author");

    // A hold budget moves the models' hold thresholds, as the moderators' queue shows.
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let hold = |page: Value| page["items"][0]["scores"]["spam"]["hold"].as_f64().unwrap();
    let before = hold(json_body(app.review_queue(&ann, &[]).await).await);
    let budget = app
        .change_rules(
            &root,
            &json!({"changes": [{"rule": "hold_budget", "set": 0.4}]}),
        )
        .await;
    assert_eq!(budget.status(), 200);
    let after = hold(json_body(app.review_queue(&ann, &[]).await).await);
    assert!(
        after < before,
        "a larger budget holds from a lower score: {before} -> {after}"
    );

    // Without the budget (which also lowered the abuse threshold), a spam review
    // threshold of 1.0 lets the spam through.
    let lenient = app
        .change_rules(
            &root,
            &json!({"changes": [
                {"rule": "hold_budget", "reset": true},
                {"rule": "spam_review", "set": 1.0}
            ]}),
        )
        .await;
    assert_eq!(lenient.status(), 200);
    let later = comment(&spam[2]);
    let through = json_body(app.post_comment_as_backend(&later).await).await;
    assert_eq!(
        through["status"], "published",
        "held at 1.0 only: {through}"
    );
}

/// The configuration file gives the initial values: an article closed there is closed
/// from the start, shown as the config's value with nobody's change; resetting a rule an
/// admin changed brings the file's value back.
#[tokio::test]
async fn the_config_file_gives_the_initial_values() {
    let app = spawn_app_with(|c| {
        let site = c.sites.get_mut(SITE).unwrap();
        site.closed_articles = vec!["2023/archive".into()];
        site.blocklist.words = vec!["casino".into()];
    })
    .await;
    let root = add_moderator(&app, "root", &[], true).await;
    let mut old = comment(&clearly_fine(1)[0]);
    old["article_id"] = json!("2023/archive");
    assert_eq!(app.post_comment_json(&old).await.status(), 409);

    let (status, rules) = app.site_rules(&root).await;
    assert_eq!(status, 200);
    let closed = rule(&rules, "closed_articles");
    assert_eq!(closed["value"], json!(["2023/archive"]));
    assert_eq!(closed["config_value"], json!(["2023/archive"]));
    assert_eq!(closed["changed_by"], Value::Null);
    assert_eq!(closed["config_key"], "closed_articles");
    assert_eq!(
        rule(&rules, "blocked_words")["config_key"],
        "blocklist.words"
    );
    assert_eq!(rules["revision"], 0);

    app.change_rules(
        &root,
        &json!({"changes": [{"rule": "blocked_words", "set": ["poker"]}]}),
    )
    .await;
    let res = app
        .change_rules(
            &root,
            &json!({"changes": [{"rule": "blocked_words", "reset": true}]}),
        )
        .await;
    let reset = json_body(res).await;
    assert_eq!(rule(&reset, "blocked_words")["value"], json!(["casino"]));
    assert_eq!(rule(&reset, "blocked_words")["changed_by"], Value::Null);
    assert_eq!(reset["changes"][0]["action"], "reset");
    assert!(reset["revision"].as_i64().unwrap() > 0);
}

/// The reason codes of a submission's answer.
fn codes(answer: &Value) -> Vec<&str> {
    answer["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["code"].as_str()).collect())
        .unwrap_or_default()
}

/// A comment from `email`, forwarded by the backend for a reader at `ip`.
fn from(text: &str, email: &str, ip: &str) -> Value {
    let mut c = comment(text);
    c["author_email"] = json!(email);
    c["client_ip"] = json!(ip);
    c
}

/// The e-mail block list changes at run time: a domain an admin adds holds the very next
/// comment from any address there, however it is spelt, naming the list; other authors
/// are not touched; removing the entry lets the next comment from that domain through.
#[tokio::test]
async fn blocked_emails_judge_the_next_comment() {
    let app = spawn_app_with(|_| {}).await;
    let root = add_moderator(&app, "root", &[], true).await;
    let texts = clearly_fine(5);
    app.post_comment_expecting(
        &from(&texts[0], "troll@spam.example", "198.51.100.1"),
        "published",
    )
    .await;

    let res = app
        .change_rules(
            &root,
            &json!({"changes": [{"rule": "blocked_emails", "add": ["@spam.example"]}],
                    "note": "a run of trolls from one provider"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let changed = json_body(res).await;
    assert_eq!(
        rule(&changed, "blocked_emails")["value"],
        json!(["@spam.example"])
    );
    for (text, email) in texts[1..3]
        .iter()
        .zip(["troll@spam.example", "Troll+2@Sub.Spam.Example"])
    {
        let held = json_body(
            app.post_comment_as_backend(&from(text, email, "198.51.100.1"))
                .await,
        )
        .await;
        assert_eq!(held["status"], "pending", "{email}: {held}");
        assert!(codes(&held).contains(&"blocked_email"), "{email}: {held}");
    }
    app.post_comment_expecting(
        &from(&texts[3], "someone@example.org", "198.51.100.1"),
        "published",
    )
    .await;

    let res = app
        .change_rules(
            &root,
            &json!({"changes": [{"rule": "blocked_emails", "remove": ["@spam.example"]}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        rule(&json_body(res).await, "blocked_emails")["value"],
        json!([])
    );
    app.post_comment_expecting(
        &from(&texts[4], "troll@spam.example", "198.51.100.1"),
        "published",
    )
    .await;
    let (_, rules) = app.site_rules(&root).await;
    // Both changes audited, newest first, with the value before and after.
    let audit: Vec<(&Value, &Value, &Value)> = rules["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (&c["old_value"], &c["new_value"], &c["note"]))
        .collect();
    assert_eq!(
        audit,
        [
            (&json!(["@spam.example"]), &json!([]), &json!("")),
            (
                &json!([]),
                &json!(["@spam.example"]),
                &json!("a run of trolls from one provider")
            ),
        ],
        "{rules}"
    );
}

/// The IP block list changes at run time: a range an admin adds holds the very next
/// comment from any address in it, naming the list; readers elsewhere are not touched;
/// removing the range lets the next comment from it through.
#[tokio::test]
async fn blocked_ips_judge_the_next_comment() {
    let app = spawn_app_with(|_| {}).await;
    let root = add_moderator(&app, "root", &[], true).await;
    let texts = clearly_fine(5);
    app.post_comment_expecting(
        &from(&texts[0], "reader@example.com", "203.0.113.9"),
        "published",
    )
    .await;

    let res = app
        .change_rules(
            &root,
            &json!({"changes": [{"rule": "blocked_ips", "add": ["203.0.113.0/24"]}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        rule(&json_body(res).await, "blocked_ips")["value"],
        json!(["203.0.113.0/24"])
    );
    for (text, ip) in texts[1..3].iter().zip(["203.0.113.9", "203.0.113.200"]) {
        let held = json_body(
            app.post_comment_as_backend(&from(text, "reader@example.com", ip))
                .await,
        )
        .await;
        assert_eq!(held["status"], "pending", "{ip}: {held}");
        assert!(codes(&held).contains(&"blocked_ip"), "{ip}: {held}");
    }
    app.post_comment_expecting(
        &from(&texts[3], "reader@example.com", "198.51.100.7"),
        "published",
    )
    .await;

    let res = app
        .change_rules(
            &root,
            &json!({"changes": [{"rule": "blocked_ips", "remove": ["203.0.113.0/24"]}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        rule(&json_body(res).await, "blocked_ips")["value"],
        json!([])
    );
    app.post_comment_expecting(
        &from(&texts[4], "reader@example.com", "203.0.113.9"),
        "published",
    )
    .await;
}
