//! Comment queries. Statements are prepared once per connection (`prepare_cached`).
use std::net::IpAddr;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::outbox::{enqueue_event, WebhookEvent};
use super::StoreError;
use crate::domain::{
    ArticleId, ArticleTitle, AuthorEmail, CommentId, ModelScore, NewComment, Reason, ReasonCode,
    SiteId, Status,
};

// The statements every submission runs on the writer, named so that tests can look them
// up in the connection's statement cache.

/// Same body by the same e-mail or IP on the site since ?3: a duplicate.
///
/// Runs on the author indexes `comments_by_email` and `comments_by_ip` (site_id, author,
/// status, body_hash), which every comment updates anyway, rather than on an index of its
/// own (migration 0004): one exact probe per author key and status. Spelled out arm by
/// arm because `status IN (...)` would build a temporary table for the list on every
/// execution (measured: ~3 µs each). The arms must name every status of the `comments`
/// CHECK constraint — pinned by the test `duplicate_check_names_every_status`.
const DUPLICATE: &str = "\
SELECT id FROM comments WHERE site_id = ?1 AND author_email = ?4 AND status = 'published' AND body_hash = ?2 AND created_at >= ?3 UNION ALL \
SELECT id FROM comments WHERE site_id = ?1 AND author_email = ?4 AND status = 'pending' AND body_hash = ?2 AND created_at >= ?3 UNION ALL \
SELECT id FROM comments WHERE site_id = ?1 AND author_email = ?4 AND status = 'rejected' AND body_hash = ?2 AND created_at >= ?3 UNION ALL \
SELECT id FROM comments WHERE site_id = ?1 AND author_email = ?4 AND status = 'reported' AND body_hash = ?2 AND created_at >= ?3 UNION ALL \
SELECT id FROM comments WHERE site_id = ?1 AND client_ip = ?5 AND status = 'published' AND body_hash = ?2 AND created_at >= ?3 UNION ALL \
SELECT id FROM comments WHERE site_id = ?1 AND client_ip = ?5 AND status = 'pending' AND body_hash = ?2 AND created_at >= ?3 UNION ALL \
SELECT id FROM comments WHERE site_id = ?1 AND client_ip = ?5 AND status = 'rejected' AND body_hash = ?2 AND created_at >= ?3 UNION ALL \
SELECT id FROM comments WHERE site_id = ?1 AND client_ip = ?5 AND status = 'reported' AND body_hash = ?2 AND created_at >= ?3 \
LIMIT 1";
const INSERT_COMMENT: &str = "INSERT INTO comments (
        site_id, article_id, article_url, parent_id, author_name, author_email,
        author_url, body, body_hash, status, spam_score, abuse_score, spam_tokens,
        abuse_tokens, client_ip, user_agent, created_at, updated_at, article_title)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, ?18)";
const INSERT_REASON: &str = "INSERT INTO comment_reasons (comment_id, seq, code, outcome, detail)
     VALUES (?1, ?2, ?3, ?4, ?5)";
/// An active ban on the author's e-mail; asked first.
const BAN_BY_EMAIL: &str = "SELECT note FROM bans
     WHERE site_id = ?1 AND author_email = ?3 AND lifted_at IS NULL
       AND (until IS NULL OR until > ?2)
     LIMIT 1";
/// An active ban on the author's IP. (Two statements rather than one with
/// `ORDER BY author_email IS NULL`, which sorted in a temporary B-tree on every call.)
const BAN_BY_IP: &str = "SELECT note FROM bans
     WHERE site_id = ?1 AND client_ip = ?3 AND lifted_at IS NULL
       AND (until IS NULL OR until > ?2)
     LIMIT 1";
/// Published comments by the e-mail, counted up to ?3.
///
/// `LIMIT CAST(?3 AS INTEGER)`, not `LIMIT ?3`: SQLite (3.53) reads a bare `LIMIT ?N`'s
/// bound value while planning and marks the statement to be re-prepared whenever ?N is
/// bound again — on every execution, since each one binds all parameters. Measured: that
/// re-prepare was ~13% of the writer thread's time. Through a CAST the limit is evaluated
/// at run time and the plan never depends on the binding (see the test
/// `writer_statements_are_never_reprepared`).
const PUBLISHED_BY_EMAIL: &str = "SELECT COUNT(*) FROM (
       SELECT 1 FROM comments
       WHERE site_id = ?1 AND author_email = ?2 AND status = 'published'
       LIMIT CAST(?3 AS INTEGER))";
const REJECTED_BY_EMAIL: &str = "SELECT EXISTS (SELECT 1 FROM comments
     WHERE site_id = ?1 AND author_email = ?2 AND status = 'rejected')";
const PARENT: &str = "SELECT article_id, status FROM comments WHERE id = ?1 AND site_id = ?2";

/// A scored comment ready to be stored once the pipeline has decided its status. Built
/// on the async side, before the decision, so that the writer thread only runs the
/// pipeline and SQL (hashing and JSON encoding happen here).
#[derive(Debug)]
pub struct NewCommentRecord {
    pub comment: NewComment,
    pub spam: Option<ModelScore>,
    pub abuse: Option<ModelScore>,
    body_hash: [u8; 32],
    spam_tokens: Option<String>,
    abuse_tokens: Option<String>,
    /// A comment with the same body by the same e-mail or IP within this window is a
    /// duplicate.
    duplicate_window: Duration,
    /// The article's headline, if the submission gave one (display only: the pipeline
    /// never reads it).
    article_title: Option<ArticleTitle>,
}

impl NewCommentRecord {
    pub fn new(
        comment: NewComment,
        spam: Option<ModelScore>,
        abuse: Option<ModelScore>,
        duplicate_window: Duration,
    ) -> Self {
        let body_hash = Sha256::digest(comment.body.as_str().as_bytes()).into();
        let tokens = |s: &Option<ModelScore>| {
            s.as_ref()
                .map(|s| serde_json::to_string(&s.top_tokens).unwrap_or_else(|_| "[]".into()))
        };
        NewCommentRecord {
            spam_tokens: tokens(&spam),
            abuse_tokens: tokens(&abuse),
            comment,
            spam,
            abuse,
            body_hash,
            duplicate_window,
            article_title: None,
        }
    }

    /// The record with the article's headline.
    pub fn with_article_title(mut self, title: Option<ArticleTitle>) -> Self {
        self.article_title = title;
        self
    }

    // Read by the PostgreSQL backend (`store::postgres`), which stores the same record.

    /// SHA-256 of the body.
    pub(crate) fn body_hash(&self) -> &[u8; 32] {
        &self.body_hash
    }

    /// The spam and abuse models' top tokens, as JSON arrays.
    pub(crate) fn tokens_json(&self) -> (Option<&str>, Option<&str>) {
        (self.spam_tokens.as_deref(), self.abuse_tokens.as_deref())
    }

    /// The duplicate window.
    pub(crate) fn duplicate_window(&self) -> Duration {
        self.duplicate_window
    }

    /// The article's headline, if the submission gave one.
    pub(crate) fn article_title(&self) -> Option<&ArticleTitle> {
        self.article_title.as_ref()
    }
}

/// What the moderation pipeline decided for a [`NewCommentRecord`].
#[derive(Debug, Clone)]
pub struct Verdict {
    pub status: Status,
    pub reasons: Vec<Reason>,
}

/// What [`super::Store::submit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// Stored and committed.
    Stored { id: CommentId, created_at: i64 },
    /// Not stored: the same author or IP posted the same body recently.
    Duplicate { existing: CommentId },
}

/// Inserts `rec` with `verdict` unless it is a duplicate. Runs inside the writer's
/// transaction, so the check and the insert are atomic with respect to every other
/// submission.
pub(super) fn insert(
    conn: &Connection,
    rec: &NewCommentRecord,
    verdict: &Verdict,
    now: i64,
) -> Result<Submitted, StoreError> {
    let c = &rec.comment;
    let email = c.author_email.as_ref().map(AuthorEmail::as_str);
    let ip = c.client_ip.to_string();
    let window = i64::try_from(rec.duplicate_window.as_millis()).unwrap_or(i64::MAX);
    let since = now.saturating_sub(window);
    let existing: Option<i64> = conn
        .prepare_cached(DUPLICATE)?
        .query_row(
            params![c.site.as_str(), &rec.body_hash[..], since, email, ip],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(existing) = existing.and_then(CommentId::new) {
        return Ok(Submitted::Duplicate { existing });
    }
    conn.prepare_cached(INSERT_COMMENT)?.execute(params![
        c.site.as_str(),
        c.article_id.as_str(),
        c.article_url.as_ref().map(|u| u.as_str()),
        c.parent_id.map(CommentId::get),
        c.author_name.as_str(),
        email,
        c.author_url.as_ref().map(|u| u.as_str()),
        c.body.as_str(),
        &rec.body_hash[..],
        verdict.status.as_str(),
        rec.spam.as_ref().map(|s| s.probability),
        rec.abuse.as_ref().map(|s| s.probability),
        rec.spam_tokens,
        rec.abuse_tokens,
        ip,
        c.user_agent,
        now,
        rec.article_title.as_ref().map(ArticleTitle::as_str),
    ])?;
    let id = conn.last_insert_rowid();
    let mut reason = conn.prepare_cached(INSERT_REASON)?;
    for (seq, r) in verdict.reasons.iter().enumerate() {
        reason.execute(params![
            id,
            seq as i64,
            r.code.as_str(),
            r.outcome.as_str(),
            r.detail
        ])?;
    }
    // Same transaction as the insert: the webhook event exists iff the comment does.
    let event = WebhookEvent::for_status(verdict.status);
    enqueue_event(conn, c.site.as_str(), event.as_str(), id)?;
    let id = CommentId::new(id).ok_or_else(|| StoreError::Corrupt(format!("rowid {id}")))?;
    Ok(Submitted::Stored {
        id,
        created_at: now,
    })
}

/// What the pipeline asks about a submission's author and parent.
#[derive(Debug, Clone)]
pub struct AuthorQuery {
    pub site: SiteId,
    pub email: Option<AuthorEmail>,
    pub ip: IpAddr,
    pub parent: Option<CommentId>,
    /// How many published comments make an author trusted (0 = don't count).
    pub trust_after: u32,
}

/// An active ban matching the author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ban {
    Email { note: String },
    Ip { note: String },
}

/// The parent a reply names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentInfo {
    pub article_id: String,
    pub published: bool,
}

/// The store's answer to an [`AuthorQuery`].
#[derive(Debug, Clone, Default)]
pub struct AuthorContext {
    pub ban: Option<Ban>,
    /// Published comments by this e-mail on the site, counted up to `trust_after`.
    pub published: u32,
    /// Whether any comment by this e-mail on the site was rejected.
    pub has_rejected: bool,
    /// The parent, if one was named and it exists on the same site.
    pub parent: Option<ParentInfo>,
}

impl AuthorContext {
    /// Trusted: at least `after` published comments and never a rejected one.
    pub fn is_trusted(&self, after: u32) -> bool {
        after > 0 && self.published >= after && !self.has_rejected
    }
}

pub(super) fn author_context(
    conn: &Connection,
    q: &AuthorQuery,
    now: i64,
) -> Result<AuthorContext, StoreError> {
    let site = q.site.as_str();
    let email = q.email.as_ref().map(AuthorEmail::as_str);
    let ip = q.ip.to_string();
    let by_email = match email {
        Some(email) => conn
            .prepare_cached(BAN_BY_EMAIL)?
            .query_row(params![site, now, email], |row| row.get(0))
            .optional()?
            .map(|note| Ban::Email { note }),
        None => None,
    };
    let ban = match by_email {
        Some(ban) => Some(ban),
        None => conn
            .prepare_cached(BAN_BY_IP)?
            .query_row(params![site, now, ip], |row| row.get(0))
            .optional()?
            .map(|note| Ban::Ip { note }),
    };
    let (mut published, mut has_rejected) = (0, false);
    if let (Some(email), true) = (email, q.trust_after > 0) {
        published = conn
            .prepare_cached(PUBLISHED_BY_EMAIL)?
            .query_row(params![site, email, q.trust_after], |row| row.get(0))?;
        if published >= q.trust_after {
            has_rejected = conn
                .prepare_cached(REJECTED_BY_EMAIL)?
                .query_row(params![site, email], |row| row.get(0))?;
        }
    }
    let parent = match q.parent {
        None => None,
        Some(parent) => conn
            .prepare_cached(PARENT)?
            .query_row(params![parent.get(), site], |row| {
                Ok(ParentInfo {
                    article_id: row.get(0)?,
                    published: row.get::<_, String>(1)? == "published",
                })
            })
            .optional()?,
    };
    Ok(AuthorContext {
        ban,
        published,
        has_rejected,
        parent,
    })
}

/// A comment as readers of the article see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PublishedComment {
    pub id: CommentId,
    pub parent_id: Option<CommentId>,
    pub author_name: String,
    pub author_url: Option<String>,
    pub body: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// Published comments of an article after the keyset cursor ?3 (`CAST`: see
/// [`PUBLISHED_BY_EMAIL`]).
const LISTING: &str = "SELECT id, parent_id, author_name, author_url, body, created_at
     FROM comments
     WHERE site_id = ?1 AND article_id = ?2 AND status = 'published' AND id > ?3
     ORDER BY id
     LIMIT CAST(?4 AS INTEGER)";

pub(super) fn published(
    conn: &Connection,
    site: &SiteId,
    article: &ArticleId,
    after: Option<CommentId>,
    limit: usize,
) -> Result<Vec<PublishedComment>, StoreError> {
    let mut stmt = conn.prepare_cached(LISTING)?;
    let rows = stmt.query_map(
        params![
            site.as_str(),
            article.as_str(),
            after.map_or(0, CommentId::get),
            i64::try_from(limit).unwrap_or(i64::MAX)
        ],
        |row| {
            Ok(PublishedComment {
                id: row.get(0)?,
                parent_id: row.get(1)?,
                author_name: row.get(2)?,
                author_url: row.get(3)?,
                body: row.get(4)?,
                created_at: row.get(5)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Everything stored about one comment (for its backend and for moderators).
#[derive(Debug, Clone)]
pub struct StoredComment {
    pub id: CommentId,
    pub site_id: String,
    pub article_id: String,
    pub article_url: Option<String>,
    /// The headline this comment was submitted with, if any.
    pub article_title: Option<String>,
    pub parent_id: Option<CommentId>,
    pub author_name: String,
    pub author_email: Option<String>,
    pub author_url: Option<String>,
    pub body: String,
    pub status: Status,
    pub spam: Option<ModelScore>,
    pub abuse: Option<ModelScore>,
    pub reasons: Vec<Reason>,
    pub client_ip: String,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
}

fn score(probability: Option<f64>, tokens: Option<String>) -> Option<ModelScore> {
    probability.map(|probability| ModelScore {
        probability,
        top_tokens: tokens
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
    })
}

pub(super) fn get(conn: &Connection, id: CommentId) -> Result<Option<StoredComment>, StoreError> {
    let row = conn
        .prepare_cached(
            "SELECT id, site_id, article_id, article_url, parent_id, author_name, author_email,
                    author_url, body, status, spam_score, abuse_score, spam_tokens,
                    abuse_tokens, client_ip, user_agent, created_at, updated_at, version,
                    article_title
             FROM comments WHERE id = ?1",
        )?
        .query_row([id.get()], |row| {
            Ok((
                StoredComment {
                    id,
                    site_id: row.get(1)?,
                    article_id: row.get(2)?,
                    article_url: row.get(3)?,
                    article_title: row.get(19)?,
                    parent_id: row.get(4)?,
                    author_name: row.get(5)?,
                    author_email: row.get(6)?,
                    author_url: row.get(7)?,
                    body: row.get(8)?,
                    status: Status::Pending,
                    spam: score(row.get(10)?, row.get(12)?),
                    abuse: score(row.get(11)?, row.get(13)?),
                    reasons: Vec::new(),
                    client_ip: row.get(14)?,
                    user_agent: row.get(15)?,
                    created_at: row.get(16)?,
                    updated_at: row.get(17)?,
                    version: row.get(18)?,
                },
                row.get::<_, String>(9)?,
            ))
        })
        .optional()?;
    let Some((mut comment, status)) = row else {
        return Ok(None);
    };
    comment.status = status.parse().map_err(StoreError::Corrupt)?;
    let mut stmt = conn.prepare_cached(
        "SELECT code, outcome, detail FROM comment_reasons WHERE comment_id = ?1 ORDER BY seq",
    )?;
    let reasons = stmt.query_map([id.get()], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
        ))
    })?;
    for r in reasons {
        let (code, outcome, detail) = r?;
        let code: ReasonCode = serde_json::from_value(serde_json::Value::String(code))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let outcome = serde_json::from_value(serde_json::Value::String(outcome))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        comment.reasons.push(Reason {
            code,
            outcome,
            detail,
        });
    }
    Ok(Some(comment))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{AuthorName, CommentBody, Outcome};

    fn conn() -> Connection {
        super::super::schema::migrated_in_memory()
    }

    fn comment(body: &str, email: Option<&str>, ip: &str) -> NewComment {
        NewComment {
            site: SiteId::parse("news").unwrap(),
            article_id: ArticleId::parse("a1").unwrap(),
            article_url: None,
            parent_id: None,
            author_name: AuthorName::parse("Ann").unwrap(),
            author_email: email.map(|e| AuthorEmail::parse(e).unwrap()),
            author_url: None,
            body: CommentBody::parse(body).unwrap(),
            client_ip: ip.parse().unwrap(),
            user_agent: None,
        }
    }

    fn record(c: NewComment, status: Status) -> (NewCommentRecord, Verdict) {
        let reasons = vec![Reason {
            code: ReasonCode::Spam,
            outcome: Outcome::Hold,
            detail: "0.9".into(),
        }];
        let spam = Some(ModelScore {
            probability: 0.9,
            top_tokens: vec!["free".into()],
        });
        (
            NewCommentRecord::new(c, spam, None, Duration::from_secs(86_400)),
            Verdict { status, reasons },
        )
    }

    /// [`super::insert`] of a record and its verdict, as built by [`record`].
    fn insert(
        conn: &Connection,
        decided: &(NewCommentRecord, Verdict),
        now: i64,
    ) -> Result<Submitted, StoreError> {
        super::insert(conn, &decided.0, &decided.1, now)
    }

    fn stored(s: Submitted) -> CommentId {
        match s {
            Submitted::Stored { id, .. } => id,
            other => panic!("expected stored, got {other:?}"),
        }
    }

    /// A stored comment reads back with its reasons and scores.
    #[test]
    fn insert_then_get() {
        let conn = conn();
        let id = stored(
            insert(
                &conn,
                &record(comment("hi", None, "1.2.3.4"), Status::Pending),
                1000,
            )
            .unwrap(),
        );
        let got = get(&conn, id).unwrap().unwrap();
        assert_eq!(got.status, Status::Pending);
        assert_eq!(got.reasons[0].code, ReasonCode::Spam);
        assert_eq!(got.spam.unwrap().top_tokens, vec!["free".to_owned()]);
        assert!(got.abuse.is_none());
    }

    /// Same body from the same e-mail or IP within the window is a duplicate; otherwise not.
    #[test]
    fn duplicates() {
        let conn = conn();
        let day = 86_400_000;
        stored(
            insert(
                &conn,
                &record(
                    comment("same", Some("a@x.io"), "1.1.1.1"),
                    Status::Published,
                ),
                0,
            )
            .unwrap(),
        );
        let cases = [
            ("same", Some("a@x.io"), "2.2.2.2", 10, true, "same e-mail"),
            ("same", None, "1.1.1.1", 10, true, "same IP"),
            ("same", Some("b@x.io"), "2.2.2.2", 10, false, "other author"),
            ("other", Some("a@x.io"), "1.1.1.1", 10, false, "other body"),
            (
                "same",
                Some("a@x.io"),
                "1.1.1.1",
                day + 1,
                false,
                "after the window",
            ),
        ];
        for (body, email, ip, at, dup, why) in cases {
            conn.execute_batch("SAVEPOINT t").unwrap();
            let out = insert(
                &conn,
                &record(comment(body, email, ip), Status::Published),
                at,
            )
            .unwrap();
            conn.execute_batch("ROLLBACK TO t; RELEASE t").unwrap();
            assert_eq!(matches!(out, Submitted::Duplicate { .. }), dup, "{why}");
        }
    }

    /// Trust counts published comments and is lost by a single rejection; bans match.
    #[test]
    fn author_context_counts_and_bans() {
        let conn = conn();
        for i in 0..3 {
            insert(
                &conn,
                &record(
                    comment(&format!("c{i}"), Some("a@x.io"), "1.1.1.1"),
                    Status::Published,
                ),
                i,
            )
            .unwrap();
        }
        let q = AuthorQuery {
            site: SiteId::parse("news").unwrap(),
            email: Some(AuthorEmail::parse("a@x.io").unwrap()),
            ip: "9.9.9.9".parse().unwrap(),
            parent: CommentId::new(1),
            trust_after: 3,
        };
        let ctx = author_context(&conn, &q, 10).unwrap();
        assert!(ctx.is_trusted(3));
        assert_eq!(
            ctx.parent,
            Some(ParentInfo {
                article_id: "a1".into(),
                published: true
            })
        );
        assert_eq!(ctx.ban, None);
        insert(
            &conn,
            &record(comment("bad", Some("a@x.io"), "1.1.1.1"), Status::Rejected),
            5,
        )
        .unwrap();
        assert!(!author_context(&conn, &q, 10).unwrap().is_trusted(3));
        conn.execute(
            "INSERT INTO bans (site_id, client_ip, note, created_at, until) VALUES ('news', '9.9.9.9', 'flood', 0, 100)",
            [],
        ).unwrap();
        assert_eq!(
            author_context(&conn, &q, 10).unwrap().ban,
            Some(Ban::Ip {
                note: "flood".into()
            })
        );
        assert_eq!(
            author_context(&conn, &q, 100).unwrap().ban,
            None,
            "expired ban"
        );
    }

    /// The listing shows only published comments of the article, oldest first, after the cursor.
    #[test]
    fn listing_is_keyset_paginated() {
        let conn = conn();
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
            ids.push(stored(
                insert(
                    &conn,
                    &record(
                        comment(&format!("c{i}"), None, &format!("1.1.1.{i}")),
                        status,
                    ),
                    0,
                )
                .unwrap(),
            ));
        }
        let site = SiteId::parse("news").unwrap();
        let article = ArticleId::parse("a1").unwrap();
        let page = published(&conn, &site, &article, None, 2).unwrap();
        assert_eq!(
            page.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![ids[0], ids[2]]
        );
        let page = published(&conn, &site, &article, Some(ids[2]), 2).unwrap();
        assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ids[3]]);
    }

    /// The statements each submission runs on the writer, by name.
    const WRITER_STATEMENTS: [(&str, &str); 10] = [
        ("DUPLICATE", DUPLICATE),
        ("INSERT_COMMENT", INSERT_COMMENT),
        ("INSERT_REASON", INSERT_REASON),
        ("BAN_BY_EMAIL", BAN_BY_EMAIL),
        ("BAN_BY_IP", BAN_BY_IP),
        ("PUBLISHED_BY_EMAIL", PUBLISHED_BY_EMAIL),
        ("REJECTED_BY_EMAIL", REJECTED_BY_EMAIL),
        ("PARENT", PARENT),
        ("HAS_WEBHOOK", super::super::outbox::HAS_WEBHOOK_SQL),
        ("ENQUEUE", super::super::outbox::ENQUEUE_SQL),
    ];

    /// Runs `sql`'s `EXPLAIN QUERY PLAN` (parameters unbound) and returns its lines.
    fn plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let mut rows = stmt.raw_query();
        let mut lines = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            lines.push(row.get::<_, String>(3).unwrap());
        }
        lines
    }

    /// How many temporary tables `sql`'s program opens (`OpenEphemeral`).
    fn ephemeral_tables(conn: &Connection, sql: &str) -> usize {
        let mut stmt = conn.prepare(&format!("EXPLAIN {sql}")).unwrap();
        let mut rows = stmt.raw_query();
        let mut n = 0;
        while let Some(row) = rows.next().unwrap() {
            n += usize::from(row.get::<_, String>(1).unwrap() == "OpenEphemeral");
        }
        n
    }

    /// A file database as the writer opens it (pragmas, migrations, statement cache).
    fn writer_conn() -> (Connection, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let conn =
            super::super::schema::open_writer(&dir.path().join("w.db"), Duration::from_secs(5))
                .unwrap();
        (conn, dir)
    }

    /// No statement of the submission path is re-prepared when it is bound again: SQLite
    /// re-prepares a statement whose plan depended on a bound value (e.g. `LIMIT ?N`) at
    /// every execution, which was ~13% of the writer's time.
    #[test]
    fn writer_statements_are_never_reprepared() {
        use rusqlite::StatementStatus;
        let (conn, _dir) = writer_conn();
        conn.execute_batch(
            "INSERT INTO bans (site_id, client_ip, note, created_at) VALUES ('news', '9.9.9.9', 'ip', 0);
             INSERT INTO bans (site_id, author_email, note, created_at) VALUES ('news', 'b1@x.io', 'mail', 0);
             INSERT INTO webhook_sites (site_id) VALUES ('news');",
        )
        .unwrap();
        for i in 0..60i64 {
            // Half with an e-mail, repeat authors (so trust is counted and checked), a
            // parent, and every kind of ban hit.
            let email = (i % 2 == 0).then(|| format!("b{}@x.io", i % 5));
            let ip = if i % 7 == 0 {
                "9.9.9.9".to_owned()
            } else {
                format!("10.0.0.{i}")
            };
            let q = AuthorQuery {
                site: SiteId::parse("news").unwrap(),
                email: email.as_deref().map(|e| AuthorEmail::parse(e).unwrap()),
                ip: ip.parse().unwrap(),
                parent: CommentId::new(1),
                trust_after: 2,
            };
            author_context(&conn, &q, 1000 + i).unwrap();
            let status = if i % 3 == 0 {
                Status::Pending
            } else {
                Status::Published
            };
            insert(
                &conn,
                &record(
                    comment(&format!("c{}", i % 9), email.as_deref(), &ip),
                    status,
                ),
                1000 + i,
            )
            .unwrap();
        }
        for (name, sql) in WRITER_STATEMENTS {
            let stmt = conn.prepare_cached(sql).unwrap();
            assert!(
                stmt.get_status(StatementStatus::Run) > 0,
                "{name} never ran"
            );
            assert_eq!(
                stmt.get_status(StatementStatus::RePrepare),
                0,
                "{name} was re-prepared"
            );
        }
        // The public listing, bound with different limits.
        let (site, article) = (
            SiteId::parse("news").unwrap(),
            ArticleId::parse("a1").unwrap(),
        );
        for limit in 1..5 {
            published(&conn, &site, &article, None, limit).unwrap();
        }
        let listing = conn.prepare_cached(LISTING).unwrap();
        assert_eq!(
            listing.get_status(StatementStatus::RePrepare),
            0,
            "listing re-prepared"
        );
    }

    /// Every statement of the submission path is an index lookup: no table scan, no sort,
    /// no temporary table; duplicates are found through the two author indexes.
    #[test]
    fn writer_statements_use_indexes() {
        let (conn, _dir) = writer_conn();
        for (name, sql) in WRITER_STATEMENTS {
            let lines = plan(&conn, sql);
            for line in &lines {
                assert!(
                    !line.starts_with("SCAN comments") && !line.starts_with("SCAN bans"),
                    "{name} scans a table: {lines:?}"
                );
                assert!(!line.contains("TEMP B-TREE"), "{name} sorts: {lines:?}");
            }
            // Not even for a CHECK: migration 0005 spelled the lists out as OR chains.
            assert_eq!(ephemeral_tables(&conn, sql), 0, "{name}: temporary tables");
        }
        let dup = plan(&conn, DUPLICATE).join("\n");
        assert_eq!(dup.matches("USING INDEX comments_by_email (site_id=? AND author_email=? AND status=? AND body_hash=?)").count(), 4, "{dup}");
        assert_eq!(dup.matches("USING INDEX comments_by_ip (site_id=? AND client_ip=? AND status=? AND body_hash=?)").count(), 4, "{dup}");
        for (sql, index) in [(BAN_BY_EMAIL, "bans_by_email"), (BAN_BY_IP, "bans_by_ip")] {
            assert!(plan(&conn, sql).concat().contains(index), "{sql}");
        }
        for sql in [PUBLISHED_BY_EMAIL, REJECTED_BY_EMAIL] {
            assert!(
                plan(&conn, sql)
                    .concat()
                    .contains("COVERING INDEX comments_by_email"),
                "{sql}"
            );
        }
    }

    /// The duplicate check covers every status the schema allows: a comment with any
    /// status makes the same body by the same e-mail, or from the same IP, a duplicate.
    #[test]
    fn duplicate_check_names_every_status() {
        let conn = conn();
        let table: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'comments'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        // CHECK (status = 'published' OR status = 'pending' OR ...)
        let check = &table[table.find("CHECK (status").unwrap()..];
        let check = &check[..check.find(')').unwrap()];
        let statuses: Vec<Status> = check
            .split("status = '")
            .skip(1)
            .map(|s| s[..s.find('\'').unwrap()].parse().unwrap())
            .collect();
        assert_eq!(statuses.len(), 4, "{check}");
        for (i, status) in statuses.into_iter().enumerate() {
            let body = format!("body {i}");
            let email = format!("s{i}@x.io");
            let ip = format!("10.1.1.{i}");
            stored(insert(&conn, &record(comment(&body, Some(&email), &ip), status), 0).unwrap());
            for (e, p, why) in [
                (Some(email.as_str()), "10.9.9.9", "same e-mail"),
                (None, ip.as_str(), "same IP"),
            ] {
                let out =
                    insert(&conn, &record(comment(&body, e, p), Status::Published), 10).unwrap();
                assert!(
                    matches!(out, Submitted::Duplicate { .. }),
                    "{status:?}, {why}"
                );
            }
        }
    }
}
