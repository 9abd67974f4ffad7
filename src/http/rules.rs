//! Site rules at run time, for admins: block lists (words, e-mails, IPs), pre-moderated
//! and closed articles, thresholds and hold budget, trusted authors.
//!
//! | method | path | what |
//! |---|---|---|
//! | GET | `/api/v1/admin/sites/{site}/rules` | every rule in force, where its value comes from, the latest changes |
//! | POST | `/api/v1/admin/sites/{site}/rules` | change rules: set, add to / remove from a list, reset to the config file |
//!
//! The configuration file gives each rule its initial value; a change is stored in SQLite
//! with an audit row (who, when, the value before and after, a note) and is in force for
//! the very next submission: the site's rules are swapped whole in memory once the change
//! is committed ([`crate::domain::Site::install_rules`]), and loaded again at start
//! ([`install_stored`]). A request's changes apply together or not at all.
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::moderator_auth::Admin;
use super::{ApiError, AppState, ErrorCode};
use crate::domain::{Note, Rule, RuleChange, Site, Sites, ValidationCode, ValidationError};
use crate::store::{RuleChangeEntry, Store, StoreError, StoredRules};

/// Most changes in one request.
pub const MAX_CHANGES: usize = 50;
/// Largest body of a change request (a block list of 10,000 entries fits).
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// Registers the routes (inside `/api/v1`, before the `/admin` scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/sites/{site}/rules")
            // Credentials before the body (see `moderator_auth::authenticated`).
            .wrap(actix_web::middleware::from_fn(
                super::moderator_auth::authenticated,
            ))
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_JSON_BYTES)
                    .error_handler(|err, _req| {
                        ApiError::coded(ErrorCode::InvalidJson)
                            .with_message(err.to_string())
                            .into()
                    }),
            )
            .route(web::get().to(rules))
            .route(web::post().to(change)),
    );
}

/// Puts every site's stored rules in force (at start, after the database is open).
pub async fn install_stored(sites: &Sites, store: &Store) -> Result<(), StoreError> {
    for site in sites.iter() {
        let stored = store.stored_rules(site.id.clone()).await?;
        install(site, &stored);
    }
    Ok(())
}

/// The configuration's values with `stored` laid over them, in force as of its revision.
fn install(site: &Site, stored: &StoredRules) {
    let (values, refused) = site
        .config_rules()
        .overlaid(stored.rules.iter().map(|r| (r.rule, &r.value)));
    for e in refused {
        tracing::error!(site = %site.id, rule = e.field, error = %e.message,
            "a stored rule is not valid any more; the configuration's value applies");
    }
    site.install_rules(values, stored.revision);
}

/// One rule as the settings show it.
#[derive(Serialize, ToSchema)]
pub struct RuleView {
    /// The rule's name (`closed_articles`, `spam_review`, …).
    rule: &'static str,
    /// The value in force.
    value: Value,
    /// The configuration file's value (what a reset returns to).
    config_value: Value,
    /// The key of the site's section in the configuration file.
    config_key: &'static str,
    /// Who last changed it; `null`: the configuration's value is in force.
    changed_by: Option<String>,
    /// Unix milliseconds.
    changed_at: Option<i64>,
}

/// A site's rules.
#[derive(Serialize, ToSchema)]
pub struct RulesView {
    site: String,
    /// The id of the latest change in force (0: the configuration's values).
    revision: i64,
    /// Every rule, in the settings page's order.
    rules: Vec<RuleView>,
    /// GET: the latest changes, newest first (at most 200). POST: the changes this request
    /// made (none when every value was already as asked).
    changes: Vec<RuleChangeEntry>,
}

fn view(site: &Site, stored: &StoredRules, changes: Vec<RuleChangeEntry>) -> RulesView {
    let in_force = site.rules();
    RulesView {
        site: site.id.as_str().to_owned(),
        revision: in_force.revision,
        rules: Rule::ALL
            .into_iter()
            .map(|rule| {
                let changed = stored.rules.iter().find(|r| r.rule == rule);
                RuleView {
                    rule: rule.as_str(),
                    value: in_force.values.get(rule),
                    config_value: site.config_rules().get(rule),
                    config_key: rule.config_key(),
                    changed_by: changed.map(|r| r.changed_by.clone()),
                    changed_at: changed.map(|r| r.changed_at),
                }
            })
            .collect(),
        changes,
    }
}

/// `GET /api/v1/admin/sites/{site}/rules`
#[utoipa::path(get, path = "/api/v1/admin/sites/{site}/rules", tag = "admin",
    params(("site" = String, Path, description = "The site id")),
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "The rules in force", body = RulesView),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "`SITE_NOT_FOUND`", body = ErrorBody),
        (status = 429, description = "Too many failed authentications", body = ErrorBody),
    ))]
#[tracing::instrument(name = "site_rules", skip_all, fields(admin = %admin.0.name()))]
pub async fn rules(
    admin: Admin,
    site: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let site = super::site_in_path(&state, &site)?;
    let stored = state.store.stored_rules(site.id.clone()).await?;
    let log = state.store.rule_changes(site.id.clone()).await?;
    Ok(HttpResponse::Ok().json(view(site, &stored, log)))
}

/// One change: `rule` and exactly one of `set`, `add`, `remove`, `reset`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RuleChangeBody {
    rule: Option<String>,
    /// The new value (any rule).
    set: Option<Value>,
    /// Entries to add (list rules).
    add: Option<Vec<String>>,
    /// Entries to remove (list rules).
    remove: Option<Vec<String>>,
    /// `true`: back to the configuration file's value.
    reset: Option<bool>,
}

/// A change request.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RulesChangeBody {
    changes: Vec<RuleChangeBody>,
    /// Why (kept in the audit log), up to 1,000 characters.
    note: Option<String>,
}

impl RuleChangeBody {
    fn parse(&self) -> Result<(Rule, RuleChange), ValidationError> {
        let name = self.rule.as_deref().unwrap_or("");
        let rule = Rule::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
            ValidationError::new(
                "rule",
                ValidationCode::UnknownRule,
                format!("rule must be one of: {}", known.join(", ")),
            )
        })?;
        let change = match (&self.set, &self.add, &self.remove, self.reset) {
            (Some(value), None, None, None | Some(false)) => RuleChange::Set(value.clone()),
            (None, Some(entries), None, None | Some(false)) => RuleChange::Add(entries.clone()),
            (None, None, Some(entries), None | Some(false)) => RuleChange::Remove(entries.clone()),
            (None, None, None, Some(true)) => RuleChange::Reset,
            _ => {
                return Err(ValidationError::new(
                    rule.as_str(),
                    ValidationCode::OneChange,
                    format!(
                        "{}: give exactly one of set, add, remove or reset: true",
                        rule.as_str()
                    ),
                ))
            }
        };
        Ok((rule, change))
    }
}

/// `POST /api/v1/admin/sites/{site}/rules` `{"changes": [{"rule", "set" | "add" |
/// "remove" | "reset"}], "note"}`
#[utoipa::path(post, path = "/api/v1/admin/sites/{site}/rules", tag = "admin",
    params(("site" = String, Path, description = "The site id")),
    request_body = RulesChangeBody,
    security(("moderator_token" = []), ("moderator_session" = [])),
    responses(
        (status = 200, description = "In force: the rules, and the changes made", body = RulesView),
        (status = 400, description = "`INVALID_JSON`", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not an admin, or a session without its CSRF token", body = ErrorBody),
        (status = 404, description = "`SITE_NOT_FOUND`", body = ErrorBody),
        (status = 422, description = "A bad change; the error names the rule. Nothing was changed", body = ErrorBody),
        (status = 429, description = "Too many failed authentications", body = ErrorBody),
    ))]
#[tracing::instrument(name = "change_site_rules", skip_all, fields(admin = %admin.0.name()))]
pub async fn change(
    admin: Admin,
    site: web::Path<String>,
    body: web::Json<RulesChangeBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let site = super::site_in_path(&state, &site)?;
    if body.changes.is_empty() || body.changes.len() > MAX_CHANGES {
        return Err(ValidationError::new(
            "changes",
            ValidationCode::OutOfRange,
            format!("send between 1 and {MAX_CHANGES} changes"),
        )
        .into());
    }
    let changes = body
        .changes
        .iter()
        .map(RuleChangeBody::parse)
        .collect::<Result<Vec<_>, _>>()?;
    let note = Note::parse(body.note.as_deref())?;
    let changed = state
        .store
        .change_rules(
            admin.0.actor(),
            site.id.clone(),
            site.config_rules().clone(),
            changes,
            note,
        )
        .await??;
    site.install_rules(changed.values, changed.revision);
    for c in &changed.changes {
        tracing::info!(site = %site.id, rule = c.rule, action = c.action, "site rule changed");
    }
    let stored = state.store.stored_rules(site.id.clone()).await?;
    Ok(HttpResponse::Ok().json(view(site, &stored, changed.changes)))
}
