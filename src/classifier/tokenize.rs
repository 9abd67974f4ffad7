//! Tokenizer (being written; temporary whitespace stub with the final API).

/// Marker token for a URL.
pub const URL: &str = "__url__";
/// Marker token for an e-mail address.
pub const EMAIL: &str = "__email__";
/// Marker token for a number.
pub const NUMBER: &str = "__num__";
/// Marker token for an `@handle` mention.
pub const MENTION: &str = "__user__";

/// Reusable token buffer: one String holding all tokens back to back plus their spans.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    buf: String,
    spans: Vec<(u32, u32)>,
}

impl Tokens {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
    pub fn get(&self, i: usize) -> &str {
        let (s, e) = self.spans[i];
        &self.buf[s as usize..e as usize]
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.spans.iter().map(|&(s, e)| &self.buf[s as usize..e as usize])
    }
}

/// Clear `out` and fill it with the unigram tokens of `text`, in order.
pub fn tokenize_into(text: &str, out: &mut Tokens) {
    out.buf.clear();
    out.spans.clear();
    for w in text.split_whitespace() {
        let s = out.buf.len();
        out.buf.extend(w.chars().flat_map(char::to_lowercase));
        out.spans.push((s as u32, out.buf.len() as u32));
    }
}

/// Convenience for tests/CLI: the unigram tokens as owned strings.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut t = Tokens::new();
    tokenize_into(text, &mut t);
    t.iter().map(str::to_owned).collect()
}
