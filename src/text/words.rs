//! The reading of a text as words, for everything that is not a model: block lists, link
//! counting and duplicate detection.
//!
//! [`Words`] are the models' tokens with one difference: where the models see a marker
//! (`__url__`, `__num__`, `__email__`, ...), the words of the marked text are kept
//! (`casino.example/win` → `casino`, `example`, `win`), so a block list can name a domain,
//! a number or a handle; and no word is capped in length. Everything else is the models'
//! reading, so `ca\u{200B}sino`, `ｃａｓｉｎｏ`, `c.a.s.i.n.o`, `c a s i n o` and `cаsino`
//! (Cyrillic `а`) are all the word `casino`, and `great.In` is two words, not a link.
//!
//! A [`PhraseList`] is a block list's entries read the same way; an entry matches where
//! its words appear one after the other among the text's words (punctuation, emoji and
//! `!`/`?` between them do not count).
use std::collections::HashMap;

use super::scan::Reading;
use super::tokens::{read_into, Tokens};

/// A text read as words (see the module doc).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Words {
    /// All tokens, back to back.
    buf: String,
    /// `(start, end)` byte offsets of each token in `buf`.
    spans: Vec<(u32, u32)>,
    /// URLs in the text.
    links: usize,
}

impl Words {
    /// Reads `text`. Costs one pass of the tokenizer: read a text once, then ask.
    pub fn read(text: &str) -> Self {
        let mut tokens = Tokens::new();
        read_into(text, Reading::Words, &mut tokens);
        let (buf, spans, links) = tokens.into_parts();
        Words { buf, spans, links }
    }

    /// Every token in order: words, and the symbols the models also see (emoji, `!`, `?`).
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.spans
            .iter()
            .map(|&(start, end)| &self.buf[start as usize..end as usize])
    }

    /// The words only (tokens that start with a letter or digit).
    pub fn words(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().filter(|t| is_word(t))
    }

    /// Whether the text has no token at all (only punctuation, or nothing).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// How many links the text has, counted where the models see one: `www.x.com`,
    /// `https://x`, `bit.ly/x`, but not `great.In` (a missing space).
    pub fn links(&self) -> usize {
        self.links
    }

    /// The tokens joined by single spaces: the text's canonical form, equal for two texts
    /// that differ only in what the reading folds away (case, invisible characters,
    /// full-width and look-alike letters, punctuation, spacing, spelled-out letters).
    pub fn joined(&self) -> String {
        let mut out = String::with_capacity(self.buf.len() + self.spans.len());
        for (k, token) in self.iter().enumerate() {
            if k > 0 {
                out.push(' ');
            }
            out.push_str(token);
        }
        out
    }
}

/// Whether a token is a word (not an emoji, `!` or `?`).
fn is_word(token: &str) -> bool {
    token.chars().next().is_some_and(char::is_alphanumeric)
}

/// Words and phrases to find in texts (a block list), each read like a text.
#[derive(Debug, Clone, Default)]
pub struct PhraseList {
    /// Each entry's words joined by single spaces, in the order given (duplicates and
    /// entries without a word left out).
    phrases: Vec<String>,
    /// The entries (indices into `phrases`) by their first word.
    by_first: HashMap<Box<str>, Vec<usize>>,
}

impl PhraseList {
    /// Reads each entry; an entry with no word (`!!!`) can never match and is left out.
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a str>) -> Self {
        let mut list = PhraseList::default();
        for entry in entries {
            let words = Words::read(entry);
            let mut words = words.words();
            let Some(first) = words.next() else {
                continue;
            };
            let mut phrase = first.to_owned();
            for word in words {
                phrase.push(' ');
                phrase.push_str(word);
            }
            if list.phrases.contains(&phrase) {
                continue;
            }
            list.by_first
                .entry(first.into())
                .or_default()
                .push(list.phrases.len());
            list.phrases.push(phrase);
        }
        list
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// The first entry (in the list's order) found in `text`, as its words joined by
    /// single spaces (`casino`, `buy now`).
    pub fn first_in(&self, text: &Words) -> Option<&str> {
        if self.phrases.is_empty() {
            return None;
        }
        let words: Vec<&str> = text.words().collect();
        let mut best: Option<usize> = None;
        for (at, word) in words.iter().enumerate() {
            let Some(candidates) = self.by_first.get(*word) else {
                continue;
            };
            for &k in candidates {
                if best.is_some_and(|b| b <= k) {
                    break;
                }
                let mut rest = words[at..].iter();
                if self.phrases[k]
                    .split(' ')
                    .all(|w| rest.next().is_some_and(|t| *t == w))
                {
                    best = Some(k);
                }
            }
        }
        best.map(|k| self.phrases[k].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        Words::read(text).iter().map(str::to_owned).collect()
    }

    fn list(entries: &[&str]) -> PhraseList {
        PhraseList::new(entries.iter().copied())
    }

    /// Disguised spellings of a word read as the word: zero-width characters, full-width
    /// forms, dotted-out and spaced-out letters, look-alike letters of another script.
    #[test]
    fn disguises_read_as_the_word() {
        for disguised in [
            "ca\u{200B}sino",
            "ｃａｓｉｎｏ",
            "c.a.s.i.n.o",
            "c a s i n o",
            "c\u{0430}sino",
            "CASINO",
            "<b>casino</b>",
            "ca&shy;sino",
        ] {
            assert_eq!(words(disguised), ["casino"], "{disguised:?}");
        }
    }

    /// Where the models see a marker, the words of the marked text are kept.
    #[test]
    fn marked_text_keeps_its_words() {
        assert_eq!(
            words("Visit https://www.Casino.example/win?x=1 now"),
            ["visit", "www", "casino", "example", "win", "x", "1", "now"]
        );
        assert_eq!(
            words("mail bad@casino.example"),
            ["mail", "bad", "casino", "example"]
        );
        assert_eq!(words("@casino_king's tips"), ["casino", "king", "tips"]);
        assert_eq!(
            words("call 1-800-555-0199"),
            ["call", "1", "800", "555", "0199"]
        );
        assert_eq!(
            words("win $1,000 or 50 usd"),
            ["win", "1", "000", "or", "50", "usd"]
        );
        // No word is capped (the models' tokens are, at 40 characters).
        let long = "abcdefghij".repeat(6);
        assert_eq!(words(&long), std::slice::from_ref(&long));
    }

    /// Links are counted where the models see one; a missing space after a full stop is
    /// not a link.
    #[test]
    fn links_agree_with_the_tokenizer() {
        let links = |t: &str| Words::read(t).links();
        assert_eq!(links("great.In the end"), 0);
        assert_eq!(links("e.g. this, version 3.5"), 0);
        assert_eq!(links("see https://a.example and www.b.example"), 2);
        assert_eq!(links("bit.ly/x t.co discord.gg/abc youtube.com"), 4);
        assert_eq!(links("mail me at a@b.com"), 0);
        // An anchor whose text is its own URL is one link.
        assert_eq!(links("<a href=\"https://x.com/a\">https://x.com/a</a>"), 1);
        // The same count as the models' tokens.
        for text in [
            "great.In",
            "go to www.x.net/claim now",
            "http://a.b http://c.d",
        ] {
            let tokens = crate::text::tokenize(text);
            let urls = tokens.iter().filter(|t| *t == crate::text::URL).count();
            assert_eq!(links(text), urls, "{text}");
        }
    }

    /// Words and phrases match whole words, in any disguise, in the list's order.
    #[test]
    fn phrases_match_whole_words() {
        let l = list(&["Viagra", "buy now", "!!!", "casino"]);
        let first = |t: &str| l.first_in(&Words::read(t)).map(str::to_owned);
        assert_eq!(first("Cheap VIAGRA here").as_deref(), Some("viagra"));
        assert_eq!(first("Buy   now, friends").as_deref(), Some("buy now"));
        assert_eq!(first("buy! now").as_deref(), Some("buy now"));
        assert_eq!(first("viagras are not a word"), None);
        assert_eq!(first("buy nowhere"), None);
        assert_eq!(first("great.In the end"), None);
        for disguised in [
            "ca\u{200B}sino",
            "ｃａｓｉｎｏ",
            "c.a.s.i.n.o",
            "c\u{0430}sino",
        ] {
            assert_eq!(first(disguised).as_deref(), Some("casino"), "{disguised:?}");
        }
        // Several entries found: the first of the list wins.
        assert_eq!(first("casino and viagra").as_deref(), Some("viagra"));
        // An entry is read like a text: dotted, full-width, a domain.
        let l = list(&["casino.example", "c.a.s.i.n.o", "ｂｕｙ ｎｏｗ"]);
        let first = |t: &str| l.first_in(&Words::read(t)).map(str::to_owned);
        assert_eq!(first("casino").as_deref(), Some("casino"));
        assert_eq!(first("BUY NOW").as_deref(), Some("buy now"));
        assert_eq!(
            first("https://casino.example/x").as_deref(),
            Some("casino example")
        );
        assert!(list(&["!!!", ""]).is_empty());
    }

    /// The joined form is what duplicates are compared by.
    #[test]
    fn joined_form() {
        let joined = |t: &str| Words::read(t).joined();
        assert_eq!(joined("ca\u{200B}sino"), joined("casino"));
        assert_eq!(joined("Great article."), joined("great  article"));
        assert_ne!(joined("Great article!"), joined("great article"));
        assert_ne!(joined("👍"), joined("😂"));
        assert_ne!(joined("I agree 100%"), joined("I agree 50%"));
        assert_eq!(joined("..."), "");
    }
}
