//! Spam and abuse classification with multinomial naive Bayes (linfa-bayes).
//!
//! - [`tokenize`]: comment text → normalised tokens (NFKC, case folding, look-alike
//!   letters, URL/e-mail/number/phone/money/shouting markers, de-obfuscation), as
//!   [`crate::text`] reads them.
//! - [`vectorize`]: tokens → unigram and bigram features in a bounded vocabulary.
//! - [`data`]: the canonical labelled CSV format and its loader.
//! - [`identity`]: identity terms, which the abuse model does not weigh; [`bias`]: the
//!   identity templates that measure unintended bias; [`lookalike`]: held comments written
//!   with look-alike letters.
//! - [`language`]: whether a comment is English (the models judge English only).
//! - [`train`]: fitting `MultinomialNb` in batches, validation, thresholds.
//! - [`model`]: the saved model format, loading, scoring and explanations; [`manifest`]:
//!   the two models of a directory go into service as one pair.
//! - [`explain`]: which words explain a score, and where they are in the comment.
//! - [`metrics`], [`evaluate`]: precision, recall, F1, ROC AUC on labelled comments.
//!
//! No HTTP and no SQL here: the service and the CLI both call this module.
pub mod bias;
pub mod data;
pub mod evaluate;
pub mod explain;
pub mod identity;
pub mod language;
pub mod lookalike;
pub mod manifest;
pub mod metrics;
pub mod model;
pub mod tokenize;
pub mod train;
pub mod vectorize;

pub use data::Task;
pub use language::Language;
pub use model::{
    Classifier, Contribution, Judgement, ModelError, Scores, TaskModel, TaskScore, Thresholds,
};
