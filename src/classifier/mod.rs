//! Spam and abuse classification with multinomial naive Bayes (linfa-bayes).
pub mod tokenize;
