//! Prometheus metrics (`GET /metrics`), recorded with the `metrics` facade and rendered by
//! `metrics-exporter-prometheus` in the Prometheus text format.
//!
//! # Series
//! | name | type | labels | what |
//! |---|---|---|---|
//! | `commentguard_http_requests_total` | counter | `method`, `route`, `status` | every request, by route pattern (`unmatched` for unknown paths) |
//! | `commentguard_http_request_duration_seconds` | histogram | `method`, `route` | time to the response head |
//! | `commentguard_comments_total` | counter | `site`, `status` | stored submissions by the status they got |
//! | `commentguard_comment_reasons_total` | counter | `site`, `reason`, `outcome` | the reasons recorded on them |
//! | `commentguard_model_score` | histogram | `model` | each submission's spam and abuse probability |
//! | `commentguard_rate_limited_total` | counter | `limit` | requests refused with 429 (`comment`, `report`, `auth`) |
//! | `commentguard_rate_limit_store_unreachable_total` | counter | `policy` (`open`, `closed`) | rate-limit checks the shared store (Redis) did not answer: decided by the instance's own limits, or refused with 503 |
//! | `commentguard_store_batch_size` | histogram | | writes per group commit (SQLite's writer; not recorded on PostgreSQL) |
//! | `commentguard_store_commit_seconds` | histogram | | one batch: begin, run, commit (SQLite) |
//! | `commentguard_store_wal_sync_seconds` | histogram | | the `fdatasync` that makes batches durable (SQLite) |
//! | `commentguard_store_write_failures_total` | counter | `kind` (`unavailable`, `error`) | batches that failed (SQLite) |
//! | `commentguard_review_queue` | gauge | `site`, `status` | comments waiting for a moderator (`pending`, `reported`), at scrape time |
//! | `commentguard_webhook_backlog` | gauge | | webhook events neither delivered nor given up on, at scrape time |
//! | `commentguard_model_info` | gauge | `model`, `sha256` | 1 for the models in service (0 for ones replaced) |
//! | `commentguard_model_threshold` | gauge | `model`, `kind` (`hold`, `reject`) | the models' own thresholds (no `reject` for a model that only holds) |
//! | `commentguard_model_set_version` | gauge | | the installed model set in service (`commentguard models install`); 0 while the models directory serves |
//! | `commentguard_model_set_refused_version` | gauge | | the newest installed set this instance refused (damaged, or a model this build cannot load); 0 when none was refused since the set in service |
//!
//! The recorder is process-wide ([`install`], idempotent). Nothing here carries comment
//! text, names, e-mails or IPs: labels are route patterns, site ids, statuses and codes.
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::domain::{Reason, Status};
use crate::reload::{ModelSetStatus, ModelsIdentity};

/// Latency buckets, in seconds: 0.5 ms to 10 s.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Batch-size buckets (writes per commit).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];
/// Probability buckets.
const SCORE_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0,
];

/// How often histograms are maintained (the exporter's default).
pub const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls return the same handle).
/// `None` if another recorder was installed first (then nothing is recorded here).
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("commentguard_store_batch_size".into()),
                        BATCH_BUCKETS,
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("commentguard_model_score".into()),
                        SCORE_BUCKETS,
                    )
                });
            match builder.and_then(PrometheusBuilder::install_recorder) {
                Ok(handle) => Some(handle),
                Err(err) => {
                    tracing::warn!(error = %err, "no metrics: the recorder could not be installed");
                    None
                }
            }
        })
        .clone()
}

/// Keeps histograms from accumulating samples between scrapes (runs for ever).
pub async fn upkeep(handle: PrometheusHandle) {
    let mut ticks = tokio::time::interval(UPKEEP_EVERY);
    loop {
        ticks.tick().await;
        handle.run_upkeep();
    }
}

/// One HTTP request, answered.
pub fn request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("commentguard_http_requests_total", &labels).increment(1);
    metrics::histogram!(
        "commentguard_http_request_duration_seconds",
        "method" => method.to_owned(),
        "route" => route.to_owned()
    )
    .record(elapsed.as_secs_f64());
}

/// One stored submission: its status, its reasons and both models' scores.
pub fn submission(
    site: &str,
    status: Status,
    reasons: &[Reason],
    spam: Option<f64>,
    abuse: Option<f64>,
) {
    metrics::counter!(
        "commentguard_comments_total",
        "site" => site.to_owned(),
        "status" => status.as_str()
    )
    .increment(1);
    for reason in reasons {
        metrics::counter!(
            "commentguard_comment_reasons_total",
            "site" => site.to_owned(),
            "reason" => reason.code.as_str(),
            "outcome" => reason.outcome.as_str()
        )
        .increment(1);
    }
    for (model, score) in [("spam", spam), ("abuse", abuse)] {
        if let Some(p) = score {
            metrics::histogram!("commentguard_model_score", "model" => model).record(p);
        }
    }
}

/// A request refused with 429 by `limit` (`comment`, `report` or `auth`).
pub fn rate_limited(limit: &'static str) {
    metrics::counter!("commentguard_rate_limited_total", "limit" => limit).increment(1);
}

/// A rate-limit check the shared store (Redis) did not answer, by what was done instead:
/// `open` (the instance's own limits decided) or `closed` (refused with 503).
pub fn rate_limit_store_unreachable(policy: &'static str) {
    metrics::counter!("commentguard_rate_limit_store_unreachable_total", "policy" => policy)
        .increment(1);
}

/// One write batch of the store's writer.
pub fn batch(size: usize, elapsed: Duration, failure: Option<&'static str>) {
    metrics::histogram!("commentguard_store_batch_size").record(size as f64);
    metrics::histogram!("commentguard_store_commit_seconds").record(elapsed.as_secs_f64());
    if let Some(kind) = failure {
        metrics::counter!("commentguard_store_write_failures_total", "kind" => kind).increment(1);
    }
}

/// One `fdatasync` of the WAL.
pub fn wal_sync(elapsed: Duration) {
    metrics::histogram!("commentguard_store_wal_sync_seconds").record(elapsed.as_secs_f64());
}

/// The gauges read at scrape time.
pub struct Snapshot<'a> {
    /// `(site, status, count)` for every configured site and both waiting statuses.
    pub queue: Vec<(String, &'static str, u64)>,
    pub webhook_backlog: u64,
    pub models: Option<&'a ModelsIdentity>,
    /// Where the models in service came from (`None`: swapped in from outside the
    /// reloader, as tests do; the gauges keep their last value).
    pub model_set: Option<&'a ModelSetStatus>,
}

/// Sets the scrape-time gauges and renders every series.
pub fn render(handle: &PrometheusHandle, snapshot: &Snapshot<'_>) -> String {
    for (site, status, n) in &snapshot.queue {
        metrics::gauge!(
            "commentguard_review_queue",
            "site" => site.clone(),
            "status" => *status
        )
        .set(*n as f64);
    }
    metrics::gauge!("commentguard_webhook_backlog").set(snapshot.webhook_backlog as f64);
    if let Some(models) = snapshot.models {
        static SHOWN: Mutex<Option<ModelsIdentity>> = Mutex::new(None);
        let mut shown = SHOWN.lock().unwrap_or_else(|e| e.into_inner());
        if shown.as_ref() != Some(models) {
            if let Some(old) = shown.as_ref() {
                for (model, m) in [("spam", &old.spam), ("abuse", &old.abuse)] {
                    metrics::gauge!("commentguard_model_info", "model" => model, "sha256" => m.sha256.clone())
                        .set(0.0);
                }
            }
            for (model, m) in [("spam", &models.spam), ("abuse", &models.abuse)] {
                metrics::gauge!("commentguard_model_info", "model" => model, "sha256" => m.sha256.clone())
                    .set(1.0);
                metrics::gauge!("commentguard_model_threshold", "model" => model, "kind" => "hold")
                    .set(m.hold);
                // A model without a reject threshold (it only holds) has no such series.
                if let Some(reject) = m.reject {
                    metrics::gauge!("commentguard_model_threshold", "model" => model, "kind" => "reject")
                        .set(reject);
                }
            }
            *shown = Some(models.clone());
        }
    }
    if let Some(set) = snapshot.model_set {
        metrics::gauge!("commentguard_model_set_version").set(set.version.unwrap_or(0) as f64);
        metrics::gauge!("commentguard_model_set_refused_version")
            .set(set.refused_version.unwrap_or(0) as f64);
    }
    handle.run_upkeep();
    handle.render()
}
