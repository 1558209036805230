//! The hub against its own OpenAPI document, by someone else's tool:
//! Schemathesis (`tests/python/requirements.txt`; scripts/test.sh installs
//! it) reads the document the hub serves at `/api/v1/openapi.json`,
//! generates requests that fit it and requests that break it, for every
//! operation, and checks each answer: no 5xx, a documented status, content
//! type and shape, valid data accepted, invalid data refused, and the
//! stateful sequences its links suggest. Any failure or error it reports
//! fails this test (its exit status), with its report.
//!
//! `tests/schemathesis.toml` holds the settings (fixed seed, examples per
//! operation, one worker) and the few refusals the document cannot state
//! in JSON Schema, each with its reason. The hub is stocked first (1,000
//! units of the documents' example SKU), so the examples reach past
//! "unknown SKU" into holds, orders and allocations.
//!
//! Python 3 with Schemathesis is required: without it this test fails, it
//! never skips.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tests::feed::stocked_hub;
use tests::http;

/// Longer than a run takes on two busy cores; a hung run fails.
const LIMIT: Duration = Duration::from_secs(900);

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// How many operations (method and path) the document has, but the one
/// that serves it: Schemathesis leaves out the operation at the URL it
/// loaded the document from.
fn operations(doc: &Value) -> usize {
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|item| {
            item.as_object()
                .expect("path item")
                .keys()
                .filter(|k| METHODS.contains(&k.as_str()))
                .count()
        })
        .sum::<usize>()
        - usize::from(doc["paths"]["/api/v1/openapi.json"]["get"].is_object())
}

#[test]
fn schemathesis_finds_no_failure_in_the_served_document() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("hub");
    let (hub, addr) = stocked_hub(&data, "SKU-1", 1000);
    let token = http::hub_token(&data).expect("the hub's operator token");

    let doc = http::get(addr, "/api/v1/openapi.json")
        .expect("GET /api/v1/openapi.json")
        .json()
        .expect("the document is JSON");
    let count = operations(&doc);
    assert!(count >= 30, "only {count} operations documented");

    // Schemathesis writes `.hypothesis/` and `.schemathesis/` where it
    // runs: here, in the temporary directory, never in the tree.
    let work = dir.path().join("st");
    std::fs::create_dir(&work).expect("work dir");
    let log = work.join("schemathesis.log");
    let file = std::fs::File::create(&log).expect("create the log");
    let config = repo().join("tests/schemathesis.toml");
    let url = format!("http://{addr}/api/v1/openapi.json");
    let started = Instant::now();
    let mut child = Command::new("python3")
        .args(["-m", "schemathesis.cli", "--config-file"])
        .arg(&config)
        .args(["--no-color", "run", &url])
        .current_dir(&work)
        .env("WMS_HUB_TOKEN", &token)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log handle"))
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "python3 is required for this test and did not start: {e} \
                 (bash scripts/test.sh installs tests/python/requirements.txt)"
            )
        });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for schemathesis") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            let report = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("schemathesis ran over {LIMIT:?} and was stopped:\n{report}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let report = std::fs::read_to_string(&log).expect("read the log");
    eprintln!("{report}");
    eprintln!("schemathesis took {:?}", started.elapsed());
    assert!(
        !report.contains("No module named 'schemathesis'"),
        "Schemathesis is not installed: bash scripts/test.sh installs \
         tests/python/requirements.txt (or pip install -r it)"
    );
    assert!(
        status.success(),
        "schemathesis reported failures or errors ({status}); its report is above"
    );
    // Not a vacuous pass: every operation it could take was selected and
    // tested.
    let selected = format!("{count} selected / {count} total");
    assert!(report.contains(&selected), "not `{selected}`");
    let tested = format!("Tested: {count}\n");
    assert!(report.contains(&tested), "not `{}`", tested.trim());
    // And the hub is still up.
    let health = http::get(addr, "/healthz").expect("GET /healthz after the run");
    assert_eq!(health.status, 200, "{}", health.body);
    drop(hub);
}
