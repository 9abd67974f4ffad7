//! Model sets installed in the database: fetching, verifying and loading one, and the
//! poll that puts a newer one in service (rule 2 of [`crate::reload`]).
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{ModelReloader, ModelsIdentity, Origin, ReloadError};
use crate::classifier::{Classifier, Task};
use crate::store::Store;

/// An installed set, verified and loaded.
pub(super) struct Loaded {
    pub(super) classifier: Arc<Classifier>,
    pub(super) identity: Arc<ModelsIdentity>,
    pub(super) checksum: String,
}

/// Fetches set `version`, checks its bytes against its checksum and loads both models
/// with the classifier's checks — the hashing and parsing on the blocking pool.
pub(super) async fn load(store: &Store, version: i64) -> Result<Loaded, ReloadError> {
    let set = store
        .model_set(version)
        .await?
        .ok_or(ReloadError::Vanished(version))?;
    tokio::task::spawn_blocking(move || {
        set.verify()?;
        // Errors name the set and the file within it.
        let name = |task: Task| PathBuf::from(format!("model set {version}: {}.json", task.name()));
        let classifier = Arc::new(Classifier::from_bytes(
            &set.spam,
            &name(Task::Spam),
            &set.abuse,
            &name(Task::Abuse),
        )?);
        let identity = Arc::new(ModelsIdentity::of(&classifier)?);
        Ok::<_, ReloadError>(Loaded {
            classifier,
            identity,
            checksum: set.checksum,
        })
    })
    .await
    .map_err(|_| ReloadError::Panicked)?
}

impl ModelReloader {
    /// Whether installed version `version` is newer than any this instance has loaded or
    /// refused.
    fn is_unseen(&self, version: i64) -> bool {
        self.lock_state().seen.is_none_or(|seen| version > seen)
    }

    /// One poll (rule 2 of [`crate::reload`]): `Ok(Some(identity))` when a newer
    /// installed set went into service, `Ok(None)` when there is nothing newer. An error
    /// that [`ReloadError::is_refusal`] marks the set as seen (it is not fetched again);
    /// any other is tried again at the next poll. The models in service stay on error.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn check_installed(&self) -> Result<Option<Arc<ModelsIdentity>>, ReloadError> {
        let Some(head) = self.store.latest_model_set().await? else {
            return Ok(None);
        };
        if !self.is_unseen(head.version) {
            return Ok(None);
        }
        let _one_at_a_time = self.reloading.lock().await;
        // Another poll may have taken it while this one waited.
        if !self.is_unseen(head.version) {
            return Ok(None);
        }
        match load(&self.store, head.version).await {
            Ok(loaded) => {
                tracing::info!(
                    version = head.version,
                    checksum = %loaded.checksum,
                    spam = %loaded.identity.spam.sha256,
                    abuse = %loaded.identity.abuse.sha256,
                    "installed model set in service"
                );
                let identity = Arc::clone(&loaded.identity);
                self.put_in_service(
                    loaded.classifier,
                    Origin::Installed {
                        version: head.version,
                        checksum: loaded.checksum,
                    },
                    loaded.identity,
                );
                let mut state = self.lock_state();
                state.seen = Some(head.version);
                state.refused = None;
                Ok(Some(identity))
            }
            Err(err) => {
                if err.is_refusal() {
                    let mut state = self.lock_state();
                    state.seen = Some(head.version);
                    state.refused = Some(head.version);
                }
                Err(err)
            }
        }
    }

    /// Logs one poll's outcome: a refusal once (the set is not fetched again), an
    /// unreachable database when it starts and when it ends.
    fn log_poll(&self, outcome: &Result<Option<Arc<ModelsIdentity>>, ReloadError>) {
        let mut state = self.lock_state();
        match outcome {
            Err(err) if err.is_refusal() => {
                state.poll_failing = false;
                tracing::error!(
                    error = %err,
                    "installed model set refused; the models in service keep serving (it is not tried again: install a good set)"
                );
            }
            Err(err) => {
                if !state.poll_failing {
                    state.poll_failing = true;
                    tracing::warn!(
                        error = %err,
                        cause = ?std::error::Error::source(err).map(ToString::to_string),
                        "cannot check for a newer installed model set; trying again at the next poll"
                    );
                }
            }
            Ok(_) => {
                if state.poll_failing {
                    state.poll_failing = false;
                    tracing::info!("checking for installed model sets again");
                }
            }
        }
    }
}

/// Checks for a newer installed set every `every` until the task is aborted (the first
/// check one period after start: [`ModelReloader::start`] has just looked).
pub async fn poll_installed(reloader: Arc<ModelReloader>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    // A slow database delays the next poll rather than bunching polls up after it.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let outcome = reloader.check_installed().await;
        reloader.log_poll(&outcome);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::clock::Clock;
    use crate::config::StorageConfig;
    use crate::reload::{ModelSource, StartError};
    use crate::store::{sqlite, NewModelSet};

    fn models_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }

    fn committed(task: Task) -> Vec<u8> {
        std::fs::read(crate::classifier::model::model_path(&models_dir(), task)).unwrap()
    }

    /// The committed spam model with another hold threshold (a "retrained" one).
    fn retrained_spam(hold: f64) -> Vec<u8> {
        let mut file: crate::classifier::model::ModelFile =
            serde_json::from_slice(&committed(Task::Spam)).unwrap();
        file.thresholds.hold = hold;
        serde_json::to_vec(&file).unwrap()
    }

    fn store(dir: &Path) -> Store {
        sqlite::open(
            &dir.join("m.db"),
            &StorageConfig::default(),
            Clock::system(),
        )
        .unwrap()
    }

    async fn install(store: &Store, spam: Vec<u8>) -> i64 {
        store
            .install_model_set(NewModelSet::new(spam, committed(Task::Abuse), "test"))
            .await
            .unwrap()
            .set
            .version
    }

    /// With nothing installed the models directory serves; an install is taken by the
    /// next check, a damaged one is refused once and not fetched again while the set
    /// before it keeps serving, and a newer good one is taken after it.
    #[tokio::test]
    async fn polls_take_newer_sets_and_refuse_bad_ones_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let reloader = ModelReloader::start(models_dir(), store.clone(), None)
            .await
            .unwrap();
        let status = reloader.status().unwrap();
        assert_eq!((status.source, status.version), (ModelSource::Files, None));
        assert!(reloader.check_installed().await.unwrap().is_none());

        let v1 = install(&store, retrained_spam(0.3)).await;
        let identity = reloader.check_installed().await.unwrap().expect("taken");
        assert_eq!(identity.spam.hold, 0.3);
        let status = reloader.status().unwrap();
        assert_eq!(
            (status.source, status.version, status.refused_version),
            (ModelSource::Database, Some(v1), None)
        );
        assert_eq!(reloader.live().load().thresholds(Task::Spam).hold, 0.3);

        // A truncated spam model: refused (naming the set and file), then left alone.
        let spam = committed(Task::Spam);
        let v2 = install(&store, spam[..spam.len() / 2].to_vec()).await;
        let err = reloader.check_installed().await.unwrap_err();
        assert!(err.is_refusal(), "{err:?}");
        assert!(
            err.to_string()
                .contains(&format!("model set {v2}: spam.json")),
            "{err}"
        );
        assert!(
            reloader.check_installed().await.unwrap().is_none(),
            "not retried"
        );
        let status = reloader.status().unwrap();
        assert_eq!(
            (status.version, status.refused_version),
            (Some(v1), Some(v2))
        );
        assert_eq!(reloader.live().load().thresholds(Task::Spam).hold, 0.3);

        let v3 = install(&store, retrained_spam(0.4)).await;
        assert_eq!(
            reloader.check_installed().await.unwrap().unwrap().spam.hold,
            0.4
        );
        let status = reloader.status().unwrap();
        assert_eq!((status.version, status.refused_version), (Some(v3), None));

        // A file reload overrides on this instance until the next install.
        reloader.reload().await.unwrap();
        assert_eq!(reloader.status().unwrap().source, ModelSource::Files);
        assert!(reloader.check_installed().await.unwrap().is_none());
        let v4 = install(&store, retrained_spam(0.5)).await;
        reloader
            .check_installed()
            .await
            .unwrap()
            .expect("the next install wins");
        assert_eq!(reloader.status().unwrap().version, Some(v4));
    }

    /// At start the newest installed set serves, whatever the models directory holds —
    /// the directory need not even exist; a refused newest set gives way to the set before
    /// it (what running instances still serve), and with no good set to the directory.
    #[tokio::test]
    async fn start_prefers_the_newest_installed_set_that_loads() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let missing = dir.path().join("no-models-here");
        assert!(matches!(
            ModelReloader::start(missing.clone(), store.clone(), None).await,
            Err(StartError::Files { .. })
        ));
        let v1 = install(&store, retrained_spam(0.35)).await;
        let reloader = ModelReloader::start(missing.clone(), store.clone(), None)
            .await
            .unwrap();
        assert_eq!(reloader.status().unwrap().version, Some(v1));
        assert_eq!(reloader.live().load().thresholds(Task::Spam).hold, 0.35);
        assert!(reloader.check_installed().await.unwrap().is_none());

        let v2 = install(&store, b"not a model".to_vec()).await;
        let reloader = ModelReloader::start(missing, store, None).await.unwrap();
        let status = reloader.status().unwrap();
        assert_eq!(
            (status.source, status.version, status.refused_version),
            (ModelSource::Database, Some(v1), Some(v2))
        );
        assert!(
            reloader.check_installed().await.unwrap().is_none(),
            "not retried"
        );

        let other = tempfile::tempdir().unwrap();
        let only_bad = self::store(other.path());
        let bad = install(&only_bad, b"not a model".to_vec()).await;
        let reloader = ModelReloader::start(models_dir(), only_bad, None)
            .await
            .unwrap();
        let status = reloader.status().unwrap();
        assert_eq!(
            (status.source, status.refused_version),
            (ModelSource::Files, Some(bad))
        );
    }
}
