//! A pseudo-terminal pair in raw mode, standing in for the serial line
//! between a handheld and its barcode engine: the simulated engine holds
//! the master side, the agent opens the slave (`/dev/pts/N`) as if it were
//! `/dev/ttyS1`, through the same tokio-serial code a real port goes
//! through. A symlink at a fixed path lets the agent find the engine again
//! after a simulated disconnect gives it a new pty.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The master side of a pseudo-terminal and the path of its slave.
#[derive(Debug)]
pub struct Pty {
    master: File,
    slave: PathBuf,
}

impl Pty {
    /// Opens a new pseudo-terminal, unlocked and in raw mode (no echo, no
    /// line editing, no CR/LF translation: bytes pass as they are).
    pub fn open() -> io::Result<Pty> {
        // SAFETY: posix_openpt returns a new descriptor or -1; it is owned
        // by the OwnedFd at once, so every error path below closes it.
        let fd = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor that nothing else owns.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: plain libc calls on a valid descriptor we own.
        unsafe {
            check(libc::grantpt(fd))?;
            check(libc::unlockpt(fd))?;
        }
        let slave = slave_name(fd)?;
        set_raw(fd)?;
        Ok(Pty {
            master: File::from(owned),
            slave,
        })
    }

    /// The slave's path, e.g. `/dev/pts/5`.
    pub fn slave_path(&self) -> &Path {
        &self.slave
    }

    /// The master side, to read the host's commands and write reads.
    pub fn master(&self) -> &File {
        &self.master
    }

    /// Waits up to `timeout` for the master to become readable. Returns
    /// `Ok(false)` on timeout and when no host has the slave open (the
    /// kernel then reports a hang-up, and reading would fail).
    pub fn wait_readable(&self, timeout: Duration) -> io::Result<bool> {
        let mut pfd = libc::pollfd {
            fd: self.master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(timeout.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: one valid pollfd, count 1.
        let n = unsafe { libc::poll(&mut pfd, 1, ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(e)
            };
        }
        if pfd.revents & libc::POLLIN != 0 {
            return Ok(true);
        }
        if pfd.revents & libc::POLLHUP != 0 {
            // No slave open: poll returns at once, so pace the caller.
            std::thread::sleep(timeout.min(Duration::from_millis(20)));
        }
        Ok(false)
    }
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn slave_name(fd: libc::c_int) -> io::Result<PathBuf> {
    let mut buf = [0 as libc::c_char; 128];
    // SAFETY: the buffer and its length are passed together.
    check(unsafe { libc::ptsname_r(fd, buf.as_mut_ptr(), buf.len()) })?;
    // SAFETY: ptsname_r wrote a NUL-terminated string into `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    Ok(PathBuf::from(name.to_string_lossy().into_owned()))
}

fn set_raw(fd: libc::c_int) -> io::Result<()> {
    // SAFETY: termios is plain data; tcgetattr fills it before use.
    unsafe {
        let mut termios = std::mem::zeroed::<libc::termios>();
        check(libc::tcgetattr(fd, &mut termios))?;
        libc::cfmakeraw(&mut termios);
        check(libc::tcsetattr(fd, libc::TCSANOW, &termios))
    }
}

/// Points the symlink `link` at `target`, replacing whatever is there
/// atomically (a new link under a temporary name, then a rename).
pub fn point_link(link: &Path, target: &Path) -> io::Result<()> {
    let mut tmp = link.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    std::fs::rename(&tmp, link)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn bytes_cross_the_pair_unchanged() {
        let pty = Pty::open().expect("pty");
        assert!(pty.slave_path().starts_with("/dev/pts"));
        let mut slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(pty.slave_path())
            .expect("open slave");
        let mut master = pty.master();
        master.write_all(b"]C1\x1d01\r\n").expect("write");
        let mut buf = [0u8; 7];
        slave.read_exact(&mut buf).expect("read");
        assert_eq!(&buf, b"]C1\x1d01\r", "raw: no CR/LF translation");
        slave.write_all(b"\x16T\r").expect("write back");
        assert!(pty.wait_readable(Duration::from_secs(5)).expect("poll"));
        let mut back = [0u8; 3];
        master.read_exact(&mut back).expect("read back");
        assert_eq!(&back, b"\x16T\r");
    }

    #[test]
    fn the_link_follows_the_latest_pty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let link = dir.path().join("scanner");
        point_link(&link, Path::new("/dev/pts/1")).expect("first");
        point_link(&link, Path::new("/dev/pts/2")).expect("second");
        assert_eq!(
            std::fs::read_link(&link).expect("read"),
            Path::new("/dev/pts/2")
        );
    }
}
