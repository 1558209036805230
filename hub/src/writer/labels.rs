//! The writer's label commands (issue 16): where a batch's labels are
//! rendered from the recipients' data, and where that data is sealed
//! again at once.
//!
//! Making a batch opens each order's customer data (an audit entry per
//! order names the batch), renders the label (ZPL, `hub_core::labels`),
//! and seals it under a data key made for the batch, whose wrapped form
//! is stored with the batch. The store and the core hold only sealed
//! labels; [`LabelVault`] opens one just before it is sealed again for
//! its station (WIRE.md §7), and a printed job's label is erased.

use crate::errors::PoolError;
use crate::orders::AuditEntry;
use crate::pool::Pool;
use crate::writer::commands::{later, Pending, Reply};
use crate::writer::orders::{open_customer, sealing, Access, CustomerData, Desk};
use hub_core::labels::zpl::ZplOptions;
use hub_core::labels::{label_zpl_with, preview_png, BatchPosition, LabelData, Party};
use hub_core::printing::{JobRecord, NewLabel};
use hub_privacy::{DataKey, MasterKey, Sealed, WrappedKey};
use std::sync::Arc;

/// One order's shipment in a new batch: its carrier and tracking number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    /// The order.
    pub order: u64,
    /// The carrier's name as printed.
    pub carrier: String,
    /// The tracking (waybill) number.
    pub tracking: String,
}

/// A batch to make.
#[derive(Debug, Clone)]
pub struct BatchRequest {
    /// The station group that prints it.
    pub group: String,
    /// Who asks (the token's name).
    pub who: String,
    /// The sender printed on every label.
    pub sender: Party,
    /// How the ZPL is written (the printers' CJK font).
    pub zpl: ZplOptions,
    /// The orders, in print order.
    pub shipments: Vec<Shipment>,
}

/// A label command for the writer.
#[derive(Debug)]
pub enum LabelCommand {
    /// Make a batch; answers its id.
    CreateBatch {
        /// What to make.
        request: Box<BatchRequest>,
        /// The answer.
        reply: Reply<u64>,
    },
    /// Reprint a failed or unsure job; answers the new job's id.
    Reprint {
        /// The job.
        job: u64,
        /// The answer.
        reply: Reply<u64>,
    },
    /// Close a failed or unsure job, as printed or not.
    Close {
        /// The job.
        job: u64,
        /// Whether an operator saw it printed.
        printed: bool,
        /// The answer.
        reply: Reply<()>,
    },
    /// A job's label as a PNG (the recipient opened again: audited).
    Preview {
        /// The job, as stored.
        job: Box<JobRecord>,
        /// The sender printed on it.
        sender: Party,
        /// Who looks.
        access: Access,
        /// The answer.
        reply: Reply<Vec<u8>>,
    },
}

/// Answers a label command on a writer without a master key.
pub(crate) fn refuse(cmd: LabelCommand) -> Pending {
    fn no<T>() -> Result<T, PoolError> {
        Err(PoolError::Invalid(
            "this hub prints no labels: it has no master key".into(),
        ))
    }
    match cmd {
        LabelCommand::CreateBatch { reply, .. } | LabelCommand::Reprint { reply, .. } => {
            later(reply, |_| no())
        }
        LabelCommand::Close { reply, .. } => later(reply, |_| no()),
        LabelCommand::Preview { reply, .. } => later(reply, |_| no()),
    }
}

fn batch_context(batch: u64) -> String {
    format!("label-batch:{batch}")
}

fn job_context(batch: u64, order: u64) -> String {
    format!("label-batch:{batch}/order:{order}")
}

fn label_error(e: hub_core::labels::LabelError) -> PoolError {
    PoolError::Invalid(format!("label cannot be made: {e}"))
}

impl Desk {
    /// Applies a label command; its answer waits for the group's flush.
    pub fn apply_label(&self, pool: &mut Pool, cmd: LabelCommand, now: u64) -> Pending {
        match cmd {
            LabelCommand::CreateBatch { request, reply } => {
                let result = self.create_batch(pool, *request, now);
                later(reply, move |_| result)
            }
            LabelCommand::Reprint { job, reply } => {
                let result = pool.reprint_label(job, now);
                later(reply, move |_| result)
            }
            LabelCommand::Close {
                job,
                printed,
                reply,
            } => {
                let result = pool.close_label(job, printed, now);
                later(reply, move |_| result)
            }
            LabelCommand::Preview {
                job,
                sender,
                access,
                reply,
            } => {
                let result = self.preview(pool, &job, sender, access, now);
                later(reply, move |_| result)
            }
        }
    }

    fn create_batch(&self, pool: &mut Pool, req: BatchRequest, now: u64) -> Result<u64, PoolError> {
        let ids: Vec<u64> = req.shipments.iter().map(|s| s.order).collect();
        pool.label_orders(&ids)?;
        let batch = pool.print_book().next_batch_id();
        let key = DataKey::generate().map_err(sealing)?;
        let wrapped = self
            .master
            .wrap(&key, &batch_context(batch))
            .map_err(sealing)?;
        let size = req.shipments.len() as u32;
        let mut labels = Vec::with_capacity(req.shipments.len());
        for (i, shipment) in req.shipments.iter().enumerate() {
            let place = BatchPosition {
                batch: batch.to_string(),
                position: i as u32 + 1,
                size,
            };
            let access = Access {
                who: req.who.clone(),
                reason: format!("label batch {batch}"),
            };
            let data = self.label_data(pool, shipment, &req.sender, place, access, now)?;
            let zpl = label_zpl_with(&data, &req.zpl).map_err(label_error)?;
            let sealed = key
                .seal(&zpl, &job_context(batch, shipment.order))
                .map_err(sealing)?;
            labels.push(NewLabel {
                order: shipment.order,
                tracking: shipment.tracking.clone(),
                carrier: shipment.carrier.clone(),
                zpl: sealed.to_bytes(),
            });
        }
        let wrapped = wrapped.as_bytes().to_vec();
        pool.create_label_batch(&req.group, &req.who, wrapped, labels, now)
    }

    /// What goes on one order's label, its recipient opened for `access`
    /// (recorded in the audit).
    fn label_data(
        &self,
        pool: &mut Pool,
        shipment: &Shipment,
        sender: &Party,
        batch: BatchPosition,
        access: Access,
        now: u64,
    ) -> Result<LabelData, PoolError> {
        // A preview of a shipped order's label reads it back from the store.
        pool.recall_order(shipment.order)?;
        let order = &pool
            .order(shipment.order)
            .ok_or(PoolError::OrderNotFound(shipment.order))?
            .clone();
        let data = open_customer(&self.order_data_key(pool, order)?, order)?;
        let (order_ref, service, customer) = (
            order.platform_order_id.clone(),
            order.service,
            order.customer.customer_key.clone(),
        );
        pool.audit(AuditEntry {
            at_ms: now,
            who: access.who,
            action: "label".into(),
            reason: access.reason,
            order: Some(shipment.order),
            customer: Some(customer),
        });
        Ok(LabelData {
            sender: sender.clone(),
            recipient: recipient(&data),
            order_ref,
            order_id: shipment.order,
            carrier: shipment.carrier.clone(),
            service,
            tracking_number: shipment.tracking.clone(),
            remark: None,
            batch,
        })
    }

    fn preview(
        &self,
        pool: &mut Pool,
        job: &JobRecord,
        sender: Party,
        access: Access,
        now: u64,
    ) -> Result<Vec<u8>, PoolError> {
        let shipment = Shipment {
            order: job.order,
            carrier: job.carrier.clone(),
            tracking: job.tracking.clone(),
        };
        let place = BatchPosition {
            batch: job.batch.to_string(),
            position: job.position,
            size: job.batch_size,
        };
        let data = self.label_data(pool, &shipment, &sender, place, access, now)?;
        preview_png(&data).map_err(label_error)
    }
}

/// The recipient as printed: name, phone, and the address from region to
/// street.
fn recipient(data: &CustomerData) -> Party {
    let region = [&data.province, &data.city, &data.district]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let mut address = vec![region, data.street.clone()];
    if !data.postal_code.is_empty() {
        address.push(data.postal_code.clone());
    }
    address.retain(|line| !line.is_empty());
    Party {
        name: data.name.clone(),
        phone: data.phone.clone(),
        address,
    }
}

/// Opens stored labels for sending (the outbound task's part of the
/// master key).
#[derive(Clone)]
pub struct LabelVault {
    master: Arc<MasterKey>,
    valid_ms: u32,
}

impl std::fmt::Debug for LabelVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LabelVault(..)")
    }
}

impl LabelVault {
    /// A vault over `desk`'s master key; jobs carry `valid_ms` (the
    /// failover time: WIRE.md §3.16).
    pub fn new(desk: &Desk, valid_ms: u32) -> LabelVault {
        LabelVault {
            master: desk.master.clone(),
            valid_ms,
        }
    }

    /// The buyer's remarks on `order`, opened for the picker's and the
    /// packer's list (the list is sealed to its device), with the
    /// customer's keyed hash for the audit; None when there are none or
    /// the customer's data is gone (archived).
    pub fn remarks(&self, store: &crate::store::Store, order: u64) -> Option<(String, String)> {
        let order = store.order(order).ok().flatten()?;
        let key = &order.customer.customer_key;
        let customer = store.customer(key).ok().flatten()?;
        let wrapped = WrappedKey::from_bytes(customer.wrapped_key.as_deref()?).ok()?;
        let data_key = self.master.unwrap(&wrapped, key).ok()?;
        let data = open_customer(&data_key, &order).ok()?;
        Some((data.remarks, key.clone())).filter(|(r, _)| !r.trim().is_empty())
    }

    /// Batch `batch`'s data key, unwrapped from its `wrapped` form.
    pub fn batch_key(&self, batch: u64, wrapped: &[u8]) -> Result<DataKey, PoolError> {
        let wrapped = WrappedKey::from_bytes(wrapped).map_err(sealing)?;
        self.master
            .unwrap(&wrapped, &batch_context(batch))
            .map_err(sealing)
    }

    /// The wire message of `job`, its label opened with its batch's `key`
    /// ([`LabelVault::batch_key`]).
    pub fn label_job(
        &self,
        site: &str,
        job: &JobRecord,
        key: &DataKey,
    ) -> Result<protocol::LabelJob, PoolError> {
        let sealed = Sealed::from_bytes(&job.zpl).map_err(sealing)?;
        let zpl = key
            .open(&sealed, &job_context(job.batch, job.order))
            .map_err(sealing)?;
        Ok(protocol::LabelJob {
            site: site.to_string(),
            station: job.station.clone(),
            job: job.id,
            batch: job.batch,
            position: job.position,
            batch_size: job.batch_size,
            order: job.order,
            tracking: job.tracking.clone(),
            valid_ms: self.valid_ms,
            zpl,
        })
    }
}
