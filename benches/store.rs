//! The store's writer: a batch of 64 comment submissions through `Comments::submit` on the
//! SQLite store, behind the `Store` interface — the call the intake makes — in flight at once and awaited together, the way 64 concurrent HTTP
//! submissions reach the writer thread (author lookup, decision, duplicate check, insert,
//! webhook outbox, group commit, answered after the WAL is synced).
//!
//! Floor, measured in the same run: the same 64 rows (comment and its reasons) inserted with
//! plain rusqlite prepared INSERTs in one transaction, on a fresh file with the same schema
//! (made by `Store::open`, so every migration and index) and the store's pragmas (WAL,
//! `temp_store = MEMORY`, 8 MiB page cache), committing with `synchronous = FULL`.
//! Both sync the WAL once per group commit; the difference is what the writer does on top
//! of storing the rows. Compare medians and the ratio.
//!
//! Bodies are real comments from `training-data/*.csv`, each accepted by the service's own
//! validation (`CommentBody::parse`), in a fixed order (by SHA-256 of the text).
//!
//! Run: `cargo bench --bench store` (or `python3 benches/store_report.py`).
use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use commentguard::clock::Clock;
use commentguard::config::StorageConfig;
use commentguard::domain::{
    ArticleId, AuthorContext, AuthorEmail, AuthorName, AuthorQuery, CommentBody, Decide,
    ModelScore, NewComment, Outcome, Reason, ReasonCode, Refusal, SiteId, Status,
};
use commentguard::store::{sqlite, NewCommentRecord, Store, Submitted, Verdict};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

/// Submissions per batch: one per connection of the 64-connection load test.
const BATCH: usize = 64;
const DUPLICATE_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// Every corpus comment the service accepts as a body, ordered by SHA-256 of the text.
fn corpus_bodies() -> Vec<CommentBody> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("training-data/")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    let mut bodies: Vec<([u8; 32], CommentBody)> = Vec::new();
    for file in files {
        let mut reader = csv::Reader::from_path(&file).expect("corpus file");
        let column = reader
            .headers()
            .expect("csv header")
            .iter()
            .position(|h| h == "text")
            .expect("a text column");
        for record in reader.records() {
            let record = record.expect("corpus row");
            if let Ok(body) = CommentBody::parse(&record[column]) {
                bodies.push((Sha256::digest(body.as_str().as_bytes()).into(), body));
            }
        }
    }
    bodies.sort_by_key(|a| a.0);
    bodies.dedup_by(|a, b| a.0 == b.0);
    bodies.into_iter().map(|(_, body)| body).collect()
}

/// The `seq`-th submission: a new author (e-mail, IP) each time, 97 articles, every other
/// comment held for spam, as the load test sends them.
struct Row {
    comment: NewComment,
    status: Status,
    reasons: Vec<Reason>,
    spam: ModelScore,
    abuse: ModelScore,
}

fn row(bodies: &[CommentBody], seq: u64) -> Row {
    let site = SiteId::parse("bench").expect("site id");
    let ip = IpAddr::V6(Ipv6Addr::new(
        0x2001,
        0xdb8,
        0,
        0,
        0,
        (seq >> 32) as u16,
        (seq >> 16) as u16,
        seq as u16,
    ));
    let comment = NewComment {
        site,
        article_id: ArticleId::parse(&format!("article-{}", seq % 97)).expect("article id"),
        article_url: None,
        parent_id: None,
        author_name: AuthorName::parse(&format!("Reader {seq}")).expect("name"),
        author_email: Some(
            AuthorEmail::parse(&format!("reader-{seq}@example.com")).expect("e-mail"),
        ),
        author_url: None,
        body: bodies[seq as usize % bodies.len()].clone(),
        client_ip: ip,
        user_agent: Some("criterion".into()),
    };
    let held = seq % 2 == 1;
    let reasons = if held {
        vec![Reason {
            code: ReasonCode::Spam,
            outcome: Outcome::Hold,
            detail: "score 0.93 >= 0.90".into(),
        }]
    } else {
        Vec::new()
    };
    let score = |p: f64| ModelScore {
        probability: p,
        top_tokens: vec!["free".into(), "click".into(), "subscribe".into()],
    };
    Row {
        comment,
        status: if held {
            Status::Pending
        } else {
            Status::Published
        },
        reasons,
        spam: score(if held { 0.93 } else { 0.04 }),
        abuse: score(0.02),
    }
}

/// A decision fixed in advance (the pipeline's phases are benchmarked elsewhere).
struct Fixed(Verdict);

impl Decide for Fixed {
    fn decide(&self, _author: &AuthorContext, _comment: &NewComment) -> Result<Verdict, Refusal> {
        Ok(self.0.clone())
    }
}

/// One batch through the service's writer: 64 `submit` calls awaited together.
async fn submit_batch(store: &Store, bodies: &Arc<Vec<CommentBody>>, first: u64) {
    let mut tasks = tokio::task::JoinSet::new();
    for seq in first..first + BATCH as u64 {
        let store = store.clone();
        let r = row(bodies, seq);
        tasks.spawn(async move {
            let query = AuthorQuery {
                site: r.comment.site.clone(),
                email: r.comment.author_email.clone(),
                ip: r.comment.client_ip,
                parent: None,
                trust_after: 3,
            };
            // As the intake does: the record is built (hashed, explanations encoded)
            // before the write; `decide`, on the writer thread, only gives the verdict.
            let record = Arc::new(NewCommentRecord::new(
                r.comment,
                Some(r.spam),
                Some(r.abuse),
                DUPLICATE_WINDOW,
            ));
            // As the intake does: one `Arc` per submission for its decision.
            let decide = Arc::new(Fixed(Verdict {
                status: r.status,
                reasons: r.reasons,
            }));
            store.submit(query, record, decide).await
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (submitted, _) = done.expect("task").expect("store").expect("never refused");
        assert!(
            matches!(submitted, Submitted::Stored { .. }),
            "{submitted:?}"
        );
    }
}

/// The floor: the same rows, plain prepared INSERTs, one transaction, one commit.
fn insert_batch(conn: &mut Connection, bodies: &[CommentBody], first: u64, now: i64) {
    let tx = conn.transaction().expect("begin");
    {
        let mut comment = tx
            .prepare_cached(
                "INSERT INTO comments (
                    site_id, article_id, article_url, parent_id, author_name, author_email,
                    author_url, body, body_hash, status, spam_score, abuse_score, spam_tokens,
                    abuse_tokens, client_ip, user_agent, created_at, updated_at)
                 VALUES (?1, ?2, NULL, NULL, ?3, ?4, NULL, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
                         ?14, ?14)",
            )
            .expect("prepare");
        let mut reason = tx
            .prepare_cached(
                "INSERT INTO comment_reasons (comment_id, seq, code, outcome, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .expect("prepare");
        for seq in first..first + BATCH as u64 {
            let r = row(bodies, seq);
            let c = &r.comment;
            let hash: [u8; 32] = Sha256::digest(c.body.as_str().as_bytes()).into();
            let tokens = |s: &ModelScore| serde_json::to_string(&s.top_tokens).expect("json");
            comment
                .execute(params![
                    c.site.as_str(),
                    c.article_id.as_str(),
                    c.author_name.as_str(),
                    c.author_email.as_ref().map(AuthorEmail::as_str),
                    c.body.as_str(),
                    &hash[..],
                    r.status.as_str(),
                    r.spam.probability,
                    r.abuse.probability,
                    tokens(&r.spam),
                    tokens(&r.abuse),
                    c.client_ip.to_string(),
                    c.user_agent,
                    now,
                ])
                .expect("insert comment");
            let id = tx.last_insert_rowid();
            for (i, x) in r.reasons.iter().enumerate() {
                reason
                    .execute(params![
                        id,
                        i as i64,
                        x.code.as_str(),
                        x.outcome.as_str(),
                        x.detail
                    ])
                    .expect("insert reason");
            }
        }
    }
    tx.commit().expect("commit");
}

fn writer(c: &mut Criterion) {
    let bodies = Arc::new(corpus_bodies());
    assert!(bodies.len() > 10 * BATCH, "corpus bodies: {}", bodies.len());
    let dir = tempfile::tempdir().expect("temporary directory");
    let storage = StorageConfig::default();

    // The floor's file: the same schema, made by the store, then a plain connection.
    let floor_path = dir.path().join("floor.db");
    drop(sqlite::open(&floor_path, &storage, Clock::system()).expect("floor schema"));
    let mut floor = Connection::open(&floor_path).expect("floor connection");
    floor
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
             PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8192;",
        )
        .expect("floor pragmas");
    floor.set_prepared_statement_cache_capacity(64);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let store: Store =
        sqlite::open(&dir.path().join("store.db"), &storage, Clock::system()).expect("store");

    let mut group = c.benchmark_group("store_writer");
    group.throughput(Throughput::Elements(BATCH as u64));
    let mut seq = 0u64;
    group.bench_function(
        BenchmarkId::new("commentguard Store::submit", format!("{BATCH} concurrent")),
        |b| {
            b.iter(|| {
                rt.block_on(submit_batch(&store, &bodies, seq));
                seq += BATCH as u64;
            })
        },
    );
    let mut seq = 0u64;
    group.bench_function(
        BenchmarkId::new("rusqlite floor", format!("{BATCH} rows, one transaction")),
        |b| {
            b.iter(|| {
                insert_batch(&mut floor, &bodies, seq, 1_700_000_000_000);
                seq += BATCH as u64;
            })
        },
    );
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(60).measurement_time(Duration::from_secs(8));
    targets = writer
}
criterion_main!(benches);
