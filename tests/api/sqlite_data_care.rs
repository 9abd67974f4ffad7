//! Data care on SQLite's file: `commentguard backup` while the service takes comments,
//! and the documented restore. Always on a SQLite file (PostgreSQL is backed up with
//! `pg_dump`; `backup` refuses a URL). Retention and erasure, which every backend keeps,
//! are in `data_care.rs`.
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{comment, test_config, API_KEY};
use crate::process::Process;
use crate::review_support::{commentguard, outputs};

/// Submits comments from four clients for `duration`; every answer must be a 2xx.
/// Returns `(id, when acknowledged)` for each.
async fn submit_for(address: String, tag: &str, duration: Duration) -> Vec<(i64, Instant)> {
    commentguard::webhooks::install_tls_provider();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + duration;
    let tasks: Vec<_> = (0..4)
        .map(|task| {
            let client = client.clone();
            let url = format!("{address}/api/v1/comments");
            let tag = tag.to_owned();
            tokio::spawn(async move {
                let mut acked = Vec::new();
                let mut i = 0;
                while Instant::now() < deadline {
                    let mut c = comment(&format!(
                        "Backup {tag} client {task} comment {i}: publish the budget lines."
                    ));
                    c["author_email"] = format!("{tag}{task}n{i}@example.com").into();
                    i += 1;
                    let res = client.post(&url).json(&c).send().await.unwrap();
                    let status = res.status().as_u16();
                    let json: Value = res.json().await.unwrap();
                    assert!((200..300).contains(&status), "{status}: {json}");
                    acked.push((json["id"].as_i64().unwrap(), Instant::now()));
                }
                acked
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// `commentguard backup` runs while the service takes comments: no commenter gets an
/// error, each backup is a consistent private file holding everything acknowledged before
/// it started, and the documented restore brings it back into service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_online_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    let server = Process::start(&mut config, dir.path(), "serve.log").await;
    let config_path = dir.path().join("commentguard.toml");

    let load = tokio::spawn(submit_for(
        server.address.clone(),
        "during",
        Duration::from_millis(2_500),
    ));
    let mut backups = Vec::new();
    for n in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let out = dir.path().join(format!("backups/commentguard-{n}.db"));
        let started = Instant::now();
        let args = [
            "backup".to_owned(),
            "--config".to_owned(),
            config_path.to_str().unwrap().to_owned(),
            "--out".to_owned(),
            out.to_str().unwrap().to_owned(),
        ];
        let run = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            commentguard(&args)
        })
        .await
        .unwrap();
        assert!(run.status.success(), "{:?}", outputs(&run));
        backups.push((out, started));
    }
    let acked = load.await.unwrap();
    let over_itself = commentguard(&[
        "backup",
        "--config",
        config_path.to_str().unwrap(),
        "--out",
        config.database.to_str().unwrap(),
    ]);
    assert!(
        !over_itself.status.success(),
        "a backup never replaces the database"
    );
    assert!(acked.len() > 50, "load ran: {}", acked.len());

    for (path, started) in &backups {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
        }
        let copy = rusqlite::Connection::open(path).unwrap();
        let check: String = copy
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        for (id, at) in &acked {
            if at < started {
                let n: i64 = copy
                    .query_row("SELECT COUNT(*) FROM comments WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })
                    .unwrap();
                assert_eq!(n, 1, "comment {id} acknowledged before the backup is in it");
            }
        }
    }

    // Restore (deploy/README.md): stop, put the backup in place, drop -wal/-shm, start.
    server.stop();
    let (last, started) = backups.last().unwrap();
    std::fs::copy(last, &config.database).unwrap();
    for suffix in ["-wal", "-shm"] {
        let mut p = config.database.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(p));
    }
    let server = Process::start(&mut config, dir.path(), "restored.log").await;
    let client = reqwest::Client::new();
    let before: Vec<i64> = acked
        .iter()
        .filter(|(_, at)| at < started)
        .map(|(id, _)| *id)
        .collect();
    assert!(!before.is_empty());
    for id in before.iter().step_by(7) {
        let res = client
            .get(server.url(&format!("/api/v1/comments/{id}")))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "comment {id} restored");
    }
    let res = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    server.stop();
}
