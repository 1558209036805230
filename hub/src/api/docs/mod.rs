//! `GET /api/docs`: the API reference for people, a page of our own that
//! renders the hub's OpenAPI document ([`super::openapi`]) in the
//! browser. Its three files are built into the binary; it is open to
//! anyone, like the document itself (neither holds data), and a
//! Content-Security-Policy keeps it to the hub's own origin. Not an API
//! route, so not in the document.

use super::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const PAGE: &str = include_str!("index.html");
const SCRIPT: &str = include_str!("docs.js");
const STYLE: &str = include_str!("docs.css");

/// Only the hub's own origin, no inline script or style.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                      connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
                      frame-ancestors 'none'";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/docs", get(|| serve(PAGE, "text/html; charset=utf-8")))
        .route(
            "/api/docs/docs.js",
            get(|| serve(SCRIPT, "text/javascript; charset=utf-8")),
        )
        .route(
            "/api/docs/docs.css",
            get(|| serve(STYLE, "text/css; charset=utf-8")),
        )
}

async fn serve(body: &'static str, kind: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
}
