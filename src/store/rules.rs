//! The site-rules interface: rules an admin changed at run time, and their audit log.
//!
//! # Contract every backend keeps
//! - A site's stored rules are the rules an admin changed; a rule without one takes the
//!   configuration file's value (the caller passes those values in: the store does not
//!   read the configuration).
//! - A change request is applied whole or not at all, in one transaction: every change is
//!   applied to the values in force, the result is checked as a whole
//!   ([`RuleValues::check`]), and only then are the rules and one audit entry per changed
//!   rule written. A change that leaves a rule as it was writes nothing.
//! - The id of the latest audit entry of a site is its rules' *revision* (ids increase):
//!   the values in force are installed with it, so a slower request can never put older
//!   rules back (see [`crate::domain::Site::install_rules`]).
use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

use super::review::Actor;
use super::StoreError;
use crate::domain::{Note, Rule, RuleChange, RuleValues, SiteId, ValidationError};

/// Most audit rows of rule changes returned at once, newest first.
pub const MAX_RULE_CHANGES_LISTED: usize = 200;

/// A rule an admin changed, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRule {
    pub rule: Rule,
    pub value: Value,
    pub changed_by: String,
    /// Unix milliseconds.
    pub changed_at: i64,
}

/// A site's changed rules and their revision.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StoredRules {
    pub rules: Vec<StoredRule>,
    /// The id of the site's latest rule change (0: none ever).
    pub revision: i64,
}

/// One audit row: a rule's value before and after a change.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RuleChangeEntry {
    pub id: i64,
    pub site: String,
    pub rule: String,
    /// `set`, or `reset` (back to the configuration file's value).
    pub action: String,
    pub old_value: Value,
    pub new_value: Value,
    pub moderator: String,
    pub note: String,
    /// Unix milliseconds.
    pub at: i64,
}

/// What a change request did.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesChanged {
    /// The values now in force.
    pub values: RuleValues,
    /// The site's revision after the change.
    pub revision: i64,
    /// One entry per rule whose value changed (none when nothing did).
    pub changes: Vec<RuleChangeEntry>,
}

/// One rule a change request really changes: what a backend writes for it (the stored
/// value, or its removal for a `reset`, and one audit entry).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChange {
    pub rule: Rule,
    /// `set`, or `reset` (back to the configuration file's value).
    pub action: &'static str,
    pub old: Value,
    pub new: Value,
}

/// Applies `changes`, in order, to the values in force (`base`, the configuration's, with
/// the `current` stored rules over it), checks the result as a whole, and returns the new
/// values with the rules whose value (or stored state, for a reset) changes — or the first
/// refusal. Pure: every backend calls it inside its transaction, then writes the plan.
pub fn plan_rule_changes(
    base: &RuleValues,
    current: &StoredRules,
    changes: &[(Rule, RuleChange)],
) -> Result<(RuleValues, Vec<PlannedChange>), ValidationError> {
    let (mut values, _) = base.overlaid(current.rules.iter().map(|r| (r.rule, &r.value)));
    let mut planned = Vec::with_capacity(changes.len());
    for (rule, change) in changes {
        let old = values.get(*rule);
        values.apply(*rule, change, base)?;
        let action = if matches!(change, RuleChange::Reset) {
            "reset"
        } else {
            "set"
        };
        planned.push(PlannedChange {
            rule: *rule,
            action,
            old,
            new: values.get(*rule),
        });
    }
    values.check()?;
    planned.retain(|p| {
        let was_stored = current.rules.iter().any(|r| r.rule == p.rule);
        p.old != p.new || (p.action == "reset" && was_stored)
    });
    Ok((values, planned))
}

/// Site rules changed at run time.
#[async_trait]
pub trait Rules {
    /// The rules an admin changed on `site` (by rule name), and the site's revision. A
    /// read.
    async fn stored_rules(&self, site: SiteId) -> Result<StoredRules, StoreError>;

    /// Applies `changes` to `site`'s rules, whose configuration values are `base`, all or
    /// nothing (see the module's contract); a refused change answers `Ok(Err(…))` and
    /// writes nothing. Durable before return.
    async fn change_rules(
        &self,
        actor: Actor,
        site: SiteId,
        base: RuleValues,
        changes: Vec<(Rule, RuleChange)>,
        note: Note,
    ) -> Result<Result<RulesChanged, ValidationError>, StoreError>;

    /// The latest rule changes of `site`, newest first (at most
    /// [`MAX_RULE_CHANGES_LISTED`]). A read.
    async fn rule_changes(&self, site: SiteId) -> Result<Vec<RuleChangeEntry>, StoreError>;
}
