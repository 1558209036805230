//! Splits the byte stream a barcode engine sends into reads: one read per
//! line, ended by CR, LF or CR LF.
//!
//! Why separate from the driver: framing is plain data (bytes in, lines
//! out), so it is tested without a UART, as mini-redis tests frames without
//! sockets. The stream is untrusted (line noise, a half-sent read after a
//! disconnect, an engine stuck on binary junk), so a line is bounded: past
//! [`MAX_READ`] bytes it is reported as too long and skipped to its end.

use crate::line_input::InputLine;
use std::collections::VecDeque;

/// Longest read kept, in bytes (a dense GS1 DataMatrix stays well under).
pub const MAX_READ: usize = 512;

/// Turns bytes into [`InputLine`]s.
#[derive(Debug, Default)]
pub struct ReadFramer {
    /// Bytes of the line being received (at most `MAX_READ + 1`).
    line: Vec<u8>,
    /// Its full length so far, kept bytes or not.
    len: usize,
    /// Complete lines not yet taken.
    ready: VecDeque<InputLine>,
}

impl ReadFramer {
    /// An empty framer.
    pub fn new() -> ReadFramer {
        ReadFramer::default()
    }

    /// Feeds bytes received from the engine.
    pub fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\r' || b == b'\n' {
                self.end_line();
            } else {
                if self.line.len() <= MAX_READ {
                    self.line.push(b);
                }
                self.len = self.len.saturating_add(1);
            }
        }
    }

    /// The next complete read, oldest first.
    pub fn next_read(&mut self) -> Option<InputLine> {
        self.ready.pop_front()
    }

    /// Forgets a partly received line (after a disconnect, its start is
    /// gone for good) and every complete read not yet taken.
    pub fn reset(&mut self) {
        self.line.clear();
        self.len = 0;
        self.ready.clear();
    }

    fn end_line(&mut self) {
        // CR LF, and the empty lines some engines send as keep-alives,
        // carry no read.
        if self.len == 0 {
            return;
        }
        let read = if self.len > MAX_READ {
            InputLine::TooLong(self.len)
        } else {
            match String::from_utf8(std::mem::take(&mut self.line)) {
                Ok(text) => InputLine::Text(text),
                Err(_) => InputLine::NotUtf8,
            }
        };
        self.line.clear();
        self.len = 0;
        self.ready.push_back(read);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(chunks: &[&[u8]]) -> Vec<InputLine> {
        let mut framer = ReadFramer::new();
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk);
            while let Some(read) = framer.next_read() {
                out.push(read);
            }
        }
        out
    }

    fn text(s: &str) -> InputLine {
        InputLine::Text(s.to_string())
    }

    #[test]
    fn frames_on_cr_lf_and_crlf() {
        let table: &[(&[&[u8]], Vec<InputLine>)] = &[
            (&[b""], vec![]),
            (&[b"abc"], vec![]),
            (&[b"abc\r"], vec![text("abc")]),
            (&[b"abc\n"], vec![text("abc")]),
            (&[b"abc\r\n"], vec![text("abc")]),
            (
                &[b"ab", b"c\r", b"\nde", b"f\r\n"],
                vec![text("abc"), text("def")],
            ),
            (&[b"\r\n\r\n\n"], vec![]),
            (&[b"]C1\x1d01\r"], vec![text("]C1\u{1d}01")]),
            (&[b"\xff\xfe\rok\r"], vec![InputLine::NotUtf8, text("ok")]),
        ];
        for (chunks, want) in table {
            assert_eq!(&frame(chunks), want, "chunks {chunks:?}");
        }
    }

    #[test]
    fn long_junk_is_bounded_and_skipped() {
        let junk = vec![b'x'; 10_000];
        assert_eq!(
            frame(&[&junk, &junk, b"\rLOC:A\r"]),
            vec![InputLine::TooLong(20_000), text("LOC:A")]
        );
        let exact = vec![b'y'; MAX_READ];
        assert_eq!(frame(&[&exact, b"\r"]), vec![text(&"y".repeat(MAX_READ))]);
    }

    #[test]
    fn reset_drops_a_partial_read() {
        let mut framer = ReadFramer::new();
        framer.push(b"0109506\rpartial");
        framer.reset();
        framer.push(b"LOC:B\r");
        assert_eq!(framer.next_read(), Some(text("LOC:B")));
        assert_eq!(framer.next_read(), None);
    }
}
