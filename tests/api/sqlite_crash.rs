//! Crash safety: the real binary is killed with SIGKILL at a random moment while it takes
//! submissions and moderators' decisions, several times over, and restarted on the same
//! database. Every 2xx-acknowledged comment and decision must be there exactly once, and
//! each comment's status, version, audit log and webhook outbox must tell the same story.
//!
//! The seed of the random kill moments is printed; `CG_CRASH_SEED=N` replays it.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::OptionalExtension;
use serde_json::{json, Value};

use crate::helpers::{test_config, SITE};
use crate::process::Process;

/// Kills per run, at least; more rounds run until [`TARGET_OPERATIONS`] were acknowledged
/// (a slow machine gets more kills, not a weaker test), at most [`MAX_ROUNDS`].
const ROUNDS: usize = 5;
const TARGET_OPERATIONS: usize = 2_000;
const MAX_ROUNDS: usize = 25;
/// Concurrent clients submitting comments, and concurrent moderators deciding.
const SUBMITTERS: usize = 6;
const DECIDERS: usize = 3;

/// What clients were told, shared by the tasks of one round.
#[derive(Default)]
struct Acknowledged {
    /// Comment id → its unique body.
    comments: HashMap<i64, String>,
    /// Decision note (unique) → (comment id, status it moved to).
    decisions: HashMap<String, (i64, String)>,
}

/// The state of a comment as the database says after a restart.
#[derive(Clone, Debug)]
struct Known {
    status: String,
    version: i64,
}

fn comment_json(body: &str, round: usize, task: usize, i: usize) -> Value {
    json!({
        "site": SITE,
        "article_id": format!("crash/{round}"),
        "author_name": "Crash Reader",
        "author_email": format!("r{round}t{task}n{i}@example.com"),
        "body": body,
    })
}

/// Submits comments one after another until the server stops answering.
async fn submitter(
    client: reqwest::Client,
    url: String,
    round: usize,
    task: usize,
    acked: Arc<Mutex<Acknowledged>>,
) {
    for i in 0.. {
        let body = format!(
            "Crash round {round}, client {task}, comment {i}: the council should publish the budget."
        );
        let Ok(res) = client
            .post(&url)
            .json(&comment_json(&body, round, task, i))
            .send()
            .await
        else {
            return;
        };
        let status = res.status().as_u16();
        let Ok(json) = res.json::<Value>().await else {
            return;
        };
        assert_ne!(status, 500, "{json}");
        if (200..300).contains(&status) {
            let id = json["id"].as_i64().expect("an id");
            acked.lock().unwrap().comments.insert(id, body);
        }
    }
}

/// Decides the comments in `mine` (approve ↔ reject, with the version it knows) until the
/// server stops answering.
#[allow(clippy::too_many_arguments)]
async fn decider(
    client: reqwest::Client,
    address: String,
    token: String,
    round: usize,
    task: usize,
    mut mine: Vec<(i64, Known)>,
    acked: Arc<Mutex<Acknowledged>>,
) {
    if mine.is_empty() {
        return;
    }
    let mut i = 0usize;
    loop {
        let slot = i % mine.len();
        let (id, known) = &mut mine[slot];
        let (decision, to) = if known.status == "published" {
            (json!({"decision": "reject", "label": "spam"}), "rejected")
        } else {
            (json!({"decision": "approve"}), "published")
        };
        let note = format!("crash r{round} m{task} d{i}");
        let mut body = decision;
        body["version"] = known.version.into();
        body["note"] = note.clone().into();
        i += 1;
        let Ok(res) = client
            .post(format!("{address}/api/v1/review/{id}/decision"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
        else {
            return;
        };
        let status = res.status().as_u16();
        let Ok(json) = res.json::<Value>().await else {
            return;
        };
        assert_ne!(status, 500, "{json}");
        match status {
            200 => {
                assert_eq!(json["changed"], true, "{json}");
                assert_eq!(json["status"], to, "{json}");
                known.status = to.to_owned();
                known.version = json["version"].as_i64().expect("a version");
                acked
                    .lock()
                    .unwrap()
                    .decisions
                    .insert(note, (*id, to.to_owned()));
            }
            409 => {
                // Only after a crash took an unacknowledged decision of ours: catch up.
                let current = &json["current"];
                known.status = current["status"].as_str().unwrap().to_owned();
                known.version = current["version"].as_i64().unwrap();
            }
            503 => tokio::time::sleep(Duration::from_millis(10)).await,
            other => panic!("decision answered {other}: {json}"),
        }
    }
}

/// Every comment's state, from the database file.
fn states(conn: &rusqlite::Connection) -> HashMap<i64, Known> {
    let mut st = conn
        .prepare("SELECT id, status, version FROM comments")
        .unwrap();
    st.query_map([], |r| {
        Ok((
            r.get(0)?,
            Known {
                status: r.get(1)?,
                version: r.get(2)?,
            },
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The database after a crash: intact, everything acknowledged there exactly once, and
/// status, version, audit log and outbox in agreement for every comment.
fn check(db: &std::path::Path, acked: &Acknowledged) -> HashMap<i64, Known> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let fk: Option<i64> = conn
        .query_row("PRAGMA foreign_key_check", [], |r| r.get(1))
        .optional()
        .unwrap();
    assert_eq!(fk, None, "no dangling reference");

    for (id, body) in &acked.comments {
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM comments WHERE body = ?1")
            .unwrap()
            .query_map([body], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            &ids,
            &[*id],
            "acknowledged comment {id}: stored exactly once"
        );
    }
    for (note, (id, to)) in &acked.decisions {
        let rows: Vec<(i64, String)> = conn
            .prepare("SELECT comment_id, to_status FROM decisions WHERE note = ?1")
            .unwrap()
            .query_map([note], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            vec![(*id, to.clone())],
            "acknowledged decision {note:?}: recorded exactly once"
        );
    }

    let all = states(&conn);
    for (id, known) in &all {
        let audit: Vec<(String, String)> = conn
            .prepare(
                "SELECT from_status, to_status FROM decisions WHERE comment_id = ?1 ORDER BY id",
            )
            .unwrap()
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            known.version,
            1 + audit.len() as i64,
            "comment {id}: one version per audit entry"
        );
        let mut status = "pending".to_owned();
        for (from, to) in &audit {
            assert_eq!(from, &status, "comment {id}: audit log is a chain");
            status = to.clone();
        }
        assert_eq!(
            status, known.status,
            "comment {id}: audit log ends at its status"
        );

        let events: Vec<(String, String, i64)> = conn
            .prepare(
                "SELECT event, json_extract(payload, '$.comment.status'),
                        json_extract(payload, '$.comment.version')
                 FROM webhook_outbox WHERE comment_id = ?1 ORDER BY id",
            )
            .unwrap()
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut expected = vec![("comment.held".to_owned(), "pending".to_owned(), 1)];
        for (version, (from, to)) in audit.iter().enumerate() {
            if from != to {
                let event = match to.as_str() {
                    "published" => "comment.published",
                    "rejected" => "comment.rejected",
                    other => panic!("unexpected status {other}"),
                };
                expected.push((event.to_owned(), to.clone(), version as i64 + 2));
            }
        }
        assert_eq!(
            events, expected,
            "comment {id}: one event per change of status"
        );
    }
    all
}

/// Thousands of submissions and decisions, SIGKILL at a random moment, five times or more:
/// nothing acknowledged is lost or doubled, and nothing disagrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_acknowledged() {
    let seed = std::env::var("CG_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test seed: CG_CRASH_SEED={seed}");
    let mut rng = crate::helpers::Rng(seed);
    // Held for the whole test, never listened on: the webhook receiver is down.
    let dead_receiver = crate::helpers::reserve_port();

    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    {
        let site = config.sites.get_mut(SITE).unwrap();
        site.premoderate = true;
        site.duplicate_window_hours = 1;
        site.trusted_author_after = 0;
        let r = &mut site.rate_limit;
        r.ip_per_minute = 0;
        r.email_per_minute = 0;
        r.global_per_minute = 0;
        // Events pile up in the outbox: the receiver is down.
        site.webhook = Some(commentguard::config::WebhookConfig {
            url: format!("http://127.0.0.1:{}/hooks", dead_receiver.port),
            secret: crate::helpers::WEBHOOK_SECRET.to_owned(),
        });
    }
    config.workers = Some(2);
    let token = commentguard::commands::moderator::add(&config, "crash", &[SITE.into()], false)
        .await
        .expect("moderator added")
        .token;

    commentguard::webhooks::install_tls_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let mut known: HashMap<i64, Known> = HashMap::new();
    let (mut comments, mut decisions) = (0usize, 0usize);
    let started = Instant::now();
    let mut rounds = 0;
    for round in 0..MAX_ROUNDS {
        if round >= ROUNDS && comments + decisions >= TARGET_OPERATIONS {
            break;
        }
        rounds += 1;
        let server = Process::start(&mut config, dir.path(), &format!("serve-{round}.log")).await;
        let acked = Arc::new(Mutex::new(Acknowledged::default()));
        let mut tasks = Vec::new();
        for task in 0..SUBMITTERS {
            tasks.push(tokio::spawn(submitter(
                client.clone(),
                server.url("/api/v1/comments"),
                round,
                task,
                Arc::clone(&acked),
            )));
        }
        let mut ids: Vec<(i64, Known)> = known.iter().map(|(k, v)| (*k, v.clone())).collect();
        ids.sort_by_key(|(id, _)| *id);
        for task in 0..DECIDERS {
            let mine = ids
                .iter()
                .filter(|(id, _)| *id as usize % DECIDERS == task)
                .cloned()
                .collect();
            tasks.push(tokio::spawn(decider(
                client.clone(),
                server.address.clone(),
                token.clone(),
                round,
                task,
                mine,
                Arc::clone(&acked),
            )));
        }
        let wait = Duration::from_millis(rng.between(400, 1_500));
        tokio::time::sleep(wait).await;
        server.kill();
        for task in tasks {
            task.await.expect("a client task panicked");
        }
        let acked = Arc::try_unwrap(acked).ok().unwrap().into_inner().unwrap();
        assert!(
            !acked.comments.is_empty(),
            "round {round}: something was acknowledged before the kill"
        );
        if round > 0 {
            assert!(!acked.decisions.is_empty(), "round {round}: decisions too");
        }
        comments += acked.comments.len();
        decisions += acked.decisions.len();
        known = check(&config.database, &acked);
        eprintln!(
            "round {round}: killed after {wait:?}; {} comments and {} decisions acknowledged",
            acked.comments.len(),
            acked.decisions.len()
        );
    }
    // A last start: the service comes back on the crashed file and serves.
    let server = Process::start(&mut config, dir.path(), "serve-last.log").await;
    let res = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    server.stop();
    eprintln!(
        "{comments} comments and {decisions} decisions acknowledged over {rounds} kills in {:?}",
        started.elapsed()
    );
    assert!(
        comments + decisions >= TARGET_OPERATIONS,
        "{} operations in {MAX_ROUNDS} rounds",
        comments + decisions
    );
}
