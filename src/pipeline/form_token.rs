//! Form tokens: a signed "this form was rendered at T" stamp.
//!
//! The article page fetches a token (`GET /api/v1/form-token`) when it renders the
//! comment form and sends it back as `form_token`. A person takes seconds to write a
//! comment; a bot posts at once. The token is `v1.<unix milliseconds>.<tag>`, where the tag is
//! the first 16 bytes of HMAC-SHA256(secret, "v1.<site>.<milliseconds>"), base64url: it cannot
//! be forged or moved to another site, and it needs no server-side state.
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::domain::SiteId;

/// Bytes of the HMAC kept in the token.
const TAG_BYTES: usize = 16;
/// A token older than this is stale (a tab left open for a day).
pub const MAX_TOKEN_AGE: Duration = Duration::from_secs(24 * 3600);
/// Clock skew tolerated for a token "from the future" (several instances behind a proxy).
const MAX_SKEW_MS: u64 = 5_000;

/// What a submission's form token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormCheck {
    /// No token was sent.
    Missing,
    /// Malformed, forged, for another site, or from the future.
    Invalid,
    /// Genuine but older than [`MAX_TOKEN_AGE`].
    Expired,
    /// Genuine; the form was rendered `age` ago.
    Valid { age: Duration },
}

/// Issues and checks form tokens with the instance's secret.
#[derive(Clone)]
pub struct FormTokens {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for FormTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormTokens(…)")
    }
}

impl FormTokens {
    pub fn new(secret: &[u8]) -> Self {
        // HMAC accepts keys of any length.
        let mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        FormTokens { mac }
    }

    fn keyed(&self, site: &SiteId, millis: u64) -> Hmac<Sha256> {
        let mut mac = self.mac.clone();
        mac.update(b"v1.");
        mac.update(site.as_str().as_bytes());
        mac.update(b".");
        mac.update(millis.to_string().as_bytes());
        mac
    }

    /// A token for a form of `site` rendered at `now_secs` (Unix seconds).
    pub fn issue(&self, site: &SiteId, now_secs: u64) -> String {
        let tag = self.keyed(site, now_secs).finalize().into_bytes();
        format!(
            "v1.{now_secs}.{}",
            URL_SAFE_NO_PAD.encode(&tag[..TAG_BYTES])
        )
    }

    /// Checks a submitted token for `site` at `now_ms` (Unix milliseconds).
    pub fn check(&self, site: &SiteId, token: Option<&str>, now_ms: u64) -> FormCheck {
        let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
            return FormCheck::Missing;
        };
        let mut parts = token.splitn(3, '.');
        let (Some("v1"), Some(millis), Some(tag)) = (parts.next(), parts.next(), parts.next())
        else {
            return FormCheck::Invalid;
        };
        let (Ok(millis), Ok(tag)) = (millis.parse::<u64>(), URL_SAFE_NO_PAD.decode(tag)) else {
            return FormCheck::Invalid;
        };
        if tag.len() != TAG_BYTES
            || self
                .keyed(site, millis)
                .verify_truncated_left(&tag)
                .is_err()
        {
            return FormCheck::Invalid;
        }
        if millis > now_ms.saturating_add(MAX_SKEW_MS) {
            return FormCheck::Invalid;
        }
        let age = Duration::from_millis(now_ms.saturating_sub(millis));
        if age > MAX_TOKEN_AGE {
            return FormCheck::Expired;
        }
        FormCheck::Valid { age }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(s: &str) -> SiteId {
        SiteId::parse(s).unwrap()
    }

    /// A token issued for a site verifies for that site and tells its age.
    #[test]
    fn issue_then_check() {
        let tokens = FormTokens::new(b"secret");
        let t = tokens.issue(&site("news"), 1_000_000);
        assert_eq!(
            tokens.check(&site("news"), Some(&t), 1_007_250),
            FormCheck::Valid {
                age: Duration::from_millis(7_250)
            }
        );
    }

    /// Forged, moved, malformed, future and stale tokens are recognised.
    #[test]
    fn bad_tokens() {
        let tokens = FormTokens::new(b"secret");
        let issued = 100_000_000;
        let t = tokens.issue(&site("news"), issued);
        let forged = FormTokens::new(b"other").issue(&site("news"), issued);
        let tampered = t.replacen("v1.100000000", "v1.90000000", 1);
        let day = 86_400_000;
        let cases = [
            (None, issued, FormCheck::Missing),
            (Some(forged.as_str()), issued, FormCheck::Invalid),
            (Some(tampered.as_str()), issued, FormCheck::Invalid),
            (Some("v1.x.y"), issued, FormCheck::Invalid),
            (Some("garbage"), issued, FormCheck::Invalid),
            (Some(t.as_str()), issued - 6_000, FormCheck::Invalid),
            (Some(t.as_str()), issued + day + 1, FormCheck::Expired),
        ];
        for (token, now, expected) in cases {
            assert_eq!(
                tokens.check(&site("news"), token, now),
                expected,
                "{token:?} at {now}"
            );
        }
        assert_eq!(
            tokens.check(&site("other"), Some(&t), issued),
            FormCheck::Invalid
        );
    }
}
