//! Stage 2 of the reading: Unicode, character by character.
//!
//! Invisible characters are removed first (zero-width U+200B–U+200F, U+2060–U+2064,
//! U+FEFF, soft hyphen, bidi controls, variation selectors, tag characters, the Arabic
//! tatweel): they are used to split words past filters (`f\u{200B}uck`) and carry no
//! meaning. Control characters are removed, except the whitespace ones (`\n \t \r`, ...),
//! which separate words. Then NFKC, which also undoes full-width (`ｆｕｃｋ`) and
//! mathematical-alphanumeric (`𝐟𝐮𝐜𝐤`) obfuscation, and lower-casing with
//! `char::to_lowercase` (plus final sigma `ς` → `σ`, so Greek words do not depend on
//! position). Negative squared/circled letters (`🅵🆄`), which NFKC does not map, are
//! mapped to ASCII. Pure-ASCII input skips all of this except lower-casing; input that is
//! already NFKC skips the NFKC pass.
//!
//! Last, look-alike letters of other scripts are read as the Latin letters they imitate
//! (non-ASCII text only; the rules are in `lookalike.rs`).
use unicode_normalization::UnicodeNormalization;

use super::lookalike::Lookalikes;

/// Appends the normalized form of `src` to `norm`: invisible and control characters
/// removed, NFKC, lower case, look-alike letters replaced. Returns how many words mixed
/// Latin letters with letters of another script.
pub(super) fn normalize(src: &str, norm: &mut String, lookalikes: &mut Lookalikes) -> usize {
    // Fast path: printable ASCII plus ASCII whitespace is already NFKC and has nothing
    // to remove; lower-casing is a vectorizable in-place byte pass.
    if src.bytes().all(is_plain_ascii) {
        norm.push_str(src);
        norm.make_ascii_lowercase();
        return 0;
    }
    // Invisible characters go before NFKC: between a letter and a combining mark they
    // would block composition.
    let chars = src.chars().filter_map(pre_nfkc);
    // NFKC costs a few table lookups per character; most non-ASCII comments (accents,
    // curly quotes, emoji, Arabic, Cyrillic, CJK...) contain only characters that
    // cannot change under it, and then it is skipped.
    if chars.clone().all(is_nfkc_inert) {
        // Mostly-ASCII text with the odd emoji or curly quote: copy ASCII runs in bulk.
        let mut rest = src;
        while let Some(c) = rest.chars().next() {
            let plain = rest.bytes().take_while(|&b| is_plain_ascii(b)).count();
            if plain > 0 {
                let start = norm.len();
                norm.push_str(&rest[..plain]);
                norm[start..].make_ascii_lowercase();
                rest = &rest[plain..];
            } else {
                if let Some(c) = pre_nfkc(c) {
                    push_lower_noting_case(c, norm, lookalikes);
                }
                rest = &rest[c.len_utf8()..];
            }
        }
    } else {
        chars
            .nfkc()
            .for_each(|c| push_lower_noting_case(c, norm, lookalikes));
    }
    lookalikes.apply(norm)
}

/// [`push_lower`], telling `lookalikes` about the case of non-ASCII letters first.
fn push_lower_noting_case(c: char, out: &mut String, lookalikes: &mut Lookalikes) {
    if !c.is_ascii() && !is_caseless(c) {
        lookalikes.note_case(c, out.len());
    }
    push_lower(c, out);
}

/// Whether `c` is unchanged by NFKC whatever surrounds it: it has no compatibility or
/// canonical decomposition, and it is neither a combining mark nor a Hangul jamo, the
/// only characters that compose with what precedes them. A conservative list of ranges
/// (checked against the Unicode data); anything else just takes the NFKC path.
fn is_nfkc_inert(c: char) -> bool {
    matches!(c,
        '\u{0000}'..='\u{007F}'    // ASCII
        | '\u{00C0}'..='\u{00FF}'  // Latin-1 letters (precomposed, NFC-stable), × ÷
        | '\u{0391}'..='\u{03A1}' | '\u{03A3}'..='\u{03C9}' // Greek letters
        | '\u{0400}'..='\u{045F}'  // Cyrillic
        | '\u{05D0}'..='\u{05EA}'  // Hebrew letters
        | '\u{060C}' | '\u{061B}' | '\u{061F}' // Arabic comma, semicolon, question mark
        | '\u{0621}'..='\u{064A}'  // Arabic letters
        | '\u{0660}'..='\u{0669}'  // Arabic-Indic digits
        | '\u{2013}' | '\u{2014}' | '\u{2018}'..='\u{201D}' // dashes, curly quotes
        | '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' // kana
        | '\u{4E00}'..='\u{9FFF}'  // CJK unified ideographs
        | '\u{AC00}'..='\u{D7A3}'  // Hangul syllables
        | '\u{1F300}'..='\u{1FAFF}' // emoji
    )
}

/// Printable ASCII and ASCII whitespace: bytes that normalization leaves alone.
fn is_plain_ascii(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || (b'\t'..=b'\r').contains(&b)
}

/// Per-character clean-up before NFKC: `None` drops the character.
pub(super) fn pre_nfkc(c: char) -> Option<char> {
    if c.is_ascii() {
        return (!c.is_ascii_control() || c.is_whitespace()).then_some(c);
    }
    match c {
        // Zero-width and other invisible format characters (incl. ZWJ/ZWNJ and the
        // LRM/RLM marks), soft hyphen, bidi embeddings/isolates, invisible operators,
        // Mongolian vowel separator, variation selectors, combining grapheme joiner,
        // Arabic letter mark and tatweel (a pure elongation stroke), tag characters.
        '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{0640}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{E0000}'..='\u{E007F}' => None,
        // Acute accent and prime used as apostrophes; NFKC would turn `´` into a space
        // plus a combining accent, splitting `don´t`.
        '\u{00B4}' | '\u{2032}' => Some('\''),
        // The Arabic question mark, which NFKC keeps, asks the same question as `?`.
        '\u{061F}' => Some('?'),
        // Negative circled / negative squared Latin letters (🅐, 🅰): letter look-alikes
        // that NFKC leaves alone.
        '\u{1F150}'..='\u{1F169}' => char::from_u32('a' as u32 + (c as u32 - 0x1F150)),
        '\u{1F170}'..='\u{1F189}' => char::from_u32('a' as u32 + (c as u32 - 0x1F170)),
        _ if c.is_control() && !c.is_whitespace() => None,
        _ => Some(c),
    }
}

/// Scripts without case, where `to_lowercase`'s table search can be skipped.
fn is_caseless(c: char) -> bool {
    matches!(c,
        '\u{0590}'..='\u{08FF}'    // Hebrew, Arabic, Syriac, Thaana, ...
        | '\u{0E00}'..='\u{0EFF}'  // Thai, Lao
        | '\u{3000}'..='\u{9FFF}'  // CJK punctuation, kana, ideographs
        | '\u{AC00}'..='\u{D7AF}'  // Hangul syllables
        | '\u{1F300}'..='\u{1FAFF}' // emoji
    )
}

fn push_lower(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if is_caseless(c) {
        out.push(c);
    } else if c == 'ς' {
        out.push('σ');
    } else {
        out.extend(c.to_lowercase());
    }
}
