//! Taobao/Tmall (TOP): a shipment is written back with
//! `taobao.logistics.offline.send` (自己联系物流发货: the seller ships with a
//! courier of its own choosing; the trade becomes "seller shipped").
//!
//! The call is a form POST to the TOP gateway (`/router/rest`) of the
//! system parameters `method`, `app_key`, `session` (the shop's
//! authorisation), `timestamp` (`yyyy-MM-dd HH:mm:ss`, Beijing time),
//! `v=2.0`, `format=json`, `sign_method=md5` and `sign`, with the business
//! parameters `tid` (the trade), `out_sid` (the tracking number) and
//! `company_code` ([`super::codes`]). `sign` is the upper-case hex MD5 of
//! secret + every parameter's name and value sorted by name + secret. The
//! answer is `{"logistics_offline_send_response": {"shipping":
//! {"is_success": true}}}` or `{"error_response": {"code", "msg",
//! "sub_code", "sub_msg"}}`.
//!
//! A repeat is refused with `isv.logistics-offline-service-error:B04`
//! ("the order is already shipped or closed, it cannot ship again"), which
//! does not say with which number; so after any refusal the adapter reads
//! the trade's shipments with `taobao.logistics.orders.get` (`tid`,
//! `fields=tid,out_sid`; answer `logistics_orders_get_response.shippings.
//! shipping[].out_sid`) and reports [`WritebackError::AlreadyShipped`] only
//! when our number is there — the check ERP integrators make after B04.
//!
//! Confirmed from public material (TOP SDKs generated from the API
//! reference, integrators' code): the method names, parameters, answer
//! shapes and the signing recipe; B04's meaning. Not confirmed: which
//! codes mean "busy" — `isp.*` sub-codes (platform-side failures) and code
//! 7 (call limit) are treated so; every other error is a refusal.

use std::time::Duration;

use serde_json::Value;

use super::codes::CarrierCodes;
use super::sign::{beijing_time, md5_sign, unix_now};
use super::{check_shipment, settle_refusal, Platform, Shipment, WritebackError};
use crate::carriers::http::FormPoster;
use crate::carriers::{clip, Secret};

/// The adapter's [`Platform::name`].
pub const NAME: &str = "taobao";
/// The write-back method.
pub const OFFLINE_SEND: &str = "taobao.logistics.offline.send";
/// The read-back method.
pub const ORDERS_GET: &str = "taobao.logistics.orders.get";

/// The Taobao/Tmall adapter.
#[derive(Debug)]
pub struct Taobao {
    poster: FormPoster,
    app_key: String,
    secret: Secret,
    session: Secret,
    codes: CarrierCodes,
}

impl Taobao {
    /// An adapter for the TOP gateway at `url` (plain http) with the app's
    /// key and secret and the shop's session key.
    pub fn new(
        url: &str,
        app_key: &str,
        secret: Secret,
        session: Secret,
        codes: CarrierCodes,
        timeout: Duration,
    ) -> Self {
        Self {
            poster: FormPoster::new(url, timeout),
            app_key: app_key.to_owned(),
            secret,
            session,
            codes,
        }
    }

    /// One signed call; the answer as JSON, or the platform's error.
    fn call(&self, method: &str, business: &[(&str, &str)]) -> Result<Value, WritebackError> {
        let timestamp = beijing_time(unix_now());
        let form = signed_form(
            &self.app_key,
            self.secret.expose(),
            self.session.expose(),
            method,
            &timestamp,
            business,
        );
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = self.poster.post(NAME, &pairs)?;
        let answer: Value = serde_json::from_str(&body)
            .map_err(|e| WritebackError::Malformed(format!("taobao answer: {e}")))?;
        match answer.get("error_response") {
            Some(error) => Err(top_error(error)),
            None => Ok(answer),
        }
    }

    /// The tracking numbers the trade's shipments hold.
    fn read_back(&self, tid: &str) -> Result<Vec<String>, WritebackError> {
        let answer = self.call(ORDERS_GET, &[("tid", tid), ("fields", "tid,out_sid")])?;
        let shippings = &answer["logistics_orders_get_response"]["shippings"]["shipping"];
        let list = shippings.as_array().map(Vec::as_slice).unwrap_or_default();
        Ok(list
            .iter()
            .filter_map(|s| s["out_sid"].as_str().map(str::to_owned))
            .collect())
    }
}

impl Platform for Taobao {
    fn name(&self) -> &'static str {
        NAME
    }

    fn confirm_shipment(&self, s: &Shipment) -> Result<(), WritebackError> {
        check_shipment(s, NAME)?;
        let code = self.codes.code(&s.carrier).ok_or_else(|| {
            WritebackError::Config(format!(
                "no taobao company_code for carrier {}",
                clip(&s.carrier)
            ))
        })?;
        let business = [
            ("tid", s.platform_order_id.as_str()),
            ("out_sid", s.tracking.as_str()),
            ("company_code", code.as_str()),
        ];
        let result = self.call(OFFLINE_SEND, &business).and_then(|answer| {
            let shipping = &answer["logistics_offline_send_response"]["shipping"];
            match shipping["is_success"].as_bool() {
                Some(true) => Ok(()),
                Some(false) => Err(WritebackError::Refused {
                    code: "is_success=false".into(),
                    message: String::new(),
                }),
                None => Err(WritebackError::Malformed(
                    "taobao answer without is_success".into(),
                )),
            }
        });
        match result {
            Err(refusal @ WritebackError::Refused { .. }) => {
                let held = self.read_back(&s.platform_order_id);
                Err(settle_refusal(refusal, held, &s.tracking))
            }
            other => other,
        }
        .inspect(|()| tracing::info!(tid = %s.platform_order_id, tracking = %s.tracking, "taobao: shipment confirmed"))
    }
}

/// The whole signed form of a TOP call.
pub fn signed_form(
    app_key: &str,
    secret: &str,
    session: &str,
    method: &str,
    timestamp: &str,
    business: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut params: Vec<(&str, &str)> = vec![
        ("method", method),
        ("app_key", app_key),
        ("session", session),
        ("timestamp", timestamp),
        ("v", "2.0"),
        ("format", "json"),
        ("sign_method", "md5"),
    ];
    params.extend_from_slice(business);
    let sign = md5_sign(&params, secret);
    let mut form: Vec<(String, String)> = params
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    form.push(("sign".to_owned(), sign));
    form
}

/// TOP's `error_response` as our error.
pub(crate) fn top_error(error: &Value) -> WritebackError {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let code = text(&error["code"]);
    let sub_code = text(&error["sub_code"]);
    let message = clip(format!("{} {}", text(&error["msg"]), text(&error["sub_msg"])).trim());
    let busy = sub_code.starts_with("isp.") || code == "7";
    let code = if sub_code.is_empty() { code } else { sub_code };
    if code.is_empty() {
        return WritebackError::Malformed("taobao error_response without a code".into());
    }
    if busy {
        WritebackError::Busy { code, message }
    } else {
        WritebackError::Refused { code, message }
    }
}
