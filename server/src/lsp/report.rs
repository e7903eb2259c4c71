//! The custom request `ssot/migrationReport`: how many findings are left, by
//! rule, by deprecated name and by file, over open documents (their current
//! text) and closed files (the workspace scan). Documented in
//! `docs/lsp-extensions.md`.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::Uri;

use super::session::{FindingSummary, Session};

/// The method name.
pub const METHOD: &str = "ssot/migrationReport";

/// The request's parameters: none yet (send `{}`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MigrationReportParams {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationReport {
    /// Every finding, new or recorded in the baseline.
    pub total: usize,
    /// Of `total`, those the baseline records (shown as hints).
    pub baselined: usize,
    /// Of `total`, those the baseline does not record.
    pub new: usize,
    /// Rule code → findings.
    pub by_rule: BTreeMap<String, usize>,
    /// Deprecated thing, fully qualified → findings.
    pub by_name: BTreeMap<String, usize>,
    /// Files with findings, most findings first.
    pub by_file: Vec<FileCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCount {
    pub uri: Uri,
    pub count: usize,
}

pub async fn migration_report(session: Arc<Session>, _params: MigrationReportParams) -> Result<MigrationReport> {
    Ok(build(&session))
}

fn build(session: &Session) -> MigrationReport {
    let mut files: Vec<(Uri, Vec<FindingSummary>)> = Vec::new();
    let mut open = HashSet::new();
    for entry in session.documents.iter() {
        open.insert(entry.key().clone());
        let findings = entry.findings.iter().map(FindingSummary::of).collect();
        files.push((entry.key().clone(), findings));
    }
    for entry in session.closed_files.iter() {
        if !open.contains(entry.key()) {
            files.push((entry.key().clone(), entry.findings.clone()));
        }
    }
    summarize(files)
}

fn summarize(files: Vec<(Uri, Vec<FindingSummary>)>) -> MigrationReport {
    let mut report = MigrationReport {
        total: 0,
        baselined: 0,
        new: 0,
        by_rule: BTreeMap::new(),
        by_name: BTreeMap::new(),
        by_file: Vec::new(),
    };
    for (uri, findings) in files {
        if findings.is_empty() {
            continue;
        }
        for finding in &findings {
            *report.by_rule.entry(finding.code.clone()).or_default() += 1;
            *report.by_name.entry(finding.deprecated.clone()).or_default() += 1;
        }
        report.total += findings.len();
        let baselined = findings.iter().filter(|finding| finding.baselined).count();
        report.baselined += baselined;
        report.new += findings.len() - baselined;
        report.by_file.push(FileCount { uri, count: findings.len() });
    }
    report.by_file.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.uri.as_str().cmp(b.uri.as_str())));
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn summary(code: &str, deprecated: &str) -> FindingSummary {
        FindingSummary { code: code.into(), deprecated: deprecated.into(), baselined: false, patchers_seen: None }
    }

    #[test]
    fn counts_by_rule_name_and_file() {
        let a = Uri::from_str("file:///a.py").unwrap();
        let b = Uri::from_str("file:///b.py").unwrap();
        let c = Uri::from_str("file:///c.py").unwrap();
        let report = summarize(vec![
            (a.clone(), vec![summary("SSOT001", "m.f")]),
            (
                b.clone(),
                vec![summary("SSOT001", "m.f"), FindingSummary { baselined: true, ..summary("SSOT003", "m.g") }],
            ),
            (c, vec![]),
        ]);
        assert_eq!(report.total, 3);
        assert_eq!((report.baselined, report.new), (1, 2));
        assert_eq!(report.by_rule, BTreeMap::from([("SSOT001".into(), 2), ("SSOT003".into(), 1)]));
        assert_eq!(report.by_name, BTreeMap::from([("m.f".into(), 2), ("m.g".into(), 1)]));
        assert_eq!(report.by_file, vec![FileCount { uri: b, count: 2 }, FileCount { uri: a, count: 1 }]);
        let json = serde_json::to_value(&report).unwrap();
        assert!(json.get("byRule").is_some() && json.get("byName").is_some() && json.get("byFile").is_some());
    }
}
