//! Cross-source validation: the units held out in turn (sources, or groups of the one
//! source with both classes), each scored by a model that never saw it ([`folds`]), and
//! the same-domain proxies computed from them ([`domain_proxies`]). See the parent
//! module's doc for why.
use std::collections::{BTreeMap, HashMap};

use super::fit::{self, check_classes, score_rows, train_model};
use super::outcome::DomainProxy;
use super::rows::Row;
use super::thresholds::OrdinaryPool;
use super::{Progress, TrainError, TrainOptions};
use crate::classifier::data::Task;
use crate::classifier::metrics::roc_auc;
use crate::classifier::model::Calibration;

/// A unit of cross-source validation: the rows of a source, or of one group of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Unit {
    Source(String),
    Group(String),
}

impl Unit {
    fn contains(&self, r: &Row) -> bool {
        match self {
            Unit::Source(s) => r.source == *s,
            Unit::Group(g) => r.group == *g,
        }
    }

    fn name(&self) -> &str {
        match self {
            Unit::Source(s) | Unit::Group(s) => s,
        }
    }
}

/// The units held out in turn: sources with both classes or, when only one source has
/// both, its groups; and every source with ordinary (negative) rows only, so the hold
/// budget is measured on it. Sources with positives only always stay in training.
fn cross_source_units(rows: &[&Row]) -> Vec<Unit> {
    let mut by_source: BTreeMap<&str, [bool; 2]> = BTreeMap::new();
    let mut by_group: BTreeMap<(&str, &str), [bool; 2]> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.advertising()) {
        by_source.entry(&r.source).or_default()[usize::from(r.label)] = true;
        by_group.entry((&r.source, &r.group)).or_default()[usize::from(r.label)] = true;
    }
    let both: Vec<&str> = by_source
        .iter()
        .filter(|(_, c)| c[0] && c[1])
        .map(|(s, _)| *s)
        .collect();
    let mut units: Vec<Unit> = if both.len() >= 2 {
        both.iter().map(|s| Unit::Source(s.to_string())).collect()
    } else {
        by_group
            .iter()
            .filter(|((s, _), c)| both.contains(s) && c[0] && c[1])
            .map(|((_, g), _)| Unit::Group(g.to_string()))
            .collect()
    };
    units.extend(
        by_source
            .iter()
            .filter(|(_, c)| c[0] && !c[1])
            .map(|(s, _)| Unit::Source(s.to_string())),
    );
    units
}

/// Held-out scores of one unit: `(evidence, truth)` and each row's source.
pub(super) struct Fold {
    pub(super) unit: String,
    pub(super) scored: Vec<(f64, bool)>,
    pub(super) sources: Vec<String>,
    /// When the unit is a source that shares its domain with positive-only sources: those
    /// sources' validation rows, scored by the same fold model (see [`DomainProxy`]).
    pub(super) domain_positives: Vec<(f64, bool)>,
}

/// The positive-only sources that share a domain with `source` (and are not `source`).
fn domain_partners(options: &TrainOptions, rows: &[&Row], source: &str) -> Vec<String> {
    let domain = fit::domain_of(options, source);
    let mut classes: BTreeMap<&str, [bool; 2]> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.derived()) {
        classes.entry(&r.source).or_default()[usize::from(r.label)] = true;
    }
    classes
        .into_iter()
        .filter(|(s, c)| *s != source && c[1] && !c[0] && fit::domain_of(options, s) == domain)
        .map(|(s, _)| s.to_string())
        .collect()
}

/// Cross-source validation inside the training split: each unit of
/// [`cross_source_units`] held out in turn and scored by a model trained on the other
/// rows (a unit whose absence leaves one class only is skipped). A held-out source that
/// shares its domain with positive-only sources also scores their validation rows (see
/// [`DomainProxy`]).
pub(super) fn folds(
    task: Task,
    base_rows: &[&Row],
    validation_rows: &[&Row],
    strings: &HashMap<u64, String>,
    options: &TrainOptions,
    progress: &dyn Progress,
) -> Result<Vec<Fold>, TrainError> {
    let mut folds = Vec::new();
    for unit in cross_source_units(base_rows) {
        let fit_rows: Vec<&Row> = base_rows
            .iter()
            .copied()
            .filter(|r| !unit.contains(r))
            .collect();
        let test_rows: Vec<&Row> = base_rows
            .iter()
            .copied()
            .filter(|r| unit.contains(r))
            .collect();
        if check_classes(task, &fit_rows).is_err() {
            continue;
        }
        progress.start(
            &format!("{task}: cross-source fold, holding out {}", unit.name()),
            fit_rows.len() as u64,
        );
        let model = train_model(task, &fit_rows, strings, options, progress)?;
        let scored = score_rows(&model, &test_rows);
        progress.note(&format!(
            "{task}: held out {}: {} rows, ROC AUC {}",
            unit.name(),
            scored.len(),
            roc_auc(&scored).map_or("-".to_string(), |a| format!("{a:.3}"))
        ));
        let domain_positives = match &unit {
            Unit::Source(source) => {
                let proxied = domain_partners(options, base_rows, source);
                let rows: Vec<&Row> = validation_rows
                    .iter()
                    .copied()
                    .filter(|r| r.label && proxied.contains(&r.source))
                    .collect();
                score_rows(&model, &rows)
            }
            Unit::Group(_) => Vec::new(),
        };
        folds.push(Fold {
            unit: unit.name().to_string(),
            scored,
            sources: test_rows.iter().map(|r| r.source.clone()).collect(),
            domain_positives,
        });
    }
    Ok(folds)
}

/// The same-domain proxies of the folds that have them (see [`DomainProxy`]), with the
/// scores calibrated by `calibration` and counted at the hold threshold `hold`.
pub(super) fn domain_proxies(
    folds: &[Fold],
    calibration: &Calibration,
    options: &TrainOptions,
    base_rows: &[&Row],
    hold: f64,
) -> Vec<DomainProxy> {
    folds
        .iter()
        .filter(|f| !f.domain_positives.is_empty())
        .map(|f| {
            let ordinary: Vec<f64> = f
                .scored
                .iter()
                .filter(|s| !s.1)
                .map(|s| calibration.probability(s.0))
                .collect();
            let positives: Vec<f64> = f
                .domain_positives
                .iter()
                .map(|s| calibration.probability(s.0))
                .collect();
            let mut pool = OrdinaryPool::default();
            for &p in &ordinary {
                pool.add(&f.unit, p);
            }
            let share = |scores: &[f64], t: f64| {
                scores.iter().filter(|&&p| p >= t).count() as f64 / scores.len().max(1) as f64
            };
            let at5 = pool.threshold_for_budget(0.05).unwrap_or(1.0);
            let both: Vec<(f64, bool)> = positives
                .iter()
                .map(|&p| (p, true))
                .chain(ordinary.iter().map(|&p| (p, false)))
                .collect();
            let unit_source = f.unit.as_str();
            DomainProxy {
                domain: fit::domain_of(options, unit_source).to_string(),
                ordinary_from: f.unit.clone(),
                positives_from: domain_partners(options, base_rows, unit_source),
                ordinary: ordinary.len(),
                positives: positives.len(),
                roc_auc: roc_auc(&both),
                caught_at_5pct_held: share(&positives, at5),
                caught_at_hold: share(&positives, hold),
                ordinary_held_at_hold: share(&ordinary, hold),
            }
        })
        .collect()
}
