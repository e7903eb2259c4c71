//! End-to-end tests of the `ssot-lsp` command line: every `check` flag, the
//! `rules`, `explain` and `schema` subcommands, and every exit code
//! (0 clean, 1 findings remain, 2 error).
//!
//! Each test builds its own tree in a temporary folder (small inline Python
//! files, or a copy of `demo/`) and runs the binary with that folder as the
//! current directory, so nothing here touches the repository.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const FACTORY: &str = "netra_backend.app.websocket_core.websocket_manager_factory";
const CANONICAL: &str = "netra_backend.app.websocket_core.websocket_manager";

/// A safe fix: `create_websocket_manager` → `get_websocket_manager`.
const SAFE_SRC: &str = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n\nasync def handler(ctx):\n    return await create_websocket_manager(ctx)\n";
const SAFE_FIXED: &str = "from netra_backend.app.websocket_core.websocket_manager import get_websocket_manager\n\n\nasync def handler(ctx):\n    return await get_websocket_manager(ctx)\n";

/// A name with no SSOT counterpart: a finding without a fix.
const NONE_SRC: &str = "from netra_backend.app.websocket_core.websocket_manager_factory import FactoryInitializationError\n\n\ndef fail():\n    raise FactoryInitializationError()\n";

/// An unsafe fix: `WebSocketManagerFactory` → `WebSocketManager`.
const UNSAFE_SRC: &str = "from netra_backend.app.websocket_core.websocket_manager_factory import WebSocketManagerFactory\n\n\ndef use(manager: WebSocketManagerFactory):\n    return manager\n";
const UNSAFE_FIXED: &str = "from netra_backend.app.websocket_core.websocket_manager import WebSocketManager\n\n\ndef use(manager: WebSocketManager):\n    return manager\n";

const SAFE_PATH: &str = "netra_backend/app/x/safe.py";
const NONE_PATH: &str = "netra_backend/app/x/none.py";
const UNSAFE_PATH: &str = "netra_backend/app/x/unsafe.py";

/// A custom rule file adding one rule with one safe name mapping.
const ACME_RULES: &str = r#"[[rules]]
code = "ACME001"
name = "acme-old"
kind = "module"
module = "acme.old"
canonical = "acme.new"
names = { f = { to = "acme.new.g", fix = "safe" } }
message = "`{name}` comes from the old acme module; use `{canonical}`"
docs = "Use acme.new.g instead of acme.old.f."
"#;
const ACME_SRC: &str = "from acme.old import f\n\nf(1)\n";
const ACME_FIXED: &str = "from acme.new import g\n\ng(1)\n";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The binary, run in `dir`, with the colour environment neutralised.
fn ssot(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("ssot-lsp").expect("the ssot-lsp binary is built");
    cmd.current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env_remove("FORCE_COLOR");
    cmd
}

/// A temporary folder under the target folder: config discovery walks up from
/// the checked folder, so a stray `pyproject.toml` in the system's temporary
/// folder must not leak into the tests.
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

/// `netra_backend/app/x/` as a package, so module paths resolve.
fn package(root: &Path) {
    for init in ["netra_backend/__init__.py", "netra_backend/app/__init__.py", "netra_backend/app/x/__init__.py"] {
        write(root, init, "");
    }
}

/// A package with one safe, one no-counterpart and one unsafe finding.
fn mixed_tree(root: &Path) {
    package(root);
    write(root, SAFE_PATH, SAFE_SRC);
    write(root, NONE_PATH, NONE_SRC);
    write(root, UNSAFE_PATH, UNSAFE_SRC);
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "__pycache__" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the repository's `demo/` tree (its contents, at the root).
fn demo_tree(root: &Path) {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("demo");
    copy_dir(&demo, root);
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

fn json_of(output: &std::process::Output) -> Value {
    let text = stdout_of(output);
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("stdout is not one JSON document ({error}):\n{text}"))
}

/// `(file, line, column, code)` of every `file:line:col: CODE` line.
fn locations(stdout: &str) -> Vec<(String, usize, usize, String)> {
    stdout
        .lines()
        .filter_map(|line| {
            let (location, rest) = line.split_once(": ")?;
            let mut parts = location.rsplitn(3, ':');
            let column = parts.next()?.parse().ok()?;
            let row = parts.next()?.parse().ok()?;
            let file = parts.next()?.to_string();
            let code = rest.split_whitespace().next()?.to_string();
            Some((file, row, column, code))
        })
        .collect()
}

/// The rule codes of a `--format json` report.
fn json_codes(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|finding| finding["code"].as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------
// check: exit codes and the default (text) report
// ---------------------------------------------------------------------------

#[test]
fn check_clean_tree_passes_with_exit_0() {
    let tmp = tempdir();
    package(tmp.path());
    write(tmp.path(), "netra_backend/app/x/ok.py", format!("from {CANONICAL} import get_websocket_manager\n\n\nasync def handler(ctx):\n    return await get_websocket_manager(ctx)\n"));
    ssot(tmp.path())
        .arg("check")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("All checks passed"))
        .stdout(predicate::str::contains("SSOT").not())
        .stderr(predicate::str::is_empty());
}

#[test]
fn check_demo_reports_findings_with_exit_1_and_file_line_col() {
    let tmp = tempdir();
    demo_tree(tmp.path());
    let output = ssot(tmp.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr_of(&output));
    let stdout = stdout_of(&output);
    let found = locations(&stdout);
    let ssot001: Vec<_> = found.iter().filter(|(_, _, _, code)| code == "SSOT001").collect();
    assert!(!ssot001.is_empty(), "no `file:line:col: SSOT001` line in:\n{stdout}");
    for (file, row, column, _) in &ssot001 {
        assert!(file.ends_with(".py") && *row >= 1 && *column >= 1, "bad location {file}:{row}:{column}");
        assert!(tmp.path().join(file).is_file(), "the location names a file that exists: {file}");
    }
    // Every built-in rule fires somewhere in the demo.
    let codes: BTreeSet<&str> = found.iter().map(|(_, _, _, code)| code.as_str()).collect();
    for code in ["SSOT001", "SSOT002", "SSOT003", "SSOT004", "SSOT005", "SSOT006", "SSOT007"] {
        assert!(codes.contains(code), "{code} missing from the demo report:\n{stdout}");
    }
    assert!(stdout.contains(&format!("Found {} findings in", found.len())), "{stdout}");
}

#[test]
fn check_text_format_shows_location_source_line_and_caret() {
    let tmp = tempdir();
    package(tmp.path());
    write(tmp.path(), SAFE_PATH, SAFE_SRC);
    let output = ssot(tmp.path()).args(["check", "--format", "text"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = stdout_of(&output);
    assert!(stdout.contains(&format!("{SAFE_PATH}:1:72: SSOT001 [*] ")), "{stdout}");
    assert!(stdout.contains(&format!("1 | from {FACTORY} import create_websocket_manager")), "{stdout}");
    assert!(
        stdout.contains(&format!("  | {}{}\n", " ".repeat(71), "^".repeat("create_websocket_manager".len()))),
        "{stdout}"
    );
    assert!(stdout.contains("Found 1 finding in 1 file."), "{stdout}");
    assert!(stdout.contains("[*] 1 fixable with `ssot-lsp check --fix`."), "{stdout}");
    // `--format text` is the default.
    let default = ssot(tmp.path()).arg("check").output().unwrap();
    assert_eq!(stdout, stdout_of(&default));
}

#[test]
fn check_explicit_paths_limit_what_is_checked() {
    let tmp = tempdir();
    mixed_tree(tmp.path());
    let output = ssot(tmp.path()).args(["check", "--format", "concise", NONE_PATH]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let found = locations(&stdout_of(&output));
    assert_eq!(found.len(), 1, "{}", stdout_of(&output));
    assert_eq!(found[0].0, NONE_PATH);
    // Two paths: both are checked, the third file is not.
    let output = ssot(tmp.path()).args(["check", "--format", "concise", NONE_PATH, SAFE_PATH]).output().unwrap();
    let files: BTreeSet<String> = locations(&stdout_of(&output)).into_iter().map(|(file, ..)| file).collect();
    assert_eq!(files, BTreeSet::from([NONE_PATH.to_string(), SAFE_PATH.to_string()]));
}

#[test]
fn check_missing_path_exits_2() {
    let tmp = tempdir();
    package(tmp.path());
    let output = ssot(tmp.path()).args(["check", "does/not/exist.py"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("does/not/exist.py"), "stderr names the path: {stderr}");
    // A failed run never claims success.
    assert!(!stdout_of(&output).contains("All checks passed"), "{}", stdout_of(&output));
}

#[test]
fn check_bad_arguments_exit_2() {
    let tmp = tempdir();
    ssot(tmp.path()).args(["check", "--format", "xml"]).assert().code(2).stderr(predicate::str::contains("--format"));
    ssot(tmp.path()).args(["check", "--no-such-flag"]).assert().code(2);
}

// ---------------------------------------------------------------------------
// check: output formats
// ---------------------------------------------------------------------------

#[test]
fn concise_format_prints_one_line_per_finding() {
    let tmp = tempdir();
    mixed_tree(tmp.path());
    let output = ssot(tmp.path()).args(["check", "--format", "concise"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = stdout_of(&output);
    let finding_lines: Vec<&str> = stdout.lines().filter(|line| line.starts_with("netra_backend/")).collect();
    assert_eq!(finding_lines.len(), 3, "{stdout}");
    assert_eq!(locations(&stdout).len(), 3, "{stdout}");
    assert!(!stdout.contains(" | "), "no source lines in concise output:\n{stdout}");
    assert!(!stdout.contains('^'), "no carets in concise output:\n{stdout}");
    assert!(finding_lines.iter().any(|line| line.starts_with(&format!("{SAFE_PATH}:1:72: SSOT001 [*] "))), "{stdout}");
    assert!(
        finding_lines.iter().any(|line| line.starts_with(&format!("{UNSAFE_PATH}:1:72: SSOT001 [unsafe fix] "))),
        "{stdout}"
    );
    assert!(
        finding_lines
            .iter()
            .any(|line| line.starts_with(&format!("{NONE_PATH}:1:72: SSOT001 `FactoryInitializationError`"))),
        "{stdout}"
    );
    assert!(stdout.contains("Found 3 findings in 3 files."), "{stdout}");
    assert!(stdout.contains("1 more fixable with `--fix --unsafe-fixes`."), "{stdout}");
}

#[test]
fn json_format_has_code_filename_location_and_fix() {
    let tmp = tempdir();
    mixed_tree(tmp.path());
    let output = ssot(tmp.path()).args(["check", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let value = json_of(&output);
    let findings = value.as_array().expect("an array");
    assert_eq!(findings.len(), 3, "{value:#}");
    let by_file = |path: &str| {
        findings.iter().find(|f| f["filename"] == path).unwrap_or_else(|| panic!("no finding for {path}: {value:#}"))
    };

    let safe = by_file(SAFE_PATH);
    assert_eq!(safe["code"], "SSOT001");
    assert_eq!(safe["rule"], "websocket-manager-factory");
    assert_eq!(safe["location"]["row"], 1);
    assert_eq!(safe["location"]["column"], 72);
    assert_eq!(safe["end_location"]["row"], 1);
    assert_eq!(safe["end_location"]["column"], 72 + "create_websocket_manager".len());
    assert_eq!(safe["deprecated"], format!("{FACTORY}.create_websocket_manager"));
    assert_eq!(safe["fix"]["applicability"], "safe");
    let edits = safe["fix"]["edits"].as_array().expect("fix.edits");
    assert!(!edits.is_empty());
    assert!(edits.iter().any(|edit| edit["content"].as_str().unwrap().contains("get_websocket_manager")), "{edits:#?}");

    assert_eq!(by_file(UNSAFE_PATH)["fix"]["applicability"], "unsafe");
    let none = by_file(NONE_PATH);
    assert_eq!(none["code"], "SSOT001");
    assert!(none["fix"].is_null(), "{none:#}");
}

#[test]
fn sarif_format_is_sarif_2_1_0_with_rules_results_and_stable_fingerprints() {
    let tmp = tempdir();
    mixed_tree(tmp.path());
    let run = || {
        let output = ssot(tmp.path()).args(["check", "--format", "sarif"]).output().unwrap();
        assert_eq!(output.status.code(), Some(1));
        json_of(&output)
    };
    let sarif = run();
    assert_eq!(sarif["version"], "2.1.0");
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "ssot-lsp");
    let rules = driver["rules"].as_array().expect("runs[0].tool.driver.rules");
    let ssot001 = rules.iter().position(|rule| rule["id"] == "SSOT001").expect("SSOT001 among the SARIF rules");
    let help_uri = rules[ssot001]["helpUri"].as_str().expect("SSOT001 has a helpUri");
    assert!(help_uri.starts_with("https://") && help_uri.contains("SSOT001"), "{help_uri}");
    assert!(rules[ssot001]["help"]["markdown"].as_str().unwrap().contains("get_websocket_manager"));

    let results = sarif["runs"][0]["results"].as_array().expect("runs[0].results");
    assert_eq!(results.len(), 3);
    for result in results {
        assert_eq!(result["ruleId"], "SSOT001");
        assert_eq!(result["ruleIndex"], ssot001);
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], 1);
        assert_eq!(region["startColumn"], 72);
        let fingerprint = result["partialFingerprints"]["primaryLocationLineHash"].as_str().expect("a fingerprint");
        assert!(!fingerprint.is_empty());
    }
    let uris: BTreeSet<&str> = results
        .iter()
        .map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap())
        .collect();
    assert_eq!(uris, BTreeSet::from([SAFE_PATH, NONE_PATH, UNSAFE_PATH]));
    // Only fixable findings carry SARIF fixes.
    let safe =
        results.iter().find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == SAFE_PATH).unwrap();
    assert!(safe["fixes"].is_array(), "{safe:#}");
    let none =
        results.iter().find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == NONE_PATH).unwrap();
    assert!(none.get("fixes").is_none(), "{none:#}");
    // Relative result paths resolve against the checked folder.
    let base = sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"].as_str().unwrap().to_string();
    assert!(base.starts_with("file:///") && base.ends_with('/') && base.len() > "file:///".len(), "{base}");

    let fingerprints = |sarif: &Value| -> Vec<(String, String)> {
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let first = fingerprints(&sarif);
    assert_eq!(first, fingerprints(&run()), "fingerprints are stable across runs");
    let distinct: BTreeSet<&String> = first.iter().map(|(_, fingerprint)| fingerprint).collect();
    assert_eq!(distinct.len(), first.len(), "each finding has its own fingerprint");

    // Moving the finding down does not change its fingerprint (it hashes the
    // line's content, not its number).
    write(tmp.path(), SAFE_PATH, format!("# a new first line\n\n{SAFE_SRC}"));
    let moved = run();
    let moved_result = moved["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == SAFE_PATH)
        .unwrap()
        .clone();
    assert_eq!(moved_result["locations"][0]["physicalLocation"]["region"]["startLine"], 3);
    assert_eq!(fingerprints(&moved), first);
}

#[test]
fn github_format_prints_workflow_annotations() {
    let tmp = tempdir();
    mixed_tree(tmp.path());
    let output = ssot(tmp.path()).args(["check", "--format", "github"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = stdout_of(&output);
    let lines: Vec<&str> = stdout.lines().filter(|line| !line.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for line in &lines {
        assert!(line.starts_with("::warning file="), "{line}");
        assert!(line.contains(",line=1,col=72,"), "{line}");
        assert!(line.contains(",title=SSOT001 (websocket-manager-factory)::"), "{line}");
    }
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with(&format!("::warning file={SAFE_PATH},line=1,col=72,endLine=1,endColumn=96,"))),
        "{stdout}"
    );
    assert!(!stdout.contains("Found "), "no human summary in annotations:\n{stdout}");
}

// ---------------------------------------------------------------------------
// check --fix
// ---------------------------------------------------------------------------

#[test]
fn fix_rewrites_the_import_and_call_sites() {
    let tmp = tempdir();
    package(tmp.path());
    write(tmp.path(), SAFE_PATH, SAFE_SRC);
    ssot(tmp.path())
        .args(["check", "--fix"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Fixed 1 finding in 1 file."));
    assert_eq!(read(tmp.path(), SAFE_PATH), SAFE_FIXED);
    // No temporary files are left behind.
    let leftovers: Vec<_> = fs::read_dir(tmp.path().join("netra_backend/app/x"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|name| name.to_string_lossy().starts_with(".ssot-fix-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn fix_leaves_a_file_without_fixable_findings_untouched() {
    let tmp = tempdir();
    package(tmp.path());
    let path = write(tmp.path(), NONE_PATH, NONE_SRC);
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    fs::File::options().write(true).open(&path).unwrap().set_modified(old).unwrap();
    let before = fs::read(&path).unwrap();
    let output = ssot(tmp.path()).args(["check", "--fix"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "a finding remains");
    let stdout = stdout_of(&output);
    assert!(stdout.contains("Fixed 0 findings in 0 files. 1 remaining."), "{stdout}");
    assert!(stdout.contains(&format!("{NONE_PATH}:1:72: SSOT001")), "{stdout}");
    assert_eq!(fs::read(&path).unwrap(), before, "byte-identical");
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), old, "not rewritten (mtime unchanged)");
}

#[test]
fn fix_keeps_crlf_line_endings_and_the_bom() {
    let tmp = tempdir();
    package(tmp.path());
    let simple = "\u{feff}from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\r\n\r\n\r\nasync def handler(ctx):\r\n    return await create_websocket_manager(ctx)\r\n";
    let simple_fixed = "\u{feff}from netra_backend.app.websocket_core.websocket_manager import get_websocket_manager\r\n\r\n\r\nasync def handler(ctx):\r\n    return await get_websocket_manager(ctx)\r\n";
    // A multi-line import that the fix splits in two: the new line must be CRLF too.
    let split = "\u{feff}\"\"\"Doc.\"\"\"\r\nfrom netra_backend.app.websocket_core.websocket_manager_factory import (\r\n    create_websocket_manager,\r\n    FactoryInitializationError,\r\n)\r\n\r\n\r\nasync def handler(ctx):\r\n    return await create_websocket_manager(ctx)\r\n";
    let split_fixed = "\u{feff}\"\"\"Doc.\"\"\"\r\nfrom netra_backend.app.websocket_core.websocket_manager_factory import (\r\n    FactoryInitializationError,\r\n)\r\nfrom netra_backend.app.websocket_core.websocket_manager import get_websocket_manager\r\n\r\n\r\nasync def handler(ctx):\r\n    return await get_websocket_manager(ctx)\r\n";
    write(tmp.path(), "netra_backend/app/x/simple.py", simple);
    write(tmp.path(), "netra_backend/app/x/split.py", split);
    let output = ssot(tmp.path()).args(["check", "--fix"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "FactoryInitializationError remains: {}", stdout_of(&output));
    assert!(stdout_of(&output).contains("Fixed 2 findings in 2 files. 1 remaining."), "{}", stdout_of(&output));
    for (name, expected) in [("simple.py", simple_fixed), ("split.py", split_fixed)] {
        let bytes = fs::read(tmp.path().join("netra_backend/app/x").join(name)).unwrap();
        assert!(bytes.starts_with(b"\xef\xbb\xbf"), "{name} keeps its BOM");
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.matches('\n').count(), text.matches("\r\n").count(), "{name} has only CRLF endings: {text:?}");
        assert_eq!(text, expected, "{name}");
    }
}

#[test]
fn bom_file_columns() {
    let tmp = tempdir();
    package(tmp.path());
    write(tmp.path(), "netra_backend/app/x/bom.py", format!("\u{feff}{SAFE_SRC}"));
    let output = ssot(tmp.path()).args(["check", "--format", "concise"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let found = locations(&stdout_of(&output));
    assert_eq!(found.len(), 1);
    // The BOM is not a column: the same import reports 1:72 with or without it.
    assert_eq!((found[0].1, found[0].2), (1, 72));
}

#[cfg(unix)]
#[test]
fn fix_keeps_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempdir();
    package(tmp.path());
    let path = write(tmp.path(), SAFE_PATH, SAFE_SRC);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    ssot(tmp.path()).args(["check", "--fix"]).assert().code(0);
    assert_eq!(read(tmp.path(), SAFE_PATH), SAFE_FIXED, "the file was rewritten");
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o7777, 0o640);
}

#[test]
fn second_fix_is_a_no_op() {
    let tmp = tempdir();
    mixed_tree(tmp.path());
    let first = ssot(tmp.path()).args(["check", "--fix"]).output().unwrap();
    assert!(stdout_of(&first).contains("Fixed 1 finding in 1 file. 2 remaining."), "{}", stdout_of(&first));
    let after_first: Vec<String> = [SAFE_PATH, NONE_PATH, UNSAFE_PATH].iter().map(|p| read(tmp.path(), p)).collect();
    assert_eq!(after_first[0], SAFE_FIXED);
    let second = ssot(tmp.path()).args(["check", "--fix"]).output().unwrap();
    assert_eq!(second.status.code(), Some(1));
    assert!(stdout_of(&second).contains("Fixed 0 findings in 0 files. 2 remaining."), "{}", stdout_of(&second));
    let after_second: Vec<String> = [SAFE_PATH, NONE_PATH, UNSAFE_PATH].iter().map(|p| read(tmp.path(), p)).collect();
    assert_eq!(after_first, after_second);
}

#[test]
fn unsafe_fixes_apply_unsafe_mappings_that_plain_fix_leaves_alone() {
    let tmp = tempdir();
    package(tmp.path());
    write(tmp.path(), UNSAFE_PATH, UNSAFE_SRC);
    let output = ssot(tmp.path()).args(["check", "--fix"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = stdout_of(&output);
    assert!(stdout.contains("Fixed 0 findings in 0 files. 1 remaining."), "{stdout}");
    assert!(stdout.contains(&format!("{UNSAFE_PATH}:1:72: SSOT001 [unsafe fix]")), "{stdout}");
    assert_eq!(read(tmp.path(), UNSAFE_PATH), UNSAFE_SRC, "plain --fix leaves the unsafe mapping");

    // --diff --unsafe-fixes shows it without writing.
    let diff = ssot(tmp.path()).args(["check", "--diff", "--unsafe-fixes"]).output().unwrap();
    assert_eq!(diff.status.code(), Some(1));
    assert!(stdout_of(&diff).contains(&format!("+from {CANONICAL} import WebSocketManager")), "{}", stdout_of(&diff));
    assert_eq!(read(tmp.path(), UNSAFE_PATH), UNSAFE_SRC);

    ssot(tmp.path())
        .args(["check", "--fix", "--unsafe-fixes"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Fixed 1 finding in 1 file."));
    assert_eq!(read(tmp.path(), UNSAFE_PATH), UNSAFE_FIXED);
}

// ---------------------------------------------------------------------------
// check --diff
// ---------------------------------------------------------------------------

/// The printed diff is a patch `git apply` takes, and gives what `--fix`
/// writes: here a line is removed before an equal one, where similar's own
/// hunk header named the wrong lines (`@@ -1,5 +2,4 @@`).
#[test]
fn diff_output_is_a_patch_git_applies() {
    let tmp = tempdir();
    package(tmp.path());
    let src =
        format!("from {FACTORY} import *\nfrom {CANONICAL} import *\n\n\ndef kind(manager):\n    return manager\n");
    write(tmp.path(), "netra_backend/app/x/star.py", &src);
    let output = ssot(tmp.path()).args(["check", "--diff", "--unsafe-fixes", "--no-color"]).output().unwrap();
    let stdout = stdout_of(&output);
    let patch: String = stdout.split_inclusive('\n').take_while(|line| !line.starts_with("Would fix")).collect();
    assert!(patch.contains("@@ -1,5 +1,5 @@\n"), "{stdout}");
    std::fs::write(tmp.path().join("fix.patch"), &patch).unwrap();
    let status =
        std::process::Command::new("git").args(["apply", "fix.patch"]).current_dir(tmp.path()).status().unwrap();
    assert!(status.success(), "git apply refused:\n{patch}");
    let applied = read(tmp.path(), "netra_backend/app/x/star.py");
    write(tmp.path(), "netra_backend/app/x/star.py", &src);
    ssot(tmp.path()).args(["check", "--fix", "--unsafe-fixes"]).assert().code(0);
    assert_eq!(applied, read(tmp.path(), "netra_backend/app/x/star.py"));
}

#[test]
fn diff_prints_a_unified_diff_and_writes_nothing() {
    let tmp = tempdir();
    package(tmp.path());
    write(tmp.path(), SAFE_PATH, SAFE_SRC);
    let output = ssot(tmp.path()).args(["check", "--diff"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "something to fix");
    let stdout = stdout_of(&output);
    assert!(stdout.contains(&format!("--- a/{SAFE_PATH}\n+++ b/{SAFE_PATH}\n@@ ")), "{stdout}");
    assert!(stdout.contains(&format!("-from {FACTORY} import create_websocket_manager\n")), "{stdout}");
    assert!(stdout.contains(&format!("+from {CANONICAL} import get_websocket_manager\n")), "{stdout}");
    assert!(
        stdout.contains(
            "-    return await create_websocket_manager(ctx)\n+    return await get_websocket_manager(ctx)\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("Would fix 1 finding in 1 file."), "{stdout}");
    assert_eq!(read(tmp.path(), SAFE_PATH), SAFE_SRC, "--diff writes nothing");
    // The diff applies: its + side is what --fix writes.
    ssot(tmp.path()).args(["check", "--fix"]).assert().code(0);
    assert_eq!(read(tmp.path(), SAFE_PATH), SAFE_FIXED);
    // Nothing left to fix: no diff, exit 0.
    ssot(tmp.path()).args(["check", "--diff"]).assert().code(0).stdout(predicate::str::contains("--- a/").not());
}

/// The other formats would give findings in the would-be-fixed text, which
/// is not on disk, and no diff: refused, saying what to use instead.
#[test]
fn diff_takes_only_the_text_formats() {
    let tmp = tempdir();
    package(tmp.path());
    write(tmp.path(), SAFE_PATH, SAFE_SRC);
    for format in ["json", "sarif", "github"] {
        let output = ssot(tmp.path()).args(["check", "--diff", "--format", format]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{format}");
        assert!(stdout_of(&output).is_empty(), "{format}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--diff prints a unified diff, with --format text or concise"), "{format}: {stderr}");
    }
    let output = ssot(tmp.path()).args(["check", "--diff", "--format", "concise"]).output().unwrap();
    assert!(stdout_of(&output).contains(&format!("--- a/{SAFE_PATH}")));
    assert_eq!(read(tmp.path(), SAFE_PATH), SAFE_SRC);
}

#[test]
fn diff_without_fixable_findings_prints_no_diff_but_exits_1() {
    let tmp = tempdir();
    package(tmp.path());
    write(tmp.path(), NONE_PATH, NONE_SRC);
    let output = ssot(tmp.path()).args(["check", "--diff"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "the finding remains");
    let stdout = stdout_of(&output);
    assert!(!stdout.contains("--- a/"), "{stdout}");
    assert!(stdout.contains("Would fix 0 findings in 0 files."), "{stdout}");
    assert_eq!(read(tmp.path(), NONE_PATH), NONE_SRC);
}

// ---------------------------------------------------------------------------
// check --statistics
// ---------------------------------------------------------------------------

fn statistics_tree(root: &Path) {
    package(root);
    write(root, SAFE_PATH, SAFE_SRC);
    write(root, NONE_PATH, NONE_SRC);
    write(
        root,
        "netra_backend/app/x/direct.py",
        format!("from {FACTORY} import create_websocket_manager\nfrom {CANONICAL} import UnifiedWebSocketManager\n\nmanager = UnifiedWebSocketManager()\n"),
    );
}

#[test]
fn statistics_prints_counts_per_rule_and_per_name() {
    let tmp = tempdir();
    statistics_tree(tmp.path());
    let output = ssot(tmp.path()).args(["check", "--statistics"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = stdout_of(&output);
    let squeezed: Vec<String> =
        stdout.lines().map(|line| line.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    let has = |line: &str| squeezed.iter().any(|l| l == line);
    assert!(has("count files code rule"), "{stdout}");
    assert!(has("3 3 SSOT001 websocket-manager-factory"), "{stdout}");
    assert!(has("1 1 SSOT006 direct-websocket-manager-instantiation"), "{stdout}");
    assert!(has("count files deprecated name"), "{stdout}");
    assert!(has(&format!("2 2 {FACTORY}.create_websocket_manager")), "{stdout}");
    assert!(has(&format!("1 1 {FACTORY}.FactoryInitializationError")), "{stdout}");
    assert!(has(&format!("1 1 {CANONICAL}.UnifiedWebSocketManager")), "{stdout}");
    assert!(stdout.contains("4 findings left in 3 of "), "{stdout}");
    assert!(stdout.contains("(2 fixable)"), "{stdout}");
}

#[test]
fn statistics_with_json_format_is_one_json_document() {
    let tmp = tempdir();
    statistics_tree(tmp.path());
    let output = ssot(tmp.path()).args(["check", "--statistics", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let value = json_of(&output);
    assert_eq!(value["total"], 4, "{value:#}");
    assert_eq!(value["files_with_findings"], 3);
    assert_eq!(value["fixable"], 2);
    let by_rule = value["by_rule"].as_array().expect("by_rule");
    let ssot001 = by_rule.iter().find(|entry| entry["code"] == "SSOT001").expect("SSOT001 in by_rule");
    assert_eq!(ssot001["count"], 3);
    assert_eq!(ssot001["files"], 3);
    let by_name = value["by_name"].as_array().expect("by_name");
    let create = by_name
        .iter()
        .find(|entry| entry["deprecated"] == format!("{FACTORY}.create_websocket_manager"))
        .expect("per-name entry");
    assert_eq!(create["count"], 2);
}

#[test]
fn statistics_with_sarif_format() {
    let tmp = tempdir();
    statistics_tree(tmp.path());
    let output = ssot(tmp.path()).args(["check", "--statistics", "--format", "sarif"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = stdout_of(&output);
    // Statistics replace the findings; for machine formats they are one JSON document.
    let statistics: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(statistics["total"], 4, "{stdout}");
}

#[test]
fn a_handled_error_reason_tells_a_name_kept_in_another_module_by_its_path() {
    // The demo's route handles the factory's `FactoryInitializationError`;
    // `create_defensive_user_execution_context` keeps its name in
    // `services.user_execution_context`, so the reason names that one by
    // its path ("… may raise and `create_…` need not" said nothing).
    let tmp = tempdir();
    demo_tree(tmp.path());
    let route = "netra_backend/app/routes/websocket_route.py";
    let report = json_of(&ssot(tmp.path()).args(["check", "--format", "json", route]).output().unwrap());
    let note = |deprecated: &str| -> String {
        let finding = report.as_array().unwrap().iter().find(|finding| finding["deprecated"] == deprecated);
        let finding = finding.unwrap_or_else(|| panic!("no finding of {deprecated}: {report:#}"));
        assert_eq!(finding["fix"]["applicability"], "unsafe", "{finding:#}");
        finding["message"].as_str().unwrap().to_string()
    };
    let factory = "netra_backend.app.websocket_core.websocket_manager_factory";
    let kept = note(&format!("{factory}.create_defensive_user_execution_context"));
    assert!(
        kept.contains(
            "which `create_defensive_user_execution_context` may raise and \
             `netra_backend.app.services.user_execution_context.create_defensive_user_execution_context` need not"
        ),
        "{kept}"
    );
    // A renamed one is named as before.
    let renamed = note(&format!("{factory}.create_websocket_manager"));
    assert!(
        renamed.contains("which `create_websocket_manager` may raise and `get_websocket_manager` need not"),
        "{renamed}"
    );
}

// ---------------------------------------------------------------------------
// check --select / --ignore
// ---------------------------------------------------------------------------

#[test]
fn select_reports_only_the_selected_rules() {
    let tmp = tempdir();
    demo_tree(tmp.path());
    let output = ssot(tmp.path()).args(["check", "--format", "json", "--select", "SSOT006"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let codes = json_codes(&json_of(&output));
    assert!(!codes.is_empty());
    assert!(codes.iter().all(|code| code == "SSOT006"), "{codes:?}");
    // A comma-separated list.
    let output = ssot(tmp.path()).args(["check", "--format", "json", "--select", "SSOT005,SSOT006"]).output().unwrap();
    let codes: BTreeSet<String> = json_codes(&json_of(&output)).into_iter().collect();
    assert_eq!(codes, BTreeSet::from(["SSOT005".to_string(), "SSOT006".to_string()]));
}

#[test]
fn select_of_the_all_export_rule_alone_still_finds_its_entries() {
    // SSOT007 has no trigger of its own: the files it reports are found by
    // the triggers of the rules whose imports it looks at.
    let tmp = tempdir();
    demo_tree(tmp.path());
    let all = json_codes(&json_of(&ssot(tmp.path()).args(["check", "--format", "json"]).output().unwrap()));
    let expected = all.iter().filter(|code| *code == "SSOT007").count();
    assert!(expected > 0, "{all:?}");
    let output = ssot(tmp.path()).args(["check", "--format", "json", "--select", "SSOT007"]).output().unwrap();
    assert_eq!(json_codes(&json_of(&output)), vec!["SSOT007".to_string(); expected]);
}

#[test]
fn ignore_drops_the_ignored_rules() {
    let tmp = tempdir();
    demo_tree(tmp.path());
    let all = json_codes(&json_of(&ssot(tmp.path()).args(["check", "--format", "json"]).output().unwrap()));
    assert!(all.iter().any(|code| code == "SSOT001"), "the demo has SSOT001 findings");
    let output = ssot(tmp.path()).args(["check", "--format", "json", "--ignore", "SSOT001"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let codes = json_codes(&json_of(&output));
    assert!(!codes.is_empty());
    assert!(!codes.iter().any(|code| code == "SSOT001"), "{codes:?}");
    // The other rules that do not depend on SSOT001 report exactly as before.
    let count = |codes: &[String], code: &str| codes.iter().filter(|c| *c == code).count();
    for code in ["SSOT002", "SSOT003", "SSOT004", "SSOT005", "SSOT006"] {
        assert_eq!(count(&codes, code), count(&all, code), "{code}");
    }
    // Ignoring SSOT001 does not hide SSOT007: the `__all__` entries still
    // re-export names that a deprecated factory import binds.
    assert!(count(&all, "SSOT007") > 0, "{all:?}");
    assert_eq!(count(&codes, "SSOT007"), count(&all, "SSOT007"), "{codes:?}");
}

#[test]
fn select_with_an_unknown_code_exits_2() {
    let tmp = tempdir();
    mixed_tree(tmp.path());
    let output = ssot(tmp.path()).args(["check", "--select", "NOPE9"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout_of(&output).is_empty(), "no report on a usage error: {}", stdout_of(&output));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("error:"), "{stderr}");
    assert!(stderr.contains("--select/--ignore"), "{stderr}");
    // The error names the unknown code.
    assert!(stderr.contains("NOPE9"), "{stderr}");
    ssot(tmp.path()).args(["check", "--ignore", "NOPE9"]).assert().code(2);
}

// ---------------------------------------------------------------------------
// Configuration: --config, discovery, errors
// ---------------------------------------------------------------------------

#[test]
fn config_flag_adds_a_custom_rule_that_finds_and_fixes() {
    let tmp = tempdir();
    write(tmp.path(), "rules/acme.toml", ACME_RULES);
    write(tmp.path(), "pkg/m.py", ACME_SRC);
    // Without the config the file is clean.
    ssot(tmp.path()).args(["check", "pkg"]).assert().code(0);
    let output =
        ssot(tmp.path()).args(["check", "--config", "rules/acme.toml", "--format", "concise", "pkg"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = stdout_of(&output);
    assert!(
        stdout.contains("pkg/m.py:1:22: ACME001 [*] `f` comes from the old acme module; use `acme.new.g`"),
        "{stdout}"
    );
    ssot(tmp.path())
        .args(["check", "--config", "rules/acme.toml", "--fix", "pkg"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Fixed 1 finding in 1 file."));
    assert_eq!(read(tmp.path(), "pkg/m.py"), ACME_FIXED);
}

#[test]
fn config_flag_with_a_missing_file_exits_2() {
    let tmp = tempdir();
    write(tmp.path(), "pkg/m.py", ACME_SRC);
    ssot(tmp.path())
        .args(["check", "--config", "nope.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope.toml"));
}

#[test]
fn ssot_toml_in_the_tree_is_discovered() {
    let tmp = tempdir();
    write(tmp.path(), "ssot.toml", ACME_RULES);
    write(tmp.path(), "pkg/m.py", ACME_SRC);
    // From the root, and when checking a sub-folder (discovery walks upwards).
    for args in [&["check", "--format", "concise"][..], &["check", "--format", "concise", "pkg"][..]] {
        let output = ssot(tmp.path()).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(stdout_of(&output).contains("pkg/m.py:1:22: ACME001"), "{args:?}: {}", stdout_of(&output));
    }
}

#[test]
fn pyproject_tool_section_is_discovered() {
    let tmp = tempdir();
    let section = ACME_RULES.replace("[[rules]]", "[[tool.ssot-lsp.rules]]");
    write(
        tmp.path(),
        "pyproject.toml",
        format!("[project]\nname = \"demo\"\nversion = \"0\"\n\n[tool.ssot-lsp]\nunsafe-fixes = false\n\n{section}"),
    );
    write(tmp.path(), "pkg/m.py", ACME_SRC);
    let output = ssot(tmp.path()).args(["check", "--format", "concise"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout_of(&output).contains("pkg/m.py:1:22: ACME001"), "{}", stdout_of(&output));
    ssot(tmp.path()).args(["check", "--fix"]).assert().code(0);
    assert_eq!(read(tmp.path(), "pkg/m.py"), ACME_FIXED);
}

#[test]
fn broken_config_exits_2_and_names_file_line_and_column() {
    let tmp = tempdir();
    write(tmp.path(), "ssot.toml", "ignore = []\nbogus = 1\n");
    write(tmp.path(), "pkg/m.py", ACME_SRC);
    let output = ssot(tmp.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("ssot.toml:2:1:"), "{stderr}");
    assert!(!stderr.contains("/./ssot.toml"), "the path is normalised: {stderr}");
    assert!(stderr.contains("bogus"), "{stderr}");
    assert!(stdout_of(&output).is_empty(), "{}", stdout_of(&output));
    // The other subcommands refuse the broken file too.
    ssot(tmp.path()).arg("rules").assert().code(2).stderr(predicate::str::contains("ssot.toml:2:1:"));
    ssot(tmp.path()).args(["explain", "SSOT001"]).assert().code(2).stderr(predicate::str::contains("ssot.toml:2:1:"));
    // A semantic error points at the offending value.
    write(
        tmp.path(),
        "ssot.toml",
        "[[rules]]\ncode = \"X1\"\nname = \"x\"\nkind = \"module\"\nmodule = \"not a path\"\nmessage = \"m\"\n",
    );
    ssot(tmp.path()).arg("check").assert().code(2).stderr(predicate::str::contains("ssot.toml:5:10:"));
}

#[test]
fn broken_pyproject_section_exits_2_with_a_location() {
    let tmp = tempdir();
    write(tmp.path(), "pyproject.toml", "[project]\nname = \"demo\"\n\n[tool.ssot-lsp]\nbogus = 1\n");
    write(tmp.path(), "pkg/m.py", ACME_SRC);
    let output = ssot(tmp.path()).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(stderr.contains("pyproject.toml:5:1:"), "{stderr}");
    assert!(stderr.contains("bogus"), "{stderr}");
}

// ---------------------------------------------------------------------------
// --exit-zero, --no-color, suppressions, unreadable files
// ---------------------------------------------------------------------------

#[test]
fn exit_zero_exits_0_with_findings() {
    let tmp = tempdir();
    mixed_tree(tmp.path());
    ssot(tmp.path())
        .args(["check", "--exit-zero"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("SSOT001"))
        .stdout(predicate::str::contains("Found 3 findings"));
    ssot(tmp.path())
        .args(["check", "--exit-zero", "--diff"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("--- a/"));
    // An error still exits 2.
    ssot(tmp.path()).args(["check", "--exit-zero", "missing.py"]).assert().code(2);
}

#[test]
fn no_color_output_has_no_escape_codes() {
    let tmp = tempdir();
    mixed_tree(tmp.path());
    write(
        tmp.path(),
        "netra_backend/app/x/latin1.py",
        b"# caf\xe9\nfrom netra_backend.app.websocket_core.websocket_manager_factory import FactoryMetrics\n",
    );
    // Forced colour, so the test can tell --no-color apart from a pipe.
    let coloured = ssot(tmp.path()).env("CLICOLOR_FORCE", "1").arg("check").output().unwrap();
    assert!(stdout_of(&coloured).contains("\x1b["), "forced colour shows escapes: {:?}", stdout_of(&coloured));
    for format in ["text", "concise", "json", "sarif", "github"] {
        let plain = ssot(tmp.path())
            .env("CLICOLOR_FORCE", "1")
            .args(["check", "--no-color", "--format", format])
            .output()
            .unwrap();
        assert_eq!(plain.status.code(), Some(1));
        assert!(!stdout_of(&plain).contains("\x1b["), "{format}: {:?}", stdout_of(&plain));
        // --no-color reaches stderr too.
        assert!(!stderr_of(&plain).contains("\x1b["), "{format}: {:?}", stderr_of(&plain));
    }
    // NO_COLOR does the same as --no-color for stdout.
    let no_color_env = ssot(tmp.path()).env("CLICOLOR_FORCE", "1").env("NO_COLOR", "1").arg("check").output().unwrap();
    assert!(!stdout_of(&no_color_env).contains("\x1b["), "{:?}", stdout_of(&no_color_env));
    // Piped output without any flag is plain.
    let piped = ssot(tmp.path()).arg("check").output().unwrap();
    assert!(!stdout_of(&piped).contains("\x1b["));
}

#[test]
fn ssot_ignore_comment_silences_a_line() {
    let tmp = tempdir();
    package(tmp.path());
    write(
        tmp.path(),
        "netra_backend/app/x/ignored.py",
        format!(
            "from {FACTORY} import create_websocket_manager  # ssot: ignore\n\
             from {FACTORY} import create_test_user_context  # ssot: ignore[SSOT002]\n\
             from {FACTORY} import FactoryMetrics  # ssot: ignore[SSOT001]\n\
             from {FACTORY} import (  # ssot: ignore\n    ManagerMetrics,\n)\n"
        ),
    );
    let output = ssot(tmp.path()).args(["check", "--format", "concise"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stdout_of(&output));
    let found = locations(&stdout_of(&output));
    // Only the line whose comment names another code is reported.
    assert_eq!(
        found,
        vec![("netra_backend/app/x/ignored.py".to_string(), 2, 72, "SSOT001".to_string())],
        "{}",
        stdout_of(&output)
    );
    // With every line silenced, the file is clean.
    write(
        tmp.path(),
        "netra_backend/app/x/ignored.py",
        format!("from {FACTORY} import create_websocket_manager  # ssot: ignore\n"),
    );
    ssot(tmp.path()).arg("check").assert().code(0).stdout(predicate::str::contains("All checks passed"));
    // And --fix leaves a silenced line alone.
    ssot(tmp.path()).args(["check", "--fix"]).assert().code(0);
    assert!(read(tmp.path(), "netra_backend/app/x/ignored.py")
        .contains("websocket_manager_factory import create_websocket_manager"));
}

#[test]
fn invalid_utf8_file_is_skipped_with_a_warning() {
    let tmp = tempdir();
    package(tmp.path());
    write(tmp.path(), SAFE_PATH, SAFE_SRC);
    let bad: Vec<u8> =
        [b"# caf\xe9 \xff\xfe\n".as_slice(), format!("from {FACTORY} import create_websocket_manager\n").as_bytes()]
            .concat();
    let bad_path = write(tmp.path(), "netra_backend/app/x/latin1.py", &bad);

    let output = ssot(tmp.path()).args(["check", "--format", "concise"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "the other file's finding");
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("warning:") && stderr.contains("netra_backend/app/x/latin1.py") && stderr.contains("UTF-8"),
        "{stderr}"
    );
    let files: BTreeSet<String> = locations(&stdout_of(&output)).into_iter().map(|(file, ..)| file).collect();
    assert_eq!(files, BTreeSet::from([SAFE_PATH.to_string()]));

    let output = ssot(tmp.path()).args(["check", "--fix"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "a skipped file is a warning, not an error: {}", stderr_of(&output));
    assert!(stderr_of(&output).contains("netra_backend/app/x/latin1.py"), "{}", stderr_of(&output));
    assert_eq!(fs::read(&bad_path).unwrap(), bad, "not modified");
    assert_eq!(read(tmp.path(), SAFE_PATH), SAFE_FIXED, "other files are still fixed");
}

// ---------------------------------------------------------------------------
// rules, explain, schema
// ---------------------------------------------------------------------------

const BUILTIN_CODES: [&str; 7] = ["SSOT001", "SSOT002", "SSOT003", "SSOT004", "SSOT005", "SSOT006", "SSOT007"];

#[test]
fn rules_lists_the_builtin_rules() {
    let tmp = tempdir();
    let output = ssot(tmp.path()).arg("rules").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = stdout_of(&output);
    assert!(stdout.contains("built-in rules"), "{stdout}");
    let listed: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|word| word.starts_with("SSOT"))
        .collect();
    assert_eq!(listed, BUILTIN_CODES, "{stdout}");
    assert!(
        stdout.lines().any(|line| line.starts_with("SSOT001")
            && line.contains("websocket-manager-factory")
            && line.contains(FACTORY)),
        "{stdout}"
    );
}

#[test]
fn rules_json_parses() {
    let tmp = tempdir();
    let output = ssot(tmp.path()).args(["rules", "--json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let value = json_of(&output);
    let rules = value.as_array().expect("an array of rules");
    let codes: Vec<&str> = rules.iter().map(|rule| rule["code"].as_str().unwrap()).collect();
    assert_eq!(codes, BUILTIN_CODES);
    let ssot001 = &rules[0];
    assert_eq!(ssot001["kind"], "module");
    assert_eq!(ssot001["module"], FACTORY);
    assert_eq!(ssot001["canonical"], CANONICAL);
    let create = ssot001["names"]
        .as_array()
        .unwrap()
        .iter()
        .find(|name| name["name"] == "create_websocket_manager")
        .expect("create_websocket_manager mapped");
    assert_eq!(create["to"], format!("{CANONICAL}.get_websocket_manager"));
    assert_eq!(create["fix"], "safe");
    let factory =
        ssot001["names"].as_array().unwrap().iter().find(|name| name["name"] == "WebSocketManagerFactory").unwrap();
    assert_eq!(factory["fix"], "unsafe");
}

#[test]
fn rules_with_config_includes_custom_rules() {
    let tmp = tempdir();
    write(tmp.path(), "acme.toml", ACME_RULES);
    let output = ssot(tmp.path()).args(["rules", "--config", "acme.toml"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = stdout_of(&output);
    assert!(stdout.contains("acme.toml"), "names its source: {stdout}");
    assert!(stdout.lines().any(|line| line.starts_with("ACME001") && line.contains("acme.old")), "{stdout}");
    assert!(stdout.contains("SSOT001"), "the built-in pack is extended: {stdout}");
    let json = json_of(&ssot(tmp.path()).args(["rules", "--json", "--config", "acme.toml"]).output().unwrap());
    let acme = json.as_array().unwrap().iter().find(|rule| rule["code"] == "ACME001").expect("ACME001 in rules --json");
    assert_eq!(acme["names"][0]["to"], "acme.new.g");
    // Discovery works for `rules` too.
    fs::rename(tmp.path().join("acme.toml"), tmp.path().join("ssot.toml")).unwrap();
    ssot(tmp.path()).arg("rules").assert().code(0).stdout(predicate::str::contains("ACME001"));
}

#[test]
fn explain_prints_the_rule_docs() {
    let tmp = tempdir();
    let output = ssot(tmp.path()).args(["explain", "SSOT001"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = stdout_of(&output);
    assert!(stdout.starts_with("# SSOT001 (websocket-manager-factory)"), "{stdout}");
    assert!(stdout.contains("get_websocket_manager"), "{stdout}");
    assert!(
        stdout.contains(&format!("create_websocket_manager -> {CANONICAL}.get_websocket_manager (fix: safe)")),
        "{stdout}"
    );
    assert!(stdout.contains("More: https://"), "{stdout}");
    // Codes are case-insensitive.
    ssot(tmp.path()).args(["explain", "ssot001"]).assert().code(0).stdout(stdout);
    // A custom rule through --config.
    write(tmp.path(), "acme.toml", ACME_RULES);
    ssot(tmp.path())
        .args(["explain", "ACME001", "--config", "acme.toml"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Use acme.new.g instead of acme.old.f."));
}

#[test]
fn explain_unknown_code_exits_2() {
    let tmp = tempdir();
    let output = ssot(tmp.path()).args(["explain", "NOPE"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout_of(&output).is_empty());
    let stderr = stderr_of(&output);
    assert!(stderr.contains("NOPE") && stderr.contains("SSOT001"), "names the code and the active rules: {stderr}");
}

#[test]
fn schema_is_json_and_matches_the_committed_file() {
    let tmp = tempdir();
    let output = ssot(tmp.path()).arg("schema").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let printed = stdout_of(&output);
    let value: Value = serde_json::from_str(&printed).expect("the schema is JSON");
    let properties = value["properties"].as_object().expect("schema.properties");
    for key in ["rules", "exclude", "extend-builtin", "select", "ignore", "severity", "per-file-ignores"] {
        assert!(properties.contains_key(key), "schema.properties has `{key}`");
    }
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../syntaxes/ssot.schema.json");
    let regenerate = "regenerate it with `cargo run -q -- schema > syntaxes/ssot.schema.json` from the repository root";
    let committed = fs::read_to_string(&committed_path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}; {regenerate}", committed_path.display()));
    assert!(
        committed.replace("\r\n", "\n") == printed,
        "syntaxes/ssot.schema.json is stale (it differs from `ssot-lsp schema`); {regenerate}"
    );
}

#[test]
fn rule_docs_in_the_docs_folder_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = tempdir();
    for code in ["SSOT001", "SSOT002", "SSOT003", "SSOT004", "SSOT005", "SSOT006", "SSOT007"] {
        let output = ssot(tmp.path()).args(["explain", code]).output().unwrap();
        assert_eq!(output.status.code(), Some(0));
        let committed = fs::read_to_string(root.join(format!("docs/rules/{code}.md"))).unwrap_or_default();
        assert_eq!(
            stdout_of(&output),
            committed,
            "docs/rules/{code}.md is stale: run `cargo run -q -- explain {code} > docs/rules/{code}.md`"
        );
    }
}

#[test]
fn a_rule_cycle_is_refused_when_the_rules_load_naming_the_rules() {
    let tmp = tempdir();
    let rule = |code: &str, module: &str, canonical: &str| {
        format!("[[rules]]\ncode = \"{code}\"\nname = \"r\"\nkind = \"module\"\nmodule = \"{module}\"\ncanonical = \"{canonical}\"\nmessage = \"m\"\n")
    };
    write(tmp.path(), "pkg/m.py", "import acme.a\n");
    for (rules, codes) in [
        (format!("{}{}", rule("X1", "acme.a", "acme.b"), rule("X2", "acme.b", "acme.a")), "X1, X2"),
        (
            format!(
                "{}{}{}",
                rule("X1", "acme.a", "acme.b"),
                rule("X2", "acme.b", "acme.c"),
                rule("X3", "acme.c", "acme.a")
            ),
            "X1, X2, X3",
        ),
        (rule("X1", "acme.a", "acme.a"), "X1"),
    ] {
        write(tmp.path(), "ssot.toml", &rules);
        let output = ssot(tmp.path()).args(["check", "--fix"]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{rules}");
        let stderr = stderr_of(&output);
        assert!(stderr.contains("ssot.toml:5:"), "the file and line: {stderr}");
        assert!(stderr.contains(&format!("rules {codes} rewrite in a cycle: `acme.a` → ")), "{stderr}");
        assert_eq!(read(tmp.path(), "pkg/m.py"), "import acme.a\n", "nothing is fixed");
    }
}

#[test]
fn a_pyproject_tool_entry_that_is_no_table_is_an_error_naming_its_line() {
    let tmp = tempdir();
    write(tmp.path(), "pkg/m.py", ACME_SRC);
    for (text, location) in [
        ("[project]\nname = \"demo\"\n\n[tool]\nssot-lsp = 5\n", "pyproject.toml:5:12:"),
        ("[project]\nname = \"demo\"\n\n[[tool.ssot-lsp]]\nselect = [\"SSOT001\"]\n", "pyproject.toml:4:1:"),
    ] {
        write(tmp.path(), "pyproject.toml", text);
        let output = ssot(tmp.path()).arg("check").output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{text}: {}", stdout_of(&output));
        let stderr = stderr_of(&output);
        assert!(stderr.contains(location), "{text}: {stderr}");
        assert!(stderr.contains("tool.ssot-lsp: must be a table"), "{stderr}");
    }
}

/// A test that patches a deprecated name where a module looks it up
/// (`patch("…ws_route.create_websocket_manager")`, or with the module as an
/// object: `monkeypatch.setattr(object_route, "create_websocket_manager",
/// …)`, `patch.object(…)`, or by assigning the module's attribute) needs
/// that module to keep binding the name: its
/// fix is withheld, as for a module others import the name from, by a
/// whole-tree run and by a fix of the module alone; a module nobody
/// patches is fixed. Every patch target of the test still resolves after
/// the fix (checked with CPython's `unittest.mock`).
#[test]
fn a_module_whose_binding_a_test_patches_keeps_it() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspaces/plain_hub");
    let route = "netra_backend/app/routes/ws_route.py";
    let object_route = "netra_backend/app/routes/object_route.py";
    let attribute_route = "netra_backend/app/routes/attribute_route.py";
    // Outside the rules' package: the skeleton keeps its import only for
    // the name the call patches on it.
    let tool = "scripts/ws_tool.py";
    let unpatched = "netra_backend/app/routes/unpatched.py";
    let test = "netra_backend/tests/test_ws_route.py";
    let uses_factory = |doc: &str| {
        format!(
            "\"\"\"{doc}\"\"\"\nfrom netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n\n\
             async def open_manager(ctx):\n    return await create_websocket_manager(ctx)\n"
        )
    };
    let test_source = "from unittest import mock\nfrom unittest.mock import patch\n\n\
        from netra_backend.app.routes import attribute_route, object_route, ws_route\nfrom scripts import ws_tool\n\n\n\
        @patch(\"netra_backend.app.routes.ws_route.create_websocket_manager\")\n\
        async def test_open_manager(make):\n    await ws_route.open_manager(None)\n    make.assert_called_once()\n\n\n\
        def test_with_mock():\n    with mock.patch(target=\"netra_backend.app.routes.ws_route.create_websocket_manager\"):\n        pass\n\n\n\
        def test_by_object(monkeypatch):\n    monkeypatch.setattr(object_route, \"create_websocket_manager\", None)\n\
        \x20   with mock.patch.object(object_route, \"create_websocket_manager\"):\n        pass\n\n\n\
        def test_tool():\n    with mock.patch.object(ws_tool, \"create_websocket_manager\"):\n        pass\n\n\n\
        def test_by_attribute():\n    saved = attribute_route.create_websocket_manager\n\
        \x20   attribute_route.create_websocket_manager = saved\n";
    let tree = |root: &Path| {
        copy_dir(&fixture, root);
        write(root, route, uses_factory("Its test patches the factory's function here."));
        write(root, object_route, uses_factory("Its test patches the function on the module object."));
        write(root, attribute_route, uses_factory("Its test assigns the function as an attribute."));
        write(root, unpatched, uses_factory("Nobody patches this one."));
        write(root, "scripts/__init__.py", "");
        write(root, tool, uses_factory("A tool outside the package."));
        write(root, "netra_backend/tests/__init__.py", "");
        write(root, test, test_source);
    };
    // Every patch target of the test resolves in the tree at `root`.
    let targets_resolve = |root: &Path| {
        let script = "import importlib, re, sys\nfrom unittest import mock\n\
            source = open(sys.argv[1]).read()\n\
            for target in re.findall(r'\"(netra_backend[.\\w]+)\"', source):\n    \
            patcher = mock.patch(target)\n    patcher.start()\n    patcher.stop()\n\
            test = importlib.import_module(sys.argv[2])\n\
            for name, attribute in re.findall(r'(?:setattr|object)\\((\\w+), \"(\\w+)\"', source):\n    \
            getattr(getattr(test, name), attribute)\n\
            for name, attribute in re.findall(r'(\\w+)\\.(create_websocket_manager)\\b', source):\n    \
            getattr(getattr(test, name), attribute)\n";
        let module = "netra_backend.tests.test_ws_route";
        let output = Command::new("python3").args(["-c", script, test, module]).current_dir(root).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    };
    let (whole, alone) = (tempdir(), tempdir());
    tree(whole.path());
    tree(alone.path());
    targets_resolve(whole.path());
    let output = ssot(whole.path()).args(["check", "--fix", "--unsafe-fixes", "."]).output().unwrap();
    for (path, doc) in [
        (route, "Its test patches the factory's function here."),
        (object_route, "Its test patches the function on the module object."),
        (tool, "A tool outside the package."),
        (attribute_route, "Its test assigns the function as an attribute."),
    ] {
        assert_eq!(read(whole.path(), path), uses_factory(doc), "{}", stdout_of(&output));
        assert!(stdout_of(&output).contains(&format!("{path}:2:")), "{}", stdout_of(&output));
    }
    let reason = "is imported from this module, or patched on it, by `netra_backend.tests.test_ws_route`, whose uses";
    assert_eq!(stdout_of(&output).matches(reason).count(), 4, "{}", stdout_of(&output));
    let fixed = read(whole.path(), unpatched);
    assert!(fixed.contains("return await get_websocket_manager(ctx)"), "{fixed}");
    assert_eq!(read(whole.path(), test), test_source);
    targets_resolve(whole.path());
    // Each module fixed on its own (a pre-commit run on the staged file).
    for path in [route, object_route, tool, attribute_route] {
        let output = ssot(alone.path()).args(["check", "--fix", "--unsafe-fixes", path]).output().unwrap();
        assert_eq!(read(alone.path(), path), read(whole.path(), path), "{}", stdout_of(&output));
    }
    targets_resolve(alone.path());
}

/// A module whose deprecated binding another module reads off it
/// (`read_route.create_websocket_manager(ctx)`), through an import of its
/// own on a line that names no rule's path (`from netra_backend.app.routes
/// import read_route`, which a skeleton's first look leaves out): the
/// reader's check keeps that line for the attribute and records the read,
/// so the module keeps the name; it was fixed, and the reader's call raised
/// AttributeError. The same for `getattr`, `hasattr` (and `__dict__`),
/// `patch.object(target=…, attribute=…)` and `sys.modules["…"]`.
#[test]
fn a_module_whose_binding_another_reads_as_an_attribute_keeps_it() {
    // Each route is read by one module, in one form: `read(route)` is the
    // expression that gives the function.
    let forms: &[(&str, &str, &str)] = &[
        ("read_route", "from netra_backend.app.routes import read_route", "read_route.create_websocket_manager"),
        ("getattr_route", "from netra_backend.app.routes import getattr_route", "getattr(getattr_route, \"create_websocket_manager\")"),
        ("hasattr_route", "from netra_backend.app.routes import hasattr_route", "(hasattr_route.__dict__[\"create_websocket_manager\"] if hasattr(hasattr_route, \"create_websocket_manager\") else None)"),
        ("keyword_route", "from unittest import mock\nfrom netra_backend.app.routes import keyword_route", "mock.patch.object(target=keyword_route, attribute=\"create_websocket_manager\").get_original()[0]"),
        ("modules_route", "import sys\nimport netra_backend.app.routes.modules_route  # noqa: F401", "sys.modules[\"netra_backend.app.routes.modules_route\"].create_websocket_manager"),
    ];
    let readers: Vec<(&str, String)> = forms
        .iter()
        .map(|(route, imports, expression)| {
            (*route, format!("{imports}\n\n\nasync def open_through_route(ctx):\n    return await {expression}(ctx)\n"))
        })
        .collect();
    routes_read_by_readers_keep_their_binding(&readers);
}

/// Writes each route (a module that imports and calls the factory's
/// function) and its reader (`reads_{route}`, given whole), runs `check
/// --fix --unsafe-fixes`, and checks that each route kept its import, that
/// its finding names the reader, and that the reader's
/// `open_through_route(None)` runs with CPython.
fn routes_read_by_readers_keep_their_binding<S: AsRef<str>>(readers: &[(&str, S)]) {
    let dir = workspace_copy("plain_hub");
    let route_source =
        "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n\n\
        async def open_manager(ctx):\n    return await create_websocket_manager(ctx)\n";
    for (route, reader) in readers {
        write(dir.path(), &format!("netra_backend/app/routes/{route}.py"), route_source);
        write(dir.path(), &format!("netra_backend/app/services/reads_{route}.py"), reader.as_ref());
    }
    let output = ssot(dir.path()).args(["check", "--fix", "--unsafe-fixes", "."]).output().unwrap();
    for (route, reader) in readers {
        let route_file = format!("netra_backend/app/routes/{route}.py");
        assert_eq!(read(dir.path(), &route_file), route_source, "{route}: {}", stdout_of(&output));
        assert_eq!(read(dir.path(), &format!("netra_backend/app/services/reads_{route}.py")), reader.as_ref());
        let reason = format!("by `netra_backend.app.services.reads_{route}`, whose uses");
        assert!(stdout_of(&output).contains(&reason), "{reason}\n{}", stdout_of(&output));
        run_coroutine(dir.path(), &format!("netra_backend.app.services.reads_{route}"), "open_through_route");
    }
}

/// A module whose namespace another reads without naming the deprecated
/// binding beside it in code the first look keeps: a patch target split
/// over adjacent literals, `hub.__dict__[…]`, `patch.dict(hub.__dict__,
/// …)`, `vars(hub)[…]`. Each was fixed safely and its reader raised; each
/// reader runs with CPython after the fix.
#[test]
fn a_module_whose_namespace_another_reads_keeps_its_deprecated_binding() {
    // Each route is read by one module, in one form.
    let readers: &[(&str, &str)] = &[
        (
            "dict_route",
            r#"from netra_backend.app.routes import dict_route


async def open_through_route(ctx):
    return await dict_route.__dict__["create_websocket_manager"](ctx)
"#,
        ),
        (
            "pdict_route",
            r#"from unittest import mock

from netra_backend.app.routes import pdict_route


async def _fake(ctx):
    return ctx


async def open_through_route(ctx):
    original = pdict_route.__dict__.get("create_websocket_manager")
    assert original is not None, "create_websocket_manager gone"
    with mock.patch.dict(pdict_route.__dict__, {"create_websocket_manager": _fake}):
        return await pdict_route.open_manager(ctx)
"#,
        ),
        (
            "split2_route",
            r#"from unittest import mock


async def open_through_route(ctx):
    with mock.patch("netra_backend.app.routes." "split2_route.create_websocket_manager") as fake:
        return await fake(ctx)
"#,
        ),
        (
            "split_route",
            r#"from unittest import mock


async def open_through_route(ctx):
    with mock.patch(
        "netra_backend.app.routes.split_route"
        ".create_websocket_manager"
    ) as fake:
        return await fake(ctx)
"#,
        ),
        (
            "vars_route",
            r#"from netra_backend.app.routes import vars_route


async def open_through_route(ctx):
    return await vars(vars_route)["create_websocket_manager"](ctx)
"#,
        ),
    ];
    routes_read_by_readers_keep_their_binding(readers);
}

/// A module that imports the shim's `WebSocketConnectionManager` (the
/// shim's rule triggers on its path only, not on the name) and another
/// module that imports the name from it: the first one's fix, to the very
/// same class under its canonical name, renamed it there and the second
/// raised ImportError. The importer is followed as a hub alias's is, so
/// the first keeps the name (`WebSocketManager as
/// WebSocketConnectionManager`) and the second gets its own finding; both
/// run after `--fix` of the first alone and of the whole tree.
#[test]
fn a_shim_name_imported_from_a_module_stays_bound_there_when_its_fix_renames_it() {
    let hub = "from netra_backend.app.websocket_core.manager import WebSocketConnectionManager\n";
    let user = "from netra_backend.app.services.ws_names import WebSocketConnectionManager\n\n\n\
        def manager_class():\n    return WebSocketConnectionManager.__name__\n";
    let script = "from netra_backend.app.routes.ws_user import manager_class\nprint(manager_class())\n";
    for paths in [vec!["netra_backend/app/services/ws_names.py"], vec!["netra_backend"]] {
        let dir = tempdir();
        demo_tree(dir.path());
        write(dir.path(), "netra_backend/app/services/ws_names.py", hub);
        write(dir.path(), "netra_backend/app/routes/ws_user.py", user);
        let before = python_output(dir.path(), script);
        ssot(dir.path()).args(["check", "--fix", "--no-color"]).args(&paths).output().unwrap();
        let fixed = read(dir.path(), "netra_backend/app/services/ws_names.py");
        assert!(fixed.contains("WebSocketManager as WebSocketConnectionManager"), "{paths:?}: {fixed}");
        assert!(!fixed.contains("websocket_core.manager import"), "{paths:?}: {fixed}");
        assert_eq!(python_output(dir.path(), script), before, "{paths:?}");
    }
    // The importer's own finding says where the name comes from.
    let dir = tempdir();
    demo_tree(dir.path());
    write(dir.path(), "netra_backend/app/services/ws_names.py", hub);
    write(dir.path(), "netra_backend/app/routes/ws_user.py", user);
    let output =
        ssot(dir.path()).args(["check", "--format", "concise", "--no-color", "netra_backend"]).output().unwrap();
    let stdout = stdout_of(&output);
    assert!(
        stdout.lines().any(|line| line.starts_with("netra_backend/app/routes/ws_user.py:1:")
            && line.contains("re-exported by `netra_backend.app.services.ws_names`")),
        "{stdout}"
    );
}

/// A shim whose name is a subclass of the canonical class, not an alias:
/// a rename in an annotation changes what code reading annotations at run
/// time sees (`get_type_hints`, FastAPI's `Depends()`). Safe before; now
/// unsafe, saying why, and `--fix` leaves the file as it is.
#[test]
fn an_annotation_moved_to_another_class_is_an_unsafe_fix() {
    let dir = tempdir();
    demo_tree(dir.path());
    let shim = "netra_backend/app/websocket_core/manager.py";
    let text = read(dir.path(), shim).replace(
        "WebSocketConnectionManager = WebSocketManager\n",
        "class WebSocketConnectionManager(WebSocketManager):\n    \"\"\"Kept for old callers.\"\"\"\n",
    );
    write(dir.path(), shim, &text);
    let file = "netra_backend/app/routes/annotated.py";
    let source = "from netra_backend.app.websocket_core.manager import WebSocketConnectionManager\n\n\n\
        def handler(manager: WebSocketConnectionManager) -> None:\n    pass\n";
    write(dir.path(), file, source);
    let script = "import typing\nfrom netra_backend.app.routes.annotated import handler\n\
        print(typing.get_type_hints(handler)[\"manager\"].__name__)\n";
    assert_eq!(python_output(dir.path(), script), "WebSocketConnectionManager");
    let output = ssot(dir.path()).args(["check", "--fix", "--format", "concise", "--no-color", file]).output().unwrap();
    assert_eq!(read(dir.path(), file), source);
    let stdout = stdout_of(&output);
    assert!(stdout.contains("[unsafe fix]"), "{stdout}");
    assert!(stdout.contains("is named in an annotation, which code may read at run time"), "{stdout}");
    // The rule file's "an alias of `WebSocketManager`" is not true here.
    assert!(!stdout.contains("an alias of"), "{stdout}");
    ssot(dir.path()).args(["check", "--fix", "--unsafe-fixes", "--no-color", file]).output().unwrap();
    assert_eq!(python_output(dir.path(), script), "UnifiedWebSocketManager", "the unsafe fix does what it says");
}

/// An import inside a function reads the factory's name each time the
/// function runs, so a test's `patch("…factory.create_websocket_manager")`
/// reaches it; moved to the canonical module, it no longer would (the
/// patch target's own fix is unsafe). The move is unsafe too, naming the
/// patcher: `--fix` of the importer alone, or of the whole tree, leaves it,
/// and the patched call still gets the fake; `--unsafe-fixes` moves both,
/// and it still does.
#[test]
fn a_lazy_import_of_a_name_a_test_patches_on_the_factory_moves_only_unsafely() {
    let importer = "netra_backend/app/services/lazy_open.py";
    let importer_text = "async def open_manager(ctx):\n    \
        from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n    \
        return await create_websocket_manager(ctx)\n";
    let patcher = "import asyncio\nfrom unittest import mock\n\nfrom netra_backend.app.services import lazy_open\n\n\n\
        def opened_with_a_fake():\n    fake = mock.AsyncMock(return_value=\"FAKE\")\n    \
        with mock.patch(\"netra_backend.app.websocket_core.websocket_manager_factory.create_websocket_manager\", fake):\n        \
        return asyncio.run(lazy_open.open_manager(None))\n";
    let script = "from netra_backend.app.services.lazy_check import opened_with_a_fake\nprint(opened_with_a_fake())\n";
    for paths in [vec![importer], vec!["netra_backend"]] {
        let patcher = ("netra_backend/app/services/lazy_check.py", patcher);
        let (line, stdout) = fix_keeps_a_patched_read((importer, importer_text), patcher, script, &paths);
        // The whole tree's run also counts the demo's own test, which
        // patches it there too; the run of the importer alone reads the
        // files that import it.
        let reason = "`create_websocket_manager` on `netra_backend.app.websocket_core.websocket_manager_factory`, \
            where this import reads it when the function runs: after the fix the patch no longer reaches it)";
        assert!(line.contains("(fix is unsafe: `netra_backend.app.services.lazy_check`"), "{paths:?}: {stdout}");
        assert!(line.contains(reason), "{paths:?}: {stdout}");
    }
    let dir = tempdir();
    demo_tree(dir.path());
    write(dir.path(), importer, importer_text);
    write(dir.path(), "netra_backend/app/services/lazy_check.py", patcher);
    ssot(dir.path()).args(["check", "--fix", "--unsafe-fixes", "--no-color", "netra_backend"]).output().unwrap();
    assert!(read(dir.path(), importer).contains("import get_websocket_manager"));
    assert_eq!(python_output(dir.path(), script), "FAKE", "the patch moved with the import");
}

/// A test that lists the deprecated paths to import them one by one (the
/// code base's "factory deprecation" tests) replaces nothing: a lazy import
/// of the name keeps its safe fix, and `--fix` moves it. The same list with
/// a `patch(path)` of each path in the file does replace it (unsafe).
#[test]
fn a_catalogue_of_deprecated_paths_patches_nothing() {
    let importer = "netra_backend/app/services/lazy_open.py";
    let importer_text = "async def open_manager(ctx):\n    \
        from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n    \
        return await create_websocket_manager(ctx)\n";
    let catalogue = "import importlib\nfrom unittest.mock import patch, AsyncMock\n\n\n\
        def active_factory_paths():\n    deprecated = [\n        \
        \"netra_backend.app.websocket_core.websocket_manager_factory.create_websocket_manager\",\n    ]\n    \
        found = []\n    for path in deprecated:\n        module, name = path.rsplit(\".\", 1)\n        \
        if hasattr(importlib.import_module(module), name):\n            found.append(path)\n    return found\n";
    let catalogue_file = "netra_backend/tests/test_catalogue.py";
    // The demo's own test patches the name on the factory.
    let tree = || {
        let dir = tempdir();
        demo_tree(dir.path());
        std::fs::remove_file(dir.path().join("tests/test_websocket_isolation.py")).unwrap();
        write(dir.path(), importer, importer_text);
        dir
    };
    let dir = tree();
    write(dir.path(), catalogue_file, catalogue);
    let output =
        ssot(dir.path()).args(["check", "--fix", "--format", "concise", "--no-color", importer]).output().unwrap();
    let stdout = stdout_of(&output);
    assert!(!stdout.contains("patches"), "{stdout}");
    assert!(read(dir.path(), importer).contains("import get_websocket_manager"), "{stdout}");
    // Patching each listed path makes the file a patcher again.
    let dir = tree();
    let patching =
        catalogue.replace("found.append(path)", "with patch(path, AsyncMock()):\n                found.append(path)");
    write(dir.path(), catalogue_file, &patching);
    let output = ssot(dir.path()).args(["check", "--format", "concise", "--no-color", importer]).output().unwrap();
    let stdout = stdout_of(&output);
    assert!(stdout.contains("(fix is unsafe: `test_catalogue` patches"), "{stdout}");
}

/// A lazy import of a name the function never uses reads nothing a patch
/// replaces: its fix stays safe while the demo's test patches the name on
/// the factory (the same function using the name: unsafe).
#[test]
fn an_unused_lazy_import_of_a_patched_name_moves_safely() {
    let importer = "netra_backend/app/services/lazy_unused.py";
    let unused = "async def open_manager(ctx):\n    \
        from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n    \
        return ctx\n";
    let dir = tempdir();
    demo_tree(dir.path());
    write(dir.path(), importer, unused);
    let output =
        ssot(dir.path()).args(["check", "--fix", "--format", "concise", "--no-color", importer]).output().unwrap();
    let stdout = stdout_of(&output);
    assert!(read(dir.path(), importer).contains("import get_websocket_manager"), "{stdout}");
    let used = unused.replace("return ctx", "return await create_websocket_manager(ctx)");
    write(dir.path(), importer, &used);
    let output = ssot(dir.path()).args(["check", "--format", "concise", "--no-color", importer]).output().unwrap();
    let stdout = stdout_of(&output);
    assert!(stdout.contains("(fix is unsafe: `tests.test_websocket_isolation` patches"), "{stdout}");
}

/// The same when the file that patches the name names neither the fixed
/// module nor anything it imports (a `conftest.py` fixture): a run of the
/// importer alone, from its path or from stdin, reads it too.
#[test]
fn a_lazy_import_a_conftest_patches_moves_only_unsafely_in_a_run_of_the_importer_alone() {
    let importer = "netra_backend/app/services/lazy_open.py";
    let importer_text = "async def open_manager(ctx):\n    \
        from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n    \
        return await create_websocket_manager(ctx)\n";
    let conftest = "from unittest import mock\n\n\ndef patched_factory():\n    return mock.patch(\n        \
        \"netra_backend.app.websocket_core.websocket_manager_factory.create_websocket_manager\",\n        \
        mock.AsyncMock(return_value=\"FAKE\"),\n    )\n";
    let test = "import asyncio\n\nfrom netra_backend.app.services import lazy_open\nfrom tests.conftest import patched_factory\n\n\n\
        def opened_with_a_fake():\n    with patched_factory():\n        return asyncio.run(lazy_open.open_manager(None))\n";
    let script = "from tests.test_lazy import opened_with_a_fake\nprint(opened_with_a_fake())\n";
    let dir = tempdir();
    demo_tree(dir.path());
    write(dir.path(), importer, importer_text);
    write(dir.path(), "tests/__init__.py", "");
    write(dir.path(), "tests/conftest.py", conftest);
    write(dir.path(), "tests/test_lazy.py", test);
    assert_eq!(python_output(dir.path(), script), "FAKE");
    // The demo's own test patches it too.
    let reason = "(fix is unsafe: `tests.conftest` and 1 other module patch `create_websocket_manager` on";
    let output = ssot(dir.path())
        .args(["check", "--fix", "--stdin-filename", importer, "-"])
        .write_stdin(importer_text)
        .output()
        .unwrap();
    assert_eq!(stdout_of(&output), importer_text, "stdin: the text comes back unchanged");
    assert!(String::from_utf8_lossy(&output.stderr).contains(reason), "{}", String::from_utf8_lossy(&output.stderr));
    // A report of stdin gives the class `--fix` acts on (probe 15: it said safe).
    let output = ssot(dir.path())
        .args(["check", "--format", "concise", "--no-color", "--stdin-filename", importer, "-"])
        .write_stdin(importer_text)
        .output()
        .unwrap();
    assert!(stdout_of(&output).contains(reason), "{}", stdout_of(&output));
    let output =
        ssot(dir.path()).args(["check", "--fix", "--format", "concise", "--no-color", importer]).output().unwrap();
    assert!(stdout_of(&output).contains(reason), "{}", stdout_of(&output));
    assert_eq!(read(dir.path(), importer), importer_text);
    assert_eq!(python_output(dir.path(), script), "FAKE");
}

/// The same for a module imported whole, at the top, whose attribute a
/// function reads (`wmf.create_websocket_manager(ctx)`): the read happens
/// when the function runs, where the patch on the factory reaches it.
#[test]
fn a_module_attribute_a_test_patches_on_the_factory_moves_only_unsafely() {
    let importer = "netra_backend/app/services/module_read.py";
    let forms = [
        "from netra_backend.app.websocket_core import websocket_manager_factory as wmf\n\n\n\
            async def open_manager(ctx):\n    return await wmf.create_websocket_manager(ctx)\n",
        "import netra_backend.app.websocket_core.websocket_manager_factory\n\n\n\
            class Opener:\n    async def open_manager(self, ctx):\n        \
            return await netra_backend.app.websocket_core.websocket_manager_factory.create_websocket_manager(ctx)\n\n\n\
            open_manager = Opener().open_manager\n",
    ];
    let patcher = "import asyncio\nfrom unittest import mock\n\n\
        from netra_backend.app.services import module_read\n\
        from netra_backend.app.websocket_core import websocket_manager_factory\n\n\n\
        def opened_with_a_fake():\n    fake = mock.AsyncMock(return_value=\"FAKE\")\n    \
        with mock.patch.object(websocket_manager_factory, \"create_websocket_manager\", fake):\n        \
        return asyncio.run(module_read.open_manager(None))\n";
    let script =
        "from netra_backend.app.services.module_check import opened_with_a_fake\nprint(opened_with_a_fake())\n";
    for importer_text in forms {
        for paths in [vec![importer], vec!["netra_backend"]] {
            let patcher = ("netra_backend/app/services/module_check.py", patcher);
            let (line, stdout) = fix_keeps_a_patched_read((importer, importer_text), patcher, script, &paths);
            assert!(line.contains("SSOT001 [unsafe fix]"), "{paths:?}: {stdout}");
            assert!(line.contains("(fix is unsafe: `netra_backend.app.services.module_check`"), "{paths:?}: {stdout}");
            assert!(
                line.contains(
                    "`create_websocket_manager` on `netra_backend.app.websocket_core.websocket_manager_factory`, where"
                ),
                "{paths:?}: {stdout}"
            );
        }
    }
    // With the unsafe fixes the test's `patch.object(websocket_manager_factory,
    // "create_websocket_manager", …)` moves with its module, string and all
    // (its finding says why that is unsafe): the patch still reaches the call.
    let dir = tempdir();
    demo_tree(dir.path());
    write(dir.path(), importer, forms[0]);
    write(dir.path(), "netra_backend/app/services/module_check.py", patcher);
    let output = ssot(dir.path())
        .args(["check", "--fix", "--unsafe-fixes", "--format", "concise", "--no-color", "netra_backend"])
        .output()
        .unwrap();
    let patched = read(dir.path(), "netra_backend/app/services/module_check.py");
    assert!(
        patched.contains("mock.patch.object(websocket_manager, \"get_websocket_manager\", fake)"),
        "{patched}\n{}",
        stdout_of(&output)
    );
    assert_eq!(python_output(dir.path(), script), "FAKE", "the patch moved with the read");
    // Nothing patches it (without the demo's own test, which does): the
    // same module read is a safe fix, and runs.
    let dir = tempdir();
    demo_tree(dir.path());
    std::fs::remove_file(dir.path().join("tests/test_websocket_isolation.py")).unwrap();
    write(dir.path(), importer, forms[0]);
    let output = ssot(dir.path()).args(["check", "--fix", "--no-color", importer]).output().unwrap();
    assert!(stdout_of(&output).contains("Fixed 1 finding"), "{}", stdout_of(&output));
    assert!(read(dir.path(), importer).contains("import websocket_manager as wmf"));
    let run = "import asyncio\nfrom netra_backend.app.services.module_read import open_manager\n\
        print(type(asyncio.run(open_manager(None))).__name__)\n";
    assert_eq!(python_output(dir.path(), run), "UnifiedWebSocketManager");
}

/// The same when the file patches the name itself: its own patch reaches
/// its own import inside a function.
#[test]
fn a_lazy_import_its_own_file_patches_on_the_factory_moves_only_unsafely() {
    let dir = tempdir();
    demo_tree(dir.path());
    let file = "netra_backend/app/services/self_patched.py";
    let source = "from unittest import mock\n\n\ndef factory():\n    \
        from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n    \
        return create_websocket_manager(None)\n\n\ndef patched():\n    \
        fake = mock.MagicMock(return_value=\"PATCHED\")\n    \
        with mock.patch(\"netra_backend.app.websocket_core.websocket_manager_factory.create_websocket_manager\", fake):\n        \
        return factory()\n";
    write(dir.path(), file, source);
    let script = "from netra_backend.app.services.self_patched import patched\nprint(patched())\n";
    assert_eq!(python_output(dir.path(), script), "PATCHED");
    let output = ssot(dir.path()).args(["check", "--fix", "--format", "concise", "--no-color", file]).output().unwrap();
    assert_eq!(read(dir.path(), file), source);
    let stdout = stdout_of(&output);
    assert!(stdout.contains("SSOT001 [unsafe fix]"), "{stdout}");
    // Named first: this file counts (the demo's own test, read for the
    // name it patches, is the other).
    assert!(
        stdout.contains("(fix is unsafe: `netra_backend.app.services.self_patched` and 1 other module patch"),
        "{stdout}"
    );
    assert_eq!(python_output(dir.path(), script), "PATCHED");
}

/// A deprecated module loaded by name (`importlib.import_module("…")`,
/// `sys.modules["…"]`) or patched name by name (`patch.multiple("…", …)`):
/// the rewrite to the canonical module is unsafe, and the finding says
/// why, naming what the file reads that the canonical module lacks.
/// `--fix` leaves the file as it is.
#[test]
fn a_module_loaded_by_name_says_why_its_rewrite_is_unsafe() {
    let dir = workspace_copy("plain_hub");
    let file = "netra_backend/app/services/loads_factory.py";
    let source = "import importlib\nimport sys\n\n\
        _factory = importlib.import_module(\"netra_backend.app.websocket_core.websocket_manager_factory\")\n\
        _loaded = sys.modules[\"netra_backend.app.websocket_core.websocket_manager_factory\"]\n\n\n\
        async def open_manager(ctx):\n    return await _factory.create_websocket_manager(ctx)\n\n\n\
        def patched():\n    from unittest import mock\n\n    \
        return mock.patch.multiple(\"netra_backend.app.websocket_core.websocket_manager_factory\", \
        create_websocket_manager=mock.AsyncMock())\n";
    write(dir.path(), file, source);
    let output = ssot(dir.path()).args(["check", "--fix", "--format", "concise", "--no-color", file]).output().unwrap();
    assert_eq!(read(dir.path(), file), source);
    let reason = |how: &str| {
        format!(
            "(fix is unsafe: the module {how} here becomes `netra_backend.app.websocket_core.websocket_manager`, \
            which does not define `create_websocket_manager`, named in this file)"
        )
    };
    let stdout = stdout_of(&output);
    assert_eq!(stdout.matches(&reason("loaded")).count(), 2, "{stdout}");
    assert_eq!(stdout.matches(&reason("patched")).count(), 1, "{stdout}");
    run_coroutine(dir.path(), "netra_backend.app.services.loads_factory", "open_manager");
}

/// `from …factory import *` swapped for `from …websocket_manager import *`
/// leaves the names the file uses from the factory unbound: the unsafe
/// fix says which (names the file never uses, and private ones, which `*`
/// does not bind, are not listed). `--fix` leaves the file as it is, and
/// it runs; with `--unsafe-fixes` the first name listed is a NameError, as
/// the reason says.
#[test]
fn a_star_import_of_the_factory_says_which_names_its_swap_unbinds() {
    let dir = workspace_copy("plain_hub");
    let file = "netra_backend/app/services/star_factory.py";
    let source = "from netra_backend.app.websocket_core.websocket_manager_factory import *\n\n\n\
        async def open_manager(ctx):\n    return await create_websocket_manager(ctx)\n\n\n\
        def factory():\n    return get_websocket_manager_factory()\n";
    write(dir.path(), file, source);
    let output = ssot(dir.path()).args(["check", "--fix", "--format", "concise", "--no-color", file]).output().unwrap();
    assert_eq!(read(dir.path(), file), source);
    let reason = "(fix is unsafe: `*` then imports the names of `netra_backend.app.websocket_core.websocket_manager`, \
        which does not define `create_websocket_manager`, `get_websocket_manager_factory`, named in this file)";
    let stdout = stdout_of(&output);
    assert_eq!(stdout.matches(reason).count(), 1, "{stdout}");
    run_coroutine(dir.path(), "netra_backend.app.services.star_factory", "open_manager");

    ssot(dir.path()).args(["check", "--fix", "--unsafe-fixes", "--no-color", file]).output().unwrap();
    assert!(read(dir.path(), file).starts_with("from netra_backend.app.websocket_core.websocket_manager import *\n"));
    assert_name_error(
        dir.path(),
        "netra_backend.app.services.star_factory",
        "open_manager",
        "create_websocket_manager",
    );
}

/// SSOT007's removal of an `__all__` entry (offered when the import stays
/// and is used): unsafe, and the reason names the star importer that reads
/// the name, which raises NameError once the entry is gone.
#[test]
fn an_export_removal_names_the_star_importers_it_would_break() {
    let dir = workspace_copy("plain_hub");
    let exporter = "netra_backend/app/services/exporter.py";
    write(
        dir.path(),
        exporter,
        "from netra_backend.app.websocket_core.websocket_manager_factory import get_websocket_manager_factory\n\n\
        __all__ = [\"get_websocket_manager_factory\", \"build\"]\n\n\n\
        def build():\n    return get_websocket_manager_factory()\n",
    );
    let reader = "netra_backend/app/services/star_reader.py";
    write(
        dir.path(),
        reader,
        "from netra_backend.app.services.exporter import *\n\n\n\
        async def open_manager(ctx):\n    return get_websocket_manager_factory()\n",
    );
    let output = ssot(dir.path()).args(["check", "--format", "concise", "--no-color", "."]).output().unwrap();
    let reason = "(fix is unsafe: `import *` of this module no longer binds `get_websocket_manager_factory`, \
        which `netra_backend.app.services.star_reader` imports from here)";
    let stdout = stdout_of(&output);
    assert!(stdout.lines().any(|line| line.contains("SSOT007") && line.contains(reason)), "{stdout}");
    run_coroutine(dir.path(), "netra_backend.app.services.star_reader", "open_manager");

    ssot(dir.path()).args(["check", "--fix", "--unsafe-fixes", "--no-color", exporter]).output().unwrap();
    assert!(!read(dir.path(), exporter).contains("__all__ = [\"get_websocket_manager_factory\""));
    assert_name_error(
        dir.path(),
        "netra_backend.app.services.star_reader",
        "open_manager",
        "get_websocket_manager_factory",
    );
}

/// A call that reads another binding of the deprecated name (a parameter
/// or a local of an inner function) is not one of the import's uses: it
/// does not withhold the fix (the module's misfitting `shadowed(...)` call
/// withheld it, with a reason about that call). A `nonlocal` of the name,
/// or a class attribute of that name (not seen from the methods), reads the
/// import: their misfitting calls still withhold it.
#[test]
fn calls_of_a_shadowing_binding_are_not_the_imports_uses() {
    let dir = workspace_copy("plain_hub");
    let import = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n";
    let shadowed = "netra_backend/app/services/shadowed.py";
    let shadowed_source = format!(
        "{import}\n\nasync def open_manager(ctx):\n    await shadowed(lambda *args: args, ctx)\n    \
        return await create_websocket_manager(ctx)\n\n\n\
        async def shadowed(create_websocket_manager, ctx):\n    return create_websocket_manager(ctx, 2, 3)\n\n\n\
        def local(ctx):\n    create_websocket_manager = print\n    return create_websocket_manager(ctx, 2, 3)\n"
    );
    let nonlocal = "netra_backend/app/services/nonlocal_use.py";
    let nonlocal_source = "async def open_manager(ctx):\n    \
        from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n    \
        def inner():\n        nonlocal create_websocket_manager\n        \
        return create_websocket_manager(ctx, 2, 3)\n\n    return await create_websocket_manager(ctx)\n";
    let class_attribute = "netra_backend/app/services/class_attribute.py";
    let class_source = format!(
        "{import}\n\nclass Holder:\n    create_websocket_manager = print\n\n    \
        def build(self, ctx):\n        return create_websocket_manager(ctx, 2, 3)\n\n\n\
        async def open_manager(ctx):\n    return await create_websocket_manager(ctx)\n"
    );
    for (file, source) in
        [(shadowed, shadowed_source.as_str()), (nonlocal, nonlocal_source), (class_attribute, &class_source)]
    {
        write(dir.path(), file, source);
    }
    ssot(dir.path()).args(["check", "--fix", "--no-color", shadowed, nonlocal, class_attribute]).output().unwrap();
    assert_ne!(read(dir.path(), shadowed), shadowed_source, "the shadowed calls withheld the fix");
    assert_eq!(read(dir.path(), nonlocal), nonlocal_source);
    assert_eq!(read(dir.path(), class_attribute), class_source);
    run_coroutine(dir.path(), "netra_backend.app.services.shadowed", "open_manager");
}

/// A renamed import renames the string annotations that read it
/// (`"Optional[Old]"`, `Optional["Old"]`, `"Old | None"`): left, they
/// were NameErrors for `typing.get_type_hints` (the fix kept the old name
/// as an alias only when a string was exactly the name). Prose strings
/// keep their words. The hints resolve before and after the fix.
#[test]
fn a_renamed_import_renames_its_string_annotations() {
    let dir = workspace_copy("plain_hub");
    let file = "netra_backend/app/services/annotated.py";
    let source = "from typing import Optional\n\n\
        from netra_backend.app.websocket_core.websocket_manager_factory import WebSocketManagerFactory\n\n\n\
        def typed(factory: \"Optional[WebSocketManagerFactory]\" = None) -> \"WebSocketManagerFactory | None\":\n    \
        return factory\n\n\n\
        class Holder:\n    factory: \"WebSocketManagerFactory\"\n\n    \
        def __init__(self, factory: Optional[\"WebSocketManagerFactory\"] = None) -> None:\n        \
        self.note = \"WebSocketManagerFactory replaced\"\n\n\n\
        def check(x) -> bool:\n    return isinstance(x, WebSocketManagerFactory)\n";
    write(dir.path(), file, source);
    let hints = |dir: &Path| {
        let script = "import typing, netra_backend.app.services.annotated as m\n\
            for hinted in (m.typed, m.Holder, m.Holder.__init__):\n    print(sorted(typing.get_type_hints(hinted).items()))\n";
        let run = Command::new("python3").args(["-c", script]).current_dir(dir).output().unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        String::from_utf8_lossy(&run.stdout).into_owned()
    };
    assert!(hints(dir.path()).contains("WebSocketManagerFactory"));
    ssot(dir.path()).args(["check", "--fix", "--unsafe-fixes", "--no-color", file]).output().unwrap();
    let fixed = read(dir.path(), file);
    assert!(fixed.contains("import WebSocketManager\n"), "{fixed}");
    assert_eq!(fixed.matches("WebSocketManagerFactory").count(), 1, "only the prose keeps the old name: {fixed}");
    assert!(fixed.contains("\"WebSocketManagerFactory replaced\""), "{fixed}");
    let after = hints(dir.path());
    assert!(!after.contains("Factory") && after.contains("UnifiedWebSocketManager"), "{after}");
}

/// Calls judged against the old function as well as the new one: a call
/// the old function rejects (`mode=`, caught as TypeError by a fallback)
/// would run after the fix, so it has none; a call that leaves the old
/// `async def` un-awaited (`create_task(create_websocket_manager(ctx))`)
/// does the same with the new `async def`, so its fix is safe. Each
/// module's `_probe()` gives the same result with CPython before and after
/// `--fix`.
#[test]
fn calls_are_judged_against_the_old_signature_too() {
    let dir = workspace_copy("new_commit");
    let modules: &[(&str, &str)] = &[
        (
            "p_modekw",
            r#""""Try the newer signature first; fall back when the factory does not take `mode`."""
from netra_backend.app.websocket_core.websocket_manager import WebSocketManagerMode
from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager
from netra_backend.app.services.user_execution_context import UserExecutionContext


async def connect(ctx):
    try:
        return await create_websocket_manager(user_context=ctx, mode=WebSocketManagerMode.ISOLATED)
    except TypeError:
        # this factory predates `mode`
        return await create_websocket_manager(user_context=ctx)


async def _probe():
    m = await connect(UserExecutionContext("u1"))
    return type(m).__name__, m.mode.value
"#,
        ),
        (
            "p_task",
            r#""""Managers created concurrently."""
import asyncio
from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager
from netra_backend.app.services.user_execution_context import UserExecutionContext


async def warm(ctxs):
    tasks = [asyncio.create_task(create_websocket_manager(c)) for c in ctxs]
    first = await asyncio.wait_for(create_websocket_manager(ctxs[0]), 5)
    rest = await asyncio.gather(*tasks)
    shielded = await asyncio.shield(create_websocket_manager(user_context=ctxs[0]))
    return [first, shielded, *rest]


async def _probe():
    ms = await warm([UserExecutionContext("a"), UserExecutionContext("b")])
    return [(type(m).__name__, m.user_context.user_id, m.mode.value) for m in ms]
"#,
        ),
    ];
    let probe = |module: &str| {
        let script = format!(
            "import asyncio, importlib\nprint(asyncio.run(importlib.import_module('netra_backend.app.routes.{module}')._probe()))\n"
        );
        let run =
            Command::new("python3").args(["-W", "ignore", "-c", &script]).current_dir(dir.path()).output().unwrap();
        assert!(run.status.success(), "{module}: {}", String::from_utf8_lossy(&run.stderr));
        String::from_utf8_lossy(&run.stdout).into_owned()
    };
    let mut before = Vec::new();
    for (module, source) in modules {
        write(dir.path(), &format!("netra_backend/app/routes/{module}.py"), source);
        before.push(probe(module));
    }
    let output = ssot(dir.path()).args(["check", "--fix", "--no-color", "netra_backend/app/routes"]).output().unwrap();
    let stdout = stdout_of(&output);
    assert_eq!(read(dir.path(), "netra_backend/app/routes/p_modekw.py"), modules[0].1);
    assert!(
        stdout.contains("(no automatic fix: the call does not fit `create_websocket_manager` now (`create_websocket_manager` does not accept `mode=`), and would run after the fix)"),
        "{stdout}"
    );
    let task = read(dir.path(), "netra_backend/app/routes/p_task.py");
    assert!(
        !task.contains("create_websocket_manager") && task.contains("asyncio.create_task(get_websocket_manager(c))"),
        "{task}"
    );
    for ((module, _), before) in modules.iter().zip(before) {
        assert_eq!(probe(module), before, "{module}");
    }
}

/// An import in a class body is an attribute of the class: its calls
/// through an instance (`self.create_websocket_manager(ctx)`) pass the
/// instance first, so `ctx` lands in the old function's ignored `user_id`
/// and in the new one's `mode`. The check sees no call in the class body;
/// the fix was safe. It is unsafe now, saying why, and the unsafe fix does
/// change what the call makes.
#[test]
fn a_class_body_import_is_moved_only_unsafely() {
    let dir = workspace_copy("plain_hub");
    let file = "netra_backend/app/services/class_body.py";
    let source = "class Handler:\n    \
        from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n    \
        async def connect(self, ctx):\n        return await self.create_websocket_manager(ctx)\n\n\n\
        async def open_manager(ctx):\n    return await Handler().connect(\"ctx\")\n";
    write(dir.path(), file, source);
    let mode =
        |dir: &Path| coroutine_result(dir, "netra_backend.app.services.class_body", "open_manager", "result.mode");
    assert_eq!(mode(dir.path()), "WebSocketManagerMode.UNIFIED");
    let output = ssot(dir.path()).args(["check", "--fix", "--no-color", file]).output().unwrap();
    assert_eq!(read(dir.path(), file), source, "{}", stdout_of(&output));
    let reason = "fix is unsafe: `create_websocket_manager` is an attribute of class `Handler` here, and its uses \
        through the class or its instances (`self.create_websocket_manager(…)` passes the instance first)";
    assert!(stdout_of(&output).contains(reason), "{}", stdout_of(&output));
    ssot(dir.path()).args(["check", "--fix", "--unsafe-fixes", file]).output().unwrap();
    assert!(read(dir.path(), file).contains("get_websocket_manager as create_websocket_manager"));
    assert_eq!(mode(dir.path()), "ctx", "the reason says what the unsafe fix changes");
}

/// A rename binds the new name where the import stood; a later star import
/// of a module that defines it, or a write to `globals()` under it, binds
/// it again, and the renamed calls reached that other function. The fix
/// imports the new name under the old one there instead; a star import of
/// a module that cannot bind it leaves the rename as it was.
#[test]
fn a_name_a_star_import_or_globals_may_rebind_is_not_renamed_onto() {
    let dir = workspace_copy("plain_hub");
    let import = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n";
    let call = "\n\nasync def open_manager(ctx):\n    return await create_websocket_manager(ctx)\n";
    write(
        dir.path(),
        "netra_backend/app/services/other_managers.py",
        "async def get_websocket_manager(user_context=None, mode=None):\n    return \"another\"\n",
    );
    let files = [
        ("star_later", format!("{import}from netra_backend.app.services.other_managers import *\n{call}")),
        (
            "globals_later",
            format!(
                "{import}from netra_backend.app.services import other_managers\n\n\
                 globals()[\"get_websocket_manager\"] = other_managers.get_websocket_manager\n{call}"
            ),
        ),
        ("harmless_star", format!("{import}from netra_backend.app.services.user_execution_context import *\n{call}")),
    ];
    for (name, source) in &files {
        write(dir.path(), &format!("netra_backend/app/services/{name}.py"), source);
    }
    let made = |dir: &Path, name: &str| {
        coroutine_result(dir, &format!("netra_backend.app.services.{name}"), "open_manager", "type(result).__name__")
    };
    for (name, _) in &files {
        assert_eq!(made(dir.path(), name), "UnifiedWebSocketManager", "{name} before the fix");
    }
    let output = ssot(dir.path()).args(["check", "--fix", "netra_backend/app/services"]).output().unwrap();
    for (name, _) in &files {
        let fixed = read(dir.path(), &format!("netra_backend/app/services/{name}.py"));
        assert!(!fixed.contains("websocket_manager_factory"), "{name}: {fixed}\n{}", stdout_of(&output));
        assert_eq!(made(dir.path(), name), "UnifiedWebSocketManager", "{name} after the fix: {fixed}");
        let renamed = fixed.contains("return await get_websocket_manager(ctx)");
        assert_eq!(renamed, *name == "harmless_star", "{name}: {fixed}");
    }
}

/// A temporary copy of the workspace fixture `name`
/// (`tests/fixtures/workspaces/`).
fn workspace_copy(name: &str) -> tempfile::TempDir {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspaces").join(name);
    let dir = tempdir();
    copy_dir(&fixture, dir.path());
    dir
}

/// `create_test_user_context` keeps its name: the rule's map stands for a
/// re-export, the factory passing the canonical function on. Where the
/// factory defines its own, the fix reaches another function: unsafe,
/// saying why, unless the factory's is a copy of the canonical one (the
/// same text, its comments and blank lines around aside).
#[test]
fn a_same_name_move_from_a_module_defining_its_own_is_unsafe_unless_a_copy() {
    let factory = "netra_backend/app/websocket_core/websocket_manager_factory.py";
    let user = "netra_backend/app/services/test_context_user.py";
    let user_source =
        "from netra_backend.app.websocket_core.websocket_manager_factory import create_test_user_context\n\n\n\
        async def open_manager(ctx):\n    return create_test_user_context()\n";
    let own = |body: &str| {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspaces/plain_hub");
        let source = read(&fixture, factory).replace(", create_test_user_context\n", "\n")
            + "\n\n# kept while its callers move\ndef create_test_user_context(user_id: str = \"test-user\") \
               -> UserExecutionContext:\n"
            + body
            + "\n# end\n";
        let dir = workspace_copy("plain_hub");
        write(dir.path(), factory, &source);
        write(dir.path(), user, user_source);
        dir
    };
    let user_id = |dir: &Path| {
        coroutine_result(dir, "netra_backend.app.services.test_context_user", "open_manager", "result.user_id")
    };
    let copy = own("    return UserExecutionContext(user_id=user_id)\n");
    ssot(copy.path()).args(["check", "--fix", user]).output().unwrap();
    assert!(read(copy.path(), user).contains("websocket_manager import create_test_user_context"));
    assert_eq!(user_id(copy.path()), "test-user");
    let other = own("    return UserExecutionContext(user_id=\"factory-\" + user_id)\n");
    assert_eq!(user_id(other.path()), "factory-test-user");
    let output = ssot(other.path()).args(["check", "--fix", "--no-color", user]).output().unwrap();
    assert_eq!(read(other.path(), user), user_source, "{}", stdout_of(&output));
    let reason = "fix is unsafe: `netra_backend.app.websocket_core.websocket_manager_factory` defines its own \
        `create_test_user_context` rather than passing on `netra_backend.app.websocket_core.websocket_manager`'s";
    assert!(stdout_of(&output).contains(reason), "{}", stdout_of(&output));
    ssot(other.path()).args(["check", "--fix", "--unsafe-fixes", user]).output().unwrap();
    assert_eq!(user_id(other.path()), "test-user", "the reason says what the unsafe fix changes");
}

/// A `case` pattern's bare name captures the subject: it binds the name
/// (`case get_websocket_manager:`, in a sequence, a mapping, a class
/// pattern's keyword, an alternative). Read as no name, the rename bound
/// `get_websocket_manager` locally over the call (UnboundLocalError), and
/// renamed a call of a captured `create_websocket_manager` onto the import.
#[test]
fn a_case_pattern_capture_binds_its_name() {
    let dir = workspace_copy("plain_hub");
    let file = "netra_backend/app/services/matching.py";
    let source = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n\n\
        async def captured_new(ctx):\n    manager = await create_websocket_manager(ctx)\n    \
        match [ctx]:\n        case [None, get_websocket_manager]:\n            pass\n        \
        case {\"k\": get_websocket_manager} | int(real=get_websocket_manager):\n            pass\n    \
        return manager\n\n\n\
        async def custom(ctx=None):\n    return \"custom\"\n\n\n\
        async def captured_old(ctx, maker=custom):\n    match maker:\n        case create_websocket_manager:\n            \
        return await create_websocket_manager(ctx)\n\n\n\
        async def open_manager(ctx):\n    return (type(await captured_new(ctx)).__name__, await captured_old(ctx))\n";
    write(dir.path(), file, source);
    let made = |dir: &Path| coroutine_result(dir, "netra_backend.app.services.matching", "open_manager", "result");
    assert_eq!(made(dir.path()), "('UnifiedWebSocketManager', 'custom')");
    let output = ssot(dir.path()).args(["check", "--fix", file]).output().unwrap();
    let fixed = read(dir.path(), file);
    assert!(fixed.contains("get_websocket_manager as create_websocket_manager"), "{fixed}\n{}", stdout_of(&output));
    assert_eq!(made(dir.path()), "('UnifiedWebSocketManager', 'custom')", "{fixed}");
}

/// A report of one file of a package tree knows the importers `--fix`
/// reads the rest of the tree for: it offered a safe fix (`[*]`, and the
/// edits in JSON, which editors apply) that `--fix` then withheld because a
/// test patches the name on the module.
#[test]
fn a_report_of_part_of_a_tree_knows_the_importers_fix_knows() {
    let dir = workspace_copy("plain_hub");
    let route = "netra_backend/app/routes/patched_route.py";
    write(
        dir.path(),
        route,
        "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n\n\
         async def connect(ctx):\n    return await create_websocket_manager(ctx)\n",
    );
    write(
        dir.path(),
        "netra_backend/app/services/test_patched_route.py",
        "from unittest import mock\n\n\n\
         def test_connect():\n    with mock.patch(\"netra_backend.app.routes.patched_route.create_websocket_manager\"):\n        pass\n",
    );
    let report = ssot(dir.path()).args(["check", "--no-color", route]).output().unwrap();
    let json = ssot(dir.path()).args(["check", "--format", "json", route]).output().unwrap();
    let diff = ssot(dir.path()).args(["check", "--diff", "--no-color", route]).output().unwrap();
    let withheld = "no automatic fix: `create_websocket_manager` is imported from this module, or patched on it";
    for output in [&report, &diff] {
        assert!(stdout_of(output).contains(withheld), "{}", stdout_of(output));
    }
    assert!(!stdout_of(&report).contains("[*]"), "{}", stdout_of(&report));
    assert!(!stdout_of(&json).contains("\"applicability\""), "{}", stdout_of(&json));
}

/// A patch target moved from the factory to the canonical module replaces
/// another module's attribute: code that imports the factory's name when
/// it runs (an import inside a function, as most real ones are) is then no
/// longer patched. The rewrite is unsafe, saying why; the test patched
/// before the fix, and with `--unsafe-fixes` it no longer does.
#[test]
fn a_patch_target_moves_only_unsafely() {
    let dir = workspace_copy("plain_hub");
    write(
        dir.path(),
        "netra_backend/app/services/lazy_route.py",
        "async def connect(ctx):\n    \
         from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n    \
         return await create_websocket_manager(ctx, user_id=\"u\")\n",
    );
    let test = "netra_backend/app/services/patching_test.py";
    let source = "from unittest import mock\n\nfrom netra_backend.app.services import lazy_route\n\n\n\
        async def open_manager(ctx):\n    \
        with mock.patch(\"netra_backend.app.websocket_core.websocket_manager_factory.create_websocket_manager\", \
        mock.AsyncMock(return_value=\"FAKE\")):\n        return await lazy_route.connect(ctx)\n";
    write(dir.path(), test, source);
    let made = |dir: &Path| coroutine_result(dir, "netra_backend.app.services.patching_test", "open_manager", "result");
    assert_eq!(made(dir.path()), "FAKE");
    let output = ssot(dir.path()).args(["check", "--fix", "--no-color", test]).output().unwrap();
    assert_eq!(read(dir.path(), test), source, "{}", stdout_of(&output));
    let reason = "fix is unsafe: the patch then replaces `netra_backend.app.websocket_core.websocket_manager.\
        get_websocket_manager` instead: code that reads `create_websocket_manager` off";
    assert!(stdout_of(&output).contains(reason), "{}", stdout_of(&output));
    assert_eq!(made(dir.path()), "FAKE");
    ssot(dir.path()).args(["check", "--fix", "--unsafe-fixes", test]).output().unwrap();
    assert_ne!(made(dir.path()), "FAKE", "the reason says what the unsafe fix changes");
}

/// A module that reads its own namespace by key (`globals()[name]`,
/// `getattr(sys.modules[__name__], "…")`) calls the imported name where
/// the check sees no call: here with a second positional argument, the old
/// function's ignored `user_id` and the new one's `mode`. The fix is unsafe,
/// saying why; the mode stays `UNIFIED` under `--fix`.
#[test]
fn a_name_the_module_reads_by_key_moves_only_unsafely() {
    let dir = workspace_copy("plain_hub");
    let file = "netra_backend/app/services/by_key.py";
    let source = "import sys\n\n\
        from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n\n\
        async def by_name(ctx, maker=\"create_websocket_manager\"):\n    return await globals()[maker](ctx, \"u\")\n\n\n\
        async def open_manager(ctx):\n    first = await by_name(ctx)\n    \
        second = await getattr(sys.modules[__name__], \"create_websocket_manager\")(ctx, \"u\")\n    \
        return (first.mode, second.mode)\n";
    write(dir.path(), file, source);
    let modes = |dir: &Path| coroutine_result(dir, "netra_backend.app.services.by_key", "open_manager", "result");
    let before = modes(dir.path());
    assert!(before.contains("UNIFIED"), "{before}");
    let output = ssot(dir.path()).args(["check", "--fix", "--no-color", file]).output().unwrap();
    assert_eq!(read(dir.path(), file), source, "{}", stdout_of(&output));
    assert!(stdout_of(&output).contains("fix is unsafe: this module reads its namespace by key"));
    ssot(dir.path()).args(["check", "--fix", "--unsafe-fixes", file]).output().unwrap();
    assert_eq!(modes(dir.path()), "('u', 'u')", "the reason says what the unsafe fix changes");
}

/// Runs `result = asyncio.run(module.function(None))` with CPython in
/// `root` and gives `str(expression)` of it (attributes of `result`).
fn coroutine_result(root: &Path, module: &str, function: &str, expression: &str) -> String {
    let script = format!(
        "import asyncio, importlib\nresult = asyncio.run(importlib.import_module({module:?}).{function}(None))\n\
         print({expression})\n"
    );
    let run = Command::new("python3").args(["-c", &script]).current_dir(root).output().unwrap();
    assert!(run.status.success(), "{module}.{function}: {}", String::from_utf8_lossy(&run.stderr));
    String::from_utf8_lossy(&run.stdout).trim().to_string()
}

/// What a Python script prints (CPython in `root`, warnings off); fails
/// with its traceback when it raises.
/// Writes the demo tree with `importer` and `patcher` (a file patching
/// what the importer reads), checks that `script` then prints `FAKE`, runs
/// `check --fix` on `paths`, and checks that the importer is left as it was
/// and `script` still prints `FAKE`. Returns the importer's line of the
/// report, and the whole report.
fn fix_keeps_a_patched_read(
    (importer, importer_text): (&str, &str),
    (patcher, patcher_text): (&str, &str),
    script: &str,
    paths: &[&str],
) -> (String, String) {
    let dir = tempdir();
    demo_tree(dir.path());
    write(dir.path(), importer, importer_text);
    write(dir.path(), patcher, patcher_text);
    assert_eq!(python_output(dir.path(), script), "FAKE");
    let output =
        ssot(dir.path()).args(["check", "--fix", "--format", "concise", "--no-color"]).args(paths).output().unwrap();
    assert_eq!(read(dir.path(), importer), importer_text, "{paths:?}");
    assert_eq!(python_output(dir.path(), script), "FAKE", "{paths:?}");
    let stdout = stdout_of(&output);
    let line = stdout.lines().find(|line| line.starts_with(importer)).unwrap_or_default().to_string();
    (line, stdout)
}

fn python_output(root: &Path, script: &str) -> String {
    let run = Command::new("python3").args(["-W", "ignore", "-c", script]).current_dir(root).output().unwrap();
    assert!(run.status.success(), "{script}: {}", String::from_utf8_lossy(&run.stderr));
    String::from_utf8_lossy(&run.stdout).trim().to_string()
}

/// Runs `asyncio.run(module.function(None))` with CPython in `root`, and
/// fails with its traceback when it raises.
fn run_coroutine(root: &Path, module: &str, function: &str) {
    let script =
        format!("import asyncio, importlib\nasyncio.run(importlib.import_module({module:?}).{function}(None))\n");
    let run = Command::new("python3").args(["-c", &script]).current_dir(root).output().unwrap();
    assert!(run.status.success(), "{module}.{function}: {}", String::from_utf8_lossy(&run.stderr));
}

/// Runs `asyncio.run(module.function(None))` with CPython in `root`, and
/// fails unless it raises NameError for `name`.
fn assert_name_error(root: &Path, module: &str, function: &str, name: &str) {
    let script = format!(
        "import asyncio, importlib\ntry:\n    asyncio.run(importlib.import_module({module:?}).{function}(None))\n\
        except NameError as error:\n    print(error)\n"
    );
    let run = Command::new("python3").args(["-c", &script]).current_dir(root).output().unwrap();
    let printed = String::from_utf8_lossy(&run.stdout);
    assert!(printed.contains(&format!("'{name}' is not defined")), "{module}.{function}: {run:?}");
}

/// A module that star-imports another whose deprecated binding it uses
/// (`from netra_backend.app.routes.star_hub import *`, then
/// `create_websocket_manager(ctx)`): the star import binds the name, so
/// the imported module keeps it (it was fixed, and the importer raised
/// NameError).
#[test]
fn a_module_star_imported_by_a_user_of_its_deprecated_binding_keeps_it() {
    let dir = workspace_copy("plain_hub");
    let hub = "netra_backend/app/routes/star_hub.py";
    let hub_source =
        "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\n\n\
        async def open_manager(ctx):\n    return await create_websocket_manager(ctx)\n";
    let user = "netra_backend/app/services/star_user.py";
    let user_source = "from netra_backend.app.routes.star_hub import *  # noqa: F403\n\n\n\
        async def open_directly(ctx):\n    return await create_websocket_manager(ctx)  # noqa: F405\n";
    write(dir.path(), hub, hub_source);
    write(dir.path(), user, user_source);
    let output = ssot(dir.path()).args(["check", "--fix", "--unsafe-fixes", "."]).output().unwrap();
    assert_eq!(read(dir.path(), hub), hub_source, "{}", stdout_of(&output));
    let reason =
        "is imported from this module, or patched on it, by `netra_backend.app.services.star_user`, whose uses";
    assert!(stdout_of(&output).contains(reason), "{}", stdout_of(&output));
    run_coroutine(dir.path(), "netra_backend.app.services.star_user", "open_directly");
}

/// A deprecated name imported from a hub moves to its target, whose name
/// a local definition already binds: the fix must see that definition (a
/// skeleton's first look leaves target names out, its second look keeps
/// them for a re-export too) and import the target under the old name.
#[test]
fn a_name_from_a_hub_is_not_renamed_onto_a_local_binding_of_its_target() {
    let dir = workspace_copy("plain_hub");
    let caller = "netra_backend/app/routes/local_target.py";
    write(
        dir.path(),
        caller,
        "from netra_backend.app.websocket_core.canonical_imports import create_websocket_manager\n\n\n\
         async def handler(ctx):\n    return await create_websocket_manager(ctx)\n\n\n\
         def get_websocket_manager(ctx):\n    return None\n",
    );
    let output = ssot(dir.path()).args(["check", "--fix", caller]).output().unwrap();
    let fixed = read(dir.path(), caller);
    assert!(fixed.contains("get_websocket_manager as create_websocket_manager"), "{fixed}\n{}", stderr_of(&output));
    assert!(fixed.contains("return await create_websocket_manager(ctx)"), "{fixed}");
    assert!(fixed.contains("def get_websocket_manager(ctx):\n    return None"), "{fixed}");
}

/// A plain-binding re-export hub fixed on its own (as a pre-commit run on
/// the staged hub would): the rest of its package tree is read for the
/// files that import from it, so the name they import stays bound; the
/// whole tree fixed at once gives the hub the same text.
#[test]
fn a_hub_fixed_alone_keeps_the_names_its_importers_import() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspaces/plain_hub");
    let hub = "netra_backend/app/websocket_core/canonical_imports.py";
    let kept = "from .websocket_manager_factory import create_websocket_manager\n";
    let (alone, whole) = (tempdir(), tempdir());
    copy_dir(&fixture, alone.path());
    copy_dir(&fixture, whole.path());
    let output = ssot(alone.path()).args(["check", "--fix", hub]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr_of(&output));
    assert!(read(alone.path(), hub).contains(kept), "{}", read(alone.path(), hub));
    let reason = "is imported from this module, or patched on it, by `netra_backend.app.compat` and 1 other module,";
    assert!(stdout_of(&output).contains(reason), "{}", stdout_of(&output));
    assert_eq!(
        read(alone.path(), "netra_backend/app/routes/by_user_id.py"),
        read(&fixture, "netra_backend/app/routes/by_user_id.py")
    );
    // The same hub through stdin, as an editor's formatter pipe sends it:
    // every name it binds from the factory is imported by another module.
    let piped = ssot(whole.path())
        .args(["check", "--fix", "--stdin-filename", hub, "-"])
        .write_stdin(read(&fixture, hub))
        .output()
        .unwrap();
    assert_eq!(stdout_of(&piped), read(&fixture, hub), "{}", stderr_of(&piped));
    // The hub binds the factory's function as `make_websocket_manager` too:
    // the file importing that name holds no trigger string and is read
    // for it, reported and fixed, and the hub keeps the alias.
    let renamed = "netra_backend/app/routes/renamed.py";
    let report = ssot(whole.path()).args(["check", "--format", "concise", "."]).output().unwrap();
    assert!(stdout_of(&report).contains(&format!("{renamed}:")), "{}", stdout_of(&report));
    ssot(whole.path()).args(["check", "--fix", "."]).output().unwrap();
    assert_eq!(read(alone.path(), hub), read(whole.path(), hub));
    assert!(read(whole.path(), hub).contains("create_websocket_manager as make_websocket_manager"));
    assert!(
        read(whole.path(), renamed).contains("return await get_websocket_manager(ctx)"),
        "{}",
        read(whole.path(), renamed)
    );
    // A package passes that alias on, and renames the function itself: the
    // file importing both names from it is read, reported and fixed too.
    let through_package = read(whole.path(), "netra_backend/app/routes/through_compat.py");
    assert!(!through_package.contains("app.compat import"), "{through_package}");
    assert_eq!(through_package.matches("return await get_websocket_manager(ctx)").count(), 2, "{through_package}");
}
