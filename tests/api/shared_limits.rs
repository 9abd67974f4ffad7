//! Rate limits shared by several instances through Redis (`rate_limit_store`), and what
//! an instance does when that Redis cannot be reached (`rate_limit_unreachable`).
//!
//! The tests with a Redis run when `COMMENTGUARD_TEST_REDIS_URL` is set (CI sets it) and
//! fail if it is set but unreachable; each uses a key prefix of its own, so runs in
//! parallel and reruns never see each other's counts. The tests with an unreachable Redis
//! (a closed port) need no server and always run.
//!
//! The instances of one test share one [`Clock::manual`], as the instances of a
//! deployment share NTP time: nothing refills while the test runs unless it advances
//! the clock.
use commentguard::clock::Clock;
use commentguard::config::{Config, Secret};
use commentguard::http::moderator_auth::FAILURE_BURST;
use commentguard::ratelimit::shared::StoreUrl;
use commentguard::ratelimit::WhenUnreachable;
use reqwest::Response;

use crate::helpers::{
    clearly_fine, comment, json_body, reserve_port, spawn_app_with_clock, trust_local_proxy,
    ReservedPort, TestApp, SITE,
};
use crate::review_support::add_moderator;

/// The test Redis: `None` when `COMMENTGUARD_TEST_REDIS_URL` is unset; panics when it is
/// set and the server does not answer `PING`.
async fn test_redis() -> Option<String> {
    let url = std::env::var("COMMENTGUARD_TEST_REDIS_URL").ok()?;
    let client = redis::Client::open(url.as_str())
        .unwrap_or_else(|e| panic!("COMMENTGUARD_TEST_REDIS_URL={url} is not a Redis URL: {e}"));
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("COMMENTGUARD_TEST_REDIS_URL={url} is unreachable: {e}"));
    let pong: String = redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("COMMENTGUARD_TEST_REDIS_URL={url} does not answer: {e}"));
    assert_eq!(pong, "PONG");
    Some(url)
}

/// A key prefix no other test or run uses.
fn unique_prefix(test: &str) -> String {
    format!(
        "cgtest:api:{test}:{}:{:016x}:",
        std::process::id(),
        rand::random::<u64>()
    )
}

/// Points `config` at the shared store `url` under `prefix`, with `policy`; every
/// instance of a deployment shares the form-token secret (it also keys the e-mail limit).
fn share(config: &mut Config, url: &str, prefix: &str, policy: WhenUnreachable) {
    config.rate_limit_store = Some(StoreUrl::parse(url).unwrap());
    config.rate_limit_store_prefix = prefix.to_owned();
    config.rate_limit_unreachable = policy;
    config.form_token_secret = Some(Secret::new("ab".repeat(32)));
}

/// `n` instances, each with its own SQLite file, sharing `url` and `clock`; `tweak`
/// adjusts each one's configuration.
async fn instances(
    n: usize,
    clock: &Clock,
    url: &str,
    prefix: &str,
    tweak: impl Fn(&mut Config),
) -> Vec<TestApp> {
    let mut apps = Vec::new();
    for _ in 0..n {
        apps.push(
            spawn_app_with_clock(clock.clone(), |c| {
                share(c, url, prefix, WhenUnreachable::Closed);
                tweak(c);
            })
            .await,
        );
    }
    apps
}

/// A limit of 3 comments per IP, refilling at 5 a minute (a cell every 12 s).
fn three_per_ip(config: &mut Config) {
    let limits = &mut config.sites.get_mut(SITE).unwrap().rate_limit;
    limits.ip_burst = 3;
    limits.ip_per_minute = 5;
}

fn retry_after(res: &Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A flood from one IP spread round-robin over three instances is limited as one: the
/// burst of 3 is allowed in all (not 3 per instance), every other request gets 429 with
/// the shared wait, and once the clock has moved one interval exactly one more gets in.
#[tokio::test]
async fn a_flood_over_three_instances_is_limited_as_one() {
    let Some(url) = test_redis().await else {
        return;
    };
    let clock = Clock::manual_at_now();
    let apps = instances(3, &clock, &url, &unique_prefix("flood"), three_per_ip).await;

    let mut statuses = Vec::new();
    for i in 0..12 {
        let app = &apps[i % 3];
        let res = app
            .post_comment_json(&comment(&format!("Comment number {i} on the budget.")))
            .await;
        let status = res.status().as_u16();
        if status == 429 {
            assert_eq!(retry_after(&res), 12, "request {i}: one cell is 12 s away");
            assert_eq!(json_body(res).await["error"]["code"], "RATE_LIMITED");
        }
        statuses.push(status);
    }

    let allowed = statuses.iter().filter(|s| **s != 429).count();
    assert_eq!(
        allowed, 3,
        "one burst in all, as a single instance: {statuses:?}"
    );
    assert!(
        statuses[..3].iter().all(|s| (200..300).contains(s)),
        "{statuses:?}"
    );
    let stored: i64 = apps.iter().map(TestApp::stored_comments).sum();
    assert_eq!(stored, 3);

    clock.advance(std::time::Duration::from_secs(12));
    let again = apps[1]
        .post_comment_json(&comment("A comment after the wait."))
        .await;
    assert!(again.status().is_success(), "{}", again.status());
    let refused = apps[2]
        .post_comment_json(&comment("And one too many again."))
        .await;
    assert_eq!(refused.status(), 429);
}

/// Reader reports from one IP are limited across instances too.
#[tokio::test]
async fn reports_over_three_instances_are_limited_as_one() {
    let Some(url) = test_redis().await else {
        return;
    };
    let clock = Clock::manual_at_now();
    let apps = instances(3, &clock, &url, &unique_prefix("reports"), |c| {
        trust_local_proxy(c);
        let limits = &mut c.sites.get_mut(SITE).unwrap().rate_limit;
        limits.report_ip_burst = 2;
        limits.report_ip_per_minute = 1;
    })
    .await;
    // Two published comments on each instance (each has its own database).
    let bodies = clearly_fine(2);
    let mut ids = Vec::new();
    for app in &apps {
        let mut here = Vec::new();
        for body in &bodies {
            here.push(
                app.post_comment_expecting(&comment(body), "published")
                    .await,
            );
        }
        ids.push(here);
    }

    let mut statuses = Vec::new();
    for round in 0..2 {
        for (app, ids) in apps.iter().zip(&ids) {
            let res = app.report(ids[round], "spam", "198.51.100.9").await;
            let status = res.status().as_u16();
            if status == 429 {
                assert_eq!(json_body(res).await["error"]["code"], "RATE_LIMITED");
            }
            statuses.push(status);
        }
    }
    assert_eq!(
        statuses,
        [202, 202, 429, 429, 429, 429],
        "a burst of 2 in all"
    );
}

/// Failed moderator authentications from one IP count across instances: after the
/// burst, spread over three instances, that IP is locked out on all of them — and a
/// valid token from the same address is still let through.
#[tokio::test]
async fn failed_authentications_over_three_instances_are_limited_as_one() {
    let Some(url) = test_redis().await else {
        return;
    };
    let clock = Clock::manual_at_now();
    let apps = instances(3, &clock, &url, &unique_prefix("auth"), trust_local_proxy).await;
    let guess = |app: &TestApp, token: String| {
        app.client
            .get(app.url("/api/v1/review"))
            .header("x-forwarded-for", "198.51.100.7")
            .bearer_auth(token)
            .send()
    };

    for i in 0..FAILURE_BURST as usize {
        let res = guess(&apps[i % 3], format!("cgm_guess_{i}")).await.unwrap();
        assert_eq!(res.status(), 401, "guess {i}");
    }
    let over = guess(&apps[1], "cgm_one_more".into()).await.unwrap();
    assert_eq!(over.status(), 429);
    assert_eq!(json_body(over).await["error"]["code"], "AUTH_RATE_LIMITED");

    // Instance 2 never counted a failure over the limit itself: it learns it from Redis.
    let missing = apps[2]
        .client
        .get(apps[2].url("/api/v1/review"))
        .header("x-forwarded-for", "198.51.100.7")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 429, "locked out everywhere");
    let token = add_moderator(&apps[0], "ann", &[SITE], false).await;
    let colleague = guess(&apps[0], token).await.unwrap();
    assert_eq!(colleague.status(), 200, "a valid token is let through");
    let other_ip = apps[0]
        .client
        .get(apps[0].url("/api/v1/review"))
        .header("x-forwarded-for", "198.51.100.8")
        .bearer_auth("cgm_other")
        .send()
        .await
        .unwrap();
    assert_eq!(other_ip.status(), 401, "other addresses are not locked out");
}

/// A `rate_limit_store` nobody listens on: a port this test binary holds (bound, never
/// listening) for its whole run, so connections to it are refused.
fn unreachable_store(config: &mut Config, policy: WhenUnreachable) {
    static DOWN: std::sync::OnceLock<ReservedPort> = std::sync::OnceLock::new();
    let url = format!("redis://127.0.0.1:{}", DOWN.get_or_init(reserve_port).port);
    share(config, &url, &unique_prefix("down"), policy);
}

/// Redis down, `open`: the service starts, and each instance's own limits still apply
/// (the burst of 3, then 429); the fall-back is counted in the metrics.
#[tokio::test]
async fn unreachable_store_open_falls_back_to_local_limits() {
    let app = spawn_app_with_clock(Clock::manual_at_now(), |c| {
        three_per_ip(c);
        unreachable_store(c, WhenUnreachable::Open);
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let res = app
            .post_comment_json(&comment(&format!("Comment number {i} on the budget.")))
            .await;
        statuses.push(res.status().as_u16());
    }
    assert!(
        statuses[..3].iter().all(|s| (200..300).contains(s)),
        "{statuses:?}"
    );
    assert_eq!(&statuses[3..], &[429, 429], "{statuses:?}");

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("commentguard_rate_limit_store_unreachable_total{policy=\"open\"}"),
        "{metrics}"
    );
}

/// Redis down, `closed`: a submission the local limits let through is refused with
/// 503 `RATE_LIMIT_UNAVAILABLE` and `Retry-After`; one the local limits already refuse
/// gets its 429 without asking Redis. Moderators are not affected: the failed-
/// authentication limit falls back to the instance's own.
#[tokio::test]
async fn unreachable_store_closed_refuses_with_503() {
    let app = spawn_app_with_clock(Clock::manual_at_now(), |c| {
        unreachable_store(c, WhenUnreachable::Closed);
        let limits = &mut c.sites.get_mut(SITE).unwrap().rate_limit;
        limits.ip_burst = 1;
        limits.ip_per_minute = 5;
    })
    .await;

    let res = app
        .post_comment_json(&comment("A comment while Redis is down."))
        .await;
    assert_eq!(res.status(), 503);
    assert!((1..=5).contains(&retry_after(&res)), "{:?}", res.headers());
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "RATE_LIMIT_UNAVAILABLE");
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rate limits"),
        "{json}"
    );
    assert_eq!(app.stored_comments(), 0, "nothing stored");

    let local = app
        .post_comment_json(&comment("A second one, over the local burst."))
        .await;
    assert_eq!(local.status(), 429, "the local limit answers first");
    assert_eq!(json_body(local).await["error"]["code"], "RATE_LIMITED");

    let token = add_moderator(&app, "ann", &[SITE], false).await;
    let review = |token: String| {
        app.client
            .get(app.url("/api/v1/review"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(review(token).await.unwrap().status(), 200);
    assert_eq!(review("cgm_guess".into()).await.unwrap().status(), 401);
}
