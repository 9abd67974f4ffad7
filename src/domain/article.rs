//! Articles: the key the site's CMS uses for an article page ([`ArticleId`]) and its
//! headline ([`ArticleTitle`]), shown to moderators next to each comment.
use std::fmt;

use unicode_normalization::UnicodeNormalization;

use super::{is_control, ValidationCode, ValidationError};

/// Longest article id, in characters.
pub const MAX_ARTICLE_ID_CHARS: usize = 200;
/// Longest article title, in characters after trimming and NFC.
pub const MAX_ARTICLE_TITLE_CHARS: usize = 300;

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
                ValidationCode::Required,
                "article_id must not be empty",
            ));
        }
        if chars > MAX_ARTICLE_ID_CHARS {
            return Err(ValidationError::new(
                "article_id",
                ValidationCode::TooLong,
                format!("article_id must be at most {MAX_ARTICLE_ID_CHARS} characters"),
            ));
        }
        if id.chars().any(is_control) {
            return Err(ValidationError::new(
                "article_id",
                ValidationCode::InvalidCharacters,
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

/// An article's headline: one line of 1–300 characters, trimmed, NFC. Display text only
/// (never used to decide anything); pages that show it must treat it as untrusted text.
#[derive(Clone, PartialEq, Eq)]
pub struct ArticleTitle(String);

impl ArticleTitle {
    /// `None` for an absent or blank title.
    pub fn parse(raw: Option<&str>) -> Result<Option<Self>, ValidationError> {
        let title: String = raw.unwrap_or("").trim().nfc().collect();
        if title.is_empty() {
            return Ok(None);
        }
        let chars = title.chars().count();
        if chars > MAX_ARTICLE_TITLE_CHARS {
            return Err(ValidationError::new(
                "article_title",
                ValidationCode::TooLong,
                format!("article_title must be at most {MAX_ARTICLE_TITLE_CHARS} characters (got {chars})"),
            ));
        }
        if title.chars().any(is_control) {
            return Err(ValidationError::new(
                "article_title",
                ValidationCode::InvalidCharacters,
                "article_title must be one line without control characters",
            ));
        }
        Ok(Some(ArticleTitle(title)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ArticleTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Titles are one trimmed line; blank is no title.
    #[test]
    fn article_title_rules() {
        let title = ArticleTitle::parse(Some("  Council budget <b>leaves</b> the roof ")).unwrap();
        assert_eq!(
            title.unwrap().as_str(),
            "Council budget <b>leaves</b> the roof"
        );
        assert_eq!(ArticleTitle::parse(None).unwrap(), None);
        assert_eq!(ArticleTitle::parse(Some("   ")).unwrap(), None);
        assert_eq!(
            ArticleTitle::parse(Some(&"x".repeat(301)))
                .unwrap_err()
                .code,
            "TOO_LONG"
        );
        assert_eq!(
            ArticleTitle::parse(Some("two\nlines")).unwrap_err().field,
            "article_title"
        );
    }

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
