//! Fixture in, findings and fixed text out: one snapshot per syntactic form of
//! a deprecated import (tests/fixtures/forms). Every fixed file must still
//! parse with CPython when the original did, a second fix run must change
//! nothing, and line endings and a BOM must survive.

mod common {
    pub mod snapshot;
}
use common::snapshot::{cpython_parses, describe_findings, unified, Shown};
use std::path::Path;

use ssot_lsp::analysis::{check_text, scan_text, skeleton_tree};
use ssot_lsp::fix::{fix_text, FixOptions};
use ssot_lsp::rules::{FileScope, RuleSet};

fn scope_for_fixture(path: &Path) -> FileScope {
    let stem = path.file_stem().unwrap().to_str().unwrap();
    let package = if path.parent().unwrap().ends_with("websocket_core") {
        "netra_backend.app.websocket_core"
    } else {
        "netra_backend.app.some_pkg"
    };
    FileScope {
        relative_path: Some(path.file_name().unwrap().into()),
        module: Some(format!("{package}.{stem}")),
        is_package: false,
        ..FileScope::default()
    }
}

#[test]
fn forms() {
    let rules = RuleSet::builtin();
    insta::glob!("fixtures/forms/**/*.py", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let scope = scope_for_fixture(path);
        let findings = describe_findings(&rules, &scope, &text, Shown { end: true, note: false });
        // The skeleton scan of `check` gives the same findings and fixes.
        if !path.ends_with("syntax_error.py") {
            assert!(skeleton_tree(&rules, &scope, &text).is_some(), "{}: the skeleton does not parse", path.display());
        }
        assert_eq!(scan_text(&rules, &scope, &text), check_text(&rules, &scope, &text), "{}", path.display());
        let options = FixOptions { unsafe_fixes: true, only_codes: Vec::new() };
        let outcome = fix_text(&rules, &scope, &text, &options);

        // Fixes keep the file valid, are idempotent and keep the file's bytes' shape.
        if cpython_parses(&text) {
            assert!(
                cpython_parses(&outcome.text),
                "{}: the fixed text no longer parses:\n{}",
                path.display(),
                outcome.text
            );
        }
        let again = fix_text(&rules, &scope, &outcome.text, &options);
        assert_eq!(again.text, outcome.text, "{}: a second fix run changed the text", path.display());
        assert_eq!(again.applied_count(), 0);
        assert_eq!(outcome.text.starts_with('\u{feff}'), text.starts_with('\u{feff}'), "BOM kept");
        if text.contains("\r\n") {
            assert_eq!(outcome.text.matches('\n').count(), outcome.text.matches("\r\n").count(), "CRLF kept");
        }

        let safe = fix_text(&rules, &scope, &text, &FixOptions::default());
        let mut snapshot = String::new();
        snapshot.push_str("## findings\n");
        snapshot.push_str(&findings);
        snapshot.push_str("\n## after safe fixes\n");
        snapshot.push_str(&unified(&text, &safe.text, 2));
        snapshot.push_str("\n## after safe and unsafe fixes\n");
        snapshot.push_str(&unified(&text, &outcome.text, 2));
        snapshot.push_str("\n## remaining\n");
        for finding in &outcome.remaining {
            snapshot.push_str(&format!("{} `{}`\n", finding.code, &outcome.text[finding.start..finding.end]));
        }
        insta::assert_snapshot!(snapshot.replace('\r', "␍").replace('\u{feff}', "<BOM>"));
    });
}

/// The interpreter kept for [`cpython_parses`] judges text after text as a
/// fresh one would, a BOM, CRLF and a text it rejects among them.
#[test]
fn cpython_judges_one_text_after_another() {
    assert!(cpython_parses("import os\n"));
    assert!(!cpython_parses("def f(:\n    pass\n"));
    assert!(cpython_parses("\u{feff}x = 1\r\ny = 2\r\n"));
    assert!(!cpython_parses("x = (\n"));
    assert!(!cpython_parses("a\0b = 1\n"), "a NUL byte is refused");
    assert!(cpython_parses(""));
}
