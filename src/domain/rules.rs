//! Site rules that change at run time: block lists, pre-moderated and closed articles,
//! thresholds and hold budget, trusted authors.
//!
//! The configuration file gives each rule its initial value ([`RuleValues::from_config`]);
//! an admin changes rules through the API or the settings page, the store keeps each
//! changed rule's value (and an audit row), and the site's [`SiteRules`] — the compiled
//! form the pipeline reads — is swapped at once (see [`super::Site::install_rules`]).
//! Every value is parsed here, by rule, so a bad one is refused naming the rule.
use std::collections::HashSet;

use serde_json::{json, Value};

use super::site::{canonical_email, BlockList};
use super::site_config::{BlockListConfig, SiteConfig, ThresholdConfig};
use super::{ArticleId, AuthorEmail, BlockAction, IpNet, ValidationCode, ValidationError};
use crate::text::Words;

/// Most entries of a list rule.
pub const MAX_LIST_ENTRIES: usize = 10_000;
/// Longest blocked word or phrase, in characters.
pub const MAX_WORD_CHARS: usize = 200;
/// Highest `trusted_author_after`.
pub const MAX_TRUSTED_AFTER: u32 = 10_000;

/// A rule of a site that can change at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// What a block-list match does: `pending` (hold) or `rejected`.
    BlocklistAction,
    BlockedWords,
    BlockedEmails,
    BlockedIps,
    /// Hold every comment of the site.
    Premoderate,
    PremoderatedArticles,
    /// Articles that take no new comments.
    ClosedArticles,
    SpamReview,
    SpamReject,
    AbuseReview,
    AbuseReject,
    HoldBudget,
    TrustedAuthorAfter,
    /// Authors (by e-mail) the models cannot hold, whatever their record.
    TrustedAuthors,
}

impl Rule {
    /// Every rule, in the order the settings page shows them.
    pub const ALL: [Rule; 14] = [
        Rule::BlocklistAction,
        Rule::BlockedWords,
        Rule::BlockedEmails,
        Rule::BlockedIps,
        Rule::Premoderate,
        Rule::PremoderatedArticles,
        Rule::ClosedArticles,
        Rule::SpamReview,
        Rule::SpamReject,
        Rule::AbuseReview,
        Rule::AbuseReject,
        Rule::HoldBudget,
        Rule::TrustedAuthorAfter,
        Rule::TrustedAuthors,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::BlocklistAction => "blocklist_action",
            Rule::BlockedWords => "blocked_words",
            Rule::BlockedEmails => "blocked_emails",
            Rule::BlockedIps => "blocked_ips",
            Rule::Premoderate => "premoderate",
            Rule::PremoderatedArticles => "premoderated_articles",
            Rule::ClosedArticles => "closed_articles",
            Rule::SpamReview => "spam_review",
            Rule::SpamReject => "spam_reject",
            Rule::AbuseReview => "abuse_review",
            Rule::AbuseReject => "abuse_reject",
            Rule::HoldBudget => "hold_budget",
            Rule::TrustedAuthorAfter => "trusted_author_after",
            Rule::TrustedAuthors => "trusted_authors",
        }
    }

    pub fn parse(raw: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == raw.trim())
    }

    /// The key of the site's configuration section that gives the initial value.
    pub fn config_key(self) -> &'static str {
        match self {
            Rule::BlocklistAction => "blocklist.action",
            Rule::BlockedWords => "blocklist.words",
            Rule::BlockedEmails => "blocklist.emails",
            Rule::BlockedIps => "blocklist.ips",
            Rule::Premoderate => "premoderate",
            Rule::PremoderatedArticles => "premoderate_articles",
            Rule::ClosedArticles => "closed_articles",
            Rule::SpamReview => "thresholds.spam_review",
            Rule::SpamReject => "thresholds.spam_reject",
            Rule::AbuseReview => "thresholds.abuse_review",
            Rule::AbuseReject => "thresholds.abuse_reject",
            Rule::HoldBudget => "hold_budget",
            Rule::TrustedAuthorAfter => "trusted_author_after",
            Rule::TrustedAuthors => "trusted_authors",
        }
    }

    /// Whether the rule's value is a list (which `add` and `remove` change).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Rule::BlockedWords
                | Rule::BlockedEmails
                | Rule::BlockedIps
                | Rule::PremoderatedArticles
                | Rule::ClosedArticles
                | Rule::TrustedAuthors
        )
    }
}

/// How one change alters a rule.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleChange {
    /// Replace the value.
    Set(Value),
    /// Add entries to a list (those already there are kept once).
    Add(Vec<String>),
    /// Remove entries from a list (as they would be written after normalising).
    Remove(Vec<String>),
    /// Back to the configuration file's value.
    Reset,
}

/// The values of a site's run-time rules.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleValues {
    pub blocklist_action: BlockAction,
    pub blocked_words: Vec<String>,
    pub blocked_emails: Vec<String>,
    pub blocked_ips: Vec<IpNet>,
    pub premoderate: bool,
    pub premoderated_articles: Vec<String>,
    pub closed_articles: Vec<String>,
    pub thresholds: ThresholdConfig,
    pub hold_budget: Option<f64>,
    pub trusted_author_after: u32,
    /// Canonical e-mail addresses (see [`AuthorEmail`]).
    pub trusted_authors: Vec<String>,
}

fn invalid(rule: Rule, code: ValidationCode, message: impl Into<String>) -> ValidationError {
    ValidationError::new(rule.as_str(), code, message)
}

/// The entries of a list value: strings, trimmed, blanks refused, duplicates dropped
/// (first kept), each checked by `entry`.
fn list(
    rule: Rule,
    value: &Value,
    entry: impl Fn(&str) -> Result<String, String>,
) -> Result<Vec<String>, ValidationError> {
    let items = value.as_array().ok_or_else(|| {
        invalid(
            rule,
            ValidationCode::InvalidRule,
            format!("{} must be a list of strings", rule.as_str()),
        )
    })?;
    if items.len() > MAX_LIST_ENTRIES {
        return Err(invalid(
            rule,
            ValidationCode::TooMany,
            format!("{} takes at most {MAX_LIST_ENTRIES} entries", rule.as_str()),
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let raw = item.as_str().ok_or_else(|| {
            invalid(
                rule,
                ValidationCode::InvalidRule,
                format!("{} must be a list of strings", rule.as_str()),
            )
        })?;
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(invalid(
                rule,
                ValidationCode::InvalidRule,
                format!("{} must not have empty entries", rule.as_str()),
            ));
        }
        let normal = entry(raw).map_err(|why| {
            invalid(
                rule,
                ValidationCode::InvalidRule,
                format!("{}: `{raw}` {why}", rule.as_str()),
            )
        })?;
        if seen.insert(normal.clone()) {
            out.push(normal);
        }
    }
    Ok(out)
}

fn word(raw: &str) -> Result<String, String> {
    if raw.chars().count() > MAX_WORD_CHARS {
        return Err(format!("is longer than {MAX_WORD_CHARS} characters"));
    }
    if raw.chars().any(char::is_control) {
        return Err("has control characters".into());
    }
    if Words::read(raw).words().next().is_none() {
        return Err("has no letter or digit to match".into());
    }
    Ok(raw.to_owned())
}

/// An address (canonical, see [`AuthorEmail`]) or `@domain` (lower-cased; it also covers
/// the domain's subdomains).
fn email_or_domain(raw: &str) -> Result<String, String> {
    match raw.strip_prefix('@') {
        Some(domain) if !domain.is_empty() && !domain.contains('@') && !domain.contains(' ') => {
            Ok(format!("@{}", domain.to_lowercase()))
        }
        Some(_) => Err("is not a domain".into()),
        None => email(raw),
    }
}

fn email(raw: &str) -> Result<String, String> {
    AuthorEmail::parse(raw)
        .map(|e| e.as_str().to_owned())
        .map_err(|_| "is not an e-mail address".into())
}

fn article(raw: &str) -> Result<String, String> {
    ArticleId::parse(raw)
        .map(|a| a.as_str().to_owned())
        .map_err(|e| e.message)
}

/// An address or range, written as `address/prefix` (`10.0.0.1` is `10.0.0.1/32`).
fn ip(raw: &str) -> Result<String, String> {
    IpNet::parse(raw)
        .map(String::from)
        .map_err(|_| "is not an IP address or CIDR range".into())
}

/// A probability or `null`.
fn probability(rule: Rule, value: &Value) -> Result<Option<f64>, ValidationError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => match n.as_f64() {
            Some(p) if (0.0..=1.0).contains(&p) => Ok(Some(p)),
            _ => Err(invalid(
                rule,
                ValidationCode::OutOfRange,
                format!(
                    "{} must be a probability between 0 and 1, or null",
                    rule.as_str()
                ),
            )),
        },
        _ => Err(invalid(
            rule,
            ValidationCode::InvalidRule,
            format!(
                "{} must be a number between 0 and 1, or null",
                rule.as_str()
            ),
        )),
    }
}

impl RuleValues {
    /// The values the configuration file gives.
    pub fn from_config(config: &SiteConfig) -> Self {
        let trim = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        RuleValues {
            blocklist_action: config.blocklist.action,
            blocked_words: trim(&config.blocklist.words),
            blocked_emails: config
                .blocklist
                .emails
                .iter()
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty())
                .map(|e| {
                    if e.starts_with('@') {
                        e
                    } else {
                        canonical_email(e)
                    }
                })
                .collect(),
            blocked_ips: config.blocklist.ips.clone(),
            premoderate: config.premoderate,
            premoderated_articles: trim(&config.premoderate_articles),
            closed_articles: trim(&config.closed_articles),
            thresholds: config.thresholds.clone(),
            hold_budget: config.hold_budget,
            trusted_author_after: config.trusted_author_after,
            trusted_authors: config
                .trusted_authors
                .iter()
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty())
                .map(canonical_email)
                .collect(),
        }
    }

    /// The value of `rule`, as JSON.
    pub fn get(&self, rule: Rule) -> Value {
        let t = &self.thresholds;
        match rule {
            Rule::BlocklistAction => json!(self.blocklist_action),
            Rule::BlockedWords => json!(self.blocked_words),
            Rule::BlockedEmails => json!(self.blocked_emails),
            Rule::BlockedIps => json!(self.blocked_ips),
            Rule::Premoderate => json!(self.premoderate),
            Rule::PremoderatedArticles => json!(self.premoderated_articles),
            Rule::ClosedArticles => json!(self.closed_articles),
            Rule::SpamReview => json!(t.spam_review),
            Rule::SpamReject => json!(t.spam_reject),
            Rule::AbuseReview => json!(t.abuse_review),
            Rule::AbuseReject => json!(t.abuse_reject),
            Rule::HoldBudget => json!(self.hold_budget),
            Rule::TrustedAuthorAfter => json!(self.trusted_author_after),
            Rule::TrustedAuthors => json!(self.trusted_authors),
        }
    }

    /// Sets `rule` to `value`, parsed and normalised (lists trimmed and de-duplicated,
    /// e-mails lower-cased); a bad value is refused naming the rule and nothing changes.
    pub fn set(&mut self, rule: Rule, value: &Value) -> Result<(), ValidationError> {
        match rule {
            Rule::BlocklistAction => {
                self.blocklist_action = serde_json::from_value(value.clone()).map_err(|_| {
                    invalid(rule, ValidationCode::InvalidRule, "blocklist_action must be pending or rejected")
                })?
            }
            Rule::BlockedWords => self.blocked_words = list(rule, value, word)?,
            Rule::BlockedEmails => self.blocked_emails = list(rule, value, email_or_domain)?,
            Rule::BlockedIps => {
                self.blocked_ips = list(rule, value, ip)?
                    .iter()
                    .map(|raw| IpNet::parse(raw).map_err(|e| invalid(rule, ValidationCode::InvalidRule, e)))
                    .collect::<Result<_, _>>()?
            }
            Rule::Premoderate => {
                self.premoderate = value
                    .as_bool()
                    .ok_or_else(|| invalid(rule, ValidationCode::InvalidRule, "premoderate must be true or false"))?
            }
            Rule::PremoderatedArticles => self.premoderated_articles = list(rule, value, article)?,
            Rule::ClosedArticles => self.closed_articles = list(rule, value, article)?,
            Rule::SpamReview => self.thresholds.spam_review = probability(rule, value)?,
            Rule::SpamReject => self.thresholds.spam_reject = probability(rule, value)?,
            Rule::AbuseReview => self.thresholds.abuse_review = probability(rule, value)?,
            Rule::AbuseReject => self.thresholds.abuse_reject = probability(rule, value)?,
            Rule::HoldBudget => {
                let budget = probability(rule, value)?;
                if budget.is_some_and(|b| b <= 0.0 || b >= 1.0) {
                    return Err(invalid(
                        rule,
                        ValidationCode::OutOfRange,
                        "hold_budget must be a share of comments between 0 and 1 (e.g. 0.03), or null",
                    ));
                }
                self.hold_budget = budget;
            }
            Rule::TrustedAuthorAfter => {
                self.trusted_author_after = value
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n <= MAX_TRUSTED_AFTER)
                    .ok_or_else(|| {
                        invalid(
                            rule,
                            ValidationCode::OutOfRange,
                            format!("trusted_author_after must be a whole number from 0 to {MAX_TRUSTED_AFTER} (0: off)"),
                        )
                    })?
            }
            Rule::TrustedAuthors => self.trusted_authors = list(rule, value, email)?,
        }
        Ok(())
    }

    /// Applies one change; `base` is the configuration's values (what `Reset` returns to).
    pub fn apply(
        &mut self,
        rule: Rule,
        change: &RuleChange,
        base: &RuleValues,
    ) -> Result<(), ValidationError> {
        let not_list = || {
            invalid(
                rule,
                ValidationCode::NotAList,
                format!("{} is not a list: use set or reset", rule.as_str()),
            )
        };
        match change {
            RuleChange::Set(value) => self.set(rule, value),
            RuleChange::Reset => self.set(rule, &base.get(rule)),
            RuleChange::Add(entries) => {
                if !rule.is_list() {
                    return Err(not_list());
                }
                let mut items = self.get(rule).as_array().cloned().unwrap_or_default();
                items.extend(entries.iter().map(|e| json!(e)));
                self.set(rule, &Value::Array(items))
            }
            RuleChange::Remove(entries) => {
                if !rule.is_list() {
                    return Err(not_list());
                }
                // Normalised like the list itself, so `Spam@X.io` removes `spam@x.io`.
                let mut gone = self.clone();
                gone.set(rule, &json!(entries))?;
                let gone: HashSet<String> = gone
                    .get(rule)
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                let kept: Vec<Value> = self
                    .get(rule)
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|v| v.as_str().is_none_or(|s| !gone.contains(s)))
                    .cloned()
                    .collect();
                self.set(rule, &Value::Array(kept))
            }
        }
    }

    /// These values with stored ones laid over them, rule by rule. A stored value that no
    /// longer parses (written by another build) is left out and returned as an error, so
    /// the caller can say so; the others apply.
    pub fn overlaid<'a>(
        &self,
        stored: impl IntoIterator<Item = (Rule, &'a Value)>,
    ) -> (RuleValues, Vec<ValidationError>) {
        let mut values = self.clone();
        let mut refused = Vec::new();
        for (rule, value) in stored {
            if let Err(e) = values.set(rule, value) {
                refused.push(e);
            }
        }
        (values, refused)
    }

    /// The rules between values: a review threshold never above its reject threshold.
    pub fn check(&self) -> Result<(), ValidationError> {
        let t = &self.thresholds;
        for (review_rule, review, reject) in [
            (Rule::SpamReview, t.spam_review, t.spam_reject),
            (Rule::AbuseReview, t.abuse_review, t.abuse_reject),
        ] {
            if let (Some(review), Some(reject)) = (review, reject) {
                if review > reject {
                    return Err(invalid(
                        review_rule,
                        ValidationCode::AboveReject,
                        format!(
                            "{} ({review}) must not exceed the reject threshold ({reject})",
                            review_rule.as_str()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// A site's rules compiled for the pipeline: what each submission reads.
#[derive(Debug)]
pub struct SiteRules {
    /// The values they were compiled from (what the settings show).
    pub values: RuleValues,
    pub blocklist: BlockList,
    pub premoderate: bool,
    premoderated_articles: HashSet<String>,
    closed_articles: HashSet<String>,
    pub thresholds: ThresholdConfig,
    /// Share of ordinary comments the models may hold together (see `SiteConfig`).
    pub hold_budget: Option<f64>,
    pub trusted_author_after: u32,
    trusted_authors: HashSet<String>,
    /// The id of the latest rule change they include (0: the configuration's values).
    pub revision: i64,
}

impl SiteRules {
    pub fn compile(values: RuleValues, revision: i64) -> Self {
        let blocklist = BlockList::compile(&BlockListConfig {
            action: values.blocklist_action,
            words: values.blocked_words.clone(),
            emails: values.blocked_emails.clone(),
            ips: values.blocked_ips.clone(),
        });
        SiteRules {
            blocklist,
            premoderate: values.premoderate,
            premoderated_articles: values.premoderated_articles.iter().cloned().collect(),
            closed_articles: values.closed_articles.iter().cloned().collect(),
            thresholds: values.thresholds.clone(),
            hold_budget: values.hold_budget,
            trusted_author_after: values.trusted_author_after,
            trusted_authors: values.trusted_authors.iter().cloned().collect(),
            values,
            revision,
        }
    }

    /// Whether every comment on `article` is held.
    pub fn premoderates(&self, article: &str) -> bool {
        self.premoderate || self.premoderated_articles.contains(article)
    }

    /// Whether `article` takes no new comments.
    pub fn is_closed(&self, article: &str) -> bool {
        self.closed_articles.contains(article)
    }

    /// Whether a moderator made this author (canonical e-mail) trusted.
    pub fn trusts(&self, email: &AuthorEmail) -> bool {
        self.trusted_authors.contains(email.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> RuleValues {
        RuleValues::from_config(&SiteConfig::default())
    }

    /// Every rule round-trips through its JSON value, and its name parses back.
    #[test]
    fn rules_round_trip() {
        let v = values();
        for rule in Rule::ALL {
            assert_eq!(Rule::parse(rule.as_str()), Some(rule));
            let mut copy = v.clone();
            copy.set(rule, &v.get(rule)).unwrap();
            assert_eq!(copy, v, "{}", rule.as_str());
        }
        assert_eq!(Rule::parse("max_links"), None);
    }

    /// Lists are trimmed, de-duplicated and normalised; bad entries name the rule.
    #[test]
    fn list_values() {
        let mut v = values();
        v.set(
            Rule::BlockedEmails,
            &json!([" Spam@Example.com ", "@Junk.Test", "spam@example.com"]),
        )
        .unwrap();
        assert_eq!(v.blocked_emails, ["spam@example.com", "@junk.test"]);
        let cases = [
            (Rule::BlockedEmails, json!(["not an address"])),
            (Rule::BlockedIps, json!(["10.0.0.0/99"])),
            (Rule::BlockedWords, json!(["", "casino"])),
            (Rule::BlockedWords, json!(["!!!"])),
            (Rule::ClosedArticles, json!(["a\u{0}b"])),
            (Rule::TrustedAuthors, json!(["@domain.only"])),
            (Rule::ClosedArticles, json!("2024/budget")),
            (Rule::SpamReview, json!(1.5)),
            (Rule::HoldBudget, json!(0)),
            (Rule::Premoderate, json!("yes")),
            (Rule::TrustedAuthorAfter, json!(-1)),
            (Rule::BlocklistAction, json!("delete")),
        ];
        for (rule, value) in cases {
            let err = v.clone().set(rule, &value).expect_err(&value.to_string());
            assert_eq!(err.field, rule.as_str(), "{value}");
        }
    }

    /// Listed addresses are canonical, so every spelling of one mailbox is one entry,
    /// and removing any spelling removes it.
    #[test]
    fn listed_emails_are_canonical() {
        let base = values();
        let mut v = base.clone();
        v.set(
            Rule::BlockedEmails,
            &json!(["\"bad\"@x.example", "Bad+1@X.example", "@Spam.example"]),
        )
        .unwrap();
        assert_eq!(v.blocked_emails, ["bad@x.example", "@spam.example"]);
        v.apply(
            Rule::BlockedEmails,
            &RuleChange::Remove(vec!["bad+2@x.example".into()]),
            &base,
        )
        .unwrap();
        assert_eq!(v.blocked_emails, ["@spam.example"]);
        v.set(Rule::TrustedAuthors, &json!(["ann+news@example.com"]))
            .unwrap();
        let rules = SiteRules::compile(v, 1);
        assert!(rules.trusts(&AuthorEmail::parse("\"ann\"@example.com").unwrap()));
        let mut config = SiteConfig {
            trusted_authors: vec!["Ann+X@Example.com".into()],
            ..SiteConfig::default()
        };
        config.blocklist.emails = vec!["\"bad\"@x.example".into(), "@Spam.example".into()];
        let from_config = RuleValues::from_config(&config);
        assert_eq!(from_config.trusted_authors, ["ann@example.com"]);
        assert_eq!(
            from_config.blocked_emails,
            ["bad@x.example", "@spam.example"]
        );
    }

    /// Add and remove change lists entry by entry; reset returns to the configuration;
    /// add on a value that is not a list is refused.
    #[test]
    fn changes() {
        let base = values();
        let mut v = base.clone();
        let closed = Rule::ClosedArticles;
        v.apply(
            closed,
            &RuleChange::Add(vec!["a".into(), "b".into()]),
            &base,
        )
        .unwrap();
        v.apply(
            closed,
            &RuleChange::Add(vec!["a".into(), "c".into()]),
            &base,
        )
        .unwrap();
        assert_eq!(v.closed_articles, ["a", "b", "c"]);
        v.apply(closed, &RuleChange::Remove(vec![" b ".into()]), &base)
            .unwrap();
        assert_eq!(v.closed_articles, ["a", "c"]);
        v.apply(
            Rule::TrustedAuthors,
            &RuleChange::Add(vec!["Ann@X.io".into()]),
            &base,
        )
        .unwrap();
        v.apply(
            Rule::TrustedAuthors,
            &RuleChange::Remove(vec!["ANN@x.io".into()]),
            &base,
        )
        .unwrap();
        assert!(v.trusted_authors.is_empty());
        v.apply(closed, &RuleChange::Reset, &base).unwrap();
        assert!(v.closed_articles.is_empty());
        let err = v
            .apply(
                Rule::SpamReview,
                &RuleChange::Add(vec!["0.5".into()]),
                &base,
            )
            .unwrap_err();
        assert_eq!(err.code, "NOT_A_LIST");
    }

    /// A review threshold above its reject threshold is refused as a whole.
    #[test]
    fn thresholds_stay_ordered() {
        let mut v = values();
        v.set(Rule::SpamReject, &json!(0.6)).unwrap();
        v.set(Rule::SpamReview, &json!(0.7)).unwrap();
        assert_eq!(v.check().unwrap_err().field, "spam_review");
        v.set(Rule::SpamReview, &json!(0.5)).unwrap();
        assert!(v.check().is_ok());
    }

    /// Compiled rules answer the pipeline's questions.
    #[test]
    fn compiled_rules() {
        let mut v = values();
        v.set(Rule::ClosedArticles, &json!(["2024/budget"]))
            .unwrap();
        v.set(Rule::PremoderatedArticles, &json!(["2024/trial"]))
            .unwrap();
        v.set(Rule::TrustedAuthors, &json!(["Ann@Example.com"]))
            .unwrap();
        v.set(Rule::BlockedWords, &json!(["casino"])).unwrap();
        let rules = SiteRules::compile(v, 7);
        assert!(rules.is_closed("2024/budget") && !rules.is_closed("2024/trial"));
        assert!(rules.premoderates("2024/trial") && !rules.premoderates("2024/budget"));
        assert!(rules.trusts(&AuthorEmail::parse("ann@example.com").unwrap()));
        let body = crate::text::Words::read("Best casino bonus");
        assert_eq!(rules.blocklist.blocked_word(&body), Some("casino"));
        assert_eq!(rules.revision, 7);
    }
}
