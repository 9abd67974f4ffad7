//! Training rows: the labelled comments of one task, tokenized, de-duplicated and split,
//! with the labelling decisions the trainer makes (one per task), and the choice of
//! vocabulary.
//!
//! # Human conversation is not spam (a labelling decision)
//! The only spam-labelled corpus (TubeSpam) comes from YouTube music videos, so its only
//! non-spam rows are comments about songs: a spam model trained on it alone learns that
//! polite thanks ("thanks for sharing") sound like "thanks for watching, check my
//! channel" and held a third of ordinary news comments. Every comment of the other
//! corpora (Wikipedia talk, Civil Comments, Fox News, tweets) was written by a person in
//! a conversation and none of them is spam, so with [`TrainOptions::human_ham`] a row
//! that is labelled for abuse but not for spam counts as spam = 0. Such rows are marked
//! [`Row::derived`]: they are balanced as their own sources (see `fit::balance_weights`)
//! and never mistaken for the spam corpus's own labels. Moderators' decisions are left
//! as they are (a decision states what it states).
//!
//! # Advertising is not abuse (a labelling decision)
//! The abuse corpora are tweets, Wikipedia talk and news comments; none is casual talk
//! under videos, and the informal words of such talk (`billion`, `views`, `song`,
//! `wow`) came out abusive only because the tweets that use them are mostly abusive:
//! most ordinary YouTube comments held for abuse were casual ("2 billion for this
//! shit?", "GS sucks, in my opinion"), not insults. TubeSpam's spam rows are
//! advertisements in that register ("check out my channel", "subscribe to me i
//! subscribe back"), written to sell, not to attack anyone, so with
//! [`TrainOptions::advertising_weight`] a row labelled spam and not labelled for abuse
//! counts as abuse = 0. About 3% of them (24 of 841) use a vulgar word in passing
//! ("check the shit out on my channel"); that is the decision's cost, and why its
//! weight is small.
//! Advertisements are not ordinary comments: they never count towards the abuse
//! model's hold budget and are never held out to measure it ([`Row::advertising`]).
use std::collections::{BTreeSet, HashMap};

use super::{is_decision_source, TrainOptions};
use crate::classifier::data::{Corpus, Task};
use crate::classifier::identity::is_identity_term;
use crate::classifier::tokenize::{is_marker, tokenize_into, Tokens};
use crate::classifier::vectorize::{
    for_each_feature_key, for_each_feature_string, unigram_key, FeatureConfig,
};
use crate::text::{is_pictograph_token, SHOUTING};

/// A labelled, tokenized, de-duplicated row.
pub(super) struct Row {
    /// Index of the example in the corpus.
    pub example: usize,
    /// Feature keys in order (unigrams and, if configured, bigrams).
    pub keys: Vec<u64>,
    pub label: bool,
    pub source: String,
    pub group: String,
    pub validation: bool,
    /// Which labelling decision, if any, gave the row its label.
    pub how: Derived,
}

impl Row {
    /// The label comes from a labelling decision, not from the source's own labels.
    pub fn derived(&self) -> bool {
        self.how != Derived::No
    }

    /// An advertisement labelled abuse = 0 (see the module documentation): not an
    /// ordinary comment, so never held out to measure the hold budget.
    pub fn advertising(&self) -> bool {
        self.how == Derived::Advertising
    }
}

/// The rows of one task with the strings of every feature key they use.
pub(super) struct Prepared {
    pub rows: Vec<Row>,
    pub strings: HashMap<u64, String>,
    pub duplicates: usize,
    pub empty: usize,
    /// Rows labelled by a labelling decision (see the module documentation).
    pub derived: usize,
}

/// The label of `example` for `task`, and whether it is derived.
fn label_of(
    example: &crate::classifier::data::Example,
    task: Task,
    options: &TrainOptions,
) -> Option<(bool, Derived)> {
    if let Some(label) = example.label(task) {
        return Some((label, Derived::No));
    }
    if is_decision_source(&example.source) {
        return None;
    }
    match task {
        Task::Spam if options.human_ham && example.abuse.is_some() => {
            Some((false, Derived::HumanConversation))
        }
        Task::Abuse if options.advertising_weight > 0.0 && example.spam == Some(true) => {
            Some((false, Derived::Advertising))
        }
        _ => None,
    }
}

/// Which labelling decision, if any, gave a row its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Derived {
    No,
    HumanConversation,
    Advertising,
}

/// The labelling decision that gives `task`'s model rows beyond the sources' own
/// labels: what the report calls those rows, and the decision in words (the model's
/// `training.labelling_decisions`).
pub(super) fn labelling_decision(task: Task) -> (&'static str, &'static str) {
    match task {
        Task::Spam => (
            "human conversation labelled not spam",
            "human conversation is not spam: rows labelled for abuse only count as spam = 0",
        ),
        Task::Abuse => (
            "advertisements labelled not abuse",
            "advertising is not abuse: rows labelled spam and not for abuse count as abuse = 0",
        ),
    }
}

/// Tokenizes, de-duplicates and splits the rows labelled for `task`.
pub(super) fn prepare(corpus: &Corpus, task: Task, options: &TrainOptions) -> Prepared {
    let mut tokens = Tokens::new();
    let mut seen = BTreeSet::new();
    let mut strings = HashMap::new();
    let (mut rows, mut duplicates, mut empty, mut derived_rows) = (Vec::new(), 0, 0, 0);
    let bigrams = options.features(task).bigrams;
    for (index, example) in corpus.examples.iter().enumerate() {
        let Some((label, how)) = label_of(example, task, options) else {
            continue;
        };
        tokenize_into(&example.text, &mut tokens);
        if tokens.is_empty() {
            empty += 1;
            continue;
        }
        // The normalised text's identity: the hash of its tokens joined by spaces.
        let mut joined = String::new();
        for (i, t) in tokens.iter().enumerate() {
            if i > 0 {
                joined.push(' ');
            }
            joined.push_str(t);
        }
        let identity = unigram_key(&joined);
        if !seen.insert(identity) {
            duplicates += 1;
            continue;
        }
        let bucket = (identity ^ options.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_mul(0xff51_afd7_ed55_8ccd)
            >> 33;
        let validation = bucket % 100 < u64::from(options.validation_percent);
        let mut keys = Vec::new();
        for_each_feature_key(&tokens, bigrams, |k| keys.push(k));
        for_each_feature_string(&tokens, bigrams, |s| {
            let key = unigram_key(s);
            strings.entry(key).or_insert_with(|| s.to_string());
        });
        derived_rows += usize::from(how != Derived::No);
        rows.push(Row {
            example: index,
            keys,
            label,
            source: example.source.clone(),
            group: example.group.clone(),
            validation,
            how,
        });
    }
    Prepared {
        rows,
        strings,
        duplicates,
        empty,
        derived: derived_rows,
    }
}

/// Features a vocabulary leaves out: they carry no weight at training or scoring time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct LeftOut {
    /// Identity terms, and bigrams containing one (see [`crate::classifier::identity`]).
    pub identity: bool,
    /// The all-caps marker [`SHOUTING`], and bigrams containing it.
    pub shouting: bool,
    /// Emoji and other pictographs, and bigrams containing one.
    pub pictographs: bool,
}

impl LeftOut {
    pub(super) fn excludes(&self, feature: &str) -> bool {
        (self.identity && is_identity_term(feature))
            || (self.shouting && feature.split(' ').any(|token| token == SHOUTING))
            || (self.pictographs && feature.split(' ').any(is_pictograph_token))
    }
}

/// Chooses the vocabulary from the given rows: features in at least `min_df` rows, the
/// `max_features` most frequent (by document frequency, ties by string), in string order,
/// without the features `left_out` names. Marker tokens (`__url__`, `__referral__`, ...:
/// a handful of features designed to carry signal, not words) come first, so a rare one
/// is not cut at the vocabulary's frequency cut-off: `__referral__` (in about 20
/// comments) fell under it in a model trained without one YouTube video, and that
/// video's referral links went unseen.
pub(super) fn choose_vocabulary(
    rows: &[&Row],
    strings: &HashMap<u64, String>,
    config: &FeatureConfig,
    left_out: LeftOut,
) -> Vec<String> {
    let mut df: HashMap<u64, u32> = HashMap::new();
    let mut seen = Vec::new();
    for row in rows {
        seen.clear();
        seen.extend_from_slice(&row.keys);
        seen.sort_unstable();
        seen.dedup();
        for &key in &seen {
            *df.entry(key).or_insert(0) += 1;
        }
    }
    let mut candidates: Vec<(u32, &str)> = df
        .into_iter()
        .filter(|&(_, n)| n >= config.min_df)
        .filter_map(|(key, n)| strings.get(&key).map(|s| (n, s.as_str())))
        .filter(|(_, s)| !left_out.excludes(s))
        .collect();
    // A marker unigram (bigrams hold a space).
    let marker = |feature: &str| is_marker(feature) && !feature.contains(' ');
    candidates.sort_unstable_by(|a, b| {
        marker(b.1)
            .cmp(&marker(a.1))
            .then(b.0.cmp(&a.0))
            .then(a.1.cmp(b.1))
    });
    candidates.truncate(config.max_features);
    let mut vocabulary: Vec<String> = candidates.into_iter().map(|(_, s)| s.to_string()).collect();
    vocabulary.sort_unstable();
    vocabulary
}
