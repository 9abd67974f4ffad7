//! The review desk through the API (issue 12), one story per test: what a card shows
//! around a comment (headline, the comment it answers, readers' report reasons, reasons in
//! words), the counts that drive the page, the author view and the list of bans, undoing a
//! decision.
use serde_json::{json, Value};

use crate::helpers::{
    clearly_fine, comment, json_body, spawn_app_with, trust_local_proxy, TestApp, SITE,
};
use crate::review_support::{add_moderator, held_spam, premoderated, with_other_site, OTHER_SITE};

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

impl TestApp {
    /// `GET {path}` with a moderator token, as JSON checked against the document.
    pub async fn moderator_get(&self, token: &str, path: &str) -> (u16, Value) {
        let res = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request sent");
        let status = res.status().as_u16();
        (status, json_body(res).await)
    }

    /// `POST /api/v1/review/{id}/undo` with a moderator token.
    pub async fn undo(&self, token: &str, id: i64, version: i64) -> (u16, Value) {
        let res = self
            .client
            .post(self.url(&format!("/api/v1/review/{id}/undo")))
            .bearer_auth(token)
            .json(&json!({ "version": version }))
            .send()
            .await
            .expect("request sent");
        let status = res.status().as_u16();
        (status, json_body(res).await)
    }
}

/// Ids of a queue page's items.
fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect()
}

/// Search finds words in the body (any case), the author's name and e-mail, and treats
/// `%` and `_` as the characters they are; the counts say how many wait per site and per
/// reason, and follow each decision.
#[tokio::test]
async fn search_and_counts_follow_the_queue() {
    let app = spawn_app_with(|c| {
        premoderated(c);
        with_other_site(c);
    })
    .await;
    let ann = add_moderator(&app, "ann", &[SITE, OTHER_SITE], false).await;
    let texts = clearly_fine(3);
    let mut by_zoe = comment(&texts[0]);
    by_zoe["author_name"] = json!("Zoë Quill");
    by_zoe["author_email"] = json!("zoe.quill@example.com");
    let zoe = app.post_comment_expecting(&by_zoe, "pending").await;
    let mut percent = comment(&format!("{} 100% agreed", texts[1].trim()));
    percent["author_email"] = json!("second@example.com");
    let percent = app.post_comment_expecting(&percent, "pending").await;
    let spam = app
        .post_comment_expecting(&comment(&held_spam(1)[0]), "pending")
        .await;

    let search = |q: &'static str| {
        let (app, ann) = (&app, ann.clone());
        async move { ids(&json_body(app.review_queue(&ann, &[("q", q)]).await).await) }
    };
    assert_eq!(search("QUILL").await, vec![zoe], "the name, any case");
    assert_eq!(search("zoe.quill@").await, vec![zoe], "the e-mail");
    assert_eq!(search("100%").await, vec![percent], "% is a character");
    assert_eq!(search("0_a").await, Vec::<i64>::new(), "_ is a character");
    let word = texts[1].split_whitespace().max_by_key(|w| w.len()).unwrap();
    assert!(search(word.to_owned().leak()).await.contains(&percent));

    let (status, counts) = app.moderator_get(&ann, "/api/v1/review/counts").await;
    assert_eq!(status, 200, "{counts}");
    assert_eq!(counts["status"], "pending");
    assert_eq!(counts["total"], 3);
    assert_eq!(
        counts["sites"],
        json!([{"site": SITE, "count": 3}, {"site": OTHER_SITE, "count": 0}])
    );
    let reason = |counts: &Value, code: &str| {
        counts["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == code)
            .map(|r| r["count"].as_u64().unwrap())
    };
    assert_eq!(reason(&counts, "premoderated"), Some(3));
    assert_eq!(reason(&counts, "spam"), Some(1));

    app.decide(
        &ann,
        spam,
        &json!({"decision": "reject", "label": "spam", "version": 1}),
    )
    .await;
    let (_, after) = app.moderator_get(&ann, "/api/v1/review/counts").await;
    assert_eq!(after["total"], 2);
    assert_eq!(reason(&after, "spam"), None);
    let (_, rejected) = app
        .moderator_get(&ann, "/api/v1/review/counts?status=rejected")
        .await;
    assert_eq!(rejected["total"], 1);
    let (status, refused) = app
        .moderator_get(&ann, "/api/v1/review/counts?site=elsewhere")
        .await;
    assert_eq!(
        (status, refused["error"]["code"].clone()),
        (422, json!("UNKNOWN_SITE"))
    );
}

/// The author view: everything one author wrote on the site, newest first, with their
/// record; after a ban it shows who banned, when and until when, and the list of bans has
/// it until it is lifted (then only with `all=true`).
#[tokio::test]
async fn author_view_and_the_list_of_bans() {
    let app = spawn_app_with(premoderated).await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let texts = clearly_fine(3);
    let mut written = Vec::new();
    for text in &texts[..2] {
        let mut c = comment(text);
        c["author_email"] = json!("Troll@Example.com");
        written.push(app.post_comment_expecting(&c, "pending").await);
    }
    app.post_comment_expecting(&comment(&texts[2]), "pending")
        .await;

    let path = format!("/api/v1/review/authors?site={SITE}&author_email=troll@example.com");
    let (status, author) = app.moderator_get(&ann, &path).await;
    assert_eq!(status, 200, "{author}");
    assert_eq!(author["author_email"], "troll@example.com");
    assert_eq!(author["history"]["pending"], 2);
    let listed: Vec<i64> = author["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, vec![written[1], written[0]], "newest first");
    assert_eq!(author["bans"], json!([]));

    let ban = app
        .author_action(
            &ann,
            "ban",
            &json!({"site": SITE, "author_email": "troll@example.com",
                    "until": "2999-01-01T00:00:00Z", "note": "name-calling"}),
        )
        .await;
    assert_eq!(ban.status(), 200);
    let (_, author) = app.moderator_get(&ann, &path).await;
    let entry = &author["bans"][0];
    assert_eq!(entry["created_by"], "ann");
    assert_eq!(entry["note"], "name-calling");
    assert_eq!(
        entry["until"], 32_472_144_000_000_i64,
        "2999-01-01, in Unix ms"
    );
    assert_eq!(entry["active"], true);
    let (_, bans) = app.moderator_get(&ann, "/api/v1/review/authors/bans").await;
    assert_eq!(bans["bans"].as_array().unwrap().len(), 1);
    assert_eq!(bans["bans"][0]["author_email"], "troll@example.com");

    app.author_action(
        &ann,
        "unban",
        &json!({"site": SITE, "author_email": "troll@example.com"}),
    )
    .await;
    let (_, bans) = app.moderator_get(&ann, "/api/v1/review/authors/bans").await;
    assert_eq!(bans["bans"], json!([]));
    let (_, all) = app
        .moderator_get(&ann, "/api/v1/review/authors/bans?all=true")
        .await;
    assert_eq!(all["bans"][0]["active"], false);
    assert_eq!(all["bans"][0]["lifted_by"], "ann");
    let (status, refused) = app
        .moderator_get(&ann, &format!("/api/v1/review/authors?site={SITE}"))
        .await;
    assert_eq!(
        (status, refused["error"]["field"].clone()),
        (422, json!("author_email"))
    );
}

/// Ann rejects a held comment by mistake and undoes it: it is pending again with no
/// training labels, and the audit log has both steps. Bob cannot undo Ann's decision, and
/// nobody can undo twice.
#[tokio::test]
async fn a_moderator_undoes_their_own_decision() {
    let app = spawn_app_with(premoderated).await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let bob = add_moderator(&app, "bob", &[SITE], false).await;
    let id = app
        .post_comment_expecting(&comment(&clearly_fine(1)[0]), "pending")
        .await;
    let rejected = app
        .decide(
            &ann,
            id,
            &json!({"decision": "reject", "label": "abuse", "version": 1}),
        )
        .await;
    assert_eq!(json_body(rejected).await["version"], 2);

    let (status, refused) = app.undo(&bob, id, 2).await;
    assert_eq!(status, 409);
    assert_eq!(refused["error"]["code"], "NOTHING_TO_UNDO");
    assert_eq!(refused["current"]["status"], "rejected");

    let (status, undone) = app.undo(&ann, id, 2).await;
    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone["status"], "pending");
    assert_eq!(undone["previous_status"], "rejected");
    assert_eq!(undone["version"], 3);
    assert_eq!(undone["labels"], json!({"spam": null, "abuse": null}));
    let detail = json_body(app.review_item(&ann, id).await).await;
    let actions: Vec<&str> = detail["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["reject", "undo"]);
    assert_eq!(detail["decided_at"], Value::Null);

    let (status, again) = app.undo(&ann, id, 3).await;
    assert_eq!(
        (status, again["error"]["code"].clone()),
        (409, json!("NOTHING_TO_UNDO"))
    );
    let (status, stale) = app.undo(&ann, id, 2).await;
    assert_eq!(
        (status, stale["error"]["code"].clone()),
        (409, json!("STALE_VERSION"))
    );
}

/// The desk's page and its assets are served with a strict policy: nothing but this
/// origin's script, style and API; no images, frames or form targets; Trusted Types; no
/// MIME sniffing, no referrer, never framed.
#[tokio::test]
async fn the_desk_is_served_with_strict_headers() {
    let app = spawn_app_with(|_| {}).await;
    for path in ["/review", "/review/review.js", "/review/review.css"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let header = |name: &str| {
            res.headers()
                .get(name)
                .unwrap_or_else(|| panic!("{path}: no {name}"))
                .to_str()
                .unwrap()
                .to_owned()
        };
        let csp = header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "img-src 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "require-trusted-types-for 'script'",
        ] {
            assert!(csp.contains(directive), "{path}: {directive} in {csp}");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("referrer-policy"), "no-referrer");
        assert_eq!(header("x-frame-options"), "DENY");
    }
}
