//! What the fake platform answers, per shape: the signature check, one
//! shipment per order, the repeat refused, the read-back, a queued
//! refusal. Answers mimic the real ones' fields.
//!
//! Codes: TOP's `25` (invalid signature) and B04 (already shipped or
//! closed) are the platform's; JOS's `19` for a bad signature and
//! `ORDER_SHIPPED` for a repeat, and Shopee's `logistics.order_shipped`
//! for a repeat, are stand-ins (the real codes were not confirmed; the
//! adapters do not depend on them). Shopee's `error_sign` is the real one.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::super::sign::{md5_sign, shopee_sign};
use super::super::{jd, shopee, taobao};
use super::{Fault, Shape};
use crate::carriers::sign::decode_form;
use crate::fakehttp::Request;

/// What an answer needs from the fake's state.
pub(super) struct Context<'a> {
    pub secret: &'a str,
    pub confirmed: &'a mut BTreeMap<String, String>,
    /// A queued fault that shapes the answer (only `Refuse` does here).
    pub refuse: Option<Fault>,
}

impl Context<'_> {
    /// The queued refusal, if any.
    fn refusal(&self) -> Option<(&str, &str)> {
        match &self.refuse {
            Some(Fault::Refuse { code, message }) => Some((code, message)),
            _ => None,
        }
    }

    /// Ships `order` with `tracking`: `true` the first time, `false` when
    /// it has shipped already (with any number).
    fn ship(&mut self, order: &str, tracking: &str) -> bool {
        if self.confirmed.contains_key(order) {
            return false;
        }
        self.confirmed.insert(order.to_owned(), tracking.to_owned());
        true
    }
}

/// The HTTP status and body for a request.
pub(super) fn answer(shape: Shape, ctx: &mut Context<'_>, request: &Request) -> (u16, String) {
    match shape {
        Shape::Taobao | Shape::Jd => {
            let Some(form) = decode_form(&request.body) else {
                return (400, r#"{"error":"bad form"}"#.to_owned());
            };
            let body = if shape == Shape::Taobao {
                taobao_answer(ctx, &form)
            } else {
                jd_answer(ctx, &form)
            };
            (200, body.to_string())
        }
        Shape::Shopee => shopee_answer(ctx, request),
    }
}

fn get<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// Whether the form's `sign` is right for the fake's secret.
fn signed(ctx: &Context<'_>, form: &[(String, String)]) -> bool {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    md5_sign(&pairs, ctx.secret) == get(form, "sign")
}

fn top_error(code: u32, sub_code: &str, sub_msg: &str) -> Value {
    json!({ "error_response": {
        "code": code, "msg": "Remote service error", "sub_code": sub_code, "sub_msg": sub_msg,
        "request_id": "fake" } })
}

fn taobao_answer(ctx: &mut Context<'_>, form: &[(String, String)]) -> Value {
    if !signed(ctx, form) {
        return json!({ "error_response": { "code": 25, "msg": "Invalid signature" } });
    }
    let tid = get(form, "tid");
    match get(form, "method") {
        taobao::OFFLINE_SEND => {
            if let Some((code, message)) = ctx.refusal() {
                return top_error(15, code, message);
            }
            let (sid, company) = (get(form, "out_sid"), get(form, "company_code"));
            if tid.is_empty() || sid.is_empty() || company.is_empty() {
                return top_error(40, "missing-parameter", "tid, out_sid, company_code");
            }
            if !ctx.ship(tid, sid) {
                let msg = "订单状态不对该物流订单已经发货或者已关闭，不能重复发货";
                return top_error(15, "isv.logistics-offline-service-error:B04", msg);
            }
            json!({ "logistics_offline_send_response": { "shipping": { "is_success": true } } })
        }
        taobao::ORDERS_GET => {
            let list: Vec<Value> = ctx
                .confirmed
                .get(tid)
                .map(|sid| json!({ "tid": tid, "out_sid": sid }))
                .into_iter()
                .collect();
            json!({ "logistics_orders_get_response": {
                "shippings": { "shipping": list }, "total_results": list.len() } })
        }
        _ => json!({ "error_response": { "code": 22, "msg": "Invalid method" } }),
    }
}

fn jd_answer(ctx: &mut Context<'_>, form: &[(String, String)]) -> Value {
    if !signed(ctx, form) {
        return json!({ "error_response": { "code": "19", "zh_desc": "签名错误", "en_desc": "sign error" } });
    }
    let params: Value = serde_json::from_str(get(form, "360buy_param_json")).unwrap_or_default();
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    match get(form, "method") {
        jd::SHIPMENT => {
            let refuse = |code: &str, message: &str| {
                json!({ "jingdong_pop_order_shipment_responce": { "code": "0",
                    "sopjosshipment_result": { "success": false, "errorCode": code,
                        "chineseErrCode": message, "englishErrCode": "" } } })
            };
            if let Some((code, message)) = ctx.refusal() {
                return refuse(code, message);
            }
            let (order, logi) = (text(&params["orderId"]), text(&params["logiNo"]));
            if order.is_empty() || logi.is_empty() || text(&params["logiCoprId"]).is_empty() {
                return refuse("PARAM_MISSING", "参数错误");
            }
            if !ctx.ship(&order, &logi) {
                return refuse("ORDER_SHIPPED", "订单已出库");
            }
            json!({ "jingdong_pop_order_shipment_responce": { "code": "0",
                "sopjosshipment_result": { "success": "true" } } })
        }
        jd::ORDER_GET => {
            let order = text(&params["order_id"]);
            let waybill = ctx.confirmed.get(&order).cloned().unwrap_or_default();
            json!({ "jingdong_pop_order_get_responce": { "code": "0",
                "orderDetailInfo": { "orderInfo": { "orderId": order, "waybill": waybill } } } })
        }
        _ => json!({ "error_response": { "code": "1", "zh_desc": "无效方法" } }),
    }
}

fn shopee_answer(ctx: &mut Context<'_>, request: &Request) -> (u16, String) {
    let query = decode_form(&request.query).unwrap_or_default();
    let number = |name: &str| get(&query, name).parse::<u64>().unwrap_or_default();
    let sign = shopee_sign(
        ctx.secret,
        number("partner_id"),
        &request.path,
        number("timestamp"),
        get(&query, "access_token"),
        number("shop_id"),
    );
    let error = |status: u16, code: &str, message: &str| {
        let body = json!({ "request_id": "fake", "error": code, "message": message });
        (status, body.to_string())
    };
    if sign != get(&query, "sign") {
        return error(403, "error_sign", "Wrong sign.");
    }
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", shopee::SHIP_ORDER) => {
            if let Some((code, message)) = ctx.refusal() {
                return error(200, code, message);
            }
            let body: Value = serde_json::from_str(&request.body).unwrap_or_default();
            let order = body["order_sn"].as_str().unwrap_or_default();
            let tracking = body["non_integrated"]["tracking_number"]
                .as_str()
                .unwrap_or_default();
            if order.is_empty() || tracking.is_empty() {
                return error(
                    200,
                    "error_param",
                    "order_sn and tracking_number are required",
                );
            }
            if !ctx.ship(order, tracking) {
                return error(
                    200,
                    "logistics.order_shipped",
                    "The order has been shipped.",
                );
            }
            let body = json!({ "request_id": "fake", "error": "", "message": "", "response": {} });
            (200, body.to_string())
        }
        ("GET", shopee::GET_TRACKING_NUMBER) => {
            let order = get(&query, "order_sn");
            let tracking = ctx.confirmed.get(order).cloned().unwrap_or_default();
            let body = json!({ "request_id": "fake", "error": "", "message": "",
                "response": { "tracking_number": tracking } });
            (200, body.to_string())
        }
        _ => error(404, "error_not_found", "no such api"),
    }
}
