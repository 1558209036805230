//! Bearer tokens on every route (promise 12): which role each route needs,
//! and the layer that checks it before any handler (or body parser) runs.
//!
//! The rule, by route family (README.md has the table):
//! * `/healthz` is open: load balancers and supervisors ask it.
//! * every read (GET, HEAD), `/metrics` included, needs a viewer;
//! * holding and giving back stock (`POST /api/v1/reservations`,
//!   `DELETE /api/v1/reservations/{id}`) needs an integrator: a shop
//!   platform must be able to release the hold of an order it cancelled;
//! * every other change needs an operator, and so does any route added
//!   later that no one put in [`INTEGRATOR_WRITES`]: the default is the
//!   strongest role, never an open door.
//!
//! The layer wraps the fallback too, so an unknown path without a token is
//! a 401, not a map of which routes exist.

use super::{ApiError, AppState};
use crate::tokens::{Holder, Role};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::Response;

/// The changes an integrator may make: (method, route as registered).
pub const INTEGRATOR_WRITES: &[(Method, &str)] = &[
    (Method::POST, "/api/v1/reservations"),
    (Method::DELETE, "/api/v1/reservations/{id}"),
    (Method::POST, "/api/v1/orders"),
    (Method::POST, "/api/v1/orders/{id}/paid"),
    (Method::POST, "/api/v1/orders/{id}/payment-failed"),
    (Method::POST, "/api/v1/orders/{id}/cancel"),
    (Method::POST, "/api/v1/intake/{platform}"),
];

/// Reads that show personal data or the record of who read it, or where
/// the hub's data goes (the webhooks): operator only, with a stated
/// reason where it is personal data.
pub const OPERATOR_READS: &[&str] = &[
    "/api/v1/orders/{id}/customer",
    "/api/v1/audit",
    "/api/v1/labels/{file}",
    "/api/v1/webhooks",
    "/api/v1/webhooks/{id}/dead-letters",
];

/// The role a request needs; `None` for an open route. `route` is the
/// matched route template (`/api/v1/stock/{sku}`), `None` for a path no
/// route matched.
pub fn required_role(method: &Method, route: Option<&str>) -> Option<Role> {
    if route == Some("/healthz") {
        return None;
    }
    if method == Method::GET || method == Method::HEAD {
        if route.is_some_and(|r| OPERATOR_READS.contains(&r)) {
            return Some(Role::Operator);
        }
        return Some(Role::Viewer);
    }
    let integrator = INTEGRATOR_WRITES
        .iter()
        .any(|(m, r)| m == method && Some(*r) == route);
    Some(if integrator {
        Role::Integrator
    } else {
        Role::Operator
    })
}

/// The middleware: 401 without a live token, 403 with too weak a role.
/// The token's [`Holder`] goes into the request's extensions (handlers
/// that audit name it).
pub async fn check(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let Some(needed) = required_role(request.method(), route.as_deref()) else {
        return next.run(request).await;
    };
    match authorize(&state, &request, needed) {
        Ok(holder) => {
            request.extensions_mut().insert(holder);
            next.run(request).await
        }
        Err(refusal) => {
            tracing::debug!(method = %request.method(), path = %request.uri().path(),
                %refusal, "API request refused");
            axum::response::IntoResponse::into_response(refusal)
        }
    }
}

fn authorize(state: &AppState, request: &Request, needed: Role) -> Result<Holder, ApiError> {
    let token = bearer(request)?;
    let holder = state
        .tokens
        .current()
        .holder(token)
        .ok_or_else(|| ApiError::Unauthorized {
            code: "invalid_token",
            message: "unknown or revoked token".into(),
        })?;
    if holder.role < needed {
        return Err(ApiError::Forbidden(format!(
            "this needs the {needed} role; token {:?} is {}",
            holder.name, holder.role
        )));
    }
    Ok(holder)
}

/// The token of `Authorization: Bearer TOKEN` (scheme in any case).
fn bearer(request: &Request) -> Result<&str, ApiError> {
    let missing = || ApiError::Unauthorized {
        code: "unauthorized",
        message: "this needs a token: send Authorization: Bearer TOKEN".into(),
    };
    let value = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?;
    let malformed = || ApiError::Unauthorized {
        code: "invalid_token",
        message: "the Authorization header is not Bearer TOKEN".into(),
    };
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(malformed());
    }
    Ok(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_family_needs_its_role() {
        let (get, post, put, delete) = (Method::GET, Method::POST, Method::PUT, Method::DELETE);
        let v = Some(Role::Viewer);
        let i = Some(Role::Integrator);
        let o = Some(Role::Operator);
        let cases: &[(&Method, Option<&str>, Option<Role>)] = &[
            (&get, Some("/healthz"), None),
            (&post, Some("/healthz"), None),
            (&get, Some("/metrics"), v),
            (&get, Some("/api/v1/stock"), v),
            (&get, Some("/api/v1/stock/{sku}"), v),
            (&get, Some("/api/v1/availability/{sku}"), v),
            (&get, Some("/api/v1/devices"), v),
            (&get, Some("/api/v1/dead-letters"), v),
            (&Method::HEAD, Some("/api/v1/stock"), v),
            (&post, Some("/api/v1/reservations"), i),
            (&get, Some("/api/v1/reservations/{id}"), v),
            (&delete, Some("/api/v1/reservations/{id}"), i),
            (&post, Some("/api/v1/reservations/{id}/confirm"), o),
            (&get, Some("/api/v1/safety-stock"), v),
            (&put, Some("/api/v1/safety-stock/{sku}"), o),
            (&delete, Some("/api/v1/safety-stock/{sku}"), o),
            (&get, Some("/api/v1/alerts"), v),
            (&get, Some("/api/v1/discrepancies"), v),
            (&get, Some("/api/v1/count-tasks"), v),
            (&get, Some("/api/v1/pick-suggestions"), v),
            (&post, Some("/api/v1/reconciliations"), o),
            (&post, Some("/api/v1/intake/{platform}"), i),
            (&get, Some("/api/v1/reconciliations/{id}"), v),
            (&Method::PATCH, Some("/api/v1/stock"), o),
            (&get, Some("/api/v1/webhooks"), o),
            (&post, Some("/api/v1/webhooks"), o),
            (&delete, Some("/api/v1/webhooks/{id}"), o),
            (&get, Some("/api/v1/webhooks/{id}/dead-letters"), o),
            (&post, Some("/api/v1/some-future-route"), o),
            (&get, None, v),
            (&post, None, o),
        ];
        for (method, route, want) in cases {
            assert_eq!(required_role(method, *route), *want, "{method} {route:?}");
        }
    }
}
