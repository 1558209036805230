//! The simulated barcode engine's logic, without I/O: the host commands it
//! understands (the set of `agent::scanner::commands`) and the script it
//! plays (reads, double reads, noise, disconnects).
//!
//! Why pure: the pseudo-terminal engine (`firmware-sim scanner`) and the
//! fleet's in-memory engines share it, and the tests check it on bytes.

use agent::scanner::commands::{BEEPER_OFF, BEEPER_ON, CONFIGURE, SYN, TRIGGER_OFF, TRIGGER_ON};
use thiserror::Error;

/// A command from the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineCommand {
    /// AIM identifiers and CR framing on.
    Configure,
    /// Trigger pressed.
    TriggerOn,
    /// Trigger released.
    TriggerOff,
    /// Beeper on.
    BeeperOn,
    /// Beeper off.
    BeeperOff,
    /// A `SYN ... CR` command this engine does not know (its word).
    Unknown(String),
}

/// Finds commands in the bytes the host sends; anything outside a
/// `SYN ... CR` frame is line noise and skipped.
#[derive(Debug, Default)]
pub struct CommandParser {
    frame: Option<Vec<u8>>,
}

const MAX_COMMAND: usize = 32;

impl CommandParser {
    /// Feeds bytes; returns the commands they completed.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<EngineCommand> {
        let mut out = Vec::new();
        for &b in bytes {
            match (&mut self.frame, b) {
                (_, SYN) => self.frame = Some(vec![SYN]),
                (Some(frame), b'\r') => {
                    frame.push(b'\r');
                    out.push(classify(frame));
                    self.frame = None;
                }
                (Some(frame), _) if frame.len() < MAX_COMMAND => frame.push(b),
                (Some(_), _) => self.frame = None,
                (None, _) => {}
            }
        }
        out
    }
}

fn classify(frame: &[u8]) -> EngineCommand {
    match frame {
        f if f == CONFIGURE => EngineCommand::Configure,
        f if f == TRIGGER_ON => EngineCommand::TriggerOn,
        f if f == TRIGGER_OFF => EngineCommand::TriggerOff,
        f if f == BEEPER_ON => EngineCommand::BeeperOn,
        f if f == BEEPER_OFF => EngineCommand::BeeperOff,
        f => EngineCommand::Unknown(
            String::from_utf8_lossy(&f[1..f.len().saturating_sub(1)]).into_owned(),
        ),
    }
}

/// One step of a scanner script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send this read (one trigger pull).
    Read(String),
    /// Send this read twice, the second a few ms after the first.
    Double(String),
    /// Send this many bytes of seeded junk, then CR.
    Noise(usize),
    /// Close the port and open a new one behind the same link.
    Disconnect,
}

/// Why a script line was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScriptError {
    /// An `@word` that is not a directive.
    #[error("line {line}: unknown directive {word:?} (expected @double, @noise or @disconnect)")]
    UnknownDirective {
        /// 1-based line number.
        line: usize,
        /// The directive.
        word: String,
    },
    /// `@noise` without a byte count.
    #[error("line {line}: @noise needs a byte count from 1 to 100000")]
    BadNoise {
        /// 1-based line number.
        line: usize,
    },
}

/// Parses a script: one step per line; `#` comments and blank lines are
/// skipped; `<GS>` stands for the GS character (FNC1) and `<CR>` for CR.
/// Directives: `@double READ`, `@noise BYTES`, `@disconnect`.
pub fn parse_script(text: &str) -> Result<Vec<Step>, ScriptError> {
    let mut steps = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some(directive) = line.strip_prefix('@') else {
            steps.push(Step::Read(unescape(line)));
            continue;
        };
        let (word, rest) = directive.split_once(' ').unwrap_or((directive, ""));
        let step = match word {
            "double" => Step::Double(unescape(rest.trim())),
            "noise" => match rest.trim().parse::<usize>() {
                Ok(n) if (1..=100_000).contains(&n) => Step::Noise(n),
                _ => return Err(ScriptError::BadNoise { line: i + 1 }),
            },
            "disconnect" => Step::Disconnect,
            _ => {
                return Err(ScriptError::UnknownDirective {
                    line: i + 1,
                    word: word.to_string(),
                })
            }
        };
        steps.push(step);
    }
    Ok(steps)
}

/// Replaces `<GS>` with the GS character and `<CR>` with CR.
pub fn unescape(text: &str) -> String {
    text.replace("<GS>", "\u{1d}").replace("<CR>", "\r")
}

/// Junk as a noisy line sends it: any byte but CR and LF (which would end
/// it early), from a simple seeded generator so runs repeat.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match (x >> 24) as u8 {
                b'\r' | b'\n' => 0xfe,
                b => b,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_found_among_noise() {
        let mut p = CommandParser::default();
        let mut got = p.push(b"junk\x16AIM1\r\x16T");
        got.extend(p.push(b"\r\x16B1\r\x16B0\rxx\x16U\r\x16ZZ\r\x16T\x16U\r"));
        use EngineCommand::*;
        assert_eq!(
            got,
            vec![
                Configure,
                TriggerOn,
                BeeperOn,
                BeeperOff,
                TriggerOff,
                Unknown("ZZ".into()),
                TriggerOff
            ]
        );
        let mut long = vec![SYN];
        long.extend(std::iter::repeat_n(b'x', 100));
        long.push(b'\r');
        assert_eq!(p.push(&long), vec![]);
    }

    #[test]
    fn scripts_parse_with_escapes_and_directives() {
        let text = "# shift\nMODE:receive\n\n]C10109506000134352<GS>10L1\n@double LOC:A-01\n@noise 40\n@disconnect\n";
        assert_eq!(
            parse_script(text),
            Ok(vec![
                Step::Read("MODE:receive".into()),
                Step::Read("]C10109506000134352\u{1d}10L1".into()),
                Step::Double("LOC:A-01".into()),
                Step::Noise(40),
                Step::Disconnect,
            ])
        );
        assert_eq!(
            parse_script("@nap 3"),
            Err(ScriptError::UnknownDirective {
                line: 1,
                word: "nap".into()
            })
        );
        assert_eq!(
            parse_script("x\n@noise 0"),
            Err(ScriptError::BadNoise { line: 2 })
        );
    }

    #[test]
    fn noise_never_ends_a_line() {
        let junk = noise(10_000, 7);
        assert_eq!(junk.len(), 10_000);
        assert!(!junk.contains(&b'\r') && !junk.contains(&b'\n'));
        assert_eq!(junk, noise(10_000, 7));
    }
}
