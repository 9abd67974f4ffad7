//! Signing in to the review page: a token once, then a session cookie that is HttpOnly,
//! SameSite=Strict and (when configured) Secure, a CSRF token on every request that
//! changes something, and sign-out.
use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::Response;
use serde_json::{json, Value};

use crate::helpers::{clearly_fine, comment, json_body, spawn_app_with, TestApp, SITE};
use crate::review_support::{add_moderator, premoderated};

/// A signed-in browser, as the tests play it: the cookie and the CSRF token.
pub struct Session {
    /// `name=value`, as a `Cookie` header sends it.
    pub cookie: String,
    pub csrf: String,
    /// The `Set-Cookie` header of the sign-in.
    pub set_cookie: String,
    pub answer: Value,
}

impl TestApp {
    /// `POST /api/v1/session` with `token`.
    pub async fn sign_in_request(&self, token: &str, origin: Option<&str>) -> Response {
        let mut request = self
            .client
            .post(self.url("/api/v1/session"))
            .json(&json!({ "token": token }));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send().await.expect("request sent")
    }

    /// Signs in with `token` (asserting it works) and returns the session.
    pub async fn sign_in(&self, token: &str) -> Session {
        let res = self.sign_in_request(token, Some(&self.address)).await;
        assert_eq!(res.status(), 200);
        let set_cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let answer = json_body(res).await;
        Session {
            cookie,
            csrf: answer["csrf_token"]
                .as_str()
                .expect("a CSRF token")
                .to_owned(),
            set_cookie,
            answer,
        }
    }

    /// A request with the session's cookie and, when `csrf` is given, `X-CSRF-Token`.
    pub async fn with_session(
        &self,
        method: reqwest::Method,
        path: &str,
        session: &Session,
        csrf: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert("cookie", session.cookie.parse().unwrap());
        if let Some(csrf) = csrf {
            headers.insert("x-csrf-token", csrf.parse().unwrap());
        }
        let mut request = self.client.request(method, self.url(path)).headers(headers);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }
}

/// Ann signs in once; the cookie is HttpOnly, SameSite=Strict, for the whole service, not
/// Secure on plain HTTP, and expires; with it she reads the queue. A decision without the
/// CSRF token, or with another one, is refused and changes nothing; with it, it applies.
/// She signs out (CSRF again) and the cookie no longer works.
#[tokio::test]
async fn a_session_reads_freely_and_changes_only_with_its_csrf_token() {
    let app = spawn_app_with(premoderated).await;
    let token = add_moderator(&app, "ann", &[SITE], false).await;
    let id = app
        .post_comment_expecting(&comment(&clearly_fine(1)[0]), "pending")
        .await;

    let ann = app.sign_in(&token).await;
    let attributes: Vec<String> = ann
        .set_cookie
        .split(';')
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(
        ann.cookie.starts_with("cg_session=cgs_"),
        "{}",
        ann.set_cookie
    );
    for expected in ["httponly", "samesite=strict", "path=/", "max-age=43200"] {
        assert!(
            attributes.iter().any(|a| a == expected),
            "{expected}: {attributes:?}"
        );
    }
    assert!(!attributes.iter().any(|a| a == "secure"), "{attributes:?}");
    assert!(
        !ann.set_cookie.contains(&token),
        "the token is not the cookie"
    );
    assert_eq!(ann.answer["moderator"]["name"], "ann");
    assert_eq!(ann.answer["moderator"]["is_admin"], false);
    assert_eq!(ann.answer["moderator"]["sites"], json!([SITE]));

    let queue = app
        .with_session(reqwest::Method::GET, "/api/v1/review", &ann, None, None)
        .await;
    assert_eq!(queue.status(), 200, "reading needs no CSRF token");
    assert_eq!(json_body(queue).await["total"], 1);

    let decision = json!({"decision": "approve", "version": 1});
    let path = format!("/api/v1/review/{id}/decision");
    for (csrf, code) in [
        (None, "CSRF_TOKEN_MISSING"),
        (Some("0".repeat(64)), "CSRF_TOKEN_INVALID"),
    ] {
        let res = app
            .with_session(
                reqwest::Method::POST,
                &path,
                &ann,
                csrf.as_deref(),
                Some(&decision),
            )
            .await;
        assert_eq!(res.status(), 403);
        assert_eq!(json_body(res).await["error"]["code"], code);
    }
    assert_eq!(app.status_and_version(&token, id).await.0, "pending");
    let res = app
        .with_session(
            reqwest::Method::POST,
            &path,
            &ann,
            Some(&ann.csrf),
            Some(&decision),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(json_body(res).await["status"], "published");
    let item = json_body(app.review_item(&token, id).await).await;
    assert_eq!(item["decisions"][0]["moderator"], "ann");

    let again = app
        .with_session(reqwest::Method::GET, "/api/v1/session", &ann, None, None)
        .await;
    assert_eq!(json_body(again).await["csrf_token"], ann.csrf.as_str());
    let refused = app
        .with_session(reqwest::Method::DELETE, "/api/v1/session", &ann, None, None)
        .await;
    assert_eq!(
        refused.status(),
        403,
        "signing out needs the CSRF token too"
    );
    let out = app
        .with_session(
            reqwest::Method::DELETE,
            "/api/v1/session",
            &ann,
            Some(&ann.csrf),
            None,
        )
        .await;
    assert_eq!(out.status(), 204);
    let cleared = out.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("cg_session=;"), "{cleared}");
    assert!(
        cleared.to_ascii_lowercase().contains("max-age=0"),
        "{cleared}"
    );
    let after = app
        .with_session(reqwest::Method::GET, "/api/v1/review", &ann, None, None)
        .await;
    assert_eq!(after.status(), 401);
    assert_eq!(json_body(after).await["error"]["code"], "SESSION_EXPIRED");
}

/// A wrong token signs nobody in; a sign-in posted by another site's page is refused; an
/// admin's session says so; revoking a moderator ends their session at once.
#[tokio::test]
async fn sign_in_refusals_admins_and_revocation() {
    let app = spawn_app_with(|_| {}).await;
    let token = add_moderator(&app, "ann", &[SITE], false).await;
    let root = add_moderator(&app, "root", &[], true).await;

    let wrong = app.sign_in_request("cgm_not_a_token", None).await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(json_body(wrong).await["error"]["code"], "INVALID_TOKEN");
    let cross = app
        .sign_in_request(&token, Some("https://evil.example"))
        .await;
    assert_eq!(cross.status(), 403);
    assert_eq!(json_body(cross).await["error"]["code"], "CROSS_ORIGIN");
    let empty = app.sign_in_request("  ", None).await;
    assert_eq!(empty.status(), 422);
    assert_eq!(json_body(empty).await["error"]["field"], "token");

    let admin = app.sign_in(&root).await;
    assert_eq!(admin.answer["moderator"]["is_admin"], true);
    assert_eq!(admin.answer["moderator"]["sites"], json!([SITE]));

    let ann = app.sign_in(&token).await;
    assert!(
        commentguard::commands::moderator::revoke(&app.config, "ann")
            .await
            .unwrap()
    );
    let after = app
        .with_session(reqwest::Method::GET, "/api/v1/review", &ann, None, None)
        .await;
    assert_eq!(after.status(), 401);
    assert_eq!(json_body(after).await["error"]["code"], "SESSION_EXPIRED");
}

/// With `sessions.secure_cookie` the cookie is `Secure` and carries the `__Host-` prefix
/// (browsers then refuse it over plain HTTP, and no subdomain can plant one); its lifetime
/// follows `sessions.hours`.
#[tokio::test]
async fn a_secure_cookie_when_configured() {
    let app = spawn_app_with(|c| {
        c.sessions.secure_cookie = true;
        c.sessions.hours = 2;
    })
    .await;
    let token = add_moderator(&app, "ann", &[SITE], false).await;
    let ann = app.sign_in(&token).await;
    let lower = ann.set_cookie.to_ascii_lowercase();
    assert!(
        ann.cookie.starts_with("__Host-cg_session=cgs_"),
        "{}",
        ann.set_cookie
    );
    assert!(lower.contains("; secure"), "{lower}");
    assert!(lower.contains("max-age=7200"), "{lower}");
    let queue = app
        .with_session(reqwest::Method::GET, "/api/v1/review", &ann, None, None)
        .await;
    assert_eq!(queue.status(), 200);
}
