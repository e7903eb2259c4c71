//! `ssot-lsp check`: walk, prefilter, check (and fix) files in parallel, then
//! print one report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use rayon::prelude::*;

use super::output;
use super::report::{exit_status, FileReport, Mode, Report};
use super::write::{write_atomically, Written};
use super::CheckArgs;
use crate::fix::{fix_text, FixOptions};
use crate::index::{SharedIndex, WorkspaceIndex};
use crate::rules::{load_rule_set, LoadedRules, RuleSet};
use crate::{analysis, workspace};

/// Checks the named paths (`cli::run_check` has set up colour and the output
/// file, and sent `-` to `stdin`).
pub(super) fn run_paths(args: &CheckArgs, color: bool) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let loaded = match load_rules(args, &paths, &cwd) {
        Ok(loaded) => loaded,
        Err(error) => {
            output::error(&format!("{error:#}"));
            return ExitCode::from(2);
        }
    };
    let rules = &loaded.rules;
    let explicit =
        if args.no_force_exclude { workspace::ExplicitFiles::Kept } else { workspace::ExplicitFiles::Excluded };
    let (files, warnings) = workspace::walk_with(&paths, rules, &cwd, explicit);
    let mut had_error = false;
    for warning in &warnings {
        match &warning.path {
            // A path the user named that is missing or unreadable: an error.
            Some(path) => output::error(&format!("{}: {}", output::display_path(path), warning.message)),
            None => output::warn(&warning.message),
        }
        had_error |= warning.is_error;
    }
    let index = workspace_index(rules, &paths, &cwd);
    let options = FixOptions { unsafe_fixes: args.unsafe_fixes || rules.settings.unsafe_fixes, only_codes: Vec::new() };
    let mode = Mode::of(args);
    let reports: Vec<FileReport> =
        files.par_iter().map(|path| check_file(rules, &index, &cwd, path, &options, mode)).collect();
    let mut report = Report { files: reports, checked: files.len() };
    for file in &report.files {
        if let Some(error) = &file.error {
            output::warn(&format!("{}: {error}", file.display));
            had_error |= file.is_error;
        }
    }
    if let Some(path) = &args.write_baseline {
        if had_error {
            output::error("the baseline is not written: fix the errors above first");
            return ExitCode::from(2);
        }
        return super::baseline::write(args, rules, path, &files, &report);
    }
    if let Err(error) = super::baseline::apply(args, rules, &files, &mut report) {
        output::error(&format!("{error:#}"));
        return ExitCode::from(2);
    }
    output::print_report(&report, args, rules, color, had_error);
    exit_status(args, &report, mode, had_error)
}

pub(super) fn load_rules(args: &CheckArgs, paths: &[PathBuf], cwd: &Path) -> anyhow::Result<LoadedRules> {
    let start = paths
        .first()
        .map(|path| if path.is_absolute() { path.clone() } else { cwd.join(path) })
        .unwrap_or_else(|| cwd.to_path_buf());
    let mut loaded = load_rule_set(args.config.as_deref(), &start)?;
    if !args.select.is_empty() || !args.ignore.is_empty() {
        loaded.rules = narrow(&loaded.rules, &args.select, &args.ignore).context("--select/--ignore")?;
    }
    Ok(loaded)
}

/// Applies `--select` and `--ignore` on top of the config.
fn narrow(rules: &RuleSet, select: &[String], ignore: &[String]) -> anyhow::Result<RuleSet> {
    let mut narrowed = rules.clone();
    for selector in select.iter().chain(ignore) {
        if !rules.rules.iter().any(|rule| crate::rules::code_matches(&rule.code, selector)) {
            anyhow::bail!("no active rule code starts with `{selector}` (see `ssot-lsp rules`)");
        }
    }
    narrowed.rules.retain(|rule| {
        let selected = select.is_empty() || select.iter().any(|code| crate::rules::code_matches(&rule.code, code));
        let ignored = ignore.iter().any(|code| crate::rules::code_matches(&rule.code, code));
        selected && !ignored
    });
    Ok(narrowed.with_recomputed_triggers())
}

/// The index of the workspace the checked paths belong to, with the modules
/// the rules name already read (before `--fix` writes anything).
pub(super) fn workspace_index(rules: &RuleSet, paths: &[PathBuf], cwd: &Path) -> SharedIndex {
    let roots = WorkspaceIndex::roots_for(&rules.settings.import_roots, paths, cwd);
    let start = paths.first().map(|path| cwd.join(path)).unwrap_or_else(|| cwd.to_path_buf());
    let index = WorkspaceIndex::new(roots).with_line_length(workspace::project_line_length(&start));
    index.warm(&rules.known_rules);
    SharedIndex(Arc::new(index))
}

fn check_file(
    rules: &RuleSet,
    index: &SharedIndex,
    cwd: &Path,
    path: &Path,
    options: &FixOptions,
    mode: Mode,
) -> FileReport {
    let mut report = FileReport::new(workspace::relative_to(path, cwd));
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            report.error = Some(format!("cannot read: {error}"));
            report.is_error = true;
            return report;
        }
    };
    if !rules.may_match_file(path, &bytes) {
        return report;
    }
    if let Some(offset) = memchr::memchr(0, &bytes) {
        report.error = Some(format!("skipped: a NUL byte at byte {offset}: not Python source (a binary file?)"));
        return report;
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            report.error = Some(not_utf8_message(error.as_bytes(), error.utf8_error().valid_up_to()));
            return report;
        }
    };
    let mut scope = workspace::scope_for(rules, cwd, path);
    scope.index = Some(index.clone());
    if mode == Mode::Report {
        report.findings = analysis::scan_text(rules, &scope, &text);
        report.text = Some(text);
        return report;
    }
    let outcome = fix_text(rules, &scope, &text, options);
    report.applied = outcome.applied_count();
    report.findings = outcome.remaining;
    if outcome.text != text {
        if mode == Mode::Fix {
            match write_atomically(path, &text, &outcome.text) {
                Ok(Written::Replaced) => {}
                Ok(Written::AlreadyFixed) => {
                    // Another run fixed it meanwhile: nothing is ours to count.
                    report.applied = 0;
                    report.text = Some(outcome.text);
                    return report;
                }
                Err(error) => {
                    report.error = Some(format!("not fixed: {error:#}"));
                    report.is_error = true;
                    report.applied = 0;
                    report.findings = analysis::check_text(rules, &scope, &text);
                    report.text = Some(text);
                    return report;
                }
            }
        }
        report.fixed_text = Some(outcome.text.clone());
    }
    report.original_text = Some(text);
    report.text = Some(outcome.text);
    report
}

/// Why a file is skipped: where its first byte that is not UTF-8 sits, and the
/// encoding it declares (PEP 263) if any. Such files are never written.
fn not_utf8_message(bytes: &[u8], valid_up_to: usize) -> String {
    let before = &bytes[..valid_up_to];
    let line = before.iter().filter(|&&byte| byte == b'\n').count() + 1;
    let column = valid_up_to - before.iter().rposition(|&byte| byte == b'\n').map_or(0, |index| index + 1) + 1;
    let location = format!("byte {valid_up_to} (line {line}, column {column})");
    match declared_encoding(bytes) {
        Some(encoding) => format!(
            "skipped: not valid UTF-8 at {location}; the file declares `coding: {encoding}`, and only UTF-8 files are checked or fixed"
        ),
        None => format!("skipped: not valid UTF-8 at {location}"),
    }
}

/// The encoding named by a PEP 263 cookie (`# -*- coding: latin-1 -*-`) on
/// the first or second line.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|&byte| byte == b'\n').take(2) {
        let line = String::from_utf8_lossy(line);
        let Some(comment) = line.trim_start_matches([' ', '\t', '\x0c']).strip_prefix('#') else { continue };
        let Some(index) = comment.find("coding") else { continue };
        let rest = &comment[index + "coding".len()..];
        let Some(rest) = rest.strip_prefix([':', '=']) else { continue };
        let name: String = rest
            .trim_start_matches([' ', '\t'])
            .chars()
            .take_while(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'))
            .collect();
        if !name.is_empty() {
            return Some(name);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_declared_encoding_and_the_first_bad_byte() {
        let latin = b"# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n";
        let error = String::from_utf8(latin.to_vec()).unwrap_err();
        let message = not_utf8_message(latin, error.utf8_error().valid_up_to());
        assert_eq!(
            message,
            "skipped: not valid UTF-8 at byte 34 (line 2, column 9); the file declares `coding: latin-1`, and only UTF-8 files are checked or fixed"
        );
        assert_eq!(
            declared_encoding(b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n"),
            Some("cp1252".into())
        );
        assert_eq!(declared_encoding(b"x = 1\n\n# coding: latin-1\n"), None, "only the first two lines count");
        assert_eq!(not_utf8_message(b"\xff", 0), "skipped: not valid UTF-8 at byte 0 (line 1, column 1)");
    }
}
