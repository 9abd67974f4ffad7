//! Webhooks: telling a site's systems (its CMS, a chat bot, a cache) that a comment was
//! held, published, rejected or reported, reliably and without making anyone wait.
//!
//! # How events flow
//! 1. Every change of a comment's status writes an event row to the outbox table in the
//!    same transaction as the change ([`crate::store`]'s `outbox`): if the change is on
//!    disk, so is its event, and the commenter's request returns as soon as that commit
//!    is — delivery happens later, here.
//! 2. The [`Worker`] (a background task started with the server) looks for due events
//!    every `webhooks.poll_interval_ms`, claims up to `webhooks.concurrency` of them and
//!    POSTs each to its site's URL with a timeout.
//! 3. A 2xx answer marks the event delivered. Anything else (refused connection,
//!    timeout, 3xx, 4xx, 5xx) schedules a retry after an exponential backoff with jitter
//!    (`retry_base_ms · 2^(attempt-1)`, at most `retry_max_ms`, drawn from the upper half
//!    of that delay), until the event is `give_up_after_hours` old; then it is marked
//!    failed and kept. Redirects are not followed. A delivery to a site makes its other
//!    waiting events due at once, so a receiver back from an outage gets its backlog
//!    without waiting out each event's backoff.
//!
//! A receiver that is down loses nothing: its events wait in the database, across
//! restarts, and arrive once it answers again. Delivery is *at least once*: an attempt
//! whose 2xx answer is lost, or that outlives a crash, is sent again. Receivers
//! de-duplicate on `Webhook-Id`, which is the same on every attempt of an event. The same
//! event is never in flight twice at once (claims are leased past the attempt's
//! timeout). Events are not ordered: use `comment.version` (or `occurred_at`) to ignore
//! a stale one.
//!
//! # The request
//! ```text
//! POST <sites.ID.webhook.url>
//! Content-Type: application/json
//! User-Agent: commentguard/<version>
//! Webhook-Id: evt_5f0c…            same for every attempt of the event: de-duplicate on it
//! Webhook-Event: comment.held
//! Webhook-Attempt: 1
//! Webhook-Timestamp: 1732526400    unix seconds when this attempt was signed
//! Webhook-Signature: v1=9c4e…      hex HMAC-SHA256, see below
//!
//! {"id":"evt_5f0c…","event":"comment.held","site":"dailynews","occurred_at":1732526399123,
//!  "comment":{"id":42,"article_id":"2024/budget","article_url":"https://…","parent_id":null,
//!             "status":"pending","version":1,"reasons":["spam"],
//!             "created_at":1732526399123,"updated_at":1732526399123}}
//! ```
//! Times in the body are unix milliseconds. The body carries no e-mail address, IP,
//! name or comment text; fetch those with the site's API key if needed.
//!
//! # Verifying the signature
//! `Webhook-Signature` is `v1=` followed by the lower-case hex of
//! `HMAC-SHA256(key = the site's webhook secret as UTF-8 bytes,
//!              message = Webhook-Timestamp + "." + the raw request body)`.
//! A receiver recomputes it over the bytes it received (before any JSON parsing),
//! compares in constant time, and refuses timestamps more than a few minutes from its own
//! clock (replays). The header may in future carry several space-separated `v1=`
//! signatures (secret rotation): accept the request if any of them matches.
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokio::sync::watch;
use tokio::task::JoinSet;
use url::Url;

use crate::clock::Clock;
use crate::config::{Config, WebhookDeliveryConfig};
use crate::store::{AttemptOutcome, DueEvent, Store, StoreError};

/// Header with the event's stable id (`evt_…`).
pub const HEADER_ID: &str = "webhook-id";
/// Header with the event's name (`comment.held`, …).
pub const HEADER_EVENT: &str = "webhook-event";
/// Header with the attempt's number, 1 for the first.
pub const HEADER_ATTEMPT: &str = "webhook-attempt";
/// Header with the unix time (seconds) the attempt was signed at.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// Header with the signature, `v1=<hex>`.
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// Extra time a claimed event stays leased beyond the attempt's timeout, so an attempt
/// can record its outcome before anyone could claim the event again.
const LEASE_MARGIN_MS: u64 = 60_000;

/// How often delivered events older than `keep_delivered_hours` are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Longest error text kept with a failed attempt.
const MAX_ERROR_CHARS: usize = 300;

/// The signature of `body` sent at `timestamp` (unix seconds): `v1=` + hex HMAC-SHA256
/// keyed with `secret` over `"{timestamp}.{body}"`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Installs the TLS crypto provider (ring) that HTTP clients of this process use.
/// Idempotent; call before building any `reqwest::Client`.
pub fn install_tls_provider() {
    // Err means a provider is already installed (by an earlier call): that one serves.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Where one site's events go.
#[derive(Clone)]
struct Target {
    url: Url,
    secret: Arc<str>,
}

/// The webhook of every site that has one, by site id.
#[derive(Clone, Default)]
pub struct Targets {
    by_site: HashMap<String, Target>,
}

impl std::fmt::Debug for Targets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        f.debug_list().entries(self.by_site.keys()).finish()
    }
}

impl Targets {
    /// The sites' webhooks; `config` has passed [`Config::validate`].
    pub fn from_config(config: &Config) -> anyhow::Result<Targets> {
        let mut by_site = HashMap::new();
        for (id, site) in &config.sites {
            if let Some(webhook) = &site.webhook {
                let url = Url::parse(webhook.url.trim())
                    .map_err(|e| anyhow::anyhow!("sites.{id}.webhook.url: {e}"))?;
                let secret = Arc::from(webhook.secret.as_str());
                by_site.insert(id.clone(), Target { url, secret });
            }
        }
        Ok(Targets { by_site })
    }

    /// Ids of the sites with a webhook.
    pub fn sites(&self) -> Vec<String> {
        self.by_site.keys().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.by_site.is_empty()
    }
}

/// Retry timing and limits, from [`WebhookDeliveryConfig`].
#[derive(Debug, Clone)]
struct Policy {
    timeout: Duration,
    retry_base: Duration,
    retry_max: Duration,
    give_up_after: Duration,
    poll_interval: Duration,
    concurrency: usize,
    keep_delivered: Duration,
}

impl From<&WebhookDeliveryConfig> for Policy {
    fn from(c: &WebhookDeliveryConfig) -> Self {
        Policy {
            timeout: Duration::from_millis(c.timeout_ms),
            retry_base: Duration::from_millis(c.retry_base_ms),
            retry_max: Duration::from_millis(c.retry_max_ms),
            give_up_after: Duration::from_secs(c.give_up_after_hours.saturating_mul(3600)),
            poll_interval: Duration::from_millis(c.poll_interval_ms),
            concurrency: c.concurrency,
            keep_delivered: Duration::from_secs(c.keep_delivered_hours.saturating_mul(3600)),
        }
    }
}

impl Policy {
    /// The wait after failed attempt number `attempt` (1-based): the capped exponential
    /// delay scaled into its upper half by `jitter` ∈ [0, 1].
    fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        let full = self
            .retry_base
            .saturating_mul(1u32 << doublings)
            .min(self.retry_max);
        full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }

    /// What to record after attempt `event.attempt` failed at `now` (unix ms).
    fn after_failure(
        &self,
        event: &DueEvent,
        now: i64,
        status: Option<u16>,
        error: String,
    ) -> AttemptOutcome {
        let age = Duration::from_millis(u64::try_from(now - event.created_at).unwrap_or(0));
        let wait = self.backoff(event.attempt, rand::random::<f64>());
        let at = now.saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
        if age.saturating_add(wait) > self.give_up_after {
            AttemptOutcome::GiveUp { status, error }
        } else {
            AttemptOutcome::Retry { at, status, error }
        }
    }

    /// How long a claim holds an event: the attempt's timeout plus a margin.
    fn lease_ms(&self) -> i64 {
        let ms = u64::try_from(self.timeout.as_millis()).unwrap_or(u64::MAX);
        i64::try_from(ms.saturating_add(LEASE_MARGIN_MS)).unwrap_or(i64::MAX)
    }
}

/// The running delivery worker; [`Worker::stop`] ends it.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Starts delivering the events of `targets`' sites on the current tokio runtime,
    /// reading time (due events, backoff, signatures) from `clock`.
    pub fn start(
        store: Store,
        targets: Targets,
        config: &WebhookDeliveryConfig,
        clock: Clock,
    ) -> anyhow::Result<Worker> {
        install_tls_provider();
        let policy = Policy::from(config);
        let client = reqwest::Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            // A redirected POST would arrive as a GET without its body: a failure, not a
            // delivery.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("commentguard/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let (stop, stopped) = watch::channel(false);
        let delivery = Delivery {
            store,
            targets: Arc::new(targets),
            client,
            policy,
            clock,
        };
        let task = tokio::spawn(delivery.run(stopped));
        Ok(Worker { stop, task })
    }

    /// Stops claiming new events, lets the attempts in flight finish (each is bounded by
    /// the timeout) and returns when the worker has ended.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(err) = self.task.await {
            tracing::error!(error = %err, "the webhook worker panicked");
        }
    }
}

/// What the worker loop and each attempt need.
#[derive(Clone)]
struct Delivery {
    store: Store,
    targets: Arc<Targets>,
    client: reqwest::Client,
    policy: Policy,
    clock: Clock,
}

impl Delivery {
    /// The worker loop: keep up to `concurrency` attempts in flight, claim more as slots
    /// free up, poll when nothing is due.
    async fn run(self, mut stopped: watch::Receiver<bool>) {
        tracing::info!(sites = ?self.targets, "webhook delivery started");
        let mut in_flight: JoinSet<()> = JoinSet::new();
        let mut last_prune: Option<tokio::time::Instant> = None;
        let mut stopping = false;
        while !stopping {
            if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                last_prune = Some(tokio::time::Instant::now());
                self.prune().await;
            }
            let free = self.policy.concurrency.saturating_sub(in_flight.len());
            let mut more_due = false;
            if free > 0 {
                match self.claim(free).await {
                    Ok(events) => {
                        more_due = events.len() == free;
                        for event in events {
                            in_flight.spawn(self.clone().attempt(event));
                        }
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "could not claim webhook events; retrying")
                    }
                }
            }
            tokio::select! {
                // Stopped, or the `Worker` handle was dropped without stopping.
                changed = stopped.changed() => {
                    stopping = changed.is_err() || *stopped.borrow();
                }
                // A slot freed: claim again at once.
                Some(_) = in_flight.join_next() => {}
                _ = tokio::time::sleep(self.policy.poll_interval), if !more_due => {}
            }
        }
        let waiting = in_flight.len();
        if waiting > 0 {
            tracing::info!(
                waiting,
                "webhook delivery stopping after the attempts in flight"
            );
        }
        while in_flight.join_next().await.is_some() {}
        tracing::info!("webhook delivery stopped");
    }

    /// Claims up to `limit` due events; a read first, so an idle poll costs no write.
    async fn claim(&self, limit: usize) -> Result<Vec<DueEvent>, StoreError> {
        let now = self.clock.now_millis();
        if !self.store.webhook_events_due(now).await? {
            return Ok(Vec::new());
        }
        self.store
            .claim_webhook_events(now, limit, self.policy.lease_ms())
            .await
    }

    /// Deletes delivered events older than `keep_delivered`.
    async fn prune(&self) {
        let keep = i64::try_from(self.policy.keep_delivered.as_millis()).unwrap_or(i64::MAX);
        match self
            .store
            .prune_webhook_events(self.clock.now_millis().saturating_sub(keep))
            .await
        {
            Ok(0) => {}
            Ok(pruned) => tracing::debug!(pruned, "old delivered webhook events deleted"),
            Err(err) => tracing::warn!(error = %err, "could not prune webhook events"),
        }
    }

    /// One attempt at one event, and its outcome recorded.
    async fn attempt(self, event: DueEvent) {
        let outcome = match self.targets.by_site.get(&event.site) {
            Some(target) => self.post(target, &event).await,
            // Only if the configuration changed under a running store; the store marks
            // such events failed at start.
            None => AttemptOutcome::GiveUp {
                status: None,
                error: "the site has no webhook configured".to_owned(),
            },
        };
        match &outcome {
            AttemptOutcome::Delivered { status } => tracing::debug!(
                event_id = %event.event_id, site = %event.site, event = %event.event,
                attempt = event.attempt, status, "webhook delivered"
            ),
            AttemptOutcome::Retry { status, error, .. } => tracing::warn!(
                event_id = %event.event_id, site = %event.site, attempt = event.attempt,
                status, error = %error, "webhook attempt failed; will retry"
            ),
            AttemptOutcome::GiveUp { status, error } => tracing::error!(
                event_id = %event.event_id, site = %event.site, attempt = event.attempt,
                status, error = %error, "webhook event given up"
            ),
        }
        if let Err(err) = self.store.record_webhook_attempt(event.row, outcome).await {
            // The lease runs out and the event is attempted again: at least once.
            tracing::warn!(event_id = %event.event_id, error = %err,
                "could not record a webhook attempt; it will be repeated");
        }
    }

    /// POSTs `event` to `target`, signed.
    async fn post(&self, target: &Target, event: &DueEvent) -> AttemptOutcome {
        let timestamp = self.clock.now_secs();
        let body = event.payload.as_bytes();
        let sent = self
            .client
            .post(target.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(HEADER_ID, &event.event_id)
            .header(HEADER_EVENT, event.event.as_str())
            .header(HEADER_ATTEMPT, event.attempt)
            .header(HEADER_TIMESTAMP, timestamp)
            .header(HEADER_SIGNATURE, signature(&target.secret, timestamp, body))
            .body(event.payload.clone())
            .send()
            .await;
        let (status, error) = match sent {
            Ok(res) if res.status().is_success() => {
                return AttemptOutcome::Delivered {
                    status: res.status().as_u16(),
                }
            }
            Ok(res) => (
                Some(res.status().as_u16()),
                format!("HTTP {}", res.status()),
            ),
            // Without the URL: it may hold a token of the receiver's.
            Err(err) => (None, describe(&err.without_url())),
        };
        self.policy
            .after_failure(event, self.clock.now_millis(), status, error)
    }
}

/// A transport error with its causes, shortened for the database.
fn describe(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else {
        err.to_string()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(MAX_ERROR_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::from(&WebhookDeliveryConfig {
            retry_base_ms: 1_000,
            retry_max_ms: 60_000,
            give_up_after_hours: 1,
            ..WebhookDeliveryConfig::default()
        })
    }

    fn event(attempt: u32, created_at: i64) -> DueEvent {
        DueEvent {
            row: 1,
            event_id: "evt_1".into(),
            site: "news".into(),
            event: crate::store::WebhookEvent::Held,
            payload: "{}".into(),
            attempt,
            created_at,
        }
    }

    /// The signature is the documented HMAC, checked against a value computed
    /// independently (`printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test`).
    #[test]
    fn signature_matches_the_documented_scheme() {
        assert_eq!(
            signature("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    /// Backoff doubles from the base up to the cap; jitter keeps it in the upper half.
    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = policy();
        let secs = |attempt, jitter| p.backoff(attempt, jitter).as_secs_f64();
        let cases = [
            (1, 1.0, 1.0, "first retry after the base"),
            (2, 1.0, 2.0, "doubles"),
            (4, 1.0, 8.0, "doubles again"),
            (7, 1.0, 60.0, "capped"),
            (40, 1.0, 60.0, "no overflow"),
            (4, 0.0, 4.0, "jitter: at least half"),
            (4, 0.5, 6.0, "jitter: in between"),
        ];
        for (attempt, jitter, expected, why) in cases {
            assert!(
                (secs(attempt, jitter) - expected).abs() < 1e-9,
                "{why}: {}",
                secs(attempt, jitter)
            );
        }
    }

    /// A failed attempt is retried while the event is young enough, then given up.
    #[test]
    fn retry_until_too_old() {
        let p = policy();
        let now = 10_000_000;
        match p.after_failure(&event(1, now - 1_000), now, Some(500), "HTTP 500".into()) {
            AttemptOutcome::Retry { at, status, .. } => {
                assert!((now + 500..=now + 1_000).contains(&at), "{at}");
                assert_eq!(status, Some(500));
            }
            other => panic!("expected a retry, got {other:?}"),
        }
        let hour = 3_600_000;
        assert!(matches!(
            p.after_failure(&event(30, now - hour), now, None, "refused".into()),
            AttemptOutcome::GiveUp { .. }
        ));
    }
}
