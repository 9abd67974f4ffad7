//! The subcommands: each file parses its arguments (clap), calls the library and prints.
//! Exit status is non-zero on any error, with a message naming the input. Service:
//! `serve`, `site-key`, `example-config`. Classifier: `train`, `evaluate`, `score`,
//! `models` (installing model sets in the database for every instance).
//! Review: `moderator`, `export-decisions` ([`export`]; [`decisions`] reads moderators'
//! decisions as training examples for it and for `train --with-decisions`). Data care:
//! `backup`, `purge`, `forget`.
pub mod backup;
pub mod decisions;
pub mod evaluate;
pub mod example_config;
pub mod export;
pub mod forget;
pub mod models;
pub mod moderator;
pub mod purge;
pub mod score;
pub mod serve;
pub mod site_key;
pub mod train;
