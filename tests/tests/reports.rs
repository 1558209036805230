//! The weekly order-timeliness report (issue 14, item 8) against the real
//! hub process: orders placed (paid, unpaid, one in exception), then the
//! report of their week as JSON, CSV and HTML with the same counts; the
//! HTML page self-contained (an inline SVG, nothing fetched); bad weeks
//! refused with a clear 400; and `hub report timeliness` writing the CSV
//! to a file through the running hub.

use hub::orders::report::IsoWeek;
use protocol::MovementKind::Receive;
use serde_json::{json, Value};
use std::net::SocketAddr;
use tests::feed::{call, movement, post, Feed};
use tests::procs::hub_command;
use tests::{http, HubPorts, HubProc};

fn order(id: &str, paid: bool, service: &str, phone: &str) -> Value {
    json!({
        "platform": "own",
        "platform_order_id": id,
        "service": service,
        "paid": paid,
        "customer": {
            "name": "张三",
            "phone": phone,
            "address": {"country": "CN", "province": "浙江省", "city": "杭州市",
                        "district": "西湖区", "street": "文三路90号", "postal_code": "310012"}
        },
        "lines": [{"sku": "TEA", "quantity": 1}],
        "tags": []
    })
}

/// Places the orders; returns their answers.
fn place(addr: SocketAddr) -> Vec<Value> {
    let bodies = [
        order("R-1", true, "express", "13812345678"),
        order("R-2", false, "standard", "13812345678"),
        order("R-3", true, "express", "1381234567"),
    ];
    let placed: Vec<Value> = bodies
        .iter()
        .map(|body| {
            let (status, answer) = post(addr, "/api/v1/orders", &body.to_string());
            assert_eq!(status, 201, "{answer}");
            answer
        })
        .collect();
    let states: Vec<&str> = placed.iter().filter_map(|o| o["state"].as_str()).collect();
    assert_eq!(states, ["routed", "held", "exception"]);
    placed
}

/// The report's path for `week` in `format`.
fn path(week: &str, format: &str) -> String {
    format!("/api/v1/reports/timeliness?week={week}&format={format}")
}

/// The `summary` rows of a CSV report, as (dimension, key, measure, count).
fn summary_rows(csv: &str) -> Vec<(String, String, String, String)> {
    csv.lines()
        .skip(1)
        .map(|line| line.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|f| f.len() == 9 && f[2] == "summary")
        .map(|f| (f[0].clone(), f[1].clone(), f[3].clone(), f[4].clone()))
        .collect()
}

#[test]
fn the_weekly_report_counts_orders_in_every_format() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let hub = HubProc::start(data.path(), ports, "s1");
    let addr = ports.http_addr();
    let mut feed = Feed::connect(ports.mqtt, addr, &hub.provision(&["seed"]), "seed");
    feed.send(vec![movement(Receive, "TEA", "A-1", 100)]);
    let placed = place(addr);
    // The week of the first order; the others count only if they fell in
    // it too (a test run across Sunday midnight UTC).
    let created: Vec<u64> = placed
        .iter()
        .filter_map(|o| o["created_ms"].as_u64())
        .collect();
    let week = IsoWeek::containing(created[0], 0);
    let (start, end) = week.range_ms(0);
    let in_week = |i: usize| (start..end).contains(&created[i]);
    let orders = (0..3).filter(|&i| in_week(i)).count() as u64;
    let exceptions = u64::from(in_week(2));
    let week = week.to_string();

    let (status, report) = call(addr, "GET", &path(&week, "json"), None);
    assert_eq!(status, 200, "{report}");
    let total = &report["total"];
    assert_eq!(report["week"], week.as_str());
    assert_eq!(total["orders"].as_u64(), Some(orders), "{report}");
    assert_eq!(total["open"].as_u64(), Some(orders), "none shipped yet");
    assert_eq!(total["exceptions"].as_u64(), Some(exceptions), "{report}");
    assert_eq!(total["sla_pending"].as_u64(), Some(orders), "none due yet");
    assert_eq!(total["sla_share"].as_f64(), Some(1.0));
    let states: Vec<&str> = total["states"]
        .as_array()
        .expect("states")
        .iter()
        .filter_map(|s| s["state"].as_str())
        .collect();
    assert!(states.contains(&"received"), "{states:?}");
    let sum = |part: &str| -> u64 {
        report[part]
            .as_array()
            .expect(part)
            .iter()
            .filter_map(|k| k["report"]["orders"].as_u64())
            .sum()
    };
    assert_eq!((sum("sites"), sum("shifts")), (orders, orders), "{report}");
    let (_, none) = call(addr, "GET", &path("2021-W01", "json"), None);
    assert_eq!(
        none["total"]["orders"].as_u64(),
        Some(0),
        "another week: {none}"
    );

    let csv = http::get(addr, &path(&week, "csv")).expect("csv");
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(csv
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/csv")));
    let mut lines = csv.body.lines();
    assert_eq!(
        lines.next(),
        Some("dimension,key,kind,measure,count,mean_s,p50_s,p90_s,share")
    );
    assert!(lines.all(|l| l.split(',').count() == 9), "{}", csv.body);
    let rows = summary_rows(&csv.body);
    let row = |measure: &str| {
        rows.iter()
            .find(|r| r.0 == "total" && r.1 == week && r.2 == measure)
            .map(|r| r.3.clone())
    };
    assert_eq!(row("orders"), Some(orders.to_string()), "{}", csv.body);
    assert_eq!(row("exceptions"), Some(exceptions.to_string()));
    assert_eq!(row("inside_sla"), Some(orders.to_string()));

    let page = http::get(addr, &path(&week, "html")).expect("html");
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html")));
    assert!(page
        .header("content-security-policy")
        .is_some_and(|p| p.contains("default-src 'none'")));
    assert!(page.body.contains("<svg"), "an inline chart");
    assert!(page.body.contains(&week));
    for outside in ["http://", "https://", "<script", "src="] {
        assert!(!page.body.contains(outside), "{outside} in the page");
    }

    // A viewer may read it.
    let viewer = format!("Bearer {}", hub.create_token("viewer", "wall-screen"));
    let r = http::request_as(addr, "GET", &path(&week, "json"), Some(&viewer), None).unwrap();
    assert_eq!(r.status, 200, "{}", r.body);

    cli_writes_the_csv(&hub, addr, &week, &rows);
}

fn cli_writes_the_csv(
    hub: &HubProc,
    addr: SocketAddr,
    week: &str,
    rows: &[(String, String, String, String)],
) {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("week.csv");
    let http_addr = addr.to_string();
    let args = [
        "report",
        "timeliness",
        "--week",
        week,
        "--format",
        "csv",
        "--http",
        &http_addr,
        "--out",
        out.to_str().expect("utf-8 path"),
    ];
    let run = hub_command(&hub.data, &args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let written = std::fs::read_to_string(&out).expect("the CSV file");
    assert_eq!(
        summary_rows(&written),
        rows,
        "the file has the API's counts"
    );

    let bad = hub_command(
        &hub.data,
        &[
            "report",
            "timeliness",
            "--week",
            "2026-W60",
            "--http",
            &http_addr,
        ],
    );
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("there is no W60"), "{said}");
}

#[test]
fn bad_weeks_and_formats_are_refused_clearly() {
    let data = tempfile::tempdir().unwrap();
    let ports = HubPorts::fresh();
    let _hub = HubProc::start(data.path(), ports, "s1");
    let addr = ports.http_addr();
    let cases = [
        ("week=2026-W60", "there is no W60"),
        ("week=2025-W53", "there is no W53"),
        ("week=abc", "not an ISO week"),
        ("week=2026-W49&format=pdf", "not one of json, csv, html"),
        ("week=2026-W49&offset_minutes=999", "-840 to 840"),
        ("weeks=2026-W49", "unknown parameter"),
    ];
    for (query, part) in cases {
        let (status, answer) = call(
            addr,
            "GET",
            &format!("/api/v1/reports/timeliness?{query}"),
            None,
        );
        assert_eq!(status, 400, "{query}: {answer}");
        assert_eq!(answer["error"]["code"], "bad_request", "{query}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(part), "{query}: {answer}");
    }
    let (status, current) = call(addr, "GET", "/api/v1/reports/timeliness", None);
    assert_eq!(status, 200, "the current week by default: {current}");
    assert_eq!(current["total"]["orders"].as_u64(), Some(0));
}
