//! `ssot-lsp check --stdin-filename PATH -`: one file read from stdin, as
//! editors and formatters' integrations pass it. The path chooses the
//! config, the excludes, per-file-ignores and the module; nothing is read
//! from it or written to it. With `--fix`, stdout carries the fixed text
//! (the text unchanged when nothing was fixed) and the report goes to stderr.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::check::{load_rules, record_importers_elsewhere, workspace_index};
use super::output;
use super::report::{exit_status, FileReport, Mode, Report};
use super::{sink, CheckArgs};
use crate::fix::{fix_text, FixOptions};
use crate::{analysis, workspace};

/// Whether the command line asks for stdin.
pub fn wants_stdin(args: &CheckArgs) -> bool {
    args.paths.iter().any(|path| path.as_os_str() == "-")
}

pub fn run_stdin(args: &CheckArgs) -> ExitCode {
    match check_stdin(args) {
        Ok(code) => code,
        Err(error) => {
            output::error(&format!("{error:#}"));
            ExitCode::from(2)
        }
    }
}

fn check_stdin(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let Some(path) = &args.stdin_filename else {
        anyhow::bail!("reading stdin (`-`) needs --stdin-filename PATH (the file's path, for config and excludes)");
    };
    if args.paths.len() != 1 {
        anyhow::bail!("`-` (stdin) cannot be combined with other paths");
    }
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes).map_err(|error| anyhow::anyhow!("cannot read stdin: {error}"))?;
    let text = String::from_utf8(bytes)
        .map_err(|error| anyhow::anyhow!("stdin is not valid UTF-8 at byte {}", error.utf8_error().valid_up_to()))?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let loaded = load_rules(args, std::slice::from_ref(path), &cwd)?;
    let rules = &loaded.rules;
    let mode = Mode::of(args);
    if !args.no_force_exclude && workspace::is_excluded_file(rules, &cwd, path) {
        // Excluded: nothing to report, and a formatter pipe gets its text back.
        if mode == Mode::Fix {
            write_raw_stdout(&text);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let options = FixOptions { unsafe_fixes: args.unsafe_fixes || rules.settings.unsafe_fixes, only_codes: Vec::new() };
    let file = check_text(rules, &cwd, path, text, &options, mode);
    if mode == Mode::Fix {
        write_raw_stdout(file.text.as_deref().unwrap_or_default());
        sink::to_stderr();
    }
    let mut slots = [Some(Box::new(file))];
    super::baseline::apply(args, rules, (std::slice::from_ref(path), &cwd), &mut slots)?;
    let report = Report::of(slots.into());
    output::print_report(&report, args, rules, false, &super::git::StatusProbe::new(cwd));
    Ok(exit_status(args, &report, mode, false))
}

/// Checks (and in `Fix` or `Diff` mode fixes) a text in memory.
fn check_text(
    rules: &crate::rules::RuleSet,
    cwd: &Path,
    path: &Path,
    text: String,
    options: &FixOptions,
    mode: Mode,
) -> FileReport {
    let mut report = FileReport::new(workspace::relative_to(path, cwd));
    // The fixes are checked against the code base the path belongs to, as
    // for files named on the command line.
    let mut scope = workspace::scope_for(rules, cwd, path);
    let path_buf = path.to_path_buf();
    let index = workspace_index(rules, std::slice::from_ref(&path_buf), cwd);
    scope.index = Some(index.clone());
    // As for a file named alone, in every mode (a report's fix classes and
    // its JSON edits are those `--fix` would apply): the files of its
    // package tree that import from it tell whether it is a re-export hub
    // to keep. So do the files that patch a name its fixes read on the
    // deprecated module.
    let findings = analysis::scan_text(rules, &scope, &text);
    let patched: Vec<&str> = findings
        .iter()
        .filter_map(|finding| finding.patchers_seen.as_ref())
        .flat_map(|seen| seen.names.iter().map(|(_, name)| name.as_str()))
        .collect();
    let paths = std::slice::from_ref(&path_buf);
    let scopes = crate::workspace::ScopeFinder::new(rules, cwd);
    record_importers_elsewhere(rules, &index, (cwd, &scopes), paths, paths, (&[&path_buf], &patched));
    if mode == Mode::Report {
        report.findings = analysis::scan_text(rules, &scope, &text);
        report.text = Some(text);
        return report;
    }
    let outcome = fix_text(rules, &scope, &text, options);
    report.applied = outcome.applied_count();
    report.findings = outcome.remaining;
    if outcome.text != text {
        report.fixed_text = Some(outcome.text.clone());
    }
    report.original_text = Some(text);
    report.text = Some(outcome.text);
    report
}

/// The fixed text, byte for byte (never coloured or redirected).
fn write_raw_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}
