//! The live view of devices: last heartbeat and whether the device is
//! online. In memory only: the broker and the hub's memory hold nothing
//! that matters; watermarks live in the store.

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
}

/// Presence of every device heard from since the hub started.
#[derive(Debug, Default)]
pub struct Fleet {
    devices: Mutex<HashMap<String, Presence>>,
}

impl Fleet {
    /// Records a status. The lock is never held across an await.
    pub fn record(&self, status: &Status, now_ms: u64) {
        let presence = Presence {
            state: status.state,
            backlog: status.backlog,
            battery_pct: status.battery_pct,
            seen_ms: now_ms,
        };
        if let Ok(mut devices) = self.devices.lock() {
            devices.insert(status.device.clone(), presence);
        }
    }

    /// The presence of one device, if heard from.
    pub fn get(&self, device: &str) -> Option<Presence> {
        self.devices.lock().ok()?.get(device).cloned()
    }

    /// Every device heard from.
    pub fn all(&self) -> HashMap<String, Presence> {
        self.devices.lock().map(|d| d.clone()).unwrap_or_default()
    }
}
