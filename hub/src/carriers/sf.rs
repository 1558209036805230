//! SF Express (顺丰开放平台 / 丰桥) adapter: the waybill comes from the
//! order-creation service EXP_RECE_CREATE_ORDER.
//!
//! The request is a form POST of `partnerID` (顾客编码), `requestID` (a
//! fresh unique id per call), `serviceCode`, `timestamp` (milliseconds),
//! `msgData` (the order as JSON) and `msgDigest` =
//! `base64(md5(URLEncoder.encode(msgData + timestamp + checkWord, "UTF-8")))`.
//! The answer is JSON with `apiResultCode` (`A1000` when the gateway took
//! the call) and `apiResultData`, itself JSON in a string: `success`,
//! `errorCode`, `errorMsg` and `msgData.waybillNoInfoList[].waybillNo`.
//!
//! Idempotency: `msgData.orderId` is our [`WaybillRequest::order_key`];
//! SF keeps one waybill per customer order id, so a retry after a lost
//! answer cannot buy a second one. Third-party write-ups disagree on what
//! SF answers to a repeated orderId: the waybill already issued, or the
//! refusal [`DUPLICATE_ORDER`] ("重复下单"). Both are handled: on that
//! refusal the adapter asks EXP_RECE_SEARCH_ORDER_RESP for the order's
//! waybill instead.
//!
//! Confirmed from public material: the common parameters, the digest
//! recipe (Java URL encoding, then MD5, then base64), the msgData fields
//! used here (`language`, `orderId`, `cargoDetails`, `contactInfoList` with
//! `contactType` 1 sender / 2 recipient, `expressTypeId` 1 顺丰特快 / 2
//! 顺丰标快, `payMethod`, `monthlyCard`, `parcelQty`), the answer's shape,
//! and gateway codes A1000 to A1006. Not confirmed: the duplicate-order
//! code `8016`, the meaning of A1005 (流量受控), A1009 (目标服务异常) and
//! A1099 (系统异常), treated as busy; whether any business `errorCode`
//! means busy (none is treated so); the cargo name SF accepts for a
//! generic parcel (we send "商品").

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{json, Value};

use super::http::FormPoster;
use super::sign::{java_url_encode, md5_base64};
use super::{
    clip, is_mobile, Carrier, CarrierError, Party, Secret, Service, Waybill, WaybillRequest,
};

/// The adapter's [`Carrier::name`].
pub const NAME: &str = "sf";
/// The service that creates an order and issues its waybill.
pub const CREATE_ORDER: &str = "EXP_RECE_CREATE_ORDER";
/// The service that reads an existing order's result (its waybill).
pub const SEARCH_ORDER: &str = "EXP_RECE_SEARCH_ORDER_RESP";
/// The business code for "this orderId was already used" (unconfirmed).
pub const DUPLICATE_ORDER: &str = "8016";
/// The gateway's "accepted" code.
pub const GATEWAY_OK: &str = "A1000";
/// Gateway codes taken as "busy, ask again" (unconfirmed meanings).
const GATEWAY_BUSY: [&str; 3] = ["A1005", "A1009", "A1099"];

/// The SF Express adapter.
#[derive(Debug)]
pub struct SfExpress {
    poster: FormPoster,
    partner_id: String,
    check_word: Secret,
    monthly_card: Option<String>,
}

impl SfExpress {
    /// An adapter for the gateway at `url` (plain http), with the partner
    /// id (顾客编码) and check word (校验码) SF issued.
    pub fn new(url: &str, partner_id: &str, check_word: Secret, timeout: Duration) -> Self {
        Self {
            poster: FormPoster::new(url, timeout),
            partner_id: partner_id.to_owned(),
            check_word,
            monthly_card: None,
        }
    }

    /// Bills the shipments to this monthly account (月结卡号).
    pub fn with_monthly_card(mut self, card: &str) -> Self {
        self.monthly_card = Some(card.to_owned());
        self
    }

    /// Calls one service with `msg_data`; the answer's `msgData` on success.
    fn call(&self, service_code: &str, msg_data: &str) -> Result<Value, CarrierError> {
        let timestamp = now_millis().to_string();
        let digest = msg_digest(msg_data, &timestamp, self.check_word.expose());
        let request_id = request_id();
        let form = [
            ("partnerID", self.partner_id.as_str()),
            ("requestID", request_id.as_str()),
            ("serviceCode", service_code),
            ("timestamp", timestamp.as_str()),
            ("msgData", msg_data),
            ("msgDigest", digest.as_str()),
        ];
        let body = self.poster.post(NAME, &form)?;
        parse_answer(&body)
    }
}

impl Carrier for SfExpress {
    fn name(&self) -> &'static str {
        NAME
    }

    fn request_waybill(&self, req: &WaybillRequest) -> Result<Waybill, CarrierError> {
        let service = req.check()?;
        let key = req.order_key();
        let msg = create_order_msg(req, &key, service, self.monthly_card.as_deref());
        let data = match self.call(CREATE_ORDER, &msg.to_string()) {
            Err(CarrierError::Refused { code, .. }) if code == DUPLICATE_ORDER => {
                tracing::info!(
                    order_id = req.order_id,
                    "sf: order key already used, reading its waybill"
                );
                let search = json!({ "orderId": key, "language": "zh-CN" });
                self.call(SEARCH_ORDER, &search.to_string())?
            }
            other => other?,
        };
        let waybill = Waybill::new(NAME, waybill_no(&data)?)?;
        tracing::info!(order_id = req.order_id, order_ref = %req.order_ref, tracking = %waybill.tracking, "sf: waybill issued");
        Ok(waybill)
    }
}

/// `base64(md5(URLEncoder.encode(msgData + timestamp + checkWord)))`.
pub fn msg_digest(msg_data: &str, timestamp: &str, check_word: &str) -> String {
    md5_base64(&java_url_encode(&format!(
        "{msg_data}{timestamp}{check_word}"
    )))
}

/// The EXP_RECE_CREATE_ORDER `msgData` for one parcel.
pub fn create_order_msg(
    req: &WaybillRequest,
    key: &str,
    service: Service,
    monthly_card: Option<&str>,
) -> Value {
    let express_type = match service {
        Service::Express => 1,
        Service::Standard => 2,
    };
    let mut msg = json!({
        "language": "zh-CN",
        "orderId": key,
        "cargoDetails": [{ "name": "商品", "count": req.items, "unit": "件" }],
        "contactInfoList": [contact(1, &req.sender), contact(2, &req.recipient)],
        "expressTypeId": express_type,
        "payMethod": 1,
        "parcelQty": 1,
        "isReturnRoutelabel": 0,
    });
    if let (Some(card), Some(fields)) = (monthly_card, msg.as_object_mut()) {
        fields.insert("monthlyCard".into(), Value::from(card));
    }
    msg
}

/// One `contactInfoList` entry: 1 sender, 2 recipient.
fn contact(kind: u8, party: &Party) -> Value {
    let phone_field = if is_mobile(&party.phone) {
        "mobile"
    } else {
        "tel"
    };
    json!({
        "contactType": kind,
        "contact": party.name,
        phone_field: party.phone,
        "country": party.country,
        "province": party.province,
        "city": party.city,
        "county": party.district,
        "address": party.street,
        "postCode": party.postal_code,
    })
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "apiResultCode")]
    code: String,
    #[serde(rename = "apiErrorMsg", default)]
    error_msg: Option<String>,
    #[serde(rename = "apiResultData", default)]
    data: Option<Value>,
}

#[derive(Deserialize)]
struct ResultData {
    success: bool,
    #[serde(rename = "errorCode", default)]
    error_code: Option<String>,
    #[serde(rename = "errorMsg", default)]
    error_msg: Option<String>,
    #[serde(rename = "msgData", default)]
    msg_data: Option<Value>,
}

/// The answer's business `msgData`, or why there is none.
pub(crate) fn parse_answer(body: &str) -> Result<Value, CarrierError> {
    let envelope: Envelope = serde_json::from_str(body)
        .map_err(|e| CarrierError::Malformed(format!("sf answer: {e}")))?;
    if envelope.code != GATEWAY_OK {
        let message = clip(envelope.error_msg.as_deref().unwrap_or(""));
        let code = envelope.code;
        if GATEWAY_BUSY.contains(&code.as_str()) {
            return Err(CarrierError::Busy { code, message });
        }
        return Err(CarrierError::Refused { code, message });
    }
    let data: ResultData = match envelope.data {
        Some(Value::String(text)) => serde_json::from_str(&text),
        Some(value) => serde_json::from_value(value),
        None => {
            return Err(CarrierError::Malformed(
                "sf answer without apiResultData".into(),
            ))
        }
    }
    .map_err(|e| CarrierError::Malformed(format!("sf apiResultData: {e}")))?;
    if !data.success {
        return Err(CarrierError::Refused {
            code: data.error_code.unwrap_or_default(),
            message: clip(data.error_msg.as_deref().unwrap_or("")),
        });
    }
    data.msg_data
        .ok_or_else(|| CarrierError::Malformed("sf success without msgData".into()))
}

/// The main waybill (`waybillType` 1, else the first) of a `msgData`.
fn waybill_no(data: &Value) -> Result<&str, CarrierError> {
    let list = data["waybillNoInfoList"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let main = list
        .iter()
        .find(|w| w["waybillType"].as_u64() == Some(1))
        .or_else(|| list.first());
    main.and_then(|w| w["waybillNo"].as_str())
        .ok_or_else(|| CarrierError::Malformed("sf answer without waybillNo".into()))
}

fn now_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// 32 hex digits, random; the clock if the OS has no randomness to give.
fn request_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        bytes = nanos.to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
