//! Generates the tokenizer's look-alike letter tables (`$OUT_DIR/lookalikes.rs`) from the
//! Unicode confusables data (UTS #39) as shipped in the `unicode-security` crate, so the
//! mapping comes from the maintained data, costs no start-up time, and follows the crate
//! when it is updated.
//!
//! For every letter of a script other than Latin (Cyrillic, Greek, Armenian, Cherokee, ...)
//! it records the Latin letter (or digit) a reader sees in it, if any: the UTS #39
//! skeleton of the letter when that is one ASCII letter or digit, else [`NEAR_LATIN`]
//! applied to the skeleton. `src/text/lookalike.rs` uses the tables and says when a
//! letter is replaced.
use std::fmt::Write as _;
use std::path::PathBuf;

use unicode_script::{Script, UnicodeScript};

/// Skeletons that are Latin letters outside ASCII, and the ASCII letter or digit a reader
/// reads in them. Chosen by reading, not by the data: small capitals read as their letter
/// (Cyrillic `в н т к м`, Coptic and Cherokee small letters); `ꞓ` is the skeleton of Greek
/// `ε` and Cyrillic `є`, read as `e`; `ß` that of Greek `β`, read as `b`; `ƅ` that of
/// Cyrillic `ь` (a `b` without its ascender); `ɜ`/`ȝ` those of Cyrillic `з`/`ӡ`, read as
/// `3` (which leetspeak then reads as `e` inside a word). Left out because they do not
/// read as a Latin letter: `ɸ` (`φ`, `ф`), `ᴎ` (`и`), `ᴙ` (`я`), `ẟ` (`δ`), `ʌ`, `ǝ`, `ƨ`,
/// `ʓ`; and `Ʃ` (capital `Σ`) and `Ʌ` (capital `Λ`, `Л`), which read as `E` and `A` only
/// in decorative faux-Greek (`ΣVIL`, `ΛMERICΛ`), while taking them would turn genuine
/// Greek capitals (`ΛΟΓΟΣ`) into Latin.
const NEAR_LATIN: &[(char, char)] = &[
    ('ʙ', 'b'),
    ('ʜ', 'h'),
    ('ᴛ', 't'),
    ('ĸ', 'k'),
    ('ʍ', 'm'),
    ('ɴ', 'n'),
    ('ʟ', 'l'),
    ('ᴀ', 'a'),
    ('ᴅ', 'd'),
    ('ᴇ', 'e'),
    ('ᴊ', 'j'),
    ('ʀ', 'r'),
    ('ᴘ', 'p'),
    ('ɢ', 'g'),
    ('ꞓ', 'e'),
    ('ß', 'b'),
    ('ƅ', 'b'),
    ('ɜ', '3'),
    ('ȝ', '3'),
];

/// The dense table covers U+0370..U+0700: Greek, Coptic, Cyrillic, Armenian, Hebrew and
/// Arabic, the other-script letters most comments contain, so that classifying them is
/// one array load.
const DENSE_FROM: u32 = 0x370;
const DENSE_TO: u32 = 0x700;

/// Dense table values below `'0'`.
const NEUTRAL: u8 = 0;
const OTHER_SCRIPT: u8 = 1;

/// Whether `c` is a letter of a script other than Latin (and not a shared one).
fn is_other_script_letter(c: char) -> bool {
    c.is_alphabetic()
        && !matches!(
            c.script(),
            Script::Latin | Script::Common | Script::Inherited | Script::Unknown
        )
}

/// The one character of the UTS #39 skeleton of `c`, if it is one character.
fn skeleton_char(c: char) -> Option<char> {
    let mut buf = [0u8; 4];
    let mut skeleton = unicode_security::skeleton(c.encode_utf8(&mut buf));
    match (skeleton.next(), skeleton.next()) {
        (Some(s), None) => Some(s),
        _ => None,
    }
}

/// The ASCII letter or digit read in a skeleton character.
fn latin_reading(s: char) -> Option<u8> {
    if s.is_ascii_alphanumeric() {
        return u8::try_from(s.to_ascii_lowercase()).ok();
    }
    NEAR_LATIN
        .iter()
        .find(|&&(from, _)| from == s)
        .and_then(|&(_, to)| u8::try_from(to).ok())
}

/// The look-alike of `c` as it appears in lower-cased text.
fn lower_lookalike(c: char) -> Option<u8> {
    skeleton_char(c).and_then(latin_reading)
}

/// The look-alike of an upper-case letter. The skeleton folds capital `I` into `l`; an
/// upper-case letter whose skeleton is `l` (Greek `Ι`, Cyrillic `І`, `Ӏ`) reads as `I`.
fn upper_lookalike(c: char) -> Option<u8> {
    match skeleton_char(c)? {
        'l' => Some(b'i'),
        s => latin_reading(s),
    }
}

/// `c` lower-cased, when that is one character.
fn single_lowercase(c: char) -> Option<char> {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => Some(l),
        _ => None,
    }
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");

    let mut dense = vec![NEUTRAL; (DENSE_TO - DENSE_FROM) as usize];
    let mut sparse: Vec<(char, u8)> = Vec::new();
    let mut upper_dense = vec![0u8; (DENSE_TO - DENSE_FROM) as usize];
    let mut upper_sparse: Vec<(char, u8)> = Vec::new();
    for c in char::MIN..=char::MAX {
        if c.is_ascii() || !is_other_script_letter(c) {
            continue;
        }
        let lower = single_lowercase(c);
        // Text is lower-cased before look-alikes are replaced, so the main table is keyed
        // by the characters lower-cased text can hold.
        let own = if lower == Some(c) {
            lower_lookalike(c)
        } else {
            None
        };
        let code = u32::from(c);
        if (DENSE_FROM..DENSE_TO).contains(&code) {
            dense[(code - DENSE_FROM) as usize] = own.unwrap_or(OTHER_SCRIPT);
        } else if let Some(to) = own {
            sparse.push((c, to));
        }
        // An upper-case letter whose reading differs from its lower-case form's (`Η` reads
        // `H`, `η` reads as nothing; `Ν` reads `N`, `ν` reads `v`).
        if let Some(l) = lower.filter(|&l| l != c) {
            if let Some(to) = upper_lookalike(c) {
                if lower_lookalike(l) != Some(to) {
                    if (DENSE_FROM..DENSE_TO).contains(&code) {
                        upper_dense[(code - DENSE_FROM) as usize] = to;
                    } else {
                        upper_sparse.push((c, to));
                    }
                }
            }
        }
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Generated by build.rs from unicode-security's UTS #39 skeletons (Unicode {}.{}.{}).",
        unicode_security::UNICODE_VERSION.0,
        unicode_security::UNICODE_VERSION.1,
        unicode_security::UNICODE_VERSION.2,
    );
    let _ = writeln!(out, "/// First code point of [`DENSE`].");
    let _ = writeln!(out, "pub const DENSE_FROM: u32 = {DENSE_FROM:#X};");
    let _ = writeln!(
        out,
        "/// Value in [`DENSE`] of a character that is not a letter of another script."
    );
    let _ = writeln!(out, "pub const NEUTRAL: u8 = {NEUTRAL};");
    let _ = writeln!(
        out,
        "/// Value in [`DENSE`] of a letter of another script with no Latin look-alike."
    );
    let _ = writeln!(out, "pub const OTHER_SCRIPT: u8 = {OTHER_SCRIPT};");
    let _ = writeln!(
        out,
        "/// U+{DENSE_FROM:04X}..U+{DENSE_TO:04X}: [`NEUTRAL`], [`OTHER_SCRIPT`], or the ASCII look-alike of a letter of another script."
    );
    let _ = writeln!(out, "pub static DENSE: [u8; {}] = {dense:?};", dense.len());
    let _ = writeln!(
        out,
        "/// Letters of other scripts outside the dense range and their ASCII look-alike, by code point."
    );
    let _ = writeln!(
        out,
        "pub static SPARSE: [(char, u8); {}] = {sparse:?};",
        sparse.len()
    );
    let _ = writeln!(
        out,
        "/// U+{DENSE_FROM:04X}..U+{DENSE_TO:04X}: the ASCII look-alike of an upper-case letter of another script that reads as another Latin letter than its lower-case form, else 0."
    );
    let _ = writeln!(
        out,
        "pub static UPPER_DENSE: [u8; {}] = {upper_dense:?};",
        upper_dense.len()
    );
    let _ = writeln!(out, "/// The same outside the dense range, by code point.");
    let _ = writeln!(
        out,
        "pub static UPPER_SPARSE: [(char, u8); {}] = {upper_sparse:?};",
        upper_sparse.len()
    );

    let path = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("lookalikes.rs");
    std::fs::write(&path, out).expect("write the generated look-alike tables");
}
