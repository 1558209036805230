//! Config loading: defaults, file, flag overrides, and clear errors for
//! bad input.

use agent::config::parse_hub;
use agent::{AgentConfig, ConfigError, ConfigOverrides};
use std::path::PathBuf;
use std::time::Duration;

fn device(d: &str) -> ConfigOverrides {
    ConfigOverrides {
        device: Some(d.into()),
        ..ConfigOverrides::default()
    }
}

/// A credentials file (as `hub device add --out` writes) for `device` at `site`.
fn credentials(dir: &std::path::Path, site: &str, device: &str) -> PathBuf {
    let path = dir.join("creds.json");
    let text = format!(
        r#"{{"devices":[{{"device":"{device}","site":"{site}","username":"{device}","password":"pw","key":"{}","key_version":1}}]}}"#,
        "0f".repeat(32)
    );
    std::fs::write(&path, text).expect("write credentials");
    path
}

#[test]
fn defaults_need_only_a_device() {
    let c = AgentConfig::load(None, device("hh-7")).expect("defaults");
    assert_eq!(c.hub, "127.0.0.1:1883");
    assert_eq!(c.site, "site-1");
    assert_eq!(c.device, "hh-7");
    assert_eq!(c.data_dir, PathBuf::from("agent-data/hh-7"));
    assert_eq!(
        (c.batch_max, c.resend_after_ms, c.heartbeat_ms),
        (256, 1000, 10_000)
    );
    assert_eq!(c.max_batches_in_flight, 64);
    let err = c.publisher_config().expect_err("no credentials");
    assert!(err.to_string().contains("--credentials FILE"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let c = AgentConfig {
        credentials: Some(credentials(dir.path(), "site-1", "hh-7")),
        ..c
    };
    let p = c.publisher_config().expect("publisher config");
    assert_eq!(p.secrets.password, "pw");
    assert_eq!((p.host.as_str(), p.port), ("127.0.0.1", 1883));
    assert_eq!(p.send.resend_after, Duration::from_secs(1));
    assert_eq!(p.heartbeat, Duration::from_secs(10));
    assert_eq!(p.signal_file, None, "no signal file unless one is named");
}

#[test]
fn file_values_and_flag_overrides() {
    let text = r#"
        hub = "hub.local:1884"
        site = "wh-2"
        device = "from-file"
        data_dir = "/var/lib/agent"
        batch_max = 100
        resend_after_ms = 500
        heartbeat_ms = 2000
        signal_file = "/run/wifi-dbm"
        max_batches_in_flight = 8
    "#;
    let c = AgentConfig::from_toml(text, "t.toml", ConfigOverrides::default()).expect("file");
    assert_eq!(c.hub, "hub.local:1884");
    assert_eq!((c.site.as_str(), c.device.as_str()), ("wh-2", "from-file"));
    assert_eq!(c.data_dir, PathBuf::from("/var/lib/agent"));
    assert_eq!(
        (
            c.batch_max,
            c.resend_after_ms,
            c.heartbeat_ms,
            c.max_batches_in_flight
        ),
        (100, 500, 2000, 8)
    );
    assert_eq!(c.signal_file, Some(PathBuf::from("/run/wifi-dbm")));
    let dir = tempfile::tempdir().expect("tempdir");
    let flags = ConfigOverrides {
        hub: Some("[::1]:1999".into()),
        site: Some("wh-3".into()),
        device: Some("flag-dev".into()),
        data_dir: Some("/tmp/x".into()),
        credentials: Some(credentials(dir.path(), "wh-3", "flag-dev")),
    };
    let c = AgentConfig::from_toml(text, "t.toml", flags).expect("overridden");
    assert_eq!(
        (c.hub.as_str(), c.site.as_str(), c.device.as_str()),
        ("[::1]:1999", "wh-3", "flag-dev")
    );
    assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
    let p = c.publisher_config().expect("publisher");
    assert_eq!((p.host.as_str(), p.port), ("::1", 1999));
    assert_eq!(p.heartbeat, Duration::from_millis(2000));
    assert_eq!(p.signal_file, Some(PathBuf::from("/run/wifi-dbm")));
}

#[test]
fn bad_input_gives_clear_errors() {
    let none = ConfigOverrides::default;
    let table: &[(&str, ConfigOverrides, &str)] = &[
        ("", none(), "no device id"),
        (
            "device = \"d\"\ncolour = \"red\"",
            none(),
            "unknown field `colour`",
        ),
        ("device = \"d\"\nhub = ", none(), "bad config file t.toml"),
        ("device = 7", none(), "invalid type"),
        ("device = \"d\"\nbatch_max = -1", none(), "batch_max"),
        (
            "device = \"d\"\nbatch_max = 0",
            none(),
            "batch_max = 0 is out of range: 1 to 2048",
        ),
        (
            "device = \"d\"\nbatch_max = 5000",
            none(),
            "batch_max = 5000 is out of range",
        ),
        (
            "device = \"d\"\nresend_after_ms = 0",
            none(),
            "resend_after_ms = 0 is out of range",
        ),
        (
            "device = \"d\"\nheartbeat_ms = 1",
            none(),
            "heartbeat_ms = 1 is out of range",
        ),
        (
            "device = \"d\"\nmax_batches_in_flight = 0",
            none(),
            "max_batches_in_flight = 0",
        ),
        (
            "device = \"a/b\"",
            none(),
            "device contains '/', '+' or '#'",
        ),
        ("device = \"\"", none(), "device is empty"),
        ("device = \"d\"\nsite = \"s+\"", none(), "site contains"),
        (
            "device = \"d\"\nhub = \"localhost\"",
            none(),
            "bad hub address \"localhost\": expected host:port",
        ),
        (
            "device = \"d\"\nhub = \"h:0\"",
            none(),
            "port must be a number from 1 to 65535",
        ),
        ("device = \"d\"\nhub = \"h:99999\"", none(), "port must be"),
        (
            "device = \"d\"\nhub = \":1883\"",
            none(),
            "empty or malformed host",
        ),
        ("\u{0}\u{1}garbage", none(), "bad config file t.toml"),
        (
            "[section]\ndevice = \"d\"",
            none(),
            "unknown field `section`",
        ),
        ("", device("bad id"), "device has a space"),
    ];
    for (text, overrides, want) in table {
        let err = AgentConfig::from_toml(text, "t.toml", overrides.clone()).expect_err(text);
        let msg = err.to_string();
        assert!(msg.contains(want), "{text:?}: got {msg:?}, want {want:?}");
        assert!(!msg.contains('\n'), "one line: {msg:?}");
    }
}

#[test]
fn missing_or_unreadable_file_names_the_path() {
    let err = AgentConfig::load(Some("/nonexistent/agent.toml".as_ref()), device("d"))
        .expect_err("missing file");
    assert!(matches!(err, ConfigError::Read { .. }));
    assert!(err.to_string().contains("/nonexistent/agent.toml"), "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("agent.toml");
    std::fs::write(&path, [0xff, 0xfe, 0x00]).expect("write");
    let err = AgentConfig::load(Some(&path), device("d")).expect_err("binary file");
    assert!(err.to_string().contains("agent.toml"), "{err}");
}

#[test]
fn hub_addresses() {
    assert_eq!(
        parse_hub("127.0.0.1:1883").expect("v4"),
        ("127.0.0.1".into(), 1883)
    );
    assert_eq!(parse_hub("hub:1").expect("name"), ("hub".into(), 1));
    assert_eq!(
        parse_hub("[fe80::1]:8883").expect("v6"),
        ("fe80::1".into(), 8883)
    );
    for bad in ["", ":", "hub", "hub:", "hub:x", "h b:1", "hub:-1"] {
        assert!(parse_hub(bad).is_err(), "{bad:?} accepted");
    }
}
