//! The model-sets interface: trained models installed in the database, so that every
//! instance sharing it serves the same pair (`commentguard models install`; each instance
//! polls [`ModelSets::latest_model_set`], see [`crate::reload`]).
//!
//! # What a model set is
//! The bytes of `spam.json` and `abuse.json`, as one unit: they are installed, fetched and
//! put in service together, never one without the other. Each set has a **version** —
//! 1, 2, 3 … in the order of installation, never reused — and a **checksum**, the SHA-256
//! of the pair ([`checksum`]), computed when the set is made ([`NewModelSet::new`]) and
//! checked again by whoever loads it ([`ModelSet::verify`]): bytes damaged at rest or on
//! the way are refused, never served.
//!
//! # Contract every backend keeps
//! - [`ModelSets::install_model_set`] gives the new set the version after the newest
//!   (installs are serialised, so versions are contiguous and a higher version was
//!   committed later); installing the pair the newest set already holds (same checksum)
//!   installs nothing and answers that set. Installing an older pair again makes it the
//!   newest, under a new version (that is how to roll back).
//! - The store does not judge the models: the bytes are checked by the classifier before
//!   installing (the CLI) and again after fetching (the instances).
//! - The newest [`MODEL_SETS_KEPT`] sets are kept; installing deletes older ones, in the
//!   same transaction. The newest set is never deleted.
//! - [`ModelSets::latest_model_set`] is cheap (no model bytes are read): every instance
//!   calls it every `model_poll_seconds`.
use async_trait::async_trait;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::StoreError;

/// How many model sets the database keeps (the newest ones): enough to see the recent
/// history in `commentguard models list` without a year of daily retraining (a set is
/// about 2 MB) filling the database. Rolling back further means installing files again.
pub const MODEL_SETS_KEPT: i64 = 20;

/// The SHA-256 of a pair of model files, as lower-case hex: each file's length (8 bytes,
/// big-endian) then its bytes, spam first — so no two different pairs share an input.
pub fn checksum(spam: &[u8], abuse: &[u8]) -> String {
    let mut h = Sha256::new();
    for bytes in [spam, abuse] {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    }
    hex::encode(h.finalize())
}

/// A model set to install: the two files' bytes, their checksum and who installs them.
/// The checksum is always that of the bytes (computed here).
pub struct NewModelSet {
    spam: Vec<u8>,
    abuse: Vec<u8>,
    checksum: String,
    installed_by: String,
}

impl NewModelSet {
    /// The pair `spam`, `abuse` (the files' bytes), installed by `installed_by` (free
    /// text for `models list`: a user and host name).
    pub fn new(spam: Vec<u8>, abuse: Vec<u8>, installed_by: impl Into<String>) -> NewModelSet {
        let checksum = checksum(&spam, &abuse);
        NewModelSet {
            spam,
            abuse,
            checksum,
            installed_by: installed_by.into(),
        }
    }

    pub fn spam(&self) -> &[u8] {
        &self.spam
    }

    pub fn abuse(&self) -> &[u8] {
        &self.abuse
    }

    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    pub fn installed_by(&self) -> &str {
        &self.installed_by
    }

    /// What `models list` shows for this set once stored as `version` at `installed_at`.
    pub fn info(&self, version: i64, installed_at: i64) -> ModelSetInfo {
        ModelSetInfo {
            version,
            checksum: self.checksum.clone(),
            installed_at,
            installed_by: self.installed_by.clone(),
            spam_bytes: self.spam.len() as u64,
            abuse_bytes: self.abuse.len() as u64,
        }
    }
}

impl std::fmt::Debug for NewModelSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewModelSet")
            .field("spam_bytes", &self.spam.len())
            .field("abuse_bytes", &self.abuse.len())
            .field("checksum", &self.checksum)
            .field("installed_by", &self.installed_by)
            .finish()
    }
}

/// The newest set's version and checksum: what instances poll for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelSetHead {
    pub version: i64,
    pub checksum: String,
}

/// One installed set, without its bytes (as `commentguard models list` shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelSetInfo {
    pub version: i64,
    /// See [`checksum`].
    pub checksum: String,
    /// Unix milliseconds, from the installing store's clock.
    pub installed_at: i64,
    pub installed_by: String,
    pub spam_bytes: u64,
    pub abuse_bytes: u64,
}

/// What [`ModelSets::install_model_set`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// The set now newest: the one just installed, or the newest already holding the pair.
    pub set: ModelSetInfo,
    /// `false` when the newest set already held the same pair (nothing was written).
    pub new: bool,
}

/// An installed set with its bytes, as fetched; [`ModelSet::verify`] before use.
pub struct ModelSet {
    pub version: i64,
    /// The checksum stored with the set.
    pub checksum: String,
    pub spam: Vec<u8>,
    pub abuse: Vec<u8>,
}

impl std::fmt::Debug for ModelSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelSet")
            .field("version", &self.version)
            .field("checksum", &self.checksum)
            .field("spam_bytes", &self.spam.len())
            .field("abuse_bytes", &self.abuse.len())
            .finish()
    }
}

/// The bytes of a model set do not hash to the checksum stored with them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("model set {version}: its bytes hash to {found}, not to the stored checksum {expected} (damaged in the database or on the way)")]
pub struct ChecksumMismatch {
    pub version: i64,
    pub expected: String,
    pub found: String,
}

impl ModelSet {
    /// Checks the bytes against the stored checksum (hashes about 2 MB: call off the async
    /// workers).
    pub fn verify(&self) -> Result<(), ChecksumMismatch> {
        let found = checksum(&self.spam, &self.abuse);
        if found == self.checksum {
            Ok(())
        } else {
            Err(ChecksumMismatch {
                version: self.version,
                expected: self.checksum.clone(),
                found,
            })
        }
    }
}

/// Model sets installed in the database.
#[async_trait]
pub trait ModelSets {
    /// Installs `set` as the newest (see the module doc: the next version, or nothing when
    /// the newest set holds the same pair), installed now, and deletes sets older than the
    /// newest [`MODEL_SETS_KEPT`]. One transaction, durable before return.
    async fn install_model_set(&self, set: NewModelSet) -> Result<Installed, StoreError>;

    /// The newest set's version and checksum, `None` when none is installed. A cheap read.
    async fn latest_model_set(&self) -> Result<Option<ModelSetHead>, StoreError>;

    /// Set `version` with its bytes (`None` if there is no such set, e.g. deleted as too
    /// old). A read; the checksum is not checked here.
    async fn model_set(&self, version: i64) -> Result<Option<ModelSet>, StoreError>;

    /// Every set kept, newest first, without bytes. A read.
    async fn model_sets(&self) -> Result<Vec<ModelSetInfo>, StoreError>;
}

/// The contract above, checked on any backend (called by each backend's tests).
#[cfg(test)]
pub(crate) mod contract {
    use super::*;
    use crate::store::Store;

    fn pair(tag: &str) -> (Vec<u8>, Vec<u8>) {
        (
            format!("{{\"spam\":\"{tag}\"}}").into_bytes(),
            format!("{{\"abuse\":\"{tag}\"}}").into_bytes(),
        )
    }

    async fn install(store: &Store, tag: &str) -> Installed {
        let (spam, abuse) = pair(tag);
        store
            .install_model_set(NewModelSet::new(spam, abuse, format!("ops@{tag}")))
            .await
            .unwrap()
    }

    /// Install, poll, fetch, repeat, roll back, concurrent installs, pruning; `now` is
    /// the store's clock (it stands still).
    pub(crate) async fn model_sets_keep_their_contract(store: Store, now: i64) {
        assert_eq!(store.latest_model_set().await.unwrap(), None, "none yet");
        assert!(store.model_sets().await.unwrap().is_empty());
        assert!(store.model_set(1).await.unwrap().is_none());

        let first = install(&store, "a").await;
        let (spam_a, abuse_a) = pair("a");
        assert!(first.new);
        assert_eq!(
            first.set,
            ModelSetInfo {
                version: 1,
                checksum: checksum(&spam_a, &abuse_a),
                installed_at: now,
                installed_by: "ops@a".into(),
                spam_bytes: spam_a.len() as u64,
                abuse_bytes: abuse_a.len() as u64,
            }
        );
        assert_eq!(
            store.latest_model_set().await.unwrap(),
            Some(ModelSetHead {
                version: 1,
                checksum: first.set.checksum.clone()
            })
        );

        let again = install(&store, "a").await;
        assert!(!again.new, "the newest set already holds the pair");
        assert_eq!(again.set, first.set);

        let second = install(&store, "b").await;
        assert!(second.new);
        assert_eq!(second.set.version, 2);
        let fetched = store.model_set(1).await.unwrap().expect("set 1 kept");
        assert_eq!(
            (fetched.spam.as_slice(), fetched.abuse.as_slice()),
            (&spam_a[..], &abuse_a[..])
        );
        assert_eq!(fetched.checksum, first.set.checksum);
        fetched.verify().expect("intact");
        let (spam_b, _) = pair("b");
        assert_eq!(store.model_set(2).await.unwrap().unwrap().spam, spam_b);

        let rollback = install(&store, "a").await;
        assert!(rollback.new, "an older pair installed again is the newest");
        assert_eq!(rollback.set.version, 3);
        assert_eq!(rollback.set.checksum, first.set.checksum);
        assert_eq!(
            store
                .model_sets()
                .await
                .unwrap()
                .iter()
                .map(|s| s.version)
                .collect::<Vec<_>>(),
            [3, 2, 1],
            "newest first"
        );

        // Concurrent installs of different pairs: distinct, contiguous versions.
        let (x, y) = tokio::join!(install(&store, "x"), install(&store, "y"));
        let mut versions = [x.set.version, y.set.version];
        versions.sort_unstable();
        assert_eq!(versions, [4, 5]);
        assert!(x.new && y.new);

        // Pruning: the newest MODEL_SETS_KEPT stay.
        for n in 0..MODEL_SETS_KEPT {
            install(&store, &format!("p{n}")).await;
        }
        let newest = 5 + MODEL_SETS_KEPT;
        let kept = store.model_sets().await.unwrap();
        assert_eq!(kept.len() as i64, MODEL_SETS_KEPT);
        assert_eq!(kept[0].version, newest);
        assert_eq!(kept[kept.len() - 1].version, newest - MODEL_SETS_KEPT + 1);
        assert!(store.model_set(1).await.unwrap().is_none(), "pruned");
        assert_eq!(
            store.latest_model_set().await.unwrap().map(|h| h.version),
            Some(newest)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checksum covers both files and where one ends: moving a byte from one file to
    /// the other changes it, and so does any changed byte.
    #[test]
    fn checksums_cover_the_pair() {
        let base = checksum(b"ab", b"c");
        assert_eq!(base.len(), 64);
        assert_ne!(base, checksum(b"a", b"bc"));
        assert_ne!(base, checksum(b"ab", b"d"));
        assert_ne!(base, checksum(b"c", b"ab"));
        assert_eq!(base, checksum(b"ab", b"c"));
    }

    /// A set whose bytes changed after it was made is refused by `verify`.
    #[test]
    fn verify_refuses_damaged_bytes() {
        let made = NewModelSet::new(b"spam".to_vec(), b"abuse".to_vec(), "ops");
        let mut set = ModelSet {
            version: 7,
            checksum: made.checksum().to_owned(),
            spam: made.spam().to_vec(),
            abuse: made.abuse().to_vec(),
        };
        set.verify().unwrap();
        set.abuse[0] ^= 1;
        let err = set.verify().unwrap_err();
        assert_eq!(err.version, 7);
        assert_eq!(err.expected, made.checksum());
        assert!(err.to_string().contains("model set 7"), "{err}");
    }
}
