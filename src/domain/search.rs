//! What a moderator searches the queue for.
use unicode_normalization::UnicodeNormalization;

use super::{is_control, ValidationCode, ValidationError};

/// Longest search, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// Text to look for in comments' bodies, author names and e-mail addresses: 1–200
/// characters of one line, trimmed, NFC. Matched as a substring, ignoring the case of
/// ASCII letters (SQLite's `LIKE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    /// `None` for an absent or blank search.
    pub fn parse(raw: Option<&str>) -> Result<Option<Self>, ValidationError> {
        let text: String = raw.unwrap_or("").trim().nfc().collect();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > MAX_SEARCH_CHARS {
            return Err(ValidationError::new(
                "q",
                ValidationCode::TooLong,
                format!("q must be at most {MAX_SEARCH_CHARS} characters"),
            ));
        }
        if text.chars().any(is_control) {
            return Err(ValidationError::new(
                "q",
                ValidationCode::InvalidCharacters,
                "q must be one line without control characters",
            ));
        }
        Ok(Some(SearchText(text)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `LIKE` pattern matching the text anywhere (`\` escapes `%`, `_` and itself).
    pub fn like_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.0.len() + 2);
        pattern.push('%');
        for c in self.0.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Searches are one trimmed line; wildcards are matched literally.
    #[test]
    fn search_text() {
        assert_eq!(SearchText::parse(Some("  ")).unwrap(), None);
        let s = SearchText::parse(Some(" 100%_sure\\ ")).unwrap().unwrap();
        assert_eq!(s.as_str(), "100%_sure\\");
        assert_eq!(s.like_pattern(), "%100\\%\\_sure\\\\%");
        assert_eq!(
            SearchText::parse(Some(&"x".repeat(201))).unwrap_err().field,
            "q"
        );
        assert!(SearchText::parse(Some("a\nb")).is_err());
    }
}
