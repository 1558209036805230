//! Shopee (Open Platform v2): a shipment is written back with
//! `v2.logistics.ship_order` for a non-integrated channel, the case of a
//! warehouse printing its own courier's label: `{"order_sn": ...,
//! "non_integrated": {"tracking_number": ...}}`.
//!
//! It is a shop-level API: `partner_id`, `timestamp` (Unix seconds),
//! `access_token`, `shop_id` and `sign` go in the query string and the
//! request parameters in a JSON body; `sign` is the lower-case hex
//! HMAC-SHA256 of `partner_id + path + timestamp + access_token + shop_id`
//! under the partner key. Every answer carries `request_id`, `error`
//! (empty on success) and `message`. No carrier code is sent: the channel
//! is the one the order was placed with (see [`super::codes`]).
//!
//! After a refusal the adapter reads the number back with
//! `v2.logistics.get_tracking_number` (GET, `order_sn`; answer
//! `response.tracking_number`) and reports
//! [`WritebackError::AlreadyShipped`] when it is ours.
//!
//! Confirmed from public material (Shopee's developer guide on API calls
//! and signatures, open-source clients of `ship_order` and
//! `get_tracking_number`): the paths, the common parameters, the signing
//! recipe (checked against the guide's base-string example), the body
//! shape and the answer envelope. Not confirmed: the error code for an
//! order already shipped (hence the read-back after any refusal), which
//! codes mean "busy" (`error_server`, `error_busy` and `error_inner` are
//! treated so, as are HTTP 5xx and 429), and integrated channels, whose
//! `ship_order` takes `pickup`/`dropoff` instead and whose tracking number
//! comes from Shopee: the hub does not print those labels.

use std::time::Duration;

use serde_json::{json, Value};

use super::http::JsonClient;
use super::sign::{shopee_sign, unix_now};
use super::{check_shipment, settle_refusal, Platform, Shipment, WritebackError};
use crate::carriers::clip;
use crate::carriers::sign::java_url_encode;
use crate::carriers::Secret;

/// The adapter's [`Platform::name`].
pub const NAME: &str = "shopee";
/// The write-back path.
pub const SHIP_ORDER: &str = "/api/v2/logistics/ship_order";
/// The read-back path.
pub const GET_TRACKING_NUMBER: &str = "/api/v2/logistics/get_tracking_number";
/// `error` values taken as "busy, ask again" (unconfirmed).
const BUSY_CODES: [&str; 3] = ["error_server", "error_busy", "error_inner"];

/// The shop a Shopee adapter speaks for.
#[derive(Debug, Clone)]
pub struct ShopeeShop {
    /// The app's partner id.
    pub partner_id: u64,
    /// The partner key the app signs with.
    pub partner_key: Secret,
    /// The authorised shop.
    pub shop_id: u64,
    /// The shop's access token.
    pub access_token: Secret,
}

/// The Shopee adapter.
#[derive(Debug)]
pub struct Shopee {
    client: JsonClient,
    shop: ShopeeShop,
}

impl Shopee {
    /// An adapter for the Shopee host at `url` (scheme and host, plain
    /// http) for `shop`.
    pub fn new(url: &str, shop: ShopeeShop, timeout: Duration) -> Self {
        Self {
            client: JsonClient::new(url, timeout),
            shop,
        }
    }

    /// The response object of a good answer, or why there is none.
    fn answer(status: u16, body: &str) -> Result<Value, WritebackError> {
        let parsed: Option<Value> = serde_json::from_str(body).ok();
        let Some(answer) = parsed.filter(Value::is_object) else {
            if !(200..300).contains(&status) {
                return Err(WritebackError::HttpStatus(status));
            }
            return Err(WritebackError::Malformed(
                "shopee answer is not a JSON object".into(),
            ));
        };
        let error = answer["error"].as_str().unwrap_or_default().to_owned();
        if error.is_empty() {
            if !(200..300).contains(&status) {
                return Err(WritebackError::HttpStatus(status));
            }
            return Ok(answer["response"].clone());
        }
        let message = clip(answer["message"].as_str().unwrap_or_default());
        if BUSY_CODES.contains(&error.as_str()) || status >= 500 || status == 429 {
            return Err(WritebackError::Busy {
                code: error,
                message,
            });
        }
        Err(WritebackError::Refused {
            code: error,
            message,
        })
    }

    /// The tracking number Shopee holds for the order, if any.
    fn read_back(&self, order_sn: &str) -> Result<Vec<String>, WritebackError> {
        let query = format!(
            "{}&order_sn={}",
            common_query(&self.shop, GET_TRACKING_NUMBER, unix_now()),
            java_url_encode(order_sn)
        );
        let (status, body) = self
            .client
            .get(NAME, &format!("{GET_TRACKING_NUMBER}?{query}"))?;
        let response = Self::answer(status, &body)?;
        Ok(response["tracking_number"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(|t| vec![t.to_owned()])
            .unwrap_or_default())
    }
}

impl Platform for Shopee {
    fn name(&self) -> &'static str {
        NAME
    }

    fn confirm_shipment(&self, s: &Shipment) -> Result<(), WritebackError> {
        check_shipment(s, NAME)?;
        let query = common_query(&self.shop, SHIP_ORDER, unix_now());
        let body = ship_order_body(s).to_string();
        let result = self
            .client
            .post(NAME, &format!("{SHIP_ORDER}?{query}"), &body)
            .and_then(|(status, body)| Self::answer(status, &body).map(drop));
        match result {
            Err(refusal @ WritebackError::Refused { .. }) => {
                let held = self.read_back(&s.platform_order_id);
                Err(settle_refusal(refusal, held, &s.tracking))
            }
            other => other,
        }
        .inspect(|()| tracing::info!(order_sn = %s.platform_order_id, tracking = %s.tracking, "shopee: shipment confirmed"))
    }
}

/// The `ship_order` body for a non-integrated channel.
pub fn ship_order_body(s: &Shipment) -> Value {
    json!({
        "order_sn": s.platform_order_id,
        "non_integrated": { "tracking_number": s.tracking },
    })
}

/// The signed common query parameters of a shop API call at `path`.
pub fn common_query(shop: &ShopeeShop, path: &str, timestamp: u64) -> String {
    let token = shop.access_token.expose();
    let sign = shopee_sign(
        shop.partner_key.expose(),
        shop.partner_id,
        path,
        timestamp,
        token,
        shop.shop_id,
    );
    format!(
        "partner_id={}&timestamp={timestamp}&access_token={}&shop_id={}&sign={sign}",
        shop.partner_id,
        java_url_encode(token),
        shop.shop_id
    )
}
