//! End-to-end tests of what a team rolling `ssot-lsp` out needs from the
//! command line: the baseline ratchet (`--write-baseline`, `--baseline`,
//! `baseline` in the config, `--grow`), excludes that hold for files named
//! explicitly, `--output-file`, `--color` with `NO_COLOR`/`FORCE_COLOR`,
//! `completions`, `--config pyproject.toml`, stdin (`--stdin-filename`),
//! `--exit-non-zero-on-fix`, missing paths and the git hint.
//!
//! Kept apart from `cli.rs` so both can grow without merge conflicts; the
//! helpers are the same small ones.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const SAFE_SRC: &str = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n\nasync def handler(ctx):\n    return await create_websocket_manager(ctx)\n";
const SAFE_FIXED: &str = "from netra_backend.app.websocket_core.websocket_manager import get_websocket_manager\n\n\nasync def handler(ctx):\n    return await get_websocket_manager(ctx)\n";
/// A second, independent finding (package re-export, SSOT002).
const REEXPORT_LINE: &str = "from netra_backend.app.websocket_core import create_websocket_manager\n";

fn ssot(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ssot-lsp").expect("the ssot-lsp binary is built");
    cmd.current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env_remove("FORCE_COLOR");
    cmd
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("a temporary folder")
}

fn write(root: &Path, relative: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = root.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, content).unwrap();
    path
}

fn read(root: &Path, relative: &str) -> String {
    fs::read_to_string(root.join(relative)).unwrap()
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// `file:line` of every finding in a concise report.
fn finding_lines(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|line| line.contains(": SSOT"))
        .map(|line| line.splitn(3, ':').take(2).collect::<Vec<_>>().join(":"))
        .collect()
}

/// Two files with findings: `app/a.py` (one of one key, two of another)
/// and `app/b.py` (one).
fn ratchet_tree(root: &Path) {
    write(root, "app/a.py", format!("{SAFE_SRC}{REEXPORT_LINE}\n\ndef more(ctx):\n    return 1\n{REEXPORT_LINE}"));
    write(root, "app/b.py", SAFE_SRC);
}

fn baseline_json(root: &Path, file: &str) -> Value {
    serde_json::from_str(&read(root, file)).expect("the baseline is JSON")
}

// ---------------------------------------------------------------------------
// The baseline ratchet
// ---------------------------------------------------------------------------

#[test]
fn a_baseline_hides_recorded_findings_across_line_shifts_and_reports_new_files() {
    let tmp = tempdir();
    let root = tmp.path();
    ratchet_tree(root);
    let written = ssot(root).args(["check", ".", "--write-baseline", "ssot-baseline.json"]).output().unwrap();
    assert_eq!(written.status.code(), Some(0), "{}", stderr_of(&written));
    assert!(
        stdout_of(&written).contains("Wrote ssot-baseline.json: 4 findings in 2 files."),
        "{}",
        stdout_of(&written)
    );
    let value = baseline_json(root, "ssot-baseline.json");
    assert_eq!(value["ssot-lsp-baseline"], 1);
    let a = &value["files"]["app/a.py"];
    assert_eq!(a["SSOT001"]["netra_backend.app.websocket_core.websocket_manager_factory.create_websocket_manager"], 1);
    assert!(!read(root, "ssot-baseline.json").contains("\"line\""), "keys never hold line numbers");

    let clean = ssot(root).args(["check", ".", "--baseline", "ssot-baseline.json"]).output().unwrap();
    assert_eq!(clean.status.code(), Some(0), "{}{}", stdout_of(&clean), stderr_of(&clean));
    assert!(stderr_of(&clean).contains("4 findings recorded in ssot-baseline.json not shown"), "{}", stderr_of(&clean));

    // Lines added above every finding of a.py, and a new file with one.
    let shifted = format!("# a header\n\nimport os\n\n\n{}", read(root, "app/a.py"));
    write(root, "app/a.py", shifted);
    write(root, "app/new.py", REEXPORT_LINE);
    let output =
        ssot(root).args(["check", ".", "--baseline", "ssot-baseline.json", "--format", "concise"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(finding_lines(&stdout_of(&output)), ["app/new.py:1"], "{}", stdout_of(&output));

    // One more of a recorded kind in a.py: only the extra one (the last) is new.
    let grown = format!("{}{REEXPORT_LINE}", read(root, "app/a.py"));
    write(root, "app/a.py", grown);
    let output = ssot(root)
        .args(["check", "app/a.py", "--baseline", "ssot-baseline.json", "--format", "concise"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let last_line = read(root, "app/a.py").lines().count();
    assert_eq!(finding_lines(&stdout_of(&output)), [format!("app/a.py:{last_line}")], "{}", stdout_of(&output));
}

#[test]
fn fewer_findings_than_the_baseline_print_a_note_to_lock_it_in() {
    let tmp = tempdir();
    let root = tmp.path();
    ratchet_tree(root);
    ssot(root).args(["check", ".", "--write-baseline", "base.json"]).assert().success();
    write(root, "app/b.py", "print('migrated')\n");
    let output = ssot(root).args(["check", ".", "--baseline", "base.json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("app/b.py: 1 fixed: run `ssot-lsp check --write-baseline base.json` to lock it in"),
        "{stderr}"
    );
    // Locking it in drops the entry.
    ssot(root).args(["check", ".", "--write-baseline", "base.json"]).assert().success();
    assert!(baseline_json(root, "base.json")["files"].get("app/b.py").is_none());
}

#[test]
fn write_baseline_never_records_new_findings_without_grow() {
    let tmp = tempdir();
    let root = tmp.path();
    ratchet_tree(root);
    ssot(root).args(["check", ".", "--write-baseline", "base.json"]).assert().success();
    let before = read(root, "base.json");
    write(root, "app/new.py", REEXPORT_LINE);
    let output = ssot(root).args(["check", ".", "--write-baseline", "base.json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "new findings left out make the run fail");
    assert!(stdout_of(&output).contains("1 new finding not recorded"), "{}", stdout_of(&output));
    assert_eq!(read(root, "base.json"), before);
    let output = ssot(root).args(["check", ".", "--write-baseline", "base.json", "--grow"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout_of(&output));
    assert!(baseline_json(root, "base.json")["files"].get("app/new.py").is_some());
    // Checking one file keeps the other files' entries.
    ssot(root).args(["check", "app/b.py", "--write-baseline", "base.json"]).assert().success();
    assert!(baseline_json(root, "base.json")["files"].get("app/a.py").is_some());
    // Rules switched off for the run keep their entries, and count as neither fixed nor new.
    let before = read(root, "base.json");
    ssot(root).args(["check", ".", "--write-baseline", "base.json", "--select", "SSOT001"]).assert().success();
    assert_eq!(read(root, "base.json"), before);
    let narrowed = ssot(root).args(["check", ".", "--baseline", "base.json", "--select", "SSOT001"]).output().unwrap();
    assert_eq!(narrowed.status.code(), Some(0));
    assert!(!stderr_of(&narrowed).contains("fixed"), "{}", stderr_of(&narrowed));
    // A missing path: nothing is written.
    ssot(root).args(["check", "app", "gone", "--write-baseline", "base.json", "--grow"]).assert().code(2);
    assert_eq!(read(root, "base.json"), before);
}

#[test]
fn the_config_names_a_baseline_relative_to_itself() {
    let tmp = tempdir();
    let root = tmp.path();
    ratchet_tree(root);
    write(root, "ssot.toml", "baseline = \"ci/ssot-baseline.json\"\n");
    fs::create_dir_all(root.join("ci")).unwrap();
    let missing = ssot(root).args(["check", "."]).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr_of(&missing).contains("does not exist yet"), "{}", stderr_of(&missing));
    ssot(root).args(["check", ".", "--write-baseline", "ci/ssot-baseline.json"]).assert().success();
    let files = &baseline_json(root, "ci/ssot-baseline.json")["files"];
    assert!(files.get("../app/a.py").is_some(), "keys are relative to ci/: {files}");
    // Run from a subfolder: the config's baseline still applies.
    let output = ssot(&root.join("app")).args(["check", "."]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout_of(&output), stderr_of(&output));
    write(root, "app/c.py", REEXPORT_LINE);
    let output = ssot(&root.join("app")).args(["check", ".", "--format", "concise"]).output().unwrap();
    assert_eq!(finding_lines(&stdout_of(&output)), ["c.py:1"], "{}", stdout_of(&output));
}

#[test]
fn a_broken_baseline_is_an_error() {
    let tmp = tempdir();
    ratchet_tree(tmp.path());
    write(tmp.path(), "base.json", "{\"files\": 3}");
    let output = ssot(tmp.path()).args(["check", ".", "--baseline", "base.json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("base.json"), "{}", stderr_of(&output));
    let output = ssot(tmp.path()).args(["check", ".", "--baseline", "nope.json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("nope.json does not exist"), "{}", stderr_of(&output));
}

// ---------------------------------------------------------------------------
// Excludes for files named explicitly
// ---------------------------------------------------------------------------

#[test]
fn exclude_and_per_file_ignores_hold_for_files_named_explicitly() {
    let tmp = tempdir();
    let root = tmp.path();
    write(root, "ssot.toml", "exclude = [\"legacy\"]\n[per-file-ignores]\n\"tests/**\" = [\"SSOT002\"]\n");
    write(root, "app/a.py", REEXPORT_LINE);
    write(root, "legacy/deep/old.py", REEXPORT_LINE);
    write(root, "tests/test_x.py", REEXPORT_LINE);
    let named = ["check", "app/a.py", "legacy/deep/old.py", "tests/test_x.py", "--format", "concise"];
    let output = ssot(root).args(named).output().unwrap();
    assert_eq!(finding_lines(&stdout_of(&output)), ["app/a.py:1"], "{}", stdout_of(&output));
    let output = ssot(root).args(named).arg("--no-force-exclude").output().unwrap();
    assert_eq!(finding_lines(&stdout_of(&output)), ["app/a.py:1", "legacy/deep/old.py:1"], "{}", stdout_of(&output));
    // Only excluded files named: nothing to do, success (pre-commit on a commit of legacy files).
    ssot(root).args(["check", "legacy/deep/old.py"]).assert().success();
}

// ---------------------------------------------------------------------------
// CLI conveniences
// ---------------------------------------------------------------------------

#[test]
fn output_file_gets_the_report_and_stdout_stays_empty() {
    let tmp = tempdir();
    write(tmp.path(), "app/a.py", REEXPORT_LINE);
    let output =
        ssot(tmp.path()).args(["check", ".", "--output-file", "report.txt", "--color", "always"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout_of(&output), "");
    let report = read(tmp.path(), "report.txt");
    assert!(report.contains("app/a.py:1:46: SSOT002"), "{report}");
    assert!(!report.contains('\u{1b}'), "a file never gets colour codes");
    let output = ssot(tmp.path()).args(["check", ".", "--output-file", "no/such/dir/r.json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn color_follows_the_flag_then_no_color_then_force_color() {
    let tmp = tempdir();
    write(tmp.path(), "app/a.py", REEXPORT_LINE);
    let colored = |output: std::process::Output| stdout_of(&output).contains('\u{1b}');
    assert!(colored(ssot(tmp.path()).args(["check", ".", "--color", "always"]).output().unwrap()));
    assert!(!colored(ssot(tmp.path()).args(["check", "."]).output().unwrap()), "not a terminal: no colour");
    assert!(colored(ssot(tmp.path()).args(["check", "."]).env("FORCE_COLOR", "1").output().unwrap()));
    assert!(!colored(ssot(tmp.path()).args(["check", "."]).env("NO_COLOR", "1").output().unwrap()));
    assert!(
        colored(ssot(tmp.path()).args(["check", "."]).env("NO_COLOR", "").env("FORCE_COLOR", "1").output().unwrap()),
        "an empty NO_COLOR does not count"
    );
    assert!(!colored(
        ssot(tmp.path()).args(["check", ".", "--color", "never"]).env("FORCE_COLOR", "1").output().unwrap()
    ));
}

#[test]
fn completions_print_a_script_for_each_shell() {
    let tmp = tempdir();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = ssot(tmp.path()).args(["completions", shell]).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{shell}");
        let script = stdout_of(&output);
        assert!(script.contains("ssot-lsp") && script.contains("write-baseline"), "{shell}: {script}");
    }
    ssot(tmp.path()).args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn config_accepts_a_pyproject_toml() {
    let tmp = tempdir();
    write(tmp.path(), "app/a.py", REEXPORT_LINE);
    write(tmp.path(), "conf/pyproject.toml", "[project]\nname = \"x\"\n\n[tool.ssot-lsp]\nignore = [\"SSOT002\"]\n");
    ssot(tmp.path()).args(["check", ".", "--config", "conf/pyproject.toml"]).assert().success();
    write(tmp.path(), "conf/pyproject.toml", "[tool.ssot-lsp]\nignore = 3\n");
    let output = ssot(tmp.path()).args(["check", ".", "--config", "conf/pyproject.toml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr_of(&output).contains("pyproject.toml"), "{}", stderr_of(&output));
}

#[test]
fn stdin_is_checked_under_its_filename() {
    let tmp = tempdir();
    let root = tmp.path();
    write(root, "ssot.toml", "exclude = [\"legacy\"]\n");
    let output = ssot(root)
        .args(["check", "--stdin-filename", "app/x.py", "-", "--format", "concise"])
        .write_stdin(REEXPORT_LINE)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(finding_lines(&stdout_of(&output)), ["app/x.py:1"], "{}", stdout_of(&output));
    assert!(!root.join("app/x.py").exists(), "nothing is written");
    let excluded =
        ssot(root).args(["check", "--stdin-filename", "legacy/x.py", "-"]).write_stdin(REEXPORT_LINE).output().unwrap();
    assert_eq!(excluded.status.code(), Some(0));
    assert_eq!(stdout_of(&excluded), "");
    let no_name = ssot(root).args(["check", "-"]).write_stdin(REEXPORT_LINE).output().unwrap();
    assert_eq!(no_name.status.code(), Some(2));
    assert!(stderr_of(&no_name).contains("--stdin-filename"), "{}", stderr_of(&no_name));
}

#[test]
fn stdin_with_fix_prints_the_fixed_text_to_stdout_and_the_report_to_stderr() {
    let tmp = tempdir();
    let output = ssot(tmp.path())
        .args(["check", "--stdin-filename", "app/x.py", "--fix", "-"])
        .write_stdin(SAFE_SRC)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(stdout_of(&output), SAFE_FIXED);
    assert!(stderr_of(&output).contains("Fixed 1 finding in 1 file."), "{}", stderr_of(&output));
    let untouched = "import os\n";
    let output = ssot(tmp.path())
        .args(["check", "--stdin-filename", "y.py", "--fix", "-"])
        .write_stdin(untouched)
        .output()
        .unwrap();
    assert_eq!(stdout_of(&output), untouched);
}

#[test]
fn exit_non_zero_on_fix_fails_a_run_that_changed_files() {
    let tmp = tempdir();
    write(tmp.path(), "app/a.py", SAFE_SRC);
    ssot(tmp.path()).args(["check", ".", "--fix", "--exit-non-zero-on-fix"]).assert().code(1);
    assert_eq!(read(tmp.path(), "app/a.py"), SAFE_FIXED);
    // Nothing left to fix: success again.
    ssot(tmp.path()).args(["check", ".", "--fix", "--exit-non-zero-on-fix"]).assert().success();
    write(tmp.path(), "app/a.py", SAFE_SRC);
    ssot(tmp.path()).args(["check", ".", "--fix"]).assert().success();
}

#[test]
fn a_missing_path_is_an_error_not_a_warning() {
    let tmp = tempdir();
    write(tmp.path(), "app/a.py", "import os\n");
    let output = ssot(tmp.path()).args(["check", "app/a.py", "app/gone.py"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("error: app/gone.py: no such file or folder"), "{stderr}");
    assert!(!stderr.contains("warning:"), "{stderr}");
}

#[test]
fn the_fix_hint_says_to_commit_first_when_the_files_to_fix_have_uncommitted_changes() {
    let tmp = tempdir();
    let root = tmp.path();
    write(root, "app/a.py", SAFE_SRC);
    let git = |args: &[&str]| git_in(root, args);
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "start"]);
    let clean = stdout_of(&ssot(root).args(["check", "."]).output().unwrap());
    assert!(clean.contains("[*] 1 fixable with `ssot-lsp check --fix`.\n"), "{clean}");
    // An uncommitted file that --fix would not touch does not matter.
    write(root, "app/b.py", "import os\n");
    let unrelated = stdout_of(&ssot(root).args(["check", "."]).output().unwrap());
    assert!(unrelated.contains("[*] 1 fixable with `ssot-lsp check --fix`.\n"), "{unrelated}");
    let hint =
        "[*] 1 fixable with `ssot-lsp check --fix` (commit or copy first: the work tree has uncommitted changes).";
    write(root, "app/a.py", format!("{SAFE_SRC}# edited\n"));
    let dirty = stdout_of(&ssot(root).args(["check", "."]).output().unwrap());
    assert!(dirty.contains(hint), "{dirty}");
    // From a folder below the work tree's root, naming the file.
    let below = stdout_of(&ssot(&root.join("app")).args(["check", "a.py"]).output().unwrap());
    assert!(below.contains(hint), "{below}");
    // Staged counts too; committed does not.
    git(&["add", "app/a.py"]);
    let staged = stdout_of(&ssot(root).args(["check", "app"]).output().unwrap());
    assert!(staged.contains(hint), "{staged}");
    git(&["commit", "-qm", "edit"]);
    let committed = stdout_of(&ssot(root).args(["check", "."]).output().unwrap());
    assert!(committed.contains("[*] 1 fixable with `ssot-lsp check --fix`.\n"), "{committed}");
    // A new file, never added, in a new folder: listed by name.
    write(root, "app/new/c.py", SAFE_SRC);
    let untracked = stdout_of(&ssot(root).args(["check", "app/new"]).output().unwrap());
    assert!(untracked.contains(hint), "{untracked}");
}

fn git_in(root: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(root)
        .output()
        .expect("git runs");
    assert!(status.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&status.stderr));
}

#[test]
fn the_fix_hint_asks_git_status_about_files_whose_bytes_differ_from_the_index() {
    // With core.autocrlf the work tree's CRLF files are not the bytes the
    // index holds, yet git sees them unchanged: no hint. More of them than
    // one `git status` names: the last one's edit is still seen.
    let tmp = tempdir();
    let root = tmp.path();
    git_in(root, &["init", "-q"]);
    git_in(root, &["config", "core.autocrlf", "true"]);
    let crlf = SAFE_SRC.replace('\n', "\r\n");
    for number in 0..70 {
        write(root, &format!("app/f{number:02}.py"), &crlf);
    }
    git_in(root, &["add", "-A"]);
    git_in(root, &["commit", "-qm", "start"]);
    let clean = stdout_of(&ssot(root).args(["check", "."]).output().unwrap());
    assert!(clean.contains("[*] 70 fixable with `ssot-lsp check --fix`.\n"), "{clean}");
    let hint =
        "[*] 70 fixable with `ssot-lsp check --fix` (commit or copy first: the work tree has uncommitted changes).";
    write(root, "app/f69.py", format!("{crlf}# edited\r\n"));
    let last = stdout_of(&ssot(root).args(["check", "."]).output().unwrap());
    assert!(last.contains(hint), "{last}");
    write(root, "app/f69.py", &crlf);
    write(root, "app/f03.py", format!("{crlf}# edited\r\n"));
    let first = stdout_of(&ssot(root).args(["check", "."]).output().unwrap());
    assert!(first.contains(hint), "{first}");
}

#[test]
fn stdin_fixes_are_checked_against_the_code_base_of_its_filename() {
    // At the old commit `monitoring.websocket_metrics` does not exist: a file
    // named on the command line gets no fix, and stdin under the same name
    // must not get one either (it once wrote the ImportError).
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspaces/old_commit");
    let relative = "netra_backend/app/agents/metrics_user.py";
    let source = fs::read_to_string(tree.join(relative)).unwrap();
    let named = ssot(&tree).args(["check", relative, "--diff"]).output().unwrap();
    let piped = ssot(&tree)
        .args(["check", "--stdin-filename", relative, "--fix", "-"])
        .write_stdin(source.clone())
        .output()
        .unwrap();
    assert!(stdout_of(&named).contains("Would fix 0 findings"), "{}", stdout_of(&named));
    assert_eq!(stdout_of(&piped), source, "stdin --fix leaves the import alone: {}", stderr_of(&piped));
    assert!(stderr_of(&piped).contains("no counterpart in this code base"), "{}", stderr_of(&piped));
}
