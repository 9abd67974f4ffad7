//! The review desk in a real browser: headless Chromium through chromedriver against a
//! real server, one story per test — a moderator's shift (sign in, filter by article,
//! approve with the keyboard, bulk-reject three, undo one, ban an author from the card),
//! an admin closing an article (and the next comment refused), a request without the CSRF
//! token refused, hostile content in every field shown as text, and the other keys
//! (`j`/`k` to move, `s`/`x` to reject as spam or abuse, `?` for help). `readme_screenshot`
//! (ignored; run it on purpose) writes the README's picture of the queue.
//!
//! Like the other browser tests it needs `chromedriver` on `PATH` and says so loudly (or
//! fails under `CI`) when it is missing.
use std::time::Duration;

use commentguard::classifier::Task;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::embed_browser::chromedriver_or_skip;
use crate::helpers::{
    clearly_bad, clearly_fine, comment, json_body, spawn_app_with, trust_local_proxy, TestApp, SITE,
};
use crate::review_browser::{browser, text_of, wait_until, Driver, STEP};
use crate::review_support::{add_moderator, held_spam, premoderated};

type Step<T = ()> = Result<T, fantoccini::error::CmdError>;

/// A browser session on a fresh profile; the driver and profile live as long as it does.
struct Desk {
    client: Client,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Desk {
    async fn open(chromedriver: &std::path::PathBuf, width: u32, height: u32) -> Desk {
        let driver = Driver::start(chromedriver);
        let profile = tempfile::tempdir().unwrap();
        let client = browser(&driver, profile.path()).await;
        client.set_window_size(width, height).await.unwrap();
        Desk {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Runs `story` and closes the session whatever it returned.
    async fn run<T>(self, story: impl AsyncFnOnce(&Client) -> Step<T>) -> T {
        let outcome = story(&self.client).await;
        let _ = self.client.close().await;
        outcome.expect("the browser session")
    }
}

/// Evaluates `script` (a function body; `return` its value) in the page.
async fn js(b: &Client, script: &str) -> Step<Value> {
    b.execute(script, vec![]).await
}

/// Opens `/review` and signs in with `token`; waits for the queue.
async fn sign_in(b: &Client, app: &TestApp, token: &str) -> Step {
    b.goto(&app.url("/review")).await?;
    b.wait()
        .at_most(STEP)
        .for_element(Locator::Css("#token"))
        .await?
        .send_keys(token)
        .await?;
    b.find(Locator::Css("#signin")).await?.click().await?;
    b.wait()
        .at_most(STEP)
        .for_element(Locator::Css("#queue-view:not([hidden])"))
        .await?;
    Ok(())
}

fn card(id: i64) -> String {
    format!("#queue li[data-id=\"{id}\"]")
}

/// The `id` of the focused card, if a card has the focus.
async fn focused_card(b: &Client) -> Step<Option<i64>> {
    let v = js(
        b,
        "const c = document.activeElement && document.activeElement.closest('#queue > li.card');
         return c ? Number(c.dataset.id) : null;",
    )
    .await?;
    Ok(v.as_i64())
}

/// Presses `key` where the focus is, as a person would (WebDriver key actions).
async fn press(b: &Client, key: char) -> Step {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    b.perform_actions(actions).await
}

/// Waits until the card's outcome line contains `text`.
async fn outcome_contains(b: &Client, id: i64, text: &str) {
    let css = format!("{} .outcome-text", card(id));
    wait_until(&format!("comment {id} to say {text:?}"), async || {
        text_of(b, &css).await.is_some_and(|t| t.contains(text))
    })
    .await;
}

/// A comment by its own author (their own e-mail and IP, so bans and duplicates do not
/// mix them up) on `article`.
fn by(author: &str, article: &str, body: &str) -> Value {
    let mut c = comment(body);
    c["article_id"] = json!(article);
    c["author_name"] = json!(author);
    let local: String = author
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    c["author_email"] = json!(format!("{local}@example.com"));
    c["client_ip"] = json!(format!("198.51.100.{}", author.len() * 7 % 250 + 1));
    c
}

/// A moderator's shift: signs in (the token is not the cookie, and the page never sees
/// the cookie), filters by article, approves the first comment with `a` (the next one is
/// focused at once), ticks three and rejects them as spam together, undoes the last of
/// them with `u`, and bans an author from their card — whose next comment is rejected.
/// The counts follow.
#[tokio::test]
async fn a_shift_on_the_desk() {
    let Some(chromedriver) = chromedriver_or_skip("desk_browser::a_shift_on_the_desk") else {
        return;
    };
    let app = spawn_app_with(premoderated).await;
    let token = add_moderator(&app, "ann", &[SITE], false).await;
    let bob = add_moderator(&app, "bob", &[SITE], false).await;
    let texts = clearly_fine(8);
    let mut other = by("Olga", "2024/budget", &texts[0]);
    other["article_title"] = json!("Council budget leaves the library roof for another year");
    let elsewhere = app.post_comment_expecting(&other, "pending").await;
    let mut on_rates = Vec::new();
    for (i, author) in ["Ann", "Bea", "Cyd", "Dov", "Eli"].iter().enumerate() {
        let mut c = by(author, "2024/rates", &texts[i + 1]);
        c["article_title"] = json!("Water rates rise by a tenth");
        on_rates.push(app.post_comment_expecting(&c, "pending").await);
    }
    let troll = app
        .post_comment_expecting(&by("Troll", "2024/rates", &texts[6]), "pending")
        .await;

    let desk = Desk::open(&chromedriver, 1280, 1000).await;
    let rejected_three: Vec<i64> = on_rates[1..4].to_vec();
    let story = async |b: &Client| -> Step<Vec<i64>> {
        sign_in(b, &app, &token).await?;
        assert_eq!(
            text_of(b, "#me").await.as_deref(),
            Some("Signed in as ann"),
            "the moderator's name"
        );
        let cookie = js(b, "return document.cookie").await?;
        assert_eq!(cookie, json!(""), "the session cookie is HttpOnly");
        let settings = js(b, "return document.getElementById('settings-tab').hidden").await?;
        assert_eq!(
            settings,
            json!(true),
            "no settings for a moderator who is not an admin"
        );

        let order = js(b, "return document.getElementById('filter-order').value").await?;
        assert_eq!(order, json!("uncertain"), "most uncertain first by default");
        b.find(Locator::Css("#filter-order option[value=\"oldest\"]"))
            .await?
            .click()
            .await?;
        b.find(Locator::Css("#filter-article"))
            .await?
            .send_keys("2024/rates\u{E007}")
            .await?;
        wait_until("the article's six comments", async || {
            b.find_all(Locator::Css("#queue > li.card"))
                .await
                .is_ok_and(|c| c.len() == 6)
                && b.find_all(Locator::Css(&card(elsewhere)))
                    .await
                    .is_ok_and(|c| c.is_empty())
        })
        .await;
        let title = text_of(b, &format!("{} .article", card(on_rates[0]))).await;
        assert_eq!(title.as_deref(), Some("Water rates rise by a tenth"));

        let order: Vec<i64> = js(
            b,
            "return [...document.querySelectorAll('#queue > li.card')].map(c => Number(c.dataset.id))",
        )
        .await?
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
        let mut expected = on_rates.clone();
        expected.push(troll);
        assert_eq!(order, expected, "oldest first");
        wait_until("the first card to have the focus", async || {
            focused_card(b).await.ok().flatten() == Some(on_rates[0])
        })
        .await;
        press(b, 'a').await?;
        outcome_contains(b, on_rates[0], "Approved").await;
        assert_eq!(
            focused_card(b).await?,
            Some(on_rates[1]),
            "the next card is focused at once"
        );

        for id in &rejected_three {
            b.find(Locator::Css(&format!("{} .select", card(*id))))
                .await?
                .click()
                .await?;
        }
        assert_eq!(
            text_of(b, "#selected-count").await.as_deref(),
            Some("3 selected")
        );
        b.find(Locator::Css(
            "#bulk button[data-decision=\"reject\"][data-label=\"spam\"]",
        ))
        .await?
        .click()
        .await?;
        for id in &rejected_three {
            outcome_contains(b, *id, "Rejected as spam").await;
        }
        press(b, 'u').await?;
        outcome_contains(b, rejected_three[2], "Undone").await;

        b.find(Locator::Css(&format!("{} .ban", card(troll))))
            .await?
            .click()
            .await?;
        b.wait()
            .at_most(STEP)
            .for_element(Locator::Css("#author-dialog[open]"))
            .await?;
        wait_until("the author's comments", async || {
            text_of(b, "#author-history")
                .await
                .is_some_and(|t| t.contains("1 waiting"))
        })
        .await;
        b.find(Locator::Css("#ban-duration option[value=\"30\"]"))
            .await?
            .click()
            .await?;
        b.find(Locator::Css("#ban-note"))
            .await?
            .send_keys("name-calling on every story")
            .await?;
        b.find(Locator::Css("#ban-submit")).await?.click().await?;
        wait_until("the ban to be confirmed", async || {
            text_of(b, "#ban-outcome")
                .await
                .is_some_and(|t| t.starts_with("Banned"))
        })
        .await;
        wait_until("the ban in the author's view", async || {
            text_of(b, "#author-bans")
                .await
                .is_some_and(|t| t.contains("Banned by ann"))
        })
        .await;
        press(b, '\u{E00C}').await?; // Escape closes the dialog.

        // The total follows the decisions: 6 on the article, 1 approved, 2 still rejected.
        wait_until("the total to follow", async || {
            text_of(b, "#total")
                .await
                .is_some_and(|t| t.starts_with("3 comments"))
        })
        .await;
        // Bob decides the last one while Ann looks at it: her decision is refused, and the
        // card says plainly who did what.
        let res = app
            .decide(
                &bob,
                on_rates[4],
                &json!({"decision": "reject", "label": "abuse", "version": 1}),
            )
            .await;
        assert_eq!(res.status(), 200);
        js(
            b,
            &format!("document.querySelector('{}').focus()", card(on_rates[4])),
        )
        .await?;
        press(b, 'a').await?;
        outcome_contains(
            b,
            on_rates[4],
            "Someone decided first: bob rejected it as abuse",
        )
        .await;
        let text = text_of(b, &format!("{} .outcome-text", card(on_rates[4])))
            .await
            .unwrap_or_default();
        assert!(text.contains("It is now rejected."), "{text}");

        // A comment arriving meanwhile is noticed by the page's own polling (every 15 s).
        app.post_comment_expecting(&by("Fay", "2024/rates", &texts[7]), "pending")
            .await;
        wait_until("the page to notice the new comment", async || {
            js(b, "return !document.getElementById('new-arrivals').hidden")
                .await
                .is_ok_and(|v| v == json!(true))
        })
        .await;
        assert_eq!(
            text_of(b, "#total").await.as_deref(),
            Some("3 comments waiting"),
            "two left after Bob's decision, and the new one"
        );
        Ok(order)
    };
    desk.run(story).await;

    let status = |id| app.status_and_version(&token, id);
    assert_eq!(status(on_rates[0]).await.0, "published");
    assert_eq!(status(rejected_three[0]).await.0, "rejected");
    assert_eq!(status(rejected_three[1]).await.0, "rejected");
    assert_eq!(status(rejected_three[2]).await, ("pending".into(), 3));
    assert_eq!(
        status(on_rates[4]).await.0,
        "rejected",
        "Bob's decision stands"
    );
    let item = json_body(app.review_item(&token, rejected_three[0]).await).await;
    assert_eq!(item["labels"]["spam"], true);

    let bans = json_body(
        app.client
            .get(app.url("/api/v1/review/authors/bans"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let ban = &bans["bans"][0];
    assert_eq!(ban["author_email"], "troll@example.com");
    assert_eq!(ban["created_by"], "ann");
    assert_eq!(ban["note"], "name-calling on every story");
    let days = (ban["until"].as_i64().unwrap() - ban["created_at"].as_i64().unwrap()) / 86_400_000;
    assert!((29..=30).contains(&days), "30 days: {ban}");
    let mut next = by("Troll", "2024/rates", &texts[7]);
    next["client_ip"] = json!("198.51.100.200");
    let next = json_body(app.post_comment_as_backend(&next).await).await;
    assert_eq!(next["status"], "rejected");
    assert_eq!(next["reasons"][0]["code"], "banned_email");
}

/// An admin closes an article from a card's "Close article…" (the settings open with the
/// article filled in): the very next comment on it is refused with `ARTICLE_CLOSED`. A
/// request the page's session makes without the CSRF token is refused and changes
/// nothing; signing out ends the session.
#[tokio::test]
async fn an_admin_closes_an_article_and_csrf_is_enforced() {
    let Some(chromedriver) =
        chromedriver_or_skip("desk_browser::an_admin_closes_an_article_and_csrf_is_enforced")
    else {
        return;
    };
    let app = spawn_app_with(premoderated).await;
    let root = add_moderator(&app, "root", &[], true).await;
    let texts = clearly_fine(3);
    let held = app
        .post_comment_expecting(&comment(&texts[0]), "pending")
        .await;

    let desk = Desk::open(&chromedriver, 1280, 1000).await;
    desk.run(async |b: &Client| -> Step {
        sign_in(b, &app, &root).await?;
        assert_eq!(
            text_of(b, "#me").await.as_deref(),
            Some("Signed in as root (admin)")
        );
        b.wait()
            .at_most(STEP)
            .for_element(Locator::Css(&card(held)))
            .await?;

        let forged = js(
            b,
            &format!(
                "return fetch('/api/v1/review/{held}/decision', {{method: 'POST',
                   credentials: 'same-origin', headers: {{'Content-Type': 'application/json'}},
                   body: JSON.stringify({{decision: 'approve', version: 1}})}})
                 .then(async r => [r.status, (await r.json()).error.code])"
            ),
        )
        .await?;
        assert_eq!(forged, json!([403, "CSRF_TOKEN_MISSING"]));
        let forged = js(
            b,
            "return fetch('/api/v1/admin/sites/news/rules', {method: 'POST',
               credentials: 'same-origin', headers: {'Content-Type': 'application/json',
               'X-CSRF-Token': 'not-the-token'},
               body: JSON.stringify({changes: [{rule: 'closed_articles', add: ['2024/budget']}]})})
             .then(r => r.status)",
        )
        .await?;
        assert_eq!(forged, json!(403));

        b.find(Locator::Css(&format!("{} .close-article", card(held))))
            .await?
            .click()
            .await?;
        wait_until("the article to be filled in", async || {
            b.find(Locator::Css("#close-article")).await.ok().is_some()
                && js(b, "return document.getElementById('close-article').value")
                    .await
                    .is_ok_and(|v| v == json!("2024/budget"))
        })
        .await;
        b.find(Locator::Css("#close-submit")).await?.click().await?;
        wait_until("the article in the closed list", async || {
            text_of(b, "#closed-list")
                .await
                .is_some_and(|t| t.contains("2024/budget"))
        })
        .await;
        wait_until("the change in the log", async || {
            text_of(b, "#rule-log")
                .await
                .is_some_and(|t| t.contains("closed_articles") && t.contains("root"))
        })
        .await;

        b.find(Locator::Css("#sign-out")).await?.click().await?;
        b.wait()
            .at_most(STEP)
            .for_element(Locator::Css("#signin-view:not([hidden])"))
            .await?;
        let after = js(
            b,
            "return fetch('/api/v1/review', {credentials: 'same-origin'}).then(r => r.status)",
        )
        .await?;
        assert_eq!(after, json!(401), "signed out");
        Ok(())
    })
    .await;

    assert_eq!(app.status_and_version(&root, held).await.0, "pending");
    let refused = app.post_comment_json(&comment(&texts[1])).await;
    assert_eq!(refused.status(), 409);
    let refused = json_body(refused).await;
    assert_eq!(refused["error"]["code"], "ARTICLE_CLOSED");
    let mut elsewhere = comment(&texts[2]);
    elsewhere["article_id"] = json!("2024/other");
    assert_eq!(app.post_comment_json(&elsewhere).await.status(), 202);
}

/// Markup that would run if it were parsed as HTML, in every field the desk shows.
const PAYLOAD: &str = "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=1</script>\
     <svg onload=\"window.__xss=1\"></svg><a href=\"javascript:window.__xss=1\">x</a>";

/// Markup short enough for an author's name (100 characters).
const NAME_PAYLOAD: &str = "<img src=x onerror=\"window.__xss=1\"><b>Bob</b>";

/// Hostile content stays inert, on a phone-sized screen: markup in the body, the
/// headline, the article id, the author's name and user agent (a tooltip), the parent, a
/// reader's report, a ban note, a blocked word and a closed article's id is shown as text; `javascript:` and `data:`
/// URLs (stored before intake refused them) are never links; a text-direction override is
/// isolated and flagged; a 5,000-letter word wraps; stacked combining marks do not cover
/// the buttons. Nothing sets the flag in `window`, and the page does not scroll sideways.
#[tokio::test]
async fn hostile_content_stays_inert() {
    let Some(chromedriver) = chromedriver_or_skip("desk_browser::hostile_content_stays_inert")
    else {
        return;
    };
    let app = spawn_app_with(|c| {
        trust_local_proxy(c);
        premoderated(c);
        c.sites.get_mut(SITE).unwrap().reports_to_review = 1;
    })
    .await;
    let root = add_moderator(&app, "root", &[], true).await;
    let hostile_article = "2024/<img src=x onerror=window.__xss=1>";
    let bidi = "Great photo \u{202E}gnp.exe\u{202C} of the council";
    let zalgo = format!(
        "Z{}a{}l{}g{}o",
        "\u{0336}\u{0334}\u{0338}\u{0352}\u{0357}".repeat(12),
        "\u{0300}\u{0301}\u{0302}\u{0303}\u{0304}".repeat(12),
        "\u{0316}\u{0317}\u{0318}\u{0319}\u{031A}".repeat(12),
        "\u{0350}\u{0351}\u{0352}\u{0353}\u{0354}".repeat(12)
    );
    let long_word = "a".repeat(5_000);
    let approve = async |id: i64| {
        let (_, version) = app.status_and_version(&root, id).await;
        let res = app
            .decide(
                &root,
                id,
                &json!({"decision": "approve", "version": version}),
            )
            .await;
        assert_eq!(res.status(), 200);
    };

    let mut first = comment(&format!("{PAYLOAD} {bidi}"));
    first["article_id"] = json!(hostile_article);
    first["article_title"] = json!(PAYLOAD);
    first["author_name"] = json!(NAME_PAYLOAD);
    first["user_agent"] = json!(PAYLOAD);
    first["author_url"] = json!(format!("https://example.com/?q={PAYLOAD}"));
    let parent = json_body(app.post_comment_as_backend(&first).await).await["id"]
        .as_i64()
        .unwrap();
    approve(parent).await;
    // Stored before intake refused such URLs (or by another tool): never made a link.
    app.execute_sql(&format!(
        "UPDATE comments SET author_url = 'javascript:window.__xss=1',
             article_url = 'data:text/html,<script>window.__xss=1</script>' WHERE id = {parent}"
    ));
    // One report sends it back to the queue; published again, a reply can answer it.
    assert_eq!(
        app.report(parent, PAYLOAD, "203.0.113.5").await.status(),
        202
    );
    approve(parent).await;
    let mut reply = comment(&zalgo);
    reply["article_id"] = json!(hostile_article);
    reply["parent_id"] = json!(parent);
    reply["author_email"] = json!("zalgo@example.com");
    reply["client_ip"] = json!("198.51.100.66");
    let reply = app.post_comment_expecting(&reply, "pending").await;
    let mut long = comment(&long_word);
    long["author_email"] = json!("long@example.com");
    long["client_ip"] = json!("198.51.100.67");
    let long = app.post_comment_expecting(&long, "pending").await;
    assert_eq!(
        app.report(parent, PAYLOAD, "203.0.113.6").await.status(),
        202
    );
    // A hostile blocked word, closed article and note; a ban with a hostile note.
    let rules = app
        .change_rules(
            &root,
            &json!({"changes": [
                {"rule": "closed_articles", "add": ["2023/<script>window.__xss=1</script>"]},
                {"rule": "blocked_words", "add": [PAYLOAD]},
            ], "note": PAYLOAD}),
        )
        .await;
    assert_eq!(rules.status(), 200, "{}", json_body(rules).await);
    let ban = app
        .author_action(
            &root,
            "ban",
            &json!({"site": SITE, "client_ip": "192.0.2.99", "note": PAYLOAD}),
        )
        .await;
    assert_eq!(ban.status(), 200);

    let desk = Desk::open(&chromedriver, 390, 844).await;
    desk.run(async |b: &Client| -> Step {
        sign_in(b, &app, &root).await?;
        for status in ["reported", "pending"] {
            b.find(Locator::Css(&format!("#filter-status option[value=\"{status}\"]")))
                .await?
                .click()
                .await?;
            let id = if status == "reported" { parent } else { reply };
            b.wait()
                .at_most(STEP)
                .for_element(Locator::Css(&card(id)))
                .await?;
            if status == "reported" {
                let body = text_of(b, &format!("{} .body", card(parent))).await;
                assert_eq!(body.as_deref(), Some(format!("{PAYLOAD} {bidi}").as_str()));
                let reports = text_of(b, &format!("{} .reports", card(parent)))
                    .await
                    .unwrap_or_default();
                assert!(reports.contains(PAYLOAD), "{reports}");
                let warning = text_of(b, &format!("{} .warning", card(parent))).await;
                assert!(warning.unwrap_or_default().contains("text-direction"));
                let tooltip = js(
                    b,
                    &format!(
                        "return document.querySelector('{} .author-ip').title",
                        card(parent)
                    ),
                )
                .await?;
                assert_eq!(tooltip, json!(format!("browser: {PAYLOAD}")));
                let isolated = js(
                    b,
                    &format!(
                        "return getComputedStyle(document.querySelector('{} .body')).unicodeBidi",
                        card(parent)
                    ),
                )
                .await?;
                assert_eq!(isolated, json!("isolate"));
                // The author view: their comments, the user agent's markup as text.
                b.find(Locator::Css(&format!("{} .author-open", card(parent))))
                    .await?
                    .click()
                    .await?;
                wait_until("the author view", async || {
                    text_of(b, "#author-comments")
                        .await
                        .is_some_and(|t| t.contains(PAYLOAD))
                })
                .await;
                press(b, '\u{E00C}').await?;
            }
        }
        let parent_text = text_of(b, &format!("{} .parent-body", card(reply))).await;
        assert!(parent_text.unwrap_or_default().contains(PAYLOAD));
        let approve = format!("{} button.approve", card(reply));
        let on_top = js(
            b,
            &format!(
                "const b = document.querySelector('{approve}');
                 b.scrollIntoView({{block: 'center'}});
                 const r = b.getBoundingClientRect();
                 const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                 return b.contains(hit);"
            ),
        )
        .await?;
        assert_eq!(on_top, json!(true), "the combining marks do not cover the button");
        b.wait()
            .at_most(STEP)
            .for_element(Locator::Css(&card(long)))
            .await?;

        b.find(Locator::Css(".tab[data-view=\"bans-view\"]"))
            .await?
            .click()
            .await?;
        wait_until("the ban's note", async || {
            text_of(b, "#bans").await.is_some_and(|t| t.contains(PAYLOAD))
        })
        .await;
        b.find(Locator::Css("#settings-tab")).await?.click().await?;
        wait_until("the closed and blocked lists", async || {
            text_of(b, "#rule-log").await.is_some_and(|t| t.contains("blocked_words"))
        })
        .await;
        let words = js(b, "return document.getElementById('rule-blocked_words').value").await?;
        assert_eq!(words, json!(PAYLOAD), "a textarea's value, not markup");
        b.find(Locator::Css(".tab[data-view=\"queue-view\"]"))
            .await?
            .click()
            .await?;

        let verdict = js(
            b,
            "return {
               flag: typeof window.__xss,
               elements: document.querySelectorAll(\
                 'main img, main script, main svg, main iframe, dialog img, dialog script, dialog svg').length,
               links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))
                 .filter(h => !/^https?:/.test(h)).length,
               sideways: document.documentElement.scrollWidth - window.innerWidth,
               title: document.title,
             }",
        )
        .await?;
        assert_eq!(verdict["flag"], "undefined", "{verdict}");
        assert_eq!(verdict["elements"], 0, "{verdict}");
        assert_eq!(verdict["links"], 0, "no javascript: or data: link: {verdict}");
        assert!(verdict["sideways"].as_i64().unwrap() <= 0, "{verdict}");
        assert_eq!(verdict["title"], "commentguard · review");
        Ok(())
    })
    .await;
}

/// Writes `docs/review-desk.png`, the README's picture of the queue, from real comments of
/// the training corpus (held spam and abuse, a reply, a reader report):
/// `cargo test --test api desk_browser::readme_screenshot -- --ignored --exact`.
/// The rest of the keyboard: `j` and `k` move between the cards (and stop at either
/// end), `s` rejects the focused comment as spam and `x` as abuse — what the models learn
/// from says so — each moving the focus to the next comment, and `?` opens the help, which
/// lists every key; while it is open no key decides anything, and Escape closes it.
#[tokio::test]
async fn the_keys_move_reject_and_explain() {
    let Some(chromedriver) = chromedriver_or_skip("desk_browser::the_keys_move_reject_and_explain")
    else {
        return;
    };
    let app = spawn_app_with(premoderated).await;
    let token = add_moderator(&app, "ann", &[SITE], false).await;
    let texts = clearly_fine(4);
    let mut held = Vec::new();
    for (author, text) in ["Ann", "Bea", "Cyd", "Dov"].iter().zip(&texts) {
        held.push(
            app.post_comment_expecting(&by(author, "2024/keys", text), "pending")
                .await,
        );
    }

    let desk = Desk::open(&chromedriver, 1280, 1000).await;
    let order = desk
        .run(async |b: &Client| -> Step<Vec<i64>> {
            sign_in(b, &app, &token).await?;
            wait_until("the four cards", async || {
                b.find_all(Locator::Css("#queue > li.card"))
                    .await
                    .is_ok_and(|c| c.len() == 4)
            })
            .await;
            let order: Vec<i64> = js(
                b,
                "return [...document.querySelectorAll('#queue > li.card')].map(c => Number(c.dataset.id))",
            )
            .await?
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
            wait_until("the first card to have the focus", async || {
                focused_card(b).await.ok().flatten() == Some(order[0])
            })
            .await;
            for (key, expected) in [
                ('k', 0),
                ('j', 1),
                ('j', 2),
                ('j', 3),
                ('j', 3),
                ('k', 2),
                ('k', 1),
            ] {
                press(b, key).await?;
                assert_eq!(
                    focused_card(b).await?,
                    Some(order[expected]),
                    "after `{key}` the card at {expected} has the focus"
                );
            }

            press(b, 's').await?;
            outcome_contains(b, order[1], "Rejected as spam").await;
            assert_eq!(focused_card(b).await?, Some(order[2]), "on to the next");
            press(b, 'x').await?;
            outcome_contains(b, order[2], "Rejected as abuse").await;
            assert_eq!(focused_card(b).await?, Some(order[3]));

            press(b, '?').await?;
            b.wait()
                .at_most(STEP)
                .for_element(Locator::Css("#help-dialog[open]"))
                .await?;
            let help = text_of(b, "#help-dialog .keys").await.unwrap_or_default();
            for line in [
                "next / previous comment",
                "approve",
                "reject as spam",
                "reject as abuse",
                "undo",
                "this help",
            ] {
                assert!(help.contains(line), "the help names {line:?}: {help}");
            }
            press(b, 'a').await?;
            // Time for a decision to be sent, were one sent.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let untouched = text_of(b, &format!("{} .outcome-text", card(order[3])))
                .await
                .unwrap_or_default();
            assert!(
                !untouched.contains("Approved"),
                "no key acts behind the help: {untouched:?}"
            );
            press(b, '\u{E00C}').await?; // Escape
            wait_until("the help to close", async || {
                b.find_all(Locator::Css("#help-dialog[open]"))
                    .await
                    .is_ok_and(|d| d.is_empty())
            })
            .await;
            Ok(order)
        })
        .await;

    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, held, "the four held comments were the cards");
    let labels = |item: Value| (item["status"].clone(), item["labels"].clone());
    let spam = labels(json_body(app.review_item(&token, order[1]).await).await);
    assert_eq!(
        spam,
        (json!("rejected"), json!({"spam": true, "abuse": null}))
    );
    let abuse = labels(json_body(app.review_item(&token, order[2]).await).await);
    assert_eq!(
        abuse,
        (json!("rejected"), json!({"spam": null, "abuse": true}))
    );
    for id in [order[0], order[3]] {
        assert_eq!(app.status_and_version(&token, id).await.0, "pending");
    }
}

#[tokio::test]
#[ignore = "writes docs/review-desk.png; run it on purpose"]
async fn readme_screenshot() {
    let Some(chromedriver) = chromedriver_or_skip("desk_browser::readme_screenshot") else {
        return;
    };
    let app = spawn_app_with(|c| {
        trust_local_proxy(c);
        let site = c.sites.get_mut(SITE).unwrap();
        site.premoderate_articles = vec!["2024/05/trial".into()];
        site.reports_to_review = 1;
    })
    .await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let title = |c: &mut Value, article: &str, headline: &str| {
        c["article_id"] = json!(article);
        c["article_title"] = json!(headline);
    };
    let names = [
        "Margaret Hale",
        "Tom Okafor",
        "Priya N.",
        "J. Larsen",
        "Dana W.",
    ];
    for (i, text) in held_spam(2).iter().enumerate() {
        let mut c = by(names[i], "2024/05/budget", text);
        title(
            &mut c,
            "2024/05/budget",
            "Council budget leaves the library roof for another year",
        );
        app.post_comment_as_backend(&c).await;
    }
    for (i, text) in clearly_bad("davidson.csv", Task::Abuse, 2)
        .iter()
        .enumerate()
    {
        let mut c = by(names[i + 2], "2024/05/rates", text);
        title(
            &mut c,
            "2024/05/rates",
            "Water rates rise by a tenth from June",
        );
        app.post_comment_as_backend(&c).await;
    }
    let fine = clearly_fine(3);
    let mut parent = by("Sam Ruiz", "2024/05/trial", &fine[0]);
    title(
        &mut parent,
        "2024/05/trial",
        "Trial of former mayor opens on Monday",
    );
    let parent = app.post_comment_expecting(&parent, "pending").await;
    app.decide(&ann, parent, &json!({"decision": "approve", "version": 1}))
        .await;
    let mut reply = by("Dana W.", "2024/05/trial", &fine[1]);
    reply["parent_id"] = json!(parent);
    app.post_comment_as_backend(&reply).await;
    let mut reported = by("Lee Chen", "2024/05/rates", &fine[2]);
    title(
        &mut reported,
        "2024/05/rates",
        "Water rates rise by a tenth from June",
    );
    let reported = app.post_comment_expecting(&reported, "published").await;
    app.report(reported, "Personal attack on a neighbour", "203.0.113.9")
        .await;

    let desk = Desk::open(&chromedriver, 1280, 1500).await;
    let png = desk
        .run(async |b: &Client| -> Step<Vec<u8>> {
            sign_in(b, &app, &ann).await?;
            wait_until("the counts", async || {
                text_of(b, "#reason-counts")
                    .await
                    .is_some_and(|t| !t.is_empty())
            })
            .await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            b.screenshot().await
        })
        .await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/review-desk.png");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, png).unwrap();
    eprintln!("wrote {}", path.display());
}
