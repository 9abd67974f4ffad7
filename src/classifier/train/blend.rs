//! Blending a site's moderation decisions into the base model (see
//! [`super::DecisionMode::Blend`]): a per-site naive Bayes whose prior is the base model.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::cross_source::Fold;
use super::fit::{score_rows, train_model_on};
use super::rows::{choose_vocabulary, Row};
use super::{
    Progress, TrainError, TrainOptions, BLEND_STRENGTHS, DECISIONS_SOURCE_PREFIX, DECISION_FOLDS,
};
use crate::classifier::data::Task;
use crate::classifier::metrics::roc_auc;
use crate::classifier::model::{ModelFile, TaskModel};
use crate::classifier::vectorize::unigram_key;

/// What a site's decisions contribute to a blended model: per class `[neg, pos]`, the
/// number of decisions and the sum of their feature vectors over the model's vocabulary.
pub(super) struct SiteCounts {
    pub decisions: [f64; 2],
    pub features: [Vec<f64>; 2],
}

impl SiteCounts {
    pub(super) fn new(model: &TaskModel, rows: &[&Row]) -> SiteCounts {
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
pub(super) fn blend(base: &ModelFile, site: &SiteCounts, strength: f64) -> ModelFile {
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
pub(super) fn decision_folds(rows: &[&Row]) -> Vec<Vec<usize>> {
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

/// The model that ships in blend mode: the base model fitted on `base_rows` (over the base
/// corpora's vocabulary and the decisions' own), with `decision_rows` blended in. With
/// cross-validation on, the blend strength is chosen on the held-out decisions (when
/// [`TrainOptions::blend_strength_auto`] is on) and each decision fold's held-out scores
/// are added to `folds`. Returns the model and the strength used.
pub(super) fn blended_model(
    task: Task,
    base_rows: &[&Row],
    decision_rows: &[&Row],
    strings: &HashMap<u64, String>,
    options: &TrainOptions,
    progress: &dyn Progress,
    folds: &mut Vec<Fold>,
) -> Result<(TaskModel, f64), TrainError> {
    let left_out = options.left_out(task);
    let mut blend_strength = options.blend_strength;
    let features = options.features(task);
    let mut vocabulary = choose_vocabulary(base_rows, strings, &features, left_out);
    vocabulary.extend(choose_vocabulary(
        decision_rows,
        strings,
        &features,
        left_out,
    ));
    vocabulary.sort_unstable();
    vocabulary.dedup();
    let base = train_model_on(task, base_rows, vocabulary, options, progress)?;
    let blended = |rows: &[&Row], strength: f64| {
        let file = blend(base.file(), &SiteCounts::new(&base, rows), strength);
        TaskModel::from_file(file, std::path::Path::new(task.name()))
            .map_err(|e| TrainError::Linfa(e.to_string()))
    };
    let decision_fold_rows = decision_folds(decision_rows);
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
    Ok((blended(decision_rows, blend_strength)?, blend_strength))
}
