//! The registry file under concurrent commands, bad ids and corruption.

use super::*;
use crate::devices::book::DeviceBook;
use std::os::unix::fs::PermissionsExt;

fn ids(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn add_issues_secrets_once_and_stores_only_a_password_hash() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    let issued = registry.add(&ids(&["d1", "d2"]), "s1", 5).unwrap();
    assert_eq!(issued.len(), 2);
    let text = std::fs::read_to_string(registry.path()).unwrap();
    assert!(
        !text.contains(&issued[0].password),
        "password stored in clear"
    );
    let mode = std::fs::metadata(registry.path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let file = registry.load().unwrap();
    let book = DeviceBook::from_file(&file, &registry.path()).unwrap();
    let entry = book.get("d1").unwrap();
    assert!(entry.password_matches(&issued[0].password));
    assert!(!entry.password_matches(&issued[1].password));
    assert_eq!(entry.key.to_hex(), issued[0].key);
    assert_eq!(entry.site, "s1");
}

#[test]
fn bad_ids_duplicates_and_unknown_devices_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    registry.add(&ids(&["d1"]), "s1", 1).unwrap();
    let cases: Vec<(Result<(), RegistryError>, &str)> = vec![
        (
            registry.add(&ids(&["d1"]), "s1", 2).map(drop),
            "already exists",
        ),
        (
            registry.add(&ids(&["a/b"]), "s1", 2).map(drop),
            "contains '/'",
        ),
        (
            registry.add(&ids(&["x"]), "s 1", 2).map(drop),
            "site has a space",
        ),
        (
            registry.add(&ids(&[""]), "s1", 2).map(drop),
            "device is empty",
        ),
        (
            registry.add(&ids(&["d$1"]), "s1", 2).map(drop),
            "contains '$'",
        ),
        (
            registry.add(&ids(&["d2"]), "s$1", 2).map(drop),
            "contains '$'",
        ),
        (
            registry.add(&ids(&["hub-internal"]), "s1", 2).map(drop),
            "reserved",
        ),
        (
            registry.add(&ids(&["n", "n"]), "s1", 2).map(drop),
            "named twice",
        ),
        (registry.revoke("nope", 2), "no device \"nope\""),
        (registry.rotate("nope", 2).map(drop), "no device \"nope\""),
    ];
    for (result, expected) in cases {
        let msg = result.unwrap_err().to_string();
        assert!(msg.contains(expected), "{msg:?} !~ {expected:?}");
    }
    // A refused add of several devices adds none of them.
    assert!(registry.add(&ids(&["d9", "d1"]), "s1", 3).is_err());
    assert!(registry.load().unwrap().find("d9").is_none());
}

#[test]
fn revoke_and_rotate_change_what_the_book_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    let old = registry.add(&ids(&["d1"]), "s1", 1).unwrap().remove(0);
    let new = registry.rotate("d1", 2).unwrap();
    assert_eq!(new.key_version, 2);
    assert_ne!(new.key, old.key);
    let book = DeviceBook::from_file(&registry.load().unwrap(), &registry.path()).unwrap();
    let entry = book.get("d1").unwrap();
    assert!(entry.password_matches(&new.password) && !entry.password_matches(&old.password));
    assert_eq!(entry.key.to_hex(), new.key);
    registry.revoke("d1", 3).unwrap();
    let book = DeviceBook::from_file(&registry.load().unwrap(), &registry.path()).unwrap();
    assert!(!book.get("d1").unwrap().active);
    registry.rotate("d1", 4).unwrap();
    let file = registry.load().unwrap();
    assert_eq!(file.find("d1").unwrap().status, DeviceStatus::Revoked);
}

#[test]
fn concurrent_adds_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let registry = Registry::new(dir.path());
            std::thread::spawn(move || {
                for i in 0..10 {
                    registry.add(&[format!("t{t}-d{i}")], "s1", 1).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(Registry::new(dir.path()).load().unwrap().devices.len(), 80);
}

#[test]
fn a_corrupt_file_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::new(dir.path());
    for text in ["{not json", "{\"version\":7,\"devices\":[]}"] {
        std::fs::write(registry.path(), text).unwrap();
        let msg = registry.load().unwrap_err().to_string();
        assert!(
            msg.contains("devices.json") && msg.contains("corrupt"),
            "{msg}"
        );
    }
    registry.add(&ids(&["d1"]), "s1", 1).unwrap_err();
    std::fs::remove_file(registry.path()).unwrap();
    registry.add(&ids(&["d1"]), "s1", 1).unwrap();
    let text = std::fs::read_to_string(registry.path()).unwrap();
    std::fs::write(
        registry.path(),
        text.replace("\"key\": \"", "\"key\": \"zz"),
    )
    .unwrap();
    let file = registry.load().unwrap();
    let err = DeviceBook::from_file(&file, &registry.path()).unwrap_err();
    assert!(err.to_string().contains("devices.json"), "{err}");
}
