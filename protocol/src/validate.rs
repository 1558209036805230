//! Rules that a decodable message can still break: a frame can be perfect
//! postcard and still describe something impossible (a pick of zero, a
//! batch whose sequence numbers skip). The hub dead-letters such batches
//! with the reason; the agent refuses such scans before journaling them.

use crate::message::{
    EventBatch, Movement, MovementKind, Status, TaskAck, TaskEntry, TaskKind, TaskLine, TaskList,
};
use thiserror::Error;

/// Largest absolute quantity in one movement (a pallet of screws, not a typo).
pub const MAX_QUANTITY: i64 = 1_000_000;
/// Longest site, device, SKU, location, lot or task id, in bytes.
pub const MAX_ID_LEN: usize = 64;
/// Most movements one batch may carry.
pub const MAX_BATCH_MOVEMENTS: usize = 4096;
/// Most tasks in one task list.
pub const MAX_LIST_TASKS: usize = 200;
/// Most lines in one task.
pub const MAX_TASK_LINES: usize = 200;
/// Most lines in one task list, all tasks together: what keeps the
/// largest valid list, sealed, inside the 1 MiB MQTT packet (WIRE.md §9).
pub const MAX_LIST_LINES: usize = 2000;
/// Longest remarks on a task, in characters (Unicode scalar values).
pub const MAX_REMARKS_CHARS: usize = 500;
/// Longest app version a status may carry, in bytes (printable ASCII).
pub const MAX_APP_VERSION_LEN: usize = 32;
/// The radio signal strengths, in dBm, a status may report.
pub const SIGNAL_DBM_RANGE: std::ops::RangeInclusive<i16> = -150..=0;

/// Why a message is impossible.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValidationError {
    /// A batch with no movements.
    #[error("empty batch")]
    EmptyBatch,
    /// A batch with more than [`MAX_BATCH_MOVEMENTS`] movements.
    #[error("batch of {0} movements exceeds the limit of {MAX_BATCH_MOVEMENTS}")]
    BatchTooLarge(usize),
    /// Sequence number 0 is reserved for "nothing yet".
    #[error("sequence numbers start at 1")]
    ZeroSequence,
    /// Epoch 0 is no journal's epoch (epochs are random and non-zero).
    #[error("epoch 0 is not a journal epoch (epochs are non-zero)")]
    ZeroEpoch,
    /// The batch's sequence numbers would pass `u64::MAX`.
    #[error("sequence numbers overflow: the last one would pass 2^64 - 1")]
    SequenceOverflow,
    /// `movements[i].seq != first_seq + i`.
    #[error("movement {index} has seq {found}, expected {expected}")]
    SequenceGap {
        /// Position in the batch.
        index: usize,
        /// The sequence number it should have.
        expected: u64,
        /// The sequence number it has.
        found: u64,
    },
    /// A quantity breaks its kind's sign rule or the size limit.
    #[error("quantity {quantity} is not allowed for {kind}: {rule}")]
    BadQuantity {
        /// The movement kind, as its word.
        kind: &'static str,
        /// The quantity found.
        quantity: i64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A putaway or move without a destination, or another kind with one.
    #[error("{kind} {problem}")]
    BadDestination {
        /// The movement kind, as its word.
        kind: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// A battery level above 100 %.
    #[error("battery level {0} % is above 100 %")]
    BadBattery(u8),
    /// A signal strength outside [`SIGNAL_DBM_RANGE`].
    #[error("signal {0} dBm is outside -150..=0 dBm")]
    BadSignal(i16),
    /// An app version that is empty, too long or not printable ASCII.
    #[error("app version {problem}")]
    BadAppVersion {
        /// What is wrong.
        problem: &'static str,
    },
    /// An id that is empty, too long, or has characters ids may not carry.
    #[error("{field} {problem}")]
    BadId {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// A task list with more than [`MAX_LIST_TASKS`] tasks, or more than
    /// [`MAX_LIST_LINES`] lines in all.
    #[error("task list of {tasks} tasks and {lines} lines exceeds the limit of {MAX_LIST_TASKS} tasks and {MAX_LIST_LINES} lines")]
    ListTooLarge {
        /// Tasks in the list.
        tasks: usize,
        /// Lines in the list, all tasks together.
        lines: usize,
    },
    /// A task with more than [`MAX_TASK_LINES`] lines.
    #[error("task {task} has {lines} lines, more than the limit of {MAX_TASK_LINES}")]
    TaskTooLarge {
        /// The task id.
        task: u64,
        /// Its lines.
        lines: usize,
    },
    /// The same task id twice in one list.
    #[error("task {0} appears twice in the list")]
    DuplicateTask(u64),
    /// The same line number twice in one task.
    #[error("line {line} appears twice in task {task}")]
    DuplicateLine {
        /// The task id.
        task: u64,
        /// The line number.
        line: u32,
    },
    /// A task line's quantity or done count breaks its task kind's rule.
    #[error("task {task} line {line}: {rule} (quantity {quantity}, done {done})")]
    BadTaskLine {
        /// The task id.
        task: u64,
        /// The line number.
        line: u32,
        /// The quantity found.
        quantity: i64,
        /// The done count found.
        done: i64,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// Remarks that are too long or carry control characters.
    #[error("task {task}: remarks {problem}")]
    BadRemarks {
        /// The task id.
        task: u64,
        /// What is wrong.
        problem: &'static str,
    },
    /// A label job that breaks a rule (`crate::label`).
    #[error("label job {job}: {problem}")]
    BadLabelJob {
        /// The job id.
        job: u64,
        /// What is wrong.
        problem: &'static str,
    },
    /// A label report with more than `label::MAX_REPORT_RESULTS` results.
    #[error("label report of {0} results exceeds the limit of 500")]
    ReportTooLarge(usize),
    /// A return without its order and reason, or a damaged unit not sent
    /// to quarantine.
    #[error("bad return: {0}")]
    BadReturn(String),
    /// A result in a label report that breaks a rule.
    #[error("label result for job {job}: {problem}")]
    BadJobResult {
        /// The job id.
        job: u64,
        /// What is wrong.
        problem: &'static str,
    },
}

/// Checks an identifier: 1..=[`MAX_ID_LEN`] bytes of printable ASCII,
/// without spaces or the MQTT topic characters `/`, `+` and `#`.
pub fn check_id(field: &'static str, value: &str) -> Result<(), ValidationError> {
    let problem = if value.is_empty() {
        Some("is empty")
    } else if value.len() > MAX_ID_LEN {
        Some("is longer than 64 bytes")
    } else if !value.bytes().all(|b| b.is_ascii_graphic()) {
        Some("has a space, control or non-ASCII character")
    } else if value.contains(['/', '+', '#']) {
        Some("contains '/', '+' or '#'")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ValidationError::BadId { field, problem }),
        None => Ok(()),
    }
}

impl Movement {
    /// Checks the ids and the kind's quantity and destination rules.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("sku", &self.sku)?;
        check_id("location", &self.location)?;
        if let Some(lot) = &self.lot {
            check_id("lot", lot)?;
        }
        if let Some(task) = &self.task {
            check_id("task", task)?;
        }
        if self.seq == 0 {
            return Err(ValidationError::ZeroSequence);
        }
        self.check_destination()?;
        self.check_quantity()?;
        self.check_return()
    }

    /// A return names its order and reason (`return:{order}:{reason}`),
    /// and a damaged unit goes to a quarantine location (never available).
    fn check_return(&self) -> Result<(), ValidationError> {
        if self.kind != MovementKind::Return {
            return Ok(());
        }
        let task = self.task.as_deref().unwrap_or_default();
        let reference =
            crate::ReturnRef::parse(task).map_err(|e| ValidationError::BadReturn(e.to_string()))?;
        let quarantine = self.location.starts_with(crate::message::QUARANTINE_PREFIX);
        if reference.reason.quarantined() != quarantine {
            let rule = if quarantine {
                "only a damaged return goes to a quarantine location (QUAR...)"
            } else {
                "a damaged return goes to a quarantine location (QUAR...)"
            };
            return Err(ValidationError::BadReturn(rule.into()));
        }
        Ok(())
    }

    fn check_destination(&self) -> Result<(), ValidationError> {
        let kind = self.kind.as_str();
        match (&self.to_location, self.kind.needs_destination()) {
            (Some(to), true) => {
                check_id("to_location", to)?;
                if *to == self.location {
                    return Err(ValidationError::BadDestination {
                        kind,
                        problem: "destination equals the source location",
                    });
                }
                Ok(())
            }
            (None, false) => Ok(()),
            (None, true) => Err(ValidationError::BadDestination {
                kind,
                problem: "needs a destination location",
            }),
            (Some(_), false) => Err(ValidationError::BadDestination {
                kind,
                problem: "must not carry a destination location",
            }),
        }
    }

    fn check_quantity(&self) -> Result<(), ValidationError> {
        let q = self.quantity;
        let rule = if q.unsigned_abs() > MAX_QUANTITY as u64 {
            Some("magnitude above 1000000")
        } else {
            match self.kind {
                MovementKind::Adjust if q == 0 => Some("an adjustment must not be zero"),
                MovementKind::Adjust => None,
                MovementKind::Count if q < 0 => Some("a count must be zero or more"),
                MovementKind::Count => None,
                MovementKind::Ship if q != 1 => Some("a ship scan is one parcel: quantity 1"),
                _ if q <= 0 => Some("must be greater than zero"),
                _ => None,
            }
        };
        match rule {
            Some(rule) => Err(ValidationError::BadQuantity {
                kind: self.kind.as_str(),
                quantity: q,
                rule,
            }),
            None => Ok(()),
        }
    }
}

impl Status {
    /// Checks the ids, that the battery level is a percentage, the signal
    /// strength is in [`SIGNAL_DBM_RANGE`] and the app version is 1 to
    /// [`MAX_APP_VERSION_LEN`] printable ASCII characters (space included).
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("site", &self.site)?;
        check_id("device", &self.device)?;
        if let Some(pct) = self.battery_pct.filter(|&pct| pct > 100) {
            return Err(ValidationError::BadBattery(pct));
        }
        if let Some(dbm) = self.signal_dbm.filter(|d| !SIGNAL_DBM_RANGE.contains(d)) {
            return Err(ValidationError::BadSignal(dbm));
        }
        check_app_version(&self.app_version)
    }
}

fn check_app_version(version: &str) -> Result<(), ValidationError> {
    let problem = if version.is_empty() {
        "is empty"
    } else if version.len() > MAX_APP_VERSION_LEN {
        "is longer than 32 bytes"
    } else if !version.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        "has a character that is not printable ASCII"
    } else {
        return Ok(());
    };
    Err(ValidationError::BadAppVersion { problem })
}

impl TaskList {
    /// Checks the ids, the sizes, that task ids and line numbers are
    /// unique, and every task and line. That `site` and `device` are the
    /// recipient's is checked when the list is opened
    /// ([`crate::sealed::open`] refuses a list addressed to another).
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("site", &self.site)?;
        check_id("device", &self.device)?;
        let lines = self.tasks.iter().map(|t| t.lines.len()).sum();
        if self.tasks.len() > MAX_LIST_TASKS || lines > MAX_LIST_LINES {
            return Err(ValidationError::ListTooLarge {
                tasks: self.tasks.len(),
                lines,
            });
        }
        let mut ids: Vec<u64> = self.tasks.iter().map(|t| t.task).collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(ValidationError::DuplicateTask(pair[0]));
        }
        self.tasks.iter().try_for_each(TaskEntry::validate)
    }
}

impl TaskEntry {
    /// Checks the size, the remarks, unique line numbers and every line
    /// against this task's kind.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let task = self.task;
        if self.lines.len() > MAX_TASK_LINES {
            return Err(ValidationError::TaskTooLarge {
                task,
                lines: self.lines.len(),
            });
        }
        if let Some(remarks) = &self.remarks {
            check_remarks(task, remarks)?;
        }
        let mut numbers: Vec<u32> = self.lines.iter().map(|l| l.line).collect();
        numbers.sort_unstable();
        if let Some(pair) = numbers.windows(2).find(|pair| pair[0] == pair[1]) {
            return Err(ValidationError::DuplicateLine {
                task,
                line: pair[0],
            });
        }
        self.lines
            .iter()
            .try_for_each(|line| line.validate(task, self.kind))
    }
}

/// Remarks are shown on the handheld's terminal, so besides the length
/// they must not carry control characters (an escape sequence in a
/// buyer's note could rewrite the picker's screen). Line breaks are
/// control characters too: the hub sends them as spaces.
fn check_remarks(task: u64, remarks: &str) -> Result<(), ValidationError> {
    let problem = if remarks.chars().nth(MAX_REMARKS_CHARS).is_some() {
        "are longer than 500 characters"
    } else if remarks.chars().any(char::is_control) {
        "carry a control character"
    } else {
        return Ok(());
    };
    Err(ValidationError::BadRemarks { task, problem })
}

impl TaskLine {
    /// Checks the ids (the same rules as a movement's sku, location and
    /// lot) and the quantities for a line of a task of `kind`: a pick asks
    /// for 1 to [`MAX_QUANTITY`], a count for 0 ("count it"); `done` is 0
    /// to `quantity`.
    pub fn validate(&self, task: u64, kind: TaskKind) -> Result<(), ValidationError> {
        check_id("sku", &self.sku)?;
        check_id("location", &self.location)?;
        if let Some(lot) = &self.lot {
            check_id("lot", lot)?;
        }
        let (quantity, done) = (self.quantity, self.done);
        let rule = match kind {
            TaskKind::Pick if !(1..=MAX_QUANTITY).contains(&quantity) => {
                Some("a pick line asks for 1 to 1000000 units")
            }
            TaskKind::Count if quantity != 0 => Some("a count line has quantity 0"),
            _ if !(0..=quantity).contains(&done) => Some("done must be 0 to the quantity"),
            _ => None,
        };
        match rule {
            Some(rule) => Err(ValidationError::BadTaskLine {
                task,
                line: self.line,
                quantity,
                done,
                rule,
            }),
            None => Ok(()),
        }
    }
}

impl TaskAck {
    /// Checks the ids. The tag is checked by the hub, which holds the keys
    /// (and refuses an unsigned one, as for a batch).
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("site", &self.site)?;
        check_id("device", &self.device)
    }
}

impl EventBatch {
    /// Checks the ids, the size, the sequence run and every movement.
    /// The authentication tag is checked by the hub, which holds the keys.
    pub fn validate(&self) -> Result<(), ValidationError> {
        check_id("site", &self.site)?;
        check_id("device", &self.device)?;
        if self.epoch == 0 {
            return Err(ValidationError::ZeroEpoch);
        }
        if self.movements.is_empty() {
            return Err(ValidationError::EmptyBatch);
        }
        if self.movements.len() > MAX_BATCH_MOVEMENTS {
            return Err(ValidationError::BatchTooLarge(self.movements.len()));
        }
        if self.first_seq == 0 {
            return Err(ValidationError::ZeroSequence);
        }
        if self
            .first_seq
            .checked_add(self.movements.len() as u64 - 1)
            .is_none()
        {
            return Err(ValidationError::SequenceOverflow);
        }
        for (index, movement) in self.movements.iter().enumerate() {
            let expected = self.first_seq + index as u64;
            if movement.seq != expected {
                return Err(ValidationError::SequenceGap {
                    index,
                    expected,
                    found: movement.seq,
                });
            }
            movement.validate()?;
        }
        Ok(())
    }

    /// Sequence number of the last movement (`first_seq - 1` when empty).
    pub fn last_seq(&self) -> u64 {
        self.first_seq
            .saturating_add(self.movements.len() as u64)
            .saturating_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use crate::message::Movement;

    fn return_of(location: &str, task: Option<&str>) -> Movement {
        Movement {
            seq: 1,
            kind: MovementKind::Return,
            sku: "MUG".into(),
            location: location.into(),
            to_location: None,
            lot: None,
            quantity: 1,
            device_time_ms: 0,
            task: task.map(str::to_string),
        }
    }

    #[test]
    fn a_return_names_its_order_and_damaged_goes_to_quarantine() {
        assert_eq!(
            return_of("A-01", Some("return:7:resaleable")).validate(),
            Ok(())
        );
        assert_eq!(
            return_of("QUAR-1", Some("return:7:damaged")).validate(),
            Ok(())
        );
        for (location, task) in [
            ("A-01", None),
            ("A-01", Some("7:resaleable")),
            ("A-01", Some("return:7:damaged")),
            ("QUAR-1", Some("return:7:resaleable")),
        ] {
            let refused = return_of(location, task).validate();
            assert!(
                matches!(refused, Err(ValidationError::BadReturn(_))),
                "{location} {task:?}: {refused:?}"
            );
        }
    }

    use super::*;

    fn movement(kind: MovementKind, quantity: i64, to: Option<&str>) -> Movement {
        Movement {
            seq: 1,
            kind,
            sku: "SKU-1".into(),
            location: "A-01".into(),
            to_location: to.map(str::to_string),
            lot: None,
            quantity,
            device_time_ms: 0,
            task: None,
        }
    }

    #[test]
    fn quantity_rules_per_kind() {
        use MovementKind::*;
        let table: &[(MovementKind, i64, Option<&str>, bool)] = &[
            (Receive, 5, None, true),
            (Receive, 0, None, false),
            (Receive, -1, None, false),
            (Pick, 1, None, true),
            (Pick, -3, None, false),
            (Pack, 2, None, true),
            (Adjust, -4, None, true),
            (Adjust, 0, None, false),
            (Count, 0, None, true),
            (Count, -1, None, false),
            (Move, 3, Some("B-02"), true),
            (Move, 3, None, false),
            (Move, 3, Some("A-01"), false),
            (Putaway, 3, Some("B-02"), true),
            (Pick, 3, Some("B-02"), false),
            (Receive, MAX_QUANTITY + 1, None, false),
            (Adjust, -MAX_QUANTITY, None, true),
            (Adjust, i64::MIN, None, false),
        ];
        for &(kind, quantity, to, ok) in table {
            let result = movement(kind, quantity, to).validate();
            assert_eq!(result.is_ok(), ok, "{kind:?} {quantity} {to:?}: {result:?}");
        }
    }

    #[test]
    fn ids_are_checked() {
        for bad in ["", "a b", "a/b", "a+", "#", "é", &"x".repeat(65)] {
            assert!(check_id("sku", bad).is_err(), "{bad:?} accepted");
        }
        assert!(check_id("sku", "SKU-1_a.b").is_ok());
    }

    #[test]
    fn batch_sequence_must_be_contiguous() {
        let mut m2 = movement(MovementKind::Pick, 1, None);
        m2.seq = 3;
        let batch = EventBatch {
            site: "s1".into(),
            device: "d1".into(),
            epoch: 7,
            first_seq: 1,
            movements: vec![movement(MovementKind::Pick, 1, None), m2],
            auth_tag: None,
        };
        assert!(matches!(
            batch.validate(),
            Err(ValidationError::SequenceGap {
                index: 1,
                expected: 2,
                found: 3
            })
        ));
        let mut at_end = batch.clone();
        at_end.first_seq = u64::MAX;
        at_end.movements[0].seq = u64::MAX;
        at_end.movements[1].seq = u64::MAX;
        assert_eq!(at_end.validate(), Err(ValidationError::SequenceOverflow));
        assert_eq!(at_end.last_seq(), u64::MAX - 1, "saturates, never panics");
        let empty = EventBatch {
            movements: vec![],
            ..batch
        };
        assert_eq!(empty.validate(), Err(ValidationError::EmptyBatch));
        let no_epoch = EventBatch { epoch: 0, ..empty };
        assert_eq!(no_epoch.validate(), Err(ValidationError::ZeroEpoch));
    }

    fn line(line: u32, quantity: i64, done: i64) -> TaskLine {
        TaskLine {
            line,
            sku: "SKU-1".into(),
            location: "A-01".into(),
            lot: None,
            quantity,
            done,
            order: None,
        }
    }

    fn entry(task: u64, kind: TaskKind, lines: Vec<TaskLine>) -> TaskEntry {
        TaskEntry {
            task,
            kind,
            order: None,
            remarks: None,
            lines,
        }
    }

    fn list(tasks: Vec<TaskEntry>) -> TaskList {
        TaskList {
            site: "s1".into(),
            device: "d1".into(),
            version: 1,
            tasks,
        }
    }

    fn bad_line(quantity: i64, done: i64, rule: &'static str) -> ValidationError {
        ValidationError::BadTaskLine {
            task: 1,
            line: 0,
            quantity,
            done,
            rule,
        }
    }

    #[test]
    fn task_line_quantities_per_kind() {
        const PICK: &str = "a pick line asks for 1 to 1000000 units";
        const COUNT: &str = "a count line has quantity 0";
        const DONE: &str = "done must be 0 to the quantity";
        use TaskKind::{Count, Pick};
        let table: &[(TaskKind, i64, i64, Option<&'static str>)] = &[
            (Pick, 1, 0, None),
            (Pick, 5, 5, None),
            (Pick, MAX_QUANTITY, 0, None),
            (Pick, 0, 0, Some(PICK)),
            (Pick, -1, 0, Some(PICK)),
            (Pick, MAX_QUANTITY + 1, 0, Some(PICK)),
            (Pick, i64::MIN, 0, Some(PICK)),
            (Pick, 5, 6, Some(DONE)),
            (Pick, 5, -1, Some(DONE)),
            (Count, 0, 0, None),
            (Count, 1, 0, Some(COUNT)),
            (Count, -1, 0, Some(COUNT)),
            (Count, 0, 1, Some(DONE)),
            (Count, 0, -1, Some(DONE)),
        ];
        for &(kind, quantity, done, rule) in table {
            let got = list(vec![entry(1, kind, vec![line(0, quantity, done)])]).validate();
            let want = match rule {
                Some(rule) => Err(bad_line(quantity, done, rule)),
                None => Ok(()),
            };
            assert_eq!(got, want, "{kind:?} quantity {quantity} done {done}");
        }
    }

    #[test]
    fn task_list_sizes() {
        let lines = |n: u32| (0..n).map(|i| line(i, 1, 0)).collect::<Vec<_>>();
        let tasks = |n: u64, per: u32| {
            (0..n)
                .map(|t| entry(t, TaskKind::Pick, lines(per)))
                .collect::<Vec<_>>()
        };
        assert_eq!(list(vec![]).validate(), Ok(()));
        assert_eq!(list(tasks(200, 10)).validate(), Ok(()));
        assert_eq!(
            list(tasks(201, 0)).validate(),
            Err(ValidationError::ListTooLarge {
                tasks: 201,
                lines: 0
            })
        );
        assert_eq!(list(tasks(10, 200)).validate(), Ok(()));
        assert_eq!(
            list(tasks(1, 201)).validate(),
            Err(ValidationError::TaskTooLarge {
                task: 0,
                lines: 201
            })
        );
        assert_eq!(
            list(tasks(11, 182)).validate(),
            Err(ValidationError::ListTooLarge {
                tasks: 11,
                lines: 2002
            })
        );
        assert_eq!(list(tasks(20, 100)).validate(), Ok(()));
    }

    #[test]
    fn task_ids_and_line_numbers_are_unique() {
        let one = |task| entry(task, TaskKind::Pick, vec![line(0, 1, 0)]);
        assert_eq!(
            list(vec![one(4), one(2), one(4)]).validate(),
            Err(ValidationError::DuplicateTask(4))
        );
        let twice = entry(
            3,
            TaskKind::Pick,
            vec![line(7, 1, 0), line(2, 1, 0), line(7, 1, 0)],
        );
        assert_eq!(
            list(vec![twice]).validate(),
            Err(ValidationError::DuplicateLine { task: 3, line: 7 })
        );
        // The same line number in two tasks is two lines.
        assert_eq!(list(vec![one(1), one(2)]).validate(), Ok(()));
    }

    #[test]
    fn task_list_ids_and_remarks_are_checked() {
        let with_remarks = |remarks: &str| {
            let mut task = entry(1, TaskKind::Pick, vec![line(0, 1, 0)]);
            task.remarks = Some(remarks.to_string());
            list(vec![task]).validate()
        };
        let remarks_err = |problem| Err(ValidationError::BadRemarks { task: 1, problem });
        assert_eq!(with_remarks(""), Ok(()));
        assert_eq!(with_remarks("Bitte klingeln: 2. OG, Tür links"), Ok(()));
        assert_eq!(with_remarks(&"€".repeat(500)), Ok(()));
        assert_eq!(
            with_remarks(&"€".repeat(501)),
            remarks_err("are longer than 500 characters")
        );
        for control in ["a\nb", "\u{1b}[2J", "tab\there", "\u{85}", "\u{7f}"] {
            assert_eq!(
                with_remarks(control),
                remarks_err("carry a control character"),
                "{control:?}"
            );
        }
        let mut bad_site = list(vec![]);
        bad_site.site = "s/1".into();
        assert!(matches!(
            bad_site.validate(),
            Err(ValidationError::BadId { field: "site", .. })
        ));
        let mut bad_lot = line(0, 1, 0);
        bad_lot.lot = Some("L 7".into());
        let mut bad_location = line(1, 1, 0);
        bad_location.location = String::new();
        let mut bad_sku = line(2, 1, 0);
        bad_sku.sku = "x".repeat(65);
        for (bad, field) in [
            (bad_lot, "lot"),
            (bad_location, "location"),
            (bad_sku, "sku"),
        ] {
            let got = list(vec![entry(1, TaskKind::Pick, vec![bad])]).validate();
            assert!(
                matches!(got, Err(ValidationError::BadId { field: f, .. }) if f == field),
                "{field}: {got:?}"
            );
        }
    }

    #[test]
    fn task_ack_ids_are_checked() {
        let mut ack = TaskAck {
            site: "s1".into(),
            device: "d1".into(),
            version: 0,
            auth_tag: None,
        };
        assert_eq!(ack.validate(), Ok(()));
        ack.device = "d#1".into();
        assert!(matches!(
            ack.validate(),
            Err(ValidationError::BadId {
                field: "device",
                ..
            })
        ));
    }
}
