//! Whether the files `--fix` would rewrite have uncommitted changes in a
//! git work tree (modified, staged or untracked), so the `--fix` hint can
//! say to commit or copy first. Silent when git is missing or the folder is
//! not a work tree; ignored files never count.

use std::path::Path;
use std::process::{Command, Stdio};

/// Above this many files, ask about the whole work tree instead of each
/// file (command lines have a length limit).
const MAX_PATHSPECS: usize = 1000;

/// True when `git status --porcelain` in `folder` lists any of `files`.
pub fn has_uncommitted_changes(folder: &Path, files: &[&str]) -> bool {
    let mut command = Command::new("git");
    command.args(["status", "--porcelain", "--"]);
    if files.len() <= MAX_PATHSPECS {
        command.args(files);
    }
    let output = command.current_dir(folder).stdin(Stdio::null()).stderr(Stdio::null()).output();
    match output {
        Ok(output) => output.status.success() && !output.stdout.is_empty(),
        Err(_) => false,
    }
}

/// The words the `--fix` hint gets when `files` (relative to the current
/// folder) have uncommitted changes.
pub fn fix_hint_suffix(files: &[&str]) -> &'static str {
    let cwd = std::env::current_dir().unwrap_or_default();
    if !files.is_empty() && has_uncommitted_changes(&cwd, files) {
        " (commit or copy first: the work tree has uncommitted changes)"
    } else {
        ""
    }
}
