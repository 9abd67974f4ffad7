//! The comments interface: submitting a comment (the author lookup, the pipeline's
//! decision, the duplicate check and the insert in one transaction), the public listing,
//! one comment, and the published counts of articles.
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::StoreError;
use crate::domain::{
    ArticleId, ArticleTitle, AuthorQuery, CommentId, Decide, ModelScore, NewComment, Reason,
    Refusal, SiteId, Status,
};
use crate::text::Words;

pub use crate::domain::intake::Verdict;

/// A scored comment ready to be stored once the pipeline has decided its status. Built
/// on the async side, before the decision, so that the store's transaction only runs the
/// pipeline and SQL (hashing and JSON encoding happen here).
#[derive(Debug)]
pub struct NewCommentRecord {
    pub comment: NewComment,
    pub spam: Option<ModelScore>,
    pub abuse: Option<ModelScore>,
    /// SHA-256 of the body, what the duplicate check compares.
    pub(crate) body_hash: [u8; 32],
    /// The models' explaining words as JSON arrays (as stored).
    pub(crate) spam_tokens: Option<String>,
    pub(crate) abuse_tokens: Option<String>,
    /// A comment with the same body by the same e-mail or IP within this window is a
    /// duplicate.
    pub(crate) duplicate_window: Duration,
    /// The article's headline, if the submission gave one (display only: the pipeline
    /// never reads it).
    pub(crate) article_title: Option<ArticleTitle>,
}

impl NewCommentRecord {
    pub fn new(
        comment: NewComment,
        spam: Option<ModelScore>,
        abuse: Option<ModelScore>,
        duplicate_window: Duration,
    ) -> Self {
        let body = Words::read(comment.body.as_str());
        Self::read(comment, &body, spam, abuse, duplicate_window)
    }

    /// [`NewCommentRecord::new`] with the body's words read already
    /// (`Words::read(comment.body.as_str())`, which the intake has for its block lists).
    pub fn read(
        comment: NewComment,
        body: &Words,
        spam: Option<ModelScore>,
        abuse: Option<ModelScore>,
        duplicate_window: Duration,
    ) -> Self {
        let body_hash = Sha256::digest(comment.body.duplicate_key_of(body).as_bytes()).into();
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

/// What [`Comments::submit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// Stored and committed.
    Stored { id: CommentId, created_at: i64 },
    /// Not stored: the same author or IP posted the same body recently.
    Duplicate { existing: CommentId },
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
    /// In the order the pipeline recorded them (later: a `reported` reason appended).
    pub reasons: Vec<Reason>,
    /// `''` once retention stripped it.
    pub client_ip: String,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// 1 when stored; +1 at every change (see [`super::ReviewQueue`]).
    pub version: i64,
}

/// Comments as commenters and readers meet them.
#[async_trait]
pub trait Comments {
    /// Submits a comment, in one transaction:
    ///
    /// 1. looks up what the decision needs — the active ban on the e-mail (asked first)
    ///    or the IP, the author's published count up to `query.trust_after` and whether
    ///    they were ever rejected, the parent — as of this instant, *including comments
    ///    committed or written earlier in the same transaction*;
    /// 2. calls `decide` with it and the comment; a [`Refusal`] writes nothing and is
    ///    returned as `Ok(Err(refusal))`;
    /// 3. refuses a duplicate — a comment of the same site with the same body (by
    ///    SHA-256) by the same e-mail, or from the same IP, created within
    ///    `record.duplicate_window` of now, whatever its status — as
    ///    [`Submitted::Duplicate`], writing nothing;
    /// 4. else inserts the comment (version 1, `created_at = updated_at = now`) with the
    ///    verdict's status and reasons (in order), and its webhook event
    ///    (`comment.held`, `.published` or `.rejected`, see [`super::Outbox`]) when its
    ///    site has a webhook.
    ///
    /// Steps 1–4 are atomic with respect to every other write: two concurrent identical
    /// submissions store one comment, a ban committed before the insert is seen.
    /// Returns once the transaction is **durable** (on disk: a power cut after `Ok` loses
    /// nothing), with the verdict that was stored.
    ///
    /// `decide` must be pure and may be called more than once (see [`Decide`]). This is
    /// the hot path (thousands a second): no allocation or round trip beyond what the
    /// backend's transaction needs.
    async fn submit(
        &self,
        query: AuthorQuery,
        record: Arc<NewCommentRecord>,
        decide: Arc<dyn Decide>,
    ) -> Result<Result<(Submitted, Verdict), Refusal>, StoreError>;

    /// Published comments of an article, oldest (lowest id) first, with an id greater
    /// than the keyset cursor `after`, at most `limit`. A read: may lag the latest
    /// commits by a moment, never shows uncommitted ones.
    async fn published(
        &self,
        site: SiteId,
        article: ArticleId,
        after: Option<CommentId>,
        limit: usize,
    ) -> Result<Vec<PublishedComment>, StoreError>;

    /// One comment with everything stored about it (reasons in order), whatever its
    /// status and site; `None` if there is no such id.
    async fn comment(&self, id: CommentId) -> Result<Option<StoredComment>, StoreError>;

    /// The number of published comments of each of `articles` of `site`, in the same
    /// order (0 for an unknown article).
    async fn published_counts(
        &self,
        site: SiteId,
        articles: Vec<ArticleId>,
    ) -> Result<Vec<u64>, StoreError>;
}
