//! Typed reads of the store for the HTTP API, and the one write outside
//! group commits: saving a reconciliation report (done by the writer).
//! Handlers read only committed state, so what they see is durable.

use crate::alerts::{Alert, AlertKind};
use crate::discrepancies::{CountTask, Discrepancy};
use crate::reconcile::Report;
use crate::reservations::Reservation;
use crate::store::{damaged, decode, id_key, Store, StoreError, NEXT_REPORT};

const REPORT_FORMAT: u8 = 1;

impl Store {
    /// One reservation: its own record if it changed after the group that
    /// created it, else its entry in that group's `q` record.
    pub fn reservation(&self, id: u64) -> Result<Option<Reservation>, StoreError> {
        if let Some(r) = self.record(b'r', id)? {
            return Ok(Some(r));
        }
        let Some(item) = self
            .tree
            .range(id_key(b'q', 0)..=id_key(b'q', id))
            .next_back()
        else {
            return Ok(None);
        };
        let (k, v) = item?;
        let group: Vec<Reservation> = decode(&k, &v)?;
        Ok(group.into_iter().find(|r| r.id == id))
    }

    /// Every stored reservation in its latest state, by id.
    pub fn all_reservations(&self) -> Result<Vec<Reservation>, StoreError> {
        let mut all: std::collections::BTreeMap<u64, Reservation> = Default::default();
        for (_, group) in self.records::<Vec<Reservation>>(b'q')? {
            all.extend(group.into_iter().map(|r| (r.id, r)));
        }
        for (id, r) in self.records::<Reservation>(b'r')? {
            all.insert(id, r);
        }
        Ok(all.into_values().collect())
    }

    /// The newest alerts first, optionally of one kind.
    pub fn alerts(
        &self,
        limit: usize,
        kind: Option<AlertKind>,
    ) -> Result<Vec<(u64, Alert)>, StoreError> {
        self.newest(b'a', limit, |a: &Alert| kind.is_none_or(|k| a.kind == k))
    }

    /// The newest discrepancies first; `open`: only open (Some(true)),
    /// only closed (Some(false)) or all.
    pub fn discrepancies(
        &self,
        limit: usize,
        open: Option<bool>,
    ) -> Result<Vec<Discrepancy>, StoreError> {
        let keep = |d: &Discrepancy| open.is_none_or(|o| d.resolution.is_none() == o);
        Ok(self
            .newest(b'x', limit, keep)?
            .into_iter()
            .map(|(_, d)| d)
            .collect())
    }

    /// The newest count tasks first, optionally only open ones.
    pub fn count_tasks(&self, limit: usize, open_only: bool) -> Result<Vec<CountTask>, StoreError> {
        let keep = |t: &CountTask| !open_only || t.done_ms.is_none();
        Ok(self
            .newest(b'k', limit, keep)?
            .into_iter()
            .map(|(_, t)| t)
            .collect())
    }

    /// Stores a report under the next report id (set in `report.id`).
    pub fn save_report(&self, report: &mut Report) -> Result<(), StoreError> {
        report.id = self.counter(NEXT_REPORT)?;
        let mut value = vec![REPORT_FORMAT];
        // Our own report type always serializes.
        value.extend(serde_json::to_vec(report).unwrap_or_default());
        let mut batch = sled::Batch::default();
        batch.insert(id_key(b'p', report.id), value);
        batch.insert(NEXT_REPORT, (report.id + 1).to_be_bytes().to_vec());
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// One report.
    pub fn report(&self, id: u64) -> Result<Option<Report>, StoreError> {
        let key = id_key(b'p', id);
        match self.tree.get(&key)? {
            None => Ok(None),
            Some(raw) => decode_report(&key, &raw).map(Some),
        }
    }

    /// The newest reports first.
    pub fn reports(&self, limit: usize) -> Result<Vec<Report>, StoreError> {
        self.tree
            .scan_prefix([b'p'])
            .rev()
            .take(limit)
            .map(|item| {
                let (k, v) = item?;
                decode_report(&k, &v)
            })
            .collect()
    }
}

fn decode_report(key: &[u8], raw: &[u8]) -> Result<Report, StoreError> {
    match raw.split_first() {
        Some((&REPORT_FORMAT, body)) => {
            serde_json::from_slice(body).map_err(|e| damaged(key, &e.to_string()))
        }
        _ => Err(damaged(key, "not a report")),
    }
}
