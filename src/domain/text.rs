//! Free text from commenters: the body and the display name.
//!
//! Both are trimmed and put in Unicode NFC before their length is counted, so the limits
//! are in characters a person sees and two spellings of "é" are the same comment (which
//! matters for duplicate detection).
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use super::{is_control, ValidationCode, ValidationError};
use crate::text::Words;

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
            ValidationCode::Required,
            format!("{field} must not be empty"),
        ));
    }
    if chars > max {
        return Err(ValidationError::new(
            field,
            ValidationCode::TooLong,
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
                ValidationCode::InvalidCharacters,
                "body must not contain control characters",
            ));
        }
        Ok(CommentBody(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What duplicate detection compares: the body read as words
    /// ([`crate::text::Words::joined`]), so bodies that differ only in case, spacing,
    /// punctuation, invisible characters, full-width or look-alike letters or spelled-out
    /// words (`ca\u{200B}sino`, `casino`, `CASINO.`) are the same comment, while emoji,
    /// `!`/`?`, numbers and words still tell comments apart. A body with no word or
    /// symbol at all (`...`) is compared as written.
    pub fn duplicate_key(&self) -> String {
        self.duplicate_key_of(&Words::read(&self.0))
    }

    /// [`CommentBody::duplicate_key`] from the body's words read already
    /// (`Words::read(body.as_str())`): the intake reads each body once, for block lists,
    /// links and this key.
    pub fn duplicate_key_of(&self, words: &Words) -> String {
        if words.is_empty() {
            self.0.clone()
        } else {
            words.joined()
        }
    }
}

/// Characters that reorder or hide text: bidirectional embeddings, overrides, isolates
/// and marks (`admin\u{202E}gnp.exe` shows as "adminexe.png"), and invisible characters
/// (zero-width space, word joiner and the other invisible operators, BOM, Mongolian vowel
/// separator, combining grapheme joiner, Hangul fillers). A name containing one could
/// pass for another name.
fn is_deceptive(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{180E}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{FFA0}'
    )
}

/// Zero-width non-joiner and joiner are part of writing between two non-ASCII characters
/// (Persian and Indic names, emoji sequences); anywhere else they only hide something.
fn misplaced_joiner(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().any(|(i, &c)| {
        matches!(c, '\u{200C}' | '\u{200D}') && {
            let before = i.checked_sub(1).and_then(|j| chars.get(j));
            let after = chars.get(i + 1);
            let writing = |c: Option<&char>| c.is_some_and(|c| !c.is_ascii() && !c.is_whitespace());
            !(writing(before) && writing(after))
        }
    })
}

/// The name a commenter signs with: 1–100 characters on one line, without characters that
/// reorder or hide text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorName(String);

impl AuthorName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let (text, _) = normalized(raw, "author_name", MAX_NAME_CHARS)?;
        if text.chars().any(is_control) {
            return Err(ValidationError::new(
                "author_name",
                ValidationCode::InvalidCharacters,
                "author_name must be one line without control characters",
            ));
        }
        if text.chars().any(is_deceptive) || misplaced_joiner(&text) {
            return Err(ValidationError::new(
                "author_name",
                ValidationCode::InvalidCharacters,
                "author_name must not contain invisible or text-direction characters",
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

    /// Duplicates are compared by the body's reading: disguises and punctuation fold away,
    /// words, numbers and emoji do not.
    #[test]
    fn duplicate_key_is_the_reading() {
        let key = |s: &str| CommentBody::parse(s).unwrap().duplicate_key();
        assert_eq!(key("ca\u{200B}sino"), key("casino"));
        assert_eq!(key("Great ｃａｓｉｎｏ."), key("great c\u{0430}sino"));
        assert_ne!(key("I agree 100%"), key("I agree 50%"));
        assert_ne!(key("👍"), key("😂"));
        assert_eq!(key("..."), "...");
        assert_ne!(key("..."), key("---"));
    }

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
        assert_eq!((err.field, err.code.as_str()), ("body", "TOO_LONG"));
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

    /// Names that reorder or hide text are refused; real writing with joiners is not.
    #[test]
    fn author_name_without_direction_or_invisible_characters() {
        for name in [
            "admin\u{202E}gnp.exe",
            "Ann\u{200B}",
            "\u{2066}Bob\u{2069}",
            "Cy\u{200F}",
            "\u{FEFF}Di",
            "Ed\u{200D}",
            "E\u{200C}d",
            "Hangul\u{3164}filler",
        ] {
            let err = AuthorName::parse(name).unwrap_err();
            assert_eq!(
                (err.field, err.code.as_str()),
                ("author_name", "INVALID_CHARACTERS"),
                "{name:?}"
            );
        }
        for name in [
            "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}",
            "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} family",
            "\u{5D3}\u{5D5}\u{5D3} Levi",
            "Zoë",
        ] {
            assert!(AuthorName::parse(name).is_ok(), "{name:?}");
        }
    }
}
