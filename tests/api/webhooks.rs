//! Webhooks: every change of a comment's status reaches the site's receiver once, signed,
//! even when the receiver is down for a while, and never at the commenter's expense.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use commentguard::classifier::Task;
use serde_json::json;

use crate::helpers::{
    clearly_bad, clearly_fine, comment, eventually, reserve_port, spawn_app, spawn_app_with,
    trust_local_proxy, with_webhook, Received, TestApp, WebhookReceiver, SITE, WEBHOOK_SECRET,
};
use crate::review_support::{add_moderator, premoderated};

/// Accepted events by `Webhook-Id`, asserting that none was accepted twice.
fn by_id(accepted: &[Received]) -> HashMap<String, Received> {
    let mut seen = HashMap::new();
    for r in accepted {
        let id = r.header("webhook-id").to_owned();
        assert!(
            seen.insert(id.clone(), r.clone()).is_none(),
            "{id} was accepted twice"
        );
    }
    seen
}

/// Outbox rows of the app: (attempts, delivered) per event, oldest first. Read from the
/// backend's table: attempt counts are not shown by the API or the storage interface.
fn outbox_rows(app: &TestApp) -> Vec<(i64, bool)> {
    app.query_i64(
        "SELECT CAST(attempts AS BIGINT), CASE WHEN delivered_at IS NULL THEN 0 ELSE 1 END
         FROM webhook_outbox ORDER BY id",
    )
    .into_iter()
    .map(|r| (r[0], r[1] == 1))
    .collect()
}

/// Held, published and rejected comments each send their event once, signed with the
/// site's secret, carrying the comment's id, article and status — and no e-mail, IP,
/// name or text.
#[tokio::test]
async fn intake_events_arrive_once_with_a_valid_signature() {
    let receiver = WebhookReceiver::start().await;
    let app = spawn_app_with(|c| {
        with_webhook(c, &receiver.url);
        // Spam is held at the model's review threshold, rejected only when certain.
        c.sites.get_mut(SITE).unwrap().thresholds.spam_reject = Some(1.0);
    })
    .await;
    let published = app
        .post_comment_expecting(&comment(&clearly_fine(1)[0]), "published")
        .await;
    let spam = clearly_bad("tubespam.csv", Task::Spam, 1).remove(0);
    let held = app.post_comment_expecting(&comment(&spam), "pending").await;
    let mut honeypot = comment("A perfectly ordinary remark about the budget.");
    honeypot["website"] = "http://cheap-pills.example".into();
    let rejected = app.post_comment_expecting(&honeypot, "rejected").await;

    let accepted = receiver.wait_for_accepted(3).await;

    let events: HashMap<i64, (String, String)> = accepted
        .iter()
        .map(|r| {
            let body = r.json();
            let c = &body["comment"];
            (
                c["id"].as_i64().unwrap(),
                (
                    body["event"].as_str().unwrap().to_owned(),
                    c["status"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect();
    let expected = [
        (published, "comment.published", "published"),
        (held, "comment.held", "pending"),
        (rejected, "comment.rejected", "rejected"),
    ];
    for (id, event, status) in expected {
        assert_eq!(
            events.get(&id),
            Some(&(event.to_owned(), status.to_owned())),
            "comment {id}"
        );
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for r in by_id(&accepted).values() {
        assert!(r.signature_is_valid(WEBHOOK_SECRET), "{r:?}");
        assert!(!r.signature_is_valid("another secret"));
        let body = r.json();
        assert_eq!(r.header("content-type"), "application/json");
        assert_eq!(
            r.header("webhook-id"),
            body["id"],
            "one id, header and body"
        );
        assert_eq!(r.header("webhook-event"), body["event"]);
        assert_eq!(r.header("webhook-attempt"), "1");
        let signed_at: i64 = r.header("webhook-timestamp").parse().unwrap();
        assert!((now - signed_at).abs() < 60, "fresh timestamp: {signed_at}");
        assert_eq!(body["site"], SITE);
        assert_eq!(body["comment"]["article_id"], "2024/budget");
        assert_eq!(body["comment"]["version"], 1);
        let text = String::from_utf8_lossy(&r.body);
        for private in [
            "reader@example.com",
            "127.0.0.1",
            "A Reader",
            "perfectly ordinary",
        ] {
            assert!(!text.contains(private), "{private} in {text}");
        }
    }
    app.webhooks_settled(Duration::from_secs(5)).await;
    assert_eq!(receiver.received().len(), 3, "nothing more, nothing twice");
}

/// Events of a receiver that is down wait in the database and all arrive, once each,
/// when it comes back up.
#[tokio::test]
async fn a_receiver_that_is_down_loses_nothing() {
    let port = reserve_port();
    let receiver = WebhookReceiver::start_on(&port).await;
    let app = spawn_app_with(|c| with_webhook(c, &receiver.url)).await;
    let texts = clearly_fine(4);
    app.post_comment_expecting(&comment(&texts[0]), "published")
        .await;
    receiver.wait_for_accepted(1).await;

    receiver.stop().await;
    let mut ids = Vec::new();
    for text in &texts[1..] {
        ids.push(
            app.post_comment_expecting(&comment(text), "published")
                .await,
        );
    }
    // Every new event has been tried and refused at least twice.
    eventually(
        "retries while the receiver is down",
        Duration::from_secs(5),
        || {
            let rows = outbox_rows(&app);
            (rows.len() == 4
                && rows[1..]
                    .iter()
                    .all(|&(attempts, done)| attempts >= 2 && !done))
            .then_some(())
        },
    )
    .await;
    let receiver = WebhookReceiver::start_on(&port).await;
    let accepted = receiver.wait_for_accepted(3).await;

    let mut delivered: Vec<i64> = by_id(&accepted)
        .values()
        .map(|r| r.json()["comment"]["id"].as_i64().unwrap())
        .collect();
    delivered.sort_unstable();
    assert_eq!(delivered, ids, "the three posted while it was down");
    assert!(accepted
        .iter()
        .all(|r| r.signature_is_valid(WEBHOOK_SECRET)));
    eventually("all marked delivered", Duration::from_secs(5), || {
        outbox_rows(&app)
            .iter()
            .all(|&(_, done)| done)
            .then_some(())
    })
    .await;
    app.webhooks_settled(Duration::from_secs(5)).await;
    assert_eq!(receiver.received().len(), 3, "no event sent again");
}

/// A receiver answering 500 gets the same event again (same `Webhook-Id`, the attempt
/// counted up, freshly signed) until it answers 2xx; then never again.
#[tokio::test]
async fn failed_attempts_are_retried_with_the_same_id() {
    let receiver = WebhookReceiver::start().await;
    receiver.fail_next(3);
    let app = spawn_app_with(|c| with_webhook(c, &receiver.url)).await;
    app.post_comment_expecting(&comment(&clearly_fine(1)[0]), "published")
        .await;

    let accepted = receiver.wait_for_accepted(1).await;

    let all = receiver.received();
    assert_eq!(all.len(), 4, "3 refused, 1 accepted: {all:?}");
    let id = accepted[0].header("webhook-id");
    assert!(all.iter().all(|r| r.header("webhook-id") == id));
    let attempts: Vec<&str> = all.iter().map(|r| r.header("webhook-attempt")).collect();
    assert_eq!(attempts, ["1", "2", "3", "4"]);
    assert!(all.iter().all(|r| r.body == all[0].body), "same bytes");
    assert!(all.iter().all(|r| r.signature_is_valid(WEBHOOK_SECRET)));
    app.webhooks_settled(Duration::from_secs(5)).await;
    assert_eq!(receiver.received().len(), 4);
}

/// A receiver that takes seconds to answer does not slow down the commenter: the
/// comment is answered at once, the event arrives later.
#[tokio::test]
async fn a_slow_receiver_does_not_slow_the_commenter() {
    let receiver = WebhookReceiver::start().await;
    receiver.answer_after(Duration::from_secs(2));
    let app = spawn_app_with(|c| with_webhook(c, &receiver.url)).await;
    let texts = clearly_fine(3);

    for text in &texts {
        let started = Instant::now();
        app.post_comment_expecting(&comment(text), "published")
            .await;
        assert!(
            started.elapsed() < Duration::from_millis(1_000),
            "answered in {:?}",
            started.elapsed()
        );
    }

    let accepted = receiver.wait_for_accepted(3).await;
    assert_eq!(by_id(&accepted).len(), 3);
}

/// Events not yet delivered when the service stops are delivered after it restarts.
#[tokio::test]
async fn undelivered_events_survive_a_restart() {
    let port = reserve_port();
    let app =
        spawn_app_with(|c| with_webhook(c, &format!("http://127.0.0.1:{}/hooks", port.port))).await;
    let id = app
        .post_comment_expecting(&comment(&clearly_fine(1)[0]), "published")
        .await;
    eventually("a refused attempt", Duration::from_secs(5), || {
        outbox_rows(&app).first().filter(|r| r.0 >= 1).map(|_| ())
    })
    .await;

    let app = app.restart().await;
    let receiver = WebhookReceiver::start_on(&port).await;

    let accepted = receiver.wait_for_accepted(1).await;
    assert_eq!(accepted[0].json()["comment"]["id"], id);
    drop(app);
}

/// Reports that take a comment down send `comment.reported` with the new status and
/// version.
#[tokio::test]
async fn a_reported_comment_sends_comment_reported() {
    let receiver = WebhookReceiver::start().await;
    let app = spawn_app_with(|c| {
        with_webhook(c, &receiver.url);
        trust_local_proxy(c);
        c.sites.get_mut(SITE).unwrap().reports_to_review = 2;
    })
    .await;
    let id = app
        .post_comment_expecting(&comment(&clearly_fine(1)[0]), "published")
        .await;
    for ip in ["198.51.100.1", "198.51.100.2"] {
        assert_eq!(app.report(id, "insulting", ip).await.status(), 202);
    }

    let accepted = receiver.wait_for_accepted(2).await;

    let reported = accepted
        .iter()
        .map(Received::json)
        .find(|e| e["event"] == "comment.reported")
        .expect("a comment.reported event");
    assert_eq!(reported["comment"]["id"], id);
    assert_eq!(reported["comment"]["status"], "reported");
    assert_eq!(reported["comment"]["version"], 2);
    assert_eq!(
        reported["comment"]["reasons"]
            .as_array()
            .unwrap()
            .last()
            .unwrap(),
        "reported"
    );
}

/// Moderators' decisions send events too: approving a held comment sends
/// `comment.published`, rejecting one `comment.rejected`, each once and signed, with the
/// version the decision made; repeating a decision changes nothing and sends nothing.
#[tokio::test]
async fn moderators_decisions_send_their_events_once() {
    let receiver = WebhookReceiver::start().await;
    let app = spawn_app_with(|c| {
        with_webhook(c, &receiver.url);
        premoderated(c);
    })
    .await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let texts = clearly_fine(2);
    let approved = app
        .post_comment_expecting(&comment(&texts[0]), "pending")
        .await;
    let rejected = app
        .post_comment_expecting(&comment(&texts[1]), "pending")
        .await;
    receiver.wait_for_accepted(2).await;

    let approve = json!({"decision": "approve", "version": 1});
    assert_eq!(app.decide(&ann, approved, &approve).await.status(), 200);
    let reject = json!({"decision": "reject", "label": "spam", "version": 1});
    assert_eq!(app.decide(&ann, rejected, &reject).await.status(), 200);
    // The same decisions again: idempotent, no new event.
    assert_eq!(app.decide(&ann, approved, &approve).await.status(), 200);
    assert_eq!(app.decide(&ann, rejected, &reject).await.status(), 200);

    let accepted = receiver.wait_for_accepted(4).await;
    let mut events: Vec<(String, i64, String, i64)> = by_id(&accepted)
        .values()
        .map(Received::json)
        .filter(|e| e["event"] != "comment.held")
        .map(|e| {
            let c = &e["comment"];
            (
                e["event"].as_str().unwrap().to_owned(),
                c["id"].as_i64().unwrap(),
                c["status"].as_str().unwrap().to_owned(),
                c["version"].as_i64().unwrap(),
            )
        })
        .collect();
    events.sort();
    assert_eq!(
        events,
        [
            (
                "comment.published".to_owned(),
                approved,
                "published".to_owned(),
                2
            ),
            (
                "comment.rejected".to_owned(),
                rejected,
                "rejected".to_owned(),
                2
            ),
        ]
    );
    assert!(accepted
        .iter()
        .all(|r| r.signature_is_valid(WEBHOOK_SECRET)));
    app.webhooks_settled(Duration::from_secs(5)).await;
    assert_eq!(receiver.received().len(), 4, "nothing more, nothing twice");
}

/// A site without a webhook stores no events at all.
#[tokio::test]
async fn sites_without_a_webhook_enqueue_nothing() {
    let app = spawn_app().await;
    app.post_comment_expecting(&comment(&clearly_fine(1)[0]), "published")
        .await;
    assert!(outbox_rows(&app).is_empty());
}
