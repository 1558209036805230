//! The printer's host status (`~HS`), parsed from the answer's bytes.
//!
//! A Zebra-compatible printer answers `~HS` with three strings, each framed
//! `<STX>...<ETX><CR><LF>` (ZPL II Programming Guide, "~HS Host Status
//! Return"):
//!
//! ```text
//! 1: aaa,b,c,dddd,eee,f,g,h,iii,j,k,l   interface settings, paper out, pause,
//!                                       label length, formats in buffer,
//!                                       buffer full, diagnostic mode, partial
//!                                       format, unused, corrupt RAM,
//!                                       under temperature, over temperature
//! 2: mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www   function settings, unused, head up,
//!                                       ribbon out, thermal transfer, print
//!                                       mode, print width mode, label waiting,
//!                                       labels remaining in batch, format
//!                                       while printing, graphics stored
//! 3: xxxx,y                             password, static RAM installed
//! ```
//!
//! Parsing is pure (no socket), so it is tested on sample strings; the
//! client only decides when enough bytes have arrived ([`answer_complete`]).
//! It is tolerant of whitespace around and between the frames, and strict
//! on everything else: exactly three frames, the guide's number of fields
//! in each, digits only, flags `0` or `1`. A station must never print on a
//! status it half understood.

use thiserror::Error;

/// Start of a status frame.
pub const STX: u8 = 0x02;
/// End of a status frame.
pub const ETX: u8 = 0x03;

/// Fields in each of the three strings, in order (ZPL II guide).
const FIELDS: [usize; 3] = [12, 11, 2];

/// The printer's state as reported by one `~HS` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HostStatus {
    /// String 1 `b`: out of labels.
    pub paper_out: bool,
    /// String 1 `c`: paused (by the operator or after an error).
    pub paused: bool,
    /// String 1 `dddd`: label length in dots.
    pub label_length_dots: u32,
    /// String 1 `eee`: formats received but not yet printed.
    pub formats_in_buffer: u32,
    /// String 1 `f`: the receive buffer is full.
    pub buffer_full: bool,
    /// String 1 `g`: communications diagnostic mode is on.
    pub diagnostic_mode: bool,
    /// String 1 `h`: a format has begun but not ended.
    pub partial_format: bool,
    /// String 1 `j`: configuration data lost.
    pub corrupt_ram: bool,
    /// String 1 `k`: the head is under temperature.
    pub under_temperature: bool,
    /// String 1 `l`: the head is over temperature.
    pub over_temperature: bool,
    /// String 2 `o`: the print head is up (open).
    pub head_open: bool,
    /// String 2 `p`: out of ribbon.
    pub ribbon_out: bool,
    /// String 2 `q`: thermal transfer mode (uses a ribbon).
    pub thermal_transfer: bool,
    /// String 2 `r`: print mode (0 rewind, 1 peel-off, 2 tear-off, 3 cutter, 4 applicator, ...).
    pub print_mode: u32,
    /// String 2 `t`: a label waits to be taken (peel-off mode).
    pub label_waiting: bool,
    /// String 2 `uuuuuuuu`: labels remaining in the current batch.
    pub labels_remaining: u32,
    /// String 2 `www`: graphic images stored in memory.
    pub graphics_stored: u32,
}

/// Why a printer cannot be trusted to print a job now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrinterProblem {
    /// The print head is open.
    HeadOpen,
    /// Out of labels.
    PaperOut,
    /// Out of ribbon.
    RibbonOut,
    /// Paused.
    Paused,
    /// The receive buffer is full.
    BufferFull,
    /// The head is too hot (the printer stops).
    OverTemperature,
    /// The head is too cold (labels may print too light to scan).
    UnderTemperature,
    /// Configuration data lost (label settings no longer known).
    CorruptRam,
}

impl PrinterProblem {
    /// The stable short reason word sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HeadOpen => "head_open",
            Self::PaperOut => "paper_out",
            Self::RibbonOut => "ribbon_out",
            Self::Paused => "paused",
            Self::BufferFull => "buffer_full",
            Self::OverTemperature => "over_temperature",
            Self::UnderTemperature => "under_temperature",
            Self::CorruptRam => "corrupt_ram",
        }
    }
}

impl std::fmt::Display for PrinterProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl HostStatus {
    /// Every problem the status shows, most specific cause first (a printer
    /// out of paper may also be paused: the paper is the reason to report).
    pub fn problems(&self) -> Vec<PrinterProblem> {
        [
            (self.head_open, PrinterProblem::HeadOpen),
            (self.paper_out, PrinterProblem::PaperOut),
            (self.ribbon_out, PrinterProblem::RibbonOut),
            (self.paused, PrinterProblem::Paused),
            (self.buffer_full, PrinterProblem::BufferFull),
            (self.over_temperature, PrinterProblem::OverTemperature),
            (self.under_temperature, PrinterProblem::UnderTemperature),
            (self.corrupt_ram, PrinterProblem::CorruptRam),
        ]
        .into_iter()
        .filter_map(|(set, problem)| set.then_some(problem))
        .collect()
    }

    /// The first of [`HostStatus::problems`], or `None` if the printer is ready.
    pub fn problem(&self) -> Option<PrinterProblem> {
        self.problems().into_iter().next()
    }
}

/// Why bytes are not a `~HS` answer.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StatusError {
    /// Nothing but whitespace.
    #[error("empty status answer")]
    Empty,
    /// A string does not begin with STX.
    #[error("status string {line} does not start with STX")]
    MissingStx {
        /// 1-based string number.
        line: usize,
    },
    /// A string has no closing ETX (truncated answer).
    #[error("status string {line} has no ETX (truncated)")]
    MissingEtx {
        /// 1-based string number.
        line: usize,
    },
    /// More than three strings.
    #[error("more than three status strings")]
    TooManyLines,
    /// Fewer than three strings.
    #[error("{found} status strings, expected 3")]
    TooFewLines {
        /// How many strings there were.
        found: usize,
    },
    /// A string has the wrong number of comma-separated fields.
    #[error("status string {line} has {found} fields, expected {expected}")]
    FieldCount {
        /// 1-based string number.
        line: usize,
        /// Fields the guide defines for it.
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// A field is empty, holds a non-digit, or does not fit a u32.
    #[error("status string {line} field {field} is not a number")]
    NotANumber {
        /// 1-based string number.
        line: usize,
        /// 1-based field number.
        field: usize,
    },
    /// A flag field is a number other than 0 or 1.
    #[error("status string {line} field {field} is not a 0/1 flag")]
    NotAFlag {
        /// 1-based string number.
        line: usize,
        /// 1-based field number.
        field: usize,
    },
}

/// Whether `buf` holds a whole answer (three ETX), so a reader can stop.
pub fn answer_complete(buf: &[u8]) -> bool {
    buf.iter().filter(|&&b| b == ETX).count() >= 3
}

/// Parses a `~HS` answer (see the module doc for the format).
pub fn parse_host_status(bytes: &[u8]) -> Result<HostStatus, StatusError> {
    let lines = split_frames(bytes)?;
    let one = Fields::new(lines[0], 1)?;
    let two = Fields::new(lines[1], 2)?;
    let three = Fields::new(lines[2], 3)?;
    // String 3 (password, static RAM) says nothing about printing, but a
    // malformed one means the answer is not what we think it is.
    three.number(1)?;
    three.flag(2)?;
    one.number(1)?;
    one.number(9)?;
    two.number(1)?;
    two.number(2)?;
    two.number(7)?;
    two.flag(10)?;
    Ok(HostStatus {
        paper_out: one.flag(2)?,
        paused: one.flag(3)?,
        label_length_dots: one.number(4)?,
        formats_in_buffer: one.number(5)?,
        buffer_full: one.flag(6)?,
        diagnostic_mode: one.flag(7)?,
        partial_format: one.flag(8)?,
        corrupt_ram: one.flag(10)?,
        under_temperature: one.flag(11)?,
        over_temperature: one.flag(12)?,
        head_open: two.flag(3)?,
        ribbon_out: two.flag(4)?,
        thermal_transfer: two.flag(5)?,
        print_mode: two.number(6)?,
        label_waiting: two.flag(8)?,
        labels_remaining: two.number(9)?,
        graphics_stored: two.number(11)?,
    })
}

/// The contents of the three `<STX>...<ETX>` frames.
fn split_frames(bytes: &[u8]) -> Result<[&[u8]; 3], StatusError> {
    let mut rest = bytes.trim_ascii();
    if rest.is_empty() {
        return Err(StatusError::Empty);
    }
    let mut lines: Vec<&[u8]> = Vec::with_capacity(3);
    while !rest.is_empty() {
        let line = lines.len() + 1;
        if line > 3 {
            return Err(StatusError::TooManyLines);
        }
        let body = rest
            .strip_prefix(&[STX])
            .ok_or(StatusError::MissingStx { line })?;
        let end = body
            .iter()
            .position(|&b| b == ETX)
            .ok_or(StatusError::MissingEtx { line })?;
        lines.push(&body[..end]);
        rest = body[end + 1..].trim_ascii_start();
    }
    match lines.as_slice() {
        [a, b, c] => Ok([*a, *b, *c]),
        _ => Err(StatusError::TooFewLines { found: lines.len() }),
    }
}

/// One string's comma-separated fields.
struct Fields<'a> {
    line: usize,
    fields: Vec<&'a [u8]>,
}

impl<'a> Fields<'a> {
    fn new(body: &'a [u8], line: usize) -> Result<Self, StatusError> {
        let fields: Vec<&[u8]> = body.split(|&b| b == b',').collect();
        let expected = FIELDS[line - 1];
        if fields.len() != expected {
            return Err(StatusError::FieldCount {
                line,
                expected,
                found: fields.len(),
            });
        }
        Ok(Self { line, fields })
    }

    /// Field `field` (1-based) as a number of digits only.
    fn number(&self, field: usize) -> Result<u32, StatusError> {
        let bad = StatusError::NotANumber {
            line: self.line,
            field,
        };
        let raw = self.fields.get(field - 1).ok_or(bad.clone())?;
        if raw.is_empty() || !raw.iter().all(u8::is_ascii_digit) {
            return Err(bad);
        }
        // Digits only, so the text is ASCII; leading zeros are normal.
        std::str::from_utf8(raw)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(bad)
    }

    /// Field `field` (1-based) as a 0/1 flag.
    fn flag(&self, field: usize) -> Result<bool, StatusError> {
        match self.number(field)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(StatusError::NotAFlag {
                line: self.line,
                field,
            }),
        }
    }
}
