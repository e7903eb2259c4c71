//! `ssot-lsp infer`: the draft rule file made from the deprecation shims of
//! `demo/` (snapshot), loaded back through the rules compiler, and checked
//! against the built-in SSOT003 map it must reproduce; exit codes.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use ssot_lsp::rules::raw::RawConfig;
use ssot_lsp::rules::RuleSet;

const SHIM: &str = "netra_backend.app.websocket_core.manager";

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("demo")
}

fn infer(dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("ssot-lsp")
        .expect("the ssot-lsp binary is built")
        .current_dir(dir)
        .arg("infer")
        .args(args)
        .assert()
}

fn infer_demo() -> String {
    let output = infer(&demo(), &["."]).success().get_output().stdout.clone();
    String::from_utf8(output).expect("the draft is UTF-8")
}

#[test]
fn infer_on_demo_prints_a_draft_for_each_shim() {
    insta::assert_snapshot!("infer_demo", infer_demo());
}

#[test]
fn the_draft_loads_back_through_the_rules_compiler() {
    let raw: RawConfig = toml::from_str(&infer_demo()).expect("the draft is valid TOML for the schema");
    let rules =
        RuleSet::from_config(&RawConfig { extend_builtin: Some(false), ..raw }, None).expect("the draft compiles");
    let modules: Vec<_> = rules.rules.iter().filter_map(|rule| rule.module.as_deref()).collect();
    assert_eq!(
        modules,
        [SHIM, "netra_backend.app.websocket_core.websocket_manager_factory"],
        "one rule per shim of demo/, in module order"
    );
}

/// Every name the demo's shim exports gets from the draft what the built-in
/// SSOT003 gives it: the same target and the same applicability.
#[test]
fn the_draft_reproduces_the_ssot003_map() {
    let raw: RawConfig = toml::from_str(&infer_demo()).expect("the draft parses");
    let drafted = RuleSet::from_config(&RawConfig { extend_builtin: Some(false), ..raw }, None).expect("compiles");
    let drafted = drafted.rules.iter().find(|rule| rule.module.as_deref() == Some(SHIM)).expect("a rule for the shim");
    let builtin = RuleSet::builtin();
    let ssot003 = builtin.rule("SSOT003").expect("the built-in SSOT003");
    assert_eq!(drafted.canonical, ssot003.canonical);
    let shim_text = fs::read_to_string(demo().join("netra_backend/app/websocket_core/manager.py")).expect("the shim");
    let exported = all_entries(&shim_text);
    assert_eq!(exported.len(), 7, "the demo shim's __all__");
    for name in &exported {
        let ours = drafted.mapping_for(name).expect("a mapping");
        let theirs = ssot003.mapping_for(name).expect("a mapping");
        assert_eq!((ours.target, ours.applicability), (theirs.target, theirs.applicability), "name `{name}`");
    }
}

/// The entries of the first `__all__ = [...]` list in `text`.
fn all_entries(text: &str) -> Vec<String> {
    let start = text.find("__all__ = [").expect("an __all__") + "__all__ = [".len();
    let end = start + text[start..].find(']').expect("the list ends");
    text[start..end]
        .split(',')
        .map(|entry| entry.trim().trim_matches('"').to_string())
        .filter(|entry| !entry.is_empty())
        .collect()
}

#[test]
fn a_tree_without_shims_exits_1_with_a_warning() {
    let temp = tempfile::tempdir().expect("a temporary folder");
    let dir = temp.path().to_path_buf();
    fs::create_dir_all(dir.join("pkg")).expect("mkdir");
    fs::write(dir.join("pkg/__init__.py"), "").expect("write");
    // Warns, but re-exports nothing: not a shim.
    fs::write(dir.join("pkg/old.py"), "import warnings\nwarnings.warn('old', DeprecationWarning)\n").expect("write");
    infer(&dir, &["."])
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("no deprecation shims found"));
}

#[test]
fn a_missing_path_exits_2() {
    infer(&demo(), &["no/such/folder"]).code(2).stderr(predicate::str::contains("no such file or folder"));
}
