//! The embed on a real article page in a real browser: headless Chromium (through
//! chromedriver) loads `examples/article.html` from one origin — a small web server in
//! the test, sending a strict Content-Security-Policy — while the service runs on another,
//! so every call the embed makes is cross-origin, as on a news site.
//!
//! Stories: a reader replies to a comment and sees "awaiting moderation", a moderator
//! approves it, and after a reload it is nested under its parent; on a site that
//! publishes at once, the reader's comment and reply are "published" and appear in the
//! thread straight away; a hostile comment is shown as text and runs nothing; an abusive
//! comment gets the nudge and can still be posted as written, or edited and posted; an
//! article closed to comments keeps its thread but shows no form (with JavaScript and
//! without); with JavaScript off, the page's plain form goes to the service and back.
//!
//! Like the review page's test, it needs `chromedriver` on `PATH` and says so loudly (or
//! fails under `CI`) when it is missing.
use std::net::TcpListener;

use commentguard::classifier::Task;
use commentguard::config::Config;
use commentguard::domain::Origin;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::{
    classifier, clearly_fine, comment, corpus, json_body, spawn_app_with, TestApp, SITE,
};
use crate::review_browser::{find_chromedriver, text_of, wait_until, Driver, STEP};
use crate::review_support::add_moderator;

/// The demo article's site and article, as written in `examples/article.html`.
const DEMO_SITE: &str = "dailynews";
const DEMO_ARTICLE: &str = "2024/05/budget";
/// The addresses the demo page names; the test puts its own servers' there.
const DEMO_SERVICE: &str = "http://127.0.0.1:8080";
const DEMO_PAGE_ORIGIN: &str = "http://127.0.0.1:8000";
/// The demo article's title (a script that ran would change it).
const TITLE: &str = "Council budget leaves the library roof for another year · The Daily News";

/// `chromedriver`, or `None` after saying loudly that the test is skipped (a failure
/// under `CI`).
pub(crate) fn chromedriver_or_skip(test: &str) -> Option<std::path::PathBuf> {
    let found = find_chromedriver();
    if found.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but chromedriver is not installed (apt-get install chromium chromium-driver)");
        }
        use std::io::Write;
        let _ = std::io::stderr().write_all(
            format!(
                "\n\n######## SKIPPED {test}: chromedriver is not installed \
                 (apt-get install chromium chromium-driver) ########\n\n"
            )
            .as_bytes(),
        );
    }
    found
}

/// The demo article served by a web server of its own, on another origin than the service.
struct ArticleServer {
    /// `http://localhost:PORT` — another host name and port than the service's.
    origin: String,
}

impl ArticleServer {
    /// A port for the article (its origin must be in the service's configuration before
    /// the service starts, and the page must name the service: two steps).
    fn bind() -> (TcpListener, String) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the article");
        let origin = format!("http://localhost:{}", listener.local_addr().unwrap().port());
        (listener, origin)
    }

    /// Serves `examples/article.html` (naming the service at `service`; with
    /// `data-page-size` when `page_size` is given) and `article.css` on `listener`, with
    /// the page's Content-Security-Policy also sent as a header.
    fn serve(
        listener: TcpListener,
        origin: String,
        service: &str,
        page_size: Option<u32>,
    ) -> ArticleServer {
        let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        let html = std::fs::read_to_string(examples.join("article.html"))
            .expect("examples/article.html")
            .replace(DEMO_SERVICE, service)
            .replace(DEMO_PAGE_ORIGIN, &origin);
        let html = match page_size {
            Some(n) => html.replace(
                &format!("data-article=\"{DEMO_ARTICLE}\">"),
                &format!("data-article=\"{DEMO_ARTICLE}\" data-page-size=\"{n}\">"),
            ),
            None => html,
        };
        let css = std::fs::read_to_string(examples.join("article.css")).expect("article.css");
        let csp = format!(
            "default-src 'self'; script-src 'self' {service}; style-src 'self' {service}; \
             connect-src {service}; img-src 'self'; form-action 'self' {service}; base-uri 'none'"
        );
        let server = actix_web::HttpServer::new(move || {
            let (html, css, csp) = (html.clone(), css.clone(), csp.clone());
            actix_web::App::new()
                .route(
                    "/article.html",
                    actix_web::web::get().to(move || {
                        let (html, csp) = (html.clone(), csp.clone());
                        async move {
                            actix_web::HttpResponse::Ok()
                                .content_type("text/html; charset=utf-8")
                                .insert_header(("content-security-policy", csp))
                                .body(html)
                        }
                    }),
                )
                .route(
                    "/article.css",
                    actix_web::web::get().to(move || {
                        let css = css.clone();
                        async move {
                            actix_web::HttpResponse::Ok()
                                .content_type("text/css; charset=utf-8")
                                .body(css)
                        }
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .expect("the article server listens")
        .run();
        // Stops with the test's runtime.
        tokio::spawn(server);
        ArticleServer { origin }
    }

    fn page(&self) -> String {
        format!("{}/article.html", self.origin)
    }
}

/// The test app with the demo site, `dailynews`, whose pages are served from `origin`:
/// every comment held for a moderator when `premoderate` (else a fine comment is
/// published at once), and no minimum form time (the browser types faster than a
/// person; premoderation is what holds comments here).
fn with_demo_site(config: &mut Config, origin: &str, premoderate: bool) {
    let mut site = config.sites[SITE].clone();
    site.origins = vec![Origin::parse(origin).unwrap()];
    site.premoderate = premoderate;
    site.min_form_seconds = 0;
    config.sites.insert(DEMO_SITE.to_owned(), site);
}

/// A comment on the demo article, as the site's backend posts it.
fn demo_comment(author: &str, body: &str) -> Value {
    let mut c = comment(body);
    c["site"] = json!(DEMO_SITE);
    c["article_id"] = json!(DEMO_ARTICLE);
    c["author_name"] = json!(author);
    c["author_email"] = json!(format!("{}@example.com", author.to_lowercase()));
    c
}

/// Everything a browser story needs: the service, the article's server, a moderator.
struct Stage {
    app: TestApp,
    article: ArticleServer,
    moderator: String,
    /// An admin's token, for the site rules.
    admin: String,
    /// Whether the demo site holds every comment for a moderator.
    premoderated: bool,
}

impl Stage {
    /// The demo site premoderated, as a cautious newsroom runs it.
    async fn new() -> Stage {
        Self::build(None, true).await
    }

    /// A stage whose embed asks for `page_size` comments per page.
    async fn with_page_size(page_size: Option<u32>) -> Stage {
        Self::build(page_size, true).await
    }

    /// The demo site publishing fine comments at once.
    async fn publishing() -> Stage {
        Self::build(None, false).await
    }

    async fn build(page_size: Option<u32>, premoderated: bool) -> Stage {
        let (listener, origin) = ArticleServer::bind();
        let app = spawn_app_with(|c| with_demo_site(c, &origin, premoderated)).await;
        let article = ArticleServer::serve(listener, origin, &app.address, page_size);
        let moderator = add_moderator(&app, "ann", &[DEMO_SITE], false).await;
        let admin = add_moderator(&app, "root", &[], true).await;
        Stage {
            app,
            article,
            moderator,
            admin,
            premoderated,
        }
    }

    /// Posts a comment as the backend (and publishes it as the moderator where the site
    /// holds it); its id.
    async fn published(&self, author: &str, body: &str) -> i64 {
        let comment = demo_comment(author, body);
        if !self.premoderated {
            return self.app.post_comment_expecting(&comment, "published").await;
        }
        let id = self.app.post_comment_expecting(&comment, "pending").await;
        self.approve(id).await;
        id
    }

    /// Closes (`true`) or reopens the demo article through the site-rules API, as an
    /// admin does on the desk.
    async fn close_article(&self, closed: bool) {
        let action = if closed { "add" } else { "remove" };
        let res = self
            .app
            .client
            .post(
                self.app
                    .url(&format!("/api/v1/admin/sites/{DEMO_SITE}/rules")),
            )
            .bearer_auth(&self.admin)
            .json(&json!({"changes": [{"rule": "closed_articles", action: [DEMO_ARTICLE]}]}))
            .send()
            .await
            .expect("request sent");
        assert_eq!(res.status(), 200, "{}", json_body(res).await);
    }

    /// The demo article's published comments (first page), as the listing answers.
    async fn listed(&self) -> Value {
        let res = self
            .app
            .client
            .get(self.app.url(&format!(
                "/api/v1/sites/{DEMO_SITE}/articles/{}/comments?limit=100",
                DEMO_ARTICLE.replace('/', "%2F")
            )))
            .send()
            .await
            .expect("request sent");
        assert_eq!(res.status(), 200);
        json_body(res).await
    }

    async fn approve(&self, id: i64) {
        let res = self
            .app
            .decide(
                &self.moderator,
                id,
                &json!({"decision": "approve", "version": 1}),
            )
            .await;
        assert_eq!(res.status(), 200, "{}", json_body(res).await);
    }

    /// The held comments of the demo site, oldest first.
    async fn pending(&self) -> Vec<Value> {
        let queue = json_body(
            self.app
                .review_queue(&self.moderator, &[("site", DEMO_SITE)])
                .await,
        )
        .await;
        queue["items"].as_array().expect("items").clone()
    }
}

/// A real abusive comment (Davidson et al.) that the abuse model holds for review but
/// does not reject outright.
fn held_abuse() -> String {
    let c = classifier();
    let (spam, abuse) = (c.thresholds(Task::Spam), c.thresholds(Task::Abuse));
    corpus("davidson.csv")
        .into_iter()
        .filter(|r| r.abuse == Some(1))
        .filter(|r| (20..=300).contains(&r.text.trim().chars().count()) && !r.text.contains("http"))
        .find(|r| {
            let s = c.score(&r.text);
            s.abuse.reaches(abuse.hold)
                && !abuse.rejects(s.abuse.probability)
                && !s.spam.reaches(spam.hold)
        })
        .map(|r| r.text)
        .expect("davidson.csv has a comment the abuse model holds")
}

/// A headless Chromium session; `javascript: false` switches scripts off.
async fn browser(driver: &Driver, profile: &std::path::Path, javascript: bool) -> Client {
    let mut options = json!({
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            format!("--user-data-dir={}", profile.display()),
        ]
    });
    if !javascript {
        options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".to_owned(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// Runs `story` in a fresh browser and closes the browser whatever happens.
async fn in_browser<F>(javascript: bool, story: F)
where
    F: AsyncFnOnce(&Client) -> Result<(), fantoccini::error::CmdError>,
{
    let Some(chromedriver) = chromedriver_or_skip("embed_browser") else {
        return;
    };
    let driver = Driver::start(&chromedriver);
    let profile = tempfile::tempdir().unwrap();
    let client = browser(&driver, profile.path(), javascript).await;
    let outcome = story(&client).await;
    let _ = client.close().await;
    outcome.expect("the browser session");
}

async fn type_into(
    browser: &Client,
    css: &str,
    text: &str,
) -> Result<(), fantoccini::error::CmdError> {
    browser.find(Locator::Css(css)).await?.send_keys(text).await
}

async fn click(browser: &Client, css: &str) -> Result<(), fantoccini::error::CmdError> {
    browser.find(Locator::Css(css)).await?.click().await
}

/// Whether the first element matching `css` is shown (`false` when there is none).
async fn displayed(browser: &Client, css: &str) -> bool {
    match browser.find(Locator::Css(css)).await {
        Ok(el) => el.is_displayed().await.unwrap_or(false),
        Err(_) => false,
    }
}

/// Waits until the embed shows its form (once the listing has said the article is open).
async fn wait_for_form(browser: &Client) {
    wait_until("the comment form", async || {
        displayed(browser, ".cg-form").await
    })
    .await;
}

async fn wait_for_text(browser: &Client, css: &str, expected: &str) {
    wait_until(&format!("{css} to read {expected:?}"), async || {
        text_of(browser, css)
            .await
            .is_some_and(|t| t.contains(expected))
    })
    .await;
}

/// A reader answers a published comment from the embed and is told it awaits
/// moderation; once a moderator approves it, a reload shows it nested under the comment
/// it answers, and the count has gone up. The page's own colour reaches the embed through
/// a CSS variable, under the page's strict CSP.
#[tokio::test]
async fn a_reply_awaits_moderation_then_shows_under_its_parent() {
    let stage = Stage::new().await;
    let texts = clearly_fine(2);
    let parent = stage.published("Maria", &texts[0]).await;
    let reply_text = texts[1].trim().to_owned();

    in_browser(true, async |browser| {
        browser.goto(&stage.article.page()).await?;
        let parent_text = format!("#comment-{parent} > article .cg-text");
        wait_for_text(browser, &parent_text, texts[0].trim()).await;
        wait_for_text(browser, ".cg-count", "1 comment").await;
        wait_for_text(browser, ".byline [data-commentguard-count]", "1 comment").await;
        let accent = browser
            .execute(
                "return getComputedStyle(document.querySelector('.cg-submit')).backgroundColor",
                vec![],
            )
            .await?;
        assert_eq!(
            accent,
            json!("rgb(139, 26, 26)"),
            "embed.css loaded, themed by the page"
        );

        click(browser, &format!("#comment-{parent} .cg-reply-button")).await?;
        wait_for_text(
            browser,
            &format!("#comment-{parent} .cg-replying-name"),
            "Maria",
        )
        .await;
        let form = format!("#comment-{parent} .cg-form");
        type_into(browser, &format!("{form} input[name=author_name]"), "Tom").await?;
        type_into(browser, &format!("{form} textarea[name=body]"), &reply_text).await?;
        click(browser, &format!("{form} .cg-submit")).await?;
        wait_for_text(browser, ".cg-message", "awaiting moderation").await;
        Ok(())
    })
    .await;

    let held = stage.pending().await;
    assert_eq!(held.len(), 1, "{held:?}");
    let reply = held[0]["id"].as_i64().unwrap();
    assert_eq!(
        held[0]["parent_id"], parent,
        "the reply form posts to its parent"
    );
    assert_eq!(held[0]["body"], reply_text.as_str());
    assert_eq!(
        held[0]["article"]["title"], "Council budget leaves the library roof for another year",
        "the embed sends the page's og:title as the headline"
    );
    let reasons: Vec<&str> = held[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(
        !reasons.contains(&"honeypot"),
        "the honeypot was left empty: {reasons:?}"
    );
    assert!(
        !reasons.iter().any(|r| r.starts_with("form_token")),
        "{reasons:?}"
    );
    stage.approve(reply).await;

    in_browser(true, async |browser| {
        browser.goto(&stage.article.page()).await?;
        let nested = format!("#comment-{parent} > .cg-replies > #comment-{reply} .cg-text");
        wait_for_text(browser, &nested, &reply_text).await;
        wait_for_text(browser, ".cg-count", "2 comments").await;
        assert_eq!(
            text_of(browser, &format!("#comment-{reply} .cg-author"))
                .await
                .as_deref(),
            Some("Tom")
        );
        Ok(())
    })
    .await;
}

/// A long thread comes in pages: the first page, then the rest with "show more"; the
/// count is the whole thread's from the start.
#[tokio::test]
async fn a_long_thread_comes_in_pages() {
    let stage = Stage::with_page_size(Some(2)).await;
    let texts = clearly_fine(3);
    let mut ids = Vec::new();
    for (author, text) in ["Ada", "Ben", "Cy"].iter().zip(&texts) {
        ids.push(stage.published(author, text).await);
    }

    in_browser(true, async |browser| {
        browser.goto(&stage.article.page()).await?;
        wait_for_text(browser, &format!("#comment-{} .cg-author", ids[1]), "Ben").await;
        wait_for_text(browser, ".cg-count", "3 comments").await;
        assert!(browser
            .find_all(Locator::Css(&format!("#comment-{}", ids[2])))
            .await?
            .is_empty());
        click(browser, ".cg-more").await?;
        wait_for_text(browser, &format!("#comment-{} .cg-author", ids[2]), "Cy").await;
        assert_eq!(
            browser.find_all(Locator::Css(".cg-comment")).await?.len(),
            3
        );
        let more_hidden = browser
            .execute("return document.querySelector('.cg-more').hidden", vec![])
            .await?;
        assert_eq!(more_hidden, json!(true), "no more pages");
        Ok(())
    })
    .await;
}

/// A published comment made of markup is shown character for character as text: no
/// element is created from it and its script never runs.
#[tokio::test]
async fn a_hostile_comment_is_shown_as_text_and_runs_nothing() {
    let stage = Stage::new().await;
    let hostile = "Look at this <img src=x onerror=\"window.cgPwned=1;document.title='pwned'\"> \
                   and <script>window.cgPwned=2</script><b>bold</b> claims";
    let id = stage.published("Mallory", hostile).await;

    in_browser(true, async |browser| {
        browser.goto(&stage.article.page()).await?;
        let text = format!("#comment-{id} .cg-text");
        wait_for_text(browser, &text, "claims").await;
        assert_eq!(text_of(browser, &text).await.as_deref(), Some(hostile));
        for tag in ["img", "script", "b"] {
            assert!(
                browser
                    .find_all(Locator::Css(&format!("#commentguard {tag}")))
                    .await?
                    .is_empty(),
                "no <{tag}> from a comment"
            );
        }
        // Give an image error handler time to fire, were there one.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(browser.title().await?, TITLE);
        let pwned = browser
            .execute("return window.cgPwned === undefined", vec![])
            .await?;
        assert_eq!(pwned, json!(true));
        Ok(())
    })
    .await;
}

/// With `nudge`, an abusive comment is not sent straight to the queue: the embed asks
/// the reader to edit it, and "post it as written" still posts it (held for review).
#[tokio::test]
async fn an_abusive_comment_gets_the_nudge_and_can_be_posted_as_written() {
    let stage = Stage::new().await;
    let abusive = held_abuse();

    in_browser(true, async |browser| {
        browser.goto(&stage.article.page()).await?;
        wait_for_text(browser, ".cg-count", "0 comments").await;
        wait_for_form(browser).await;
        type_into(browser, ".cg-form input[name=author_name]", "Rex").await?;
        type_into(browser, ".cg-form textarea[name=body]", &abusive).await?;
        click(browser, ".cg-submit").await?;
        // Its text is in the page from the start: wait for it to be shown.
        browser
            .wait()
            .at_most(STEP)
            .for_element(Locator::Css(".cg-nudge:not([hidden])"))
            .await?;
        wait_for_text(browser, ".cg-nudge", "Would you like to edit it").await;
        assert_eq!(
            stage.app.stored_comments(),
            0,
            "nothing stored while nudged"
        );
        click(browser, ".cg-post-anyway").await?;
        wait_for_text(browser, ".cg-message", "awaiting moderation").await;
        Ok(())
    })
    .await;

    let held = stage.pending().await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["body"], abusive.trim());
}

/// With JavaScript off, the page's plain form posts to the service, which sends the
/// reader back to the article saying the comment awaits moderation and which it is. A
/// refused comment gets a page saying why, with the text kept and the choice to post it.
#[tokio::test]
async fn the_plain_form_works_without_javascript() {
    let stage = Stage::new().await;
    let text = clearly_fine(1).remove(0);
    let abusive = held_abuse();

    in_browser(false, async |browser| {
        browser.goto(&stage.article.page()).await?;
        assert!(
            browser.find_all(Locator::Css(".cg-root")).await?.is_empty(),
            "the embed did not run"
        );
        type_into(browser, ".nojs-form input[name=author_name]", "Nell").await?;
        type_into(browser, ".nojs-form textarea[name=body]", &text).await?;
        click(browser, ".nojs-form button[type=submit]").await?;
        let back = back_at_the_article(browser).await?;
        let held = stage.pending().await;
        assert_eq!(held.len(), 1);
        let id = held[0]["id"].as_i64().unwrap();
        assert_eq!(
            back,
            format!("{}?commentguard=pending#comment-{id}", stage.article.page())
        );
        assert_eq!(held[0]["body"], text.trim());
        assert_eq!(held[0]["author"]["name"], "Nell");
        assert_eq!(
            held[0]["article"]["title"],
            "Council budget leaves the library roof for another year"
        );

        // The form has `nudge`: an abusive comment comes back on a page of its own.
        browser.goto(&stage.article.page()).await?;
        type_into(browser, ".nojs-form input[name=author_name]", "Rex").await?;
        type_into(browser, ".nojs-form textarea[name=body]", &abusive).await?;
        click(browser, ".nojs-form button[type=submit]").await?;
        wait_for_text(browser, "#message", "looks abusive").await;
        assert_eq!(
            browser
                .find(Locator::Css("textarea[name=body]"))
                .await?
                .prop("value")
                .await?
                .as_deref(),
            Some(abusive.as_str()),
            "the text is kept"
        );
        assert_eq!(stage.pending().await.len(), 1, "nothing stored yet");
        click(browser, "button[name=nudge][value=off]").await?;
        let back = back_at_the_article(browser).await?;
        assert!(back.contains("?commentguard=pending#comment-"), "{back}");
        Ok(())
    })
    .await;

    let held = stage.pending().await;
    assert_eq!(held.len(), 2);
    assert_eq!(held[1]["body"], abusive.trim());
}

/// Waits until the browser is back on the article after a form post; its address.
async fn back_at_the_article(browser: &Client) -> Result<String, fantoccini::error::CmdError> {
    wait_until("the way back to the article", async || {
        browser
            .current_url()
            .await
            .is_ok_and(|u| u.as_str().contains("commentguard="))
    })
    .await;
    Ok(browser.current_url().await?.to_string())
}

/// On a site that publishes at once, the reader is told their comment is published and
/// sees it in the thread straight away — fetched back from the service, cross-origin —
/// with the count going up and the form emptied for the next one; a reply is published
/// under the comment it answers.
#[tokio::test]
async fn a_published_comment_appears_at_once() {
    let stage = Stage::publishing().await;
    let texts = clearly_fine(3);
    let parent = stage.published("Maria", &texts[0]).await;
    let (own, reply) = (texts[1].trim().to_owned(), texts[2].trim().to_owned());
    let mut shown_ids = Value::Null;

    in_browser(true, async |browser| {
        browser.goto(&stage.article.page()).await?;
        wait_for_text(
            browser,
            &format!("#comment-{parent} .cg-text"),
            texts[0].trim(),
        )
        .await;
        wait_for_text(browser, ".cg-count", "1 comment").await;
        wait_for_form(browser).await;
        type_into(browser, ".cg-form input[name=author_name]", "Tom").await?;
        type_into(browser, ".cg-form textarea[name=body]", &own).await?;
        click(browser, ".cg-submit").await?;
        wait_for_text(browser, ".cg-message", "Your comment is published").await;
        wait_for_text(
            browser,
            ".cg-thread > .cg-comment:last-child .cg-text",
            &own,
        )
        .await;
        wait_for_text(browser, ".cg-count", "2 comments").await;
        let body = browser
            .find(Locator::Css(".cg-form textarea[name=body]"))
            .await?;
        assert_eq!(body.prop("value").await?.as_deref(), Some(""), "emptied");

        click(browser, &format!("#comment-{parent} .cg-reply-button")).await?;
        let form = format!("#comment-{parent} .cg-form");
        type_into(browser, &format!("{form} textarea[name=body]"), &reply).await?;
        click(browser, &format!("{form} .cg-submit")).await?;
        let nested = format!("#comment-{parent} > .cg-replies > .cg-comment .cg-text");
        wait_for_text(browser, &nested, &reply).await;
        wait_for_text(browser, ".cg-count", "3 comments").await;
        assert_eq!(
            text_of(browser, ".cg-message").await.as_deref(),
            Some("Thank you! Your comment is published.")
        );
        shown_ids = browser
            .execute(
                "return Array.from(document.querySelectorAll('.cg-comment'), li => li.id)",
                vec![],
            )
            .await?;
        Ok(())
    })
    .await;

    // What the page showed is what the service published, nested the same way.
    let listed = stage.listed().await;
    let comments = listed["comments"].as_array().unwrap();
    let body_of = |text: &str| {
        comments
            .iter()
            .find(|c| c["body"] == text)
            .unwrap_or_else(|| panic!("{text:?} is published: {listed}"))
    };
    let (own_id, reply_id) = (body_of(&own)["id"].clone(), body_of(&reply)["id"].clone());
    assert_eq!(body_of(&own)["author_name"], "Tom");
    assert_eq!(body_of(&reply)["parent_id"], parent);
    assert_eq!(
        shown_ids,
        json!([
            format!("comment-{parent}"),
            format!("comment-{reply_id}"),
            format!("comment-{own_id}")
        ]),
        "in page order: the parent, its reply inside it, then the new comment"
    );
}

/// The nudge's other way out: the reader chooses to edit, gets the text back in focus,
/// rewrites it, and the new text is published. The abusive draft is never stored.
#[tokio::test]
async fn a_nudged_reader_edits_the_comment_and_posts_it() {
    let stage = Stage::publishing().await;
    let abusive = held_abuse();
    let edited = clearly_fine(1).remove(0).trim().to_owned();

    in_browser(true, async |browser| {
        browser.goto(&stage.article.page()).await?;
        wait_for_form(browser).await;
        type_into(browser, ".cg-form input[name=author_name]", "Rex").await?;
        type_into(browser, ".cg-form textarea[name=body]", &abusive).await?;
        click(browser, ".cg-submit").await?;
        wait_until("the nudge", async || displayed(browser, ".cg-nudge").await).await;
        assert!(displayed(browser, ".cg-edit").await);
        click(browser, ".cg-edit").await?;
        assert!(!displayed(browser, ".cg-nudge").await, "the nudge goes away");
        let focused = browser
            .execute(
                "return document.activeElement === document.querySelector('.cg-form textarea[name=body]')",
                vec![],
            )
            .await?;
        assert_eq!(focused, json!(true), "the comment is ready to edit");
        assert_eq!(stage.app.stored_comments(), 0, "the draft was not stored");

        let body = browser
            .find(Locator::Css(".cg-form textarea[name=body]"))
            .await?;
        body.clear().await?;
        body.send_keys(&edited).await?;
        click(browser, ".cg-submit").await?;
        wait_for_text(browser, ".cg-message", "Your comment is published").await;
        wait_for_text(browser, ".cg-thread > .cg-comment .cg-text", &edited).await;
        assert!(!displayed(browser, ".cg-nudge").await);
        Ok(())
    })
    .await;

    let listed = stage.listed().await;
    assert_eq!(listed["comments"].as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed["comments"][0]["body"], edited.as_str());
    assert_eq!(stage.app.stored_comments(), 1, "only the edited comment");
}

/// An article closed to comments (a site rule an admin changes at run time) keeps its
/// thread on the page, but the form and the reply buttons are gone and a line says
/// comments are closed. A reader who was writing when it closed is told so and keeps
/// their text. Without JavaScript, the page's own form gets the service's page saying the
/// article is closed, with the way back and no form to send again.
#[tokio::test]
async fn a_closed_article_shows_its_thread_but_no_form() {
    let stage = Stage::publishing().await;
    let texts = clearly_fine(3);
    let id = stage.published("Maria", &texts[0]).await;
    stage.close_article(true).await;
    assert_eq!(stage.listed().await["closed"], true);

    in_browser(true, async |browser| {
        browser.goto(&stage.article.page()).await?;
        wait_for_text(browser, &format!("#comment-{id} .cg-text"), texts[0].trim()).await;
        wait_until("the closed notice", async || {
            displayed(browser, ".cg-closed").await
        })
        .await;
        assert_eq!(
            text_of(browser, ".cg-closed").await.as_deref(),
            Some("Comments are closed for this article.")
        );
        assert!(!displayed(browser, ".cg-form").await, "no form");
        assert!(
            !displayed(browser, ".cg-reply-button").await,
            "no reply button"
        );
        wait_for_text(browser, ".cg-count", "1 comment").await;
        Ok(())
    })
    .await;

    stage.close_article(false).await;
    let draft = texts[1].trim().to_owned();
    in_browser(true, async |browser| {
        browser.goto(&stage.article.page()).await?;
        wait_for_form(browser).await;
        assert!(!displayed(browser, ".cg-closed").await, "open again");
        type_into(browser, ".cg-form input[name=author_name]", "Tom").await?;
        type_into(browser, ".cg-form textarea[name=body]", &draft).await?;
        // Closed while the reader writes.
        stage.close_article(true).await;
        click(browser, ".cg-submit").await?;
        wait_for_text(browser, ".cg-message", "Comments are closed").await;
        assert!(displayed(browser, ".cg-closed").await);
        let submit = browser.find(Locator::Css(".cg-submit")).await?;
        assert!(!submit.is_enabled().await?, "nothing more to send");
        let body = browser
            .find(Locator::Css(".cg-form textarea[name=body]"))
            .await?;
        assert_eq!(
            body.prop("value").await?.as_deref(),
            Some(draft.as_str()),
            "the text is kept"
        );
        assert!(!displayed(browser, ".cg-reply-button").await);
        Ok(())
    })
    .await;
    assert_eq!(stage.app.stored_comments(), 1);

    in_browser(false, async |browser| {
        browser.goto(&stage.article.page()).await?;
        type_into(browser, ".nojs-form input[name=author_name]", "Nell").await?;
        type_into(browser, ".nojs-form textarea[name=body]", texts[2].trim()).await?;
        click(browser, ".nojs-form button[type=submit]").await?;
        wait_for_text(browser, "#message", "closed to new comments").await;
        assert!(
            text_of(browser, "#message")
                .await
                .is_some_and(|m| m.contains("409 ARTICLE_CLOSED")),
            "the status is named"
        );
        assert!(
            browser.find_all(Locator::Css("#again")).await?.is_empty(),
            "no form to send again"
        );
        click(browser, "#back").await?;
        wait_until("the way back to the article", async || {
            browser
                .current_url()
                .await
                .is_ok_and(|u| u.as_str() == stage.article.page())
        })
        .await;
        Ok(())
    })
    .await;
    assert_eq!(stage.app.stored_comments(), 1, "nothing stored");
}
