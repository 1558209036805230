//! What an order is: its lines, its service level, its customer (sealed,
//! opaque to this crate, with masked copies to show), and its life as a
//! list of timed states.
//!
//! Personal data never reaches this crate in clear: the hub's writer seals
//! it (`hub-privacy`) before the order is placed, and hands in the sealed
//! bytes, the masks and the customer's keyed hash.

use serde::{Deserialize, Serialize};

/// How fast an order must leave the building.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(
        description = "`express`: due 2 hours after intake; `standard`: by the end of the next day, UTC."
    )
)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Ship within [`EXPRESS_DUE_MS`] of being received.
    Express,
    /// Ship by the end of the next day.
    Standard,
}

/// Express orders are due this long after they are received (2 hours).
pub const EXPRESS_DUE_MS: u64 = 2 * 3_600_000;
/// Standard orders are due by the end of the next day (UTC).
const DAY_MS: u64 = 86_400_000;

impl Service {
    /// When an order of this service received at `received_ms` is due.
    pub fn due_ms(self, received_ms: u64) -> u64 {
        match self {
            Service::Express => received_ms + EXPRESS_DUE_MS,
            Service::Standard => (received_ms / DAY_MS + 2) * DAY_MS,
        }
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Taken in, not yet checked.
    Received,
    /// Customer data and lines passed the checks.
    Validated,
    /// Stock held for it until payment (or the hold's end).
    Held,
    /// Paid: the hold became an allocation kept until picked.
    Paid,
    /// Sent to the site that will fill it.
    Routed,
    /// On a pick list.
    Picking,
    /// Every line picked.
    Picked,
    /// Packed and checked.
    Packed,
    /// Its label printed.
    Labelled,
    /// Left the dock.
    Shipped,
    /// Cancelled; its stock released.
    Cancelled,
    /// Waiting for an operator, with every reason (`exceptions`).
    Exception,
}

impl OrderState {
    /// Every state, in lifecycle order.
    pub const ALL: [OrderState; 12] = [
        OrderState::Received,
        OrderState::Validated,
        OrderState::Held,
        OrderState::Paid,
        OrderState::Routed,
        OrderState::Picking,
        OrderState::Picked,
        OrderState::Packed,
        OrderState::Labelled,
        OrderState::Shipped,
        OrderState::Cancelled,
        OrderState::Exception,
    ];

    /// The snake_case word used in JSON and filters.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Received => "received",
            OrderState::Validated => "validated",
            OrderState::Held => "held",
            OrderState::Paid => "paid",
            OrderState::Routed => "routed",
            OrderState::Picking => "picking",
            OrderState::Picked => "picked",
            OrderState::Packed => "packed",
            OrderState::Labelled => "labelled",
            OrderState::Shipped => "shipped",
            OrderState::Cancelled => "cancelled",
            OrderState::Exception => "exception",
        }
    }

    /// Parses [`OrderState::as_str`].
    pub fn parse(word: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// Whether the order's life is over (nothing more will happen to it).
    pub fn is_final(self) -> bool {
        matches!(self, OrderState::Shipped | OrderState::Cancelled)
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// The SKU.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::Id))]
    pub sku: String,
    /// Units ordered.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000))]
    pub quantity: i64,
}

/// Why an order waits for an operator: a stable code and a sentence. Never
/// holds personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable code, e.g. `district_not_in_city`, `backorder`.
    pub code: String,
    /// The field it is about, when there is one (`address.district`).
    pub field: String,
    /// For people.
    pub message: String,
}

impl Reason {
    /// A reason about the whole order.
    pub fn order(code: &str, message: impl Into<String>) -> Reason {
        Reason {
            code: code.to_string(),
            field: String::new(),
            message: message.into(),
        }
    }
}

/// One step of an order's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// The state entered.
    pub state: OrderState,
    /// When, hub time, ms since the epoch.
    pub at_ms: u64,
    /// Why, for people (no personal data).
    pub note: String,
}

/// The customer as the order carries it: sealed values (opaque here) and
/// masked copies that every role may see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCustomer {
    /// The customer's keyed hash (links orders of one person).
    pub customer_key: String,
    /// Sealed fields, by name (`name`, `phone`, `address`, `remarks`).
    pub sealed: Vec<(String, Vec<u8>)>,
    /// Masked name (`张*`).
    pub name_masked: String,
    /// Masked phone (`138****5678`).
    pub phone_masked: String,
    /// Province, city and district (not personal on their own) and a
    /// masked street.
    pub region: String,
    /// Masked street.
    pub street_masked: String,
    /// Country code.
    pub country: String,
}

/// An order as stored and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Id, assigned by the writer.
    pub id: u64,
    /// `own`, `taobao`, `jd`, `shopee`, `csv`, ...
    pub platform: String,
    /// The platform's own order id; (platform, id) is unique.
    pub platform_order_id: String,
    /// Sales channel (stock set aside for it is used first).
    pub channel: String,
    /// Express or standard (VIP orders are express).
    pub service: Service,
    /// Whether payment was confirmed.
    pub paid: bool,
    /// The customer, sealed and masked.
    pub customer: OrderCustomer,
    /// Lines, one per SKU.
    pub lines: Vec<OrderLine>,
    /// Tags from the platform, the operator or the customer's record.
    pub tags: Vec<String>,
    /// Where it is now.
    pub state: OrderState,
    /// Every state it went through, with times.
    pub history: Vec<Transition>,
    /// The reservation holding its stock, while one does.
    pub reservation: Option<u64>,
    /// When the unpaid hold ends.
    pub hold_until_ms: Option<u64>,
    /// Why it waits for an operator (empty unless in exception).
    pub exceptions: Vec<Reason>,
    /// What the cleaner changed (no personal data).
    pub fixes: Vec<String>,
    /// The site that fills it, once routed.
    pub site: String,
    /// Why that site.
    pub route_reason: String,
    /// When it was received.
    pub created_ms: u64,
    /// When it last changed state.
    pub updated_ms: u64,
    /// When it must ship.
    pub due_ms: u64,
    /// Whether the stuck-order alert was raised for its current state.
    pub stuck_alerted: bool,
    /// Its parcel's carrier and tracking number, once its label printed.
    #[serde(default)]
    pub shipment: Option<Shipment>,
    /// Units that came back, as the receiving desk scanned them.
    #[serde(default)]
    pub returns: Vec<OrderReturn>,
    /// Handed over to another site's hub (this site could not fill it).
    #[serde(default)]
    pub handoff: Option<Handoff>,
}

/// An order handed over to another site: sent until that site's hub
/// answers, then routed there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    /// The site that fills it.
    pub site: String,
    /// Its order id at that site, once that site took it in.
    pub remote_id: Option<u64>,
}

/// Units of an order that came back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderReturn {
    /// The SKU.
    pub sku: String,
    /// Units.
    pub quantity: i64,
    /// Why (`resaleable`, `damaged`, `wrong_item`, `unwanted`).
    pub reason: String,
    /// Where they went (a quarantine location for damaged ones).
    pub location: String,
    /// When the hub applied the scan.
    pub at_ms: u64,
}

/// An order's parcel: what its label says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// The carrier.
    pub carrier: String,
    /// The tracking (waybill) number; a `ship` scan of it at the dock
    /// ships the order.
    pub tracking: String,
}

impl Order {
    /// Moves to `state` at `now`, recording the step.
    pub fn enter(&mut self, state: OrderState, now: u64, note: impl Into<String>) {
        self.state = state;
        self.updated_ms = now;
        self.stuck_alerted = false;
        self.history.push(Transition {
            state,
            at_ms: now,
            note: note.into(),
        });
    }

    /// The reservation key of this order's stock hold.
    pub fn hold_ref(&self) -> String {
        format!("order-{}", self.id)
    }

    /// Milliseconds spent in each state so far (the last one up to `now`).
    pub fn time_in_states(&self, now: u64) -> Vec<(OrderState, u64)> {
        let mut out = Vec::with_capacity(self.history.len());
        for (i, step) in self.history.iter().enumerate() {
            let end = self.history.get(i + 1).map_or(now, |next| next.at_ms);
            out.push((step.state, end.saturating_sub(step.at_ms)));
        }
        out
    }
}
