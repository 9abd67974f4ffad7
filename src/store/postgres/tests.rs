//! Tests of the PostgreSQL store against a real server.
//!
//! They run only when `COMMENTGUARD_TEST_POSTGRES_URL` is set (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`), and then fail — never skip — if the server
//! cannot be reached. Each test works in a schema of its own (`cg_test_<random>`, selected
//! through the URL's `options=-csearch_path=…`), dropped when the test ends, pass or fail.
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use super::PgStore;
use crate::clock::Clock;
use crate::config::SiteConfig;
use crate::domain::{
    ArticleId, AuthorContext, AuthorEmail, AuthorName, AuthorQuery, Ban, BanTarget, CommentBody,
    CommentId, Decide, ModelScore, ModeratorName, NewComment, Note, Outcome, Reason, ReasonCode,
    Refusal, RejectLabel, Rule, RuleChange, RuleValues, SiteId, Status, TokenHash,
    Verdict as Decision,
};
use crate::store::{
    Actor, AddModeratorError, AttemptOutcome, BanRequest, DecisionOutcome, DecisionRequest,
    NewCommentRecord, NewModerator, NewReport, NewSession, QueueOrder, QueueQuery, ReportOutcome,
    RetentionPolicy, SiteGrants, SiteHolds, StoreError, Submitted, UndoOutcome, Verdict,
    UNDO_WINDOW_MS,
};

const URL_VAR: &str = "COMMENTGUARD_TEST_POSTGRES_URL";
/// The manual clock's start (unix milliseconds).
const T0: i64 = 1_700_000_000_000;
const DAY_MS: i64 = 86_400_000;

/// A schema of its own on the test server; dropped when this is dropped.
struct TestDb {
    base: String,
    schema: String,
    /// The URL that selects the schema.
    url: String,
}

impl TestDb {
    /// `None` when the variable is unset; panics when it is set and the server cannot be
    /// reached.
    async fn new() -> Option<TestDb> {
        let base = match std::env::var(URL_VAR) {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                eprintln!("{URL_VAR} is not set: PostgreSQL store test skipped");
                return None;
            }
        };
        let schema = format!("cg_test_{:016x}", rand::random::<u64>());
        let admin = connect(&base).await;
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create schema {schema}: {e}"));
        let mut url = url::Url::parse(&base).unwrap_or_else(|e| panic!("{URL_VAR}: {e}"));
        url.query_pairs_mut()
            .append_pair("options", &format!("-csearch_path={schema}"));
        Some(TestDb {
            base,
            schema,
            url: url.to_string(),
        })
    }

    async fn open(&self) -> PgStore {
        self.open_with(Clock::manual(T0)).await
    }

    async fn open_with(&self, clock: Clock) -> PgStore {
        PgStore::open(&self.url, clock, 8)
            .await
            .unwrap_or_else(|e| panic!("open: {e:?}"))
    }

    /// A plain connection inside the schema, for looking at rows.
    async fn sql(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (base, schema) = (self.base.clone(), self.schema.clone());
        // Drop cannot await: a thread with a runtime of its own drops the schema.
        let done = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                let admin = connect(&base).await;
                let _ = admin
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .await;
            });
        });
        let _ = done.join();
    }
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| {
            panic!("{URL_VAR} is set but PostgreSQL at {url} cannot be reached: {e}")
        });
    tokio::spawn(connection);
    client
}

fn site() -> SiteId {
    SiteId::parse("news").unwrap()
}

fn comment(body: &str, email: Option<&str>, ip: &str) -> NewComment {
    NewComment {
        site: site(),
        article_id: ArticleId::parse("a1").unwrap(),
        article_url: None,
        parent_id: None,
        author_name: AuthorName::parse("Ann").unwrap(),
        author_email: email.map(|e| AuthorEmail::parse(e).unwrap()),
        author_url: None,
        body: CommentBody::parse(body).unwrap(),
        client_ip: ip.parse().unwrap(),
        user_agent: Some("test".into()),
    }
}

fn query(c: &NewComment) -> AuthorQuery {
    AuthorQuery {
        site: c.site.clone(),
        email: c.author_email.clone(),
        ip: c.client_ip,
        parent: c.parent_id,
        trust_after: 3,
    }
}

fn score(p: f64) -> Option<ModelScore> {
    Some(ModelScore {
        probability: p,
        top_tokens: vec!["free".into()],
    })
}

/// Submits `c` with status `status`; returns what the store did and the author context the
/// decision saw.
async fn submit_as(store: &PgStore, c: NewComment, status: Status) -> (Submitted, AuthorContext) {
    submit_scored(store, c, status, 0.5).await
}

async fn submit_scored(
    store: &PgStore,
    c: NewComment,
    status: Status,
    spam: f64,
) -> (Submitted, AuthorContext) {
    let q = query(&c);
    let record = Arc::new(NewCommentRecord::new(
        c,
        score(spam),
        None,
        Duration::from_secs(86_400),
    ));
    let seen = Arc::new(Mutex::new(None));
    let decide = Arc::new(Fixed {
        status,
        seen: Arc::clone(&seen),
    });
    let (submitted, verdict) = store.submit(q, record, decide).await.unwrap().unwrap();
    assert_eq!(verdict.status, status);
    let ctx = seen.lock().unwrap().take().unwrap();
    (submitted, ctx)
}

/// A decision fixed in advance that records the author context it saw.
struct Fixed {
    status: Status,
    seen: Arc<Mutex<Option<AuthorContext>>>,
}

impl Decide for Fixed {
    fn decide(&self, ctx: &AuthorContext, _: &NewComment) -> Result<Verdict, Refusal> {
        *self.seen.lock().unwrap() = Some(ctx.clone());
        Ok(Verdict {
            status: self.status,
            reasons: vec![Reason {
                code: ReasonCode::Spam,
                outcome: Outcome::Hold,
                detail: "0.9".into(),
            }],
        })
    }
}

/// A decision given in advance.
struct Given(Verdict);

impl Decide for Given {
    fn decide(&self, _: &AuthorContext, _: &NewComment) -> Result<Verdict, Refusal> {
        Ok(self.0.clone())
    }
}

fn stored(s: Submitted) -> CommentId {
    match s {
        Submitted::Stored { id, .. } => id,
        other => panic!("expected stored, got {other:?}"),
    }
}

/// A moderator (the audit log refers to one) and the actor it decides as.
async fn moderator(store: &PgStore, name: &str) -> Actor {
    let token = format!("token-of-{name}");
    store
        .add_moderator(NewModerator {
            name: ModeratorName::parse(name).unwrap(),
            token_hash: TokenHash::of(&token),
            is_admin: true,
            sites: vec![],
        })
        .await
        .unwrap()
        .unwrap();
    let record = store
        .moderator_by_token(TokenHash::of(&token))
        .await
        .unwrap()
        .unwrap();
    Actor {
        moderator_id: record.id,
        name: record.name,
    }
}

fn request(id: CommentId, verdict: Decision, version: i64) -> DecisionRequest {
    DecisionRequest {
        id,
        verdict,
        note: Note::default(),
        version,
    }
}

fn queue_query(order: QueueOrder, limit: usize) -> QueueQuery {
    QueueQuery {
        sites: vec![SiteHolds {
            site: site(),
            spam_hold: 0.5,
            abuse_hold: 0.5,
        }],
        status: Status::Pending,
        article_id: None,
        reason: None,
        search: None,
        order,
        after: None,
        limit,
    }
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    db.sql().await.query_one(sql, &[]).await.unwrap().get(0)
}

/// A stored comment reads back whole; the same body by the same e-mail or IP within the
/// window is a duplicate, by someone else or after the window it is not.
#[tokio::test]
async fn submit_reads_back_and_refuses_duplicates() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let clock = Clock::manual(T0);
    let store = db.open_with(clock.clone()).await;
    let (first, _) = submit_as(
        &store,
        comment("same", Some("a@x.io"), "1.1.1.1"),
        Status::Published,
    )
    .await;
    let id = stored(first);
    assert_eq!(first, Submitted::Stored { id, created_at: T0 });
    let got = store.comment(id).await.unwrap().unwrap();
    assert_eq!(got.status, Status::Published);
    assert_eq!(got.reasons.len(), 1);
    assert_eq!(got.reasons[0].code, ReasonCode::Spam);
    assert_eq!(got.spam.unwrap().top_tokens, vec!["free".to_owned()]);
    assert!(got.abuse.is_none());
    assert_eq!((got.version, got.created_at, got.updated_at), (1, T0, T0));
    assert_eq!(got.author_email.as_deref(), Some("a@x.io"));
    assert!(store
        .comment(CommentId::new(id.get() + 1000).unwrap())
        .await
        .unwrap()
        .is_none());

    let cases = [
        ("same", Some("a@x.io"), "2.2.2.2", true, "same e-mail"),
        ("same", None, "1.1.1.1", true, "same IP"),
        ("other", Some("a@x.io"), "1.1.1.1", false, "other body"),
        ("same", Some("b@x.io"), "3.3.3.3", false, "other author"),
    ];
    for (body, email, ip, dup, why) in cases {
        let (out, _) = submit_as(&store, comment(body, email, ip), Status::Pending).await;
        match out {
            Submitted::Duplicate { existing } => {
                assert!(dup, "{why}: {out:?}");
                assert_eq!(existing, id, "{why}");
            }
            Submitted::Stored { .. } => assert!(!dup, "{why}: {out:?}"),
        }
    }
    clock.advance(Duration::from_millis(DAY_MS as u64 + 1));
    let (later, _) = submit_as(
        &store,
        comment("same", Some("a@x.io"), "1.1.1.1"),
        Status::Published,
    )
    .await;
    assert!(
        matches!(later, Submitted::Stored { created_at, .. } if created_at == T0 + DAY_MS + 1),
        "after the window: {later:?}"
    );
}

/// The same comment sent to two instances by many tasks at once is stored exactly once;
/// every other submission is told it is a duplicate of that one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_duplicates_are_stored_once() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let stores = [db.open().await, db.open().await];
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = stores[i % 2].clone();
        // Every one from the same IP, a third of them with an e-mail too.
        let email = (i % 3 == 0).then_some("spam@x.io");
        let c = comment("buy now", email, "10.9.9.9");
        tasks.push(tokio::spawn(async move {
            submit_as(&store, c, Status::Pending).await.0
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let ids: Vec<CommentId> = outcomes
        .iter()
        .filter_map(|o| match o {
            Submitted::Stored { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 1, "exactly one stored: {outcomes:?}");
    for o in &outcomes {
        if let Submitted::Duplicate { existing } = o {
            assert_eq!(*existing, ids[0]);
        }
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM comments").await, 1);
}

/// Trust counts published comments up to `trust_after` and is lost by a rejection; bans
/// by IP and e-mail are seen (e-mail first), expire, can be lifted, and a ban with
/// `reject_existing` rejects the author's comments with an audit row each.
#[tokio::test]
async fn trust_bans_and_parents() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let clock = Clock::manual(T0);
    let store = db.open_with(clock.clone()).await;
    let root = moderator(&store, "root").await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let (s, ctx) = submit_as(
            &store,
            comment(&format!("c{i}"), Some("a@x.io"), "1.1.1.1"),
            Status::Published,
        )
        .await;
        assert_eq!(ctx.published, i.min(3), "counted up to trust_after");
        ids.push(stored(s));
    }
    let mut reply = comment("reply", Some("a@x.io"), "1.1.1.1");
    reply.parent_id = Some(ids[0]);
    let (_, ctx) = submit_as(&store, reply, Status::Published).await;
    assert!(ctx.is_trusted(3));
    assert_eq!(ctx.parent.as_ref().map(|p| p.published), Some(true));
    assert_eq!(ctx.ban, None);

    let mut orphan = comment("orphan", None, "7.7.7.7");
    orphan.parent_id = CommentId::new(ids[3].get() + 100);
    // The decision refuses a reply to an unknown parent (as the pipeline does): nothing
    // is written.
    /// Refuses, as the pipeline does for an unknown parent, and records what it saw.
    struct NoParent(Arc<Mutex<Option<AuthorContext>>>);
    impl Decide for NoParent {
        fn decide(&self, ctx: &AuthorContext, _: &NewComment) -> Result<Verdict, Refusal> {
            *self.0.lock().unwrap() = Some(ctx.clone());
            Err(Refusal::ParentNotFound)
        }
    }
    let seen = Arc::new(Mutex::new(None));
    let refused = store
        .submit(
            query(&orphan),
            Arc::new(NewCommentRecord::new(orphan, None, None, Duration::ZERO)),
            Arc::new(NoParent(Arc::clone(&seen))),
        )
        .await
        .unwrap();
    assert!(matches!(refused, Err(Refusal::ParentNotFound)));
    let ctx = seen.lock().unwrap().take().unwrap();
    assert_eq!(ctx.parent, None, "unknown parent");
    assert_eq!(ctx.published, 0, "no e-mail, no count");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM comments").await, 5);

    // An IP ban that expires.
    let ip_ban = store
        .ban(
            root.clone(),
            BanRequest {
                site: site(),
                target: BanTarget::Ip("9.9.9.9".parse().unwrap()),
                reject_existing: false,
                until: Some(T0 + 1_000),
                note: Note::parse(Some("flood")).unwrap(),
            },
        )
        .await
        .unwrap();
    assert_eq!((ip_ban.replaced, ip_ban.rejected.len()), (0, 0));
    let (_, ctx) = submit_as(&store, comment("x1", None, "9.9.9.9"), Status::Pending).await;
    assert_eq!(
        ctx.ban,
        Some(Ban::Ip {
            note: "flood".into()
        })
    );
    clock.advance(Duration::from_millis(1_000));
    let (_, ctx) = submit_as(&store, comment("x2", None, "9.9.9.9"), Status::Pending).await;
    assert_eq!(ctx.ban, None, "expired");

    // An e-mail ban rejecting the author's comments; a second one replaces it.
    let ban = BanRequest {
        site: site(),
        target: BanTarget::Email(AuthorEmail::parse("a@x.io").unwrap()),
        reject_existing: true,
        until: None,
        note: Note::parse(Some("troll")).unwrap(),
    };
    let out = store.ban(root.clone(), ban.clone()).await.unwrap();
    assert_eq!(out.rejected.len(), 5, "four comments and the reply");
    for id in &out.rejected {
        let state = store.comment(*id).await.unwrap().unwrap();
        assert_eq!((state.status, state.version), (Status::Rejected, 2));
    }
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM decisions WHERE action = 'ban'").await,
        5
    );
    let again = store.ban(root.clone(), ban).await.unwrap();
    assert_eq!((again.replaced, again.rejected.len()), (1, 0));
    let (_, ctx) = submit_as(
        &store,
        comment("x3", Some("a@x.io"), "9.9.9.9"),
        Status::Pending,
    )
    .await;
    assert_eq!(
        ctx.ban,
        Some(Ban::Email {
            note: "troll".into()
        })
    );
    assert!(!ctx.is_trusted(3), "rejected comments: no trust");
    let author = store
        .author(
            site(),
            BanTarget::Email(AuthorEmail::parse("a@x.io").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(author.history.rejected, 5);
    assert_eq!(author.history.pending, 1);
    assert_eq!(author.bans.len(), 2);
    assert!(author.bans[0].active && !author.bans[1].active);
    assert_eq!(
        store.bans(vec!["news".into()], false).await.unwrap().len(),
        1
    );
    assert_eq!(
        store.bans(vec!["news".into()], true).await.unwrap().len(),
        3
    );
    let lifted = store
        .unban(
            root,
            site(),
            BanTarget::Email(AuthorEmail::parse("a@x.io").unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(lifted, 1);
    assert!(store
        .bans(vec!["news".into()], false)
        .await
        .unwrap()
        .is_empty());
}

/// The listing shows only published comments of the article, oldest first, after the
/// cursor; counts per article.
#[tokio::test]
async fn listing_is_keyset_paginated() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let store = db.open().await;
    let mut ids = Vec::new();
    for (i, status) in [
        Status::Published,
        Status::Pending,
        Status::Published,
        Status::Published,
    ]
    .into_iter()
    .enumerate()
    {
        let (s, _) = submit_as(
            &store,
            comment(&format!("c{i}"), None, &format!("1.1.1.{i}")),
            status,
        )
        .await;
        ids.push(stored(s));
    }
    let article = ArticleId::parse("a1").unwrap();
    let page = store
        .published(site(), article.clone(), None, 2)
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![ids[0], ids[2]]
    );
    assert_eq!(page[0].body, "c0");
    let page = store
        .published(site(), article.clone(), Some(ids[2]), 2)
        .await
        .unwrap();
    assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[3]]);
    let counts = store
        .published_counts(site(), vec![article, ArticleId::parse("none").unwrap()])
        .await
        .unwrap();
    assert_eq!(counts, vec![3, 0]);
}

/// The queue pages by keyset in every order with a total; a decision applies at the
/// version seen, writes one audit row and a webhook event; repeating it is idempotent
/// whatever the version; another decision on an old version is stale.
#[tokio::test]
async fn queue_and_decisions() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let store = db.open().await;
    store.set_webhook_sites(vec!["news".into()]).await.unwrap();
    let ann = moderator(&store, "ann").await;
    let mut ids = Vec::new();
    for (i, spam) in [0.9, 0.2, 0.6, 0.45].into_iter().enumerate() {
        let (s, _) = submit_scored(
            &store,
            comment(&format!("q{i}"), Some(&format!("u{i}@x.io")), "2.2.2.2"),
            Status::Pending,
            spam,
        )
        .await;
        ids.push(stored(s));
    }
    let pages = |order| {
        let store = store.clone();
        async move {
            let mut seen = Vec::new();
            let mut q = queue_query(order, 3);
            loop {
                let page = store.review_queue(q.clone()).await.unwrap();
                assert_eq!(page.total, 4);
                seen.extend(page.items.iter().map(|i| i.comment.id));
                match page.next {
                    Some(next) => q.after = Some(next),
                    None => break seen,
                }
            }
        }
    };
    assert_eq!(pages(QueueOrder::Oldest).await, ids);
    let mut newest = ids.clone();
    newest.reverse();
    assert_eq!(pages(QueueOrder::Newest).await, newest);
    assert_eq!(
        pages(QueueOrder::Spam).await,
        vec![ids[0], ids[2], ids[3], ids[1]]
    );
    // Distance of the spam score to the 0.5 hold (no abuse score: 2.0).
    assert_eq!(
        pages(QueueOrder::Uncertain).await,
        vec![ids[3], ids[2], ids[1], ids[0]]
    );
    let mut searched = queue_query(QueueOrder::Oldest, 10);
    searched.search = crate::domain::SearchText::parse(Some("U2@X")).unwrap();
    let page = store.review_queue(searched).await.unwrap();
    assert_eq!(
        page.items.iter().map(|i| i.comment.id).collect::<Vec<_>>(),
        vec![ids[2]]
    );

    let all = SiteGrants::All;
    let id = ids[0];
    let out = store
        .decide(
            ann.clone(),
            all.clone(),
            vec![request(id, Decision::Approve, 1)],
        )
        .await
        .unwrap();
    let DecisionOutcome::Applied {
        state,
        previous,
        changed,
    } = &out[0]
    else {
        panic!("{out:?}")
    };
    assert!(changed);
    assert_eq!(*previous, Status::Pending);
    assert_eq!((state.status, state.version), (Status::Published, 2));
    assert_eq!(state.labels, Decision::Approve.training_labels());
    assert_eq!(state.last_decision.as_ref().unwrap().moderator, "ann");

    let repeat = store
        .decide(
            ann.clone(),
            all.clone(),
            vec![request(id, Decision::Approve, 1)],
        )
        .await
        .unwrap();
    assert!(
        matches!(&repeat[0], DecisionOutcome::Applied { changed: false, state, .. } if state.version == 2),
        "{repeat:?}"
    );
    let reject = Decision::Reject(RejectLabel::Spam);
    let stale = store
        .decide(ann.clone(), all.clone(), vec![request(id, reject, 1)])
        .await
        .unwrap();
    assert!(
        matches!(&stale[0], DecisionOutcome::Stale { current } if current.version == 2),
        "{stale:?}"
    );
    let refused = store
        .decide(
            ann.clone(),
            SiteGrants::Only(vec!["sport".into()]),
            vec![
                request(ids[1], Decision::Approve, 1),
                request(CommentId::new(99_999).unwrap(), Decision::Approve, 1),
                request(id, reject, 2),
            ],
        )
        .await
        .unwrap();
    assert_eq!(refused[0], DecisionOutcome::Forbidden);
    assert_eq!(refused[1], DecisionOutcome::NotFound);
    assert_eq!(refused[2], DecisionOutcome::Forbidden);
    let bulk = store
        .decide(
            ann.clone(),
            all.clone(),
            vec![
                request(id, reject, 2),
                request(ids[1], Decision::Approve, 1),
            ],
        )
        .await
        .unwrap();
    assert!(bulk
        .iter()
        .all(|o| matches!(o, DecisionOutcome::Applied { changed: true, .. })));

    let (item, audit) = store.review_item(id).await.unwrap().unwrap();
    assert_eq!(item.comment.status, Status::Rejected);
    assert_eq!(item.labels, reject.training_labels());
    assert_eq!(item.author_history.by, "email");
    assert_eq!(item.author_history.rejected, 1);
    assert_eq!(
        audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(),
        vec!["approve", "reject"]
    );
    assert_eq!(audit[1].label.as_deref(), Some("spam"));
    let labelled = store.labelled_decisions(Some(&site())).await.unwrap();
    assert_eq!(labelled.len(), 2);
    assert_eq!(labelled[0].spam, Some(true));
    assert!(store
        .labelled_decisions(Some(&SiteId::parse("sport").unwrap()))
        .await
        .unwrap()
        .is_empty());

    let counts = store
        .queue_counts(Status::Pending, vec!["news".into(), "sport".into()])
        .await
        .unwrap();
    assert_eq!(counts.total, 2);
    assert_eq!(
        counts.sites,
        vec![("news".to_owned(), 2), ("sport".to_owned(), 0)]
    );
    assert_eq!(counts.reasons, vec![(ReasonCode::Spam, 2)]);
    let (waiting, backlog) = store.waiting_counts(vec!["news".into()]).await.unwrap();
    assert_eq!(
        waiting,
        vec![
            ("news".into(), "pending", 2),
            ("news".into(), "reported", 0)
        ]
    );
    // 4 held + published + rejected + published (the bulk approve).
    assert_eq!(backlog, 7);
    let events: Vec<String> = db
        .sql()
        .await
        .query(
            "SELECT event FROM webhook_outbox WHERE comment_id = $1 ORDER BY id",
            &[&id.get()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        events,
        ["comment.held", "comment.published", "comment.rejected"]
    );
}

/// Two instances deciding the same comment at the same version: one applies, the other
/// is told it is stale (or, deciding the same, that it was a repeat).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_decisions_are_version_checked() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let a = db.open().await;
    let b = db.open().await;
    let ann = moderator(&a, "ann").await;
    for round in 0..10 {
        let (s, _) = submit_as(
            &a,
            comment(&format!("r{round}"), None, "3.3.3.3"),
            Status::Pending,
        )
        .await;
        let id = stored(s);
        let (ra, rb) = (
            request(id, Decision::Approve, 1),
            request(id, Decision::Reject(RejectLabel::Abuse), 1),
        );
        let (x, y) = tokio::join!(
            tokio::spawn({
                let (a, ann) = (a.clone(), ann.clone());
                async move { a.decide(ann, SiteGrants::All, vec![ra]).await }
            }),
            tokio::spawn({
                let (b, ann) = (b.clone(), ann.clone());
                async move { b.decide(ann, SiteGrants::All, vec![rb]).await }
            }),
        );
        let outcomes = [x.unwrap().unwrap(), y.unwrap().unwrap()];
        let applied = outcomes
            .iter()
            .filter(|o| matches!(o[0], DecisionOutcome::Applied { changed: true, .. }))
            .count();
        let stale = outcomes
            .iter()
            .filter(|o| matches!(o[0], DecisionOutcome::Stale { .. }))
            .count();
        assert_eq!((applied, stale), (1, 1), "{outcomes:?}");
        let state = a.comment(id).await.unwrap().unwrap();
        assert_eq!(state.version, 2);
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM decisions").await, 10);
}

/// A moderator undoes their own latest decision within the window: status, labels and
/// decision time come back, version + 1; not twice, not someone else's, not too late.
#[tokio::test]
async fn undo_restores_and_expires() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let clock = Clock::manual(T0);
    let store = db.open_with(clock.clone()).await;
    let ann = moderator(&store, "ann").await;
    let bob = moderator(&store, "bob").await;
    let (s, _) = submit_as(&store, comment("u", None, "4.4.4.4"), Status::Pending).await;
    let id = stored(s);
    store
        .decide(
            ann.clone(),
            SiteGrants::All,
            vec![request(id, Decision::Approve, 1)],
        )
        .await
        .unwrap();
    let by_bob = store
        .undo(bob.clone(), SiteGrants::All, id, 2)
        .await
        .unwrap();
    assert!(
        matches!(by_bob, UndoOutcome::NothingToUndo { .. }),
        "{by_bob:?}"
    );
    let stale = store
        .undo(ann.clone(), SiteGrants::All, id, 1)
        .await
        .unwrap();
    assert!(matches!(stale, UndoOutcome::Stale { .. }), "{stale:?}");
    let undone = store
        .undo(ann.clone(), SiteGrants::All, id, 2)
        .await
        .unwrap();
    let UndoOutcome::Undone { state, previous } = undone else {
        panic!("{undone:?}")
    };
    assert_eq!(previous, Status::Published);
    assert_eq!((state.status, state.version), (Status::Pending, 3));
    assert_eq!(state.labels, Default::default());
    assert_eq!(state.last_decision.unwrap().action, "undo");
    let again = store
        .undo(ann.clone(), SiteGrants::All, id, 3)
        .await
        .unwrap();
    assert!(
        matches!(again, UndoOutcome::NothingToUndo { .. }),
        "{again:?}"
    );

    store
        .decide(
            ann.clone(),
            SiteGrants::All,
            vec![request(id, Decision::Reject(RejectLabel::Other), 3)],
        )
        .await
        .unwrap();
    clock.advance(Duration::from_millis(UNDO_WINDOW_MS as u64 + 1));
    let late = store.undo(ann, SiteGrants::All, id, 4).await.unwrap();
    assert!(matches!(late, UndoOutcome::Expired { .. }), "{late:?}");
}

fn report(id: CommentId, ip: &str, threshold: u32) -> NewReport {
    NewReport {
        comment: id,
        site: site(),
        client_ip: ip.into(),
        reason: "rude".into(),
        threshold,
    }
}

/// Reports count once per IP; the threshold sends the comment back as `reported` with a
/// reason and an event; it is then not found to readers. Concurrent reports reaching the
/// threshold take it down exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reports_reach_the_threshold_once() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let store = db.open().await;
    store.set_webhook_sites(vec!["news".into()]).await.unwrap();
    let (s, _) = submit_as(&store, comment("r", None, "5.5.5.5"), Status::Published).await;
    let id = stored(s);
    assert_eq!(
        store.report(report(id, "6.6.6.1", 2)).await.unwrap(),
        ReportOutcome::Recorded {
            reports: 1,
            taken_down: false
        }
    );
    assert_eq!(
        store.report(report(id, "6.6.6.1", 2)).await.unwrap(),
        ReportOutcome::AlreadyReported
    );
    assert_eq!(
        store.report(report(id, "6.6.6.2", 2)).await.unwrap(),
        ReportOutcome::Recorded {
            reports: 2,
            taken_down: true
        }
    );
    let got = store.comment(id).await.unwrap().unwrap();
    assert_eq!((got.status, got.version), (Status::Reported, 2));
    assert_eq!(got.reasons.last().unwrap().code, ReasonCode::Reported);
    assert_eq!(got.reasons.last().unwrap().detail, "2 reader reports");
    assert_eq!(
        store.report(report(id, "6.6.6.3", 2)).await.unwrap(),
        ReportOutcome::NotFound
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM webhook_outbox WHERE event = 'comment.reported'"
        )
        .await,
        1
    );

    let (s, _) = submit_as(&store, comment("r2", None, "5.5.5.6"), Status::Published).await;
    let id = stored(s);
    let other = db.open().await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = if i % 2 == 0 {
            store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            store
                .report(report(id, &format!("7.7.7.{i}"), 3))
                .await
                .unwrap()
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let taken = outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                ReportOutcome::Recorded {
                    taken_down: true,
                    ..
                }
            )
        })
        .count();
    assert_eq!(taken, 1, "{outcomes:?}");
    let (item, _) = store.review_item(id).await.unwrap().unwrap();
    assert_eq!(item.comment.status, Status::Reported);
    assert_eq!(item.report_count, 3, "later reports found it taken down");
    assert_eq!(item.reports.len(), 3);
}

/// Two instances claiming the outbox at once never get the same event; every event is
/// claimed; payloads are snapshots in SQLite's key order; attempts are recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outbox_claims_are_exclusive_across_instances() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let a = db.open().await;
    let b = db.open().await;
    a.set_webhook_sites(vec!["news".into()]).await.unwrap();
    let (first, _) = submit_as(&a, comment("w0", None, "8.8.8.0"), Status::Pending).await;
    let first = stored(first);
    for i in 1..60 {
        submit_as(
            &a,
            comment(&format!("w{i}"), None, "8.8.8.8"),
            Status::Pending,
        )
        .await;
    }
    // Not a webhook site: nothing enqueued.
    let mut elsewhere = comment("w-sport", None, "8.8.8.9");
    elsewhere.site = SiteId::parse("sport").unwrap();
    submit_as(&a, elsewhere, Status::Pending).await;
    assert!(a.webhook_events_due(T0).await.unwrap());

    let claim_all = |store: PgStore| {
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store.claim_webhook_events(T0, 4, 60_000).await.unwrap();
                if got.is_empty() {
                    break mine;
                }
                mine.extend(got);
            }
        })
    };
    let (x, y) = tokio::join!(claim_all(a.clone()), claim_all(b.clone()));
    let (x, y) = (x.unwrap(), y.unwrap());
    let mut rows = HashSet::new();
    for e in x.iter().chain(&y) {
        assert!(rows.insert(e.row), "event {} claimed twice", e.row);
        assert_eq!(e.attempt, 1);
        assert_eq!(e.event, crate::store::WebhookEvent::Held);
    }
    assert_eq!(rows.len(), 60, "every event claimed once");
    assert!(!a.webhook_events_due(T0).await.unwrap(), "all leased");

    let event = x.iter().chain(&y).min_by_key(|e| e.row).unwrap();
    assert!(
        event.payload.starts_with(&format!(
            "{{\"id\":\"{}\",\"event\":\"comment.held\",\"site\":\"news\",\"occurred_at\":{T0},\"comment\":{{\"id\":{first},",
            event.event_id
        )),
        "{}",
        event.payload
    );
    let payload: serde_json::Value = serde_json::from_str(&event.payload).unwrap();
    assert_eq!(payload["comment"]["reasons"], json!(["spam"]));
    assert_eq!(payload["comment"]["status"], "pending");
    assert_eq!(payload["comment"]["parent_id"], serde_json::Value::Null);
    assert!(event.event_id.starts_with("evt_") && event.event_id.len() == 36);

    // Attempts: delivered, retried, given up.
    let ids: Vec<i64> = {
        let mut all: Vec<i64> = rows.into_iter().collect();
        all.sort_unstable();
        all
    };
    a.record_webhook_attempt(ids[0], AttemptOutcome::Delivered { status: 200 })
        .await
        .unwrap();
    a.record_webhook_attempt(
        ids[1],
        AttemptOutcome::Retry {
            at: T0 + 10,
            status: Some(500),
            error: "HTTP 500".into(),
        },
    )
    .await
    .unwrap();
    a.record_webhook_attempt(
        ids[2],
        AttemptOutcome::GiveUp {
            status: None,
            error: "too old".into(),
        },
    )
    .await
    .unwrap();
    let again = b.claim_webhook_events(T0 + 10, 10, 1_000).await.unwrap();
    assert_eq!(
        again.iter().map(|e| (e.row, e.attempt)).collect::<Vec<_>>(),
        vec![(ids[1], 2)],
        "only the retried one"
    );
    assert_eq!(a.prune_webhook_events(T0).await.unwrap(), 0);
    assert_eq!(a.prune_webhook_events(T0 + 1).await.unwrap(), 1);
    a.set_webhook_sites(vec![]).await.unwrap();
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM webhook_outbox WHERE failed_at IS NOT NULL"
        )
        .await,
        59,
        "undelivered events of a removed webhook fail"
    );
}

/// Retention deletes old rejected comments (detaching replies), strips old ones, drops
/// reports and old audit rows; erasure removes one address's comments and bans.
#[tokio::test]
async fn purge_and_erase() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let clock = Clock::manual(T0);
    let store = db.open_with(clock.clone()).await;
    let ann = moderator(&store, "ann").await;
    let (old_rejected, _) = submit_as(
        &store,
        comment("old bad", Some("bad@x.io"), "1.0.0.1"),
        Status::Rejected,
    )
    .await;
    let (old_ok, _) = submit_as(
        &store,
        comment("old ok", Some("ok@x.io"), "1.0.0.2"),
        Status::Published,
    )
    .await;
    let (old_rejected, old_ok) = (stored(old_rejected), stored(old_ok));
    store.report(report(old_ok, "1.0.0.9", 5)).await.unwrap();
    store
        .decide(
            ann.clone(),
            SiteGrants::All,
            vec![request(old_ok, Decision::Approve, 1)],
        )
        .await
        .unwrap();
    clock.advance(Duration::from_millis(10 * DAY_MS as u64));
    let mut reply = comment("a reply", Some("ok@x.io"), "1.0.0.3");
    reply.parent_id = Some(old_ok);
    let (reply, _) = submit_as(&store, reply, Status::Published).await;
    let reply = stored(reply);

    let policy = RetentionPolicy {
        sites: vec![("news".into(), T0 + DAY_MS)],
        audit_before: Some(T0 + DAY_MS),
        failed_webhooks_before: T0,
        delivered_webhooks_before: T0,
    };
    let report = store.purge(&policy).await.unwrap();
    assert_eq!(report.rejected_comments_deleted, 1);
    assert_eq!(report.comments_stripped, 1);
    assert_eq!(report.reports_deleted, 1);
    assert_eq!(report.audit_entries_deleted, 1);
    assert!(store.comment(old_rejected).await.unwrap().is_none());
    let stripped = store.comment(old_ok).await.unwrap().unwrap();
    assert_eq!(
        (
            stripped.client_ip.as_str(),
            stripped.author_email,
            stripped.user_agent
        ),
        ("", None, None)
    );
    assert!(store.purge(&policy).await.unwrap().is_empty(), "idempotent");

    store
        .ban(
            ann,
            BanRequest {
                site: site(),
                target: BanTarget::Email(AuthorEmail::parse("ok@x.io").unwrap()),
                reject_existing: false,
                until: None,
                note: Note::default(),
            },
        )
        .await
        .unwrap();
    let mut other_reply = comment("answer", Some("z@x.io"), "1.0.0.4");
    other_reply.parent_id = Some(reply);
    let (other_reply, _) = submit_as(&store, other_reply, Status::Published).await;
    let erased = store.erase_author("ok@x.io".into()).await.unwrap();
    assert_eq!(erased.comments_deleted, 1, "the stripped one has no e-mail");
    assert_eq!(erased.sites, vec!["news".to_owned()]);
    assert_eq!(erased.replies_detached, 1);
    assert_eq!(erased.bans_deleted, 1);
    let kept = store.comment(stored(other_reply)).await.unwrap().unwrap();
    assert_eq!(kept.parent_id, None);
}

/// Moderators: added once per active name, found by token with their grants, revoked;
/// sessions: found until they expire or their moderator is revoked, ended.
#[tokio::test]
async fn moderators_and_sessions() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let clock = Clock::manual(T0);
    let store = db.open_with(clock.clone()).await;
    let new = |name: &str, token: &str, admin: bool| NewModerator {
        name: ModeratorName::parse(name).unwrap(),
        token_hash: TokenHash::of(token),
        is_admin: admin,
        sites: vec![SiteId::parse("sport").unwrap(), site()],
    };
    store
        .add_moderator(new("eve", "t1", false))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.add_moderator(new("eve", "t2", true)).await.unwrap(),
        Err(AddModeratorError::NameTaken("eve".into()))
    );
    store
        .add_moderator(new("root", "t3", true))
        .await
        .unwrap()
        .unwrap();
    let eve = store
        .moderator_by_token(TokenHash::of("t1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        eve.grants,
        SiteGrants::Only(vec!["news".into(), "sport".into()])
    );
    let list = store.moderators().await.unwrap();
    assert_eq!(
        list.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(),
        ["eve", "root"]
    );
    assert_eq!(list[0].sites, ["news", "sport"]);

    store
        .create_session(NewSession {
            hash: TokenHash::of("s1"),
            moderator_id: eve.id,
            expires_at: T0 + 1_000,
        })
        .await
        .unwrap();
    let session = store.session(TokenHash::of("s1")).await.unwrap().unwrap();
    assert_eq!(session.moderator.name, "eve");
    clock.advance(Duration::from_millis(1_000));
    assert!(
        store.session(TokenHash::of("s1")).await.unwrap().is_none(),
        "expired"
    );
    store
        .create_session(NewSession {
            hash: TokenHash::of("s2"),
            moderator_id: eve.id,
            expires_at: T0 + 5_000,
        })
        .await
        .unwrap();
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM sessions").await,
        1,
        "expired ones forgotten"
    );
    assert!(store.session(TokenHash::of("s2")).await.unwrap().is_some());
    assert!(store
        .revoke_moderator(ModeratorName::parse("eve").unwrap())
        .await
        .unwrap());
    assert!(
        store.session(TokenHash::of("s2")).await.unwrap().is_none(),
        "revoked"
    );
    assert!(store
        .moderator_by_token(TokenHash::of("t1"))
        .await
        .unwrap()
        .is_none());
    assert!(store.end_session(TokenHash::of("s2")).await.unwrap());
    assert!(!store.end_session(TokenHash::of("s2")).await.unwrap());
    // The name is free again.
    store
        .add_moderator(new("eve", "t4", false))
        .await
        .unwrap()
        .unwrap();
}

/// Rule changes are stored with an audit row each and raise the revision; a repeat writes
/// nothing; a refused request writes nothing at all; a reset removes the stored value.
#[tokio::test]
async fn rules_are_changed_whole_and_audited() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let store = db.open().await;
    let root = moderator(&store, "root").await;
    let base = RuleValues::from_config(&SiteConfig::default());
    let note = Note::parse(Some("trial")).unwrap();
    let close = vec![
        (
            Rule::ClosedArticles,
            RuleChange::Add(vec!["2024/trial".into()]),
        ),
        (Rule::SpamReview, RuleChange::Set(json!(0.4))),
    ];
    let done = store
        .change_rules(
            root.clone(),
            site(),
            base.clone(),
            close.clone(),
            note.clone(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.values.closed_articles, ["2024/trial"]);
    assert_eq!(done.changes.len(), 2);
    assert_eq!(done.revision, done.changes[1].id);
    let again = store
        .change_rules(root.clone(), site(), base.clone(), close, note.clone())
        .await
        .unwrap()
        .unwrap();
    assert!(again.changes.is_empty());
    assert_eq!(again.revision, done.revision);
    let refused = store
        .change_rules(
            root.clone(),
            site(),
            base.clone(),
            vec![
                (Rule::ClosedArticles, RuleChange::Add(vec!["x".into()])),
                (Rule::SpamReject, RuleChange::Set(json!(0.3))),
            ],
            note.clone(),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.field, "spam_review");
    let stored = store.stored_rules(site()).await.unwrap();
    assert_eq!(stored.rules.len(), 2);
    assert_eq!(stored.revision, done.revision);
    let reset = store
        .change_rules(
            root,
            site(),
            base,
            vec![(Rule::SpamReview, RuleChange::Reset)],
            note,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reset.changes[0].action, "reset");
    assert_eq!(store.stored_rules(site()).await.unwrap().rules.len(), 1);
    let log = store.rule_changes(site()).await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.rule.as_str()).collect::<Vec<_>>(),
        ["spam_review", "spam_review", "closed_articles"],
        "newest first"
    );
}

/// Migrations run once whoever opens first, also when several instances start at once;
/// every instance reads the same form-token secret; a foreign schema is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_are_shared_and_foreign_schemas_refused() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let mut opens = Vec::new();
    for _ in 0..4 {
        let url = db.url.clone();
        opens.push(tokio::spawn(async move {
            PgStore::open(&url, Clock::manual(T0), 2).await
        }));
    }
    let mut secrets = HashSet::new();
    for open in opens {
        let store = open.await.unwrap().unwrap();
        assert_eq!(store.form_token_secret().len(), 32);
        secrets.insert(store.form_token_secret().to_vec());
        store.ping().await.unwrap();
    }
    assert_eq!(secrets.len(), 1, "one shared secret");
    let reopened = db.open().await;
    assert!(secrets.contains(reopened.form_token_secret()));
    let client = reopened.client().await.unwrap();
    let setting = |name: &'static str| {
        let client = &client;
        async move {
            let row = client
                .query_one(&format!("SHOW {name}"), &[])
                .await
                .unwrap();
            row.get::<_, String>(0)
        }
    };
    assert_eq!(setting("lock_timeout").await, "10s");
    assert_eq!(setting("idle_in_transaction_session_timeout").await, "1min");
    assert_eq!(
        setting("search_path").await,
        db.schema,
        "the URL's options kept"
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM commentguard_migrations").await,
        2
    );

    let Some(foreign) = TestDb::new().await else {
        return;
    };
    foreign
        .sql()
        .await
        .batch_execute("CREATE TABLE wp_posts (id INT)")
        .await
        .unwrap();
    match PgStore::open(&foreign.url, Clock::manual(T0), 2).await {
        Err(StoreError::Foreign(_, why)) => assert!(why.contains("1 table"), "{why}"),
        other => panic!("expected Foreign, got {:?}", other.map(|_| ())),
    }
}

/// The model-set contract ([`crate::store::models`]) on PostgreSQL, with installs from two
/// stores (two instances) on one schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_sets_keep_their_contract() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let store: crate::store::Store = Arc::new(db.open().await);
    crate::store::models::contract::model_sets_keep_their_contract(store.clone(), T0).await;
    let other = db.open().await;
    let newest = store.latest_model_set().await.unwrap().unwrap();
    let installed = other
        .install_model_set(crate::store::NewModelSet::new(
            b"s".to_vec(),
            b"a".to_vec(),
            "other",
        ))
        .await
        .unwrap();
    assert_eq!(installed.set.version, newest.version + 1);
    assert_eq!(
        store.latest_model_set().await.unwrap().map(|h| h.version),
        Some(installed.set.version),
        "seen by the first instance"
    );
}

/// An unreachable server is "unavailable" (503 upstream), not an internal error.
#[tokio::test]
async fn unreachable_server_is_unavailable() {
    let Some(_db) = TestDb::new().await else {
        return;
    };
    // Port 1 on loopback: nothing listens there.
    match PgStore::open("postgres://postgres@127.0.0.1:1/test", Clock::manual(T0), 1).await {
        Err(err) => assert!(err.is_unavailable(), "{err:?}"),
        Ok(_) => panic!("opened a store on a closed port"),
    }
}

/// The same comment held on both backends gives webhook payloads with the same bytes, but
/// for the event id and the instants.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payloads_are_byte_identical_to_sqlite() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = crate::store::sqlite::open(
        &dir.path().join("c.db"),
        &crate::config::StorageConfig::default(),
        Clock::system(),
    )
    .unwrap();
    let pg = db.open_with(Clock::system()).await;
    let mut payloads = Vec::new();
    for backend in 0..2 {
        let mut c = comment("held «quoted» \"text\"", Some("p@x.io"), "192.0.2.7");
        c.article_url = Some(
            crate::domain::WebUrl::parse("https://news.example/a1?x=\"1\"", "article_url").unwrap(),
        );
        let q = query(&c);
        let record = Arc::new(NewCommentRecord::new(c, score(0.9), None, Duration::ZERO));
        let verdict = Arc::new(Given(Verdict {
            status: Status::Pending,
            reasons: vec![
                Reason {
                    code: ReasonCode::Spam,
                    outcome: Outcome::Hold,
                    detail: "0.9".into(),
                },
                Reason {
                    code: ReasonCode::TooManyLinks,
                    outcome: Outcome::Hold,
                    detail: "3".into(),
                },
            ],
        }));
        let claimed = if backend == 0 {
            sqlite.set_webhook_sites(vec!["news".into()]).await.unwrap();
            sqlite.submit(q, record, verdict).await.unwrap().unwrap();
            sqlite
                .claim_webhook_events(i64::MAX / 2, 10, 1)
                .await
                .unwrap()
        } else {
            pg.set_webhook_sites(vec!["news".into()]).await.unwrap();
            pg.submit(q, record, verdict).await.unwrap().unwrap();
            pg.claim_webhook_events(i64::MAX / 2, 10, 1).await.unwrap()
        };
        assert_eq!(claimed.len(), 1);
        // Event id and instants differ by nature: replace them.
        let mut text = claimed[0].payload.replace(&claimed[0].event_id, "evt_X");
        for key in ["\"occurred_at\":", "\"created_at\":", "\"updated_at\":"] {
            let at = text.find(key).unwrap() + key.len();
            let end = at + text[at..].find(|c: char| !c.is_ascii_digit()).unwrap();
            text.replace_range(at..end, "0");
        }
        payloads.push(text);
    }
    assert_eq!(payloads[0], payloads[1]);
}
