//! Why a comment got its status: reasons (a stable code, what it did, a detail) and the
//! model scores with the words that explain them.
//!
//! Reason codes are part of the API (the backend sees them, the review queue filters on
//! them, they are stored): never rename one, only add.
use std::fmt;

use serde::{Deserialize, Serialize};

/// A stable, snake_case reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// The honeypot field was filled in.
    Honeypot,
    /// The site requires a form token and none came.
    FormTokenMissing,
    /// The form token was forged, malformed or for another site.
    FormTokenInvalid,
    /// The form was submitted faster than a person types.
    FormTooFast,
    /// More links than the site allows.
    TooManyLinks,
    /// A word or phrase on the site's block list.
    BlockedWord,
    /// An e-mail address or domain on the site's block list.
    BlockedEmail,
    /// An IP address on the site's block list.
    BlockedIp,
    /// The author's e-mail is banned.
    BannedEmail,
    /// The author's IP is banned.
    BannedIp,
    /// The author is trusted: the models may not hold this comment.
    TrustedAuthor,
    /// The spam model's score reached a threshold.
    Spam,
    /// The abuse model's score reached a threshold.
    Abuse,
    /// The site or article holds every comment.
    Premoderated,
    /// Readers reported the published comment often enough to send it back to the queue.
    Reported,
    /// Confidently written in a language the models were not trained on (the detail names
    /// it); the models' scores were not used.
    Language,
    /// Words mix Latin letters with look-alike letters of another script (`Сheck` with a
    /// Cyrillic `С`): a disguise used to slip past filters.
    LookalikeLetters,
}

impl ReasonCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::Honeypot => "honeypot",
            ReasonCode::FormTokenMissing => "form_token_missing",
            ReasonCode::FormTokenInvalid => "form_token_invalid",
            ReasonCode::FormTooFast => "form_too_fast",
            ReasonCode::TooManyLinks => "too_many_links",
            ReasonCode::BlockedWord => "blocked_word",
            ReasonCode::BlockedEmail => "blocked_email",
            ReasonCode::BlockedIp => "blocked_ip",
            ReasonCode::BannedEmail => "banned_email",
            ReasonCode::BannedIp => "banned_ip",
            ReasonCode::TrustedAuthor => "trusted_author",
            ReasonCode::Spam => "spam",
            ReasonCode::Abuse => "abuse",
            ReasonCode::Premoderated => "premoderated",
            ReasonCode::Reported => "reported",
            ReasonCode::Language => "language",
            ReasonCode::LookalikeLetters => "lookalike_letters",
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a reason did to the comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Held it for review.
    Hold,
    /// Rejected it.
    Reject,
    /// Changed nothing by itself (recorded for moderators).
    Note,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Hold => "hold",
            Outcome::Reject => "reject",
            Outcome::Note => "note",
        }
    }
}

/// One recorded reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    pub code: ReasonCode,
    pub outcome: Outcome,
    /// Short evidence (`"3 links, at most 2"`, `"score 0.97 >= 0.90"`); never the
    /// author's e-mail or the comment text.
    pub detail: String,
}

/// One model's verdict on a comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelScore {
    /// Probability in `[0, 1]` that the comment is spam (or abusive).
    pub probability: f64,
    /// The words that drove the score, strongest first, as the comment wrote them
    /// (lower-cased, look-alike letters read; markers such as `__url__` for links).
    pub top_tokens: Vec<String>,
}
