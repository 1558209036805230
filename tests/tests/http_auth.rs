//! Promise 12 over a real hub process and real TCP: every route but
//! `/healthz` needs a bearer token with a role. For every route family:
//! no token and a garbage token get 401 (with `WWW-Authenticate: Bearer`),
//! a too-weak role 403, a strong enough one the route's own answer; a
//! revoked token stops working, and a new one starts, within a second of
//! `hub token revoke|create` on the running hub. The `hub token` commands
//! print a token only when making it, and refuse bad input clearly; the
//! first start leaves an operator token in a 0600 file and logs only where.

use serde_json::{json, Value};
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tests::feed::{movement, post, Feed};
use tests::http::{self, Response};
use tests::procs::hub_command;
use tests::{bin_path, wait_until, HubPorts, HubProc};

/// Roles from weakest to strongest, as `hub token create --role` takes them.
const ROLES: [&str; 3] = ["viewer", "integrator", "operator"];

/// One request of a route family; `path` may make what it needs first
/// (a fresh hold to confirm or release), with the harness's operator token.
struct Case {
    family: &'static str,
    method: &'static str,
    path: fn(SocketAddr) -> String,
    body: Option<&'static str>,
    /// The weakest role that may.
    needs: &'static str,
    /// What that role gets.
    ok: u16,
}

fn fresh_hold(addr: SocketAddr) -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let order = format!("auth-{n}");
    let body = json!({"order_ref": order, "lines": [{"sku": "SKU-A", "quantity": 1}]});
    let (status, hold) = post(addr, "/api/v1/reservations", &body.to_string());
    assert_eq!(status, 201, "{hold}");
    hold["id"].as_u64().expect("hold id")
}

const RESERVE: &str = r#"{"order_ref":"o","lines":[{"sku":"SKU-A","quantity":1}]}"#;
const RULE: &str = r#"{"threshold":1,"stop_at_safety":false}"#;

/// The route families, one or more requests each: (family, method, path,
/// body, weakest role that may, what it gets). A table, so kept unformatted.
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let case = |family, method, path, body, needs, ok| Case { family, method, path, body, needs, ok };
    fn hold(a: SocketAddr) -> String {
        format!("/api/v1/reservations/{}", fresh_hold(a))
    }
    vec![
        case("metrics", "GET", |_| "/metrics".into(), None, "viewer", 200),
        case("stock", "GET", |_| "/api/v1/stock".into(), None, "viewer", 200),
        case("stock", "GET", |_| "/api/v1/stock/SKU-A".into(), None, "viewer", 200),
        case("stock", "GET", |_| "/api/v1/availability/SKU-A".into(), None, "viewer", 200),
        case("devices", "GET", |_| "/api/v1/devices".into(), None, "viewer", 200),
        case("dead letters", "GET", |_| "/api/v1/dead-letters".into(), None, "viewer", 200),
        case("reservations", "POST", |_| "/api/v1/reservations".into(), Some(RESERVE), "integrator", 201),
        case("reservations", "GET", hold, None, "viewer", 200),
        case("reservations", "DELETE", hold, None, "integrator", 200),
        case("reservations", "POST", |a| format!("{}/confirm", hold(a)), None, "operator", 200),
        case("safety stock", "GET", |_| "/api/v1/safety-stock".into(), None, "viewer", 200),
        case("safety stock", "PUT", |_| "/api/v1/safety-stock/SKU-A".into(), Some(RULE), "operator", 200),
        case("safety stock", "DELETE", |_| "/api/v1/safety-stock/SKU-A".into(), None, "operator", 200),
        case("alerts", "GET", |_| "/api/v1/alerts".into(), None, "viewer", 200),
        case("exceptions", "GET", |_| "/api/v1/discrepancies".into(), None, "viewer", 200),
        case("exceptions", "GET", |_| "/api/v1/count-tasks".into(), None, "viewer", 200),
        case("lots", "GET", |_| "/api/v1/pick-suggestions?sku=SKU-A&quantity=1".into(), None, "viewer", 200),
        case("reconciliations", "POST", |_| "/api/v1/reconciliations".into(), Some(""), "operator", 201),
        case("reconciliations", "GET", |_| "/api/v1/reconciliations".into(), None, "viewer", 200),
        case("unknown route", "GET", |_| "/api/v1/no-such-thing".into(), None, "viewer", 404),
    ]
}

/// A hub with 1,000 of SKU-A on hand and one token of each role.
fn seeded_hub(dir: &Path) -> (HubProc, Vec<(&'static str, String)>) {
    let hub = HubProc::start(&dir.join("hub"), HubPorts::fresh(), "s1");
    let addr = hub.ports.http_addr();
    let mut feed = Feed::connect(hub.ports.mqtt, addr, &hub.provision(&["seed"]), "seed");
    feed.send(vec![movement(
        protocol::MovementKind::Receive,
        "SKU-A",
        "A-01",
        1000,
    )]);
    let tokens = ROLES
        .iter()
        .map(|role| (*role, hub.create_token(role, &format!("t-{role}"))))
        .collect();
    (hub, tokens)
}

fn send(addr: SocketAddr, case: &Case, authorization: Option<&str>) -> Response {
    let path = (case.path)(addr);
    http::request_as(addr, case.method, &path, authorization, case.body)
        .unwrap_or_else(|e| panic!("{} {path}: {e}", case.method))
}

fn error_code(r: &Response) -> String {
    let body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    body["error"]["code"].as_str().unwrap_or("").to_string()
}

/// A 401 in the JSON error shape, with the Bearer challenge.
fn assert_401(r: &Response, what: &str) {
    assert_eq!(r.status, 401, "{what}: {}", r.body);
    let challenge = r.header("www-authenticate").unwrap_or("");
    assert!(
        challenge.starts_with("Bearer"),
        "{what}: challenge {challenge:?}"
    );
    let code = error_code(r);
    assert!(
        code == "unauthorized" || code == "invalid_token",
        "{what}: {}",
        r.body
    );
}

#[test]
fn every_route_family_answers_each_role_as_the_table_says() {
    let dir = tempfile::tempdir().unwrap();
    let (hub, tokens) = seeded_hub(dir.path());
    let addr = hub.ports.http_addr();
    let garbage = [
        "Bearer wms_0000000000000000000000000000000000000000000000000000000000000000",
        "Bearer not-a-token",
        "Basic b3BlcmF0b3I6b3BlcmF0b3I=",
        "Bearer",
    ];
    let mut checked = 0;
    for (i, case) in cases().iter().enumerate() {
        let what = format!("case {i}: {} {}", case.method, case.family);
        assert_401(&send(addr, case, None), &format!("{what} without a token"));
        for bad in garbage {
            assert_401(
                &send(addr, case, Some(bad)),
                &format!("{what} with {bad:?}"),
            );
        }
        let needed = ROLES.iter().position(|r| *r == case.needs).unwrap();
        for (rank, (role, token)) in tokens.iter().enumerate() {
            let r = send(addr, case, Some(&format!("Bearer {token}")));
            if rank >= needed {
                // The same reservation body again is an idempotent retry:
                // the first role to pass creates it (201), the rest get it (200).
                let replay = case.family == "reservations" && case.ok == 201 && rank > needed;
                let expected = if replay { 200 } else { case.ok };
                assert_eq!(r.status, expected, "{what} as {role}: {}", r.body);
            } else {
                assert_eq!(r.status, 403, "{what} as {role}: {}", r.body);
                assert_eq!(error_code(&r), "forbidden", "{what} as {role}: {}", r.body);
                assert!(
                    r.body.contains(case.needs),
                    "{what}: names the role: {}",
                    r.body
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3 * cases().len());
}

#[test]
fn healthz_alone_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProc::start(&dir.path().join("hub"), HubPorts::fresh(), "s1");
    let addr = hub.ports.http_addr();
    for auth in [None, Some("Bearer garbage")] {
        let r = http::request_as(addr, "GET", "/healthz", auth, None).unwrap();
        assert_eq!(r.status, 200, "{auth:?}: {}", r.body);
    }
}

#[test]
fn a_new_token_works_and_a_revoked_one_stops_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let hub = HubProc::start(&dir.path().join("hub"), HubPorts::fresh(), "s1");
    let addr = hub.ports.http_addr();
    let status_with = |token: &str| {
        let bearer = format!("Bearer {token}");
        http::request_as(addr, "GET", "/api/v1/stock", Some(&bearer), None)
            .map(|r| r.status)
            .unwrap_or(0)
    };
    let out = hub_command(
        &hub.data,
        &["token", "create", "--role", "viewer", "--name", "shop"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let made = Instant::now();
    wait_until("the new token works", Duration::from_secs(1), || {
        (status_with(&token) == 200).then_some(())
    })
    .unwrap_or_else(|e| panic!("{e} (after {:?})", made.elapsed()));

    let out = hub_command(&hub.data, &["token", "revoke", "shop"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let revoked = Instant::now();
    wait_until(
        "the revoked token is refused",
        Duration::from_secs(1),
        || (status_with(&token) == 401).then_some(()),
    )
    .unwrap_or_else(|e| panic!("{e} (after {:?})", revoked.elapsed()));
    let r = http::request_as(
        addr,
        "GET",
        "/api/v1/stock",
        Some(&format!("Bearer {token}")),
        None,
    )
    .unwrap();
    assert_401(&r, "revoked token");
    assert!(!r.body.contains(&token), "the answer repeats the token");
    // Other tokens are untouched (the harness's operator token).
    assert_eq!(http::get(addr, "/api/v1/stock").unwrap().status, 200);
}

#[test]
fn token_commands_print_a_token_only_when_made_and_refuse_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let run = |args: &[&str]| hub_command(&data, args);
    let out = run(&[
        "token",
        "create",
        "--role",
        "integrator",
        "--name",
        "shop-de",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let token = stdout.strip_suffix('\n').unwrap_or(&stdout);
    let hex = token.strip_prefix("wms_").unwrap_or("");
    assert!(
        hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        "stdout is the token alone: {stdout:?}"
    );
    let stored = std::fs::read_to_string(data.join("tokens.json")).unwrap();
    assert!(!stored.contains(hex), "the token is stored in clear");
    assert_eq!(mode(&data.join("tokens.json")), 0o600);

    let out = run(&["token", "list"]);
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success());
    assert!(
        listed.contains("shop-de") && listed.contains("integrator"),
        "{listed}"
    );
    assert!(!listed.contains(hex), "list shows the token: {listed}");

    let refusals: [(&[&str], i32, &str); 5] = [
        (
            &["token", "create", "--role", "admin", "--name", "x"],
            2,
            "unknown role \"admin\"",
        ),
        (
            &["token", "create", "--role", "viewer", "--name", "shop-de"],
            1,
            "already exists",
        ),
        (
            &["token", "create", "--role", "viewer", "--name", "a b"],
            1,
            "bad token name",
        ),
        (&["token", "create", "--name", "x"], 2, "--role"),
        (
            &["token", "revoke", "nobody"],
            1,
            "no token named \"nobody\"",
        ),
    ];
    for (args, code, message) in refusals {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed {:?}", out.stdout);
    }
    let out = run(&["token", "list"]);
    let lines = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(
        lines, 2,
        "a header and the one token, nothing the refusals added"
    );
}

#[test]
fn the_first_start_leaves_an_operator_token_in_a_private_file_and_logs_only_where() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let ports = HubPorts::fresh();
    let log_path = dir.path().join("hub.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new(bin_path("hub"))
        .args(["--site", "s1", "--data"])
        .arg(&data)
        .args([
            "--mqtt",
            &ports.mqtt_addr(),
            "--http",
            &ports.http_addr().to_string(),
        ])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn hub");
    let addr = ports.http_addr();
    let up = wait_until("hub /healthz", Duration::from_secs(20), || {
        http::get(addr, "/healthz").ok().filter(|r| r.status == 200)
    });
    let token_file = data.join("operator-token");
    let token = std::fs::read_to_string(&token_file).map(|t| t.trim().to_string());
    let answer = token.as_ref().ok().map(|t| {
        let bearer = format!("Bearer {t}");
        http::request_as(
            addr,
            "PUT",
            "/api/v1/safety-stock/SKU-Z",
            Some(&bearer),
            Some(RULE),
        )
    });
    let _ = child.kill();
    let _ = child.wait();
    up.expect("hub did not come up");
    let token = token.expect("no DATA/operator-token after the first start");
    assert_eq!(mode(&token_file), 0o600);
    let answer = answer.unwrap().unwrap();
    assert_eq!(
        answer.status, 200,
        "the first token is an operator's: {}",
        answer.body
    );
    let logged = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logged.contains("operator-token"),
        "the log says where: {logged}"
    );
    assert!(!logged.contains(&token[4..]), "the log shows the token");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
