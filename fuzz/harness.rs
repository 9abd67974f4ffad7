// What each fuzz target does with one input, shared by the libFuzzer targets
// (fuzz/fuzz_targets/*.rs) and by `tests/fuzz_corpus.rs`, which replays the committed
// corpus on stable Rust in every `cargo test`. A panic anywhere is a finding. Each fuzz
// target uses one of these functions.
#![allow(dead_code)]

/// A submission body, as the HTTP layer sees it: the first byte picks the encoding (JSON or
/// form), the rest is the body. Decoded fields go through every typed accessor and every
/// domain parser a submission meets.
pub fn submission_decoder(data: &[u8]) {
    use commentguard::domain::{
        ArticleId, AuthorEmail, AuthorName, CommentBody, CommentId, WebUrl,
    };
    use commentguard::http::fields::{Encoding, Fields};
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let encoding = if selector % 2 == 0 {
        Encoding::Json
    } else {
        Encoding::Form
    };
    let Ok(fields) = Fields::decode(encoding, body) else {
        return;
    };
    for name in commentguard::domain::KNOWN_FIELDS {
        let _ = fields.flag(name);
        let _ = fields.optional_number(name);
        let _ = fields.dynamic(name);
        let Ok(Some(text)) = fields.optional(name) else {
            continue;
        };
        let _ = ArticleId::parse(text);
        let _ = AuthorName::parse(text);
        let _ = AuthorEmail::parse(text);
        let _ = CommentBody::parse(text);
        let _ = CommentId::parse(text, "parent_id");
        let _ = WebUrl::parse(text, "author_url");
    }
}

/// Any bytes, as (lossy) UTF-8 text, through the tokenizer; its promises are checked.
pub fn tokenizer(data: &[u8]) {
    use commentguard::classifier::tokenize::{tokenize, MAX_TOKEN_CHARS};
    let text = String::from_utf8_lossy(data);
    let tokens = tokenize(&text);
    for token in &tokens {
        assert!(!token.is_empty());
        assert!(token.chars().count() <= MAX_TOKEN_CHARS, "{token:?}");
    }
    assert_eq!(tokens, tokenize(&text), "deterministic");
}
