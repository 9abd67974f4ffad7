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
//!
//! # Negatives found by searching for abusive words
//! Davidson et al. collected their tweets by searching for the words of a hate-speech
//! lexicon, so their "neither" tweets are not ordinary tweets: each contains a lexicon
//! word (`hoe`, `dyke`, `cracker`, `beaner`) used harmlessly. Balanced like any other
//! cell, they taught that a lexicon word says little (models trained so: `beaner` +0.09,
//! `crackers` −1.54, `hoe` +2.39, less than `damn`), and a third of the abusive tweets
//! those models missed turned on `hoe` alone. [`TrainOptions::searched_negatives`] gives
//! such a source's negative cell a smaller share of a balanced cell (its positive cell
//! keeps the full share); measured at [`super::options::SEARCHED_NEGATIVES`].
use std::collections::{BTreeMap, BTreeSet, HashMap};

use linfa::dataset::DatasetBase;
use linfa::traits::FitWith;
use linfa::ParamGuard;
use linfa_bayes::{MultinomialNb, MultinomialNbValidParams};
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};

use super::rows::{choose_vocabulary, Row};
use super::{is_decision_source, Progress, TrainError, TrainOptions};
use crate::classifier::data::Task;
use crate::classifier::model::{Calibration, ModelFile, TaskModel, FORMAT_NAME, FORMAT_VERSION};
use crate::classifier::tokenize::TOKENIZER_VERSION;
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
        if r.derived() {
            *derived.entry(d).or_default() += 1;
        } else {
            cells.entry(d).or_default()[usize::from(r.label)] += 1;
        }
    }
    let cell_count: usize = cells
        .values()
        .map(|c| if c[0] > 0 && c[1] > 0 { 2 } else { 1 })
        .sum();
    let labelled = rows.iter().filter(|r| !r.derived()).count();
    // Scale so the total weight of the source-labelled rows stays about their number
    // (smoothing keeps its meaning).
    let per_cell = labelled.max(1) as f64 / cell_count.max(1) as f64;
    let per_derived = per_cell / derived.len().max(1) as f64;
    rows.iter()
        .map(|r| {
            let d = domain_of(options, &r.source);
            if r.derived() {
                let cells = if r.advertising() {
                    options.advertising_weight
                } else {
                    options.derived_weight
                };
                return user(r) * per_derived * cells / derived[d] as f64;
            }
            let c = cells[d];
            let both = c[0] > 0 && c[1] > 0;
            let target = if both {
                per_cell
            } else {
                per_cell * options.single_class_weight
            };
            let searched = if r.label {
                1.0
            } else {
                options.searched_negatives.get(d).copied().unwrap_or(1.0)
            };
            user(r) * target * searched / c[usize::from(r.label)] as f64
        })
        .collect()
}

/// Sources whose (source-labelled) rows are all positive.
fn positive_only_sources<'a>(rows: &[&'a Row]) -> BTreeSet<&'a str> {
    let mut classes: BTreeMap<&str, [bool; 2]> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| !r.derived() && !is_decision_source(&r.source))
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

// ---------------------------------------------------------------------------------------
// One model: fitted, wrapped in a model file, scoring rows.

/// Trains one model on `rows` over the given vocabulary: the one place a model is fitted,
/// so the one place that checks both classes are there.
pub(super) fn train_model_on(
    task: Task,
    rows: &[&Row],
    vocabulary: Vec<String>,
    options: &TrainOptions,
    progress: &dyn Progress,
) -> Result<TaskModel, TrainError> {
    check_classes(task, rows)?;
    let features = options.features(task);
    let (class_log_prior, feature_log_prob) = fit_rows(
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
pub(super) fn train_model(
    task: Task,
    rows: &[&Row],
    strings: &HashMap<u64, String>,
    options: &TrainOptions,
    progress: &dyn Progress,
) -> Result<TaskModel, TrainError> {
    let vocabulary = choose_vocabulary(
        rows,
        strings,
        &options.features(task),
        options.left_out(task),
    );
    train_model_on(task, rows, vocabulary, options, progress)
}

/// Both classes must be among `rows`, and some of them labelled by their source (rows a
/// labelling decision labels alone, such as advertisements for abuse, are no corpus).
pub(super) fn check_classes(task: Task, rows: &[&Row]) -> Result<(), TrainError> {
    if rows.iter().all(|r| r.derived()) {
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
pub(super) fn score_rows(model: &TaskModel, rows: &[&Row]) -> Vec<(f64, bool)> {
    let mut features: Vec<(u32, f64)> = Vec::new();
    rows.iter()
        .map(|row| {
            model.vectorize_keys(&row.keys, &mut features);
            let jll = model.joint_log_likelihood(&features);
            (model.evidence(&features, jll[1] - jll[0]), row.label)
        })
        .collect()
}

/// Reads the learned parameters out of a fitted linfa model. linfa keeps them private but
/// serialises them (feature `serde`), so they are taken from its serde form exactly, bit
/// for bit; `train::tests::sparse_scores_match_linfa` checks the result against linfa's
/// own `joint_log_likelihood`, and `tests::linfa_layout_is_the_one_we_read` (below) fails
/// loudly if a new linfa-bayes release changes the layout (the dependency is pinned).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::train::rows::Derived;
    use linfa_bayes::NaiveBayes;
    use ndarray::array;

    fn row(source: &str, label: bool) -> Row {
        Row {
            example: 0,
            keys: Vec::new(),
            label,
            source: source.to_string(),
            group: source.to_string(),
            validation: false,
            how: Derived::No,
        }
    }

    /// Every (source, class) cell weighs the same, except the negative cell of a source
    /// whose negatives were found by searching for abusive words, which gets its share.
    #[test]
    fn searched_negatives_get_their_share_of_a_cell() {
        let rows = [
            row("tweets", true),
            row("tweets", true),
            row("tweets", true),
            row("tweets", false),
            row("talk", true),
            row("talk", false),
            row("talk", false),
        ];
        let refs: Vec<&Row> = rows.iter().collect();
        let cell = |weights: &[f64], source: &str, label: bool| -> f64 {
            rows.iter()
                .zip(weights)
                .filter(|(r, _)| r.source == source && r.label == label)
                .map(|(_, w)| w)
                .sum()
        };
        let plain = balance_weights(
            &refs,
            &TrainOptions {
                searched_negatives: BTreeMap::new(),
                ..TrainOptions::default()
            },
        );
        for (source, label) in [("tweets", false), ("talk", true), ("talk", false)] {
            assert!((cell(&plain, source, label) - cell(&plain, "tweets", true)).abs() < 1e-9);
        }
        let options = TrainOptions {
            searched_negatives: BTreeMap::from([("tweets".to_string(), 0.5)]),
            ..TrainOptions::default()
        };
        let searched = balance_weights(&refs, &options);
        let full = cell(&searched, "tweets", true);
        assert!((cell(&searched, "tweets", false) - 0.5 * full).abs() < 1e-9);
        assert!((cell(&searched, "talk", true) - full).abs() < 1e-9);
        assert!((cell(&searched, "talk", false) - full).abs() < 1e-9);
    }

    const LAYOUT_CHANGED: &str = "linfa-bayes no longer serialises MultinomialNb the way \
        `fit::extract` reads it (`class_info.{0,1}.prior` and `.feature_log_prob`, an \
        ndarray): read the new layout in `extract` before moving the `=0.8.1` pin in \
        Cargo.toml, and retrain";

    /// The learned parameters are read out of linfa-bayes' serde form, its fields being
    /// private. The dependency is pinned (`=0.8.1`); if an upgrade changes the layout,
    /// this fails and says what to do, instead of training stopping with a serde error
    /// or reading the wrong numbers.
    #[test]
    fn linfa_layout_is_the_one_we_read() {
        // Two classes, three features.
        let x = array![[2., 0., 1.], [3., 0., 0.], [0., 2., 1.], [0., 3., 0.]];
        let y = array![0usize, 0, 1, 1];
        let params: MultinomialNbValidParams<f64, usize> =
            MultinomialNb::params().check().expect("default parameters");
        let model = params
            .fit_with(None, &DatasetBase::new(x.view(), y))
            .expect("fitted");

        let value = serde_json::to_value(&model).expect(LAYOUT_CHANGED);
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut keys: Vec<String> = v
                .as_object()
                .expect(LAYOUT_CHANGED)
                .keys()
                .cloned()
                .collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(&value), ["class_info"], "{LAYOUT_CHANGED}");
        assert_eq!(keys(&value["class_info"]), ["0", "1"], "{LAYOUT_CHANGED}");
        for class in ["0", "1"] {
            let histogram = &value["class_info"][class];
            assert_eq!(
                keys(histogram),
                ["class_count", "feature_count", "feature_log_prob", "prior"],
                "{LAYOUT_CHANGED}"
            );
            assert_eq!(
                histogram["feature_log_prob"]["dim"],
                serde_json::json!([3]),
                "{LAYOUT_CHANGED}"
            );
        }

        // What `extract` reads are linfa's own numbers: its joint log-likelihood.
        let (prior, log_prob) = extract(&model, 3).expect(LAYOUT_CHANGED);
        let jll = model.joint_log_likelihood(x.view());
        for (i, row) in x.rows().into_iter().enumerate() {
            for class in 0..2 {
                let ours = prior[class]
                    + row
                        .iter()
                        .zip(&log_prob[class])
                        .map(|(count, p)| count * p)
                        .sum::<f64>();
                assert!(
                    (ours - jll[&class][i]).abs() < 1e-12,
                    "class {class}, row {i}: {LAYOUT_CHANGED}"
                );
            }
        }
    }
}
