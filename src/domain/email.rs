//! Commenter e-mail addresses.
//!
//! Checked for syntax only (no mail is ever sent) and lower-cased as a whole: the address
//! is used as an identity for duplicates, rate limits, bans and trust, and
//! `Ann@Example.com` must be the same author as `ann@example.com`.
use std::fmt;

use super::ValidationCode;
use super::ValidationError;

/// Longest accepted address (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// A syntactically valid, lower-cased e-mail address.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AuthorEmail(String);

impl AuthorEmail {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let email = raw.trim().to_lowercase();
        if email.chars().count() > MAX_EMAIL_CHARS || !email_address::EmailAddress::is_valid(&email)
        {
            return Err(ValidationError::new(
                "author_email",
                ValidationCode::InvalidEmail,
                "author_email is not a valid e-mail address",
            ));
        }
        Ok(AuthorEmail(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`, for domain-wide block lists.
    pub fn domain(&self) -> &str {
        // Valid addresses always contain '@'.
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// Never printed in full: addresses are personal data and stay out of logs.
impl fmt::Debug for AuthorEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthorEmail(…@{})", self.domain())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses are lower-cased so one person is one identity.
    #[test]
    fn parse_lowercases() {
        let email = AuthorEmail::parse(" Ann@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ann@example.com");
        assert_eq!(email.domain(), "example.com");
    }

    /// Malformed addresses are refused with the field name.
    #[test]
    fn rejects_bad_syntax() {
        for bad in ["", "ann", "ann@", "@example.com", "a b@example.com"] {
            let err = AuthorEmail::parse(bad).expect_err(bad);
            assert_eq!(
                (err.field, err.code.as_str()),
                ("author_email", "INVALID_EMAIL"),
                "{bad}"
            );
        }
    }

    /// Debug output does not leak the local part.
    #[test]
    fn debug_hides_address() {
        let email = AuthorEmail::parse("secret@example.com").unwrap();
        assert!(!format!("{email:?}").contains("secret"));
    }
}
