//! The one error type of the HTTP API: every refusal is rendered as
//! `{"error":{"code","message", ...}}` with the right status, and request
//! bodies go through [`super::ApiJson`], so even malformed JSON gets that
//! shape.

use crate::errors::{PoolError, Shortfall};
use crate::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed or a value is out of range.
    #[error("{message}")]
    BadRequest {
        /// Machine-readable code.
        code: &'static str,
        /// Human-readable message.
        message: String,
    },
    /// 404: nothing at that address.
    #[error("{message}")]
    NotFound {
        /// Machine-readable code.
        code: &'static str,
        /// Human-readable message.
        message: String,
    },
    /// 409: the state of the pool does not allow it.
    #[error("{message}")]
    Conflict {
        /// Machine-readable code.
        code: &'static str,
        /// Human-readable message.
        message: String,
        /// Per line, for refused reservations.
        shortfall: Vec<Shortfall>,
    },
    /// 422: well-formed, but refers to something that cannot be used.
    #[error("{message}")]
    Unprocessable {
        /// Machine-readable code.
        code: &'static str,
        /// Human-readable message.
        message: String,
        /// Extra detail (e.g. the CSV lines in error).
        details: Option<Value>,
    },
    /// 401: no token, or one that is not live (answered with
    /// `WWW-Authenticate: Bearer`).
    #[error("{message}")]
    Unauthorized {
        /// `unauthorized` (no token) or `invalid_token`.
        code: &'static str,
        /// Human-readable message; never the token.
        message: String,
    },
    /// 403: a live token whose role is too weak for the route.
    #[error("{0}")]
    Forbidden(String),
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 503: the hub is stopping or could not commit.
    #[error("{0}")]
    Unavailable(String),
    /// Refused by the HTTP rules before any handler: too large (413), too
    /// slow (408), bad framing (400), wrong method (405), too many
    /// connections (503), ...
    #[error("{message}")]
    Refused {
        /// The status.
        status: StatusCode,
        /// Machine-readable code.
        code: &'static str,
        /// Human-readable message.
        message: String,
    },
    /// 500: the store failed.
    #[error("store failure: {0}")]
    Store(#[from] StoreError),
}

impl ApiError {
    /// A 400 with code `bad_request`.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code: "bad_request",
            message: message.into(),
        }
    }
}

impl From<crate::intake::IntakeError> for ApiError {
    fn from(e: crate::intake::IntakeError) -> ApiError {
        ApiError::invalid(e.0)
    }
}

impl From<PoolError> for ApiError {
    fn from(e: PoolError) -> ApiError {
        let message = e.to_string();
        match e {
            PoolError::Invalid(_) => ApiError::invalid(message),
            PoolError::UnknownSku(skus) => ApiError::Unprocessable {
                code: "unknown_sku",
                message,
                details: Some(json!({ "skus": skus })),
            },
            PoolError::Insufficient(shortfall) => ApiError::Conflict {
                code: "insufficient_stock",
                message,
                shortfall,
            },
            PoolError::BelowSafety(shortfall) => ApiError::Conflict {
                code: "below_safety_stock",
                message,
                shortfall,
            },
            PoolError::NotFound(_) => ApiError::NotFound {
                code: "unknown_reservation",
                message,
            },
            PoolError::WrongState { .. } => ApiError::Conflict {
                code: "reservation_state",
                message,
                shortfall: Vec::new(),
            },
            PoolError::OrderNotFound(_) => ApiError::NotFound {
                code: "unknown_order",
                message,
            },
            PoolError::AllocationNotFound(_) => ApiError::NotFound {
                code: "unknown_allocation",
                message,
            },
            PoolError::CustomerNotFound(_) => ApiError::NotFound {
                code: "unknown_customer",
                message,
            },
            PoolError::OrderWrongState { .. } => ApiError::Conflict {
                code: "order_state",
                message,
                shortfall: Vec::new(),
            },
            PoolError::AlertNotOpen(_) => ApiError::Conflict {
                code: "alert_not_open",
                message,
                shortfall: Vec::new(),
            },
            PoolError::IdempotencyMismatch(_) => ApiError::Unprocessable {
                code: "idempotency_key_reused",
                message,
                details: None,
            },
            PoolError::CommitFailed | PoolError::Unavailable | PoolError::OrderArchive(_) => {
                ApiError::Unavailable(message)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let challenge = match &self {
            ApiError::Unauthorized { code, .. } => Some(challenge(code)),
            _ => None,
        };
        let mut shortfall = Vec::new();
        let mut details = None;
        let (status, code) = match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::NotFound { code, .. } => (StatusCode::NOT_FOUND, code),
            ApiError::Conflict {
                code, shortfall: s, ..
            } => {
                shortfall = s;
                (StatusCode::CONFLICT, code)
            }
            ApiError::Unprocessable {
                code, details: d, ..
            } => {
                details = d;
                (StatusCode::UNPROCESSABLE_ENTITY, code)
            }
            ApiError::Unauthorized { code, .. } => (StatusCode::UNAUTHORIZED, code),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::Refused { status, code, .. } => (status, code),
            ApiError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "store_failure"),
        };
        let error = ErrorDetail {
            code,
            message,
            shortfall,
            details,
        };
        let mut response = (status, Json(ErrorBody { error })).into_response();
        if let Some(challenge) = challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

/// The body of every refusal (the document's `Error`).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(
    as = Error,
    example = json!({"error": {"code": "unknown_order", "message": "no order 7"}})
)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

/// What was refused, and why.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct ErrorDetail {
    /// Stable, machine-readable.
    code: &'static str,
    /// For people.
    message: String,
    /// Refused holds: per line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    shortfall: Vec<Shortfall>,
    /// Some 422s: what was wrong, in detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    details: Option<Value>,
}

/// The `WWW-Authenticate` of a 401 (RFC 6750): the scheme, and
/// `error="invalid_token"` when a token was sent but is not live.
fn challenge(code: &str) -> HeaderValue {
    if code == "invalid_token" {
        HeaderValue::from_static("Bearer realm=\"wms-hub\", error=\"invalid_token\"")
    } else {
        HeaderValue::from_static("Bearer realm=\"wms-hub\"")
    }
}

/// Parses an optional `limit` query value: 1..=1000, default 100.
pub fn limit(raw: Option<&String>) -> Result<usize, ApiError> {
    match raw {
        None => Ok(100),
        Some(raw) => match strict_u64(raw) {
            Some(n) if (1..=1000).contains(&n) => Ok(n as usize),
            _ => Err(ApiError::invalid(format!(
                "limit must be an integer from 1 to 1000, got {raw:?}"
            ))),
        },
    }
}

/// A stated reason, kept in the audit log: 1 to 200 characters once
/// trimmed; `refusal` says what needs it.
pub fn reason(raw: &str, refusal: &str) -> Result<String, ApiError> {
    let reason = raw.trim();
    if (1..=200).contains(&reason.chars().count()) {
        Ok(reason.to_string())
    } else {
        Err(ApiError::invalid(refusal))
    }
}

/// Parses a numeric id from a path segment.
pub fn id(raw: &str, what: &str) -> Result<u64, ApiError> {
    strict_u64(raw).ok_or_else(|| {
        ApiError::invalid(format!("{what} id must be a positive integer, got {raw:?}"))
    })
}

/// A whole number written the one canonical way: ASCII digits only, no
/// sign, no leading zero (`+1`, `0001` and ` 1` are not ids: a second
/// spelling of the same id would make caches and logs disagree).
pub fn strict_u64(raw: &str) -> Option<u64> {
    let canonical = !raw.is_empty()
        && raw.bytes().all(|b| b.is_ascii_digit())
        && (raw == "0" || !raw.starts_with('0'));
    if canonical {
        raw.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::strict_u64;

    #[test]
    fn numbers_have_one_spelling() {
        assert_eq!(strict_u64("1"), Some(1));
        assert_eq!(strict_u64("0"), Some(0));
        assert_eq!(strict_u64("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "+1",
            "0001",
            "01",
            "-1",
            " 1",
            "1 ",
            "",
            "1e3",
            "18446744073709551616",
        ] {
            assert_eq!(strict_u64(bad), None, "{bad:?}");
        }
    }
}
