//! Writing a printed label's tracking number back to the shop platform the
//! order came from, so the shop's customer sees it.
//!
//! When a label is printed the order has a waybill; until its shop platform
//! has acknowledged that number the customer sees "not shipped" and the
//! shop may be fined for late dispatch. So the write-back is "retried until
//! acknowledged": [`outbox`] is the pure state machine holding what is
//! still owed (backoff, parking of refusals), and the adapters behind the
//! [`Platform`] trait do one call each: [`taobao`] (TOP
//! `taobao.logistics.offline.send`), [`jd`] (JOS `jingdong.pop.order.shipment`)
//! and [`shopee`] (Open Platform v2 `logistics/ship_order`). [`config`]
//! builds an adapter from the configuration and [`fake`] is a loopback
//! double of all three for tests and demos.
//!
//! Idempotency: none of the three platforms takes an idempotency key for a
//! shipment; a second call for an order already shipped is refused. So when
//! a platform refuses, the adapter reads the order's shipment back and, if
//! the platform already holds *our* tracking number (a retry after a lost
//! answer), reports [`WritebackError::AlreadyShipped`], which counts as
//! acknowledged ([`WritebackError::acknowledged`]).
//!
//! The calls are blocking (the hub runs them in `spawn_blocking`). Nothing
//! here sees a customer's name, phone or address.

pub mod codes;
pub mod config;
pub mod fake;
mod http;
pub mod jd;
pub mod outbox;
pub mod shopee;
pub(crate) mod sign;
pub mod taobao;
#[cfg(test)]
mod tests;
pub mod worker;

use serde::{Deserialize, Serialize};

use crate::carriers::CarrierError;

pub use config::PlatformConfig;
pub use outbox::{Outbox, Pending};

/// The platforms an order can come from that take no write-back: orders
/// entered through our own API and CSV imports.
pub const NO_WRITEBACK: [&str; 2] = ["own", "csv"];

/// A printed label's shipment, as the platform must be told of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shipment {
    /// The order's platform: `"taobao"`, `"jd"`, `"shopee"`, `"own"` or `"csv"`.
    pub platform: String,
    /// The order's id on its platform (Taobao `tid`, JD `orderId`, Shopee
    /// `order_sn`).
    pub platform_order_id: String,
    /// Our carrier name (`"sf"`, `"zto"`, ...); see [`codes`].
    pub carrier: String,
    /// The tracking (waybill) number.
    pub tracking: String,
}

impl Shipment {
    /// Whether the order's platform wants to hear of the shipment at all
    /// (`"own"` and `"csv"` orders do not).
    pub fn needs_writeback(&self) -> bool {
        !NO_WRITEBACK.contains(&self.platform.as_str())
    }
}

/// A shop platform's "this order has shipped with this number" call.
pub trait Platform: Send + Sync {
    /// The platform's name as in [`Shipment::platform`] (`"taobao"`, ...).
    fn name(&self) -> &'static str;

    /// Tells the platform the order shipped with `s.tracking`; blocking.
    /// `Err(AlreadyShipped)` means the platform already has this number:
    /// see [`WritebackError::acknowledged`].
    fn confirm_shipment(&self, s: &Shipment) -> Result<(), WritebackError>;
}

/// Why a write-back was not acknowledged (or, for
/// [`WritebackError::AlreadyShipped`], why it needs no more attempts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WritebackError {
    /// No answer within the configured time (the call may have arrived).
    #[error("the platform did not answer in time")]
    Timeout,
    /// The platform could not be reached.
    #[error("cannot reach the platform: {0}")]
    Connect(String),
    /// The platform answered with an HTTP error status.
    #[error("the platform answered HTTP {0}")]
    HttpStatus(u16),
    /// The platform said no: wrong order state, bad code, bad signature.
    #[error("the platform refused: {code}: {message}")]
    Refused {
        /// The platform's error code (the most specific one it gave).
        code: String,
        /// The platform's message, clipped.
        message: String,
    },
    /// The platform is busy, rate-limits us or failed inside.
    #[error("the platform is busy: {code}: {message}")]
    Busy {
        /// The platform's error code.
        code: String,
        /// The platform's message, clipped.
        message: String,
    },
    /// The answer could not be understood.
    #[error("the platform's answer is malformed: {0}")]
    Malformed(String),
    /// The platform already shows the order shipped with this very number:
    /// the write-back is acknowledged.
    #[error("the platform already has the order shipped with this number")]
    AlreadyShipped,
    /// The configuration or the shipment is unusable (nothing was sent).
    #[error("bad write-back configuration: {0}")]
    Config(String),
    /// The environment variable meant to hold a secret is unset or empty.
    #[error("the secret variable {var} is unset or empty")]
    SecretUnset {
        /// The variable's name.
        var: String,
    },
}

impl WritebackError {
    /// Whether asking again may succeed: timeouts, connect errors, HTTP 5xx
    /// and 429, busy platforms. Refusals, bad answers and configuration
    /// errors wait for a person ([`Outbox::retry_now`]).
    pub fn retryable(&self) -> bool {
        match self {
            Self::Timeout | Self::Connect(_) | Self::Busy { .. } => true,
            Self::HttpStatus(code) => *code >= 500 || *code == 429,
            _ => false,
        }
    }

    /// Whether this "error" means the platform has the shipment: true only
    /// for [`WritebackError::AlreadyShipped`].
    pub fn acknowledged(&self) -> bool {
        matches!(self, Self::AlreadyShipped)
    }

    /// A one-word kind for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Connect(_) => "connect",
            Self::HttpStatus(_) => "http_status",
            Self::Refused { .. } => "refused",
            Self::Busy { .. } => "busy",
            Self::Malformed(_) => "malformed",
            Self::AlreadyShipped => "already_shipped",
            Self::Config(_) => "config",
            Self::SecretUnset { .. } => "secret_unset",
        }
    }
}

impl From<CarrierError> for WritebackError {
    /// The shared HTTP layer speaks [`CarrierError`]; only its transport
    /// variants reach here.
    fn from(error: CarrierError) -> Self {
        match error {
            CarrierError::Timeout => Self::Timeout,
            CarrierError::Connect(why) => Self::Connect(why),
            CarrierError::HttpStatus(code) => Self::HttpStatus(code),
            CarrierError::Refused { code, message } => Self::Refused { code, message },
            CarrierError::Busy { code, message } => Self::Busy { code, message },
            CarrierError::Malformed(why) => Self::Malformed(why),
            CarrierError::BadTracking { len } => {
                Self::Malformed(format!("tracking number of {len} characters"))
            }
            CarrierError::BadRequest { reason } | CarrierError::Config(reason) => {
                Self::Config(reason)
            }
            CarrierError::SecretUnset { var } => Self::SecretUnset { var },
        }
    }
}

/// Checks what every platform needs before anything is sent: the shipment
/// is for `platform`, and the ids are non-empty ASCII letters, digits and
/// dashes of a sane length (they go into signed parameters and URLs).
pub(crate) fn check_shipment(s: &Shipment, platform: &str) -> Result<(), WritebackError> {
    if s.platform != platform {
        return Err(WritebackError::Config(format!(
            "a {} shipment given to the {platform} adapter",
            crate::carriers::clip(&s.platform)
        )));
    }
    let fine = |text: &str| {
        (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if !fine(&s.platform_order_id) {
        return Err(WritebackError::Config(
            "platform_order_id must be 1 to 64 ASCII letters, digits, - or _".into(),
        ));
    }
    if !fine(&s.tracking) {
        return Err(WritebackError::Config(
            "tracking must be 1 to 64 ASCII letters, digits, - or _".into(),
        ));
    }
    Ok(())
}

/// After a refusal, the read-back's verdict: the platform already holds
/// `ours` among `held` tracking numbers (acknowledged), or the refusal
/// stands. A transient read-back failure is returned as it is, so the
/// outbox tries again later instead of parking a shipment that may be fine.
pub(crate) fn settle_refusal(
    refusal: WritebackError,
    held: Result<Vec<String>, WritebackError>,
    ours: &str,
) -> WritebackError {
    match held {
        Ok(numbers) if numbers.iter().any(|n| n.trim() == ours) => WritebackError::AlreadyShipped,
        Ok(_) => refusal,
        Err(error) if error.retryable() => error,
        Err(_) => refusal,
    }
}
