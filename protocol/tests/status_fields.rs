//! The fleet-health fields of a status (epoch, acked seq, app version,
//! signal): validation refuses impossible values, and the tag covers them,
//! so none can be changed in transit (WIRE.md §3.6, §3.7, §4).

use protocol::{
    decode, encode, encode_signed_status, verify_frame, AuthError, DeviceKey, DeviceState, Message,
    Status, ValidationError,
};

fn status() -> Status {
    Status {
        site: "s1".into(),
        device: "d1".into(),
        session_ms: 1_699_999_995_000,
        state: DeviceState::Online,
        backlog: 3,
        battery_pct: Some(87),
        device_time_ms: 1_700_000_000_000,
        epoch: 0x0123_4567_89ab_cdef,
        acked_seq: 300,
        app_version: "1.4.2".into(),
        signal_dbm: Some(-67),
        auth_tag: None,
    }
}

#[test]
fn a_sane_status_is_valid_at_every_edge() {
    assert_eq!(status().validate(), Ok(()));
    for dbm in [None, Some(-150), Some(0)] {
        let s = Status {
            signal_dbm: dbm,
            ..status()
        };
        assert_eq!(s.validate(), Ok(()), "{dbm:?}");
    }
    for version in ["v", "0.1.0 (build 7)", &"x".repeat(32), "~!"] {
        let s = Status {
            app_version: version.into(),
            ..status()
        };
        assert_eq!(s.validate(), Ok(()), "{version:?}");
    }
    let unknown = Status {
        epoch: 0,
        acked_seq: 0,
        ..status()
    };
    assert_eq!(unknown.validate(), Ok(()), "epoch 0: no journal yet");
}

#[test]
fn a_bad_app_version_is_refused() {
    for version in [
        "",
        &"x".repeat(33),
        "1.0\n",
        "1.0\u{1b}[2J",
        "é1.0",
        "1\u{7f}",
    ] {
        let s = Status {
            app_version: version.into(),
            ..status()
        };
        assert!(
            matches!(s.validate(), Err(ValidationError::BadAppVersion { .. })),
            "{version:?} was not refused: {:?}",
            s.validate()
        );
    }
}

#[test]
fn a_signal_out_of_range_is_refused() {
    for dbm in [1, 85, i16::MAX, -151, i16::MIN] {
        let s = Status {
            signal_dbm: Some(dbm),
            ..status()
        };
        assert_eq!(s.validate(), Err(ValidationError::BadSignal(dbm)));
    }
}

/// Changes one new field of `signed` (decoded), re-encodes it with the old
/// tag kept, and returns what the hub's check says.
fn tampered(key: &DeviceKey, change: impl Fn(&mut Status)) -> Result<(), AuthError> {
    let frame = encode_signed_status(key, &status());
    let Ok(Message::Status(mut s)) = decode(&frame) else {
        panic!("the signed frame does not decode as a status");
    };
    assert!(s.auth_tag.is_some());
    change(&mut s);
    verify_frame(key, &encode(&Message::Status(s)))
}

/// A change made to a status after it was signed.
type Change = fn(&mut Status);

#[test]
fn the_tag_covers_every_new_field() {
    let key = DeviceKey::from_bytes([7; 32]);
    assert_eq!(tampered(&key, |_| {}), Ok(()), "untouched, it verifies");
    let changes: [(&str, Change); 5] = [
        ("epoch", |s| s.epoch += 1),
        ("acked_seq", |s| s.acked_seq = 299),
        ("app_version", |s| s.app_version = "1.4.3".into()),
        ("signal_dbm", |s| s.signal_dbm = Some(-40)),
        ("signal_dbm absent", |s| s.signal_dbm = None),
    ];
    for (field, change) in changes {
        assert_eq!(
            tampered(&key, change),
            Err(AuthError::BadTag),
            "{field} changed after signing, yet the tag still verifies"
        );
    }
}
