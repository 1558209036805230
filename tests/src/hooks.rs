//! A webhook receiver for tests and the benchmark: the hub's loopback
//! server ([`hub::fakehttp::LoopbackServer`]) recording every request it
//! gets (with the time it arrived) and answering each with the next
//! scripted status, or the default one. Also registering a hook.

use hub::fakehttp::{write_response, LoopbackServer, Request, Serve};
use std::collections::VecDeque;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// When it arrived (fully read).
    pub at: Instant,
    /// The request.
    pub method: String,
    /// `X-Wms-Event-Id`, parsed (0 if absent or not a number).
    pub event_id: u64,
    /// `X-Wms-Signature`.
    pub signature: String,
    /// `Content-Type`.
    pub content_type: String,
    /// The body.
    pub body: String,
    /// The status it was answered with.
    pub status: u16,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct Script {
    got: Mutex<Vec<Received>>,
    next: Mutex<VecDeque<u16>>,
    default: AtomicU16,
}

/// The receiver; dropping it stops it.
pub struct Receiver {
    server: LoopbackServer,
    script: Arc<Script>,
}

impl Receiver {
    /// Starts one that answers `default` (and `first` before that, one
    /// status a request).
    pub fn start(default: u16, first: &[u16]) -> Receiver {
        let script = Arc::new(Script::default());
        script.default.store(default, Ordering::SeqCst);
        script
            .next
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(first);
        let s = Arc::clone(&script);
        let serve: Arc<Serve> =
            Arc::new(move |stream: &mut TcpStream, r: Request, _: &AtomicBool| {
                let status = s
                    .next
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .pop_front()
                    .unwrap_or_else(|| s.default.load(Ordering::SeqCst));
                let received = received(r, status);
                s.got
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(received);
                let _ = write_response(stream, status, "{}");
            });
        let server = LoopbackServer::start("hook-receiver", serve).expect("start the receiver");
        Receiver { server, script }
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("http://{}/hook", self.server.addr())
    }

    /// Answers `status` from now on.
    pub fn answer(&self, status: u16) {
        self.script.default.store(status, Ordering::SeqCst);
    }

    /// Every request so far, in arrival order.
    pub fn got(&self) -> Vec<Received> {
        self.script
            .got
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits (at most `within`) for a request `pick` accepts; the first.
    pub fn wait_for(
        &self,
        what: &str,
        within: Duration,
        pick: impl Fn(&Received) -> bool,
    ) -> Received {
        crate::wait_until(what, within, || self.got().into_iter().find(|r| pick(r)))
            .unwrap_or_else(|e| panic!("{e}; the receiver got {:#?}", self.got()))
    }
}

fn received(r: Request, status: u16) -> Received {
    let header = |name: &str| r.header(name).unwrap_or_default().to_string();
    Received {
        at: Instant::now(),
        event_id: header("x-wms-event-id").parse().unwrap_or(0),
        signature: header("x-wms-signature"),
        content_type: header("content-type"),
        method: r.method.clone(),
        body: r.body,
        status,
    }
}

/// Registers a webhook at the hub on `addr` with `body` (the operator
/// token); panics unless it is a 201. Returns (id, secret).
pub fn register(addr: SocketAddr, body: &serde_json::Value) -> (u64, String) {
    let (status, made) = crate::feed::post(addr, "/api/v1/webhooks", &body.to_string());
    assert_eq!(status, 201, "registration refused: {made}");
    let id = made["id"].as_u64().expect("an id");
    let secret = made["secret"].as_str().expect("a secret").to_string();
    (id, secret)
}

/// Whether `r` is the stock event of `sku`.
pub fn is_stock_of(r: &Received, sku: &str) -> bool {
    let body = r.json();
    body["event"] == "stock" && body["data"]["sku"] == sku
}
