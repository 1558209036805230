//! Signed status frames (heartbeats, the clean Offline, the last will).
//!
//! Why stamps: a status is signed, but anyone who can read the device's
//! status topic can replay it. The hub orders statuses by
//! ([`Status::session_ms`], `device_time_ms`) and ignores the old ones, so
//! every connection attempt starts a new session larger than the last, and
//! every status of a session carries a device time larger than the one
//! before (even if the wall clock steps back while the process runs). The
//! last will of a connection is built before it connects, with the
//! session's own stamp as its time; see protocol/WIRE.md §3.6.
//!
//! Every status also says what the fleet view needs (§3.6): the journal's
//! epoch and acknowledged watermark, battery, signal and this agent's
//! version ([`APP_VERSION`]). The last will carries what is known when
//! the connection is attempted, with backlog 0 and no battery (§3.8).

use super::health::Health;
use protocol::{encode_signed_status, DeviceKey, DeviceState, Status};
use std::sync::{Arc, Mutex};

/// The version every status reports: this crate's.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Default)]
struct Stamps {
    session: u64,
    last: u64,
}

/// Builds this device's signed status frames; clones share the stamps.
#[derive(Debug, Clone)]
pub(super) struct StatusSigner {
    site: String,
    device: String,
    key: DeviceKey,
    stamps: Arc<Mutex<Stamps>>,
}

impl StatusSigner {
    pub(super) fn new(site: &str, device: &str, key: &DeviceKey) -> StatusSigner {
        StatusSigner {
            site: site.to_string(),
            device: device.to_string(),
            key: key.clone(),
            stamps: Arc::default(),
        }
    }

    /// Starts a new session and returns its last will (Offline, backlog 0,
    /// no battery; epoch, watermark and signal from `health`). Call it
    /// before every connection attempt.
    pub(super) fn new_session_will(&self, now_ms: u64, health: &Health) -> Vec<u8> {
        let session = {
            let mut stamps = self.lock();
            stamps.session = now_ms.max(stamps.last + 1);
            stamps.last = stamps.session;
            stamps.session
        };
        let will = Health {
            backlog: 0,
            battery_pct: None,
            ..*health
        };
        self.encode(session, session, DeviceState::Offline, &will)
    }

    /// A status of the current session, stamped after every earlier one.
    pub(super) fn frame(&self, now_ms: u64, state: DeviceState, health: &Health) -> Vec<u8> {
        let (session, time) = {
            let mut stamps = self.lock();
            stamps.last = now_ms.max(stamps.last + 1);
            (stamps.session, stamps.last)
        };
        self.encode(session, time, state, health)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Stamps> {
        // The critical sections above cannot panic; recover the data anyway.
        self.stamps.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn encode(
        &self,
        session_ms: u64,
        device_time_ms: u64,
        state: DeviceState,
        h: &Health,
    ) -> Vec<u8> {
        let status = Status {
            site: self.site.clone(),
            device: self.device.clone(),
            session_ms,
            state,
            backlog: h.backlog,
            battery_pct: h.battery_pct,
            device_time_ms,
            epoch: h.epoch,
            acked_seq: h.acked_seq,
            app_version: APP_VERSION.to_string(),
            signal_dbm: h.signal_dbm,
            auth_tag: None,
        };
        encode_signed_status(&self.key, &status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{decode, verify_frame, Message};

    fn open(frame: &[u8]) -> Status {
        let key = DeviceKey::from_bytes([7; 32]);
        assert_eq!(verify_frame(&key, frame), Ok(()));
        match decode(frame) {
            Ok(Message::Status(s)) => s,
            other => panic!("not a status: {other:?}"),
        }
    }

    fn health(backlog: u64, battery_pct: Option<u8>) -> Health {
        Health {
            backlog,
            battery_pct,
            epoch: 0xfeed,
            acked_seq: 41,
            signal_dbm: Some(-63),
        }
    }

    #[test]
    fn sessions_and_times_only_grow_even_when_the_clock_steps_back() {
        let signer = StatusSigner::new("s1", "d1", &DeviceKey::from_bytes([7; 32]));
        let will_1 = open(&signer.new_session_will(1_000, &health(5, Some(9))));
        assert_eq!((will_1.session_ms, will_1.device_time_ms), (1_000, 1_000));
        assert_eq!(will_1.state, DeviceState::Offline);
        let beat = open(&signer.frame(900, DeviceState::Online, &health(3, Some(50))));
        assert_eq!((beat.session_ms, beat.device_time_ms), (1_000, 1_001));
        let beat_2 = open(&signer.frame(5_000, DeviceState::Online, &health(0, None)));
        assert_eq!(beat_2.device_time_ms, 5_000);
        let will_2 = open(&signer.new_session_will(4_000, &health(0, None)));
        assert_eq!(will_2.session_ms, 5_001, "a later session, clock or not");
        let beat_3 = open(&signer.frame(4_000, DeviceState::Online, &health(0, None)));
        assert!(beat_3.session_ms == 5_001 && beat_3.device_time_ms > 5_001);
    }

    #[test]
    fn statuses_and_wills_carry_the_fleet_fields() {
        let signer = StatusSigner::new("s1", "d1", &DeviceKey::from_bytes([7; 32]));
        let will = open(&signer.new_session_will(1_000, &health(5, Some(9))));
        assert_eq!(
            (will.backlog, will.battery_pct),
            (0, None),
            "a will says 0, no battery"
        );
        assert_eq!((will.epoch, will.acked_seq), (0xfeed, 41));
        assert_eq!(
            (will.app_version.as_str(), will.signal_dbm),
            (APP_VERSION, Some(-63))
        );
        let beat = open(&signer.frame(2_000, DeviceState::Online, &health(3, Some(50))));
        assert_eq!((beat.backlog, beat.battery_pct), (3, Some(50)));
        assert_eq!(
            (beat.epoch, beat.acked_seq, beat.signal_dbm),
            (0xfeed, 41, Some(-63))
        );
        assert_eq!(beat.app_version, APP_VERSION);
        assert_eq!(
            beat.validate(),
            Ok(()),
            "the agent's version is a valid one"
        );
        assert_eq!(will.validate(), Ok(()));
    }
}
