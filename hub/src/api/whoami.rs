//! `GET /api/v1/whoami`: the role of the token that asks (any valid one).
//! The dashboard asks once after login so it does not offer what the role
//! may not do; the auth layer still decides every request on its own.

use super::AppState;
use crate::tokens::Holder;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/whoami", get(whoami))
}

/// The auth layer put the token's [`Holder`] in the request before this
/// runs (the route needs a viewer, so it always does).
async fn whoami(Extension(holder): Extension<Holder>) -> Json<Value> {
    Json(json!({ "role": holder.role.as_str() }))
}
