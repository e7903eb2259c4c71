//! Fixes checked against the code base they run in: one fixture family per
//! case (tests/fixtures/workspaces/<case>/, several modules each: the
//! canonical module with realistic signatures, the deprecated factory, the
//! package, callers). The same callers sit in an "old commit" tree, where
//! the package's `create_websocket_manager` is a synchronous wrapper,
//! `services.user_execution_context` lacks `create_defensive_user_execution_context`
//! and `monitoring.websocket_metrics` does not exist, and in a "new commit"
//! tree where they all exist.
//!
//! Each snapshot holds every file's findings and what the safe, then the
//! safe and unsafe, fixes do to it. Fixed files must still parse with
//! CPython, and a second fix run must change nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use ssot_lsp::analysis::{check_text, scan_text};
use ssot_lsp::fix::{fix_text, FixOptions};
use ssot_lsp::index::{SharedIndex, WorkspaceIndex};
use ssot_lsp::line_index::LineIndex;
use ssot_lsp::rules::{FileScope, RuleSet};
use ssot_lsp::workspace;

fn python_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(python_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "py") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn cpython_parses(text: &str) -> bool {
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

fn unified(before: &str, after: &str) -> String {
    if before == after {
        return "(unchanged)\n".to_string();
    }
    similar::TextDiff::from_lines(before, after).unified_diff().context_radius(1).to_string()
}

fn describe(rules: &RuleSet, scope: &FileScope, text: &str) -> String {
    let index = LineIndex::new(text);
    let mut out = String::new();
    for finding in check_text(rules, scope, text) {
        let (line, column) = index.line_column(text, finding.start);
        let fix = match &finding.fix {
            Some(fix) => match &fix.note {
                Some(note) => format!("[{}] {} ({note})", fix.applicability.as_str(), fix.title),
                None => format!("[{}] {}", fix.applicability.as_str(), fix.title),
            },
            None => "[no fix]".to_string(),
        };
        out.push_str(&format!(
            "{line}:{column} {} `{}` {fix}\n    {}\n",
            finding.code,
            &text[finding.start..finding.end],
            finding.message
        ));
    }
    out
}

fn case_snapshot(root: &Path) -> String {
    let rules = RuleSet::builtin();
    let index = SharedIndex(Arc::new(WorkspaceIndex::new(vec![root.to_path_buf()])));
    let mut snapshot = String::new();
    // As `check` does: every file is checked once before any is fixed, so
    // the index knows which names other modules import from a hub.
    for path in python_files(root) {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut scope = workspace::scope_for(&rules, root, &path);
        scope.index = Some(index.clone());
        scan_text(&rules, &scope, &text);
    }
    for path in python_files(root) {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut scope = workspace::scope_for(&rules, root, &path);
        scope.index = Some(index.clone());
        assert_eq!(scan_text(&rules, &scope, &text), check_text(&rules, &scope, &text), "{}", path.display());
        let findings = describe(&rules, &scope, &text);
        if findings.is_empty() {
            continue;
        }
        let safe = fix_text(&rules, &scope, &text, &FixOptions::default());
        let unsafe_options = FixOptions { unsafe_fixes: true, only_codes: Vec::new() };
        let all = fix_text(&rules, &scope, &text, &unsafe_options);
        for outcome in [&safe, &all] {
            assert!(
                cpython_parses(&outcome.text),
                "{}: the fixed text no longer parses:\n{}",
                path.display(),
                outcome.text
            );
            let again = fix_text(&rules, &scope, &outcome.text, &unsafe_options);
            if outcome.text == all.text {
                assert_eq!(again.text, outcome.text, "{}: a second fix run changed the text", path.display());
            }
        }
        let relative = path.strip_prefix(root).unwrap().display().to_string();
        snapshot.push_str(&format!(
            "### {relative}\n{findings}-- safe fixes\n{}-- safe and unsafe fixes\n",
            unified(&text, &safe.text)
        ));
        snapshot.push_str(&unified(&text, &all.text));
        snapshot.push('\n');
    }
    snapshot
}

#[test]
fn workspaces() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspaces");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&base).unwrap().map(|entry| entry.unwrap().path()).collect();
    cases.sort();
    assert!(cases.len() >= 2);
    for case in cases {
        let name = case.file_name().unwrap().to_str().unwrap().to_string();
        insta::assert_snapshot!(name.clone(), case_snapshot(&case));
    }
}
