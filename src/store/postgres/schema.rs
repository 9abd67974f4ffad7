//! The PostgreSQL schema and its migrations.
//!
//! Migrations are an append-only list of SQL files (`migrations/*.sql`), numbered from 1,
//! recorded in `commentguard_migrations` and applied each in its own transaction, inside
//! the schema the connection's `search_path` selects (`current_schema()`). Never edit a
//! shipped migration; add the next file.
//!
//! Several instances may start at once: migrating happens on a connection of its own that
//! holds a session advisory lock keyed on the schema's name, so one migrates and the others
//! wait, then find nothing left to do. A schema holding tables but no migration table
//! belongs to something else and is refused, never migrated; a schema migrated by a newer
//! build is refused too.
use tokio_postgres::{Client, Config, NoTls};

use super::PgError;
use crate::store::StoreError;

/// The schema's history, oldest first: `(version, name, sql)`.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "initial", include_str!("migrations/0001_initial.sql")),
    (
        2,
        "model_sets",
        include_str!("migrations/0002_model_sets.sql"),
    ),
];

/// The first key of the migrations' advisory lock ("CGRD"); the second is the schema's
/// `hashtext`.
pub(super) const LOCK_NAMESPACE: i32 = 0x4347_5244;

/// Connects once, takes the migration lock, checks ownership, applies what is missing.
pub(super) async fn migrate(config: &Config, url: &str) -> Result<(), StoreError> {
    let (client, connection) = config.connect(NoTls).await.map_err(|e| {
        StoreError::Unavailable(format!(
            "cannot connect to PostgreSQL at {}: {}",
            redact(url),
            PgError::from(e)
        ))
    })?;
    let driver = tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::warn!(error = %err, "the migration connection failed");
        }
    });
    let result = migrate_on(&client, url).await;
    drop(client);
    // The connection ends when the client is dropped; its task then returns.
    let _ = driver.await;
    result
}

async fn migrate_on(client: &Client, url: &str) -> Result<(), StoreError> {
    let schema: Option<String> = client
        .query_one("SELECT current_schema()", &[])
        .await
        .map_err(PgError::from)?
        .get(0);
    let Some(schema) = schema else {
        return Err(StoreError::Foreign(
            redact(url).into(),
            "no schema of its search_path exists (create it first)".into(),
        ));
    };
    // Another instance may take a while to migrate: wait for it, whatever the
    // `lock_timeout` the store's connections have.
    client
        .batch_execute("SET lock_timeout = 0")
        .await
        .map_err(PgError::from)?;
    client
        .execute(
            "SELECT pg_advisory_lock($1, hashtext(current_schema()))",
            &[&LOCK_NAMESPACE],
        )
        .await
        .map_err(PgError::from)?;
    let result = apply(client, url, &schema).await;
    // Released by closing the connection anyway; unlocking says so at once.
    let unlocked = client
        .execute(
            "SELECT pg_advisory_unlock($1, hashtext(current_schema()))",
            &[&LOCK_NAMESPACE],
        )
        .await;
    result?;
    unlocked.map_err(PgError::from)?;
    Ok(())
}

/// The version the schema is at: 0 for an empty schema; refuses a foreign one.
async fn current_version(client: &Client, url: &str, schema: &str) -> Result<i32, StoreError> {
    let row = client
        .query_one(
            "SELECT
                 EXISTS (SELECT 1 FROM information_schema.tables
                         WHERE table_schema = current_schema()
                           AND table_name = 'commentguard_migrations'),
                 (SELECT COUNT(*) FROM information_schema.tables
                  WHERE table_schema = current_schema())",
            &[],
        )
        .await
        .map_err(PgError::from)?;
    let (ours, tables): (bool, i64) = (row.get(0), row.get(1));
    if !ours {
        if tables > 0 {
            return Err(StoreError::Foreign(
                redact(url).into(),
                format!("its schema `{schema}` holds {tables} table(s) but no commentguard schema"),
            ));
        }
        return Ok(0);
    }
    let version: Option<i32> = client
        .query_one("SELECT MAX(version) FROM commentguard_migrations", &[])
        .await
        .map_err(PgError::from)?
        .get(0);
    Ok(version.unwrap_or(0))
}

async fn apply(client: &Client, url: &str, schema: &str) -> Result<(), StoreError> {
    let version = current_version(client, url, schema).await?;
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if version > known {
        return Err(StoreError::Corrupt(format!(
            "the PostgreSQL schema `{schema}` is at migration {version}, newer than this build's {known}: upgrade commentguard"
        )));
    }
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS commentguard_migrations (
                 version    INTEGER PRIMARY KEY,
                 name       TEXT   NOT NULL,
                 applied_at BIGINT NOT NULL   -- unix milliseconds
             )",
        )
        .await
        .map_err(PgError::from)?;
    for (number, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > version) {
        // `client` is shared; a transaction by hand keeps it a `&Client`.
        let run = async {
            client.batch_execute("BEGIN").await?;
            client.batch_execute(sql).await?;
            client
                .execute(
                    "INSERT INTO commentguard_migrations (version, name, applied_at)
                     VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT)",
                    &[number, name],
                )
                .await?;
            client.batch_execute("COMMIT").await
        };
        if let Err(err) = run.await {
            let _ = client.batch_execute("ROLLBACK").await;
            let err = PgError::from(err);
            tracing::error!(migration = number, error = %err, "migration failed");
            if err.is_unavailable() {
                return Err(StoreError::from(err));
            }
            return Err(StoreError::Commit(format!(
                "PostgreSQL migration {number} ({name}) failed: {err}"
            )));
        }
        tracing::info!(
            migration = number,
            name,
            schema,
            "PostgreSQL schema migrated"
        );
    }
    Ok(())
}

/// `url` without its password, for messages.
pub(super) fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "the configured PostgreSQL URL".to_owned(),
    }
}
