//! The document's tests: see the parent module.

use super::*;
use crate::tokens::Role;
use axum::http::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The methods a route may be registered with, as axum names them.
const METHODS: [&str; 8] = [
    "get", "post", "put", "delete", "patch", "head", "options", "trace",
];

/// Router calls the source scan does not understand: a route added
/// through one of them would be missed, so finding one fails the test.
const NOT_UNDERSTOOD: [&str; 3] = [".nest(", ".nest_service(", ".route_service("];

fn document() -> Value {
    serde_json::to_value(super::document()).expect("the document is JSON")
}

/// Method -> path -> operation, for every operation in the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if METHODS.contains(&method.as_str()) {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
    }
    out
}

/// Follows `$ref`s (within the document) to the value they name.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    while let Some(target) = value.get("$ref").and_then(Value::as_str) {
        value = target
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or_else(|| panic!("$ref {target} does not resolve"));
    }
    value
}

/// The text from the opening parenthesis at `open` to its match.
fn balanced(text: &str, open: usize) -> &str {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text[open..].char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses after byte {open}");
}

/// The names called at the top level of a method router expression:
/// `get(one).put(set).delete(remove)` -> get, put, delete.
fn top_level_calls(expr: &str) -> Vec<String> {
    let mut calls = Vec::new();
    let mut depth = 0usize;
    let mut word = String::new();
    for c in expr.chars() {
        match c {
            '(' => {
                if depth == 0 {
                    let name = word.rsplit("::").next().unwrap_or("").trim();
                    calls.push(name.to_string());
                }
                depth += 1;
                word.clear();
            }
            ')' => depth -= 1,
            '.' if depth == 0 => word.clear(),
            c if depth == 0 => word.push(c),
            _ => {}
        }
    }
    calls
}

/// Path -> methods of every `.route(PATH, METHOD(handler).METHOD(..))`
/// in the API's source files (their test modules left out). A path
/// given as a constant is looked up in the same file.
fn registered_routes() -> BTreeMap<String, BTreeSet<String>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api");
    let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("read src/api")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.sort();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("read source");
        // Test modules come last (clippy's `items_after_test_module`).
        let source = match source.find("\n#[cfg(test)]\nmod tests") {
            Some(end) => &source[..end],
            None => &source[..],
        };
        let name = file.display();
        for call in NOT_UNDERSTOOD {
            assert!(
                !source.contains(call),
                "{name} calls {call}: teach registered_routes() to read it"
            );
        }
        for (at, _) in source.match_indices(".route(") {
            let args = balanced(source, at + ".route".len());
            let (path, methods) = args
                .split_once(',')
                .unwrap_or_else(|| panic!("{name}: .route({args}) has no method router"));
            let path = path.trim();
            let path = match path.strip_prefix('"') {
                Some(literal) => literal.trim_end_matches('"').to_string(),
                None => {
                    let needle = format!("const {path}: &str = \"");
                    let start = source.find(&needle).unwrap_or_else(|| {
                        panic!("{name}: the route path {path} is not a &str const here")
                    }) + needle.len();
                    let len = source[start..].find('"').expect("end of the const");
                    source[start..start + len].to_string()
                }
            };
            let calls = top_level_calls(methods);
            assert!(!calls.is_empty(), "{name}: no method for {path}");
            for call in calls {
                assert!(
                    METHODS.contains(&call.as_str()),
                    "{name}: {path} is routed with {call}(), which the scan does not know"
                );
                let fresh = routes.entry(path.clone()).or_default().insert(call);
                assert!(fresh, "{name}: {path} has a method twice");
            }
        }
    }
    routes
}

#[test]
fn the_scan_reads_method_chains_and_constants() {
    assert_eq!(
        top_level_calls(" get(one).put(set)\n.delete(remove) "),
        ["get", "put", "delete"]
    );
    assert_eq!(
        top_level_calls("axum::routing::post(run).get(list)"),
        ["post", "get"]
    );
    assert_eq!(top_level_calls("get(|| async { f(1) })"), ["get"]);
    assert_eq!(
        balanced(r#".route("/a(", get(x)) tail"#, 6),
        r#""/a(", get(x)"#
    );
}

#[test]
fn every_registered_route_is_documented_with_its_methods() {
    let registered = registered_routes();
    // A scan that found nothing would agree with an empty document.
    assert!(registered.len() >= 30, "only {registered:?}");
    assert!(registered["/healthz"].contains("get"));
    assert!(registered[PATH].contains("get"));
    assert!(registered["/api/v1/reconciliations"].contains("post"));
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (method, path, _) in operations(&document()) {
        documented.entry(path).or_default().insert(method);
    }
    let mut wrong = Vec::new();
    for (path, methods) in &registered {
        match documented.get(path) {
            None => wrong.push(format!("served, not documented: {path} {methods:?}")),
            Some(d) if d != methods => wrong.push(format!(
                "{path}: served with {methods:?}, documented with {d:?}"
            )),
            Some(_) => {}
        }
    }
    for (path, methods) in &documented {
        if !registered.contains_key(path) {
            wrong.push(format!("documented, not served: {path} {methods:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(target)) => out.push(target),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_ref_resolves_within_the_document() {
    let doc = document();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 50, "{} refs", found.len());
    for target in found {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("$ref {target} points outside the document"));
        assert!(
            doc.pointer(pointer).is_some(),
            "$ref {target} resolves to nothing"
        );
    }
    // The check itself: a dangling one is caught.
    let broken = json!({"a": [{"$ref": "#/components/schemas/Nothing"}]});
    let mut dangling = Vec::new();
    refs(&broken, &mut dangling);
    assert_eq!(dangling, ["#/components/schemas/Nothing"]);
    assert!(doc.pointer("/components/schemas/Nothing").is_none());
}

#[test]
fn the_document_is_well_formed() {
    let doc = document();
    let version = doc["openapi"].as_str().unwrap_or("");
    assert!(version.starts_with("3.1."), "openapi {version:?}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("security schemes");
    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let what = format!("{method} {path}");
        assert!(path.starts_with('/'), "{what}");
        assert!(op["summary"].is_string(), "{what}: no summary");
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no id"));
        assert!(ids.insert(id.to_string()), "{what}: operationId {id} twice");
        let responses = op["responses"].as_object().expect("responses");
        assert!(!responses.is_empty(), "{what}: no responses");
        for code in responses.keys() {
            let ok = code.len() == 3 && code.parse::<u16>().is_ok_and(|c| (100..600).contains(&c));
            assert!(ok, "{what}: response {code:?}");
        }
        let security = op.get("security").unwrap_or(&doc["security"]);
        for requirement in security.as_array().expect("security list") {
            for scheme in requirement.as_object().expect("requirement").keys() {
                assert!(schemes.contains_key(scheme), "{what}: scheme {scheme}");
            }
        }
        // Path parameters: exactly the template's, each required.
        let template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let mut declared = BTreeSet::new();
        for p in op["parameters"].as_array().into_iter().flatten() {
            let p = resolve(&doc, p);
            assert!(p["schema"].is_object(), "{what}: parameter without schema");
            if p["in"] == "path" {
                assert_eq!(p["required"], true, "{what}: path parameter not required");
                declared.insert(p["name"].as_str().expect("name"));
            }
        }
        assert_eq!(declared, template, "{what}: path parameters");
    }
}

#[test]
fn each_operation_names_the_role_auth_enforces() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        let what = format!("{method} {path}");
        let role = op["x-role"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no x-role"));
        let description = op["description"].as_str().unwrap_or("");
        assert!(
            description.starts_with(&format!("Role: {role}")),
            "{what}: the description does not start with its role {role}"
        );
        let m = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
        let enforced = super::super::auth::required_role(&m, Some(&path));
        let open = op["security"].as_array().is_some_and(Vec::is_empty);
        let responses = op["responses"].as_object().expect("responses");
        if role == "none" {
            // The document itself is served outside the auth layer
            // (router_with); tests/tests/openapi.rs checks it is open.
            assert!(
                enforced.is_none() || path == PATH,
                "{what}: auth wants {enforced:?}"
            );
            assert!(open, "{what}: open, but documented with security");
            assert!(!responses.contains_key("401"), "{what}: open, but 401");
        } else {
            assert_eq!(enforced.map(Role::as_str), Some(role), "{what}");
            assert!(!open, "{what}: needs a token, documented open");
            assert!(responses.contains_key("401"), "{what}: no 401");
        }
        // Only a role above the weakest can be too weak.
        let forbidden = matches!(role, "integrator" | "operator");
        assert_eq!(responses.contains_key("403"), forbidden, "{what}: 403");
    }
}

/// Every object schema under `schema` (through `$ref`, properties,
/// items, oneOf) with its `additionalProperties`.
fn objects<'a>(doc: &'a Value, schema: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    let schema = resolve(doc, schema);
    if schema["type"] == "object" {
        out.push((schema.to_string(), &schema["additionalProperties"]));
    }
    for p in schema["properties"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        objects(doc, p, out);
    }
    if schema["items"].is_object() {
        objects(doc, &schema["items"], out);
    }
    for s in schema["oneOf"].as_array().into_iter().flatten() {
        objects(doc, s, out);
    }
}

/// The one JSON body taken leniently: the platforms' own payloads.
const LENIENT_BODY: (&str, &str) = ("post", "/api/v1/intake/{platform}");

#[test]
fn json_bodies_refuse_unknown_fields_at_every_level() {
    let doc = document();
    let mut bodies = 0;
    for (method, path, op) in operations(&doc) {
        let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") else {
            continue;
        };
        bodies += 1;
        let lenient = (method.as_str(), path.as_str()) == LENIENT_BODY;
        let mut found = Vec::new();
        objects(&doc, schema, &mut found);
        assert!(!found.is_empty(), "{method} {path}: not an object");
        for (object, extra) in found {
            assert_eq!(*extra, json!(lenient), "{method} {path}: {object}");
        }
    }
    assert!(bodies >= 9, "{bodies} JSON bodies");
}

/// The operations whose JSON body parses into a type this module can
/// name, with the hub's own strict parser.
fn parser(operation: &str) -> Option<Parse> {
    use super::super::parse_strict;
    let parse: Parse = match operation {
        "placeOrder" => |b| parse_strict::<crate::intake::OrderBody>(b).map(drop),
        "reserve" => |b| parse_strict::<super::super::reservations::ReserveBody>(b).map(drop),
        "setSafetyRule" => |b| parse_strict::<crate::safety::SafetyRule>(b).map(drop),
        "allocate" => |b| parse_strict::<crate::allocations::AllocationRequest>(b).map(drop),
        "registerWebhook" => |b| parse_strict::<crate::webhooks::Registration>(b).map(drop),
        _ => return None,
    };
    Some(parse)
}

type Parse = fn(&[u8]) -> Result<(), super::super::ApiError>;

/// For each body the hub's type can be named for: the example names
/// every property and parses; without a property it parses exactly
/// when the property is not `required`; with one more it is refused.
#[test]
fn body_examples_parse_into_the_hubs_types_as_documented() {
    let doc = document();
    let mut checked = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default();
        let Some(parse) = parser(id) else { continue };
        let what = format!("{method} {path}");
        let media = op
            .pointer("/requestBody/content/application~1json")
            .unwrap_or_else(|| panic!("{what}: no JSON body"));
        let schema = resolve(&doc, &media["schema"]);
        let example = media["example"].as_object().expect("an example object");
        let properties = schema["properties"].as_object().expect("properties");
        let names: BTreeSet<&String> = properties.keys().collect();
        assert_eq!(
            example.keys().collect::<BTreeSet<_>>(),
            names,
            "{what}: example"
        );
        let text = |v: &serde_json::Map<String, Value>| Value::Object(v.clone()).to_string();
        parse(text(example).as_bytes()).unwrap_or_else(|e| panic!("{what}: {e}"));
        let required: Vec<&Value> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        for name in names {
            let mut without = example.clone();
            without.remove(name);
            let taken = parse(text(&without).as_bytes()).is_ok();
            let needed = required.contains(&&json!(name));
            assert_eq!(taken, !needed, "{what}: without {name}");
        }
        let mut more = example.clone();
        more.insert("not_a_field".into(), json!(1));
        assert!(
            parse(text(&more).as_bytes()).is_err(),
            "{what}: unknown field taken"
        );
        checked.insert(id.to_string());
    }
    assert_eq!(checked.len(), 5, "{checked:?}");
}

fn keys(value: &Value) -> BTreeSet<String> {
    value.as_object().expect("object").keys().cloned().collect()
}

fn schema_keys(doc: &Value, name: &str) -> BTreeSet<String> {
    keys(&doc["components"]["schemas"][name]["properties"])
}

/// The order intake body, field by field, is `intake::OrderBody`.
#[test]
fn the_order_body_is_the_one_intake_defines() {
    use crate::intake::{AddressBody, CustomerBody, OrderBody};
    let doc = document();
    let body = OrderBody {
        platform: "own".into(),
        platform_order_id: "A-1".into(),
        service: crate::orders::Service::Express,
        paid: false,
        customer: CustomerBody {
            address: AddressBody::default(),
            ..CustomerBody::default()
        },
        lines: vec![crate::orders::OrderLine {
            sku: "SKU-1".into(),
            quantity: 1,
        }],
        tags: Vec::new(),
        channel: Some("live".into()),
        remarks: Some(String::new()),
    };
    let value = serde_json::to_value(&body).expect("serialize");
    assert_eq!(keys(&value), schema_keys(&doc, "OrderBody"));
    assert_eq!(keys(&value["customer"]), schema_keys(&doc, "CustomerBody"));
    assert_eq!(
        keys(&value["customer"]["address"]),
        schema_keys(&doc, "AddressBody")
    );
    assert_eq!(keys(&value["lines"][0]), schema_keys(&doc, "OrderLine"));
    let words = |name: &str| -> BTreeSet<String> {
        let list = doc["components"]["schemas"][name]["enum"].as_array();
        list.into_iter()
            .flatten()
            .map(|v| v.as_str().expect("word").to_string())
            .collect()
    };
    let states = crate::orders::OrderState::ALL.map(|s| s.as_str().to_string());
    assert_eq!(words("OrderState"), states.into_iter().collect());
    for service in words("Service") {
        let parsed: Result<crate::orders::Service, _> = serde_json::from_value(json!(service));
        assert!(parsed.is_ok(), "service {service}");
    }
    for kind in words("AlertKind") {
        assert!(
            crate::alerts::AlertKind::parse(&kind).is_some(),
            "alert kind {kind}"
        );
    }
}

/// What is served is the document, as JSON. With `OPENAPI_DUMP=FILE` the
/// test also writes it there, to read or diff a change to the document
/// without starting a hub.
#[test]
fn the_served_text_is_the_document() {
    let served: Value = serde_json::from_str(&SERVED).expect("served JSON");
    assert_eq!(served, document());
    assert!(served["paths"].as_object().is_some_and(|p| p.len() >= 50));
    if let Ok(file) = std::env::var("OPENAPI_DUMP") {
        let text = serde_json::to_string_pretty(&served).expect("JSON");
        std::fs::write(&file, text).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}
