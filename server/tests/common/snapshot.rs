//! The snapshot harness of the fixture tests (`forms.rs`, `workspaces.rs`):
//! a file's findings written one paragraph each, a fix's change as a
//! unified diff, and CPython's verdict on a text. Every test file uses only
//! part of it.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

use ssot_lsp::analysis::check_text;
use ssot_lsp::line_index::LineIndex;
use ssot_lsp::rules::{FileScope, RuleSet};

/// What a finding's paragraph shows besides its start, code, text, fix and
/// message.
#[derive(Clone, Copy)]
pub struct Shown {
    /// Where the finding ends (`line:column-line:column`).
    pub end: bool,
    /// The note a fix carries (a target the workspace could not check).
    pub note: bool,
}

/// The findings of `check_text`, one paragraph each: place, code, the
/// flagged text, the fix (`[applicability] title`) or `[no fix]`, then the
/// message on an indented line.
pub fn describe_findings(rules: &RuleSet, scope: &FileScope, text: &str, shown: Shown) -> String {
    let index = LineIndex::new(text);
    let mut out = String::new();
    for finding in check_text(rules, scope, text) {
        let (line, column) = index.line_column(text, finding.start);
        let place = if shown.end {
            let (end_line, end_column) = index.line_column(text, finding.end);
            format!("{line}:{column}-{end_line}:{end_column}")
        } else {
            format!("{line}:{column}")
        };
        let fix = match &finding.fix {
            Some(fix) => match fix.note.as_ref().filter(|_| shown.note) {
                Some(note) => format!("[{}] {} ({note})", fix.applicability.as_str(), fix.title),
                None => format!("[{}] {}", fix.applicability.as_str(), fix.title),
            },
            None => "[no fix]".to_string(),
        };
        out.push_str(&format!(
            "{place} {} `{}` {fix}\n    {}\n",
            finding.code,
            &text[finding.start..finding.end],
            finding.message
        ));
    }
    out
}

/// `(unchanged)`, or the unified diff of `before` to `after` with `context`
/// lines around each change.
pub fn unified(before: &str, after: &str, context: usize) -> String {
    if before == after {
        return "(unchanged)\n".to_string();
    }
    // Without the `---`/`+++` lines, as similar's own formatter printed it.
    let diff = ssot_lsp::cli::diff::unified(before, after, context, ("a", "b"));
    diff.strip_prefix("--- a\n+++ b\n").unwrap_or(&diff).to_string()
}

/// Whether CPython parses the text (as bytes, so a BOM and CRLF are handled
/// the way the interpreter handles files).
pub fn cpython_parses(text: &str) -> bool {
    let mut child = Command::new("python3")
        .args(["-c", "import ast,sys; ast.parse(sys.stdin.buffer.read())"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    child.wait().unwrap().success()
}
