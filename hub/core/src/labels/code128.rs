//! Code 128 (ISO/IEC 15417), the symbology of every carrier's waybill
//! barcode: a tracking number in, the symbol's modules out, and back.
//!
//! The encoder picks the code sets itself instead of leaving it to the
//! printer, so the ZPL (which names every start and switch with `^BC`'s
//! invocation codes) and the PNG preview (which draws the modules) are the
//! very same symbol. Set C packs runs of four or more digits two to a
//! symbol; everything else is set B (printable ASCII, space to `~`). The
//! decoder exists so tests can read a drawn barcode back, the way a scanner
//! at the dock would.

use thiserror::Error;

/// Bar and space widths (in modules) of symbol values 0..=105, three bars
/// and three spaces each, starting with a bar; 11 modules per symbol.
#[rustfmt::skip]
const PATTERNS: [[u8; 6]; 106] = [
    [2, 1, 2, 2, 2, 2], [2, 2, 2, 1, 2, 2], [2, 2, 2, 2, 2, 1], [1, 2, 1, 2, 2, 3],
    [1, 2, 1, 3, 2, 2], [1, 3, 1, 2, 2, 2], [1, 2, 2, 2, 1, 3], [1, 2, 2, 3, 1, 2],
    [1, 3, 2, 2, 1, 2], [2, 2, 1, 2, 1, 3], [2, 2, 1, 3, 1, 2], [2, 3, 1, 2, 1, 2],
    [1, 1, 2, 2, 3, 2], [1, 2, 2, 1, 3, 2], [1, 2, 2, 2, 3, 1], [1, 1, 3, 2, 2, 2],
    [1, 2, 3, 1, 2, 2], [1, 2, 3, 2, 2, 1], [2, 2, 3, 2, 1, 1], [2, 2, 1, 1, 3, 2],
    [2, 2, 1, 2, 3, 1], [2, 1, 3, 2, 1, 2], [2, 2, 3, 1, 1, 2], [3, 1, 2, 1, 3, 1],
    [3, 1, 1, 2, 2, 2], [3, 2, 1, 1, 2, 2], [3, 2, 1, 2, 2, 1], [3, 1, 2, 2, 1, 2],
    [3, 2, 2, 1, 1, 2], [3, 2, 2, 2, 1, 1], [2, 1, 2, 1, 2, 3], [2, 1, 2, 3, 2, 1],
    [2, 3, 2, 1, 2, 1], [1, 1, 1, 3, 2, 3], [1, 3, 1, 1, 2, 3], [1, 3, 1, 3, 2, 1],
    [1, 1, 2, 3, 1, 3], [1, 3, 2, 1, 1, 3], [1, 3, 2, 3, 1, 1], [2, 1, 1, 3, 1, 3],
    [2, 3, 1, 1, 1, 3], [2, 3, 1, 3, 1, 1], [1, 1, 2, 1, 3, 3], [1, 1, 2, 3, 3, 1],
    [1, 3, 2, 1, 3, 1], [1, 1, 3, 1, 2, 3], [1, 1, 3, 3, 2, 1], [1, 3, 3, 1, 2, 1],
    [3, 1, 3, 1, 2, 1], [2, 1, 1, 3, 3, 1], [2, 3, 1, 1, 3, 1], [2, 1, 3, 1, 1, 3],
    [2, 1, 3, 3, 1, 1], [2, 1, 3, 1, 3, 1], [3, 1, 1, 1, 2, 3], [3, 1, 1, 3, 2, 1],
    [3, 3, 1, 1, 2, 1], [3, 1, 2, 1, 1, 3], [3, 1, 2, 3, 1, 1], [3, 3, 2, 1, 1, 1],
    [3, 1, 4, 1, 1, 1], [2, 2, 1, 4, 1, 1], [4, 3, 1, 1, 1, 1], [1, 1, 1, 2, 2, 4],
    [1, 1, 1, 4, 2, 2], [1, 2, 1, 1, 2, 4], [1, 2, 1, 4, 2, 1], [1, 4, 1, 1, 2, 2],
    [1, 4, 1, 2, 2, 1], [1, 1, 2, 2, 1, 4], [1, 1, 2, 4, 1, 2], [1, 2, 2, 1, 1, 4],
    [1, 2, 2, 4, 1, 1], [1, 4, 2, 1, 1, 2], [1, 4, 2, 2, 1, 1], [2, 4, 1, 2, 1, 1],
    [2, 2, 1, 1, 1, 4], [4, 1, 3, 1, 1, 1], [2, 4, 1, 1, 1, 2], [1, 3, 4, 1, 1, 1],
    [1, 1, 1, 2, 4, 2], [1, 2, 1, 1, 4, 2], [1, 2, 1, 2, 4, 1], [1, 1, 4, 2, 1, 2],
    [1, 2, 4, 1, 1, 2], [1, 2, 4, 2, 1, 1], [4, 1, 1, 2, 1, 2], [4, 2, 1, 1, 1, 2],
    [4, 2, 1, 2, 1, 1], [2, 1, 2, 1, 4, 1], [2, 1, 4, 1, 2, 1], [4, 1, 2, 1, 2, 1],
    [1, 1, 1, 1, 4, 3], [1, 1, 1, 3, 4, 1], [1, 3, 1, 1, 4, 1], [1, 1, 4, 1, 1, 3],
    [1, 1, 4, 3, 1, 1], [4, 1, 1, 1, 1, 3], [4, 1, 1, 3, 1, 1], [1, 1, 3, 1, 4, 1],
    [1, 1, 4, 1, 3, 1], [3, 1, 1, 1, 4, 1], [4, 1, 1, 1, 3, 1], [2, 1, 1, 4, 1, 2],
    [2, 1, 1, 2, 1, 4], [2, 1, 1, 2, 3, 2],
];

/// The stop pattern: the stop symbol and its final 2-module bar (13 modules).
const STOP: [u8; 7] = [2, 3, 3, 1, 1, 1, 2];

/// Value of the "switch to code set C" symbol (in set B).
const CODE_C: u8 = 99;
/// Value of the "switch to code set B" symbol (in set C).
const CODE_B: u8 = 100;
/// Value of the start symbol for code set B.
pub const START_B: u8 = 104;
/// Value of the start symbol for code set C.
pub const START_C: u8 = 105;
/// Shortest digit run worth packing in set C (the brief's rule: a run of
/// four digits costs the same either way, longer runs are shorter in C).
const MIN_C_RUN: usize = 4;
/// Modules per data symbol.
pub const SYMBOL_MODULES: usize = 11;

/// One of the two code sets this encoder uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeSet {
    /// Printable ASCII, one character per symbol.
    B,
    /// Digit pairs 00..=99, one pair per symbol.
    C,
}

/// A run of the data encoded in one code set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The code set of this run.
    pub set: CodeSet,
    /// The characters of this run (an even number of digits in set C).
    pub text: String,
}

/// Why data cannot be made into a symbol.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Code128Error {
    /// Nothing to encode.
    #[error("nothing to encode in the barcode")]
    Empty,
    /// A character outside printable ASCII (space to `~`).
    #[error("character {ch:?} at {at} cannot be encoded in Code 128 set B")]
    Unencodable {
        /// Position (in characters).
        at: usize,
        /// The character.
        ch: char,
    },
}

/// Why a module pattern does not read as a Code 128 symbol.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// No bars, or a run count that is not whole symbols plus the stop.
    #[error("not a whole number of Code 128 symbols")]
    Shape,
    /// Six widths that are no symbol.
    #[error("unknown symbol pattern at symbol {0}")]
    UnknownPattern(usize),
    /// The first symbol is not a start symbol this decoder knows.
    #[error("missing or unsupported start symbol")]
    Start,
    /// The pattern does not end with the stop pattern.
    #[error("missing stop pattern")]
    Stop,
    /// The check symbol does not match the data.
    #[error("check symbol {found} where {expected} was computed")]
    Check {
        /// The check symbol read.
        found: u8,
        /// The one the data gives.
        expected: u8,
    },
    /// A symbol that has no meaning in the current code set here.
    #[error("symbol {0} is not valid where it stands")]
    Symbol(u8),
}

/// A Code 128 symbol: the text it carries and the code sets chosen for it.
/// Built only by [`Code128::encode`], so every value of this type can be
/// printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code128 {
    text: String,
    segments: Vec<Segment>,
}

impl Code128 {
    /// Encodes printable ASCII text, choosing set C for runs of four or
    /// more digits (an odd run leaves its first digit in set B).
    pub fn encode(text: &str) -> Result<Code128, Code128Error> {
        if text.is_empty() {
            return Err(Code128Error::Empty);
        }
        if let Some((at, ch)) = text.chars().enumerate().find(|(_, c)| !is_set_b(*c)) {
            return Err(Code128Error::Unencodable { at, ch });
        }
        Ok(Code128 {
            text: text.to_string(),
            segments: split_segments(text.as_bytes()),
        })
    }

    /// The text the symbol carries (the human-readable line).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The runs in their code sets, in order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// Symbol values from the start symbol to the check symbol (the stop
    /// pattern is not a value).
    pub fn values(&self) -> Vec<u8> {
        let mut values = Vec::new();
        for (i, segment) in self.segments.iter().enumerate() {
            values.push(match (i, segment.set) {
                (0, CodeSet::B) => START_B,
                (0, CodeSet::C) => START_C,
                (_, CodeSet::B) => CODE_B,
                (_, CodeSet::C) => CODE_C,
            });
            let bytes = segment.text.as_bytes();
            match segment.set {
                CodeSet::B => values.extend(bytes.iter().map(|b| b - b' ')),
                CodeSet::C => {
                    values.extend(bytes.chunks(2).map(|p| (p[0] - b'0') * 10 + p[1] - b'0'))
                }
            }
        }
        values.push(check_symbol(&values));
        values
    }

    /// Bar and space widths in modules, from the start symbol's first bar
    /// to the stop pattern's last bar (no quiet zones).
    pub fn widths(&self) -> Vec<u8> {
        let mut widths: Vec<u8> = self
            .values()
            .iter()
            .flat_map(|v| PATTERNS[*v as usize])
            .collect();
        widths.extend(STOP);
        widths
    }

    /// The modules, `true` for a bar, without quiet zones.
    pub fn modules(&self) -> Vec<bool> {
        let mut modules = Vec::with_capacity(self.module_count());
        for (i, width) in self.widths().iter().enumerate() {
            modules.extend(std::iter::repeat_n(i % 2 == 0, *width as usize));
        }
        modules
    }

    /// How many modules wide the symbol is, without quiet zones.
    pub fn module_count(&self) -> usize {
        (self.values().len()) * SYMBOL_MODULES + 13
    }
}

/// The modulo-103 check symbol of a start symbol and the data after it:
/// the start's value plus each symbol's value times its position.
pub fn check_symbol(values: &[u8]) -> u8 {
    let sum: u64 = values
        .iter()
        .enumerate()
        .map(|(i, v)| u64::from(*v) * (i as u64).max(1))
        .sum();
    (sum % 103) as u8
}

/// Whether set B can carry the character (printable ASCII).
fn is_set_b(c: char) -> bool {
    (' '..='~').contains(&c)
}

/// Splits the data into set B and set C runs: every digit run of
/// [`MIN_C_RUN`] or more goes to set C, its first digit staying in set B
/// when the run is odd.
fn split_segments(bytes: &[u8]) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut push = |set: CodeSet, part: &[u8]| {
        // Printable ASCII only (`encode` checked it), so never lossy.
        let part = String::from_utf8_lossy(part);
        match segments.last_mut() {
            Some(last) if last.set == set => last.text.push_str(&part),
            _ => segments.push(Segment {
                set,
                text: part.into_owned(),
            }),
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if run >= MIN_C_RUN {
            let odd = run % 2;
            if odd == 1 {
                push(CodeSet::B, &bytes[i..i + 1]);
            }
            push(CodeSet::C, &bytes[i + odd..i + run]);
            i += run;
        } else {
            let end = i + run.max(1);
            push(CodeSet::B, &bytes[i..end]);
            i = end;
        }
    }
    segments
}

/// Reads modules (`true` = bar, quiet zones allowed on both sides) back
/// into the text they carry, checking start, check symbol and stop.
pub fn decode_modules(modules: &[bool]) -> Result<String, DecodeError> {
    let first = modules.iter().position(|m| *m).ok_or(DecodeError::Shape)?;
    let last = modules.iter().rposition(|m| *m).ok_or(DecodeError::Shape)?;
    let mut widths: Vec<u8> = Vec::new();
    let mut run = 0u8;
    for (i, module) in modules[first..=last].iter().enumerate() {
        run = run.saturating_add(1);
        if i + first == last || modules[first + i + 1] != *module {
            widths.push(run);
            run = 0;
        }
    }
    decode_widths(&widths)
}

/// Reads bar and space widths (in modules, starting with a bar) back into
/// the text they carry.
pub fn decode_widths(widths: &[u8]) -> Result<String, DecodeError> {
    let Some(split) = widths.len().checked_sub(STOP.len()) else {
        return Err(DecodeError::Shape);
    };
    let (symbols, stop) = widths.split_at(split);
    let chunks = symbols.chunks_exact(6);
    // At least a start and a check symbol, and nothing left over.
    if symbols.len() < 12 || !chunks.remainder().is_empty() {
        return Err(DecodeError::Shape);
    }
    if stop != STOP {
        return Err(DecodeError::Stop);
    }
    let mut values = Vec::with_capacity(symbols.len() / 6);
    for (i, chunk) in chunks.enumerate() {
        let value = PATTERNS
            .iter()
            .position(|p| p == chunk)
            .ok_or(DecodeError::UnknownPattern(i))?;
        values.push(value as u8);
    }
    let (check, data) = values.split_last().ok_or(DecodeError::Shape)?;
    let expected = check_symbol(data);
    if *check != expected {
        return Err(DecodeError::Check {
            found: *check,
            expected,
        });
    }
    values_to_text(data)
}

/// Turns symbol values (start symbol first, no check) into text.
fn values_to_text(values: &[u8]) -> Result<String, DecodeError> {
    let mut set = match values.first() {
        Some(&START_B) => CodeSet::B,
        Some(&START_C) => CodeSet::C,
        _ => return Err(DecodeError::Start),
    };
    let mut text = String::new();
    for &value in &values[1..] {
        match (set, value) {
            (CodeSet::B, CODE_C) => set = CodeSet::C,
            (CodeSet::C, CODE_B) => set = CodeSet::B,
            (CodeSet::B, 0..=94) => text.push(char::from(value + b' ')),
            (CodeSet::C, 0..=99) => {
                text.push(char::from(b'0' + value / 10));
                text.push(char::from(b'0' + value % 10));
            }
            _ => return Err(DecodeError::Symbol(value)),
        }
    }
    Ok(text)
}

#[cfg(test)]
#[path = "code128_tests.rs"]
mod tests;
