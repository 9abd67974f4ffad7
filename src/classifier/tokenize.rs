//! The models' view of a comment: its tokens, as [`crate::text`] reads them.
//!
//! The reading itself (HTML, Unicode, look-alike letters, URLs, numbers, de-obfuscation)
//! lives in [`crate::text`], because block lists, link counting and duplicate detection
//! read comments the same way; this module names what the classifier uses of it.
pub use crate::text::{
    is_marker, tokenize, tokenize_into, Tokens, EMAIL, MAX_TOKEN_CHARS, MENTION, MONEY, NUMBER,
    PHONE, REFERRAL, SHOUTING, TOKENIZER_VERSION, URL,
};
