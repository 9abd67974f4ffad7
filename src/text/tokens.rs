//! The token buffer and the entry point: [`tokenize_into`] runs the stages in order (HTML,
//! shouting, Unicode, scanning) into a reusable [`Tokens`].
use super::html::decode_html;
use super::lookalike::Lookalikes;
use super::normalise::normalize;
use super::scan::{Reading, Scanner};
use super::shouting;
use super::SHOUTING;

/// Reusable token buffer: one String holding all tokens back to back plus their spans.
///
/// Keep one per thread and pass it to [`tokenize_into`] for every comment: after the
/// first few calls nothing is allocated any more.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    /// All tokens, back to back.
    buf: String,
    /// `(start, end)` byte offsets of each token in `buf`.
    spans: Vec<(u32, u32)>,
    /// Scratch: the text after HTML decoding (used only when the input has `&` or `<`).
    html: String,
    /// Scratch: the normalized (NFKC, lower-cased) text that is scanned.
    norm: String,
    /// Scratch: the letters of a dotted word (`f.u.c.k`) joined together.
    joined: String,
    /// Scratch for the look-alike letter step.
    lookalikes: Lookalikes,
    /// Words that mixed Latin letters with letters of another script.
    mixed_script_words: usize,
    /// URLs in the text.
    links: usize,
}

impl Tokens {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The `i`-th token.
    ///
    /// # Panics
    /// If `i >= self.len()`, like slice indexing.
    pub fn get(&self, i: usize) -> &str {
        let (start, end) = self.spans[i];
        &self.buf[start as usize..end as usize]
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.spans
            .iter()
            .map(|&(start, end)| &self.buf[start as usize..end as usize])
    }

    /// How many words of the comment mixed Latin letters with letters of another script
    /// (`Сheck`, `stupіd` with a Cyrillic `С` or `і`), counted before look-alikes were
    /// replaced: rare in honest text in any language, so a signal of its own.
    pub fn mixed_script_words(&self) -> usize {
        self.mixed_script_words
    }

    /// How many links (URLs) the comment has: each is one [`super::URL`] token.
    pub fn links(&self) -> usize {
        self.links
    }

    /// The tokens as a buffer and spans, leaving the scratch space behind.
    pub(super) fn into_parts(self) -> (String, Vec<(u32, u32)>, usize) {
        (self.buf, self.spans, self.links)
    }
}

/// Clear `out` and fill it with the unigram tokens of `text`, in order.
pub fn tokenize_into(text: &str, out: &mut Tokens) {
    read_into(text, Reading::Model, out);
}

/// Clear `out` and fill it with the tokens of `text` as `reading` reads it.
pub(super) fn read_into(text: &str, reading: Reading, out: &mut Tokens) {
    let Tokens {
        buf,
        spans,
        html,
        norm,
        joined,
        lookalikes,
        mixed_script_words,
        links,
    } = out;
    buf.clear();
    spans.clear();
    html.clear();
    norm.clear();
    joined.clear();
    lookalikes.clear();

    let src: &str = if text.bytes().any(|b| b == b'&' || b == b'<') {
        decode_html(text, html);
        html
    } else {
        text
    };
    let shouting = shouting::is_shouting(src);
    *mixed_script_words = normalize(src, norm, lookalikes);
    let mut scanner = Scanner::new(norm, reading, buf, spans, joined);
    scanner.run();
    if shouting && reading == Reading::Model && !scanner.is_full() {
        scanner.push_marker(SHOUTING);
    }
    *links = scanner.links();
}

/// Convenience for tests/CLI: the unigram tokens as owned strings.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Tokens::new();
    tokenize_into(text, &mut tokens);
    tokens.iter().map(str::to_owned).collect()
}
