//! Training: corpus → de-duplicated, split rows → vocabulary → `MultinomialNb` fitted in
//! batches → thresholds chosen on cross-source validation → a [`ModelFile`].
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
//! rows. The decision thresholds are picked on these pooled out-of-source scores, for
//! precision: a held good comment costs a moderator's time and a reader's trust.
//!
//! # Memory
//! linfa's `MultinomialNb` takes dense rows, so rows are fed through `fit_with` in
//! batches sized to a fixed memory budget: memory stays flat as the corpus grows, and the
//! vocabulary is bounded by `max_features`.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use linfa::dataset::DatasetBase;
use linfa::traits::FitWith;
use linfa::ParamGuard;
use linfa_bayes::{MultinomialNb, MultinomialNbValidParams};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::data::{Corpus, Task};
use super::metrics::{roc_auc, threshold_for_precision, threshold_max_fbeta, Report};
use super::model::{Calibration, ModelFile, TaskModel, Thresholds, FORMAT_NAME, FORMAT_VERSION};
use super::tokenize::{tokenize_into, Tokens, TOKENIZER_VERSION};
use super::vectorize::{for_each_feature_key, for_each_feature_string, unigram_key, FeatureConfig};

/// Rows whose `source` starts with this are moderators' decisions (see
/// `commentguard export-decisions`), used as [`TrainOptions::decision_mode`] says.
pub const DECISIONS_SOURCE_PREFIX: &str = "decisions:";
/// Folds the decisions are split into for their held-out scores in [`DecisionMode::Blend`].
const DECISION_FOLDS: usize = 5;

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

/// Bytes of dense rows handed to linfa at once.
const BATCH_BYTES: usize = 128 << 20;
/// A threshold is not chosen on fewer true positives than this.
const MIN_THRESHOLD_POSITIVES: u64 = 10;

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
    /// [`ModelFile::strongest_feature_weight`]).
    pub strongest_feature_weight: f64,
    /// Seed of the validation split.
    pub seed: u64,
    /// Share of rows (in percent) kept out of training for validation.
    pub validation_percent: u32,
    /// Precision the hold threshold must reach on cross-source validation.
    pub hold_precision: f64,
    /// Precision the reject threshold must reach on cross-source validation.
    pub reject_precision: f64,
    /// When `hold_precision` is out of reach: the most good comments (share of them) the
    /// fallback threshold may hold. A held good comment costs a moderator's time.
    pub max_good_held: f64,
    /// Multiplies the feature counts of every row of a source (default 1).
    pub source_weights: BTreeMap<String, f64>,
    /// Give every (source, class) cell the same total weight, so that which source a
    /// comment sounds like says nothing about its label (see `balance_weights`).
    pub balance_sources: bool,
    /// Total weight of a source that holds one class only, relative to a balanced cell.
    pub single_class_weight: f64,
    /// Sources balanced together as one domain (source → domain). The shipped corpus's
    /// news comments come from two sources, toxic-only Civil Comments and Fox News, whose
    /// negatives are the only clean news comments we have: balanced together, news
    /// vocabulary stops meaning "toxic" (Wikipedia held out: ROC AUC 0.73 → 0.80).
    pub source_domains: BTreeMap<String, String>,
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
    /// Run cross-source validation (needed to choose thresholds; off only for quick runs,
    /// which then keep `fallback_thresholds`).
    pub cross_validate: bool,
    pub fallback_thresholds: Thresholds,
}

fn default_blend_strength() -> f64 {
    300.0
}

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
            strongest_feature_weight: 0.5,
            seed: 20_261_125,
            validation_percent: 20,
            hold_precision: 0.90,
            reject_precision: 0.98,
            max_good_held: 0.10,
            source_weights: BTreeMap::new(),
            balance_sources: true,
            decision_mode: DecisionMode::Blend,
            decision_weight: 1.0,
            blend_strength: default_blend_strength(),
            single_class_weight: 0.3,
            source_domains: [("civil_comments", "news"), ("fox_news", "news")]
                .into_iter()
                .map(|(s, d)| (s.to_string(), d.to_string()))
                .collect(),
            cross_validate: true,
            fallback_thresholds: Thresholds {
                hold: 0.5,
                reject: 0.99,
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

/// A labelled, tokenized, de-duplicated row.
struct Row {
    /// Index of the example in the corpus.
    example: usize,
    /// Feature keys in order (unigrams and, if configured, bigrams).
    keys: Vec<u64>,
    label: bool,
    source: String,
    group: String,
    validation: bool,
}

/// The rows of one task with the strings of every feature key they use.
struct Prepared {
    rows: Vec<Row>,
    strings: HashMap<u64, String>,
    duplicates: usize,
    empty: usize,
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

/// What training one task produced.
#[derive(Debug, Clone, Serialize)]
pub struct TaskOutcome {
    #[serde(skip)]
    pub model: ModelFile,
    pub thresholds: Thresholds,
    pub train_rows: usize,
    pub validation_rows: usize,
    /// Random validation split, at the hold threshold.
    pub validation: Report,
    /// Each held-out source/group, at the hold threshold.
    pub cross_source: Vec<FoldReport>,
    /// All held-out rows pooled, at the hold threshold.
    pub cross_source_pooled: Option<Report>,
    /// Whether the hold threshold reached the target precision on cross-source validation.
    pub hold_target_met: bool,
    /// Which held-out scores chose the thresholds: moderators' decisions, or all sources.
    pub thresholds_chosen_on: &'static str,
    /// Indexes (into the corpus) of the validation rows, to score other models on.
    #[serde(skip)]
    pub validation_examples: Vec<usize>,
}

/// Tokenizes, de-duplicates and splits the rows labelled for `task`.
fn prepare(corpus: &Corpus, task: Task, options: &TrainOptions) -> Prepared {
    let mut tokens = Tokens::new();
    let mut seen = BTreeSet::new();
    let mut strings = HashMap::new();
    let (mut rows, mut duplicates, mut empty) = (Vec::new(), 0, 0);
    for (index, example) in corpus.examples.iter().enumerate() {
        let Some(label) = example.label(task) else {
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
        for_each_feature_key(&tokens, options.features(task).bigrams, |k| keys.push(k));
        for_each_feature_string(&tokens, options.features(task).bigrams, |s| {
            let key = unigram_key(s);
            strings.entry(key).or_insert_with(|| s.to_string());
        });
        rows.push(Row {
            example: index,
            keys,
            label,
            source: example.source.clone(),
            group: example.group.clone(),
            validation,
        });
    }
    Prepared {
        rows,
        strings,
        duplicates,
        empty,
    }
}

/// Chooses the vocabulary from the given rows: features in at least `min_df` rows, the
/// `max_features` most frequent (by document frequency, ties by string), in string order.
fn choose_vocabulary(
    rows: &[&Row],
    strings: &HashMap<u64, String>,
    config: &FeatureConfig,
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
        .collect();
    candidates.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    candidates.truncate(config.max_features);
    let mut vocabulary: Vec<String> = candidates.into_iter().map(|(_, s)| s.to_string()).collect();
    vocabulary.sort_unstable();
    vocabulary
}

/// Per-row weights that balance sources (or domains of several sources).
///
/// Naive Bayes learns `P(word | class)` as a mixture over the sources of each class. When
/// the sources' shares differ between the classes (tweets are 83% abusive, Wikipedia talk
/// 3%, the news comments we have are toxic only) the model learns to recognise the
/// *source*: "sounds like a tweet" becomes abusive, "sounds like Wikipedia" clean. Giving
/// every (source, class) cell the same total weight makes each source equally present
/// in both classes, so only words that separate the classes *within* sources carry
/// weight. A source with one class only cannot be balanced; it gets a reduced total
/// weight (`single_class_weight` of a cell). Measured on cross-source validation: mean
/// ROC AUC over held-out sources rises from about 0.66 to 0.75 (see BENCHMARKS.md).
fn balance_weights(rows: &[&Row], options: &TrainOptions) -> Vec<f64> {
    let user = |r: &Row| {
        let decision = if r.source.starts_with(DECISIONS_SOURCE_PREFIX) {
            options.decision_weight
        } else {
            1.0
        };
        decision
            * options
                .source_weights
                .get(&r.source)
                .copied()
                .unwrap_or(1.0)
    };
    if !options.balance_sources {
        return rows.iter().map(|r| user(r)).collect();
    }
    fn domain<'a>(options: &'a TrainOptions, r: &'a Row) -> &'a str {
        options
            .source_domains
            .get(&r.source)
            .map_or(r.source.as_str(), String::as_str)
    }
    let mut cells: BTreeMap<&str, [usize; 2]> = BTreeMap::new();
    for r in rows {
        cells.entry(domain(options, r)).or_default()[usize::from(r.label)] += 1;
    }
    let cell_count: usize = cells
        .values()
        .map(|c| if c[0] > 0 && c[1] > 0 { 2 } else { 1 })
        .sum();
    // Scale so the total weight stays about the number of rows (smoothing keeps its meaning).
    let per_cell = rows.len() as f64 / cell_count.max(1) as f64;
    rows.iter()
        .map(|r| {
            let c = cells[domain(options, r)];
            let both = c[0] > 0 && c[1] > 0;
            let target = if both {
                per_cell
            } else {
                per_cell * options.single_class_weight
            };
            user(r) * target / c[usize::from(r.label)] as f64
        })
        .collect()
}

/// Fits linfa's `MultinomialNb` on the rows, in dense batches, and returns the learned
/// `[neg, pos]` log-priors and feature log-probabilities over `vocabulary`.
fn fit(
    rows: &[&Row],
    vocabulary: &[String],
    features: &FeatureConfig,
    alpha: f64,
    options: &TrainOptions,
    progress: &dyn Progress,
) -> Result<([f64; 2], [Vec<f64>; 2]), TrainError> {
    let columns = vocabulary.len().max(1);
    let index: HashMap<u64, usize> = vocabulary
        .iter()
        .enumerate()
        .map(|(i, s)| (unigram_key(s), i))
        .collect();
    let params: MultinomialNbValidParams<f64, usize> = MultinomialNb::params()
        .alpha(alpha)
        .check()
        .map_err(|e| TrainError::Option(e.to_string()))?;
    let batch_rows = (BATCH_BYTES / (columns * std::mem::size_of::<f64>())).clamp(1, 4096);
    let weights = balance_weights(rows, options);
    let mut model: Option<MultinomialNb<f64, usize>> = None;
    // One dense buffer for all batches, cleared cell by cell: allocating and zeroing
    // BATCH_BYTES per batch would dominate the run time.
    let mut buffer = Array2::<f64>::zeros((batch_rows.min(rows.len()).max(1), columns));
    let mut touched: Vec<(usize, usize)> = Vec::new();
    for (batch, batch_weights) in rows.chunks(batch_rows).zip(weights.chunks(batch_rows)) {
        for &(i, j) in &touched {
            buffer[[i, j]] = 0.0;
        }
        touched.clear();
        let mut y = Array1::<usize>::zeros(batch.len());
        for (i, (row, &weight)) in batch.iter().zip(batch_weights).enumerate() {
            for key in &row.keys {
                if let Some(&column) = index.get(key) {
                    touched.push((i, column));
                    let cell = &mut buffer[[i, column]];
                    *cell = if features.binary {
                        weight
                    } else {
                        *cell + weight
                    };
                }
            }
            y[i] = usize::from(row.label);
        }
        let x = buffer.slice(ndarray::s![..batch.len(), ..]);
        let dataset = DatasetBase::new(x, y);
        // linfa-bayes 0.8.1 leaves a `dbg!` in `fit_with` that prints every class
        // histogram on every batch; silence stderr around the call (when another thread
        // already holds the redirect, e.g. parallel tests, the output just goes through).
        let gag = gag::Gag::stderr().ok();
        let fitted = params.fit_with(model.take(), &dataset);
        drop(gag);
        model = Some(fitted.map_err(|e| TrainError::Linfa(e.to_string()))?);
        progress.advance(batch.len() as u64);
    }
    let model = model.ok_or_else(|| TrainError::Linfa("no rows to fit".into()))?;
    extract(&model, vocabulary.len())
}

/// Reads the learned parameters out of a fitted linfa model. linfa keeps them private but
/// serialises them (feature `serde`), so they are taken from its serde form exactly, bit
/// for bit; `tests::sparse_scores_match_linfa` checks the result against linfa's own
/// `joint_log_likelihood`.
fn extract(
    model: &MultinomialNb<f64, usize>,
    columns: usize,
) -> Result<([f64; 2], [Vec<f64>; 2]), TrainError> {
    #[derive(Deserialize)]
    struct Linfa {
        class_info: HashMap<String, Histogram>,
    }
    #[derive(Deserialize)]
    struct Histogram {
        prior: f64,
        feature_log_prob: Array1<f64>,
    }
    let value = serde_json::to_value(model).map_err(|e| TrainError::Linfa(e.to_string()))?;
    let linfa: Linfa = serde_json::from_value(value)
        .map_err(|e| TrainError::Linfa(format!("unexpected model layout: {e}")))?;
    let class = |label: &str| {
        linfa.class_info.get(label).ok_or_else(|| {
            TrainError::Linfa(format!("class {label} missing from the fitted model"))
        })
    };
    let (neg, pos) = (class("0")?, class("1")?);
    let mut log_prob = [neg.feature_log_prob.to_vec(), pos.feature_log_prob.to_vec()];
    // An empty vocabulary was fitted with one dummy column; drop it.
    for v in &mut log_prob {
        v.truncate(columns);
    }
    Ok(([neg.prior.ln(), pos.prior.ln()], log_prob))
}

/// Trains one model on `rows` and returns it with the thresholds given.
fn train_model(
    task: Task,
    rows: &[&Row],
    strings: &HashMap<u64, String>,
    options: &TrainOptions,
    thresholds: Thresholds,
    calibration: Calibration,
    progress: &dyn Progress,
) -> Result<TaskModel, TrainError> {
    check_classes(task, rows)?;
    let vocabulary = choose_vocabulary(rows, strings, &options.features(task));
    train_model_on(
        task,
        rows,
        vocabulary,
        options,
        thresholds,
        calibration,
        progress,
    )
}

/// Trains one model on `rows` over the given vocabulary.
fn train_model_on(
    task: Task,
    rows: &[&Row],
    vocabulary: Vec<String>,
    options: &TrainOptions,
    thresholds: Thresholds,
    calibration: Calibration,
    progress: &dyn Progress,
) -> Result<TaskModel, TrainError> {
    check_classes(task, rows)?;
    let features = options.features(task);
    let (class_log_prior, feature_log_prob) = fit(
        rows,
        &vocabulary,
        &features,
        options.alpha(task),
        options,
        progress,
    )?;
    let file = ModelFile {
        format: FORMAT_NAME.to_string(),
        format_version: FORMAT_VERSION,
        tokenizer_version: TOKENIZER_VERSION,
        task,
        features,
        thresholds,
        strongest_feature_weight: options.strongest_feature_weight,
        calibration,
        class_log_prior,
        vocabulary,
        feature_log_prob,
        training: serde_json::Value::Null,
    };
    TaskModel::from_file(file, std::path::Path::new(task.name()))
        .map_err(|e| TrainError::Linfa(e.to_string()))
}

/// What a site's decisions contribute to a blended model: per class `[neg, pos]`, the
/// number of decisions and the sum of their feature vectors over the model's vocabulary.
struct SiteCounts {
    decisions: [f64; 2],
    features: [Vec<f64>; 2],
}

impl SiteCounts {
    fn new(model: &TaskModel, rows: &[&Row]) -> SiteCounts {
        let columns = model.file().vocabulary.len();
        let mut counts = SiteCounts {
            decisions: [0.0; 2],
            features: [vec![0.0; columns], vec![0.0; columns]],
        };
        let mut features = Vec::new();
        for row in rows {
            let class = usize::from(row.label);
            model.vectorize_keys(&row.keys, &mut features);
            counts.decisions[class] += 1.0;
            for &(column, value) in &features {
                counts.features[class][column as usize] += value;
            }
        }
        counts
    }
}

/// The base model with a site's decisions blended in (see [`DecisionMode::Blend`]): each
/// class's feature distribution is the posterior mean under a Dirichlet prior centred
/// on the base model's, worth `strength` decisions of the class.
fn blend(base: &ModelFile, site: &SiteCounts, strength: f64) -> ModelFile {
    let mut file = base.clone();
    for class in 0..2 {
        let decisions = site.decisions[class];
        let total: f64 = site.features[class].iter().sum();
        if decisions <= 0.0 || total <= 0.0 {
            continue;
        }
        let lambda = decisions / (decisions + strength);
        for (log_prob, &count) in file.feature_log_prob[class]
            .iter_mut()
            .zip(&site.features[class])
        {
            *log_prob = (lambda * count / total + (1.0 - lambda) * log_prob.exp()).ln();
        }
    }
    let decisions = site.decisions[0] + site.decisions[1];
    if decisions > 0.0 {
        let lambda = decisions / (decisions + strength);
        for class in 0..2 {
            let share = site.decisions[class] / decisions;
            file.class_log_prior[class] =
                (lambda * share + (1.0 - lambda) * base.class_log_prior[class].exp()).ln();
        }
    }
    file
}

/// The decisions' folds for held-out scores in blend mode (indexes into `rows`), by
/// article, since new traffic comes on new articles: one fold per article when they span
/// up to [`DECISION_FOLDS`] articles, articles hashed into [`DECISION_FOLDS`] folds when
/// more. Decisions on a single article form one fold, scored by the base model alone
/// (as weight mode scores its held-out decisions): comments held out of the same article
/// share its topic words with the rest and score higher than the next article's (with
/// comments hashed into folds instead, `benches/learning_curve.py`'s Fox News replay at
/// K = 1 got thresholds that caught 0.7–2% of the other threads' abusive comments).
fn decision_folds(rows: &[&Row]) -> Vec<Vec<usize>> {
    let groups: BTreeSet<&str> = rows.iter().map(|r| r.group.as_str()).collect();
    let mut folds: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        let fold = if groups.len() <= DECISION_FOLDS {
            groups.iter().position(|g| *g == r.group).unwrap_or(0) as u64
        } else {
            (unigram_key(&r.group).wrapping_mul(0xff51_afd7_ed55_8ccd) >> 33)
                % DECISION_FOLDS as u64
        };
        folds.entry(fold).or_default().push(i);
    }
    folds.into_values().collect()
}

fn is_decision(row: &Row) -> bool {
    row.source.starts_with(DECISIONS_SOURCE_PREFIX)
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

/// Fits the logistic calibration `P(pos) = σ(slope · x + intercept)` to scored rows by
/// Newton's method on the log-loss, with Platt's smoothed targets so that perfectly
/// separated rows do not push the slope to infinity.
pub fn fit_calibration(scored: &[(f64, bool)]) -> Calibration {
    let positives = scored.iter().filter(|s| s.1).count() as f64;
    let negatives = scored.len() as f64 - positives;
    let (hi, lo) = (
        (positives + 1.0) / (positives + 2.0),
        1.0 / (negatives + 2.0),
    );
    let loss = |a: f64, b: f64| -> f64 {
        scored
            .iter()
            .map(|&(x, y)| {
                let t = if y { hi } else { lo };
                let z = a * x + b;
                // log(1 + e^z) − t·z, computed without overflow.
                let softplus = if z > 0.0 {
                    z + (-z).exp().ln_1p()
                } else {
                    z.exp().ln_1p()
                };
                softplus - t * z
            })
            .sum()
    };
    let (mut a, mut b) = (1.0, ((positives + 1.0) / (negatives + 1.0)).ln());
    let mut current = loss(a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(x, y) in scored {
            let t = if y { hi } else { lo };
            let p = super::model::logistic(a * x + b);
            let (g, h) = (p - t, (p * (1.0 - p)).max(1e-12));
            ga += g * x;
            gb += g;
            haa += h * x * x;
            hab += h * x;
            hbb += h;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-18 {
            break;
        }
        let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
        // Backtracking keeps every step a descent step.
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-6 {
            let (na, nb) = (a - step * da, b - step * db);
            let l = loss(na, nb);
            if l.is_finite() && l <= current {
                improved = (current - l) > 1e-12 * current.abs().max(1.0);
                (a, b, current) = (na, nb, l);
                break;
            }
            step /= 2.0;
        }
        if !improved {
            break;
        }
    }
    Calibration {
        slope: a,
        intercept: b,
    }
}

/// The units held out in turn: sources with both classes, or, when only one source has
/// both, its groups. Fewer than two units means there is nothing to validate across.
fn cross_source_units(rows: &[&Row]) -> (bool, Vec<String>) {
    let mut by_source: BTreeMap<&str, [bool; 2]> = BTreeMap::new();
    let mut by_group: BTreeMap<&str, [bool; 2]> = BTreeMap::new();
    for r in rows {
        by_source.entry(&r.source).or_default()[usize::from(r.label)] = true;
        by_group.entry(&r.group).or_default()[usize::from(r.label)] = true;
    }
    let both = |m: &BTreeMap<&str, [bool; 2]>| {
        m.iter()
            .filter(|(_, c)| c[0] && c[1])
            .map(|(k, _)| k.to_string())
            .collect::<Vec<_>>()
    };
    let sources = both(&by_source);
    if sources.len() >= 2 {
        (false, sources)
    } else {
        (true, both(&by_group))
    }
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
    // by a model that never saw it. The pooled scores calibrate the probability and
    // choose the thresholds.
    let placeholder = Calibration {
        slope: 1.0,
        intercept: 0.0,
    };
    let mut fold_scores: Vec<(String, Vec<(f64, bool)>)> = Vec::new();
    if options.cross_validate {
        let (by_group, units) = cross_source_units(&base_rows);
        for unit in &units {
            let unit_of = |r: &Row| {
                if by_group {
                    r.group == *unit
                } else {
                    r.source == *unit
                }
            };
            let fit_rows: Vec<&Row> = base_rows.iter().copied().filter(|r| !unit_of(r)).collect();
            let test_rows: Vec<&Row> = base_rows.iter().copied().filter(|r| unit_of(r)).collect();
            if check_classes(task, &fit_rows).is_err() {
                continue;
            }
            progress.start(
                &format!("{task}: cross-source fold, holding out {unit}"),
                fit_rows.len() as u64,
            );
            let model = train_model(
                task,
                &fit_rows,
                &prepared.strings,
                options,
                options.fallback_thresholds,
                placeholder,
                progress,
            )?;
            let scored = score_rows(&model, &test_rows);
            progress.note(&format!(
                "{task}: held out {unit}: {} rows, ROC AUC {}",
                scored.len(),
                roc_auc(&scored).map_or("-".to_string(), |a| format!("{a:.3}"))
            ));
            fold_scores.push((unit.clone(), scored));
        }
    }

    // The model that ships: all of the training split.
    progress.start(&format!("{task}: final model"), base_rows.len() as u64);
    let model = if blending {
        let features = options.features(task);
        let mut vocabulary = choose_vocabulary(&base_rows, &prepared.strings, &features);
        vocabulary.extend(choose_vocabulary(
            &decision_rows,
            &prepared.strings,
            &features,
        ));
        vocabulary.sort_unstable();
        vocabulary.dedup();
        let base = train_model_on(
            task,
            &base_rows,
            vocabulary,
            options,
            options.fallback_thresholds,
            placeholder,
            progress,
        )?;
        let blended = |rows: &[&Row]| {
            let file = blend(
                base.file(),
                &SiteCounts::new(&base, rows),
                options.blend_strength,
            );
            TaskModel::from_file(file, std::path::Path::new(task.name()))
                .map_err(|e| TrainError::Linfa(e.to_string()))
        };
        if options.cross_validate {
            // Held-out scores of the decisions: each fold scored by the base model
            // blended with the other folds' decisions.
            let site = match decision_rows.first() {
                Some(first) if decision_rows.iter().all(|r| r.source == first.source) => {
                    first.source.clone()
                }
                _ => format!("{DECISIONS_SOURCE_PREFIX}*"),
            };
            let folds = decision_folds(&decision_rows);
            for (i, fold) in folds.iter().enumerate() {
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
                let (test_rows, rest) = (pick(true), pick(false));
                let scored = score_rows(&blended(&rest)?, &test_rows);
                let unit = format!("{site} (blend fold {}/{})", i + 1, folds.len());
                progress.note(&format!(
                    "{task}: held out {unit}: {} rows, ROC AUC {}",
                    scored.len(),
                    roc_auc(&scored).map_or("-".to_string(), |a| format!("{a:.3}"))
                ));
                fold_scores.push((unit, scored));
            }
        }
        blended(&decision_rows)?
    } else {
        train_model(
            task,
            &train_rows,
            &prepared.strings,
            options,
            options.fallback_thresholds,
            placeholder,
            progress,
        )?
    };

    let pooled: Vec<(f64, bool)> = fold_scores
        .iter()
        .flat_map(|(_, s)| s.iter().copied())
        .collect();
    // Without cross-source scores, calibrate on the training rows themselves (optimistic).
    let calibration = fit_calibration(&if pooled.is_empty() {
        score_rows(&model, &train_rows)
    } else {
        pooled.clone()
    });
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
    let decisions: Vec<(f64, bool)> = fold_scores
        .iter()
        .filter(|(unit, _)| unit.starts_with(DECISIONS_SOURCE_PREFIX))
        .flat_map(|(_, scored)| to_probability(scored))
        .collect();
    let enough_decisions =
        decisions.iter().filter(|s| s.1).count() as u64 >= MIN_THRESHOLD_POSITIVES;
    let threshold_pool = if enough_decisions {
        &decisions
    } else {
        &pooled
    };
    let hold = threshold_for_precision(
        threshold_pool,
        options.hold_precision,
        MIN_THRESHOLD_POSITIVES,
    );
    let reject = threshold_for_precision(
        threshold_pool,
        options.reject_precision,
        MIN_THRESHOLD_POSITIVES,
    );
    let hold_target_met = hold.is_some();
    let thresholds = if threshold_pool.is_empty() {
        options.fallback_thresholds
    } else {
        // A precision target out of reach on data this varied: fall back to the
        // threshold with the best F0.5 (precision weighted four times recall) among those
        // holding at most `max_good_held` of the good comments, rather than to one that
        // flags nothing; the report says the target was missed.
        let f_half = threshold_max_fbeta(threshold_pool, 0.5, options.max_good_held)
            .unwrap_or(options.fallback_thresholds.hold);
        let hold = hold.unwrap_or(f_half);
        let top = threshold_pool.iter().map(|s| s.0).fold(hold, f64::max);
        Thresholds {
            hold,
            reject: reject.unwrap_or(top).max(hold),
        }
    };
    let cross_source = fold_scores
        .iter()
        .map(|(unit, scored)| {
            let report = Report::new(&to_probability(scored), thresholds.hold);
            FoldReport {
                held_out: unit.clone(),
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
    let mut file = model.file().clone();
    file.thresholds = thresholds;
    file.calibration = calibration;

    let mut outcome = TaskOutcome {
        model: file,
        thresholds,
        train_rows: train_rows.len(),
        validation_rows: validation_rows.len(),
        validation,
        cross_source,
        cross_source_pooled,
        hold_target_met,
        thresholds_chosen_on: if enough_decisions {
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
            "train": outcome.train_rows,
            "validation": outcome.validation_rows,
            "train_positive": train_rows.iter().filter(|r| r.label).count(),
        },
        "options": options,
        "linfa_bayes": "0.8.1 MultinomialNb, fitted with fit_with in batches",
        "validation": outcome.validation,
        "cross_source": outcome.cross_source,
        "cross_source_pooled": outcome.cross_source_pooled,
        "hold_target_met": outcome.hold_target_met,
        "thresholds_chosen_on": outcome.thresholds_chosen_on,
    });
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::data::Example;
    use crate::classifier::vectorize::{index_vocabulary, vectorize};
    use linfa_bayes::NaiveBayes;

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
        let vocabulary = choose_vocabulary(&rows, &prepared.strings, &options.spam_features);
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
        let calibration = Calibration {
            slope: 1.0,
            intercept: 0.0,
        };
        let ours = train_model(
            Task::Spam,
            &rows,
            &prepared.strings,
            &options,
            options.fallback_thresholds,
            calibration,
            &Silent,
        )
        .unwrap();

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
