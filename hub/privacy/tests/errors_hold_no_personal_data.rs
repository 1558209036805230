//! No error of this crate carries a personal value.
//!
//! Why: errors end up in logs, dead letters and HTTP answers; the issue
//! forbids personal data in all three. Every failing path that has a
//! personal value (or a context naming the record) at hand is driven here
//! and its `Display`, `Debug` and source chain searched for it.

use std::error::Error;

use hub_privacy::{DataKey, MasterKey, PrivacyError, Sealed, WrappedKey};

const NAME: &str = "张三丰";
const PHONE: &str = "13812345678";
const CUSTOMER: &str = "customer-secret-id";
const CONTEXT: &str = "order:987654/phone";

/// Everything an error could show: Display, Debug and all sources.
fn all_text(err: &PrivacyError) -> String {
    let mut text = format!("{err} {err:?}");
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(&format!(" {inner} {inner:?}"));
        source = inner.source();
    }
    text
}

fn assert_clean(err: &PrivacyError) {
    let text = all_text(err);
    for secret in [NAME, PHONE, "5678", CUSTOMER, "987654"] {
        assert!(!text.contains(secret), "{secret:?} in {text:?}");
    }
}

fn failures() -> Vec<PrivacyError> {
    let master = MasterKey::generate().unwrap();
    let key = DataKey::generate().unwrap();
    let other = DataKey::generate().unwrap();
    let sealed = key.seal(PHONE, CONTEXT).unwrap();
    let name = key.seal(NAME, CONTEXT).unwrap();
    let mut tampered = sealed.to_bytes();
    tampered[14] ^= 1;
    let tampered = Sealed::from_bytes(&tampered).unwrap();
    let wrapped = master.wrap(&key, CUSTOMER).unwrap();
    let mut v2 = sealed.to_bytes();
    v2[0] = 2;
    vec![
        other.open(&sealed, CONTEXT).unwrap_err(),
        other.open(&name, CONTEXT).unwrap_err(),
        key.open(&sealed, "order:987654/name").unwrap_err(),
        key.open(&tampered, CONTEXT).unwrap_err(),
        master.unwrap(&wrapped, "customer-secret-id-2").unwrap_err(),
        MasterKey::generate()
            .unwrap()
            .unwrap(&wrapped, CUSTOMER)
            .unwrap_err(),
        Sealed::from_bytes(&sealed.to_bytes()[..20]).unwrap_err(),
        Sealed::from_bytes(&v2).unwrap_err(),
        WrappedKey::from_bytes(PHONE.as_bytes()).unwrap_err(),
        MasterKey::from_env_value(PHONE).unwrap_err(),
        MasterKey::from_env_value(&format!("{PHONE}{NAME}")).unwrap_err(),
    ]
}

#[test]
fn no_failure_shows_the_value_the_customer_or_the_record() {
    let errors = failures();
    assert_eq!(errors.len(), 11);
    for err in &errors {
        assert_clean(err);
    }
}

#[test]
fn a_key_in_the_environment_is_never_echoed() {
    // One char short of a valid hex key: the error must not show it.
    let almost = "0123456789abcdef".repeat(4);
    let err = MasterKey::from_env_value(&almost[..63]).unwrap_err();
    assert!(!all_text(&err).contains(&almost[..16]), "{err}");
}

#[test]
fn debug_of_keys_shows_no_bytes() {
    let master = MasterKey::from_bytes(&[0xab; 32]);
    assert_eq!(format!("{master:?}"), "MasterKey(..)");
    let key = DataKey::generate().unwrap();
    assert_eq!(format!("{key:?}"), "DataKey(..)");
    let wrapped = master.wrap(&key, CUSTOMER).unwrap();
    assert_eq!(format!("{wrapped:?}"), "WrappedKey(61 bytes)");
}
