//! Model sets installed in the database on PostgreSQL (rules: [`crate::store::models`]).
//! An install takes an advisory lock on the model sets first: installs from several
//! machines at once are applied one after the other, each giving the newest version + 1.
use tokio_postgres::Row;

use super::{in_transaction, lock, lock_key, to_u64, PgError, PgStore};
use crate::store::{
    Installed, ModelSet, ModelSetHead, ModelSetInfo, NewModelSet, StoreError, MODEL_SETS_KEPT,
};

const INFO_COLUMNS: &str = "version, checksum, installed_at, installed_by,
     octet_length(spam)::BIGINT, octet_length(abuse)::BIGINT";

fn info(row: &Row) -> ModelSetInfo {
    ModelSetInfo {
        version: row.get(0),
        checksum: row.get(1),
        installed_at: row.get(2),
        installed_by: row.get(3),
        spam_bytes: to_u64(row.get(4)),
        abuse_bytes: to_u64(row.get(5)),
    }
}

impl PgStore {
    /// Installs `set` as the newest unless the newest already holds the same pair; prunes.
    #[tracing::instrument(level = "debug", skip_all, fields(checksum = %set.checksum()))]
    pub(super) async fn install_model_set(
        &self,
        set: NewModelSet,
    ) -> Result<Installed, StoreError> {
        in_transaction!(self, |tx| {
            let now = self.now();
            lock(&tx, lock_key(&[b"model_sets".as_slice()])).await?;
            let newest = tx
                .query_opt(
                    &format!("SELECT {INFO_COLUMNS} FROM model_sets ORDER BY version DESC LIMIT 1"),
                    &[],
                )
                .await?
                .map(|row| info(&row));
            match newest {
                Some(newest) if newest.checksum == set.checksum() => Ok::<_, PgError>(Installed {
                    set: newest,
                    new: false,
                }),
                newest => {
                    let version = newest.map_or(1, |n| n.version + 1);
                    tx.execute(
                        "INSERT INTO model_sets
                             (version, checksum, installed_at, installed_by, spam, abuse)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        &[
                            &version,
                            &set.checksum(),
                            &now,
                            &set.installed_by(),
                            &set.spam(),
                            &set.abuse(),
                        ],
                    )
                    .await?;
                    tx.execute(
                        "DELETE FROM model_sets WHERE version <= $1",
                        &[&(version - MODEL_SETS_KEPT)],
                    )
                    .await?;
                    Ok(Installed {
                        set: set.info(version, now),
                        new: true,
                    })
                }
            }
        })
    }

    /// The newest set's version and checksum (its bytes stay in TOAST).
    pub(super) async fn latest_model_set(&self) -> Result<Option<ModelSetHead>, StoreError> {
        let run = async {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(
                    "SELECT version, checksum FROM model_sets ORDER BY version DESC LIMIT 1",
                )
                .await?;
            Ok::<_, PgError>(client.query_opt(&stmt, &[]).await?.map(|row| ModelSetHead {
                version: row.get(0),
                checksum: row.get(1),
            }))
        };
        Ok(run.await?)
    }

    /// Set `version` with its bytes.
    #[tracing::instrument(level = "debug", skip(self))]
    pub(super) async fn model_set(&self, version: i64) -> Result<Option<ModelSet>, StoreError> {
        let run = async {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    "SELECT checksum, spam, abuse FROM model_sets WHERE version = $1",
                    &[&version],
                )
                .await?;
            Ok::<_, PgError>(row.map(|row| ModelSet {
                version,
                checksum: row.get(0),
                spam: row.get(1),
                abuse: row.get(2),
            }))
        };
        Ok(run.await?)
    }

    /// Every set kept, newest first.
    pub(super) async fn model_sets(&self) -> Result<Vec<ModelSetInfo>, StoreError> {
        let run = async {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!("SELECT {INFO_COLUMNS} FROM model_sets ORDER BY version DESC"),
                    &[],
                )
                .await?;
            Ok::<_, PgError>(rows.iter().map(info).collect())
        };
        Ok(run.await?)
    }
}
