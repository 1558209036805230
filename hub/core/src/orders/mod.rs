//! Orders: a shop's order from intake to shipping, as a deterministic
//! state machine (issue 14). [`model`] is what an order is, [`book`] the
//! orders and customers the writer holds, [`clean`] turns what a platform
//! or a person typed into canonical, checked customer data. The pool's
//! side (holding stock, payment, the hold's end) is in
//! `crate::pool::orders`.

pub mod archive;
pub mod audit;
pub mod book;
pub mod clean;
pub mod model;
pub mod peers;
pub mod report;
pub mod routing;

pub use archive::{ArchiveInMemory, OrderArchive};
pub use audit::{AuditEntry, AuditLog};
pub use book::{Customer, OrderBook};
pub use model::{
    Order, OrderCustomer, OrderLine, OrderReturn, OrderState, Reason, Service, Shipment, Transition,
};
use std::collections::HashMap;

/// Default time an unpaid order holds its stock (20 minutes).
pub const DEFAULT_UNPAID_HOLD_MS: u64 = 20 * 60_000;
/// Default time without a state change after which an order is stuck.
pub const DEFAULT_STUCK_AFTER_MS: u64 = 2 * 3_600_000;
/// Default time without an order after which a customer is archived.
pub const DEFAULT_ARCHIVE_AFTER_MS: u64 = 365 * 86_400_000;
/// Default most units of one SKU an order may ask for before it is
/// flagged for an operator.
pub const DEFAULT_MAX_LINE_QUANTITY: i64 = 1_000;

/// The rules orders follow, from the hub's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRules {
    /// How long an unpaid order holds its stock (15 to 30 minutes).
    pub unpaid_hold_ms: u64,
    /// Without a state change this long, an order is stuck.
    pub stuck_after_ms: u64,
    /// Units of one SKU above which an order waits for an operator.
    pub max_line_quantity: i64,
    /// This hub's site: on a single-site hub every order is routed here.
    pub site: String,
    /// Customers without an order this long are archived (their data key
    /// destroyed).
    pub archive_after_ms: u64,
    /// Which site serves which region (empty: this site serves all).
    pub routing: routing::RoutingTable,
}

impl Default for OrderRules {
    fn default() -> OrderRules {
        OrderRules {
            unpaid_hold_ms: DEFAULT_UNPAID_HOLD_MS,
            stuck_after_ms: DEFAULT_STUCK_AFTER_MS,
            max_line_quantity: DEFAULT_MAX_LINE_QUANTITY,
            site: String::new(),
            archive_after_ms: DEFAULT_ARCHIVE_AFTER_MS,
            routing: routing::RoutingTable::default(),
        }
    }
}

/// The pool's order state: the book, its rules, and which reservation
/// holds which unpaid order.
#[derive(Debug, Default)]
pub struct Orders {
    pub(crate) book: OrderBook,
    pub(crate) rules: OrderRules,
    /// Reservation id -> order id, for held (unpaid) orders.
    pub(crate) by_hold: HashMap<u64, u64>,
    /// Accesses to personal data not yet committed.
    pub(crate) audit: AuditLog,
    /// The stuck-order check's next walk.
    pub(crate) next_stuck_check_ms: u64,
    /// The archive check's next walk.
    pub(crate) next_archive_check_ms: u64,
    /// Other sites' available stock, as their hubs publish it.
    pub(crate) peers: peers::PeerStock,
}

impl Orders {
    /// Where an order of `region` with `lines` goes, and why: this site
    /// if `home_fills` (it holds the stock already), else the best other
    /// site whose published stock fills every line (see [`routing`]).
    pub fn route(
        &self,
        region: &str,
        lines: &[model::OrderLine],
        home_fills: bool,
    ) -> routing::Route {
        let home = self.rules.site.as_str();
        routing::route(&self.rules.routing, home, region, |s| {
            if s == home {
                Some(home_fills)
            } else {
                self.peers.fills(s, lines)
            }
        })
    }

    /// Orders state from what the store holds.
    pub fn load(
        orders: Vec<Order>,
        customers: Vec<Customer>,
        next_id: u64,
        next_audit: u64,
    ) -> Orders {
        let by_hold = orders
            .iter()
            .filter(|o| o.state == OrderState::Held)
            .filter_map(|o| o.reservation.map(|r| (r, o.id)))
            .collect();
        Orders {
            book: OrderBook::load(orders, customers, next_id),
            rules: OrderRules::default(),
            by_hold,
            audit: AuditLog::new(next_audit),
            next_stuck_check_ms: 0,
            next_archive_check_ms: 0,
            peers: Default::default(),
        }
    }
}
