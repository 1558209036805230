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

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

struct Shared {
    shape: Shape,
    secret: String,
    stop: AtomicBool,
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
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            shape,
            secret: secret.to_owned(),
            stop: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        });
        let for_thread = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name("fake-carrier".into())
            .spawn(move || accept_loop(&listener, &for_thread))?;
        Ok(Self {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// The gateway URL to configure the adapter with.
    pub fn url(&self) -> String {
        let path = match self.shared.shape {
            Shape::Sf => "/std/service",
            Shape::Cainiao => "/gateway/link.do",
        };
        format!("http://{}{path}", self.addr)
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

impl Drop for FakePlatform {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let shared = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name("fake-carrier-conn".into())
            .spawn(move || serve(stream, &shared));
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "fake carrier: cannot start a connection thread");
        }
    }
}

/// One connection: read, pick the fault, answer (or not).
fn serve(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(request) = crate::fakehttp::read_request(&mut stream) else {
        return;
    };
    let fault = {
        let mut state = shared.state();
        state.requests += 1;
        state.faults.pop_front()
    };
    let (status, body) = match fault {
        Some(Fault::Hang) => return hang(shared),
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
        return hang(shared);
    }
    let _ = crate::fakehttp::write_response(&mut stream, status, &body);
}

/// Holds the connection open without answering until the fake stops
/// (or ten seconds pass), as a platform that hangs would.
fn hang(shared: &Shared) {
    let until = Instant::now() + Duration::from_secs(10);
    while !shared.stop.load(Ordering::SeqCst) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
}
