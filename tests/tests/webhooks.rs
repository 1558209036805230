//! Webhooks (issue 17, item 5) against a real hub process and a loopback
//! receiver: a stock change reaches the receiver signed after the
//! movement's ack; a receiver that fails is retried with the same event
//! id; one that keeps failing gets the event dead-lettered, and a
//! redelivery after it recovers delivers it; a hub killed with SIGKILL
//! and started again delivers every event (at least once); bad
//! registrations are refused with clear errors. No timing is asserted:
//! every wait is a condition with a deadline.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::BTreeSet;
use std::time::Duration;
use tests::feed::{call, movement, post, Feed};
use tests::hooks::{is_stock_of, register, Receiver};
use tests::{http, HubPorts, HubProc};

/// Generous: a debug hub on a loaded two-core machine.
const WITHIN: Duration = Duration::from_secs(30);

fn receive(feed: &mut Feed, sku: &str) {
    feed.send(vec![movement(
        protocol::MovementKind::Receive,
        sku,
        "A-1",
        5,
    )]);
}

fn started(data: &std::path::Path) -> (HubProc, Feed) {
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data, ports, "s1");
    let feed = Feed::connect(ports.mqtt, ports.http_addr(), &hub.provision(&["h1"]), "h1");
    (hub, feed)
}

fn expected_signature(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

#[test]
fn a_stock_change_reaches_the_receiver_signed() {
    let data = tempfile::tempdir().expect("tempdir");
    let (hub, mut feed) = started(data.path());
    let addr = hub.ports.http_addr();
    let receiver = Receiver::start(200, &[]);
    let (id, secret) = register(addr, &json!({"url": receiver.url(), "events": ["stock"]}));
    receive(&mut feed, "HOOK-1");
    let got = receiver.wait_for("the stock event", WITHIN, |r| is_stock_of(r, "HOOK-1"));
    assert_eq!(got.method, "POST");
    assert_eq!(got.content_type, "application/json");
    assert_eq!(got.signature, expected_signature(&secret, &got.body));
    assert_ne!(
        got.signature,
        expected_signature("another secret", &got.body),
        "the check can fail"
    );
    let body = got.json();
    assert_eq!(body["id"].as_u64(), Some(got.event_id));
    assert_eq!(body["data"]["on_hand"], 5);
    assert!(body["at_ms"].as_u64().is_some_and(|t| t > 0), "{body}");
    // Only what it asked for: the device's fleet events are not sent.
    assert!(receiver.got().iter().all(|r| r.json()["event"] == "stock"));
    // The list shows the hook, never its secret.
    let (status, list) = call(addr, "GET", "/api/v1/webhooks", None);
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"][0]["id"].as_u64(), Some(id));
    assert!(!list.to_string().contains(&secret), "{list}");
    let gone = call(addr, "DELETE", &format!("/api/v1/webhooks/{id}"), None);
    assert_eq!(gone.0, 200, "{}", gone.1);
    let (_, list) = call(addr, "GET", "/api/v1/webhooks", None);
    assert_eq!(list["items"], json!([]));
}

#[test]
fn a_failing_receiver_is_retried_with_the_same_event_id() {
    let data = tempfile::tempdir().expect("tempdir");
    let (hub, mut feed) = started(data.path());
    let receiver = Receiver::start(200, &[500, 500, 500]);
    register(
        hub.ports.http_addr(),
        &json!({"url": receiver.url(), "events": ["stock"]}),
    );
    receive(&mut feed, "RETRY-1");
    let taken = receiver.wait_for("the event taken", WITHIN, |r| {
        r.status == 200 && is_stock_of(r, "RETRY-1")
    });
    let got = receiver.got();
    let statuses: Vec<u16> = got.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 500, 200], "{got:#?}");
    assert!(got
        .iter()
        .all(|r| r.event_id == taken.event_id && r.body == taken.body));
}

#[test]
fn a_dead_letter_is_kept_and_redelivered_after_the_receiver_recovers() {
    let data = tempfile::tempdir().expect("tempdir");
    let (hub, mut feed) = started(data.path());
    let addr = hub.ports.http_addr();
    let receiver = Receiver::start(503, &[]);
    let body = json!({"url": receiver.url(), "events": ["stock"], "max_attempts": 2});
    let (hook, _) = register(addr, &body);
    receive(&mut feed, "DEAD-1");
    let letters = format!("/api/v1/webhooks/{hook}/dead-letters");
    let letter = tests::wait_until("the dead letter", WITHIN, || {
        let (_, page) = call(addr, "GET", &letters, None);
        page["items"].as_array()?.first().cloned()
    })
    .expect("no dead letter");
    assert_eq!(letter["data"]["sku"], "DEAD-1");
    assert_eq!(letter["attempts"], 2);
    assert!(letter["last_error"]
        .as_str()
        .is_some_and(|e| e.contains("503")));
    assert_eq!(receiver.got().len(), 2, "two attempts, then given up");

    // Delivery moved on: the next change goes out once the receiver works.
    receiver.answer(200);
    receive(&mut feed, "DEAD-2");
    receiver.wait_for("the next event", WITHIN, |r| is_stock_of(r, "DEAD-2"));
    let event = letter["event_id"].as_u64().expect("event id");
    let path = format!("{letters}/{event}/redeliver");
    let (status, answer) = post(addr, &path, "");
    assert_eq!(status, 200, "{answer}");
    let again = receiver.wait_for("the redelivery", WITHIN, |r| {
        r.status == 200 && r.event_id == event
    });
    assert!(is_stock_of(&again, "DEAD-1"));
    let (_, page) = call(addr, "GET", &letters, None);
    assert_eq!(
        page["items"],
        json!([]),
        "redelivered: no longer a dead letter"
    );
    let (status, answer) = post(addr, &path, "");
    assert_eq!(
        (status, answer["error"]["code"].clone()),
        (404, json!("unknown_dead_letter"))
    );
}

#[test]
fn a_hub_killed_and_restarted_delivers_every_event() {
    let data = tempfile::tempdir().expect("tempdir");
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data.path(), ports, "s1");
    let creds = hub.provision(&["h1"]);
    let mut feed = Feed::connect(ports.mqtt, ports.http_addr(), &creds, "h1");
    let receiver = Receiver::start(200, &[]);
    register(
        ports.http_addr(),
        &json!({"url": receiver.url(), "events": ["stock"]}),
    );
    let skus: Vec<String> = (0..40).map(|i| format!("KILL-{i}")).collect();
    for sku in &skus[..20] {
        receive(&mut feed, sku);
    }
    // Killed right after the last ack: some events are likely still to go.
    hub.kill9();
    let hub = HubProc::start(data.path(), ports, "s1");
    let mut feed = Feed::connect(ports.mqtt, ports.http_addr(), &creds, "h1");
    for sku in &skus[20..] {
        receive(&mut feed, sku);
    }
    tests::wait_until("every stock event delivered", WITHIN, || {
        let got: BTreeSet<String> = receiver
            .got()
            .iter()
            .filter_map(|r| r.json()["data"]["sku"].as_str().map(String::from))
            .collect();
        skus.iter().all(|s| got.contains(s)).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e}: got {:#?}", receiver.got()));
    drop(hub);
}

fn refused(r: &http::Response) -> (u16, String, String) {
    let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    let code = body["error"]["code"].as_str().unwrap_or("").to_string();
    let message = body["error"]["message"].as_str().unwrap_or("").to_string();
    (r.status, code, message)
}

#[test]
fn bad_registrations_are_refused_with_clear_errors() {
    let data = tempfile::tempdir().expect("tempdir");
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data.path(), ports, "s1");
    let addr = ports.http_addr();
    let send =
        |body: &str| http::request(addr, "POST", "/api/v1/webhooks", Some(body)).expect("request");
    let cases = [
        (
            json!({"url": "ftp://a.example/x"}).to_string(),
            "invalid_webhook",
            "http://",
        ),
        (
            json!({"url": "https://a.example/x"}).to_string(),
            "invalid_webhook",
            "TLS",
        ),
        (
            json!({"url": "http://a.example/", "events": ["stocks"]}).to_string(),
            "invalid_webhook",
            "stocks",
        ),
        (
            json!({"url": "http://a.example/", "secret": "short"}).to_string(),
            "invalid_webhook",
            "secret",
        ),
        (
            json!({"url": "http://a.example/", "max_attempts": 0}).to_string(),
            "invalid_webhook",
            "max_attempts",
        ),
        (
            json!({"url": "http://a.example/", "urls": []}).to_string(),
            "invalid_body",
            "urls",
        ),
        (
            json!({"events": ["stock"]}).to_string(),
            "invalid_body",
            "url",
        ),
        ("{\"url\": ".to_string(), "malformed_json", "JSON"),
    ];
    for (body, code, says) in cases {
        let (status, got_code, message) = refused(&send(&body));
        assert_eq!(
            (status, got_code.as_str()),
            (400, code),
            "{body}: {message}"
        );
        assert!(message.contains(says), "{body}: {message}");
    }
    let token = http::hub_token(data.path()).expect("operator token");
    let huge = tests::hostile::oversize_declared(addr, &token, "/api/v1/webhooks");
    assert_eq!(huge, Ok(413));

    let viewer = format!("Bearer {}", hub.create_token("viewer", "watcher"));
    let good = json!({"url": "http://a.example/"}).to_string();
    for (method, path, body) in [
        ("POST", "/api/v1/webhooks", Some(good.as_str())),
        ("GET", "/api/v1/webhooks", None),
        ("GET", "/api/v1/webhooks/1/dead-letters", None),
    ] {
        let r = http::request_as(addr, method, path, Some(&viewer), body).expect("request");
        assert_eq!(refused(&r).0, 403, "{method} {path}: {}", r.body);
    }
    let r = http::request_as(addr, "POST", "/api/v1/webhooks", None, Some(&good)).expect("req");
    assert_eq!(refused(&r).0, 401);
    let (status, list) = call(addr, "GET", "/api/v1/webhooks", None);
    assert_eq!(
        (status, list["items"].clone()),
        (200, json!([])),
        "nothing was registered"
    );
    let missing = call(addr, "DELETE", "/api/v1/webhooks/99", None);
    assert_eq!(
        (missing.0, missing.1["error"]["code"].clone()),
        (404, json!("unknown_webhook"))
    );
}
