//! Free text from commenters: the body and the display name.
//!
//! Both are trimmed and put in Unicode NFC before their length is counted, so the limits
//! are in characters a person sees and two spellings of "é" are the same comment (which
//! matters for duplicate detection).
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use super::{is_control, ValidationError};

/// Longest comment body, in characters after trimming and NFC.
pub const MAX_BODY_CHARS: usize = 5_000;
/// Longest author name, in characters after trimming and NFC.
pub const MAX_NAME_CHARS: usize = 100;

/// Trims, normalizes to NFC and checks `1..=max` characters.
fn normalized(
    raw: &str,
    field: &'static str,
    max: usize,
) -> Result<(String, usize), ValidationError> {
    let trimmed = raw.trim();
    // Most comments are already NFC (all ASCII ones are): the quick check answers
    // without decomposing and recomposing every character.
    let text: String = if is_nfc_quick(trimmed.chars()) == IsNormalized::Yes {
        trimmed.to_owned()
    } else {
        trimmed.nfc().collect()
    };
    let chars = text.chars().count();
    if chars == 0 {
        return Err(ValidationError::new(
            field,
            "REQUIRED",
            format!("{field} must not be empty"),
        ));
    }
    if chars > max {
        return Err(ValidationError::new(
            field,
            "TOO_LONG",
            format!("{field} must be at most {max} characters (got {chars})"),
        ));
    }
    Ok((text, chars))
}

/// The text of a comment: 1–5,000 characters, NFC, trimmed. Newlines are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let (text, _) = normalized(raw, "body", MAX_BODY_CHARS)?;
        // Line breaks and tabs are part of writing; other control characters are not.
        if text
            .chars()
            .any(|c| is_control(c) && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(ValidationError::new(
                "body",
                "INVALID_CHARACTERS",
                "body must not contain control characters",
            ));
        }
        Ok(CommentBody(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name a commenter signs with: 1–100 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorName(String);

impl AuthorName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let (text, _) = normalized(raw, "author_name", MAX_NAME_CHARS)?;
        if text.chars().any(is_control) {
            return Err(ValidationError::new(
                "author_name",
                "INVALID_CHARACTERS",
                "author_name must be one line without control characters",
            ));
        }
        Ok(AuthorName(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bodies are trimmed and NFC-normalized before they are measured.
    #[test]
    fn body_is_trimmed_and_normalized() {
        let decomposed = "  Cafe\u{301} au lait \n";
        let body = CommentBody::parse(decomposed).unwrap();
        assert_eq!(body.as_str(), "Caf\u{e9} au lait");
    }

    /// Length limits count characters, not bytes.
    #[test]
    fn body_length_limits() {
        assert_eq!(CommentBody::parse("   ").unwrap_err().code, "REQUIRED");
        assert!(CommentBody::parse(&"é".repeat(MAX_BODY_CHARS)).is_ok());
        let err = CommentBody::parse(&"é".repeat(MAX_BODY_CHARS + 1)).unwrap_err();
        assert_eq!((err.field, err.code), ("body", "TOO_LONG"));
    }

    /// Multi-line bodies are fine, other control characters are not.
    #[test]
    fn body_control_characters() {
        assert!(CommentBody::parse("line one\nline two\ttab").is_ok());
        assert_eq!(
            CommentBody::parse("bell\u{7}").unwrap_err().code,
            "INVALID_CHARACTERS"
        );
    }

    /// Names are one line of at most 100 characters.
    #[test]
    fn author_name_rules() {
        assert_eq!(AuthorName::parse(" Ann ").unwrap().as_str(), "Ann");
        assert_eq!(AuthorName::parse("").unwrap_err().field, "author_name");
        assert_eq!(
            AuthorName::parse(&"a".repeat(101)).unwrap_err().code,
            "TOO_LONG"
        );
        assert_eq!(
            AuthorName::parse("two\nlines").unwrap_err().code,
            "INVALID_CHARACTERS"
        );
    }
}
