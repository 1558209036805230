//! Directory entries in the sync audit: which directories a rename, unlink,
//! mkdir or link changes, and which names exist (so that an `O_CREAT` open
//! of a file that is already there is not taken for a creation).
//!
//! Why it exists: a new or renamed file is lost to a power cut unless its
//! directory is fsynced too, so these calls dirty the directory, not the
//! file; the path arguments of the `*at` calls are resolved against their
//! directory's `-y` decoration.

use super::line::{decoration, joined_bytes, resolve, Call};
use super::{parent, Auditor};

/// For a call that changes directory entries: the (dirfd, path) argument
/// positions of the names it removes and of those it creates.
type Names = (Vec<(Option<usize>, usize)>, Vec<(Option<usize>, usize)>);

fn names(name: &str) -> Option<Names> {
    Some(match name {
        "rename" => (vec![(None, 0)], vec![(None, 1)]),
        "renameat" | "renameat2" => (vec![(Some(0), 1)], vec![(Some(2), 3)]),
        "unlink" | "rmdir" => (vec![(None, 0)], vec![]),
        "unlinkat" => (vec![(Some(0), 1)], vec![]),
        "mkdir" => (vec![], vec![(None, 0)]),
        "mkdirat" => (vec![], vec![(Some(0), 1)]),
        "link" | "symlink" => (vec![], vec![(None, 1)]),
        "linkat" => (vec![], vec![(Some(2), 3)]),
        "symlinkat" => (vec![], vec![(Some(1), 2)]),
        _ => return None,
    })
}

impl Auditor<'_> {
    /// A path argument, made absolute against its dirfd's decoration (or
    /// the working directory).
    pub(super) fn path_arg(&self, call: &Call, dirfd: Option<&str>, at: usize) -> Option<String> {
        let raw = joined_bytes(call.args.get(at)?);
        let path = String::from_utf8(raw).ok()?;
        let base = match dirfd {
            Some(arg) => decoration(arg),
            None => self.scope.cwd.clone(),
        };
        resolve(base.as_deref(), &path)
    }

    fn resolved(&self, call: &Call, (dirfd, at): (Option<usize>, usize)) -> Option<String> {
        let dirfd = dirfd.and_then(|i| call.args.get(i)).map(String::as_str);
        self.path_arg(call, dirfd, at)
    }

    /// The directories whose entries the call changes.
    pub(super) fn entry_dirs(&self, call: &Call) -> Vec<String> {
        let Some((removed, created)) = names(&call.name) else {
            return Vec::new();
        };
        let mut dirs: Vec<String> = removed
            .into_iter()
            .chain(created)
            .filter_map(|slot| self.resolved(call, slot))
            .filter_map(|path| parent(&path))
            .collect();
        dirs.dedup();
        dirs
    }

    /// Keeps the set of existing names up to date after a successful call.
    pub(super) fn track_entries(&mut self, call: &Call) {
        let Some((removed, created)) = names(&call.name) else {
            return;
        };
        for slot in removed {
            if let Some(path) = self.resolved(call, slot) {
                self.known.remove(&path);
            }
        }
        for slot in created {
            if let Some(path) = self.resolved(call, slot) {
                self.known.insert(path);
            }
        }
    }
}
