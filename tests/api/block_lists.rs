//! Block lists read a comment the way the models do: a blocked word is found however it is
//! disguised.
use commentguard::domain::BlockAction;
use serde_json::Value;

use crate::helpers::{clearly_fine, comment, json_body, spawn_app_with, SITE};

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
