//! The one HTTP call both platforms need: a form POST answered by a JSON
//! body, with a whole-request timeout, mapped onto [`CarrierError`].
//!
//! ureq is built without TLS in this workspace, so the platform URL must
//! be plain `http://` (a local TLS-terminating proxy in front of the real
//! `https://` gateway, or the fake platform in tests).

use std::time::{Duration, Instant};

use super::CarrierError;

/// The largest answer read from a carrier; a waybill answer is a few KB
/// (Cainiao's print data is the big part).
const MAX_ANSWER: u64 = 1 << 20;

/// Posts forms to one platform URL.
pub(crate) struct FormPoster {
    agent: ureq::Agent,
    url: String,
}

impl std::fmt::Debug for FormPoster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormPoster")
            .field("url", &self.url)
            .finish()
    }
}

impl FormPoster {
    /// A poster for `url` that gives up on any request after `timeout`.
    pub(crate) fn new(url: &str, timeout: Duration) -> Self {
        Self {
            agent: agent(timeout),
            url: url.to_owned(),
        }
    }

    /// Posts `form` and returns the answer's body (any 2xx status).
    pub(crate) fn post(
        &self,
        carrier: &str,
        form: &[(&str, &str)],
    ) -> Result<String, CarrierError> {
        let started = Instant::now();
        let result = self.agent.post(&self.url).send_form(form.iter().copied());
        let mut response = result.map_err(map_error)?;
        let status = response.status().as_u16();
        tracing::debug!(
            carrier,
            status,
            elapsed_ms = elapsed_ms(started),
            "carrier answered"
        );
        if !(200..300).contains(&status) {
            return Err(CarrierError::HttpStatus(status));
        }
        response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_string()
            .map_err(map_error)
    }
}

/// The client every platform call uses: one whole-request timeout, an
/// error status is an answer to read, no redirects.
pub(crate) fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

/// Milliseconds since `started`, for the logs.
pub(crate) fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// ureq's error as ours: what may be transient is Timeout or Connect.
pub(crate) fn map_error(error: ureq::Error) -> CarrierError {
    use std::io::ErrorKind;
    match error {
        ureq::Error::Timeout(_) => CarrierError::Timeout,
        ureq::Error::Io(io) if matches!(io.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => {
            CarrierError::Timeout
        }
        ureq::Error::StatusCode(code) => CarrierError::HttpStatus(code),
        ureq::Error::BodyExceedsLimit(limit) => {
            CarrierError::Malformed(format!("answer longer than {limit} bytes"))
        }
        ureq::Error::Protocol(e) => CarrierError::Malformed(format!("bad HTTP: {e}")),
        ureq::Error::BadUri(uri) => CarrierError::Config(format!("bad carrier URL {uri}")),
        other => CarrierError::Connect(other.to_string()),
    }
}
