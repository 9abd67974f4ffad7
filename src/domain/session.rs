//! A moderator's browser session: the secret in the session cookie and the CSRF token
//! derived from it.
//!
//! The secret is 256 random bits (`cgs_` + 64 hex digits); the database keeps only its
//! SHA-256 ([`TokenHash`]). The CSRF token is a SHA-256 of the secret under a fixed
//! label, so the server needs no second secret to check it and the token cannot be
//! derived from anything stored: a page reads it once (from the sign-in answer or
//! `GET /api/v1/session`) and sends it back as `X-CSRF-Token` on every state-changing
//! request. Cookies are sent by the browser on their own; the header is not, so a request
//! forged by another page lacks it.
use std::fmt;

use sha2::{Digest, Sha256};

use super::TokenHash;

/// Prefix of session secrets (never mistaken for a moderator token, `cgm_`).
const PREFIX: &str = "cgs_";
/// What the CSRF token is derived under.
const CSRF_LABEL: &[u8] = b"commentguard csrf v1:";

/// The secret of one session.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionSecret(String);

impl SessionSecret {
    /// A fresh secret from the OS-seeded generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        SessionSecret(format!("{PREFIX}{}", hex::encode(bytes)))
    }

    /// A presented cookie value, if it has the shape of a secret.
    pub fn parse(raw: &str) -> Option<Self> {
        let hex_part = raw.strip_prefix(PREFIX)?;
        (hex_part.len() == 64 && hex_part.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| SessionSecret(raw.to_owned()))
    }

    /// The cookie value.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database stores and looks the session up by.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }

    /// The session's CSRF token (64 hex digits).
    pub fn csrf_token(&self) -> String {
        let mut digest = Sha256::new();
        digest.update(CSRF_LABEL);
        digest.update(self.0.as_bytes());
        hex::encode(digest.finalize())
    }

    /// Whether `presented` is this session's CSRF token (compared in constant time).
    pub fn accepts_csrf(&self, presented: &str) -> bool {
        let expected = self.csrf_token();
        expected.len() == presented.len()
            && expected
                .bytes()
                .zip(presented.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

impl fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionSecret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A secret parses back, hashes like a token, and accepts its own CSRF token only.
    #[test]
    fn secrets_and_csrf_tokens() {
        let s = SessionSecret::generate();
        assert_eq!(SessionSecret::parse(s.expose()), Some(s.clone()));
        assert_eq!(s.hash(), TokenHash::of(s.expose()));
        assert!(s.accepts_csrf(&s.csrf_token()));
        assert!(!s.accepts_csrf(&SessionSecret::generate().csrf_token()));
        assert!(!s.accepts_csrf(""));
        assert_ne!(s.csrf_token(), s.expose(), "the token is not the secret");
        for bad in ["", "cgs_", "cgm_00", &format!("cgs_{}", "g".repeat(64))] {
            assert!(SessionSecret::parse(bad).is_none(), "{bad}");
        }
    }
}
