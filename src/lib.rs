//! commentguard — a self-hosted comment moderation service for news sites.
//!
//! # Layout
//! - [`classifier`]: the text pipeline and the two naive Bayes models (spam, abuse):
//!   tokenize, vectorize, train, evaluate, score and explain. No HTTP, no SQL.
//! - [`commands`]: the classifier subcommands (`train`, `evaluate`, `score`).
//! - [`cli`]: the command line (`serve`, `train`, `evaluate`, `score`, ...); thin, the
//!   library does the work.
//! - [`reload`]: hot model reload (SIGHUP and the admin API), switching atomically.
//! - [`webhooks`]: delivering comment events to sites' webhooks from the durable outbox
//!   (signed, retried with backoff).
pub mod classifier;
pub mod cli;
pub mod commands;
pub mod config;
pub mod domain;
pub mod http;
pub mod pipeline;
pub mod ratelimit;
pub mod reload;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod webhooks;
