//! Whether a comment is written mostly in capitals, read off the text as written (after
//! HTML decoding), before lower-casing.
//!
//! A word here is a run of letters (invisible characters and combining marks do not split
//! it) with at least 2 letters, one of them cased; it is all-caps when it has 2+ capitals
//! and no lower-case letter. A comment shouts when at least 3 words are all-caps and they
//! are at least half of the words: `CHECK OUT MY CHANNEL`, `this is SO WRONG, SHAME ON
//! YOU`, `ВЫ ВСЕ ТУТ`, but not `NASA and the FBI met the EU in the USA` or `I HATE YOU`
//! (two words). A comment that shouts gets one [`super::SHOUTING`] token after all others.
//! Known misses, accepted: a comment made only of acronyms (`FBI, CIA and NSA`) shouts,
//! and so can text in a URL (`WWW.X.COM`). Most comments are not read word by word: a
//! cheap necessary condition (6+ capitals, and no more ` ab`-style lower-case word starts
//! than half the capitals) rules them out in one vectorized pass.
use unicode_normalization::char::is_combining_mark;

use super::chars::{is_letter, is_symbol_block};
use super::normalise::pre_nfkc;

/// Fewest all-caps words for a comment to be shouting.
const MIN_CAPS_WORDS: usize = 3;

/// Word counts of a comment.
#[derive(Default)]
struct Tally {
    /// Words of 2+ letters with at least one cased letter.
    words: usize,
    /// Those of them with 2+ capitals and no lower-case letter.
    caps: usize,
    /// The word being read: its letters, capitals, and whether one is lower case.
    letters: usize,
    upper: usize,
    lower: bool,
}

impl Tally {
    fn letter(&mut self, upper: bool, lower: bool) {
        self.letters += 1;
        self.upper += usize::from(upper);
        self.lower |= lower;
    }

    fn end_word(&mut self) {
        if self.letters >= 2 && (self.upper > 0 || self.lower) {
            self.words += 1;
            self.caps += usize::from(self.upper >= 2 && !self.lower);
        }
        self.letters = 0;
        self.upper = 0;
        self.lower = false;
    }

    fn shouting(mut self) -> bool {
        self.end_word();
        self.caps >= MIN_CAPS_WORDS && 2 * self.caps >= self.words
    }
}

/// Whether `text` shouts: at least 3 words are all-caps (2+ capitals, no lower-case
/// letter), and they are at least half of the words of 2+ letters with a cased letter.
pub(super) fn is_shouting(text: &str) -> bool {
    if !may_shout(text) {
        return false;
    }
    let mut tally = Tally::default();
    for c in text.chars() {
        if c.is_ascii() {
            if c.is_ascii_alphabetic() {
                tally.letter(c.is_ascii_uppercase(), c.is_ascii_lowercase());
            } else {
                tally.end_word();
            }
        } else if is_letter(c) {
            tally.letter(c.is_uppercase(), c.is_lowercase());
        } else if pre_nfkc(c).is_some() && !is_combining_mark(c) {
            // Invisible characters and combining marks do not split a word.
            tally.end_word();
        }
    }
    tally.shouting()
}

/// A cheap necessary condition for [`is_shouting`], in branch-free (vectorizable) passes
/// over the bytes plus a look at each non-ASCII character: most comments fail it, and
/// are not read word by word. An all-caps word holds 2+ capitals, so there are at most
/// `capitals / 2` of them; a space followed by two ASCII lower-case letters starts a
/// distinct word that is not all-caps. Shouting needs at least 3 all-caps words, and no
/// fewer than the other words.
fn may_shout(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut capitals = count_trigrams(bytes, |_, _, c| c.is_ascii_uppercase())
        + bytes
            .iter()
            .take(2)
            .filter(|b| b.is_ascii_uppercase())
            .count();
    if !text.is_ascii() {
        capitals += text
            .chars()
            .filter(|&c| !c.is_ascii() && is_upper(c))
            .count();
    }
    if capitals < 2 * MIN_CAPS_WORDS {
        return false;
    }
    let lower_starts = count_trigrams(bytes, |a, b, c| {
        a == b' ' && b.is_ascii_lowercase() && c.is_ascii_lowercase()
    });
    lower_starts <= capitals / 2
}

/// `char::is_uppercase` for non-ASCII characters, with a fast path for Cyrillic and
/// Greek (every character in these ranges is upper or lower case as stated).
fn is_upper(c: char) -> bool {
    match c {
        '\u{0391}'..='\u{03A9}' | '\u{0400}'..='\u{042F}' => true,
        '\u{03B1}'..='\u{03C9}' | '\u{0430}'..='\u{045F}' => false,
        _ => !is_symbol_block(c) && c.is_uppercase(),
    }
}

/// How many windows `text[k..k + 3]` satisfy `f`. Counted in byte-sized counters over
/// chunks of 255 windows, which the compiler turns into vector code.
fn count_trigrams(text: &[u8], f: impl Fn(u8, u8, u8) -> bool) -> usize {
    let Some(n) = text.len().checked_sub(2) else {
        return 0;
    };
    let (a, b, c) = (&text[..n], &text[1..n + 1], &text[2..]);
    a.chunks(255)
        .zip(b.chunks(255))
        .zip(c.chunks(255))
        .map(|((a, b), c)| {
            let hits = a
                .iter()
                .zip(b)
                .zip(c)
                .fold(0u8, |hits, ((&x, &y), &z)| hits + u8::from(f(x, y, z)));
            usize::from(hits)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Comments in capitals shout, in any cased script.
    #[test]
    fn capitals_shout() {
        assert!(is_shouting("CHECK OUT MY CHANNEL"));
        assert!(is_shouting("YOU ARE AN IDIOT!!!"));
        assert!(is_shouting("this is SO WRONG, SHAME ON YOU"));
        assert!(is_shouting("ПРИВЕТ ВСЕМ ДРУЗЬЯ"));
        assert!(is_shouting("ＦＲＥＥ ＭＯＮＥＹ ＮＯＷ"));
        assert!(is_shouting("F\u{200B}REE MONEY NOW"));
    }

    // Acronyms in an ordinary sentence, and short outbursts, do not.
    #[test]
    fn acronyms_do_not_shout() {
        assert!(!is_shouting("NASA and the FBI met the EU in the USA"));
        assert!(!is_shouting(
            "The FBI and CIA briefed NATO and the EU on Tuesday."
        ));
        assert!(!is_shouting("I HATE YOU"));
        assert!(!is_shouting("A B C D E F G"));
        assert!(!is_shouting("Great article, thanks"));
        assert!(!is_shouting("مرحبا بالعالم كيف حالك"));
        assert!(!is_shouting(""));
        // Words of one capital and caseless letters are not all-caps words.
        assert!(!is_shouting("Aب Cد Eه Gو"));
    }

    // The fast range of `is_upper` agrees with std.
    #[test]
    fn upper_case_fast_path() {
        for c in ('\u{0391}'..='\u{03C9}').chain('\u{0400}'..='\u{045F}') {
            if c.is_alphabetic() {
                assert_eq!(is_upper(c), c.is_uppercase(), "{c}");
            }
        }
    }
}
