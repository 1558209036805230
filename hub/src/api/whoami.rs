//! `GET /api/v1/whoami`: the role of the token that asks (any valid one).
//! The dashboard asks once after login so it does not offer what the role
//! may not do; the auth layer still decides every request on its own.

use super::openapi::schema;
use super::AppState;
use crate::tokens::Holder;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::{json, Value};

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/whoami", get(whoami))
}

/// The role of the token that asks
///
/// Role: viewer (any valid token). The dashboard asks it once after login, so
/// it offers only what the role may do.
// The auth layer put the token's [`Holder`] in the request before this
// runs (the route needs a viewer, so it always does).
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    operation_id = "whoami",
    tag = "meta",
    responses(
        (status = 200, description = "The token's role.", body = inline(schema::WhoamiAnswer200), content_type = "application/json"),
        (status = 401, response = schema::Unauthorized),
    ),
    extensions(("x-role" = json!("viewer"))),
)]
async fn whoami(Extension(holder): Extension<Holder>) -> Json<Value> {
    Json(json!({ "role": holder.role.as_str() }))
}
