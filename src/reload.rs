//! Hot model reload: new models go into service without a restart, on one instance or on
//! every instance sharing the database.
//!
//! # Where the models come from
//! - **Files**: the configured models directory (`spam.json`, `abuse.json`). Read at start
//!   when the database holds no installed set — the zero-setup path — and by every
//!   `SIGHUP` and `POST /api/v1/admin/reload-models` ([`ModelReloader::reload`]).
//! - **The database**: a model set installed with `commentguard models install` (both
//!   files as one unit, versioned, with their SHA-256; see [`crate::store::models`]).
//!
//! # Rules
//! 1. **At start** ([`ModelReloader::start`]) the newest installed set serves if the
//!    database holds one and it passes the checks below. If it fails them it is refused
//!    (as in rule 2) and the newest older set that passes serves — what the instances
//!    already running still serve. With no installed set that passes, the models
//!    directory.
//! 2. **Polling** ([`poll_installed`], every `model_poll_seconds`; 0 turns it off): each
//!    instance asks the database for the newest version (a cheap query). A version newer
//!    than the newest this instance has loaded *or refused* is fetched, its checksum
//!    verified, and loaded with the classifier's own checks on the blocking pool; then it
//!    serves. A set that fails (damaged bytes, a model this build refuses) is logged once
//!    and never fetched again by this instance — no retry loop; the models in service
//!    stay, and `/readyz` shows the refused version. A newer install is taken as usual.
//!    A database that does not answer is tried again at the next poll.
//! 3. **A file reload** (`SIGHUP`, the admin API) puts the models directory in service on
//!    this instance whatever the database holds: an override that lasts until the next
//!    install (every instance then takes it — the next database install wins) or until
//!    the instance restarts (rule 1 again).
//!
//! Every reload loads on the blocking pool (parsing a model takes tens of milliseconds,
//! never on the async workers), is serialised with the others (one mutex: two overlapping
//! triggers cannot finish in the wrong order), and swaps the pair into the shared
//! `ArcSwap` in one store: every request after it scores with the new pair, none ever
//! sees one new model and one old. [`ModelsIdentity`] names the models in service (a
//! digest of each model's content and its thresholds) and [`ModelSetStatus`] where they
//! came from, so an operator — or a test — can see the switch in `/readyz` and in the
//! reload response.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::classifier::{Classifier, ModelError, Task};
use crate::store::{ChecksumMismatch, Store, StoreError};

mod installed;

pub use installed::poll_installed;

/// Hex digits of the content digest shown per model.
const DIGEST_HEX_CHARS: usize = 16;

/// One model in service.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelIdentity {
    /// SHA-256 (first 16 hex digits) of the model as loaded: its vocabulary, weights,
    /// thresholds and training metadata. Any retraining changes it.
    pub sha256: String,
    /// The model's own hold and reject thresholds (sites may override them).
    pub hold: f64,
    /// `None`: this model never rejects on its own.
    pub reject: Option<f64>,
}

/// The pair of models in service.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelsIdentity {
    pub spam: ModelIdentity,
    pub abuse: ModelIdentity,
}

impl ModelsIdentity {
    /// Digests both models (serialises about a megabyte: call off the async workers).
    pub fn of(classifier: &Classifier) -> Result<Self, serde_json::Error> {
        let one = |task: Task| -> Result<ModelIdentity, serde_json::Error> {
            let model = classifier.model(task);
            let bytes = serde_json::to_vec(model.file())?;
            let digest = hex::encode(Sha256::digest(&bytes));
            let t = model.thresholds();
            Ok(ModelIdentity {
                sha256: digest[..DIGEST_HEX_CHARS].to_owned(),
                hold: t.hold,
                reject: t.reject,
            })
        };
        Ok(ModelsIdentity {
            spam: one(Task::Spam)?,
            abuse: one(Task::Abuse)?,
        })
    }
}

/// Where the models in service were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ModelSource {
    /// The models directory (`spam.json`, `abuse.json`).
    Files,
    /// A model set installed in the database (`commentguard models install`).
    Database,
}

/// Where the models in service came from, as `/readyz` and the admin API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ModelSetStatus {
    /// `files` (the models directory) or `database` (an installed model set).
    pub source: ModelSource,
    /// The installed set's version; `null` for files.
    pub version: Option<i64>,
    /// The installed set's checksum (SHA-256 of the pair, hex, as `commentguard models
    /// install` printed it); `null` for files.
    pub checksum: Option<String>,
    /// The newest installed version this instance refused (damaged, or a model this
    /// build cannot load): the models above keep serving until a newer set is installed.
    /// `null` when none was refused since the last set went into service.
    pub refused_version: Option<i64>,
}

/// Where one loaded pair came from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    Files,
    Installed { version: i64, checksum: String },
}

/// Why a reload did not happen. The models in service are unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// A model file is missing, truncated, corrupt or from an incompatible version.
    #[error(transparent)]
    Refused(#[from] ModelError),
    /// An installed set's bytes do not match its checksum.
    #[error(transparent)]
    Damaged(#[from] ChecksumMismatch),
    /// The database could not be asked (tried again at the next poll).
    #[error("cannot read the installed model sets")]
    Store(#[from] StoreError),
    /// The set was deleted (too old) between being seen as newest and being fetched.
    #[error("model set {0} is no longer in the database")]
    Vanished(i64),
    #[error("could not describe the models: {0}")]
    Identity(#[from] serde_json::Error),
    #[error("loading the models panicked")]
    Panicked,
}

impl ReloadError {
    /// Whether the models themselves were refused (as opposed to not reached): an
    /// installed set refused this way is not fetched again.
    pub fn is_refusal(&self) -> bool {
        matches!(self, ReloadError::Refused(_) | ReloadError::Damaged(_))
    }
}

/// Why the service cannot start with any models.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read the model sets installed in the database")]
    Installed(#[source] StoreError),
    #[error("cannot load the models from {dir} (train them with `commentguard train`; with a shared database, `commentguard models install`)")]
    Files {
        dir: PathBuf,
        #[source]
        source: ModelError,
    },
    #[error("loading the models panicked")]
    Panicked,
}

/// The pair this reloader last put in service.
struct Serving {
    classifier: Arc<Classifier>,
    origin: Origin,
    /// Computed on first request, then kept.
    identity: Option<Arc<ModelsIdentity>>,
}

struct State {
    serving: Serving,
    /// The newest installed version this instance has loaded or refused: polling fetches
    /// only newer ones.
    seen: Option<i64>,
    /// The newest installed version refused since the last set went into service.
    refused: Option<i64>,
    /// Whether the last poll could not reach the database (logged when it changes).
    poll_failing: bool,
}

/// Loads and switches the models of one running service.
pub struct ModelReloader {
    dir: PathBuf,
    live: Arc<ArcSwap<Classifier>>,
    store: Store,
    /// Held for the whole of a reload: one at a time.
    reloading: tokio::sync::Mutex<()>,
    state: Mutex<State>,
}

impl ModelReloader {
    /// Chooses the models to start with (rule 1 of the module doc): the newest set
    /// installed in `store` if it loads, else `files` when given (already loaded from the
    /// models directory by the caller), else the models directory `dir`.
    pub async fn start(
        dir: PathBuf,
        store: Store,
        files: Option<Arc<Classifier>>,
    ) -> Result<ModelReloader, StartError> {
        let mut seen = None;
        let mut refused = None;
        if let Some(head) = store
            .latest_model_set()
            .await
            .map_err(StartError::Installed)?
        {
            // The newest first; if it fails, the newest older set that loads — what the
            // instances already running still serve.
            let mut versions = vec![head.version];
            let mut next = 0;
            while let Some(&version) = versions.get(next) {
                next += 1;
                match installed::load(&store, version).await {
                    Ok(loaded) => {
                        tracing::info!(
                            version,
                            checksum = %loaded.checksum,
                            "serving an installed model set"
                        );
                        let origin = Origin::Installed {
                            version,
                            checksum: loaded.checksum,
                        };
                        let seen = if refused.is_some() {
                            head.version
                        } else {
                            version
                        };
                        let reloader = Self::serving(
                            dir,
                            store,
                            loaded.classifier,
                            origin,
                            Some(loaded.identity),
                            Some(seen),
                        );
                        reloader.lock_state().refused = refused;
                        return Ok(reloader);
                    }
                    Err(ReloadError::Store(err)) => return Err(StartError::Installed(err)),
                    Err(err) => {
                        tracing::error!(
                            version,
                            error = %err,
                            "installed model set refused at start; trying the one before, then the models directory"
                        );
                        if version == head.version {
                            if err.is_refusal() {
                                seen = Some(head.version);
                                refused = Some(head.version);
                            }
                            let older = store.model_sets().await.map_err(StartError::Installed)?;
                            versions.extend(
                                older
                                    .iter()
                                    .map(|set| set.version)
                                    .filter(|&v| v < head.version),
                            );
                        }
                    }
                }
            }
        }
        let classifier = match files {
            Some(classifier) => classifier,
            None => {
                let from = dir.clone();
                let loaded = tokio::task::spawn_blocking(move || Classifier::load(&from))
                    .await
                    .map_err(|_| StartError::Panicked)?
                    .map_err(|source| StartError::Files {
                        dir: dir.clone(),
                        source,
                    })?;
                Arc::new(loaded)
            }
        };
        let reloader = Self::serving(dir, store, classifier, Origin::Files, None, seen);
        reloader.lock_state().refused = refused;
        Ok(reloader)
    }

    fn serving(
        dir: PathBuf,
        store: Store,
        classifier: Arc<Classifier>,
        origin: Origin,
        identity: Option<Arc<ModelsIdentity>>,
        seen: Option<i64>,
    ) -> ModelReloader {
        ModelReloader {
            dir,
            live: Arc::new(ArcSwap::new(Arc::clone(&classifier))),
            store,
            reloading: tokio::sync::Mutex::new(()),
            state: Mutex::new(State {
                serving: Serving {
                    classifier,
                    origin,
                    identity,
                },
                seen,
                refused: None,
                poll_failing: false,
            }),
        }
    }

    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a few plain fields, each update complete: a panic elsewhere
        // cannot leave it half-written.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The models in service, shared with every worker (swapped whole, never mutated).
    pub fn live(&self) -> Arc<ArcSwap<Classifier>> {
        Arc::clone(&self.live)
    }

    /// The models directory that file reloads read.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Puts `classifier` in service (the caller holds `reloading`).
    fn put_in_service(
        &self,
        classifier: Arc<Classifier>,
        origin: Origin,
        identity: Arc<ModelsIdentity>,
    ) {
        self.live.store(Arc::clone(&classifier));
        self.lock_state().serving = Serving {
            classifier,
            origin,
            identity: Some(identity),
        };
    }

    /// Loads the models directory and, if both files are good, puts them into service
    /// (rule 3 of the module doc).
    #[tracing::instrument(name = "reload_models", skip(self), fields(dir = %self.dir.display()))]
    pub async fn reload(&self) -> Result<Arc<ModelsIdentity>, ReloadError> {
        let _one_at_a_time = self.reloading.lock().await;
        let dir = self.dir.clone();
        let (classifier, identity) = tokio::task::spawn_blocking(move || {
            let classifier = Arc::new(Classifier::load(&dir)?);
            let identity = Arc::new(ModelsIdentity::of(&classifier)?);
            Ok::<_, ReloadError>((classifier, identity))
        })
        .await
        .map_err(|_| ReloadError::Panicked)??;
        self.put_in_service(classifier, Origin::Files, Arc::clone(&identity));
        tracing::info!(
            spam = %identity.spam.sha256,
            abuse = %identity.abuse.sha256,
            "models reloaded from the models directory"
        );
        Ok(identity)
    }

    /// The identity of the models in service (computed once per loaded pair, off the
    /// async workers).
    pub async fn identity(&self) -> Result<Arc<ModelsIdentity>, ReloadError> {
        let current = self.live.load_full();
        {
            let state = self.lock_state();
            if Arc::ptr_eq(&state.serving.classifier, &current) {
                if let Some(identity) = &state.serving.identity {
                    return Ok(Arc::clone(identity));
                }
            }
        }
        let c = Arc::clone(&current);
        let identity = tokio::task::spawn_blocking(move || ModelsIdentity::of(&c))
            .await
            .map_err(|_| ReloadError::Panicked)??;
        let identity = Arc::new(identity);
        let mut state = self.lock_state();
        if Arc::ptr_eq(&state.serving.classifier, &current) {
            state.serving.identity = Some(Arc::clone(&identity));
        }
        Ok(identity)
    }

    /// Where the models in service came from; `None` when they were swapped in from
    /// outside the reloader (`Application::classifier`).
    pub fn status(&self) -> Option<ModelSetStatus> {
        let current = self.live.load_full();
        let state = self.lock_state();
        if !Arc::ptr_eq(&state.serving.classifier, &current) {
            return None;
        }
        let (source, version, checksum) = match &state.serving.origin {
            Origin::Files => (ModelSource::Files, None, None),
            Origin::Installed { version, checksum } => (
                ModelSource::Database,
                Some(*version),
                Some(checksum.clone()),
            ),
        };
        Some(ModelSetStatus {
            source,
            version,
            checksum,
            refused_version: state.refused,
        })
    }
}

impl std::fmt::Debug for ModelReloader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelReloader")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// Reloads on every `SIGHUP` until the task is aborted; a refused reload is logged and
/// the old models keep serving.
#[cfg(unix)]
pub async fn reload_on_sighup(reloader: Arc<ModelReloader>) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups = match signal(SignalKind::hangup()) {
        Ok(s) => s,
        Err(err) => {
            tracing::error!(error = %err, "cannot listen for SIGHUP; reload models through the admin API");
            return;
        }
    };
    while hangups.recv().await.is_some() {
        tracing::info!("SIGHUP: reloading models");
        if let Err(err) = reloader.reload().await {
            tracing::error!(error = %err, "model reload refused; the previous models keep serving");
        }
    }
}
