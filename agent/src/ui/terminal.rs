//! The handheld's terminal: raw mode and the alternate screen for as long
//! as the UI runs, key presses read on their own thread, one frame drawn
//! per change, and the bell as the error beep.
//!
//! Why a guard: whatever ends the UI (quit key, SIGTERM, an error), the
//! picker's shell must get its terminal back as it was, so leaving raw
//! mode and the alternate screen happens in `Drop`.

use crate::picking::{screen, ScreenView};
use anyhow::{Context, Result};
use crossterm::event::{self, Event, KeyEvent};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::Paragraph;
use ratatui::Terminal;
use std::io::{Stdout, Write};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The terminal in raw mode on its alternate screen; restored on drop.
pub struct Screen {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Screen {
    /// Takes over the terminal on standard output.
    pub fn enter() -> Result<Screen> {
        terminal::enable_raw_mode().context("cannot put the terminal in raw mode")?;
        let mut out = std::io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen, cursor::Hide) {
            let _ = terminal::disable_raw_mode();
            return Err(e).context("cannot switch to the alternate screen");
        }
        let terminal = Terminal::new(CrosstermBackend::new(out));
        let mut screen = Screen {
            terminal: terminal.context("cannot draw on the terminal")?,
        };
        screen
            .terminal
            .clear()
            .context("cannot clear the terminal")?;
        Ok(screen)
    }

    /// Draws the session's view, with the line typed so far on the
    /// bottom row (over the key help while something is typed).
    pub fn draw(&mut self, view: &ScreenView, typed: &str) -> Result<()> {
        self.terminal
            .draw(|frame| {
                screen::draw(frame, view);
                let area = frame.area();
                if area.height == 0 {
                    return;
                }
                let bottom = Rect::new(area.x, area.bottom() - 1, area.width, 1);
                if typed.is_empty() {
                    let quit = "Ctrl-C = quit";
                    let width = u16::try_from(quit.len()).unwrap_or(0).min(bottom.width);
                    let right = Rect::new(bottom.right() - width, bottom.y, width, 1);
                    let hint = Paragraph::new(quit).style(Style::new().fg(Color::Gray));
                    frame.render_widget(hint, right);
                } else {
                    let shown = typed.replace('\u{1d}', "<GS>");
                    let line = Paragraph::new(format!("typed: {shown}_"))
                        .style(Style::new().fg(Color::White).bg(Color::DarkGray));
                    frame.render_widget(line, bottom);
                }
            })
            .context("cannot draw on the terminal")?;
        Ok(())
    }

    /// The error beep: the terminal's bell.
    pub fn bell(&mut self) -> Result<()> {
        let out = self.terminal.backend_mut();
        out.write_all(b"\x07")
            .and_then(|()| out.flush())
            .context("cannot ring the terminal bell")
    }

    /// Draws everything again (after a resize).
    pub fn clear(&mut self) -> Result<()> {
        self.terminal.clear().context("cannot clear the terminal")
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let out = self.terminal.backend_mut();
        let _ = execute!(out, LeaveAlternateScreen, cursor::Show);
        let _ = terminal::disable_raw_mode();
    }
}

/// What the terminal sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermEvent {
    /// A key press (or repeat, or release where the terminal reports it).
    Key(KeyEvent),
    /// The window changed size: redraw.
    Resized,
}

/// Reads terminal events on a plain thread until `cancel`: crossterm's
/// read blocks, and polling briefly lets the thread end with the UI.
pub fn spawn_event_reader(cancel: CancellationToken) -> Result<mpsc::Receiver<Result<TermEvent>>> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::Builder::new()
        .name("terminal-keys".into())
        .spawn(move || {
            while !cancel.is_cancelled() {
                let next = match event::poll(Duration::from_millis(100)) {
                    Ok(false) => continue,
                    Ok(true) => event::read(),
                    Err(e) => Err(e),
                };
                let sent = match next {
                    Ok(Event::Key(key)) => Ok(TermEvent::Key(key)),
                    Ok(Event::Resize(..)) => Ok(TermEvent::Resized),
                    Ok(_) => continue,
                    Err(e) => Err(anyhow::Error::new(e).context("reading the terminal")),
                };
                let failed = sent.is_err();
                if tx.blocking_send(sent).is_err() || failed {
                    break;
                }
            }
        })
        .context("cannot start the terminal reader")?;
    Ok(rx)
}
