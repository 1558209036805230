//! What the derives cannot say: the answers handlers still build as
//! `serde_json` values (or through views over hub-core's records) and the
//! parameters they parse by hand, described in JSON Schema per route
//! family; the error answers every operation shares; the change-feed
//! event names. Everything else in the document comes from the types.

mod common;
mod customers;
mod exceptions;
mod feed;
mod labels;
mod orders;
mod reports;
mod stock;
mod tasks;
mod webhooks;

pub(crate) use common::*;
pub(crate) use customers::*;
pub(crate) use exceptions::*;
pub(crate) use feed::*;
pub(crate) use labels::*;
pub(crate) use orders::*;
pub(crate) use reports::*;
pub(crate) use stock::*;
pub(crate) use tasks::*;
pub(crate) use webhooks::*;

use super::shared::error_response;
pub(super) use super::shared::json_schema;
pub(crate) use hub_core::openapi::Id;

/// A change-feed event name (defined beside the webhooks' list).
pub(crate) use crate::webhooks::FeedEventName;

error_response!(BadRequest, "Malformed request or a value out of range: `bad_request`, `invalid_body` (a field unknown, missing or of the wrong type), `malformed_json`, `bad_body`, `bad_framing`.");
error_response!(Unauthorized, "No token (`unauthorized`), or one that is unknown, revoked or not `Bearer TOKEN` (`invalid_token`); with `WWW-Authenticate: Bearer realm=\"wms-hub\"`.", header = "WWW-Authenticate");
error_response!(
    Forbidden,
    "The token's role is too weak (`forbidden`); the message names the role needed."
);
error_response!(NotFound, "Nothing at that address: `unknown_sku`, `unknown_reservation`, `unknown_order`, `unknown_allocation`, `unknown_customer`, `unknown_report`, `unknown_platform`, `no_safety_rule` (and `not_found` for a path no route matches).");
error_response!(
    MethodNotAllowed,
    "A method the path does not serve (`method_not_allowed`), with `Allow`.",
    header = "Allow"
);
error_response!(
    BodyTimeout,
    "The body did not arrive within `http_body_timeout_ms` (`body_timeout`)."
);
error_response!(Conflict, "The pool's state does not allow it: `insufficient_stock`, `below_safety_stock` (both with `shortfall`), `reservation_state`, `order_state`.");
error_response!(
    PayloadTooLarge,
    "The body is over the route's limit (`payload_too_large`)."
);
error_response!(UnsupportedMediaType, "The body is not declared `application/json` (charset utf-8 at most) (`unsupported_media_type`).");
error_response!(Unprocessable, "Well-formed, but names something that cannot be used: `unknown_sku` (`details.skus`), `idempotency_key_reused`, `not_fulfillable`, `bad_csv` (`details.lines`, `details.lines_in_error`).");
error_response!(Unavailable, "The hub is stopping, or the store could not commit and nothing was applied: retry (`unavailable`).");
error_response!(StoreFailure, "The store failed to read (`store_failure`).");
error_response!(BadGateway, "A service the hub called failed: `carrier_failed` (the carrier issued no waybill; the message names the order and what the carrier said).");
