//! Article identifiers: whatever key the site's CMS uses for an article page.
use std::fmt;

use super::{is_control, ValidationError};

/// Longest article id, in characters.
pub const MAX_ARTICLE_ID_CHARS: usize = 200;

/// 1–200 printable characters (no controls, no surrounding whitespace).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ArticleId(String);

impl ArticleId {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let id = raw.trim();
        let chars = id.chars().count();
        if chars == 0 {
            return Err(ValidationError::new(
                "article_id",
                "REQUIRED",
                "article_id must not be empty",
            ));
        }
        if chars > MAX_ARTICLE_ID_CHARS {
            return Err(ValidationError::new(
                "article_id",
                "TOO_LONG",
                format!("article_id must be at most {MAX_ARTICLE_ID_CHARS} characters"),
            ));
        }
        if id.chars().any(is_control) {
            return Err(ValidationError::new(
                "article_id",
                "INVALID_CHARACTERS",
                "article_id must be printable characters",
            ));
        }
        Ok(ArticleId(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for ArticleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Article ids are any printable text up to 200 characters.
    #[test]
    fn article_id_rules() {
        assert_eq!(
            ArticleId::parse(" 2024/05/budget ").unwrap().as_str(),
            "2024/05/budget"
        );
        assert_eq!(ArticleId::parse("").unwrap_err().code, "REQUIRED");
        assert!(ArticleId::parse(&"x".repeat(200)).is_ok());
        assert_eq!(
            ArticleId::parse(&"x".repeat(201)).unwrap_err().code,
            "TOO_LONG"
        );
        assert_eq!(
            ArticleId::parse("a\u{0}b").unwrap_err().code,
            "INVALID_CHARACTERS"
        );
    }
}
