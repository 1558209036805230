//! JD (jd.com POP sellers, JOS): a shipment is written back with
//! `jingdong.pop.order.shipment` (订单出库).
//!
//! The call is a form POST to the JOS gateway (`/routerjson`) of `method`,
//! `access_token` (the shop's authorisation), `app_key`, `timestamp`
//! (`yyyy-MM-dd HH:mm:ss`, Beijing time), `v=2.0`, `360buy_param_json`
//! (the business parameters as JSON: `orderId`, `logiCoprId` — JD's
//! numeric logistics company id, [`super::codes`] — and `logiNo`, the
//! tracking number) and `sign`: the upper-case hex MD5 of secret + every
//! parameter's name and value sorted by name + secret. The answer is
//! `{"jingdong_pop_order_shipment_responce": {"sopjosshipment_result":
//! {"success": true|"true", "errorCode", "chineseErrCode",
//! "englishErrCode"}}}` (JOS spells it `responce`) or `{"error_response":
//! {"code", "zh_desc", "en_desc"}}` for gateway errors.
//!
//! After a refusal the adapter reads the order back with
//! `jingdong.pop.order.get` (`order_id`, `optional_fields=orderId,
//! orderState,waybill`; answer `jingdong_pop_order_get_responce.
//! orderDetailInfo.orderInfo.waybill`) and reports
//! [`WritebackError::AlreadyShipped`] when our number is there.
//!
//! Confirmed from public material (JD's SDKs: `PopOrderShipmentRequest`
//! with `orderId`, `logiCoprId`, `logiNo`; `sopjosshipment_result` with
//! `success` as a boolean or a string; integrators' code): the call, its
//! parameters, the answer and the signing recipe; `errorCode` `999999` /
//! `99999999` as "retry" (an integrator treats them so, taken as busy
//! here). Not confirmed: the code JD gives for an order already shipped
//! (hence the read-back after any refusal), the read-back's parameter
//! names and that `waybill` holds the number (several may be joined by
//! commas; each is compared), and the gateway's codes beyond the shape.

use std::time::Duration;

use serde_json::{json, Value};

use super::codes::CarrierCodes;
use super::sign::{beijing_time, md5_sign, unix_now};
use super::{check_shipment, settle_refusal, Platform, Shipment, WritebackError};
use crate::carriers::http::FormPoster;
use crate::carriers::{clip, Secret};

/// The adapter's [`Platform::name`].
pub const NAME: &str = "jd";
/// The write-back method.
pub const SHIPMENT: &str = "jingdong.pop.order.shipment";
/// The read-back method.
pub const ORDER_GET: &str = "jingdong.pop.order.get";
/// `errorCode`s taken as "busy, ask again".
const BUSY_CODES: [&str; 2] = ["999999", "99999999"];

/// The JD adapter.
#[derive(Debug)]
pub struct Jd {
    poster: FormPoster,
    app_key: String,
    secret: Secret,
    access_token: Secret,
    codes: CarrierCodes,
}

impl Jd {
    /// An adapter for the JOS gateway at `url` (plain http) with the app's
    /// key and secret and the shop's access token.
    pub fn new(
        url: &str,
        app_key: &str,
        secret: Secret,
        access_token: Secret,
        codes: CarrierCodes,
        timeout: Duration,
    ) -> Self {
        Self {
            poster: FormPoster::new(url, timeout),
            app_key: app_key.to_owned(),
            secret,
            access_token,
            codes,
        }
    }

    /// One signed call; the method's own answer object, or the gateway's
    /// error.
    fn call(&self, method: &str, business: &Value) -> Result<Value, WritebackError> {
        let timestamp = beijing_time(unix_now());
        let form = signed_form(
            &self.app_key,
            self.secret.expose(),
            self.access_token.expose(),
            method,
            &timestamp,
            &business.to_string(),
        );
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = self.poster.post(NAME, &pairs)?;
        let answer: Value = serde_json::from_str(&body)
            .map_err(|e| WritebackError::Malformed(format!("jd answer: {e}")))?;
        if let Some(error) = answer.get("error_response") {
            return Err(gateway_error(error));
        }
        let key = format!("{}_responce", method.replace('.', "_"));
        answer
            .get(&key)
            .cloned()
            .ok_or_else(|| WritebackError::Malformed(format!("jd answer without {key}")))
    }

    /// The tracking numbers JD holds for the order.
    fn read_back(&self, order_id: &str) -> Result<Vec<String>, WritebackError> {
        let business =
            json!({ "order_id": order_id, "optional_fields": "orderId,orderState,waybill" });
        let answer = self.call(ORDER_GET, &business)?;
        let waybill = answer["orderDetailInfo"]["orderInfo"]["waybill"]
            .as_str()
            .unwrap_or_default();
        Ok(waybill
            .split([',', ';', '|'])
            .map(|w| w.trim().to_owned())
            .filter(|w| !w.is_empty())
            .collect())
    }
}

impl Platform for Jd {
    fn name(&self) -> &'static str {
        NAME
    }

    fn confirm_shipment(&self, s: &Shipment) -> Result<(), WritebackError> {
        check_shipment(s, NAME)?;
        let code = self.codes.code(&s.carrier).ok_or_else(|| {
            WritebackError::Config(format!("no jd logiCoprId for carrier {}", clip(&s.carrier)))
        })?;
        let business = json!({
            "orderId": s.platform_order_id,
            "logiCoprId": code,
            "logiNo": s.tracking,
        });
        let result = self
            .call(SHIPMENT, &business)
            .and_then(|answer| shipment_result(&answer["sopjosshipment_result"]));
        match result {
            Err(refusal @ WritebackError::Refused { .. }) => {
                let held = self.read_back(&s.platform_order_id);
                Err(settle_refusal(refusal, held, &s.tracking))
            }
            other => other,
        }
        .inspect(|()| tracing::info!(order_id = %s.platform_order_id, tracking = %s.tracking, "jd: shipment confirmed"))
    }
}

/// The whole signed form of a JOS call.
pub fn signed_form(
    app_key: &str,
    secret: &str,
    access_token: &str,
    method: &str,
    timestamp: &str,
    param_json: &str,
) -> Vec<(String, String)> {
    let params = [
        ("method", method),
        ("access_token", access_token),
        ("app_key", app_key),
        ("timestamp", timestamp),
        ("v", "2.0"),
        ("360buy_param_json", param_json),
    ];
    let sign = md5_sign(&params, secret);
    let mut form: Vec<(String, String)> = params
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    form.push(("sign".to_owned(), sign));
    form
}

/// `sopjosshipment_result` as Ok or a refusal.
fn shipment_result(result: &Value) -> Result<(), WritebackError> {
    let success = match &result["success"] {
        Value::Bool(b) => *b,
        Value::String(s) => s == "true",
        _ => {
            return Err(WritebackError::Malformed(
                "jd answer without success".into(),
            ))
        }
    };
    if success {
        return Ok(());
    }
    let code = text(&result["errorCode"]);
    let code = if code.is_empty() {
        "success=false".to_owned()
    } else {
        code
    };
    let message = clip(&format!(
        "{} {}",
        text(&result["chineseErrCode"]),
        text(&result["englishErrCode"])
    ))
    .trim()
    .to_owned();
    if BUSY_CODES.contains(&code.as_str()) {
        return Err(WritebackError::Busy { code, message });
    }
    Err(WritebackError::Refused { code, message })
}

/// The gateway's `error_response` as a refusal.
fn gateway_error(error: &Value) -> WritebackError {
    let code = text(&error["code"]);
    if code.is_empty() {
        return WritebackError::Malformed("jd error_response without a code".into());
    }
    let message = clip(text(&error["zh_desc"]).trim());
    WritebackError::Refused { code, message }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}
