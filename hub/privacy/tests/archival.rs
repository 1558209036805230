//! Archiving a customer by destroying their data key (crypto-shredding).
//!
//! Why a test of its own: the promise "an archived customer's personal data
//! becomes unreadable" rests on three facts shown here: a value opens only
//! under the data key that sealed it; a data key comes back only from its
//! wrapped form, under the same master key and customer id; and so, once
//! the wrapped key is deleted, nothing the hub holds opens the values.

use std::collections::HashMap;

use hub_privacy::{DataKey, MasterKey, PrivacyError, Sealed, WrappedKey};

/// A toy store: wrapped keys by customer id, sealed values by context.
struct Store {
    keys: HashMap<String, WrappedKey>,
    values: HashMap<String, Sealed>,
}

fn store_one_customer(master: &MasterKey) -> Store {
    let key = DataKey::generate().unwrap();
    let mut values = HashMap::new();
    for (field, value) in [("name", "张三"), ("phone", "13812345678")] {
        let context = format!("order:123/{field}");
        values.insert(context.clone(), key.seal(value, &context).unwrap());
    }
    let mut keys = HashMap::new();
    keys.insert("c-1".to_owned(), master.wrap(&key, "c-1").unwrap());
    Store { keys, values }
}

#[test]
fn a_stored_customer_reads_back_through_the_wrapped_key() {
    let master = MasterKey::generate().unwrap();
    let store = store_one_customer(&master);
    let key = master.unwrap(&store.keys["c-1"], "c-1").unwrap();
    let name = key.open(&store.values["order:123/name"], "order:123/name");
    assert_eq!(name.unwrap(), "张三");
}

#[test]
fn after_the_wrapped_key_is_deleted_no_key_at_hand_opens_the_values() {
    let master = MasterKey::generate().unwrap();
    let mut store = store_one_customer(&master);
    // Archive: the caller deletes the wrapped key.
    store.keys.remove("c-1");
    assert!(!store.keys.contains_key("c-1"));
    // A new key for the same customer id (say they come back) opens nothing old.
    let fresh = DataKey::generate().unwrap();
    store
        .keys
        .insert("c-1".to_owned(), master.wrap(&fresh, "c-1").unwrap());
    let rewrapped = master.unwrap(&store.keys["c-1"], "c-1").unwrap();
    for (context, sealed) in &store.values {
        for key in [&fresh, &rewrapped, &DataKey::generate().unwrap()] {
            let err = key.open(sealed, context).unwrap_err();
            assert!(matches!(err, PrivacyError::Open), "{context}");
        }
    }
}

#[test]
fn a_wrapped_key_does_not_unwrap_for_another_customer_or_master() {
    let master = MasterKey::generate().unwrap();
    let store = store_one_customer(&master);
    let wrapped = &store.keys["c-1"];
    for id in ["c-2", "c-10", "", "C-1", "c-1 "] {
        let err = master.unwrap(wrapped, id).unwrap_err();
        assert!(matches!(err, PrivacyError::Unwrap), "{id:?}");
    }
    let other = MasterKey::generate().unwrap();
    assert!(matches!(
        other.unwrap(wrapped, "c-1"),
        Err(PrivacyError::Unwrap)
    ));
}

#[test]
fn a_value_sealed_for_one_customer_does_not_open_with_anothers_key() {
    let a = DataKey::generate().unwrap();
    let b = DataKey::generate().unwrap();
    let sealed = a.seal("13812345678", "order:1/phone").unwrap();
    assert!(matches!(
        b.open(&sealed, "order:1/phone"),
        Err(PrivacyError::Open)
    ));
}
