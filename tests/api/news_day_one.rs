//! Judging news comments right on day one, with the shipped models and the default
//! configuration: ordinary thanks and praise are published, naming an identity group is
//! not abuse, a comment in another language is left to a person, and an insult is held
//! for a person rather than rejected by the model alone.
use serde_json::Value;

use crate::helpers::{comment, json_body, spawn_app, spawn_app_with, SITE};
use crate::review_support::add_moderator;

/// The `(code, outcome)` of every reason of a backend's answer.
fn reasons(json: &Value) -> Vec<(String, String)> {
    json["reasons"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| {
                    (
                        r["code"].as_str().unwrap().to_owned(),
                        r["outcome"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Posts `body` as the site's backend (which sees the true status and the reasons).
async fn submit(app: &crate::helpers::TestApp, body: &str) -> Value {
    json_body(app.post_comment_as_backend(&comment(body)).await).await
}

/// Posts each body and checks it is published; the answers, in order.
async fn assert_published(app: &crate::helpers::TestApp, bodies: &[&str]) -> Vec<Value> {
    let mut answers = Vec::new();
    for body in bodies {
        let json = submit(app, body).await;
        assert_eq!(json["status"], "published", "{body}: {json}");
        answers.push(json);
    }
    answers
}

/// Polite thanks were held as YouTube-style spam by the old spam model ("thanks for
/// watching, check my channel"): they are ordinary news comments.
#[tokio::test]
async fn thanks_and_praise_are_published() {
    let app = spawn_app().await;
    let answers = assert_published(
        &app,
        &[
            "Thanks for sharing",
            "Great article, thanks for the detailed reporting!",
            "Thank you for a balanced report on the talks between Kabul and Islamabad",
        ],
    )
    .await;
    for json in answers {
        assert!(reasons(&json).is_empty(), "{json}");
    }
}

/// Naming an identity group is not abuse.
#[tokio::test]
async fn identity_mentions_are_published() {
    let app = spawn_app().await;
    assert_published(
        &app,
        &[
            "I am a gay man and I found this article insightful.",
            "Muslims in Pakistan deserve peace.",
        ],
    )
    .await;
}

/// A comment in German is not judged by the English models: held for a person with the
/// reason `language` naming the language (the default), or published when the site says so.
#[tokio::test]
async fn other_languages_follow_the_site_setting() {
    let body = "Die Regierung sollte mehr tun.";
    let app = spawn_app().await;
    let json = submit(&app, body).await;
    assert_eq!(json["status"], "pending", "{json}");
    assert_eq!(reasons(&json), vec![("language".into(), "hold".into())]);
    let detail = json["reasons"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("German"), "{detail}");

    let app = spawn_app_with(|c| {
        c.sites.get_mut(SITE).unwrap().other_languages =
            commentguard::config::OtherLanguages::Publish;
    })
    .await;
    let json = submit(&app, body).await;
    assert_eq!(json["status"], "published", "{json}");
    assert_eq!(reasons(&json), vec![("language".into(), "note".into())]);
}

/// Capitals are how readers cheer as often as how they shout: a comment written in them is
/// judged by its words (the abuse model has no weight for the all-caps marker), so praise
/// in capitals is published and an insult in capitals is held.
#[tokio::test]
async fn capitals_alone_are_not_abuse() {
    let app = spawn_app().await;
    assert_published(
        &app,
        &[
            "OMG LOVE THIS SONG!!!",
            "BEST SONG! GO SHAKI :D",
            "SHAME ON THE COUNCIL FOR THIS DECISION",
        ],
    )
    .await;
    let json = submit(&app, "YOU ARE A STUPID IDIOT").await;
    assert_eq!(json["status"], "pending", "{json}");
    assert_eq!(reasons(&json), vec![("abuse".into(), "hold".into())]);
}

/// Emoji are how readers laugh and cheer: the abuse model has no weight for them, so
/// comments of laughing and crying faces are published (models that weighed emoji held
/// both: abuse 0.88 and 0.74), and an insult with emoji is held for its words.
#[tokio::test]
async fn emoji_alone_are_not_abuse() {
    let app = spawn_app().await;
    assert_published(
        &app,
        &[
            // 😂😭😘😜😴😫
            "\u{1F602}\u{1F62D}\u{1F618}\u{1F61C}\u{1F634}\u{1F62B}",
            // lol 😂😂😂 😭
            "lol \u{1F602}\u{1F602}\u{1F602} \u{1F62D}",
        ],
    )
    .await;
    let json = submit(&app, "you are a stupid idiot \u{1F602}\u{1F602}").await;
    assert_eq!(json["status"], "pending", "{json}");
    assert_eq!(reasons(&json), vec![("abuse".into(), "hold".into())]);
}

/// An insult in a political comment is held for a moderator, not rejected by the model;
/// a site that opts in to an abuse reject threshold gets rejections.
#[tokio::test]
async fn insults_are_held_not_rejected() {
    let body = "The mayor is a complete idiot and should resign.";
    let app = spawn_app().await;
    let json = submit(&app, body).await;
    assert_eq!(json["status"], "pending", "{json}");
    assert_eq!(reasons(&json), vec![("abuse".into(), "hold".into())]);

    let app = spawn_app_with(|c| {
        c.sites.get_mut(SITE).unwrap().thresholds.abuse_reject = Some(0.5);
    })
    .await;
    let json = submit(&app, body).await;
    assert_eq!(json["status"], "rejected", "{json}");
    assert_eq!(reasons(&json), vec![("abuse".into(), "reject".into())]);
}

/// A site's hold budget moves the hold thresholds the review API shows: a larger budget
/// holds more, so its thresholds are lower.
#[tokio::test]
async fn a_site_hold_budget_sets_its_thresholds() {
    async fn hold_thresholds(budget: Option<f64>) -> (f64, f64) {
        let app = spawn_app_with(|c| c.sites.get_mut(SITE).unwrap().hold_budget = budget).await;
        let token = add_moderator(&app, "ann", &[SITE], false).await;
        let json = submit(&app, "The mayor is a complete idiot and should resign.").await;
        let id = json["id"].as_i64().unwrap();
        let item = json_body(app.review_item(&token, id).await).await;
        (
            item["scores"]["spam"]["hold"].as_f64().unwrap(),
            item["scores"]["abuse"]["hold"].as_f64().unwrap(),
        )
    }
    let default = hold_thresholds(None).await;
    let strict = hold_thresholds(Some(0.005)).await;
    let lenient = hold_thresholds(Some(0.2)).await;
    assert!(
        strict.0 > lenient.0 && strict.1 > lenient.1,
        "{strict:?} {lenient:?}"
    );
    assert!(default.1 < strict.1 && default.1 > lenient.1, "{default:?}");
}

/// The review API says where the explaining words are in the body, so a page can
/// highlight them; function words ("a", "the") never explain a score.
#[tokio::test]
async fn explaining_words_come_with_their_spans() {
    let app = spawn_app().await;
    let token = add_moderator(&app, "ann", &[SITE], false).await;
    let body = "The mayor is a complete IDIOT and should resign.";
    let id = submit(&app, body).await["id"].as_i64().unwrap();
    let item = json_body(app.review_item(&token, id).await).await;
    let abuse = &item["scores"]["abuse"];
    let tokens: Vec<&str> = abuse["top_tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(tokens.first(), Some(&"idiot"), "{abuse}");
    assert!(!tokens.iter().any(|t| ["a", "the", "and", "is"].contains(t)));
    assert_eq!(highlighted(body, abuse, "idiot"), "IDIOT");
}

/// The text a score's span for `token` highlights in `body` (UTF-16 offsets).
fn highlighted(body: &str, score: &Value, token: &str) -> String {
    let span = score["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["token"] == token)
        .unwrap_or_else(|| panic!("a span for {token}: {score}"));
    let (start, end) = (
        span["start"].as_u64().unwrap() as usize,
        span["end"].as_u64().unwrap() as usize,
    );
    let utf16: Vec<u16> = body.encode_utf16().collect();
    String::from_utf16(&utf16[start..end]).unwrap()
}

/// An explanation names a word as the comment wrote it: the model reads `idiots` and
/// `this` without their final `s`, a moderator reads them whole.
#[tokio::test]
async fn explaining_words_are_named_as_written() {
    let app = spawn_app().await;
    let token = add_moderator(&app, "ann", &[SITE], false).await;
    let body = "The councillors who voted for this are complete IDIOTS and should resign.";
    let id = submit(&app, body).await["id"].as_i64().unwrap();
    let item = json_body(app.review_item(&token, id).await).await;
    let abuse = &item["scores"]["abuse"];
    assert_eq!(abuse["top_tokens"][0], "idiots", "{abuse}");
    assert_eq!(highlighted(body, abuse, "idiots"), "IDIOTS");
}

/// Spam and abuse written with Cyrillic look-alike letters are read as what they say,
/// and a word that mixes scripts holds the comment on its own.
#[tokio::test]
async fn lookalike_letters_do_not_hide_spam_or_abuse() {
    let app = spawn_app().await;
    let json = submit(&app, "Сheck оut my сhannel and subsсribe!!").await;
    assert_ne!(json["status"], "published", "{json}");
    let codes: Vec<String> = reasons(&json).into_iter().map(|(c, _)| c).collect();
    assert!(codes.contains(&"lookalike_letters".to_string()), "{json}");
    assert!(codes.contains(&"spam".to_string()), "{json}");

    let json = submit(&app, "yоu аrе а stupіd іdіоt").await;
    assert_eq!(json["status"], "pending", "{json}");
    assert_eq!(
        reasons(&json),
        vec![
            ("lookalike_letters".into(), "hold".into()),
            ("abuse".into(), "hold".into())
        ]
    );
    // The disguised words are read as the words they spell.
    let top = &json["scores"]["abuse"]["top_tokens"];
    for word in ["stupid", "idiot"] {
        assert!(top.as_array().unwrap().contains(&word.into()), "{json}");
    }
}

/// A link that pays its poster for the click (a referral or affiliate code) is spam on any
/// site, and the explanation says so; the same words with a plain link are an ordinary
/// comment.
#[tokio::test]
async fn referral_links_are_spam_evidence() {
    let app = spawn_app().await;
    let json = submit(
        &app,
        "Nice song. Earn with me: https://rewards.example/?ref=maria77",
    )
    .await;
    assert_eq!(json["status"], "pending", "{json}");
    assert_eq!(reasons(&json), vec![("spam".into(), "hold".into())]);
    assert_eq!(
        json["scores"]["spam"]["top_tokens"][0], "__referral__",
        "{json}"
    );

    assert_published(
        &app,
        &[
            "Nice song. Earn with me: https://rewards.example/",
            "The full results: https://news.example/2016/06/eu-referendum-results",
        ],
    )
    .await;
}
