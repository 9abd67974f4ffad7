//! Training: corpus → labelled, de-duplicated, split rows → vocabulary → `MultinomialNb`
//! fitted in batches → calibration and thresholds chosen on cross-source validation → a
//! [`ModelFile`].
//!
//! - `options.rs`: everything that shapes a model ([`TrainOptions`], [`DecisionMode`]);
//! - `task.rs`: [`train_task`], one task end to end;
//! - `rows.rs`: labelling, de-duplication, the validation split, the vocabulary;
//! - `cross_source.rs`: the units held out in turn, their scores, the same-domain proxies;
//! - `fit.rs`: balancing sources, pseudo-negatives, fitting linfa-bayes in batches, one
//!   model from rows;
//! - `blend.rs`: moderators' decisions blended into the base model;
//! - `calibrate.rs`: evidence → probability (Platt scaling);
//! - `thresholds.rs`: the hold budget and the rejection precision floor;
//! - `outcome.rs`: what training reports ([`TaskOutcome`]).
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
//! `thresholds.rs`); the held-out positives and negatives together set the rejection
//! threshold, for precision.
//!
//! # Memory
//! linfa's `MultinomialNb` takes dense rows, so rows are fed through `fit_with` in
//! batches sized to a fixed memory budget: memory stays flat as the corpus grows, and the
//! vocabulary is bounded by `max_features`.
mod blend;
mod calibrate;
mod cross_source;
mod fit;
mod options;
mod outcome;
mod rows;
mod task;
mod thresholds;

#[cfg(test)]
mod tests;

pub use calibrate::fit_calibration;
pub use fit::PseudoNegatives;
pub use options::{DecisionMode, TrainOptions, BLEND_STRENGTHS};
pub use outcome::{DomainProxy, FoldReport, OrdinaryHeld, TaskOutcome};
pub use task::train_task;
pub use thresholds::{OrdinaryPool, BUDGET_GRID};

use crate::classifier::data::Task;

/// Rows whose `source` starts with this are moderators' decisions (see
/// `commentguard export-decisions`), used as [`TrainOptions::decision_mode`] says.
pub const DECISIONS_SOURCE_PREFIX: &str = "decisions:";
/// Folds the decisions are split into for their held-out scores in [`DecisionMode::Blend`].
const DECISION_FOLDS: usize = 5;

/// Whether rows of `source` are moderators' decisions.
pub fn is_decision_source(source: &str) -> bool {
    source.starts_with(DECISIONS_SOURCE_PREFIX)
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
