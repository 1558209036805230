//! The keyboard of the terminal UI as plain data: key presses become
//! session [`Input`]s, the way a keyboard-wedge scanner means them.
//!
//! Why a line editor and not single keys: a wedge scanner "types" the
//! barcode and presses Enter, and a picker types a quantity the same way,
//! so characters collect until Enter and then form one [`Input::Line`].
//! Kept apart from crossterm's event loop so every key is tested without
//! a terminal.

use crate::picking::Input;
use crate::scanline::MAX_SCAN_LINE;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What one key press asks of the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAction {
    /// Give the session this input.
    Input(Input),
    /// The typed line changed: redraw it.
    Edited,
    /// Leave the UI (Ctrl-C, Ctrl-Q).
    Quit,
    /// Nothing to do.
    Ignored,
}

/// The characters typed since the last Enter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    typed: String,
}

impl LineEditor {
    /// An empty line.
    pub fn new() -> LineEditor {
        LineEditor::default()
    }

    /// What is typed so far (shown at the bottom of the screen).
    pub fn typed(&self) -> &str {
        &self.typed
    }

    /// Takes one key event.
    pub fn key(&mut self, key: KeyEvent) -> KeyAction {
        if key.kind == KeyEventKind::Release {
            return KeyAction::Ignored;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c' | 'q') if ctrl => KeyAction::Quit,
            // GS1 scanners in wedge mode send the group separator as Ctrl-].
            KeyCode::Char(']' | '5') if ctrl => self.push('\u{1d}'),
            KeyCode::Char(_) if ctrl => KeyAction::Ignored,
            KeyCode::Char(c) => self.push(c),
            KeyCode::Backspace => match self.typed.pop() {
                Some(_) => KeyAction::Edited,
                None => KeyAction::Ignored,
            },
            KeyCode::Enter => KeyAction::Input(Input::Line(std::mem::take(&mut self.typed))),
            KeyCode::Esc => {
                self.typed.clear();
                KeyAction::Input(Input::Cancel)
            }
            _ => KeyAction::Ignored,
        }
    }

    fn push(&mut self, c: char) -> KeyAction {
        // A line longer than any scan line is noise; the rest is dropped.
        if self.typed.len() + c.len_utf8() > MAX_SCAN_LINE || c.is_control() && c != '\u{1d}' {
            return KeyAction::Ignored;
        }
        self.typed.push(c);
        KeyAction::Edited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    #[test]
    fn keys_become_lines_cancels_and_quits() {
        let mut e = LineEditor::new();
        let table: Vec<(KeyEvent, KeyAction, &str)> = vec![
            (
                press(KeyCode::Enter),
                KeyAction::Input(Input::Line(String::new())),
                "",
            ),
            (press(KeyCode::Char('T')), KeyAction::Edited, "T"),
            (press(KeyCode::Char('x')), KeyAction::Edited, "Tx"),
            (press(KeyCode::Backspace), KeyAction::Edited, "T"),
            (press(KeyCode::Char('E')), KeyAction::Edited, "TE"),
            (ctrl('x'), KeyAction::Ignored, "TE"),
            (ctrl(']'), KeyAction::Edited, "TE\u{1d}"),
            (press(KeyCode::Backspace), KeyAction::Edited, "TE"),
            (press(KeyCode::Tab), KeyAction::Ignored, "TE"),
            (
                press(KeyCode::Enter),
                KeyAction::Input(Input::Line("TE".into())),
                "",
            ),
            (press(KeyCode::Backspace), KeyAction::Ignored, ""),
            (press(KeyCode::Char('3')), KeyAction::Edited, "3"),
            (press(KeyCode::Esc), KeyAction::Input(Input::Cancel), ""),
            (ctrl('c'), KeyAction::Quit, ""),
            (ctrl('q'), KeyAction::Quit, ""),
        ];
        for (i, (key, want, typed)) in table.into_iter().enumerate() {
            assert_eq!(e.key(key), want, "step {i}");
            assert_eq!(e.typed(), typed, "step {i}");
        }
    }

    #[test]
    fn key_releases_and_overlong_lines_are_ignored() {
        let mut e = LineEditor::new();
        let mut release = press(KeyCode::Char('a'));
        release.kind = KeyEventKind::Release;
        assert_eq!(e.key(release), KeyAction::Ignored);
        for _ in 0..MAX_SCAN_LINE + 10 {
            e.key(press(KeyCode::Char('9')));
        }
        assert_eq!(e.typed().len(), MAX_SCAN_LINE);
    }
}
