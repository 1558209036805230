//! Pack checking at a packing station: scan the order's tote or pick list,
//! then every item; the order is packed when every picked unit is in.
//!
//! Why scans and not a typed count: the check is that each unit in the
//! parcel is the right one, so each unit (or a GS1 carton with its count)
//! is scanned; a wrong or extra item is refused with an error beep, a
//! missing one keeps the order open. Nothing is journaled until the whole
//! order is in: then one `Pack` movement per line, naming `{task}:{line}`
//! (the hub takes at most the units picked on a line), and
//! [`Effect::OrderPacked`].
//!
//! What a line asks: the units this device picked on it ([`Progress`]),
//! else what the hub saw picked (`done`), else its quantity; a line with
//! nothing picked is not packed. A pack names the line's pick location and
//! no lot: it moves no stock, the hub only counts it against the line.

use super::item::{read, ReadAs};
use super::session::{at_of, name_of};
use super::view::{shown, Notice, ScreenView, Tally};
use super::{Beep, Effect, Input, Progress, Record, SyncState};
use crate::draft::MovementDraft;
use protocol::{MovementKind, TaskKind, TaskList, TaskRef};
use std::collections::{BTreeMap, BTreeSet};

/// Where the packer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackStep {
    /// Waiting for an order's tote or pick list.
    ScanOrder,
    /// Checking the items of this order.
    Items(u64),
}

/// One line of the order being checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackLine {
    /// The pick line it packs.
    pub at: TaskRef,
    /// Stock keeping unit.
    pub sku: String,
    /// Where it was picked.
    pub location: String,
    /// Units to pack.
    pub want: i64,
    /// Units scanned so far.
    pub scanned: i64,
}

/// Pack checking over the orders of a device's list.
#[derive(Debug, Clone)]
pub struct PackSession {
    list: TaskList,
    progress: Progress,
    sync: SyncState,
    step: PackStep,
    /// Orders started and not packed, with their scans so far: leaving an
    /// order (Esc) keeps what was scanned.
    open: BTreeMap<u64, Vec<PackLine>>,
    packed: BTreeSet<u64>,
    notice: Option<Notice>,
}

impl PackSession {
    /// A packing station over `list`, knowing what this device picked.
    pub fn new(list: TaskList, progress: Progress) -> PackSession {
        PackSession {
            list,
            progress,
            sync: SyncState::default(),
            step: PackStep::ScanOrder,
            open: BTreeMap::new(),
            packed: BTreeSet::new(),
            notice: None,
        }
    }

    /// The current step.
    pub fn step(&self) -> PackStep {
        self.step
    }

    /// The lines of an order being checked, with what is scanned.
    pub fn lines(&self, order: u64) -> &[PackLine] {
        self.open.get(&order).map_or(&[], Vec::as_slice)
    }

    /// Sets the link state and backlog shown.
    pub fn set_sync(&mut self, sync: SyncState) {
        self.sync = sync;
    }

    /// Takes a newer queue and what this device picked; an order already
    /// being checked keeps its lines and scans.
    pub fn replace_list(&mut self, list: TaskList, progress: Progress) {
        self.list = list;
        self.progress = progress;
    }

    /// Takes one input at wall-clock `now_ms`.
    pub fn handle(&mut self, input: Input, now_ms: u64) -> Vec<Effect> {
        let text = match input {
            Input::Cancel => return self.leave(),
            Input::Line(text) | Input::Scan(text) => text,
        };
        let text = text.trim();
        if text.is_empty() {
            return Vec::new();
        }
        match (self.step, order_ref(text)) {
            (PackStep::ScanOrder, Some(reference)) => self.start(reference),
            (PackStep::ScanOrder, None) => {
                self.refuse("scan the order's tote or pick list (ORDER:... or TASK:...)")
            }
            // A bare number at this step is an item label (a short SKU).
            (PackStep::Items(order), None | Some(OrderRef::Either(_))) => {
                self.on_item(order, text, now_ms)
            }
            (PackStep::Items(order), Some(OrderRef::Order(o))) if o == order => Vec::new(),
            (PackStep::Items(order), Some(_)) => self.refuse(format!(
                "order {order} is open: pack it, or Esc to leave it"
            )),
        }
    }

    fn start(&mut self, reference: OrderRef) -> Vec<Effect> {
        let order = match self.resolve(reference) {
            Ok(order) => order,
            Err(why) => return self.refuse(why),
        };
        if self.packed.contains(&order) {
            return self.refuse(format!("order {order} is already packed"));
        }
        if !self.open.contains_key(&order) {
            let lines = self.order_lines(order);
            if lines.is_empty() {
                return self.refuse(format!("nothing picked for order {order}: nothing to pack"));
            }
            self.open.insert(order, lines);
        }
        self.step = PackStep::Items(order);
        self.notice = None;
        vec![Effect::Beep(Beep::Good)]
    }

    /// The order a reference names: an order with pick lines here, or a
    /// pick list serving exactly one order.
    fn resolve(&self, reference: OrderRef) -> Result<u64, String> {
        let has_order = |o: u64| self.pick_lines().any(|(_, l)| l.order == Some(o));
        let task_of = |t: u64| self.list.tasks.iter().find(|e| e.task == t);
        let task = match reference {
            OrderRef::Order(o) | OrderRef::Either(o) if has_order(o) => return Ok(o),
            OrderRef::Order(o) => return Err(format!("order {o} is not in this queue")),
            OrderRef::Task(t) | OrderRef::Either(t) => {
                task_of(t).ok_or_else(|| format!("no order or pick list {t} in this queue"))?
            }
        };
        let orders: BTreeSet<u64> = task.lines.iter().filter_map(|l| l.order).collect();
        match (task.kind, orders.len()) {
            (TaskKind::Pick, 1) => orders
                .first()
                .copied()
                .ok_or_else(|| format!("task {} has no order to pack", task.task)),
            (TaskKind::Pick, 0) | (TaskKind::Count, _) => {
                Err(format!("task {} has no order to pack", task.task))
            }
            _ => Err(format!(
                "pick list {} holds orders {}: scan the order's tote",
                task.task,
                orders
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    fn order_lines(&self, order: u64) -> Vec<PackLine> {
        self.pick_lines()
            .filter(|(_, l)| l.order == Some(order))
            .map(|(at, l)| PackLine {
                at,
                sku: l.sku.clone(),
                location: l.location.clone(),
                want: self.progress.picked(at, l).unwrap_or(l.quantity),
                scanned: 0,
            })
            .filter(|l| l.want > 0)
            .collect()
    }

    fn pick_lines(&self) -> impl Iterator<Item = (TaskRef, &protocol::TaskLine)> {
        self.list
            .tasks
            .iter()
            .filter(|t| t.kind == TaskKind::Pick)
            .flat_map(|t| t.lines.iter().map(move |l| (at_of(t, l), l)))
    }

    fn on_item(&mut self, order: u64, text: &str, now: u64) -> Vec<Effect> {
        let goods = match read(text) {
            ReadAs::Goods(goods) => goods,
            ReadAs::Location(l) => {
                return self.refuse(format!("{l} is a location: scan the order's items"))
            }
            ReadAs::Refused(why) => return self.refuse(why),
        };
        let lines = self.open.get(&order).map_or(&[][..], Vec::as_slice);
        let units = goods.units();
        let matching: Vec<usize> = (0..lines.len())
            .filter(|&i| goods.is(&lines[i].sku))
            .collect();
        let Some(&first) = matching.first() else {
            return self.refuse(format!(
                "wrong item {}: not in order {order}",
                name_of(&goods)
            ));
        };
        let room = |i: &usize| lines[*i].want - lines[*i].scanned;
        let Some(index) = matching.iter().copied().find(|i| room(i) >= units) else {
            let want: i64 = matching.iter().map(|i| lines[*i].want).sum();
            let sku = lines[first].sku.clone();
            return self.refuse(format!("extra item: order {order} takes {want} {sku}"));
        };
        let Some(line) = self.open.get_mut(&order).and_then(|l| l.get_mut(index)) else {
            return self.refuse(format!("order {order} is not open here"));
        };
        line.scanned += units;
        let text = format!("{} {}/{}", shown(&line.sku), line.scanned, line.want);
        if self.lines(order).iter().all(|l| l.scanned == l.want) {
            return self.finish(order, now);
        }
        self.notice = Some(Notice::done(text));
        vec![Effect::Beep(Beep::Good)]
    }

    fn finish(&mut self, order: u64, now: u64) -> Vec<Effect> {
        let lines = self.open.remove(&order).unwrap_or_default();
        let mut effects = Vec::with_capacity(lines.len() + 1);
        for line in lines {
            let mut draft =
                MovementDraft::new(MovementKind::Pack, &line.sku, &line.location, line.want);
            draft.device_time_ms = now;
            draft.task = Some(line.at.to_string());
            effects.push(Effect::Record(Record { draft, short: None }));
        }
        effects.push(Effect::OrderPacked(order));
        self.packed.insert(order);
        self.step = PackStep::ScanOrder;
        self.notice = Some(Notice::done(format!(
            "order {order} packed: ready for labels"
        )));
        effects
    }

    fn leave(&mut self) -> Vec<Effect> {
        if let PackStep::Items(order) = self.step {
            let missing: i64 = self.lines(order).iter().map(|l| l.want - l.scanned).sum();
            let text = format!("order {order} left open: {missing} units still missing");
            self.notice = Some(Notice::info(text));
            self.step = PackStep::ScanOrder;
        }
        Vec::new()
    }

    fn refuse(&mut self, text: impl Into<String>) -> Vec<Effect> {
        self.notice = Some(Notice::refused(text));
        vec![Effect::Beep(Beep::Error)]
    }

    /// The screen for the current step.
    pub fn view(&self) -> ScreenView {
        let mut view = ScreenView {
            mode: "PACK",
            headline: "SCAN ORDER OR PICK LIST".into(),
            big: None,
            details: Vec::new(),
            prompt: "scan the tote label or the pick list".into(),
            notice: self.notice.clone(),
            tally: None,
            sync: self.sync,
            remarks: None,
        };
        let PackStep::Items(order) = self.step else {
            return view;
        };
        let lines = self.lines(order);
        view.headline = format!("PACK ORDER {order}: SCAN ITEMS");
        view.big = Some(order.to_string());
        view.prompt = "scan each item; Esc = leave the order open".into();
        view.details = lines
            .iter()
            .map(|l| {
                let mark = if l.scanned == l.want { "ok" } else { "--" };
                format!("{mark} {}  {}/{}", l.sku, l.scanned, l.want)
            })
            .collect();
        let units = |f: fn(&PackLine) -> i64| lines.iter().map(f).sum::<i64>();
        view.tally = Some(Tally {
            label: "units",
            done: usize::try_from(units(|l| l.scanned)).unwrap_or(0),
            total: usize::try_from(units(|l| l.want)).unwrap_or(0),
        });
        view.remarks = self.remarks(order);
        view
    }

    /// The remarks of the tasks carrying the order's lines, each once.
    fn remarks(&self, order: u64) -> Option<String> {
        let mut seen: Vec<&str> = Vec::new();
        for task in &self.list.tasks {
            let carries = task.lines.iter().any(|l| l.order == Some(order));
            if let Some(r) = task
                .remarks
                .as_deref()
                .filter(|r| carries && !seen.contains(r))
            {
                seen.push(r);
            }
        }
        (!seen.is_empty()).then(|| seen.join(" / "))
    }
}

/// How a tote or pick-list label names an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OrderRef {
    /// `ORDER:{id}`: a tote label.
    Order(u64),
    /// `TASK:{id}`: a pick list.
    Task(u64),
    /// A bare number, typed: an order id if one is here, else a task id.
    Either(u64),
}

fn order_ref(text: &str) -> Option<OrderRef> {
    let number = |s: &str| {
        let digits = !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| s.parse::<u64>().ok()).flatten()
    };
    let upper = text.to_ascii_uppercase();
    if let Some(id) = upper.strip_prefix("ORDER:") {
        return number(id).map(OrderRef::Order);
    }
    if let Some(id) = upper.strip_prefix("TASK:") {
        return number(id).map(OrderRef::Task);
    }
    // Retail codes are 8, 12, 13 or 14 digits: a bare number shorter than
    // 8 is an id typed on the keypad, never an item.
    (text.len() < 8)
        .then(|| number(text))
        .flatten()
        .map(OrderRef::Either)
}
