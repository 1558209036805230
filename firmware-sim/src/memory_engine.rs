//! A barcode engine in memory, for the fleet's simulated handhelds: the
//! agent's real driver talks to it through embedded-io and embedded-hal
//! traits exactly as it talks to a serial port, without a pty per device.
//!
//! Why through the driver at all: the fleet's double reads then go the
//! same way as on a handheld (engine -> driver -> double-read filter ->
//! journal), so a leak in any of them shows up as stock applied twice.

use crate::engine::{CommandParser, EngineCommand};
use agent::scanner::Scanner;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Default)]
struct State {
    /// Reads waiting for a trigger pull, each with its CR, and whether the
    /// engine will decode it twice.
    reads: VecDeque<(Vec<u8>, bool)>,
    /// Bytes of the read being sent.
    sending: VecDeque<u8>,
    /// A second decode, sent after the first without another pull.
    unsolicited: VecDeque<u8>,
    trigger: bool,
    beeps: u64,
    commands: CommandParser,
}

/// The engine; clones share it.
#[derive(Debug, Clone, Default)]
pub struct MemoryEngine(Arc<Mutex<State>>);

impl MemoryEngine {
    fn state(&self) -> MutexGuard<'_, State> {
        // Plain data: a panic elsewhere cannot leave it torn.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a read for the next trigger pull (one symbol decoded once).
    pub fn queue(&self, read: &str) {
        self.push(read, false);
    }

    /// Queues a read the engine will decode twice for one pull: the copy
    /// follows the first without waiting for the trigger.
    pub fn queue_double(&self, read: &str) {
        self.push(read, true);
    }

    fn push(&self, read: &str, double: bool) {
        let mut line = read.as_bytes().to_vec();
        line.push(b'\r');
        self.state().reads.push_back((line, double));
    }

    /// Reads queued and not yet sent in full.
    pub fn pending(&self) -> usize {
        let s = self.state();
        let doubles = s.reads.iter().filter(|(_, d)| *d).count();
        s.reads.len()
            + doubles
            + usize::from(!s.sending.is_empty())
            + usize::from(!s.unsolicited.is_empty())
    }

    /// Beeper pulses so far.
    pub fn beeps(&self) -> u64 {
        self.state().beeps
    }

    /// The driver over this engine.
    pub fn scanner(&self) -> SimScanner {
        Scanner::new(
            EngineUart(self.clone()),
            EnginePin {
                engine: self.clone(),
                trigger: true,
            },
            EnginePin {
                engine: self.clone(),
                trigger: false,
            },
            NoDelay,
        )
    }
}

/// The driver type of a simulated handheld.
pub type SimScanner = Scanner<EngineUart, EnginePin, EnginePin, NoDelay>;

/// The engine's UART side. A read hands out at most one line per call, a
/// queued read only while the trigger is pressed (its double right after,
/// pressed or not): end of data (0) means the caller asked for a read that
/// was never queued.
#[derive(Debug)]
pub struct EngineUart(MemoryEngine);

impl embedded_io::ErrorType for EngineUart {
    type Error = Infallible;
}

impl embedded_io::Read for EngineUart {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let mut s = self.0.state();
        if s.sending.is_empty() {
            if !s.unsolicited.is_empty() {
                let copy = std::mem::take(&mut s.unsolicited);
                s.sending = copy;
            } else if s.trigger {
                if let Some((line, double)) = s.reads.pop_front() {
                    if double {
                        s.unsolicited.extend(line.iter().copied());
                    }
                    s.sending.extend(line);
                }
            }
        }
        let n = buf.len().min(s.sending.len());
        for (slot, byte) in buf.iter_mut().zip(s.sending.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

impl embedded_io::ReadReady for EngineUart {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        let s = self.0.state();
        Ok(!s.sending.is_empty() || !s.unsolicited.is_empty())
    }
}

impl embedded_io::Write for EngineUart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        let mut s = self.0.state();
        for command in s.commands.push(buf) {
            if let EngineCommand::Unknown(word) = command {
                tracing::debug!(%word, "engine ignores an unknown command");
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// The trigger or the beeper line of the engine.
#[derive(Debug)]
pub struct EnginePin {
    engine: MemoryEngine,
    trigger: bool,
}

impl embedded_hal::digital::ErrorType for EnginePin {
    type Error = Infallible;
}

impl embedded_hal::digital::OutputPin for EnginePin {
    fn set_high(&mut self) -> Result<(), Infallible> {
        let mut s = self.engine.state();
        if self.trigger {
            s.trigger = true;
        } else {
            s.beeps += 1;
        }
        Ok(())
    }

    fn set_low(&mut self) -> Result<(), Infallible> {
        if self.trigger {
            self.engine.state().trigger = false;
        }
        Ok(())
    }
}

/// Beeps take no time in the simulation.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDelay;

impl embedded_hal::delay::DelayNs for NoDelay {
    fn delay_ns(&mut self, _ns: u32) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use agent::line_input::InputLine;
    use agent::scanner::EngineRead;

    #[test]
    fn the_driver_reads_queued_lines_one_per_pull_and_beeps() {
        let engine = MemoryEngine::default();
        let mut scanner = engine.scanner();
        scanner.init().expect("init");
        engine.queue_double("LOC:A-01");
        engine.queue("LOC:B-02");
        assert_eq!(engine.pending(), 3);
        let read = |text: &str, pull| {
            Some(EngineRead {
                line: InputLine::Text(text.into()),
                pull,
            })
        };
        assert_eq!(scanner.read().ok(), read("LOC:A-01", 1));
        assert_eq!(
            scanner.read().ok(),
            read("LOC:A-01", 1),
            "the double: same pull"
        );
        assert_eq!(scanner.read().ok(), read("LOC:B-02", 2));
        assert_eq!(engine.pending(), 0);
        scanner.beep_good().expect("beep");
        scanner.beep_error().expect("beep");
        assert_eq!(engine.beeps(), 4);
        assert!(matches!(
            scanner.read(),
            Err(agent::scanner::ScannerError::Disconnected)
        ));
    }
}
