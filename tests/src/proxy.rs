//! A TCP proxy between agents and the broker that the storm test steers:
//! cut every live connection, refuse new ones (a partition), or delay
//! every forwarded chunk. Plain threads and std sockets, loopback only.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Default)]
struct Controls {
    down: AtomicBool,
    delay_ms: AtomicU64,
    live: Mutex<Vec<TcpStream>>,
    cuts: AtomicU64,
}

/// A running proxy; it stops accepting when dropped.
pub struct Proxy {
    /// Where agents connect.
    pub port: u16,
    controls: Arc<Controls>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub fn start(upstream: SocketAddr) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        let controls = Arc::new(Controls::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (controls.clone(), stop.clone());
        thread::spawn(move || accept_loop(listener, upstream, c, s));
        Ok(Proxy {
            port,
            controls,
            stop,
        })
    }

    /// Closes every live connection (a Wi-Fi drop).
    pub fn cut_all(&self) {
        if let Ok(mut live) = self.controls.live.lock() {
            for s in live.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
        self.controls.cuts.fetch_add(1, Ordering::Relaxed);
    }

    /// While down, cuts everything and refuses new connections.
    pub fn set_down(&self, down: bool) {
        self.controls.down.store(down, Ordering::Relaxed);
        if down {
            self.cut_all();
        }
    }

    /// Delays every forwarded chunk by `ms`.
    pub fn set_delay(&self, ms: u64) {
        self.controls.delay_ms.store(ms, Ordering::Relaxed);
    }

    /// How many times connections were cut.
    pub fn cuts(&self) -> u64 {
        self.controls.cuts.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.cut_all();
    }
}

fn accept_loop(
    listener: TcpListener,
    upstream: SocketAddr,
    c: Arc<Controls>,
    stop: Arc<AtomicBool>,
) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((client, _)) => {
                if c.down.load(Ordering::Relaxed) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let _ = client.set_nonblocking(false);
                let Ok(server) = TcpStream::connect(upstream) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                link(client, server, &c);
            }
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn link(client: TcpStream, server: TcpStream, c: &Arc<Controls>) {
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let pairs = [
        (client.try_clone(), server.try_clone()),
        (server.try_clone(), client.try_clone()),
    ];
    if let Ok(mut live) = c.live.lock() {
        live.push(client);
        live.push(server);
    }
    for pair in pairs {
        if let (Ok(from), Ok(to)) = pair {
            let c = c.clone();
            thread::spawn(move || pump(from, to, c));
        }
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, c: Arc<Controls>) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let delay = c.delay_ms.load(Ordering::Relaxed);
        if delay > 0 {
            thread::sleep(Duration::from_millis(delay));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}
