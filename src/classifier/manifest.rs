//! The models directory's manifest: the two models go into service as one pair.
//!
//! `train` writes `spam.json`, `abuse.json` and then `manifest.json`, which records the
//! SHA-256 of both files as written. Loading a directory that has a manifest
//! ([`crate::classifier::Classifier::load`], used at start-up, by `SIGHUP` and the admin
//! reload) refuses a pair that does not match it: while the files are being copied one at
//! a time, or when one file was replaced without the other, the service keeps the pair it
//! has instead of scoring with a new spam model and an old abuse model. A directory
//! without a manifest (models assembled by hand) loads as it is.
//!
//! The manifest holds digests only (no time), so retraining on the same data writes the
//! same manifest byte for byte.
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::data::Task;
use super::model::{model_path, write_atomically, ModelError};

/// The manifest's file name inside a models directory.
pub const MANIFEST_FILE: &str = "manifest.json";

const FORMAT_NAME: &str = "commentguard-models";

/// What `manifest.json` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    /// SHA-256 (hex) of `spam.json` as written.
    pub spam_sha256: String,
    /// SHA-256 (hex) of `abuse.json` as written.
    pub abuse_sha256: String,
}

impl Manifest {
    /// The digest the manifest records for a task's file.
    pub fn digest(&self, task: Task) -> &str {
        match task {
            Task::Spam => &self.spam_sha256,
            Task::Abuse => &self.abuse_sha256,
        }
    }
}

/// SHA-256 (hex) of a model file's bytes.
pub fn digest(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The path of the manifest in a models directory.
pub fn manifest_path(dir: &Path) -> PathBuf {
    dir.join(MANIFEST_FILE)
}

/// Reads the manifest of a models directory; `None` when it has none.
pub fn read(dir: &Path) -> Result<Option<Manifest>, ModelError> {
    let path = manifest_path(dir);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ModelError::Read { path, source }),
    };
    let manifest: Manifest =
        serde_json::from_slice(&bytes).map_err(|source| ModelError::Parse {
            path: path.clone(),
            source,
        })?;
    if manifest.format != FORMAT_NAME {
        return Err(ModelError::Invalid {
            path,
            reason: format!("format is {:?}, expected {FORMAT_NAME:?}", manifest.format),
        });
    }
    Ok(Some(manifest))
}

/// Checks that a task's model file, read as `bytes`, is the one the manifest names.
pub fn check(dir: &Path, manifest: &Manifest, task: Task, bytes: &[u8]) -> Result<(), ModelError> {
    let found = digest(bytes);
    if found == manifest.digest(task) {
        return Ok(());
    }
    Err(ModelError::NotThePair {
        path: model_path(dir, task),
        found,
        expected: manifest.digest(task).to_owned(),
    })
}

/// Writes the manifest for the two model files now in `dir` (atomically, after them).
pub fn write(dir: &Path) -> Result<Manifest, ModelError> {
    let file_digest = |task: Task| -> Result<String, ModelError> {
        let path = model_path(dir, task);
        fs::read(&path)
            .map(|bytes| digest(&bytes))
            .map_err(|source| ModelError::Read { path, source })
    };
    let manifest = Manifest {
        format: FORMAT_NAME.to_owned(),
        spam_sha256: file_digest(Task::Spam)?,
        abuse_sha256: file_digest(Task::Abuse)?,
    };
    let path = manifest_path(dir);
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(|e| ModelError::Write {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    json.push(b'\n');
    write_atomically(&path, &json).map_err(|source| ModelError::Write { path, source })?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::model::{ModelFile, TaskModel};
    use crate::classifier::Classifier;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models")
    }

    /// A copy of the shipped models directory, manifest included.
    fn copy_shipped() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for name in ["spam.json", "abuse.json", MANIFEST_FILE] {
            fs::copy(shipped().join(name), dir.path().join(name)).unwrap();
        }
        dir
    }

    /// The shipped manifest names the shipped models, and is what `train` would write
    /// for them, byte for byte.
    #[test]
    fn the_shipped_manifest_pairs_the_shipped_models() {
        let dir = copy_shipped();
        Classifier::load(dir.path()).unwrap();
        write(dir.path()).unwrap();
        assert_eq!(
            fs::read(manifest_path(dir.path())).unwrap(),
            fs::read(manifest_path(&shipped())).unwrap()
        );
    }

    /// A valid model that is not the one the manifest names is refused, naming the file
    /// and the manifest; writing the manifest again pairs the two.
    #[test]
    fn a_model_replaced_without_its_manifest_is_refused() {
        let dir = copy_shipped();
        let path = model_path(dir.path(), Task::Abuse);
        let mut file: ModelFile = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        file.thresholds.hold = 0.9;
        TaskModel::save(&file, &path).unwrap();

        let err = Classifier::load(dir.path()).unwrap_err();
        assert!(matches!(err, ModelError::NotThePair { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("abuse.json"), "{message}");
        assert!(message.contains("manifest.json"), "{message}");

        write(dir.path()).unwrap();
        let classifier = Classifier::load(dir.path()).unwrap();
        assert_eq!(classifier.model(Task::Abuse).thresholds().hold, 0.9);
    }

    /// Without a manifest (models assembled by hand) the directory loads as it is; a
    /// manifest that is not one is refused, naming it.
    #[test]
    fn no_manifest_loads_and_a_broken_one_is_refused() {
        let dir = copy_shipped();
        fs::remove_file(manifest_path(dir.path())).unwrap();
        Classifier::load(dir.path()).unwrap();

        fs::write(
            manifest_path(dir.path()),
            "{\"format\": \"commentguard-models\"",
        )
        .unwrap();
        let err = Classifier::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains(MANIFEST_FILE), "{err}");

        fs::write(
            manifest_path(dir.path()),
            r#"{"format": "other", "spam_sha256": "", "abuse_sha256": ""}"#,
        )
        .unwrap();
        let err = Classifier::load(dir.path()).unwrap_err();
        assert!(err.to_string().contains("format"), "{err}");
    }
}
