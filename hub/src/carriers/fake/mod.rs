//! A fake carrier platform on loopback: the test and demo double of SF's
//! and Cainiao's gateways, started by a test (or a demo hub) on
//! `127.0.0.1:0`.
//!
//! It checks the request's digest against its secret (a wrong secret is
//! refused the way the platform refuses it), issues one waybill per order
//! key and gives the same number back when asked again, and can be told to
//! misbehave for the next requests: answer 500, hang, lose the answer
//! after issuing (the "did my request arrive?" case), refuse with a code,
//! answer garbage, or hand out a given tracking number.
//!
//! One thread accepts; each connection gets its own thread, so a hanging
//! answer never blocks the next request. Dropping the fake stops it.

mod platform;

use crate::fakehttp::{hang, LoopbackServer, Request};
use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::TcpStream;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Which platform the fake plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// SF Express, EXP_RECE_CREATE_ORDER and EXP_RECE_SEARCH_ORDER_RESP.
    Sf,
    /// Cainiao link, TMS_WAYBILL_GET.
    Cainiao,
}

/// A misbehaviour for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer HTTP 500.
    Status500,
    /// Read the request, answer nothing until the client gives up.
    Hang,
    /// Issue the waybill as usual, then answer nothing (a lost answer).
    LoseAnswer,
    /// Refuse with this code and message (SF: a code starting with `A1`
    /// is a gateway code, any other a business `errorCode`).
    Refuse {
        /// The platform's error code.
        code: String,
        /// The platform's message.
        message: String,
    },
    /// Answer 200 with a body that is not JSON.
    Garbage,
    /// Answer success with this tracking number (not stored).
    Tracking(String),
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
    /// Order key to waybill number.
    issued: HashMap<String, String>,
    requests: u64,
    refuse_duplicates: bool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl FakePlatform {
    /// Starts a fake `shape` platform whose secret is `secret`.
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
        let server = LoopbackServer::start("fake-carrier", Arc::new(serve))?;
        Ok(Self { server, shared })
    }

    /// The gateway URL to configure the adapter with.
    pub fn url(&self) -> String {
        let path = match self.shared.shape {
            Shape::Sf => "/std/service",
            Shape::Cainiao => "/gateway/link.do",
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

    /// SF only: a repeated order key is refused with the duplicate-order
    /// code (and the waybill must be read with the search service).
    pub fn refuse_duplicates(&self, on: bool) {
        self.shared.state().refuse_duplicates = on;
    }

    /// Requests received so far (including faulted ones).
    pub fn requests(&self) -> u64 {
        self.shared.state().requests
    }

    /// Waybills issued so far (distinct order keys).
    pub fn issued(&self) -> usize {
        self.shared.state().issued.len()
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
        Some(Fault::Garbage) => (200, "<html>503 busy</html>".to_owned()),
        _ if request.method != "POST" => (400, r#"{"error":"POST only"}"#.to_owned()),
        other => {
            let mut state = shared.state();
            let refuse_duplicates = state.refuse_duplicates;
            let mut ctx = platform::Context {
                secret: &shared.secret,
                issued: &mut state.issued,
                refuse_duplicates,
            };
            platform::answer(shared.shape, &mut ctx, &request.body, other)
        }
    };
    if status == 0 {
        return hang(stop);
    }
    let _ = crate::fakehttp::write_response(stream, status, &body);
}
