//! The HTTP rules every request meets before a handler runs, and the one
//! error shape every answer leaves with:
//! * a request body declares its length (`Content-Length`); one that
//!   comes with `Transfer-Encoding` (alone, or beside a `Content-Length`,
//!   the classic request-smuggling pair) is refused with 400;
//! * a declared length over the route's limit is answered 413 at once,
//!   before a byte of the body is read;
//! * the body must arrive within the body timeout (then 408), and can
//!   never grow past the limit whatever the client declared;
//! * any error answer not already in the JSON error format (axum's own
//!   405, a query it could not parse, ...) is rewritten into it.

use super::ApiError;
use axum::body::Body;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Size and time limits on request bodies.
#[derive(Debug, Clone, Copy)]
pub struct BodyRules {
    /// Largest body of any route but the upload.
    pub max_json: usize,
    /// Largest body of the ERP upload.
    pub max_upload: usize,
    /// How long the whole body may take.
    pub timeout: Duration,
}

impl Default for BodyRules {
    fn default() -> Self {
        BodyRules {
            max_json: 1 << 20,
            max_upload: 64 << 20,
            timeout: Duration::from_secs(30),
        }
    }
}

impl BodyRules {
    fn limit(&self, path: &str) -> usize {
        if path == super::reconciliations::UPLOAD_PATH {
            self.max_upload
        } else {
            self.max_json
        }
    }
}

/// The middleware: framing and size checks, then the body bounded in
/// size and time.
pub async fn check(State(rules): State<BodyRules>, request: Request, next: Next) -> Response {
    match bound(rules, request) {
        Ok(request) => next.run(request).await,
        Err(refusal) => refusal.into_response(),
    }
}

fn bound(rules: BodyRules, request: Request) -> Result<Request, ApiError> {
    let headers = request.headers();
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return Err(ApiError::Refused {
            status: StatusCode::BAD_REQUEST,
            code: "bad_framing",
            message: "Transfer-Encoding is not taken on requests: send the body with \
                      Content-Length alone"
                .into(),
        });
    }
    let limit = rules.limit(request.uri().path());
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(super::error::strict_u64);
    if let Some(declared) = declared.filter(|&n| n > limit as u64) {
        return Err(ApiError::Refused {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            message: format!(
                "the body declares {declared} bytes; this route takes at most {limit}"
            ),
        });
    }
    let (parts, body) = request.into_parts();
    let timed = Deadline {
        inner: body,
        sleep: Box::pin(tokio::time::sleep(rules.timeout)),
    };
    let body = Body::new(http_body_util::Limited::new(timed, limit));
    Ok(Request::from_parts(parts, body))
}

/// The error a body that did not arrive in time fails with.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub struct BodyTimeout;

/// Whether a body read failed because of the body timeout.
pub fn is_body_timeout(rejection: &BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(e) = source {
        if e.is::<BodyTimeout>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// A body that fails with [`BodyTimeout`] once its deadline passes.
struct Deadline {
    inner: Body,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match this.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTimeout)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Rewrites an error answer that is not JSON into `{"error":{"code",
/// "message"}}`, keeping its status and headers (a 405 keeps its `Allow`).
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 16 << 10)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let reason = status.canonical_reason().unwrap_or("error");
    let message = if text.is_empty() {
        reason.to_string()
    } else {
        text
    };
    let code = reason.to_ascii_lowercase().replace([' ', '-'], "_");
    let body = json!({"error": {"code": code, "message": message}}).to_string();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}
