//! The pool's side of orders: intake (idempotent on the platform's order
//! id), the stock hold until payment through the reservation machinery,
//! payment, cancellation, the hold's end, resubmission after an operator's
//! correction, and the stuck-order check.
//!
//! Why through reservations: an order's stock is held by a reservation
//! (`order-{id}-{n}`), so the no-oversell rule of [`Pool::reserve`] is the
//! only rule that lowers available stock, for orders as for every other
//! client. An order that cannot be filled waits as a `backorder`
//! exception; it never oversells.

use crate::alerts::AlertKind;
use crate::errors::PoolError;
use crate::orders::model::{Order, OrderCustomer, OrderLine, OrderState, Reason, Service};
use crate::orders::OrderRules;
use crate::pool::archived::archive_error;
use crate::pool::reservations::Reserved;
use crate::pool::Pool;
use crate::reservations::{RequestLine, ReserveRequest, MAX_LINES};

/// How often the stuck-order check walks the orders.
pub const STUCK_CHECK_EVERY_MS: u64 = 10_000;

/// An order as the writer hands it in: checked by the cleaner, customer
/// sealed and masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderIntake {
    /// Platform (`own`, `taobao`, ...).
    pub platform: String,
    /// The platform's order id.
    pub platform_order_id: String,
    /// Sales channel.
    pub channel: String,
    /// Service level asked for.
    pub service: Service,
    /// Whether it arrives paid.
    pub paid: bool,
    /// The customer, sealed and masked.
    pub customer: OrderCustomer,
    /// The customer's wrapped data key, for a customer not yet known.
    pub wrapped_key: Option<Vec<u8>>,
    /// Lines as received (a SKU may repeat).
    pub lines: Vec<OrderLine>,
    /// Tags.
    pub tags: Vec<String>,
    /// What the cleaner found wrong (the order waits in exception).
    pub problems: Vec<Reason>,
    /// What the cleaner changed.
    pub fixes: Vec<String>,
}

/// What placing an order came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// The order now.
    pub order: Order,
    /// False when (platform, platform order id) was taken in before.
    pub created: bool,
}

impl Pool {
    /// The rules orders follow (hold time, limits, site).
    pub fn set_order_rules(&mut self, rules: OrderRules) {
        self.orders.rules = rules;
    }

    /// Records an access to personal data (committed with the group, so
    /// the access is on record before its answer leaves).
    pub fn audit(&mut self, entry: crate::orders::AuditEntry) -> u64 {
        self.orders.audit.append(entry)
    }

    /// One order the pool holds: open ones, and final ones until the
    /// commit that stores them (see [`Pool::recall_order`] for the rest).
    pub fn order(&self, id: u64) -> Option<&Order> {
        self.orders.book.get(id)
    }

    /// Every order the pool holds, by id (open ones, once an archive is
    /// attached).
    pub fn orders(&self) -> impl Iterator<Item = &Order> {
        self.orders.book.iter()
    }

    /// Takes an order in; a resend of a known (platform, order id) returns
    /// the order as it is and changes nothing, also once the order is
    /// final and out of memory. Checked first either way: a body the API
    /// refuses is refused on a resend too.
    pub fn place_order(&mut self, intake: OrderIntake, now: u64) -> Result<Placed, PoolError> {
        check_intake(&intake)?;
        if let Some(order) = self.order_by_platform(&intake.platform, &intake.platform_order_id)? {
            return Ok(Placed {
                order: order.clone(),
                created: false,
            });
        }
        let mut order = self.new_order(intake.clone(), now)?;
        let mut problems = intake.problems;
        let limit = self.orders.rules.max_line_quantity;
        for line in order.lines.iter().filter(|l| l.quantity > limit) {
            problems.push(Reason {
                code: "quantity_over_limit".into(),
                field: format!("lines.{}", line.sku),
                message: format!(
                    "{} units of one SKU is over the limit of {limit}",
                    line.quantity
                ),
            });
        }
        if problems.is_empty() {
            order.enter(
                OrderState::Validated,
                now,
                "customer data and lines checked",
            );
            self.hold_order(&mut order, now);
        } else {
            let note = format!("{} problem(s) found at intake", problems.len());
            order.exceptions = problems;
            order.enter(OrderState::Exception, now, note);
        }
        self.orders.book.insert(order.clone());
        Ok(Placed {
            order,
            created: true,
        })
    }

    fn new_order(&mut self, intake: OrderIntake, now: u64) -> Result<Order, PoolError> {
        let customer = self
            .orders
            .book
            .customer_mut(&intake.customer.customer_key, now)
            .map_err(archive_error)?;
        if customer.wrapped_key.is_none() {
            customer.wrapped_key = intake.wrapped_key;
        }
        customer.orders += 1;
        customer.last_ms = now;
        let key = customer.key.clone();
        self.derive_tags(&key, now)?;
        let customer = self
            .orders
            .book
            .customer_mut(&key, now)
            .map_err(archive_error)?;
        let mut tags = intake.tags;
        for tag in &customer.tags {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        let vip = customer.is_vip() || tags.iter().any(|t| t.eq_ignore_ascii_case("vip"));
        let service = if vip {
            Service::Express
        } else {
            intake.service
        };
        let mut order = Order {
            id: self.orders.book.next_id(),
            platform: intake.platform,
            platform_order_id: intake.platform_order_id,
            channel: intake.channel,
            service,
            paid: intake.paid,
            customer: intake.customer,
            lines: merged(&intake.lines),
            tags,
            state: OrderState::Received,
            history: Vec::new(),
            reservation: None,
            hold_until_ms: None,
            exceptions: Vec::new(),
            fixes: intake.fixes,
            site: String::new(),
            route_reason: String::new(),
            created_ms: now,
            updated_ms: now,
            due_ms: service.due_ms(now),
            stuck_alerted: false,
            shipment: None,
            returns: Vec::new(),
            handoff: None,
        };
        let note = format!("taken in from {}", order.platform);
        order.enter(OrderState::Received, now, note);
        Ok(order)
    }

    /// Holds the order's stock (state Validated); pays it at once when it
    /// arrived paid. Stock that is not there makes a backorder exception.
    pub(crate) fn hold_order(&mut self, order: &mut Order, now: u64) {
        let holds = order
            .history
            .iter()
            .filter(|s| s.state == OrderState::Held)
            .count();
        let hold_ms = self.orders.rules.unpaid_hold_ms;
        let req = ReserveRequest {
            order_ref: order.hold_ref(),
            idempotency_key: Some(format!("{}-{}", order.hold_ref(), holds + 1)),
            lines: order
                .lines
                .iter()
                .map(|l| RequestLine {
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                })
                .collect(),
            hold_ms,
        };
        let drawn = self.draw_for(&order.channel, &order.lines, now);
        let result = self.reserve(&req, now);
        if !matches!(result, Ok(Reserved::New(_))) {
            self.undraw(&drawn, now);
        }
        match result {
            Ok(Reserved::New(r) | Reserved::Existing(r)) => {
                order.reservation = Some(r.id);
                order.hold_until_ms = Some(r.expires_ms);
                self.orders.by_hold.insert(r.id, order.id);
                let from: i64 = drawn.iter().map(|(_, n)| n).sum();
                let note = if from > 0 {
                    format!(
                        "stock held until payment (reservation {}; {from} unit(s) from the {} channel's allocations)",
                        r.id, order.channel
                    )
                } else {
                    format!("stock held until payment (reservation {})", r.id)
                };
                order.enter(OrderState::Held, now, note);
                if order.paid {
                    self.pay_held(order, now);
                }
            }
            Ok(Reserved::Stored(id)) => self.cannot_hold(order, now, format!("hold {id} ended")),
            Err(refusal) => self.cannot_hold(order, now, refusal.to_string()),
        }
    }

    /// This site cannot hold the order's stock: a backorder, naming the
    /// other site whose published stock fills it, if one does.
    fn cannot_hold(&mut self, order: &mut Order, now: u64, why: String) {
        let region = order.customer.region.split(' ').next().unwrap_or("");
        let route = self.orders.route(region, &order.lines, false);
        match route.site {
            // An order handed over from another site is not handed on.
            Some(site)
                if site != self.orders.rules.site && !order.platform.starts_with("site-") =>
            {
                order.route_reason = route.reason.clone();
                let why = format!(
                    "{why}; site {site} can fill every line by its published stock ({}): handed \
                     over to {site}, waiting for its hub to take it in",
                    route.reason
                );
                order.handoff = Some(crate::orders::model::Handoff {
                    site: site.clone(),
                    remote_id: None,
                });
                order.exceptions = vec![Reason::order("handoff_pending", why)];
                let note = format!("handed over to site {site}");
                order.enter(OrderState::Exception, now, note);
            }
            // With other sites configured, the backorder says what each
            // could do.
            _ if !self.orders.rules.routing.sites.is_empty() => {
                order.route_reason = route.reason.clone();
                self.backorder(order, now, format!("{why}; {}", route.reason));
            }
            _ => self.backorder(order, now, why),
        }
    }

    pub(crate) fn backorder(&mut self, order: &mut Order, now: u64, why: String) {
        let sku = order
            .lines
            .first()
            .map_or("", |l| l.sku.as_str())
            .to_string();
        let message = format!("order {} cannot be filled: {why}", order.id);
        let subject = format!("order:{}", order.id);
        self.alerts.raise_about(
            AlertKind::Backorder,
            &sku,
            None,
            &subject,
            message.clone(),
            now,
        );
        order.exceptions = vec![Reason::order("backorder", message)];
        order.enter(OrderState::Exception, now, "backorder: stock not available");
    }

    /// Turns a held order's hold into an allocation and routes it.
    pub(crate) fn pay_held(&mut self, order: &mut Order, now: u64) {
        let Some(rid) = order.reservation else {
            return;
        };
        match self.confirm(rid, now) {
            Ok(_) => {
                // Confirmed: the hold no longer ends.
                self.orders.by_hold.remove(&rid);
                order.paid = true;
                order.hold_until_ms = None;
                order.enter(OrderState::Paid, now, "payment confirmed; stock allocated");
                let region = order.customer.region.split(' ').next().unwrap_or("");
                let route = self.orders.route(region, &order.lines, true);
                order.site = route.site.unwrap_or_else(|| self.orders.rules.site.clone());
                order.route_reason = route.reason;
                let note = order.route_reason.clone();
                order.enter(OrderState::Routed, now, note);
                self.want_tasks(order.id);
            }
            Err(e) => self.backorder(order, now, e.to_string()),
        }
    }
}

impl Pool {
    /// Another site's available stock of a SKU, as its hub published it
    /// (signature already checked); an older figure than one held is
    /// ignored. Routing reads these when this site cannot fill an order.
    pub fn peer_stock(&mut self, site: &str, sku: &str, available: i64, at_ms: u64) -> bool {
        site != self.orders.rules.site && self.orders.peers.update(site, sku, available, at_ms)
    }
}

/// Ids and line counts; quantities 1 to the protocol's maximum.
fn check_intake(intake: &OrderIntake) -> Result<(), PoolError> {
    let invalid = |m: String| PoolError::Invalid(m);
    protocol::validate::check_id("platform", &intake.platform)
        .map_err(|e| invalid(e.to_string()))?;
    protocol::validate::check_id("platform_order_id", &intake.platform_order_id)
        .map_err(|e| invalid(e.to_string()))?;
    if intake.lines.is_empty() || intake.lines.len() > MAX_LINES {
        return Err(invalid(format!("an order needs 1 to {MAX_LINES} lines")));
    }
    for (i, line) in intake.lines.iter().enumerate() {
        protocol::validate::check_id("sku", &line.sku)
            .map_err(|e| invalid(format!("line {}: {e}", i + 1)))?;
        if !(1..=protocol::MAX_QUANTITY).contains(&line.quantity) {
            return Err(invalid(format!(
                "line {}: quantity must be 1 to {}, got {}",
                i + 1,
                protocol::MAX_QUANTITY,
                line.quantity
            )));
        }
    }
    Ok(())
}

/// One line per SKU, first-seen order, quantities summed.
fn merged(lines: &[OrderLine]) -> Vec<OrderLine> {
    let mut out: Vec<OrderLine> = Vec::with_capacity(lines.len());
    for line in lines {
        match out.iter_mut().find(|l| l.sku == line.sku) {
            Some(l) => l.quantity = l.quantity.saturating_add(line.quantity),
            None => out.push(line.clone()),
        }
    }
    out
}
