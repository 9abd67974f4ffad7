//! `commentguard train`: trains both models, prints validation figures, writes the files.
use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use crate::classifier::data::{self, Corpus, FileInfo, Task};
use crate::classifier::manifest;
use crate::classifier::metrics::Report;
use crate::classifier::model::{model_path, TaskModel};
use crate::classifier::train::{train_task, Progress, TaskOutcome, TrainOptions};
use crate::classifier::train::{DecisionMode, DECISIONS_SOURCE_PREFIX};
use crate::classifier::{bias, lookalike, Classifier};
use crate::commands::decisions::decision_examples;
use crate::config::Config;
use crate::domain::SiteId;

/// Arguments of `commentguard train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// A canonical CSV file, or a directory whose *.csv files are all read.
    #[arg(long, default_value = "training-data")]
    pub data: Vec<PathBuf>,
    /// Moderators' decisions in the canonical CSV (from `commentguard export-decisions`);
    /// repeatable. Their rows count as decisions (see `--decision-mode`).
    #[arg(long)]
    pub decisions: Vec<PathBuf>,
    /// Also learn from the moderators' decisions in the service's database (the one the
    /// configuration names), read-only, so this is safe while the service runs.
    #[arg(long)]
    pub with_decisions: bool,
    /// Configuration file naming the database (with `--with-decisions`).
    #[arg(long, requires = "with_decisions")]
    pub config: Option<PathBuf>,
    /// Only this site's decisions (with `--with-decisions`; default: every site).
    #[arg(long, requires = "with_decisions")]
    pub site: Option<String>,
    /// How moderators' decisions enter the abuse and spam models: `weight`, one more
    /// source of training rows, balanced like the others and multiplied by
    /// `--decision-weight`; or `blend`, a per-site naive Bayes on the decisions alone
    /// whose word distributions are shrunk towards the base model's (a Dirichlet prior
    /// worth `--blend-strength` decisions per class). Default: blend, unless
    /// `--decision-weight` is given (measured in BENCHMARKS.md, learning curve).
    #[arg(long, value_enum)]
    pub decision_mode: Option<DecisionModeArg>,
    /// Weight of moderators' decisions on top of source balancing (`--decision-mode
    /// weight`, which this implies; default 1).
    #[arg(long)]
    pub decision_weight: Option<f64>,
    /// How many decisions of a class the base model is worth in `--decision-mode blend`:
    /// with d decisions of a class, the site's own word frequencies get the share
    /// d / (d + M) of that class's distribution (default 300).
    #[arg(long, value_name = "M")]
    pub blend_strength: Option<f64>,
    /// Score the same validation rows with the models in this directory and print them
    /// side by side with the new ones (default: `models`, when training with decisions).
    #[arg(long)]
    pub compare_with: Option<PathBuf>,
    /// Directory the models are written to (spam.json, abuse.json).
    #[arg(long, default_value = "models")]
    pub out: PathBuf,
    /// Largest vocabulary per model.
    #[arg(long)]
    pub max_features: Option<usize>,
    /// Features must occur in at least this many training comments.
    #[arg(long)]
    pub min_df: Option<u32>,
    /// Unigrams only, for both models (by default the spam model adds bigrams).
    #[arg(long, conflicts_with = "bigrams")]
    pub no_bigrams: bool,
    /// Unigrams and bigrams, for both models (by default the abuse model has unigrams only).
    #[arg(long)]
    pub bigrams: bool,
    /// Count every occurrence of a feature instead of presence per comment.
    #[arg(long)]
    pub counts: bool,
    /// Smoothing (alpha) of the multinomial naive Bayes, both models (default: spam 1,
    /// abuse 5).
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Seed of the validation split.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Weight of a source's rows, e.g. `--weight fox_news=5` (repeatable).
    #[arg(long = "weight", value_name = "SOURCE=WEIGHT")]
    pub weights: Vec<String>,
    /// Percentage of rows kept out of training for the random validation split (0–50).
    #[arg(long)]
    pub validation_percent: Option<u32>,
    /// Train only this model (the other file in `--out` is left as it is).
    #[arg(long, value_enum)]
    pub task: Option<TaskArg>,
    /// Total weight of human conversation used as spam = 0 (rows labelled for abuse
    /// only), in balanced cells (default 0.5); 0 leaves it out of the spam model.
    #[arg(long, value_name = "CELLS")]
    pub human_ham_weight: Option<f64>,
    /// Total weight of spam (advertisements) used as abuse = 0, in balanced cells
    /// (default 0.25); 0 leaves it out of the abuse model.
    #[arg(long, value_name = "CELLS")]
    pub advertising_weight: Option<f64>,
    /// Instead of a hold budget: the precision the hold threshold must reach on
    /// cross-source validation.
    #[arg(long, conflicts_with_all = ["spam_hold_budget", "abuse_hold_budget"])]
    pub hold_precision: Option<f64>,
    /// Share of ordinary comments from unseen sources the spam model may hold
    /// (default 0.03).
    #[arg(long, value_name = "SHARE")]
    pub spam_hold_budget: Option<f64>,
    /// Share of ordinary comments from unseen sources the abuse model may hold
    /// (default 0.015).
    #[arg(long, value_name = "SHARE")]
    pub abuse_hold_budget: Option<f64>,
    /// Skip cross-source validation (faster; thresholds fall back to 0.5 hold, 0.99 reject).
    #[arg(long)]
    pub no_cross_validation: bool,
    /// Print the training report as JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// `--task` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TaskArg {
    Spam,
    Abuse,
}

/// `--decision-mode` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DecisionModeArg {
    Weight,
    Blend,
}

impl From<DecisionModeArg> for DecisionMode {
    fn from(m: DecisionModeArg) -> DecisionMode {
        match m {
            DecisionModeArg::Weight => DecisionMode::Weight,
            DecisionModeArg::Blend => DecisionMode::Blend,
        }
    }
}

impl From<TaskArg> for Task {
    fn from(t: TaskArg) -> Task {
        match t {
            TaskArg::Spam => Task::Spam,
            TaskArg::Abuse => Task::Abuse,
        }
    }
}

/// A progress bar on standard error (hidden when it is not a terminal).
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, phase: &str, total: u64) {
        self.0.set_length(total);
        self.0.set_position(0);
        self.0.set_message(phase.to_string());
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
    fn note(&self, line: &str) {
        self.0.println(line);
    }
}

fn options(args: &TrainArgs) -> anyhow::Result<TrainOptions> {
    let mut o = TrainOptions::default();
    for task in Task::ALL {
        let f = o.features_mut(task);
        if let Some(n) = args.max_features {
            f.max_features = n;
        }
        if let Some(n) = args.min_df {
            f.min_df = n;
        }
        if args.no_bigrams || args.bigrams {
            f.bigrams = args.bigrams;
        }
        if args.counts {
            f.binary = false;
        }
    }
    if let Some(a) = args.alpha {
        if !(a > 0.0 && a.is_finite()) {
            bail!("--alpha must be a positive number, got {a}");
        }
        o.spam_alpha = a;
        o.abuse_alpha = a;
    }
    if let Some(p) = args.validation_percent {
        if p > 50 {
            bail!("--validation-percent must be between 0 and 50, got {p}");
        }
        o.validation_percent = p;
    }
    if let Some(w) = args.decision_weight {
        if !(w > 0.0 && w.is_finite()) {
            bail!("--decision-weight must be a positive number, got {w}");
        }
        o.decision_weight = w;
    }
    o.decision_mode = match (
        args.decision_mode,
        args.decision_weight,
        args.blend_strength,
    ) {
        (Some(DecisionModeArg::Blend), Some(_), _) => {
            bail!("--decision-weight applies to --decision-mode weight, not blend")
        }
        (Some(DecisionModeArg::Weight), _, Some(_)) => {
            bail!("--blend-strength applies to --decision-mode blend, not weight")
        }
        (None, Some(_), Some(_)) => {
            bail!("--decision-weight (weight mode) and --blend-strength (blend mode) exclude each other")
        }
        (Some(mode), _, _) => mode.into(),
        (None, Some(_), None) => DecisionMode::Weight,
        (None, None, _) => DecisionMode::Blend,
    };
    if let Some(m) = args.blend_strength {
        if !(m > 0.0 && m.is_finite()) {
            bail!("--blend-strength must be a positive number, got {m}");
        }
        o.blend_strength = m;
        o.blend_strength_auto = false;
    }
    if let Some(p) = args.hold_precision {
        if !(p > 0.0 && p < 1.0) {
            bail!("--hold-precision must be between 0 and 1, got {p}");
        }
        o.hold_precision = Some(p);
    }
    if let Some(w) = args.human_ham_weight {
        if !(w >= 0.0 && w.is_finite()) {
            bail!("--human-ham-weight must be a number >= 0, got {w}");
        }
        o.human_ham = w > 0.0;
        o.derived_weight = w;
    }
    if let Some(w) = args.advertising_weight {
        if !(w >= 0.0 && w.is_finite()) {
            bail!("--advertising-weight must be a number >= 0, got {w}");
        }
        o.advertising_weight = w;
    }
    for (arg, value, field) in [
        (
            "--spam-hold-budget",
            args.spam_hold_budget,
            &mut o.spam_hold_budget,
        ),
        (
            "--abuse-hold-budget",
            args.abuse_hold_budget,
            &mut o.abuse_hold_budget,
        ),
    ] {
        if let Some(b) = value {
            if !(b > 0.0 && b < 1.0) {
                bail!("{arg} must be a share between 0 and 1, got {b}");
            }
            *field = b;
        }
    }
    if let Some(s) = args.seed {
        o.seed = s;
    }
    let mut weights = BTreeMap::new();
    for w in &args.weights {
        let (source, weight) = w
            .split_once('=')
            .with_context(|| format!("--weight {w:?}: expected SOURCE=WEIGHT"))?;
        let weight: f64 = weight
            .parse()
            .ok()
            .filter(|x: &f64| *x > 0.0 && x.is_finite())
            .with_context(|| format!("--weight {w:?}: the weight must be a positive number"))?;
        weights.insert(source.to_string(), weight);
    }
    o.source_weights = weights;
    o.cross_validate = !args.no_cross_validation;
    Ok(o)
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let options = options(&args)?;
    let mut corpus = data::Corpus::default();
    for path in &args.data {
        corpus.extend(data::load(path)?);
    }
    for path in &args.decisions {
        corpus.extend(as_decisions(data::load(path)?));
    }
    if args.with_decisions {
        let config = Config::load(args.config.as_deref(), None)?;
        let site = args.site.as_deref().map(SiteId::parse).transpose()?;
        let examples = decision_examples(&config.database, site.as_ref())?;
        eprintln!(
            "{} labelled decisions from {}",
            examples.len(),
            crate::store::Database::of(&config.database).describe()
        );
        corpus.extend(Corpus {
            files: vec![FileInfo {
                name: format!(
                    "{} (moderators' decisions)",
                    crate::store::Database::of(&config.database).describe()
                ),
                sha256: digest(&examples),
                rows: examples.len(),
            }],
            examples,
        });
    }
    let with_decisions = args.with_decisions || !args.decisions.is_empty();
    let compare_with = args
        .compare_with
        .clone()
        .or_else(|| with_decisions.then(|| PathBuf::from("models")))
        .filter(|dir| dir.join("spam.json").exists());
    // Load the models to compare with before anything is written over them.
    let current = compare_with.as_deref().map(Classifier::load).transpose()?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:50} [{bar:30}] {pos}/{len} rows ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let progress = Bar(bar);
    // Train both before writing either: a failure leaves the old models in place.
    let mut outcomes = Vec::new();
    let tasks: Vec<Task> = match args.task {
        Some(t) => vec![t.into()],
        None => Task::ALL.to_vec(),
    };
    for task in tasks {
        let outcome = train_task(&corpus, task, &options, &progress)
            .with_context(|| format!("training the {task} model"))?;
        outcomes.push((task, outcome));
    }
    progress.0.finish_and_clear();
    for (task, outcome) in &outcomes {
        let path = model_path(&args.out, *task);
        TaskModel::save(&outcome.model, &path)?;
    }
    // Last, once both models are in place: the manifest that makes them one pair (a
    // service reloading meanwhile refuses the half-written pair and keeps its own).
    if Task::ALL
        .iter()
        .all(|&task| model_path(&args.out, task).exists())
    {
        manifest::write(&args.out)?;
    }
    if let Some(current) = &current {
        print_comparison(current, &corpus, &outcomes);
    }
    if args.json {
        let report: BTreeMap<&str, &TaskOutcome> =
            outcomes.iter().map(|(t, o)| (t.name(), o)).collect();
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for (task, outcome) in &outcomes {
            print_outcome(*task, outcome);
        }
        print_robustness(&corpus, &outcomes);
        println!("models written to {}", args.out.display());
    }
    Ok(())
}

fn row(name: &str, r: &Report, held_good: Option<f64>) {
    let auc = r.roc_auc.map_or("-".to_string(), |a| format!("{a:.3}"));
    let held = held_good.map_or("-".to_string(), |h| format!("{:.1}%", h * 100.0));
    println!(
        "  {name:<28} {:>6} {:>9.3} {:>7.3} {:>6.3} {:>7} {:>10}",
        r.support, r.precision, r.recall, r.f1, auc, held
    );
}

fn print_outcome(task: Task, o: &TaskOutcome) {
    let reject = o
        .thresholds
        .reject
        .map_or("never".to_string(), |r| format!("{r:.6}"));
    println!(
        "{task}: {} training rows{}, {} validation rows; hold threshold {:.6} ({}), reject {reject}; chosen on {}{}",
        o.train_rows,
        if o.derived_rows > 0 {
            format!(" ({} of them {})", o.derived_rows, o.derived_rows_are)
        } else {
            String::new()
        },
        o.validation_rows,
        o.thresholds.hold,
        o.hold_rule,
        o.thresholds_chosen_on,
        if o.hold_target_met {
            ""
        } else {
            "  [hold rule NOT met on cross-source validation]"
        }
    );
    println!(
        "  {:<28} {:>6} {:>9} {:>7} {:>6} {:>7} {:>10}",
        "at the hold threshold", "rows", "precision", "recall", "F1", "ROC AUC", "good held"
    );
    row(
        "random validation split",
        &o.validation,
        Some(o.validation.confusion.false_positive_rate()),
    );
    for fold in &o.cross_source {
        row(
            &format!("held out: {}", fold.held_out),
            &fold.report,
            Some(fold.held_good_share),
        );
    }
    if let Some(p) = &o.cross_source_pooled {
        row(
            "cross-source, pooled",
            p,
            Some(p.confusion.false_positive_rate()),
        );
    }
    if let Some(mean) = o.ordinary_held_mean {
        println!(
            "  ordinary comments held (estimate, each source scored by a model that never saw it): {:.2}% on average",
            mean * 100.0
        );
        for s in &o.ordinary_held {
            println!(
                "    {:<26} {:>6} rows {:>7.2}%{}",
                s.source,
                s.rows,
                s.held * 100.0,
                if s.in_budget {
                    ""
                } else {
                    "  (not counted: not a sample of a site's comments)"
                }
            );
        }
    }
    for p in &o.domain_proxies {
        println!(
            "  {} proxy: a model without {} ranks its {} ordinary comments against {} held-out positives of {}:",
            p.domain,
            p.ordinary_from,
            p.ordinary,
            p.positives,
            p.positives_from.join(", ")
        );
        println!(
            "    ROC AUC {}, caught {:.1}% when 5% of the ordinary ones are held; at the hold threshold {:.1}% caught, {:.1}% held",
            p.roc_auc.map_or("-".into(), |a| format!("{a:.3}")),
            p.caught_at_5pct_held * 100.0,
            p.caught_at_hold * 100.0,
            p.ordinary_held_at_hold * 100.0
        );
    }
    println!();
}

/// The identity-bias templates (abuse) and look-alike letters (both tasks), on the models
/// just trained.
fn print_robustness(corpus: &Corpus, outcomes: &[(Task, TaskOutcome)]) {
    for (task, outcome) in outcomes {
        let model =
            match TaskModel::from_file(outcome.model.clone(), std::path::Path::new(task.name())) {
                Ok(m) => m,
                Err(_) => continue,
            };
        let hold = outcome.thresholds.hold;
        if *task == Task::Abuse {
            let b = bias::identity_report(&model, hold);
            println!(
                "abuse: identity templates ({} terms x {} templates, neutral and with an insult), at the hold threshold:",
                b.terms.len(),
                bias::TEMPLATES.len()
            );
            println!(
                "  neutral held: worst term {:.1}%; insulting held: lowest term {:.1}%; ROC AUC {}",
                b.worst_neutral_held * 100.0,
                b.lowest_insult_held * 100.0,
                b.roc_auc.map_or("-".into(), |a| format!("{a:.3}"))
            );
            let mut worst: Vec<&bias::TermRates> = b.terms.iter().collect();
            worst.sort_by(|a, b| b.neutral_held.total_cmp(&a.neutral_held));
            let listed: Vec<String> = worst
                .iter()
                .take(5)
                .map(|t| format!("{} {:.0}%", t.term, t.neutral_held * 100.0))
                .collect();
            println!("  most held neutral: {}", listed.join(", "));
        }
        let positives = outcome
            .validation_examples
            .iter()
            .map(|&i| &corpus.examples[i])
            .filter(|e| e.label(*task) == Some(true))
            .map(|e| e.text.as_str());
        let l = lookalike::report(&model, hold, positives);
        println!(
            "{task}: look-alike letters: {} of {} held validation positives still held when written with Cyrillic look-alikes ({:.1}%)",
            l.still_held,
            l.held,
            l.share() * 100.0
        );
    }
    println!();
}

/// Marks every row of a decisions file as a decision (source `decisions:…`).
fn as_decisions(mut corpus: Corpus) -> Corpus {
    for e in &mut corpus.examples {
        if !e.source.starts_with(DECISIONS_SOURCE_PREFIX) {
            e.source = format!("{DECISIONS_SOURCE_PREFIX}{}", e.source);
        }
    }
    corpus
}

/// The current models and the new ones on the same validation rows: all of them, and the
/// moderators' decisions alone (the site's own traffic).
fn print_comparison(current: &Classifier, corpus: &Corpus, outcomes: &[(Task, TaskOutcome)]) {
    println!("current models vs new models, on the new validation split (at each model's hold threshold)");
    println!(
        "  {:<6} {:<24} {:>6} | {:>6} {:>6} {:>7} {:>9} | {:>6} {:>6} {:>7} {:>9}",
        "task", "rows", "n", "F1", "AUC", "recall", "good held", "F1", "AUC", "recall", "good held"
    );
    for (task, outcome) in outcomes {
        let new =
            match TaskModel::from_file(outcome.model.clone(), std::path::Path::new(task.name())) {
                Ok(m) => m,
                Err(e) => {
                    println!("  {task}: cannot score with the new model: {e}");
                    continue;
                }
            };
        let old = current.model(*task);
        for (name, decisions_only) in [("all validation rows", false), ("decisions only", true)] {
            let rows: Vec<&data::Example> = outcome
                .validation_examples
                .iter()
                .map(|&i| &corpus.examples[i])
                .filter(|e| !decisions_only || e.source.starts_with(DECISIONS_SOURCE_PREFIX))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let report = |m: &TaskModel| {
                let scored: Vec<(f64, bool)> = rows
                    .iter()
                    .filter_map(|e| e.label(*task).map(|t| (m.score(&e.text).probability, t)))
                    .collect();
                Report::new(&scored, m.thresholds().hold)
            };
            let (a, b) = (report(old), report(&new));
            let auc = |r: &Report| r.roc_auc.map_or("-".into(), |x| format!("{x:.3}"));
            println!(
                "  {:<6} {:<24} {:>6} | {:>6.3} {:>6} {:>7.3} {:>8.1}% | {:>6.3} {:>6} {:>7.3} {:>8.1}%",
                task.name(),
                name,
                a.support,
                a.f1,
                auc(&a),
                a.recall,
                a.confusion.false_positive_rate() * 100.0,
                b.f1,
                auc(&b),
                b.recall,
                b.confusion.false_positive_rate() * 100.0
            );
        }
    }
    println!("  (left: current, right: new)");
    println!();
}

/// A SHA-256 over labelled rows, recorded in the model's metadata like a file's hash.
fn digest(examples: &[data::Example]) -> String {
    use sha2::{Digest, Sha256};
    let label = |l: Option<bool>| match l {
        Some(true) => "1",
        Some(false) => "0",
        None => "",
    };
    let mut hash = Sha256::new();
    for e in examples {
        for part in [
            e.text.as_str(),
            label(e.spam),
            label(e.abuse),
            &e.source,
            &e.group,
        ] {
            hash.update(part.as_bytes());
            hash.update([0x1f]);
        }
        hash.update(b"\n");
    }
    hex::encode(hash.finalize())
}
