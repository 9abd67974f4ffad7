//! What a CMS backend integrating commentguard is told when it gets something wrong:
//! an unknown site names the sites of its API key; a request without `client_ip` is
//! warned that all readers share one rate limit, and the 429 it eventually gets says why;
//! a moderator naming an unknown site is told the sites they moderate.
use serde_json::json;

use crate::helpers::{clearly_fine, comment, json_body, spawn_app, spawn_app_with, SITE};
use crate::review_support::add_moderator;

/// A backend that names a site the instance does not serve is told its key's site; an
/// anonymous caller is told where site ids come from, and nothing about other sites.
#[tokio::test]
async fn unknown_site_names_the_site_of_the_backends_key() {
    let app = spawn_app().await;
    let mut wrong = comment(&clearly_fine(1).remove(0));
    wrong["site"] = json!("dailynews");

    let res = app.post_comment_as_backend(&wrong).await;
    assert_eq!(res.status(), 422);
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "UNKNOWN_SITE");
    assert_eq!(json["error"]["field"], "site");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.ends_with(&format!("your API key is the key of the site(s): {SITE}")),
        "{message}"
    );

    let json = json_body(app.post_comment_json(&wrong).await).await;
    assert_eq!(json["error"]["code"], "UNKNOWN_SITE");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(message.contains("[sites.ID]"), "{message}");
    assert!(!message.contains(SITE), "{message}");
    assert_eq!(app.stored_comments(), 0);
}

/// A backend that forwards no `client_ip` gets its comment stored with a warning; when
/// its readers then exhaust one IP's burst, the 429 explains that they all count as the
/// backend. With `client_ip`, no warning.
#[tokio::test]
async fn a_backend_without_client_ip_is_warned() {
    let app = spawn_app_with(|c| {
        let limits = &mut c.sites.get_mut(SITE).unwrap().rate_limit;
        limits.ip_burst = 2;
        limits.ip_per_minute = 1;
    })
    .await;
    let texts = clearly_fine(3);

    let mut with_ip = comment(&texts[0]);
    with_ip["client_ip"] = json!("203.0.113.7");
    let json = json_body(app.post_comment_as_backend(&with_ip).await).await;
    assert_eq!(json["status"], "published", "{json}");
    assert!(json.get("warnings").is_none(), "{json}");

    let json = json_body(app.post_comment_as_backend(&comment(&texts[1])).await).await;
    assert_eq!(json["status"], "published", "{json}");
    let warning = json["warnings"][0].as_str().unwrap();
    assert!(warning.starts_with("client_ip was not sent"), "{warning}");

    // Two more readers, one address (the backend's): the burst of 2 is spent.
    let mut second = comment(&texts[2]);
    second["author_email"] = json!("someone.else@example.com");
    let json = json_body(app.post_comment_as_backend(&second).await).await;
    assert_eq!(json["status"], "published", "{json}");
    let mut third = comment("A third reader agrees with the second one, mostly.");
    third["author_email"] = json!("third@example.com");
    let res = app.post_comment_as_backend(&third).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "RATE_LIMITED");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("send each reader's IP address as client_ip"),
        "{message}"
    );
}

/// A moderator who names a site the instance does not serve is told the sites they
/// moderate, in the queue and when banning.
#[tokio::test]
async fn unknown_site_names_the_sites_a_moderator_moderates() {
    let app = spawn_app().await;
    let token = add_moderator(&app, "ann", &[SITE], false).await;

    let res = app.review_queue(&token, &[("site", "dailynews")]).await;
    assert_eq!(res.status(), 422);
    let json = json_body(res).await;
    assert_eq!(json["error"]["code"], "UNKNOWN_SITE");
    assert_eq!(
        json["error"]["message"],
        format!("no such site on this instance; you moderate: {SITE}")
    );

    let ban = json!({"site": "dailynews", "author_email": "troll@example.com"});
    let json = json_body(app.author_action(&token, "ban", &ban).await).await;
    assert_eq!(json["error"]["code"], "UNKNOWN_SITE");
    assert!(json["error"]["message"]
        .as_str()
        .unwrap()
        .ends_with(&format!("you moderate: {SITE}")));
}

/// The README's code block that follows the line `label` (```lang … ```).
fn readme_block(label: &str, lang: &str) -> String {
    let readme = include_str!("../../README.md");
    let from = readme
        .find(&format!("{label}\n```{lang}\n"))
        .unwrap_or_else(|| panic!("README has a {lang} block after {label:?}"));
    let code = &readme[from + label.len() + lang.len() + 5..];
    code[..code.find("\n```").expect("the block ends")].to_owned()
}

/// Runs `program` with `args` and `script` on standard input if the interpreter is installed; its
/// exit status and output when it ran.
fn run_script(program: &str, args: &[&str], script: &str) -> Option<std::process::Output> {
    use std::io::Write as _;
    let mut child = match std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("{program} not installed: its README example is not run");
            return None;
        }
        Err(e) => panic!("{program}: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    Some(child.wait_with_output().unwrap())
}

/// The README's signature examples, run as written (Python always — CI has it; Node.js
/// and PHP where installed), accept the service's own signature of the documented vector
/// at its timestamp and refuse a wrong one, a changed body and a stale timestamp.
#[test]
fn readme_signature_examples_verify_the_service_signature() {
    let (secret, timestamp, body) = ("whsec_test", 1_700_000_000_i64, br#"{"a":1}"#);
    let good = commentguard::webhooks::signature(secret, timestamp, body);
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(&good),
        "the README states the vector's signature {good}"
    );
    let signatures = format!("v1=00 {good}");

    let python = format!(
        "{}\nimport time\ntime.time = lambda: {timestamp}\n\
         assert verify('{secret}', '{timestamp}', '{signatures}', b'{{\"a\":1}}')\n\
         assert not verify('{secret}', '{timestamp}', 'v1=00', b'{{\"a\":1}}')\n\
         assert not verify('{secret}', '{timestamp}', '{good}', b'{{\"a\":2}}')\n\
         time.time = lambda: {timestamp} + 3600\n\
         assert not verify('{secret}', '{timestamp}', '{good}', b'{{\"a\":1}}')\n",
        readme_block("Python:", "python")
    );
    let out = run_script("python3", &["-"], &python).expect("python3 is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let js = format!(
        "{}\nconst assert = require(\"node:assert\");\nDate.now = () => {timestamp} * 1000;\n\
         assert(verify(\"{secret}\", \"{timestamp}\", \"{signatures}\", Buffer.from('{{\"a\":1}}')));\n\
         assert(!verify(\"{secret}\", \"{timestamp}\", \"v1=00\", Buffer.from('{{\"a\":1}}')));\n\
         assert(!verify(\"{secret}\", \"{timestamp}\", \"{good}\", Buffer.from('{{\"a\":2}}')));\n\
         Date.now = () => ({timestamp} + 3600) * 1000;\n\
         assert(!verify(\"{secret}\", \"{timestamp}\", \"{good}\", Buffer.from('{{\"a\":1}}')));\n",
        readme_block("JavaScript (Node.js):", "js")
    );
    if let Some(out) = run_script("node", &["-"], &js) {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // PHP's time() cannot be replaced: the check runs at the current time, signed now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let fresh = commentguard::webhooks::signature(secret, now, body);
    let php = format!(
        "<?php\n{}\n\
         if (!commentguard_verify('{secret}', '{now}', 'v1=00 {fresh}', '{{\"a\":1}}')) exit(1);\n\
         if (commentguard_verify('{secret}', '{now}', 'v1=00', '{{\"a\":1}}')) exit(2);\n\
         if (commentguard_verify('{secret}', '{timestamp}', '{good}', '{{\"a\":1}}')) exit(3);\n",
        readme_block("PHP:", "php")
    );
    if let Some(out) = run_script("php", &[], &php) {
        assert!(
            out.status.success(),
            "{:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
