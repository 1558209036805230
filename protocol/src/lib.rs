//! The wire contract between handheld agents, the sync hub and printer
//! stations.
//!
//! This crate is deliberately free of tokio, sled and MQTT: it is plain data,
//! a codec and rules, so that every side (and a client in another language,
//! via `WIRE.md`) agrees on the bytes without sharing a runtime.
//!
//! * [`message`]: the messages (event batches, movements, acks, status).
//! * [`codec`]: framing (`version byte + postcard body`) and typed decode errors.
//! * [`validate`]: the rules a well-formed but impossible message breaks.
//! * [`topic`]: building and parsing the MQTT topics of the contract.
//! * [`barcode`]: what a scanner reads (GS1, EAN/UPC, our rack labels), parsed.

pub mod barcode;
pub mod codec;
pub mod message;
pub mod topic;
pub mod validate;

pub use barcode::{parse_read, AimId, BarcodeError, Expiry, Gs1, ScannedCode};
pub use codec::{decode, encode, DecodeError, PROTOCOL_VERSION};
pub use message::{Ack, DeviceState, EventBatch, Message, Movement, MovementKind, Status};
pub use topic::{Topic, TopicError, TopicKind};
pub use validate::{ValidationError, MAX_BATCH_MOVEMENTS, MAX_ID_LEN, MAX_QUANTITY};
