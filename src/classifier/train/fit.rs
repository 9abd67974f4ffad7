//! Fitting linfa-bayes' `MultinomialNb`: per-row weights that balance the sources, the
//! pseudo-negatives of single-class sources, dense batches through `fit_with`, and reading
//! the learned parameters back.
//!
//! # Balancing sources
//! Naive Bayes learns `P(word | class)` as a mixture over the sources of each class. When
//! the sources' shares differ between the classes (tweets are 83% abusive, Wikipedia talk
//! 3%, the news comments we have are toxic only) the model learns to recognise the
//! *source*: "sounds like a tweet" becomes abusive, "sounds like Wikipedia" clean. Giving
//! every (source, class) cell the same total weight makes each source equally present in
//! both classes, so only words that separate the classes *within* sources carry weight. A
//! source with one class only cannot be balanced; it gets a reduced total weight
//! (`single_class_weight` of a cell). Rows labelled by a labelling decision (see
//! `rows`) share `derived_weight` cells among their sources. Measured on cross-source
//! validation: mean ROC AUC over held-out sources rises from about 0.66 to 0.75.
//!
//! # Pseudo-negatives for a source with positives only
//! Civil Comments, the only corpus of news-site comments with many abusive examples, holds
//! abusive comments only. Its positives teach the model the words of abuse, and also the
//! words of the news it was written under (`trump`, `trudeau`, `alaska`, `canada` came
//! out with abuse weights of +1.6 to +2.9), because nothing news-like is on the other
//! side: ordinary comments on the same stories are then held for naming the story. So each
//! row of such a source also enters the negative class once more, as a *pseudo-negative*:
//! the same features, each scaled by `exp(−k · max(d, 0))`, where `d` is the word's
//! log-odds in a first model fitted without the single-class sources. A word that the
//! sources with both classes do not find abusive (`d ≤ 0`: story words, function words)
//! appears as often on both sides and ends up neutral; a word they do (`idiot`, `d ≈ 3`)
//! keeps nearly all of its weight. The pseudo-negatives are the real comments' own text;
//! the labelling decision is that "the words of a toxic news comment that other corpora
//! do not find abusive are ordinary news vocabulary". Measured in BENCHMARKS.md (news
//! proxy: abusive Civil Comments against Fox News comments).
use std::collections::{BTreeMap, BTreeSet, HashMap};

use linfa::dataset::DatasetBase;
use linfa::traits::FitWith;
use linfa::ParamGuard;
use linfa_bayes::{MultinomialNb, MultinomialNbValidParams};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::rows::Row;
use super::{is_decision_source, Progress, TrainError, TrainOptions};
use crate::classifier::vectorize::{unigram_key, FeatureConfig};

/// Bytes of dense rows handed to linfa at once.
const BATCH_BYTES: usize = 128 << 20;

/// How single-class sources get their pseudo-negatives (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PseudoNegatives {
    /// `k`: how sharply a word's weight in the pseudo-negative falls with its log-odds.
    pub sharpness: f64,
    /// Weight of a pseudo-negative row relative to its positive original.
    pub weight: f64,
}

/// The learned parameters: `[neg, pos]` log-priors and per-column feature log-probabilities.
pub(super) type Fitted = ([f64; 2], [Vec<f64>; 2]);

/// One row as linfa sees it: its feature keys, label, weight, and optionally a factor per
/// vocabulary column (pseudo-negatives).
struct FitRow<'a> {
    keys: &'a [u64],
    label: bool,
    weight: f64,
    scale: Option<&'a [f64]>,
}

/// The balancing domain of a source (itself unless `source_domains` groups it).
pub(super) fn domain_of<'a>(options: &'a TrainOptions, source: &'a str) -> &'a str {
    options
        .source_domains
        .get(source)
        .map_or(source, String::as_str)
}

/// Per-row weights that balance sources (or domains of several sources); see the module
/// documentation.
pub(super) fn balance_weights(rows: &[&Row], options: &TrainOptions) -> Vec<f64> {
    let user = |r: &Row| {
        let decision = if is_decision_source(&r.source) {
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
    let mut cells: BTreeMap<&str, [usize; 2]> = BTreeMap::new();
    let mut derived: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        let d = domain_of(options, &r.source);
        if r.derived {
            *derived.entry(d).or_default() += 1;
        } else {
            cells.entry(d).or_default()[usize::from(r.label)] += 1;
        }
    }
    let cell_count: usize = cells
        .values()
        .map(|c| if c[0] > 0 && c[1] > 0 { 2 } else { 1 })
        .sum();
    let labelled = rows.iter().filter(|r| !r.derived).count();
    // Scale so the total weight of the source-labelled rows stays about their number
    // (smoothing keeps its meaning).
    let per_cell = labelled.max(1) as f64 / cell_count.max(1) as f64;
    let per_derived = per_cell * options.derived_weight / derived.len().max(1) as f64;
    rows.iter()
        .map(|r| {
            let d = domain_of(options, &r.source);
            if r.derived {
                return user(r) * per_derived / derived[d] as f64;
            }
            let c = cells[d];
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

/// Sources whose (source-labelled) rows are all positive.
fn positive_only_sources<'a>(rows: &[&'a Row]) -> BTreeSet<&'a str> {
    let mut classes: BTreeMap<&str, [bool; 2]> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| !r.derived && !is_decision_source(&r.source))
    {
        classes.entry(&r.source).or_default()[usize::from(r.label)] = true;
    }
    classes
        .into_iter()
        .filter(|(_, c)| c[1] && !c[0])
        .map(|(s, _)| s)
        .collect()
}

/// Fits the model for `rows` over `vocabulary`, adding pseudo-negatives for the
/// positive-only sources when `options` asks for them (and there are other sources to
/// learn the first model from).
pub(super) fn fit_rows(
    rows: &[&Row],
    vocabulary: &[String],
    features: &FeatureConfig,
    alpha: f64,
    options: &TrainOptions,
    pseudo: Option<PseudoNegatives>,
    progress: &dyn Progress,
) -> Result<Fitted, TrainError> {
    let weights = balance_weights(rows, options);
    let mut inputs: Vec<FitRow<'_>> = rows
        .iter()
        .zip(&weights)
        .map(|(r, &weight)| FitRow {
            keys: &r.keys,
            label: r.label,
            weight,
            scale: None,
        })
        .collect();
    let single = positive_only_sources(rows);
    let mut scale = Vec::new();
    if let Some(p) = pseudo.filter(|_| !single.is_empty()) {
        let others: Vec<&Row> = rows
            .iter()
            .copied()
            .filter(|r| !single.contains(r.source.as_str()))
            .collect();
        let has_both = others.iter().any(|r| r.label) && others.iter().any(|r| !r.label);
        if has_both {
            let (_, first) = fit_rows(
                &others, vocabulary, features, alpha, options, None, progress,
            )?;
            scale = first[1]
                .iter()
                .zip(&first[0])
                .map(|(pos, neg)| (-p.sharpness * (pos - neg).max(0.0)).exp())
                .collect();
        }
    }
    if !scale.is_empty() {
        let p = pseudo.map_or(0.0, |p| p.weight);
        for (r, &weight) in rows.iter().zip(&weights) {
            if single.contains(r.source.as_str()) {
                inputs.push(FitRow {
                    keys: &r.keys,
                    label: false,
                    weight: weight * p,
                    scale: Some(&scale),
                });
            }
        }
    }
    fit(&inputs, vocabulary, features, alpha, progress)
}

/// Fits linfa's `MultinomialNb` on the rows, in dense batches, and returns the learned
/// `[neg, pos]` log-priors and feature log-probabilities over `vocabulary`.
fn fit(
    rows: &[FitRow<'_>],
    vocabulary: &[String],
    features: &FeatureConfig,
    alpha: f64,
    progress: &dyn Progress,
) -> Result<Fitted, TrainError> {
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
    let mut model: Option<MultinomialNb<f64, usize>> = None;
    // One dense buffer for all batches, cleared cell by cell: allocating and zeroing
    // BATCH_BYTES per batch would dominate the run time.
    let mut buffer = Array2::<f64>::zeros((batch_rows.min(rows.len()).max(1), columns));
    let mut touched: Vec<(usize, usize)> = Vec::new();
    for batch in rows.chunks(batch_rows) {
        for &(i, j) in &touched {
            buffer[[i, j]] = 0.0;
        }
        touched.clear();
        let mut y = Array1::<usize>::zeros(batch.len());
        for (i, row) in batch.iter().enumerate() {
            for key in row.keys {
                if let Some(&column) = index.get(key) {
                    touched.push((i, column));
                    let value = row.weight * row.scale.map_or(1.0, |s| s[column]);
                    let cell = &mut buffer[[i, column]];
                    *cell = if features.binary {
                        value
                    } else {
                        *cell + value
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
/// `joint_log_likelihood`, and `tests::linfa_layout_is_the_one_we_read` fails loudly if a
/// new linfa-bayes release changes the layout.
pub(super) fn extract(
    model: &MultinomialNb<f64, usize>,
    columns: usize,
) -> Result<Fitted, TrainError> {
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
