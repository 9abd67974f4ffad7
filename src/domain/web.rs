//! Web addresses: links commenters give ([`WebUrl`]) and the origins sites serve their
//! pages from ([`Origin`]), which decide CORS and where form posts may be redirected.
use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use super::ValidationCode;
use super::ValidationError;

/// Longest accepted URL.
const MAX_URL_CHARS: usize = 2_000;

/// An absolute `http` or `https` URL (no `javascript:`, `data:` …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl(Url);

impl WebUrl {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, ValidationError> {
        let raw = raw.trim();
        let bad = || {
            ValidationError::new(
                field,
                ValidationCode::InvalidUrl,
                format!("{field} must be an http(s) URL"),
            )
        };
        if raw.len() > MAX_URL_CHARS {
            return Err(bad());
        }
        let url = Url::parse(raw).map_err(|_| bad())?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(bad());
        }
        Ok(WebUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The origin (`scheme://host[:port]`) this URL belongs to.
    pub fn origin(&self) -> Origin {
        Origin(self.0.origin().ascii_serialization())
    }
}

/// A web origin, `scheme://host[:port]`, serialized the way browsers send it in `Origin`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Origin(String);

impl Origin {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw.trim()).map_err(|e| format!("`{raw}` is not an origin: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(format!("`{raw}` is not an http(s) origin"));
        }
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "`{raw}` has a path; an origin is only scheme://host[:port]"
            ));
        }
        Ok(Origin(url.origin().ascii_serialization()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Origin {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Origin::parse(&value)
    }
}

impl From<Origin> for String {
    fn from(value: Origin) -> Self {
        value.0
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only http(s) URLs are links a commenter may leave.
    #[test]
    fn web_url_schemes() {
        assert!(WebUrl::parse("https://example.com/me", "author_url").is_ok());
        for bad in [
            "javascript:alert(1)",
            "ftp://example.com",
            "example.com",
            "data:,x",
        ] {
            let err = WebUrl::parse(bad, "author_url").expect_err(bad);
            assert_eq!(
                (err.field, err.code.as_str()),
                ("author_url", "INVALID_URL")
            );
        }
    }

    /// Origins compare the way browsers send them (default ports dropped, lower case).
    #[test]
    fn origins_normalize() {
        assert_eq!(
            Origin::parse("HTTPS://News.Example:443").unwrap().as_str(),
            "https://news.example"
        );
        assert!(Origin::parse("https://news.example/path").is_err());
        let url = WebUrl::parse("https://news.example/2024/story?x=1", "redirect_to").unwrap();
        assert_eq!(url.origin(), Origin::parse("https://news.example").unwrap());
    }
}
