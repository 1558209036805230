//! Cuts one connection's byte stream into what a printer acts on: whole
//! label formats (`^XA ... ^XZ`) and host status queries (`~HS`).
//!
//! Pure and incremental, like a frame parser: feed it each TCP read as it
//! comes, however the stream was split, and it returns the complete
//! pieces so far and keeps the rest. `~HS` is acted on wherever it
//! appears, even inside a format, as a real printer does with tilde
//! commands; it is then not part of the format. Bytes outside a format
//! are ignored, as are a `^XZ` with no open format and other tilde
//! commands. Commands match in either case (`^xa` too). A new `^XA`
//! inside an open format drops the unfinished one; a format longer than
//! [`MAX_FORMAT`] is dropped, so a client cannot grow memory without end.

/// The longest format kept (a label with big graphics is well under this).
pub const MAX_FORMAT: usize = 4 * 1024 * 1024;

/// One thing the printer must act on, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// A whole format, from `^XA` to `^XZ` inclusive.
    Format(Vec<u8>),
    /// A `~HS` query.
    HostStatus,
    /// `~JA`: cancel every held format.
    CancelAll,
    /// An unfinished format was dropped (restarted or too long).
    Dropped,
}

/// The splitter's state between reads.
#[derive(Debug, Default)]
pub struct ZplSplitter {
    /// Bytes not yet looked at, or kept because a command may straddle reads.
    pending: Vec<u8>,
    /// The format being received, from its `^XA`.
    format: Option<Vec<u8>>,
}

/// The commands the splitter looks for, all three bytes long.
const COMMAND_LEN: usize = 3;

impl ZplSplitter {
    /// A splitter at the start of a connection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next read; returns the pieces it completes, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        loop {
            let Some((at, command)) = find_command(&self.pending) else {
                self.keep_tail(&mut events);
                return events;
            };
            let before: Vec<u8> = self.pending.drain(..at + COMMAND_LEN).collect();
            let body = &before[..at];
            match command {
                Command::CancelAll => {
                    self.extend_format(body, &mut events);
                    events.push(StreamEvent::CancelAll);
                }
                Command::HostStatus => {
                    self.extend_format(body, &mut events);
                    events.push(StreamEvent::HostStatus);
                }
                Command::Start => {
                    if self.format.is_some() {
                        events.push(StreamEvent::Dropped);
                    }
                    self.format = Some(before[at..].to_vec());
                }
                Command::End => {
                    self.extend_format(&before, &mut events);
                    if let Some(format) = self.format.take() {
                        events.push(StreamEvent::Format(format));
                    }
                }
            }
        }
    }

    /// Whether a format has begun and not ended.
    pub fn in_format(&self) -> bool {
        self.format.is_some()
    }

    /// Moves all but a possible partial command into the open format (or
    /// drops it outside a format).
    fn keep_tail(&mut self, events: &mut Vec<StreamEvent>) {
        let keep = (COMMAND_LEN - 1).min(self.pending.len());
        let done: Vec<u8> = self.pending.drain(..self.pending.len() - keep).collect();
        self.extend_format(&done, events);
    }

    fn extend_format(&mut self, bytes: &[u8], events: &mut Vec<StreamEvent>) {
        let Some(format) = self.format.as_mut() else {
            return;
        };
        if format.len() + bytes.len() > MAX_FORMAT {
            self.format = None;
            events.push(StreamEvent::Dropped);
            return;
        }
        format.extend_from_slice(bytes);
    }
}

#[derive(Debug, Clone, Copy)]
enum Command {
    Start,
    End,
    HostStatus,
    CancelAll,
}

/// The first command in `bytes` and where it begins.
fn find_command(bytes: &[u8]) -> Option<(usize, Command)> {
    bytes.windows(COMMAND_LEN).enumerate().find_map(|(at, w)| {
        let command = if w.eq_ignore_ascii_case(b"^XA") {
            Command::Start
        } else if w.eq_ignore_ascii_case(b"^XZ") {
            Command::End
        } else if w.eq_ignore_ascii_case(b"~HS") {
            Command::HostStatus
        } else if w.eq_ignore_ascii_case(b"~JA") {
            Command::CancelAll
        } else {
            return None;
        };
        Some((at, command))
    })
}

#[cfg(test)]
mod tests {
    use super::{StreamEvent, ZplSplitter};

    fn format(text: &str) -> StreamEvent {
        StreamEvent::Format(text.as_bytes().to_vec())
    }

    #[test]
    fn streams_split_anywhere_give_the_same_events() {
        let stream = "junk^XA^FDone^FS^XZ\r\n~HS^xa^FDtwo~HS^FS^xz";
        let expected = vec![
            format("^XA^FDone^FS^XZ"),
            StreamEvent::HostStatus,
            StreamEvent::HostStatus,
            format("^xa^FDtwo^FS^xz"),
        ];
        for chunk in 1..=stream.len() {
            let mut splitter = ZplSplitter::new();
            let events: Vec<_> = stream
                .as_bytes()
                .chunks(chunk)
                .flat_map(|piece| splitter.feed(piece))
                .collect();
            assert_eq!(events, expected, "reads of {chunk} bytes");
            assert!(!splitter.in_format());
        }
    }

    #[test]
    fn cases() {
        let cases: &[(&str, Vec<StreamEvent>, bool)] = &[
            ("", vec![], false),
            ("~HS", vec![StreamEvent::HostStatus], false),
            ("^XZ stray end", vec![], false),
            ("^XA^FDunfinished", vec![], true),
            (
                "^XA^FDa^XA^FDb^XZ",
                vec![StreamEvent::Dropped, format("^XA^FDb^XZ")],
                false,
            ),
            (
                "^XA^XZ^XA^XZ",
                vec![format("^XA^XZ"), format("^XA^XZ")],
                false,
            ),
            (
                "~JA~HS",
                vec![StreamEvent::CancelAll, StreamEvent::HostStatus],
                false,
            ),
            ("~JR~HS", vec![StreamEvent::HostStatus], false),
        ];
        for (input, expected, open) in cases {
            let mut splitter = ZplSplitter::new();
            assert_eq!(&splitter.feed(input.as_bytes()), expected, "{input:?}");
            assert_eq!(splitter.in_format(), *open, "{input:?}");
        }
    }

    #[test]
    fn an_endless_format_is_dropped() {
        let mut splitter = ZplSplitter::new();
        assert!(splitter.feed(b"^XA").is_empty());
        let big = vec![b'A'; super::MAX_FORMAT];
        assert_eq!(splitter.feed(&big), vec![StreamEvent::Dropped]);
        assert!(!splitter.in_format());
        assert_eq!(splitter.feed(b"^XA^XZ"), vec![format("^XA^XZ")]);
    }
}
