//! Planning picks: paid, routed orders and a view of where stock is become
//! pick lists, as a pure function ([`plan`]).
//!
//! Orders are taken most urgent first (express before standard, then by
//! due time, then by id), so when stock is short the urgent order gets it.
//! Each order line takes stock first-expiring first out: lots with an
//! expiry by date, then lots without one, and among equals the location
//! earliest in the walk. An order is planned whole or not at all: one that
//! the view cannot cover is handed back ([`Unplannable`]) and nothing of
//! it is taken, so a half-planned order never strands stock on a cart.
//!
//! The picks are grouped by zone, and each zone's orders are batched into
//! lists in urgency order up to the caps; an express order never waits on
//! a list with standard ones (a list holds one class). An order whose
//! picks in a zone exceed the line cap alone fills lists of its own. Lines
//! are sorted in walking order, so one list is one walk.

use super::location::Location;
use super::model::{BatchCaps, Class, PickList, PlannedLine, Rank};
use super::rules::TaskRules;
use crate::lots::parse_expiry;
use crate::orders::{Order, OrderLine, Service};
use std::collections::{BTreeMap, HashMap};

/// An order ready to pick, as the planner needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderToPick {
    /// The order id.
    pub id: u64,
    /// Express or standard.
    pub service: Service,
    /// When it must ship, ms.
    pub due_ms: u64,
    /// Its lines.
    pub lines: Vec<OrderLine>,
}

impl From<&Order> for OrderToPick {
    fn from(order: &Order) -> OrderToPick {
        OrderToPick {
            id: order.id,
            service: order.service,
            due_ms: order.due_ms,
            lines: order.lines.clone(),
        }
    }
}

impl OrderToPick {
    /// Its rank in queues.
    pub fn rank(&self) -> Rank {
        Rank {
            class: Class::from(self.service),
            due_ms: self.due_ms,
        }
    }
}

/// Units of a SKU that may be picked at one location and lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockCell {
    /// The location.
    pub location: String,
    /// The lot ("" for none).
    pub lot: String,
    /// The lot's expiry, `YYYY-MM-DD`.
    pub expiry: Option<String>,
    /// Units free to plan.
    pub quantity: i64,
}

impl StockCell {
    /// A cell whose expiry is read from the lot id (`L42@2027-01-31`, see
    /// [`crate::lots`]).
    pub fn from_lot(location: &str, lot: &str, quantity: i64) -> StockCell {
        StockCell {
            location: location.to_string(),
            lot: lot.to_string(),
            expiry: parse_expiry(lot).map(|(_, day)| day),
            quantity,
        }
    }
}

/// Where stock is: SKU -> cells.
pub type StockView = BTreeMap<String, Vec<StockCell>>;

/// Why an order was not planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unplannable {
    /// The view holds fewer units of a SKU than the order needs.
    Short {
        /// The SKU.
        sku: String,
        /// Units the order needs.
        wanted: i64,
        /// Units the view had left for it.
        found: i64,
    },
    /// A line asks for no units, or fewer than none.
    BadQuantity {
        /// The SKU.
        sku: String,
        /// What it asked.
        quantity: i64,
    },
}

/// What planning made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The lists, most urgent first.
    pub lists: Vec<PickList>,
    /// Orders left out, and why.
    pub unplanned: Vec<(u64, Unplannable)>,
}

/// Lines of an order to plan: (index of the order line, the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PickRequest {
    pub order: u64,
    pub rank: Rank,
    pub lines: Vec<(u32, OrderLine)>,
}

impl From<&OrderToPick> for PickRequest {
    fn from(o: &OrderToPick) -> PickRequest {
        let lines = (0u32..).zip(o.lines.iter().cloned()).collect();
        PickRequest {
            order: o.id,
            rank: o.rank(),
            lines,
        }
    }
}

/// Plans `orders` against `stock` under `rules` (see the module doc).
pub fn plan(orders: &[OrderToPick], stock: &StockView, rules: &TaskRules) -> Plan {
    plan_requests(orders.iter().map(PickRequest::from).collect(), stock, rules)
}

pub(crate) fn plan_requests(
    mut requests: Vec<PickRequest>,
    stock: &StockView,
    rules: &TaskRules,
) -> Plan {
    requests.sort_by_key(|r| (r.rank, r.order));
    let mut cells = Cells::new(stock);
    let mut plan = Plan::default();
    let mut by_zone: BTreeMap<String, Vec<(Rank, u64, Vec<PlannedLine>)>> = BTreeMap::new();
    for request in requests {
        let picks = match cells.take_order(&request) {
            Ok(picks) => picks,
            Err(why) => {
                plan.unplanned.push((request.order, why));
                continue;
            }
        };
        let mut zones: BTreeMap<&str, Vec<PlannedLine>> = BTreeMap::new();
        for pick in picks {
            zones
                .entry(rules.zone_of(&pick.location))
                .or_default()
                .push(pick);
        }
        for (zone, lines) in zones {
            let entries = by_zone.entry(zone.to_string()).or_default();
            entries.push((request.rank, request.order, lines));
        }
    }
    for (zone, entries) in by_zone {
        plan.lists.extend(batch(&zone, entries, rules.caps));
    }
    plan.lists.sort_by_key(|l| l.rank);
    plan
}

/// One zone's orders, in urgency order, into lists within the caps.
fn batch(
    zone: &str,
    entries: Vec<(Rank, u64, Vec<PlannedLine>)>,
    caps: BatchCaps,
) -> Vec<PickList> {
    let (max_orders, max_lines) = (caps.max_orders.max(1), caps.max_lines.max(1));
    let mut lists: Vec<PickList> = Vec::new();
    let mut open: Option<PickList> = None;
    for (rank, order, mut lines) in entries {
        let fits = open.as_ref().is_some_and(|l| {
            l.rank.class == rank.class
                && l.orders.len() < max_orders
                && l.lines.len() + lines.len() <= max_lines
        });
        if !fits {
            lists.extend(open.take());
        }
        lines.sort_by(|a, b| a.location.cmp(&b.location));
        while !lines.is_empty() {
            let list = open.get_or_insert_with(|| PickList {
                zone: zone.to_string(),
                rank,
                orders: Vec::new(),
                lines: Vec::new(),
            });
            let room = max_lines - list.lines.len();
            let rest = lines.split_off(room.min(lines.len()));
            list.orders.push(order);
            list.lines.append(&mut lines);
            lines = rest;
            if !lines.is_empty() {
                lists.extend(open.take());
            }
        }
    }
    lists.extend(open);
    for list in &mut lists {
        list.lines.sort_by(|a, b| {
            (&a.location, a.order, a.order_line, &a.lot).cmp(&(
                &b.location,
                b.order,
                b.order_line,
                &b.lot,
            ))
        });
    }
    lists
}

/// One cell of the view, with what is left of it.
struct Cell {
    location: Location,
    lot: String,
    expiry: Option<String>,
    left: i64,
}

/// The view in FEFO order per SKU, drawn down as orders are planned.
struct Cells {
    by_sku: HashMap<String, Vec<Cell>>,
}

impl Cells {
    fn new(stock: &StockView) -> Cells {
        let mut by_sku = HashMap::new();
        for (sku, cells) in stock {
            let mut cells: Vec<Cell> = cells
                .iter()
                .filter(|c| c.quantity > 0)
                .map(|c| Cell {
                    location: Location::new(c.location.as_str()),
                    lot: c.lot.clone(),
                    expiry: c.expiry.clone(),
                    left: c.quantity,
                })
                .collect();
            cells.sort_by(|a, b| {
                (a.expiry.is_none(), &a.expiry, &a.location, &a.lot).cmp(&(
                    b.expiry.is_none(),
                    &b.expiry,
                    &b.location,
                    &b.lot,
                ))
            });
            by_sku.insert(sku.clone(), cells);
        }
        Cells { by_sku }
    }

    /// Every line of the order, or nothing taken.
    fn take_order(&mut self, request: &PickRequest) -> Result<Vec<PlannedLine>, Unplannable> {
        let mut used: HashMap<(&str, usize), i64> = HashMap::new();
        let mut picks = Vec::new();
        for (index, line) in &request.lines {
            if line.quantity <= 0 {
                return Err(Unplannable::BadQuantity {
                    sku: line.sku.clone(),
                    quantity: line.quantity,
                });
            }
            let cells = self.by_sku.get(&line.sku).map_or(&[][..], Vec::as_slice);
            let mut need = line.quantity;
            for (i, cell) in cells.iter().enumerate() {
                let spent = used.entry((line.sku.as_str(), i)).or_insert(0);
                let take = (cell.left - *spent).min(need);
                if take <= 0 {
                    continue;
                }
                *spent += take;
                need -= take;
                picks.push(PlannedLine {
                    order: request.order,
                    order_line: *index,
                    sku: line.sku.clone(),
                    location: cell.location.clone(),
                    lot: cell.lot.clone(),
                    expiry: cell.expiry.clone(),
                    quantity: take,
                });
                if need == 0 {
                    break;
                }
            }
            if need > 0 {
                return Err(Unplannable::Short {
                    sku: line.sku.clone(),
                    wanted: line.quantity,
                    found: line.quantity - need,
                });
            }
        }
        for ((sku, i), spent) in used {
            if let Some(cell) = self.by_sku.get_mut(sku).and_then(|c| c.get_mut(i)) {
                cell.left -= spent;
            }
        }
        Ok(picks)
    }
}
