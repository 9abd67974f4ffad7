//! The review desk through the API (issue 12), one story per test: what a card shows
//! around a comment (headline, the comment it answers, readers' report reasons, reasons in
//! words), the counts that drive the page, the author view and the list of bans, undoing a
//! decision.
use serde_json::{json, Value};

use crate::helpers::{clearly_fine, comment, json_body, spawn_app_with, trust_local_proxy, SITE};
use crate::review_support::{add_moderator, premoderated};

/// The item with `id` in a queue page.
pub fn find(page: &Value, id: i64) -> Value {
    page["items"]
        .as_array()
        .expect("an items array")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("comment {id} is not in the queue: {page}"))
        .clone()
}

/// A backend sends the article's headline with one comment; an embed comment on the same
/// article sends none: both cards show the headline. A reply shows the comment it answers;
/// every reason comes with words a journalist understands.
#[tokio::test]
async fn cards_show_the_headline_the_parent_and_reasons_in_words() {
    let app = spawn_app_with(premoderated).await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let texts = clearly_fine(3);
    let mut first = comment(&texts[0]);
    first["article_title"] = json!("  Council budget leaves the library roof for another year ");
    let parent = app.post_comment_expecting(&first, "pending").await;
    let approved = app
        .decide(&ann, parent, &json!({"decision": "approve", "version": 1}))
        .await;
    assert_eq!(approved.status(), 200);
    let mut reply = comment(&texts[1]);
    reply["parent_id"] = json!(parent);
    reply["author_email"] = json!("second.reader@example.com");
    let reply = app.post_comment_json(&reply).await;
    assert_eq!(reply.status(), 202);
    let reply = json_body(reply).await["id"].as_i64().unwrap();

    let page = json_body(app.review_queue(&ann, &[]).await).await;
    let card = find(&page, reply);
    assert_eq!(
        card["article"]["title"],
        "Council budget leaves the library roof for another year"
    );
    assert_eq!(card["parent_id"], parent);
    assert_eq!(card["parent"]["id"], parent);
    assert_eq!(card["parent"]["body"], texts[0].trim());
    assert_eq!(card["parent"]["author_name"], "A Reader");
    assert_eq!(card["parent"]["status"], "published");
    let reason = &card["reasons"][0];
    assert_eq!(reason["code"], "premoderated");
    assert_eq!(
        reason["summary"],
        "Every comment here is checked before it is published"
    );
    assert_eq!(card["reports"], json!([]));

    let long = "x".repeat(301);
    let mut too_long = comment(&texts[2]);
    too_long["article_title"] = json!(long);
    let refused = app.post_comment_json(&too_long).await;
    assert_eq!(refused.status(), 422);
    let refused = json_body(refused).await;
    assert_eq!(
        (
            refused["error"]["field"].clone(),
            refused["error"]["code"].clone()
        ),
        (json!("article_title"), json!("TOO_LONG"))
    );
}

/// Readers report a published comment with their reasons; once it is back in the queue
/// the card lists what they wrote (newest first) and never who they are.
#[tokio::test]
async fn reported_comments_show_what_readers_wrote() {
    let app = spawn_app_with(trust_local_proxy).await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let id = app
        .post_comment_expecting(&comment(&clearly_fine(1)[0]), "published")
        .await;
    for (i, reason) in ["It insults a neighbour", "", "Doxxing: it names my street"]
        .iter()
        .enumerate()
    {
        let res = app
            .report(id, reason, &format!("203.0.113.{}", i + 1))
            .await;
        assert_eq!(res.status(), 202, "report {i}");
    }
    let page = json_body(app.review_queue(&ann, &[("status", "reported")]).await).await;
    let card = find(&page, id);
    assert_eq!(card["report_count"], 3);
    let reasons: Vec<&str> = card["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 3);
    assert!(reasons.contains(&"It insults a neighbour"), "{reasons:?}");
    assert!(
        reasons.contains(&"Doxxing: it names my street"),
        "{reasons:?}"
    );
    assert!(!card["reports"].to_string().contains("203.0.113"));
}
