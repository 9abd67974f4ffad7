//! What the drop-in embed and plain article pages rely on, over HTTP: comment counts for
//! article lists, whether an article is closed to comments, and plain HTML form posts
//! that get HTML back, never JSON.
use serde_json::json;

use crate::helpers::{clearly_fine, comment, json_body, spawn_app, TestApp, ORIGIN, SITE};
use crate::review_support::add_moderator;

/// The `Accept` header a browser sends when it submits a form itself.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

impl TestApp {
    /// `GET /api/v1/sites/{site}/articles/counts?ids=…`
    async fn counts(&self, ids: &str) -> reqwest::Response {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("ids", ids)
            .finish();
        self.client
            .get(self.url(&format!("/api/v1/sites/{SITE}/articles/counts?{query}")))
            .send()
            .await
            .expect("request sent")
    }

    /// `POST /api/v1/comments` as a browser posts a plain HTML form (no script).
    async fn post_form_as_browser(&self, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/comments"))
            .header("accept", BROWSER_ACCEPT)
            .form(fields)
            .send()
            .await
            .expect("request sent")
    }
}

/// Counts are of published comments only, per requested article, zero for the rest.
#[tokio::test]
async fn counts_of_published_comments_per_article() {
    let app = spawn_app().await;
    let texts = clearly_fine(3);
    for (text, article) in texts.iter().zip(["2024/a", "2024/a", "2024/b"]) {
        let mut c = comment(text);
        c["article_id"] = json!(article);
        app.post_comment_expecting(&c, "published").await;
    }
    let mut held = comment("Held for review, so it does not count anywhere yet.");
    held["article_id"] = json!("2024/b");
    held["form_token"] = json!("v1.0.forged");
    app.post_comment_json(&held).await;

    let res = app.counts("2024/a,2024/b,2024/none,2024/a").await;
    assert_eq!(res.status(), 200);
    let json = json_body(res).await;
    assert_eq!(
        json,
        json!({"site": SITE, "counts": {"2024/a": 2, "2024/b": 1, "2024/none": 0}, "closed": []})
    );
}

/// No ids, a blank id and an unknown site are refused with the field or the code named.
#[tokio::test]
async fn counts_refuse_bad_requests() {
    let app = spawn_app().await;
    for ids in ["", "a,,b"] {
        let json = json_body(app.counts(ids).await).await;
        assert_eq!(json["error"]["field"], "ids", "{ids:?}: {json}");
    }
    let res = app
        .client
        .get(app.url("/api/v1/sites/nosuchsite/articles/counts?ids=a"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(json_body(res).await["error"]["code"], "SITE_NOT_FOUND");
}

/// Article lists on the site's pages may read the counts; other origins may not.
#[tokio::test]
async fn counts_have_cors_for_the_site_origins() {
    let app = spawn_app().await;
    let url = app.url(&format!("/api/v1/sites/{SITE}/articles/counts?ids=a"));
    let res = app
        .client
        .get(&url)
        .header("origin", ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["access-control-allow-origin"], ORIGIN);
    let res = app
        .client
        .get(&url)
        .header("origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
}

/// A browser's successful form post goes back to the article, saying whether the
/// comment is published or awaiting moderation and which comment it is.
#[tokio::test]
async fn a_browser_form_post_is_sent_back_with_its_status() {
    let app = spawn_app().await;
    let text = clearly_fine(1).remove(0);
    let back = format!("{ORIGIN}/2024/budget?page=2#comments");
    let res = app
        .post_form_as_browser(&[
            ("site", SITE),
            ("article_id", "2024/budget"),
            ("author_name", "A Reader"),
            ("website", ""),
            ("body", &text),
            ("redirect_to", &back),
        ])
        .await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let id = app.listed_ids("2024/budget").await[0];
    assert_eq!(
        location,
        format!("{ORIGIN}/2024/budget?page=2&commentguard=published#comment-{id}")
    );

    let res = app
        .post_form_as_browser(&[
            ("site", SITE),
            ("article_id", "2024/budget"),
            ("author_name", "A Bot"),
            ("website", "https://spam.example"),
            (
                "body",
                "Filled the honeypot, so this is held whatever it says.",
            ),
            ("redirect_to", &back),
        ])
        .await;
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!(
            "{ORIGIN}/2024/budget?page=2&commentguard=pending#comment-"
        )),
        "{location}"
    );
}

/// A browser's failing form post gets an HTML page — the message naming the field, the
/// reader's text in the form again, a link back — with the error's status; nothing stored.
#[tokio::test]
async fn a_failing_browser_form_post_gets_an_html_page() {
    let app = spawn_app().await;
    let back = format!("{ORIGIN}/2024/budget");
    let res = app
        .post_form_as_browser(&[
            ("site", SITE),
            ("article_id", "2024/budget"),
            ("author_name", ""),
            ("body", "My <b>point</b> stands & I will not type it twice."),
            ("redirect_to", &back),
        ])
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = res.text().await.unwrap();
    assert!(html.contains("(field: <code>author_name</code>)"), "{html}");
    assert!(
        html.contains(
            "My &lt;b&gt;point&lt;/b&gt; stands &amp; I will not type it twice.</textarea>"
        ),
        "{html}"
    );
    assert!(
        html.contains(&format!("<a id=\"back\" href=\"{back}\">")),
        "{html}"
    );
    assert!(html.contains("name=\"redirect_to\""), "{html}");
    assert_eq!(app.stored_comments(), 0);

    // The same post from a script (no HTML in Accept) still gets the JSON error.
    let res = app
        .post_comment_form(&[
            ("site", SITE),
            ("article_id", "a"),
            ("author_name", ""),
            ("body", "x"),
        ])
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(json_body(res).await["error"]["field"], "author_name");
}

/// Once an admin closes an article, the listing still lists its thread but says it is
/// `closed`, and the counts name it among the requested articles; a browser's plain form
/// post to it gets a page with the status and the way back to the article, and no form
/// to send again (it could not succeed); reopening it says `closed: false` again.
#[tokio::test]
async fn a_closed_article_says_so_in_the_listing_counts_and_form_page() {
    let app = spawn_app().await;
    let root = add_moderator(&app, "root", &[], true).await;
    let texts = clearly_fine(2);
    let id = app
        .post_comment_expecting(&comment(&texts[0]), "published")
        .await;
    let listing = || async {
        let res = app.list_comments("2024/budget", &[]).await;
        assert_eq!(res.status(), 200);
        json_body(res).await
    };
    assert_eq!(listing().await["closed"], false);

    let closing = json!({"changes": [{"rule": "closed_articles", "add": ["2024/budget"]}]});
    assert_eq!(app.change_rules(&root, &closing).await.status(), 200);
    let page = listing().await;
    assert_eq!(page["closed"], true, "{page}");
    assert_eq!(page["comments"][0]["id"], id, "the thread is still listed");
    let counts = json_body(app.counts("2024/budget,2024/other").await).await;
    assert_eq!(counts["counts"]["2024/budget"], 1);
    assert_eq!(counts["closed"], json!(["2024/budget"]));

    let back = format!("{ORIGIN}/2024/budget");
    let res = app
        .post_form_as_browser(&[
            ("site", SITE),
            ("article_id", "2024/budget"),
            ("author_name", "A Reader"),
            ("body", &texts[1]),
            ("redirect_to", &back),
        ])
        .await;
    assert_eq!(res.status(), 409);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(
        html.contains("is closed to new comments (field: <code>article_id</code>) <small>[409 ARTICLE_CLOSED]</small>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<a id=\"back\" href=\"{back}\">")),
        "{html}"
    );
    assert!(!html.contains("<form"), "nothing to send again: {html}");
    assert_eq!(app.stored_comments(), 1);

    let reopening = json!({"changes": [{"rule": "closed_articles", "remove": ["2024/budget"]}]});
    assert_eq!(app.change_rules(&root, &reopening).await.status(), 200);
    assert_eq!(listing().await["closed"], false);
    let counts = json_body(app.counts("2024/budget").await).await;
    assert_eq!(counts["closed"], json!([]));
}

/// When even the site is wrong there is no article to go back to: the page says what is
/// wrong and keeps the text.
#[tokio::test]
async fn a_browser_form_post_for_an_unknown_site_gets_an_html_page() {
    let app = spawn_app().await;
    let res = app
        .post_form_as_browser(&[
            ("site", "dailynews"),
            ("article_id", "a"),
            ("author_name", "Ann"),
            ("body", "Which site am I on?"),
            ("redirect_to", "https://www.daily-news.example/a"),
        ])
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("no such site on this instance"), "{html}");
    assert!(html.contains("Which site am I on?</textarea>"), "{html}");
    assert!(
        !html.contains("id=\"back\""),
        "no back link to an unchecked address"
    );
}

/// A browser's plain report form that fails (a second report from the same reader) gets
/// an HTML page with the reason and a link back, not JSON.
#[tokio::test]
async fn a_failing_browser_report_gets_an_html_page() {
    let app = spawn_app().await;
    let id = app
        .post_comment_expecting(&comment(&clearly_fine(1).remove(0)), "published")
        .await;
    let back = format!("{ORIGIN}/2024/budget");
    let report = || {
        app.client
            .post(app.url(&format!("/api/v1/comments/{id}/report")))
            .header("accept", BROWSER_ACCEPT)
            .form(&[("reason", "off-topic"), ("redirect_to", back.as_str())])
            .send()
    };
    let first = report().await.unwrap();
    assert_eq!(first.status(), 303);
    assert_eq!(first.headers()["location"], back.as_str());

    let second = report().await.unwrap();
    assert_eq!(second.status(), 409);
    assert!(second.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = second.text().await.unwrap();
    assert!(html.contains("<h1>Your report was not sent</h1>"), "{html}");
    assert!(
        html.contains("you have already reported this comment"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<a id=\"back\" href=\"{back}\">")),
        "{html}"
    );
}

/// The demo's configuration loads, serves one site — the one the demo article names —
/// and lets the article's origin call the API and be returned to.
#[test]
fn the_demo_configuration_matches_the_demo_article() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let config = commentguard::config::Config::load(Some(&dir.join("demo.toml")), None)
        .expect("examples/demo.toml loads")
        .validate()
        .expect("and is valid");
    let sites: Vec<&String> = config.sites.keys().collect();
    assert_eq!(sites, ["dailynews"]);
    let article = std::fs::read_to_string(dir.join("article.html")).unwrap();
    assert!(article.contains(r#"data-site="dailynews""#));
    assert!(article.contains(r#"<script src="http://127.0.0.1:8080/embed.js" async></script>"#));
    assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
    let origins: Vec<&str> = config.sites["dailynews"]
        .origins
        .iter()
        .map(|o| o.as_str())
        .collect();
    assert!(origins.contains(&"http://127.0.0.1:8000"), "{origins:?}");
    for placeholder in ["Please enter your comment!", "Please enter your name here"] {
        assert!(article.contains(placeholder), "{placeholder}");
    }
}
