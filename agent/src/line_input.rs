//! Reads lines from untrusted input (a scanner gun on standard input)
//! without trusting their length or their encoding.
//!
//! Why not `BufRead::lines`: it stops at the first invalid UTF-8 byte and
//! buffers a line of any length, so a gun spewing binary junk with no line
//! end could end the session or fill memory. Here a line is cut at its
//! newline, at most `max` bytes of it are kept, and each line is classified
//! on its own, so a bad line gets its own error and the next one still works.

use std::io::{self, BufRead};

/// One line of input, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputLine {
    /// A line of text, without its `\n` or `\r\n`.
    Text(String),
    /// A line longer than the limit; holds its full length in bytes.
    TooLong(usize),
    /// A line that is not UTF-8.
    NotUtf8,
}

/// Splits a byte stream into bounded lines.
#[derive(Debug)]
pub struct BoundedLines<R> {
    reader: R,
    max: usize,
    buf: Vec<u8>,
}

impl<R: BufRead> BoundedLines<R> {
    /// Lines of at most `max` bytes from `reader`.
    pub fn new(reader: R, max: usize) -> BoundedLines<R> {
        BoundedLines {
            reader,
            max,
            buf: Vec::new(),
        }
    }

    /// The next line, or `None` at the end of input. A final line without
    /// a newline still counts.
    pub fn next_line(&mut self) -> io::Result<Option<InputLine>> {
        self.buf.clear();
        let mut total = 0usize;
        let mut saw_any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(saw_any.then(|| self.classify(total)));
            }
            saw_any = true;
            let newline = available.iter().position(|&b| b == b'\n');
            let take = newline.unwrap_or(available.len());
            let room = (self.max + 1).saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&available[..take.min(room)]);
            total = total.saturating_add(take);
            let consumed = newline.map_or(take, |n| n + 1);
            self.reader.consume(consumed);
            if newline.is_some() {
                return Ok(Some(self.classify(total)));
            }
        }
    }

    fn classify(&mut self, total: usize) -> InputLine {
        let mut len = total;
        if self.buf.len() == total && self.buf.last() == Some(&b'\r') {
            self.buf.pop();
            len -= 1;
        }
        if len > self.max {
            return InputLine::TooLong(len);
        }
        match String::from_utf8(std::mem::take(&mut self.buf)) {
            Ok(text) => InputLine::Text(text),
            Err(_) => InputLine::NotUtf8,
        }
    }
}

impl<R: BufRead> Iterator for BoundedLines<R> {
    type Item = io::Result<InputLine>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_line().transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<InputLine> {
        // A tiny buffer makes lines straddle many fill_buf calls.
        let reader = io::BufReader::with_capacity(3, input);
        BoundedLines::new(reader, max)
            .collect::<io::Result<Vec<_>>>()
            .expect("in-memory reads cannot fail")
    }

    fn text(s: &str) -> InputLine {
        InputLine::Text(s.to_string())
    }

    #[test]
    fn splits_and_classifies() {
        let table: &[(&[u8], usize, Vec<InputLine>)] = &[
            (b"", 10, vec![]),
            (b"\n", 10, vec![text("")]),
            (b"pick a b 1\n", 10, vec![text("pick a b 1")]),
            (b"ab\r\ncd", 10, vec![text("ab"), text("cd")]),
            (b"0123456789\n", 10, vec![text("0123456789")]),
            (b"0123456789\r\n", 10, vec![text("0123456789")]),
            (
                b"0123456789x\nok\n",
                10,
                vec![InputLine::TooLong(11), text("ok")],
            ),
            (b"\xff\xfe\nok", 10, vec![InputLine::NotUtf8, text("ok")]),
            (b"a\rb\n", 10, vec![text("a\rb")]),
        ];
        for (input, max, want) in table {
            assert_eq!(&lines(input, *max), want, "input {input:?}");
        }
    }

    #[test]
    fn endless_junk_is_bounded() {
        let junk = vec![0xAAu8; 1 << 20];
        assert_eq!(lines(&junk, 100), vec![InputLine::TooLong(1 << 20)]);
    }
}
