//! [`ValidationError`]: a value from outside that breaks a rule, naming the field at
//! fault, and [`ValidationCode`], the closed list of reasons a value is refused.
//!
//! The HTTP layer answers every `ValidationError` with `422` and the code's text
//! (`crate::http::ErrorCode::Invalid`); the README's table of error codes is generated
//! from [`ValidationCode::ALL`] and the HTTP codes together, so a code added here is
//! documented there or a test fails.

/// Declares [`ValidationCode`] with, for each code, its wire text, the fields it names and
/// what it means — one row per code, so none of the three can drift from the others.
macro_rules! validation_codes {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, $fields:literal, $meaning:literal; )*) => {
        /// Why a field's value is refused (always `422`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ValidationCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ValidationCode {
            /// Every code, in the order of the README's table.
            pub const ALL: &'static [ValidationCode] = &[$(ValidationCode::$variant,)*];

            /// The code as sent: stable, `UPPER_SNAKE`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ValidationCode::$variant => $text,)*
                }
            }

            /// Which request fields an error with this code names (for the docs).
            pub fn fields(self) -> &'static str {
                match self {
                    $(ValidationCode::$variant => $fields,)*
                }
            }

            /// What the code means (for the docs).
            pub fn meaning(self) -> &'static str {
                match self {
                    $(ValidationCode::$variant => $meaning,)*
                }
            }
        }
    };
}

validation_codes! {
    Required = "REQUIRED", "the missing field",
        "A required field is missing or empty.";
    TooLong = "TOO_LONG", "`body`, `author_name`, `article_id`, `article_title`, `note`, `reason`, `q`",
        "The text is longer than the field allows.";
    InvalidCharacters = "INVALID_CHARACTERS", "`body`, `author_name`, `article_id`, `article_title`, `note`, `reason`, `q`",
        "The text holds characters the field does not take (control, invisible or text-direction characters).";
    InvalidId = "INVALID_ID", "`parent_id`",
        "Not a comment id (a positive integer).";
    InvalidUrl = "INVALID_URL", "`article_url`, `author_url`, `redirect_to`",
        "Not an http(s) URL.";
    InvalidEmail = "INVALID_EMAIL", "`author_email`",
        "Not an e-mail address.";
    InvalidIp = "INVALID_IP", "`client_ip`",
        "Not an IP address.";
    InvalidSite = "INVALID_SITE", "`site`",
        "Not a site id (1-64 characters of a-z, 0-9, `-` and `_`).";
    UnknownSite = "UNKNOWN_SITE", "`site`",
        "The site a field names is not served by this instance (a site in the path is `404 SITE_NOT_FOUND`).";
    InvalidModeratorName = "INVALID_MODERATOR_NAME", "`name`",
        "Not a moderator name.";
    InvalidDecision = "INVALID_DECISION", "`decision`",
        "The decision is neither `approve` nor `reject`.";
    InvalidLabel = "INVALID_LABEL", "`label`",
        "A rejection's label is not `spam`, `abuse` or `other`.";
    LabelNotAllowed = "LABEL_NOT_ALLOWED", "`label`",
        "A label was sent with an approval.";
    OneTarget = "ONE_TARGET", "`client_ip`",
        "Both `author_email` and `client_ip` were sent; a ban names one.";
    InvalidTime = "INVALID_TIME", "`until`",
        "Not an RFC 3339 time.";
    InThePast = "IN_THE_PAST", "`until`",
        "The time is not in the future.";
    InvalidStatus = "INVALID_STATUS", "`status`",
        "Not a comment status (`pending`, `published`, `rejected`, `reported`).";
    InvalidReason = "INVALID_REASON", "`reason`",
        "Not a reason code, nor `reported`.";
    InvalidOrder = "INVALID_ORDER", "`order`",
        "Not a queue order (`oldest`, `newest`, `spam`, `abuse`, `uncertain`).";
    OutOfRange = "OUT_OF_RANGE", "`limit`, `decisions`, `changes`, a rule's name",
        "A well-formed number or count outside the range the field takes.";
    TooMany = "TOO_MANY", "`ids`, a rule's name",
        "A list with more entries than the field takes.";
    ParentNotFound = "PARENT_NOT_FOUND", "`parent_id`",
        "The parent is not a published comment of this site.";
    ParentOnOtherArticle = "PARENT_ON_OTHER_ARTICLE", "`parent_id`",
        "The parent is a comment on another article.";
    RedirectNotAllowed = "REDIRECT_NOT_ALLOWED", "`redirect_to`",
        "The page to go back to is not on one of the site's origins.";
    UnknownRule = "UNKNOWN_RULE", "`rule`",
        "No site rule has this name.";
    OneChange = "ONE_CHANGE", "a rule's name",
        "A rule change gives other than exactly one of `set`, `add`, `remove`, `reset`.";
    InvalidRule = "INVALID_RULE", "a rule's name",
        "A value the rule does not take.";
    NotAList = "NOT_A_LIST", "a rule's name",
        "`add` or `remove` on a rule that is not a list.";
    AboveReject = "ABOVE_REJECT", "a rule's name",
        "A hold threshold above the same model's reject threshold.";
}

impl std::fmt::Display for ValidationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lets tests compare a code with its wire text.
impl PartialEq<&str> for ValidationCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A value from outside that breaks a rule; names the field so the caller can show it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The request field at fault, as the client spelled it.
    pub field: &'static str,
    /// Why the value is refused.
    pub code: ValidationCode,
    /// Human-readable explanation.
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, code: ValidationCode, message: impl Into<String>) -> Self {
        ValidationError {
            field,
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code has its own text, in `UPPER_SNAKE`.
    #[test]
    fn codes_are_distinct_upper_snake() {
        let mut seen = std::collections::HashSet::new();
        for code in ValidationCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{text}"
            );
        }
    }
}
