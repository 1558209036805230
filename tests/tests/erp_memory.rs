//! Bounded memory for ERP uploads (issue 12, item 3) against a real hub:
//! a 10 MB CSV of bad lines is answered with the first 100 errors and the
//! count of all of them (a small answer, not hundreds of megabytes), a
//! large good CSV is reconciled, and after each the hub's resident memory
//! (VmRSS, /proc/PID/status) is back near where it started. A total past
//! `i64::MAX` is refused with its line, never wrapped.

use serde_json::Value;
use std::net::SocketAddr;
use tests::feed::post;
use tests::procs::resident_kib;
use tests::{http, HubPorts, HubProc};

const UPLOAD: &str = "/api/v1/reconciliations";

/// Generous: the hub may keep some of what a request used (allocator
/// caches, sled pages), but not the size of the request many times over.
const SLACK_KIB: u64 = 96 * 1024;

fn rss(hub: &HubProc) -> u64 {
    resident_kib(hub.pid()).expect("hub VmRSS").0
}

fn hub(data: &std::path::Path) -> (HubProc, SocketAddr) {
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data, ports, "s1");
    (hub, ports.http_addr())
}

/// Checks the hub's VmRSS is back within [`SLACK_KIB`] of `before` after an
/// upload of `upload_len` bytes.
fn assert_memory_given_back(hub: &HubProc, before: u64, upload_len: usize) {
    let after = rss(hub);
    assert!(
        after < before + SLACK_KIB,
        "VmRSS {before} KiB before, {after} KiB after a {} MB upload",
        upload_len >> 20
    );
}

/// Warms the hub up (first requests allocate lasting buffers), then
/// measures its baseline.
fn baseline(hub: &HubProc, addr: SocketAddr) -> u64 {
    for _ in 0..3 {
        let (status, _) = post(addr, UPLOAD, "A,L1,1\n");
        assert_eq!(status, 201);
    }
    rss(hub)
}

#[test]
fn ten_megabytes_of_bad_lines_get_a_small_answer_and_leave_no_memory_behind() {
    let data = tempfile::tempdir().unwrap();
    let (hub, addr) = hub(data.path());
    let before = baseline(&hub, addr);
    let line = "SKU-0000001,LOC-01,not-a-number\n";
    let lines = 10_000_000 / line.len();
    let csv = line.repeat(lines);
    let answer = http::request(addr, "POST", UPLOAD, Some(&csv)).expect("upload");
    assert_eq!(
        answer.status,
        422,
        "{}",
        &answer.body[..answer.body.len().min(500)]
    );
    assert!(
        answer.body.len() < 64 * 1024,
        "answer of {} bytes",
        answer.body.len()
    );
    let body: Value = answer.json().expect("JSON");
    let details = &body["error"]["details"];
    assert_eq!(details["lines"].as_array().map(Vec::len), Some(100));
    assert_eq!(details["lines_in_error"].as_u64(), Some(lines as u64));
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("the first 100 of"), "{message}");
    assert_memory_given_back(&hub, before, csv.len());
}

#[test]
fn a_large_good_file_is_reconciled_and_its_memory_given_back() {
    let data = tempfile::tempdir().unwrap();
    let (hub, addr) = hub(data.path());
    let before = baseline(&hub, addr);
    let mut csv = String::from("sku,location,qty\n");
    for i in 0..60_000 {
        csv.push_str(&format!("SKU-{:06},LOC-{:02},{}\n", i / 4, i % 4, i % 50));
    }
    let answer = http::request(addr, "POST", UPLOAD, Some(&csv)).expect("upload");
    assert_eq!(
        answer.status,
        201,
        "{}",
        &answer.body[..answer.body.len().min(500)]
    );
    let report: Value = answer.json().expect("JSON");
    assert_eq!(report["erp"]["rows"].as_u64(), Some(60_000));
    drop(report);
    assert_memory_given_back(&hub, before, csv.len());
}

#[test]
fn a_total_past_i64_max_is_refused_with_its_line() {
    let data = tempfile::tempdir().unwrap();
    let (_hub, addr) = hub(data.path());
    let csv = format!("sku,location,qty\nA,L1,{}\nA,L2,1\n", i64::MAX);
    let (status, body) = post(addr, UPLOAD, &csv);
    assert_eq!(status, 422, "{body}");
    let lines = &body["error"]["details"]["lines"];
    assert_eq!(lines[0]["line"].as_u64(), Some(3), "{body}");
    let error = lines[0]["error"].as_str().unwrap_or("");
    assert!(error.contains("9223372036854775807"), "{error}");
    let (_, list) = tests::feed::call(addr, "GET", UPLOAD, None);
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(0),
        "nothing ran"
    );
}
