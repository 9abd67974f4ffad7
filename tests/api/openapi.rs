//! The OpenAPI document against reality. Every JSON response an API test reads through
//! [`crate::helpers::json_body`] is checked here against the schema the document gives for
//! its route and status: an undocumented route or status, a missing required field, a
//! wrong type or enum value — or a property the document does not mention — fails the
//! test that received it. The tests below also check the served document itself, and
//! that it names exactly the routes the app registers (read from actix's own route map,
//! so a route added anywhere without a `#[utoipa::path]` fails here), each documented
//! method served and no other.
//!
//! Strictness: utoipa leaves objects open (`additionalProperties` unset), so before
//! validating, every object schema is closed here (`additionalProperties: false`; an
//! `allOf` composition gets `unevaluatedProperties: false` instead, and its parts stay
//! open so that each may see the others' properties).
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};

use crate::helpers::{json_body, spawn_app, SITE};
use crate::review_support::add_moderator;

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// Names of the component schemas that appear as parts of an `allOf`.
fn composed_parts(node: &Value, found: &mut HashSet<String>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Array(parts)) = map.get("allOf") {
                for part in parts {
                    if let Some(r) = part.get("$ref").and_then(Value::as_str) {
                        found.insert(r.trim_start_matches("#/components/schemas/").to_owned());
                    }
                }
            }
            map.values().for_each(|v| composed_parts(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| composed_parts(v, found)),
        _ => {}
    }
}

/// Closes every object schema under `node` (see the module docs).
fn close_objects(node: &mut Value, in_all_of: bool, open: &HashSet<String>, name: Option<&str>) {
    match node {
        Value::Object(map) => {
            let is_open_part = in_all_of || name.is_some_and(|n| open.contains(n));
            if map.contains_key("allOf") && !is_open_part {
                map.entry("unevaluatedProperties").or_insert(json!(false));
            } else if map.contains_key("properties") && !is_open_part {
                map.entry("additionalProperties").or_insert(json!(false));
            }
            for (key, value) in map.iter_mut() {
                match key.as_str() {
                    "allOf" => {
                        if let Value::Array(parts) = value {
                            for part in parts {
                                close_objects(part, true, open, None);
                            }
                        }
                    }
                    // The schemas of `properties` and `schemas` are keyed by name.
                    "properties" | "schemas" => {
                        if let Value::Object(named) = value {
                            let components = key == "schemas";
                            for (n, schema) in named.iter_mut() {
                                let n = components.then_some(n.as_str());
                                close_objects(schema, false, open, n);
                            }
                        }
                    }
                    _ => close_objects(value, false, open, None),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                close_objects(item, false, open, None);
            }
        }
        _ => {}
    }
}

/// The document as the service generates it, closed, as a JSON Schema 2020-12 root.
fn strict_document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = commentguard::http::openapi::json();
        let mut open = HashSet::new();
        composed_parts(&doc, &mut open);
        close_objects(&mut doc, false, &open, None);
        doc["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        doc
    })
}

/// A validator for the schema at `pointer` in the document (cached).
fn validator(pointer: &str) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(pointer) {
        return Arc::clone(v);
    }
    let mut root = strict_document().clone();
    root["$ref"] = json!(pointer);
    let compiled = Arc::new(
        jsonschema::draft202012::new(&root)
            .unwrap_or_else(|e| panic!("the schema at {pointer} compiles: {e}")),
    );
    cache
        .lock()
        .unwrap()
        .insert(pointer.to_owned(), Arc::clone(&compiled));
    compiled
}

/// The documented path template `path` matches, preferring literal segments.
fn template_for(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').collect();
    let paths = strict_document()["paths"].as_object()?;
    paths
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (t, s) in parts.iter().zip(&segments) {
                if t.starts_with('{') && t.ends_with('}') {
                    if s.is_empty() {
                        return None;
                    }
                } else if t == s {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, t)| t)
}

/// `s` as one JSON Pointer segment inside a URI fragment.
fn escape_pointer(s: &str) -> String {
    s.replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D")
}

/// Checks `body` against the API's error shape.
fn check_error_shape(path: &str, status: u16, body: &Value) {
    let errors: Vec<String> = validator("#/components/schemas/ErrorBody")
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{status} from {path}: {errors:?}\n{body}"
    );
}

/// Panics unless `body`, answered with `status` to a request for `url`, is what the
/// document says that route answers with that status.
pub fn check_response(url: &reqwest::Url, status: u16, body: &Value) {
    let path = url.path();
    let Some(template) = template_for(path) else {
        // A route that does not exist: the API's error shape is all there is to check.
        assert!(status >= 400, "{status} from undocumented path {path}");
        return check_error_shape(path, status, body);
    };
    if status == 405 {
        // A method the route does not have: outside every documented operation.
        return check_error_shape(path, status, body);
    }
    let item = &strict_document()["paths"][template];
    let mut pointers = Vec::new();
    for method in METHODS {
        let Some(responses) = item[method]["responses"].as_object() else {
            continue;
        };
        let key = if responses.contains_key(&status.to_string()) {
            status.to_string()
        } else if responses.contains_key("default") {
            "default".to_owned()
        } else {
            continue;
        };
        assert!(
            responses[&key]["content"]["application/json"].is_object(),
            "{method} {template} documents {key} without a JSON body, but one came: {body}"
        );
        pointers.push(format!(
            "#/paths/{}/{method}/responses/{key}/content/application~1json/schema",
            escape_pointer(template)
        ));
    }
    assert!(
        !pointers.is_empty(),
        "status {status} of {template} is not documented (got {body})"
    );
    let mut failures = Vec::new();
    for pointer in &pointers {
        let errors: Vec<String> = validator(pointer)
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            return;
        }
        failures.push((pointer, errors));
    }
    panic!("{status} from {path} does not match the OpenAPI document: {failures:#?}\n{body}");
}

/// The service serves its own document, OpenAPI 3.1, the same as the one checked here.
#[tokio::test]
async fn the_document_is_served() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let served = json_body(res).await;
    assert_eq!(served["openapi"], "3.1.0");
    assert_eq!(served, commentguard::http::openapi::json());
}

/// The checker itself refuses what the document does not allow: an undocumented
/// property, a missing required one, a wrong type, an undocumented status.
#[test]
fn the_checker_refuses_what_is_not_documented() {
    let url = reqwest::Url::parse("http://127.0.0.1/api/v1/sites/news/articles/counts").unwrap();
    let good = json!({"site": "news", "counts": {"a": 1}, "closed": []});
    check_response(&url, 200, &good);
    for bad in [
        json!({"site": "news", "counts": {"a": 1}, "closed": [], "extra": true}),
        json!({"site": "news", "closed": []}),
        json!({"site": "news", "counts": {"a": 1}}),
        json!({"site": "news", "counts": {"a": "one"}, "closed": []}),
    ] {
        let outcome = std::panic::catch_unwind(|| check_response(&url, 200, &bad));
        assert!(outcome.is_err(), "{bad} is refused");
    }
    let outcome = std::panic::catch_unwind(|| check_response(&url, 201, &good));
    assert!(outcome.is_err(), "an undocumented status is refused");
    let error =
        json!({"error": {"code": "UNKNOWN_SITE", "message": "no such site", "field": null}});
    check_response(&url, 404, &error);
}

/// The full path templates of every resource the app registers, as actix's route map has
/// them: the app is built with [`commentguard::http::configure`] — what `startup.rs`
/// gives every worker, besides middleware and the 404 fallback — and a fallback that
/// answers with the map it was routed by.
///
/// actix-web has no public way to walk its route map, so this reads its `Debug` form (a
/// tree of `ResourceMap { pattern: ResourceDef { … patterns: Single("/path") … }, …,
/// nodes: Some([children]) | None }`). Should a new actix-web print it differently, the
/// parse finds nothing and the test says so instead of passing.
async fn registered_paths() -> BTreeSet<String> {
    use actix_web::{test, web, App, HttpRequest, HttpResponse};
    let app = test::init_service(
        App::new()
            .configure(commentguard::http::configure)
            .default_service(web::to(|req: HttpRequest| async move {
                HttpResponse::Ok().body(format!("{:#?}", req.resource_map()))
            })),
    )
    .await;
    let request = test::TestRequest::get()
        .uri("/no/such/route/so/the/fallback/answers")
        .to_request();
    let body = test::call_and_read_body(&app, request).await;
    let map = String::from_utf8(body.to_vec()).expect("the route map prints as UTF-8");
    leaf_paths(&map)
}

/// The paths of the leaves (resources, `nodes: None`) of a printed route map, each the
/// patterns of its scopes and its own joined, `{name:regex}` written as `{name}`.
fn leaf_paths(map: &str) -> BTreeSet<String> {
    // (indentation of the node's `ResourceMap {` line, its pattern)
    let mut stack: Vec<(usize, Option<String>)> = Vec::new();
    let mut paths = BTreeSet::new();
    let mut lines = map.lines().peekable();
    while let Some(line) = lines.next() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if text == "ResourceMap {" {
            while stack.last().is_some_and(|(i, _)| *i >= indent) {
                stack.pop();
            }
            stack.push((indent, None));
            continue;
        }
        let Some((node, pattern)) = stack.last_mut() else {
            continue;
        };
        // Only the node's own lines: `pattern: ResourceDef {` is 4 deeper, its
        // `patterns:` 8; anything deeper belongs to something else (`named`).
        if indent == *node + 8 && text.starts_with("patterns: ") {
            assert_eq!(
                text, "patterns: Single(",
                "a resource with several patterns: read them here"
            );
            let literal = lines.next().expect("the pattern").trim();
            let literal = literal.trim_end_matches(',');
            let value: String = serde_json::from_str(literal)
                .unwrap_or_else(|e| panic!("a pattern literal, not {literal:?}: {e}"));
            *pattern = Some(value);
        } else if indent == *node + 4 && text == "nodes: None," {
            let path: String = stack
                .iter()
                .map(|(_, p)| p.clone().expect("every node has a pattern"))
                .collect();
            paths.insert(without_regexes(&path));
        }
    }
    paths
}

/// `/a/{id:\d+}` as `/a/{id}`: the document names parameters without their regex.
fn without_regexes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_regex = false;
    for c in path.chars() {
        match c {
            ':' if out.rfind('{') > out.rfind('}') => in_regex = true,
            '}' => {
                in_regex = false;
                out.push(c);
            }
            _ if in_regex => {}
            _ => out.push(c),
        }
    }
    out
}

/// The document names exactly the routes the app registers: a route without a
/// `#[utoipa::path]` in the document, or a documented path no route serves, fails here.
/// Nothing is exempt — non-JSON routes (`/embed.js`, `/review`, `/metrics`'s Prometheus
/// text) are documented with their content type.
#[actix_web::test]
async fn every_registered_route_is_documented() {
    let registered = registered_paths().await;
    assert!(
        registered.len() >= 25
            && registered.contains("/api/v1/comments")
            && registered.contains("/api/v1/review/{id}/undo"),
        "the route map was read: {registered:#?}"
    );
    let documented: BTreeSet<String> = strict_document()["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect();
    let undocumented: Vec<&String> = registered.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes without an OpenAPI entry (add `#[utoipa::path]` and list the handler in \
         `src/http/openapi.rs`): {undocumented:?}"
    );
    let unserved: Vec<&String> = documented.difference(&registered).collect();
    assert!(
        unserved.is_empty(),
        "documented paths no route serves: {unserved:?}"
    );
}

/// The methods match too: each documented operation is served (whatever it then says
/// about the placeholder request, it is neither the router's 404 nor 405), and every
/// other method on a documented path is a 405 that names the allowed ones. Requests carry
/// an admin's token, so the moderator routes judge the method rather than refusing an
/// anonymous caller.
#[tokio::test]
async fn every_documented_method_is_served_and_no_other() {
    let app = spawn_app().await;
    let admin = add_moderator(&app, "root", &[], true).await;
    let paths = strict_document()["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (template, item) in paths {
        let path = template
            .replace("{site}", SITE)
            .replace("{article_id}", "2024%2Fbudget")
            .replace("{id}", "1");
        assert!(!path.contains('{'), "a placeholder for {template}");
        for method in METHODS {
            let documented = item.get(*method).is_some();
            let res = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&path))
                .bearer_auth(&admin)
                .json(&json!({}))
                .send()
                .await
                .expect("request sent");
            let status = res.status().as_u16();
            let allow = res.headers().get("allow").cloned();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            // `NOT_FOUND` is the router's own 404 (no route, or a path segment that does
            // not parse for the route it fell through to); handlers name what they miss.
            let not_served =
                status == 405 || (status == 404 && body["error"]["code"] == "NOT_FOUND");
            if documented {
                assert!(
                    !not_served,
                    "{method} {template} is documented but not served: {status} {body}"
                );
                checked += 1;
            } else {
                assert_eq!(
                    (status, body["error"]["code"].as_str()),
                    (405, Some("METHOD_NOT_ALLOWED")),
                    "{method} {template} is not documented but answers: {body}"
                );
                assert!(allow.is_some(), "{method} {template}: 405 without Allow");
            }
        }
    }
    assert!(checked >= 30, "{checked} operations checked");
}

/// The route-map reader joins scopes, skips containers and other nodes' lines, and drops
/// parameter regexes.
#[test]
fn the_route_map_reader_finds_the_leaves() {
    let map = r#"ResourceMap {
    pattern: ResourceDef {
        id: 0,
        patterns: Single(
            "",
        ),
    },
    named: {},
    nodes: Some(
        [
            ResourceMap {
                pattern: ResourceDef {
                    patterns: Single(
                        "/healthz",
                    ),
                },
                nodes: None,
            },
            ResourceMap {
                pattern: ResourceDef {
                    patterns: Single(
                        "/api/v1",
                    ),
                },
                nodes: Some(
                    [
                        ResourceMap {
                            pattern: ResourceDef {
                                patterns: Single(
                                    "/comments/{id:\\d+}",
                                ),
                            },
                            nodes: None,
                        },
                        ResourceMap {
                            pattern: ResourceDef {
                                patterns: Single(
                                    "/review",
                                ),
                            },
                            nodes: Some(
                                [
                                    ResourceMap {
                                        pattern: ResourceDef {
                                            patterns: Single(
                                                "",
                                            ),
                                        },
                                        nodes: None,
                                    },
                                ],
                            ),
                        },
                    ],
                ),
            },
            ResourceMap {
                pattern: ResourceDef {
                    patterns: Single(
                        "/embed.js",
                    ),
                },
                nodes: None,
            },
        ],
    ),
}"#;
    let paths: Vec<String> = leaf_paths(map).into_iter().collect();
    assert_eq!(
        paths,
        [
            "/api/v1/comments/{id}",
            "/api/v1/review",
            "/embed.js",
            "/healthz"
        ]
    );
}
