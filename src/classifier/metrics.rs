//! Quality metrics for a binary scorer: confusion matrix, precision, recall, F1, accuracy,
//! ROC AUC, and picking a threshold for a target precision.
//!
//! Conventions (the same as scikit-learn's, so figures compare): precision is 0 when
//! nothing is predicted positive, recall is 0 when there are no positives, F1 is 0 when
//! precision + recall is 0; a score at or above the threshold is predicted positive.
use serde::Serialize;

/// Counts of a binary decision against the truth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    pub tp: u64,
    pub fp: u64,
    pub tn: u64,
    #[serde(rename = "fn")]
    pub fn_: u64,
}

impl Confusion {
    /// Counts the decisions `score >= threshold` over `(score, truth)` pairs.
    pub fn at(scored: &[(f64, bool)], threshold: f64) -> Self {
        let mut c = Confusion::default();
        for &(score, truth) in scored {
            match (score >= threshold, truth) {
                (true, true) => c.tp += 1,
                (true, false) => c.fp += 1,
                (false, false) => c.tn += 1,
                (false, true) => c.fn_ += 1,
            }
        }
        c
    }

    pub fn support(&self) -> u64 {
        self.tp + self.fp + self.tn + self.fn_
    }

    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    pub fn accuracy(&self) -> f64 {
        ratio(self.tp + self.tn, self.support())
    }

    /// Share of the negatives that were flagged: for the service, the share of good
    /// comments that a moderator would have to look at.
    pub fn false_positive_rate(&self) -> f64 {
        ratio(self.fp, self.fp + self.tn)
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Area under the ROC curve: the probability that a random positive scores above a random
/// negative, ties counting one half (the Mann–Whitney U statistic). `None` when the
/// scored rows hold one class only.
pub fn roc_auc(scored: &[(f64, bool)]) -> Option<f64> {
    let positives = scored.iter().filter(|(_, t)| *t).count();
    let negatives = scored.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = scored.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Sum of the (average, for ties) ranks of the positives, ranks starting at 1.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j].0 == sorted[i].0 {
            j += 1;
        }
        let average_rank = (i + 1 + j) as f64 / 2.0;
        let tied_positives = sorted[i..j].iter().filter(|(_, t)| *t).count();
        rank_sum += average_rank * tied_positives as f64;
        i = j;
    }
    let (p, n) = (positives as f64, negatives as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

/// All the figures `evaluate` reports for one task, at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Report {
    pub support: u64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub accuracy: f64,
    pub roc_auc: Option<f64>,
    #[serde(flatten)]
    pub confusion: Confusion,
}

impl Report {
    pub fn new(scored: &[(f64, bool)], threshold: f64) -> Self {
        let confusion = Confusion::at(scored, threshold);
        Report {
            support: confusion.support(),
            precision: confusion.precision(),
            recall: confusion.recall(),
            f1: confusion.f1(),
            accuracy: confusion.accuracy(),
            roc_auc: roc_auc(scored),
            confusion,
        }
    }
}

/// The lowest threshold (among the scores seen) at which precision reaches `target`, with
/// a floor of `min_positives` true positives so a threshold is not picked on a handful of
/// rows. Lower thresholds buy recall, so the lowest qualifying one is the best. `None` if
/// no threshold reaches the target.
pub fn threshold_for_precision(
    scored: &[(f64, bool)],
    target: f64,
    min_positives: u64,
) -> Option<f64> {
    let mut sorted: Vec<(f64, bool)> = scored.to_vec();
    // Highest score first: walking down lowers the threshold one distinct score at a time.
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut best = None;
    let mut i = 0;
    while i < sorted.len() {
        let score = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == score {
            if sorted[i].1 {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        if tp >= min_positives && tp as f64 >= target * (tp + fp) as f64 {
            best = Some(score);
        }
    }
    best
}

/// The threshold (among the scores seen) with the highest F-beta score among those that
/// flag at most `max_fpr` of the negatives; beta < 1 weighs precision above recall.
/// `None` when there are no positives or no threshold stays within `max_fpr`.
pub fn threshold_max_fbeta(scored: &[(f64, bool)], beta: f64, max_fpr: f64) -> Option<f64> {
    let positives = scored.iter().filter(|s| s.1).count() as f64;
    let negatives = scored.len() as f64 - positives;
    if positives == 0.0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = scored.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let b2 = beta * beta;
    let (mut tp, mut flagged) = (0.0, 0.0);
    let mut best: Option<(f64, f64)> = None;
    let mut i = 0;
    while i < sorted.len() {
        let score = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == score {
            tp += f64::from(u8::from(sorted[i].1));
            flagged += 1.0;
            i += 1;
        }
        let fp = flagged - tp;
        if fp > max_fpr * negatives {
            break;
        }
        // F-beta = (1 + b²)·TP / ((1 + b²)·TP + b²·FN + FP)
        let f = (1.0 + b2) * tp / ((1.0 + b2) * tp + b2 * (positives - tp) + fp);
        if best.is_none_or(|(bf, _)| f > bf) {
            best = Some((f, score));
        }
    }
    best.map(|(_, score)| score)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A confusion matrix worked out by hand: 3 TP, 1 FP, 4 TN, 2 FN.
    #[test]
    fn hand_checked_confusion_matrix() {
        let scored = [
            (0.9, true),
            (0.8, true),
            (0.7, false),
            (0.6, true),
            (0.4, true),
            (0.3, false),
            (0.2, false),
            (0.1, true),
            (0.05, false),
            (0.0, false),
        ];
        let r = Report::new(&scored, 0.5);
        assert_eq!(
            r.confusion,
            Confusion {
                tp: 3,
                fp: 1,
                tn: 4,
                fn_: 2
            }
        );
        assert_eq!(r.support, 10);
        assert!((r.precision - 0.75).abs() < 1e-12);
        assert!((r.recall - 0.6).abs() < 1e-12);
        assert!((r.f1 - 2.0 * 0.75 * 0.6 / 1.35).abs() < 1e-12);
        assert!((r.accuracy - 0.7).abs() < 1e-12);
        // Pairs (positive above negative): 0.9,0.8 beat all 5 negatives = 10; 0.6 beats 4;
        // 0.4 beats 4; 0.1 beats 2 → 20 of 25.
        assert!((r.roc_auc.unwrap() - 0.8).abs() < 1e-12);
    }

    /// Ties between a positive and a negative count one half.
    #[test]
    fn auc_counts_ties_as_half() {
        assert_eq!(roc_auc(&[(0.5, true), (0.5, false)]), Some(0.5));
        assert_eq!(roc_auc(&[(0.9, true), (0.1, false)]), Some(1.0));
    }

    /// One class only: no AUC; nothing predicted positive: precision 0, not NaN.
    #[test]
    fn degenerate_cases() {
        assert_eq!(roc_auc(&[(0.5, true), (0.7, true)]), None);
        let r = Report::new(&[(0.1, true), (0.2, false)], 0.9);
        assert_eq!(r.precision, 0.0);
        assert_eq!(r.f1, 0.0);
    }

    /// F-beta picks the threshold balancing precision and recall as weighted.
    #[test]
    fn threshold_for_best_fbeta() {
        let scored = [
            (0.9, true),
            (0.8, true),
            (0.7, false),
            (0.6, true),
            (0.5, false),
        ];
        // F1 at 0.8: P=1, R=2/3 → 0.8; at 0.6: P=3/4, R=1 → 0.857.
        assert_eq!(threshold_max_fbeta(&scored, 1.0, 1.0), Some(0.6));
        // F0.5 at 0.8: 1.25·2/(1.25·2 + 0.25·1) = 0.909; at 0.6: 3.75/(3.75+1) = 0.789.
        assert_eq!(threshold_max_fbeta(&scored, 0.5, 1.0), Some(0.8));
        // Holding at most a third of the 2 negatives rules out 0.6 (1 of 2 held).
        assert_eq!(threshold_max_fbeta(&scored, 1.0, 0.34), Some(0.8));
        assert_eq!(threshold_max_fbeta(&[(0.1, false)], 1.0, 1.0), None);
    }

    /// The chosen threshold is the lowest score at which precision still meets the target.
    #[test]
    fn threshold_for_target_precision() {
        let scored = [
            (0.95, true),
            (0.9, true),
            (0.85, true),
            (0.8, false),
            (0.7, true),
            (0.6, true),
            (0.5, false),
            (0.4, false),
        ];
        // At 0.6: 5 TP, 1 FP → 0.833; at 0.85: 3/3 = 1.0; at 0.7: 4/5 = 0.8.
        assert_eq!(threshold_for_precision(&scored, 0.83, 1), Some(0.6));
        assert_eq!(threshold_for_precision(&scored, 0.9, 1), Some(0.85));
        assert_eq!(threshold_for_precision(&scored, 0.9, 4), None);
    }
}
