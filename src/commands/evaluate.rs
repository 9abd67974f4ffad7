//! `commentguard evaluate`: scores a labelled CSV and reports per task.
use std::path::PathBuf;

use clap::Args;

use crate::classifier::data::{self, Task};
use crate::classifier::evaluate::evaluate;
use crate::classifier::Classifier;

/// Arguments of `commentguard evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// A labelled CSV in the canonical format (text,spam,abuse).
    #[arg(long)]
    pub input: PathBuf,
    /// Directory holding spam.json and abuse.json.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Print exactly one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    let classifier = Classifier::load(&args.models)?;
    let corpus = data::load(&args.input)?;
    let evaluation = evaluate(&classifier, &corpus);
    if args.json {
        println!("{}", serde_json::to_string(&evaluation)?);
        return Ok(());
    }
    println!(
        "{:<6} {:>7} {:>9} {:>7} {:>6} {:>8} {:>7} {:>6} {:>6} {:>6} {:>6} {:>10}",
        "task",
        "support",
        "precision",
        "recall",
        "F1",
        "accuracy",
        "ROC AUC",
        "TP",
        "FP",
        "TN",
        "FN",
        "threshold"
    );
    for task in Task::ALL {
        match evaluation.get(task) {
            None => println!("{task:<6} no labelled rows"),
            Some(r) => println!(
                "{task:<6} {:>7} {:>9.3} {:>7.3} {:>6.3} {:>8.3} {:>7} {:>6} {:>6} {:>6} {:>6} {:>10.6}",
                r.support,
                r.precision,
                r.recall,
                r.f1,
                r.accuracy,
                r.roc_auc.map_or("-".into(), |a| format!("{a:.3}")),
                r.confusion.tp,
                r.confusion.fp,
                r.confusion.tn,
                r.confusion.fn_,
                classifier.thresholds(task).hold,
            ),
        }
    }
    println!(
        "{:.0} comments/s (both models)",
        evaluation.comments_per_second
    );
    Ok(())
}
