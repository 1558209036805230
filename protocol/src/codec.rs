//! Framing: every frame is one protocol-version byte followed by the postcard
//! encoding of a [`Message`]. Decoding is total: any byte string yields a
//! message or a typed [`DecodeError`], never a panic.

use crate::message::Message;
use thiserror::Error;

/// The version byte this code writes and the only one it reads.
pub const PROTOCOL_VERSION: u8 = 1;

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The frame had no bytes at all.
    #[error("empty frame: no protocol version byte")]
    Empty,
    /// The first byte names a protocol version this code does not speak.
    #[error("unknown protocol version {found} (this build speaks version {PROTOCOL_VERSION})")]
    UnknownVersion {
        /// The version byte found.
        found: u8,
    },
    /// The body ended before the message did.
    #[error("truncated frame: the message body ends early")]
    Truncated,
    /// The body is not a valid message (bad enum index, bad UTF-8, bad varint ...).
    #[error("malformed frame: {0}")]
    Malformed(String),
    /// A whole message was read but bytes were left over.
    #[error("{0} trailing byte(s) after the message")]
    TrailingBytes(usize),
}

/// Encodes a message as a frame: version byte, then postcard.
pub fn encode(message: &Message) -> Vec<u8> {
    let mut frame = vec![PROTOCOL_VERSION];
    // Serializing our own types into a Vec cannot fail: every field type is
    // supported by postcard and the Vec grows as needed.
    let body = postcard::to_allocvec(message).unwrap_or_default();
    frame.extend_from_slice(&body);
    frame
}

/// Decodes one frame. The whole slice must be exactly one message.
pub fn decode(frame: &[u8]) -> Result<Message, DecodeError> {
    decode_as(frame)
}

/// Decodes one frame of any type of the contract (the hub-to-hub frames
/// of [`crate::sites`] use it too). The whole slice must be one value.
pub fn decode_as<T: serde::de::DeserializeOwned>(frame: &[u8]) -> Result<T, DecodeError> {
    let (&version, body) = frame.split_first().ok_or(DecodeError::Empty)?;
    if version != PROTOCOL_VERSION {
        return Err(DecodeError::UnknownVersion { found: version });
    }
    let (message, rest) = postcard::take_from_bytes::<T>(body).map_err(map_postcard)?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes(rest.len()));
    }
    Ok(message)
}

fn map_postcard(err: postcard::Error) -> DecodeError {
    use postcard::Error as P;
    let why = match err {
        P::DeserializeUnexpectedEnd => return DecodeError::Truncated,
        P::DeserializeBadVarint => "a varint is longer than its type allows",
        P::DeserializeBadBool => "a bool byte is neither 0 nor 1",
        P::DeserializeBadUtf8 => "a string is not valid UTF-8",
        P::DeserializeBadOption => "an option tag is neither 0 nor 1",
        P::DeserializeBadEnum => "an enum index is out of range",
        // serde reports an unknown variant index through its custom error.
        P::SerdeDeCustom => "an unknown message, kind or state index for this version",
        _ => "the body does not match any message of this version",
    };
    DecodeError::Malformed(why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Ack, Message};

    #[test]
    fn rejects_empty_unknown_version_truncated_and_trailing() {
        assert_eq!(decode(&[]), Err(DecodeError::Empty));
        assert_eq!(
            decode(&[9, 1, 0]),
            Err(DecodeError::UnknownVersion { found: 9 })
        );
        let ack = Message::Ack(Ack {
            site: "s".into(),
            device: "d".into(),
            epoch: 5,
            through_seq: 300,
        });
        let frame = encode(&ack);
        assert_eq!(decode(&frame), Ok(ack));
        assert_eq!(
            decode(&frame[..frame.len() - 1]),
            Err(DecodeError::Truncated)
        );
        let mut long = frame.clone();
        long.push(0);
        assert_eq!(decode(&long), Err(DecodeError::TrailingBytes(1)));
        assert!(matches!(decode(&[1, 77]), Err(DecodeError::Malformed(_))));
    }
}
