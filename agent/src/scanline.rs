//! Parses the scan line a picker types or a scanner gun emits into a
//! [`MovementDraft`]:
//!
//! ```text
//! <kind> <sku> <location> <qty> [lot=L] [to=LOC] [task=T | line=TASK:LINE]
//! ```
//!
//! The options may come in any order, each at most once. `task=T` is any
//! id (WIRE.md §4), as it always was. `line=TASK:LINE` names a line of the
//! device's work queue, e.g. `line=1042:3` (line 3 of task 1042): it must
//! be a task reference in canonical decimal (`protocol::TaskRef`, WIRE.md
//! §3.15), only a pick, pack or count scan may carry it (those are what
//! fulfil a task line), and it fills the same `task` field, so a line has
//! either `task=` or `line=`. `pick SKU-1 A-01-02 3 line=1042:3` becomes a
//! pick with `task = Some("1042:3")`.
//!
//! Why a parser of its own: the line comes from a person or a barcode, so
//! anything can arrive (binary junk, pasted Unicode, a gun stuck on repeat).
//! Every problem gets a typed error the picker can read, and the finished
//! draft already satisfies the protocol's rules, so what is confirmed with a
//! good beep is something the hub will accept (promise 7).

use crate::draft::MovementDraft;
use protocol::{MovementKind, TaskRef, TaskRefError, ValidationError};
use thiserror::Error;

/// Longest scan line accepted, in bytes (seven fields of at most 64 bytes
/// fit several times over).
pub const MAX_SCAN_LINE: usize = 1024;

/// The format, quoted in errors so the picker sees what is expected.
pub const SCAN_LINE_FORMAT: &str =
    "<kind> <sku> <location> <qty> [lot=L] [to=LOC] [task=T | line=TASK:LINE]";

/// Why a scan line was refused. Messages are one line, and quote at most a
/// short, escaped piece of the input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScanLineError {
    /// Nothing but whitespace.
    #[error("empty scan line")]
    Empty,
    /// Longer than [`MAX_SCAN_LINE`].
    #[error("scan line of {0} bytes is longer than the limit of {MAX_SCAN_LINE}")]
    TooLong(usize),
    /// Raw input that is not UTF-8 text.
    #[error("scan line is not valid UTF-8 text")]
    NotUtf8,
    /// The first word is not a movement kind.
    #[error(
        "unknown movement kind {0} (expected receive, putaway, move, pick, pack, adjust or count)"
    )]
    UnknownKind(String),
    /// A positional field is missing.
    #[error("missing {0}; expected {SCAN_LINE_FORMAT}")]
    Missing(&'static str),
    /// The quantity is not a whole number that fits.
    #[error("quantity {0} is not a whole number")]
    BadQuantity(String),
    /// A `key=value` option with a key other than lot, to, task or line.
    #[error("unknown key {0} (expected lot=, to=, task= or line=)")]
    UnknownKey(String),
    /// The same option twice.
    #[error("{0}= given twice")]
    DuplicateKey(&'static str),
    /// A fifth word that is not `key=value`.
    #[error("unexpected {0}; after the quantity only lot=, to=, task= and line= may follow")]
    Unexpected(String),
    /// `line=` is not a task reference `TASK:LINE` in canonical decimal.
    #[error("line={value} is not a task line ({reason}); write it as TASK:LINE, e.g. line=1042:3")]
    BadTaskLine {
        /// The value, escaped and shortened.
        value: String,
        /// What is wrong with it.
        reason: TaskRefError,
    },
    /// `line=` on a scan that fulfils no task line.
    #[error("a {0} scan fulfils no task line; line= goes on pick, pack and count scans")]
    LineNotForKind(&'static str),
    /// Both `task=` and `line=`: they fill the same field.
    #[error("task= and line= both name the task this scan fulfils; give one")]
    TaskTwice,
    /// The movement breaks a protocol rule (bad id, quantity, destination).
    #[error("{0}")]
    Invalid(#[from] ValidationError),
}

/// Parses one scan line (without its line ending) into a draft stamped
/// with `device_time_ms`.
pub fn parse_scan_line(line: &str, device_time_ms: u64) -> Result<MovementDraft, ScanLineError> {
    if line.len() > MAX_SCAN_LINE {
        return Err(ScanLineError::TooLong(line.len()));
    }
    let mut words = line.split_whitespace();
    let kind_word = words.next().ok_or(ScanLineError::Empty)?;
    let kind = MovementKind::parse(&kind_word.to_ascii_lowercase())
        .ok_or_else(|| ScanLineError::UnknownKind(shown(kind_word)))?;
    let sku = words.next().ok_or(ScanLineError::Missing("sku"))?;
    let location = words.next().ok_or(ScanLineError::Missing("location"))?;
    let qty_word = words.next().ok_or(ScanLineError::Missing("quantity"))?;
    let quantity = qty_word
        .parse::<i64>()
        .map_err(|_| ScanLineError::BadQuantity(shown(qty_word)))?;
    let mut draft = MovementDraft::new(kind, sku, location, quantity);
    draft.device_time_ms = device_time_ms;
    let mut line = None;
    for word in words {
        apply_option(&mut draft, &mut line, word)?;
    }
    if let Some(line) = line {
        apply_task_line(&mut draft, &line)?;
    }
    draft.validate()?;
    Ok(draft)
}

fn apply_option(
    draft: &mut MovementDraft,
    line: &mut Option<String>,
    word: &str,
) -> Result<(), ScanLineError> {
    let (key, value) = word
        .split_once('=')
        .ok_or_else(|| ScanLineError::Unexpected(shown(word)))?;
    let (name, slot) = match key {
        "lot" => ("lot", &mut draft.lot),
        "to" => ("to", &mut draft.to_location),
        "task" => ("task", &mut draft.task),
        "line" => ("line", line),
        _ => return Err(ScanLineError::UnknownKey(shown(key))),
    };
    if slot.is_some() {
        return Err(ScanLineError::DuplicateKey(name));
    }
    *slot = Some(value.to_string());
    Ok(())
}

/// Fills `draft.task` from a `line=` value: a canonical task reference, on
/// a kind that fulfils task lines, and no `task=` beside it.
fn apply_task_line(draft: &mut MovementDraft, value: &str) -> Result<(), ScanLineError> {
    let reference = TaskRef::parse(value).map_err(|reason| ScanLineError::BadTaskLine {
        value: shown(value),
        reason,
    })?;
    if draft.task.is_some() {
        return Err(ScanLineError::TaskTwice);
    }
    if !matches!(
        draft.kind,
        MovementKind::Pick | MovementKind::Pack | MovementKind::Count
    ) {
        return Err(ScanLineError::LineNotForKind(draft.kind.as_str()));
    }
    draft.task = Some(reference.to_string());
    Ok(())
}

/// A piece of untrusted input fit to quote in a one-line message: at most
/// 32 characters, with control and non-ASCII characters escaped.
fn shown(word: &str) -> String {
    let mut out: String = word
        .chars()
        .take(32)
        .flat_map(char::escape_default)
        .collect();
    if word.chars().nth(32).is_some() {
        out.push_str("...");
    }
    format!("\"{out}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_escapes_and_truncates() {
        assert_eq!(shown("ab"), "\"ab\"");
        assert_eq!(shown("a\nb"), "\"a\\nb\"");
        assert_eq!(shown("é"), "\"\\u{e9}\"");
        assert_eq!(shown(&"x".repeat(40)), format!("\"{}...\"", "x".repeat(32)));
    }
}
