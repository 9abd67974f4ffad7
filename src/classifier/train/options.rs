//! Everything that shapes a model ([`TrainOptions`], recorded in its metadata) and how
//! moderators' decisions enter it ([`DecisionMode`]).
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::fit::PseudoNegatives;
use super::rows::LeftOut;
use crate::classifier::data::Task;
use crate::classifier::model::Thresholds;
use crate::classifier::vectorize::FeatureConfig;

/// How moderators' decisions enter the model.
///
/// * `Weight`: the decisions are one more source of the training rows, balanced like the
///   others and multiplied by [`TrainOptions::decision_weight`]. One naive Bayes is fitted
///   on everything.
/// * `Blend`: a per-site naive Bayes whose prior is the base model. The base model is
///   fitted on the base corpora alone (decisions excluded); then each class's feature
///   distribution is the posterior mean under a Dirichlet prior centred on the base
///   model's distribution, with a strength of `m` =
///   [`TrainOptions::blend_strength`] decisions:
///
///   ```text
///   θ_site[c][j] = (n[c][j] + A_c · θ_base[c][j]) / (N[c] + A_c),   A_c = m · N[c] / d_c
///                = λ_c · n[c][j] / N[c] + (1 − λ_c) · θ_base[c][j],  λ_c = d_c / (d_c + m)
///   ```
///
///   where `d_c` is the number of decisions of class `c`, `n[c][j]` the count of feature
///   `j` in them (presence or occurrences, as the model's features count) and `N[c]` its
///   sum. The prior is worth `m` comments of the class, whatever their length, so the
///   site's own word distribution takes over as its decisions grow: λ = ½ at `m`
///   decisions of a class, 0.9 at `9m`. With no decisions the model *is* the base model.
///   The class prior is interpolated the same way (λ = d / (d + m)). The vocabulary is
///   the base corpora's plus the decisions' own (each chosen as `FeatureConfig` says, so
///   at most twice `max_features`): a site's words count even when the base corpora
///   never use them. Decisions of several sites given together are blended in as one
///   site (`train --with-decisions --site S` trains one site's model). The result is an
///   ordinary model file; only its numbers differ.
///   The thresholds are chosen on held-out decisions as in `Weight` mode, here scored by
///   the base model blended with the other articles' decisions (see `decision_folds`).
///
/// Blend with `m` = 300 is the default: measured by `benches/learning_curve.py` on two
/// sites' labels replayed as decisions (BENCHMARKS.md, learning curve), it ranks the
/// unseen Wikipedia chunks better and better as decisions grow, with a higher F1 than
/// weighting from two chunks on; on Fox News, whose labels do not carry from thread to
/// thread for any bag-of-words learner, it does about as well as weighting with fewer
/// good comments held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionMode {
    Weight,
    Blend,
}

/// Model files written before decision modes existed were trained with weighting.
fn default_decision_mode() -> DecisionMode {
    DecisionMode::Weight
}

/// Everything that shapes a model. Recorded in the model's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Features of the spam model: bigrams help there (`"check out"`, `"__url__ youtube.com"`).
    pub spam_features: FeatureConfig,
    /// Features of the abuse model: unigrams only, which carry across sources better
    /// (bigrams learn each source's phrasing; measured in BENCHMARKS.md).
    pub abuse_features: FeatureConfig,
    /// Additive (Lidstone) smoothing of linfa's `MultinomialNb`, spam model: light, so that
    /// promotional words seen in a few spam comments keep their weight. With α 1 → 0.5 and
    /// `derived_weight` 1 → 0.5 (BENCHMARKS.md, news day one, `fdc0cd3` → `4e9d361`):
    /// spam caught on unseen videos 84.7% → 84.9%, their ordinary comments held for spam
    /// 38 → 31 of 919, ordinary news comments held for spam 4 of 616 before and after.
    pub spam_alpha: f64,
    /// Smoothing of the abuse model: stronger, so that words seen a few times in one
    /// source do not get extreme weights that fail on the next source (cross-source
    /// pooled F1 0.53 → 0.62 from α = 1 to 5, measured with `train`).
    pub abuse_alpha: f64,
    /// Share of the strongest feature's contribution in the decision evidence (see
    /// [`ModelFile::strongest_feature_weight`]), spam model.
    pub spam_strongest_feature_weight: f64,
    /// The comment length (in features) at which the strongest feature gets half of its
    /// share ([`ModelFile::strongest_feature_length`]), spam model: 0, the full share at
    /// any length (spam is often short, and its strongest words are its most reliable;
    /// a length-dependent share lost 5–8 points of spam caught on unseen videos).
    pub spam_strongest_feature_length: f64,
    /// The same two for the abuse model: a share that grows with length (so that one
    /// mid-strength word does not decide a short sentence alone; see the model module).
    pub abuse_strongest_feature_weight: f64,
    pub abuse_strongest_feature_length: f64,
    /// Seed of the validation split.
    pub seed: u64,
    /// Share of rows (in percent) kept out of training for validation.
    pub validation_percent: u32,
    /// Share of ordinary comments from unseen sources the spam model's hold threshold may
    /// hold (see [`thresholds`]).
    pub spam_hold_budget: f64,
    /// The same for the abuse model. Together the two budgets are the share of ordinary
    /// comments the models hold; a site can set its own total (`hold_budget`).
    pub abuse_hold_budget: f64,
    /// Sources whose ordinary rows do not count towards the hold budget (they are still
    /// reported): Davidson et al. collected their tweets by searching for the words of a
    /// hate-speech lexicon, so even its "neither" tweets are full of those words; they are
    /// hard negatives, not a sample of any site's ordinary comments, and with them in the
    /// estimate a budget would be spent on tweets rather than on readers' comments.
    pub budget_excluded_sources: BTreeSet<String>,
    /// Instead of a budget: the precision the hold threshold must reach on cross-source
    /// validation (`train --hold-precision`).
    pub hold_precision: Option<f64>,
    /// With `hold_precision`, when it is out of reach: the most good comments (share of
    /// them) the fallback threshold may hold.
    pub max_good_held: f64,
    /// Precision the spam model's reject threshold must reach on cross-source validation;
    /// no automatic rejection when it is out of reach (`None`: never).
    pub spam_reject_precision: Option<f64>,
    /// The same for abuse. `None` by default: abuse is held for a person, never rejected
    /// by the model alone (a site may opt in with `thresholds.abuse_reject`).
    pub abuse_reject_precision: Option<f64>,
    /// Multiplies the feature counts of every row of a source (default 1).
    pub source_weights: BTreeMap<String, f64>,
    /// Give every (source, class) cell the same total weight, so that which source a
    /// comment sounds like says nothing about its label (see [`fit`]).
    pub balance_sources: bool,
    /// Total weight of a source that holds one class only, relative to a balanced cell.
    pub single_class_weight: f64,
    /// Sources balanced together as one domain (source → domain). The shipped corpus's
    /// news comments come from two sources, toxic-only Civil Comments and Fox News, whose
    /// negatives are the only clean news comments we have: balanced together, news
    /// vocabulary stops meaning "toxic" (Wikipedia held out: ROC AUC 0.73 → 0.80).
    pub source_domains: BTreeMap<String, String>,
    /// Sources (or domains) whose negative rows were found by searching for abusive words,
    /// with the share of a balanced cell their negative cell gets (see [`fit`]). Absent
    /// from the metadata of models trained before the option: every cell was full.
    #[serde(default)]
    pub searched_negatives: BTreeMap<String, f64>,
    /// Spam model: rows labelled for abuse only (human conversation) count as spam = 0
    /// (a labelling decision; see [`rows`]).
    pub human_ham: bool,
    /// Total weight of all rows labelled by that decision, in balanced cells, shared
    /// equally among their sources (domains). Half a cell: the human conversation is
    /// there to teach what is not spam outside YouTube, and at a full cell (its comments
    /// being longer, most of the non-spam class's words) YouTube's own vocabulary —
    /// `video`, `views`, `youtube` — became evidence of spam, holding ordinary comments
    /// on unseen videos (measured with `spam_alpha`, above).
    pub derived_weight: f64,
    /// Abuse model: spam rows (advertisements) count as abuse = 0, with this total weight
    /// in balanced cells (a labelling decision; see [`rows`]); 0: off. A quarter of a
    /// cell, measured through the API (BENCHMARKS.md, news day one, every proxy from
    /// the same script): ordinary YouTube comments held 10.3% → 9.7%, abuse caught at
    /// 5% of news comments held 68.3% → 69.0%, Davidson F1 0.953 → 0.951; at half a cell
    /// 9.0% but Davidson F1 0.9496, below its goal: the advertisements' few vulgar words
    /// weakened `shit` for the tweets too. Absent from the metadata of models trained
    /// before the option: off.
    #[serde(default)]
    pub advertising_weight: f64,
    /// Abuse model: identity terms are left out of the vocabulary (see
    /// [`crate::classifier::identity`]).
    pub abuse_exclude_identity: bool,
    /// Abuse model: the all-caps marker (`__shouting__`) is left out of the vocabulary.
    /// Capitals are how fans cheer ("OMG LOVE THIS SONG!!!") as often as how people shout
    /// abuse, and abusive comments in capitals carry abusive words of their own: without
    /// the marker the abuse figures on every corpus are unchanged and praise in capitals
    /// is no longer held (BENCHMARKS.md, news day one). The spam model keeps it. Absent
    /// from the metadata of models trained before the option: they weighed it.
    #[serde(default)]
    pub abuse_exclude_shouting: bool,
    /// Abuse model: emoji and other pictographs are left out of the vocabulary, for the
    /// reason capitals are: they are how people cheer and laugh in every register, and
    /// they came out abusive only because the tweets we learn abuse from are mostly
    /// abusive (`😂` +1.58, `😭` +1.32: a YouTube comment of 60 emoji was held for abuse,
    /// "😂😂😂" scored 0.57). Abusive comments with emoji carry abusive words of their own:
    /// measured through the API (BENCHMARKS.md, news day one) the Davidson F1 and the
    /// news figures stay where they were (two held-out Civil Comments at the threshold's
    /// edge are no longer caught) and the emoji comment is published. Absent from the
    /// metadata of models trained before the option: they weighed pictographs.
    #[serde(default)]
    pub abuse_exclude_pictographs: bool,
    /// Pseudo-negatives for sources with positives only (see [`fit`]); `None`: off.
    pub pseudo_negatives: Option<PseudoNegatives>,
    /// How moderators' decisions (rows whose source starts with
    /// [`DECISIONS_SOURCE_PREFIX`]) enter the model: see [`DecisionMode`].
    #[serde(default = "default_decision_mode")]
    pub decision_mode: DecisionMode,
    /// `Weight` mode: multiplies the weight of moderators' decisions on top of source
    /// balancing. Balancing already gives a site's decisions as much total weight as a
    /// whole base corpus; this turns it up.
    pub decision_weight: f64,
    /// `Blend` mode: how many decisions of a class the base model's distribution is
    /// worth (the Dirichlet prior's strength `m`; see [`DecisionMode`]).
    #[serde(default = "default_blend_strength")]
    pub blend_strength: f64,
    /// `Blend` mode: choose the strength among [`BLEND_STRENGTHS`] by how well the
    /// held-out decisions rank (pooled ROC AUC over the article folds; ties go to the
    /// stronger prior), instead of using `blend_strength` as it is. Needs decisions on at
    /// least two folds; otherwise `blend_strength` applies.
    #[serde(default)]
    pub blend_strength_auto: bool,
    /// Run cross-source validation (needed to choose thresholds; off only for quick runs,
    /// which then keep `fallback_thresholds`).
    pub cross_validate: bool,
    pub fallback_thresholds: Thresholds,
}

fn default_blend_strength() -> f64 {
    300.0
}

/// The share of a balanced cell Davidson's "neither" tweets get by default (see
/// [`TrainOptions::searched_negatives`]). From a full cell to half (BENCHMARKS.md, news
/// day one, `fdc0cd3` → `4e9d361`): held-out Davidson F1 0.922 → 0.947, ordinary news
/// comments held 2.4% → 2.6%, held-out abusive Civil Comments caught 65.7% → 64.1%. The
/// price is that the tweets' register weighs a little as abuse (`lol` +0.41 → +0.80,
/// `rt` −0.05 → +0.55); ordinary YouTube comments held by the abuse model stayed at 63.
pub const SEARCHED_NEGATIVES: f64 = 0.5;

/// The blend strengths (decisions per class the base model is worth) tried when
/// [`TrainOptions::blend_strength_auto`] is on.
pub const BLEND_STRENGTHS: &[f64] = &[10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0];

impl TrainOptions {
    pub fn features(&self, task: Task) -> FeatureConfig {
        match task {
            Task::Spam => self.spam_features,
            Task::Abuse => self.abuse_features,
        }
    }

    pub fn alpha(&self, task: Task) -> f64 {
        match task {
            Task::Spam => self.spam_alpha,
            Task::Abuse => self.abuse_alpha,
        }
    }

    pub fn features_mut(&mut self, task: Task) -> &mut FeatureConfig {
        match task {
            Task::Spam => &mut self.spam_features,
            Task::Abuse => &mut self.abuse_features,
        }
    }

    /// `(weight, length)` of the strongest feature's share (see [`ModelFile`]).
    pub fn strongest_feature(&self, task: Task) -> (f64, f64) {
        match task {
            Task::Spam => (
                self.spam_strongest_feature_weight,
                self.spam_strongest_feature_length,
            ),
            Task::Abuse => (
                self.abuse_strongest_feature_weight,
                self.abuse_strongest_feature_length,
            ),
        }
    }

    pub fn hold_budget(&self, task: Task) -> f64 {
        match task {
            Task::Spam => self.spam_hold_budget,
            Task::Abuse => self.abuse_hold_budget,
        }
    }

    pub fn reject_precision(&self, task: Task) -> Option<f64> {
        match task {
            Task::Spam => self.spam_reject_precision,
            Task::Abuse => self.abuse_reject_precision,
        }
    }

    /// The features the task's vocabulary leaves out.
    pub(super) fn left_out(&self, task: Task) -> LeftOut {
        LeftOut {
            identity: task == Task::Abuse && self.abuse_exclude_identity,
            shouting: task == Task::Abuse && self.abuse_exclude_shouting,
            pictographs: task == Task::Abuse && self.abuse_exclude_pictographs,
        }
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            spam_features: FeatureConfig {
                bigrams: true,
                binary: true,
                max_features: 20_000,
                min_df: 2,
            },
            abuse_features: FeatureConfig {
                bigrams: false,
                binary: true,
                max_features: 20_000,
                min_df: 2,
            },
            spam_alpha: 0.5,
            abuse_alpha: 5.0,
            spam_strongest_feature_weight: 0.5,
            spam_strongest_feature_length: 0.0,
            abuse_strongest_feature_weight: 0.7,
            abuse_strongest_feature_length: 6.0,
            seed: 20_261_125,
            validation_percent: 20,
            spam_hold_budget: 0.03,
            abuse_hold_budget: 0.015,
            budget_excluded_sources: BTreeSet::from(["davidson".to_string()]),
            hold_precision: None,
            max_good_held: 0.10,
            spam_reject_precision: Some(0.99),
            abuse_reject_precision: None,
            source_weights: BTreeMap::new(),
            balance_sources: true,
            human_ham: true,
            derived_weight: 0.5,
            advertising_weight: 0.25,
            abuse_exclude_identity: true,
            abuse_exclude_shouting: true,
            abuse_exclude_pictographs: true,
            pseudo_negatives: Some(PseudoNegatives {
                sharpness: 2.0,
                weight: 0.5,
            }),
            decision_mode: DecisionMode::Blend,
            decision_weight: 1.0,
            blend_strength: default_blend_strength(),
            blend_strength_auto: true,
            single_class_weight: 0.3,
            searched_negatives: BTreeMap::from([("davidson".to_string(), SEARCHED_NEGATIVES)]),
            source_domains: [("civil_comments", "news"), ("fox_news", "news")]
                .into_iter()
                .map(|(s, d)| (s.to_string(), d.to_string()))
                .collect(),
            cross_validate: true,
            fallback_thresholds: Thresholds {
                hold: 0.5,
                reject: Some(0.99),
            },
        }
    }
}
