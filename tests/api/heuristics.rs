//! The cheap signals before the models: honeypot, form timing, duplicates, nudge, bans,
//! trust, block lists and pre-moderation — each recorded as a reason.
use commentguard::classifier::Task;
use commentguard::clock::Clock;
use serde_json::Value;

use crate::helpers::{
    clearly_bad, clearly_fine, comment, json_body, spawn_app, spawn_app_with, spawn_app_with_clock,
    SITE,
};

fn reason_codes(json: &Value) -> Vec<String> {
    json["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| r["code"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A filled honeypot field rejects the comment (the backend sees why).
#[tokio::test]
async fn honeypot_rejects() {
    let app = spawn_app().await;
    let mut c = comment(&clearly_fine(1)[0]);
    c["website"] = "http://cheap-pills.example".into();

    let json = json_body(app.post_comment_as_backend(&c).await).await;

    assert_eq!(json["status"], "rejected");
    assert_eq!(reason_codes(&json), vec!["honeypot"]);
}

/// A form sent back faster than a person types is held; a valid old-enough token is not.
#[tokio::test]
async fn too_fast_form_is_held() {
    let app = spawn_app_with_clock(
        |c| c.sites.get_mut(SITE).unwrap().min_form_seconds = 1,
        Clock::manual_at_now(),
    )
    .await;
    let texts = clearly_fine(2);
    let token = app.form_token().await;

    let mut fast = comment(&texts[0]);
    fast["form_token"] = token.clone().into();
    let json = json_body(app.post_comment_as_backend(&fast).await).await;
    assert_eq!(json["status"], "pending");
    assert_eq!(reason_codes(&json), vec!["form_too_fast"]);

    app.clock.advance(std::time::Duration::from_millis(1_100));
    let mut slow = comment(&texts[1]);
    slow["form_token"] = token.into();
    let json = json_body(app.post_comment_as_backend(&slow).await).await;
    assert_eq!(json["status"], "published", "{json}");
}

/// A forged form token holds the comment.
#[tokio::test]
async fn forged_form_token_is_held() {
    let app = spawn_app().await;
    let mut c = comment(&clearly_fine(1)[0]);
    c["form_token"] = "v1.1700000000.AAAAAAAAAAAAAAAAAAAAAA".into();
    let json = json_body(app.post_comment_as_backend(&c).await).await;
    assert_eq!(
        (json["status"].as_str(), reason_codes(&json)),
        (Some("pending"), vec!["form_token_invalid".to_owned()])
    );
}

/// The same body from the same author is refused with 409 DUPLICATE and stored once —
/// even when the copies arrive at the same moment.
#[tokio::test]
async fn duplicate_is_409_and_not_stored_twice() {
    let app = spawn_app().await;
    let c = comment(&clearly_fine(1)[0]);

    let copies = app.post_concurrently(vec![c.clone(); 8]).await;

    let statuses: Vec<u16> = copies.iter().map(|(status, _)| *status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(app.stored_comments(), 1);
    let res = app.post_comment_json(&c).await;
    assert_eq!(json_body(res).await["error"]["code"], "DUPLICATE");
    let mut other_author = c.clone();
    other_author["author_email"] = "someone.else@example.com".into();
    // Same IP (all tests come from 127.0.0.1), so still a duplicate.
    assert_eq!(app.post_comment_json(&other_author).await.status(), 409);
}

/// A copy disguised with invisible characters, full-width letters, other capitals or
/// punctuation is still the same comment; another number or emoji is not.
#[tokio::test]
async fn disguised_copy_is_a_duplicate() {
    let app = spawn_app().await;
    let text = clearly_fine(1).remove(0);
    let first = comment(&format!("{text} See you at the casino, 100%"));
    assert_eq!(app.post_comment_json(&first).await.status(), 201);
    for copy in [
        format!("{text} See you at the ca\u{200B}sino, 100%"),
        format!(
            "{} SEE YOU AT THE ｃａｓｉｎｏ... 100%",
            text.to_uppercase()
        ),
    ] {
        let res = app.post_comment_json(&comment(&copy)).await;
        assert_eq!(res.status(), 409, "{copy}");
        assert_eq!(json_body(res).await["error"]["code"], "DUPLICATE");
    }
    let other = comment(&format!("{text} See you at the casino, 50%"));
    assert_eq!(app.post_comment_json(&other).await.status(), 201);
    assert_eq!(app.stored_comments(), 2);
}

/// With `nudge`, a comment the abuse model would hold is refused with 422
/// LIKELY_ABUSIVE so the page can ask for a rephrase — and nothing is stored.
#[tokio::test]
async fn nudge_refuses_abusive_comment_and_stores_nothing() {
    let app = spawn_app().await;
    let text = clearly_bad("davidson.csv", Task::Abuse, 1).remove(0);
    let mut c = comment(&text);
    c["nudge"] = true.into();

    let res = app.post_comment_json(&c).await;

    assert_eq!(res.status(), 422);
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "LIKELY_ABUSIVE");
    assert_eq!(app.stored_comments(), 0);
    let mut fine = comment(&clearly_fine(1)[0]);
    fine["nudge"] = true.into();
    assert_eq!(
        app.post_comment_json(&fine).await.status(),
        201,
        "nudge lets fine comments through"
    );
}

/// A banned author (by e-mail, from the `bans` table the review API writes) is rejected.
#[tokio::test]
async fn banned_author_is_rejected() {
    let app = spawn_app().await;
    app.db()
        .execute(
            "INSERT INTO bans (site_id, author_email, note, created_at) VALUES (?1, 'troll@example.com', 'repeat abuse', 0)",
            [SITE],
        )
        .unwrap();
    let mut c = comment(&clearly_fine(1)[0]);
    c["author_email"] = "Troll@Example.com".into();

    let json = json_body(app.post_comment_as_backend(&c).await).await;

    assert_eq!(json["status"], "rejected");
    assert_eq!(reason_codes(&json), vec!["banned_email"]);
}

/// An author with N published comments and no rejected one is trusted: the spam model
/// can no longer hold them.
#[tokio::test]
async fn trusted_author_is_not_held_by_the_models() {
    let app = spawn_app_with(|c| {
        let site = c.sites.get_mut(SITE).unwrap();
        site.trusted_author_after = 2;
        // Held at the model's review threshold, rejected only when certain.
        site.thresholds.spam_reject = Some(1.0);
        site.thresholds.abuse_reject = Some(1.0);
    })
    .await;
    let spam = clearly_bad("tubespam.csv", Task::Spam, 2);
    let mut first = comment(&spam[0]);
    first["author_email"] = "regular@example.com".into();
    let json = json_body(app.post_comment_as_backend(&first).await).await;
    assert_eq!(json["status"], "pending", "not trusted yet");

    for text in clearly_fine(2) {
        let mut c = comment(&text);
        c["author_email"] = "regular@example.com".into();
        assert_eq!(app.post_comment_json(&c).await.status(), 201);
    }
    let mut later = comment(&spam[1]);
    later["author_email"] = "regular@example.com".into();
    let json = json_body(app.post_comment_as_backend(&later).await).await;

    assert_eq!(json["status"], "published", "{json}");
    assert!(reason_codes(&json).contains(&"trusted_author".to_owned()));
}

/// A word on the site's block list rejects when the site says so.
#[tokio::test]
async fn block_list_word_rejects() {
    let app = spawn_app_with(|c| {
        let list = &mut c.sites.get_mut(SITE).unwrap().blocklist;
        list.words = vec!["casino".into()];
        list.action = commentguard::domain::BlockAction::Rejected;
    })
    .await;
    let json = json_body(
        app.post_comment_as_backend(&comment("Best Casino bonuses in town, trust me."))
            .await,
    )
    .await;
    assert_eq!(
        (json["status"].as_str(), reason_codes(&json)),
        (Some("rejected"), vec!["blocked_word".to_owned()])
    );
}

/// Comments with more links than allowed are held.
#[tokio::test]
async fn many_links_are_held() {
    let app = spawn_app().await;
    let fine = clearly_fine(1).remove(0);
    let body =
        format!("{fine} Sources: https://a.example/1 https://b.example/2 https://c.example/3");
    let json = json_body(app.post_comment_as_backend(&comment(&body)).await).await;
    assert_ne!(json["status"], "published");
    assert!(
        reason_codes(&json).contains(&"too_many_links".to_owned()),
        "{json}"
    );
}

/// Every comment on a pre-moderated article is held, however good.
#[tokio::test]
async fn premoderated_article_holds_everything() {
    let app = spawn_app_with(|c| {
        c.sites.get_mut(SITE).unwrap().premoderate_articles = vec!["sensitive-trial".into()];
    })
    .await;
    let mut c = comment(&clearly_fine(1)[0]);
    c["article_id"] = "sensitive-trial".into();
    let res = app.post_comment_as_backend(&c).await;
    assert_eq!(res.status(), 202);
    let json = json_body(res).await;
    assert_eq!(
        (json["status"].as_str(), reason_codes(&json)),
        (Some("pending"), vec!["premoderated".to_owned()])
    );
}
