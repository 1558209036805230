//! The token file: tokens shown once and stored only hashed, names and
//! refusals, revocation, and the first-start operator token.

use super::*;
use crate::tokens::book::{Holder, TokenBook};
use std::os::unix::fs::PermissionsExt;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn book(registry: &TokenRegistry) -> TokenBook {
    TokenBook::from_file(&registry.load().unwrap(), registry).unwrap()
}

#[test]
fn create_shows_the_token_once_and_stores_only_a_salted_hash() {
    let dir = tempfile::tempdir().unwrap();
    let registry = TokenRegistry::new(dir.path());
    let a = registry.create("shop", Role::Integrator, 7).unwrap();
    let b = registry.create("grafana", Role::Viewer, 8).unwrap();
    assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_LEN, "{a}");
    assert_ne!(a, b);
    let text = std::fs::read_to_string(registry.path()).unwrap();
    assert!(
        !text.contains(&a[TOKEN_PREFIX.len()..]),
        "token stored in clear"
    );
    assert_eq!(mode(&registry.path()), 0o600);
    let file = registry.load().unwrap();
    assert_eq!(file.tokens[0].name, "shop");
    assert_eq!(file.tokens[0].created_ms, 7);
    // The same token in two data directories hashes differently (salted).
    assert_ne!(file.tokens[0].token_sha256, file.tokens[1].token_sha256);
    let book = book(&registry);
    let holder = |name: &str, role| {
        Some(Holder {
            name: name.into(),
            role,
        })
    };
    assert_eq!(book.holder(&a), holder("shop", Role::Integrator));
    assert_eq!(book.holder(&b), holder("grafana", Role::Viewer));
    let mut wrong = a.clone();
    wrong.replace_range(TOKEN_LEN - 1.., if a.ends_with('0') { "1" } else { "0" });
    for guess in [wrong.as_str(), "", "wms_", &a[..TOKEN_LEN - 1], "Bearer x"] {
        assert_eq!(book.holder(guess), None, "{guess:?}");
    }
}

#[test]
fn bad_names_duplicates_and_unknown_tokens_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let registry = TokenRegistry::new(dir.path());
    registry.create("shop", Role::Viewer, 1).unwrap();
    registry.revoke("shop", 2).unwrap();
    let cases: Vec<(Result<(), TokenError>, &str)> = vec![
        (
            registry.create("shop", Role::Operator, 3).map(drop),
            "a token named \"shop\" already exists",
        ),
        (registry.create("", Role::Viewer, 3).map(drop), "is empty"),
        (
            registry.create("a b", Role::Viewer, 3).map(drop),
            "has a space",
        ),
        (
            registry.create(&"n".repeat(65), Role::Viewer, 3).map(drop),
            "longer than 64",
        ),
        (registry.revoke("nope", 3), "no token named \"nope\""),
    ];
    for (result, expected) in cases {
        let msg = result.unwrap_err().to_string();
        assert!(msg.contains(expected), "{msg:?} !~ {expected:?}");
    }
    assert_eq!(registry.load().unwrap().tokens.len(), 1);
}

#[test]
fn a_revoked_token_leaves_the_book_and_keeps_its_first_date() {
    let dir = tempfile::tempdir().unwrap();
    let registry = TokenRegistry::new(dir.path());
    let token = registry.create("ops", Role::Operator, 1).unwrap();
    assert!(book(&registry).holder(&token).is_some());
    registry.revoke("ops", 5).unwrap();
    registry.revoke("ops", 9).unwrap();
    assert_eq!(book(&registry).holder(&token), None);
    assert_eq!(registry.load().unwrap().tokens[0].revoked_ms, Some(5));
}

#[test]
fn the_first_start_writes_one_operator_token_to_a_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let registry = TokenRegistry::new(&data);
    let path = registry.bootstrap(1).unwrap().expect("made on first start");
    assert_eq!(path, data.join(OPERATOR_TOKEN_FILE));
    assert_eq!(mode(&path), 0o600);
    let token = std::fs::read_to_string(&path).unwrap();
    let holder = book(&registry).holder(token.trim()).unwrap();
    assert_eq!(holder.role, Role::Operator);
    assert_eq!(holder.name, FIRST_TOKEN_NAME);
    // Later starts, even with every token revoked, make no other.
    assert_eq!(registry.bootstrap(2).unwrap(), None);
    registry.revoke(FIRST_TOKEN_NAME, 3).unwrap();
    assert_eq!(registry.bootstrap(4).unwrap(), None);
    assert_eq!(registry.load().unwrap().tokens.len(), 1);
}

#[test]
fn a_corrupt_token_file_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let registry = TokenRegistry::new(dir.path());
    std::fs::write(registry.path(), "{\"version\":1,\"tokens\":[{}]}").unwrap();
    let msg = registry.load().unwrap_err().to_string();
    assert!(
        msg.contains("token file") && msg.contains("is corrupt"),
        "{msg}"
    );
    assert!(registry.create("x", Role::Viewer, 1).is_err());
}
