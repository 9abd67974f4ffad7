//! Calibration: the per-feature evidence of a comment mapped to a probability by a
//! logistic function (Platt scaling) fitted on cross-source validation scores, so that a
//! probability means the same on data the model was not trained on.
//!
//! The two classes weigh the same in the fit: the probability is what the evidence says
//! when spam (or abuse) and ordinary comments are equally likely beforehand. Unweighted,
//! the spam model's calibration would mostly describe its 50,000 held-out ordinary
//! comments against 1,000 spam ones, and every score would look tiny (its hold threshold
//! came out at 0.035); a site's true mix is unknown anyway, and the thresholds are chosen
//! on the held-out comments themselves, so nothing depends on the prior but readability.
use crate::classifier::model::{logistic, Calibration};

/// Fits the logistic calibration `P(pos) = σ(slope · x + intercept)` to scored rows by
/// Newton's method on the class-balanced log-loss, with Platt's smoothed targets so that
/// perfectly separated rows do not push the slope to infinity.
pub fn fit_calibration(scored: &[(f64, bool)]) -> Calibration {
    let positives = scored.iter().filter(|s| s.1).count() as f64;
    let negatives = scored.len() as f64 - positives;
    // Each class carries half of the total weight.
    let total = positives + negatives;
    let weight_of = |y: bool| {
        let n = if y { positives } else { negatives };
        if n > 0.0 {
            total / (2.0 * n)
        } else {
            1.0
        }
    };
    let (hi, lo) = (
        (positives + 1.0) / (positives + 2.0),
        1.0 / (negatives + 2.0),
    );
    let loss = |a: f64, b: f64| -> f64 {
        scored
            .iter()
            .map(|&(x, y)| {
                let t = if y { hi } else { lo };
                let z = a * x + b;
                // log(1 + e^z) − t·z, computed without overflow.
                let softplus = if z > 0.0 {
                    z + (-z).exp().ln_1p()
                } else {
                    z.exp().ln_1p()
                };
                weight_of(y) * (softplus - t * z)
            })
            .sum()
    };
    let (mut a, mut b) = (1.0, 0.0);
    let mut current = loss(a, b);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(x, y) in scored {
            let t = if y { hi } else { lo };
            let p = logistic(a * x + b);
            let w = weight_of(y);
            let (g, h) = (w * (p - t), w * (p * (1.0 - p)).max(1e-12));
            ga += g * x;
            gb += g;
            haa += h * x * x;
            hab += h * x;
            hbb += h;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-18 {
            break;
        }
        let (da, db) = ((hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det);
        // Backtracking keeps every step a descent step.
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-6 {
            let (na, nb) = (a - step * da, b - step * db);
            let l = loss(na, nb);
            if l.is_finite() && l <= current {
                improved = (current - l) > 1e-12 * current.abs().max(1.0);
                (a, b, current) = (na, nb, l);
                break;
            }
            step /= 2.0;
        }
        if !improved {
            break;
        }
    }
    Calibration {
        slope: a,
        intercept: b,
    }
}
