//! What training reports: per task a [`TaskOutcome`] (the model file and the figures it
//! was chosen on), per held-out unit a [`FoldReport`], per source the ordinary comments
//! held ([`OrdinaryHeld`]), and the same-domain proxies ([`DomainProxy`]).
use serde::Serialize;

use super::rows::{labelling_decision, Prepared, Row};
use super::TrainOptions;
use crate::classifier::data::{Corpus, Task};
use crate::classifier::metrics::Report;
use crate::classifier::model::{ModelFile, Thresholds};

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
    /// Rows labelled by a labelling decision (human conversation as spam = 0,
    /// advertisements as abuse = 0).
    pub derived_rows: usize,
    /// What those rows are, in words.
    pub derived_rows_are: &'static str,
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

impl TaskOutcome {
    /// The model file's `training` metadata: the files and rows it was trained on, the
    /// options, and the figures above.
    pub(super) fn metadata(
        &self,
        task: Task,
        corpus: &Corpus,
        prepared: &Prepared,
        train_rows: &[&Row],
        options: &TrainOptions,
    ) -> serde_json::Value {
        serde_json::json!({
            "files": corpus.files,
            "rows": {
                "labelled": prepared.rows.len() + prepared.duplicates + prepared.empty,
                "duplicates_dropped": prepared.duplicates,
                "empty_dropped": prepared.empty,
                "derived_labels": prepared.derived,
                "train": self.train_rows,
                "validation": self.validation_rows,
                "train_positive": train_rows.iter().filter(|r| r.label).count(),
            },
            "labelling_decisions": if prepared.derived > 0 {
                vec![labelling_decision(task).1]
            } else {
                Vec::new()
            },
            "options": options,
            "linfa_bayes": "0.8.1 MultinomialNb, fitted with fit_with in batches",
            "validation": self.validation,
            "cross_source": self.cross_source,
            "cross_source_pooled": self.cross_source_pooled,
            "hold_rule": self.hold_rule,
            "hold_target_met": self.hold_target_met,
            "ordinary_held": self.ordinary_held,
            "ordinary_held_mean": self.ordinary_held_mean,
            "domain_proxies": self.domain_proxies,
            "thresholds_chosen_on": self.thresholds_chosen_on,
            "blend_strength": self.blend_strength,
        })
    }
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
