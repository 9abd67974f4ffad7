//! Hot model reload: new `spam.json` / `abuse.json` go into service without a restart.
//!
//! Triggered by `SIGHUP` (see [`crate::startup`]) and by the admin API
//! (`POST /api/v1/admin/reload-models`). Both call [`ModelReloader::reload`], which
//!
//! 1. loads both files from the configured models directory on the blocking pool (never
//!    on the async workers — parsing a model takes tens of milliseconds);
//! 2. refuses them if either is unreadable, truncated, of another format version or
//!    inconsistent (the classifier's own checks) — the models in service stay;
//! 3. otherwise swaps the pair into the shared `ArcSwap` in one store: every request after
//!    it scores with the new pair, none ever sees one new model and one old.
//!
//! Reloads are serialised (a mutex), so two overlapping triggers cannot finish in the
//! wrong order. [`ModelsIdentity`] names the models in service (a digest of each model's
//! content and its thresholds), so an operator — or a test — can see the switch in
//! `/readyz` and in the reload response.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::classifier::{Classifier, ModelError, Task};

/// Hex digits of the content digest shown per model.
const DIGEST_HEX_CHARS: usize = 16;

/// One model in service.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// Why a reload did not happen. The models in service are unchanged in every case.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// A model file is missing, truncated, corrupt or from an incompatible version.
    #[error(transparent)]
    Refused(#[from] ModelError),
    #[error("could not describe the models: {0}")]
    Identity(#[from] serde_json::Error),
    #[error("loading the models panicked")]
    Panicked,
}

/// Reloads the models of one running service.
pub struct ModelReloader {
    dir: PathBuf,
    live: Arc<ArcSwap<Classifier>>,
    /// Held for the whole of a reload: one at a time.
    reloading: tokio::sync::Mutex<()>,
    /// The identity of the last classifier described, keyed by its pointer (models can
    /// also be swapped from outside, e.g. by `Application::classifier`).
    described: Mutex<Option<(Arc<Classifier>, Arc<ModelsIdentity>)>>,
}

impl ModelReloader {
    /// A reloader for `live` that reads from `dir` (the configured models directory).
    pub fn new(dir: PathBuf, live: Arc<ArcSwap<Classifier>>) -> Self {
        ModelReloader {
            dir,
            live,
            reloading: tokio::sync::Mutex::new(()),
            described: Mutex::new(None),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads the models directory and, if both files are good, puts them into service.
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
        self.live.store(Arc::clone(&classifier));
        *self.described.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((classifier, Arc::clone(&identity)));
        tracing::info!(
            spam = %identity.spam.sha256,
            abuse = %identity.abuse.sha256,
            "models reloaded"
        );
        Ok(identity)
    }

    /// The identity of the models in service (computed once per loaded pair, off the
    /// async workers).
    pub async fn identity(&self) -> Result<Arc<ModelsIdentity>, ReloadError> {
        let current = self.live.load_full();
        {
            let described = self.described.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((classifier, identity)) = described.as_ref() {
                if Arc::ptr_eq(classifier, &current) {
                    return Ok(Arc::clone(identity));
                }
            }
        }
        let c = Arc::clone(&current);
        let identity = tokio::task::spawn_blocking(move || ModelsIdentity::of(&c))
            .await
            .map_err(|_| ReloadError::Panicked)??;
        let identity = Arc::new(identity);
        *self.described.lock().unwrap_or_else(|e| e.into_inner()) =
            Some((current, Arc::clone(&identity)));
        Ok(identity)
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
