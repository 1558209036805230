//! The hub on an external broker over TLS (`mqtts://`, issue 18): a real
//! Mosquitto with a certificate signed by a CA made here with the
//! `openssl` command. With that CA the hub connects and a device's scans
//! are applied (the device on the broker's plain listener, as handhelds on
//! the site's own network); with another CA the hub refuses the broker's
//! certificate and never subscribes, and `/healthz` says so.

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use tests::mosquitto::{export_acl, hub_config, Mosquitto};
use tests::procs::confirmed_seq;
use tests::{free_port, hubapi, wait_until, AgentProc, HubPorts, HubProc};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`{name}.pem`) and, signed by it, a certificate for localhost
/// (`{name}-server.pem`, `{name}-server.key`).
fn make_ca(dir: &Path, name: &str) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let (ca_key, ca) = (format!("{name}.key"), format!("{name}.pem"));
    let mut args = vec!["req", "-x509", "-days", "2", "-subj", "/CN=wms test CA"];
    args.extend(ec);
    args.extend(["-keyout", &ca_key, "-out", &ca]);
    openssl(dir, &args);
    let (key, csr, cert) = (
        format!("{name}-server.key"),
        format!("{name}-server.csr"),
        format!("{name}-server.pem"),
    );
    let mut args = vec!["req", "-new", "-subj", "/CN=localhost"];
    args.extend(ec);
    args.extend(["-keyout", &key, "-out", &csr]);
    openssl(dir, &args);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-extfile",
            "ext.cnf",
            "-out",
            &cert,
        ],
    );
}

fn subscribed(hub: &HubProc) -> bool {
    hubapi::metric(hub.ports.http_addr(), "wms_mqtt_subscribed") == Ok(1)
}

#[test]
fn the_hub_speaks_tls_to_the_broker_and_trusts_only_its_ca() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_ca(d, "good");
    make_ca(d, "other");
    let data = d.join("hub");
    let creds = tests::provision(&data, "s1", &["t1"]);
    let config = hub_config(d, "s1", "hub-s1", "pw-s1");
    let acl = d.join("acl");
    export_acl(&data, &config, &acl);
    let (plain, tls) = (free_port(), free_port());
    let listener = format!(
        "listener {tls} 127.0.0.1\nuse_username_as_clientid true\ncafile {0}/good.pem\n\
         certfile {0}/good-server.pem\nkeyfile {0}/good-server.key\n",
        d.display()
    );
    let broker = Mosquitto::start_with_listeners(d, &acl, plain, &listener);
    let address = format!("mqtts://localhost:{tls}");
    let start = |ca: &str, data: &Path| {
        let ca = d.join(ca).display().to_string();
        let config = config.display().to_string();
        let args = [
            "--config",
            &config,
            "--external-broker",
            &address,
            "--external-broker-ca-file",
            &ca,
        ];
        HubProc::start_with(data, HubPorts::fresh(), "s1", &args)
    };

    // Not through HubProc, which waits for a healthy hub.
    let log = d.join("wrong-ca.log");
    let ca = d.join("other.pem").display().to_string();
    let http = format!("127.0.0.1:{}", free_port());
    let mut wrong = Command::new(tests::bin_path("hub"))
        .args(["--site", "s1", "--http", &http, "--config"])
        .arg(&config)
        .args(["--data"])
        .arg(d.join("wrong-ca"))
        .args([
            "--external-broker",
            &address,
            "--external-broker-ca-file",
            &ca,
        ])
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = http.parse().unwrap();
    let refused = wait_until(
        "the hub refuses the broker's certificate",
        Duration::from_secs(30),
        || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let health = tests::http::get(addr, "/healthz").ok()?;
            (health.status == 503 && text.contains("invalid peer certificate")).then_some(())
        },
    );
    let _ = wrong.kill();
    let _ = wrong.wait();
    refused.unwrap_or_else(|e| {
        panic!(
            "{e}; hub log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    });

    let hub = start("good.pem", &data);
    wait_until(
        "the hub subscribed over TLS",
        Duration::from_secs(30),
        || subscribed(&hub).then_some(()),
    )
    .expect("the hub did not connect over TLS");
    let mut agent = AgentProc::start(&d.join("agent"), &broker.addr(), &creds, "t1", &[]);
    for i in 1..=5u64 {
        let answer = agent.scan(&format!("receive SKU-T A-1 {i}")).unwrap();
        assert_eq!(confirmed_seq(&answer), Some(i), "{answer}");
    }
    wait_until(
        "scans applied through the TLS hub",
        Duration::from_secs(30),
        || {
            hubapi::watermark(hub.ports.http_addr(), "t1")
                .ok()
                .filter(|&w| w == 5)
        },
    )
    .expect("scans not applied");
}
