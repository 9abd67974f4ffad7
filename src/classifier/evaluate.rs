//! Judging a classifier on labelled comments: the figures `commentguard evaluate` prints.
//!
//! Every row is scored with both models (exactly as the service scores a comment); each
//! task with labelled rows gets a [`Report`] at the hold threshold stored with its model.
//! The output shape is a stable interface: it is how every model, ours or a retrained
//! one, is compared.
use std::time::Instant;

use serde::Serialize;

use super::data::{Corpus, Task};
use super::metrics::Report;
use super::model::Classifier;

/// The result of `evaluate`, serialised as its `--json` output.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub spam: Option<Report>,
    pub abuse: Option<Report>,
    /// Rows scored (both models) per second of wall time.
    pub comments_per_second: f64,
}

impl Evaluation {
    pub fn get(&self, task: Task) -> Option<&Report> {
        match task {
            Task::Spam => self.spam.as_ref(),
            Task::Abuse => self.abuse.as_ref(),
        }
    }
}

/// Scores every row of `corpus` with `classifier` and reports per task.
pub fn evaluate(classifier: &Classifier, corpus: &Corpus) -> Evaluation {
    let started = Instant::now();
    let scores: Vec<_> = corpus
        .examples
        .iter()
        .map(|e| classifier.score(&e.text))
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    let report = |task: Task| {
        let scored: Vec<(f64, bool)> = corpus
            .examples
            .iter()
            .zip(&scores)
            .filter_map(|(e, s)| e.label(task).map(|truth| (s.get(task).probability, truth)))
            .collect();
        if scored.is_empty() {
            return None;
        }
        let hold = classifier.thresholds(task).hold;
        Some(Report::new(&scored, hold))
    };
    Evaluation {
        spam: report(Task::Spam),
        abuse: report(Task::Abuse),
        comments_per_second: if elapsed > 0.0 {
            corpus.examples.len() as f64 / elapsed
        } else {
            0.0
        },
    }
}
