//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of every route, generated from
//! the handlers and the types they answer with (`utoipa`): each handler carries its
//! `#[utoipa::path]` (method, path, parameters, request body, every status it answers
//! with), each response type derives `ToSchema`, and [`ApiDoc`] gathers them here.
//!
//! The API tests check it against reality: every JSON response they read is validated
//! against the schema the document gives for its route and status, with undocumented
//! properties refused (`tests/api/openapi.rs`).
use actix_web::HttpResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    admin, articles, comments, counts, embed, error, form_token, health, metrics, reports,
    review_authors, review_bans, review_counts, review_decisions, review_page, review_queue,
    review_undo, review_views, rules, session,
};

/// The document's root: every route and the security schemes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "commentguard",
        description = "Self-hosted comment moderation for news sites: submit comments, list \
            the published ones, and moderate the rest. Errors are always \
            `{\"error\": {\"code\", \"message\", \"field\"}}`.",
        license(name = "MIT OR Apache-2.0"),
    ),
    paths(
        comments::submit,
        comments::get_one,
        reports::report,
        articles::list,
        counts::counts,
        form_token::issue,
        review_queue::queue,
        review_decisions::item,
        review_decisions::decide_one,
        review_decisions::decide_many,
        review_bans::ban,
        review_bans::unban,
        review_counts::counts,
        review_authors::author,
        review_authors::bans,
        review_undo::undo,
        session::sign_in,
        session::current,
        session::sign_out,
        admin::reload_models,
        admin::models,
        admin::erase,
        rules::rules,
        rules::change,
        health::healthz,
        health::readyz,
        embed::script,
        embed::style,
        review_page::page,
        review_page::script,
        review_page::style,
        metrics::scrape,
        document,
    ),
    components(schemas(error::ErrorBody, review_views::BulkResult, review_views::ItemError)),
    modifiers(&SecuritySchemes),
    tags(
        (name = "comments", description = "Article pages and site backends: submit, list, count, report"),
        (name = "review", description = "Moderators: the queue, decisions, bans"),
        (name = "admin", description = "Admins: the models in service"),
        (name = "embed", description = "Drop-in comments and the moderators' page"),
        (name = "operations", description = "Health and this document"),
    ),
)]
pub struct ApiDoc;

/// The two bearer schemes — a site's API key (backends) and a moderator's token — and the
/// review page's session cookie.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "site_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A site's API key (`commentguard site-key`), sent by its backend only",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "moderator_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A moderator's token (`commentguard moderator add`); admin routes need an admin's",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "moderator_session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "cg_session",
                "The review page's session (`POST /api/v1/session`; `__Host-cg_session` with \
                 `sessions.secure_cookie`). Requests other than GET also need `X-CSRF-Token`",
            ))),
        );
    }
}

/// The document as JSON.
pub fn json() -> serde_json::Value {
    serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes")
}

/// `GET /api/v1/openapi.json`
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = Object)))]
pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Version 3.1 and security schemes that exist. That the document names every route
    /// the app registers (and no other) is checked against actix's own route map by
    /// `every_registered_route_is_documented` in `tests/api/openapi.rs`.
    #[test]
    fn document_covers_the_routes() {
        let doc = json();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        assert!(paths.contains_key("/api/v1/admin/erase"), "{paths:?}");
        let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
        assert!(schemes.contains_key("site_key") && schemes.contains_key("moderator_token"));
    }
}
