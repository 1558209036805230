//! JD (jd.com POP sellers): one order as JOS's order detail returns it
//! (`jingdong.pop.order.get`, `orderDetailInfo.orderInfo`). Taken as the
//! whole response (`{"jingdong_pop_order_get_responce": {"orderDetailInfo":
//! {"orderInfo": {...}}}}`, JOS's own spelling), as `{"orderDetailInfo":
//! {"orderInfo": ...}}`, as `{"orderInfo": ...}`, or as the bare order.
//!
//! Followed: JOS's `OrderSearchInfo` structure as the order search and
//! order detail APIs describe it (`orderId`, `orderState` with
//! WAIT_SELLER_STOCK_OUT, WAIT_SELLER_DELIVERY, WAIT_GOODS_RECEIVE_CONFIRM,
//! FINISHED_L, TRADE_CANCELED, LOCKED, PAUSE, POP_ORDER_PAUSE;
//! `consigneeInfo` with `fullname`, `mobile`, `telephone`, `province`,
//! `city`, `county`, `town`, `fullAddress`; `itemInfoList[]` with `skuId`,
//! `outerSkuId`, `itemTotal` (sent as text); `orderRemark`,
//! `paymentConfirmTime`, `payType` such as `1-货到付款`), checked against
//! JD's help centre (help.jd.com/jos) and integrators' copies of the JOS
//! reference (the JOS pages themselves need a login).
//!
//! Mapping:
//! * `orderId` -> `platform_order_id`;
//! * `orderState` -> `paid` (table below); `paymentConfirmTime` decides a
//!   state not in it. JOS lists only orders ready to produce (paid, or
//!   cash on delivery), so there is no "unpaid" state: a paused or locked
//!   order is held (stock reserved, not routed) until JD releases it;
//! * `consigneeInfo`: `fullname`, `mobile` (else `telephone`),
//!   `province` / `city` / `county` -> province / city / district,
//!   `fullAddress` -> street as given (it repeats the division names; the
//!   cleaner takes them off against the region table, which knows a short
//!   `江苏` from a `江苏省`); country CN (POP orders ship within the
//!   mainland);
//! * `itemInfoList[]`: `outerSkuId` (the seller's SKU code) and `itemTotal`;
//! * `orderRemark` -> remarks; `payType` `1-...` (cash on delivery) -> tag
//!   `cod`.
//!
//! Service: always `standard` (the order carries no expedited-service
//! flag). JOS returns the consignee encrypted unless decrypted by the
//! seller's app; an integrator sends the decrypted order here.

use super::fields::{unwrap, Obj};
use super::{line, need_lines, paid_from, Mapped, Platform, PlatformError, Stage};
use crate::intake::{AddressBody, OrderBody};
use crate::orders::{OrderLine, Service};
use serde_json::Value;

/// `orderState` values, as documented.
const STATE: &[(&str, Stage)] = &[
    ("WAIT_SELLER_STOCK_OUT", Stage::Paid),
    ("WAIT_SELLER_DELIVERY", Stage::Paid),
    ("PAUSE", Stage::Unpaid),
    ("POP_ORDER_PAUSE", Stage::Unpaid),
    ("LOCKED", Stage::Unpaid),
    ("WAIT_GOODS_RECEIVE_CONFIRM", Stage::Shipped),
    ("FINISHED_L", Stage::Shipped),
    ("TRADE_CANCELED", Stage::Closed),
];

/// Maps one order.
pub fn order(root: &Value) -> Result<OrderBody, PlatformError> {
    let (found, path) = unwrap(
        root,
        &[
            &[
                "jingdong_pop_order_get_responce",
                "orderDetailInfo",
                "orderInfo",
            ],
            &["orderDetailInfo", "orderInfo"],
            &["orderInfo"],
        ],
    );
    let order = Obj::new(found, &path)?;
    let id = order.id("orderId")?;
    let state = order.text("orderState")?;
    let paid = paid_from(
        "jd",
        order.at("orderState"),
        &state,
        STATE,
        order.time_given("paymentConfirmTime")?,
        &id,
    )?;
    let cod = order.opt_text("payType")?.starts_with("1-");
    let tags = if cod {
        vec!["cod".to_string()]
    } else {
        Vec::new()
    };
    let consignee = order.object("consigneeInfo")?;
    Ok(Mapped {
        platform: Platform::Jd,
        id,
        paid,
        service: Service::Standard,
        name: consignee.text("fullname")?,
        phone: phone(&consignee)?,
        address: address(&consignee)?,
        lines: lines(&order)?,
        tags,
        remarks: order.opt_text("orderRemark")?,
    }
    .body())
}

fn phone(consignee: &Obj) -> Result<String, PlatformError> {
    let mobile = consignee.opt_text("mobile")?;
    if !mobile.is_empty() {
        return Ok(mobile);
    }
    let telephone = consignee.opt_text("telephone")?;
    if telephone.is_empty() {
        return Err(PlatformError::Missing(consignee.at("mobile")));
    }
    Ok(telephone)
}

fn address(consignee: &Obj) -> Result<AddressBody, PlatformError> {
    let province = consignee.opt_text("province")?;
    let city = consignee.opt_text("city")?;
    let district = consignee.opt_text("county")?;
    let street = consignee.text("fullAddress")?;
    Ok(AddressBody {
        country: "CN".into(),
        province,
        city,
        district,
        street,
        postal_code: String::new(),
    })
}

fn lines(order: &Obj) -> Result<Vec<OrderLine>, PlatformError> {
    let mut out = Vec::new();
    for item in order.array("itemInfoList", None)? {
        let quantity = item.quantity("itemTotal")?;
        let sku = item.opt_text("outerSkuId")?;
        out.push(line(item.at("outerSkuId"), &sku, quantity)?);
    }
    need_lines(order.at("itemInfoList"), &out)?;
    Ok(out)
}
