//! The webhook-outbox interface: events recorded in the same transaction as the change
//! they report, claimed and delivered later by [`crate::webhooks`].
//!
//! # Contract every backend keeps
//! - An event is recorded inside the transaction of the change it reports: it exists if
//!   and only if that change committed. A crash between the commit and the delivery loses
//!   nothing; the worker finds the event on restart.
//! - Only sites named by the latest [`Outbox::set_webhook_sites`] get events. Other sites
//!   store nothing (and should pay next to nothing: most sites have no webhook).
//! - The payload is a [`WebhookPayload`] built at record time — a snapshot of the comment
//!   *after* the change — serialized once with serde and stored as that JSON text: every
//!   attempt of an event sends the same bytes under the same `event_id` (`evt_` + 32
//!   lower-case hex digits, random).
//! - An event is handed to at most one attempt at a time: a claim leases it (its next
//!   attempt moved to `now + lease_ms`) for longer than the attempt's timeout, and two
//!   concurrent claims never take the same event. An attempt that never reports back
//!   (the process died) is retried once the lease has passed.
//! - A delivery to a site makes that site's other waiting events due at once (not leased
//!   ones): a receiver that comes back after an outage gets its backlog now, not as each
//!   event's backoff runs out.
use async_trait::async_trait;
use serde::Serialize;

use super::StoreError;
use crate::domain::{CommentId, ReasonCode, Status};

/// The events a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum WebhookEvent {
    /// A comment was held for a moderator (`pending`).
    #[serde(rename = "comment.held")]
    Held,
    /// A comment became visible on its article.
    #[serde(rename = "comment.published")]
    Published,
    /// A comment was rejected.
    #[serde(rename = "comment.rejected")]
    Rejected,
    /// Readers' reports took a published comment off its article (`reported`).
    #[serde(rename = "comment.reported")]
    Reported,
}

impl WebhookEvent {
    /// Every event, in documentation order.
    pub const ALL: [WebhookEvent; 4] = [
        WebhookEvent::Held,
        WebhookEvent::Published,
        WebhookEvent::Rejected,
        WebhookEvent::Reported,
    ];

    /// The event a comment that has just entered `status` emits.
    pub fn for_status(status: Status) -> WebhookEvent {
        match status {
            Status::Pending => WebhookEvent::Held,
            Status::Published => WebhookEvent::Published,
            Status::Rejected => WebhookEvent::Rejected,
            Status::Reported => WebhookEvent::Reported,
        }
    }

    /// The event's name on the wire (`comment.held`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookEvent::Held => "comment.held",
            WebhookEvent::Published => "comment.published",
            WebhookEvent::Rejected => "comment.rejected",
            WebhookEvent::Reported => "comment.reported",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<WebhookEvent> {
        WebhookEvent::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

impl std::fmt::Display for WebhookEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event claimed for one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEvent {
    /// The outbox row.
    pub row: i64,
    /// Stable id, sent as `Webhook-Id` on every attempt.
    pub event_id: String,
    pub site: String,
    pub event: WebhookEvent,
    /// The exact body to POST.
    pub payload: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// When the event happened (unix milliseconds).
    pub created_at: i64,
}

/// How an attempt ended, as the delivery policy decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver answered 2xx.
    Delivered { status: u16 },
    /// Try again at `at` (unix milliseconds).
    Retry {
        at: i64,
        status: Option<u16>,
        error: String,
    },
    /// Stop trying; the row is kept, marked failed.
    GiveUp { status: Option<u16>, error: String },
}

/// The body of a webhook request, exactly as POSTed (field order included):
/// `{"id","event","site","occurred_at","comment":{…}}`. It carries no e-mail address,
/// IP, name or comment text (see [`crate::webhooks`] for the receiver's view).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookPayload {
    /// The event id, `evt_…`, also sent as `Webhook-Id`.
    pub id: String,
    pub event: WebhookEvent,
    pub site: String,
    /// When the change happened (unix milliseconds).
    pub occurred_at: i64,
    pub comment: CommentSnapshot,
}

/// The comment as it stands after the change an event reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommentSnapshot {
    pub id: CommentId,
    pub article_id: String,
    pub article_url: Option<String>,
    pub parent_id: Option<CommentId>,
    pub status: Status,
    pub version: i64,
    /// The codes of its reasons, in order.
    pub reasons: Vec<ReasonCode>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WebhookPayload {
    /// A payload with a fresh random event id.
    pub fn new(
        event: WebhookEvent,
        site: String,
        occurred_at: i64,
        comment: CommentSnapshot,
    ) -> Self {
        let mut bytes = [0u8; 16];
        rand::fill(&mut bytes);
        WebhookPayload {
            id: format!("evt_{}", hex::encode(bytes)),
            event,
            site,
            occurred_at,
            comment,
        }
    }

    /// The JSON text stored and POSTed.
    pub fn to_json(&self) -> String {
        // Plain strings, integers and enums: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The webhook outbox, as the delivery worker drives it.
#[async_trait]
pub trait Outbox {
    /// Records which sites have a webhook, replacing the previous list, so that only
    /// their events are recorded from now on. Undelivered events of a site no longer
    /// listed are marked failed (`webhook removed from the configuration`), not deleted.
    /// Called at start with the configured sites. Durable before return.
    async fn set_webhook_sites(&self, sites: Vec<String>) -> Result<(), StoreError>;

    /// Whether any event (neither delivered nor given up on) is due at `now` (unix
    /// milliseconds): a cheap read before claiming.
    async fn webhook_events_due(&self, now: i64) -> Result<bool, StoreError>;

    /// Claims up to `limit` events due at `now`, earliest due first (then oldest): counts
    /// the attempt (`attempt` is 1 for the first) and leases each for `lease_ms`, so
    /// none of them is handed out again before `now + lease_ms` unless its attempt is
    /// recorded first. Atomic: concurrent claims (even from several processes) never
    /// return the same event. The result is sorted by `row`.
    async fn claim_webhook_events(
        &self,
        now: i64,
        limit: usize,
        lease_ms: i64,
    ) -> Result<Vec<DueEvent>, StoreError>;

    /// Records how the attempt on event `row` ended, and ends its lease: delivered (now;
    /// and the site's other waiting, unleased events become due now), to retry at a
    /// time, or given up on (now). A retry or give-up of an event already delivered
    /// changes nothing.
    async fn record_webhook_attempt(
        &self,
        row: i64,
        outcome: AttemptOutcome,
    ) -> Result<(), StoreError>;

    /// Deletes events delivered before `before` (unix milliseconds); returns how many.
    async fn prune_webhook_events(&self, before: i64) -> Result<usize, StoreError>;
}
