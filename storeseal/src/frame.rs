//! The frame around every stored value: one format byte, the CRC32 of the
//! body (little-endian), then the body. A flipped bit anywhere in the value
//! fails the CRC, so damage is named instead of decoded into wrong data.

use thiserror::Error;

/// Bytes the frame adds in front of a body.
pub const FRAME_OVERHEAD: usize = 5;

/// Why a stored value is not a good frame.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    /// Shorter than the frame header.
    #[error("value of {0} bytes is shorter than its 5-byte header")]
    Short(usize),
    /// Another format byte than expected.
    #[error("value has format {found}, expected {expected}")]
    Format {
        /// Found.
        found: u8,
        /// Expected.
        expected: u8,
    },
    /// The body does not match its checksum.
    #[error("checksum mismatch (stored {stored:08x}, computed {computed:08x})")]
    Checksum {
        /// The CRC stored in the value.
        stored: u32,
        /// The CRC of the body as read.
        computed: u32,
    },
}

/// `format ++ crc32(body) ++ body`.
pub fn frame(format: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + FRAME_OVERHEAD);
    out.push(format);
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// The body of a good frame of `format`.
pub fn unframe(format: u8, value: &[u8]) -> Result<&[u8], FrameError> {
    let (header, body) = value
        .split_at_checked(FRAME_OVERHEAD)
        .ok_or(FrameError::Short(value.len()))?;
    if header[0] != format {
        return Err(FrameError::Format {
            found: header[0],
            expected: format,
        });
    }
    let stored = u32::from_le_bytes([header[1], header[2], header[3], header[4]]);
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Err(FrameError::Checksum { stored, computed });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_every_flipped_bit_is_caught() {
        let value = frame(2, b"pick SKU-1 A-01");
        assert_eq!(unframe(2, &value), Ok(&b"pick SKU-1 A-01"[..]));
        for byte in 0..value.len() {
            for bit in 0..8 {
                let mut damaged = value.clone();
                damaged[byte] ^= 1 << bit;
                assert!(unframe(2, &damaged).is_err(), "byte {byte} bit {bit}");
            }
        }
        assert_eq!(unframe(2, &value[..3]), Err(FrameError::Short(3)));
        assert_eq!(
            unframe(3, &value),
            Err(FrameError::Format {
                found: 2,
                expected: 3
            })
        );
    }
}
