//! Sites: the news sites one instance serves, built once from the configuration.
//!
//! A [`Site`] is the runtime form of a `[sites.ID]` section: origins as a set, the API-key
//! hash ready for comparison, block lists compiled for matching. [`Sites`] looks them up
//! by id and resolves the site of a submission that names none (allowed only when the
//! instance serves exactly one site).
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use arc_swap::ArcSwap;

use super::rules::{RuleValues, SiteRules};
use super::site_config::{OtherLanguages, RateLimitConfig, SiteConfig};
use super::{AuthorEmail, IpNet, Origin, ValidationCode, ValidationError};
use crate::text::{PhraseList, Words};

/// Longest site id.
const MAX_SITE_ID_CHARS: usize = 64;

/// A site id: 1–64 of `a-z 0-9 - _` (lower case, so it survives environment overrides).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiteId(Arc<str>);

impl SiteId {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_SITE_ID_CHARS
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !ok {
            return Err(ValidationError::new(
                "site",
                ValidationCode::InvalidSite,
                "a site id is 1-64 characters of a-z, 0-9, '-' and '_'",
            ));
        }
        Ok(SiteId(raw.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.0)
    }
}

impl fmt::Display for SiteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// SHA-256 of an API key, as 64 hex digits in the config. The key itself is never stored.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct KeyHash([u8; 32]);

impl KeyHash {
    /// The hash of a presented key.
    pub fn of(key: &str) -> Self {
        KeyHash(Sha256::digest(key.as_bytes()).into())
    }

    pub fn parse(hex_digits: &str) -> Result<Self, String> {
        let bytes = hex::decode(hex_digits.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| "must be a SHA-256 hash: 64 hex digits".to_owned())?;
        Ok(KeyHash(bytes))
    }

    /// Constant-time comparison, so response timing says nothing about how close a guess was.
    pub fn matches(&self, other: &KeyHash) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl TryFrom<String> for KeyHash {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        KeyHash::parse(&value)
    }
}

impl From<KeyHash> for String {
    fn from(value: KeyHash) -> Self {
        hex::encode(value.0)
    }
}

impl fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyHash(…)")
    }
}

/// Makes a fresh random API key and its hash (for `commentguard site-key`).
pub fn generate_api_key() -> (String, KeyHash) {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let key = format!("cg_{}", hex::encode(bytes));
    let hash = KeyHash::of(&key);
    (key, hash)
}

/// What a block-list match does to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockAction {
    /// Hold for a moderator.
    Pending,
    /// Reject outright.
    Rejected,
}

/// A site's block lists, compiled for matching.
#[derive(Debug, Clone)]
pub struct BlockList {
    pub action: BlockAction,
    /// Words and phrases, read as [`crate::text`] reads comments: an entry matches the
    /// same words however they are disguised (`ca\u{200B}sino`, `ｃａｓｉｎｏ`, `c.a.s.i.n.o`,
    /// `cаsino` with a Cyrillic `а` all match `casino`).
    phrases: PhraseList,
    /// Canonical addresses (see [`AuthorEmail`]).
    emails: HashSet<String>,
    /// Lower-cased domains; each also blocks its subdomains.
    domains: HashSet<String>,
    ips: Vec<IpNet>,
}

impl BlockList {
    pub(crate) fn compile(config: &super::site_config::BlockListConfig) -> Self {
        let mut emails = HashSet::new();
        let mut domains = HashSet::new();
        for entry in &config.emails {
            let entry = entry.trim().to_lowercase();
            match entry.strip_prefix('@') {
                Some(domain) => domains.insert(domain.trim_end_matches('.').to_owned()),
                None => emails.insert(canonical_email(entry)),
            };
        }
        BlockList {
            action: config.action,
            phrases: PhraseList::new(config.words.iter().map(String::as_str)),
            emails,
            domains,
            ips: config.ips.clone(),
        }
    }

    /// The first blocked word or phrase (in the list's order) in `text`, if any, as its
    /// words joined by single spaces.
    pub fn blocked_word(&self, text: &Words) -> Option<&str> {
        self.phrases.first_in(text)
    }

    /// Whether `email` is listed, as any spelling of the same mailbox (`"bad"@x.example`,
    /// `bad+1@x.example` are `bad@x.example`), or its domain or a domain above it is
    /// (`@spam.example` blocks `a@sub.spam.example`).
    pub fn blocks_email(&self, email: &AuthorEmail) -> bool {
        self.emails.contains(email.as_str()) || email.domains().any(|d| self.domains.contains(d))
    }

    pub fn blocks_ip(&self, ip: IpAddr) -> bool {
        self.ips.iter().any(|net| net.contains(ip))
    }
}

/// The canonical form of a listed address (one that does not parse is kept as written,
/// lower-cased: it can match nothing, and the configuration check reports it).
pub(crate) fn canonical_email(entry: String) -> String {
    AuthorEmail::parse(&entry).map_or(entry, |e| e.as_str().to_owned())
}

/// One news site at run time.
#[derive(Debug)]
pub struct Site {
    pub id: SiteId,
    origins: HashSet<Origin>,
    key_hash: Option<KeyHash>,
    pub require_email: bool,
    pub honeypot_field: String,
    pub min_form_seconds: u64,
    pub require_form_token: bool,
    pub max_links: usize,
    pub duplicate_window: Duration,
    pub other_languages: OtherLanguages,
    pub rate_limit: RateLimitConfig,
    /// The rules' values the configuration gives (what a reset returns to).
    config_rules: RuleValues,
    /// The rules in force: block lists, pre-moderated and closed articles, thresholds and
    /// hold budget, trusted authors. Swapped whole when an admin changes one (see
    /// [`Site::install_rules`]); a submission reads one snapshot.
    rules: ArcSwap<SiteRules>,
    /// Reader reports that send a published comment back to the review queue.
    pub reports_to_review: u32,
}

impl Site {
    /// Builds the runtime site; `config` has passed [`crate::config::Config::validate`].
    pub fn from_config(id: SiteId, config: &SiteConfig) -> Self {
        Site {
            id,
            origins: config.origins.iter().cloned().collect(),
            key_hash: config.api_key_sha256,
            require_email: config.require_email,
            honeypot_field: config.honeypot_field.trim().to_owned(),
            min_form_seconds: config.min_form_seconds,
            require_form_token: config.require_form_token,
            max_links: config.max_links,
            duplicate_window: Duration::from_secs(config.duplicate_window_hours * 3600),
            other_languages: config.other_languages,
            rate_limit: config.rate_limit.clone(),
            rules: ArcSwap::from_pointee(SiteRules::compile(RuleValues::from_config(config), 0)),
            config_rules: RuleValues::from_config(config),
            reports_to_review: config.reports_to_review,
        }
    }

    /// Whether pages served from `origin` belong to this site.
    pub fn allows_origin(&self, origin: &Origin) -> bool {
        self.origins.contains(origin)
    }

    /// The rules in force now (one consistent snapshot).
    pub fn rules(&self) -> Arc<SiteRules> {
        self.rules.load_full()
    }

    /// The rules' values from the configuration file.
    pub fn config_rules(&self) -> &RuleValues {
        &self.config_rules
    }

    /// Puts `values` in force as of rule change `revision`, unless rules of a later
    /// revision already are (two changes finishing in the other order cannot bring back
    /// the older rules). Returns whether they were installed.
    pub fn install_rules(&self, values: RuleValues, revision: i64) -> bool {
        let new = Arc::new(SiteRules::compile(values, revision));
        let mut installed = false;
        self.rules.rcu(|current| {
            installed = current.revision <= revision;
            if installed {
                Arc::clone(&new)
            } else {
                Arc::clone(current)
            }
        });
        installed
    }

    /// Whether every comment on `article` is held.
    pub fn premoderates(&self, article: &str) -> bool {
        self.rules().premoderates(article)
    }

    /// Whether the site has a backend key at all.
    pub fn has_api_key(&self) -> bool {
        self.key_hash.is_some()
    }

    /// Whether `key` is this site's API key.
    pub fn accepts_key(&self, key: &str) -> bool {
        self.key_hash
            .as_ref()
            .is_some_and(|hash| hash.matches(&KeyHash::of(key)))
    }
}

/// All sites of the instance, by id.
#[derive(Debug)]
pub struct Sites {
    by_id: HashMap<String, Arc<Site>>,
}

impl Sites {
    pub fn from_config(sites: &BTreeMap<String, SiteConfig>) -> Result<Self, ValidationError> {
        let mut by_id = HashMap::with_capacity(sites.len());
        for (id, config) in sites {
            let site = Site::from_config(SiteId::parse(id)?, config);
            by_id.insert(id.clone(), Arc::new(site));
        }
        Ok(Sites { by_id })
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Site>> {
        self.by_id.get(id)
    }

    /// The site a submission is for: the named one, or the only one when none is named.
    pub fn resolve(&self, id: Option<&str>) -> Result<&Arc<Site>, ValidationError> {
        match id.map(str::trim).filter(|id| !id.is_empty()) {
            Some(id) => self.get(id).ok_or_else(|| {
                ValidationError::new(
                    "site",
                    ValidationCode::UnknownSite,
                    "no such site on this instance",
                )
            }),
            None if self.by_id.len() == 1 => Ok(self.by_id.values().next().expect("one site")),
            None => Err(ValidationError::new(
                "site",
                ValidationCode::Required,
                "site is required: this instance serves several sites",
            )),
        }
    }

    /// Whether any site serves pages from `origin` (CORS for routes not tied to a site).
    pub fn any_allows_origin(&self, origin: &Origin) -> bool {
        self.by_id.values().any(|site| site.allows_origin(origin))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Site>> {
        self.by_id.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::site_config::BlockListConfig;

    /// Site ids are lower-case slugs.
    #[test]
    fn site_id_rules() {
        assert!(SiteId::parse("daily-news_2").is_ok());
        for bad in ["", "Daily", "a b", &"x".repeat(65)] {
            assert!(SiteId::parse(bad).is_err(), "{bad}");
        }
    }

    /// A generated key verifies against its own hash and nothing else.
    #[test]
    fn api_keys() {
        let (key, hash) = generate_api_key();
        let parsed = KeyHash::parse(&String::from(hash)).unwrap();
        assert!(parsed.matches(&KeyHash::of(&key)));
        assert!(!parsed.matches(&KeyHash::of("cg_guess")));
        assert!(KeyHash::parse("abc").is_err());
    }

    /// Block-list words match whole words case-insensitively, phrases too.
    #[test]
    fn blocklist_words() {
        let list = BlockList::compile(&BlockListConfig {
            words: vec!["Viagra".into(), "buy now".into()],
            ..BlockListConfig::default()
        });
        let body = Words::read;
        assert_eq!(
            list.blocked_word(&body("Cheap VIAGRA here")),
            Some("viagra")
        );
        assert_eq!(
            list.blocked_word(&body("Buy   now, friends")),
            Some("buy now")
        );
        assert_eq!(list.blocked_word(&body("viagras are not a word")), None);
        assert_eq!(list.blocked_word(&body("buy nowhere")), None);
    }

    /// A blocked word matches however it is disguised: as the models read it.
    #[test]
    fn blocklist_words_see_through_disguises() {
        let list = BlockList::compile(&BlockListConfig {
            words: vec!["casino".into()],
            ..BlockListConfig::default()
        });
        for disguised in [
            "Best ca\u{200B}sino bonus",
            "Best ｃａｓｉｎｏ bonus",
            "Best c.a.s.i.n.o bonus",
            "Best c\u{0430}sino bonus",
        ] {
            assert_eq!(
                list.blocked_word(&Words::read(disguised)),
                Some("casino"),
                "{disguised:?}"
            );
        }
    }

    /// E-mails are blocked one by one or by domain; IPs by range.
    #[test]
    fn blocklist_emails_and_ips() {
        let list = BlockList::compile(&BlockListConfig {
            emails: vec!["Spam+list@Example.com".into(), "@Junk.test".into()],
            ips: vec![IpNet::parse("192.0.2.0/24").unwrap()],
            ..BlockListConfig::default()
        });
        let email = |s: &str| AuthorEmail::parse(s).unwrap();
        assert!(list.blocks_email(&email("spam@example.com")));
        assert!(list.blocks_email(&email("anyone@junk.test")));
        assert!(!list.blocks_email(&email("ham@example.com")));
        // Other spellings of a listed mailbox, and subdomains of a listed domain.
        assert!(list.blocks_email(&email("\"spam\"@example.com")));
        assert!(list.blocks_email(&email("Spam+1@example.com")));
        assert!(list.blocks_email(&email("a@sub.junk.test")));
        assert!(!list.blocks_email(&email("a@notjunk.test")));
        assert!(list.blocks_ip("192.0.2.77".parse().unwrap()));
        assert!(!list.blocks_ip("198.51.100.1".parse().unwrap()));
    }

    /// Without a site id, the only site is used; with several, the id is required.
    #[test]
    fn resolve_site() {
        let mut configs = BTreeMap::new();
        configs.insert("one".to_owned(), SiteConfig::default());
        let sites = Sites::from_config(&configs).unwrap();
        assert_eq!(sites.resolve(None).unwrap().id.as_str(), "one");
        assert_eq!(sites.resolve(Some("two")).unwrap_err().code, "UNKNOWN_SITE");
        configs.insert("two".to_owned(), SiteConfig::default());
        let sites = Sites::from_config(&configs).unwrap();
        assert_eq!(sites.resolve(None).unwrap_err().code, "REQUIRED");
        assert_eq!(sites.resolve(Some("two")).unwrap().id.as_str(), "two");
    }
}
