//! The review page in a real browser: headless Chromium driven through chromedriver
//! (WebDriver) against a real server. A moderator signs in with their token, sees the
//! pending queue with each comment's text, scores and reasons, and approves or rejects
//! with one click; hostile comment text is shown as text, never run. (The desk's other
//! stories — keyboard, bulk, undo, bans, rules, hostile content in every field — are in
//! `desk_browser.rs`.)
//!
//! Needs `chromedriver` on `PATH` (Debian: `apt-get install chromium chromium-driver`;
//! `.ci/run` installs them). Without it the test says so loudly and passes — unless the
//! `CI` environment variable is set, where a missing browser is a failure.
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use crate::helpers::{clearly_fine, comment, json_body, spawn_app_with, TestApp, SITE};
use crate::review_support::{add_moderator, premoderated};

/// How long the browser gets for any one step.
pub(crate) const STEP: Duration = Duration::from_secs(20);

/// `chromedriver` on `PATH`, if installed.
pub(crate) fn find_chromedriver() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromedriver"))
        .find(|p| p.is_file())
}

/// A chromedriver process this test started; killed (by its own id) when dropped.
pub(crate) struct Driver {
    child: Child,
    pub(crate) url: String,
}

impl Driver {
    /// Starts chromedriver on a port it chooses itself (`--port=0`: bound once, by the
    /// process that serves on it) and reads the port from its "started successfully on
    /// port N" line.
    pub(crate) fn start(binary: &PathBuf) -> Driver {
        let mut child = Command::new(binary)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let stdout = child.stdout.take().expect("chromedriver's stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads every line (so chromedriver never blocks on a full pipe) and sends the port.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = line
                    .strip_prefix("ChromeDriver was started successfully on port ")
                    .and_then(|rest| rest.trim_end_matches('.').parse::<u16>().ok())
                {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(port);
                    }
                }
            }
        });
        let port = rx
            .recv_timeout(STEP)
            .expect("chromedriver said which port it listens on");
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session with a throw-away profile.
pub(crate) async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// Polls `check` until it is true or [`STEP`] passes.
pub(crate) async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + STEP;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `textContent` of the first element matching `css`, if there is one.
pub(crate) async fn text_of(browser: &Client, css: &str) -> Option<String> {
    let el = browser.find(Locator::Css(css)).await.ok()?;
    el.prop("textContent").await.ok().flatten()
}

/// A moderator reviews the pending queue in the browser: both held comments are shown,
/// the hostile one as plain text (no element, no script run); one click approves the
/// first (listed on the article at once), another rejects the second as spam.
#[tokio::test]
async fn moderator_reviews_the_queue_in_the_browser() {
    let Some(chromedriver) = find_chromedriver() else {
        if std::env::var_os("CI").is_some() {
            panic!("CI is set but chromedriver is not installed (apt-get install chromium chromium-driver)");
        }
        // Straight to the process's stderr: the test harness captures `eprintln!`, and
        // a skipped browser test must be seen.
        use std::io::Write;
        let _ = std::io::stderr().write_all(
            b"\n\n############################################################\n\
              ## SKIPPED review_browser: chromedriver is not installed. ##\n\
              ## apt-get install chromium chromium-driver to run it.    ##\n\
              ############################################################\n\n",
        );
        return;
    };
    let app = spawn_app_with(premoderated).await;
    let token = add_moderator(&app, "ann", &[SITE], false).await;
    let fine = clearly_fine(1).remove(0);
    let hostile = "Great piece! <img src=x onerror=\"document.title='pwned'\"> \
                   <script>document.title='pwned'</script> But the budget table is wrong.";
    let fine_id = app.post_comment_expecting(&comment(&fine), "pending").await;
    let mut second = comment(hostile);
    second["author_email"] = json!("other.reader@example.com");
    let hostile_id = app.post_comment_expecting(&second, "pending").await;

    let page = app.client.get(app.url("/review")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("default-src 'none'"),
        "{csp}"
    );

    let driver = Driver::start(&chromedriver);
    let profile = tempfile::tempdir().unwrap();
    let browser = browser(&driver, profile.path()).await;
    let outcome =
        review_in_browser(&browser, &app, &token, fine_id, hostile_id, &fine, hostile).await;
    let _ = browser.close().await;
    outcome.expect("the browser session");

    assert!(app.listed_ids("2024/budget").await.contains(&fine_id));
    let rejected: Value = json_body(app.review_item(&token, hostile_id).await).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["labels"]["spam"], true);
    assert_eq!(rejected["decisions"][0]["moderator"], "ann");
}

/// The browser half of the story; WebDriver errors come back as `Err`, so the session is
/// closed either way.
async fn review_in_browser(
    browser: &Client,
    app: &TestApp,
    token: &str,
    fine_id: i64,
    hostile_id: i64,
    fine: &str,
    hostile: &str,
) -> Result<(), fantoccini::error::CmdError> {
    browser.goto(&app.url("/review")).await?;
    browser
        .find(Locator::Css("#token"))
        .await?
        .send_keys(token)
        .await?;
    browser.find(Locator::Css("#signin")).await?.click().await?;
    let item = |id: i64| format!("#queue li[data-id=\"{id}\"]");
    browser
        .wait()
        .at_most(STEP)
        .for_element(Locator::Css(&item(hostile_id)))
        .await?;

    assert_eq!(
        text_of(browser, &format!("{} .body", item(fine_id)))
            .await
            .as_deref(),
        Some(fine.trim())
    );
    assert_eq!(
        text_of(browser, &format!("{} .body", item(hostile_id)))
            .await
            .as_deref(),
        Some(hostile),
        "hostile text is shown verbatim"
    );
    assert!(browser
        .find_all(Locator::Css("#queue img"))
        .await?
        .is_empty());
    assert!(browser
        .find_all(Locator::Css("#queue script"))
        .await?
        .is_empty());
    assert_eq!(
        browser.title().await?,
        "commentguard · review",
        "no script ran"
    );
    let reasons = text_of(browser, &format!("{} .reasons", item(fine_id))).await;
    assert!(
        reasons
            .unwrap_or_default()
            .contains("Every comment here is checked before it is published"),
        "the reason in words"
    );
    let scores = text_of(browser, &format!("{} .scores", item(fine_id)))
        .await
        .unwrap_or_default();
    assert!(
        scores.contains("Spam:") && scores.contains("held from"),
        "scores are shown: {scores}"
    );

    browser
        .find(Locator::Css(&format!(
            "{} button[data-decision=\"approve\"]",
            item(fine_id)
        )))
        .await?
        .click()
        .await?;
    let outcome = format!("{} .outcome", item(fine_id));
    wait_until("the approval to show", async || {
        text_of(browser, &outcome)
            .await
            .is_some_and(|t| t.contains("published"))
    })
    .await;

    browser
        .find(Locator::Css(&format!(
            "{} button[data-label=\"spam\"]",
            item(hostile_id)
        )))
        .await?
        .click()
        .await?;
    let outcome = format!("{} .outcome", item(hostile_id));
    wait_until("the rejection to show", async || {
        text_of(browser, &outcome)
            .await
            .is_some_and(|t| t.contains("Rejected as spam"))
    })
    .await;
    Ok(())
}
