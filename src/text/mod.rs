//! How commentguard reads comment text: the one normaliser.
//!
//! Everything that looks at what a comment *says* reads it through this module, so that
//! they all agree:
//! - the two naive Bayes models (spam, abuse) see a comment only through its tokens
//!   ([`tokenize_into`]);
//! - block lists, link counting and duplicate detection read it as [`Words`]: the same
//!   tokens, except that where the models see a marker (`__url__`, `__num__`, ...) the
//!   words of the marked text are kept (see `words.rs`). So `ca\u{200B}sino`, `ｃａｓｉｎｏ`,
//!   `c.a.s.i.n.o` and `cаsino` (Cyrillic `а`) are the word `casino` for a block list as
//!   for the models, and `great.In` is a link for neither.
//!
//! The reading's job is to make the surface variation of real comments
//! (scraped HTML, Unicode look-alikes, obfuscated profanity, links) collapse onto a small
//! vocabulary, while staying cheap: scoring has a budget of ~10 µs per 200-character
//! comment, so this runs in a few passes over the text into reusable buffers
//! ([`Tokens`]), with ASCII fast paths and no per-token allocation. Training and scoring
//! call the same function, so every rule only has to be deterministic, not perfect: a rule
//! that is sometimes wrong in the same way at train and score time costs little.
//!
//! # Pipeline
//!
//! 1. **HTML** (`html.rs`, only when the text contains `&` or `<`): entities decoded, tags
//!    replaced by a space, URLs of `href`/`src` attributes kept.
//! 2. **Unicode** (`normalise.rs`): invisible and control characters removed, NFKC (which
//!    undoes full-width and mathematical letters), lower case, and look-alike letters of
//!    other scripts read as the Latin letters they imitate (`lookalike.rs`). **Shouting**
//!    (`shouting.rs`) is read off the text before lower-casing.
//! 3. **Scanning** (`scan.rs`) the normalised text left to right: URLs, e-mail addresses,
//!    `@mentions`, phone numbers, numbers and money (`numbers.rs`), words, ideographs,
//!    emoji, `!`/`?`.
//! 4. **Per-token clean-up** (`scan.rs`): leetspeak, squeezed repeats, a length cap.
//! 5. **De-obfuscation** (`scan.rs`): `f.u.c.k` and `f u c k` are joined.
//!
//! Each file's own documentation gives its rules in full; `chars.rs` holds the character
//! classes they share.
//!
//! Marker tokens all contain `__`, which user text can never produce (`_` splits words),
//! so `__url__` typed in a comment is the word `url`. [`SHOUTING`], being last, also makes
//! a bigram with the comment's last token.
mod chars;
mod html;
mod lookalike;
mod normalise;
mod numbers;
mod scan;
mod shouting;
mod tokens;
mod words;

#[cfg(test)]
mod tests;

pub use tokens::{tokenize, tokenize_into, Tokens};
pub use words::{PhraseList, Words};

/// Version of the token output. Bump it whenever a change to this module can change the
/// tokens of some input, or a change to the classifier the features it reads from them:
/// models record the version they were trained with, and a model trained with other
/// tokens is refused at load instead of scoring silently wrong. 3: features drop the
/// plural `s` (`crate::classifier::vectorize::stem`). 4: referral links add [`REFERRAL`].
pub const TOKENIZER_VERSION: u32 = 4;

/// Marker token for a URL (followed by a token with its host).
pub const URL: &str = "__url__";
/// Marker token after a URL's host when the link carries a referral or affiliate code
/// (`?ref=`, `/refer/`, `AffiliateID=`).
pub const REFERRAL: &str = "__referral__";
/// Marker token for an e-mail address.
pub const EMAIL: &str = "__email__";
/// Marker token for a number (`42`, `1,000`, `3.5`).
pub const NUMBER: &str = "__num__";
/// Marker token for an `@handle` mention.
pub const MENTION: &str = "__user__";
/// Marker token for a phone number (`1-800-555-0199`, `+44 20 7946 0958`).
pub const PHONE: &str = "__phone__";
/// Marker token for an amount of money (`$5`, `€50`, `100$`, `50 usd`).
pub const MONEY: &str = "__money__";
/// Marker token, once at the end, for a comment written mostly in capitals.
pub const SHOUTING: &str = "__shouting__";

/// Whether a token is a marker ([`URL`], [`NUMBER`], ...) rather than a word: markers
/// contain `__`, which user text never produces.
pub fn is_marker(token: &str) -> bool {
    token.contains("__")
}

/// Whether a token is an emoji or another pictograph (each is a token of its own).
pub fn is_pictograph_token(token: &str) -> bool {
    token.chars().next().is_some_and(chars::is_pictograph)
}

/// Longest token, in characters; longer runs are truncated on a char boundary.
pub const MAX_TOKEN_CHARS: usize = 40;
