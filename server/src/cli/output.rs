//! Everything `check`, `rules` and `explain` print: text, concise, JSON,
//! SARIF 2.1.0 and GitHub annotations, diffs and statistics.
//!
//! Findings go to stdout; warnings and errors to stderr. Colour only when
//! stdout is a terminal (anstream strips it otherwise).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use owo_colors::OwoColorize;
use rayon::prelude::*;
use serde_json::{json, Value};

use super::escape;
use super::git::StatusProbe;
use super::report::{FileReport, Mode, Report};
use super::{CheckArgs, ExplainArgs, OutputFormat, RulesArgs};
use crate::finding::{Applicability, Finding, Severity};
use crate::rules::{load_rule_set, RuleKind, RuleSet};

/// A finding with its position for people.
struct Located<'a> {
    file: &'a FileReport,
    finding: &'a Finding,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    source_line: String,
    /// Where each edit of the finding's fix starts and ends (line, column).
    edits: Vec<((usize, usize), (usize, usize))>,
}

/// Every finding located, in the report's order: the files in parallel
/// (a line index per file is most of the output's work).
fn locate(report: &Report) -> Vec<Located<'_>> {
    // Most checked files have no findings: no line index for them.
    let files: Vec<&FileReport> = report.files.iter().filter(|file| !file.findings.is_empty()).collect();
    let per_file: Vec<Vec<Located<'_>>> = files.par_iter().map(|file| locate_file(file)).collect();
    per_file.into_iter().flatten().collect()
}

fn locate_file(file: &FileReport) -> Vec<Located<'_>> {
    let Some(lines) = file.located_lines() else { return Vec::new() };
    let mut located = Vec::with_capacity(file.findings.len());
    for finding in &file.findings {
        let (line, column) = lines.line_column(finding.start);
        let (end_line, end_column) = lines.line_column(finding.end);
        let source_line = lines.line_text(line - 1).to_string();
        let edits = finding.fix.iter().flat_map(|fix| &fix.edits);
        let edits = edits.map(|edit| (lines.line_column(edit.start), lines.line_column(edit.end))).collect();
        located.push(Located { file, finding, line, column, end_line, end_column, source_line, edits });
    }
    located
}

pub use escape::display_path;

pub fn write_stdout(text: &str) {
    if super::sink::redirect(text) {
        return;
    }
    let raw = std::io::stdout();
    if anstream::AutoStream::choice(&raw) == anstream::ColorChoice::Never {
        // Stripped first, then written at once: stripping while writing
        // writes each piece between two colour codes on its own, and stdout
        // flushes each line (2,500 `write` calls for 800 findings).
        let mut raw = raw.lock();
        let _ = raw.write_all(anstream::adapter::strip_str(text).to_string().as_bytes());
        let _ = raw.flush();
        return;
    }
    let mut stdout = anstream::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

pub fn warn(message: &str) {
    let _ = writeln!(anstream::stderr(), "{} {}", "warning:".yellow().bold(), escape::display_message(message));
}

/// An error: one or more lines (a config error's context chain), each line
/// escaped.
pub fn error(message: &str) {
    let lines: Vec<String> = message.lines().map(escape::display_message).collect();
    let _ = writeln!(anstream::stderr(), "{} {}", "error:".red().bold(), lines.join("\n"));
}

/// Whether the output has the `--fix` hint, which asks git whether the files
/// to fix have uncommitted changes (`git::StatusProbe`).
pub fn shows_fix_hint(args: &CheckArgs) -> bool {
    Mode::of(args) == Mode::Report
        && !args.statistics
        && matches!(args.format, OutputFormat::Text | OutputFormat::Concise)
}

/// Prints the report; `status` answers the `--fix` hint (started by the
/// check, or here).
pub fn print_report(report: &Report, args: &CheckArgs, rules: &RuleSet, had_error: bool, status: &StatusProbe) {
    let fix_hint = || fix_hint_suffix(report, status);
    let located = locate(report);
    let mode = Mode::of(args);
    let mut out = String::new();
    if args.statistics {
        // Statistics replace the findings, in every format.
        let as_json = matches!(args.format, OutputFormat::Json | OutputFormat::Sarif);
        out.push_str(&statistics(report, as_json));
        return write_stdout(&out);
    }
    match args.format {
        OutputFormat::Text | OutputFormat::Concise => {
            if mode == Mode::Diff {
                out.push_str(&diffs(report));
            }
            let with_source = args.format == OutputFormat::Text;
            let lines: Vec<String> = located.par_iter().map(|item| text_line(item, with_source)).collect();
            for line in lines {
                out.push_str(&line);
            }
            if !(had_error && report.files.is_empty()) {
                out.push_str(&summary(report, &located, (mode, args.unsafe_fixes, had_error), fix_hint));
            }
        }
        OutputFormat::Json => {
            let value: Vec<Value> = located.iter().map(|item| json_finding(item)).collect();
            out.push_str(&serde_json::to_string_pretty(&value).unwrap_or_default());
            out.push('\n');
        }
        OutputFormat::Sarif => {
            out.push_str(&serde_json::to_string_pretty(&sarif(&located, rules)).unwrap_or_default());
            out.push('\n');
        }
        OutputFormat::Github => {
            for item in &located {
                out.push_str(&github_line(item));
            }
        }
    }
    write_stdout(&out);
}

fn fix_marker(finding: &Finding) -> &'static str {
    match finding.fix.as_ref().map(|fix| fix.applicability) {
        Some(Applicability::Safe) => " [*]",
        Some(Applicability::Unsafe) => " [unsafe fix]",
        None => "",
    }
}

fn text_line(item: &Located, with_source: bool) -> String {
    let location = format!("{}:{}:{}:", item.file.display, item.line, item.column);
    let code = match item.finding.severity {
        Severity::Error => item.finding.code.red().bold().to_string(),
        _ => item.finding.code.yellow().bold().to_string(),
    };
    let mut line = format!("{} {code}{} {}\n", location.bold(), fix_marker(item.finding).cyan(), item.finding.message);
    if with_source {
        let gutter = item.line.to_string();
        let pad = " ".repeat(gutter.len());
        let prefix: String =
            item.source_line.chars().take(item.column - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
        let width = if item.end_line == item.line {
            (item.end_column - item.column).max(1)
        } else {
            item.source_line.chars().count().saturating_sub(item.column - 1).max(1)
        };
        line.push_str(&format!("{} {}\n", format!("{gutter} |").blue().bold(), item.source_line));
        line.push_str(&format!("{} {prefix}{}\n\n", format!("{pad} |").blue().bold(), "^".repeat(width).red().bold()));
    }
    line
}

/// The closing lines; `fix_hint` is asked only when some fix is safe.
fn summary(
    report: &Report,
    located: &[Located],
    (mode, unsafe_fixes, had_error): (Mode, bool, bool),
    fix_hint: impl FnOnce() -> &'static str,
) -> String {
    let applied: usize = report.files.iter().map(|file| file.applied).sum();
    let remaining = located.len();
    let safe = located.iter().filter(|item| item.finding.has_safe_fix()).count();
    let unsafe_count = located
        .iter()
        .filter(|item| item.finding.fix.as_ref().is_some_and(|fix| fix.applicability == Applicability::Unsafe))
        .count();
    let mut text = String::new();
    match mode {
        Mode::Fix => {
            text.push_str(&format!(
                "Fixed {applied} finding{} in {} file{}.",
                plural(applied),
                files_changed(report),
                plural(files_changed(report))
            ));
            if remaining > 0 {
                text.push_str(&format!(" {remaining} remaining."));
            }
            text.push('\n');
        }
        Mode::Diff => {
            text.push_str(&format!(
                "Would fix {applied} finding{} in {} file{}.\n",
                plural(applied),
                files_changed(report),
                plural(files_changed(report))
            ));
        }
        Mode::Report => {}
    }
    if remaining == 0 {
        if mode == Mode::Report && had_error {
            // Never "passed" over a tree that was not wholly read.
            text.push_str(&format!(
                "No findings in the {} file{} read, but the check is incomplete: see the errors above.\n",
                report.checked,
                plural(report.checked)
            ));
        } else if mode == Mode::Report {
            text.push_str(&format!("All checks passed ({} file{} checked).\n", report.checked, plural(report.checked)));
        }
        return text;
    }
    if mode == Mode::Report {
        let files = report.files.iter().filter(|file| !file.findings.is_empty()).count();
        text.push_str(&format!("Found {remaining} finding{} in {files} file{}.\n", plural(remaining), plural(files)));
        if safe > 0 {
            text.push_str(&format!("[*] {safe} fixable with `ssot-lsp check --fix`{}.\n", fix_hint()));
        }
        if unsafe_count > 0 && !unsafe_fixes {
            text.push_str(&format!("{unsafe_count} more fixable with `--fix --unsafe-fixes`.\n"));
        }
    }
    text
}

/// " (commit or copy first …)" when the files with safe fixes have
/// uncommitted changes in git.
fn fix_hint_suffix(report: &Report, status: &StatusProbe) -> &'static str {
    let files: Vec<&str> = report
        .files
        .iter()
        .filter(|file| file.findings.iter().any(Finding::has_safe_fix))
        .filter_map(|file| file.relative.to_str())
        .collect();
    status.hint_for(&files)
}

fn files_changed(report: &Report) -> usize {
    report.files.iter().filter(|file| file.fixed_text.is_some()).count()
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

fn diffs(report: &Report) -> String {
    let mut text = String::new();
    for file in &report.files {
        let (Some(before), Some(after)) = (&file.original_text, &file.fixed_text) else { continue };
        let names = (format!("a/{}", file.display), format!("b/{}", file.display));
        text.push_str(&super::diff::unified(before, after, 3, (&names.0, &names.1)));
    }
    text
}

fn json_finding(item: &Located) -> Value {
    let fix = item.finding.fix.as_ref().map(|fix| {
        let edits: Vec<Value> = fix
            .edits
            .iter()
            .zip(&item.edits)
            .map(|(edit, &((line, column), (end_line, end_column)))| {
                json!({
                    "content": edit.replacement,
                    "location": {"row": line, "column": column},
                    "end_location": {"row": end_line, "column": end_column},
                })
            })
            .collect();
        let mut value = json!({"applicability": fix.applicability.as_str(), "message": fix.title, "edits": edits});
        if let Some(note) = &fix.note {
            value["note"] = json!(note);
        }
        value
    });
    json!({
        "code": item.finding.code,
        "rule": item.finding.rule_name,
        "severity": item.finding.severity.as_str(),
        "message": item.finding.message,
        "filename": item.file.display,
        "location": {"row": item.line, "column": item.column},
        "end_location": {"row": item.end_line, "column": item.end_column},
        "deprecated": item.finding.deprecated,
        "canonical": item.finding.canonical,
        "url": item.finding.url,
        "fix": fix,
    })
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

fn sarif(located: &[Located], rules: &RuleSet) -> Value {
    let rule_entries: Vec<Value> = rules
        .rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.render_message("the deprecated name", rule.canonical.as_deref())},
                "fullDescription": {"text": first_paragraph(&rule.docs)},
                "help": {"text": rule.docs, "markdown": rule.docs},
                "helpUri": rule.url,
                "defaultConfiguration": {"level": sarif_level(rule.severity)},
            })
        })
        .collect();
    let mut occurrences: BTreeMap<String, usize> = BTreeMap::new();
    let results: Vec<Value> = located
        .iter()
        .map(|item| {
            let uri = escape::uri_path(&item.file.relative);
            let key = format!("{}:{}:{}", item.finding.code, uri, item.source_line.trim());
            let occurrence = occurrences.entry(key.clone()).or_default();
            *occurrence += 1;
            let fingerprint = format!("{:016x}:{}", fnv1a(&key), occurrence);
            let mut result = json!({
                "ruleId": item.finding.code,
                "ruleIndex": rules.rules.iter().position(|rule| rule.code == item.finding.code),
                "level": sarif_level(item.finding.severity),
                "message": {"text": item.finding.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": item.line, "startColumn": item.column, "endLine": item.end_line, "endColumn": item.end_column},
                    }
                }],
                "partialFingerprints": {"primaryLocationLineHash": fingerprint},
            });
            if let Some(fix) = &item.finding.fix {
                let replacements: Vec<Value> = fix
                    .edits
                    .iter()
                    .zip(&item.edits)
                    .map(|(edit, &((line, column), (end_line, end_column)))| {
                        json!({
                            "deletedRegion": {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column},
                            "insertedContent": {"text": edit.replacement},
                        })
                    })
                    .collect();
                result["fixes"] = json!([{
                    "description": {"text": format!("{} ({})", fix.title, fix.applicability.as_str())},
                    "artifactChanges": [{"artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"}, "replacements": replacements}],
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "ssot-lsp",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/ssot-lsp/ssot-lsp",
                "rules": rule_entries,
            }},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"%SRCROOT%": {"uri": source_root_uri()}},
            "results": results,
        }]
    })
}

/// The current folder as a `file://` URI ending in `/`: the base that SARIF
/// result paths are relative to.
fn source_root_uri() -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut encoded = escape::uri_path(&cwd);
    if !encoded.starts_with('/') {
        encoded.insert(0, '/');
    }
    if !encoded.ends_with('/') {
        encoded.push('/');
    }
    format!("file://{encoded}")
}

fn first_paragraph(docs: &str) -> String {
    docs.lines()
        .skip_while(|line| line.starts_with('#') || line.trim().is_empty())
        .take_while(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A stable 64-bit FNV-1a hash, for fingerprints that must not change between runs.
fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn github_escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn github_escape_property(text: &str) -> String {
    github_escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn github_line(item: &Located) -> String {
    let level = match item.finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "notice",
    };
    format!(
        "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        github_escape_property(&item.file.display),
        item.line,
        item.column,
        item.end_line,
        item.end_column,
        github_escape_property(&format!("{} ({})", item.finding.code, item.finding.rule_name)),
        github_escape_data(&item.finding.message),
    )
}

fn statistics(report: &Report, as_json: bool) -> String {
    let mut by_rule: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    let mut by_name: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for file in &report.files {
        let mut rules_here = std::collections::BTreeSet::new();
        let mut names_here = std::collections::BTreeSet::new();
        for finding in &file.findings {
            let rule_key = (finding.code.clone(), finding.rule_name.clone());
            by_rule.entry(rule_key.clone()).or_default().0 += 1;
            by_name.entry(finding.deprecated.clone()).or_default().0 += 1;
            rules_here.insert(rule_key);
            names_here.insert(finding.deprecated.clone());
        }
        for key in rules_here {
            by_rule.entry(key).or_default().1 += 1;
        }
        for key in names_here {
            by_name.entry(key).or_default().1 += 1;
        }
    }
    let total: usize = report.files.iter().map(|file| file.findings.len()).sum();
    let files = report.files.iter().filter(|file| !file.findings.is_empty()).count();
    let fixable = report.files.iter().flat_map(|file| &file.findings).filter(|finding| finding.fix.is_some()).count();
    if as_json {
        let value = json!({
            "total": total,
            "files_with_findings": files,
            "files_checked": report.checked,
            "fixable": fixable,
            "by_rule": by_rule.iter().map(|((code, name), (count, files))| json!({"code": code, "rule": name, "count": count, "files": files})).collect::<Vec<_>>(),
            "by_name": by_name.iter().map(|(name, (count, files))| json!({"deprecated": name, "count": count, "files": files})).collect::<Vec<_>>(),
        });
        return format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default());
    }
    let mut text = String::new();
    text.push_str(&format!("{:>6}  {:>5}  {:<8} {}\n", "count", "files", "code", "rule"));
    for ((code, name), (count, files)) in &by_rule {
        text.push_str(&format!("{count:>6}  {files:>5}  {code:<8} {name}\n"));
    }
    text.push('\n');
    text.push_str(&format!("{:>6}  {:>5}  {}\n", "count", "files", "deprecated name"));
    let mut names: Vec<_> = by_name.into_iter().collect();
    names.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    for (name, (count, files)) in names {
        text.push_str(&format!("{count:>6}  {files:>5}  {name}\n"));
    }
    text.push_str(&format!(
        "\n{total} finding{} left in {files} of {} file{} checked ({fixable} fixable).\n",
        plural(total),
        report.checked,
        plural(report.checked)
    ));
    text
}

pub fn print_rules(args: &RulesArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let loaded = match load_rule_set(args.config.as_deref(), &cwd) {
        Ok(loaded) => loaded,
        Err(error) => {
            error_exit(&error.to_string());
            return ExitCode::from(2);
        }
    };
    let rules = &loaded.rules;
    if args.json {
        let value: Vec<Value> = rules
            .rules
            .iter()
            .map(|rule| {
                json!({
                    "code": rule.code, "name": rule.name, "kind": rule.kind.as_str(),
                    "severity": rule.severity.as_str(), "module": rule.module, "canonical": rule.canonical,
                    "callables": rule.callables, "url": rule.url,
                    "names": rule.names.iter().map(|(name, mapping)| json!({
                        "name": name,
                        "to": mapping.target.as_ref().map(|t| t.full()),
                        "fix": mapping.applicability.map_or("none", |a| a.as_str()),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        write_stdout(&format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default()));
        return ExitCode::SUCCESS;
    }
    let mut text = format!("Rules from {}:\n\n", loaded.source.describe());
    for rule in &rules.rules {
        let target = match rule.kind {
            crate::rules::RuleKind::Call => rule.callables.first().cloned().unwrap_or_default(),
            _ => rule.module.clone().unwrap_or_else(|| "__all__".to_string()),
        };
        text.push_str(&format!("{:<8} {:<8} {:<40} {}\n", rule.code, rule.severity.as_str(), rule.name, target));
    }
    write_stdout(&text);
    ExitCode::SUCCESS
}

fn error_exit(message: &str) {
    error(message);
}

pub fn print_explain(args: &ExplainArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let loaded = match load_rule_set(args.config.as_deref(), &cwd) {
        Ok(loaded) => loaded,
        Err(error) => {
            error_exit(&error.to_string());
            return ExitCode::from(2);
        }
    };
    let code = args.code.to_uppercase();
    let Some(rule) = loaded.rules.rule(&code) else {
        let known: Vec<&str> = loaded.rules.rules.iter().map(|rule| rule.code.as_str()).collect();
        error_exit(&format!("no rule `{}`; active rules: {}", args.code, known.join(", ")));
        return ExitCode::from(2);
    };
    let mut text = format!("# {} ({})\n\n", rule.code, rule.name);
    text.push_str(&format!("Severity: {}\n\n", rule.severity.as_str()));
    if !rule.allow_in.is_empty() {
        let allowed: Vec<String> = rule.allow_in.iter().map(|module| format!("`{module}`")).collect();
        text.push_str(&format!("Not reported in (`allow-in`): {}\n\n", allowed.join(", ")));
    }
    if rule.kind == RuleKind::AllExport {
        // A name counts as deprecated only where its own rule applies.
        let allowed: Vec<String> = loaded
            .rules
            .rules
            .iter()
            .filter(|other| matches!(other.kind, RuleKind::Module | RuleKind::Names) && !other.allow_in.is_empty())
            .map(|other| {
                let modules: Vec<String> = other.allow_in.iter().map(|module| format!("`{module}`")).collect();
                format!("{}: {}", other.code, modules.join(", "))
            })
            .collect();
        if !allowed.is_empty() {
            text.push_str(&format!(
                "Not reported where the rule deprecating the name allows its import (`allow-in`; {})\n\n",
                allowed.join("; ")
            ));
        }
    }
    if !rule.names.is_empty() {
        text.push_str("Name map:\n");
        for (name, mapping) in &rule.names {
            let target = mapping.target.as_ref().map_or("no counterpart".to_string(), |t| t.full());
            let fix = mapping.applicability.map_or("none", |a| a.as_str());
            text.push_str(&format!("  {name} -> {target} (fix: {fix})\n"));
        }
        text.push('\n');
    }
    text.push_str(&rule.docs);
    text.push('\n');
    if !rule.in_tests {
        text.push_str(&format!(
            "\nNot reported in test files (`tests/`, `test/`, `test_*.py`, `*_test.py`, `conftest.py`); \
             `in-tests = [\"{}\"]` in the config reports them there too.\n",
            rule.code
        ));
    }
    if matches!(rule.kind, RuleKind::Module | RuleKind::Names) {
        text.push('\n');
        text.push_str(crate::verify::FIX_CHECKS_DOC);
    }
    if let Some(url) = &rule.url {
        text.push_str(&format!("\nMore: {url}\n"));
    }
    write_stdout(&text);
    ExitCode::SUCCESS
}
