//! `POST /api/v1/intake/{platform}`: an order in a shop platform's own
//! shape (Taobao/Tmall, JD, Shopee; see [`crate::intake::platforms`]),
//! mapped by the platform's adapter and then taken in exactly as
//! `POST /api/v1/orders` takes ours: idempotent on the platform's order id
//! (201 new, 200 known), customer cleaned, sealed, answered masked.
//!
//! The body is read as raw bytes (the adapters read JSON field by field,
//! accepting fields the platforms add), bounded in size and time like
//! every body by [`super::framing`], and must be declared JSON. An unknown
//! platform is a 404; a payload missing a required field, a 400 naming it;
//! a shipped order, or a closed or cancelled one this hub does not know, a
//! 422. A closed or cancelled order it knows (the buyer never paid, or
//! cancelled) is cancelled here too and answered 200: its stock returns to
//! the pool at once, not at the end of its hold.

use super::openapi::schema;
use super::{ApiError, AppState};
use crate::intake::platforms::{self, Platform, PlatformError};
use crate::writer::orders::OrderCommand;
use crate::writer::Command;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/intake/{platform}", post(intake))
}

/// Take an order in, in a shop platform's own shape
///
/// Role: integrator. `taobao` (Taobao and Tmall, `taobao.trade.fullinfo.get`),
/// `jd` (JOS `jingdong.pop.order.get`), `shopee` (Open Platform v2
/// `get_order_detail`): the whole response or just the order, decrypted. Mapped
/// onto an `OrderBody` and taken in exactly as `POST /api/v1/orders` (201 new,
/// 200 known). Fields the platform adds are ignored; a missing required field
/// is a 400 `invalid_body` naming its path; a closed or cancelled order this
/// hub knows (the buyer never paid, or cancelled) is cancelled here too and
/// answered 200, its stock released at once; a shipped order, or a closed one
/// it does not know, is a 422 `not_fulfillable`; an unknown platform is a 404
/// `unknown_platform`. Samples: `tests/fixtures/platforms/`.
#[utoipa::path(
    post,
    path = "/api/v1/intake/{platform}",
    operation_id = "intakePlatformOrder",
    tag = "orders",
    params(
        ("platform" = inline(schema::PlatformParam), Path),
    ),
    request_body(content = inline(schema::IntakePlatformOrderBody), content_type = "application/json"),
    responses(
        (status = 200, description = "Known already: the order as it is.", body = schema::Order, content_type = "application/json"),
        (status = 201, description = "Taken in.", body = schema::Order, content_type = "application/json"),
        (status = 400, response = schema::BadRequest),
        (status = 401, response = schema::Unauthorized),
        (status = 403, response = schema::Forbidden),
        (status = 404, response = schema::NotFound),
        (status = 408, response = schema::BodyTimeout),
        (status = 413, response = schema::PayloadTooLarge),
        (status = 415, response = schema::UnsupportedMediaType),
        (status = 422, response = schema::Unprocessable),
        (status = 503, response = schema::Unavailable),
    ),
    extensions(("x-role" = json!("integrator"))),
)]
async fn intake(
    State(state): State<AppState>,
    Path(word): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let platform = Platform::parse(&word).ok_or_else(|| unknown(&word))?;
    super::json::check_content_type(&headers)?;
    let body = body.map_err(super::json::body_error)?;
    match platforms::convert(platform, &body) {
        Ok(mapped) => super::orders::place_body(&state, mapped).await,
        Err(PlatformError::NotFulfillable {
            order_id,
            status,
            closed: true,
            ..
        }) => closed_on_platform(&state, platform, order_id, status).await,
        Err(e) => {
            tracing::debug!(platform = platform.as_str(), error = %e, "platform order refused");
            Err(refused(e))
        }
    }
}

/// A closed or cancelled platform order: a known one is cancelled here too
/// (200, its stock released at once); an unknown one is not taken in (422).
async fn closed_on_platform(
    state: &AppState,
    platform: Platform,
    platform_order_id: String,
    status: String,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (p, id, s) = (
        platform.as_str().to_string(),
        platform_order_id.clone(),
        status.clone(),
    );
    let known = state
        .call(|reply| {
            Command::Order(OrderCommand::PlatformClosed {
                platform: p,
                platform_order_id: id,
                status: s,
                reply,
            })
        })
        .await?;
    match known {
        Some(order) => Ok((StatusCode::OK, Json(super::orders::view(&order)))),
        None => Err(refused(PlatformError::NotFulfillable {
            platform: platform.as_str(),
            status,
            why: "closed or cancelled",
            order_id: platform_order_id,
            closed: true,
        })),
    }
}

/// 404 for a platform without an adapter; the word is echoed only when it
/// is a short lower-case name.
fn unknown(word: &str) -> ApiError {
    let known: Vec<&str> = Platform::ALL.iter().map(|p| p.as_str()).collect();
    let plain = word.len() <= 32
        && word
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    let named = if plain {
        format!("{word:?}")
    } else {
        "in the path".to_string()
    };
    ApiError::NotFound {
        code: "unknown_platform",
        message: format!(
            "no adapter for the platform {named}; one of {}",
            known.join(", ")
        ),
    }
}

fn refused(e: PlatformError) -> ApiError {
    let message = e.to_string();
    match e {
        PlatformError::NotJson(_) => ApiError::BadRequest {
            code: "malformed_json",
            message,
        },
        PlatformError::NotFulfillable { .. } => ApiError::Unprocessable {
            code: "not_fulfillable",
            message,
            details: None,
        },
        PlatformError::Missing(_) | PlatformError::Invalid { .. } => ApiError::BadRequest {
            code: "invalid_body",
            message,
        },
    }
}
