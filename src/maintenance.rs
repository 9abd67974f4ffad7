//! Data care that runs on its own: the retention policy the configuration asks for, applied
//! once a day by the server and on demand by `commentguard purge`.
//!
//! See [`crate::store::RetentionPolicy`] for what each setting deletes or erases.
use std::time::Duration;

use crate::clock::Clock;
use crate::config::Config;
use crate::store::{PurgeReport, RetentionPolicy, Store};

/// How often the server applies the retention policy.
pub const PURGE_EVERY: Duration = Duration::from_secs(24 * 60 * 60);
/// How long after start the server first applies it (not during start-up's bustle).
pub const FIRST_PURGE_AFTER: Duration = Duration::from_secs(60);

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const HOUR_MS: i64 = 60 * 60 * 1000;

/// The policy of `config` as of `now` (unix milliseconds).
pub fn policy(config: &Config, now: i64) -> RetentionPolicy {
    let before = |days: u32| now.saturating_sub(i64::from(days).saturating_mul(DAY_MS));
    RetentionPolicy {
        sites: config
            .sites
            .iter()
            .filter_map(|(id, site)| site.retention_days.map(|d| (id.clone(), before(d))))
            .collect(),
        audit_before: config.retention.audit_days.map(before),
        failed_webhooks_before: before(config.retention.failed_webhook_days),
        delivered_webhooks_before: now.saturating_sub(
            i64::try_from(config.webhooks.keep_delivered_hours)
                .unwrap_or(i64::MAX)
                .saturating_mul(HOUR_MS),
        ),
    }
}

/// Applies the policy as of `clock`'s now once and logs what it did.
pub async fn purge_once(
    store: &Store,
    config: &Config,
    clock: &Clock,
) -> Result<PurgeReport, crate::store::StoreError> {
    let report = store.purge(&policy(config, clock.now_millis())).await?;
    if report.is_empty() {
        tracing::debug!("retention: nothing to purge");
    } else {
        tracing::info!(
            rejected_comments_deleted = report.rejected_comments_deleted,
            comments_stripped = report.comments_stripped,
            reports_deleted = report.reports_deleted,
            audit_entries_deleted = report.audit_entries_deleted,
            webhook_events_deleted = report.webhook_events_deleted,
            "retention applied"
        );
    }
    Ok(report)
}

/// The server's daily purge: [`FIRST_PURGE_AFTER`] after start, then every [`PURGE_EVERY`].
pub async fn purge_daily(store: Store, config: Config, clock: Clock) {
    tokio::time::sleep(FIRST_PURGE_AFTER).await;
    let mut ticks = tokio::time::interval(PURGE_EVERY);
    loop {
        ticks.tick().await;
        if let Err(err) = purge_once(&store, &config, &clock).await {
            tracing::warn!(error = %err, "retention could not be applied; trying again tomorrow");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Days become cut-offs; sites without `retention_days` are left alone.
    #[test]
    fn policy_from_config() {
        let config = Config::from_toml(
            "[retention]\naudit_days = 2\nfailed_webhook_days = 1\n\
             [sites.news]\nretention_days = 30\n[sites.sport]\n",
        )
        .unwrap();
        let now = 100 * DAY_MS;
        let p = policy(&config, now);
        assert_eq!(p.sites, vec![("news".to_owned(), 70 * DAY_MS)]);
        assert_eq!(p.audit_before, Some(98 * DAY_MS));
        assert_eq!(p.failed_webhooks_before, 99 * DAY_MS);
        assert_eq!(p.delivered_webhooks_before, now - 168 * HOUR_MS);
    }
}
