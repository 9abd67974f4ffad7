//! The review queue, one story per test: moderators find held comments with the reasons
//! they were held, decide them without clobbering each other, ban authors, and their
//! decisions become training data.
use commentguard::classifier::data::Example;
use serde_json::{json, Value};

use crate::helpers::{
    clearly_fine, comment, json_body, spawn_app, spawn_app_with, trust_local_proxy, SITE,
};
use crate::review_support::{
    add_moderator, commentguard, held_spam, outputs, premoderated, with_other_site, OTHER_SITE,
};

/// The item with `id` in a queue page.
fn find(page: &Value, id: i64) -> Value {
    page["items"]
        .as_array()
        .expect("an items array")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("comment {id} is not in the queue: {page}"))
        .clone()
}

/// A real spam comment is held; it is in the queue with its scores, top tokens and
/// reasons; moderator A approves it and it is listed on the article at once; moderator
/// B, deciding on the version they saw before, gets 409 with the current state; A's
/// retry of the same decision is a harmless 200; the audit log has one entry.
#[tokio::test]
async fn held_spam_is_queued_approved_listed_and_a_stale_decision_conflicts() {
    let app = spawn_app().await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let bob = add_moderator(&app, "bob", &[SITE], false).await;
    let text = held_spam(1).remove(0);

    let id = app.post_comment_expecting(&comment(&text), "pending").await;

    let page = json_body(app.review_queue(&ann, &[]).await).await;
    assert_eq!(page["total"], 1, "{page}");
    let item = find(&page, id);
    assert_eq!(item["status"], "pending");
    assert_eq!(item["version"], 1);
    assert_eq!(item["body"], text.trim());
    assert_eq!(item["article"]["id"], "2024/budget");
    let spam = &item["scores"]["spam"];
    assert!(spam["probability"].as_f64().unwrap() >= spam["hold"].as_f64().unwrap());
    assert!(
        !spam["top_tokens"].as_array().unwrap().is_empty(),
        "the explanation: {spam}"
    );
    assert!(
        item["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "spam" && r["outcome"] == "hold"),
        "{item}"
    );
    assert_eq!(item["report_count"], 0);
    assert_eq!(item["author"]["history"]["pending"], 1);
    let bob_saw = json_body(app.review_queue(&bob, &[]).await).await;
    assert_eq!(find(&bob_saw, id)["version"], 1);

    let approved = app
        .decide(&ann, id, &json!({"decision": "approve", "version": 1}))
        .await;
    assert_eq!(approved.status(), 200);
    let approved = json_body(approved).await;
    assert_eq!(approved["status"], "published");
    assert_eq!(approved["previous_status"], "pending");
    assert_eq!(approved["version"], 2);
    assert_eq!(approved["changed"], true);
    assert!(app.listed_ids("2024/budget").await.contains(&id));

    let stale = app
        .decide(
            &bob,
            id,
            &json!({"decision": "reject", "label": "spam", "version": 1}),
        )
        .await;
    assert_eq!(stale.status(), 409);
    let stale = json_body(stale).await;
    assert_eq!(stale["error"]["code"], "STALE_VERSION");
    assert_eq!(stale["error"]["field"], "version");
    assert_eq!(stale["current"]["status"], "published");
    assert_eq!(stale["current"]["version"], 2);
    assert_eq!(stale["current"]["last_decision"]["moderator"], "ann");
    assert!(app.listed_ids("2024/budget").await.contains(&id));

    let retry = app
        .decide(&ann, id, &json!({"decision": "approve", "version": 1}))
        .await;
    assert_eq!(retry.status(), 200, "repeating a decision is idempotent");
    let retry = json_body(retry).await;
    assert_eq!(
        (retry["changed"].clone(), retry["version"].clone()),
        (json!(false), json!(2))
    );

    let detail = json_body(app.review_item(&ann, id).await).await;
    let log = detail["decisions"].as_array().unwrap();
    assert_eq!(log.len(), 1, "one audit entry: {detail}");
    assert_eq!(log[0]["moderator"], "ann");
    assert_eq!(log[0]["action"], "approve");
    assert_eq!(
        (log[0]["from_status"].clone(), log[0]["to_status"].clone()),
        (json!("pending"), json!("published"))
    );
    assert_eq!(detail["labels"], json!({"spam": false, "abuse": false}));
    let page = json_body(app.review_queue(&ann, &[]).await).await;
    assert_eq!(page["total"], 0, "the pending queue is empty");
}

/// A published comment can be taken down, and a rejected one restored; each change is
/// an audit entry and a new version.
#[tokio::test]
async fn take_down_then_restore() {
    let app = spawn_app().await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let id = app
        .post_comment_expecting(&comment(&clearly_fine(1)[0]), "published")
        .await;

    let down = app
        .decide(
            &ann,
            id,
            &json!({"decision": "reject", "label": "abuse", "note": "insulting", "version": 1}),
        )
        .await;
    assert_eq!(json_body(down).await["status"], "rejected");
    assert!(!app.listed_ids("2024/budget").await.contains(&id));
    let restored = app
        .decide(&ann, id, &json!({"decision": "approve", "version": 2}))
        .await;
    assert_eq!(json_body(restored).await["version"], 3);
    assert!(app.listed_ids("2024/budget").await.contains(&id));

    let detail = json_body(app.review_item(&ann, id).await).await;
    let actions: Vec<(String, String, String)> = detail["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["action"].as_str().unwrap().into(),
                d["to_status"].as_str().unwrap().into(),
                d["note"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("reject".into(), "rejected".into(), "insulting".into()),
            ("approve".into(), "published".into(), String::new())
        ]
    );
}

/// Filters and orders: a held spam comment is found by `reason=spam`, not by
/// `reason=abuse`; `order=spam` puts it before pre-moderated ordinary comments; pages of
/// one follow each other by cursor and the total counts the whole filter.
#[tokio::test]
async fn queue_filters_orders_and_pages() {
    let app = spawn_app_with(premoderated).await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let mut ids = Vec::new();
    for text in clearly_fine(2) {
        ids.push(app.post_comment_expecting(&comment(&text), "pending").await);
    }
    let spam = app
        .post_comment_expecting(&comment(&held_spam(1)[0]), "pending")
        .await;

    let by_reason = |reason: &'static str| {
        let app = &app;
        let ann = ann.clone();
        async move {
            let page = json_body(app.review_queue(&ann, &[("reason", reason)]).await).await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(by_reason("spam").await, vec![spam]);
    assert!(by_reason("abuse").await.is_empty());
    assert_eq!(by_reason("premoderated").await.len(), 3);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("order", "spam".to_owned()), ("limit", "1".to_owned())];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = json_body(app.review_queue(&ann, &query).await).await;
        assert_eq!(page["total"], 3);
        seen.push(page["items"][0]["id"].as_i64().unwrap());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3, "every comment once: {seen:?}");
    assert_eq!(seen[0], spam, "the spammiest first");

    let bad = app.review_queue(&ann, &[("order", "loudest")]).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(json_body(bad).await["error"]["field"], "order");
}

/// Bulk decisions are applied or refused one by one: an unknown id, a stale version and
/// a reject without label are refused with their own errors, the others are applied.
#[tokio::test]
async fn bulk_decisions_with_one_bad_id() {
    let app = spawn_app_with(premoderated).await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let mut ids = Vec::new();
    for text in clearly_fine(4) {
        ids.push(app.post_comment_expecting(&comment(&text), "pending").await);
    }

    let res = app
        .decide_many(
            &ann,
            vec![
                json!({"id": ids[0], "decision": "approve", "version": 1}),
                json!({"id": 999_999, "decision": "approve", "version": 1}),
                json!({"id": ids[1], "decision": "reject", "label": "spam", "version": 1}),
                json!({"id": ids[2], "decision": "approve", "version": 7}),
                json!({"id": ids[3], "decision": "reject", "version": 1}),
            ],
        )
        .await;

    assert_eq!(res.status(), 200);
    let body = json_body(res).await;
    assert_eq!(
        (body["applied"].clone(), body["refused"].clone()),
        (json!(2), json!(3))
    );
    let results = body["results"].as_array().unwrap();
    let summary: Vec<(Value, Value, Value)> = results
        .iter()
        .map(|r| (r["id"].clone(), r["ok"].clone(), r["error"]["code"].clone()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (json!(ids[0]), json!(true), Value::Null),
            (json!(999_999), json!(false), json!("COMMENT_NOT_FOUND")),
            (json!(ids[1]), json!(true), Value::Null),
            (json!(ids[2]), json!(false), json!("STALE_VERSION")),
            (json!(ids[3]), json!(false), json!("REQUIRED")),
        ]
    );
    assert_eq!(results[3]["current"]["version"], 1);
    assert_eq!(results[4]["error"]["field"], "label");
    assert_eq!(
        app.status_and_version(&ann, ids[0]).await,
        ("published".into(), 2)
    );
    assert_eq!(
        app.status_and_version(&ann, ids[1]).await,
        ("rejected".into(), 2)
    );
    assert_eq!(
        app.status_and_version(&ann, ids[2]).await,
        ("pending".into(), 1)
    );
    assert_eq!(
        app.status_and_version(&ann, ids[3]).await,
        ("pending".into(), 1)
    );
}

/// Without a valid token nothing is visible (401); a moderator of another site is
/// refused this site (403), its comment ids are as unknown to them as missing ones (404),
/// and they see none of its comments; a revoked token is 401.
/// Moderators are managed with the real CLI here.
#[tokio::test]
async fn authentication_and_site_permissions() {
    let app = spawn_app_with(|c| {
        premoderated(c);
        with_other_site(c);
    })
    .await;
    let config = app.config_file();
    let config = config.to_str().unwrap();
    let out = commentguard(&[
        "moderator",
        "add",
        "sam",
        "--site",
        OTHER_SITE,
        "--config",
        config,
    ]);
    let (stdout, stderr) = outputs(&out);
    assert!(out.status.success(), "{stderr}");
    let sam = stdout.trim().to_owned();
    assert!(
        sam.starts_with("cgm_") && !sam.contains(char::is_whitespace),
        "{stdout:?}"
    );
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let id = app
        .post_comment_expecting(&comment(&clearly_fine(1)[0]), "pending")
        .await;

    let anonymous = app
        .client
        .get(app.url("/api/v1/review"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(json_body(anonymous).await["error"]["code"], "MISSING_TOKEN");
    let wrong = app.review_queue("cgm_not_a_real_token", &[]).await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(json_body(wrong).await["error"]["code"], "INVALID_TOKEN");
    let site_key = app.review_queue(crate::helpers::API_KEY, &[]).await;
    assert_eq!(
        site_key.status(),
        401,
        "a site's API key is not a moderator token"
    );

    let cases = [
        (
            app.review_queue(&sam, &[("site", SITE)]).await,
            "queue of the other site",
        ),
        (
            app.author_action(
                &sam,
                "ban",
                &json!({"site": SITE, "author_email": "reader@example.com"}),
            )
            .await,
            "banning on the other site",
        ),
        (app.reload_models(&sam).await, "the admin API"),
    ];
    for (res, what) in cases {
        assert_eq!(res.status(), 403, "{what}");
    }
    // A comment id of another site answers exactly like an id that does not exist.
    let missing = id + 1_000;
    for (other_site, nowhere, what) in [
        (
            app.review_item(&sam, id).await,
            app.review_item(&sam, missing).await,
            "one comment of the other site",
        ),
        (
            app.decide(&sam, id, &json!({"decision": "approve", "version": 1}))
                .await,
            app.decide(&sam, missing, &json!({"decision": "approve", "version": 1}))
                .await,
            "deciding a comment of the other site",
        ),
    ] {
        assert_eq!(other_site.status(), 404, "{what}");
        assert_eq!(nowhere.status(), 404, "{what}");
        assert_eq!(
            json_body(other_site).await,
            json_body(nowhere).await,
            "{what}"
        );
    }
    let own = json_body(app.review_queue(&sam, &[]).await).await;
    assert_eq!(own["total"], 0, "sam's queue holds only sport's comments");
    assert_eq!(
        app.status_and_version(&ann, id).await,
        ("pending".into(), 1)
    );

    let listed = commentguard(&["moderator", "list", "--config", config]);
    let (stdout, _) = outputs(&listed);
    assert!(stdout.contains("sam") && stdout.contains("ann"), "{stdout}");
    let revoked = commentguard(&["moderator", "revoke", "ann", "--config", config]);
    assert!(revoked.status.success(), "{:?}", outputs(&revoked));
    let after = app.review_queue(&ann, &[]).await;
    assert_eq!(after.status(), 401, "a revoked token is refused at once");
}

/// Failed authentications are limited per client IP: after the burst every request from
/// that IP is 429 with Retry-After — even with a valid token — while other IPs are served.
#[tokio::test]
async fn failed_authentications_are_rate_limited_per_ip() {
    let app = spawn_app_with(trust_local_proxy).await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let from = |ip: &'static str, token: String| {
        app.client
            .get(app.url("/api/v1/review"))
            .header("x-forwarded-for", ip)
            .bearer_auth(token)
            .send()
    };

    for i in 0..commentguard::http::moderator_auth::FAILURE_BURST {
        let res = from("198.51.100.7", format!("cgm_guess_{i}"))
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "guess {i}");
    }
    let limited = from("198.51.100.7", "cgm_one_more".into()).await.unwrap();
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(
        json_body(limited).await["error"]["code"],
        "AUTH_RATE_LIMITED"
    );
    let guess = from("198.51.100.7", "cgm_still_guessing".into())
        .await
        .unwrap();
    assert_eq!(guess.status(), 429, "guesses from the IP stay refused");
    let colleague = from("198.51.100.7", ann.clone()).await.unwrap();
    assert_eq!(
        colleague.status(),
        200,
        "a valid token from the same address (a shared NAT) is let through"
    );
    let missing = app
        .client
        .get(app.url("/api/v1/review"))
        .header("x-forwarded-for", "198.51.100.7")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 429);

    let other = from("198.51.100.8", ann.clone()).await.unwrap();
    assert_eq!(other.status(), 200, "another IP is not affected");
}

/// Banning an author rejects their earlier comments (held and published, one audit entry
/// each) and their next one; an IP ban works the same way; unban lets them comment again.
#[tokio::test]
async fn ban_rejects_earlier_comments_and_the_next_one() {
    let app = spawn_app().await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let texts = clearly_fine(4);
    let from_spammer = |text: &str| {
        let mut c = comment(text);
        c["author_email"] = json!("Spammer@Example.com");
        c
    };
    let published = app
        .post_comment_expecting(&from_spammer(&texts[0]), "published")
        .await;
    let held = app
        .post_comment_expecting(&from_spammer(&held_spam(1)[0]), "pending")
        .await;
    let bystander = app
        .post_comment_expecting(&comment(&texts[1]), "published")
        .await;

    let res = app
        .author_action(
            &ann,
            "ban",
            &json!({
                "site": SITE,
                "author_email": "spammer@example.com",
                "reject_existing": true,
                "until": "2999-01-01T00:00:00Z",
                "note": "link spam",
            }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let ban = json_body(res).await;
    assert_eq!(ban["rejected"], json!([published, held]));
    assert_eq!(ban["ban"]["until"], "2999-01-01T00:00:00Z");
    let listed = app.listed_ids("2024/budget").await;
    assert!(!listed.contains(&published) && listed.contains(&bystander));
    let detail = json_body(app.review_item(&ann, held).await).await;
    assert_eq!(detail["status"], "rejected");
    assert_eq!(detail["decisions"][0]["action"], "ban");
    assert_eq!(detail["decisions"][0]["note"], "link spam");

    let next = json_body(app.post_comment_as_backend(&from_spammer(&texts[2])).await).await;
    assert_eq!(next["status"], "rejected");
    assert_eq!(next["reasons"][0]["code"], "banned_email");

    let ip_ban = app
        .author_action(
            &ann,
            "ban",
            &json!({"site": SITE, "client_ip": "203.0.113.9"}),
        )
        .await;
    assert_eq!(ip_ban.status(), 200);
    let mut from_ip = comment(&texts[3]);
    from_ip["author_email"] = json!("someone.else@example.com");
    from_ip["client_ip"] = json!("203.0.113.9");
    let by_ip = json_body(app.post_comment_as_backend(&from_ip).await).await;
    assert_eq!(by_ip["reasons"][0]["code"], "banned_ip");

    let lifted = app
        .author_action(
            &ann,
            "unban",
            &json!({"site": SITE, "author_email": "spammer@example.com"}),
        )
        .await;
    assert_eq!(json_body(lifted).await["lifted"], 1);
    let mut again = from_spammer(&clearly_fine(5)[4]);
    again["article_id"] = json!("2024/other");
    app.post_comment_expecting(&again, "published").await;
}

/// Moderators' decisions export as canonical training CSV that the classifier's loader
/// reads back with the labels they gave: approve → spam 0 abuse 0, reject as spam →
/// spam 1, as abuse → abuse 1; reject as other teaches nothing and is left out.
#[tokio::test]
async fn export_decisions_round_trips_into_training_data() {
    let app = spawn_app_with(premoderated).await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let texts = clearly_fine(4);
    let mut ids = Vec::new();
    for text in &texts {
        ids.push(app.post_comment_expecting(&comment(text), "pending").await);
    }
    let decisions = [
        json!({"decision": "approve", "version": 1}),
        json!({"decision": "reject", "label": "spam", "version": 1}),
        json!({"decision": "reject", "label": "abuse", "version": 1}),
        json!({"decision": "reject", "label": "other", "version": 1}),
    ];
    for (id, d) in ids.iter().zip(&decisions) {
        assert_eq!(app.decide(&ann, *id, d).await.status(), 200);
    }

    let out = app.dir().join("decisions.csv");
    let config = app.config_file();
    let run = commentguard(&[
        "export-decisions",
        "--site",
        SITE,
        "--config",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{:?}", outputs(&run));

    let corpus = commentguard::classifier::data::load(&out).expect("the export loads");
    let row = |i: usize, spam, abuse| Example {
        text: texts[i].trim().to_owned(),
        spam,
        abuse,
        source: format!("decisions:{SITE}"),
        group: "2024/budget".to_owned(),
    };
    assert_eq!(
        corpus.examples,
        vec![
            row(0, Some(false), Some(false)),
            row(1, Some(true), None),
            row(2, None, Some(true)),
        ]
    );

    // `train --with-decisions` reads the same decisions straight from the database and
    // records them in the new models' metadata.
    let data = app.dir().join("training-slice");
    std::fs::create_dir_all(&data).unwrap();
    for (name, step) in [
        ("tubespam.csv", 4),
        ("davidson.csv", 40),
        ("wikipedia.csv", 40),
    ] {
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("training-data")
            .join(name);
        let mut reader = csv::Reader::from_path(source).unwrap();
        let mut writer = csv::Writer::from_path(data.join(name)).unwrap();
        writer.write_record(reader.headers().unwrap()).unwrap();
        for record in reader.records().step_by(step) {
            writer.write_record(&record.unwrap()).unwrap();
        }
        writer.flush().unwrap();
    }
    let models = app.dir().join("candidate");
    let run = commentguard(&[
        "train",
        "--data",
        data.to_str().unwrap(),
        "--with-decisions",
        "--config",
        config.to_str().unwrap(),
        "--site",
        SITE,
        "--no-cross-validation",
        "--out",
        models.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{:?}", outputs(&run));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("3 labelled decisions"),
        "{:?}",
        outputs(&run)
    );
    let model: serde_json::Value =
        serde_json::from_slice(&std::fs::read(models.join("spam.json")).unwrap()).unwrap();
    let files = model["training"]["files"].as_array().unwrap();
    assert!(
        files.iter().any(|f| f["name"]
            .as_str()
            .unwrap()
            .ends_with("(moderators' decisions)")
            && f["rows"] == 3),
        "{files:?}"
    );
}

/// A page size that is not a number is a malformed query (400 `INVALID_QUERY`), one out of
/// range is 422 `OUT_OF_RANGE`, both naming `limit`: in the review queue as in an
/// article's listing.
#[tokio::test]
async fn page_sizes_are_refused_alike_in_the_queue_and_the_listing() {
    let app = spawn_app().await;
    let ann = add_moderator(&app, "ann", &[SITE], false).await;
    let cases = [
        ("ten", 400, "INVALID_QUERY"),
        ("-1", 400, "INVALID_QUERY"),
        ("0", 422, "OUT_OF_RANGE"),
        ("201", 422, "OUT_OF_RANGE"),
    ];
    for (limit, status, code) in cases {
        let queue = app.review_queue(&ann, &[("limit", limit)]).await;
        let listing = app.list_comments("a", &[("limit", limit)]).await;
        for (what, res) in [("queue", queue), ("listing", listing)] {
            assert_eq!(res.status(), status, "{what} limit={limit}");
            let json = json_body(res).await;
            assert_eq!(json["error"]["code"], code, "{what} limit={limit}");
            assert_eq!(json["error"]["field"], "limit", "{what} limit={limit}");
        }
    }
}
