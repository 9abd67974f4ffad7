//! Moderators and their browser sessions on PostgreSQL (rules: the SQLite
//! `store::moderators` and `store::sessions`). Two instances adding the same name at once:
//! the partial unique index `moderators_active_name` keeps the second out
//! (`ON CONFLICT … DO NOTHING`), which answers [`AddModeratorError::NameTaken`] as the
//! check before the insert would have.
use deadpool_postgres::{GenericClient, Transaction};

use super::{in_transaction, PgError, PgStore};
use crate::domain::{ModeratorName, TokenHash};
use crate::store::{
    AddModeratorError, ModeratorInfo, ModeratorRecord, NewModerator, NewSession, SessionRecord,
    SiteGrants, StoreError,
};

async fn add(
    tx: &Transaction<'_>,
    m: &NewModerator,
    now: i64,
) -> Result<Result<(), AddModeratorError>, PgError> {
    let taken: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM moderators WHERE name = $1 AND revoked_at IS NULL)",
            &[&m.name.as_str()],
        )
        .await?
        .get(0);
    if taken {
        return Ok(Err(AddModeratorError::NameTaken(m.name.to_string())));
    }
    // Another instance may add the name between the check and the insert: the partial
    // unique index decides, and the loser is told the name is taken.
    let inserted = tx
        .query_opt(
            "INSERT INTO moderators (name, token_sha256, is_admin, created_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING
             RETURNING id",
            &[
                &m.name.as_str(),
                &&m.token_hash.as_bytes()[..],
                &m.is_admin,
                &now,
            ],
        )
        .await?;
    let Some(row) = inserted else {
        return Ok(Err(AddModeratorError::NameTaken(m.name.to_string())));
    };
    let id: i64 = row.get(0);
    if !m.is_admin {
        let sites: Vec<&str> = m.sites.iter().map(|s| s.as_str()).collect();
        tx.execute(
            "INSERT INTO moderator_sites (moderator_id, site_id)
             SELECT $1, s FROM unnest($2::TEXT[]) AS s ON CONFLICT DO NOTHING",
            &[&id, &sites],
        )
        .await?;
    }
    Ok(Ok(()))
}

/// The moderator `id` with the sites they are granted.
async fn record<C: GenericClient>(
    client: &C,
    id: i64,
    name: String,
    is_admin: bool,
) -> Result<ModeratorRecord, PgError> {
    let grants = if is_admin {
        SiteGrants::All
    } else {
        let stmt = client
            .prepare_cached(
                "SELECT site_id FROM moderator_sites WHERE moderator_id = $1
                 ORDER BY site_id COLLATE \"C\"",
            )
            .await?;
        let rows = client.query(&stmt, &[&id]).await?;
        SiteGrants::Only(rows.iter().map(|row| row.get(0)).collect())
    };
    Ok(ModeratorRecord {
        id,
        name,
        is_admin,
        grants,
    })
}

impl PgStore {
    /// Adds a moderator; refuses a name that an active moderator already has.
    #[tracing::instrument(level = "debug", skip_all, fields(name = %moderator.name))]
    pub(super) async fn add_moderator(
        &self,
        moderator: NewModerator,
    ) -> Result<Result<(), AddModeratorError>, StoreError> {
        in_transaction!(self, |tx| add(&tx, &moderator, self.now()).await)
    }

    /// Every moderator, active ones first, by name.
    pub(super) async fn moderators(&self) -> Result<Vec<ModeratorInfo>, StoreError> {
        let run = async {
            let client = self.client().await?;
            let rows = client
                .query(
                    "SELECT m.name, m.is_admin, m.created_at, m.revoked_at,
                            ARRAY(SELECT site_id FROM moderator_sites
                                  WHERE moderator_id = m.id ORDER BY site_id COLLATE \"C\")
                     FROM moderators m
                     ORDER BY m.revoked_at IS NOT NULL, m.name COLLATE \"C\", m.id",
                    &[],
                )
                .await?;
            Ok::<_, PgError>(
                rows.iter()
                    .map(|row| ModeratorInfo {
                        name: row.get(0),
                        is_admin: row.get(1),
                        created_at: row.get(2),
                        revoked_at: row.get(3),
                        sites: row.get(4),
                    })
                    .collect(),
            )
        };
        Ok(run.await?)
    }

    /// Revokes the active moderator `name`; `false` if there is none.
    #[tracing::instrument(level = "debug", skip(self))]
    pub(super) async fn revoke_moderator(&self, name: ModeratorName) -> Result<bool, StoreError> {
        let run = async {
            let client = self.client().await?;
            let n = client
                .execute(
                    "UPDATE moderators SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                    &[&name.as_str(), &self.now()],
                )
                .await?;
            Ok::<_, PgError>(n > 0)
        };
        Ok(run.await?)
    }

    /// The active moderator whose token hashes to `hash`, with its grants.
    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn moderator_by_token(
        &self,
        hash: TokenHash,
    ) -> Result<Option<ModeratorRecord>, StoreError> {
        let run = async {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(
                    "SELECT id, name, is_admin FROM moderators
                     WHERE token_sha256 = $1 AND revoked_at IS NULL",
                )
                .await?;
            let Some(row) = client.query_opt(&stmt, &[&&hash.as_bytes()[..]]).await? else {
                return Ok(None);
            };
            record(&client, row.get(0), row.get(1), row.get(2))
                .await
                .map(Some)
        };
        Ok(run.await?)
    }

    /// Records a new session (and forgets expired ones).
    #[tracing::instrument(level = "debug", skip_all, fields(moderator = session.moderator_id))]
    pub(super) async fn create_session(&self, session: NewSession) -> Result<(), StoreError> {
        in_transaction!(self, |tx| {
            let now = self.now();
            tx.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now])
                .await?;
            tx.execute(
                "INSERT INTO sessions (id_sha256, moderator_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[
                    &&session.hash.as_bytes()[..],
                    &session.moderator_id,
                    &now,
                    &session.expires_at,
                ],
            )
            .await?;
            Ok::<_, PgError>(())
        })
    }

    /// The active session whose secret hashes to `hash`, with its moderator.
    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn session(
        &self,
        hash: TokenHash,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let run = async {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(
                    "SELECT m.id, m.name, m.is_admin, s.expires_at
                     FROM sessions s JOIN moderators m ON m.id = s.moderator_id
                     WHERE s.id_sha256 = $1 AND s.expires_at > $2 AND m.revoked_at IS NULL",
                )
                .await?;
            let Some(row) = client
                .query_opt(&stmt, &[&&hash.as_bytes()[..], &self.now()])
                .await?
            else {
                return Ok(None);
            };
            Ok::<_, PgError>(Some(SessionRecord {
                moderator: record(&client, row.get(0), row.get(1), row.get(2)).await?,
                expires_at: row.get(3),
            }))
        };
        Ok(run.await?)
    }

    /// Ends a session; `false` if there was none.
    #[tracing::instrument(level = "debug", skip_all)]
    pub(super) async fn end_session(&self, hash: TokenHash) -> Result<bool, StoreError> {
        let run = async {
            let client = self.client().await?;
            let n = client
                .execute(
                    "DELETE FROM sessions WHERE id_sha256 = $1",
                    &[&&hash.as_bytes()[..]],
                )
                .await?;
            Ok::<_, PgError>(n > 0)
        };
        Ok(run.await?)
    }
}
