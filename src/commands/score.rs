//! `commentguard score`: scores one comment and explains both scores.
use std::io::Read;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use serde::Serialize;

use crate::classifier::data::Task;
use crate::classifier::{Classifier, Contribution};

/// Arguments of `commentguard score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// The comment; read from standard input when absent.
    pub text: Option<String>,
    /// Directory holding spam.json and abuse.json.
    #[arg(long, default_value = "models")]
    pub models: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Explained {
    probability: f64,
    hold_threshold: f64,
    held: bool,
    top_tokens: Vec<Contribution>,
}

pub fn run(args: ScoreArgs) -> anyhow::Result<()> {
    let classifier = Classifier::load(&args.models)?;
    let text = match args.text {
        Some(t) => t,
        None => {
            let mut t = String::new();
            std::io::stdin()
                .read_to_string(&mut t)
                .context("reading the comment from standard input")?;
            t
        }
    };
    if text.trim().is_empty() {
        bail!("the comment is empty");
    }
    let judgement = classifier.judge(&text);
    let scores = &judgement.scores;
    let explained = |task: Task| {
        let score = scores.get(task);
        let hold = classifier.thresholds(task).hold;
        Explained {
            probability: score.probability,
            hold_threshold: hold,
            held: score.reaches(hold),
            top_tokens: classifier
                .model(task)
                .explain(&text, crate::classifier::model::EXPLANATION_TOKENS),
        }
    };
    let (spam, abuse) = (explained(Task::Spam), explained(Task::Abuse));
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "spam": spam,
                "abuse": abuse,
                "language": judgement.language,
                "mixed_script_words": judgement.mixed_script_words,
            })
        );
        return Ok(());
    }
    if judgement.mixed_script_words > 0 {
        println!(
            "look-alike letters: {} word(s) mix Latin letters with another script's; the service holds the comment",
            judgement.mixed_script_words
        );
    }
    if let crate::classifier::Language::Other {
        code,
        name,
        confidence,
    } = judgement.language
    {
        println!(
            "language: {name} ({code}, confidence {confidence:.2}); the service does not judge it with the English models (site setting `other_languages`)"
        );
    }
    for (task, e) in [(Task::Spam, &spam), (Task::Abuse, &abuse)] {
        let words: Vec<String> = e
            .top_tokens
            .iter()
            .map(|c| format!("{:?} (+{:.2})", c.token, c.weight))
            .collect();
        println!(
            "{task:<5} {:.4}{}  driven by: {}",
            e.probability,
            if e.held { "  [would be held]" } else { "" },
            if words.is_empty() {
                "-".to_string()
            } else {
                words.join(", ")
            }
        );
    }
    Ok(())
}
