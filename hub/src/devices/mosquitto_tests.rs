//! The Mosquitto export against a hash made by the real `mosquitto_passwd`
//! and on a registry with revoked, other-site and unhashed devices.

use super::*;
use crate::devices::registry::Registry;

#[test]
fn hashes_match_mosquitto_passwd() {
    // `mosquitto_passwd -c -b FILE dev-a secretpw` (Mosquitto 2.0.11) wrote
    // this line; its salt is the middle field.
    let line = "$7$101$BvcV5CJ8rpFKbZsP$0QWlfWsA2sAcf1pmVYmzP8LVb9WI+iFEgjXXTEhe8Od2/Y8dg4Y0+PlC25fyNG9uJZxuyfHcD7nSQ0kWJiz4qA==";
    let salt = [
        0x06, 0xf7, 0x15, 0xe4, 0x22, 0x7c, 0xae, 0x91, 0x4a, 0x6d, 0x9b, 0x0f,
    ];
    assert_eq!(password_hash("secretpw", &salt), line);
    assert_eq!(base64(b"ab"), "YWI=");
    assert_eq!(base64(b"a"), "YQ==");
    assert_eq!(base64(b""), "");
    let fresh = new_password_hash("x").unwrap();
    assert!(fresh.starts_with("$7$101$") && fresh.split('$').count() == 5);
}

fn ids(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn only_active_devices_of_the_site_are_let_in_each_to_its_own_topics() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    registry.add(&ids(&["d1", "d2", "gone"]), "s1", 1).unwrap();
    registry.add(&ids(&["far"]), "s2", 1).unwrap();
    registry
        .add_kind(&ids(&["ps1"]), "s1", DeviceKind::PrinterStation, 1)
        .unwrap();
    registry.revoke("gone", 2).unwrap();
    let hub = HubLogin {
        site: "s1",
        username: "hub-s1",
        password: "hub-secret",
    };
    let out = files(&registry.load().unwrap(), &hub).unwrap();
    assert_eq!(out.devices, 3);
    for line in [
        "user hub-s1\ntopic read wms/s1/dev/+/events\ntopic read wms/s1/dev/+/status\n\
         topic read wms/s1/dev/+/taskack\ntopic read wms/s1/printer/+/done\n\
         topic write wms/s1/dev/+/ack\ntopic write wms/s1/dev/+/tasks\n\
         topic write wms/s1/printer/+/jobs\ntopic readwrite wms/s1/hub/#\n\
         topic read wms/+/hub/stock/+\ntopic write wms/+/hub/inbox/s1\n",
        // The hub's probe may only look at who owns the site.
        "user hub-s1-probe\ntopic read wms/s1/hub/owner\n\n",
        // A printer station: its jobs and reports, and its status; no
        // events, so it cannot move stock.
        "user ps1\ntopic write wms/s1/dev/ps1/status\ntopic write wms/s1/printer/ps1/done\n\
         topic read wms/s1/printer/ps1/jobs\n\n",
        "user d1\ntopic write wms/s1/dev/d1/events\ntopic write wms/s1/dev/d1/status\n\
         topic write wms/s1/dev/d1/taskack\n\
         topic read wms/s1/dev/d1/ack\ntopic read wms/s1/dev/d1/tasks\n",
    ] {
        assert!(out.acl.contains(line), "{line} missing from:\n{}", out.acl);
    }
    for absent in ["gone", "far"] {
        assert!(!out.acl.contains(absent), "{absent} in the ACL");
        assert!(!out.passwd.contains(absent), "{absent} in passwd");
    }
    let users: Vec<_> = out.passwd.lines().map(|l| l.split(':').next()).collect();
    assert_eq!(
        users,
        [
            Some("hub-s1"),
            Some("hub-s1-probe"),
            Some("d1"),
            Some("d2"),
            Some("ps1")
        ]
    );
    assert!(!out.passwd.contains("hub-secret"));
}

#[test]
fn devices_without_a_stored_hash_are_named_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    registry.add(&ids(&["old", "new"]), "s1", 1).unwrap();
    registry
        .update(|file| {
            file.devices[0].mosquitto_hash = None;
            Ok(())
        })
        .unwrap();
    let hub = HubLogin {
        site: "s1",
        username: "hub-s1",
        password: "p",
    };
    let msg = files(&registry.load().unwrap(), &hub)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("device(s) old were") && msg.contains("hub device rotate"),
        "{msg}"
    );
    registry.rotate("old", 2).unwrap();
    assert_eq!(files(&registry.load().unwrap(), &hub).unwrap().devices, 2);
}
