//! Spam and abuse classification with multinomial naive Bayes (linfa-bayes).
//!
//! - [`tokenize`]: comment text → normalised tokens (NFKC, case folding, look-alike
//!   letters, URL/e-mail/number/phone/money/shouting markers, de-obfuscation).
//! - [`vectorize`]: tokens → unigram and bigram features in a bounded vocabulary.
//! - [`data`]: the canonical labelled CSV format and its loader.
//! - [`train`]: fitting `MultinomialNb` in batches, validation, thresholds.
//! - [`model`]: the saved model format, loading, scoring and explanations.
//! - [`metrics`], [`evaluate`]: precision, recall, F1, ROC AUC on labelled comments.
//!
//! No HTTP and no SQL here: the service and the CLI both call this module.
pub mod data;
pub mod evaluate;
pub mod metrics;
pub mod model;
pub mod tokenize;
pub mod train;
pub mod vectorize;

pub use data::Task;
pub use model::{Classifier, Contribution, ModelError, Scores, TaskModel, TaskScore, Thresholds};
