//! The messages carried on the wire.
//!
//! Field order is the wire order (postcard encodes struct fields in
//! declaration order and enum variants by their index), so fields and
//! variants may only ever be appended, never reordered. `WIRE.md` documents
//! each field and its test vectors are checked against this code.

pub use crate::label::{JobOutcome, JobResult, LabelJob, LabelReport};
use serde::{Deserialize, Serialize};

/// Everything that travels on a topic of the contract.
///
/// Variant indexes are part of the wire format, and postcard numbers
/// variants by declaration order, so new ones are only ever appended.
/// A decoder that does not know an index rejects the frame as
/// [`crate::DecodeError::Malformed`]; it never guesses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// Device -> hub on `wms/{site}/dev/{device}/events`.
    Batch(EventBatch),
    /// Hub -> device on `wms/{site}/dev/{device}/ack`, always sealed.
    Ack(Ack),
    /// Device -> hub on `wms/{site}/dev/{device}/status` (heartbeat and last will).
    Status(Status),
    /// Hub -> device on `wms/{site}/dev/{device}/tasks`, always sealed: the
    /// device's whole work queue at a version.
    TaskList(TaskList),
    /// Hub -> printer station on `wms/{site}/printer/{station}/jobs`,
    /// always sealed: one label to print.
    LabelJob(LabelJob),
    /// Printer station -> hub on `wms/{site}/printer/{station}/done`,
    /// signed: what became of its jobs.
    LabelReport(LabelReport),
    /// Device -> hub on `wms/{site}/dev/{device}/taskack`, signed: the
    /// device stored the queue of this version.
    TaskAck(TaskAck),
}

/// A run of consecutive movements journaled by one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBatch {
    /// Site (warehouse) id; must match the topic's site segment.
    pub site: String,
    /// Device id; must match the topic's device segment.
    pub device: String,
    /// The journal epoch the movements were recorded in: a random non-zero
    /// number drawn when the device's journal was created. Sequence numbers
    /// start at 1 in each epoch, so a wiped or replaced journal is told
    /// apart from a resend of the old one.
    pub epoch: u64,
    /// Sequence number of the first movement; the rest follow one by one.
    pub first_seq: u64,
    /// The movements, in journal order; `movements[i].seq == first_seq + i`.
    pub movements: Vec<Movement>,
    /// HMAC-SHA256 over every frame byte before this field (version byte
    /// included), made with the device's key. Always last in the frame, so
    /// the signed region is simply the frame minus its final 33 bytes.
    pub auth_tag: Option<[u8; 32]>,
}

/// One physical stock movement scanned on a handheld.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// Device-local sequence number, strictly increasing across restarts.
    pub seq: u64,
    /// What happened.
    pub kind: MovementKind,
    /// Stock keeping unit.
    pub sku: String,
    /// The location the movement happened at (the source for putaway/move).
    pub location: String,
    /// The destination location, for putaway and move only.
    pub to_location: Option<String>,
    /// Lot or batch number, if the goods carry one.
    pub lot: Option<String>,
    /// Quantity; its sign rules depend on `kind` (see [`MovementKind`]).
    pub quantity: i64,
    /// The device's wall clock when the scan was confirmed, ms since the Unix epoch.
    pub device_time_ms: u64,
    /// The task line (of a pick list or a count task) this scan fulfils,
    /// if any. Any id (see [`crate::validate::check_id`]); the hub reads
    /// the form [`crate::TaskRef`] (`"{task}:{line}"`) as a line of a
    /// [`TaskList`] it sent, and other ids as it always did.
    pub task: Option<String>,
}

/// Kinds of movement, with the quantity rule each obeys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MovementKind {
    /// Goods arrive at `location`; quantity > 0 adds to on-hand.
    Receive,
    /// Received goods are put away from `location` to `to_location`; quantity > 0.
    Putaway,
    /// Goods move between locations, `location` to `to_location`; quantity > 0.
    Move,
    /// Goods are picked from `location` for an order; quantity > 0 leaves on-hand.
    Pick,
    /// Picked goods are packed; quantity > 0; on-hand at locations is unchanged.
    Pack,
    /// A correction; quantity != 0, signed, added to on-hand.
    Adjust,
    /// A physical count; quantity >= 0 is the absolute on-hand found.
    Count,
    /// A parcel leaves at the dock: `sku` is the tracking number on its
    /// label (the barcode scanned), `location` the dock door, quantity 1;
    /// on-hand is unchanged (its units left at the pick). Its order
    /// becomes shipped.
    Ship,
    /// Returned goods arrive at `location` (the receiving desk's decision:
    /// a resaleable unit to a bin, a damaged one to a quarantine location,
    /// whose code starts with [`QUARANTINE_PREFIX`]); quantity > 0 adds to
    /// on-hand there. `task` names the order and the reason:
    /// `return:{order}:{reason}` ([`crate::ReturnRef`]).
    Return,
}

/// Locations whose code starts with this hold stock that is counted but
/// never available (damaged returns, goods on hold).
pub const QUARANTINE_PREFIX: &str = "QUAR";

impl MovementKind {
    /// Every kind, in wire order.
    pub const ALL: [MovementKind; 9] = [
        MovementKind::Receive,
        MovementKind::Putaway,
        MovementKind::Move,
        MovementKind::Pick,
        MovementKind::Pack,
        MovementKind::Adjust,
        MovementKind::Count,
        MovementKind::Ship,
        MovementKind::Return,
    ];

    /// The lowercase word used in scan lines, logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receive => "receive",
            MovementKind::Putaway => "putaway",
            MovementKind::Move => "move",
            MovementKind::Pick => "pick",
            MovementKind::Pack => "pack",
            MovementKind::Adjust => "adjust",
            MovementKind::Count => "count",
            MovementKind::Ship => "ship",
            MovementKind::Return => "return",
        }
    }

    /// Parses the lowercase word of [`MovementKind::as_str`].
    pub fn parse(word: &str) -> Option<MovementKind> {
        MovementKind::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// Whether this kind moves goods between two locations.
    pub fn needs_destination(self) -> bool {
        matches!(self, MovementKind::Putaway | MovementKind::Move)
    }
}

/// The hub's cumulative acknowledgement: every movement of `device` in
/// journal epoch `epoch` with a sequence number at or below `through_seq`
/// is durably applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    /// Site id.
    pub site: String,
    /// Device id.
    pub device: String,
    /// The journal epoch the ack is about (see [`EventBatch::epoch`]); a
    /// device acts only on acks for its current epoch.
    pub epoch: u64,
    /// Highest sequence number durably applied (0: none yet).
    pub through_seq: u64,
}

/// A device heartbeat; also used as the MQTT last will (state `Offline`).
/// Signed like a batch; the hub ignores one that is unsigned, fails its
/// tag, or is older than what it already holds (see `session_ms`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// Site id.
    pub site: String,
    /// Device id.
    pub device: String,
    /// The device's wall clock, ms since the Unix epoch, when the MQTT
    /// connection this status belongs to was opened: the same in every
    /// heartbeat of one connection and in that connection's last will, and
    /// larger for every later connection. It orders statuses so that a
    /// replayed old heartbeat or last will is recognised as old.
    pub session_ms: u64,
    /// Whether the device is up.
    pub state: DeviceState,
    /// Movements journaled but not yet acknowledged.
    pub backlog: u64,
    /// Battery charge in percent, if the device knows it.
    pub battery_pct: Option<u8>,
    /// The device's wall clock, ms since the Unix epoch. The hub works
    /// out the device's clock offset from it.
    pub device_time_ms: u64,
    /// The journal epoch the device is on ([`EventBatch::epoch`]); 0 if
    /// it has none yet.
    pub epoch: u64,
    /// The highest sequence number the hub acknowledged to the device in
    /// `epoch` (0: none yet).
    pub acked_seq: u64,
    /// The device software's version: 1 to 32 printable ASCII characters
    /// ([`crate::validate::MAX_APP_VERSION_LEN`]).
    pub app_version: String,
    /// Radio signal strength in dBm, if the device knows it (-150 to 0,
    /// [`crate::validate::SIGNAL_DBM_RANGE`]).
    pub signal_dbm: Option<i16>,
    /// HMAC-SHA256 under the device's key, exactly as for
    /// [`EventBatch::auth_tag`]: always last, over every byte before it.
    pub auth_tag: Option<[u8; 32]>,
}

/// Whether a device is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceState {
    /// Connected and working.
    Online,
    /// Gone (sent by the broker as the last will).
    Offline,
}

/// The hub's work queue for one device: every open task, in the order to
/// work it, at queue `version`. Always sent whole and sealed (kind 3); it
/// replaces whatever the device held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskList {
    /// Site id; must match the topic's site segment.
    pub site: String,
    /// Device id; must match the topic's device segment.
    pub device: String,
    /// The queue's version: grows with every change of the queue. A device
    /// stores the highest version it took and ignores a list whose version
    /// is not greater (a resend, a replay or one overtaken in transit).
    pub version: u64,
    /// The tasks, in the order to work them.
    pub tasks: Vec<TaskEntry>,
}

/// One task of a [`TaskList`]: a pick list or a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskEntry {
    /// The task id; with a line number, what a scan names ([`crate::TaskRef`]).
    pub task: u64,
    /// Pick or count.
    pub kind: TaskKind,
    /// The order the task serves, if it serves exactly one (None for a
    /// count and for a pick list that batches several orders; each line
    /// names its own in [`TaskLine::order`]).
    pub order: Option<u64>,
    /// Remarks to show the picker or packer (the buyer's note on the
    /// order), at most 500 characters, no control characters.
    pub remarks: Option<String>,
    /// The lines, in walking order.
    pub lines: Vec<TaskLine>,
}

/// One line of a task: one SKU at one location (and lot).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskLine {
    /// The line's number within its task; with the task id, its identity
    /// for life.
    pub line: u32,
    /// Stock keeping unit.
    pub sku: String,
    /// Where to pick or count.
    pub location: String,
    /// The suggested lot (FEFO), if the goods carry one.
    pub lot: Option<String>,
    /// Units to pick (1 to 1 000 000); 0 for a count: "count it".
    pub quantity: i64,
    /// Units the hub has already seen done on this line (0 to `quantity`).
    pub done: i64,
    /// The order this line fills (None for a count), so a picker with
    /// several orders on one walk knows which tote it goes in.
    pub order: Option<u64>,
}

/// What a task asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaskKind {
    /// Pick each line's quantity from its location.
    Pick,
    /// Count what is at each line's location (the movement is a `Count`).
    Count,
}

impl TaskKind {
    /// The lowercase word used in logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Pick => "pick",
            TaskKind::Count => "count",
        }
    }
}

/// The device's answer to a [`TaskList`]: it stored the queue of
/// `version`. Signed like a batch; the hub ignores one without a good tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskAck {
    /// Site id; must match the topic's site segment.
    pub site: String,
    /// Device id; must match the topic's device segment.
    pub device: String,
    /// The queue version the device now holds (durably).
    pub version: u64,
    /// HMAC-SHA256 under the device's key, exactly as for
    /// [`EventBatch::auth_tag`]: always last, over every byte before it.
    pub auth_tag: Option<[u8; 32]>,
}
