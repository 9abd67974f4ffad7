//! Training: corpus → labelled, de-duplicated, split rows → vocabulary → `MultinomialNb`
//! fitted in batches → calibration and thresholds chosen on cross-source validation → a
//! [`ModelFile`].
//!
//! - [`rows`]: labelling, de-duplication, the validation split, the vocabulary;
//! - [`fit`]: balancing sources, pseudo-negatives, fitting linfa-bayes in batches;
//! - [`blend`]: moderators' decisions blended into the base model;
//! - [`calibrate`]: evidence → probability (Platt scaling);
//! - [`thresholds`]: the hold budget and the rejection precision floor.
//!
//! # Validation, and why two kinds
//! Every labelled row is assigned to the training or the validation split by a seeded hash
//! of its normalised text (so duplicates always fall on the same side, and the split never
//! changes when rows are added elsewhere). The validation split is never trained on and
//! never used to pick anything: its figures are honest.
//!
//! A random split flatters a model: its rows come from the same videos, threads and sites
//! as the training rows. Real traffic does not. So, inside the training split, each
//! *source* (or, when only one source has both classes, each *group* of it: a video, a
//! thread) is held out in turn, the model is trained on the rest and scores the held-out
//! rows; so is every source of ordinary comments only (for the spam model: Wikipedia talk,
//! news comments, tweets). The pooled out-of-source scores calibrate the probability; the
//! held-out ordinary comments set the hold threshold (a budget of them, see
//! [`thresholds`]); the held-out positives and negatives together set the rejection
//! threshold, for precision.
//!
//! # Memory
//! linfa's `MultinomialNb` takes dense rows, so rows are fed through `fit_with` in
//! batches sized to a fixed memory budget: memory stays flat as the corpus grows, and the
//! vocabulary is bounded by `max_features`.
mod blend;
mod calibrate;
mod fit;
mod rows;
mod thresholds;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::data::{Corpus, Task};
use super::metrics::{roc_auc, threshold_for_precision, threshold_max_fbeta, Report};
use super::model::{Calibration, ModelFile, TaskModel, Thresholds, FORMAT_NAME, FORMAT_VERSION};
use super::tokenize::TOKENIZER_VERSION;
use super::vectorize::FeatureConfig;
use blend::{blend, decision_folds, SiteCounts};
pub use calibrate::fit_calibration;
pub use fit::PseudoNegatives;
use rows::{choose_vocabulary, prepare, Row};
pub use thresholds::{OrdinaryPool, BUDGET_GRID};

/// Rows whose `source` starts with this are moderators' decisions (see
/// `commentguard export-decisions`), used as [`TrainOptions::decision_mode`] says.
pub const DECISIONS_SOURCE_PREFIX: &str = "decisions:";
/// Folds the decisions are split into for their held-out scores in [`DecisionMode::Blend`].
const DECISION_FOLDS: usize = 5;

/// Whether rows of `source` are moderators' decisions.
pub fn is_decision_source(source: &str) -> bool {
    source.starts_with(DECISIONS_SOURCE_PREFIX)
}
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

/// A threshold is not chosen on fewer true positives than this.
const MIN_THRESHOLD_POSITIVES: u64 = 10;
/// Moderators' approvals needed before the hold budget is measured on them alone.
const MIN_DECISION_NEGATIVES: usize = 50;

/// Everything that shapes a model. Recorded in the model's metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    /// Features of the spam model: bigrams help there (`"check out"`, `"__url__ youtube.com"`).
    pub spam_features: FeatureConfig,
    /// Features of the abuse model: unigrams only, which carry across sources better
    /// (bigrams learn each source's phrasing; measured in BENCHMARKS.md).
    pub abuse_features: FeatureConfig,
    /// Additive (Lidstone) smoothing of linfa's `MultinomialNb`, spam model.
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
    /// Spam model: rows labelled for abuse only (human conversation) count as spam = 0
    /// (a labelling decision; see [`rows`]).
    pub human_ham: bool,
    /// Total weight of all rows labelled by that decision, in balanced cells, shared
    /// equally among their sources (domains).
    pub derived_weight: f64,
    /// Abuse model: identity terms are left out of the vocabulary (see
    /// [`crate::classifier::identity`]).
    pub abuse_exclude_identity: bool,
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

    fn exclude_identity(&self, task: Task) -> bool {
        task == Task::Abuse && self.abuse_exclude_identity
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
            spam_alpha: 1.0,
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
            derived_weight: 1.0,
            abuse_exclude_identity: true,
            pseudo_negatives: Some(PseudoNegatives {
                sharpness: 2.0,
                weight: 0.5,
            }),
            decision_mode: DecisionMode::Blend,
            decision_weight: 1.0,
            blend_strength: default_blend_strength(),
            blend_strength_auto: true,
            single_class_weight: 0.3,
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

/// Why training could not produce a model. Nothing is written when this happens.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("no {task}-labelled rows in the training data")]
    NoRows { task: Task },
    #[error("the {task}-labelled training rows hold one class only ({count} rows, all {label}); both are needed")]
    OneClass { task: Task, count: usize, label: u8 },
    #[error("invalid option: {0}")]
    Option(String),
    #[error("linfa-bayes failed: {0}")]
    Linfa(String),
}

/// Progress of a long run, for a progress bar.
pub trait Progress {
    /// A new phase with `total` steps starts.
    fn start(&self, phase: &str, total: u64);
    /// `n` more steps of the current phase are done.
    fn advance(&self, n: u64);
    /// A line worth showing (e.g. a fold's result).
    fn note(&self, line: &str);
}

/// Progress that goes nowhere (library callers, tests).
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn note(&self, _: &str) {}
}

/// The result for one held-out unit of cross-source validation.
#[derive(Debug, Clone, Serialize)]
pub struct FoldReport {
    /// The held-out source or group.
    pub held_out: String,
    pub report: Report,
    /// Share of the held-out good comments that would be held.
    pub held_good_share: f64,
}

/// The estimated share of one source's ordinary comments held at the hold threshold, by a
/// model that never saw that source.
#[derive(Debug, Clone, Serialize)]
pub struct OrdinaryHeld {
    pub source: String,
    pub rows: usize,
    pub held: f64,
    /// Whether the source counts towards the budget (see
    /// [`TrainOptions::budget_excluded_sources`]).
    pub in_budget: bool,
}

/// What training one task produced.
#[derive(Debug, Clone, Serialize)]
pub struct TaskOutcome {
    #[serde(skip)]
    pub model: ModelFile,
    pub thresholds: Thresholds,
    pub train_rows: usize,
    pub validation_rows: usize,
    /// Rows labelled by a labelling decision (human conversation as spam = 0).
    pub derived_rows: usize,
    /// Random validation split, at the hold threshold.
    pub validation: Report,
    /// Each held-out source/group, at the hold threshold.
    pub cross_source: Vec<FoldReport>,
    /// All held-out rows pooled, at the hold threshold.
    pub cross_source_pooled: Option<Report>,
    /// How the hold threshold was chosen, in words.
    pub hold_rule: String,
    /// Whether the hold rule could be met (a budget: there were held-out ordinary
    /// comments; a precision target: it was reached).
    pub hold_target_met: bool,
    /// Ordinary comments held at the hold threshold, per held-out source.
    pub ordinary_held: Vec<OrdinaryHeld>,
    /// Their mean over sources: the estimate of ordinary comments this model holds.
    pub ordinary_held_mean: Option<f64>,
    /// Same-domain proxies (see [`DomainProxy`]).
    pub domain_proxies: Vec<DomainProxy>,
    /// Which held-out scores chose the thresholds: moderators' decisions, or all sources.
    pub thresholds_chosen_on: &'static str,
    /// The blend strength used, when decisions were blended in.
    pub blend_strength: Option<f64>,
    /// Indexes (into the corpus) of the validation rows, to score other models on.
    #[serde(skip)]
    pub validation_examples: Vec<usize>,
}

/// Trains one model on `rows` over the given vocabulary.
fn train_model_on(
    task: Task,
    rows: &[&Row],
    vocabulary: Vec<String>,
    options: &TrainOptions,
    progress: &dyn Progress,
) -> Result<TaskModel, TrainError> {
    check_classes(task, rows)?;
    let features = options.features(task);
    let (class_log_prior, feature_log_prob) = fit::fit_rows(
        rows,
        &vocabulary,
        &features,
        options.alpha(task),
        options,
        options.pseudo_negatives,
        progress,
    )?;
    let file = ModelFile {
        format: FORMAT_NAME.to_string(),
        format_version: FORMAT_VERSION,
        tokenizer_version: TOKENIZER_VERSION,
        task,
        features,
        thresholds: options.fallback_thresholds,
        hold_budget: None,
        ordinary_held: Vec::new(),
        strongest_feature_weight: options.strongest_feature(task).0,
        strongest_feature_length: options.strongest_feature(task).1,
        calibration: Calibration {
            slope: 1.0,
            intercept: 0.0,
        },
        class_log_prior,
        vocabulary,
        feature_log_prob,
        training: serde_json::Value::Null,
    };
    TaskModel::from_file(file, std::path::Path::new(task.name()))
        .map_err(|e| TrainError::Linfa(e.to_string()))
}

/// Trains one model on `rows`, choosing its vocabulary from them.
fn train_model(
    task: Task,
    rows: &[&Row],
    strings: &HashMap<u64, String>,
    options: &TrainOptions,
    progress: &dyn Progress,
) -> Result<TaskModel, TrainError> {
    check_classes(task, rows)?;
    let vocabulary = choose_vocabulary(
        rows,
        strings,
        &options.features(task),
        options.exclude_identity(task),
    );
    train_model_on(task, rows, vocabulary, options, progress)
}

fn is_decision(row: &Row) -> bool {
    is_decision_source(&row.source)
}

fn check_classes(task: Task, rows: &[&Row]) -> Result<(), TrainError> {
    if rows.is_empty() {
        return Err(TrainError::NoRows { task });
    }
    let positives = rows.iter().filter(|r| r.label).count();
    if positives == 0 || positives == rows.len() {
        return Err(TrainError::OneClass {
            task,
            count: rows.len(),
            label: u8::from(positives > 0),
        });
    }
    Ok(())
}

/// Scores rows with a trained model: `(per-feature evidence, truth)`.
fn score_rows(model: &TaskModel, rows: &[&Row]) -> Vec<(f64, bool)> {
    let mut features: Vec<(u32, f64)> = Vec::new();
    rows.iter()
        .map(|row| {
            model.vectorize_keys(&row.keys, &mut features);
            let jll = model.joint_log_likelihood(&features);
            (model.evidence(&features, jll[1] - jll[0]), row.label)
        })
        .collect()
}

/// A unit of cross-source validation: the rows of a source, or of one group of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Source(String),
    Group(String),
}

impl Unit {
    fn contains(&self, r: &Row) -> bool {
        match self {
            Unit::Source(s) => r.source == *s,
            Unit::Group(g) => r.group == *g,
        }
    }

    fn name(&self) -> &str {
        match self {
            Unit::Source(s) | Unit::Group(s) => s,
        }
    }
}

/// The units held out in turn: sources with both classes or, when only one source has
/// both, its groups; and every source with ordinary (negative) rows only, so the hold
/// budget is measured on it. Sources with positives only always stay in training.
fn cross_source_units(rows: &[&Row]) -> Vec<Unit> {
    let mut by_source: BTreeMap<&str, [bool; 2]> = BTreeMap::new();
    let mut by_group: BTreeMap<(&str, &str), [bool; 2]> = BTreeMap::new();
    for r in rows {
        by_source.entry(&r.source).or_default()[usize::from(r.label)] = true;
        by_group.entry((&r.source, &r.group)).or_default()[usize::from(r.label)] = true;
    }
    let both: Vec<&str> = by_source
        .iter()
        .filter(|(_, c)| c[0] && c[1])
        .map(|(s, _)| *s)
        .collect();
    let mut units: Vec<Unit> = if both.len() >= 2 {
        both.iter().map(|s| Unit::Source(s.to_string())).collect()
    } else {
        by_group
            .iter()
            .filter(|((s, _), c)| both.contains(s) && c[0] && c[1])
            .map(|((_, g), _)| Unit::Group(g.to_string()))
            .collect()
    };
    units.extend(
        by_source
            .iter()
            .filter(|(_, c)| c[0] && !c[1])
            .map(|(s, _)| Unit::Source(s.to_string())),
    );
    units
}

/// Held-out scores of one unit: `(evidence, truth)` and each row's source.
struct Fold {
    unit: String,
    scored: Vec<(f64, bool)>,
    sources: Vec<String>,
    /// When the unit is a source that shares its domain with positive-only sources: those
    /// sources' validation rows, scored by the same fold model (see [`DomainProxy`]).
    domain_positives: Vec<(f64, bool)>,
}

/// How a model trained without one source ranks that source's ordinary comments against
/// held-out positives of the same domain from a positive-only source: with the shipped
/// corpus, Fox News comments (the only ordinary news comments we have) against abusive
/// Civil Comments from the validation split, the closest we can get to "abusive and
/// ordinary comments of a news site neither was trained on".
#[derive(Debug, Clone, Serialize)]
pub struct DomainProxy {
    pub domain: String,
    /// The held-out source whose negatives are the ordinary comments.
    pub ordinary_from: String,
    /// The positive-only sources the positives come from (their validation rows).
    pub positives_from: Vec<String>,
    pub ordinary: usize,
    pub positives: usize,
    pub roc_auc: Option<f64>,
    /// Positives caught when the threshold holds 5% of the ordinary comments (ranking).
    pub caught_at_5pct_held: f64,
    /// Positives caught at the model's hold threshold, and ordinary comments held there.
    pub caught_at_hold: f64,
    pub ordinary_held_at_hold: f64,
}

/// The positive-only sources that share a domain with `source` (and are not `source`).
fn domain_partners(options: &TrainOptions, rows: &[&Row], source: &str) -> Vec<String> {
    let domain = fit::domain_of(options, source);
    let mut classes: BTreeMap<&str, [bool; 2]> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.derived) {
        classes.entry(&r.source).or_default()[usize::from(r.label)] = true;
    }
    classes
        .into_iter()
        .filter(|(s, c)| *s != source && c[1] && !c[0] && fit::domain_of(options, s) == domain)
        .map(|(s, _)| s.to_string())
        .collect()
}

/// Trains the model for one task, with validation and threshold selection.
pub fn train_task(
    corpus: &Corpus,
    task: Task,
    options: &TrainOptions,
    progress: &dyn Progress,
) -> Result<TaskOutcome, TrainError> {
    let prepared = prepare(corpus, task, options);
    let train_rows: Vec<&Row> = prepared.rows.iter().filter(|r| !r.validation).collect();
    let validation_rows: Vec<&Row> = prepared.rows.iter().filter(|r| r.validation).collect();
    check_classes(task, &train_rows)?;
    let blending =
        options.decision_mode == DecisionMode::Blend && train_rows.iter().any(|r| is_decision(r));
    if blending && !(options.blend_strength > 0.0 && options.blend_strength.is_finite()) {
        return Err(TrainError::Option(format!(
            "the blend strength must be a positive number, got {}",
            options.blend_strength
        )));
    }
    // In blend mode the base model never sees the decisions: they are blended in after.
    let (base_rows, decision_rows): (Vec<&Row>, Vec<&Row>) = if blending {
        train_rows.iter().partition(|r| !is_decision(r))
    } else {
        (train_rows.clone(), Vec::new())
    };
    check_classes(task, &base_rows)?;

    // Cross-source validation inside the training split: every held-out unit is scored
    // by a model that never saw it.
    let mut folds: Vec<Fold> = Vec::new();
    if options.cross_validate {
        for unit in cross_source_units(&base_rows) {
            let fit_rows: Vec<&Row> = base_rows
                .iter()
                .copied()
                .filter(|r| !unit.contains(r))
                .collect();
            let test_rows: Vec<&Row> = base_rows
                .iter()
                .copied()
                .filter(|r| unit.contains(r))
                .collect();
            if check_classes(task, &fit_rows).is_err() {
                continue;
            }
            progress.start(
                &format!("{task}: cross-source fold, holding out {}", unit.name()),
                fit_rows.len() as u64,
            );
            let model = train_model(task, &fit_rows, &prepared.strings, options, progress)?;
            let scored = score_rows(&model, &test_rows);
            progress.note(&format!(
                "{task}: held out {}: {} rows, ROC AUC {}",
                unit.name(),
                scored.len(),
                roc_auc(&scored).map_or("-".to_string(), |a| format!("{a:.3}"))
            ));
            let domain_positives = match &unit {
                Unit::Source(source) => {
                    let proxied = domain_partners(options, &base_rows, source);
                    let rows: Vec<&Row> = validation_rows
                        .iter()
                        .copied()
                        .filter(|r| r.label && proxied.contains(&r.source))
                        .collect();
                    score_rows(&model, &rows)
                }
                Unit::Group(_) => Vec::new(),
            };
            folds.push(Fold {
                unit: unit.name().to_string(),
                scored,
                sources: test_rows.iter().map(|r| r.source.clone()).collect(),
                domain_positives,
            });
        }
    }

    // The model that ships: all of the training split.
    progress.start(&format!("{task}: final model"), base_rows.len() as u64);
    let exclude_identity = options.exclude_identity(task);
    let mut blend_strength = options.blend_strength;
    let model = if blending {
        let features = options.features(task);
        let mut vocabulary =
            choose_vocabulary(&base_rows, &prepared.strings, &features, exclude_identity);
        vocabulary.extend(choose_vocabulary(
            &decision_rows,
            &prepared.strings,
            &features,
            exclude_identity,
        ));
        vocabulary.sort_unstable();
        vocabulary.dedup();
        let base = train_model_on(task, &base_rows, vocabulary, options, progress)?;
        let blended = |rows: &[&Row], strength: f64| {
            let file = blend(base.file(), &SiteCounts::new(&base, rows), strength);
            TaskModel::from_file(file, std::path::Path::new(task.name()))
                .map_err(|e| TrainError::Linfa(e.to_string()))
        };
        let decision_fold_rows = decision_folds(&decision_rows);
        // The rows of each fold, and the rest of the decisions.
        let splits: Vec<(Vec<&Row>, Vec<&Row>)> = decision_fold_rows
            .iter()
            .map(|fold| {
                let mut held = vec![false; decision_rows.len()];
                for &j in fold {
                    held[j] = true;
                }
                let pick = |want: bool| -> Vec<&Row> {
                    decision_rows
                        .iter()
                        .zip(&held)
                        .filter(|(_, &h)| h == want)
                        .map(|(r, _)| *r)
                        .collect()
                };
                (pick(true), pick(false))
            })
            .collect();
        let held_out = |strength: f64| -> Result<Vec<Vec<(f64, bool)>>, TrainError> {
            splits
                .iter()
                .map(|(test, rest)| Ok(score_rows(&blended(rest, strength)?, test)))
                .collect()
        };
        if options.cross_validate && options.blend_strength_auto && splits.len() >= 2 {
            // The strength whose held-out decisions rank best (see `BLEND_STRENGTHS`).
            let mut best: Option<(f64, f64)> = None;
            for &m in BLEND_STRENGTHS {
                let pooled: Vec<(f64, bool)> = held_out(m)?.into_iter().flatten().collect();
                if let Some(auc) = roc_auc(&pooled) {
                    progress.note(&format!(
                        "{task}: blend strength {m}: held-out decisions ROC AUC {auc:.3}"
                    ));
                    if best.is_none_or(|(b, _)| auc > b + 1e-9) {
                        best = Some((auc, m));
                    }
                }
            }
            if let Some((_, m)) = best {
                blend_strength = m;
            }
        }
        if options.cross_validate {
            // Held-out scores of the decisions: each fold scored by the base model
            // blended with the other folds' decisions.
            let site = match decision_rows.first() {
                Some(first) if decision_rows.iter().all(|r| r.source == first.source) => {
                    first.source.clone()
                }
                _ => format!("{DECISIONS_SOURCE_PREFIX}*"),
            };
            for (i, ((test_rows, _), scored)) in
                splits.iter().zip(held_out(blend_strength)?).enumerate()
            {
                let unit = format!("{site} (blend fold {}/{})", i + 1, splits.len());
                progress.note(&format!(
                    "{task}: held out {unit}: {} rows, ROC AUC {}",
                    scored.len(),
                    roc_auc(&scored).map_or("-".to_string(), |a| format!("{a:.3}"))
                ));
                folds.push(Fold {
                    unit,
                    sources: test_rows.iter().map(|r| r.source.clone()).collect(),
                    scored,
                    domain_positives: Vec::new(),
                });
            }
        }
        blended(&decision_rows, blend_strength)?
    } else {
        train_model(task, &train_rows, &prepared.strings, options, progress)?
    };

    let pooled: Vec<(f64, bool)> = folds
        .iter()
        .flat_map(|f| f.scored.iter().copied())
        .collect();
    // Without cross-source scores, calibrate on the training rows themselves (optimistic).
    // A slope that is not positive means the held-out scores rank backwards (tiny or
    // unrelated corpora): a calibration must never invert the model, so it is then taken
    // from the training rows, and failing that left as the identity.
    let identity = Calibration {
        slope: 1.0,
        intercept: 0.0,
    };
    let calibration = [pooled.clone(), score_rows(&model, &train_rows)]
        .iter()
        .filter(|scored| !scored.is_empty())
        .map(|scored| fit_calibration(scored))
        .find(|c| c.slope > 0.0)
        .unwrap_or(identity);
    let to_probability = |scored: &[(f64, bool)]| -> Vec<(f64, bool)> {
        scored
            .iter()
            .map(|&(x, y)| (calibration.probability(x), y))
            .collect()
    };
    let pooled = to_probability(&pooled);

    // Moderators' decisions are a sample of the traffic the service actually sees: when
    // there are enough of them, the thresholds are chosen on their held-out scores alone
    // rather than on the base corpora's, whose mix of sources is nobody's traffic.
    let decision_folds_only = |f: &&Fold| f.unit.starts_with(DECISIONS_SOURCE_PREFIX);
    let decisions: Vec<(f64, bool)> = folds
        .iter()
        .filter(decision_folds_only)
        .flat_map(|f| to_probability(&f.scored))
        .collect();
    let on_decisions = decisions.iter().filter(|s| s.1).count() as u64 >= MIN_THRESHOLD_POSITIVES
        || decisions.iter().filter(|s| !s.1).count() >= MIN_DECISION_NEGATIVES;
    let threshold_pool = if on_decisions { &decisions } else { &pooled };
    // The ordinary comments the hold budget counts: held-out negatives, by source.
    let mut ordinary = OrdinaryPool::default();
    let mut excluded = OrdinaryPool::default();
    for fold in folds
        .iter()
        .filter(|f| on_decisions == f.unit.starts_with(DECISIONS_SOURCE_PREFIX))
    {
        for (&(x, truth), source) in fold.scored.iter().zip(&fold.sources) {
            if !truth {
                let pool = if options.budget_excluded_sources.contains(source) {
                    &mut excluded
                } else {
                    &mut ordinary
                };
                pool.add(source, calibration.probability(x));
            }
        }
    }

    let budget = options.hold_budget(task);
    let (hold, hold_rule, hold_target_met) = match options.hold_precision {
        Some(target) => {
            let hold = threshold_for_precision(threshold_pool, target, MIN_THRESHOLD_POSITIVES);
            // A precision target out of reach: fall back to the threshold with the best
            // F0.5 among those holding at most `max_good_held` of the good comments.
            let fallback = threshold_max_fbeta(threshold_pool, 0.5, options.max_good_held)
                .unwrap_or(options.fallback_thresholds.hold);
            (
                hold.unwrap_or(fallback),
                format!("precision {target:.2} on cross-source validation"),
                hold.is_some(),
            )
        }
        None => match ordinary.threshold_for_budget(budget) {
            Some(hold) => (
                hold,
                format!(
                    "budget: at most {:.1}% of ordinary comments from unseen sources held",
                    budget * 100.0
                ),
                true,
            ),
            None => (
                options.fallback_thresholds.hold,
                "fallback (no held-out ordinary comments)".to_string(),
                false,
            ),
        },
    };
    let reject = match options.reject_precision(task) {
        None => None,
        Some(_) if threshold_pool.is_empty() => options.fallback_thresholds.reject,
        Some(target) => threshold_for_precision(threshold_pool, target, MIN_THRESHOLD_POSITIVES)
            .map(|r| r.max(hold)),
    };
    let thresholds = Thresholds { hold, reject };

    let cross_source = folds
        .iter()
        .map(|f| {
            let report = Report::new(&to_probability(&f.scored), thresholds.hold);
            FoldReport {
                held_out: f.unit.clone(),
                held_good_share: report.confusion.false_positive_rate(),
                report,
            }
        })
        .collect();
    let cross_source_pooled = (!pooled.is_empty()).then(|| Report::new(&pooled, thresholds.hold));
    let validation = Report::new(
        &to_probability(&score_rows(&model, &validation_rows)),
        thresholds.hold,
    );
    let ordinary_held: Vec<OrdinaryHeld> =
        ordinary
            .held_by_source(thresholds.hold)
            .into_iter()
            .map(|(source, rows, held)| OrdinaryHeld {
                source,
                rows,
                held,
                in_budget: true,
            })
            .chain(excluded.held_by_source(thresholds.hold).into_iter().map(
                |(source, rows, held)| OrdinaryHeld {
                    source,
                    rows,
                    held,
                    in_budget: false,
                },
            ))
            .collect();
    let ordinary_held_mean = (!ordinary.is_empty()).then(|| ordinary.held(thresholds.hold));
    let domain_proxies = folds
        .iter()
        .filter(|f| !f.domain_positives.is_empty())
        .map(|f| {
            let ordinary: Vec<f64> = f
                .scored
                .iter()
                .filter(|s| !s.1)
                .map(|s| calibration.probability(s.0))
                .collect();
            let positives: Vec<f64> = f
                .domain_positives
                .iter()
                .map(|s| calibration.probability(s.0))
                .collect();
            let mut pool = OrdinaryPool::default();
            for &p in &ordinary {
                pool.add(&f.unit, p);
            }
            let share = |scores: &[f64], t: f64| {
                scores.iter().filter(|&&p| p >= t).count() as f64 / scores.len().max(1) as f64
            };
            let at5 = pool.threshold_for_budget(0.05).unwrap_or(1.0);
            let both: Vec<(f64, bool)> = positives
                .iter()
                .map(|&p| (p, true))
                .chain(ordinary.iter().map(|&p| (p, false)))
                .collect();
            let unit_source = f.unit.as_str();
            DomainProxy {
                domain: fit::domain_of(options, unit_source).to_string(),
                ordinary_from: f.unit.clone(),
                positives_from: domain_partners(options, &base_rows, unit_source),
                ordinary: ordinary.len(),
                positives: positives.len(),
                roc_auc: roc_auc(&both),
                caught_at_5pct_held: share(&positives, at5),
                caught_at_hold: share(&positives, thresholds.hold),
                ordinary_held_at_hold: share(&ordinary, thresholds.hold),
            }
        })
        .collect();
    let mut file = model.file().clone();
    file.thresholds = thresholds;
    file.calibration = calibration;
    file.hold_budget = options.hold_precision.is_none().then_some(budget);
    file.ordinary_held = ordinary.budget_table();

    let mut outcome = TaskOutcome {
        model: file,
        thresholds,
        train_rows: train_rows.len(),
        validation_rows: validation_rows.len(),
        derived_rows: prepared.derived,
        validation,
        cross_source,
        cross_source_pooled,
        hold_rule,
        hold_target_met,
        ordinary_held,
        ordinary_held_mean,
        domain_proxies,
        blend_strength: blending.then_some(blend_strength),
        thresholds_chosen_on: if on_decisions {
            "moderators' decisions (cross-source scores)"
        } else {
            "all sources (cross-source scores)"
        },
        validation_examples: validation_rows.iter().map(|r| r.example).collect(),
    };
    outcome.model.training = serde_json::json!({
        "files": corpus.files,
        "rows": {
            "labelled": prepared.rows.len() + prepared.duplicates + prepared.empty,
            "duplicates_dropped": prepared.duplicates,
            "empty_dropped": prepared.empty,
            "derived_labels": prepared.derived,
            "train": outcome.train_rows,
            "validation": outcome.validation_rows,
            "train_positive": train_rows.iter().filter(|r| r.label).count(),
        },
        "labelling_decisions": if prepared.derived > 0 {
            vec!["human conversation is not spam: rows labelled for abuse only count as spam = 0"]
        } else {
            Vec::new()
        },
        "options": options,
        "linfa_bayes": "0.8.1 MultinomialNb, fitted with fit_with in batches",
        "validation": outcome.validation,
        "cross_source": outcome.cross_source,
        "cross_source_pooled": outcome.cross_source_pooled,
        "hold_rule": outcome.hold_rule,
        "hold_target_met": outcome.hold_target_met,
        "ordinary_held": outcome.ordinary_held,
        "ordinary_held_mean": outcome.ordinary_held_mean,
        "domain_proxies": outcome.domain_proxies,
        "thresholds_chosen_on": outcome.thresholds_chosen_on,
        "blend_strength": outcome.blend_strength,
    });
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::data::Example;
    use crate::classifier::tokenize::{tokenize_into, Tokens};
    use crate::classifier::vectorize::{index_vocabulary, vectorize};
    use linfa::dataset::DatasetBase;
    use linfa::traits::FitWith;
    use linfa::ParamGuard;
    use linfa_bayes::{MultinomialNb, MultinomialNbValidParams, NaiveBayes};
    use ndarray::{Array1, Array2};

    fn example(text: &str, spam: bool) -> Example {
        Example {
            text: text.to_string(),
            spam: Some(spam),
            abuse: None,
            source: "t".into(),
            group: "t".into(),
        }
    }

    fn small_corpus() -> Corpus {
        // Real TubeSpam comments (training-data/tubespam.csv), a few of each class.
        let rows = [
            ("Check out this video on YouTube:", true),
            ("subscribe to my channel please", true),
            (
                "Huh, anyway check out this you[tube] channel: kobyoshi02",
                true,
            ),
            ("Please check out my channel and subscribe", true),
            ("i love this song so much", false),
            ("This song is amazing", false),
            ("2 billion views wow", false),
            ("this song never gets old", false),
        ];
        Corpus {
            examples: rows.iter().map(|(t, s)| example(t, *s)).collect(),
            files: vec![],
        }
    }

    /// Sparse scoring with the extracted log-probabilities gives linfa's own joint
    /// log-likelihood, and our stable posterior equals linfa's `predict_proba` where the
    /// latter is finite.
    #[test]
    fn sparse_scores_match_linfa() {
        let corpus = small_corpus();
        let options = TrainOptions {
            validation_percent: 0,
            cross_validate: false,
            balance_sources: false,
            spam_features: FeatureConfig {
                min_df: 1,
                binary: false,
                ..FeatureConfig::default()
            },
            ..TrainOptions::default()
        };
        let prepared = prepare(&corpus, Task::Spam, &options);
        let rows: Vec<&Row> = prepared.rows.iter().collect();
        let vocabulary = choose_vocabulary(&rows, &prepared.strings, &options.spam_features, false);
        // Fit linfa directly on the same dense matrix.
        let index = index_vocabulary(&vocabulary).unwrap();
        let mut x = Array2::<f64>::zeros((rows.len(), vocabulary.len()));
        let mut y = Array1::<usize>::zeros(rows.len());
        for (i, r) in rows.iter().enumerate() {
            for k in &r.keys {
                if let Some(&c) = index.get(k) {
                    x[[i, c as usize]] += 1.0;
                }
            }
            y[i] = usize::from(r.label);
        }
        let params: MultinomialNbValidParams<f64, usize> = MultinomialNb::params().check().unwrap();
        let linfa_model = params
            .fit_with(None, &DatasetBase::new(x.clone(), y))
            .unwrap();
        let ours = train_model(Task::Spam, &rows, &prepared.strings, &options, &Silent).unwrap();

        let probe = [
            "check out my channel",
            "love this song",
            "subscribe subscribe",
        ];
        let mut tokens = Tokens::new();
        let mut features = Vec::new();
        for text in probe {
            tokenize_into(text, &mut tokens);
            vectorize(&tokens, &options.spam_features, &index, &mut features);
            let mut dense = Array2::<f64>::zeros((1, vocabulary.len()));
            for &(c, v) in &features {
                dense[[0, c as usize]] = v;
            }
            let jll = linfa_model.joint_log_likelihood(dense.view());
            let ours_jll = ours.joint_log_likelihood(&features);
            assert!((jll[&0][0] - ours_jll[0]).abs() < 1e-9, "{text}");
            assert!((jll[&1][0] - ours_jll[1]).abs() < 1e-9, "{text}");
            let (proba, classes) = linfa_model.predict_proba(dense.view());
            assert_eq!(classes, vec![&0, &1]);
            let p = ours.score(text).posterior();
            assert!(proba[[0, 1]].is_finite());
            assert!(
                (proba[[0, 1]] - p).abs() < 1e-9,
                "{text}: linfa {} ours {p}",
                proba[[0, 1]]
            );
        }
    }

    /// Moderators' decisions are balanced like a source, and their weight moves the model.
    #[test]
    fn decision_weight_moves_the_model() {
        let mut corpus = small_corpus();
        for (text, spam) in [("free gift card here", true), ("great song", false)] {
            corpus.examples.push(Example {
                source: format!("{DECISIONS_SOURCE_PREFIX}site"),
                ..example(text, spam)
            });
        }
        let train = |weight: f64| {
            let options = TrainOptions {
                validation_percent: 0,
                cross_validate: false,
                decision_mode: DecisionMode::Weight,
                decision_weight: weight,
                ..TrainOptions::default()
            };
            train_task(&corpus, Task::Spam, &options, &Silent)
                .unwrap()
                .model
        };
        let (light, heavy) = (train(1.0), train(10.0));
        assert_eq!(light.vocabulary, heavy.vocabulary);
        assert_ne!(light.feature_log_prob, heavy.feature_log_prob);
        // "gift" only occurs in a spam decision: more weight, more spam evidence.
        let column = light.vocabulary.iter().position(|f| f == "gift");
        if let Some(c) = column {
            let odds = |m: &ModelFile| m.feature_log_prob[1][c] - m.feature_log_prob[0][c];
            assert!(odds(&heavy) > odds(&light));
        }
    }

    fn with_decisions(mut corpus: Corpus, decisions: &[(&str, bool)]) -> Corpus {
        for (i, &(text, spam)) in decisions.iter().enumerate() {
            corpus.examples.push(Example {
                source: format!("{DECISIONS_SOURCE_PREFIX}site"),
                group: format!("article-{}", i % 3),
                ..example(text, spam)
            });
        }
        corpus
    }

    fn blend_options(strength: f64) -> TrainOptions {
        TrainOptions {
            validation_percent: 0,
            cross_validate: false,
            decision_mode: DecisionMode::Blend,
            blend_strength: strength,
            spam_features: FeatureConfig {
                min_df: 1,
                ..TrainOptions::default().spam_features
            },
            ..TrainOptions::default()
        }
    }

    /// Without decisions, blend mode trains exactly the model weight mode does; blending
    /// in no decisions leaves a model unchanged, bit for bit.
    #[test]
    fn blend_without_decisions_is_the_base_model() {
        let corpus = small_corpus();
        let blended = train_task(&corpus, Task::Spam, &blend_options(10.0), &Silent)
            .unwrap()
            .model;
        let weighted = train_task(
            &corpus,
            Task::Spam,
            &TrainOptions {
                decision_mode: DecisionMode::Weight,
                ..blend_options(10.0)
            },
            &Silent,
        )
        .unwrap()
        .model;
        assert_eq!(blended.vocabulary, weighted.vocabulary);
        assert_eq!(blended.feature_log_prob, weighted.feature_log_prob);
        assert_eq!(blended.class_log_prior, weighted.class_log_prior);
        assert_eq!(blended.thresholds, weighted.thresholds);

        let columns = blended.vocabulary.len();
        let nothing = SiteCounts {
            decisions: [0.0; 2],
            features: [vec![0.0; columns], vec![0.0; columns]],
        };
        assert_eq!(blend(&blended, &nothing, 10.0), blended);
    }

    /// The blend is the Dirichlet posterior mean: the site's share of a class's
    /// distribution is d / (d + m), so more decisions move the model further towards the
    /// site's word frequencies.
    #[test]
    fn blend_follows_the_site_as_decisions_grow() {
        let base = train_task(&small_corpus(), Task::Spam, &blend_options(10.0), &Silent)
            .unwrap()
            .model;
        let columns = base.vocabulary.len();
        // The site's spam is all about one word of the vocabulary.
        let song = base.vocabulary.iter().position(|f| f == "song").unwrap();
        let site = |d: f64| {
            let mut features = [vec![0.0; columns], vec![0.0; columns]];
            features[1][song] = d;
            SiteCounts {
                decisions: [0.0, d],
                features,
            }
        };
        let distance = |m: &ModelFile| -> f64 {
            (0..columns)
                .map(|j| {
                    let site = if j == song { 1.0 } else { 0.0 };
                    (m.feature_log_prob[1][j].exp() - site).abs()
                })
                .sum()
        };
        let strength = 10.0;
        let (few, many) = (
            blend(&base, &site(10.0), strength),
            blend(&base, &site(90.0), strength),
        );
        // λ = 10 / (10 + 10) = 0.5 and 90 / (90 + 10) = 0.9.
        let expected = |lambda: f64, j: usize| {
            lambda * f64::from(u8::from(j == song))
                + (1.0 - lambda) * base.feature_log_prob[1][j].exp()
        };
        for j in 0..columns {
            assert!((few.feature_log_prob[1][j].exp() - expected(0.5, j)).abs() < 1e-12);
            assert!((many.feature_log_prob[1][j].exp() - expected(0.9, j)).abs() < 1e-12);
        }
        // The class without decisions keeps the base distribution.
        assert_eq!(few.feature_log_prob[0], base.feature_log_prob[0]);
        assert!(distance(&base) > distance(&few));
        assert!(distance(&few) > distance(&many));
    }

    /// End to end: with more of a site's decisions, a word only its spam uses counts more.
    #[test]
    fn more_decisions_teach_the_blended_model_more() {
        let decisions = [
            ("free gift card here", true),
            ("great song", false),
            ("claim your gift card now", true),
            ("the chorus is great", false),
            ("gift card giveaway click", true),
            ("what a voice", false),
            ("win a gift card today", true),
            ("best video this year", false),
        ];
        let odds = |n: usize| {
            let corpus = with_decisions(small_corpus(), &decisions[..n]);
            let m = train_task(&corpus, Task::Spam, &blend_options(10.0), &Silent)
                .unwrap()
                .model;
            let c = m.vocabulary.iter().position(|f| f == "gift").unwrap();
            m.feature_log_prob[1][c] - m.feature_log_prob[0][c]
        };
        let (two, eight) = (odds(2), odds(8));
        assert!(two > 0.0, "{two}");
        assert!(eight > two, "{two} {eight}");
    }

    /// Blend mode scores the decisions out of fold and chooses the thresholds on them.
    #[test]
    fn blend_chooses_thresholds_on_held_out_decisions() {
        let mut decisions = Vec::new();
        let texts: Vec<String> = (0..40)
            .map(|i| format!("gift card offer number{i} click here"))
            .chain((0..40).map(|i| format!("lovely song part{i} great voice")))
            .collect();
        for (i, t) in texts.iter().enumerate() {
            decisions.push((t.as_str(), i < 40));
        }
        let corpus = with_decisions(small_corpus(), &decisions);
        let options = TrainOptions {
            cross_validate: true,
            ..blend_options(10.0)
        };
        let outcome = train_task(&corpus, Task::Spam, &options, &Silent).unwrap();
        assert!(outcome
            .cross_source
            .iter()
            .all(|f| f.held_out.starts_with("decisions:site (blend fold")));
        assert_eq!(outcome.cross_source.len(), 3);
        assert!(outcome.thresholds_chosen_on.starts_with("moderators"));

        // Decisions on one article are one fold (scored by the base model alone).
        let prepared = prepare(&corpus, Task::Spam, &options);
        let mut rows: Vec<&Row> = prepared.rows.iter().filter(|r| is_decision(r)).collect();
        assert_eq!(decision_folds(&rows).len(), 3);
        rows.retain(|r| r.group == "article-0");
        assert_eq!(
            decision_folds(&rows),
            vec![(0..rows.len()).collect::<Vec<_>>()]
        );
    }

    /// A task whose rows hold one class only cannot be trained.
    #[test]
    fn one_class_is_an_error() {
        let corpus = Corpus {
            examples: vec![example("a b c", true), example("d e f", true)],
            files: vec![],
        };
        let options = TrainOptions {
            validation_percent: 0,
            ..TrainOptions::default()
        };
        let err = train_task(&corpus, Task::Spam, &options, &Silent).unwrap_err();
        assert!(matches!(err, TrainError::OneClass { .. }), "{err}");
        let err = train_task(&corpus, Task::Abuse, &options, &Silent).unwrap_err();
        assert!(matches!(err, TrainError::NoRows { .. }), "{err}");
    }
}
