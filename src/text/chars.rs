//! Character classes the reading stages share: letters, alphanumerics and word
//! characters (with fast paths for common scripts: std's table searches would otherwise
//! dominate the cost of non-Latin text), ideographs, emoji, apostrophes.
use unicode_normalization::char::is_combining_mark;

pub(super) fn next_char(s: &str, i: usize) -> Option<char> {
    s.get(i..)?.chars().next()
}

/// `char::is_alphabetic`, with a fast path for the letters of common scripts: the std
/// lookup is a table search that would otherwise dominate the cost of non-Latin text.
pub(super) fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    is_non_ascii_letter(c)
}

/// [`is_letter`] for non-ASCII characters (kept apart so the ASCII test inlines).
#[inline]
fn is_non_ascii_letter(c: char) -> bool {
    // Every character in these ranges is alphabetic (checked against the Unicode data).
    matches!(c,
        '\u{00C0}'..='\u{00D6}' | '\u{00D8}'..='\u{00F6}' | '\u{00F8}'..='\u{024F}' // Latin
        | '\u{0391}'..='\u{03A1}' | '\u{03A3}'..='\u{03F5}' | '\u{03F7}'..='\u{03FF}' // Greek
        | '\u{0400}'..='\u{0481}' | '\u{048A}'..='\u{052F}' // Cyrillic
        | '\u{05D0}'..='\u{05EA}' // Hebrew
        | '\u{0620}'..='\u{064A}' // Arabic
        | '\u{0E01}'..='\u{0E30}' // Thai
        | '\u{AC00}'..='\u{D7A3}' // Hangul syllables
    ) || is_rare_letter(c)
}

/// `char::is_alphabetic` for what [`is_non_ascii_letter`]'s ranges do not cover.
#[inline(never)]
fn is_rare_letter(c: char) -> bool {
    !is_symbol_block(c) && c.is_alphabetic()
}

/// `char::is_alphanumeric` with [`is_letter`]'s fast paths.
pub(super) fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    is_non_ascii_letter(c) || (!is_symbol_block(c) && c.is_numeric())
}

/// Blocks with no letter or number in them (checked against the Unicode data in a test),
/// whose characters (curly quotes, dashes, arrows, dingbats, emoji) are common in
/// comments and slow to look up in std's tables.
pub(super) fn is_symbol_block(c: char) -> bool {
    matches!(c,
        '\u{2000}'..='\u{206F}'    // General Punctuation
        | '\u{2190}'..='\u{23FF}'  // arrows, mathematical operators, misc technical
        | '\u{2500}'..='\u{2775}'  // box drawing ... dingbats, up to the dingbat digits
        | '\u{2794}'..='\u{2BFF}'  // ... misc symbols and arrows
        | '\u{1F300}'..='\u{1FAFF}') // pictographs, emoticons, ...
}

/// Characters that continue a word: alphanumerics and combining marks (Devanagari
/// virama, Arabic harakat, ... which are not all alphanumeric).
pub(super) fn is_word_char(c: char) -> bool {
    is_alnum(c) || (!c.is_ascii() && is_combining_mark(c))
}

pub(super) fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | 'ʼ' | '`')
}

/// Han ideographs and kana: scripts written without spaces, one token per character.
pub(super) fn is_ideograph(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'      // Hiragana, Katakana
        | '\u{31F0}'..='\u{31FF}'    // Katakana phonetic extensions
        | '\u{3400}'..='\u{4DBF}'    // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'    // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'    // CJK compatibility ideographs
        | '\u{20000}'..='\u{3134F}') // CJK extensions B–G
}

pub(super) fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

/// Emoji and pictographic symbols (an approximation by block: no emoji property table
/// is available, and these blocks hold nearly all emoji seen in comments).
pub(super) fn is_pictograph(c: char) -> bool {
    matches!(c,
        '\u{00A9}' | '\u{00AE}'
        | '\u{2190}'..='\u{21FF}'    // arrows
        | '\u{2300}'..='\u{23FF}'    // misc technical (⌚ ⏰)
        | '\u{25A0}'..='\u{27BF}'    // geometric shapes, misc symbols, dingbats (☺ ♥ ❤ ✅)
        | '\u{2B00}'..='\u{2BFF}'    // ⭐ ⬛
        | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
        | '\u{1F000}'..='\u{1F3FA}'  // ... up to the skin-tone modifiers,
        | '\u{1F400}'..='\u{1FAFF}') // which are dropped
}
