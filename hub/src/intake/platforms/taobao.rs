//! Taobao and Tmall: one trade as `taobao.trade.fullinfo.get` returns it
//! (TOP, the Taobao Open Platform; Tmall shops use the same API and the
//! same `Trade` structure). Taken as the whole response
//! (`{"trade_fullinfo_get_response": {"trade": {...}}}`), as
//! `{"trade": {...}}`, or as the bare trade.
//!
//! Followed: the `Trade` and `Order` structures of `taobao.trade.fullinfo.get`
//! as the TOP API reference describes them (field names, the `status`
//! values, `orders.order[]` wrapped the way TOP's JSON wraps lists, `num`
//! a whole number above zero, `tid` a number with `tid_str` beside it,
//! `shipping_type` free/post/express/ems/virtual), checked against copies
//! of that reference published by ERP integrators (blog.csdn.net, juejin.cn,
//! developer.aliyun.com; TOP's own pages need a login).
//!
//! Mapping:
//! * `tid` (or `tid_str`) -> `platform_order_id`;
//! * `status` -> `paid` (table below); `pay_time` decides a status not in it;
//! * `receiver_name`, `receiver_mobile` (else `receiver_phone`),
//!   `receiver_state` / `receiver_city` / `receiver_district` ->
//!   province / city / district, `receiver_address` -> street (with
//!   `receiver_town`, the township, in front unless it already names
//!   it), `receiver_zip` -> postal code, `receiver_country` -> country
//!   (empty: CN);
//! * `orders.order[]`: `outer_sku_id` (the seller's SKU code; for an item
//!   without SKUs, no `sku_id`, the item's `outer_iid`) and `num`; a
//!   sub-order closed on its own (`TRADE_CLOSED*`: refunded) is left out;
//! * `buyer_message` -> remarks; `type` `cod` -> tag `cod`.
//!
//! Service: always `standard`. TOP's `shipping_type` `express` means a
//! courier rather than the post, not a faster service, and the trade
//! carries no flag for an expedited one.
//!
//! Since 2021 TOP returns receivers masked unless the app is entitled to
//! the clear data (OAID decryption); an integrator sends the decrypted
//! trade here. A masked phone (`138****5678`) is taken in and waits in
//! the exception queue as a phone that is not one.

use super::fields::{unwrap, Obj};
use super::{line, need_lines, paid_from, Mapped, Platform, PlatformError, Stage};
use crate::intake::{AddressBody, OrderBody};
use crate::orders::{OrderLine, Service};
use serde_json::Value;

/// `Trade.status` values, as documented.
const STATUS: &[(&str, Stage)] = &[
    ("TRADE_NO_CREATE_PAY", Stage::Unpaid),
    ("WAIT_BUYER_PAY", Stage::Unpaid),
    ("PAY_PENDING", Stage::Unpaid),
    ("WAIT_PRE_AUTH_CONFIRM", Stage::Unpaid),
    // Paid, but the platform forbids shipping yet (a group buy not full):
    // held, not routed.
    ("PAID_FORBID_CONSIGN", Stage::Unpaid),
    ("WAIT_SELLER_SEND_GOODS", Stage::Paid),
    ("SELLER_CONSIGNED_PART", Stage::Shipped),
    ("WAIT_BUYER_CONFIRM_GOODS", Stage::Shipped),
    ("TRADE_BUYER_SIGNED", Stage::Shipped),
    ("TRADE_FINISHED", Stage::Shipped),
    ("TRADE_CLOSED", Stage::Closed),
    ("TRADE_CLOSED_BY_TAOBAO", Stage::Closed),
];

/// Maps one trade.
pub fn order(root: &Value) -> Result<OrderBody, PlatformError> {
    let (trade, path) = unwrap(
        root,
        &[&["trade_fullinfo_get_response", "trade"], &["trade"]],
    );
    let trade = Obj::new(trade, &path)?;
    let id = if trade.has("tid") {
        trade.id("tid")?
    } else if trade.has("tid_str") {
        trade.id("tid_str")?
    } else {
        return Err(PlatformError::Missing(trade.at("tid")));
    };
    let status = trade.text("status")?;
    let paid = paid_from(
        "taobao",
        trade.at("status"),
        &status,
        STATUS,
        trade.time_given("pay_time")?,
        &id,
    )?;
    let tags = match trade.opt_text("type")?.as_str() {
        "cod" => vec!["cod".to_string()],
        _ => Vec::new(),
    };
    Ok(Mapped {
        platform: Platform::Taobao,
        id,
        paid,
        service: Service::Standard,
        name: trade.text("receiver_name")?,
        phone: phone(&trade)?,
        address: address(&trade)?,
        lines: lines(&trade)?,
        tags,
        remarks: trade.opt_text("buyer_message")?,
    }
    .body())
}

fn phone(trade: &Obj) -> Result<String, PlatformError> {
    let mobile = trade.opt_text("receiver_mobile")?;
    if !mobile.is_empty() {
        return Ok(mobile);
    }
    let phone = trade.opt_text("receiver_phone")?;
    if phone.is_empty() {
        return Err(PlatformError::Missing(trade.at("receiver_mobile")));
    }
    Ok(phone)
}

fn address(trade: &Obj) -> Result<AddressBody, PlatformError> {
    let province = trade.opt_text("receiver_state")?;
    let city = trade.opt_text("receiver_city")?;
    let district = trade.opt_text("receiver_district")?;
    let town = trade.opt_text("receiver_town")?;
    let rest = trade.text("receiver_address")?;
    let street = if town.is_empty() || rest.contains(&town) {
        rest
    } else {
        format!("{town}{rest}")
    };
    Ok(AddressBody {
        country: trade.opt_text("receiver_country")?,
        province,
        city,
        district,
        street,
        postal_code: trade.opt_text("receiver_zip")?,
    })
}

fn lines(trade: &Obj) -> Result<Vec<OrderLine>, PlatformError> {
    let mut out = Vec::new();
    for order in trade.array("orders", Some("order"))? {
        let status = order.opt_text("status")?;
        if status.starts_with("TRADE_CLOSED") {
            continue;
        }
        let quantity = order.quantity("num")?;
        let sku = order.opt_text("outer_sku_id")?;
        let sku = if sku.is_empty() && !order.has("sku_id") {
            order.opt_text("outer_iid")?
        } else {
            sku
        };
        out.push(line(order.at("outer_sku_id"), &sku, quantity)?);
    }
    need_lines(trade.at("orders"), &out)?;
    Ok(out)
}
