//! The adapters against recorded-style payloads of each platform
//! (`tests/fixtures/platforms/`, shared with the integration test and the
//! fuzz corpus): each maps to the order body we expect, and every way a
//! payload can be wrong is refused with a message naming the field and
//! holding nothing of the customer's.

use super::*;
use crate::orders::clean::Regions;
use serde_json::{json, Value};

const TAOBAO_PAID: &str =
    include_str!("../../../../tests/fixtures/platforms/taobao_trade_paid.json");
const TAOBAO_UNPAID: &str =
    include_str!("../../../../tests/fixtures/platforms/taobao_trade_unpaid.json");
const TMALL_PAID: &str = include_str!("../../../../tests/fixtures/platforms/tmall_trade_paid.json");
const JD_PAID: &str = include_str!("../../../../tests/fixtures/platforms/jd_order_paid.json");
const JD_PAUSED: &str = include_str!("../../../../tests/fixtures/platforms/jd_order_paused.json");
const SHOPEE_PAID: &str =
    include_str!("../../../../tests/fixtures/platforms/shopee_order_paid.json");
const SHOPEE_UNPAID: &str =
    include_str!("../../../../tests/fixtures/platforms/shopee_order_unpaid.json");

fn map(platform: Platform, text: &str) -> OrderBody {
    convert(platform, text.as_bytes()).unwrap_or_else(|e| panic!("{platform:?}: {e}"))
}

fn skus(order: &OrderBody) -> Vec<(&str, i64)> {
    order
        .lines
        .iter()
        .map(|l| (l.sku.as_str(), l.quantity))
        .collect()
}

fn refusal(platform: Platform, value: &Value) -> String {
    match convert(platform, value.to_string().as_bytes()) {
        Ok(order) => panic!("{platform:?} took {}", order.platform_order_id),
        Err(e) => e.to_string(),
    }
}

#[test]
fn platforms_are_named_in_lower_case() {
    for p in Platform::ALL {
        assert_eq!(Platform::parse(p.as_str()), Some(p));
    }
    for bad in ["Taobao", "tmall", "lazada", "", "jd/"] {
        assert_eq!(Platform::parse(bad), None, "{bad}");
    }
}

#[test]
fn taobao_trades_map_to_orders() {
    let paid = map(Platform::Taobao, TAOBAO_PAID);
    assert_eq!(paid.platform, "taobao");
    assert_eq!(paid.platform_order_id, "3912845673021548762");
    assert!(paid.paid);
    assert_eq!(paid.service, Service::Standard);
    assert_eq!(skus(&paid), [("TB-TEA-250G", 2), ("TB-CUP-01", 1)]);
    let c = &paid.customer;
    assert_eq!((c.name.as_str(), c.phone.as_str()), ("李明", "13957126688"));
    let a = &c.address;
    assert_eq!(
        [
            &a.country,
            &a.province,
            &a.city,
            &a.district,
            &a.postal_code
        ],
        ["", "浙江省", "杭州市", "西湖区", "310012"]
    );
    assert_eq!(a.street, "文新街道文一西路522号西溪科创园8幢301室");
    assert_eq!(paid.remarks.as_deref(), Some("周末也可以送，谢谢"));

    let unpaid = map(Platform::Taobao, TAOBAO_UNPAID);
    assert!(!unpaid.paid);
    assert_eq!(
        skus(&unpaid),
        [("TB-OOLONG-20", 1)],
        "outer_iid of an item without SKUs"
    );
    assert_eq!(unpaid.customer.phone, "+86 186-2103-4471", "as given");
    assert_eq!(unpaid.remarks, None);
}

#[test]
fn tmall_trades_use_the_same_adapter_and_drop_refunded_sub_orders() {
    let order = map(Platform::Taobao, TMALL_PAID);
    assert!(order.paid);
    assert_eq!(skus(&order), [("TM-KETTLE-17", 1)]);
    assert_eq!(
        order.customer.address.street,
        "粤海街道科苑南路2666号中国华润大厦18楼"
    );
}

#[test]
fn jd_orders_map_to_orders() {
    let paid = map(Platform::Jd, JD_PAID);
    assert_eq!(
        (paid.platform.as_str(), paid.platform_order_id.as_str()),
        ("jd", "298765432101")
    );
    assert!(paid.paid);
    assert_eq!(skus(&paid), [("JD-RICE-5KG", 2), ("JD-OIL-1L", 1)]);
    let a = &paid.customer.address;
    assert_eq!(
        [&a.country, &a.province, &a.city, &a.district],
        ["CN", "江苏", "南京市", "鼓楼区"]
    );
    assert_eq!(
        a.street, "江苏南京市鼓楼区宁海路街道北京西路72号金陵公寓3幢502室",
        "as given"
    );
    assert_eq!(paid.customer.name, "赵建国");
    assert_eq!(paid.remarks.as_deref(), Some("大米请放在快递柜"));
    assert!(paid.tags.is_empty());

    let paused = map(Platform::Jd, JD_PAUSED);
    assert!(!paused.paid, "a paused order is held, not routed");
    assert_eq!(paused.tags, ["cod"]);
    assert!(paused
        .customer
        .address
        .street
        .starts_with("四川成都市武侯区"));
}

#[test]
fn shopee_orders_map_to_orders_abroad() {
    let paid = map(Platform::Shopee, SHOPEE_PAID);
    assert_eq!(paid.platform_order_id, "241206QX4T7K9B");
    assert!(paid.paid);
    assert_eq!(paid.service, Service::Standard);
    assert_eq!(skus(&paid), [("SP-MUG-RED", 2), ("SP-TOTE", 1)]);
    let c = &paid.customer;
    assert_eq!(c.phone, "+6581234567", "country code given without +");
    assert_eq!(c.address.country, "SG");
    assert_eq!(c.address.postal_code, "529510");
    assert!(c.address.street.contains("Tampines"));

    let unpaid = map(Platform::Shopee, SHOPEE_UNPAID);
    assert!(!unpaid.paid);
    assert_eq!(unpaid.service, Service::Express, "an instant channel");
    let a = &unpaid.customer.address;
    assert_eq!(
        [&a.country, &a.province, &a.city, &a.district],
        ["MY", "Wp Kuala Lumpur", "Kuala Lumpur", "Bangsar South"]
    );
    assert_eq!(unpaid.customer.phone, "+60123456789");
}

#[test]
fn mapped_orders_pass_our_own_checks_abroad_and_at_home() {
    let regions = Regions::empty();
    for (platform, text) in [
        (Platform::Taobao, TAOBAO_PAID),
        (Platform::Taobao, TMALL_PAID),
        (Platform::Jd, JD_PAID),
        (Platform::Shopee, SHOPEE_PAID),
        (Platform::Shopee, SHOPEE_UNPAID),
    ] {
        let order = crate::intake::prepare(map(platform, text), &regions).expect("prepared");
        let codes: Vec<&str> = order.problems.iter().map(|p| p.code.as_str()).collect();
        assert!(codes.is_empty(), "{platform:?}: {codes:?}");
    }
}

#[test]
fn shopee_phones_get_a_plus_only_for_a_whole_number_after_the_code() {
    let cases = [
        ("6581234567", "SG", "+6581234567"),
        ("81234567", "SG", "81234567"),
        ("65123456", "SG", "65123456"),
        ("+65 8123 4567", "SG", "+65 8123 4567"),
        ("0123456789", "MY", "0123456789"),
        ("886912345678", "TW", "+886912345678"),
        ("6581234567", "XX", "6581234567"),
    ];
    for (raw, region, want) in cases {
        assert_eq!(shopee::with_plus(raw, region), want, "{raw} {region}");
    }
}

#[test]
fn unknown_fields_anywhere_are_accepted() {
    let mut v: Value = serde_json::from_str(SHOPEE_PAID).unwrap();
    v["response"]["order_list"][0]["brand_new_field"] = json!({"x": [1, 2]});
    v["response"]["order_list"][0]["recipient_address"]["geolocation"] = json!("1.35,103.9");
    v["response"]["order_list"][0]["item_list"][0]["hot_listing_item"] = json!(true);
    let order = convert(Platform::Shopee, v.to_string().as_bytes()).expect("taken");
    assert_eq!(order.lines.len(), 2);
}

#[test]
fn missing_required_fields_are_named() {
    let taobao = "/trade_fullinfo_get_response/trade";
    let cases: [(Platform, &str, &[&str], &str); 6] = [
        (
            Platform::Taobao,
            TAOBAO_PAID,
            &["tid", "tid_str"],
            "trade_fullinfo_get_response.trade.tid",
        ),
        (
            Platform::Taobao,
            TAOBAO_PAID,
            &["receiver_name"],
            "trade.receiver_name",
        ),
        (Platform::Jd, JD_PAUSED, &["orderId"], "orderInfo.orderId"),
        (
            Platform::Jd,
            JD_PAUSED,
            &["consigneeInfo"],
            "orderInfo.consigneeInfo",
        ),
        (
            Platform::Shopee,
            SHOPEE_UNPAID,
            &["order_status"],
            "order_list[0].order_status",
        ),
        (
            Platform::Shopee,
            SHOPEE_UNPAID,
            &["recipient_address"],
            "order_list[0].recipient_address",
        ),
    ];
    for (platform, text, keys, named) in cases {
        let mut v: Value = serde_json::from_str(text).unwrap();
        let parent = match platform {
            Platform::Taobao => taobao,
            Platform::Jd => "/orderInfo",
            Platform::Shopee => "/order_list/0",
        };
        let object = v
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .unwrap();
        for key in keys {
            object.remove(*key);
        }
        let message = refusal(platform, &v);
        assert!(
            message.contains(named) && message.contains("required"),
            "{keys:?}: {message}"
        );
    }
    let mut v: Value = serde_json::from_str(SHOPEE_UNPAID).unwrap();
    v["order_list"][0]["recipient_address"]["full_address"] = json!("  ");
    let message = refusal(Platform::Shopee, &v);
    assert!(
        message.contains("recipient_address.full_address"),
        "blank is missing: {message}"
    );
}

#[test]
fn lines_without_a_seller_sku_or_a_usable_quantity_are_refused() {
    let mut v: Value = serde_json::from_str(TAOBAO_PAID).unwrap();
    let first = "/trade_fullinfo_get_response/trade/orders/order/0";
    v.pointer_mut(first).unwrap()["outer_sku_id"] = json!("");
    let message = refusal(Platform::Taobao, &v);
    assert!(
        message.contains("orders.order[0].outer_sku_id"),
        "{message}"
    );
    assert!(
        message.contains("required"),
        "a variant's item code is no SKU: {message}"
    );

    for (quantity, why) in [
        (json!(0), "got 0"),
        (json!(-3), "got -3"),
        (json!("two"), "whole number"),
        (json!(1.5), "whole number"),
        (json!(2_000_000), "got 2000000"),
    ] {
        let mut v: Value = serde_json::from_str(JD_PAID).unwrap();
        let item = "/jingdong_pop_order_get_responce/orderDetailInfo/orderInfo/itemInfoList/1";
        v.pointer_mut(item).unwrap()["itemTotal"] = quantity.clone();
        let message = refusal(Platform::Jd, &v);
        assert!(
            message.contains("itemInfoList[1].itemTotal") && message.contains(why),
            "{quantity}: {message}"
        );
    }

    let mut v: Value = serde_json::from_str(SHOPEE_PAID).unwrap();
    v["response"]["order_list"][0]["item_list"][0]["model_sku"] = json!("红色 杯子");
    let message = refusal(Platform::Shopee, &v);
    assert!(
        message.contains("item_list[0].model_sku") && message.contains("SKU code"),
        "{message}"
    );
    assert!(!message.contains("红色"), "no value quoted: {message}");

    let mut v: Value = serde_json::from_str(SHOPEE_PAID).unwrap();
    v["response"]["order_list"][0]["item_list"] = json!([]);
    assert!(refusal(Platform::Shopee, &v).contains("no line"));
}

#[test]
fn closed_and_shipped_orders_are_not_fulfillable() {
    for (platform, text, pointer, status) in [
        (
            Platform::Taobao,
            TAOBAO_UNPAID,
            "/trade/status",
            "TRADE_CLOSED_BY_TAOBAO",
        ),
        (
            Platform::Jd,
            JD_PAUSED,
            "/orderInfo/orderState",
            "TRADE_CANCELED",
        ),
        (
            Platform::Shopee,
            SHOPEE_UNPAID,
            "/order_list/0/order_status",
            "SHIPPED",
        ),
    ] {
        let mut v: Value = serde_json::from_str(text).unwrap();
        *v.pointer_mut(pointer).unwrap() = json!(status);
        let err = convert(platform, v.to_string().as_bytes()).unwrap_err();
        assert!(matches!(err, PlatformError::NotFulfillable { .. }), "{err}");
        assert!(err.to_string().contains(status), "{err}");
    }
}

#[test]
fn an_unknown_status_is_decided_by_the_pay_time() {
    let mut v: Value = serde_json::from_str(TAOBAO_PAID).unwrap();
    v["trade_fullinfo_get_response"]["trade"]["status"] = json!("SOME_NEW_STATUS");
    assert!(
        convert(Platform::Taobao, v.to_string().as_bytes())
            .unwrap()
            .paid
    );
    let mut v: Value = serde_json::from_str(SHOPEE_UNPAID).unwrap();
    v["order_list"][0]["order_status"] = json!("PENDING");
    assert!(
        !convert(Platform::Shopee, v.to_string().as_bytes())
            .unwrap()
            .paid
    );
    v["order_list"][0]["order_status"] = json!("李 明");
    assert!(
        !refusal(Platform::Shopee, &v).contains("李"),
        "a status that is no code is not quoted"
    );
}

#[test]
fn bad_documents_are_refused_without_quoting_them() {
    let secret = "13957126688";
    for body in [
        String::new(),
        "not json".to_string(),
        format!("{{\"trade\": {{\"receiver_mobile\": \"{secret}\""),
        format!("{{\"trade\": {{\"receiver_mobile\": {secret}}}}} trailing"),
        "[1, 2]".to_string(),
        "\"text\"".to_string(),
    ] {
        for platform in Platform::ALL {
            let err = to_order(platform, body.as_bytes()).unwrap_err();
            assert!(!err.0.is_empty(), "{body}");
            assert!(!err.0.contains(secret), "{platform:?}: {}", err.0);
        }
    }
    let mut v: Value = serde_json::from_str(TAOBAO_PAID).unwrap();
    v["trade_fullinfo_get_response"]["trade"]["receiver_name"] =
        json!({"first": "李", "last": secret});
    let message = refusal(Platform::Taobao, &v);
    assert!(
        message.contains("receiver_name") && !message.contains(secret),
        "{message}"
    );
    let shopee_many = json!({"order_list": [{}, {}]});
    assert!(refusal(Platform::Shopee, &shopee_many).contains("exactly one"));
}
