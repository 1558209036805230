//! The commands the single writer takes besides device publishes, and how
//! their answers wait for the group's flush.
//!
//! An HTTP handler sends a command carrying a `oneshot` sender and awaits
//! it. The writer applies the command to the pool at once (so later
//! commands in the same group see its effect) but keeps the answer in a
//! [`Pending`] until the group is durable; if the commit fails the caller
//! hears `CommitFailed`, never a success that was not written.

use crate::availability::Availability;
use crate::errors::PoolError;
use crate::lots::Allocation;
use crate::pool::reservations::Reserved;
use crate::pool::Pool;
use crate::reconcile::{ErpFile, Report};
use crate::reservations::{ReservationState, ReserveRequest, SharedReservation};
use crate::safety::SafetyRule;
use crate::store::Store;
use bytes::Bytes;
use std::sync::Arc;
use tokio::sync::oneshot;

/// Where a command's answer goes.
pub type Reply<T> = oneshot::Sender<Result<T, PoolError>>;

/// Sends a command to the writer and waits for its answer, which comes
/// only after the group holding it is durable; a writer that is gone is
/// [`PoolError::Unavailable`].
pub async fn call<T>(
    commands: &tokio::sync::mpsc::Sender<Command>,
    make: impl FnOnce(Reply<T>) -> Command,
) -> Result<T, PoolError> {
    let (tx, rx) = oneshot::channel();
    commands
        .send(make(tx))
        .await
        .map_err(|_| PoolError::Unavailable)?;
    rx.await.map_err(|_| PoolError::Unavailable)?
}

/// A unit of work for the writer.
#[derive(Debug)]
pub enum Command {
    /// A publish that arrived from the broker.
    Publish {
        /// Its topic.
        topic: String,
        /// Its raw payload.
        payload: Bytes,
        /// When the hub's MQTT client received it (the start of the ack
        /// latency in `/metrics`).
        arrived: std::time::Instant,
    },
    /// Hold stock for an order; answers the reservation and whether it is new.
    Reserve {
        /// What to hold.
        request: ReserveRequest,
        /// The answer.
        reply: Reply<(SharedReservation, bool)>,
    },
    /// Turn a hold into a pick task's allocation.
    Confirm {
        /// The reservation.
        id: u64,
        /// The answer.
        reply: Reply<SharedReservation>,
    },
    /// Return a reservation's outstanding stock to the pool.
    Release {
        /// The reservation.
        id: u64,
        /// The answer.
        reply: Reply<SharedReservation>,
    },
    /// Set (Some) or remove (None) a SKU's safety rule.
    SetSafety {
        /// The SKU.
        sku: String,
        /// The rule.
        rule: Option<SafetyRule>,
        /// The answer.
        reply: Reply<()>,
    },
    /// Available per SKU and per location, live.
    Availability {
        /// The SKU.
        sku: String,
        /// The answer.
        reply: Reply<Availability>,
    },
    /// FEFO pick suggestions for a quantity of a SKU.
    Suggest {
        /// The SKU.
        sku: String,
        /// Units to pick.
        quantity: i64,
        /// The answer.
        reply: Reply<Vec<Allocation>>,
    },
    /// Set units of a SKU aside for a sales channel.
    Allocate {
        /// What to set aside.
        request: crate::allocations::AllocationRequest,
        /// The answer.
        reply: Reply<crate::allocations::Allocation>,
    },
    /// End an allocation, returning what it holds to the pool.
    EndAllocation {
        /// The allocation.
        id: u64,
        /// The answer.
        reply: Reply<crate::allocations::Allocation>,
    },
    /// An operator acknowledges an alert.
    AckAlert {
        /// The alert.
        id: u64,
        /// The operator (the token's name).
        by: String,
        /// The alert as it is now.
        reply: Reply<(u64, crate::alerts::Alert)>,
    },
    /// Expire every hold that is due and forget idempotency keys past
    /// their retention (sent by the sweeper).
    Sweep,
    /// Answered after the group holding it commits: `/healthz` asks it to
    /// know that the writer is alive and making progress.
    Ping {
        /// The answer.
        reply: Reply<()>,
    },
    /// An order command (the writer seals and opens customer data).
    Order(crate::writer::orders::OrderCommand),
    /// A customer command (tags, merge, split).
    Customer(crate::writer::customers::CustomerCommand),
    /// A label command (batches, reprints, previews).
    Label(Box<crate::writer::labels::LabelCommand>),
    /// Records an access to customer data made outside the writer (the
    /// buyer's remarks opened for a picker's list).
    Audit(Box<crate::orders::AuditEntry>),
    /// Available of every SKU (the stock notices a hub publishes at each
    /// connection).
    AvailableAll {
        /// The answer: (SKU, available), by SKU.
        reply: Reply<Vec<(String, i64)>>,
    },
    /// Another site's available stock of a SKU, from its hub's signed
    /// notice (checked by [`crate::sites::peers`]); routing reads it.
    PeerStock {
        /// The site.
        site: String,
        /// The SKU.
        sku: String,
        /// On hand minus reserved minus quarantined there.
        available: i64,
        /// When that hub read it.
        at_ms: u64,
    },
    /// Rebuild the pool from the log, compare, optionally against an ERP
    /// file, and store the report (runs after the group's commit).
    Reconcile {
        /// The ERP stock file, parsed.
        erp: Option<ErpFile>,
        /// What started it ("api", "nightly").
        trigger: &'static str,
        /// The answer.
        reply: Option<Reply<Report>>,
    },
}

/// An answer held back until the group's commit: called with the store
/// and whether the commit succeeded.
pub struct Pending(Deliver);

type Deliver = Box<dyn FnOnce(&Store, bool) + Send>;

impl Pending {
    /// Delivers the answer.
    pub fn deliver(self, store: &Store, committed: bool) {
        (self.0)(store, committed)
    }
}

pub(crate) fn later<T: Send + 'static>(
    reply: Reply<T>,
    answer: impl FnOnce(&Store) -> Result<T, PoolError> + Send + 'static,
) -> Pending {
    Pending(Box::new(move |store, committed| {
        let result = if committed {
            answer(store)
        } else {
            Err(PoolError::CommitFailed)
        };
        let _ = reply.send(result);
    }))
}

/// Applies a pool command; `None` for commands that are not pool commands
/// (publishes, reconciliations), which the writer handles itself.
pub fn apply(pool: &mut Pool, cmd: Command, now: u64) -> Result<Option<Pending>, Command> {
    let pending = match cmd {
        Command::Reserve { request, reply } => {
            let result = pool.reserve(&request, now);
            later(reply, move |store| match result? {
                Reserved::New(r) => Ok((r, true)),
                Reserved::Existing(r) => Ok((r, false)),
                Reserved::Stored(id) => Ok((stored(store, id)?, false)),
            })
        }
        Command::Confirm { id, reply } => {
            let result = pool.confirm(id, now);
            later(reply, move |store| match result {
                Err(PoolError::NotFound(id)) => not_active(store, id, "confirm", &[]),
                other => other,
            })
        }
        Command::Release { id, reply } => {
            let result = pool.release(id, now);
            let done = [ReservationState::Released, ReservationState::Expired];
            later(reply, move |store| match result {
                Err(PoolError::NotFound(id)) => not_active(store, id, "release", &done),
                other => other,
            })
        }
        Command::SetSafety { sku, rule, reply } => {
            pool.set_safety(&sku, rule, now);
            later(reply, |_| Ok(()))
        }
        Command::Suggest {
            sku,
            quantity,
            reply,
        } => {
            let result = pool.pick_suggestions(&sku, quantity);
            later(reply, move |_| result)
        }
        Command::Availability { sku, reply } => {
            let result = pool
                .availability(&sku)
                .ok_or_else(|| PoolError::UnknownSku(vec![sku]));
            later(reply, move |_| result)
        }
        Command::Ping { reply } => later(reply, |_| Ok(())),
        Command::Audit(entry) => {
            pool.audit(*entry);
            return Ok(None);
        }
        Command::AvailableAll { reply } => {
            let all = pool.available_by_sku();
            later(reply, move |_| Ok(all))
        }
        Command::PeerStock {
            site,
            sku,
            available,
            at_ms,
        } => {
            pool.peer_stock(&site, &sku, available, at_ms);
            return Ok(None);
        }
        Command::Allocate { request, reply } => {
            let result = pool.allocate(request, now);
            later(reply, move |_| result)
        }
        Command::EndAllocation { id, reply } => {
            let result = pool.end_allocation(id, now);
            later(reply, move |_| result)
        }
        Command::AckAlert { id, by, reply } => {
            let result = pool
                .acknowledge_alert(id, &by, now)
                .map(|alert| (id, alert))
                .map_err(|_| PoolError::AlertNotOpen(id));
            later(reply, move |_| result)
        }
        Command::Sweep => {
            pool.sweep(now);
            pool.end_due_allocations(now);
            match pool.archive_inactive(now) {
                Ok(0) => {}
                Ok(archived) => tracing::info!(
                    archived,
                    "inactive customers archived (data keys destroyed)"
                ),
                Err(e) => {
                    tracing::error!(error = %e, "cannot archive inactive customers; will try again")
                }
            }
            pool.sweep_tasks(now);
            pool.sweep_printing(now);
            let silent = pool.sweep_fleet(now);
            if !silent.is_empty() {
                tracing::info!(
                    ?silent,
                    "devices silent past their keep-alive marked offline"
                );
            }
            let stuck = pool.flag_stuck_orders(now);
            if stuck > 0 {
                tracing::info!(stuck, "orders without progress flagged as stuck");
            }
            let (keys, records) = pool.prune_keys(now);
            if keys + records > 0 {
                tracing::debug!(keys, records, "reservations past their retention pruned");
            }
            return Ok(None);
        }
        other => return Err(other),
    };
    Ok(Some(pending))
}

fn stored(store: &Store, id: u64) -> Result<SharedReservation, PoolError> {
    store
        .reservation(id)
        .map_err(|_| PoolError::CommitFailed)?
        .map(Arc::new)
        .ok_or(PoolError::NotFound(id))
}

/// A reservation that is not active: idempotent states answer the record,
/// others are a state conflict.
fn not_active(
    store: &Store,
    id: u64,
    action: &'static str,
    idempotent: &[ReservationState],
) -> Result<SharedReservation, PoolError> {
    let r = stored(store, id)?;
    if idempotent.contains(&r.state) {
        Ok(r)
    } else {
        Err(PoolError::WrongState {
            id,
            state: r.state.as_str(),
            action,
        })
    }
}
