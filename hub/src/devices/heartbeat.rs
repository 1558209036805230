//! A device's authenticated status as the pool's fleet table takes it.

use hub_core::fleet::Heartbeat;
use protocol::{DeviceState, Status};

/// The heartbeat (or last will) a status carries.
pub fn heartbeat_of(status: &Status) -> Heartbeat {
    Heartbeat {
        device: status.device.clone(),
        online: status.state == DeviceState::Online,
        backlog: status.backlog,
        battery_pct: status.battery_pct,
        device_time_ms: status.device_time_ms,
        version: None,
        signal_dbm: None,
        epoch: None,
        acked_seq: None,
    }
}
