//! The sealed envelope: how every hub-to-device frame travels (promise 10).
//!
//! Why: the broker is not trusted. Anyone on it may read, drop, replay or
//! forge frames, and a forged ack used to make an agent trim confirmed
//! scans it had never sent. So the hub seals each frame for one recipient
//! with XChaCha20-Poly1305 under a key derived from that device's batch
//! key, and binds into the authenticated data everything a frame could be
//! moved across: protocol version, message kind, key version, the hub's
//! boot and frame counter, site, device and the topic it is published on.
//! A reader learns nothing; a frame for device A opens for nobody else and
//! on no other topic; a replayed frame is caught by [`ReplayGuard`].
//!
//! The plaintext is an ordinary version-1 frame ([`crate::encode`]), so
//! the messages themselves keep one definition. Layout, key derivation and
//! test vectors: `WIRE.md` §7. Plain data and functions, no I/O: the hub
//! supplies its boot number, counter and boot salt.

use crate::auth::DeviceKey;
use crate::codec::{decode, encode, DecodeError};
use crate::message::Message;
use crate::topic::{Topic, TopicKind};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use thiserror::Error;

pub use crate::replay::ReplayGuard;

/// The first byte of every sealed frame (a version-1 frame starts with `01`).
pub const SEALED_VERSION: u8 = 2;
/// The label the sealing key is derived with (hub-to-device direction).
pub const SEAL_KEY_LABEL: &[u8] = b"wms/seal/hub-to-device/v1";
/// Bytes of the Poly1305 tag at the end of a sealed frame.
pub const SEAL_TAG_LEN: usize = 16;
/// Bytes of the per-boot random salt in the nonce.
pub const BOOT_SALT_LEN: usize = 12;
/// Bytes of the fixed header before the site: version, kind, key version,
/// boot, counter, boot salt.
pub const FIXED_HEADER_LEN: usize = 1 + 1 + 4 + 4 + 8 + BOOT_SALT_LEN;

/// The key that seals frames for one device: HMAC-SHA256 of
/// [`SEAL_KEY_LABEL`] under the device's batch key, so it differs from the
/// signing key while needing no second secret. `Debug` hides it.
#[derive(Clone)]
pub struct SealKey(XChaCha20Poly1305);

impl SealKey {
    /// Derives the sealing key from a device's batch key.
    pub fn derive(device_key: &DeviceKey) -> SealKey {
        SealKey(<XChaCha20Poly1305 as KeyInit>::new(
            &derive_bytes(device_key).into(),
        ))
    }
}

/// The raw sealing-key bytes of `device_key` (for `WIRE.md`'s vectors and
/// other implementations' tests; [`SealKey::derive`] is what code uses).
pub fn derive_bytes(device_key: &DeviceKey) -> [u8; 32] {
    // HMAC takes keys of any length; 32 bytes can never be refused.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(device_key.as_bytes()) else {
        unreachable!("HMAC accepts every key length")
    };
    mac.update(SEAL_KEY_LABEL);
    mac.finalize().into_bytes().into()
}

impl fmt::Debug for SealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealKey(<secret>)")
    }
}

/// Where a sealed frame stands in the hub's sequence of frames: its boot
/// number, then its counter within that boot. Ordered that way, so one
/// comparison tells a newer frame from a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FrameCounter {
    /// The hub's boot number (persisted and raised at every start).
    pub boot: u32,
    /// Strictly increasing within one boot, from 1.
    pub counter: u64,
}

/// The clear part of a sealed frame, readable without the key (it is
/// authenticated, not secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedHeader {
    /// The sealed message's variant index (1 = `Ack`, 3 = `TaskList`, 4 = `LabelJob`).
    pub kind: u8,
    /// Which key of the device sealed it.
    pub key_version: u32,
    /// Boot and counter.
    pub at: FrameCounter,
    /// The random salt of the hub's boot (the rest of the nonce).
    pub boot_salt: [u8; BOOT_SALT_LEN],
    /// The recipient's site.
    pub site: String,
    /// The recipient device.
    pub device: String,
}

/// Who a frame is for and where it travels: the hub seals for it, the
/// device opens as it.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    /// Site id.
    pub site: &'a str,
    /// Device id.
    pub device: &'a str,
    /// The MQTT topic the frame is published on (received on).
    pub topic: &'a str,
    /// The version of the device key in use.
    pub key_version: u32,
}

/// A frame that opened: where it stands and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// Its boot and counter (give it to [`ReplayGuard::admit`]).
    pub at: FrameCounter,
    /// The message.
    pub message: Message,
}

/// Why a sealed frame was refused. Every refusal means: act on nothing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SealError {
    /// No bytes at all.
    #[error("empty frame")]
    Empty,
    /// The first byte is not [`SEALED_VERSION`] (a plain version-1 frame,
    /// such as a forged clear ack, lands here).
    #[error(
        "not a sealed frame: version byte {found}, sealed frames are version {SEALED_VERSION}"
    )]
    UnknownVersion {
        /// The version byte found.
        found: u8,
    },
    /// The frame ends inside the header or before a whole tag.
    #[error("truncated sealed frame")]
    Truncated,
    /// The header names another site or device than the receiver.
    #[error("sealed for another device ({site}/{device})")]
    WrongDevice {
        /// The site in the header (printable ids only reach here escaped).
        site: String,
        /// The device in the header.
        device: String,
    },
    /// The frame's kind does not belong on the topic it came on, or the
    /// topic is not the recipient's.
    #[error("a sealed frame of kind {kind} does not belong on this topic")]
    WrongTopic {
        /// The header's kind.
        kind: u8,
    },
    /// Sealed with another version of the device's key.
    #[error("sealed with key version {found}, this device holds key version {expected}")]
    KeyVersion {
        /// In the header.
        found: u32,
        /// The receiver's.
        expected: u32,
    },
    /// The tag does not verify: forged, altered, for another key or moved.
    #[error("the seal does not verify (forged, altered, or for another key or topic)")]
    BadMac,
    /// Authentic, but the plaintext is not one message of this version.
    #[error("sealed plaintext: {0}")]
    Plaintext(DecodeError),
    /// Authentic, but the message inside is not the kind the header says
    /// or is addressed to someone else.
    #[error("the sealed message does not match its header")]
    Mismatch,
    /// Authentic, but not newer than a frame already accepted.
    #[error("replayed frame (boot {} counter {}); already accepted boot {} counter {}",
        .at.boot, .at.counter, .highest.boot, .highest.counter)]
    Replayed {
        /// This frame's position.
        at: FrameCounter,
        /// The highest accepted so far.
        highest: FrameCounter,
    },
    /// A site, device or topic longer than 255 bytes cannot be sealed.
    #[error("an id or topic is longer than 255 bytes")]
    TooLong,
}

/// The `Message` variant index of `message` (its wire kind).
pub fn message_kind(message: &Message) -> u8 {
    match message {
        Message::Batch(_) => 0,
        Message::Ack(_) => 1,
        Message::Status(_) => 2,
        Message::TaskList(_) => 3,
        Message::LabelJob(_) => 4,
        Message::LabelReport(_) => 5,
        Message::TaskAck(_) => 6,
    }
}

/// The topic kind a sealed message of `kind` travels on (None: not a
/// hub-to-device kind). One kind, one topic: an ack opens only on the ack
/// topic, a task list only on the tasks topic.
fn topic_kind_of(kind: u8) -> Option<TopicKind> {
    match kind {
        1 => Some(TopicKind::Ack),
        3 => Some(TopicKind::Tasks),
        4 => Some(TopicKind::PrinterJobs),
        _ => None,
    }
}

/// The site and device a message is addressed to.
fn addressee(message: &Message) -> (&str, &str) {
    match message {
        Message::Batch(b) => (&b.site, &b.device),
        Message::Ack(a) => (&a.site, &a.device),
        Message::Status(s) => (&s.site, &s.device),
        Message::TaskList(t) => (&t.site, &t.device),
        Message::LabelJob(j) => (&j.site, &j.station),
        Message::LabelReport(r) => (&r.site, &r.station),
        Message::TaskAck(t) => (&t.site, &t.device),
    }
}

fn push_short(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), SealError> {
    let len = u8::try_from(bytes.len()).map_err(|_| SealError::TooLong)?;
    out.push(len);
    out.extend_from_slice(bytes);
    Ok(())
}

/// The header bytes for `header` (version byte first).
fn header_bytes(header: &SealedHeader) -> Result<Vec<u8>, SealError> {
    let mut out =
        Vec::with_capacity(FIXED_HEADER_LEN + 2 + header.site.len() + header.device.len());
    out.push(SEALED_VERSION);
    out.push(header.kind);
    out.extend_from_slice(&header.key_version.to_be_bytes());
    out.extend_from_slice(&header.at.boot.to_be_bytes());
    out.extend_from_slice(&header.at.counter.to_be_bytes());
    out.extend_from_slice(&header.boot_salt);
    push_short(&mut out, header.site.as_bytes())?;
    push_short(&mut out, header.device.as_bytes())?;
    Ok(out)
}

/// The associated data: the header, then the topic (length byte first).
fn aad(header: &[u8], topic: &str) -> Result<Vec<u8>, SealError> {
    let mut out = header.to_vec();
    push_short(&mut out, topic.as_bytes())?;
    Ok(out)
}

/// The 24-byte nonce: boot, counter and boot salt, as in the header.
fn nonce(header: &[u8]) -> XNonce {
    *XNonce::from_slice(&header[6..FIXED_HEADER_LEN])
}

/// Seals `message` for `to` at position `at` of the hub's boot with salt
/// `boot_salt`. The caller must never use one `(at, boot_salt)` twice with
/// one key: the hub raises `at.counter` for every frame it seals.
pub fn seal(
    key: &SealKey,
    to: &Recipient<'_>,
    at: FrameCounter,
    boot_salt: [u8; BOOT_SALT_LEN],
    message: &Message,
) -> Result<Vec<u8>, SealError> {
    let header = SealedHeader {
        kind: message_kind(message),
        key_version: to.key_version,
        at,
        boot_salt,
        site: to.site.to_string(),
        device: to.device.to_string(),
    };
    let mut frame = header_bytes(&header)?;
    let aad = aad(&frame, to.topic)?;
    let plain = encode(message);
    let payload = Payload {
        msg: &plain,
        aad: &aad,
    };
    // Encrypting fails only past 256 GiB of plaintext.
    let sealed = key
        .0
        .encrypt(&nonce(&frame), payload)
        .map_err(|_| SealError::TooLong)?;
    frame.extend_from_slice(&sealed);
    Ok(frame)
}

fn take_short<'a>(bytes: &'a [u8], at: &mut usize) -> Result<&'a [u8], SealError> {
    let len = usize::from(*bytes.get(*at).ok_or(SealError::Truncated)?);
    let start = *at + 1;
    let field = bytes.get(start..start + len).ok_or(SealError::Truncated)?;
    *at = start + len;
    Ok(field)
}

/// Reads the clear header of a sealed frame without the key; returns it
/// and the header's length in bytes. Nothing in it is trusted until
/// [`open`] verified the tag.
pub fn peek(frame: &[u8]) -> Result<(SealedHeader, usize), SealError> {
    let &version = frame.first().ok_or(SealError::Empty)?;
    if version != SEALED_VERSION {
        return Err(SealError::UnknownVersion { found: version });
    }
    let fixed = frame.get(..FIXED_HEADER_LEN).ok_or(SealError::Truncated)?;
    let be4 = |i: usize| u32::from_be_bytes([fixed[i], fixed[i + 1], fixed[i + 2], fixed[i + 3]]);
    let mut counter = [0u8; 8];
    counter.copy_from_slice(&fixed[10..18]);
    let mut boot_salt = [0u8; BOOT_SALT_LEN];
    boot_salt.copy_from_slice(&fixed[18..FIXED_HEADER_LEN]);
    let mut at = FIXED_HEADER_LEN;
    let site = take_short(frame, &mut at)?;
    let device = take_short(frame, &mut at)?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let header = SealedHeader {
        kind: fixed[1],
        key_version: be4(2),
        at: FrameCounter {
            boot: be4(6),
            counter: u64::from_be_bytes(counter),
        },
        boot_salt,
        site: text(site),
        device: text(device),
    };
    Ok((header, at))
}

/// Checks the clear header against the receiver before any decryption.
fn check_header(header: &SealedHeader, to: &Recipient<'_>) -> Result<(), SealError> {
    if header.site != to.site || header.device != to.device {
        return Err(SealError::WrongDevice {
            site: header.site.escape_debug().to_string(),
            device: header.device.escape_debug().to_string(),
        });
    }
    let wrong_topic = SealError::WrongTopic { kind: header.kind };
    let topic = Topic::parse(to.topic).map_err(|_| wrong_topic.clone())?;
    let expected = topic_kind_of(header.kind).ok_or(wrong_topic.clone())?;
    if topic.kind != expected || topic.site != to.site || topic.endpoint != to.device {
        return Err(wrong_topic);
    }
    if header.key_version != to.key_version {
        return Err(SealError::KeyVersion {
            found: header.key_version,
            expected: to.key_version,
        });
    }
    Ok(())
}

/// Opens a sealed frame received by `to` on `to.topic`: checks the header
/// names this device and fits the topic, verifies the tag over header and
/// topic, decrypts, and checks the message inside matches. Replays are
/// the caller's to refuse, with [`ReplayGuard`].
pub fn open(key: &SealKey, to: &Recipient<'_>, frame: &[u8]) -> Result<Opened, SealError> {
    let (header, len) = peek(frame)?;
    check_header(&header, to)?;
    let (head, sealed) = frame.split_at(len);
    if sealed.len() < SEAL_TAG_LEN {
        return Err(SealError::Truncated);
    }
    let aad = aad(head, to.topic)?;
    let payload = Payload {
        msg: sealed,
        aad: &aad,
    };
    let plain = key
        .0
        .decrypt(&nonce(head), payload)
        .map_err(|_| SealError::BadMac)?;
    let message = decode(&plain).map_err(SealError::Plaintext)?;
    if message_kind(&message) != header.kind || addressee(&message) != (to.site, to.device) {
        return Err(SealError::Mismatch);
    }
    Ok(Opened {
        at: header.at,
        message,
    })
}

#[cfg(test)]
#[path = "sealed_tests.rs"]
mod tests;
