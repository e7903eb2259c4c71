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

mod common {
    pub mod snapshot;
    pub mod tree;
}
use common::snapshot::{cpython_parses, describe_findings, unified, Shown};
use common::tree::python_files;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ssot_lsp::analysis::{check_text, scan_text};
use ssot_lsp::fix::{fix_text, FixOptions};
use ssot_lsp::index::{SharedIndex, WorkspaceIndex};
use ssot_lsp::rules::RuleSet;
use ssot_lsp::workspace;

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
        let findings = describe_findings(&rules, &scope, &text, Shown { end: false, note: true });
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
            unified(&text, &safe.text, 1)
        ));
        snapshot.push_str(&unified(&text, &all.text, 1));
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
