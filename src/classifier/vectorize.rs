//! From tokens to features: unigrams and bigrams, looked up in a bounded vocabulary.
//!
//! A feature is a unigram (`"click"`) or a bigram (`"__url__ youtube.com"`, two tokens
//! joined by one space). At scoring time features are never built as strings: each is
//! identified by the 64-bit FNV-1a hash of its string, streamed over the token bytes, and
//! looked up in a hash map from that key to the feature's column. At training time the
//! strings are kept, because the vocabulary (the strings, in column order) is saved with
//! the model and is what explanations print.
//!
//! The vocabulary is bounded (`max_features`) and chosen from the training rows only, so
//! memory and model size stay flat however large the corpus grows.
//!
//! # Plurals
//! A feature names a word without its plural `s` ([`stem`], Harman's "S" stemmer on
//! words of four letters or more): `idiots` and `idiot`, `faggots` and `faggot`, `views`
//! and `view` are one feature. Naive Bayes learns a word from the rows it appears in, and
//! the corpus is small: split in two, the plural of a slur weighed half its singular
//! (`faggot` +3.85, `faggots` +2.03) and the tweets that used it were missed. Measured
//! through the API (BENCHMARKS.md, news day one): ordinary news comments held 2.6% → 1.9%,
//! abusive ones caught 57.8% → 61.0%, Davidson F1 0.947 → 0.953; ordinary YouTube comments
//! held 10.1% → 10.4%. The tokens themselves (block lists, link counting) keep the word
//! as written.
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use super::tokenize::Tokens;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// The key of a unigram feature: the FNV-1a hash of the token.
pub fn unigram_key(token: &str) -> u64 {
    fnv(FNV_OFFSET, token.as_bytes())
}

/// The key of a bigram feature: the FNV-1a hash of `"{first} {second}"`, without
/// building that string.
pub fn bigram_key(first: &str, second: &str) -> u64 {
    fnv(
        fnv(fnv(FNV_OFFSET, first.as_bytes()), b" "),
        second.as_bytes(),
    )
}

/// The key of a feature given as a string (as stored in a vocabulary).
pub fn feature_key(feature: &str) -> u64 {
    unigram_key(feature)
}

/// Which features a model uses; saved with the model so scoring matches training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Add bigrams of consecutive tokens to the unigrams.
    pub bigrams: bool,
    /// Count a feature once per comment (presence) rather than once per occurrence.
    pub binary: bool,
    /// Upper bound on the vocabulary size.
    pub max_features: usize,
    /// A feature must occur in at least this many training comments.
    pub min_df: u32,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            bigrams: true,
            binary: true,
            max_features: 60_000,
            min_df: 2,
        }
    }
}

/// The feature a word stands for: Harman's "S" stemmer ("How effective is suffixing?",
/// JASIS 1991) on words of at least four ASCII letters — `-es` → `-e` unless `-aes`,
/// `-ees`, `-oes`; else `-s` dropped unless `-us`, `-ss`; `-ies` is left as written
/// (`stories`, `parties`) rather than turned into `-y`. Shorter words and marker tokens
/// stay as they are, so `is`, `his`, `was` and `us` keep their own features.
pub fn stem(token: &str) -> &str {
    let b = token.as_bytes();
    // Most tokens do not end in `s`: one byte decides, before the letters are checked.
    if b.len() < 4
        || b[b.len() - 1] != b's'
        || token.ends_with("ies")
        || !b.iter().all(u8::is_ascii_lowercase)
    {
        return token;
    }
    let keep = |suffix: &[&str]| suffix.iter().any(|s| token.ends_with(s));
    if token.ends_with("es") && !keep(&["aes", "ees", "oes"]) {
        return &token[..token.len() - 1];
    }
    if keep(&["us", "ss"]) {
        return token;
    }
    &token[..token.len() - 1]
}

/// Calls `f(key)` for every feature occurrence of a tokenized comment, in order.
pub fn for_each_feature_key(tokens: &Tokens, bigrams: bool, mut f: impl FnMut(u64)) {
    // The previous token's unigram key is the FNV state after its bytes, so a bigram's
    // key continues from it instead of hashing that token again (= `bigram_key`).
    let mut previous: Option<u64> = None;
    for token in tokens.iter().map(stem) {
        let key = unigram_key(token);
        f(key);
        if bigrams {
            if let Some(prev) = previous {
                f(fnv(fnv(prev, b" "), token.as_bytes()));
            }
            previous = Some(key);
        }
    }
}

/// Calls `f(feature)` for every feature occurrence as a string (training only).
pub fn for_each_feature_string(tokens: &Tokens, bigrams: bool, mut f: impl FnMut(&str)) {
    let mut joined = String::new();
    let mut previous: Option<&str> = None;
    for token in tokens.iter().map(stem) {
        f(token);
        if bigrams {
            if let Some(prev) = previous {
                joined.clear();
                joined.push_str(prev);
                joined.push(' ');
                joined.push_str(token);
                f(&joined);
            }
        }
        previous = Some(token);
    }
}

/// A hasher for keys that are already good hashes: passes the `u64` through.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed with this hasher; fold anything else in FNV style.
        self.0 = fnv(self.0 ^ FNV_OFFSET, bytes);
    }
    fn write_u64(&mut self, key: u64) {
        self.0 = key;
    }
}

/// Feature key → column.
pub type KeyIndex = HashMap<u64, u32, BuildHasherDefault<KeyHasher>>;

/// Builds the key → column map of a vocabulary; `Err` names two features whose keys
/// collide (never seen in practice with 64-bit keys, but checked rather than assumed).
pub fn index_vocabulary(vocabulary: &[String]) -> Result<KeyIndex, (String, String)> {
    let mut index = KeyIndex::with_capacity_and_hasher(vocabulary.len(), Default::default());
    for (column, feature) in vocabulary.iter().enumerate() {
        // Vocabularies are bounded far below u32::MAX (see FeatureConfig::max_features).
        let column = u32::try_from(column).unwrap_or(u32::MAX);
        if let Some(previous) = index.insert(feature_key(feature), column) {
            return Err((vocabulary[previous as usize].clone(), feature.clone()));
        }
    }
    Ok(index)
}

/// Turns a tokenized comment into sorted `(column, value)` pairs for one vocabulary.
/// `out` is cleared first; features outside the vocabulary are dropped.
pub fn vectorize(
    tokens: &Tokens,
    config: &FeatureConfig,
    index: &KeyIndex,
    out: &mut Vec<(u32, f64)>,
) {
    out.clear();
    for_each_feature_key(tokens, config.bigrams, |key| {
        if let Some(&column) = index.get(&key) {
            out.push((column, 1.0));
        }
    });
    merge_columns(out, config.binary);
}

/// [`vectorize`] for feature keys computed earlier (training keeps them per row).
pub fn vectorize_keys(
    keys: &[u64],
    config: &FeatureConfig,
    index: &KeyIndex,
    out: &mut Vec<(u32, f64)>,
) {
    out.clear();
    out.extend(
        keys.iter()
            .filter_map(|key| index.get(key).map(|&c| (c, 1.0))),
    );
    merge_columns(out, config.binary);
}

/// Sorts `(column, 1.0)` occurrences by column and merges repeats: counts, or presence
/// when binary.
fn merge_columns(out: &mut Vec<(u32, f64)>, binary: bool) {
    out.sort_unstable_by_key(|&(column, _)| column);
    out.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same && !binary {
            kept.1 += next.1;
        }
        same
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::tokenize::tokenize_into;

    /// A bigram's streamed key equals the key of its joined string, so stored vocabulary
    /// strings find the features computed at scoring time.
    #[test]
    fn bigram_key_matches_joined_string() {
        assert_eq!(bigram_key("click", "here"), feature_key("click here"));
        assert_ne!(bigram_key("click", "here"), bigram_key("clic", "khere"));
    }

    /// A feature names a word without its plural `s`; short words, `-ies`, `-ss`, `-us`,
    /// markers and non-ASCII words stay as written.
    #[test]
    fn features_drop_the_plural_s() {
        for (word, feature) in [
            ("idiots", "idiot"),
            ("faggots", "faggot"),
            ("views", "view"),
            ("horses", "horse"),
            ("glasses", "glasse"),
            ("kiss", "kiss"),
            ("virus", "virus"),
            ("stories", "stories"),
            ("heroes", "heroe"),
            ("this", "thi"),
            ("his", "his"),
            ("was", "was"),
            ("__url__", "__url__"),
            ("cafés", "cafés"),
        ] {
            assert_eq!(stem(word), feature, "{word}");
        }
        let mut tokens = Tokens::new();
        tokenize_into("you idiots", &mut tokens);
        let mut features = Vec::new();
        for_each_feature_string(&tokens, true, |s| features.push(s.to_owned()));
        assert_eq!(features, ["you", "idiot", "you idiot"]);
    }

    /// The streamed keys of a comment's features are the keys of its feature strings, in
    /// the same order (what training stores is what scoring looks up).
    #[test]
    fn streamed_keys_match_feature_strings() {
        let mut tokens = Tokens::new();
        tokenize_into(
            "Check out my channel: https://youtube.com/x, it's FREE free!",
            &mut tokens,
        );
        for bigrams in [false, true] {
            let mut streamed = Vec::new();
            for_each_feature_key(&tokens, bigrams, |k| streamed.push(k));
            let mut from_strings = Vec::new();
            for_each_feature_string(&tokens, bigrams, |s| from_strings.push(feature_key(s)));
            assert_eq!(streamed, from_strings, "bigrams: {bigrams}");
            assert!(streamed.len() > 8);
        }
    }

    /// Counts merge repeated features; binary keeps presence only; unknown features drop.
    #[test]
    fn vectorize_counts_and_presence() {
        let vocabulary: Vec<String> = ["spam", "spam spam", "eggs"].map(String::from).to_vec();
        let index = index_vocabulary(&vocabulary).unwrap();
        let mut tokens = Tokens::new();
        tokenize_into("spam spam spam ham", &mut tokens);
        let mut out = Vec::new();
        let counts = FeatureConfig {
            binary: false,
            ..FeatureConfig::default()
        };
        vectorize(&tokens, &counts, &index, &mut out);
        assert_eq!(out, vec![(0, 3.0), (1, 2.0)]);
        let presence = FeatureConfig {
            binary: true,
            ..FeatureConfig::default()
        };
        vectorize(&tokens, &presence, &index, &mut out);
        assert_eq!(out, vec![(0, 1.0), (1, 1.0)]);
    }
}
