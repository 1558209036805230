//! Typed reads of the store for the HTTP API, and the two writes outside
//! group commits: saving a reconciliation report (done by the writer) and
//! raising the boot number at start (sealed acks carry it, promise 10).
//! Handlers read only committed state, so what they see is durable.

use crate::alerts::{Alert, AlertKind, AlertState};
use crate::discrepancies::{CountTask, Discrepancy};
use crate::lots::LotInfo;
use crate::reservations::Reservation;
use crate::safety::SafetyRule;
use crate::store::codec::{damaged, decode, encode_i64, id_key, unframe};
use crate::store::{Store, StoreError, NEXT_BOOT, NEXT_REPORT};
use hub_core::reconcile::Report;

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

    /// The newest alerts first, optionally of one kind and in one state.
    pub fn alerts(
        &self,
        limit: usize,
        kind: Option<AlertKind>,
        state: Option<AlertState>,
    ) -> Result<Vec<(u64, Alert)>, StoreError> {
        self.newest(b'a', limit, |a: &Alert| {
            kind.is_none_or(|k| a.kind == k) && state.is_none_or(|s| a.state() == s)
        })
    }

    /// One alert.
    pub fn alert(&self, id: u64) -> Result<Option<Alert>, StoreError> {
        let key = id_key(b'a', id);
        match self.tree.get(&key)? {
            Some(v) => Ok(Some(decode(&key, &v)?)),
            None => Ok(None),
        }
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

    /// Safety rules, sorted by SKU.
    pub fn safety_rules(&self) -> Result<Vec<(String, SafetyRule)>, StoreError> {
        self.tree
            .scan_prefix([b't'])
            .map(|item| {
                let (k, v) = item?;
                Ok((
                    String::from_utf8_lossy(&k[1..]).into_owned(),
                    decode(&k, &v)?,
                ))
            })
            .collect()
    }

    /// Every lot seen: (sku, lot, info).
    pub fn lots(&self) -> Result<Vec<(String, String, LotInfo)>, StoreError> {
        self.tree
            .scan_prefix([b'l'])
            .map(|item| {
                let (k, v) = item?;
                let text = String::from_utf8_lossy(&k[1..]).into_owned();
                let (sku, lot) = text.split_once('\0').ok_or_else(|| damaged(&k, "no lot"))?;
                Ok((sku.to_string(), lot.to_string(), decode(&k, &v)?))
            })
            .collect()
    }

    /// Stores a report under the next report id (set in `report.id`).
    pub fn save_report(&self, report: &mut Report) -> Result<(), StoreError> {
        report.id = self.counter(NEXT_REPORT)?;
        // Our own report type always serializes.
        let json = serde_json::to_vec(report).unwrap_or_default();
        let mut batch = sled::Batch::default();
        batch.insert(
            id_key(b'p', report.id),
            storeseal::frame(crate::store::codec::STORAGE_VERSION, &json),
        );
        batch.insert(NEXT_REPORT, encode_i64(report.id as i64 + 1));
        self.apply_counted(batch)
    }

    /// Takes this start's boot number: the stored next one, raised and
    /// made durable (flush and sync) before it is returned, so no two
    /// starts ever seal frames under one boot number.
    pub fn next_boot(&self) -> Result<u32, StoreError> {
        let boot = self.counter(NEXT_BOOT)?;
        let number = u32::try_from(boot)
            .map_err(|_| StoreError::Inconsistent(format!("boot number {boot} past u32")))?;
        let mut batch = sled::Batch::default();
        batch.insert(NEXT_BOOT, encode_i64(boot as i64 + 1));
        self.apply_counted(batch)?;
        Ok(number)
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

pub(crate) fn decode_report(key: &[u8], raw: &[u8]) -> Result<Report, StoreError> {
    let body = unframe(key, raw)?;
    serde_json::from_slice(body).map_err(|e| crate::store::codec::damaged(key, &e.to_string()))
}
