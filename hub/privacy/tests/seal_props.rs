//! Property tests: sealing round-trips any string, and breaks on any change.
//!
//! Why properties: personal data arrives from many platforms in any script
//! and any length; examples cannot cover what a generator can.

use hub_privacy::{mask_name, mask_phone, mask_street, DataKey, MasterKey, Sealed};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn seal_open_round_trips_any_string(value in any::<String>(), context in "\\PC{0,40}") {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal(&value, &context).unwrap();
        prop_assert_eq!(key.open(&sealed, &context).unwrap(), value.clone());
        let back = Sealed::from_bytes(&sealed.to_bytes()).unwrap();
        prop_assert_eq!(key.open(&back, &context).unwrap(), value);
    }

    #[test]
    fn round_trip_through_a_wrapped_key(value in "\\PC{0,64}", id in "[a-z0-9-]{1,20}") {
        let master = MasterKey::generate().unwrap();
        let key = DataKey::generate().unwrap();
        let wrapped = master.wrap(&key, &id).unwrap();
        let sealed = key.seal(&value, "order:1/name").unwrap();
        let unwrapped = master.unwrap(&wrapped, &id).unwrap();
        prop_assert_eq!(unwrapped.open(&sealed, "order:1/name").unwrap(), value);
    }

    #[test]
    fn any_flipped_bit_is_detected(value in "\\PC{0,32}", at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let key = DataKey::generate().unwrap();
        let mut bytes = key.seal(&value, "c").unwrap().to_bytes();
        let i = at.index(bytes.len());
        bytes[i] ^= 1 << bit;
        let opened = Sealed::from_bytes(&bytes).and_then(|s| key.open(&s, "c"));
        prop_assert!(opened.is_err());
    }

    #[test]
    fn masks_are_total_and_never_show_the_value_whole(value in "\\PC{0,30}") {
        // A value holding stars may mask to itself ("x*" as a name): only
        // values without any are checked for being shown whole.
        let has_stars = value.contains('*');
        for masked in [mask_phone(&value), mask_name(&value), mask_street(&value)] {
            let trimmed = value.trim();
            prop_assert!(masked.is_empty() == trimmed.is_empty());
            if !has_stars && !trimmed.is_empty() {
                prop_assert_ne!(masked.as_str(), trimmed);
            }
        }
    }
}
