//! A fleet: three instances on loopback ports sharing one PostgreSQL schema and one Redis
//! key prefix behave as one service (issue 14). A flood spread over the three is limited
//! as one; a decision taken on one is what the others show, and a stale or repeated one
//! is refused or harmless wherever it lands; an instance killed with `kill -9` under load
//! loses nothing it acknowledged, while the others keep answering and its restart serves
//! the same data.
//!
//! Runs when both `COMMENTGUARD_TEST_POSTGRES_URL` and `COMMENTGUARD_TEST_REDIS_URL` are
//! set (`.ci/run` sets both) and fails if either server does not answer; with one or none
//! set it skips, saying so. Each test has a schema and a Redis prefix of its own, and each
//! instance a pool of [`POOL`] connections: the suite runs tests in parallel against one
//! server's `max_connections`.
//!
//! The first two tests run the instances in process ([`spawn_fleet`]); the kill test runs
//! real `commentguard serve` processes. The random moment of the kill and the instance
//! killed come from a printed seed; `CG_FLEET_SEED=N` replays them.
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use commentguard::clock::Clock;
use commentguard::config::Config;
use commentguard::ratelimit::shared::StoreUrl;
use commentguard::ratelimit::WhenUnreachable;
use serde_json::{json, Value};

use crate::helpers::{
    clearly_fine, comment, eventually, json_body, pg_connect, postgres_url, spawn_fleet,
    test_config, with_webhook, PgSchema, TestApp, WebhookReceiver, API_KEY, POSTGRES_URL_VAR, SITE,
};
use crate::process::Process;
use crate::review_support::{add_moderator, premoderated};

/// The variable naming the Redis the fleet shares.
const REDIS_URL_VAR: &str = "COMMENTGUARD_TEST_REDIS_URL";
/// Instances in the fleet.
const INSTANCES: usize = 3;
/// PostgreSQL connections per instance (`storage.read_connections`, the pool's size).
const POOL: usize = 4;

/// The servers a fleet shares.
struct Shared {
    postgres: String,
    redis: String,
}

/// The PostgreSQL and Redis of the test run: `None` (said on stderr) unless both variables
/// are set; panics when a server named does not answer.
async fn shared_servers(test: &str) -> Option<Shared> {
    let redis = std::env::var(REDIS_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty());
    let (postgres, redis) = match (postgres_url(), redis) {
        (Some(postgres), Some(redis)) => (postgres, redis),
        (postgres, redis) => {
            let unset: Vec<&str> = [
                (postgres.is_none(), POSTGRES_URL_VAR),
                (redis.is_none(), REDIS_URL_VAR),
            ]
            .into_iter()
            .filter_map(|(missing, var)| missing.then_some(var))
            .collect();
            eprintln!(
                "skipped {test}: a fleet needs PostgreSQL and Redis ({} unset)",
                unset.join(" and ")
            );
            return None;
        }
    };
    let client = pg_connect(&postgres)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={postgres} is unreachable: {e}"));
    client
        .simple_query("SELECT 1")
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={postgres} does not answer: {e}"));
    let redis_client = redis::Client::open(redis.as_str())
        .unwrap_or_else(|e| panic!("{REDIS_URL_VAR}={redis} is not a Redis URL: {e}"));
    let mut conn = redis_client
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("{REDIS_URL_VAR}={redis} is unreachable: {e}"));
    let pong: String = redis::cmd("PING")
        .query_async(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{REDIS_URL_VAR}={redis} does not answer: {e}"));
    assert_eq!(pong, "PONG");
    Some(Shared { postgres, redis })
}

/// Makes `config` one member of the fleet of `test`: the rate limits in the shared Redis
/// under a prefix of this run's own — refusing, not falling back to the instance's own
/// limits, should Redis fail, and waiting for it long enough that a busy test machine is
/// not taken for a failed Redis — and a small pool. The form-token secret is left unset:
/// every instance reads the one kept in the shared database, which also keys the e-mail
/// limit.
fn member_of(config: &mut Config, redis: &str, prefix: &str) {
    config.rate_limit_store = Some(StoreUrl::parse(redis).expect("a Redis URL"));
    config.rate_limit_store_prefix = prefix.to_owned();
    config.rate_limit_unreachable = WhenUnreachable::Closed;
    config.rate_limit_store_timeout_ms = 5_000;
    config.storage.read_connections = POOL;
}

/// A Redis key prefix no other test or run uses.
fn unique_prefix(test: &str) -> String {
    format!(
        "cgtest:fleet:{test}:{}:{:016x}:",
        std::process::id(),
        rand::random::<u64>()
    )
}

/// Three in-process instances on one fresh schema and one Redis prefix.
async fn fleet(
    shared: &Shared,
    test: &str,
    clock: &Clock,
    tweak: impl FnOnce(&mut Config),
) -> Vec<TestApp> {
    let prefix = unique_prefix(test);
    spawn_fleet(&shared.postgres, INSTANCES, clock.clone(), |c| {
        member_of(c, &shared.redis, &prefix);
        tweak(c);
    })
    .await
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .expect("Retry-After is text")
        .parse()
        .expect("Retry-After is whole seconds")
}

/// Comments from one IP spread round-robin over the fleet are limited as one instance
/// would limit them: a burst of 3 in all, not 3 per instance, and one database holding
/// exactly those 3. Once the (shared) clock has moved one interval, nine requests at once
/// over the three instances get exactly one cell between them.
#[tokio::test]
async fn a_flood_spread_over_the_fleet_is_limited_as_one() {
    let Some(shared) = shared_servers("a_flood_spread_over_the_fleet_is_limited_as_one").await
    else {
        return;
    };
    let clock = Clock::manual_at_now();
    let apps = fleet(&shared, "flood", &clock, |c| {
        let limits = &mut c.sites.get_mut(SITE).expect("the test site").rate_limit;
        // 3 at once, then one every 12 s.
        limits.ip_burst = 3;
        limits.ip_per_minute = 5;
    })
    .await;

    let mut statuses = Vec::new();
    for i in 0..12 {
        let res = apps[i % INSTANCES]
            .post_comment_json(&comment(&format!("Comment number {i} on the budget.")))
            .await;
        let status = res.status().as_u16();
        if status == 429 {
            assert_eq!(
                retry_after(&res),
                12,
                "request {i}: the next cell is 12 s away"
            );
            assert_eq!(json_body(res).await["error"]["code"], "RATE_LIMITED");
        }
        statuses.push(status);
    }
    assert!(
        statuses[..3].iter().all(|s| (200..300).contains(s)),
        "the burst, one request per instance: {statuses:?}"
    );
    assert!(
        statuses[3..].iter().all(|s| *s == 429),
        "nothing past the burst of 3, on any instance: {statuses:?}"
    );
    assert_eq!(apps[0].stored_comments(), 3, "one database, 3 comments");

    clock.advance(Duration::from_secs(12));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..9 {
        let app = &apps[i % INSTANCES];
        let request = app
            .client
            .post(app.url("/api/v1/comments"))
            .json(&comment(&format!("Comment number {i} after the wait.")));
        tasks.spawn(async move { request.send().await.expect("request sent").status() });
    }
    let mut at_once = Vec::new();
    while let Some(status) = tasks.join_next().await {
        at_once.push(status.expect("a request task").as_u16());
    }
    at_once.sort_unstable();
    assert_eq!(
        (
            at_once.iter().filter(|s| (200..300).contains(*s)).count(),
            at_once.iter().filter(|s| **s == 429).count()
        ),
        (1, 8),
        "one refilled cell for the whole fleet: {at_once:?}"
    );
    assert_eq!(apps[1].stored_comments(), 4);
}

/// A decision taken on one instance is what every instance shows: the queue no longer
/// lists the comment, its status and version are the new ones, the article's listing
/// shows it. A stale decision on another instance gets 409 with the current state; a
/// repeat on a third is a harmless 200; the same decision sent to all three at once is
/// applied once. Each comment has one audit entry, and the site's webhook gets one
/// event per change — though all three instances drain the outbox.
#[tokio::test]
async fn a_decision_taken_on_one_instance_holds_on_all() {
    let Some(shared) = shared_servers("a_decision_taken_on_one_instance_holds_on_all").await else {
        return;
    };
    let receiver = WebhookReceiver::start().await;
    let apps = fleet(&shared, "decisions", &Clock::system(), |c| {
        premoderated(c);
        with_webhook(c, &receiver.url);
    })
    .await;
    let ann = add_moderator(&apps[0], "ann", &[SITE], false).await;
    let bob = add_moderator(&apps[1], "bob", &[SITE], false).await;
    let texts = clearly_fine(2);
    let article = "2024/budget";

    let id = apps[0]
        .post_comment_expecting(&comment(&texts[0]), "pending")
        .await;
    for (n, app) in apps.iter().enumerate() {
        let page = json_body(app.review_queue(&bob, &[]).await).await;
        assert_eq!(page["total"], 1, "instance {n}: {page}");
        assert_eq!(page["items"][0]["id"], id, "instance {n}");
        assert!(!app.listed_ids(article).await.contains(&id), "instance {n}");
    }

    let approved = apps[0]
        .decide(&ann, id, &json!({"decision": "approve", "version": 1}))
        .await;
    assert_eq!(approved.status(), 200);
    let approved = json_body(approved).await;
    assert_eq!(
        (
            &approved["status"],
            &approved["version"],
            &approved["changed"]
        ),
        (&json!("published"), &json!(2), &json!(true))
    );
    for (n, app) in apps.iter().enumerate() {
        let page = json_body(app.review_queue(&bob, &[]).await).await;
        assert_eq!(page["total"], 0, "instance {n}: the queue is empty: {page}");
        assert_eq!(
            app.status_and_version(&bob, id).await,
            ("published".to_owned(), 2),
            "instance {n}"
        );
        assert!(app.listed_ids(article).await.contains(&id), "instance {n}");
    }

    // Bob decides on what he saw before Ann's decision, on another instance.
    let stale = apps[1]
        .decide(
            &bob,
            id,
            &json!({"decision": "reject", "label": "spam", "version": 1}),
        )
        .await;
    assert_eq!(stale.status(), 409);
    let stale = json_body(stale).await;
    assert_eq!(stale["error"]["code"], "STALE_VERSION");
    assert_eq!(stale["current"]["status"], "published");
    assert_eq!(stale["current"]["version"], 2);
    assert_eq!(stale["current"]["last_decision"]["moderator"], "ann");

    // Ann's client retries her decision, and the load balancer picks a third instance.
    let retry = apps[2]
        .decide(&ann, id, &json!({"decision": "approve", "version": 1}))
        .await;
    assert_eq!(retry.status(), 200, "repeating a decision is idempotent");
    let retry = json_body(retry).await;
    assert_eq!(
        (&retry["changed"], &retry["version"]),
        (&json!(false), &json!(2))
    );

    // The same decision reaches all three instances at once.
    let second = apps[1]
        .post_comment_expecting(&comment(&texts[1]), "pending")
        .await;
    let mut tasks = tokio::task::JoinSet::new();
    for app in &apps {
        let request = app
            .client
            .post(app.url(&format!("/api/v1/review/{second}/decision")))
            .bearer_auth(&ann)
            .json(&json!({"decision": "approve", "version": 1}));
        tasks.spawn(async move {
            let res = request.send().await.expect("request sent");
            (res.status().as_u16(), json_body(res).await)
        });
    }
    let mut changed = 0;
    while let Some(answer) = tasks.join_next().await {
        let (status, json) = answer.expect("a decision task");
        assert_eq!(status, 200, "{json}");
        assert_eq!(
            (&json["status"], &json["version"]),
            (&json!("published"), &json!(2)),
            "{json}"
        );
        if json["changed"] == true {
            changed += 1;
        }
    }
    assert_eq!(changed, 1, "applied by exactly one instance");

    for comment_id in [id, second] {
        let audit = apps[2].query_i64(&format!(
            "SELECT COUNT(*) FROM decisions WHERE comment_id = {comment_id}"
        ));
        assert_eq!(audit[0][0], 1, "comment {comment_id}: one audit entry");
        let detail = json_body(apps[2].review_item(&ann, comment_id).await).await;
        assert_eq!(
            detail["decisions"]
                .as_array()
                .expect("a decisions array")
                .len(),
            1,
            "{detail}"
        );
    }

    apps[0].webhooks_settled(Duration::from_secs(10)).await;
    let accepted = receiver.accepted();
    let mut ids = HashSet::new();
    let mut events: Vec<(i64, String)> = Vec::new();
    for r in &accepted {
        assert!(
            ids.insert(r.header("webhook-id").to_owned()),
            "event {} delivered twice",
            r.header("webhook-id")
        );
        let body = r.json();
        events.push((
            body["comment"]["id"].as_i64().expect("a comment id"),
            body["event"].as_str().expect("an event name").to_owned(),
        ));
    }
    events.sort();
    let mut expected = vec![
        (id, "comment.held".to_owned()),
        (id, "comment.published".to_owned()),
        (second, "comment.held".to_owned()),
        (second, "comment.published".to_owned()),
    ];
    expected.sort();
    assert_eq!(events, expected, "one event per change of status");
}

// ---------------------------------------------------------------------------------------
// kill -9 under load.

/// Concurrent clients, each sending its comments round-robin over the instances (a load
/// balancer that does not yet know an instance died).
const SUBMITTERS: usize = 6;

/// One process of an instance: its address and which start of that instance it is.
#[derive(Clone)]
struct Target {
    address: String,
    generation: usize,
}

/// One acknowledged submission.
#[derive(Clone, Debug)]
struct Ack {
    id: i64,
    body: String,
    instance: usize,
    generation: usize,
    /// Acknowledged after the kill (by a survivor, or by the restarted instance).
    after_kill: bool,
}

/// What the submitters share with the test.
struct Load {
    targets: Mutex<Vec<Target>>,
    /// The process killed (instance, generation), set just before the kill: the only one
    /// allowed to leave a request unanswered.
    killed: Mutex<Option<(usize, usize)>>,
    stop: AtomicBool,
    /// Every body sent, with where it went.
    sent: Mutex<HashMap<String, (usize, usize)>>,
    acks: Mutex<Vec<Ack>>,
}

impl Load {
    fn target(&self, instance: usize) -> Target {
        self.targets.lock().expect("targets")[instance].clone()
    }

    fn acks(&self) -> Vec<Ack> {
        self.acks.lock().expect("acks").clone()
    }

    /// Acknowledgements by `instance` since the kill.
    fn acked_after_kill(&self, instance: usize, generation: usize) -> usize {
        self.acks()
            .iter()
            .filter(|a| a.after_kill && a.instance == instance && a.generation == generation)
            .count()
    }
}

/// Submits comments over the fleet until told to stop; a request left unanswered is
/// allowed only of the killed process, and every answer must be a 2xx.
async fn submitter(client: reqwest::Client, load: Arc<Load>, task: usize) {
    let mut i = 0usize;
    while !load.stop.load(Ordering::SeqCst) {
        let instance = (task + i) % INSTANCES;
        let target = load.target(instance);
        let body = format!(
            "Fleet client {task}, comment {i}: the council should publish the budget in full."
        );
        let submission = json!({
            "site": SITE,
            "article_id": "fleet/kill",
            "author_name": "Fleet Reader",
            "author_email": format!("t{task}n{i}@example.com"),
            "body": body,
        });
        i += 1;
        load.sent
            .lock()
            .expect("sent")
            .insert(body.clone(), (instance, target.generation));
        let killed_before = *load.killed.lock().expect("killed");
        let answer = async {
            let res = client
                .post(format!("{}/api/v1/comments", target.address))
                .json(&submission)
                .send()
                .await?;
            let status = res.status().as_u16();
            Ok::<_, reqwest::Error>((status, res.json::<Value>().await?))
        }
        .await;
        let (status, json) = match answer {
            Ok(answer) => answer,
            Err(err) => {
                let killed = *load.killed.lock().expect("killed");
                assert_eq!(
                    killed,
                    Some((instance, target.generation)),
                    "instance {instance} (start {}) was not killed but left a request unanswered: {err}",
                    target.generation
                );
                continue;
            }
        };
        assert!(
            (200..300).contains(&status),
            "instance {instance} answered {status}: {json}"
        );
        let id = json["id"].as_i64().expect("an id");
        load.acks.lock().expect("acks").push(Ack {
            id,
            body,
            instance,
            generation: target.generation,
            after_kill: killed_before.is_some(),
        });
    }
}

/// Waits until `check` holds, polling every 10 ms; panics after `timeout` saying what
/// it waited for.
async fn until(what: &str, timeout: Duration, check: impl Fn() -> bool) {
    eventually(what, timeout, || check().then_some(())).await;
}

/// Every comment row of the schema at `url`: body → ids.
async fn stored_bodies(url: &str) -> HashMap<String, Vec<i64>> {
    let client = pg_connect(url)
        .await
        .expect("connect to the fleet's schema");
    let mut stored: HashMap<String, Vec<i64>> = HashMap::new();
    for row in client
        .query("SELECT id, body FROM comments", &[])
        .await
        .expect("read the comments")
    {
        stored.entry(row.get(1)).or_default().push(row.get(0));
    }
    stored
}

/// Three real `serve` processes on one schema and one Redis take comments from six
/// concurrent clients; one, chosen at random, is killed with SIGKILL at a random point of
/// the load. Every comment any instance acknowledged is stored exactly once; a row no
/// one acknowledged is one that was in flight at the killed process; the two survivors
/// keep acknowledging; the killed instance, started again, serves every comment it had
/// acknowledged and takes new ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_under_load_loses_nothing_acknowledged() {
    let Some(shared) =
        shared_servers("an_instance_killed_under_load_loses_nothing_acknowledged").await
    else {
        return;
    };
    let seed = std::env::var("CG_FLEET_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::random::<u64>() | 1);
    eprintln!("fleet kill test seed: CG_FLEET_SEED={seed}");
    let mut rng = crate::helpers::Rng(seed);

    let schema = PgSchema::create(&shared.postgres).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut base = test_config(dir.path());
    base.database = PathBuf::from(schema.url()).into();
    member_of(&mut base, &shared.redis, &unique_prefix("kill"));
    let mut configs = Vec::new();
    let mut dirs = Vec::new();
    let mut servers = Vec::new();
    for n in 0..INSTANCES {
        let here = dir.path().join(format!("instance-{n}"));
        std::fs::create_dir_all(&here).expect("instance directory");
        let mut config = base.clone();
        servers.push(Some(
            Process::start(&mut config, &here, "serve-0.log").await,
        ));
        configs.push(config);
        dirs.push(here);
    }
    let load = Arc::new(Load {
        targets: Mutex::new(
            servers
                .iter()
                .flatten()
                .map(|s| Target {
                    address: s.address.clone(),
                    generation: 0,
                })
                .collect(),
        ),
        killed: Mutex::new(None),
        stop: AtomicBool::new(false),
        sent: Mutex::new(HashMap::new()),
        acks: Mutex::new(Vec::new()),
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client");
    let submitters: Vec<_> = (0..SUBMITTERS)
        .map(|task| tokio::spawn(submitter(client.clone(), Arc::clone(&load), task)))
        .collect();

    // The kill: after a random number of acknowledgements, a random instance.
    let kill_after = rng.between(150, 600) as usize;
    let victim = rng.between(0, INSTANCES as u64) as usize;
    until(
        &format!("{kill_after} acknowledged submissions"),
        Duration::from_secs(60),
        || load.acks().len() >= kill_after,
    )
    .await;
    *load.killed.lock().expect("killed") = Some((victim, 0));
    servers[victim].take().expect("the victim runs").kill();
    let acked_at_kill = load.acks().len();
    eprintln!("killed instance {victim} after {acked_at_kill} acknowledged submissions");

    // The survivors keep answering.
    for survivor in (0..INSTANCES).filter(|n| *n != victim) {
        until(
            &format!("instance {survivor} acknowledging 100 submissions after the kill"),
            Duration::from_secs(60),
            || load.acked_after_kill(survivor, 0) >= 100,
        )
        .await;
    }

    // The killed instance comes back (on a new port) and takes its share again.
    let restarted = Process::start(&mut configs[victim], &dirs[victim], "serve-1.log").await;
    load.targets.lock().expect("targets")[victim] = Target {
        address: restarted.address.clone(),
        generation: 1,
    };
    until(
        &format!("restarted instance {victim} acknowledging 50 submissions"),
        Duration::from_secs(60),
        || load.acked_after_kill(victim, 1) >= 50,
    )
    .await;
    load.stop.store(true, Ordering::SeqCst);
    for task in submitters {
        task.await
            .expect("a submitter failed (see its panic above)");
    }

    // Every acknowledgement is one row, with its id; no id was given twice.
    let acks = load.acks();
    let stored = stored_bodies(&schema.url()).await;
    let mut ids = HashSet::new();
    for ack in &acks {
        assert!(ids.insert(ack.id), "id {} acknowledged twice", ack.id);
        assert_eq!(
            stored.get(&ack.body),
            Some(&vec![ack.id]),
            "acknowledged comment {} (instance {}, start {}): stored exactly once",
            ack.id,
            ack.instance,
            ack.generation
        );
    }
    // A row nobody acknowledged was in flight at the killed process.
    let acked_bodies: HashSet<&str> = acks.iter().map(|a| a.body.as_str()).collect();
    let sent = load.sent.lock().expect("sent").clone();
    let unacknowledged: Vec<&String> = stored
        .keys()
        .filter(|body| !acked_bodies.contains(body.as_str()))
        .collect();
    for body in &unacknowledged {
        assert_eq!(
            sent.get(*body),
            Some(&(victim, 0)),
            "a stored comment nobody acknowledged was sent to the killed process: {body}"
        );
    }
    assert!(
        unacknowledged.len() <= SUBMITTERS,
        "at most one request per client in flight at the kill: {}",
        unacknowledged.len()
    );

    // The restarted instance serves what its first process acknowledged.
    let before_kill: Vec<&Ack> = acks
        .iter()
        .filter(|a| a.instance == victim && a.generation == 0)
        .collect();
    assert!(!before_kill.is_empty(), "the victim acknowledged some");
    for ack in before_kill {
        let res = client
            .get(restarted.url(&format!("/api/v1/comments/{}", ack.id)))
            .bearer_auth(API_KEY)
            .send()
            .await
            .expect("request sent");
        assert_eq!(res.status(), 200, "comment {}", ack.id);
        let json: Value = res.json().await.expect("JSON");
        assert_eq!(json["body"], ack.body.as_str(), "comment {}", ack.id);
    }
    let ready = client
        .get(restarted.url("/readyz"))
        .send()
        .await
        .expect("request sent");
    assert_eq!(ready.status(), 200);
    eprintln!(
        "{} submissions acknowledged ({} after the kill), {} stored without an answer",
        acks.len(),
        acks.iter().filter(|a| a.after_kill).count(),
        unacknowledged.len()
    );
    restarted.stop();
    for server in servers.into_iter().flatten() {
        server.stop();
    }
}
