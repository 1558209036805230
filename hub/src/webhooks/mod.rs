//! Webhooks (issue 17, item 5): the change feed ([`hub_core::feed`])
//! pushed to URLs an operator registers, so no shop has to poll.
//!
//! * **Registration** (`POST /api/v1/webhooks`, operator): an `http://`
//!   URL, an optional filter of event names ([`EVENTS`]; none means all),
//!   an optional secret (else one is made and shown once), an optional
//!   `max_attempts`. A hook gets the events committed after it was
//!   registered; none from before.
//! * **Requests**: one event per request, `POST` with the body
//!   `{"id", "event", "at_ms", "data"}` ([`hub_core::feed::event_json`]),
//!   `Content-Type: application/json`, `X-Wms-Event-Id: ID` and
//!   `X-Wms-Signature: sha256=HEX`, the lower-case hex HMAC-SHA256 of the
//!   body's bytes under the secret's UTF-8 bytes ([`signature`]). Any 2xx
//!   answer delivers it; anything else (another status, no connection, no
//!   answer within [`send::TIMEOUT`]) is a failed attempt.
//! * **Order and retries**: each hook gets its events in feed order, one
//!   request at a time. A failed event is retried after 1 s, doubling to
//!   at most 5 min ([`state`]); the events after it wait. After
//!   `max_attempts` failed attempts (default [`DEFAULT_MAX_ATTEMPTS`],
//!   about 13 min of trying) it goes to the hook's dead-letter list and
//!   the next event is sent: one event a receiver keeps refusing does not
//!   hold back the rest forever, at the cost of order (the dead letter
//!   arrives after later events if an operator redelivers it).
//! * **At least once**: each hook's cursor (the feed id it has delivered
//!   through) is kept in the sled tree `webhooks` ([`store`]) and moves
//!   only after the receiver answered 2xx; a hub that crashes between the
//!   answer and the cursor reaching the disk sends that event again after
//!   its restart. Receivers dedupe by `X-Wms-Event-Id` (the feed id, never
//!   reused). A hook that falls more than the feed's kept window
//!   ([`crate::store::feed::FEED_KEEP`] events) behind skips what was
//!   dropped, with a warning in the log.
//! * **TLS**: ureq is built without TLS in this workspace, so `https://`
//!   is refused at registration; put a TLS-terminating proxy on the hub's
//!   side in front of an HTTPS receiver.
//!
//! Events never carry customer personal data ([`hub_core::feed`]); logs
//! name a hook by its id and host, never its secret or its full URL (a
//! query string may hold a receiver's token).

pub mod handle;
pub mod send;
pub mod state;
pub mod store;
pub mod worker;

use crate::store::StoreError;
use serde::{Deserialize, Serialize};

pub use handle::Webhooks;
pub use worker::run;

/// The event names a hook may filter on (those of [`hub_core::feed`]).
pub const EVENTS: [&str; 7] = [
    "stock",
    "order",
    "alert",
    "device",
    "dead_letter",
    "label_job",
    "task",
];

/// The longest URL taken.
pub const MAX_URL: usize = 2_048;
/// Hooks one hub keeps at the most.
pub const MAX_HOOKS: usize = 100;
/// Failed attempts before an event goes to the dead letters, by default.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 10;
/// The most attempts a hook may ask for.
pub const MOST_ATTEMPTS: u32 = 20;
/// A given secret's bounds, in bytes.
const SECRET_LEN: std::ops::RangeInclusive<usize> = 16..=256;

/// A registered hook, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    /// Its id.
    pub id: u64,
    /// Where events are posted.
    pub url: String,
    /// The event names it wants; empty for all.
    pub events: Vec<String>,
    /// The HMAC key (its UTF-8 bytes). Never listed, never logged.
    pub secret: String,
    /// Failed attempts before an event becomes a dead letter.
    pub max_attempts: u32,
    /// When it was registered, ms since the epoch.
    pub created_ms: u64,
}

impl Hook {
    /// Whether it wants events named `event`.
    pub fn wants(&self, event: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|e| e == event)
    }

    /// The URL's host (and port), for logs.
    pub fn host(&self) -> &str {
        let rest = self.url.split_once("://").map_or("", |(_, rest)| rest);
        rest.split(['/', '?', '#']).next().unwrap_or("")
    }
}

/// The body of `POST /api/v1/webhooks`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[schema(as = WebhookRegistration)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    /// `http://host[:port]/path[?query]`; no user or password.
    #[schema(
        max_length = 2048,
        pattern = r"^[Hh][Tt][Tt][Pp]://[A-Za-z0-9.-]+(:[0-9]{1,4})?(/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$"
    )]
    pub url: String,
    /// The event names to send; absent or empty: all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<FeedEventName>>)]
    pub events: Option<Vec<String>>,
    /// The HMAC key; absent: the hub makes one (`whsec_` and 64 hex
    /// digits).
    #[serde(default)]
    #[schema(min_length = 16, max_length = 256, pattern = "^[!-~]+$")]
    pub secret: Option<String>,
    /// Failed attempts before an event goes to the dead letters (10: about
    /// 13 min of trying); 1 to [`MOST_ATTEMPTS`].
    #[serde(default)]
    #[schema(minimum = 1, maximum = 20, default = 10)]
    pub max_attempts: Option<u32>,
}

/// Why a registration or a webhook call was refused.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The URL is not one the hub can post to.
    #[error("url: {0}")]
    BadUrl(String),
    /// An event name is not one of [`EVENTS`].
    #[error("events: {0:?} is not an event name (one of {EVENTS:?})")]
    BadEvent(String),
    /// The given secret is too short, too long or not printable.
    #[error("secret: 16 to 256 printable ASCII characters (or leave it out and one is made)")]
    BadSecret,
    /// `max_attempts` is out of range.
    #[error("max_attempts: 1 to {MOST_ATTEMPTS}, got {0}")]
    BadAttempts(u32),
    /// The hub keeps [`MAX_HOOKS`] already.
    #[error("this hub keeps at most {MAX_HOOKS} webhooks; delete one first")]
    TooMany,
    /// No such hook.
    #[error("no webhook {0}")]
    UnknownHook(u64),
    /// No such dead letter.
    #[error("webhook {hook} holds no dead letter for event {event}")]
    UnknownLetter {
        /// The hook.
        hook: u64,
        /// The feed id.
        event: u64,
    },
    /// The receiver did not take a redelivered event.
    #[error("the receiver did not take it: {0}")]
    Delivery(#[from] send::DeliveryError),
    /// No randomness for a secret.
    #[error("cannot make a secret: {0}")]
    Random(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Checks a hook's URL: `http://`, a host, no credentials, at most
/// [`MAX_URL`] bytes, nothing ureq would not send.
pub fn check_url(url: &str) -> Result<(), HookError> {
    let bad = |why: &str| Err(HookError::BadUrl(why.to_string()));
    if url.is_empty() || url.len() > MAX_URL {
        return bad(&format!("1 to {MAX_URL} characters"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("no spaces or control characters");
    }
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return bad("not a URL: send http://host[:port]/path");
    };
    match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http") => {}
        Some("https") => {
            return bad(
                "https:// is not taken: this hub is built without TLS; use http:// to a \
                 TLS-terminating proxy",
            )
        }
        _ => return bad("not a URL: send http://host[:port]/path"),
    }
    let Some(authority) = uri.authority() else {
        return bad("no host");
    };
    if authority.as_str().contains('@') {
        return bad("no user or password in the URL: receivers check X-Wms-Signature");
    }
    if authority.host().is_empty() {
        return bad("no host");
    }
    Ok(())
}

/// The hook a registration asks for (its id and time set by the store).
pub fn hook_of(r: Registration, now_ms: u64) -> Result<Hook, HookError> {
    check_url(&r.url)?;
    let mut events = r.events.unwrap_or_default();
    for e in &events {
        if !EVENTS.contains(&e.as_str()) {
            return Err(HookError::BadEvent(e.chars().take(40).collect()));
        }
    }
    events.sort();
    events.dedup();
    let max_attempts = r.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
    if !(1..=MOST_ATTEMPTS).contains(&max_attempts) {
        return Err(HookError::BadAttempts(max_attempts));
    }
    let secret = match r.secret {
        None => new_secret()?,
        Some(s) if SECRET_LEN.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) => s,
        Some(_) => return Err(HookError::BadSecret),
    };
    Ok(Hook {
        id: 0,
        url: r.url,
        events,
        secret,
        max_attempts,
        created_ms: now_ms,
    })
}

/// A fresh secret: 32 random bytes in hex, `whsec_` before them.
pub fn new_secret() -> Result<String, HookError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| HookError::Random(e.to_string()))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("whsec_{hex}"))
}

/// `X-Wms-Signature` of `body` under `secret`: `sha256=` and the
/// lower-case hex HMAC-SHA256.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mac = crate::writeback::sign::hmac_sha256_hex(secret.as_bytes(), body);
    format!("sha256={mac}")
}

/// A change-feed event name, as webhooks are registered for
/// ([`EVENTS`]), for the API's document.
pub struct FeedEventName;

impl utoipa::PartialSchema for FeedEventName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .enum_values(Some(EVENTS))
            .into()
    }
}

impl utoipa::ToSchema for FeedEventName {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("FeedEventName")
    }
}

#[cfg(test)]
mod tests;
