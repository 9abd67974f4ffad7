//! API tests: each test starts the real service on an ephemeral port with its own store
//! (see `helpers::test_store`: a SQLite file, or with `COMMENTGUARD_TEST_POSTGRES_URL` set
//! a schema of its own on that PostgreSQL server) and tells one story through HTTP.
//!
//! Every test runs on the suite's backend, except those about the SQLite backend's own
//! promises (its file under SIGKILL, a full disk or a read-only file system, file
//! permissions, a foreign file, a lock held on the file, its online backups): they name a
//! SQLite file themselves, or skip PostgreSQL runs (`helpers::skip_sqlite_file_test`).
//! Rows no API shows are read with `TestApp::query_i64`/`query_text`, on either backend.
//! The fleet tests (`fleet.rs`: three instances on one schema and one Redis) need both
//! `COMMENTGUARD_TEST_POSTGRES_URL` and `COMMENTGUARD_TEST_REDIS_URL`, and skip without.
mod block_lists;
mod data_care;
mod desk;
mod desk_browser;
mod durability;
mod embed;
mod embed_browser;
mod fleet;
mod fleet_models;
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
