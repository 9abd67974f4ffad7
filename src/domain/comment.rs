//! Comments: their id, their moderation status and a validated new submission.
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{
    ArticleId, AuthorEmail, AuthorName, CommentBody, SiteId, ValidationCode, ValidationError,
    WebUrl,
};

/// Longest user agent kept; the rest is cut (it is evidence, not identity).
pub const MAX_USER_AGENT_CHARS: usize = 512;

/// Database id of a comment. Positive; shown to clients as a number.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct CommentId(i64);

impl CommentId {
    pub fn new(id: i64) -> Option<Self> {
        (id > 0).then_some(CommentId(id))
    }

    /// Parses a client-supplied id (for `parent_id`).
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, ValidationError> {
        raw.trim()
            .parse::<i64>()
            .ok()
            .and_then(CommentId::new)
            .ok_or_else(|| {
                ValidationError::new(
                    field,
                    ValidationCode::InvalidId,
                    format!("{field} must be a comment id"),
                )
            })
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for CommentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a comment stands. Stored as its lower-case name.
///
/// The order (`Published < Pending < Rejected`) is the pipeline's severity order: a phase
/// that holds never lowers a rejection. `Reported` never comes out of the pipeline; it is
/// set when readers' reports send a published comment back to the queue.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Visible on the article.
    Published,
    /// Held for a moderator.
    Pending,
    /// Refused; kept for moderators and training, never shown.
    Rejected,
    /// Was published, readers reported it: hidden again until a moderator decides.
    Reported,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Pending => "pending",
            Status::Rejected => "rejected",
            Status::Reported => "reported",
        }
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "published" => Ok(Status::Published),
            "pending" => Ok(Status::Pending),
            "rejected" => Ok(Status::Rejected),
            "reported" => Ok(Status::Reported),
            other => Err(format!("unknown status `{other}`")),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A submission that passed validation; everything the pipeline and store need.
#[derive(Debug, Clone)]
pub struct NewComment {
    pub site: SiteId,
    pub article_id: ArticleId,
    pub article_url: Option<WebUrl>,
    pub parent_id: Option<CommentId>,
    pub author_name: AuthorName,
    pub author_email: Option<AuthorEmail>,
    pub author_url: Option<WebUrl>,
    pub body: CommentBody,
    pub client_ip: IpAddr,
    pub user_agent: Option<String>,
}

/// Cuts a user agent to [`MAX_USER_AGENT_CHARS`] and drops control characters.
pub fn clean_user_agent(raw: &str) -> Option<String> {
    let ua: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_USER_AGENT_CHARS)
        .collect();
    let ua = ua.trim();
    (!ua.is_empty()).then(|| ua.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Status names round-trip through their stored form.
    #[test]
    fn status_round_trip() {
        for s in [
            Status::Published,
            Status::Pending,
            Status::Rejected,
            Status::Reported,
        ] {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
        }
        assert!("deleted".parse::<Status>().is_err());
    }

    /// Ids are positive integers.
    #[test]
    fn comment_ids() {
        assert_eq!(CommentId::parse("42", "parent_id").unwrap().get(), 42);
        for bad in ["0", "-1", "x", ""] {
            assert_eq!(
                CommentId::parse(bad, "parent_id").unwrap_err().field,
                "parent_id"
            );
        }
    }

    /// User agents are cut and cleaned.
    #[test]
    fn user_agent_cleaning() {
        assert_eq!(clean_user_agent("  "), None);
        assert_eq!(
            clean_user_agent(&"a".repeat(600)).unwrap().len(),
            MAX_USER_AGENT_CHARS
        );
    }
}
