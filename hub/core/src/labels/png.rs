//! A minimal PNG encoder for the label preview: 1-bit grayscale, one IDAT
//! of stored (uncompressed) deflate blocks. A label is 120 KB raw, which
//! is small enough to send as it is, and writing it ourselves keeps the
//! core free of a compression dependency; any PNG reader opens it.
//! Checksums: CRC-32 per chunk (crc32fast), Adler-32 over the zlib data.

use super::raster::Bitmap;

/// The eight bytes every PNG starts with.
const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1A, b'\n'];
/// The most a stored deflate block holds.
const MAX_STORED: usize = 65_535;

/// The bitmap as a PNG: black dots black, the rest white.
pub fn to_png(bitmap: &Bitmap) -> Vec<u8> {
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend(bitmap.width().to_be_bytes());
    ihdr.extend(bitmap.height().to_be_bytes());
    // Bit depth 1, colour type 0 (grayscale), deflate, adaptive filtering
    // (filter type 0 on every row), no interlace.
    ihdr.extend([1, 0, 0, 0, 0]);

    let mut raw = Vec::new();
    for y in 0..bitmap.height() {
        raw.push(0); // filter type None
                     // In grayscale 1 is white; in the bitmap 1 is ink.
        raw.extend(bitmap.row(y).iter().map(|b| !b));
    }

    let mut png = SIGNATURE.to_vec();
    write_chunk(&mut png, b"IHDR", &ihdr);
    write_chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    write_chunk(&mut png, b"IEND", &[]);
    png
}

/// One chunk: length, type, data, CRC-32 of type and data.
fn write_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend((data.len() as u32).to_be_bytes());
    png.extend(kind);
    png.extend(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    png.extend(crc.finalize().to_be_bytes());
}

/// A zlib stream of stored deflate blocks: the header (deflate, 32 KiB
/// window, no preset dictionary), blocks of at most 65,535 bytes, the
/// Adler-32 of the data.
pub fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(MAX_STORED).peekable();
    if blocks.peek().is_none() {
        out.extend([1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(block) = blocks.next() {
        let last = blocks.peek().is_none();
        out.push(u8::from(last)); // BFINAL, BTYPE 00 (stored)
        let len = block.len() as u16;
        out.extend(len.to_le_bytes());
        out.extend((!len).to_le_bytes());
        out.extend(block);
    }
    out.extend(adler32(data).to_be_bytes());
    out
}

/// Adler-32 (RFC 1950): two sums modulo 65,521.
pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    // 5552 bytes is the most that cannot overflow u32 before reducing.
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for byte in chunk {
            a += u32::from(*byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_known_values() {
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        // A million 0xFF bytes exercises the reduction: checked against
        // the sums done in u64 without it.
        let data = vec![0xFF; 1_000_000];
        let (a, b) = data.iter().fold((1u64, 0u64), |(a, b), x| {
            let a = (a + u64::from(*x)) % 65_521;
            (a, (b + a) % 65_521)
        });
        assert_eq!(adler32(&data), ((b << 16) | a) as u32);
    }

    #[test]
    fn stored_blocks_split_at_65535() {
        let data = vec![7u8; 70_000];
        let z = zlib_stored(&data);
        assert_eq!(&z[..2], &[0x78, 0x01]);
        assert_eq!((0x78u32 * 256 + 0x01) % 31, 0, "header check bits");
        assert_eq!(&z[2..7], &[0, 0xFF, 0xFF, 0, 0]);
        let second = 7 + 65_535;
        assert_eq!(&z[second..second + 5], &[1, 0x71, 0x11, 0x8E, 0xEE]); // 4465 = 0x1171
        assert_eq!(z.len(), 2 + 5 + 65_535 + 5 + 4_465 + 4);
        assert_eq!(&zlib_stored(&[])[2..7], &[1, 0, 0, 0xFF, 0xFF]);
    }
}
