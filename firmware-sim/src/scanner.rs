//! `firmware-sim scanner`: a simulated barcode engine on a pseudo-terminal.
//!
//! It answers the host's trigger with the next step of its script (a read,
//! a double read, line noise, or a disconnect that drops the pty and opens
//! a new one behind the same symlink), and reports every command it gets
//! (trigger, beeper) as one line on its event stream, so a test can check
//! that the agent beeped, and how often, over the real serial path.
//!
//! Why one read per trigger pull: it is how a host-triggered engine
//! behaves, and it paces the script by the agent's own progress, so a test
//! never waits on a clock.

use crate::engine::{noise, CommandParser, EngineCommand, Step};
use crate::pty::{point_link, Pty};
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long after the first read its double follows.
pub const DOUBLE_READ_GAP: Duration = Duration::from_millis(30);

/// What the engine plays, and where.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The symlink the host opens; it always points at the current pty.
    pub link: PathBuf,
    /// The script.
    pub steps: Vec<Step>,
    /// Seed of the line noise.
    pub seed: u64,
}

/// The script played when none is given: a short receiving shift.
pub const DEMO_SCRIPT: &str = "\
MODE:receive
LOC:A-01-01
]C10109506000134352<GS>10LOT-1<GS>3712
@double ]C10109506000134352<GS>10LOT-2<GS>21S-2<GS>376
@noise 40
]E04006381333931
MODE:pick
(01)09506000134352(10)LOT-1(37)2
";

struct Engine<'a> {
    config: &'a EngineConfig,
    events: &'a mut dyn Write,
    pty: Pty,
    parser: CommandParser,
    trigger: bool,
    served_this_pull: bool,
    next: usize,
    double: Option<(String, Instant)>,
    done_reported: bool,
}

/// Plays the script until `stop` is set; writes one event line per
/// happening to `events`.
pub fn run_engine(
    config: &EngineConfig,
    events: &mut dyn Write,
    stop: &AtomicBool,
) -> io::Result<()> {
    let pty = Pty::open()?;
    let mut engine = Engine {
        config,
        events,
        pty,
        parser: CommandParser::default(),
        trigger: false,
        served_this_pull: false,
        next: 0,
        double: None,
        done_reported: false,
    };
    engine.publish_link()?;
    while !stop.load(Ordering::Relaxed) {
        engine.poll_host()?;
        engine.send_due_double()?;
        if engine.trigger && !engine.served_this_pull {
            engine.play_next()?;
        }
        if engine.next >= config.steps.len() && engine.double.is_none() && !engine.done_reported {
            engine.done_reported = true;
            engine.event("script done")?;
        }
    }
    let _ = std::fs::remove_file(&config.link);
    Ok(())
}

impl Engine<'_> {
    fn event(&mut self, line: &str) -> io::Result<()> {
        writeln!(self.events, "{line}")?;
        self.events.flush()
    }

    fn publish_link(&mut self) -> io::Result<()> {
        point_link(&self.config.link, self.pty.slave_path())?;
        let line = format!(
            "link {} -> {}",
            self.config.link.display(),
            self.pty.slave_path().display()
        );
        self.event(&line)
    }

    fn poll_host(&mut self) -> io::Result<()> {
        if !self.pty.wait_readable(Duration::from_millis(10))? {
            return Ok(());
        }
        let mut buf = [0u8; 256];
        let n = match self.pty.master().read(&mut buf) {
            Ok(n) => n,
            // EIO: the host closed its side; it will open it again.
            Err(e) if e.raw_os_error() == Some(libc::EIO) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        };
        for command in self.parser.push(&buf[..n]) {
            let line = match command {
                EngineCommand::Configure => "configure".to_string(),
                EngineCommand::TriggerOn => {
                    self.trigger = true;
                    "trigger on".to_string()
                }
                EngineCommand::TriggerOff => {
                    self.trigger = false;
                    self.served_this_pull = false;
                    "trigger off".to_string()
                }
                EngineCommand::BeeperOn => "beeper on".to_string(),
                EngineCommand::BeeperOff => "beeper off".to_string(),
                EngineCommand::Unknown(word) => format!("unknown command {word:?}"),
            };
            self.event(&line)?;
        }
        Ok(())
    }

    fn send_due_double(&mut self) -> io::Result<()> {
        if let Some((read, at)) = self.double.take() {
            if Instant::now() < at {
                self.double = Some((read, at));
                return Ok(());
            }
            self.send_line(read.as_bytes())?;
            self.event("sent double")?;
        }
        Ok(())
    }

    fn play_next(&mut self) -> io::Result<()> {
        let Some(step) = self.config.steps.get(self.next).cloned() else {
            return Ok(());
        };
        self.next += 1;
        self.served_this_pull = true;
        match step {
            Step::Read(read) => self.send_line(read.as_bytes())?,
            Step::Double(read) => {
                self.send_line(read.as_bytes())?;
                self.double = Some((read, Instant::now() + DOUBLE_READ_GAP));
            }
            Step::Noise(len) => {
                let junk = noise(len, self.config.seed ^ self.next as u64);
                self.send_line(&junk)?;
            }
            Step::Disconnect => return self.disconnect(),
        }
        let line = format!("sent {}", self.next);
        self.event(&line)
    }

    fn disconnect(&mut self) -> io::Result<()> {
        // Dropping the old master hangs up the host's side.
        self.pty = Pty::open()?;
        self.parser = CommandParser::default();
        self.trigger = false;
        self.served_this_pull = false;
        self.double = None;
        self.event("disconnected")?;
        self.publish_link()
    }

    fn send_line(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut line = bytes.to_vec();
        line.push(b'\r');
        match self.pty.master().write_all(&line) {
            Err(e) if e.raw_os_error() == Some(libc::EIO) => Ok(()),
            other => other,
        }
    }
}
