//! The subcommands besides `serve`: each file parses its arguments (clap), calls the
//! library and prints. Exit status is non-zero on any error, with a message naming the
//! input. Classifier: `train`, `evaluate`, `score`. Review: `moderator`,
//! `export-decisions` ([`export`]). Data care: `backup`, `purge`, `forget`.
pub mod backup;
pub mod evaluate;
pub mod export;
pub mod forget;
pub mod moderator;
pub mod purge;
pub mod score;
pub mod train;
