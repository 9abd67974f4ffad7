//! Acknowledged means durable: what the service confirmed survives a restart.
use crate::helpers::{comment, spawn_app};

/// Every comment acknowledged with a 2xx is still there after the server is stopped and
/// a new one is started on the same database file.
#[tokio::test]
async fn restart_keeps_every_acknowledged_comment() {
    let app = spawn_app().await;
    let comments = (0..60)
        .map(|i| {
            let mut c = comment(&format!(
                "Reader {i} thinks the council should publish the budget lines."
            ));
            c["author_email"] = format!("reader{i}@example.com").into();
            c
        })
        .collect();
    let answers = app.post_concurrently(comments).await;
    let acknowledged: Vec<i64> = answers
        .iter()
        .filter(|(status, _)| (200..300).contains(status))
        .map(|(_, json)| json["id"].as_i64().unwrap())
        .collect();
    assert_eq!(acknowledged.len(), 60, "{answers:?}");

    let app = app.restart().await;

    for id in acknowledged {
        let res = app.get_comment_as_backend(id).await;
        assert_eq!(res.status(), 200, "comment {id} survived the restart");
    }
    assert_eq!(app.stored_comments(), 60);
}
