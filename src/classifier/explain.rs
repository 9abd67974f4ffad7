//! Explanations that read as reasons: which words pushed a score up, and where they are in
//! the comment.
//!
//! A score's explaining words ([`super::TaskScore::top_tokens`]) are the features with
//! real positive evidence for the flagged class: a contribution of at least
//! [`MIN_EVIDENCE`] (the word alone makes the class at least ~1.6 times likelier), and no
//! function words ("and", "a", "for the"), which carry a little evidence in every
//! comment and explain nothing to a moderator.
//!
//! A feature names a word without its plural `s` (`this` is the feature `thi`, `idiots`
//! the feature `idiot`); an explanation names it as the comment wrote it:
//! the comment's own token (normalised: lower-cased, look-alike letters read), so a
//! moderator reads "read this", not "read thi" ([`Written`]).
//!
//! [`spans`] finds those words in the comment as written, so a page can highlight them.
//! Offsets count UTF-16 code units, as JavaScript strings do (`body.slice(start, end)`).
//! The comment is cut at whitespace and each piece tokenized on its own, so a word found
//! through the tokenizer's normalisation (`ＩＤＩＯＴ`, `1d10t`, `іdіоt` with Cyrillic
//! letters) is found in the text; a word the tokenizer assembled across spaces
//! (`f u c k`) has no span.
use std::cell::OnceCell;
use std::collections::HashSet;
use std::sync::OnceLock;

use serde::Serialize;

use super::tokenize::{tokenize, Tokens};
use super::vectorize::stem;

/// Smallest contribution (in nats of log-odds) of an explaining word.
pub const MIN_EVIDENCE: f64 = 0.5;

/// English function words. A feature made only of these explains nothing.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// Whether every word of a feature (a token or a bigram) is a function word.
pub fn is_stop_feature(feature: &str) -> bool {
    // Features name words without their plural `s` (`this` is `thi`): the list is read
    // as features once, not on every explanation.
    static STOP_FEATURES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let stop = STOP_FEATURES.get_or_init(|| STOP_WORDS.iter().map(|w| stem(w)).collect());
    feature.split(' ').all(|w| stop.contains(w))
}

/// Whether a feature with this contribution may explain a score.
pub fn explains(feature: &str, contribution: f64) -> bool {
    contribution >= MIN_EVIDENCE && !is_stop_feature(feature)
}

/// How a comment wrote its features: made once per comment (free until asked), shared by
/// both models, asked per explaining feature ([`Written::name`]).
pub struct Written<'a> {
    tokens: &'a Tokens,
    /// The features of the comment's words that lost their plural `s` (usually none or a
    /// few): only a feature among them can be written differently from its name. Found
    /// on the first question, so a comment nothing explains costs nothing.
    stemmed: OnceCell<Vec<&'a str>>,
}

impl<'a> Written<'a> {
    pub fn new(tokens: &'a Tokens) -> Self {
        Written {
            tokens,
            stemmed: OnceCell::new(),
        }
    }

    fn stemmed(&self) -> &[&'a str] {
        self.stemmed.get_or_init(|| {
            self.tokens
                .iter()
                .filter_map(|t| {
                    let s = stem(t);
                    (s.len() < t.len()).then_some(s)
                })
                .collect()
        })
    }

    /// How the comment wrote a feature: the first of its tokens (or pair of consecutive
    /// tokens, for a bigram) that the feature stands for. Markers (`__url__`) and features
    /// the comment does not hold are returned as they are.
    pub fn name(&self, feature: &str) -> String {
        let plural = |w: &str| self.stemmed().contains(&w);
        match feature.split_once(' ') {
            None if plural(feature) => self
                .tokens
                .iter()
                .find(|t| stem(t) == feature)
                .unwrap_or(feature)
                .to_string(),
            Some((a, b)) if plural(a) || plural(b) => {
                let mut previous: Option<&str> = None;
                for t in self.tokens.iter() {
                    if let Some(p) = previous {
                        if stem(p) == a && stem(t) == b {
                            return format!("{p} {t}");
                        }
                    }
                    previous = Some(t);
                }
                feature.to_string()
            }
            _ => feature.to_string(),
        }
    }
}

/// Where an explaining word is in the comment, in UTF-16 code units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenSpan {
    pub token: String,
    pub start: usize,
    pub end: usize,
}

/// A whitespace-separated piece of the text: UTF-16 offsets and its tokens.
struct Piece {
    start: usize,
    end: usize,
    text_start: usize,
    text_end: usize,
    tokens: Vec<String>,
}

fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut utf16 = 0;
    let mut start: Option<(usize, usize)> = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some((byte, u)) = start.take() {
                out.push(Piece {
                    start: u,
                    end: utf16,
                    text_start: byte,
                    text_end: i,
                    tokens: tokenize(&text[byte..i]),
                });
            }
        } else if start.is_none() {
            start = Some((i, utf16));
        }
        utf16 += c.len_utf16();
    }
    if let Some((byte, u)) = start {
        out.push(Piece {
            start: u,
            end: utf16,
            text_start: byte,
            text_end: text.len(),
            tokens: tokenize(&text[byte..]),
        });
    }
    out
}

/// The span of `word` inside a piece: the word itself when it is written plainly
/// (case aside), else the piece without surrounding punctuation.
fn tight(text: &str, piece: &Piece, word: &str) -> (usize, usize) {
    let raw = &text[piece.text_start..piece.text_end];
    // Lower-casing keeps byte offsets only for ASCII.
    if raw.is_ascii() {
        if let Some(at) = raw.to_ascii_lowercase().find(word) {
            // The whole written word: a feature may have lost its plural `s`.
            let len = word.len()
                + raw[at + word.len()..]
                    .bytes()
                    .take_while(u8::is_ascii_alphabetic)
                    .count();
            // ASCII: bytes are UTF-16 units.
            return (piece.start + at, piece.start + at + len);
        }
    }
    let lead: usize = raw
        .chars()
        .take_while(|c| !c.is_alphanumeric())
        .map(char::len_utf16)
        .sum();
    let trail: usize = raw
        .chars()
        .rev()
        .take_while(|c| !c.is_alphanumeric())
        .map(char::len_utf16)
        .sum();
    if lead + trail >= piece.end - piece.start {
        return (piece.start, piece.end);
    }
    (piece.start + lead, piece.end - trail)
}

/// Every occurrence of each explaining word (or bigram) of `tokens` in `text`, in text
/// order. An explaining word may be given as written (`idiots`) or as its feature
/// (`idiot`, as comments stored before explanations were written out carry it).
pub fn spans(text: &str, tokens: &[String]) -> Vec<TokenSpan> {
    let pieces = pieces(text);
    // Every token of the text with the piece it came from.
    let flat: Vec<(&str, usize)> = pieces
        .iter()
        .enumerate()
        .flat_map(|(i, p)| p.tokens.iter().map(move |t| (t.as_str(), i)))
        .collect();
    let mut out = Vec::new();
    for token in tokens {
        match token.split_once(' ') {
            None => {
                let feature = stem(token);
                for (i, p) in pieces.iter().enumerate() {
                    if p.tokens.iter().any(|t| stem(t) == feature) {
                        let (start, end) = tight(text, &pieces[i], feature);
                        out.push(TokenSpan {
                            token: token.clone(),
                            start,
                            end,
                        });
                    }
                }
            }
            Some((a, b)) => {
                let (a, b) = (stem(a), stem(b));
                for pair in flat.windows(2) {
                    if stem(pair[0].0) == a && stem(pair[1].0) == b {
                        let (first, second) = (&pieces[pair[0].1], &pieces[pair[1].1]);
                        let (start, _) = tight(text, first, a);
                        let (_, end) = tight(text, second, b);
                        out.push(TokenSpan {
                            token: token.clone(),
                            start,
                            end: end.max(start),
                        });
                    }
                }
            }
        }
    }
    out.sort_by_key(|s| (s.start, s.end));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(text: &str, s: &TokenSpan) -> String {
        let units: Vec<u16> = text.encode_utf16().collect();
        String::from_utf16(&units[s.start..s.end]).unwrap()
    }

    #[test]
    fn stop_words_explain_nothing() {
        assert!(is_stop_feature("and"));
        assert!(is_stop_feature("for the"));
        assert!(!is_stop_feature("thanks for"));
        assert!(!explains("a", 3.0));
        assert!(!explains("idiot", 0.2));
        assert!(explains("idiot", 3.0));
        assert!(explains("__url__", 3.0), "a link explains spam");
    }

    #[test]
    fn plain_words_and_bigrams_are_found() {
        let text = "The mayor is an IDIOT. Check out my channel!";
        let s = spans(text, &["idiot".into(), "check out".into()]);
        let found: Vec<String> = s.iter().map(|s| slice(text, s)).collect();
        assert_eq!(found, vec!["IDIOT", "Check out"]);
    }

    #[test]
    fn offsets_count_utf16_units() {
        let text = "😀😀 you idiot";
        let s = spans(text, &["idiot".into()]);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].start, s[0].end), (9, 14));
        assert_eq!(slice(text, &s[0]), "idiot");
    }

    #[test]
    fn normalised_words_get_their_piece() {
        // Full-width letters: the tokenizer reads `idiot`; the span is the written word.
        let text = "what an ｉｄｉｏｔ!";
        let s = spans(text, &["idiot".into()]);
        assert_eq!(s.len(), 1);
        assert_eq!(slice(text, &s[0]), "ｉｄｉｏｔ");
        // Every occurrence is listed.
        let text = "idiot, idiot";
        assert_eq!(spans(text, &["idiot".into()]).len(), 2);
        // A feature without its plural `s` highlights the word as written.
        let text = "Such idiots, all of them.";
        let s = spans(text, &["idiot".into()]);
        assert_eq!(s.len(), 1);
        assert_eq!(slice(text, &s[0]), "idiots");
        assert!(spans("nothing here", &["idiot".into()]).is_empty());
    }

    #[test]
    fn features_are_named_as_the_comment_wrote_them() {
        let tokens = |text: &str| {
            let mut t = Tokens::new();
            crate::classifier::tokenize::tokenize_into(text, &mut t);
            t
        };
        let t = tokens("Please READ THIS, you idiots: http://example.com");
        let as_written = |t: &Tokens, f: &str| Written::new(t).name(f);
        // `this` is the feature `thi`, `idiots` the feature `idiot`.
        assert_eq!(stem("this"), "thi");
        assert_eq!(as_written(&t, "read thi"), "read this");
        assert_eq!(as_written(&t, "idiot"), "idiots");
        assert_eq!(as_written(&t, "please"), "please");
        // Markers, and features the comment does not hold, stay as they are.
        assert_eq!(as_written(&t, "__url__"), "__url__");
        assert_eq!(as_written(&t, "moron"), "moron");
        // The first occurrence names a feature written two ways.
        assert_eq!(as_written(&tokens("idiot, idiots"), "idiot"), "idiot");
        assert_eq!(as_written(&tokens("idiots, idiot"), "idiot"), "idiots");
    }

    #[test]
    fn written_words_and_features_find_the_same_spans() {
        let text = "Please READ THIS, you idiots.";
        for given in [["read this", "idiots"], ["read thi", "idiot"]] {
            let given: Vec<String> = given.iter().map(|s| s.to_string()).collect();
            let found: Vec<String> = spans(text, &given).iter().map(|s| slice(text, s)).collect();
            assert_eq!(found, vec!["READ THIS", "idiots"], "{given:?}");
        }
    }
}
