//! Training one task end to end: rows, cross-source validation, the model that ships
//! (fitted, or blended with moderators' decisions), calibration, thresholds, and the
//! report ([`train_task`]).
use super::calibrate::fit_calibration;
use super::cross_source::{self, Fold};
use super::fit::{check_classes, score_rows, train_model};
use super::outcome::{FoldReport, OrdinaryHeld, TaskOutcome};
use super::rows::{labelling_decision, prepare, Row};
use super::thresholds::{self, OrdinaryPool, MIN_THRESHOLD_POSITIVES};
use super::{
    blend, is_decision_source, DecisionMode, Progress, TrainError, TrainOptions,
    DECISIONS_SOURCE_PREFIX,
};
use crate::classifier::data::{Corpus, Task};
use crate::classifier::metrics::Report;
use crate::classifier::model::Calibration;

/// Moderators' approvals needed before the hold budget is measured on them alone.
const MIN_DECISION_NEGATIVES: usize = 50;

fn is_decision(row: &Row) -> bool {
    is_decision_source(&row.source)
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
    if blending {
        // The base model is fitted without the decisions: it needs both classes too.
        check_classes(task, &base_rows)?;
    }

    // Cross-source validation inside the training split: every held-out unit is scored
    // by a model that never saw it.
    let mut folds: Vec<Fold> = if options.cross_validate {
        cross_source::folds(
            task,
            &base_rows,
            &validation_rows,
            &prepared.strings,
            options,
            progress,
        )?
    } else {
        Vec::new()
    };

    // The model that ships: all of the training split.
    progress.start(&format!("{task}: final model"), base_rows.len() as u64);
    let mut blend_strength = options.blend_strength;
    let model = if blending {
        let (model, strength) = blend::blended_model(
            task,
            &base_rows,
            &decision_rows,
            &prepared.strings,
            options,
            progress,
            &mut folds,
        )?;
        blend_strength = strength;
        model
    } else {
        train_model(task, &train_rows, &prepared.strings, options, progress)?
    };

    let pooled: Vec<(f64, bool)> = folds
        .iter()
        .flat_map(|f| f.scored.iter().copied())
        .collect();
    // Without cross-source scores, calibrate on the training rows themselves (optimistic).
    // A slope that is not positive means the held-out scores rank backwards (tiny or
    // unrelated corpora): a calibration must never invert the model, so it is then taken
    // from the training rows, and failing that left as the identity.
    let identity = Calibration {
        slope: 1.0,
        intercept: 0.0,
    };
    let calibration = [pooled.clone(), score_rows(&model, &train_rows)]
        .iter()
        .filter(|scored| !scored.is_empty())
        .map(|scored| fit_calibration(scored))
        .find(|c| c.slope > 0.0)
        .unwrap_or(identity);
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
    let decision_folds_only = |f: &&Fold| f.unit.starts_with(DECISIONS_SOURCE_PREFIX);
    let decisions: Vec<(f64, bool)> = folds
        .iter()
        .filter(decision_folds_only)
        .flat_map(|f| to_probability(&f.scored))
        .collect();
    let on_decisions = decisions.iter().filter(|s| s.1).count() as u64 >= MIN_THRESHOLD_POSITIVES
        || decisions.iter().filter(|s| !s.1).count() >= MIN_DECISION_NEGATIVES;
    let threshold_pool = if on_decisions { &decisions } else { &pooled };
    // The ordinary comments the hold budget counts: held-out negatives, by source.
    let mut ordinary = OrdinaryPool::default();
    let mut excluded = OrdinaryPool::default();
    for fold in folds
        .iter()
        .filter(|f| on_decisions == f.unit.starts_with(DECISIONS_SOURCE_PREFIX))
    {
        for (&(x, truth), source) in fold.scored.iter().zip(&fold.sources) {
            if !truth {
                let pool = if options.budget_excluded_sources.contains(source) {
                    &mut excluded
                } else {
                    &mut ordinary
                };
                pool.add(source, calibration.probability(x));
            }
        }
    }

    let budget = options.hold_budget(task);
    let (thresholds, hold_rule, hold_target_met) =
        thresholds::choose(task, options, threshold_pool, &ordinary);

    let cross_source = folds
        .iter()
        .map(|f| {
            let report = Report::new(&to_probability(&f.scored), thresholds.hold);
            FoldReport {
                held_out: f.unit.clone(),
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
    let ordinary_held: Vec<OrdinaryHeld> =
        ordinary
            .held_by_source(thresholds.hold)
            .into_iter()
            .map(|(source, rows, held)| OrdinaryHeld {
                source,
                rows,
                held,
                in_budget: true,
            })
            .chain(excluded.held_by_source(thresholds.hold).into_iter().map(
                |(source, rows, held)| OrdinaryHeld {
                    source,
                    rows,
                    held,
                    in_budget: false,
                },
            ))
            .collect();
    let ordinary_held_mean = (!ordinary.is_empty()).then(|| ordinary.held(thresholds.hold));
    let domain_proxies =
        cross_source::domain_proxies(&folds, &calibration, options, &base_rows, thresholds.hold);
    let mut file = model.file().clone();
    file.thresholds = thresholds;
    file.calibration = calibration;
    file.hold_budget = options.hold_precision.is_none().then_some(budget);
    file.ordinary_held = ordinary.budget_table();

    let mut outcome = TaskOutcome {
        model: file,
        thresholds,
        train_rows: train_rows.len(),
        validation_rows: validation_rows.len(),
        derived_rows: prepared.derived,
        derived_rows_are: labelling_decision(task).0,
        validation,
        cross_source,
        cross_source_pooled,
        hold_rule,
        hold_target_met,
        ordinary_held,
        ordinary_held_mean,
        domain_proxies,
        blend_strength: blending.then_some(blend_strength),
        thresholds_chosen_on: if on_decisions {
            "moderators' decisions (cross-source scores)"
        } else {
            "all sources (cross-source scores)"
        },
        validation_examples: validation_rows.iter().map(|r| r.example).collect(),
    };
    outcome.model.training = outcome.metadata(task, corpus, &prepared, &train_rows, options);
    Ok(outcome)
}
