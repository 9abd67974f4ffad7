//! What a reader says when reporting a comment.
use unicode_normalization::UnicodeNormalization;

use super::{is_control, ValidationCode, ValidationError};

/// Longest report reason, in characters after trimming and NFC.
pub const MAX_REPORT_REASON_CHARS: usize = 500;

/// A reader's reason for reporting a comment: optional free text for moderators, at most
/// 500 characters, trimmed and NFC; line breaks and tabs become spaces, other control
/// characters are refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportReason(String);

impl ReportReason {
    /// Parses the `reason` field; absent or blank is the empty reason.
    pub fn parse(raw: Option<&str>) -> Result<Self, ValidationError> {
        let text: String = raw
            .unwrap_or("")
            .trim()
            .nfc()
            .map(|c| {
                if matches!(c, '\n' | '\r' | '\t') {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        let chars = text.chars().count();
        if chars > MAX_REPORT_REASON_CHARS {
            return Err(ValidationError::new(
                "reason",
                ValidationCode::TooLong,
                format!(
                    "reason must be at most {MAX_REPORT_REASON_CHARS} characters (got {chars})"
                ),
            ));
        }
        if text.chars().any(is_control) {
            return Err(ValidationError::new(
                "reason",
                ValidationCode::InvalidCharacters,
                "reason must not contain control characters",
            ));
        }
        Ok(ReportReason(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Table of reasons and what becomes of them.
    #[test]
    fn reasons() {
        let ok = |raw: Option<&str>| ReportReason::parse(raw).unwrap();
        assert_eq!(ok(None).as_str(), "", "absent is allowed");
        assert_eq!(ok(Some("   ")).as_str(), "", "blank is absent");
        assert_eq!(ok(Some("  insults\nme ")).as_str(), "insults me");
        assert_eq!(ok(Some("e\u{301}")).as_str(), "\u{e9}", "NFC");
        let long = "x".repeat(MAX_REPORT_REASON_CHARS + 1);
        assert_eq!(
            ReportReason::parse(Some(&long)).unwrap_err().code,
            "TOO_LONG"
        );
        assert_eq!(
            ReportReason::parse(Some("a\u{7}b")).unwrap_err().code,
            "INVALID_CHARACTERS"
        );
    }
}
