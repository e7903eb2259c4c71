//! Whether the files `--fix` would rewrite have uncommitted changes in a
//! git work tree (modified, staged or untracked), so the `--fix` hint can
//! say to commit or copy first. Silent when git is missing or the folder is
//! not a work tree; ignored files never count.
//!
//! `git status` runs once for the whole work tree, on a thread of its own,
//! from the moment the check finds the first file with a safe fix
//! ([`StatusProbe::start`]); the summary looks the files up in its answer.
//! Naming each file as a pathspec made git match every file of the tree
//! against every pathspec: 0.19 s for 581 files in a 10,000-file work tree,
//! longer than the whole check, and all of it after the check. git runs
//! without optional locks (it never writes the index behind the user's
//! back), and the summary waits for it at most [`GIT_PATIENCE`]: the hint is
//! advice, and a huge work tree must not hold the report up.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// How long the summary waits for `git status` (once it is needed).
pub const GIT_PATIENCE: Duration = Duration::from_secs(1);

/// The files with changes in the work tree, as absolute paths; `None`
/// when git is missing or the folder is in no work tree.
type Changed = Option<HashSet<PathBuf>>;

/// One `git status` of the work tree holding `folder`, asked in the
/// background and read once.
pub struct StatusProbe {
    folder: PathBuf,
    state: Mutex<State>,
}

enum State {
    Idle,
    Running(Receiver<Changed>),
    Done(Changed),
}

impl StatusProbe {
    /// A probe of the work tree holding `folder` (the current folder: the
    /// files it is asked about are relative to it). Nothing runs yet.
    pub fn new(folder: PathBuf) -> Self {
        StatusProbe { folder, state: Mutex::new(State::Idle) }
    }

    /// Starts `git status` on its own thread, unless it already ran or runs.
    pub fn start(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*state, State::Idle) {
            let folder = self.folder.clone();
            let (send, receive) = channel();
            std::thread::spawn(move || send.send(changed_files(&folder)));
            *state = State::Running(receive);
        }
    }

    /// The words the `--fix` hint gets when any of `files` (relative to the
    /// probe's folder) has uncommitted changes; waits for git if it runs, up
    /// to [`GIT_PATIENCE`] (then: no hint).
    pub fn hint_for(&self, files: &[&str]) -> &'static str {
        if files.is_empty() {
            return "";
        }
        self.start();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if let State::Running(running) = &*state {
            let changed = running.recv_timeout(GIT_PATIENCE).unwrap_or(None);
            *state = State::Done(changed);
        }
        let State::Done(Some(changed)) = &*state else { return "" };
        let listed = |file: &&str| changed.contains(&crate::workspace::lexically_normal(&self.folder.join(file)));
        if files.iter().any(listed) {
            " (commit or copy first: the work tree has uncommitted changes)"
        } else {
            ""
        }
    }
}

/// The files `git status` lists in the work tree holding `folder`
/// (modified, staged or untracked, each untracked file by name), as absolute
/// paths under the work tree's root.
fn changed_files(folder: &Path) -> Changed {
    let git = |args: &[&str]| {
        let output =
            Command::new("git").args(args).current_dir(folder).stdin(Stdio::null()).stderr(Stdio::null()).output();
        output.ok().filter(|output| output.status.success()).map(|output| output.stdout)
    };
    let root = git(&["rev-parse", "--show-toplevel"])?;
    let root = PathBuf::from(OsStr::from_bytes(root.strip_suffix(b"\n").unwrap_or(&root)));
    let status = git(&["--no-optional-locks", "status", "--porcelain", "-z", "--untracked-files=all"])?;
    Some(porcelain_paths(&status).into_iter().map(|path| root.join(path)).collect())
}

/// The paths of `git status --porcelain -z`: each entry is two status
/// letters, a space and the path (relative to the work tree's root), and a
/// rename or copy adds the path it came from as the next field.
fn porcelain_paths(output: &[u8]) -> Vec<PathBuf> {
    let mut fields = output.split(|&byte| byte == 0).filter(|field| !field.is_empty());
    let mut paths = Vec::new();
    while let Some(entry) = fields.next() {
        let (Some(status), Some(path)) = (entry.get(..2), entry.get(3..)) else { continue };
        paths.push(PathBuf::from(OsStr::from_bytes(path)));
        if status.iter().any(|&letter| matches!(letter, b'R' | b'C')) {
            paths.extend(fields.next().map(|from| PathBuf::from(OsStr::from_bytes(from))));
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_entries_give_their_paths_and_a_rename_both() {
        let output = b" M app/a.py\0?? app/new file.py\0R  app/to.py\0app/from.py\0A  b.py\0";
        let paths: Vec<PathBuf> = porcelain_paths(output);
        let expected: Vec<PathBuf> =
            ["app/a.py", "app/new file.py", "app/to.py", "app/from.py", "b.py"].iter().map(PathBuf::from).collect();
        assert_eq!(paths, expected);
        assert!(porcelain_paths(b"").is_empty());
    }
}
