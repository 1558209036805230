//! The writer's order commands: where personal data is sealed and opened.
//!
//! Why here, on the writer's thread: a customer's data key is found (or
//! made and wrapped) by the customer's keyed hash, and two orders of one
//! new customer in one group must get the same key. The single writer sees
//! them in order, so the first makes the key and the second finds it in
//! the pool, with no race and no lock. Sealing one order's four values
//! with AES-256-GCM costs microseconds.
//!
//! The core (`hub_core::pool::orders`) never sees a clear value: it gets
//! sealed bytes, masks and the keyed hash. Decryption (an operator asking
//! for a customer's clear data) appends an audit entry in the same group,
//! so the answer leaves only once the access is on record.

use crate::errors::PoolError;
use crate::orders::{AuditEntry, Order, OrderCustomer, OrderLine, Reason, Service};
use crate::pool::orders::{OrderIntake, Placed};
use crate::pool::Pool;
use crate::writer::commands::{later, Pending, Reply};
use hub_privacy::{mask_name, mask_phone, mask_street, DataKey, MasterKey, WrappedKey};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A customer's data in clear, as cleaned: what is sealed, and what an
/// operator with a reason may read back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerData {
    /// Name.
    pub name: String,
    /// Phone, normalised (11 digits in China, E.164 elsewhere).
    pub phone: String,
    /// ISO country code.
    pub country: String,
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
    /// District.
    pub district: String,
    /// Street and number.
    pub street: String,
    /// Postal code.
    pub postal_code: String,
    /// The buyer's remarks (reach the picker and packer).
    pub remarks: String,
}

/// A new order as the API hands it to the writer: cleaned, not sealed.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Platform.
    pub platform: String,
    /// The platform's order id.
    pub platform_order_id: String,
    /// Sales channel.
    pub channel: String,
    /// Service level.
    pub service: Service,
    /// Paid at intake.
    pub paid: bool,
    /// The customer, in clear (sealed by the writer).
    pub customer: CustomerData,
    /// Lines.
    pub lines: Vec<OrderLine>,
    /// Tags.
    pub tags: Vec<String>,
    /// What the cleaner found wrong.
    pub problems: Vec<Reason>,
    /// What the cleaner changed.
    pub fixes: Vec<String>,
}

/// Who opens a customer's data, and why (for the audit).
#[derive(Debug, Clone)]
pub struct Access {
    /// The API token's name.
    pub who: String,
    /// The stated reason.
    pub reason: String,
}

/// The writer's key to personal data.
#[derive(Clone)]
pub struct Desk {
    pub(crate) master: Arc<MasterKey>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Desk(..)")
    }
}

/// Fields sealed per order, in this order.
const FIELDS: [&str; 3] = ["name", "phone", "address"];

pub(crate) fn sealing(_: hub_privacy::PrivacyError) -> PoolError {
    // The error never holds a value; say only what failed.
    PoolError::Invalid("customer data could not be sealed or opened with this hub's key".into())
}

impl Desk {
    /// A desk holding the hub's master key.
    pub fn new(master: MasterKey) -> Desk {
        Desk {
            master: Arc::new(master),
        }
    }

    /// The keyed hash that names this customer (by phone, or by the order
    /// when there is no usable phone: then the order is its own customer).
    pub fn customer_key(&self, new: &NewOrder) -> String {
        let id = if new.customer.phone.is_empty() {
            format!("order:{}:{}", new.platform, new.platform_order_id)
        } else {
            new.customer.phone.clone()
        };
        self.master.customer_key(&id).as_str().to_string()
    }

    /// Places a new order: finds or makes the customer's data key, seals
    /// the customer, and hands the sealed order to the pool.
    pub fn place(&self, pool: &mut Pool, new: NewOrder, now: u64) -> Result<Placed, PoolError> {
        if let Some(order) = pool.order_by_platform(&new.platform, &new.platform_order_id)? {
            return Ok(Placed {
                order: order.clone(),
                created: false,
            });
        }
        let key = self.customer_key(&new);
        let known = pool.customer(&key)?.and_then(|c| c.wrapped_key.clone());
        let (data_key, wrapped) = match known {
            Some(bytes) => (self.unwrap(&bytes, &key)?, None),
            None => {
                let data_key = DataKey::generate().map_err(sealing)?;
                let wrapped = self.master.wrap(&data_key, &key).map_err(sealing)?;
                (data_key, Some(wrapped.as_bytes().to_vec()))
            }
        };
        let context = format!("order:{}:{}", new.platform, new.platform_order_id);
        let customer = seal_customer(&data_key, &key, &context, &new.customer)?;
        let intake = OrderIntake {
            platform: new.platform,
            platform_order_id: new.platform_order_id,
            channel: new.channel,
            service: new.service,
            paid: new.paid,
            customer,
            wrapped_key: wrapped,
            lines: new.lines,
            tags: new.tags,
            problems: new.problems,
            fixes: new.fixes,
        };
        pool.place_order(intake, now)
    }

    /// Opens an order's customer data for `access`, recording the access.
    pub fn open(
        &self,
        pool: &mut Pool,
        id: u64,
        access: Access,
        now: u64,
    ) -> Result<CustomerData, PoolError> {
        // Shipped and cancelled orders are read back from the store.
        pool.recall_order(id)?;
        let order = &pool.order(id).ok_or(PoolError::OrderNotFound(id))?.clone();
        let key = order.customer.customer_key.clone();
        let data_key = self.order_data_key(pool, order)?;
        let data = open_customer(&data_key, order)?;
        pool.audit(AuditEntry {
            at_ms: now,
            who: access.who,
            action: "read_customer".into(),
            reason: access.reason,
            order: Some(id),
            customer: Some(key),
        });
        Ok(data)
    }

    /// The data key of `order`'s customer (gone once the customer was
    /// archived).
    pub(crate) fn order_data_key(
        &self,
        pool: &mut Pool,
        order: &Order,
    ) -> Result<DataKey, PoolError> {
        let key = &order.customer.customer_key;
        let wrapped = pool
            .customer(key)?
            .and_then(|c| c.wrapped_key.clone())
            .ok_or_else(|| {
                PoolError::Invalid(format!("order {}'s customer was archived", order.id))
            })?;
        self.unwrap(&wrapped, key)
    }

    pub(crate) fn unwrap(&self, bytes: &[u8], key: &str) -> Result<DataKey, PoolError> {
        let wrapped = WrappedKey::from_bytes(bytes).map_err(sealing)?;
        self.master.unwrap(&wrapped, key).map_err(sealing)
    }
}

pub(crate) fn seal_customer(
    data_key: &DataKey,
    key: &str,
    context: &str,
    data: &CustomerData,
) -> Result<OrderCustomer, PoolError> {
    let address = serde_json::to_string(&(
        &data.province,
        &data.city,
        &data.district,
        &data.street,
        &data.postal_code,
        &data.remarks,
    ))
    .map_err(|_| PoolError::Invalid("customer address could not be encoded".into()))?;
    let mut sealed = Vec::with_capacity(FIELDS.len());
    for (field, value) in FIELDS.iter().zip([&data.name, &data.phone, &address]) {
        let value = data_key
            .seal(value, &format!("{context}/{field}"))
            .map_err(sealing)?;
        sealed.push((field.to_string(), value.to_bytes()));
    }
    let region = [&data.province, &data.city, &data.district]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(OrderCustomer {
        customer_key: key.to_string(),
        sealed,
        name_masked: mask_name(&data.name),
        phone_masked: mask_phone(&data.phone),
        region,
        street_masked: mask_street(&data.street),
        country: data.country.clone(),
    })
}

pub(crate) fn open_customer(data_key: &DataKey, order: &Order) -> Result<CustomerData, PoolError> {
    let context = format!("order:{}:{}", order.platform, order.platform_order_id);
    let mut values = Vec::with_capacity(FIELDS.len());
    for field in FIELDS {
        let bytes = order
            .customer
            .sealed
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, b)| b.as_slice())
            .unwrap_or_default();
        let sealed = hub_privacy::Sealed::from_bytes(bytes).map_err(sealing)?;
        let value = data_key
            .open(&sealed, &format!("{context}/{field}"))
            .map_err(sealing)?;
        values.push(value);
    }
    let [name, phone, address] = <[String; 3]>::try_from(values)
        .map_err(|_| PoolError::Invalid("sealed customer incomplete".into()))?;
    let (province, city, district, street, postal_code, remarks): (
        String,
        String,
        String,
        String,
        String,
        String,
    ) = serde_json::from_str(&address)
        .map_err(|_| PoolError::Invalid("sealed address unreadable".into()))?;
    Ok(CustomerData {
        name,
        phone,
        country: order.customer.country.clone(),
        province,
        city,
        district,
        street,
        postal_code,
        remarks,
    })
}

/// An order command for the writer.
#[derive(Debug)]
pub enum OrderCommand {
    /// Take an order in; answers the order and whether it is new.
    Place {
        /// The order, cleaned.
        order: Box<NewOrder>,
        /// The answer.
        reply: Reply<(Order, bool)>,
    },
    /// Payment arrived.
    Paid {
        /// The order.
        id: u64,
        /// The answer.
        reply: Reply<Order>,
    },
    /// The payment failed: release the hold, wait as an exception.
    PaymentFailed {
        /// The order.
        id: u64,
        /// What the payment provider said (no personal data).
        reason: String,
        /// The answer.
        reply: Reply<Order>,
    },
    /// The platform closed or cancelled the order: cancel a known one.
    PlatformClosed {
        /// The platform and its order id.
        platform: String,
        /// The platform's order id.
        platform_order_id: String,
        /// The platform's status code.
        status: String,
        /// The order, if known.
        reply: Reply<Option<Order>>,
    },
    /// Cancel, releasing stock.
    Cancel {
        /// The order.
        id: u64,
        /// The answer.
        reply: Reply<Order>,
    },
    /// Through the checks again after an operator's correction.
    Resubmit {
        /// The order.
        id: u64,
        /// The corrected customer (cleaned), if the operator changed it,
        /// with the cleaner's fixes.
        customer: Option<Box<(CustomerData, Vec<String>)>>,
        /// What the cleaner still finds wrong.
        problems: Vec<Reason>,
        /// The answer.
        reply: Reply<Order>,
    },
    /// Read a customer's data in clear (audited).
    OpenCustomer {
        /// The order.
        id: u64,
        /// Who and why.
        access: Access,
        /// The answer.
        reply: Reply<CustomerData>,
    },
    /// The orders handed over to another site and not yet taken in there.
    PendingHandoffs {
        /// The answer: each order with the site it goes to.
        reply: Reply<Vec<(Order, String)>>,
    },
    /// Another site's hub answered a handover (see
    /// [`hub_core::pool::Pool::handoff_accepted`]).
    HandoffAnswered {
        /// The order here.
        id: u64,
        /// The site that answered.
        site: String,
        /// Its order id there, or why it refused.
        answer: Result<u64, String>,
        /// The answer.
        reply: Reply<Order>,
    },
}

impl Desk {
    /// Applies an order command; its answer waits for the group's flush.
    pub fn apply(&self, pool: &mut Pool, cmd: OrderCommand, now: u64) -> Pending {
        match cmd {
            OrderCommand::Place { order, reply } => {
                let result = self.place(pool, *order, now).map(|p| (p.order, p.created));
                later(reply, move |_| result)
            }
            OrderCommand::Paid { id, reply } => {
                let result = pool.order_paid(id, now);
                later(reply, move |_| result)
            }
            OrderCommand::PaymentFailed { id, reason, reply } => {
                let result = pool.order_payment_failed(id, &reason, now);
                later(reply, move |_| result)
            }
            OrderCommand::PlatformClosed {
                platform,
                platform_order_id,
                status,
                reply,
            } => {
                let result = pool.cancel_on_platform(&platform, &platform_order_id, &status, now);
                later(reply, move |_| result)
            }
            OrderCommand::Cancel { id, reply } => {
                let result = pool.cancel_order(id, now);
                later(reply, move |_| result)
            }
            OrderCommand::Resubmit {
                id,
                customer,
                problems,
                reply,
            } => {
                let result = self.resubmit(pool, id, customer.map(|c| *c), problems, now);
                later(reply, move |_| result)
            }
            OrderCommand::OpenCustomer { id, access, reply } => {
                let result = self.open(pool, id, access, now);
                later(reply, move |_| result)
            }
            OrderCommand::PendingHandoffs { reply } => {
                let pending: Vec<(Order, String)> = pool
                    .pending_handoffs()
                    .into_iter()
                    .filter_map(|(id, site)| Some((pool.order(id)?.clone(), site)))
                    .collect();
                later(reply, move |_| Ok(pending))
            }
            OrderCommand::HandoffAnswered {
                id,
                site,
                answer,
                reply,
            } => {
                let result = match answer {
                    Ok(remote) => pool.handoff_accepted(id, &site, remote, now),
                    Err(why) => pool.handoff_refused(id, &site, &why, now),
                };
                later(reply, move |_| result)
            }
        }
    }

    fn resubmit(
        &self,
        pool: &mut Pool,
        id: u64,
        customer: Option<(CustomerData, Vec<String>)>,
        problems: Vec<Reason>,
        now: u64,
    ) -> Result<Order, PoolError> {
        let correction = match customer {
            None => None,
            Some((data, fixes)) => {
                pool.recall_order(id)?;
                let order = &pool.order(id).ok_or(PoolError::OrderNotFound(id))?.clone();
                let key = order.customer.customer_key.clone();
                let context = format!("order:{}:{}", order.platform, order.platform_order_id);
                let data_key = self.order_data_key(pool, order)?;
                Some((seal_customer(&data_key, &key, &context, &data)?, fixes))
            }
        };
        pool.resubmit_order(id, correction, problems, now)
    }
}

/// Answers an order command on a writer without a master key.
pub(crate) fn refuse(cmd: OrderCommand) -> Pending {
    fn no<T>() -> Result<T, PoolError> {
        Err(PoolError::Invalid(
            "this hub takes no orders: it has no master key".into(),
        ))
    }
    match cmd {
        OrderCommand::Place { reply, .. } => later(reply, |_| no()),
        OrderCommand::Paid { reply, .. }
        | OrderCommand::PaymentFailed { reply, .. }
        | OrderCommand::Cancel { reply, .. }
        | OrderCommand::Resubmit { reply, .. }
        | OrderCommand::HandoffAnswered { reply, .. } => later(reply, |_| no()),
        OrderCommand::PendingHandoffs { reply } => later(reply, |_| Ok(Vec::new())),
        OrderCommand::OpenCustomer { reply, .. } => later(reply, |_| no()),
        OrderCommand::PlatformClosed { reply, .. } => later(reply, |_| no()),
    }
}
