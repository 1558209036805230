//! Times every HTTP request for `/metrics`
//! (`wms_http_request_duration_seconds`), labelled by method, route
//! template and status class. The route is axum's [`MatchedPath`] (the
//! template, `/api/v1/orders/{id}`, never the raw path) and a request no
//! route matched counts as "unmatched"; unusual methods count as "other":
//! whatever a client sends, the labels stay a small, fixed set.

use crate::metrics::{Metrics, RouteLabel};
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Instant;

/// The middleware: runs the request, then records how long the answer's
/// head took.
pub async fn observe(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = method_label(request.method());
    let response = next.run(request).await;
    let labels = RouteLabel {
        method,
        route,
        status: status_class(response.status().as_u16()),
    };
    let took = started.elapsed().as_secs_f64();
    metrics.http_seconds.get_or_create(&labels).observe(took);
    response
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stay_a_fixed_set() {
        let odd = Method::from_bytes(b"BREW").expect("a method");
        assert_eq!(method_label(&odd), "other");
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(status_class(204), "2xx");
        assert_eq!(status_class(404), "4xx");
        assert_eq!(status_class(999), "5xx");
    }
}
