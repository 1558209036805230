//! Label printing on the pool's side (issue 16): a label batch is made
//! only of packed orders of this site that have no label on its way, a
//! station's report moves an order to labelled once its label printed,
//! and a label job that needs a person raises an alert.

use crate::alerts::AlertKind;
use crate::errors::PoolError;
use crate::orders::model::{Order, OrderState, Shipment};
use crate::pool::Pool;
use crate::printing::{NewLabel, PrintBook, PrintEffect, PrintError, PrintRules};
use protocol::{JobResult, Movement};

impl Pool {
    /// Puts the printing rules (stations, groups, failover time) in force.
    pub fn start_printing(&mut self, rules: PrintRules, now: u64) {
        self.printing.set_rules(rules, now);
    }

    /// The print book (for the API and the jobs sent).
    pub fn print_book(&self) -> &PrintBook {
        &self.printing
    }

    /// The orders of a new label batch, checked: each exists, is of this
    /// site, is packed, and has no label job still on its way.
    pub fn label_orders(&mut self, ids: &[u64]) -> Result<Vec<&Order>, PoolError> {
        for &id in ids {
            // A shipped or cancelled one is refused for its state.
            self.recall_order(id)?;
        }
        let mut orders = Vec::with_capacity(ids.len());
        let on_their_way = self.printing.orders_with_open_jobs();
        for (i, &id) in ids.iter().enumerate() {
            if ids[..i].contains(&id) {
                return Err(PoolError::Invalid(format!(
                    "order {id} is twice in the batch"
                )));
            }
            let order = self
                .orders
                .book
                .get(id)
                .ok_or(PoolError::OrderNotFound(id))?;
            if order.state != OrderState::Packed || order.site != self.orders.rules.site {
                return Err(PoolError::OrderWrongState {
                    id,
                    state: order.state.as_str(),
                    action: "label",
                });
            }
            if on_their_way.contains(&id) {
                return Err(PoolError::Invalid(format!(
                    "order {id} already has a label on its way"
                )));
            }
            orders.push(order);
        }
        Ok(orders)
    }

    /// Makes a label batch for `group`; its id.
    pub fn create_label_batch(
        &mut self,
        group: &str,
        by: &str,
        key: Vec<u8>,
        labels: Vec<NewLabel>,
        now: u64,
    ) -> Result<u64, PoolError> {
        let ids: Vec<u64> = labels.iter().map(|l| l.order).collect();
        self.label_orders(&ids)?;
        self.printing
            .create_batch(group, by, key, labels, now)
            .map_err(print_error)
    }

    /// A station's report, verified by the shell.
    pub fn label_report(&mut self, station: &str, results: &[JobResult], now: u64) {
        let effects = self.printing.report(station, results, now);
        self.carry_out_printing(effects, now);
    }

    /// Moves the jobs of silent stations, and failed jobs that can go
    /// elsewhere now (the sweeper's part).
    pub fn sweep_printing(&mut self, now: u64) {
        self.printing.sweep(now);
    }

    /// An operator reprints a failed or unsure job; the new job's id.
    pub fn reprint_label(&mut self, job: u64, now: u64) -> Result<u64, PoolError> {
        let new_job = self.printing.reprint(job, now).map_err(print_error)?;
        self.label_job_settled(job, now);
        Ok(new_job)
    }

    /// A job an operator dealt with no longer needs a person.
    fn label_job_settled(&mut self, job: u64, now: u64) {
        let subject = format!("job:{job}");
        self.alerts
            .clear_where(AlertKind::LabelJob, now, |a| a.subject == subject);
    }

    /// An operator closes a failed or unsure job, as printed or not.
    pub fn close_label(&mut self, job: u64, printed: bool, now: u64) -> Result<(), PoolError> {
        let effects = self
            .printing
            .close(job, printed, now)
            .map_err(print_error)?;
        self.label_job_settled(job, now);
        self.carry_out_printing(effects, now);
        Ok(())
    }

    /// Stations with jobs to publish.
    pub fn take_label_sends(&mut self) -> Vec<String> {
        self.printing.take_sends()
    }

    /// Orders whose label printed since the last call.
    pub fn take_labelled(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.labelled)
    }

    fn carry_out_printing(&mut self, effects: Vec<PrintEffect>, now: u64) {
        for effect in effects {
            match effect {
                PrintEffect::Labelled {
                    order,
                    carrier,
                    tracking,
                } => {
                    if let Some(o) = self.orders.book.edit(order) {
                        if o.state == OrderState::Packed {
                            let note = format!("label {tracking} printed");
                            o.enter(OrderState::Labelled, now, note);
                            self.by_tracking.insert(tracking.clone(), order);
                            o.shipment = Some(Shipment { carrier, tracking });
                            self.labelled.push(order);
                        }
                    }
                }
                PrintEffect::Attention {
                    job,
                    station,
                    reason,
                } => {
                    let message = format!("label job {job} at {station}: {reason}");
                    let subject = format!("job:{job}");
                    self.alerts.raise_about(
                        AlertKind::LabelJob,
                        "-",
                        Some(&station),
                        &subject,
                        message,
                        now,
                    );
                }
            }
        }
    }
}

impl Pool {
    /// A `ship` scan at the dock: the order whose label carries the
    /// scanned tracking number leaves, labelled to shipped. A parcel no
    /// order has, or one whose order is not labelled, raises an alert (the
    /// scan itself is in the log either way; a second scan of a shipped
    /// parcel changes nothing).
    pub(crate) fn ship_scan(&mut self, m: &Movement, now: u64) {
        let tracking = m.sku.as_str();
        let found = match self.order_by_tracking(tracking) {
            Ok(id) => Ok(id
                .and_then(|id| self.orders.book.get(id))
                .map(|o| (o.id, o.state))),
            Err(why) => Err(format!("its order could not be read: {why}")),
        };
        let problem = match found {
            Ok(Some((id, OrderState::Labelled))) => {
                if let Some(o) = self.orders.book.edit(id) {
                    o.enter(
                        OrderState::Shipped,
                        now,
                        format!("shipped at {}", m.location),
                    );
                }
                return;
            }
            Ok(Some((_, OrderState::Shipped))) => return,
            Ok(Some((id, state))) => format!("order {id} is {}", state.as_str()),
            Ok(None) => "no order has this tracking number".to_string(),
            Err(why) => why,
        };
        let message = format!(
            "parcel {tracking} scanned to ship at {}: {problem}",
            m.location
        );
        self.alerts.raise(
            AlertKind::ShipRefused,
            tracking,
            Some(&m.location),
            message,
            now,
        );
    }
}

fn print_error(e: PrintError) -> PoolError {
    match e {
        PrintError::NoJob(id) => PoolError::NotFound(id),
        other => PoolError::Invalid(other.to_string()),
    }
}
