//! The OpenAPI document (generated from the hub's code,
//! `hub::api::openapi_document`) against a running hub.
//!
//! * Every documented method and path is served. Without a token that
//!   cannot be told apart (an unknown path or method is a 401 too, so
//!   anonymous callers learn nothing), so the sweep runs twice: with the
//!   first-start operator token (the strongest role, so auth hides
//!   nothing) no documented operation answers the router's 404
//!   `not_found` or a 405, and every method the document leaves out of a
//!   documented path is a 405; without a token every operation answers
//!   neither 404 nor 405: 401 with the Bearer challenge where the document
//!   asks for a token, something else where it says the route is open.
//! * Every answer of both sweeps has a status the document lists for that
//!   operation, and a JSON answer has the documented shape (no field
//!   missing, none undocumented); so have the main answers made on
//!   purpose: an order (new and resent), the order page, a reservation,
//!   stock, availability, the error format.
//! * `/api/v1/openapi.json` is served without a token, as JSON, OpenAPI
//!   3.1, the document this build generates.
//!
//! The other direction (every route in the hub's sources is documented,
//! with its methods and its role) is the hub's unit test in
//! `hub/src/api/openapi/tests.rs`.

use serde_json::{json, Value};
use std::net::SocketAddr;
use tests::feed::stocked_hub;
use tests::http::{self, Response};

/// The methods swept on every documented path.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];

/// The document as this build generates it.
fn document() -> Value {
    hub::api::openapi_document()
}

/// Follows `$ref`s within the document.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    while let Some(target) = value.get("$ref").and_then(Value::as_str) {
        value = target
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or_else(|| panic!("$ref {target} does not resolve"));
    }
    value
}

/// (METHOD, path template, operation) for every documented operation.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let upper = method.to_ascii_uppercase();
            if METHODS.contains(&upper.as_str()) {
                out.push((upper, path.clone(), op.clone()));
            }
        }
    }
    assert!(out.len() >= 30, "only {} operations", out.len());
    out
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let pointer = format!(
        "/paths/{}/{}",
        path.replace('~', "~0").replace('/', "~1"),
        method.to_ascii_lowercase()
    );
    doc.pointer(&pointer)
        .unwrap_or_else(|| panic!("{method} {path} is not documented"))
}

/// The path with every `{param}` filled with `x`.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|s| if s.starts_with('{') { "x" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

fn error_code(r: &Response) -> String {
    let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    body["error"]["code"].as_str().unwrap_or("").to_string()
}

/// Why the answer says the router serves no such method or path, if it
/// does: a 405, or the fallback's 404 (handlers' own 404s name what was
/// not found: `unknown_order`, `unknown_platform`, ...).
fn unserved(r: &Response) -> Option<String> {
    let code = error_code(r);
    match r.status {
        405 => Some(format!("405 {code}")),
        404 if code == "not_found" => Some(format!("404 {code}")),
        _ => None,
    }
}

/// Where `value` does not fit `schema`; an object schema with
/// `properties` and no `additionalProperties` takes no other field (an
/// answer with an undocumented field is a document out of date).
fn mismatches(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(want) = schema.get("const") {
        if want != value {
            out.push(format!("{at}: {value} is not {want}"));
        }
    }
    if let Some(words) = schema["enum"].as_array() {
        if !words.contains(value) {
            out.push(format!("{at}: {value} is not one of {words:?}"));
        }
    }
    if let Some(choices) = schema["oneOf"].as_array() {
        let fits = choices.iter().filter(|choice| {
            let mut none = Vec::new();
            mismatches(doc, choice, value, at, &mut none);
            none.is_empty()
        });
        if fits.count() != 1 {
            out.push(format!("{at}: {value} fits not exactly one of oneOf"));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let type_fits = |t: &str| match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => panic!("{at}: type {other} unknown to this check"),
    };
    if !types.is_empty() && !types.iter().any(|t| type_fits(t)) {
        out.push(format!("{at}: {value} is not {types:?}"));
        return;
    }
    if let Some(fields) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().expect("required name");
            if !fields.contains_key(name) {
                out.push(format!("{at}: no {name}"));
            }
        }
        let properties = schema["properties"].as_object();
        for (name, v) in fields {
            let here = format!("{at}.{name}");
            if let Some(names) = schema.get("propertyNames") {
                mismatches(doc, names, &json!(name), &here, out);
            }
            match (
                properties.and_then(|p| p.get(name)),
                &schema["additionalProperties"],
            ) {
                (Some(s), _) => mismatches(doc, s, v, &here, out),
                (None, Value::Object(_)) => {
                    mismatches(doc, &schema["additionalProperties"], v, &here, out)
                }
                (None, Value::Bool(true)) => {}
                (None, _) if properties.is_some() => out.push(format!("{here}: not documented")),
                (None, _) => {}
            }
        }
    }
    if let Some(items) = value.as_array() {
        let prefix = schema["prefixItems"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        for (i, v) in items.iter().enumerate() {
            let here = format!("{at}[{i}]");
            match prefix.get(i) {
                Some(s) => mismatches(doc, s, v, &here, out),
                None if schema["items"] == json!(false) => out.push(format!("{here}: extra")),
                None if schema["items"].is_object() => {
                    mismatches(doc, &schema["items"], v, &here, out)
                }
                None => {}
            }
        }
    }
}

/// Where `r` is not what the document says `method template` answers:
/// its status is listed, its media type too, and a JSON body fits.
fn undocumented(doc: &Value, method: &str, template: &str, r: &Response) -> Option<String> {
    let what = format!("{method} {template}: {} {}", r.status, r.body);
    let op = operation(doc, method, template);
    let Some(documented) = op["responses"].get(r.status.to_string()) else {
        return Some(format!("{what}: status not documented"));
    };
    let documented = resolve(doc, documented);
    let media = r.header("content-type").unwrap_or("");
    let media = media.split(';').next().unwrap_or("").trim();
    let Some(content) = documented["content"].get(media) else {
        return Some(format!("{what}: {media:?} not documented"));
    };
    if media != "application/json" {
        return None;
    }
    let mut wrong = Vec::new();
    match r.json() {
        Ok(body) => mismatches(doc, &content["schema"], &body, "body", &mut wrong),
        Err(e) => wrong.push(e),
    }
    (!wrong.is_empty()).then(|| format!("{what}:\n{}", wrong.join("\n")))
}

fn assert_documented(doc: &Value, method: &str, template: &str, r: &Response) {
    if let Some(wrong) = undocumented(doc, method, template, r) {
        panic!("{wrong}");
    }
}

/// A request with the hub's operator token (the harness's default).
fn call(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> Response {
    http::request(addr, method, path, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Whether the GET of `template` answers an endless event stream.
fn is_stream(doc: &Value, template: &str) -> bool {
    operation(doc, "get", template)["responses"]["200"]["content"]
        .get("text/event-stream")
        .is_some()
}

/// A request without any token.
fn call_anonymous(addr: SocketAddr, method: &str, path: &str) -> Response {
    http::request_as(addr, method, path, None, None)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// The JSON example of an operation's request body.
fn example(doc: &Value, method: &str, path: &str) -> String {
    let op = operation(doc, method, path);
    op.pointer("/requestBody/content/application~1json/example")
        .unwrap_or_else(|| panic!("{method} {path}: no example"))
        .to_string()
}

#[test]
fn the_document_is_served_open_as_openapi_3_1() {
    let dir = tempfile::tempdir().unwrap();
    let (_hub, addr) = stocked_hub(&dir.path().join("hub"), "SKU-1", 10);
    let r = call_anonymous(addr, "GET", "/api/v1/openapi.json");
    assert_eq!(r.status, 200, "{}", r.body);
    let media = r.header("content-type").unwrap_or("");
    assert!(media.starts_with("application/json"), "{media}");
    let served = r.json().expect("the document parses as JSON");
    let version = served["openapi"].as_str().unwrap_or("");
    assert!(version.starts_with("3.1."), "openapi {version:?}");
    // Not assert_eq: the whole document twice would bury the message.
    assert!(
        served == document(),
        "the hub serves another document than hub::api::openapi_document"
    );
    // The page for people that renders it: open, its own origin only.
    let page = call_anonymous(addr, "GET", "/api/docs");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("/api/docs/docs.js"), "{}", page.body);
    let policy = page.header("content-security-policy").unwrap_or("");
    assert!(policy.contains("default-src 'none'") && policy.contains("script-src 'self'"));
    let script = call_anonymous(addr, "GET", "/api/docs/docs.js");
    assert_eq!(script.status, 200);
    assert!(script.body.contains("/api/v1/openapi.json"));
    assert!(!script.body.contains("http://") && !script.body.contains("https://"));
    let style = call_anonymous(addr, "GET", "/api/docs/docs.css");
    assert!(style
        .header("content-type")
        .unwrap_or("")
        .starts_with("text/css"));
}

/// The main answers, made on purpose: each has a documented status and
/// fits its documented schema.
#[test]
fn the_main_answers_have_the_documented_shapes() {
    let doc = document();
    let dir = tempfile::tempdir().unwrap();
    let (_hub, addr) = stocked_hub(&dir.path().join("hub"), "SKU-1", 10);
    let check = |method: &str, template: &str, path: &str, body: Option<&str>, status: u16| {
        let r = call(addr, method, path, body);
        assert_eq!(r.status, status, "{method} {path}: {}", r.body);
        assert_documented(&doc, method, template, &r);
        r.json().unwrap_or(Value::Null)
    };
    let order = example(&doc, "POST", "/api/v1/orders");
    let placed = check(
        "POST",
        "/api/v1/orders",
        "/api/v1/orders",
        Some(&order),
        201,
    );
    assert_eq!(placed["state"], "held", "{placed}");
    check(
        "POST",
        "/api/v1/orders",
        "/api/v1/orders",
        Some(&order),
        200,
    );
    let page = check(
        "GET",
        "/api/v1/orders",
        "/api/v1/orders?state=held&limit=5",
        None,
        200,
    );
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
    let id = placed["id"].as_u64().expect("order id");
    check(
        "GET",
        "/api/v1/orders/{id}",
        &format!("/api/v1/orders/{id}"),
        None,
        200,
    );
    check(
        "GET",
        "/api/v1/orders/{id}",
        "/api/v1/orders/999",
        None,
        404,
    );

    let hold = example(&doc, "POST", "/api/v1/reservations");
    let r = check(
        "POST",
        "/api/v1/reservations",
        "/api/v1/reservations",
        Some(&hold),
        201,
    );
    let rid = r["id"].as_u64().expect("reservation id");
    let one = format!("/api/v1/reservations/{rid}");
    check("GET", "/api/v1/reservations/{id}", &one, None, 200);
    let too_much = r#"{"order_ref":"big","lines":[{"sku":"SKU-1","quantity":1000}]}"#;
    let refused = check(
        "POST",
        "/api/v1/reservations",
        "/api/v1/reservations",
        Some(too_much),
        409,
    );
    assert_eq!(refused["error"]["code"], "insufficient_stock", "{refused}");
    assert!(refused["error"]["shortfall"].is_array(), "{refused}");
    let unknown = r#"{"order_ref":"u","lines":[{"sku":"NOPE","quantity":1}]}"#;
    check(
        "POST",
        "/api/v1/reservations",
        "/api/v1/reservations",
        Some(unknown),
        422,
    );
    let typo = r#"{"order_ref":"t","lines":[{"sku":"SKU-1","qty":1}]}"#;
    check(
        "POST",
        "/api/v1/reservations",
        "/api/v1/reservations",
        Some(typo),
        400,
    );

    let stock = check("GET", "/api/v1/stock", "/api/v1/stock", None, 200);
    assert_eq!(stock["items"][0]["reserved"], 4, "{stock}");
    check(
        "GET",
        "/api/v1/stock/{sku}",
        "/api/v1/stock/SKU-1",
        None,
        200,
    );
    check(
        "GET",
        "/api/v1/availability/{sku}",
        "/api/v1/availability/SKU-1",
        None,
        200,
    );
    check("GET", "/api/v1/devices", "/api/v1/devices", None, 200);
    let rule = example(&doc, "PUT", "/api/v1/safety-stock/{sku}");
    check(
        "PUT",
        "/api/v1/safety-stock/{sku}",
        "/api/v1/safety-stock/SKU-1",
        Some(&rule),
        200,
    );
    check(
        "GET",
        "/api/v1/safety-stock",
        "/api/v1/safety-stock",
        None,
        200,
    );
    let aside = r#"{"channel":"live","sku":"SKU-1","quantity":1,"note":"12.12"}"#;
    check(
        "POST",
        "/api/v1/allocations",
        "/api/v1/allocations",
        Some(aside),
        201,
    );
    check(
        "GET",
        "/api/v1/allocations",
        "/api/v1/allocations?all=true",
        None,
        200,
    );
    let report = check(
        "POST",
        "/api/v1/reconciliations",
        "/api/v1/reconciliations",
        Some(""),
        201,
    );
    let report = format!("/api/v1/reconciliations/{}", report["id"]);
    check("GET", "/api/v1/reconciliations/{id}", &report, None, 200);
    check("GET", "/healthz", "/healthz", None, 200);
}

/// Every documented method and path is served, every other method on a
/// documented path is not, and the document's security is what auth does.
#[test]
fn every_documented_operation_is_served_and_no_other() {
    let doc = document();
    let dir = tempfile::tempdir().unwrap();
    let (_hub, addr) = stocked_hub(&dir.path().join("hub"), "SKU-1", 10);
    let ops = operations(&doc);

    // The check can fail: what the router does not serve is told apart,
    // with a token; without one it is a 401 like everything else.
    let nowhere = call(addr, "GET", "/api/v1/no-such-route", None);
    assert!(unserved(&nowhere).is_some(), "{}", nowhere.body);
    let wrong_method = call(addr, "PATCH", "/api/v1/stock", None);
    assert!(unserved(&wrong_method).is_some(), "{}", wrong_method.body);
    for (method, path) in [("GET", "/api/v1/no-such-route"), ("PATCH", "/api/v1/stock")] {
        let r = call_anonymous(addr, method, path);
        assert_eq!(r.status, 401, "{method} {path} without a token: {}", r.body);
    }

    let mut wrong = Vec::new();
    let mut paths: Vec<&String> = ops.iter().map(|(_, p, _)| p).collect();
    paths.dedup();
    for template in paths {
        let path = concrete(template);
        for method in METHODS {
            let documented = ops.iter().any(|(m, p, _)| m == method && p == template);
            if documented && method == "GET" && is_stream(&doc, template) {
                // An endless answer: opened and its status checked, never
                // read to the end.
                let token = http::hub_token(&dir.path().join("hub")).expect("token");
                let stream = tests::sse::SseClient::open(addr, &token, None);
                if stream.status() != 200 {
                    wrong.push(format!("GET {path}: stream answered {}", stream.status()));
                }
                continue;
            }
            let r = call(addr, method, &path, Some(""));
            match (documented, unserved(&r)) {
                (true, Some(why)) => wrong.push(format!("{method} {path}: documented, {why}")),
                (true, None) => wrong.extend(undocumented(&doc, method, template, &r)),
                (false, None) => wrong.push(format!(
                    "{method} {path}: not documented, answered {} {}",
                    r.status, r.body
                )),
                (false, Some(why)) if r.status != 405 => {
                    wrong.push(format!("{method} {path}: no such path, {why}"))
                }
                (false, Some(_)) => {
                    let schema = json!({"$ref": "#/components/schemas/Error"});
                    let body = r.json().unwrap_or(Value::Null);
                    mismatches(
                        &doc,
                        &schema,
                        &body,
                        &format!("{method} {path}"),
                        &mut wrong,
                    );
                }
            }
        }
    }

    for (method, template, op) in &ops {
        let path = concrete(template);
        let r = call_anonymous(addr, method, &path);
        let open = op["security"].as_array().is_some_and(Vec::is_empty);
        if let Some(why) = unserved(&r) {
            wrong.push(format!("{method} {path} without a token: {why}"));
        } else if open && r.status == 401 {
            wrong.push(format!("{method} {path}: documented open, answered 401"));
        } else if !open && r.status != 401 {
            wrong.push(format!(
                "{method} {path}: documented with a token, answered {} without one",
                r.status
            ));
        } else {
            if !open {
                let challenge = r.header("www-authenticate").unwrap_or("");
                assert!(
                    challenge.starts_with("Bearer"),
                    "{method} {path}: {challenge:?}"
                );
            }
            wrong.extend(undocumented(&doc, method, template, &r));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
