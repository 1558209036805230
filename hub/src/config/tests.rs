//! The configuration's parsing and checks, data-driven.

use super::*;

#[test]
fn empty_file_gives_defaults() {
    let c = HubConfig::from_toml("", Path::new("x.toml")).unwrap();
    assert_eq!(c, HubConfig::default());
}

#[test]
fn values_override_defaults() {
    let text = "site = \"north\"\nhttp_listen = \"127.0.0.1:9000\"\n";
    let c = HubConfig::from_toml(text, Path::new("x.toml")).unwrap();
    assert_eq!(c.site, "north");
    assert_eq!(c.http_listen.port(), 9000);
    assert_eq!(c.mqtt_listen.port(), 1883);
}

#[test]
fn safety_stock_and_reconciliation_keys() {
    let text = "reconcile_at = \"03:30\"\nsite_utc_offset_minutes = 60\n\
                erp_stock_csv = \"/srv/erp.csv\"\n\
                [safety_stock.SKU-1]\nthreshold = 5\nstop_at_safety = true\n\
                [safety_stock.SKU-2]\nthreshold = 2\n";
    let c = HubConfig::from_toml(text, Path::new("x.toml")).unwrap();
    assert_eq!(c.reconcile_at, "03:30");
    assert_eq!(c.site_utc_offset_minutes, 60);
    assert_eq!(c.erp_stock_csv, Some(PathBuf::from("/srv/erp.csv")));
    let rule = |threshold, stop_at_safety| SafetyRule {
        threshold,
        stop_at_safety,
    };
    assert_eq!(c.safety_stock["SKU-1"], rule(5, true));
    assert_eq!(c.safety_stock["SKU-2"], rule(2, false));
}

#[test]
fn order_keys_and_the_routing_table() {
    let text = "unpaid_hold_minutes = 15\ncustomer_archive_days = 30\n\
                [[routing.sites]]\nsite = \"site-1\"\nregions = [\"浙江省\", \"上海市\"]\npriority = 1\n\
                [[routing.sites]]\nsite = \"gz\"\nregions = [\"广东省\"]\n";
    let c = HubConfig::from_toml(text, Path::new("x.toml")).unwrap();
    assert_eq!(c.unpaid_hold_minutes, 15);
    assert_eq!(c.routing.sites.len(), 2);
    assert_eq!(c.routing.sites[0].regions, ["浙江省", "上海市"]);
    assert_eq!(c.routing.sites[1].priority, 0);
}

#[test]
fn bad_input_is_a_clear_error() {
    let cases = [
        ("sit = \"x\"", "unknown field"),
        ("site = 3", "invalid type"),
        ("http_listen = \"nowhere\"", "invalid socket address"),
        ("site = \"a/b\"", "site contains"),
        ("max_group_movements = 0", "at least 1"),
        ("[[[", "invalid"),
        ("reconcile_at = \"25:00\"", "reconcile_at"),
        ("sweep_interval_ms = 5000", "sweep_interval_ms"),
        ("idempotency_key_retention_hours = 0", "retention_hours"),
        ("store_cache_mb = 1", "store_cache_mb"),
        ("event_log_segment = 0", "event_log_segment"),
        ("store_relocate_mb = 99999999", "store_relocate_mb"),
        ("store_compact_mb = 99999999", "store_compact_mb"),
        ("store_compact_at = \"3am\"", "store_compact_at"),
        ("event_log_keep = 2000000000", "event_log_keep"),
        ("http_max_connections = 0", "http_max_connections"),
        ("http_header_timeout_ms = 5", "http_header_timeout_ms"),
        ("http_max_json_bytes = 10", "http_max_json_bytes"),
        ("[safety_stock.A]\nthreshold = -1", "threshold must be"),
        (
            "[safety_stock.A]\nthreshold = 1\nstop = true",
            "unknown field",
        ),
        ("[safety_stock.\"a b\"]\nthreshold = 1", "has a space"),
        ("unpaid_hold_minutes = 10", "unpaid_hold_minutes"),
        ("stuck_order_minutes = 0", "stuck_order_minutes"),
        ("max_line_quantity = 0", "max_line_quantity"),
        ("customer_archive_days = 0", "customer_archive_days"),
        ("[tasks]\nmax_orders_per_list = 0", "max_orders_per_list"),
        (
            "[tasks]\noffline_after_minutes = 0",
            "offline_after_minutes",
        ),
        ("[tasks]\non_short = \"shrug\"", "unknown variant"),
        ("[tasks]\nzone = []", "unknown field"),
        (
            "[tasks]\nzones = [{ id = \"a\" }]",
            "needs an id and prefixes",
        ),
        (
            "[tasks]\ndevices = [{ device = \"hh-1\", zone = \"nowhere\" }]",
            "does not define",
        ),
        (
            "[tasks]\ndevices = [{ device = \"h h\", zone = \"\" }]",
            "device",
        ),
        (
            "[[routing.sites]]\nsite = \"elsewhere\"\nregions = [\"浙江省\"]",
            "own site",
        ),
        (
            "[[routing.sites]]\nsite = \"site-1\"\nregion = []",
            "unknown field",
        ),
        ("[routing]\nfallback = \"split\"", "unknown variant"),
    ];
    for (text, expected) in cases {
        let err = HubConfig::from_toml(text, Path::new("x.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(expected), "{text:?} gave {msg:?}");
    }
}
