//! Flood limits: 429 with Retry-After after the burst, keyed by the real client IP.
use reqwest::header::{HeaderMap, HeaderValue};

use crate::helpers::{comment, json_body, spawn_app_with, TestApp, SITE};
use commentguard::domain::IpNet;

/// A test app whose site allows a burst of 3 per IP and 5 a minute after that.
async fn app_with_default_ip_limit(trusted_proxies: Vec<IpNet>) -> TestApp {
    spawn_app_with(|c| {
        let limits = &mut c.sites.get_mut(SITE).unwrap().rate_limit;
        limits.ip_burst = 3;
        limits.ip_per_minute = 5;
        c.trusted_proxies = trusted_proxies;
    })
    .await
}

fn forwarded_for(ip: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("x-forwarded-for", HeaderValue::from_str(ip).unwrap());
    h
}

/// After a burst of 3, the fourth comment from one IP gets 429 with Retry-After and a
/// JSON error, and is not stored.
#[tokio::test]
async fn limiter_answers_429_with_retry_after_after_the_burst() {
    let app = app_with_default_ip_limit(vec![]).await;
    for i in 0..3 {
        let res = app
            .post_comment_json(&comment(&format!("Comment number {i} on the budget.")))
            .await;
        assert!(res.status().is_success(), "request {i}: {}", res.status());
    }

    let res = app
        .post_comment_json(&comment("One comment too many."))
        .await;

    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=12).contains(&retry),
        "5 a minute: a cell every 12 s, got {retry}"
    );
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "RATE_LIMITED");
    assert_eq!(app.stored_comments(), 3);
}

/// A client that is not a trusted proxy cannot dodge the limit by inventing
/// X-Forwarded-For addresses.
#[tokio::test]
async fn spoofed_forwarded_for_from_untrusted_peer_is_ignored() {
    let app = app_with_default_ip_limit(vec![]).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let spoofed = forwarded_for(&format!("198.51.100.{i}"));
        let res = app
            .post_comment_json_with(&comment(&format!("Spoofing attempt number {i}.")), spoofed)
            .await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(
        &statuses[3..],
        &[429, 429],
        "all five came from 127.0.0.1: {statuses:?}"
    );
}

/// Behind a trusted proxy, each forwarded client has its own limit.
#[tokio::test]
async fn trusted_proxy_forwarded_for_is_honoured() {
    let app = app_with_default_ip_limit(vec![IpNet::parse("127.0.0.1").unwrap()]).await;
    let mut first = None;
    for i in 0..6 {
        // A spoofed left-most entry is ignored: the right-most untrusted hop counts.
        let header = forwarded_for(&format!("6.6.6.6, 198.51.100.{i}"));
        let res = app
            .post_comment_json_with(&comment(&format!("Forwarded reader number {i}.")), header)
            .await;
        assert!(res.status().is_success(), "client {i}: {}", res.status());
        let id = json_body(res).await["id"].as_i64().unwrap();
        first.get_or_insert(id);
    }
    // The same forwarded client is limited like anyone else.
    let mut last = 0;
    for i in 0..4 {
        let res = app
            .post_comment_json_with(
                &comment(&format!("Same reader again, take {i}.")),
                forwarded_for("203.0.113.7"),
            )
            .await;
        last = res.status().as_u16();
    }
    assert_eq!(last, 429);
    let first = commentguard::domain::CommentId::new(first.unwrap()).unwrap();
    let stored = app.store.comment(first).await.unwrap().unwrap();
    assert_eq!(stored.client_ip, "198.51.100.0");
}

/// One author is limited across IPs by their e-mail.
#[tokio::test]
async fn email_limit_spans_addresses() {
    let app = spawn_app_with(|c| {
        let limits = &mut c.sites.get_mut(SITE).unwrap().rate_limit;
        limits.email_burst = 2;
        limits.email_per_minute = 1;
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let mut c = comment(&format!("Another thought, number {i}."));
        c["author_email"] = "Prolific@Example.com".into();
        statuses.push(app.post_comment_json(&c).await.status().as_u16());
    }
    assert_eq!(statuses[2], 429, "{statuses:?}");
}
