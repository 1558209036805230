//! Serving the API over HTTP/1.1 with every connection bounded, so slow,
//! idle or too many clients cannot take the hub's descriptors, memory or
//! CPU: a cap on open connections (beyond it a short 503 and close), a
//! deadline for each request head (which is also the idle timeout of a
//! kept-alive connection), a deadline for each body ([`super::framing`]),
//! and an idle watchdog that closes a connection on which nothing moved
//! while no request was being handled (a client that stopped reading).
//!
//! The accept loop backs off when accepting fails (out of descriptors:
//! the pending connection stays queued, so retrying at once would spin)
//! and logs such failures through a [`LogGate`].

use super::conn::{Activity, Busy, Watched};
use crate::log_gate::{thousands, Gate, LogGate};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Connection limits of the HTTP server.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// Deadline for a whole request head (and for the next one to start).
    pub header_timeout: Duration,
    /// Longest time nothing may move while no request is handled.
    pub idle_timeout: Duration,
}

impl ConnLimits {
    /// The configured cap, lowered to a quarter of the open-file limit
    /// (at least 16), so HTTP clients can never take the descriptors the
    /// broker and the store need.
    pub fn new(configured: usize, fd_limit: u64, header: Duration, idle: Duration) -> ConnLimits {
        let share = usize::try_from(fd_limit / 4).unwrap_or(usize::MAX).max(16);
        ConnLimits {
            max_connections: configured.min(share),
            header_timeout: header,
            idle_timeout: idle,
        }
    }
}

/// Serves the API on `listener` with the configured limits until `cancel`.
pub async fn serve_api(
    listener: TcpListener,
    state: super::AppState,
    config: &crate::config::HubConfig,
    beat: crate::beat::Beat,
    cancel: CancellationToken,
) {
    let ms = Duration::from_millis;
    let rules = super::BodyRules {
        max_json: config.http_max_json_bytes,
        max_upload: config.erp_max_upload_bytes,
        timeout: ms(config.http_body_timeout_ms),
    };
    let limits = ConnLimits::new(
        config.http_max_connections,
        fd_limit(),
        ms(config.http_header_timeout_ms),
        ms(config.http_idle_timeout_ms),
    );
    let router = super::router_with(state, rules);
    serve(listener, router, limits, beat, cancel).await;
}

/// The HTTP listener, with a backlog for bursts: a flash sale opens
/// hundreds of connections at once, and the default backlog overflowed
/// into SYN cookies and reset connections. Raises the open-file limit
/// first (the hub's start: the broker's sockets need it as much).
pub fn listener(addr: std::net::SocketAddr) -> io::Result<TcpListener> {
    raise_fd_limit();
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

fn fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    limit.rlim_cur
}

/// Raises this process's soft open-file limit to its hard limit and
/// returns the soft limit in force afterwards (logged either way).
pub fn raise_fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only into the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        warn!(error = %io::Error::last_os_error(), "cannot read the open-file limit");
        return 1024;
    }
    let before = limit.rlim_cur;
    // An unlimited hard limit cannot be the soft one for descriptors.
    let target = limit.rlim_max.min(1 << 20);
    if target > before {
        let raised = libc::rlimit {
            rlim_cur: target,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit only reads the struct we pass.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            info!(from = before, to = target, "raised the open-file limit");
            return target;
        }
        warn!(error = %io::Error::last_os_error(), limit = before,
            "cannot raise the open-file limit; keeping it");
        return before;
    }
    info!(
        limit = before,
        "open-file limit (already at the system's maximum)"
    );
    before
}

/// Serves `router` on `listener` until `cancel`, then finishes the
/// requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    beat: crate::beat::Beat,
    cancel: CancellationToken,
) {
    info!(
        max_connections = limits.max_connections,
        header_timeout_ms = limits.header_timeout.as_millis() as u64,
        idle_timeout_ms = limits.idle_timeout.as_millis() as u64,
        "HTTP limits"
    );
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut failures = LogGate::new(Duration::from_secs(10));
    let mut refusals = LogGate::new(Duration::from_secs(10));
    let mut backoff = MIN_BACKOFF;
    // Round the loop at least once a second, idle or not, as a sign of
    // life (accept is cancel-safe).
    let mut alive = tokio::time::interval(Duration::from_secs(1));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        beat.now();
        // Forget the connections that ended (their results are nothing).
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            _ = alive.tick() => continue,
            accepted = listener.accept() => accepted,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => {
                backoff = MIN_BACKOFF;
                tcp
            }
            Err(e) => {
                log_gated(&mut failures, &format!("HTTP accept failed: {e}"));
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            refuse(&tcp);
            let line = format!(
                "HTTP connection refused: {} connections open (http_max_connections)",
                limits.max_connections
            );
            log_gated(&mut refusals, &line);
            continue;
        };
        let connection = serve_one(tcp, router.clone(), limits, &graceful);
        connections.spawn(async move {
            connection.await;
            drop(permit);
        });
    }
    drop(listener);
    // Requests in flight finish; a client that stopped reading must not
    // hold the hub's exit for a whole idle timeout.
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        warn!("HTTP connections still open after {SHUTDOWN_GRACE:?}; closing them");
    }
    // None outlives the server: a hub restarting in-process (to compact
    // its store) must not leave the last run's connections behind.
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

// Shorter than the task supervisor's stop grace, so the server aborts its own
// connections before anything aborts the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(7);

const MIN_BACKOFF: Duration = Duration::from_millis(5);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

fn log_gated(gate: &mut LogGate, line: &str) {
    match gate.offer(line, Instant::now()) {
        Gate::Quiet => {}
        Gate::Log { repeated, previous } => {
            if let Some((held, count)) = previous {
                warn!("{held} (repeated {} times)", thousands(count));
            }
            if repeated > 0 {
                warn!("{line} (repeated {} times)", thousands(repeated));
            } else {
                warn!("{line}");
            }
        }
    }
}

/// The answer past the connection cap: written without waiting (it fits
/// any socket buffer), then the connection is closed.
fn refuse(tcp: &TcpStream) {
    const BODY: &str = r#"{"error":{"code":"too_many_connections","message":"the hub has too many HTTP connections open; retry shortly"}}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
         Retry-After: 1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tcp.try_write(answer.as_bytes());
}

/// One connection: HTTP/1.1 with the head deadline, watched for idleness.
fn serve_one(
    tcp: TcpStream,
    router: Router,
    limits: ConnLimits,
    graceful: &GracefulShutdown,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    // Answers are small writes that must leave now: no Nagle delay.
    let _ = tcp.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched::new(tcp, activity.clone()));
    let busy = activity.clone();
    let service = hyper::service::service_fn(move |request| {
        let guard = Busy::enter(busy.clone());
        let mut router = router.clone();
        async move {
            let response = tower_service::Service::call(&mut router, request).await;
            drop(guard);
            response
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let connection = graceful.watch(builder.serve_connection(io, service));
    async move {
        tokio::select! {
            _ = connection => {}
            _ = activity.idle_for(limits.idle_timeout) => {}
        }
    }
}
