//! Block lists read a comment the way the models do: a blocked word is found however it is
//! disguised, in the body, the author's name or URL. Block lists and bans know an author
//! by their canonical address: every spelling of one mailbox is one author.
use commentguard::domain::BlockAction;
use serde_json::{json, Value};

use crate::helpers::{clearly_fine, comment, json_body, spawn_app, spawn_app_with, SITE};
use crate::review_support::add_moderator;

fn reasons(json: &Value) -> Vec<(String, String)> {
    json["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| {
                    (
                        r["code"].as_str().unwrap().to_owned(),
                        r["detail"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `casino` on the block list rejects `ca\u200Bsino`, `ｃａｓｉｎｏ`, `c.a.s.i.n.o` and
/// `cаsino` (Cyrillic `а`), naming the blocked word; held instead when the site holds.
#[tokio::test]
async fn disguised_blocked_words_are_found() {
    let app = spawn_app_with(|c| {
        let list = &mut c.sites.get_mut(SITE).unwrap().blocklist;
        list.words = vec!["casino".into()];
        list.action = BlockAction::Rejected;
    })
    .await;
    let fine = clearly_fine(4);
    for (text, disguised) in fine.iter().zip([
        "ca\u{200B}sino",
        "ｃａｓｉｎｏ",
        "c.a.s.i.n.o",
        "c\u{0430}sino",
    ]) {
        let body = format!("{text} Best {disguised} bonuses in town.");
        let res = app.post_comment_as_backend(&comment(&body)).await;
        assert_eq!(res.status(), 202, "{disguised:?}");
        let json = json_body(res).await;
        assert_eq!(
            (json["status"].as_str(), reasons(&json)),
            (
                Some("rejected"),
                vec![("blocked_word".to_owned(), "`casino`".to_owned())]
            ),
            "{disguised:?}"
        );
    }

    let app = spawn_app_with(|c| {
        let list = &mut c.sites.get_mut(SITE).unwrap().blocklist;
        list.words = vec!["casino".into()];
        list.action = BlockAction::Pending;
    })
    .await;
    let body = format!("{} Try ｃａｓｉｎｏ nights.", clearly_fine(1)[0]);
    let res = app.post_comment_as_backend(&comment(&body)).await;
    assert_eq!(res.status(), 202);
    let json = json_body(res).await;
    assert_eq!(json["status"], "pending");
    assert!(
        reasons(&json).contains(&("blocked_word".to_owned(), "`casino`".to_owned())),
        "{json}"
    );
}

/// A harmless body from `Casino Viagra` at a casino's address is not published: block
/// lists read the author's name and URL too, and say where they found the word.
#[tokio::test]
async fn blocked_words_in_author_name_and_url() {
    let app = spawn_app_with(|c| {
        let list = &mut c.sites.get_mut(SITE).unwrap().blocklist;
        list.words = vec!["casino".into()];
        list.action = BlockAction::Rejected;
    })
    .await;
    let fine = clearly_fine(2);

    let mut c = comment(&fine[0]);
    c["author_name"] = "Casino Viagra".into();
    c["author_url"] = "https://casino.example/".into();
    let json = json_body(app.post_comment_as_backend(&c).await).await;
    assert_eq!(
        (json["status"].as_str(), reasons(&json)),
        (
            Some("rejected"),
            vec![(
                "blocked_word".to_owned(),
                "`casino` in author_name".to_owned()
            )]
        )
    );

    let mut c = comment(&fine[1]);
    c["author_url"] = "https://www.ca\u{200B}sino.example/bonus".into();
    c["author_email"] = "someone@example.org".into();
    let res = app.post_comment_as_backend(&c).await;
    let json = json_body(res).await;
    assert_eq!(
        (json["status"].as_str(), reasons(&json)),
        (
            Some("rejected"),
            vec![(
                "blocked_word".to_owned(),
                "`casino` in author_url".to_owned()
            )]
        ),
        "{json}"
    );
}

/// A listed address blocks its other spellings (`"bad"@x.example`, `bad+1@x.example`), and
/// a listed domain its subdomains (`a@sub.spam.example`).
#[tokio::test]
async fn blocked_emails_match_every_spelling() {
    let app = spawn_app_with(|c| {
        let list = &mut c.sites.get_mut(SITE).unwrap().blocklist;
        list.emails = vec!["bad@x.example".into(), "@spam.example".into()];
        list.action = BlockAction::Rejected;
    })
    .await;
    let fine = clearly_fine(4);
    for (text, email) in
        fine.iter()
            .zip(["\"bad\"@x.example", "bad+1@x.example", "a@sub.spam.example"])
    {
        let mut c = comment(text);
        c["author_email"] = email.into();
        let json = json_body(app.post_comment_as_backend(&c).await).await;
        assert_eq!(
            (json["status"].as_str(), reasons(&json)),
            (
                Some("rejected"),
                vec![(
                    "blocked_email".to_owned(),
                    "e-mail on block list".to_owned()
                )]
            ),
            "{email}"
        );
        let id = json["id"].as_i64().unwrap();
        let stored = json_body(app.get_comment_as_backend(id).await).await;
        assert_eq!(
            stored["backend"]["author_email"],
            email.replace("\"", "").replace("+1", ""),
            "stored in canonical form"
        );
    }
    let mut c = comment(&fine[3]);
    c["author_email"] = "good@notspam.example".into();
    let res = app.post_comment_as_backend(&c).await;
    assert_eq!(res.status(), 201, "{}", json_body(res).await);
}

/// A ban holds for every spelling of the banned address, whichever spelling the
/// moderator typed.
#[tokio::test]
async fn bans_match_every_spelling() {
    let app = spawn_app().await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let ban = app
        .author_action(
            &ann,
            "ban",
            &json!({"site": SITE, "author_email": "Bad+Ban@X.example", "note": "spam run"}),
        )
        .await;
    assert_eq!(ban.status(), 200, "{}", json_body(ban).await);
    let fine = clearly_fine(3);
    for (text, email) in fine
        .iter()
        .zip(["\"bad\"@x.example", "bad+1@x.example", "BAD@x.example"])
    {
        let mut c = comment(text);
        c["author_email"] = email.into();
        let json = json_body(app.post_comment_as_backend(&c).await).await;
        assert_eq!(
            (json["status"].as_str(), reasons(&json)),
            (
                Some("rejected"),
                vec![("banned_email".to_owned(), "spam run".to_owned())]
            ),
            "{email}"
        );
    }
}
