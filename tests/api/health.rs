//! Liveness and readiness.
use crate::helpers::{json_body, spawn_app};

/// `/healthz` answers while the process runs; `/readyz` once database and models are ready.
#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(json_body(res).await["status"].is_string());
    }
}
