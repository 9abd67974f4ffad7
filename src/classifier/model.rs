//! Trained models: the saved file format, loading, scoring and explaining.
//!
//! A model file (`models/spam.json`, `models/abuse.json`) holds everything needed to score
//! without the training data: the format version, the feature configuration, the
//! vocabulary (column order), the class log-priors and per-class feature log-probabilities
//! learned by `linfa_bayes::MultinomialNb`, the decision thresholds chosen in training, and
//! the training metadata (data files with hashes, row counts, hyper-parameters, metrics).
//!
//! # Two numbers per comment
//! - the **posterior** `P(class | comment)` of the naive Bayes model, exactly linfa's;
//! - the **probability** the service decides on: naive Bayes log-odds grow with the
//!   length of a comment (every extra word adds its evidence, as if words were
//!   independent), so a long, mildly-worded comment from an unfamiliar site outscores a
//!   short abusive one, and scores from different sites are not comparable. The decision
//!   score is therefore the evidence *per feature* — `(log-odds − prior log-odds) / (n + 1)`
//!   for a comment with `n` features — plus a share of the single strongest feature's
//!   contribution (abuse is often one word in an ordinary comment, which the mean alone
//!   dilutes). That share grows with the length of the comment, `w · n / (n + c)`: in a
//!   comment of four words the mean already gives the strongest word a fifth of the score,
//!   and a full bonus on top let one mid-strength word decide a short sentence on its own
//!   ("Muslims in Pakistan deserve peace." was held for `deserve`, a word Wikipedia's
//!   toxic comments use in "you deserve to be blocked"); in a long comment the mean
//!   dilutes it and the bonus carries it. The sum is mapped to a probability by a logistic calibration (Platt scaling) fitted on
//!   cross-source validation scores. Measured on held-out sources it ranks far better
//!   than the raw posterior (see BENCHMARKS.md), and its value means what it says on data
//!   the model was not trained on.
//!
//! Scoring applies the learned log-probabilities sparsely: the joint log-likelihood of a
//! class is `ln prior + Σ x_j · ln P(feature j | class)` over the comment's features only,
//! which is what `MultinomialNb::joint_log_likelihood` computes with a dense row (a test
//! checks the two agree). The posterior is computed stably from the two joint
//! log-likelihoods (log-sum-exp, i.e. a logistic of their difference), so a 5,000-character
//! comment gets a probability in [0, 1] where linfa's own `predict_proba` overflows.
use std::cell::RefCell;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::data::Task;
use super::explain;
use super::language::{self, Language};
use super::manifest;
use super::tokenize::{tokenize_into, Tokens, TOKENIZER_VERSION};
use super::vectorize::{
    index_vocabulary, stem, unigram_key, vectorize, vectorize_keys, FeatureConfig, KeyIndex,
};

/// Bumped whenever the model file layout changes; older files are refused at load.
pub const FORMAT_VERSION: u32 = 3;
/// The `format` field every model file carries, to recognise a wrong file early.
pub const FORMAT_NAME: &str = "commentguard-multinomial-nb";
/// How many tokens an explanation lists.
pub const EXPLANATION_TOKENS: usize = 5;

/// Decision thresholds on a task's probability, chosen in training (see
/// `classifier::train::thresholds`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// At or above: hold the comment for review (the service's default review threshold).
    pub hold: f64,
    /// At or above: reject the comment outright; `None`: never reject on this score alone.
    pub reject: Option<f64>,
}

impl Thresholds {
    /// Whether a probability reaches the reject threshold (never, without one).
    pub fn rejects(&self, probability: f64) -> bool {
        self.reject.is_some_and(|r| probability >= r)
    }
}

/// Maps the per-feature evidence of a comment to a probability: `σ(slope · x + intercept)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub slope: f64,
    pub intercept: f64,
}

impl Calibration {
    pub fn probability(&self, evidence: f64) -> f64 {
        logistic(self.slope * evidence + self.intercept)
    }
}

/// The saved form of one task's model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    pub format: String,
    pub format_version: u32,
    /// The [`TOKENIZER_VERSION`] the model was trained with.
    pub tokenizer_version: u32,
    pub task: Task,
    pub features: FeatureConfig,
    pub thresholds: Thresholds,
    /// The hold budget the hold threshold was chosen for: the share of ordinary comments
    /// from sources the model was not trained on that it holds (`None`: chosen otherwise).
    pub hold_budget: Option<f64>,
    /// `[budget, threshold]` pairs, budgets ascending: the hold threshold that holds at
    /// most that share of ordinary comments from unseen sources (estimated in training).
    /// Lets a site set its own budget without retraining.
    pub ordinary_held: Vec<[f64; 2]>,
    /// Share `w` of the strongest feature's contribution added to the per-feature
    /// evidence, for a long comment (see the module documentation).
    pub strongest_feature_weight: f64,
    /// `c`: the number of features at which the strongest feature gets half of `w`.
    pub strongest_feature_length: f64,
    pub calibration: Calibration,
    /// `ln P(class)` for [negative, positive], as linfa computed it.
    pub class_log_prior: [f64; 2],
    /// Feature strings; index = column.
    pub vocabulary: Vec<String>,
    /// `ln P(feature | class)` for [negative, positive], one entry per column.
    pub feature_log_prob: [Vec<f64>; 2],
    /// How the model was made and how it scored; free-form but deterministic.
    pub training: serde_json::Value,
}

/// Why a model could not be loaded or saved. Never a panic: a service keeps its old model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: cannot read model")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot write model")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a valid model file (truncated or corrupt?)")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path}: model format version {found} is not supported (this build reads version {expected}); retrain with `commentguard train`")]
    Version {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("{path}: inconsistent model: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error(
        "{path}: not the file manifest.json names (sha256 {found}, the manifest says {expected}): \
         the two models go into service together — copy spam.json, abuse.json and manifest.json \
         as one directory (`commentguard train` writes all three)"
    )]
    NotThePair {
        path: PathBuf,
        found: String,
        expected: String,
    },
}

/// A loaded model for one task, ready to score.
#[derive(Debug, Clone)]
pub struct TaskModel {
    file: ModelFile,
    index: KeyIndex,
    /// `[ln P(f|neg), ln P(f|pos)]` per column, interleaved for cache locality.
    weights: Vec<[f64; 2]>,
}

/// One task's score of one comment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskScore {
    /// Calibrated probability of the positive class (spam, or abusive), in [0, 1]: what
    /// thresholds apply to (see the module documentation).
    pub probability: f64,
    /// The naive Bayes log-odds `ln P(pos | x) − ln P(neg | x)`; the posterior is
    /// `logistic(log_odds)` (see [`TaskScore::posterior`]).
    pub log_odds: f64,
    /// The features that pushed the score up most, strongest first.
    pub top_tokens: Vec<String>,
}

impl TaskScore {
    /// Whether the score is at or above a probability threshold.
    pub fn reaches(&self, threshold: f64) -> bool {
        self.probability >= threshold
    }

    /// The naive Bayes posterior `P(pos | x)`, computed stably from the log-odds (equal
    /// to linfa's `predict_proba` wherever that one is finite).
    pub fn posterior(&self) -> f64 {
        logistic(self.log_odds)
    }
}

/// Both scores of one comment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scores {
    pub spam: TaskScore,
    pub abuse: TaskScore,
}

impl Scores {
    pub fn get(&self, task: Task) -> &TaskScore {
        match task {
            Task::Spam => &self.spam,
            Task::Abuse => &self.abuse,
        }
    }
}

/// What the classifier finds in a comment (see [`Classifier::judge`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    pub scores: Scores,
    /// English (scored by the models) or confidently another language.
    pub language: Language,
    /// Words that mix Latin letters with letters of another script (`Сheck`, `stupіd`):
    /// read as Latin by the tokenizer, and a signal of disguise of their own.
    pub mixed_script_words: usize,
}

/// A feature's part in a score: `value × (ln P(f|pos) − ln P(f|neg))`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    pub token: String,
    pub weight: f64,
}

/// The logistic function, computed without overflow for any input: this is the two-class
/// log-sum-exp `exp(a − logsumexp(a, b))` with `d = a − b`.
pub fn logistic(d: f64) -> f64 {
    if d >= 0.0 {
        1.0 / (1.0 + (-d).exp())
    } else {
        let e = d.exp();
        e / (1.0 + e)
    }
}

/// Whether log-probabilities are a probability distribution: none above 0, and their
/// probabilities sum to 1 (to rounding).
fn is_distribution(log_probs: &[f64]) -> bool {
    let mut sum = 0.0;
    for &l in log_probs {
        if l > 0.0 {
            return false;
        }
        sum += l.exp();
    }
    (sum - 1.0).abs() <= 1e-6
}

/// The inverse of [`logistic`]: the log-odds of a probability (±∞ at 1 and 0).
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// Per-thread scratch buffers so scoring allocates nothing in the steady state.
#[derive(Default)]
struct Scratch {
    tokens: Tokens,
    features: Vec<(u32, f64)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl TaskModel {
    /// Builds the scoring structures from a model file, checking it is consistent.
    pub fn from_file(file: ModelFile, path: &Path) -> Result<Self, ModelError> {
        let invalid = |reason: String| ModelError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        if file.format != FORMAT_NAME {
            return Err(invalid(format!(
                "format is {:?}, expected {FORMAT_NAME:?}",
                file.format
            )));
        }
        if file.format_version != FORMAT_VERSION {
            return Err(ModelError::Version {
                path: path.to_path_buf(),
                found: file.format_version,
                expected: FORMAT_VERSION,
            });
        }
        if file.tokenizer_version != TOKENIZER_VERSION {
            return Err(invalid(format!(
                "trained with tokenizer version {}, this build tokenizes with version {TOKENIZER_VERSION}; retrain with `commentguard train`",
                file.tokenizer_version
            )));
        }
        let columns = file.vocabulary.len();
        if file.feature_log_prob.iter().any(|v| v.len() != columns) {
            return Err(invalid(format!(
                "{columns} vocabulary entries but {} and {} log-probabilities",
                file.feature_log_prob[0].len(),
                file.feature_log_prob[1].len()
            )));
        }
        let c = file.calibration;
        let all_finite = c.slope.is_finite()
            && file.strongest_feature_weight.is_finite()
            && file.strongest_feature_length.is_finite()
            && file.strongest_feature_length >= 0.0
            && c.intercept.is_finite()
            && file.class_log_prior.iter().all(|v| v.is_finite())
            && file
                .feature_log_prob
                .iter()
                .flatten()
                .all(|v| v.is_finite());
        if !all_finite {
            return Err(invalid("non-finite log-probability".into()));
        }
        // Probabilities, not just numbers: the class priors and each class's feature
        // distribution are log-probabilities (each at most 0) that sum to 1.
        if !is_distribution(&file.class_log_prior) {
            return Err(invalid(
                "class_log_prior is not a distribution (each ln P(class) at most 0, the priors summing to 1)".into(),
            ));
        }
        for (class, row) in ["negative", "positive"].iter().zip(&file.feature_log_prob) {
            if !is_distribution(row) {
                return Err(invalid(format!(
                    "the {class} class's feature_log_prob is not a distribution (each ln P(feature | class) at most 0, summing to 1)"
                )));
            }
        }
        let t = file.thresholds;
        let unit = |p: f64| (0.0..=1.0).contains(&p);
        if !unit(t.hold) || !t.reject.is_none_or(unit) {
            return Err(invalid("thresholds must be within [0, 1]".into()));
        }
        if t.reject.is_some_and(|r| r < t.hold) {
            return Err(invalid(format!(
                "the hold threshold {} exceeds the reject threshold {:?}",
                t.hold, t.reject
            )));
        }
        let budgets_ok = file.ordinary_held.windows(2).all(|w| w[0][0] < w[1][0])
            && file
                .ordinary_held
                .iter()
                .all(|[b, p]| unit(*b) && p.is_finite() && *p >= 0.0);
        if !budgets_ok || !file.hold_budget.is_none_or(unit) {
            return Err(invalid(
                "hold budgets must be ascending shares in [0, 1]".into(),
            ));
        }
        let index = index_vocabulary(&file.vocabulary)
            .map_err(|(a, b)| invalid(format!("features {a:?} and {b:?} share a hash key")))?;
        let weights = file.feature_log_prob[0]
            .iter()
            .zip(&file.feature_log_prob[1])
            .map(|(&n, &p)| [n, p])
            .collect();
        Ok(TaskModel {
            file,
            index,
            weights,
        })
    }

    /// Reads and checks a model file.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let bytes = fs::read(path).map_err(|source| ModelError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Checks a model file's content (`path` names it in errors).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, ModelError> {
        // Check the version before the full parse, so an old file gets the version error
        // rather than a confusing field error.
        #[derive(Deserialize)]
        struct Header {
            format_version: u32,
        }
        if let Ok(header) = serde_json::from_slice::<Header>(bytes) {
            if header.format_version != FORMAT_VERSION {
                return Err(ModelError::Version {
                    path: path.to_path_buf(),
                    found: header.format_version,
                    expected: FORMAT_VERSION,
                });
            }
        }
        let file: ModelFile =
            serde_json::from_slice(bytes).map_err(|source| ModelError::Parse {
                path: path.to_path_buf(),
                source,
            })?;
        Self::from_file(file, path)
    }

    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    pub fn task(&self) -> Task {
        self.file.task
    }

    pub fn thresholds(&self) -> Thresholds {
        self.file.thresholds
    }

    /// The hold threshold that holds at most `budget` of ordinary comments from sources
    /// the model was not trained on, by the estimate recorded in training: the threshold
    /// of the largest recorded budget not above `budget`. `None` when the model records
    /// no estimate; the strictest recorded threshold when `budget` is below every one.
    pub fn hold_threshold_for_budget(&self, budget: f64) -> Option<f64> {
        let table = &self.file.ordinary_held;
        let first = table.first()?;
        Some(
            table
                .iter()
                .take_while(|[b, _]| *b <= budget + 1e-12)
                .last()
                .unwrap_or(first)[1],
        )
    }

    /// The hold budget the model's own hold threshold was chosen for, if any.
    pub fn hold_budget(&self) -> Option<f64> {
        self.file.hold_budget
    }

    pub fn features(&self) -> &FeatureConfig {
        &self.file.features
    }

    /// The sorted `(column, value)` features of a tokenized comment in this vocabulary.
    pub fn vectorize(&self, tokens: &Tokens, out: &mut Vec<(u32, f64)>) {
        vectorize(tokens, &self.file.features, &self.index, out);
    }

    /// The sorted `(column, value)` features of precomputed feature keys.
    pub(crate) fn vectorize_keys(&self, keys: &[u64], out: &mut Vec<(u32, f64)>) {
        vectorize_keys(keys, &self.file.features, &self.index, out);
    }

    /// The evidence of a vectorized comment that the calibration maps to a probability:
    /// its log-odds minus the prior log-odds, divided by (number of features `n` + 1),
    /// plus `w · n / (n + c)` times the largest single positive contribution (`w` =
    /// `strongest_feature_weight`, `c` = `strongest_feature_length`).
    pub fn evidence(&self, features: &[(u32, f64)], log_odds: f64) -> f64 {
        let prior = self.file.class_log_prior[1] - self.file.class_log_prior[0];
        let n: f64 = features.iter().map(|f| f.1).sum();
        let strongest = features
            .iter()
            .map(|&(column, value)| {
                let w = self.weights[column as usize];
                value * (w[1] - w[0])
            })
            .fold(0.0, f64::max);
        let share = if n > 0.0 {
            self.file.strongest_feature_weight * n / (n + self.file.strongest_feature_length)
        } else {
            0.0
        };
        (log_odds - prior) / (n + 1.0) + share * strongest
    }

    /// Joint log-likelihoods `[neg, pos]` of a vectorized comment.
    pub fn joint_log_likelihood(&self, features: &[(u32, f64)]) -> [f64; 2] {
        let mut jll = self.file.class_log_prior;
        for &(column, value) in features {
            let w = self.weights[column as usize];
            jll[0] += value * w[0];
            jll[1] += value * w[1];
        }
        jll
    }

    /// Scores an already tokenized comment (`written` reads the same tokens, and may be
    /// shared by both models); `features` is scratch space.
    fn score_tokens(
        &self,
        tokens: &Tokens,
        written: &explain::Written<'_>,
        features: &mut Vec<(u32, f64)>,
    ) -> TaskScore {
        vectorize(tokens, &self.file.features, &self.index, features);
        let jll = self.joint_log_likelihood(features);
        let log_odds = jll[1] - jll[0];
        TaskScore {
            probability: self
                .file
                .calibration
                .probability(self.evidence(features, log_odds)),
            log_odds,
            top_tokens: self
                .contributions(written, features, EXPLANATION_TOKENS)
                .into_iter()
                .map(|c| c.token)
                .collect(),
        }
    }

    /// The `n` features with the largest positive contribution to the log-odds that
    /// explain the score (see [`explain::explains`]: real evidence, no function words),
    /// named as the comment wrote them ([`explain::Written`]).
    fn contributions(
        &self,
        written: &explain::Written<'_>,
        features: &[(u32, f64)],
        n: usize,
    ) -> Vec<Contribution> {
        let mut parts: Vec<(f64, u32)> = features
            .iter()
            .map(|&(column, value)| {
                let w = self.weights[column as usize];
                (value * (w[1] - w[0]), column)
            })
            .filter(|&(weight, column)| {
                weight >= explain::MIN_EVIDENCE
                    && explain::explains(&self.file.vocabulary[column as usize], weight)
            })
            .collect();
        // Strongest first; ties broken by column so explanations are deterministic. Only
        // the first `n` need sorting.
        let order = |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        if parts.len() > n && n > 0 {
            parts.select_nth_unstable_by(n - 1, order);
            parts.truncate(n);
        }
        parts.sort_unstable_by(order);
        parts
            .into_iter()
            .take(n)
            .map(|(weight, column)| Contribution {
                token: written.name(&self.file.vocabulary[column as usize]),
                weight,
            })
            .collect()
    }

    /// Scores one comment.
    pub fn score(&self, text: &str) -> TaskScore {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let Scratch { tokens, features } = &mut *s;
            tokenize_into(text, tokens);
            self.score_tokens(tokens, &explain::Written::new(tokens), features)
        })
    }

    /// The `n` features that pushed this comment's score up most, with their weights.
    pub fn explain(&self, text: &str, n: usize) -> Vec<Contribution> {
        let mut tokens = Tokens::new();
        tokenize_into(text, &mut tokens);
        let mut features = Vec::new();
        vectorize(&tokens, &self.file.features, &self.index, &mut features);
        self.contributions(&explain::Written::new(&tokens), &features, n)
    }

    /// Writes the model as JSON, atomically: a temporary file in the same directory, then
    /// a rename, so a crash or error never leaves a partial model behind.
    pub fn save(file: &ModelFile, path: &Path) -> Result<(), ModelError> {
        let write_err = |source| ModelError::Write {
            path: path.to_path_buf(),
            source,
        };
        let mut json = serde_json::to_vec(file).map_err(|e| write_err(std::io::Error::other(e)))?;
        json.push(b'\n');
        write_atomically(path, &json).map_err(write_err)
    }
}

/// Writes a file atomically: a temporary file in the same directory, synced, then renamed
/// over `path`, so a crash or error never leaves a partial file behind.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    // Temporary files are created private (0600); a model is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The two models the service scores every comment with.
#[derive(Debug, Clone)]
pub struct Classifier {
    spam: TaskModel,
    abuse: TaskModel,
}

/// The file a task's model lives in, inside a models directory.
pub fn model_path(dir: &Path, task: Task) -> PathBuf {
    dir.join(format!("{}.json", task.name()))
}

impl Classifier {
    pub fn new(spam: TaskModel, abuse: TaskModel) -> Result<Self, ModelError> {
        for (model, task) in [(&spam, Task::Spam), (&abuse, Task::Abuse)] {
            if model.task() != task {
                return Err(ModelError::Invalid {
                    path: PathBuf::from(task.name()),
                    reason: format!("expected a {task} model, found a {} model", model.task()),
                });
            }
        }
        Ok(Classifier { spam, abuse })
    }

    /// Loads `spam.json` and `abuse.json` from a models directory, as one pair: when the
    /// directory has a `manifest.json`, both files must be the ones it names (see
    /// [`super::manifest`]).
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let manifest = manifest::read(dir)?;
        let one = |task: Task| -> Result<TaskModel, ModelError> {
            let path = model_path(dir, task);
            let bytes = fs::read(&path).map_err(|source| ModelError::Read {
                path: path.clone(),
                source,
            })?;
            let model = TaskModel::from_bytes(&bytes, &path)?;
            if let Some(manifest) = &manifest {
                manifest::check(dir, manifest, task, &bytes)?;
            }
            Ok(model)
        };
        Self::new(one(Task::Spam)?, one(Task::Abuse)?)
    }

    /// Checks a pair of model files given as bytes (an installed model set) with the
    /// checks [`Classifier::load`] makes of each model (the manifest is a directory's, not
    /// the pair's); `spam_name` and `abuse_name` name them in errors (each error names the
    /// one at fault, a model of the wrong task included).
    pub fn from_bytes(
        spam: &[u8],
        spam_name: &Path,
        abuse: &[u8],
        abuse_name: &Path,
    ) -> Result<Self, ModelError> {
        let spam = TaskModel::from_bytes(spam, spam_name)?;
        let abuse = TaskModel::from_bytes(abuse, abuse_name)?;
        for (model, task, name) in [
            (&spam, Task::Spam, spam_name),
            (&abuse, Task::Abuse, abuse_name),
        ] {
            if model.task() != task {
                return Err(ModelError::Invalid {
                    path: name.to_path_buf(),
                    reason: format!("expected a {task} model, found a {} model", model.task()),
                });
            }
        }
        Self::new(spam, abuse)
    }

    pub fn model(&self, task: Task) -> &TaskModel {
        match task {
            Task::Spam => &self.spam,
            Task::Abuse => &self.abuse,
        }
    }

    pub fn thresholds(&self, task: Task) -> Thresholds {
        self.model(task).thresholds()
    }

    /// Whether `word` (a token) is in either model's vocabulary: learned from English
    /// corpora, it is what [`language::detect`] counts as known English.
    pub fn knows(&self, word: &str) -> bool {
        let key = unigram_key(stem(word));
        self.spam.index.contains_key(&key) || self.abuse.index.contains_key(&key)
    }

    /// Everything the classifier finds in a comment: both scores, its language, and the
    /// words written with look-alike letters of another script (tokenized once).
    pub fn judge(&self, text: &str) -> Judgement {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let Scratch { tokens, features } = &mut *s;
            tokenize_into(text, tokens);
            let written = explain::Written::new(tokens);
            Judgement {
                scores: Scores {
                    spam: self.spam.score_tokens(tokens, &written, features),
                    abuse: self.abuse.score_tokens(tokens, &written, features),
                },
                language: language::detect(text, tokens, |w| self.knows(w)),
                mixed_script_words: tokens.mixed_script_words(),
            }
        })
    }

    /// Scores a comment for spam and abuse (tokenized once for both).
    pub fn score(&self, text: &str) -> Scores {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let Scratch { tokens, features } = &mut *s;
            tokenize_into(text, tokens);
            let written = explain::Written::new(tokens);
            Scores {
                spam: self.spam.score_tokens(tokens, &written, features),
                abuse: self.abuse.score_tokens(tokens, &written, features),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Classifier {
        Classifier::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models")).unwrap()
    }

    /// 5,000 characters of real comments (Civil Comments, concatenated in file order).
    fn long_comment() -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data/civil_comments.csv");
        let mut reader = csv::Reader::from_path(path).unwrap();
        let mut text = String::new();
        for record in reader.records() {
            text.push_str(&record.unwrap()[0]);
            text.push(' ');
            if text.chars().count() >= 5_000 {
                break;
            }
        }
        text.chars().take(5_000).collect()
    }

    /// A 5,000-character comment gets finite probabilities in [0, 1], where linfa's own
    /// `predict_proba` (exp of joint log-likelihoods without max subtraction) cannot.
    #[test]
    fn long_comment_scores_are_finite() {
        let classifier = shipped();
        let text = long_comment();
        assert_eq!(text.chars().count(), 5_000);
        let scores = classifier.score(&text);
        for s in [&scores.spam, &scores.abuse] {
            assert!(s.log_odds.is_finite());
            for p in [s.probability, s.posterior()] {
                assert!(p.is_finite() && (0.0..=1.0).contains(&p), "{p}");
            }
        }
        // The joint log-likelihoods are far below what exp() can represent.
        let model = classifier.model(Task::Abuse);
        let mut tokens = Tokens::new();
        tokenize_into(&text, &mut tokens);
        let mut features = Vec::new();
        vectorize(&tokens, model.features(), &model.index, &mut features);
        let jll = model.joint_log_likelihood(&features);
        assert!(jll[0].exp() == 0.0 && jll[1].exp() == 0.0, "{jll:?}");
    }

    /// Saving and loading a model gives the same model and the same scores; the file is
    /// written whole (no temporary file left behind).
    #[test]
    fn save_load_round_trip() {
        let classifier = shipped();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spam.json");
        let original = classifier.model(Task::Spam);
        TaskModel::save(original.file(), &path).unwrap();
        let loaded = TaskModel::load(&path).unwrap();
        assert_eq!(loaded.file(), original.file());
        let text = "Check out my channel and subscribe http://www.youtube.com/user/example";
        assert_eq!(loaded.score(text), original.score(text));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// A model whose numbers are not probabilities is refused, naming what is wrong: a
    /// log-probability above 0 (a probability over 1), priors that do not sum to 1, a
    /// feature distribution that does not.
    #[test]
    fn impossible_probabilities_are_refused() {
        let good = shipped().model(Task::Spam).file().clone();
        let path = Path::new("spam.json");
        let refused = |file: ModelFile, what: &str| {
            let err = TaskModel::from_file(file, path).unwrap_err().to_string();
            assert!(err.contains(what), "{err}");
        };
        let mut above_one = good.clone();
        above_one.feature_log_prob[1][0] = 0.5;
        refused(above_one, "positive class's feature_log_prob");
        let mut priors = good.clone();
        priors.class_log_prior = [(0.7f64).ln(), (0.7f64).ln()];
        refused(priors, "class_log_prior");
        let mut positive_prior = good.clone();
        positive_prior.class_log_prior = [0.1, -5.0];
        refused(positive_prior, "class_log_prior");
        let mut short = good.clone();
        let commonest = (0..short.vocabulary.len())
            .max_by(|&a, &b| short.feature_log_prob[0][a].total_cmp(&short.feature_log_prob[0][b]))
            .unwrap();
        short.feature_log_prob[0][commonest] -= 3.0;
        refused(short, "negative class's feature_log_prob");
        TaskModel::from_file(good, path).unwrap();
    }

    /// The shipped models are the right tasks with training metadata and sane thresholds.
    #[test]
    fn shipped_models_carry_metadata() {
        let classifier = shipped();
        for task in Task::ALL {
            let file = classifier.model(task).file();
            assert_eq!(file.task, task);
            assert!(file.training["files"]
                .as_array()
                .is_some_and(|f| !f.is_empty()));
            let t = file.thresholds;
            assert!(t.hold > 0.0 && t.hold < 1.0, "{t:?}");
            assert!(t.reject.is_none_or(|r| t.hold <= r && r <= 1.0), "{t:?}");
        }
    }

    /// The logistic never overflows and is symmetric.
    #[test]
    fn logistic_is_stable() {
        assert_eq!(logistic(0.0), 0.5);
        assert_eq!(logistic(1e6), 1.0);
        assert_eq!(logistic(-1e6), 0.0);
        assert!((logistic(3.0) + logistic(-3.0) - 1.0).abs() < 1e-15);
        assert!(logistic(f64::MAX).is_finite() && logistic(f64::MIN).is_finite());
    }
}
