//! A server-sent-events client for the hub's change stream
//! (`GET /api/v1/changes/stream`): reads the stream on a thread with the
//! shared HTTP client (ureq, which undoes the chunked framing), parses the
//! `id:`/`event:`/`data:` lines, and keeps every event with the instant it
//! arrived, so tests wait on what they need and benchmarks time it.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One event as received.
#[derive(Debug, Clone)]
pub struct SseEvent {
    /// Its `id:` (the feed id).
    pub id: u64,
    /// Its `event:` name.
    pub event: String,
    /// Its `data:`, parsed.
    pub data: serde_json::Value,
    /// When the client had read it whole.
    pub at: Instant,
}

/// A running stream reader.
pub struct SseClient {
    events: Arc<Mutex<Vec<SseEvent>>>,
    status: Arc<Mutex<Option<u16>>>,
}

impl SseClient {
    /// Opens the stream at `addr` with `token`, resuming after
    /// `last_event_id` if given; returns once the hub answered.
    pub fn open(addr: SocketAddr, token: &str, last_event_id: Option<u64>) -> SseClient {
        let events = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(Mutex::new(None));
        let (sink, seen_status) = (events.clone(), status.clone());
        let token = token.to_string();
        std::thread::spawn(move || {
            let config = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_connect(Some(Duration::from_secs(2)))
                .build();
            let agent = ureq::Agent::new_with_config(config);
            let mut request = agent
                .get(format!("http://{addr}/api/v1/changes/stream"))
                .header("Authorization", format!("Bearer {token}"));
            if let Some(id) = last_event_id {
                request = request.header("Last-Event-ID", id.to_string());
            }
            let answer = match request.call() {
                Ok(answer) => answer,
                Err(_) => {
                    *seen_status.lock().unwrap_or_else(|e| e.into_inner()) = Some(0);
                    return;
                }
            };
            *seen_status.lock().unwrap_or_else(|e| e.into_inner()) = Some(answer.status().as_u16());
            let reader = BufReader::new(answer.into_body().into_reader());
            read_events(reader, &sink);
        });
        let client = SseClient { events, status };
        crate::wait_until(
            "the change stream answered",
            Duration::from_secs(10),
            || *client.status.lock().unwrap_or_else(|e| e.into_inner()),
        )
        .expect("the change stream never answered");
        client
    }

    /// The HTTP status the stream was answered with (0: no answer).
    pub fn status(&self) -> u16 {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or(0)
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<SseEvent> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits up to `within` for an event `matches` accepts; returns it.
    pub fn wait_for(
        &self,
        what: &str,
        within: Duration,
        matches: impl Fn(&SseEvent) -> bool,
    ) -> Result<SseEvent, String> {
        crate::wait_until(what, within, || self.events().into_iter().find(&matches))
    }
}

fn read_events(reader: impl BufRead, sink: &Mutex<Vec<SseEvent>>) {
    let (mut id, mut event, mut data) = (None, String::new(), String::new());
    for line in reader.lines() {
        let Ok(line) = line else { return };
        if line.is_empty() {
            if let Some(id) = id.take() {
                let parsed = serde_json::from_str(&data).unwrap_or(serde_json::Value::Null);
                let e = SseEvent {
                    id,
                    event: std::mem::take(&mut event),
                    data: parsed,
                    at: Instant::now(),
                };
                sink.lock().unwrap_or_else(|e| e.into_inner()).push(e);
            }
            data.clear();
            continue;
        }
        if let Some(v) = line.strip_prefix("id:") {
            id = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
}
