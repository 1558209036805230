//! One HTTP connection's stream as the server sees it: when bytes last
//! moved and how many requests are being handled ([`Activity`], for the
//! idle timeout), and hyper's own empty error answers sent with a JSON
//! body ([`super::parse_errors`]).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// When bytes last moved on a connection, and how many requests it is
/// handling now.
pub(super) struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    busy: AtomicUsize,
}

impl Activity {
    pub(super) fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    pub(super) fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once nothing moved for `idle` while no request was
    /// being handled.
    pub(super) async fn idle_for(&self, idle: Duration) {
        loop {
            let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let quiet = self.start.elapsed().saturating_sub(last);
            if quiet >= idle && self.busy.load(Ordering::Relaxed) == 0 {
                return;
            }
            let wait = idle.saturating_sub(quiet).max(idle / 8);
            tokio::time::sleep(wait).await;
        }
    }
}

/// Counts a request as being handled while it lives.
pub(super) struct Busy(Arc<Activity>);

impl Busy {
    pub(super) fn enter(activity: Arc<Activity>) -> Busy {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        Busy(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A TCP stream that records when bytes move, and sends hyper's own
/// empty error answers with a JSON body ([`super::parse_errors`]).
pub(super) struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
    /// A rewritten answer being sent: its bytes, how many are out, and
    /// the length of what hyper handed over.
    rewritten: Option<(Vec<u8>, usize, usize)>,
}

impl Watched {
    pub(super) fn new(inner: TcpStream, activity: Arc<Activity>) -> Watched {
        Watched {
            inner,
            activity,
            rewritten: None,
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.rewritten.is_none() {
            self.rewritten = super::parse_errors::with_json_body(buf).map(|b| (b, 0, buf.len()));
        }
        let this = &mut *self;
        if let Some((bytes, sent, claimed)) = &mut this.rewritten {
            // hyper calls again with the same bytes until told they left.
            while *sent < bytes.len() {
                match Pin::new(&mut this.inner).poll_write(cx, &bytes[*sent..]) {
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    Poll::Ready(Ok(n)) => *sent += n,
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
            let claimed = *claimed;
            this.rewritten = None;
            this.activity.touch();
            return Poll::Ready(Ok(claimed));
        }
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
