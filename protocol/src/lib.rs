//! The wire contract between handheld agents, the sync hub and printer
//! stations.
//!
//! This crate is deliberately free of tokio, sled and MQTT: it is plain data,
//! a codec, rules, the batch tag and the sealed envelope, so that every side (and a client in another language,
//! via `WIRE.md`) agrees on the bytes without sharing a runtime.
//!
//! * [`message`]: the messages (event batches, movements, acks, status,
//!   task lists and their acks, label jobs and reports).
//! * [`label`]: label jobs for printer stations and their reports.
//! * [`task_ref`]: how a movement names the task line it fulfils.
//! * [`codec`]: framing (`version byte + postcard body`) and typed decode errors.
//! * [`validate`]: the rules a well-formed but impossible message breaks.
//! * [`topic`]: building and parsing the MQTT topics of the contract.
//! * [`auth`]: the HMAC-SHA256 tag that proves which device made a batch.
//! * [`credentials`]: the credentials file `hub device add` writes for agents.
//! * [`sealed`]: the AEAD envelope every hub-to-device frame travels in, and
//!   [`replay`]: the rule that refuses a replayed one.
//! * [`sites`]: what hubs of several sites tell each other through one
//!   broker (who owns a site, each site's available stock).
//! * [`barcode`]: what a scanner reads (GS1, EAN/UPC, our rack labels), parsed.

pub mod auth;
pub mod barcode;
pub mod calendar;
pub mod codec;
pub mod credentials;
pub mod label;
pub mod message;
pub mod replay;
pub mod return_ref;
pub mod sealed;
pub mod sites;
pub mod task_ref;
pub mod topic;
pub mod validate;

pub use auth::{
    encode_signed, encode_signed_label_report, encode_signed_status, encode_signed_task_ack,
    sign_batch, verify_frame, AuthError, DeviceKey, KeyError,
};
pub use barcode::{parse_read, AimId, BarcodeError, Expiry, Gs1, ScannedCode};
pub use codec::{decode, encode, DecodeError, PROTOCOL_VERSION};
pub use credentials::{CredentialsFile, DeviceCredentials};
pub use message::{
    Ack, DeviceState, EventBatch, JobOutcome, JobResult, LabelJob, LabelReport, Message, Movement,
    MovementKind, Status, TaskAck, TaskEntry, TaskKind, TaskLine, TaskList, QUARANTINE_PREFIX,
};
pub use return_ref::{ReturnReason, ReturnRef, ReturnRefError};
pub use sealed::{
    FrameCounter, Opened, Recipient, ReplayGuard, SealError, SealKey, SealedHeader, SEALED_VERSION,
};
pub use task_ref::{TaskRef, TaskRefError};
pub use topic::{Topic, TopicError, TopicKind};
pub use validate::{
    ValidationError, MAX_APP_VERSION_LEN, MAX_BATCH_MOVEMENTS, MAX_ID_LEN, MAX_LIST_LINES,
    MAX_LIST_TASKS, MAX_QUANTITY, MAX_REMARKS_CHARS, MAX_TASK_LINES, SIGNAL_DBM_RANGE,
};
