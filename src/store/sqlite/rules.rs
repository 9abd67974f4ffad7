//! Site rules changed at run time, and their audit log.
//!
//! # Invariants
//! - `site_rules` holds one row per rule an admin changed; a rule without a row takes the
//!   configuration file's value (the caller passes those values in: the store does not
//!   read the configuration).
//! - A change request is applied whole or not at all, in one writer job: every change is
//!   applied to the values in force, the result is checked as a whole
//!   ([`RuleValues::check`]), and only then are the rows and one audit row per changed
//!   rule written. A change that leaves a rule as it was writes nothing.
//! - The id of the latest audit row of a site is its rules' *revision*: the values in
//!   force are installed with it, so a slower request can never put older rules back
//!   (see [`crate::domain::Site::install_rules`]).
use rusqlite::{params, Connection};
use serde_json::Value;

use crate::domain::{Note, Rule, RuleChange, RuleValues, SiteId, ValidationError};
use crate::store::rules::{plan_rule_changes, PlannedChange};
use crate::store::{
    Actor, RuleChangeEntry, RulesChanged, StoreError, StoredRule, StoredRules,
    MAX_RULE_CHANGES_LISTED,
};

pub(super) fn stored(conn: &Connection, site: &str) -> Result<StoredRules, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT rule, value, changed_by, changed_at FROM site_rules WHERE site_id = ?1 ORDER BY rule",
    )?;
    let rows = stmt.query_map([site], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, i64>(3)?,
        ))
    })?;
    let mut rules = Vec::new();
    for row in rows {
        let (name, value, changed_by, changed_at) = row?;
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
            changed_by,
            changed_at,
        });
    }
    let revision = conn
        .prepare_cached("SELECT COALESCE(MAX(id), 0) FROM site_rule_changes WHERE site_id = ?1")?
        .query_row([site], |row| row.get(0))?;
    Ok(StoredRules { rules, revision })
}

fn json_text(value: &Value) -> String {
    value.to_string()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn change(
    conn: &Connection,
    actor: &Actor,
    site: &SiteId,
    base: &RuleValues,
    changes: &[(Rule, RuleChange)],
    note: &Note,
    now: i64,
) -> Result<Result<RulesChanged, ValidationError>, StoreError> {
    let current = stored(conn, site.as_str())?;
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
            conn.prepare_cached("DELETE FROM site_rules WHERE site_id = ?1 AND rule = ?2")?
                .execute(params![site.as_str(), rule.as_str()])?;
        } else {
            conn.prepare_cached(
                "INSERT INTO site_rules (site_id, rule, value, changed_by, changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (site_id, rule) DO UPDATE SET value = excluded.value,
                     changed_by = excluded.changed_by, changed_at = excluded.changed_at",
            )?
            .execute(params![
                site.as_str(),
                rule.as_str(),
                json_text(&new),
                actor.name,
                now
            ])?;
        }
        conn.prepare_cached(
            "INSERT INTO site_rule_changes (site_id, rule, action, old_value, new_value,
                 moderator_id, moderator, note, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            site.as_str(),
            rule.as_str(),
            action,
            json_text(&old),
            json_text(&new),
            actor.moderator_id,
            actor.name,
            note.as_str(),
            now
        ])?;
        entries.push(RuleChangeEntry {
            id: conn.last_insert_rowid(),
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

pub(super) fn log(conn: &Connection, site: &str) -> Result<Vec<RuleChangeEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, site_id, rule, action, old_value, new_value, moderator, note, created_at
         FROM site_rule_changes WHERE site_id = ?1 ORDER BY id DESC LIMIT CAST(?2 AS INTEGER)",
    )?;
    let rows = stmt.query_map(params![site, MAX_RULE_CHANGES_LISTED as i64], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, String>(3)?,
            row.get::<_, String>(4)?,
            row.get::<_, String>(5)?,
            row.get::<_, String>(6)?,
            row.get::<_, String>(7)?,
            row.get::<_, i64>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, site, rule, action, old, new, moderator, note, at) = row?;
        let parse = |text: &str| serde_json::from_str(text).unwrap_or(Value::String(text.into()));
        out.push(RuleChangeEntry {
            id,
            site,
            rule,
            action,
            old_value: parse(&old),
            new_value: parse(&new),
            moderator,
            note,
            at,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::SiteConfig;

    fn actor() -> Actor {
        Actor {
            moderator_id: 1,
            name: "root".into(),
        }
    }

    fn conn() -> Connection {
        let conn = super::super::schema::migrated_in_memory();
        conn.execute(
            "INSERT INTO moderators (id, name, token_sha256, is_admin, created_at) VALUES (1, 'root', x'00', 1, 0)",
            [],
        )
        .unwrap();
        conn
    }

    /// Changes are stored with one audit row each and raise the revision; a repeat writes
    /// nothing; a reset removes the stored value; a refused request writes nothing at all.
    #[test]
    fn changes_are_stored_audited_and_all_or_nothing() {
        let conn = conn();
        let site = SiteId::parse("news").unwrap();
        let base = RuleValues::from_config(&SiteConfig::default());
        let note = Note::parse(Some("trial starts")).unwrap();
        let close = vec![
            (
                Rule::ClosedArticles,
                RuleChange::Add(vec!["2024/trial".into()]),
            ),
            (Rule::SpamReview, RuleChange::Set(json!(0.4))),
        ];
        let done = change(&conn, &actor(), &site, &base, &close, &note, 10)
            .unwrap()
            .unwrap();
        assert_eq!(done.values.closed_articles, ["2024/trial"]);
        assert_eq!(done.changes.len(), 2);
        assert_eq!(done.revision, done.changes[1].id);
        assert_eq!(done.changes[0].old_value, json!([]));
        let again = change(&conn, &actor(), &site, &base, &close, &note, 11)
            .unwrap()
            .unwrap();
        assert!(again.changes.is_empty(), "nothing changed");
        assert_eq!(again.revision, done.revision);

        let refused = change(
            &conn,
            &actor(),
            &site,
            &base,
            &[
                (
                    Rule::ClosedArticles,
                    RuleChange::Add(vec!["2024/other".into()]),
                ),
                (Rule::SpamReject, RuleChange::Set(json!(0.3))),
            ],
            &note,
            12,
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(
            refused.field, "spam_review",
            "0.4 would exceed the reject threshold"
        );
        let now = stored(&conn, "news").unwrap();
        assert_eq!(now.revision, done.revision);
        let closed = now
            .rules
            .iter()
            .find(|r| r.rule == Rule::ClosedArticles)
            .unwrap();
        assert_eq!(
            closed.value,
            json!(["2024/trial"]),
            "the refused request wrote nothing"
        );
        assert_eq!(closed.changed_by, "root");

        let reset = change(
            &conn,
            &actor(),
            &site,
            &base,
            &[(Rule::ClosedArticles, RuleChange::Reset)],
            &Note::default(),
            13,
        )
        .unwrap()
        .unwrap();
        assert_eq!(reset.changes[0].action, "reset");
        assert!(reset.values.closed_articles.is_empty());
        let now = stored(&conn, "news").unwrap();
        assert_eq!(now.rules.len(), 1, "only spam_review is still stored");
        let history = log(&conn, "news").unwrap();
        assert_eq!(history.len(), 3);
        assert_eq!(history[0].rule, "closed_articles", "newest first");
        assert_eq!(history[2].note, "trial starts");
        assert!(stored(&conn, "sport").unwrap().rules.is_empty());
    }
}
