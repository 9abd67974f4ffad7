//! Reasons in words a journalist on the moderation desk understands.
//!
//! Reason codes (`too_many_links`, `form_token_invalid`) are for programs; the review page
//! shows these sentences instead, next to the reason's own detail. The match is exhaustive
//! on purpose: a new reason code does not compile until it has its words.
use crate::domain::ReasonCode;

/// One short sentence saying why a comment was flagged, in plain language.
pub fn summary(code: ReasonCode) -> &'static str {
    match code {
        ReasonCode::Honeypot => "Filled in a hidden field that only bots see",
        ReasonCode::FormTokenMissing => "Sent without the article's comment form",
        ReasonCode::FormTokenInvalid => "Sent with a forged or expired comment form",
        ReasonCode::FormTooFast => "Sent faster than a person can write",
        ReasonCode::TooManyLinks => "Contains more links than the site allows",
        ReasonCode::BlockedWord => "Contains a word on the site's block list",
        ReasonCode::BlockedEmail => "The author's e-mail address is on the block list",
        ReasonCode::BlockedIp => "Sent from an address on the block list",
        ReasonCode::BannedEmail => "The author (by e-mail) is banned",
        ReasonCode::BannedIp => "The author (by internet address) is banned",
        ReasonCode::TrustedAuthor => "A trusted author: the models cannot hold it",
        ReasonCode::Spam => "Looks like spam: advertising, link farming or scams",
        ReasonCode::Abuse => "Looks abusive: insults, hate or threats",
        ReasonCode::Premoderated => "Every comment here is checked before it is published",
        ReasonCode::Reported => "Readers reported it after it was published",
        ReasonCode::Language => {
            "Written in another language: the models only judge English, so a person must"
        }
        ReasonCode::LookalikeLetters => {
            "Disguised words: letters from another alphabet that look like ours"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code reads as a sentence, not as a code.
    #[test]
    fn summaries_are_words() {
        let codes: Vec<ReasonCode> = serde_json::from_str(
            r#"["honeypot","form_token_missing","form_token_invalid","form_too_fast",
                "too_many_links","blocked_word","blocked_email","blocked_ip","banned_email",
                "banned_ip","trusted_author","spam","abuse","premoderated","reported","language",
                "lookalike_letters"]"#,
        )
        .unwrap();
        for code in codes {
            let s = summary(code);
            assert!(s.contains(' ') && !s.contains('_'), "{code}: {s}");
        }
    }
}
