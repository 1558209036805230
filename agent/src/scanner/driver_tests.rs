//! The driver against embedded-hal-mock, with the exact pin edges, delays
//! and UART bytes each operation must produce, and the promise that the
//! good beep sounds only once the scan is in the journal.
//!
//! embedded-hal-mock has no embedded-io mock yet (its issue #100), so the
//! UART is its embedded-hal-nb serial mock behind [`NbUart`], a byte-at-a-
//! time adapter like those MCU HALs with nb serial ports use.

use super::commands::CONFIGURE;
use super::driver::{EngineRead, Scanner, ScannerError, ERROR_BEEP_MS, ERROR_GAP_MS, GOOD_BEEP_MS};
use super::session::{serve_reads, ScannerSession};
use super::DoubleReadFilter;
use crate::line_input::InputLine;
use crate::Journal;
use embedded_hal::digital::{ErrorType, OutputPin};
use embedded_hal_mock::eh1::delay::{CheckedDelay, NoopDelay, Transaction as Delay};
use embedded_hal_mock::eh1::digital::{Mock as PinMock, State, Transaction as Pin};
use embedded_hal_mock::eh1::serial::{Mock as SerialMock, Transaction as Serial};
use embedded_hal_mock::eh1::MockError;
use embedded_hal_nb::nb;
use embedded_hal_nb::serial::ErrorKind;
use protocol::MovementKind;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// embedded-io over an embedded-hal-nb serial port, one byte per call;
/// readiness is a non-blocking read whose byte is kept for the next read.
struct NbUart<S> {
    port: S,
    ahead: Option<u8>,
}

fn uart(port: SerialMock<u8>) -> NbUart<SerialMock<u8>> {
    NbUart { port, ahead: None }
}

/// The engine has sent nothing (yet): a readiness check finds no byte.
fn idle() -> Serial<u8> {
    Serial::read_error(nb::Error::WouldBlock)
}

#[derive(Debug)]
struct NbError(ErrorKind);

impl embedded_io::Error for NbError {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::Other
    }
}

impl<S> embedded_io::ErrorType for NbUart<S> {
    type Error = NbError;
}

impl<S: embedded_hal_nb::serial::Read<u8>> embedded_io::Read for NbUart<S> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, NbError> {
        let Some(first) = buf.first_mut() else {
            return Ok(0);
        };
        *first = match self.ahead.take() {
            Some(byte) => byte,
            None => nb::block!(self.port.read()).map_err(nb_error)?,
        };
        Ok(1)
    }
}

impl<S: embedded_hal_nb::serial::Read<u8>> embedded_io::ReadReady for NbUart<S> {
    fn read_ready(&mut self) -> Result<bool, NbError> {
        if self.ahead.is_some() {
            return Ok(true);
        }
        match self.port.read() {
            Ok(byte) => {
                self.ahead = Some(byte);
                Ok(true)
            }
            Err(nb::Error::WouldBlock) => Ok(false),
            Err(nb::Error::Other(e)) => Err(nb_error(e)),
        }
    }
}

fn nb_error(e: impl embedded_hal_nb::serial::Error) -> NbError {
    NbError(e.kind())
}

impl<S: embedded_hal_nb::serial::Write<u8>> embedded_io::Write for NbUart<S> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, NbError> {
        let Some(&first) = buf.first() else {
            return Ok(0);
        };
        nb::block!(self.port.write(first)).map_err(nb_error)?;
        Ok(1)
    }

    fn flush(&mut self) -> Result<(), NbError> {
        nb::block!(self.port.flush()).map_err(nb_error)
    }
}

type MockScanner<B> = Scanner<NbUart<SerialMock<u8>>, PinMock, B, CheckedDelay>;

fn pulse(edges: &mut Vec<Pin>) {
    edges.push(Pin::set(State::High));
    edges.push(Pin::set(State::Low));
}

#[test]
fn init_releases_the_pins_and_configures_the_engine() {
    let port = SerialMock::new(&[Serial::write_many(CONFIGURE), Serial::flush()]);
    let trigger = PinMock::new(&[Pin::set(State::Low)]);
    let beeper = PinMock::new(&[Pin::set(State::Low)]);
    let mut s = Scanner::new(uart(port), trigger, beeper, CheckedDelay::new(&[]));
    s.init().expect("init");
    done(s).done();
}

fn done<B: OutputPin>(s: MockScanner<B>) -> B {
    let (mut uart, mut trigger, beeper, mut delay) = s.release();
    uart.port.done();
    trigger.done();
    delay.done();
    beeper
}

#[test]
fn a_read_presses_the_trigger_and_what_follows_belongs_to_that_pull() {
    let port = SerialMock::new(&[
        idle(),
        Serial::read_many(b"]C10109506000134352\r\nLOC:A-01\r"),
        idle(),
        Serial::read_many(b"\xff\r"),
    ]);
    let mut edges = Vec::new();
    pulse(&mut edges); // pull 1: bytes up to the first CR
    pulse(&mut edges); // pull 2: a non-text read
    let trigger = PinMock::new(&edges);
    let mut s = Scanner::new(
        uart(port),
        trigger,
        PinMock::new(&[]),
        CheckedDelay::new(&[]),
    );
    let read = |line: InputLine, pull| Some(EngineRead { line, pull });
    let text = |t: &str| InputLine::Text(t.into());
    assert_eq!(s.read().ok(), read(text("]C10109506000134352"), 1));
    // Sent before the trigger was pressed again: part of pull 1, no edge.
    assert_eq!(s.read().ok(), read(text("LOC:A-01"), 1));
    assert_eq!(s.read().ok(), read(InputLine::NotUtf8, 2));
    done(s).done();
}

#[test]
fn beeps_have_exact_edges_and_lengths() {
    let mut edges = Vec::new();
    for _ in 0..4 {
        pulse(&mut edges);
    }
    let delay = CheckedDelay::new(&[
        Delay::delay_ms(GOOD_BEEP_MS),
        Delay::delay_ms(ERROR_BEEP_MS),
        Delay::delay_ms(ERROR_GAP_MS),
        Delay::delay_ms(ERROR_BEEP_MS),
        Delay::delay_ms(ERROR_GAP_MS),
        Delay::delay_ms(ERROR_BEEP_MS),
    ]);
    let beeper = PinMock::new(&edges);
    let mut s = Scanner::new(uart(SerialMock::new(&[])), PinMock::new(&[]), beeper, delay);
    s.beep_good().expect("good");
    s.beep_error().expect("error");
    done(s).done();
}

#[test]
fn errors_wrap_the_bus_and_pin_errors_and_release_the_trigger() {
    // A UART error mid-read: the trigger is still released.
    let port = SerialMock::new(&[
        idle(),
        Serial::read_many(b"LOC"),
        Serial::read_error(nb::Error::Other(ErrorKind::Overrun)),
    ]);
    let mut edges = Vec::new();
    pulse(&mut edges);
    let trigger = PinMock::new(&edges);
    let mut s = Scanner::new(
        uart(port),
        trigger,
        PinMock::new(&[]),
        CheckedDelay::new(&[]),
    );
    let err = s.read();
    assert!(matches!(
        err,
        Err(ScannerError::Uart(NbError(ErrorKind::Overrun)))
    ));
    done(s).done();

    // A trigger pin that fails: nothing is read.
    let failing = Pin::set(State::High).with_error(MockError::Io(std::io::ErrorKind::Other));
    let trigger = PinMock::new(std::slice::from_ref(&failing));
    let port = SerialMock::new(&[idle()]);
    let mut s = Scanner::new(
        uart(port),
        trigger,
        PinMock::new(&[]),
        CheckedDelay::new(&[]),
    );
    assert!(matches!(s.read(), Err(ScannerError::Trigger(_))));
    done(s).done();

    // A beeper that fails mid-beep.
    let beeper = PinMock::new(&[failing]);
    let mut s = Scanner::new(
        uart(SerialMock::new(&[])),
        PinMock::new(&[]),
        beeper,
        CheckedDelay::new(&[]),
    );
    assert!(matches!(s.beep_good(), Err(ScannerError::Beeper(_))));
    done(s).done();
}

/// A beeper that notes the journal's last durable seq at every beep.
struct JournalWitness {
    journal: Journal,
    beeps: Arc<Mutex<Vec<u64>>>,
}

impl ErrorType for JournalWitness {
    type Error = std::convert::Infallible;
}

impl OutputPin for JournalWitness {
    fn set_high(&mut self) -> Result<(), Self::Error> {
        if let Ok(mut beeps) = self.beeps.lock() {
            beeps.push(self.journal.last_seq());
        }
        Ok(())
    }

    fn set_low(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[test]
fn the_good_beep_follows_the_journal_flush_and_a_double_read_is_one_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::open(dir.path()).expect("journal");
    let goods: &[u8] = b"]C10109506000134352\r";
    let port = SerialMock::new(&[
        idle(),
        Serial::read_many(b"MODE:receive\r"),
        idle(),
        Serial::read_many(b"LOC:A-01\r"),
        idle(),
        Serial::read_many(goods),
        // The engine decodes the label again before the next pull.
        Serial::read_many(goods),
        idle(),
        Serial::read_many(b"junk\r"),
        idle(),
        Serial::read_error(nb::Error::Other(ErrorKind::Other)),
    ]);
    let beeps = Arc::new(Mutex::new(Vec::new()));
    let witness = JournalWitness {
        journal: journal.clone(),
        beeps: beeps.clone(),
    };
    let mut trigger_edges = Vec::new();
    for _ in 0..5 {
        pulse(&mut trigger_edges);
    }
    let trigger = PinMock::new(&trigger_edges);
    let mut s = Scanner::new(uart(port), trigger, witness, NoopDelay);
    // A window of 1 ns: the double read is caught by its pull alone, as a
    // host slowed down by a long flush would need.
    let filter = DoubleReadFilter::new(Duration::from_nanos(1));
    let notify = Arc::new(tokio::sync::Notify::new());
    let mut session = ScannerSession::new(journal.clone(), notify, MovementKind::Pick, filter);
    let mut answers = Vec::new();
    let end = serve_reads(&mut s, &mut session, &mut |a| answers.push(a.to_string()));
    assert!(matches!(end, Err(ScannerError::Uart(_))));
    let answers: Vec<&str> = answers.iter().map(String::as_str).collect();
    let junk = "error: unrecognised barcode \"junk\": not GS1, EAN/UPC, LOC: or MODE:";
    assert_eq!(answers, ["ok seq=1", junk]);
    // Mode card, rack label: good beeps with nothing journaled; the goods:
    // a good beep with seq 1 already durable; the double read: silence;
    // junk: three beeps, nothing more journaled.
    assert_eq!(*beeps.lock().expect("beeps"), vec![0, 0, 1, 1, 1, 1]);
    assert_eq!(session.double_reads(), 1);
    assert_eq!(journal.last_seq(), 1);
    let (mut uart, mut trigger, _, _) = s.release();
    uart.port.done();
    trigger.done();
}
