//! E-waybill (shipping label number) adapters for the carriers' open
//! platforms.
//!
//! Before a packed order's label is printed, the hub asks the order's
//! carrier for a tracking number. Each platform has its own request shape
//! and signature, so each gets one adapter behind the [`Carrier`] trait:
//! [`sf`] (SF Express, EXP_RECE_CREATE_ORDER) and [`cainiao`] (Cainiao
//! link, TMS_WAYBILL_GET). [`config`] builds one from the configuration,
//! [`retry`] retries the failures worth retrying, and [`fake`] is a
//! loopback double of both platforms for tests and demos.
//!
//! Idempotency: asking twice for the same order must not buy two waybills.
//! Both platforms key a waybill by the caller's order key, so the adapters
//! send [`WaybillRequest::order_key`] (`WMS-{order_id}`, our id, not the
//! shop's, which one platform order split into two parcels would share) as
//! that key. A retry after a timeout whose request did arrive then gets the
//! number already issued, not a second waybill.
//!
//! The calls are blocking (the hub runs them in `spawn_blocking`). Customer
//! names, phones and addresses go to the carrier and nowhere else: never
//! into logs or errors.

pub mod cainiao;
pub mod config;
pub mod fake;
pub(crate) mod http;
pub mod retry;
pub mod sf;
pub(crate) mod sign;
#[cfg(test)]
mod tests;

pub use config::CarrierConfig;
pub use retry::{with_retries, RetryPolicy};

/// The longest tracking number accepted from a carrier.
pub const MAX_TRACKING_LEN: usize = 40;

/// One party of a shipment (the warehouse as sender, or the customer).
///
/// Personal data: never log it.
#[derive(Clone, PartialEq, Eq)]
pub struct Party {
    /// Contact name.
    pub name: String,
    /// Mobile or landline number.
    pub phone: String,
    /// Country or region code, `CN` for the mainland.
    pub country: String,
    /// Province (省).
    pub province: String,
    /// City (市).
    pub city: String,
    /// District or county (区/县).
    pub district: String,
    /// The rest of the address: street, building, room.
    pub street: String,
    /// Postal code, may be empty.
    pub postal_code: String,
}

impl std::fmt::Debug for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the coarse region: the rest is the customer's.
        f.debug_struct("Party")
            .field("province", &self.province)
            .field("city", &self.city)
            .finish_non_exhaustive()
    }
}

/// What the hub asks a carrier for: a waybill for one order's parcel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaybillRequest {
    /// The hub's order id; the idempotency key is made from it.
    pub order_id: u64,
    /// The shop platform's order id (kept for the hub's records and logs).
    pub order_ref: String,
    /// `"express"` or `"standard"`.
    pub service: String,
    /// The warehouse.
    pub sender: Party,
    /// The customer.
    pub recipient: Party,
    /// Number of items in the parcel (at least 1).
    pub items: u32,
}

impl WaybillRequest {
    /// The key both platforms deduplicate by: `WMS-{order_id}`.
    pub fn order_key(&self) -> String {
        format!("WMS-{}", self.order_id)
    }

    /// The service, or a [`CarrierError::BadRequest`] before anything is sent.
    pub fn service_kind(&self) -> Result<Service, CarrierError> {
        match self.service.as_str() {
            "express" => Ok(Service::Express),
            "standard" => Ok(Service::Standard),
            _ => Err(CarrierError::BadRequest {
                reason: "service must be \"express\" or \"standard\"".into(),
            }),
        }
    }

    /// Checks what every platform needs before the request leaves the hub.
    pub fn check(&self) -> Result<Service, CarrierError> {
        let service = self.service_kind()?;
        if self.items == 0 {
            return Err(CarrierError::BadRequest {
                reason: "a parcel holds at least one item".into(),
            });
        }
        for (who, party) in [("sender", &self.sender), ("recipient", &self.recipient)] {
            let fields = [&party.name, &party.phone, &party.province, &party.street];
            if fields.iter().any(|f| f.trim().is_empty()) {
                return Err(CarrierError::BadRequest {
                    reason: format!("{who} needs a name, phone, province and street"),
                });
            }
        }
        Ok(service)
    }
}

/// The service level of a parcel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Next-day class (SF 顺丰特快).
    Express,
    /// Economy class (SF 顺丰标快).
    Standard,
}

/// A waybill a carrier issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waybill {
    /// The adapter's [`Carrier::name`].
    pub carrier: String,
    /// The tracking number: 1 to 40 ASCII letters and digits.
    pub tracking: String,
}

impl Waybill {
    /// A waybill from a carrier's answer, refusing a tracking number that
    /// is empty, longer than [`MAX_TRACKING_LEN`] or not ASCII letters and
    /// digits (it goes onto a barcode and into file names).
    pub fn new(carrier: &str, tracking: &str) -> Result<Self, CarrierError> {
        let fine = (1..=MAX_TRACKING_LEN).contains(&tracking.len())
            && tracking.bytes().all(|b| b.is_ascii_alphanumeric());
        if !fine {
            return Err(CarrierError::BadTracking {
                len: tracking.chars().count(),
            });
        }
        Ok(Self {
            carrier: carrier.to_owned(),
            tracking: tracking.to_owned(),
        })
    }
}

/// A carrier's e-waybill service.
pub trait Carrier: Send + Sync {
    /// A short stable name (`"sf"`, `"cainiao"`), stored with the waybill.
    fn name(&self) -> &'static str;

    /// Asks the carrier for the order's waybill; blocking. Asking again for
    /// the same order gives the same number.
    fn request_waybill(&self, req: &WaybillRequest) -> Result<Waybill, CarrierError>;
}

/// Why no waybill came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarrierError {
    /// No answer within the configured time (the request may have arrived).
    #[error("the carrier did not answer in time")]
    Timeout,
    /// The carrier could not be reached.
    #[error("cannot reach the carrier: {0}")]
    Connect(String),
    /// The carrier answered with an HTTP error status.
    #[error("the carrier answered HTTP {0}")]
    HttpStatus(u16),
    /// The carrier said no: bad address, account or signature problem.
    #[error("the carrier refused: {code}: {message}")]
    Refused {
        /// The platform's error code.
        code: String,
        /// The platform's message.
        message: String,
    },
    /// The carrier said it is busy or failed inside; worth asking again.
    #[error("the carrier is busy: {code}: {message}")]
    Busy {
        /// The platform's error code.
        code: String,
        /// The platform's message.
        message: String,
    },
    /// The answer could not be understood.
    #[error("the carrier's answer is malformed: {0}")]
    Malformed(String),
    /// The tracking number is not 1 to 40 ASCII letters and digits.
    #[error("the carrier gave an unusable tracking number ({len} characters)")]
    BadTracking {
        /// Its length in characters.
        len: usize,
    },
    /// The request cannot be sent as it is (nothing was sent).
    #[error("bad waybill request: {reason}")]
    BadRequest {
        /// What is wrong.
        reason: String,
    },
    /// The carrier configuration is unusable.
    #[error("bad carrier configuration: {0}")]
    Config(String),
    /// The environment variable meant to hold the secret is unset or empty.
    #[error("the carrier secret variable {var} is unset or empty")]
    SecretUnset {
        /// The variable's name.
        var: String,
    },
}

impl CarrierError {
    /// Whether asking again may succeed: timeouts, connect errors, HTTP
    /// 5xx (and 429) and busy carriers. Refusals and bad answers are final.
    pub fn retryable(&self) -> bool {
        match self {
            Self::Timeout | Self::Connect(_) | Self::Busy { .. } => true,
            Self::HttpStatus(code) => *code >= 500 || *code == 429,
            _ => false,
        }
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
            Self::BadTracking { .. } => "bad_tracking",
            Self::BadRequest { .. } => "bad_request",
            Self::Config(_) => "config",
            Self::SecretUnset { .. } => "secret_unset",
        }
    }
}

/// A secret (check word, app secret) that never shows in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for signing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Whether a phone number looks like a mainland mobile (11 digits from 1),
/// which the platforms want in `mobile` rather than `tel`/`phone`.
pub(crate) fn is_mobile(phone: &str) -> bool {
    let digits = phone.trim().trim_start_matches("+86").trim();
    digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Clips a platform's message so a huge answer cannot flood a log or error.
pub(crate) fn clip(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}
