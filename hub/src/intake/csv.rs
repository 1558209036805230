//! Orders from a CSV file (`hub import orders FILE.csv`): one row per order
//! line, rows of one order share its `platform_order_id`; the customer is
//! read from the order's first row (later rows may leave it empty, and
//! must not contradict it).
//!
//! Header (any column order; `platform`, `tags`, `remarks`, `channel`,
//! `country` and `postal_code` may be left out):
//!
//! ```text
//! platform,platform_order_id,service,paid,name,phone,country,province,city,district,street,postal_code,sku,quantity,tags,remarks
//! ```
//!
//! `service` is `express` or `standard`, `paid` is `true`/`false` (or
//! `1`/`0`, `yes`/`no`), `tags` are separated by `;`. A bad row rejects
//! its whole order, with the row's line number and the reason; other
//! orders are not affected.

use crate::intake::{AddressBody, CustomerBody, OrderBody};
use crate::orders::{OrderLine, Service};
use std::collections::HashMap;

/// Most orders one file may hold.
pub const MAX_ORDERS: usize = 1_000_000;

/// An order of the file, or why it was rejected.
#[derive(Debug)]
pub enum CsvOrder {
    /// Ready to send; `line` is its first row's line number.
    Order {
        /// First row's line number (1 = the header).
        line: u64,
        /// The order.
        body: Box<OrderBody>,
    },
    /// Rejected.
    Rejected {
        /// The line of the first bad row.
        line: u64,
        /// The order id, when it could be read.
        platform_order_id: String,
        /// Why.
        reason: String,
    },
}

/// Why a file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// Not CSV, or no header.
    #[error("line {line}: {message}")]
    Format {
        /// Where.
        line: u64,
        /// What.
        message: String,
    },
}

const REQUIRED: [&str; 10] = [
    "platform_order_id",
    "service",
    "paid",
    "name",
    "phone",
    "province",
    "city",
    "district",
    "street",
    "sku",
];

struct Columns(HashMap<String, usize>);

impl Columns {
    fn get<'a>(&self, row: &'a csv::StringRecord, name: &str) -> &'a str {
        self.0
            .get(name)
            .and_then(|&i| row.get(i))
            .map(str::trim)
            .unwrap_or("")
    }
}

/// Reads every order of a CSV file's text.
pub fn parse(text: &[u8]) -> Result<Vec<CsvOrder>, CsvError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let header = reader.headers().map_err(|e| CsvError::Format {
        line: 1,
        message: format!("no readable header: {e}"),
    })?;
    let columns = Columns(
        header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_string(), i))
            .collect(),
    );
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !columns.0.contains_key(*c))
        .chain((!columns.0.contains_key("quantity")).then_some("quantity"))
        .collect();
    if !missing.is_empty() {
        return Err(CsvError::Format {
            line: 1,
            message: format!("the header lacks column(s): {}", missing.join(", ")),
        });
    }
    let mut order: Vec<String> = Vec::new();
    let mut by_id: HashMap<String, Entry> = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let row = row.map_err(|e| CsvError::Format {
            line,
            message: e.to_string(),
        })?;
        let id = columns.get(&row, "platform_order_id").to_string();
        if !by_id.contains_key(&id) {
            if order.len() >= MAX_ORDERS {
                return Err(CsvError::Format {
                    line,
                    message: format!("more than {MAX_ORDERS} orders in one file"),
                });
            }
            order.push(id.clone());
        }
        let entry = by_id.remove(&id);
        by_id.insert(id, add_row(entry, &columns, &row, line));
    }
    Ok(order
        .into_iter()
        .filter_map(|id| {
            by_id.remove(&id).map(|r| match r {
                Ok((line, body)) => CsvOrder::Order {
                    line,
                    body: Box::new(body),
                },
                Err((line, reason)) => CsvOrder::Rejected {
                    line,
                    platform_order_id: id,
                    reason,
                },
            })
        })
        .collect())
}

type Entry = Result<(u64, OrderBody), (u64, String)>;

fn add_row(entry: Option<Entry>, c: &Columns, row: &csv::StringRecord, line: u64) -> Entry {
    let line_of = |e: String| (line, e);
    let quantity: i64 = c
        .get(row, "quantity")
        .parse()
        .map_err(|_| line_of("quantity is not a whole number".into()))?;
    let item = OrderLine {
        sku: c.get(row, "sku").to_string(),
        quantity,
    };
    match entry {
        Some(Err(e)) => Err(e),
        Some(Ok((first, mut body))) => {
            let customer = customer(c, row);
            if !customer.name.is_empty() && customer.name != body.customer.name {
                return Err(line_of("a later row names another customer".into()));
            }
            body.lines.push(item);
            Ok((first, body))
        }
        None => {
            let body = first_row(c, row, item).map_err(line_of)?;
            Ok((line, body))
        }
    }
}

fn customer(c: &Columns, row: &csv::StringRecord) -> CustomerBody {
    CustomerBody {
        name: c.get(row, "name").to_string(),
        phone: c.get(row, "phone").to_string(),
        address: AddressBody {
            country: c.get(row, "country").to_string(),
            province: c.get(row, "province").to_string(),
            city: c.get(row, "city").to_string(),
            district: c.get(row, "district").to_string(),
            street: c.get(row, "street").to_string(),
            postal_code: c.get(row, "postal_code").to_string(),
        },
    }
}

fn first_row(c: &Columns, row: &csv::StringRecord, item: OrderLine) -> Result<OrderBody, String> {
    let service = match c.get(row, "service").to_ascii_lowercase().as_str() {
        "express" => Service::Express,
        "standard" | "" => Service::Standard,
        other => {
            return Err(format!(
                "service must be express or standard, got {other:?}"
            ))
        }
    };
    let paid = match c.get(row, "paid").to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => true,
        "false" | "0" | "no" | "" => false,
        other => return Err(format!("paid must be true or false, got {other:?}")),
    };
    let platform = match c.get(row, "platform") {
        "" => "csv".to_string(),
        p => p.to_string(),
    };
    let tags = c
        .get(row, "tags")
        .split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let optional = |name: &str| Some(c.get(row, name).to_string()).filter(|s| !s.is_empty());
    Ok(OrderBody {
        platform,
        platform_order_id: c.get(row, "platform_order_id").to_string(),
        service,
        paid,
        customer: customer(c, row),
        lines: vec![item],
        tags,
        channel: optional("channel"),
        remarks: optional("remarks"),
    })
}
