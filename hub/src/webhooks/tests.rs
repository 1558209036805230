//! The registration rules, the signature and the store.

use super::store::{DeadLetter, HookStore};
use super::*;

fn registration(url: &str) -> Registration {
    Registration {
        url: url.into(),
        events: None,
        secret: None,
        max_attempts: None,
    }
}

#[test]
fn only_plain_http_urls_with_a_host_are_taken() {
    for good in [
        "http://127.0.0.1:8080/hooks",
        "http://shop.example/wms?token=abc",
        "HTTP://shop.example",
    ] {
        assert!(check_url(good).is_ok(), "{good}");
    }
    let long = format!("http://a.example/{}", "x".repeat(MAX_URL));
    for (bad, says) in [
        ("ftp://a.example/x", "http://"),
        ("https://a.example/x", "TLS"),
        ("a.example/x", "http://"),
        ("http://", "http://host"),
        ("http://user:pw@a.example/", "password"),
        ("http://a.example/a b", "spaces"),
        ("", "characters"),
        (long.as_str(), "characters"),
    ] {
        let error = check_url(bad).expect_err(bad).to_string();
        assert!(error.contains(says), "{bad}: {error}");
    }
}

#[test]
fn a_registration_is_checked_and_gets_a_secret() {
    let hook = hook_of(registration("http://a.example/h"), 5).expect("taken");
    assert!(hook.secret.starts_with("whsec_") && hook.secret.len() == 70);
    assert_eq!(
        (hook.max_attempts, hook.created_ms),
        (DEFAULT_MAX_ATTEMPTS, 5)
    );
    assert!(hook.wants("stock") && hook.wants("task"));
    let other = hook_of(registration("http://a.example/h"), 5).expect("taken");
    assert_ne!(hook.secret, other.secret, "each secret is fresh");

    let mut r = registration("http://a.example/h");
    r.events = Some(vec!["stock".into(), "order".into(), "stock".into()]);
    r.secret = Some("a-secret-of-20-chars".into());
    let hook = hook_of(r, 0).expect("taken");
    assert_eq!(hook.events, ["order", "stock"]);
    assert!(hook.wants("order") && !hook.wants("alert"));
    assert_eq!(hook.secret, "a-secret-of-20-chars");

    let mut r = registration("http://a.example/h");
    r.events = Some(vec!["stocks".into()]);
    assert!(matches!(hook_of(r, 0), Err(HookError::BadEvent(_))));
    let mut r = registration("http://a.example/h");
    r.secret = Some("short".into());
    assert!(matches!(hook_of(r, 0), Err(HookError::BadSecret)));
    for n in [0, MOST_ATTEMPTS + 1] {
        let mut r = registration("http://a.example/h");
        r.max_attempts = Some(n);
        assert!(matches!(hook_of(r, 0), Err(HookError::BadAttempts(_))));
    }
}

#[test]
fn the_signature_is_hmac_sha256_in_lower_case_hex() {
    // RFC 4231, test case 2.
    let sig = signature("Jefe", b"what do ya want for nothing?");
    assert_eq!(
        sig,
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn the_store_keeps_hooks_cursors_and_dead_letters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = crate::store::Store::open(dir.path()).expect("open");
    let hooks = HookStore::open(&store).expect("tree");
    let a = hooks
        .add(hook_of(registration("http://a.example/"), 1).expect("a"), 7)
        .expect("add");
    let b = hooks
        .add(hook_of(registration("http://b.example/"), 1).expect("b"), 9)
        .expect("add");
    assert_eq!((a.id, b.id), (1, 2));
    assert_eq!(hooks.cursor(a.id).expect("cursor"), 7);
    hooks.set_cursor(a.id, 8).expect("set");
    let letter = DeadLetter {
        event_id: 9,
        event: "stock".into(),
        at_ms: 3,
        data: "{}".into(),
        attempts: 2,
        last_error: "HTTP 500".into(),
        failed_ms: 4,
    };
    hooks.add_dead_letter(a.id, &letter).expect("letter");
    assert_eq!(hooks.cursor(a.id).expect("cursor"), 9, "moved past it");
    assert_eq!(hooks.dead_letters(a.id, 10).expect("list"), [letter]);
    assert_eq!(hooks.dead_letters(b.id, 10).expect("list"), []);
    assert!(hooks.remove(a.id).expect("remove"));
    assert!(!hooks.remove(a.id).expect("again"));
    assert_eq!(hooks.dead_letter_count(a.id), 0);
    hooks.set_cursor(a.id, 20).expect("no-op");
    assert_eq!(
        hooks.cursor(a.id).expect("cursor"),
        0,
        "no cursor for a removed hook"
    );
    drop((hooks, store));

    let store = crate::store::Store::open(dir.path()).expect("reopen");
    let hooks = HookStore::open(&store).expect("tree");
    let kept: Vec<u64> = hooks
        .hooks()
        .expect("hooks")
        .iter()
        .map(|(h, _)| h.id)
        .collect();
    assert_eq!(kept, [b.id]);
    let c = hooks
        .add(hook_of(registration("http://c.example/"), 1).expect("c"), 0)
        .expect("add");
    assert_eq!(c.id, 3, "ids are never given twice");
}
