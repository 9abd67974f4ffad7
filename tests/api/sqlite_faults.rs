//! Faults around the database are answered, not 500ed: a lock held by another process, a
//! full disk, a file system gone read-only. Writers get 503 with `Retry-After`, `/readyz`
//! fails while writes fail and recovers with them, and nothing acknowledged is lost.
//!
//! The disk tests mount a small tmpfs or an ext4 image on a loop device, so they need
//! root (CI runs as root). Without root they say so and pass, unless `CI` is set.
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::helpers::{
    comment, json_body, skip_sqlite_file_test, spawn_app_with, test_config, TestApp,
};
use crate::process::Process;

/// Submits `n` distinct comments one after another; returns each one's status and body.
async fn submit_numbered(app: &TestApp, tag: &str, n: usize) -> Vec<(u16, Value, String)> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let body = format!("Comment {tag}-{i}: the council should publish every budget line.");
        let mut c = comment(&body);
        c["author_email"] = format!("{tag}{i}@example.com").into();
        let res = app.post_comment_json(&c).await;
        let status = res.status().as_u16();
        let retry_after = res
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let json = json_body(res).await;
        if status == 503 {
            assert!(retry_after.is_some(), "503 without Retry-After: {json}");
            assert_eq!(json["error"]["code"], "UNAVAILABLE", "{json}");
        }
        assert_ne!(status, 500, "a fault of the disk is never a 500: {json}");
        out.push((status, json, body));
    }
    out
}

/// The ids acknowledged with a 2xx.
fn acknowledged(answers: &[(u16, Value, String)]) -> Vec<(i64, String)> {
    answers
        .iter()
        .filter(|(s, _, _)| (200..300).contains(s))
        .map(|(_, j, body)| (j["id"].as_i64().unwrap(), body.clone()))
        .collect()
}

async fn readyz(app: &TestApp) -> u16 {
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    let status = res.status().as_u16();
    if status == 503 {
        assert!(res.headers().contains_key("retry-after"));
    }
    status
}

/// Waits (a few seconds at most) until `/readyz` answers 200 again.
async fn wait_until_ready(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while readyz(app).await != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "ready again once writes succeed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Every acknowledged comment is in the database file at `db`, exactly once, with its id.
fn assert_all_stored(db: &Path, acked: &[(i64, String)]) {
    let conn = rusqlite::Connection::open(db).unwrap();
    for (id, body) in acked {
        let ids: Vec<i64> = conn
            .prepare("SELECT id FROM comments WHERE body = ?1")
            .unwrap()
            .query_map([body], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(ids, vec![*id], "acknowledged comment {id} is stored once");
    }
}

/// Another process holding the write lock past the busy timeout: submissions and
/// `/readyz` get 503 + Retry-After (never 500), and both recover when it lets go.
#[tokio::test]
async fn a_lock_held_elsewhere_is_a_503_then_recovers() {
    if skip_sqlite_file_test("a lock held on the database file by another process") {
        return;
    }
    let app = spawn_app_with(|c| c.storage.busy_timeout_ms = 200).await;
    let before = acknowledged(&submit_numbered(&app, "before", 3).await);
    assert_eq!(before.len(), 3);

    let other = app.sqlite();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let during = submit_numbered(&app, "locked", 2).await;
    assert!(during.iter().all(|(s, _, _)| *s == 503), "{during:?}");
    assert_eq!(readyz(&app).await, 503);
    other.execute_batch("ROLLBACK").unwrap();

    wait_until_ready(&app).await;
    let after = acknowledged(&submit_numbered(&app, "after", 2).await);
    assert_eq!(after.len(), 2);
    assert_all_stored(&app.db_path, &[before, after].concat());
}

/// A database of another application (tables, no commentguard schema) is refused and
/// left exactly as it was.
#[tokio::test]
async fn a_database_of_another_application_is_refused_not_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices (total) VALUES (9.5);")
            .unwrap();
    }
    let bytes_before = std::fs::read(&path).unwrap();
    let mut config = test_config(dir.path());
    config.database = path.clone().into();
    let err = commentguard::startup::Application::build_with_classifier(
        config,
        crate::helpers::classifier(),
    )
    .await
    .err()
    .expect("refused");
    let message = format!("{err:#}");
    assert!(message.contains("not a commentguard database"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes_before, "untouched");

    // Another application that marks its files with its own application_id, too.
    let path = dir.path().join("marked.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA application_id = 1234").unwrap();
    }
    let mut config = test_config(dir.path());
    config.database = path.clone().into();
    let err = commentguard::startup::Application::build_with_classifier(
        config,
        crate::helpers::classifier(),
    )
    .await
    .err()
    .expect("refused");
    assert!(format!("{err:#}").contains("application_id"), "{err:#}");
}

/// The database file is created 0600 and its new directory 0700: it holds e-mail and IP
/// addresses and the form-token secret.
#[cfg(unix)]
#[tokio::test]
async fn the_database_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let app =
        spawn_app_with(|c| c.database = dir.path().join("state/commentguard.db").into()).await;
    let acked = acknowledged(&submit_numbered(&app, "private", 1).await);
    assert_eq!(acked.len(), 1);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("state")), 0o700);
    for file in [
        "commentguard.db",
        "commentguard.db-wal",
        "commentguard.db-shm",
    ] {
        let path = dir.path().join("state").join(file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }
    drop(app);
}

// ---------------------------------------------------------------------------------------
// Disk faults (root).

/// Whether this process may mount file systems; without, the test is skipped (and fails
/// under CI, which runs as root).
pub fn can_mount(test: &str) -> bool {
    use std::os::unix::fs::MetadataExt;
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if !root {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test} needs root to mount a file system, and CI is set"
        );
        eprintln!("skipping {test}: needs root to mount a file system");
    }
    root
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A file system mounted for one test; unmounted (lazily) when dropped.
pub struct Mount {
    pub dir: PathBuf,
    image: Option<PathBuf>,
    _parent: tempfile::TempDir,
}

impl Mount {
    /// A tmpfs of `size` (e.g. `"4m"`).
    pub fn tmpfs(size: &str) -> Mount {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("mnt");
        std::fs::create_dir(&dir).unwrap();
        run(Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700")])
            .arg("tmpfs")
            .arg(&dir));
        Mount {
            dir,
            image: None,
            _parent: parent,
        }
    }

    /// An ext4 file system in an image file on a loop device, remounted read-only by the
    /// kernel on its first error (Debian's default for a root file system).
    pub fn ext4(size_mb: u64) -> Mount {
        let parent = tempfile::tempdir().unwrap();
        let image = parent.path().join("fs.img");
        let file = std::fs::File::create(&image).unwrap();
        file.set_len(size_mb * 1024 * 1024).unwrap();
        drop(file);
        run(Command::new("mkfs.ext4").args(["-q", "-F"]).arg(&image));
        let dir = parent.path().join("mnt");
        std::fs::create_dir(&dir).unwrap();
        run(Command::new("mount")
            .args(["-o", "loop,errors=remount-ro"])
            .arg(&image)
            .arg(&dir));
        Mount {
            dir,
            image: Some(image),
            _parent: parent,
        }
    }

    /// Makes the kernel see an error on this ext4 file system: with `errors=remount-ro`
    /// it turns read-only at once, under every open file.
    pub fn fail_read_only(&self) {
        let out = Command::new("findmnt")
            .args(["-no", "SOURCE"])
            .arg(&self.dir)
            .output()
            .unwrap();
        let source = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let device = Path::new(&source).file_name().unwrap().to_owned();
        let trigger = Path::new("/sys/fs/ext4")
            .join(device)
            .join("trigger_fs_error");
        std::fs::write(&trigger, "commentguard test\n")
            .unwrap_or_else(|e| panic!("{}: {e}", trigger.display()));
    }

    /// Unmounts, and mounts the same image again (read-write) at the same place.
    pub fn remount(&self) {
        let image = self.image.as_ref().expect("an image file system");
        // The stopped service's threads close their files a moment after it stops.
        for _ in 0..100 {
            let out = Command::new("umount").arg(&self.dir).output().unwrap();
            if out.status.success() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        run(Command::new("mount")
            .args(["-o", "loop"])
            .arg(image)
            .arg(&self.dir));
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).output();
    }
}

/// Fills the file system holding `dir` until a write fails; returns the filler's path.
fn fill_disk(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 64 * 1024];
    while file.write_all(&block).is_ok() {}
    let small = [0u8; 512];
    while file.write_all(&small).is_ok() {}
    let _ = file.sync_all();
    path
}

/// A full disk: writes answer 503 + Retry-After (no 500), `/readyz` fails, nothing
/// acknowledged is lost, and everything resumes once space is back.
#[tokio::test]
async fn a_full_disk_is_a_503_and_loses_nothing() {
    if !can_mount("a_full_disk_is_a_503_and_loses_nothing") {
        return;
    }
    let mount = Mount::tmpfs("8m");
    let app = spawn_app_with(|c| c.database = mount.dir.join("commentguard.db").into()).await;
    let mut acked = acknowledged(&submit_numbered(&app, "roomy", 5).await);
    assert_eq!(acked.len(), 5);

    let filler = fill_disk(&mount.dir);
    let full = submit_numbered(&app, "full", 40).await;
    acked.extend(acknowledged(&full));
    assert!(
        full.iter().any(|(s, _, _)| *s == 503),
        "a write failed for want of space"
    );
    assert_eq!(readyz(&app).await, 503, "not ready while writes fail");

    std::fs::remove_file(&filler).unwrap();
    wait_until_ready(&app).await;
    let after = submit_numbered(&app, "space", 5).await;
    assert!(after.iter().all(|(s, _, _)| *s < 300), "{after:?}");
    acked.extend(acknowledged(&after));

    let app = app.restart().await;
    assert_all_stored(&app.db_path, &acked);
    drop(app);
    drop(mount);
}

/// A full disk under the real binary: its log holds a few ERROR lines for a hundred
/// refused submissions, not one per write (the writer's failure line is throttled to one
/// per interval and counts what it held back).
#[tokio::test]
async fn a_full_disk_is_logged_once_per_interval() {
    if !can_mount("a_full_disk_is_logged_once_per_interval") {
        return;
    }
    let mount = Mount::tmpfs("8m");
    let dir = tempfile::tempdir().unwrap();
    let mut config = test_config(dir.path());
    config.database = mount.dir.join("commentguard.db").into();
    let server = Process::start(&mut config, dir.path(), "serve.log").await;
    let client = crate::helpers::plain_client();
    let post = |i: usize| {
        let mut c = comment(&format!(
            "Comment full-{i}: the council should publish every budget line."
        ));
        c["author_email"] = format!("full{i}@example.com").into();
        client.post(server.url("/api/v1/comments")).json(&c).send()
    };
    assert!(post(0).await.unwrap().status().is_success());

    let filler = fill_disk(&mount.dir);
    let mut refused = 0;
    for i in 1..=100 {
        let status = post(i).await.unwrap().status().as_u16();
        assert_ne!(status, 500, "a fault of the disk is never a 500");
        refused += usize::from(status == 503);
    }
    assert!(refused >= 50, "{refused} of 100 refused");
    let log = server.log();
    let errors = log.lines().filter(|l| l.contains("ERROR")).count();
    assert!(
        (1..=5).contains(&errors),
        "{errors} ERROR lines for {refused} failed writes:\n{log}"
    );
    std::fs::remove_file(&filler).unwrap();
    server.stop();
    drop(mount);
}

/// The file system turns read-only under the running service (what ext4 does on an I/O
/// error): writes answer 503 + Retry-After, `/readyz` fails, reads still work, and every
/// comment acknowledged before is on the disk.
#[tokio::test]
async fn a_file_system_gone_read_only_is_a_503_and_loses_nothing() {
    if !can_mount("a_file_system_gone_read_only_is_a_503_and_loses_nothing") {
        return;
    }
    let mount = Mount::ext4(16);
    let app = spawn_app_with(|c| c.database = mount.dir.join("commentguard.db").into()).await;
    let acked = acknowledged(&submit_numbered(&app, "writable", 10).await);
    assert_eq!(acked.len(), 10);
    let listed = app.listed_ids("2024/budget").await;
    assert!(!listed.is_empty());

    mount.fail_read_only();
    let read_only = submit_numbered(&app, "readonly", 5).await;
    assert!(read_only.iter().all(|(s, _, _)| *s == 503), "{read_only:?}");
    assert_eq!(readyz(&app).await, 503);
    assert_eq!(
        app.listed_ids("2024/budget").await,
        listed,
        "reads still served"
    );

    let (_, dir) = app.stop().await;
    mount.remount();
    assert_all_stored(&mount.dir.join("commentguard.db"), &acked);
    drop(dir);
    drop(mount);
}

/// Started on a database it cannot write (a file system mounted read-only), the service
/// refuses to start and says why, rather than answering every comment with an error.
#[tokio::test]
async fn a_read_only_database_at_start_is_refused_with_the_reason() {
    if !can_mount("a_read_only_database_at_start_is_refused_with_the_reason") {
        return;
    }
    let mount = Mount::tmpfs("8m");
    let app = spawn_app_with(|c| c.database = mount.dir.join("commentguard.db").into()).await;
    let acked = acknowledged(&submit_numbered(&app, "before", 2).await);
    let (mut config, dir) = app.stop().await;
    // The stopped service's threads close their files a moment after it stops.
    let mut remounted = false;
    for _ in 0..100 {
        let out = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&mount.dir)
            .output()
            .unwrap();
        if out.status.success() {
            remounted = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(remounted, "remounted read-only");
    config.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let err = commentguard::startup::Application::build_with_classifier(
        config,
        crate::helpers::classifier(),
    )
    .await
    .err()
    .expect("refused");
    assert!(format!("{err:#}").contains("read-only"), "{err:#}");
    run(Command::new("mount")
        .args(["-o", "remount,rw"])
        .arg(&mount.dir));
    assert_all_stored(&mount.dir.join("commentguard.db"), &acked);
    drop(dir);
}
