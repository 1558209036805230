//! The task reference: how a movement says which line of which task it
//! fulfils, in its `task` field, as the text `"{task}:{line}"`.
//!
//! Why text in the old field and not a new typed field: `Movement::task`
//! is already on the wire as an id, and devices already put other ids
//! there (`"T-9"` in WIRE.md's vectors), so the field stays any id and
//! this form is a convention on top of it. Why `:` and not `/`: ids never
//! carry `/` (they may become topic segments), and the task field is an
//! id like the others. The form is canonical (plain decimal, no sign, no
//! leading zeros), so one line has exactly one text and the hub can
//! compare resends byte for byte.

use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A line of a task, as a scan names it: `"{task}:{line}"`, e.g. `"1042:3"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskRef {
    /// The task id ([`crate::TaskEntry::task`]).
    pub task: u64,
    /// The line number within it ([`crate::TaskLine::line`]).
    pub line: u32,
}

/// Why a text is not a task reference.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TaskRefError {
    /// No `:` between the task and the line.
    #[error("a task reference is \"{{task}}:{{line}}\"; this one has no ':'")]
    NoSeparator,
    /// A part is empty, has a character other than a digit, or a leading zero.
    #[error("the {0} of a task reference is not a canonical decimal number")]
    NotCanonical(&'static str),
    /// A part is a number too large for its type (u64 task, u32 line).
    #[error("the {0} of a task reference is too large")]
    TooLarge(&'static str),
}

impl TaskRef {
    /// Parses the canonical form `"{task}:{line}"`: two decimal numbers,
    /// digits only, no leading zeros (`"0"` itself is fine).
    pub fn parse(text: &str) -> Result<TaskRef, TaskRefError> {
        let (task, line) = text.split_once(':').ok_or(TaskRefError::NoSeparator)?;
        Ok(TaskRef {
            task: canonical(task, "task")?,
            line: canonical(line, "line")?,
        })
    }
}

/// The short-pick reasons a task reference may carry (WIRE.md §3.15).
pub const SHORT_REASONS: [&str; 3] = ["not_found", "damaged", "other"];

impl TaskRef {
    /// Parses what a scan's `task` field holds for a task line: the
    /// reference, optionally followed by `:` and the reason a pick came
    /// short (`"1042:3:not_found"`; one of [`SHORT_REASONS`]).
    pub fn parse_line(text: &str) -> Result<(TaskRef, Option<&'static str>), TaskRefError> {
        let (head, tail) = match text.match_indices(':').nth(1) {
            Some((at, _)) => (&text[..at], Some(&text[at + 1..])),
            None => (text, None),
        };
        let reference = TaskRef::parse(head)?;
        match tail {
            None => Ok((reference, None)),
            Some(word) => SHORT_REASONS
                .iter()
                .find(|r| **r == word)
                .map(|r| (reference, Some(*r)))
                .ok_or(TaskRefError::NotCanonical("short reason")),
        }
    }

    /// The field for a short pick of this line: `"{task}:{line}:{reason}"`.
    pub fn with_reason(&self, reason: &str) -> String {
        format!("{self}:{reason}")
    }
}

/// A canonical decimal number: digits only, no leading zero unless it is
/// `"0"`, and it fits `T`.
fn canonical<T: FromStr>(digits: &str, part: &'static str) -> Result<T, TaskRefError> {
    let plain = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if !plain || (digits.len() > 1 && digits.starts_with('0')) {
        return Err(TaskRefError::NotCanonical(part));
    }
    // Only digits are left, so the one way to fail is overflow.
    digits.parse().map_err(|_| TaskRefError::TooLarge(part))
}

impl FromStr for TaskRef {
    type Err = TaskRefError;

    fn from_str(text: &str) -> Result<TaskRef, TaskRefError> {
        TaskRef::parse(text)
    }
}

impl fmt::Display for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.task, self.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::check_id;

    #[test]
    fn canonical_references_parse_and_print_back() {
        for (text, task, line) in [
            ("1042:3", 1042, 3),
            ("0:0", 0, 0),
            ("18446744073709551615:4294967295", u64::MAX, u32::MAX),
        ] {
            let parsed = TaskRef::parse(text).unwrap();
            assert_eq!(parsed, TaskRef { task, line });
            assert_eq!(parsed.to_string(), text);
            assert_eq!(text.parse(), Ok(parsed));
            assert_eq!(check_id("task", text), Ok(()), "{text} is a valid id");
        }
    }

    #[test]
    fn a_line_may_carry_the_reason_its_pick_came_short() {
        let at = TaskRef {
            task: 1042,
            line: 3,
        };
        assert_eq!(TaskRef::parse_line("1042:3"), Ok((at, None)));
        assert_eq!(
            TaskRef::parse_line("1042:3:not_found"),
            Ok((at, Some("not_found")))
        );
        assert_eq!(at.with_reason("damaged"), "1042:3:damaged");
        assert_eq!(check_id("task", &at.with_reason("not_found")), Ok(()));
        for bad in [
            "1042:3:",
            "1042:3:lost",
            "1042:3:not_found:x",
            "1042",
            "x:3:other",
        ] {
            assert!(TaskRef::parse_line(bad).is_err(), "{bad}");
        }
        // The plain parser still takes only the canonical reference.
        assert!(TaskRef::parse("1042:3:not_found").is_err());
    }

    #[test]
    fn other_texts_are_refused_by_reason() {
        use TaskRefError::*;
        for (text, want) in [
            ("", NoSeparator),
            ("T-9", NoSeparator),
            ("1042/3", NoSeparator),
            (":3", NotCanonical("task")),
            ("1042:", NotCanonical("line")),
            ("01:3", NotCanonical("task")),
            ("1:03", NotCanonical("line")),
            ("00:0", NotCanonical("task")),
            ("+1:3", NotCanonical("task")),
            ("-1:3", NotCanonical("task")),
            ("1:-3", NotCanonical("line")),
            (" 1:3", NotCanonical("task")),
            ("1:3 ", NotCanonical("line")),
            ("1:3:4", NotCanonical("line")),
            ("1:٣", NotCanonical("line")),
            ("18446744073709551616:0", TooLarge("task")),
            ("1:4294967296", TooLarge("line")),
        ] {
            assert_eq!(TaskRef::parse(text), Err(want), "{text:?}");
        }
    }
}
