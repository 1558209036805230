//! [`AlertBook`]: the open alerts, raised once per cause, acknowledged
//! and cleared; every change leaves through [`AlertBook::take_changes`]
//! to be stored (and pushed to operators) with the group.

use super::{Ack, Alert, AlertKey, AlertKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use thiserror::Error;

/// Why an acknowledgement was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AckError {
    /// No open alert has this id (it may be cleared, or never was).
    #[error("alert {0} is not open")]
    NotOpen(u64),
}

/// The open alerts (cleared ones live only in the store) and the changes
/// since the last commit.
#[derive(Debug, Default)]
pub struct AlertBook {
    next_id: u64,
    open: BTreeMap<u64, Alert>,
    by_key: HashMap<AlertKey, u64>,
    /// Open alerts per kind: a rule that may clear one looks here first,
    /// so the common case (nothing open) costs no key built.
    open_kinds: HashMap<AlertKind, usize>,
    changed: BTreeSet<u64>,
    /// Cleared since the last commit (no longer in `open`).
    cleared: Vec<(u64, Alert)>,
}

impl AlertBook {
    /// A book whose next id is `next_id`, holding the stored alerts that
    /// are not cleared.
    pub fn load(open: impl IntoIterator<Item = (u64, Alert)>, next_id: u64) -> AlertBook {
        let mut book = AlertBook {
            next_id: next_id.max(1),
            ..AlertBook::default()
        };
        for (id, alert) in open {
            if alert.cleared_ms.is_none() {
                book.insert_open(id, alert);
            }
        }
        book
    }

    /// A book with nothing open.
    pub fn new(next_id: u64) -> AlertBook {
        AlertBook::load([], next_id)
    }

    fn insert_open(&mut self, id: u64, alert: Alert) {
        *self.open_kinds.entry(alert.kind).or_default() += 1;
        self.by_key.insert(alert.key(), id);
        self.open.insert(id, alert);
    }

    fn remove_open(&mut self, id: u64) -> Option<Alert> {
        let alert = self.open.remove(&id)?;
        self.by_key.remove(&alert.key());
        if let Some(n) = self.open_kinds.get_mut(&alert.kind) {
            *n = n.saturating_sub(1);
        }
        self.changed.remove(&id);
        Some(alert)
    }

    /// Raises an alert about a SKU (and a location).
    pub fn raise(
        &mut self,
        kind: AlertKind,
        sku: &str,
        location: Option<&str>,
        message: String,
        now: u64,
    ) -> u64 {
        self.raise_about(kind, sku, location, "", message, now)
    }

    /// Raises an alert; if one with the same key is open, it counts a
    /// repeat on that one instead (and takes the newer words). The id.
    pub fn raise_about(
        &mut self,
        kind: AlertKind,
        sku: &str,
        location: Option<&str>,
        subject: &str,
        message: String,
        now: u64,
    ) -> u64 {
        let key = AlertKey::new(kind, sku, location, subject);
        if let Some(&id) = self.by_key.get(&key) {
            if let Some(alert) = self.open.get_mut(&id) {
                alert.repeats += 1;
                alert.last_ms = now;
                alert.message = message;
                self.changed.insert(id);
                return id;
            }
        }
        let id = self.next_id.max(1);
        self.next_id = id + 1;
        let alert = Alert {
            kind,
            sku: key.sku,
            location: key.location,
            message,
            raised_ms: now,
            subject: key.subject,
            severity: kind.severity(),
            repeats: 0,
            last_ms: now,
            acked: None,
            cleared_ms: None,
        };
        self.insert_open(id, alert);
        self.changed.insert(id);
        id
    }

    /// Keeps a condition's alert in step with it: raised (once, no
    /// repeats) while `holds`, cleared when it no longer does.
    #[allow(clippy::too_many_arguments)]
    pub fn hold(
        &mut self,
        kind: AlertKind,
        sku: &str,
        location: Option<&str>,
        subject: &str,
        holds: bool,
        message: impl FnOnce() -> String,
        now: u64,
    ) {
        if !holds {
            self.clear(kind, sku, location, subject, now);
            return;
        }
        let key = AlertKey::new(kind, sku, location, subject);
        if !self.by_key.contains_key(&key) {
            self.raise_about(kind, sku, location, subject, message(), now);
        }
    }

    /// Whether any alert of `kind` is open.
    pub fn any_open(&self, kind: AlertKind) -> bool {
        self.open_kinds.get(&kind).is_some_and(|n| *n > 0)
    }

    /// Clears the open alert with this key, if there is one: its cause
    /// went. Whether one was cleared.
    pub fn clear(
        &mut self,
        kind: AlertKind,
        sku: &str,
        location: Option<&str>,
        subject: &str,
        now: u64,
    ) -> bool {
        if !self.any_open(kind) {
            return false;
        }
        let key = AlertKey::new(kind, sku, location, subject);
        match self.by_key.get(&key) {
            Some(&id) => self.clear_id(id, now),
            None => false,
        }
    }

    /// Clears every open alert of `kind` that `matches`.
    pub fn clear_where(&mut self, kind: AlertKind, now: u64, matches: impl Fn(&Alert) -> bool) {
        if !self.any_open(kind) {
            return;
        }
        let ids: Vec<u64> = self
            .open
            .iter()
            .filter(|(_, a)| a.kind == kind && matches(a))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.clear_id(id, now);
        }
    }

    fn clear_id(&mut self, id: u64, now: u64) -> bool {
        match self.remove_open(id) {
            Some(mut alert) => {
                alert.cleared_ms = Some(now);
                self.cleared.push((id, alert));
                true
            }
            None => false,
        }
    }

    /// An operator acknowledges an open alert. An event alert is cleared
    /// by it; a condition alert stays until its cause goes. A second
    /// acknowledgement keeps the first one's name and time. The alert as
    /// it is now.
    pub fn acknowledge(&mut self, id: u64, by: &str, now: u64) -> Result<Alert, AckError> {
        let alert = self.open.get_mut(&id).ok_or(AckError::NotOpen(id))?;
        if alert.acked.is_none() {
            alert.acked = Some(Ack {
                by: by.to_string(),
                at_ms: now,
            });
            self.changed.insert(id);
        }
        if alert.kind.clears_itself() {
            return Ok(alert.clone());
        }
        self.clear_id(id, now);
        let cleared = self.cleared.last().map(|(_, a)| a.clone());
        cleared.ok_or(AckError::NotOpen(id))
    }

    /// One open alert.
    pub fn get(&self, id: u64) -> Option<&Alert> {
        self.open.get(&id)
    }

    /// Every open alert, oldest first.
    pub fn open(&self) -> impl Iterator<Item = (u64, &Alert)> {
        self.open.iter().map(|(id, a)| (*id, a))
    }

    /// Alerts raised, repeated, acknowledged or cleared since the last
    /// call, in their new state, and the next id.
    pub fn take_changes(&mut self) -> (Vec<(u64, Alert)>, u64) {
        let mut out: Vec<(u64, Alert)> = std::mem::take(&mut self.changed)
            .into_iter()
            .filter_map(|id| self.open.get(&id).map(|a| (id, a.clone())))
            .collect();
        out.append(&mut self.cleared);
        out.sort_by_key(|(id, _)| *id);
        (out, self.next_id.max(1))
    }
}
