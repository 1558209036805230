//! The terminal UI's main loop: keys, newer task lists, the link and the
//! acknowledged watermark come in; the session decides; its records are
//! journaled exactly as a scan line's are, and the screen is drawn again.
//!
//! Why one loop and one owner: the session is a plain value, so every
//! change to it (a key, a new list, the sync state) happens here in turn,
//! and the screen always shows the state the last input left.

use super::keys::{KeyAction, LineEditor};
use super::scanner::{spawn_scanner_reads, ScanRead};
use super::station::{Station, UiMode};
use super::terminal::{spawn_event_reader, Screen, TermEvent};
use crate::config::AgentConfig;
use crate::journal::Journal;
use crate::now_ms;
use crate::picking::{Beep, Day, Effect, Input, Record, SyncState};
use crate::publisher::{LinkState, PublisherHandle};
use crate::scanner::{DoubleReadFilter, SerialSettings};
use crate::tasks::TaskQueue;
use anyhow::{Context, Result};
use protocol::{MovementKind, TaskRef};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

/// How often the date that expiry is judged against is read again.
const TODAY_EVERY: Duration = Duration::from_secs(30);

/// A serial barcode engine to read besides the keyboard.
pub type SerialInput = (SerialSettings, DoubleReadFilter);

/// The configured serial engine (`--scanner`), as the UI reads it.
pub fn serial_input(config: &AgentConfig) -> Option<SerialInput> {
    let path = config.scanner.as_ref()?;
    let settings = SerialSettings {
        path: path.clone(),
        baud: config.scanner_baud,
    };
    let filter = DoubleReadFilter::new(Duration::from_millis(config.double_read_ms));
    Some((settings, filter))
}

/// Runs the `mode` station on this terminal until `cancel` or the quit
/// key (which cancels), journaling into `journal` and showing the
/// publisher's queue and link; with `serial`, the engine's reads are
/// scans too. The terminal is restored however it ends.
pub async fn run_ui(
    mode: UiMode,
    journal: Journal,
    handle: PublisherHandle,
    serial: Option<SerialInput>,
    cancel: CancellationToken,
) -> Result<()> {
    let scans = match serial {
        Some((settings, filter)) => Some(spawn_scanner_reads(settings, filter, cancel.clone())?),
        None => None,
    };
    let queue = handle.tasks();
    let station = Station::open(mode, &queue, &journal, now_ms());
    let mut ui = Ui {
        station,
        screen: Screen::enter()?,
        editor: LineEditor::new(),
        journal,
        queue,
        handle,
    };
    let outcome = ui.serve(scans, &cancel).await;
    // Stops the key reader too, and the agent with it.
    cancel.cancel();
    outcome
}

struct Ui {
    station: Station,
    screen: Screen,
    editor: LineEditor,
    journal: Journal,
    queue: TaskQueue,
    handle: PublisherHandle,
}

impl Ui {
    async fn serve(
        &mut self,
        mut scans: Option<mpsc::Receiver<ScanRead>>,
        cancel: &CancellationToken,
    ) -> Result<()> {
        let mut events = spawn_event_reader(cancel.clone())?;
        let mut versions = self.handle.queue_version();
        let mut link = self.handle.link_state();
        let mut acked = self.handle.acked();
        let mut today = tokio::time::interval(TODAY_EVERY);
        loop {
            self.station.set_sync(sync_of(&link, &self.journal));
            self.screen
                .draw(&self.station.view(), self.editor.typed())?;
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                event = events.recv() => match event {
                    Some(event) => {
                        if !self.on_event(event?).await? {
                            info!("quit key pressed; shutting down");
                            return Ok(());
                        }
                    }
                    None => return Ok(()),
                },
                read = next_scan(&mut scans) => match read {
                    Some(ScanRead { input, reply }) => reply.answer(self.on_input(input).await?),
                    None => scans = None,
                },
                changed = versions.changed() => {
                    // The publisher is gone: the agent is shutting down.
                    if changed.is_err() {
                        return Ok(());
                    }
                    self.station.replace_list(&self.queue, &self.journal);
                }
                changed = link.changed() => if changed.is_err() { return Ok(()) },
                changed = acked.changed() => if changed.is_err() { return Ok(()) },
                _ = today.tick() => self.station.set_today(Day::from_unix_ms(now_ms())),
            }
        }
    }

    /// Handles one terminal event; false when the picker quits.
    async fn on_event(&mut self, event: TermEvent) -> Result<bool> {
        let key = match event {
            TermEvent::Key(key) => key,
            TermEvent::Resized => {
                self.screen.clear()?;
                return Ok(true);
            }
        };
        match self.editor.key(key) {
            KeyAction::Quit => return Ok(false),
            KeyAction::Input(input) => drop(self.on_input(input).await?),
            KeyAction::Edited | KeyAction::Ignored => {}
        }
        Ok(true)
    }

    /// Hands `input` to the session and carries out what it asks; the
    /// beep a scanner engine should sound for it (good once a step is
    /// accepted or its movement journaled, error on any refusal).
    async fn on_input(&mut self, input: Input) -> Result<Option<Beep>> {
        let mut effects: VecDeque<Effect> = self.station.handle(input, now_ms()).into();
        let mut beep = None;
        while let Some(effect) = effects.pop_front() {
            match effect {
                Effect::Beep(Beep::Error) => {
                    self.screen.bell()?;
                    beep = Some(Beep::Error);
                }
                // The good beep of a recorded step is the journal's flush;
                // a terminal has no quiet beep to give it.
                Effect::Beep(Beep::Good) => beep = beep.or(Some(Beep::Good)),
                Effect::Record(record) => match self.record(record).await {
                    Ok(()) => beep = beep.or(Some(Beep::Good)),
                    Err((at, why)) => effects.extend(self.station.journal_refused(at, &why)),
                },
                Effect::OrderPacked(order) => info!(order, "order packed"),
            }
        }
        Ok(beep)
    }

    /// Journals one movement as a scan line is (durable before it counts),
    /// pokes the publisher, and marks a pick or count on the queue so the
    /// progress survives a restart before the hub's next list.
    async fn record(&mut self, record: Record) -> Result<(), (TaskRef, String)> {
        let draft = record.draft;
        let at = draft
            .task
            .as_deref()
            .and_then(|t| TaskRef::parse_line(t).ok().map(|(at, _)| at));
        let at = at.unwrap_or(TaskRef { task: 0, line: 0 });
        let (journal, queue) = (self.journal.clone(), self.queue.clone());
        let (kind, units) = (draft.kind, draft.quantity);
        let written = tokio::task::spawn_blocking(move || {
            let seq = journal.record(draft).map_err(|e| e.to_string())?;
            if matches!(kind, MovementKind::Pick | MovementKind::Count) {
                // The movement is journaled; a lost mark only hides progress.
                if let Err(e) = queue.mark_done(at, units) {
                    error!(error = %e, %at, "cannot mark the line done on the queue");
                }
            }
            Ok::<u64, String>(seq)
        })
        .await
        .context("journal task failed")
        .map_err(|e| (at, e.to_string()))?;
        match written {
            Ok(seq) => {
                self.handle.notify_journaled();
                let short = record.short.map(|r| r.as_str());
                info!(seq, %at, ?kind, units, short, "movement journaled");
                Ok(())
            }
            Err(why) => {
                error!(error = %why, %at, "journal write failed; movement refused");
                Err((at, why))
            }
        }
    }
}

/// The next engine read; never, without an engine.
async fn next_scan(scans: &mut Option<mpsc::Receiver<ScanRead>>) -> Option<ScanRead> {
    match scans {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn sync_of(link: &watch::Receiver<LinkState>, journal: &Journal) -> SyncState {
    SyncState {
        online: *link.borrow() == LinkState::Connected,
        backlog: journal.backlog(),
    }
}
