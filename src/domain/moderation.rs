//! Moderation: who moderates, what they decide, and whom they ban — parsed at the boundary.
//!
//! - [`ModeratorName`] — how a moderator is named in the CLI and the audit log.
//! - [`ModeratorToken`] — a fresh random bearer token and the SHA-256 that is stored.
//! - [`Verdict`] — approve, or reject with a [`RejectLabel`]; it fixes the new status and
//!   the [`TrainingLabels`] the decision teaches the models.
//! - [`Note`] — a moderator's free-text note, bounded.
//! - [`BanTarget`] — an author by e-mail or by IP, in the exact form the intake pipeline
//!   matches bans (canonical e-mail, see [`AuthorEmail`]; canonical IP text).
use std::fmt;
use std::net::IpAddr;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{AuthorEmail, Status, ValidationCode, ValidationError};

/// Longest moderator name.
pub const MAX_MODERATOR_NAME_CHARS: usize = 64;
/// Longest moderator note, in characters.
pub const MAX_NOTE_CHARS: usize = 1_000;
/// Prefix of moderator tokens, so a leaked one is recognisable (and never mistaken for a
/// site API key, which starts with `cg_`).
pub const TOKEN_PREFIX: &str = "cgm_";

/// A moderator's name: 1–64 of `A-Z a-z 0-9 . _ - @` (an e-mail address works).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ModeratorName(String);

impl ModeratorName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim();
        let ok = !name.is_empty()
            && name.chars().count() <= MAX_MODERATOR_NAME_CHARS
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !ok {
            return Err(ValidationError::new(
                "name",
                ValidationCode::InvalidModeratorName,
                "a moderator name is 1-64 characters of A-Z, a-z, 0-9, '.', '_', '-' and '@'",
            ));
        }
        Ok(ModeratorName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModeratorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// SHA-256 of a moderator token: what the database keeps and what a presented token is
/// looked up by. Tokens carry 256 random bits, so a fast hash is the right one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash of a presented token.
    pub fn of(token: &str) -> Self {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(…)")
    }
}

/// A freshly made moderator token. Shown once to the operator; only its hash is stored.
pub struct ModeratorToken {
    pub token: String,
    pub hash: TokenHash,
}

impl ModeratorToken {
    /// 32 random bytes from the OS-seeded generator, as `cgm_` + 64 hex digits.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        let hash = TokenHash::of(&token);
        ModeratorToken { token, hash }
    }
}

impl fmt::Debug for ModeratorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ModeratorToken(…)")
    }
}

/// Why a comment was rejected; also what the rejection teaches the models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RejectLabel {
    Spam,
    Abuse,
    /// Off-topic, duplicate, legal … : rejected, but neither spam nor abuse.
    Other,
}

impl RejectLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectLabel::Spam => "spam",
            RejectLabel::Abuse => "abuse",
            RejectLabel::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "spam" => Some(RejectLabel::Spam),
            "abuse" => Some(RejectLabel::Abuse),
            "other" => Some(RejectLabel::Other),
            _ => None,
        }
    }
}

/// What a decision teaches each model: `Some(true)` positive, `Some(false)` negative,
/// `None` no label for that task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct TrainingLabels {
    pub spam: Option<bool>,
    pub abuse: Option<bool>,
}

/// A moderator's decision on one comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Publish it (or restore it, if it was rejected).
    Approve,
    /// Reject it (or take it down, if it was published).
    Reject(RejectLabel),
}

impl Verdict {
    /// Parses `decision` (`approve` | `reject`) with its `label` (required with `reject`,
    /// refused with `approve`).
    pub fn parse(decision: &str, label: Option<&str>) -> Result<Self, ValidationError> {
        let label = label.map(str::trim).filter(|l| !l.is_empty());
        match decision.trim() {
            "approve" => match label {
                None => Ok(Verdict::Approve),
                Some(_) => Err(ValidationError::new(
                    "label",
                    ValidationCode::LabelNotAllowed,
                    "label goes with reject only",
                )),
            },
            "reject" => {
                let raw = label.ok_or_else(|| {
                    ValidationError::new(
                        "label",
                        ValidationCode::Required,
                        "reject needs a label: spam, abuse or other",
                    )
                })?;
                RejectLabel::parse(raw).map(Verdict::Reject).ok_or_else(|| {
                    ValidationError::new(
                        "label",
                        ValidationCode::InvalidLabel,
                        "label must be spam, abuse or other",
                    )
                })
            }
            _ => Err(ValidationError::new(
                "decision",
                ValidationCode::InvalidDecision,
                "decision must be approve or reject",
            )),
        }
    }

    /// The status the comment ends in.
    pub fn status(self) -> Status {
        match self {
            Verdict::Approve => Status::Published,
            Verdict::Reject(_) => Status::Rejected,
        }
    }

    /// `approve` or `reject`, as the audit log records it.
    pub fn action(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Reject(_) => "reject",
        }
    }

    pub fn label(self) -> Option<RejectLabel> {
        match self {
            Verdict::Approve => None,
            Verdict::Reject(label) => Some(label),
        }
    }

    /// Approve: neither spam nor abusive. Reject as spam: spam (abuse unknown). Reject as
    /// abuse: abusive (spam unknown). Reject as other: nothing learnt.
    pub fn training_labels(self) -> TrainingLabels {
        match self {
            Verdict::Approve => TrainingLabels {
                spam: Some(false),
                abuse: Some(false),
            },
            Verdict::Reject(RejectLabel::Spam) => TrainingLabels {
                spam: Some(true),
                abuse: None,
            },
            Verdict::Reject(RejectLabel::Abuse) => TrainingLabels {
                spam: None,
                abuse: Some(true),
            },
            Verdict::Reject(RejectLabel::Other) => TrainingLabels::default(),
        }
    }
}

/// A moderator's note: trimmed, at most [`MAX_NOTE_CHARS`], no control characters other
/// than line breaks and tabs. Empty when none was given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Note(String);

impl Note {
    pub fn parse(raw: Option<&str>) -> Result<Self, ValidationError> {
        let note = raw.unwrap_or("").trim();
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(ValidationError::new(
                "note",
                ValidationCode::TooLong,
                format!("note must be at most {MAX_NOTE_CHARS} characters"),
            ));
        }
        if note
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            return Err(ValidationError::new(
                "note",
                ValidationCode::InvalidCharacters,
                "note must not contain control characters",
            ));
        }
        Ok(Note(note.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An author to ban: by e-mail or by IP, never both (one ban row each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BanTarget {
    Email(AuthorEmail),
    Ip(IpAddr),
}

impl BanTarget {
    /// Exactly one of `author_email` and `client_ip`.
    pub fn parse(
        author_email: Option<&str>,
        client_ip: Option<&str>,
    ) -> Result<Self, ValidationError> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        match (present(author_email), present(client_ip)) {
            (Some(email), None) => Ok(BanTarget::Email(AuthorEmail::parse(email)?)),
            (None, Some(ip)) => ip.parse().map(BanTarget::Ip).map_err(|_| {
                ValidationError::new(
                    "client_ip",
                    ValidationCode::InvalidIp,
                    "client_ip must be an IP address",
                )
            }),
            (Some(_), Some(_)) => Err(ValidationError::new(
                "client_ip",
                ValidationCode::OneTarget,
                "give author_email or client_ip, not both (ban each separately)",
            )),
            (None, None) => Err(ValidationError::new(
                "author_email",
                ValidationCode::Required,
                "give author_email or client_ip",
            )),
        }
    }

    /// The value stored in `bans` and matched against `comments`: the canonical e-mail
    /// (`"bad"@x.example` and `bad+1@x.example` are `bad@x.example`, as intake stores
    /// it), or the IP as `IpAddr` prints it (how intake stores `client_ip`).
    pub fn key(&self) -> String {
        match self {
            BanTarget::Email(email) => email.as_str().to_owned(),
            BanTarget::Ip(ip) => ip.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names are short slugs or e-mail addresses.
    #[test]
    fn moderator_names() {
        for ok in ["alice", "a.b-c_d", "ann@paper.example"] {
            assert_eq!(ModeratorName::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", " ", "a b", "ünï", &"x".repeat(65)] {
            assert!(ModeratorName::parse(bad).is_err(), "{bad:?}");
        }
    }

    /// A generated token verifies against its own hash and nothing else.
    #[test]
    fn tokens() {
        let t = ModeratorToken::generate();
        assert!(t.token.starts_with(TOKEN_PREFIX));
        assert_eq!(t.token.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(TokenHash::of(&t.token), t.hash);
        assert_ne!(TokenHash::of("cgm_guess"), t.hash);
        assert_ne!(ModeratorToken::generate().token, t.token);
    }

    /// Each decision and label parses to its status and training labels; bad combinations
    /// name the field at fault.
    #[test]
    fn verdicts() {
        let labels = |spam, abuse| TrainingLabels { spam, abuse };
        let cases = [
            (
                "approve",
                None,
                Status::Published,
                labels(Some(false), Some(false)),
            ),
            (
                "reject",
                Some("spam"),
                Status::Rejected,
                labels(Some(true), None),
            ),
            (
                "reject",
                Some("abuse"),
                Status::Rejected,
                labels(None, Some(true)),
            ),
            (
                "reject",
                Some("other"),
                Status::Rejected,
                labels(None, None),
            ),
        ];
        for (decision, label, status, taught) in cases {
            let v = Verdict::parse(decision, label).unwrap();
            assert_eq!(v.status(), status, "{decision} {label:?}");
            assert_eq!(v.training_labels(), taught, "{decision} {label:?}");
        }
        let errors: &[(&str, Option<&str>, &str, &str)] = &[
            ("reject", None, "label", "REQUIRED"),
            ("reject", Some("rude"), "label", "INVALID_LABEL"),
            ("approve", Some("spam"), "label", "LABEL_NOT_ALLOWED"),
            ("delete", None, "decision", "INVALID_DECISION"),
        ];
        for (decision, label, field, code) in errors {
            let err = Verdict::parse(decision, *label).unwrap_err();
            assert_eq!(
                (err.field, err.code.as_str()),
                (*field, *code),
                "{decision} {label:?}"
            );
        }
    }

    /// Notes are bounded and single-purpose text.
    #[test]
    fn notes() {
        assert_eq!(Note::parse(None).unwrap().as_str(), "");
        assert_eq!(
            Note::parse(Some("  ok\nfine ")).unwrap().as_str(),
            "ok\nfine"
        );
        assert!(Note::parse(Some(&"x".repeat(MAX_NOTE_CHARS + 1))).is_err());
        assert!(Note::parse(Some("bell\u{7}")).is_err());
    }

    /// A ban names exactly one author key, in the form intake matches.
    #[test]
    fn ban_targets() {
        assert_eq!(
            BanTarget::parse(Some("Spammer@Example.com"), None)
                .unwrap()
                .key(),
            "spammer@example.com"
        );
        assert_eq!(
            BanTarget::parse(None, Some(" 2001:DB8::1 ")).unwrap().key(),
            "2001:db8::1"
        );
        assert_eq!(BanTarget::parse(None, None).unwrap_err().code, "REQUIRED");
        assert_eq!(
            BanTarget::parse(Some("a@b.io"), Some("1.2.3.4"))
                .unwrap_err()
                .code,
            "ONE_TARGET"
        );
        assert_eq!(
            BanTarget::parse(None, Some("nope")).unwrap_err().field,
            "client_ip"
        );
    }
}
