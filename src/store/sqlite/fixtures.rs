//! Test fixtures shared by the review queries' unit tests: a migrated in-memory database
//! with a moderator, and comments stored the way a submission stores them.
use std::time::Duration;

use rusqlite::Connection;

use super::comments::insert;
use crate::domain::{
    ArticleId, AuthorEmail, AuthorName, CommentBody, CommentId, ModelScore, NewComment, Note,
    Outcome, Reason, ReasonCode, SiteId, Status, Verdict,
};
use crate::store::{
    Actor, DecisionRequest, NewCommentRecord, Submitted, Verdict as CommentVerdict,
};

/// A migrated database with moderator 1, `ann` (the audit log refers to moderators).
pub(super) fn conn() -> Connection {
    let conn = super::schema::migrated_in_memory();
    conn.execute(
        "INSERT INTO moderators (id, name, token_sha256, created_at) VALUES (1, 'ann', x'00', 0)",
        [],
    )
    .unwrap();
    conn
}

pub(super) fn actor() -> Actor {
    Actor {
        moderator_id: 1,
        name: "ann".into(),
    }
}

pub(super) fn site() -> SiteId {
    SiteId::parse("news").unwrap()
}

/// Stores a comment by `email` from `ip` with the given scores and status.
pub(super) fn add(
    conn: &Connection,
    email: &str,
    ip: &str,
    spam: f64,
    abuse: f64,
    status: Status,
) -> CommentId {
    let body = format!("comment {spam} {abuse} {email} {ip}");
    let comment = NewComment {
        site: site(),
        article_id: ArticleId::parse("a1").unwrap(),
        article_url: None,
        parent_id: None,
        author_name: AuthorName::parse("Ann").unwrap(),
        author_email: Some(AuthorEmail::parse(email).unwrap()),
        author_url: None,
        body: CommentBody::parse(&body).unwrap(),
        client_ip: ip.parse().unwrap(),
        user_agent: None,
    };
    let score = |p| {
        Some(ModelScore {
            probability: p,
            top_tokens: vec![],
        })
    };
    let reasons = vec![Reason {
        code: ReasonCode::Spam,
        outcome: Outcome::Hold,
        detail: String::new(),
    }];
    let record = NewCommentRecord::new(comment, score(spam), score(abuse), Duration::from_secs(1));
    match insert(conn, &record, &CommentVerdict { status, reasons }, 0).unwrap() {
        Submitted::Stored { id, .. } => id,
        other => panic!("{other:?}"),
    }
}

pub(super) fn request(id: CommentId, verdict: Verdict, version: i64) -> DecisionRequest {
    DecisionRequest {
        id,
        verdict,
        note: Note::default(),
        version,
    }
}

pub(super) fn audit_rows(conn: &Connection) -> i64 {
    conn.query_row("SELECT COUNT(*) FROM decisions", [], |r| r.get(0))
        .unwrap()
}
