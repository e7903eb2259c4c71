//! What `check` learned (one `FileReport` per file, the `Report` of a run),
//! what it does with fixes (`Mode`) and the exit code that follows.
//!
//! Plain data shared by the runner (`check`, `stdin`, `baseline`) and the
//! printer (`output`); it reads no files and prints nothing.

use std::borrow::Cow;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{escape, CheckArgs};
use crate::finding::Finding;
use crate::line_index::Excerpt;

/// What `check` learned about one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The path as shown: relative to the current folder, escaped
    /// (`escape::display_path`).
    pub display: String,
    /// The path relative to the current folder, as it is (for URIs).
    pub relative: PathBuf,
    /// Findings left (after fixing, when fixing).
    pub findings: Vec<Finding>,
    /// The text the findings' offsets refer to, when fixes were computed
    /// (a report only keeps `excerpt`).
    pub text: Option<String>,
    /// The lines of the findings and their fixes' edits, when `text` is not
    /// kept (most files of a report hold a finding or two: no need to keep
    /// their whole text, 16 MB for 581 files of a 10,000-file tree).
    pub excerpt: Option<Excerpt>,
    /// The text before fixing, when fixes were computed.
    pub original_text: Option<String>,
    /// The fixed text, when it differs from the original.
    pub fixed_text: Option<String>,
    pub applied: usize,
    pub error: Option<String>,
    /// An error (exit 2) rather than a skip with a warning.
    pub is_error: bool,
}

impl FileReport {
    /// Where the findings and their fixes' edits sit: `excerpt`, or made
    /// from `text`; `None` when neither is kept.
    pub fn located_lines(&self) -> Option<Cow<'_, Excerpt>> {
        if let Some(excerpt) = &self.excerpt {
            return Some(Cow::Borrowed(excerpt));
        }
        let text = self.text.as_deref()?;
        Some(Cow::Owned(Excerpt::of(text, self.findings.iter().flat_map(Finding::offsets))))
    }

    pub fn new(relative: PathBuf) -> Self {
        FileReport {
            display: escape::display_path(&relative),
            relative,
            findings: Vec::new(),
            text: None,
            excerpt: None,
            original_text: None,
            fixed_text: None,
            applied: 0,
            error: None,
            is_error: false,
        }
    }
}

/// The report of a run: the files with something to say (a finding, an
/// error, a fix), in the order they were checked, and how many were checked.
pub struct Report {
    pub files: Vec<FileReport>,
    pub checked: usize,
}

/// One checked file's report while the run goes on: `None` when it has
/// nothing to say (no finding, no error, no fix), as most files have; their
/// reports are never built, and the walk's results stay small.
pub type Slot = Option<Box<FileReport>>;

impl Report {
    /// The report of the files whose slots these are (one per checked file).
    pub fn of(slots: Vec<Slot>) -> Self {
        let checked = slots.len();
        Report { files: slots.into_iter().flatten().map(|file| *file).collect(), checked }
    }
}

/// The exit code of a check: 2 after an error, 1 when findings remain, a
/// `--diff` would change something or (`--exit-non-zero-on-fix`) `--fix`
/// changed something, else 0.
pub(super) fn exit_status(args: &CheckArgs, report: &Report, mode: Mode, had_error: bool) -> ExitCode {
    if had_error {
        return ExitCode::from(2);
    }
    let remaining = report.files.iter().map(|file| file.findings.len()).sum::<usize>();
    let pending = mode == Mode::Diff && report.files.iter().any(|file| file.fixed_text.is_some());
    let fixed =
        mode == Mode::Fix && args.exit_non_zero_on_fix && report.files.iter().any(|file| file.fixed_text.is_some());
    if fixed || ((remaining > 0 || pending) && !args.exit_zero) {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// What `check` does with fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Report,
    Fix,
    Diff,
}

impl Mode {
    pub(super) fn of(args: &CheckArgs) -> Self {
        if args.diff {
            Mode::Diff
        } else if args.fix {
            Mode::Fix
        } else {
            Mode::Report
        }
    }
}
