//! `GET /api/docs`: the API reference for people, a page of our own that
//! renders the hub's OpenAPI document ([`super::openapi`]) in the
//! browser. Its three files are built into the binary and served the way
//! the dashboard's are ([`crate::dashboard::asset_routes`]); it is open to
//! anyone, like the document itself (neither holds data), and its
//! Content-Security-Policy keeps it to the hub's own origin. Not an API
//! route, so not in the document.

use super::AppState;
use crate::dashboard::{asset_routes, Asset};
use axum::Router;

/// Only the hub's own origin, no inline script or style, no forms.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                      connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
                      frame-ancestors 'none'";

const ASSETS: &[Asset] = &[
    Asset {
        path: "/api/docs",
        content_type: "text/html; charset=utf-8",
        body: include_str!("index.html"),
    },
    Asset {
        path: "/api/docs/docs.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("docs.js"),
    },
    Asset {
        path: "/api/docs/docs.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("docs.css"),
    },
];

pub(super) fn routes() -> Router<AppState> {
    asset_routes(ASSETS, POLICY)
}
