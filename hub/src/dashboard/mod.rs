//! The operator dashboard at `/`: one HTML page, its script and its style
//! sheet, written by hand (no framework) and built into the binary with
//! `include_str!`, so a hub with no Internet serves it whole and nothing
//! is ever fetched from a CDN.
//!
//! The assets hold no data, so [`routes`] is merged outside the API's auth
//! layer (`crate::api::router_with`); every number on the page comes from
//! the token-checked JSON API, called by the page with the bearer token
//! the operator types once (kept in `sessionStorage` for the session).
//! The page reads `GET /api/v1/whoami` to offer only what the role may do,
//! and follows `GET /api/v1/changes/stream` (server-sent events, read with
//! `fetch` because `EventSource` cannot send a header) to update in place;
//! while the hub has no stream it polls.
//!
//! Every answer carries a Content-Security-Policy that allows this origin
//! only: no outside script, style, image, font or connection, no inline
//! script, no framing.
//!
//! Not under `api/`: these are not API routes, and the OpenAPI document
//! (whose test scans `api/*.rs`) describes the API only.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

/// The policy on every dashboard answer: this origin only, nothing inline
/// but styles set from script (charts' sizes), no plugins, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

/// One file of a page built into the binary (the dashboard's, and the
/// API reference's in `api/docs`).
pub(crate) struct Asset {
    /// Where it is served.
    pub path: &'static str,
    /// Its media type.
    pub content_type: &'static str,
    /// Its content.
    pub body: &'static str,
}

/// Every file, at the path the page names it by.
const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: include_str!("assets/index.html"),
    },
    Asset {
        path: "/dashboard/style.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("assets/style.css"),
    },
    Asset {
        path: "/dashboard/sse.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/sse.js"),
    },
    Asset {
        path: "/dashboard/charts.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/charts.js"),
    },
    Asset {
        path: "/dashboard/panels.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/panels.js"),
    },
    Asset {
        path: "/dashboard/app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("assets/app.js"),
    },
];

/// The page and its files, open (they hold no data), for any router state.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    asset_routes(ASSETS, CONTENT_SECURITY_POLICY)
}

/// Routes serving `assets`, each answer under `policy`.
pub(crate) fn asset_routes<S: Clone + Send + Sync + 'static>(
    assets: &'static [Asset],
    policy: &'static str,
) -> Router<S> {
    assets.iter().fold(Router::new(), |router, asset| {
        router.route(asset.path, get(move || async move { serve(asset, policy) }))
    })
}

fn serve(asset: &'static Asset, policy: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            // A new hub build brings new files: never use a stale copy.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        asset.body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower_service::Service;

    async fn get_path(path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let mut router: Router = routes();
        let request = Request::get(path).body(Body::empty()).expect("request");
        let response = router.call(request).await.expect("infallible");
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.expect("body");
        let text = String::from_utf8(bytes.to_vec()).expect("utf-8");
        (parts.status, parts.headers, text)
    }

    #[tokio::test]
    async fn every_asset_is_served_with_its_type_and_the_policy() {
        for asset in ASSETS {
            let (status, headers, body) = get_path(asset.path).await;
            assert_eq!(status, StatusCode::OK, "{}", asset.path);
            assert_eq!(headers[header::CONTENT_TYPE], asset.content_type);
            assert_eq!(
                headers[header::CONTENT_SECURITY_POLICY],
                CONTENT_SECURITY_POLICY
            );
            assert_eq!(body, asset.body);
            assert!(!body.trim().is_empty(), "{} is empty", asset.path);
        }
        let (status, _, _) = get_path("/dashboard/missing.js").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    /// The page names only files served here, and no file names another
    /// origin (the policy would refuse it anyway: this catches it first).
    #[test]
    fn the_page_loads_only_its_own_files() {
        let page = ASSETS[0].body;
        let mut named = Vec::new();
        for attr in ["src=\"", "href=\""] {
            for (at, _) in page.match_indices(attr) {
                let rest = &page[at + attr.len()..];
                let end = rest.find('"').expect("closing quote");
                named.push(&rest[..end]);
            }
        }
        assert!(named.len() >= 5, "{named:?}");
        // `data:,` is the empty icon (no /favicon.ico request, which the
        // API would refuse without a token).
        for path in named.into_iter().filter(|p| *p != "data:,") {
            assert!(
                ASSETS.iter().any(|a| a.path == path),
                "index.html names {path}, which is not served"
            );
        }
        for asset in ASSETS {
            for outside in ["http://", "https://", "//cdn", "@import"] {
                assert!(
                    !asset.body.contains(outside),
                    "{} mentions {outside}",
                    asset.path
                );
            }
        }
        // Only the policy's own words allow nothing but this origin.
        assert!(!CONTENT_SECURITY_POLICY.contains('*'));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    }

    /// No asset may grow past what a reviewer can read (house rule).
    #[test]
    fn assets_stay_small() {
        for asset in ASSETS {
            let lines = asset.body.lines().count();
            assert!(lines <= 400, "{} has {lines} lines", asset.path);
        }
    }
}
