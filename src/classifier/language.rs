//! Is a comment in English? The models were trained on English comments only, so a
//! comment in another language gets scores that mean nothing: "Die Regierung sollte mehr
//! tun." scored abusive 0.65 for the English word `die`. Such a comment is not scored by
//! them; the site decides what happens to it (`other_languages = "hold" | "publish"`) and
//! the reason `language` names the language for the backend and the moderators.
//!
//! # How
//! Two steps, so that English — nearly every comment — costs a few hash lookups:
//! 1. **Known words.** The share of the comment's words (tokens with a letter, no marker
//!    tokens) that are in the models' vocabularies, which were learned from English
//!    corpora. An English comment of a few words has most of them there; when at least
//!    [`ENGLISH_KNOWN_SHARE`] are, the comment is English and nothing else runs.
//! 2. **Identification.** Otherwise `whatlang` (trigram statistics, MIT) names the
//!    language, among the [`LANGUAGES`] a news site's readers are likely to write in.
//!    The comment counts as another language only if `whatlang` is confident enough for
//!    how few known words there are (see [`detect`]).
//!
//! Very short comments (fewer than [`MIN_WORDS`] words: "Das ist gut", "lol", "Merci!")
//! stay English: nothing can be told from them, and the models hold little on a few
//! words anyway. Look-alike letters are mapped to Latin by the tokenizer first, so an
//! English comment disguised with Cyrillic letters is still English.
use std::sync::OnceLock;

use serde::Serialize;
use unicode_normalization::UnicodeNormalization as _;
use whatlang::{Detector, Lang};

use super::tokenize::{is_marker, Tokens};

/// Fewer words than this: too short to tell, scored as English.
pub const MIN_WORDS: usize = 4;
/// At least this share of known words: English, without asking `whatlang`.
pub const ENGLISH_KNOWN_SHARE: f64 = 0.6;

/// The languages `whatlang` may answer (an allow-list keeps it from naming rare languages
/// on short text: "Die Regierung sollte mehr tun." is Afrikaans to it otherwise).
pub const LANGUAGES: &[Lang] = &[
    Lang::Eng,
    Lang::Deu,
    Lang::Fra,
    Lang::Spa,
    Lang::Por,
    Lang::Ita,
    Lang::Nld,
    Lang::Swe,
    Lang::Dan,
    Lang::Nob,
    Lang::Fin,
    Lang::Pol,
    Lang::Ces,
    Lang::Slk,
    Lang::Hun,
    Lang::Ron,
    Lang::Hrv,
    Lang::Tur,
    Lang::Ind,
    Lang::Vie,
    Lang::Tgl,
    Lang::Rus,
    Lang::Ukr,
    Lang::Bul,
    Lang::Srp,
    Lang::Ell,
    Lang::Heb,
    Lang::Ara,
    Lang::Urd,
    Lang::Pes,
    Lang::Hin,
    Lang::Ben,
    Lang::Pan,
    Lang::Tam,
    Lang::Cmn,
    Lang::Jpn,
    Lang::Kor,
    Lang::Tha,
];

/// What [`detect`] found.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Language {
    /// English, or too short to tell: the models score it.
    English,
    /// Confidently another language: the models' scores mean nothing.
    Other {
        /// ISO 639-3 code (`deu`, `urd`, …).
        code: &'static str,
        /// English name (`German`, `Urdu`, …).
        name: &'static str,
        /// `whatlang`'s confidence, in `[0, 1]`.
        confidence: f64,
    },
}

impl Language {
    pub fn is_english(&self) -> bool {
        matches!(self, Language::English)
    }
}

/// Whether a token is a word (has a letter and is no marker token).
fn is_word(token: &str) -> bool {
    !is_marker(token) && token.chars().any(char::is_alphabetic)
}

/// Decides whether `text` (tokenized as `tokens`) is English; `known` says whether a
/// word is in the English vocabulary.
pub fn detect(text: &str, tokens: &Tokens, known: impl Fn(&str) -> bool) -> Language {
    let (mut words, mut known_words) = (0usize, 0usize);
    for token in tokens.iter().filter(|t| is_word(t)) {
        words += 1;
        known_words += usize::from(known(token));
    }
    if words < MIN_WORDS {
        return Language::English;
    }
    let share = known_words as f64 / words as f64;
    if share >= ENGLISH_KNOWN_SHARE {
        return Language::English;
    }
    static DETECTOR: OnceLock<Detector> = OnceLock::new();
    let detector = DETECTOR.get_or_init(|| Detector::with_allowlist(LANGUAGES.to_vec()));
    // NFKC, as the tokenizer reads it: full-width letters (`ＴＨＩＳ`) are the ASCII they
    // stand for, where `whatlang` would take their Unicode block for Korean.
    let normalised: String = text.nfkc().collect();
    let Some(info) = detector.detect(&normalised) else {
        return Language::English;
    };
    // The fewer known words, the less confident whatlang needs to be: with hardly any
    // English words a weak answer is still right; with many it must be sure.
    let needed = if share < 0.3 { 0.25 } else { 0.6 };
    if info.lang() == Lang::Eng || info.confidence() < needed {
        return Language::English;
    }
    Language::Other {
        code: info.lang().code(),
        name: info.lang().eng_name(),
        confidence: info.confidence(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::tokenize::tokenize_into;
    use std::collections::HashSet;

    /// A stand-in for the models' vocabularies: the words of some English sentences.
    fn english() -> HashSet<String> {
        let text = "the council should publish every line of the budget before the vote and \
                    the mayor knows it thanks for sharing this article great reporting i think \
                    you are right about the government it is not fair to people who work hard \
                    die in the war peace school children city road tax";
        text.split(' ').map(str::to_owned).collect()
    }

    fn lang(text: &str) -> Language {
        let vocabulary = english();
        let mut tokens = Tokens::new();
        tokenize_into(text, &mut tokens);
        detect(text, &tokens, |w| vocabulary.contains(w))
    }

    #[test]
    fn english_is_english() {
        assert_eq!(
            lang("The council should publish every line of the budget."),
            Language::English
        );
        assert_eq!(lang("Thanks for sharing"), Language::English, "short");
    }

    #[test]
    fn other_languages_are_named() {
        for (text, code) in [
            ("Die Regierung sollte mehr tun.", "deu"),
            ("Ich bin nicht einverstanden mit diesem Artikel", "deu"),
            (
                "El gobierno debe hacer más por los ciudadanos de esta ciudad.",
                "spa",
            ),
            ("Это очень хорошая статья о правительстве", "rus"),
            ("یہ بہت اچھا مضمون ہے اور حکومت کو سننا چاہیے", "urd"),
        ] {
            match lang(text) {
                Language::Other { code: c, .. } => assert_eq!(c, code, "{text}"),
                Language::English => panic!("{text}: taken for English"),
            }
        }
    }

    /// Full-width letters are read as the ASCII they stand for, by `whatlang` as by the
    /// tokenizer: to `whatlang` the raw forms are a Korean block.
    #[test]
    fn full_width_english_is_english() {
        for text in [
            "ＤＡＭＮ ＴＨＩＳ ＣＯＭＭＥＮＴ ＩＳ ＦＡＮＣＹ ＬＯＬ",
            "▬▬▬ஜ۩۞۩ஜ▬▬▬ ＴＨＡＮＫＳ ＦＯＲ ＳＨＡＲＩＮＧ ＴＨＩＳ ＡＲＴＩＣＬＥ ▬▬▬ஜ۩۞۩ஜ▬▬▬",
        ] {
            assert_eq!(lang(text), Language::English, "{text}");
        }
        match lang("Ｄｉｅ Ｒｅｇｉｅｒｕｎｇ ｓｏｌｌｔｅ ｍｅｈｒ ｔｕｎ．")
        {
            Language::Other { code, .. } => assert_eq!(code, "deu"),
            Language::English => panic!("full-width German taken for English"),
        }
    }

    #[test]
    fn too_short_to_tell_is_english() {
        assert_eq!(lang("Das ist gut"), Language::English);
        assert_eq!(lang("Merci!"), Language::English);
    }
}
