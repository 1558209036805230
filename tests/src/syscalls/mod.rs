//! The sync audit: reads one process's `strace -f -y` log and
//! reports every confirmation written while some data file or directory
//! held changes not yet fsynced.
//!
//! Why it exists: a SIGKILL test cannot see a missing `fsync` (the page
//! cache survives a killed process), only a power cut can; the system calls
//! show it directly. Per traced process, the auditor keeps each data file
//! (anything under the process's data directory) written since its last
//! `fsync`/`fdatasync`, and each directory there whose entries changed
//! (create, rename, unlink, mkdir, link) since its last `fsync`. At every
//! confirmation ([`confirm`]) that set must be empty, or the confirmation is
//! a [`Violation`] naming the files.
//!
//! Timing under `-f`: a change counts from the moment its call starts; an
//! fsync clears only the changes whose calls had returned before the fsync
//! started, and only once it returned 0; a confirmation is judged when its
//! write starts. `sync_file_range` is not a sync (it persists neither the
//! file's size nor the drive's cache). Pure: text in, verdicts out.

pub mod confirm;
mod entries;
mod judge;
pub mod line;
mod report;
#[cfg(test)]
mod tests;

pub use confirm::{Confirmation, Kind};
use line::{decoration, Call, Event, Lines, Ret};
pub use report::{Audit, Unsynced, Violation};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The system calls to trace (`strace -e trace=...`); a `?` skips one the
/// architecture does not have.
pub const TRACED: &str = "write,pwrite64,writev,pwritev,?pwritev2,sendto,sendmsg,?sendmmsg,\
read,readv,recvfrom,recvmsg,fsync,fdatasync,sync,syncfs,sync_file_range,ftruncate,?truncate,\
fallocate,?open,openat,?creat,?rename,renameat,?renameat2,?unlink,unlinkat,?rmdir,?mkdir,\
mkdirat,?link,linkat,?symlink,symlinkat,copy_file_range,sendfile";

/// What the audited process owns: its data directory and what was in it
/// before it started.
#[derive(Debug, Clone)]
pub struct Scope {
    root: String,
    existing: BTreeSet<String>,
    cwd: Option<String>,
}

impl Scope {
    /// The data directory `root` (absolute, symlinks resolved, as strace's
    /// `-y` prints paths) holding `existing` (absolute paths) at the start.
    pub fn new(root: &str, existing: impl IntoIterator<Item = String>) -> Scope {
        Scope {
            root: root.trim_end_matches('/').to_string(),
            existing: existing.into_iter().collect(),
            cwd: None,
        }
    }

    /// The process's working directory, for calls that print only a
    /// relative path (`rename("a", "b")`).
    pub fn with_cwd(mut self, cwd: &str) -> Scope {
        self.cwd = Some(cwd.to_string());
        self
    }

    fn holds(&self, path: &str) -> bool {
        path == self.root
            || path
                .strip_prefix(&self.root)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Audits the strace log `trace` of one process owning `scope`.
pub fn audit(trace: &str, scope: &Scope) -> Audit {
    let mut auditor = Auditor::new(scope);
    let mut lines = Lines::default();
    for (index, text) in trace.lines().enumerate() {
        for event in lines.feed(index, text) {
            match event {
                Event::Start(call) => auditor.started(&call),
                Event::End(call) => auditor.ended(&call),
            }
        }
        auditor.report.lines += 1;
    }
    auditor.report.unparsed = lines.unparsed;
    auditor.report
}

/// One unsynced change: from its call's start line to its return line.
#[derive(Debug, Clone, Copy)]
struct Change {
    entries: bool,
    start: usize,
    end: Option<usize>,
}

impl Change {
    /// Whether a sync that started on line `sync_start` covers it: its
    /// call had returned by then.
    fn covered_by(&self, sync_start: usize) -> bool {
        self.end.is_some_and(|end| end < sync_start)
    }
}

struct Auditor<'a> {
    scope: &'a Scope,
    known: BTreeSet<String>,
    changes: BTreeMap<String, Vec<Change>>,
    in_flight: HashMap<u32, Vec<String>>,
    requests: HashMap<String, String>,
    heads: HashMap<String, Vec<u8>>,
    acks: HashSet<confirm::Publish>,
    report: Audit,
}

/// Write-like calls and the argument holding the fd written.
fn written_fd_arg(name: &str) -> Option<usize> {
    match name {
        "write" | "pwrite64" | "writev" | "pwritev" | "pwritev2" | "ftruncate" | "fallocate" => {
            Some(0)
        }
        "sendto" | "sendmsg" | "sendmmsg" | "sendfile" => Some(0),
        "copy_file_range" => Some(2),
        _ => None,
    }
}

impl<'a> Auditor<'a> {
    fn new(scope: &'a Scope) -> Auditor<'a> {
        Auditor {
            scope,
            known: scope.existing.clone(),
            changes: BTreeMap::new(),
            in_flight: HashMap::new(),
            requests: HashMap::new(),
            heads: HashMap::new(),
            acks: HashSet::new(),
            report: Audit::default(),
        }
    }

    fn started(&mut self, call: &Call) {
        if let Some(at) = written_fd_arg(&call.name) {
            let Some(target) = call.args.get(at).and_then(|a| decoration(a)) else {
                return;
            };
            if self.scope.holds(&target) {
                self.report.data_writes += 1;
                self.change(call, target, false);
            } else {
                self.maybe_confirmation(call, &target);
            }
        } else if call.name == "truncate" {
            if let Some(path) = self.path_arg(call, None, 0) {
                self.change(call, path, false);
            }
        } else {
            for dir in self.entry_dirs(call) {
                self.change(call, dir, true);
            }
        }
    }

    /// Records a change to `path` (if in scope) by the call now starting.
    fn change(&mut self, call: &Call, path: String, entries: bool) {
        if !self.scope.holds(&path) {
            return;
        }
        let change = Change {
            entries,
            start: call.start,
            end: None,
        };
        self.changes.entry(path.clone()).or_default().push(change);
        self.in_flight.entry(call.pid).or_default().push(path);
    }

    fn ended(&mut self, call: &Call) {
        self.close_in_flight(call);
        match call.name.as_str() {
            "fsync" | "fdatasync" if call.ret.ok() => self.synced(call),
            "sync" | "syncfs" if call.ret.ok() => self.synced_all(call.start),
            "sync_file_range" => {
                let target = call.args.first().and_then(|a| decoration(a));
                if target.is_some_and(|t| self.scope.holds(&t)) {
                    self.report.sync_file_ranges += 1;
                }
            }
            "open" | "openat" | "creat" if call.ret.ok() => self.opened(call),
            "read" | "readv" | "recvfrom" | "recvmsg" if call.ret.ok() => self.read(call),
            _ => {}
        }
        if call.ret.ok() {
            self.track_entries(call);
        }
    }

    /// The changes this call started end now (or vanish if it failed).
    fn close_in_flight(&mut self, call: &Call) {
        let Some(paths) = self.in_flight.remove(&call.pid) else {
            return;
        };
        for path in paths {
            let Some(list) = self.changes.get_mut(&path) else {
                continue;
            };
            if matches!(call.ret, Ret::Error(_)) {
                list.retain(|c| !(c.start == call.start && c.end.is_none()));
            } else {
                for c in list.iter_mut().filter(|c| c.start == call.start) {
                    c.end = Some(call.end);
                }
            }
            if list.is_empty() {
                self.changes.remove(&path);
            }
        }
    }

    fn synced(&mut self, call: &Call) {
        let Some(path) = call.args.first().and_then(|a| decoration(a)) else {
            return;
        };
        if !self.scope.holds(&path) {
            return;
        }
        self.report.data_syncs += 1;
        if let Some(list) = self.changes.get_mut(&path) {
            list.retain(|c| !c.covered_by(call.start));
            if list.is_empty() {
                self.changes.remove(&path);
            }
        }
    }

    fn synced_all(&mut self, started: usize) {
        for list in self.changes.values_mut() {
            list.retain(|c| !c.covered_by(started));
        }
        self.changes.retain(|_, list| !list.is_empty());
    }

    /// A file opened: a new entry in its directory if it was created, new
    /// data if an existing file was truncated.
    fn opened(&mut self, call: &Call) {
        let (dirfd, path_at, flags_at) = match call.name.as_str() {
            "openat" => (call.args.first().map(String::as_str), 1, 2),
            _ => (None, 0, 1),
        };
        let from_ret = match &call.ret {
            Ret::Value(_, path) => path.clone().filter(|p| p.starts_with('/')),
            _ => None,
        };
        let Some(path) = from_ret.or_else(|| self.path_arg(call, dirfd, path_at)) else {
            return;
        };
        let flags = call.args.get(flags_at).map(String::as_str).unwrap_or("");
        let creat = call.name == "creat";
        let existed = self.known.contains(&path) && !flags.contains("O_EXCL");
        let created = (creat || flags.contains("O_CREAT")) && !existed;
        if created {
            if let Some(dir) = parent(&path) {
                self.closed_change(call, dir, true);
            }
        } else if existed && (creat || flags.contains("O_TRUNC")) {
            self.closed_change(call, path.clone(), false);
        }
        self.known.insert(path);
    }

    /// A change whose call already returned (known only from its result).
    fn closed_change(&mut self, call: &Call, path: String, entries: bool) {
        if self.scope.holds(&path) {
            let change = Change {
                entries,
                start: call.start,
                end: Some(call.end),
            };
            self.changes.entry(path).or_default().push(change);
        }
    }
}

fn parent(path: &str) -> Option<String> {
    let (dir, _) = path.rsplit_once('/')?;
    Some(if dir.is_empty() {
        "/".into()
    } else {
        dir.to_string()
    })
}
