//! Choosing the decision thresholds: a *hold budget* on ordinary comments from sources the
//! model was not trained on, and a precision floor for automatic rejection.
//!
//! # Why a budget
//! A held comment costs a moderator's time and a reader's trust, and how many comments a
//! newsroom can review is what decides whether it can use the service at all. A
//! precision target chosen on a mix of corpora says little about that: the previous
//! models met theirs and still held a third of ordinary news comments. So the hold
//! threshold is the lowest one at which at most `budget` of ordinary comments would be
//! held, estimated on comments of sources the model did not see (each source held out in
//! turn, see `train_task`); every source counts equally, whatever its size. The same
//! estimate, for a grid of budgets, is stored in the model file
//! ([`crate::classifier::model::ModelFile::ordinary_held`]) so a site can ask for its own
//! budget without retraining.
use std::collections::BTreeMap;

use super::TrainOptions;
use crate::classifier::data::Task;
use crate::classifier::metrics::{threshold_for_precision, threshold_max_fbeta};
use crate::classifier::model::Thresholds;

/// Probabilities of held-out ordinary comments, by source.
#[derive(Debug, Default, Clone)]
pub struct OrdinaryPool {
    by_source: BTreeMap<String, Vec<f64>>,
}

/// Budgets (shares of ordinary comments held) the model file records thresholds for.
pub const BUDGET_GRID: &[f64] = &[
    0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009, 0.01, 0.0125, 0.015, 0.0175,
    0.02, 0.0225, 0.025, 0.0275, 0.03, 0.035, 0.04, 0.045, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.12,
    0.14, 0.16, 0.18, 0.2, 0.25, 0.3,
];

impl OrdinaryPool {
    pub fn add(&mut self, source: &str, probability: f64) {
        self.by_source
            .entry(source.to_owned())
            .or_default()
            .push(probability);
    }

    pub fn is_empty(&self) -> bool {
        self.by_source.values().all(Vec::is_empty)
    }

    /// `(source, rows, share held at threshold)` for every source.
    pub fn held_by_source(&self, threshold: f64) -> Vec<(String, usize, f64)> {
        self.by_source
            .iter()
            .map(|(source, scores)| {
                let held = scores.iter().filter(|&&p| p >= threshold).count();
                (
                    source.clone(),
                    scores.len(),
                    held as f64 / scores.len().max(1) as f64,
                )
            })
            .collect()
    }

    /// The share held at `threshold`: the mean over sources of each source's share.
    pub fn held(&self, threshold: f64) -> f64 {
        let by_source = self.held_by_source(threshold);
        if by_source.is_empty() {
            return 0.0;
        }
        by_source.iter().map(|s| s.2).sum::<f64>() / by_source.len() as f64
    }

    /// Every score with its weight in the mean over sources, highest score first.
    fn weighted(&self) -> Vec<(f64, f64)> {
        let sources = self.by_source.values().filter(|s| !s.is_empty()).count();
        let mut all: Vec<(f64, f64)> = self
            .by_source
            .values()
            .filter(|s| !s.is_empty())
            .flat_map(|scores| {
                let w = 1.0 / (sources * scores.len()) as f64;
                scores.iter().map(move |&p| (p, w))
            })
            .collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0));
        all
    }

    /// The lowest threshold (among the scores seen) that holds at most `budget` of the
    /// ordinary comments; just above the highest score when even that one would exceed
    /// it. `None` for an empty pool.
    pub fn threshold_for_budget(&self, budget: f64) -> Option<f64> {
        self.thresholds_for(&[budget]).pop()
    }

    /// [`Self::threshold_for_budget`] for each budget (ascending), in one pass.
    fn thresholds_for(&self, budgets: &[f64]) -> Vec<f64> {
        let all = self.weighted();
        let Some(&(top, _)) = all.first() else {
            return Vec::new();
        };
        let above_top = (top + 1e-12).min(1.0).max(top);
        let mut out = Vec::with_capacity(budgets.len());
        let mut best = above_top;
        let mut cumulative = 0.0;
        let mut i = 0;
        let mut next = 0;
        while i < all.len() && next < budgets.len() {
            let score = all[i].0;
            let mut step = 0.0;
            let mut j = i;
            while j < all.len() && all[j].0 == score {
                step += all[j].1;
                j += 1;
            }
            // Tolerance for the rounding of summed weights.
            while next < budgets.len() && cumulative + step > budgets[next] + 1e-12 {
                out.push(best);
                next += 1;
            }
            cumulative += step;
            best = score;
            i = j;
        }
        while out.len() < budgets.len() {
            out.push(best);
        }
        out
    }

    /// `[budget, threshold]` for every budget of [`BUDGET_GRID`].
    pub fn budget_table(&self) -> Vec<[f64; 2]> {
        if self.is_empty() {
            return Vec::new();
        }
        BUDGET_GRID
            .iter()
            .zip(self.thresholds_for(BUDGET_GRID))
            .map(|(&b, t)| [b, t])
            .collect()
    }
}

/// A threshold is not chosen on fewer true positives than this.
pub(super) const MIN_THRESHOLD_POSITIVES: u64 = 10;

/// The thresholds of `task`'s model, chosen on the calibrated held-out scores
/// `threshold_pool` and the held-out ordinary comments `ordinary`: the hold threshold by
/// the hold budget (or a precision target, [`TrainOptions::hold_precision`]), the reject
/// threshold by the rejection precision floor. Also says, in words, how the hold
/// threshold was chosen and whether its target could be met.
pub(super) fn choose(
    task: Task,
    options: &TrainOptions,
    threshold_pool: &[(f64, bool)],
    ordinary: &OrdinaryPool,
) -> (Thresholds, String, bool) {
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
    (thresholds, hold_rule, hold_target_met)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(sources: &[(&str, &[f64])]) -> OrdinaryPool {
        let mut p = OrdinaryPool::default();
        for (s, scores) in sources {
            for &x in *scores {
                p.add(s, x);
            }
        }
        p
    }

    /// Ten scores in one source: a 10% budget holds the top one, 20% the top two.
    #[test]
    fn budget_picks_the_lowest_threshold_within_it() {
        let scores: Vec<f64> = (1..=10).map(|i| f64::from(i) / 20.0).collect();
        let p = pool(&[("a", &scores)]);
        assert_eq!(p.threshold_for_budget(0.1), Some(0.5));
        assert_eq!(p.threshold_for_budget(0.2), Some(0.45));
        assert_eq!(p.threshold_for_budget(0.25), Some(0.45));
        assert!((p.held(0.45) - 0.2).abs() < 1e-12);
        // Nothing can be held within a 5% budget: the threshold is above every score.
        let t = p.threshold_for_budget(0.05).unwrap();
        assert!(t > 0.5 && p.held(t) == 0.0, "{t}");
        assert_eq!(OrdinaryPool::default().threshold_for_budget(0.1), None);
    }

    /// Sources count equally: a small source's comments weigh more each.
    #[test]
    fn sources_weigh_equally() {
        let big: Vec<f64> = vec![0.1; 100];
        let p = pool(&[("big", &big), ("small", &[0.9, 0.1])]);
        // Holding the one high score of "small" holds 50% of it, 25% on average.
        let t = p.threshold_for_budget(0.2).unwrap();
        assert!(t > 0.9 && p.held(t) == 0.0, "{t}");
        assert_eq!(p.threshold_for_budget(0.25), Some(0.9));
        let held = p.held_by_source(0.9);
        assert_eq!(
            held,
            vec![("big".into(), 100, 0.0), ("small".into(), 2, 0.5)]
        );
    }

    /// Ties are held together or not at all.
    #[test]
    fn ties_move_together() {
        let p = pool(&[("a", &[0.5, 0.5, 0.5, 0.1])]);
        assert!(p.threshold_for_budget(0.5).unwrap() > 0.5);
        assert_eq!(p.threshold_for_budget(0.75), Some(0.5));
    }

    /// The table is monotone: a larger budget never gets a higher threshold.
    #[test]
    fn table_is_monotone() {
        let scores: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        let table = pool(&[("a", &scores)]).budget_table();
        assert_eq!(table.len(), BUDGET_GRID.len());
        assert!(table.windows(2).all(|w| w[0][1] >= w[1][1]));
        for [budget, threshold] in table {
            let held = scores.iter().filter(|&&s| s >= threshold).count() as f64 / 1000.0;
            assert!(held <= budget + 1e-9, "{budget} {threshold} {held}");
        }
    }
}
