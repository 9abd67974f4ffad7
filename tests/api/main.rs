//! API tests: each test starts the real service on an ephemeral port with its own SQLite
//! file and tells one story through HTTP.
mod crash;
mod data_care;
mod desk;
mod durability;
mod embed;
mod embed_browser;
mod faults;
mod health;
mod helpers;
mod heuristics;
mod integration_contract;
mod listing;
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
mod submit;
mod validation;
mod webhooks;
