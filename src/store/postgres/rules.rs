//! Site rules changed at run time on PostgreSQL (invariants: the SQLite `store::rules`).
//! A change request takes an advisory lock on its site first: two admins changing one
//! site's rules from two instances are applied one after the other, each to the values
//! the other left, and the audit ids — the site's revisions — are allocated in that order.
use deadpool_postgres::{GenericClient, Transaction};
use serde_json::Value;

use super::{in_transaction, lock, lock_key, to_i64, PgError, PgStore};
use crate::domain::{Note, Rule, RuleChange, RuleValues, SiteId, ValidationError};
use crate::store::rules::MAX_RULE_CHANGES_LISTED;
use crate::store::rules::{plan_rule_changes, PlannedChange};
use crate::store::{Actor, RuleChangeEntry, RulesChanged, StoreError, StoredRule, StoredRules};

async fn stored<C: GenericClient>(client: &C, site: &str) -> Result<StoredRules, PgError> {
    let rows = client
        .query(
            "SELECT rule, value, changed_by, changed_at FROM site_rules
             WHERE site_id = $1 ORDER BY rule COLLATE \"C\"",
            &[&site],
        )
        .await?;
    let mut rules = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        let value: String = row.get(1);
        let (Some(rule), Ok(value)) = (Rule::parse(&name), serde_json::from_str(&value)) else {
            // Written by another build: the configuration's value applies.
            tracing::warn!(
                site,
                rule = name,
                "a stored rule this build cannot read is ignored"
            );
            continue;
        };
        rules.push(StoredRule {
            rule,
            value,
            changed_by: row.get(2),
            changed_at: row.get(3),
        });
    }
    let revision: i64 = client
        .query_one(
            "SELECT COALESCE(MAX(id), 0)::BIGINT FROM site_rule_changes WHERE site_id = $1",
            &[&site],
        )
        .await?
        .get(0);
    Ok(StoredRules { rules, revision })
}

#[allow(clippy::too_many_arguments)]
async fn change(
    tx: &Transaction<'_>,
    actor: &Actor,
    site: &SiteId,
    base: &RuleValues,
    changes: &[(Rule, RuleChange)],
    note: &Note,
    now: i64,
) -> Result<Result<RulesChanged, ValidationError>, PgError> {
    lock(tx, lock_key(&[b"rules", site.as_str().as_bytes()])).await?;
    let current = stored(tx, site.as_str()).await?;
    let (values, planned) = match plan_rule_changes(base, &current, changes) {
        Ok(plan) => plan,
        Err(e) => return Ok(Err(e)),
    };
    let mut entries = Vec::new();
    for PlannedChange {
        rule,
        action,
        old,
        new,
    } in planned
    {
        if action == "reset" {
            tx.execute(
                "DELETE FROM site_rules WHERE site_id = $1 AND rule = $2",
                &[&site.as_str(), &rule.as_str()],
            )
            .await?;
        } else {
            tx.execute(
                "INSERT INTO site_rules (site_id, rule, value, changed_by, changed_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (site_id, rule) DO UPDATE SET value = excluded.value,
                     changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                &[
                    &site.as_str(),
                    &rule.as_str(),
                    &new.to_string(),
                    &actor.name,
                    &now,
                ],
            )
            .await?;
        }
        let id: i64 = tx
            .query_one(
                "INSERT INTO site_rule_changes (site_id, rule, action, old_value, new_value,
                     moderator_id, moderator, note, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                &[
                    &site.as_str(),
                    &rule.as_str(),
                    &action,
                    &old.to_string(),
                    &new.to_string(),
                    &actor.moderator_id,
                    &actor.name,
                    &note.as_str(),
                    &now,
                ],
            )
            .await?
            .get(0);
        entries.push(RuleChangeEntry {
            id,
            site: site.as_str().to_owned(),
            rule: rule.as_str().to_owned(),
            action: action.to_owned(),
            old_value: old,
            new_value: new,
            moderator: actor.name.clone(),
            note: note.as_str().to_owned(),
            at: now,
        });
    }
    let revision = entries.last().map_or(current.revision, |e| e.id);
    Ok(Ok(RulesChanged {
        values,
        revision,
        changes: entries,
    }))
}

impl PgStore {
    /// The rules an admin changed on `site`, and the site's revision.
    #[tracing::instrument(level = "debug", skip(self))]
    pub(super) async fn stored_rules(&self, site: SiteId) -> Result<StoredRules, StoreError> {
        let run = async {
            let client = self.client().await?;
            stored(&client, site.as_str()).await
        };
        Ok(run.await?)
    }

    /// Applies `changes` to `site`'s rules, whose configuration values are `base`, all or
    /// nothing; a refused change answers `Ok(Err(…))`.
    #[tracing::instrument(level = "debug", skip_all, fields(site = %site, moderator = %actor.name))]
    pub(super) async fn change_rules(
        &self,
        actor: Actor,
        site: SiteId,
        base: RuleValues,
        changes: Vec<(Rule, RuleChange)>,
        note: Note,
    ) -> Result<Result<RulesChanged, ValidationError>, StoreError> {
        in_transaction!(self, |tx| {
            change(&tx, &actor, &site, &base, &changes, &note, self.now()).await
        })
    }

    /// The latest rule changes of `site`, newest first (at most
    /// `MAX_RULE_CHANGES_LISTED`).
    #[tracing::instrument(level = "debug", skip(self))]
    pub(super) async fn rule_changes(
        &self,
        site: SiteId,
    ) -> Result<Vec<RuleChangeEntry>, StoreError> {
        let run = async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT id, site_id, rule, action, old_value, new_value, moderator, note,
                            created_at
                     FROM site_rule_changes WHERE site_id = $1 ORDER BY id DESC LIMIT $2",
                    &[&site.as_str(), &to_i64(MAX_RULE_CHANGES_LISTED)],
                )
                .await?;
            let parse = |text: String| serde_json::from_str(&text).unwrap_or(Value::String(text));
            Ok::<_, PgError>(
                rows.into_iter()
                    .map(|row| RuleChangeEntry {
                        id: row.get(0),
                        site: row.get(1),
                        rule: row.get(2),
                        action: row.get(3),
                        old_value: parse(row.get(4)),
                        new_value: parse(row.get(5)),
                        moderator: row.get(6),
                        note: row.get(7),
                        at: row.get(8),
                    })
                    .collect(),
            )
        };
        Ok(run.await?)
    }
}
