//! commentguard — a self-hosted comment moderation service for news sites.
//!
//! # Layout
//! - [`text`]: how comment text is read — the one normaliser (HTML, Unicode, look-alike
//!   letters, de-obfuscation) behind the models' tokens, block lists, link counting and
//!   duplicate detection. Depends on nothing else in the crate.
//! - [`classifier`]: the two naive Bayes models (spam, abuse) over those tokens:
//!   vectorize, train, evaluate, score and explain. No HTTP, no SQL.
//! - [`domain`]: types that can only hold valid values (comment body, e-mail, article id,
//!   site, moderation actions, site rules, sessions), parsed at the boundary.
//! - [`pipeline`]: the ordered decision phases (honeypot, form timing, links, duplicates,
//!   block lists, bans, trusted authors, the models, pre-moderation).
//! - [`store`]: the storage interface (traits in the domain's words, `Store = Arc<dyn
//!   Storage>`) and its SQLite backend — schema and migrations, the group-commit writer,
//!   queries. The only module that knows SQL.
//! - [`http`]: one file per resource, the JSON error type and its codes, auth extractors.
//! - [`ratelimit`]: flood limits: keyed governor limiters with pruning, shared by every
//!   instance through Redis when `rate_limit_store` is set; the failed-auth limit.
//! - [`config`]: TOML + `COMMENTGUARD_…` environment configuration (a `[sites.ID]`
//!   section's types are the domain's: `config` depends on `domain`, never the reverse).
//! - [`startup`]: builds the application the same way for `serve` and for the tests.
//! - [`reload`]: hot model reload (SIGHUP and the admin API from the models directory;
//!   newer model sets installed in the database, polled), switching atomically.
//! - [`webhooks`]: delivering comment events to sites' webhooks from the durable outbox
//!   (signed, retried with backoff).
//! - [`commands`]: the subcommands (`serve`, `site-key`, `example-config`, `train`,
//!   `evaluate`, `score`, `models`, `moderator`, `export-decisions`, `backup`, `purge`, `forget`);
//!   [`cli`] only parses the command line and dispatches to them.
//! - [`maintenance`]: the retention policy, applied daily by the server and by
//!   `commentguard purge`.
//! - [`clock`]: the time every timed decision reads, driven by hand in tests, and the
//!   one rounding of `Retry-After`.
//! - [`telemetry`] sets up logging (tracing, text or JSON); [`monitoring`] records the
//!   Prometheus metrics served at `/metrics`.
pub mod classifier;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod domain;
pub mod http;
pub mod maintenance;
pub mod monitoring;
pub mod pipeline;
pub mod ratelimit;
pub mod reload;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod webhooks;
