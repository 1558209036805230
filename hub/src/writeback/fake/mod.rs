//! A fake shop platform on loopback: the test and demo double of TOP's,
//! JOS's and Shopee's gateways, started on `127.0.0.1:0`.
//!
//! It checks each request's signature against its secret (a wrong secret
//! is refused the way the platform refuses it), records the confirmed
//! (order id, tracking) pairs, refuses a repeat as "already shipped" (and
//! answers the read-back with the number it holds), and can be told to
//! misbehave for the next requests: answer 500, hang, refuse with a code,
//! or answer garbage. The refusal codes it uses for "already shipped" and
//! a bad signature follow each module's notes; those not confirmed from
//! public material are marked so in [`platform`].
//!
//! One thread accepts; each connection gets its own thread, so a hanging
//! answer never blocks the next request. Dropping the fake stops it.

mod platform;

use crate::fakehttp::{hang, LoopbackServer, Request};
use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::TcpStream;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Which platform the fake plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Taobao/Tmall TOP.
    Taobao,
    /// JD JOS.
    Jd,
    /// Shopee Open Platform v2.
    Shopee,
}

/// A misbehaviour for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer HTTP 500.
    Status500,
    /// Read the request, answer nothing until the client gives up.
    Hang,
    /// Refuse the (well-signed) request with this code and message.
    Refuse {
        /// The platform's error code.
        code: String,
        /// The platform's message.
        message: String,
    },
    /// Answer 200 with a body that is not JSON.
    Garbage,
}

/// The fake platform. Dropping it stops the server.
pub struct FakePlatform {
    server: LoopbackServer,
    shared: Arc<Shared>,
}

struct Shared {
    shape: Shape,
    secret: String,
    state: Mutex<State>,
}

/// What the fake remembers.
#[derive(Default)]
struct State {
    faults: VecDeque<Fault>,
    /// Platform order id to the tracking number it shipped with.
    confirmed: BTreeMap<String, String>,
    requests: u64,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FakePlatform {
    /// Starts a fake `shape` platform whose secret (app secret, partner
    /// key) is `secret`.
    pub fn start(shape: Shape, secret: &str) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            shape,
            secret: secret.to_owned(),
            state: Mutex::new(State::default()),
        });
        let for_server = Arc::clone(&shared);
        let serve = move |stream: &mut TcpStream, request: Request, stop: &AtomicBool| {
            serve(stream, request, &for_server, stop)
        };
        let server = LoopbackServer::start("fake-platform", Arc::new(serve))?;
        Ok(Self { server, shared })
    }

    /// The URL to configure the adapter with (gateway for TOP and JOS, the
    /// host for Shopee).
    pub fn url(&self) -> String {
        let path = match self.shared.shape {
            Shape::Taobao => "/router/rest",
            Shape::Jd => "/routerjson",
            Shape::Shopee => "",
        };
        format!("http://{}{path}", self.server.addr())
    }

    /// Misbehaves with `fault` for the next `times` requests (after the
    /// faults already queued).
    pub fn push(&self, fault: Fault, times: usize) {
        let mut state = self.shared.state();
        state.faults.extend(std::iter::repeat_n(fault, times));
    }

    /// Answers the next `times` requests with HTTP 500.
    pub fn fail_next(&self, times: usize) {
        self.push(Fault::Status500, times);
    }

    /// Hangs on the next `times` requests.
    pub fn hang_next(&self, times: usize) {
        self.push(Fault::Hang, times);
    }

    /// Refuses the next request with `code` and `message`.
    pub fn refuse_next(&self, code: &str, message: &str) {
        let fault = Fault::Refuse {
            code: code.to_owned(),
            message: message.to_owned(),
        };
        self.push(fault, 1);
    }

    /// The (order id, tracking) pairs confirmed so far, by order id.
    pub fn confirmed(&self) -> Vec<(String, String)> {
        let state = self.shared.state();
        state
            .confirmed
            .iter()
            .map(|(order, tracking)| (order.clone(), tracking.clone()))
            .collect()
    }

    /// Requests received so far (including faulted ones).
    pub fn requests(&self) -> u64 {
        self.shared.state().requests
    }
}

/// One connection: read, pick the fault, answer (or not).
fn serve(stream: &mut TcpStream, request: Request, shared: &Shared, stop: &AtomicBool) {
    let fault = {
        let mut state = shared.state();
        state.requests += 1;
        state.faults.pop_front()
    };
    let (status, body) = match fault {
        Some(Fault::Hang) => return hang(stop),
        Some(Fault::Status500) => (500, r#"{"error":"internal"}"#.to_owned()),
        Some(Fault::Garbage) => (200, "<html>502 bad gateway</html>".to_owned()),
        other => {
            let mut state = shared.state();
            let mut ctx = platform::Context {
                secret: &shared.secret,
                confirmed: &mut state.confirmed,
                refuse: other,
            };
            platform::answer(shared.shape, &mut ctx, &request)
        }
    };
    let _ = crate::fakehttp::write_response(stream, status, &body);
}
