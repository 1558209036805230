//! The batch the store's tests apply: one device's receives of one unit of
//! `S` at `A`, for seqs `seqs` of `epoch`.

use protocol::{EventBatch, Movement, MovementKind};

pub(crate) fn batch(device: &str, epoch: u64, seqs: std::ops::RangeInclusive<u64>) -> EventBatch {
    let movement = |seq| Movement {
        seq,
        kind: MovementKind::Receive,
        sku: "S".into(),
        location: "A".into(),
        to_location: None,
        lot: None,
        quantity: 1,
        device_time_ms: 0,
        task: None,
    };
    EventBatch {
        site: "s1".into(),
        device: device.into(),
        epoch,
        first_seq: *seqs.start(),
        movements: seqs.map(movement).collect(),
        auth_tag: None,
    }
}
