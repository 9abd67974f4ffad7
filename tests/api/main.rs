//! API tests: each test starts the real service on an ephemeral port with its own store
//! (see `helpers::test_store`: a SQLite file today) and tells one story through HTTP.
//!
//! Every module runs through the storage interface, whatever the backend, except the
//! `sqlite_*` ones, which test the SQLite backend's own promises (its file under SIGKILL,
//! a full disk or a read-only file system, its online backups and the CLI commands that
//! open the file), and the few helpers named `sqlite()` that reach into its tables.
mod block_lists;
mod desk;
mod desk_browser;
mod durability;
mod embed;
mod embed_browser;
mod health;
mod helpers;
mod heuristics;
mod integration_contract;
mod listing;
mod news_day_one;
mod observability;
mod openapi;
mod process;
mod rate_limit;
mod reports;
mod review;
mod review_browser;
mod review_reload;
mod review_support;
mod route_table;
mod sessions;
mod shared_limits;
mod site_rules;
mod sqlite_crash;
mod sqlite_data_care;
mod sqlite_faults;
mod submit;
mod validation;
mod webhooks;
