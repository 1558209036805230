//! TCP_NODELAY for the embedded broker's connections.
//!
//! rumqttd 0.20 never sets TCP_NODELAY on the sockets it accepts. An ack is
//! a small write that follows another small write (the PUBACK of the
//! device's batch); with Nagle's algorithm on, the kernel holds it until the
//! device's delayed ACK arrives, about 40 ms later. Measured here: a bare
//! publish-to-ack round trip of 44 ms instead of about 1 ms.
//!
//! Linux copies TCP_NODELAY from a listening socket to every socket it
//! accepts, and the broker runs in our process, so we find its listening
//! socket among our own file descriptors and set the option there once.

use std::net::SocketAddr;

/// Sets TCP_NODELAY on this process's listening TCP socket bound to
/// `listen`. Returns whether such a socket was found (the broker binds on
/// its own thread, so callers retry until it is there).
#[cfg(target_os = "linux")]
pub fn set_on_listener(listen: SocketAddr) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return false;
    };
    for entry in entries.flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if is_listener_on(fd, listen) {
            let one: libc::c_int = 1;
            // SAFETY: setsockopt on a socket fd of this process, with a
            // pointer to a live c_int and its exact size.
            let rc = unsafe {
                libc::setsockopt(
                    fd,
                    libc::IPPROTO_TCP,
                    libc::TCP_NODELAY,
                    (&one as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
            return rc == 0;
        }
    }
    false
}

#[cfg(target_os = "linux")]
fn is_listener_on(fd: i32, listen: SocketAddr) -> bool {
    let mut listening: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `listening`; on a
    // non-socket fd it fails with ENOTSOCK and we skip the fd.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&mut listening as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    if rc != 0 || listening == 0 {
        return false;
    }
    local_addr(fd) == Some(listen)
}

#[cfg(target_os = "linux")]
fn local_addr(fd: i32) -> Option<SocketAddr> {
    // SAFETY: sockaddr_storage is plain data; getsockname fills at most
    // `len` bytes of it.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let rc = unsafe {
        libc::getsockname(
            fd,
            (&mut storage as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return None;
    }
    match storage.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says this storage holds a sockaddr_in.
            let a: libc::sockaddr_in =
                unsafe { *(&storage as *const libc::sockaddr_storage).cast() };
            let ip = std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::from((ip, u16::from_be(a.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says this storage holds a sockaddr_in6.
            let a: libc::sockaddr_in6 =
                unsafe { *(&storage as *const libc::sockaddr_storage).cast() };
            let ip = std::net::Ipv6Addr::from(a.sin6_addr.s6_addr);
            Some(SocketAddr::from((ip, u16::from_be(a.sin6_port))))
        }
        _ => None,
    }
}

/// Elsewhere the option is left alone (acks may then wait for Nagle).
#[cfg(not(target_os = "linux"))]
pub fn set_on_listener(_listen: SocketAddr) -> bool {
    true
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn finds_our_listener_and_accepted_sockets_inherit_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        assert!(set_on_listener(addr));
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(
            accepted.nodelay().unwrap(),
            "accepted socket inherits TCP_NODELAY"
        );
        assert!(!set_on_listener("127.0.0.1:1".parse().unwrap()));
    }
}
