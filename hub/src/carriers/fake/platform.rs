//! What the fake platform answers, per shape: the digest check, one
//! waybill per order key, the faults that shape an answer (refusal, given
//! tracking, lost answer). Answers mimic the real ones' fields.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::super::sign::decode_form;
use super::super::{cainiao, sf};
use super::{Fault, Shape};

/// What an answer needs from the fake's state.
pub(super) struct Context<'a> {
    pub secret: &'a str,
    pub issued: &'a mut HashMap<String, String>,
    pub refuse_duplicates: bool,
}

/// The HTTP status and body for a POST body; status 0 means "issue, then
/// do not answer" ([`Fault::LoseAnswer`]).
pub(super) fn answer(
    shape: Shape,
    ctx: &mut Context<'_>,
    body: &str,
    fault: Option<Fault>,
) -> (u16, String) {
    let Some(form) = decode_form(body).map(Form) else {
        return (400, r#"{"error":"bad form"}"#.to_owned());
    };
    let lose = fault == Some(Fault::LoseAnswer);
    let body = match shape {
        Shape::Sf => sf_answer(ctx, &form, fault),
        Shape::Cainiao => cainiao_answer(ctx, &form, fault),
    };
    (if lose { 0 } else { 200 }, body)
}

/// A decoded form body.
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The next number for `key`, or the one it already has.
fn issue(issued: &mut HashMap<String, String>, key: &str, prefix: &str) -> String {
    let next = issued.len() as u64 + 1;
    issued
        .entry(key.to_owned())
        .or_insert_with(|| format!("{prefix}{:012}", 444_000_000_000 + next))
        .clone()
}

fn sf_answer(ctx: &mut Context<'_>, form: &Form, fault: Option<Fault>) -> String {
    let names = [
        "partnerID",
        "requestID",
        "serviceCode",
        "timestamp",
        "msgData",
        "msgDigest",
    ];
    let [Some(_), Some(_), Some(service), Some(timestamp), Some(msg), Some(digest)] =
        names.map(|name| form.get(name))
    else {
        return sf_gateway("A1001", "必传参数不可为空");
    };
    if sf::msg_digest(msg, timestamp, ctx.secret) != digest {
        return sf_gateway("A1006", "数字签名无效");
    }
    if let Some(Fault::Refuse { code, message }) = &fault {
        if code.starts_with("A1") {
            return sf_gateway(code, message);
        }
        return sf_business_error(code, message);
    }
    let Ok(msg) = serde_json::from_str::<Value>(msg) else {
        return sf_business_error("1000", "msgData 格式错误");
    };
    let Some(key) = msg["orderId"].as_str().filter(|k| !k.is_empty()) else {
        return sf_business_error("1010", "orderId 不能为空");
    };
    let tracking = match (service, &fault) {
        (_, Some(Fault::Tracking(tracking))) => tracking.clone(),
        (sf::CREATE_ORDER, _) if ctx.refuse_duplicates && ctx.issued.contains_key(key) => {
            return sf_business_error(sf::DUPLICATE_ORDER, "重复下单");
        }
        (sf::CREATE_ORDER, _) => issue(ctx.issued, key, "SF"),
        (sf::SEARCH_ORDER, _) => match ctx.issued.get(key) {
            Some(tracking) => tracking.clone(),
            None => return sf_business_error("8018", "订单不存在"),
        },
        _ => return sf_gateway("A1004", "无对应服务权限"),
    };
    let data = json!({
        "success": true,
        "errorCode": "S0000",
        "errorMsg": null,
        "msgData": {
            "orderId": key,
            "filterResult": 2,
            "waybillNoInfoList": [{ "waybillType": 1, "waybillNo": tracking }],
        },
    });
    sf_envelope("A1000", "", Value::from(data.to_string()))
}

fn sf_envelope(code: &str, message: &str, data: Value) -> String {
    json!({
        "apiErrorMsg": message,
        "apiResponseID": "0001",
        "apiResultCode": code,
        "apiResultData": data,
    })
    .to_string()
}

fn sf_gateway(code: &str, message: &str) -> String {
    sf_envelope(code, message, Value::Null)
}

fn sf_business_error(code: &str, message: &str) -> String {
    let data = json!({ "success": false, "errorCode": code, "errorMsg": message, "msgData": null });
    sf_envelope("A1000", "", Value::from(data.to_string()))
}

fn cainiao_answer(ctx: &mut Context<'_>, form: &Form, fault: Option<Fault>) -> String {
    let names = [
        "msg_type",
        "logistic_provider_id",
        "logistics_interface",
        "data_digest",
    ];
    let [Some(msg_type), Some(_), Some(content), Some(digest)] = names.map(|name| form.get(name))
    else {
        return cainiao_error("S12", "非法的请求参数");
    };
    if cainiao::data_digest(content, ctx.secret) != digest {
        return cainiao_error("S02", "非法的数字签名");
    }
    if msg_type != cainiao::WAYBILL_GET {
        return cainiao_error("S04", "非法的通知类型");
    }
    if let Some(Fault::Refuse { code, message }) = &fault {
        return cainiao_error(code, message);
    }
    let Ok(content) = serde_json::from_str::<Value>(content) else {
        return cainiao_error("S01", "非法的XML/JSON");
    };
    let dtos = content["tradeOrderInfoDtos"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut list = Vec::new();
    for dto in &dtos {
        let orders = dto["orderInfo"]["tradeOrderList"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let Some(order) = orders.first().and_then(Value::as_str) else {
            return cainiao_error("isv.invalid-parameter", "tradeOrderList 不能为空");
        };
        let key = format!(
            "{order}#{}",
            dto["packageInfo"]["id"].as_str().unwrap_or("")
        );
        let tracking = match &fault {
            Some(Fault::Tracking(tracking)) => tracking.clone(),
            _ => issue(ctx.issued, &key, "7"),
        };
        list.push(
            json!({ "objectId": dto["objectId"], "waybillCode": tracking, "printData": "{}" }),
        );
    }
    if list.is_empty() {
        return cainiao_error("isv.invalid-parameter", "tradeOrderInfoDtos 不能为空");
    }
    json!({ "success": "true", "waybillCloudPrintResponseList": list }).to_string()
}

fn cainiao_error(code: &str, message: &str) -> String {
    json!({ "success": "false", "errorCode": code, "errorMsg": message }).to_string()
}
