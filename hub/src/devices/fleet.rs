//! The live view of devices: last heartbeat and whether the device is
//! online. In memory only: the broker and the hub's memory hold nothing
//! that matters; watermarks live in the store.
//!
//! Only authenticated statuses reach here (see [`crate::writer::intake`]), but an
//! authentic status can still be old: anyone who can read a device's status
//! topic can replay what it sent. [`Ordering`] decides, from the status
//! itself and what is held, whether it is newer; an old one is ignored and
//! counted, so a replayed heartbeat or last will cannot mark a working
//! device offline (or a gone one online).

use protocol::{DeviceState, Status};
use std::collections::HashMap;
use std::sync::Mutex;

/// Last status heard from one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// Online or offline (last will).
    pub state: DeviceState,
    /// Backlog the device reported.
    pub backlog: u64,
    /// Battery, if known.
    pub battery_pct: Option<u8>,
    /// Hub time the status arrived, ms since the epoch.
    pub seen_ms: u64,
    /// The device's connection the status belongs to ([`Status::session_ms`]).
    pub session_ms: u64,
    /// The device's clock when it sent the status.
    pub device_time_ms: u64,
}

/// Whether a status is newer than the presence held for its device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    /// Newer: recorded.
    Newer,
    /// Not newer (a replay, or a heartbeat overtaken on the way): ignored.
    Stale,
}

/// The ordering rule. A later connection always wins. Within one
/// connection, heartbeats must move the device clock forward, and the
/// connection's last will (Offline) ends it: after it, nothing more of
/// that connection is taken. A replay of an old connection's last will, or
/// of any heartbeat already seen, is therefore stale.
pub fn order(held: Option<&Presence>, status: &Status) -> Ordering {
    let Some(held) = held else {
        return Ordering::Newer;
    };
    let newer = match status.session_ms.cmp(&held.session_ms) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => {
            held.state == DeviceState::Online
                && (status.state == DeviceState::Offline
                    || status.device_time_ms > held.device_time_ms)
        }
    };
    if newer {
        Ordering::Newer
    } else {
        Ordering::Stale
    }
}

/// Presence of every device heard from since the hub started.
#[derive(Debug, Default)]
pub struct Fleet {
    devices: Mutex<HashMap<String, Presence>>,
    /// The work-queue version each device last said it holds (its signed
    /// task acks), so an operator sees who has their current queue.
    queues_held: Mutex<HashMap<String, u64>>,
}

impl Fleet {
    /// Records an authenticated status if it is newer than what is held.
    /// The lock is never held across an await.
    pub fn record(&self, status: &Status, now_ms: u64) -> Ordering {
        let Ok(mut devices) = self.devices.lock() else {
            return Ordering::Stale;
        };
        let ordering = order(devices.get(&status.device), status);
        if ordering == Ordering::Newer {
            let presence = Presence {
                state: status.state,
                backlog: status.backlog,
                battery_pct: status.battery_pct,
                seen_ms: now_ms,
                session_ms: status.session_ms,
                device_time_ms: status.device_time_ms,
            };
            devices.insert(status.device.clone(), presence);
        }
        ordering
    }

    /// The presence of one device, if heard from.
    pub fn get(&self, device: &str) -> Option<Presence> {
        self.devices.lock().ok()?.get(device).cloned()
    }

    /// Every device heard from.
    pub fn all(&self) -> HashMap<String, Presence> {
        self.devices.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// Records an authenticated task ack: `device` holds queue `version`.
    pub fn queue_held(&self, device: &str, version: u64) {
        if let Ok(mut held) = self.queues_held.lock() {
            held.insert(device.to_string(), version);
        }
    }

    /// The queue version each device last said it holds.
    pub fn queues_held(&self) -> HashMap<String, u64> {
        self.queues_held
            .lock()
            .map(|d| d.clone())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeviceState::{Offline, Online};

    fn status(session_ms: u64, device_time_ms: u64, state: DeviceState) -> Status {
        Status {
            site: "s1".into(),
            device: "d1".into(),
            session_ms,
            state,
            backlog: 0,
            battery_pct: None,
            device_time_ms,
            epoch: 1,
            acked_seq: 0,
            app_version: "test".into(),
            signal_dbm: None,
            auth_tag: None,
        }
    }

    /// Feeds statuses in order; returns the orderings and the final state.
    fn feed(statuses: &[Status]) -> (Vec<Ordering>, Option<DeviceState>) {
        let fleet = Fleet::default();
        let orders = statuses.iter().map(|s| fleet.record(s, 0)).collect();
        (orders, fleet.get("d1").map(|p| p.state))
    }

    #[test]
    fn a_replayed_last_will_of_an_earlier_connection_is_stale() {
        let will_1 = status(100, 100, Offline);
        let (orders, state) = feed(&[
            status(100, 150, Online),
            will_1.clone(),
            status(500, 510, Online),
            will_1,
        ]);
        use Ordering::*;
        assert_eq!(orders, vec![Newer, Newer, Newer, Stale]);
        assert_eq!(state, Some(Online));
    }

    #[test]
    fn a_replayed_heartbeat_does_not_revive_a_gone_device() {
        let beat = status(100, 150, Online);
        let (orders, state) = feed(&[beat.clone(), status(100, 100, Offline), beat]);
        assert_eq!(orders[2], Ordering::Stale);
        assert_eq!(state, Some(Offline));
    }

    #[test]
    fn heartbeats_of_one_connection_must_move_forward() {
        use Ordering::*;
        let (orders, _) = feed(&[
            status(100, 150, Online),
            status(100, 150, Online),
            status(100, 140, Online),
            status(100, 160, Online),
        ]);
        assert_eq!(orders, vec![Newer, Stale, Stale, Newer]);
    }

    #[test]
    fn the_last_will_ends_its_connection_once() {
        use Ordering::*;
        let will = status(100, 100, Offline);
        let (orders, _) = feed(&[status(100, 150, Online), will.clone(), will]);
        assert_eq!(orders, vec![Newer, Newer, Stale]);
    }

    #[test]
    fn the_first_status_heard_is_taken() {
        assert_eq!(feed(&[status(7, 7, Offline)]).0, vec![Ordering::Newer]);
    }
}
