//! The sync audit at the moments that matter: recognising a confirmation
//! as its write starts (with the request an HTTP answer belongs to) and
//! judging it against the changes still unsynced.
//!
//! Why it exists apart from [`super::confirm`]: that module decodes bytes;
//! this one holds the auditor's per-socket memory (request heads, acks
//! already seen, so the broker's copy of an ack is not judged twice).

use super::confirm::{self, Confirmation, Kind};
use super::line::{decoration, fd_number, joined_bytes, Call};
use super::{Auditor, Unsynced, Violation};

impl Auditor<'_> {
    /// A read on a socket that starts (or continues) an HTTP request head:
    /// the request line is kept for the answer on the same socket. The
    /// hub reads the first 24 bytes alone (a protocol sniff), so a line can
    /// come in pieces.
    pub(super) fn read(&mut self, call: &Call) {
        let Some(socket) = call.args.first().and_then(|a| decoration(a)) else {
            return;
        };
        let bytes = call
            .args
            .get(1)
            .map(|a| joined_bytes(a))
            .unwrap_or_default();
        let head = match self.heads.remove(&socket) {
            Some(mut head) => {
                head.extend(bytes);
                head
            }
            None if confirm::http_request(&bytes).is_some() => bytes,
            None => return,
        };
        if let Some(request) = confirm::http_request(&head) {
            self.requests.insert(socket.clone(), request);
        }
        if !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
            self.heads.insert(socket, head);
        }
    }

    /// Judges every confirmation a write (to anything but a data file)
    /// carries: `ok seq=N` lines on stdout, acks and 2xx answers on sockets.
    pub(super) fn maybe_confirmation(&mut self, call: &Call, target: &str) {
        let bytes = call
            .args
            .get(1)
            .map(|a| joined_bytes(a))
            .unwrap_or_default();
        let mut found = Vec::new();
        if call.args.first().and_then(|a| fd_number(a)) == Some(1) {
            let oks = confirm::scan_oks(&bytes).into_iter();
            found.extend(oks.map(|what| (Kind::Scan, what)));
        }
        if is_socket(target) {
            found.extend(self.on_socket(target, &bytes));
        }
        for (kind, what) in found {
            let line = call.start;
            self.judge(Confirmation { kind, what, line });
        }
    }

    /// An HTTP answer (a confirmation if 2xx to a state-changing request)
    /// or MQTT packets (each ack not seen before is one).
    fn on_socket(&mut self, target: &str, bytes: &[u8]) -> Vec<(Kind, String)> {
        if let Some(status) = confirm::http_status(bytes) {
            if status < 200 {
                return Vec::new();
            }
            let request = self.requests.remove(target);
            return request
                .filter(|r| (200..300).contains(&status) && confirm::changes_state(r))
                .map(|r| (Kind::Http, format!("{status} to {r}")))
                .into_iter()
                .collect();
        }
        let mut acks = Vec::new();
        for publish in confirm::publishes(bytes) {
            if let Some(what) = confirm::ack_of(&publish) {
                if self.acks.insert(publish) {
                    acks.push((Kind::Ack, what));
                }
            }
        }
        acks
    }

    fn judge(&mut self, confirmation: Confirmation) {
        let unsynced: Vec<Unsynced> = self
            .changes
            .iter()
            .flat_map(|(path, list)| {
                [false, true].into_iter().filter_map(move |entries| {
                    let since = list
                        .iter()
                        .filter(|c| c.entries == entries)
                        .map(|c| c.start)
                        .min()?;
                    let what = if entries {
                        "entries changed"
                    } else {
                        "written"
                    };
                    Some(Unsynced {
                        path: path.clone(),
                        what,
                        since_line: since,
                    })
                })
            })
            .collect();
        if !unsynced.is_empty() {
            self.report.violations.push(Violation {
                confirmation: confirmation.clone(),
                unsynced,
            });
        }
        self.report.confirmations.push(confirmation);
    }
}

fn is_socket(target: &str) -> bool {
    ["socket:", "TCP", "UDP", "UNIX"]
        .iter()
        .any(|p| target.starts_with(p))
}
