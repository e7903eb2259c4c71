//! The baseline ratchet: a record of the findings a code base had when it
//! adopted the rules, so that `check` fails only on new ones and the server
//! shows the recorded ones quietly.
//!
//! A baseline counts findings per file, rule code and deprecated name, never
//! by line: edits elsewhere in a file do not turn a recorded finding into a
//! new one. File keys are paths relative to the baseline's folder with `/`
//! separators. When a file has more findings of one (code, name) than its
//! entry allows, the extra ones (the last in the file) are new.
//!
//! This module parses and prints the JSON form and marks findings; reading
//! and writing the file is the caller's business.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::rules::{FileScope, RuleSet};

/// The version written to and accepted from baseline files.
pub const FORMAT_VERSION: u32 = 1;

/// Counts of one file: rule code → deprecated name → findings.
pub type FileCounts = BTreeMap<String, BTreeMap<String, usize>>;

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct BaselineError {
    pub message: String,
}

/// The findings recorded for each file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// The absolute folder that file keys are relative to (the baseline
    /// file's own folder).
    pub folder: PathBuf,
    /// File key → counts.
    pub files: BTreeMap<String, FileCounts>,
}

/// The JSON form of a baseline file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaseline {
    #[serde(rename = "ssot-lsp-baseline")]
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    files: BTreeMap<String, FileCounts>,
}

/// What comparing one file's findings with its entry found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MarkOutcome {
    /// Findings the entry covers (now marked `baselined`).
    pub known: usize,
    /// Findings beyond the entry.
    pub new: usize,
    /// How many fewer findings the file has than its entry records.
    pub fixed: usize,
}

impl Baseline {
    /// An empty baseline for a file in `folder`.
    pub fn empty(folder: &Path) -> Self {
        Baseline { folder: absolute(folder), files: BTreeMap::new() }
    }

    /// Parses a baseline file's text; `folder` is the folder it sits in.
    pub fn parse(text: &str, folder: &Path) -> Result<Self, BaselineError> {
        let raw: RawBaseline = serde_json::from_str(text)
            .map_err(|error| BaselineError { message: format!("not a baseline file: {error}") })?;
        if raw.version != FORMAT_VERSION {
            return Err(BaselineError {
                message: format!(
                    "baseline format {} is not supported (this ssot-lsp reads format {FORMAT_VERSION})",
                    raw.version
                ),
            });
        }
        let mut files = raw.files;
        // Entries of zero say nothing; dropping them keeps comparisons simple.
        for counts in files.values_mut() {
            for names in counts.values_mut() {
                names.retain(|_, count| *count > 0);
            }
            counts.retain(|_, names| !names.is_empty());
        }
        files.retain(|_, counts| !counts.is_empty());
        Ok(Baseline { folder: absolute(folder), files })
    }

    /// The JSON text of the file, sorted, one entry per line.
    pub fn to_json(&self) -> String {
        let raw = RawBaseline {
            version: FORMAT_VERSION,
            comment: Some(
                "Findings recorded by `ssot-lsp check --write-baseline`: `check --baseline` reports only others."
                    .to_string(),
            ),
            files: self.files.clone(),
        };
        let mut text = serde_json::to_string_pretty(&raw).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Total findings recorded.
    pub fn total(&self) -> usize {
        self.files.values().map(total_of).sum()
    }

    /// The key of a file: its path relative to the baseline's folder with
    /// `/` separators (`../` where it lies outside that folder).
    pub fn key_for(&self, file: &Path) -> String {
        relative_key(&self.folder, &absolute(file))
    }

    /// Marks the findings of the file `key` that its entry covers: per rule
    /// code and deprecated name, the first ones in file order (findings come
    /// sorted by offset). `ran(code)` says whether a rule was active: the
    /// entries of rules that were not (`--select`, `ignore`) count as
    /// neither fixed nor present.
    pub fn mark(&self, key: &str, findings: &mut [Finding], ran: &dyn Fn(&str) -> bool) -> MarkOutcome {
        let empty = FileCounts::new();
        let recorded = self.files.get(key).unwrap_or(&empty);
        let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        let mut outcome = MarkOutcome::default();
        for finding in findings.iter_mut() {
            let allowed = recorded.get(&finding.code).and_then(|names| names.get(&finding.deprecated)).copied();
            let count = seen.entry((finding.code.as_str(), finding.deprecated.as_str())).or_default();
            *count += 1;
            finding.baselined = allowed.is_some_and(|allowed| *count <= allowed);
            if finding.baselined {
                outcome.known += 1;
            } else {
                outcome.new += 1;
            }
        }
        for (code, names) in recorded.iter().filter(|(code, _)| ran(code)) {
            for (name, allowed) in names {
                let now = seen.get(&(code.as_str(), name.as_str())).copied().unwrap_or(0);
                outcome.fixed += allowed.saturating_sub(now);
            }
        }
        outcome
    }

    /// Records a file's findings. Without `grow`, an existing entry never
    /// grows (each count becomes the smaller of the old and the new) and a
    /// file without an entry gets none; with `grow`, the entry becomes the
    /// current counts. Entries of rules that did not run (`ran`) stay as
    /// they were. Returns how many findings were left out.
    pub fn record(
        &mut self,
        key: &str,
        findings: &[Finding],
        previous: Option<&Baseline>,
        grow: bool,
        ran: &dyn Fn(&str) -> bool,
    ) -> usize {
        let current = counts_of(findings);
        let old = previous.and_then(|previous| previous.files.get(key)).cloned().unwrap_or_default();
        let (mut entry, left_out) = match previous {
            Some(_) if !grow => {
                let kept = intersect(&old, &current);
                let left_out = total_of(&current) - total_of(&kept);
                (kept, left_out)
            }
            _ => (current, 0),
        };
        for (code, names) in old.into_iter().filter(|(code, _)| !ran(code)) {
            entry.insert(code, names);
        }
        if entry.is_empty() {
            self.files.remove(key);
        } else {
            self.files.insert(key.to_string(), entry);
        }
        left_out
    }
}

/// Marks the findings of a file checked under `rules` against the baseline
/// the config names (`baseline = "FILE"`); does nothing without one. For the
/// server, whose files are known by their scope.
pub fn mark_in_scope(rules: &RuleSet, scope: &FileScope, findings: &mut [Finding]) {
    let Some(baseline) = &rules.settings.baseline else { return };
    let (Some(root), Some(relative)) = (&rules.settings.root, &scope.relative_path) else { return };
    let key = baseline.key_for(&absolute(root).join(relative));
    baseline.mark(&key, findings, &|code| rules.rule(code).is_some());
}

/// A file's findings counted by code and deprecated name.
pub fn counts_of(findings: &[Finding]) -> FileCounts {
    let mut counts = FileCounts::new();
    for finding in findings {
        *counts.entry(finding.code.clone()).or_default().entry(finding.deprecated.clone()).or_default() += 1;
    }
    counts
}

/// `file` relative to `folder` (both absolute and normal), `/`-separated;
/// the absolute path when they share no root (another Windows drive).
fn relative_key(folder: &Path, file: &Path) -> String {
    let folder_parts: Vec<Component> = folder.components().collect();
    let file_parts: Vec<Component> = file.components().collect();
    let common = folder_parts.iter().zip(&file_parts).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return file.to_string_lossy().replace('\\', "/");
    }
    let ups = folder_parts.len() - common;
    let mut parts: Vec<String> = vec!["..".to_string(); ups];
    parts.extend(file_parts[common..].iter().map(|part| part.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

fn total_of(counts: &FileCounts) -> usize {
    counts.values().flat_map(BTreeMap::values).sum()
}

/// The smaller count of each (code, name) present in both.
fn intersect(old: &FileCounts, current: &FileCounts) -> FileCounts {
    let mut kept = FileCounts::new();
    for (code, names) in current {
        for (name, now) in names {
            let allowed = old.get(code).and_then(|names| names.get(name)).copied().unwrap_or(0);
            if allowed.min(*now) > 0 {
                kept.entry(code.clone()).or_default().insert(name.clone(), allowed.min(*now));
            }
        }
    }
    kept
}

/// `path` made absolute against the current folder, with `.` and `..`
/// resolved lexically (without touching the disk).
fn absolute(path: &Path) -> PathBuf {
    crate::workspace::lexically_normal(&std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;

    fn finding(code: &str, deprecated: &str, start: usize) -> Finding {
        Finding {
            code: code.into(),
            rule_name: "r".into(),
            severity: Severity::Warning,
            message: String::new(),
            start,
            end: start + 1,
            deprecated: deprecated.into(),
            canonical: None,
            url: None,
            fix: None,
            baselined: false,
            patchers_seen: None,
        }
    }

    #[test]
    fn marks_the_first_findings_of_each_key_and_counts_fixed_ones() {
        let folder = Path::new("/project");
        let text = r#"{"ssot-lsp-baseline": 1, "files": {"app/a.py": {"SSOT001": {"m.f": 2, "m.g": 1}}}}"#;
        let baseline = Baseline::parse(text, folder).unwrap();
        assert_eq!(baseline.key_for(Path::new("/project/app/./a.py")), "app/a.py");
        assert_eq!(Baseline::empty(Path::new("/project/ci")).key_for(Path::new("/project/app/a.py")), "../app/a.py");
        let mut findings =
            vec![finding("SSOT001", "m.f", 1), finding("SSOT001", "m.f", 5), finding("SSOT001", "m.f", 9)];
        let outcome = baseline.mark("app/a.py", &mut findings, &|_| true);
        assert_eq!(outcome, MarkOutcome { known: 2, new: 1, fixed: 1 });
        assert_eq!(findings.iter().map(|f| f.baselined).collect::<Vec<_>>(), [true, true, false]);
        let mut elsewhere = vec![finding("SSOT001", "m.f", 1)];
        assert_eq!(baseline.mark("app/b.py", &mut elsewhere, &|_| true).new, 1);
        let only_other_rules = baseline.mark("app/a.py", &mut [], &|code| code != "SSOT001");
        assert_eq!(only_other_rules.fixed, 0, "entries of rules that did not run are not fixed");
    }

    #[test]
    fn recording_never_grows_an_entry_without_grow() {
        let folder = Path::new("/project");
        let old =
            Baseline::parse(r#"{"ssot-lsp-baseline": 1, "files": {"a.py": {"X1": {"m.f": 1}}}}"#, folder).unwrap();
        let findings = [finding("X1", "m.f", 1), finding("X1", "m.f", 2), finding("X2", "m.h", 3)];
        let mut next = Baseline::empty(folder);
        assert_eq!(next.record("a.py", &findings, Some(&old), false, &|_| true), 2);
        assert_eq!(
            next.record("b.py", &findings, Some(&old), false, &|_| true),
            3,
            "a file without an entry gets none"
        );
        assert_eq!(next.files.len(), 1);
        assert_eq!(next.total(), 1);
        assert_eq!(next.record("a.py", &findings, Some(&old), true, &|_| true), 0);
        assert_eq!(next.total(), 3);
        let reparsed = Baseline::parse(&next.to_json(), folder).unwrap();
        assert_eq!(reparsed, next);
        let mut narrowed = Baseline::empty(folder);
        narrowed.record("a.py", &[], Some(&old), false, &|code| code != "X1");
        assert_eq!(narrowed.files.get("a.py"), old.files.get("a.py"), "a rule that did not run keeps its entry");
    }

    #[test]
    fn rejects_other_formats_with_a_reason() {
        let error = Baseline::parse(r#"{"ssot-lsp-baseline": 7, "files": {}}"#, Path::new("/")).unwrap_err();
        assert!(error.message.contains("format 7"), "{error}");
        assert!(Baseline::parse("[]", Path::new("/")).is_err());
    }
}
