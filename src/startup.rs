//! Builds the application — the same way for `commentguard serve` and for the tests.
//!
//! [`Application::build`] opens (and migrates) the database, starts the writer thread,
//! chooses the models (the newest set installed in the database, else the models
//! directory: [`crate::reload`]), binds the listener itself and exposes the bound
//! [`Application::port`],
//! so a test can ask for port 0 and learn which port it got. Nothing here parses
//! arguments or reads the environment: `commentguard serve`
//! ([`crate::commands::serve`]) does that, then calls `build`.
//!
//! With `rate_limit_store` set, the rate limits are shared with the other instances
//! through Redis ([`crate::ratelimit`]); Redis is connected to on first use, so the
//! service starts while it is down.
//!
//! Background tasks live as long as the server: the rate-limit pruner, the daily
//! retention purge ([`crate::maintenance`]), the `SIGHUP`
//! listener that reloads the models and the poll for newer installed model sets every
//! `model_poll_seconds` ([`crate::reload`]), and — when a site
//! has a webhook — the [`webhooks::Worker`], which is stopped gracefully (attempts in
//! flight finish) after the server has stopped.
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::ErrorHandlers;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use arc_swap::ArcSwap;

use crate::classifier::Classifier;
use crate::clock::Clock;
use crate::config::Config;
use crate::domain::Sites;
use crate::http::moderator_auth::AuthFailures;
use crate::http::{self, AppState};
use crate::pipeline::FormTokens;
use crate::ratelimit::{RateLimiters, SharedLimits};
use crate::reload::ModelReloader;
use crate::store::{self, Store};
use crate::webhooks;

/// Opens (creating and migrating) the configured database.
async fn open_store(config: &Config, clock: &Clock) -> anyhow::Result<Store> {
    store::open(&config.database, &config.storage, clock.clone())
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                store::Database::of(&config.database).describe()
            )
        })
}

/// How long in-flight requests get to finish on shutdown, in seconds.
const SHUTDOWN_TIMEOUT_SECS: u64 = 10;

/// A built, bound, not yet running service.
pub struct Application {
    port: u16,
    server: Server,
    classifier: Arc<ArcSwap<Classifier>>,
    background: Vec<tokio::task::JoinHandle<()>>,
    webhooks: Option<webhooks::Worker>,
}

impl Application {
    /// Builds the service from the configuration: opens (and migrates) `config.database`,
    /// then serves the newest model set installed in it, or — when none is — the models
    /// in `config.models` (see [`crate::reload`]).
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let config = config.validate()?;
        let clock = Clock::system();
        let store = open_store(&config, &clock).await?;
        Self::build_on(config, None, clock, store).await
    }

    /// Builds the service around an already loaded classifier (tests share one).
    pub async fn build_with_classifier(
        config: Config,
        classifier: Arc<Classifier>,
    ) -> anyhow::Result<Application> {
        Self::build_with_clock(config, classifier, Clock::system()).await
    }

    /// Builds the service around an already loaded classifier, reading time from `clock`
    /// (tests drive a [`Clock::manual`] instead of sleeping), on the database
    /// `config.database` — a SQLite file or a `postgres://` URL (opened, created and
    /// migrated here).
    pub async fn build_with_clock(
        config: Config,
        classifier: Arc<Classifier>,
        clock: Clock,
    ) -> anyhow::Result<Application> {
        // Checked before the database is touched (and again, harmlessly, by the next step).
        let config = config.validate()?;
        let store = open_store(&config, &clock).await?;
        Self::build_with_store(config, classifier, clock, store).await
    }

    /// Builds the service on an already opened `store` (any backend; it should read time
    /// from the same `clock`). `config.database` is not used. The tests choose their
    /// backend this way. `classifier` stands for the models directory: it serves unless
    /// the store holds an installed model set (see [`crate::reload`]).
    pub async fn build_with_store(
        config: Config,
        classifier: Arc<Classifier>,
        clock: Clock,
        store: Store,
    ) -> anyhow::Result<Application> {
        Self::build_on(config, Some(classifier), clock, store).await
    }

    /// Builds the service on `store`; `files` is the models directory already loaded
    /// (`None`: loaded here if no installed set serves).
    async fn build_on(
        config: Config,
        files: Option<Arc<Classifier>>,
        clock: Clock,
        store: Store,
    ) -> anyhow::Result<Application> {
        let config = config.validate()?;
        // Process-wide and idempotent: every HTTP client (webhooks, tests) needs it.
        webhooks::install_tls_provider();
        let sites = Arc::new(Sites::from_config(&config.sites).context("invalid site")?);
        let webhook_targets = webhooks::Targets::from_config(&config)?;
        store
            .set_webhook_sites(webhook_targets.sites())
            .await
            .context("cannot record the sites with webhooks")?;
        http::rules::install_stored(&sites, &store)
            .await
            .context("cannot read the site rules changed at run time")?;
        let metrics = crate::monitoring::install();
        let webhook_store = store.clone();
        let retention_store = store.clone();
        let form_secret = match &config.form_token_secret {
            // Validated as hex of ≥ 32 bytes.
            Some(hex_secret) => hex::decode(hex_secret.expose())?,
            None => store.form_token_secret().to_vec(),
        };
        let form_tokens = FormTokens::new(&form_secret);
        // The e-mail limit's keys in Redis are keyed by the deployment's shared secret.
        let shared_limits = SharedLimits::from_config(&config, &form_secret)
            .context("invalid rate_limit_store")?
            .map(Arc::new);
        let limiters = Arc::new(RateLimiters::new(&sites, &clock, shared_limits.clone()));
        let models = Arc::new(
            ModelReloader::start(config.models.clone(), store.clone(), files)
                .await
                .context("no models to serve")?,
        );
        let classifier = models.live();
        let auth_failures = Arc::new(AuthFailures::new(&clock, shared_limits));
        let state = web::Data::new(AppState {
            sites: Arc::clone(&sites),
            store,
            classifier: Arc::clone(&classifier),
            limiters: Arc::clone(&limiters),
            form_tokens,
            trusted_proxies: config.trusted_proxies.clone().into(),
            auth_failures: Arc::clone(&auth_failures),
            models: Arc::clone(&models),
            sessions: config.sessions.clone(),
            clock: clock.clone(),
        });

        let listener = TcpListener::bind(config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(http::configure)
                .default_service(web::to(http::not_found))
                .wrap(http::cors::middleware(Arc::clone(&sites)))
                // Sees every response, including CORS refusals.
                .wrap(ErrorHandlers::new().default_handler(http::error::json_error_fallback))
                // Outermost: the request id, the access log line and the metrics.
                .wrap(actix_web::middleware::from_fn(http::access_log::observe))
        })
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS);
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();
        let webhooks = if webhook_targets.is_empty() {
            None
        } else {
            Some(webhooks::Worker::start(
                webhook_store,
                webhook_targets,
                &config.webhooks,
                clock.clone(),
            )?)
        };

        let retention = tokio::spawn(crate::maintenance::purge_daily(
            retention_store,
            config.clone(),
            clock.clone(),
        ));
        let model_poll = (config.model_poll_seconds > 0).then(|| {
            tokio::spawn(crate::reload::poll_installed(
                Arc::clone(&models),
                Duration::from_secs(config.model_poll_seconds),
            ))
        });
        let prune_every = Duration::from_secs(config.rate_limit_prune_secs);
        let pruner = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(prune_every);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                limiters.prune();
                auth_failures.prune();
            }
        });
        tracing::info!(
            bind = %config.bind,
            port,
            database = %crate::store::Database::of(&config.database).describe(),
            models = %config.models.display(),
            model_set = ?models.status().and_then(|s| s.version),
            model_poll_seconds = config.model_poll_seconds,
            sites = config.sites.len(),
            rate_limits = %config
                .rate_limit_store
                .as_ref()
                .map_or_else(|| "in-process".to_owned(), |url| format!("shared via {url}")),
            "commentguard ready"
        );
        let mut background = vec![
            pruner,
            retention,
            tokio::spawn(async move {
                if let Some(handle) = metrics {
                    crate::monitoring::upkeep(handle).await;
                }
            }),
            #[cfg(unix)]
            tokio::spawn(crate::reload::reload_on_sighup(models)),
        ];
        background.extend(model_poll);
        Ok(Application {
            port,
            server,
            classifier,
            background,
            webhooks,
        })
    }

    /// The port the service listens on (the real one when the config asked for 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The models in service; storing a new `Classifier` here switches every worker to it.
    pub fn classifier(&self) -> Arc<ArcSwap<Classifier>> {
        Arc::clone(&self.classifier)
    }

    /// Serves until the server is stopped (signal or [`ServerHandle::stop`]).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        for task in self.background {
            task.abort();
        }
        if let Some(worker) = self.webhooks {
            worker.stop().await;
        }
        result
    }
}
