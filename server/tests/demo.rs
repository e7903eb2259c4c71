//! The README's promise about the demo tree: `check --fix --unsafe-fixes`
//! leaves no fixable finding, every fixed file still parses with CPython, and
//! a second `--fix` changes nothing.

mod common {
    pub mod tree;
}
use common::tree::{copy_tree, python_files};
use std::path::{Path, PathBuf};
use std::process::Command;

fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    python_files(root)
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

fn ssot(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ssot-lsp")).args(args).current_dir(dir).output().unwrap()
}

#[test]
fn fixing_the_demo_converges_and_keeps_it_valid() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../demo");
    let work = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    copy_tree(&demo, work.path());
    let before = snapshot(work.path());

    let first = ssot(work.path(), &["check", ".", "--fix", "--unsafe-fixes", "--no-color"]);
    assert_eq!(
        first.status.code(),
        Some(1),
        "findings without a fix remain: {}",
        String::from_utf8_lossy(&first.stdout)
    );
    let after = snapshot(work.path());
    assert_ne!(before, after, "the demo has fixable findings");

    let report = ssot(work.path(), &["check", ".", "--format", "json"]);
    let findings: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    let findings = findings.as_array().unwrap();
    assert!(!findings.is_empty());
    for finding in findings {
        assert!(finding["fix"].is_null(), "a fixable finding is left: {finding}");
    }

    let files: Vec<String> = python_files(work.path()).iter().map(|p| p.display().to_string()).collect();
    let status = Command::new("python3")
        .arg("-c")
        .arg("import ast, sys\nfor f in sys.argv[1:]:\n    ast.parse(open(f, 'rb').read(), f)")
        .args(&files)
        .status()
        .unwrap();
    assert!(status.success(), "a fixed demo file no longer parses");

    let second = ssot(work.path(), &["check", ".", "--fix", "--unsafe-fixes", "--no-color"]);
    assert!(
        String::from_utf8_lossy(&second.stdout).contains("Fixed 0 findings"),
        "{}",
        String::from_utf8_lossy(&second.stdout)
    );
    assert_eq!(snapshot(work.path()), after, "a second --fix changed files");
}
