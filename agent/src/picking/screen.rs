//! Draws a [`ScreenView`] with ratatui, for a handheld's 80x25 terminal.
//!
//! Why one drawing for every step: a picker learns where to look once.
//! Top line: mode, progress and sync state, always there. Then the
//! instruction in plain capitals and, below it, its key word (location,
//! SKU, quantity, order) in large letters; the line's details; what to do
//! now; the answer to the last input (a refusal in red); the buyer's
//! remarks; the keys. Colours are light on the terminal's own (dark)
//! background, and every fact is also in words, so a monochrome screen
//! loses nothing.

use super::bigtext;
use super::view::{NoticeLevel, ScreenView};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

/// Detail lines shown; more are summed up in the last one.
const DETAIL_ROWS: usize = 6;

/// Draws `view` over the whole frame.
pub fn draw(frame: &mut Frame, view: &ScreenView) {
    let [top, _, headline, big, _, details, prompt, notice, remarks, help] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(bigtext::HEIGHT as u16),
        Constraint::Length(1),
        Constraint::Length(DETAIL_ROWS as u16),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(status_line(view, top.width), top);
    let strong = Style::new().fg(Color::White).add_modifier(Modifier::BOLD);
    frame.render_widget(
        Paragraph::new(view.headline.as_str()).style(strong),
        headline,
    );
    if let Some(rows) = view
        .big
        .as_deref()
        .and_then(|w| bigtext::render(w, big.width.into()))
    {
        let lines: Vec<Line> = rows.into_iter().map(Line::from).collect();
        frame.render_widget(
            Paragraph::new(lines).style(Style::new().fg(Color::Cyan)),
            big,
        );
    }
    frame.render_widget(detail_lines(&view.details), details);
    let prompt_style = Style::new().fg(Color::White);
    frame.render_widget(
        Paragraph::new(format!("> {}", view.prompt)).style(prompt_style),
        prompt,
    );
    if let Some(n) = &view.notice {
        let (label, color) = match n.level {
            NoticeLevel::Refused => ("REFUSED: ", Color::LightRed),
            NoticeLevel::Done => ("OK: ", Color::LightGreen),
            NoticeLevel::Info => ("NOTE: ", Color::Yellow),
        };
        let style = Style::new().fg(color).add_modifier(Modifier::BOLD);
        let text = Paragraph::new(format!("{label}{}", n.text)).style(style);
        frame.render_widget(text.wrap(Wrap { trim: true }), notice);
    }
    if let Some(text) = &view.remarks {
        draw_remarks(frame, text, remarks);
    }
    let keys = "Enter = confirm   Esc = back   digits = quantity or reason";
    frame.render_widget(
        Paragraph::new(keys).style(Style::new().fg(Color::Gray)),
        help,
    );
}

/// Mode, tally and sync state on one line: the sync state flush right.
fn status_line(view: &ScreenView, width: u16) -> Line<'static> {
    let mode = Span::styled(
        format!(" {} ", view.mode),
        Style::new()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
    );
    let tally = view
        .tally
        .map(|t| format!("  {} {}/{}", t.label, t.done, t.total))
        .unwrap_or_default();
    let (sync, color) = match (view.sync.online, view.sync.backlog) {
        (true, 0) => ("ONLINE".to_string(), Color::LightGreen),
        (true, n) => (format!("ONLINE backlog {n}"), Color::LightGreen),
        (false, n) => (format!("OFFLINE backlog {n}"), Color::LightRed),
    };
    let used = mode.width() + tally.chars().count() + sync.chars().count();
    let gap = usize::from(width).saturating_sub(used);
    Line::from(vec![
        mode,
        Span::styled(tally, Style::new().fg(Color::White)),
        Span::raw(" ".repeat(gap)),
        Span::styled(sync, Style::new().fg(color).add_modifier(Modifier::BOLD)),
    ])
}

fn detail_lines(details: &[String]) -> Paragraph<'static> {
    let mut lines: Vec<Line> = details.iter().cloned().map(Line::from).collect();
    if lines.len() > DETAIL_ROWS {
        let more = lines.len() - (DETAIL_ROWS - 1);
        lines.truncate(DETAIL_ROWS - 1);
        lines.push(Line::from(format!("... and {more} more")));
    }
    Paragraph::new(lines).style(Style::new().fg(Color::Gray))
}

fn draw_remarks(frame: &mut Frame, text: &str, area: Rect) {
    let block = Block::new()
        .borders(Borders::ALL)
        .title(" REMARKS ")
        .border_style(Style::new().fg(Color::Yellow));
    let body = Paragraph::new(text.to_string())
        .style(Style::new().fg(Color::Yellow))
        .wrap(Wrap { trim: true })
        .block(block);
    frame.render_widget(body, area);
}
