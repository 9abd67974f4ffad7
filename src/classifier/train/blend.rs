//! Blending a site's moderation decisions into the base model (see
//! [`super::DecisionMode::Blend`]): a per-site naive Bayes whose prior is the base model.
use std::collections::{BTreeMap, BTreeSet};

use super::rows::Row;
use super::DECISION_FOLDS;
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
