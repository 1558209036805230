//! Request bodies in JSON, one rule for every route: `Content-Type:
//! application/json` (an optional `charset=utf-8` and nothing else, or
//! 415), a body no larger than the limit (413), sent in time (408), and a
//! document whose every field, at every level, is one the route knows
//! (400 naming the first unknown one). A lenient parser somewhere would let
//! a client's typo (`"qty"` for `"quantity"`) silently change what it asked.

use super::ApiError;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use bytes::Bytes;
use serde::de::DeserializeOwned;

/// A JSON body parsed by the strict rules; rejections are [`ApiError`]s.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        check_content_type(req.headers())?;
        let body = Bytes::from_request(req, state).await.map_err(body_error)?;
        parse_strict(&body).map(ApiJson)
    }
}

/// `application/json`, optionally `; charset=utf-8` (any case, any
/// spacing, the value optionally quoted): JSON is UTF-8 (RFC 8259), so any
/// other charset, or any other type, is refused rather than guessed at.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let refuse = |what: &str| {
        Err(ApiError::UnsupportedMediaType(format!(
            "{what}: send Content-Type: application/json (charset=utf-8 at most)"
        )))
    };
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return refuse("exactly one Content-Type is needed");
    };
    let Ok(value) = value.to_str() else {
        return refuse("the Content-Type is not text");
    };
    let mut parts = value.split(';');
    let mime = parts.next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return refuse(&format!("Content-Type {value:?} is not JSON"));
    }
    for param in parts {
        let (name, val) = param.split_once('=').unwrap_or((param, ""));
        let val = val.trim();
        let val = val
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(val);
        if !name.trim().eq_ignore_ascii_case("charset") || !val.eq_ignore_ascii_case("utf-8") {
            return refuse(&format!("Content-Type parameter {:?}", param.trim()));
        }
    }
    Ok(())
}

/// Parses `body` as one JSON document into `T`, refusing unknown fields
/// wherever they are (serde's `deny_unknown_fields` covers only the types
/// that say so; this covers every nested one too).
pub fn parse_strict<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut unknown: Option<String> = None;
    let value = serde_ignored::deserialize(&mut de, |path| {
        unknown.get_or_insert_with(|| path.to_string());
    })
    .map_err(json_error)?;
    de.end().map_err(json_error)?;
    match unknown {
        None => Ok(value),
        Some(path) => Err(ApiError::BadRequest {
            code: "invalid_body",
            message: format!("unknown field `{path}`"),
        }),
    }
}

fn json_error(e: serde_json::Error) -> ApiError {
    let code = match e.classify() {
        serde_json::error::Category::Data => "invalid_body",
        _ => "malformed_json",
    };
    ApiError::BadRequest {
        code,
        message: format!("the body is not the JSON this route takes: {e}"),
    }
}

/// A body that could not be read: too large (413), too slow (408), or cut.
pub fn body_error(rejection: BytesRejection) -> ApiError {
    let status = rejection.status();
    let message = rejection.body_text();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::Refused {
            status,
            code: "payload_too_large",
            message,
        };
    }
    if super::framing::is_body_timeout(&rejection) {
        return ApiError::Refused {
            status: StatusCode::REQUEST_TIMEOUT,
            code: "body_timeout",
            message: "the request body did not arrive in time".into(),
        };
    }
    ApiError::BadRequest {
        code: "bad_body",
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Line {
        sku: String,
        quantity: i64,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        lines: Vec<Line>,
    }

    #[test]
    fn unknown_fields_are_refused_at_every_level() {
        let ok = br#"{"lines":[{"sku":"A","quantity":5}]}"#;
        assert!(parse_strict::<Body>(ok).is_ok());
        let nested = br#"{"lines":[{"sku":"A","quantity":5,"qty":1}]}"#;
        let err = parse_strict::<Body>(nested).unwrap_err().to_string();
        assert!(err.contains("qty"), "{err}");
        let top = br#"{"lines":[],"x":1}"#;
        assert!(parse_strict::<Body>(top).is_err());
        let trailing = br#"{"lines":[]} {}"#;
        assert!(parse_strict::<Body>(trailing).is_err());
    }

    #[test]
    fn only_json_in_utf8_is_taken() {
        let check = |value: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(v) = value {
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
            }
            check_content_type(&headers).is_ok()
        };
        for good in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=\"UTF-8\"",
        ] {
            assert!(check(Some(good)), "{good}");
        }
        for bad in [
            "application/json; charset=utf-16",
            "application/evil+json",
            "text/json",
            "application/json; boundary=x",
            "application/json; charset=utf-8; x=y",
            "application/jsonx",
        ] {
            assert!(!check(Some(bad)), "{bad}");
        }
        assert!(!check(None));
    }
}
