//! Request bodies in JSON, one rule for every route: `Content-Type:
//! application/json` (an optional `charset=utf-8` and nothing else, or
//! 415), a body no larger than the limit (413), sent in time (408), and a
//! document whose every field, at every level, is one the route knows
//! (400 naming the first unknown one). A lenient parser somewhere would let
//! a client's typo (`"qty"` for `"quantity"`) silently change what it asked.
//!
//! Two rules follow JSON Schema, the language of the OpenAPI document: a
//! body is an object (serde would also read a struct from an array of its
//! fields in order, which no schema here allows), and a whole number is an
//! integer however it is written (`2.0` and `2e0` are `2`; `2.5` is not).

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
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::BadRequest {
            code: "invalid_body",
            message: "the body is not the JSON this route takes: an object is needed, \
                      not an array"
                .into(),
        });
    }
    let body = whole_numbers_as_integers(body);
    let mut de = serde_json::Deserializer::from_slice(&body);
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

/// `body` with every number outside strings that is whole but written with
/// a fraction or an exponent (`3.0`, `-2.50e1`, `1E2`) written as an integer
/// instead, so a field of an integer type takes it as JSON Schema does.
/// Anything else, malformed numbers included, is left for the parser.
fn whole_numbers_as_integers(body: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let mut out: Option<Vec<u8>> = None;
    let (mut i, mut copied) = (0, 0);
    let mut in_string = false;
    while i < body.len() {
        let b = body[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if b == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if b != b'-' && !b.is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < body.len() && matches!(body[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
            i += 1;
        }
        let token = std::str::from_utf8(&body[start..i]).unwrap_or("");
        if let Some(integer) = whole_number(token) {
            let buf = out.get_or_insert_with(|| Vec::with_capacity(body.len()));
            buf.extend_from_slice(&body[copied..start]);
            buf.extend_from_slice(integer.as_bytes());
            copied = i;
        }
    }
    match out {
        None => std::borrow::Cow::Borrowed(body),
        Some(mut buf) => {
            buf.extend_from_slice(&body[copied..]);
            std::borrow::Cow::Owned(buf)
        }
    }
}

/// The integer spelling of a JSON number written with a fraction or an
/// exponent, if it is whole and has at most 20 digits; `None` otherwise
/// (already an integer, not whole, too large, or not a JSON number).
fn whole_number(token: &str) -> Option<String> {
    let (negative, rest) = match token.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (mantissa, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if frac.is_none() && exponent.is_none() {
        return None;
    }
    if !digits(int) || (int.len() > 1 && int.starts_with('0')) {
        return None;
    }
    if frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    let exp: i64 = match exponent {
        None => 0,
        Some(e) => {
            let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
            if !digits(unsigned) || unsigned.len() > 4 {
                return None;
            }
            e.parse().ok()?
        }
    };
    let frac = frac.unwrap_or("");
    let mut all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let mut exp = exp - frac.len() as i64;
    while exp < 0 && all.last() == Some(&b'0') {
        all.pop();
        exp += 1;
    }
    if exp < 0 {
        return None;
    }
    let first = all.iter().position(|&b| b != b'0').unwrap_or(all.len());
    let significant = &all[first..];
    if significant.is_empty() {
        return Some("0".into());
    }
    if significant.len() as i64 + exp > 20 {
        return None;
    }
    let mut text = String::with_capacity(significant.len() + exp as usize + 1);
    if negative {
        text.push('-');
    }
    text.extend(significant.iter().map(|&b| b as char));
    text.extend(std::iter::repeat_n('0', exp as usize));
    Some(text)
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
    fn whole_numbers_are_integers_however_written() {
        let parse = |text: &str| parse_strict::<Body>(text.as_bytes()).map(|b| b.lines[0].quantity);
        for (text, want) in [
            ("5", 5),
            ("5.0", 5),
            ("5.000", 5),
            ("-2.50e1", -25),
            ("1E2", 100),
            ("1e+2", 100),
            ("250e-1", 25),
            ("0.0", 0),
            ("-0.0", 0),
        ] {
            let body = format!(r#"{{"lines":[{{"sku":"A","quantity":{text}}}]}}"#);
            assert_eq!(parse(&body).ok(), Some(want), "{text}");
        }
        for text in ["5.5", "1e-1", "01.0", "1.", ".5", "1e99999", "1e30"] {
            let body = format!(r#"{{"lines":[{{"sku":"A","quantity":{text}}}]}}"#);
            assert!(parse(&body).is_err(), "{text}");
        }
        // Inside strings nothing changes.
        let body = br#"{"lines":[{"sku":"2.0","quantity":1}]}"#;
        assert_eq!(parse_strict::<Body>(body).unwrap().lines[0].sku, "2.0");
    }

    #[test]
    fn a_body_is_an_object_not_an_array_of_fields() {
        assert!(parse_strict::<Line>(br#"{"sku":"A","quantity":1}"#).is_ok());
        let err = parse_strict::<Line>(br#" ["A", 1]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("object"), "{err}");
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
