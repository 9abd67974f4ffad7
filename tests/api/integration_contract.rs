//! What a CMS backend integrating commentguard is told when it gets something wrong:
//! an unknown site names the sites of its API key; a request without `client_ip` is
//! warned that all readers share one rate limit, and the 429 it eventually gets says why;
//! a moderator naming an unknown site is told the sites they moderate.
use serde_json::json;

use crate::helpers::{clearly_fine, comment, json_body, spawn_app, spawn_app_with, SITE};
use crate::review_support::add_moderator;

/// A backend that names a site the instance does not serve is told its key's site; an
/// anonymous caller is told where site ids come from, and nothing about other sites.
#[tokio::test]
async fn unknown_site_names_the_site_of_the_backends_key() {
    let app = spawn_app().await;
    let mut wrong = comment(&clearly_fine(1).remove(0));
    wrong["site"] = json!("dailynews");

    let res = app.post_comment_as_backend(&wrong).await;
    assert_eq!(res.status(), 422);
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "UNKNOWN_SITE");
    assert_eq!(json["error"]["field"], "site");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.ends_with(&format!("your API key is the key of the site(s): {SITE}")),
        "{message}"
    );

    let json = json_body(app.post_comment_json(&wrong).await).await;
    assert_eq!(json["error"]["code"], "UNKNOWN_SITE");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(message.contains("[sites.ID]"), "{message}");
    assert!(!message.contains(SITE), "{message}");
    assert_eq!(app.stored_comments(), 0);
}

/// A backend that forwards no `client_ip` gets its comment stored with a warning; when
/// its readers then exhaust one IP's burst, the 429 explains that they all count as the
/// backend. With `client_ip`, no warning.
#[tokio::test]
async fn a_backend_without_client_ip_is_warned() {
    let app = spawn_app_with(|c| {
        let limits = &mut c.sites.get_mut(SITE).unwrap().rate_limit;
        limits.ip_burst = 2;
        limits.ip_per_minute = 1;
    })
    .await;
    let texts = clearly_fine(3);

    let mut with_ip = comment(&texts[0]);
    with_ip["client_ip"] = json!("203.0.113.7");
    let json = json_body(app.post_comment_as_backend(&with_ip).await).await;
    assert_eq!(json["status"], "published", "{json}");
    assert!(json.get("warnings").is_none(), "{json}");

    let json = json_body(app.post_comment_as_backend(&comment(&texts[1])).await).await;
    assert_eq!(json["status"], "published", "{json}");
    let warning = json["warnings"][0].as_str().unwrap();
    assert!(warning.starts_with("client_ip was not sent"), "{warning}");

    // Two more readers, one address (the backend's): the burst of 2 is spent.
    let mut second = comment(&texts[2]);
    second["author_email"] = json!("someone.else@example.com");
    let json = json_body(app.post_comment_as_backend(&second).await).await;
    assert_eq!(json["status"], "published", "{json}");
    let mut third = comment("A third reader agrees with the second one, mostly.");
    third["author_email"] = json!("third@example.com");
    let res = app.post_comment_as_backend(&third).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "RATE_LIMITED");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("send each reader's IP address as client_ip"),
        "{message}"
    );
}

/// A moderator who names a site the instance does not serve is told the sites they
/// moderate, in the queue and when banning.
#[tokio::test]
async fn unknown_site_names_the_sites_a_moderator_moderates() {
    let app = spawn_app().await;
    let token = add_moderator(&app, "ann", &[SITE], false).await;

    let res = app.review_queue(&token, &[("site", "dailynews")]).await;
    assert_eq!(res.status(), 422);
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "UNKNOWN_SITE");
    assert_eq!(
        json["error"]["message"],
        format!("no such site on this instance; you moderate: {SITE}")
    );

    let ban = json!({"site": "dailynews", "author_email": "troll@example.com"});
    let json = json_body(app.author_action(&token, "ban", &ban).await).await;
    assert_eq!(json["error"]["code"], "UNKNOWN_SITE");
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .ends_with(&format!("you moderate: {SITE}")));
}
