//! A device's authenticated status as the pool's fleet table takes it.
//!
//! Unknowns: an `epoch` of 0 (no journal yet) and an empty `app_version`
//! are "not said" (`None`), so the table keeps what it knew. A last will
//! is built when its connection is attempted (WIRE.md §3.8: its
//! `device_time_ms` equals its `session_ms`), so its acknowledged seq and
//! signal are as old as the connection; the heartbeats since said better,
//! and the will leaves them be. Its epoch and version hold for the whole
//! connection and are taken.

use hub_core::fleet::Heartbeat;
use protocol::{DeviceState, Status};

/// The heartbeat (or last will) a status carries.
pub fn heartbeat_of(status: &Status) -> Heartbeat {
    let online = status.state == DeviceState::Online;
    let will = !online && status.device_time_ms == status.session_ms;
    let epoch = (status.epoch != 0).then_some(status.epoch);
    Heartbeat {
        device: status.device.clone(),
        online,
        backlog: status.backlog,
        battery_pct: status.battery_pct,
        device_time_ms: status.device_time_ms,
        version: (!status.app_version.is_empty()).then(|| status.app_version.clone()),
        signal_dbm: status.signal_dbm.filter(|_| !will),
        epoch,
        acked_seq: epoch.filter(|_| !will).map(|_| status.acked_seq),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(state: DeviceState, session_ms: u64, device_time_ms: u64) -> Status {
        Status {
            site: "s1".into(),
            device: "d1".into(),
            session_ms,
            state,
            backlog: 4,
            battery_pct: Some(55),
            device_time_ms,
            epoch: 0xabc,
            acked_seq: 40,
            app_version: "1.4.2".into(),
            signal_dbm: Some(-61),
            auth_tag: None,
        }
    }

    #[test]
    fn a_heartbeat_carries_every_fleet_field() {
        let beat = heartbeat_of(&status(DeviceState::Online, 10, 20));
        assert!(beat.online);
        assert_eq!((beat.backlog, beat.battery_pct), (4, Some(55)));
        assert_eq!(beat.version.as_deref(), Some("1.4.2"));
        assert_eq!((beat.epoch, beat.acked_seq), (Some(0xabc), Some(40)));
        assert_eq!((beat.signal_dbm, beat.device_time_ms), (Some(-61), 20));
        let goodbye = heartbeat_of(&status(DeviceState::Offline, 10, 30));
        assert_eq!(
            (goodbye.acked_seq, goodbye.signal_dbm),
            (Some(40), Some(-61))
        );
    }

    #[test]
    fn unknowns_and_a_last_wills_old_news_are_not_said() {
        let fresh = Status {
            epoch: 0,
            app_version: String::new(),
            signal_dbm: None,
            ..status(DeviceState::Online, 10, 20)
        };
        let beat = heartbeat_of(&fresh);
        assert_eq!(
            (beat.epoch, beat.acked_seq, beat.version),
            (None, None, None)
        );
        assert_eq!(beat.signal_dbm, None);
        let will = heartbeat_of(&status(DeviceState::Offline, 10, 10));
        assert!(!will.online);
        assert_eq!(
            (will.epoch, will.version.as_deref()),
            (Some(0xabc), Some("1.4.2"))
        );
        assert_eq!((will.acked_seq, will.signal_dbm), (None, None));
    }
}
