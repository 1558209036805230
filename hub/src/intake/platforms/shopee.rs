//! Shopee: one order as Shopee Open Platform v2's `v2.order.get_order_detail`
//! returns it. Taken as the whole response (`{"response": {"order_list":
//! [ {...} ]}, ...}`, exactly one order), as `{"order_list": [ {...} ]}`,
//! or as the bare order.
//!
//! Followed: the v2 `get_order_detail` response as the Shopee Open
//! Platform documents it (`order_sn`, `order_status` with UNPAID,
//! READY_TO_SHIP, PROCESSED, RETRY_SHIP, SHIPPED, TO_CONFIRM_RECEIVE,
//! IN_CANCEL, CANCELLED, TO_RETURN, COMPLETED, INVOICE_PENDING;
//! `recipient_address` with `name`, `phone`, `town`, `district`, `city`,
//! `state`, `region`, `zipcode`, `full_address`; `item_list[]` with
//! `item_sku`, `model_id`, `model_sku`, `model_quantity_purchased`;
//! `message_to_seller`, `pay_time`, `cod`, `checkout_shipping_carrier`),
//! checked against open-source clients that mirror it (shopee-sdk's
//! `Order` type, shopee-client's `GetOrderDetailResponse`, integrators'
//! typed copies of `item_list` and `recipient_address`; the platform's own
//! pages need a partner login). Older clients read `country` where v2
//! sends `region`; both are taken.
//!
//! Mapping:
//! * `order_sn` -> `platform_order_id`;
//! * `order_status` -> `paid` (table below); `pay_time` (0 = none) decides
//!   a status not in it;
//! * `recipient_address`: `name`, `phone`, `region` -> country (Shopee's
//!   regions are ISO codes: SG, MY, TH, ...; these addresses are not
//!   mainland ones and are not checked against the division table),
//!   `state` / `city` / `district` (else `town`) -> province / city /
//!   district, `full_address` -> street, `zipcode` -> postal code. Shopee
//!   writes phones with the country code and no `+` (`6591234567`): such
//!   a number gets its `+`, so it is not read as a national one;
//! * `item_list[]`: `model_sku` (the variation's seller SKU; for an item
//!   without variations, `model_id` 0, the item's `item_sku`) and
//!   `model_quantity_purchased`;
//! * `message_to_seller` -> remarks; `cod` -> tag `cod`;
//! * service `express` when the buyer chose an instant or same-day
//!   channel (`checkout_shipping_carrier`), else `standard`.

use super::fields::{unwrap, Obj};
use super::{line, need_lines, paid_from, Mapped, Platform, PlatformError, Stage};
use crate::intake::{AddressBody, OrderBody};
use crate::orders::{OrderLine, Service};
use serde_json::Value;

/// `order_status` values, as documented.
const STATUS: &[(&str, Stage)] = &[
    ("UNPAID", Stage::Unpaid),
    ("READY_TO_SHIP", Stage::Paid),
    ("PROCESSED", Stage::Paid),
    ("RETRY_SHIP", Stage::Paid),
    // Brazil: paid, waiting for the seller's invoice.
    ("INVOICE_PENDING", Stage::Paid),
    ("SHIPPED", Stage::Shipped),
    ("TO_CONFIRM_RECEIVE", Stage::Shipped),
    ("COMPLETED", Stage::Shipped),
    ("IN_CANCEL", Stage::Closed),
    ("CANCELLED", Stage::Closed),
    ("TO_RETURN", Stage::Closed),
];

/// Shopee's regions and their calling codes, with the fewest digits a
/// national number there has (so `65` + 8 digits is read as SG's code,
/// while an 8-digit SG number that starts with 65 is not).
const CALLING: &[(&str, &str, usize)] = &[
    ("SG", "65", 8),
    ("MY", "60", 8),
    ("TH", "66", 8),
    ("ID", "62", 8),
    ("PH", "63", 9),
    ("VN", "84", 9),
    ("TW", "886", 8),
    ("BR", "55", 10),
    ("MX", "52", 10),
    ("CO", "57", 10),
    ("CL", "56", 9),
];

/// Carrier names that mean a faster service than standard.
const EXPRESS_WORDS: &[&str] = &["instant", "same day", "same-day", "sameday"];

/// Maps one order.
pub fn order(root: &Value) -> Result<OrderBody, PlatformError> {
    let (found, path) = unwrap(root, &[&["response"]]);
    let top = Obj::new(found, &path)?;
    let order = if top.has("order_list") {
        let mut list = top.array("order_list", None)?;
        if list.len() != 1 {
            return Err(PlatformError::Invalid {
                field: top.at("order_list"),
                why: format!("must hold exactly one order (it holds {})", list.len()),
            });
        }
        list.remove(0)
    } else {
        top
    };
    map(&order)
}

fn map(order: &Obj) -> Result<OrderBody, PlatformError> {
    let id = order.id("order_sn")?;
    let status = order.text("order_status")?;
    let paid = paid_from(
        "shopee",
        order.at("order_status"),
        &status,
        STATUS,
        order.time_given("pay_time")?,
        &id,
    )?;
    let recipient = order.object("recipient_address")?;
    let address = address(order, &recipient)?;
    let phone = with_plus(&recipient.text("phone")?, &address.country);
    let tags = if order.flag("cod")? {
        vec!["cod".to_string()]
    } else {
        Vec::new()
    };
    Ok(Mapped {
        platform: Platform::Shopee,
        id,
        paid,
        service: service(order)?,
        name: recipient.text("name")?,
        phone,
        address,
        lines: lines(order)?,
        tags,
        remarks: order.opt_text("message_to_seller")?,
    }
    .body())
}

fn address(order: &Obj, recipient: &Obj) -> Result<AddressBody, PlatformError> {
    let mut country = recipient.opt_text("region")?;
    if country.is_empty() {
        country = recipient.opt_text("country")?;
    }
    if country.is_empty() {
        country = order.opt_text("region")?;
    }
    if country.is_empty() {
        return Err(PlatformError::Missing(recipient.at("region")));
    }
    let mut district = recipient.opt_text("district")?;
    if district.is_empty() {
        district = recipient.opt_text("town")?;
    }
    Ok(AddressBody {
        country: country.to_ascii_uppercase(),
        province: recipient.opt_text("state")?,
        city: recipient.opt_text("city")?,
        district,
        street: recipient.text("full_address")?,
        postal_code: recipient.opt_text("zipcode")?,
    })
}

/// `phone` with a `+` when it is the region's calling code followed by a
/// whole national number; otherwise as given.
pub fn with_plus(phone: &str, region: &str) -> String {
    let digits: String = phone.chars().filter(|c| !" -().".contains(*c)).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return phone.to_string();
    }
    let known = CALLING
        .iter()
        .find(|(r, _, _)| r.eq_ignore_ascii_case(region));
    match known {
        Some((_, code, national))
            if digits.starts_with(code) && digits.len() >= code.len() + national =>
        {
            format!("+{digits}")
        }
        _ => phone.to_string(),
    }
}

fn service(order: &Obj) -> Result<Service, PlatformError> {
    let carrier = order.opt_text("checkout_shipping_carrier")?.to_lowercase();
    let fast = EXPRESS_WORDS.iter().any(|w| carrier.contains(w));
    Ok(if fast {
        Service::Express
    } else {
        Service::Standard
    })
}

fn lines(order: &Obj) -> Result<Vec<OrderLine>, PlatformError> {
    let mut out = Vec::new();
    for item in order.array("item_list", None)? {
        let quantity = item.quantity("model_quantity_purchased")?;
        let mut sku = item.opt_text("model_sku")?;
        let variations = item.opt_text("model_id")?;
        if sku.is_empty() && (variations.is_empty() || variations == "0") {
            sku = item.opt_text("item_sku")?;
        }
        out.push(line(item.at("model_sku"), &sku, quantity)?);
    }
    need_lines(order.at("item_list"), &out)?;
    Ok(out)
}
