//! Findings as LSP diagnostics, pushed (`textDocument/publishDiagnostics`) to
//! clients that do not pull and answered (`textDocument/diagnostic`,
//! `workspace/diagnostic`) to clients that do; never both to one client.
//!
//! Each diagnostic carries its fix in `data` (byte offsets plus the document
//! version they refer to), so code actions need no cache of findings.
//!
//! A push reads what it sends (a document's findings, a closed file's, or
//! whether the file is open) and sends it while it holds the session's
//! `publish_turn`: two pushes for one file from two tasks (an analysis and a
//! re-check after an index change, on the two worker threads) reach the
//! client in the order they read, so the last one the client gets is never
//! older than another it got.

use std::str::FromStr;
use std::sync::Arc;

use ropey::Rope;
use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    CodeDescription, Diagnostic, DiagnosticSeverity, DiagnosticTag, DocumentDiagnosticParams, DocumentDiagnosticReport,
    DocumentDiagnosticReportResult, FullDocumentDiagnosticReport, NumberOrString, RelatedFullDocumentDiagnosticReport,
    RelatedUnchangedDocumentDiagnosticReport, UnchangedDocumentDiagnosticReport, Uri, WorkspaceDiagnosticParams,
    WorkspaceDiagnosticReport, WorkspaceDiagnosticReportResult, WorkspaceDocumentDiagnosticReport,
    WorkspaceFullDocumentDiagnosticReport, WorkspaceUnchangedDocumentDiagnosticReport,
};

use super::analysed::settled_snapshot;
use super::documents::Document;
use super::position::{offsets_to_range, PositionEncoding};
use super::session::Session;
use crate::finding::{Applicability, Edit, Finding, Fix, Severity};

/// The `source` of every diagnostic the server sends.
pub const SOURCE: &str = "ssot";

/// What `Diagnostic.data` holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticData {
    /// The document version the byte offsets refer to (`None` for a file
    /// checked from disk).
    pub version: Option<i32>,
    pub code: String,
    /// Byte range of the finding.
    pub start: usize,
    pub end: usize,
    pub fix: Option<FixData>,
}

/// A fix as `data` carries it: the engine's own types, serialised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FixData {
    pub title: String,
    /// `"safe"` or `"unsafe"` on the wire.
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl FixData {
    fn from_fix(fix: &Fix) -> Self {
        FixData { title: fix.title.clone(), applicability: fix.applicability, edits: fix.edits.clone() }
    }

    pub fn is_safe(&self) -> bool {
        self.applicability == Applicability::Safe
    }
}

impl DiagnosticData {
    /// The data of a diagnostic the server made, if it is one.
    pub fn of(diagnostic: &Diagnostic) -> Option<Self> {
        if diagnostic.source.as_deref() != Some(SOURCE) {
            return None;
        }
        serde_json::from_value(diagnostic.data.clone()?).ok()
    }
}

fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

/// One finding as a diagnostic; `rope` holds the text the finding's offsets
/// point into.
pub fn to_diagnostic(finding: &Finding, rope: &Rope, encoding: PositionEncoding, version: Option<i32>) -> Diagnostic {
    let data = DiagnosticData {
        version,
        code: finding.code.clone(),
        start: finding.start,
        end: finding.end,
        fix: finding.fix.as_ref().map(FixData::from_fix),
    };
    Diagnostic {
        range: offsets_to_range(rope, finding.start, finding.end, encoding),
        // A finding recorded in the baseline stays visible, with its fix,
        // but quietly: new ones keep the rule's severity.
        severity: Some(if finding.baselined { DiagnosticSeverity::HINT } else { severity(finding.severity) }),
        code: Some(NumberOrString::String(finding.code.clone())),
        code_description: finding
            .url
            .as_deref()
            .and_then(|url| Uri::from_str(url).ok())
            .map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message: finding.message.clone(),
        related_information: None,
        tags: Some(vec![DiagnosticTag::DEPRECATED]),
        data: serde_json::to_value(data).ok(),
    }
}

pub fn document_diagnostics(document: &Document, encoding: PositionEncoding) -> Vec<Diagnostic> {
    document
        .findings
        .iter()
        .map(|finding| to_diagnostic(finding, &document.rope, encoding, Some(document.version)))
        .collect()
}

/// Pushes the diagnostics of an open document (push clients only). Reads the
/// document as it is now, so a late publish never shows older findings.
pub async fn publish_document(session: &Session, uri: &Uri) {
    if !session.pushes_diagnostics() {
        return;
    }
    let _turn = session.publish_turn.lock().await;
    // Findings of an older version would land at the wrong places; the job
    // analysing the current one publishes.
    let snapshot = session
        .documents
        .get(uri)
        .filter(|document| document.is_analysed())
        .map(|document| (document_diagnostics(&document, session.encoding()), document.version));
    let Some((diagnostics, version)) = snapshot else { return };
    send(session, uri, diagnostics, Some(version)).await;
}

/// Pushes the findings of a version the user has already typed past (push
/// clients only), tagged with that version: while changes stream in, the
/// pacing may start the next analysis only later, and the editor shows these
/// meanwhile instead of nothing newer. `epoch` is the analysis's: when a
/// newer analysis has started by the time it is this push's turn, nothing is
/// sent (that one publishes, and may already have).
pub async fn publish_stale(session: &Session, uri: &Uri, epoch: u64, version: i32, rope: &Rope, findings: &[Finding]) {
    if !session.pushes_diagnostics() {
        return;
    }
    let _turn = session.publish_turn.lock().await;
    if session.documents.get(uri).is_none_or(|document| document.epoch() != epoch) {
        return;
    }
    let encoding = session.encoding();
    let diagnostics = findings.iter().map(|finding| to_diagnostic(finding, rope, encoding, Some(version))).collect();
    send(session, uri, diagnostics, Some(version)).await;
}

/// Pushes the diagnostics of a closed file (push clients only; skipped when
/// the file is open, whose in-memory findings win).
pub async fn publish_closed(session: &Session, uri: &Uri) {
    if !session.pushes_diagnostics() {
        return;
    }
    let _turn = session.publish_turn.lock().await;
    if session.documents.contains_key(uri) {
        return;
    }
    let diagnostics = session.closed_files.get(uri).map(|file| file.diagnostics.clone()).unwrap_or_default();
    send(session, uri, diagnostics, None).await;
}

/// Clears a closed file's diagnostics in a push client (nothing when the
/// file is open: its document's findings stand).
pub async fn clear(session: &Session, uri: &Uri) {
    if !session.pushes_diagnostics() {
        return;
    }
    let _turn = session.publish_turn.lock().await;
    if session.documents.contains_key(uri) {
        return;
    }
    send(session, uri, Vec::new(), None).await;
}

/// Sends one `publishDiagnostics`; the caller holds the publish turn.
async fn send(session: &Session, uri: &Uri, diagnostics: Vec<Diagnostic>, version: Option<i32>) {
    let hold = &session.options.hooks.publish;
    if hold.is_closed() {
        let hold = hold.clone();
        let _ = tokio::task::spawn_blocking(move || hold.pass()).await;
    }
    session.client.publish_diagnostics(uri.clone(), diagnostics, version).await;
}

/// Answers `textDocument/diagnostic`: the open document's findings for the
/// version it had when the request came (waiting for its analysis, or
/// `ContentModified`; for a client that keeps answers, for the check after
/// the workspace scan: `settled_snapshot`), else what is known about the
/// file on disk, else an empty report.
pub async fn pull_document(
    session: Arc<Session>,
    params: DocumentDiagnosticParams,
) -> Result<DocumentDiagnosticReportResult> {
    let uri = &params.text_document.uri;
    let (items, result_id) = if let Some(snapshot) = settled_snapshot(&session, uri).await? {
        let items = snapshot
            .findings
            .iter()
            .map(|finding| to_diagnostic(finding, &snapshot.rope, session.encoding(), Some(snapshot.version)))
            .collect();
        (items, snapshot.result_id)
    } else if let Some(file) = session.closed_files.get(uri) {
        (file.diagnostics.clone(), file.result_id.clone())
    } else {
        (Vec::new(), "empty".to_string())
    };
    let report = if params.previous_result_id.as_deref() == Some(result_id.as_str()) {
        DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
            related_documents: None,
            unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport { result_id },
        })
    } else {
        DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport { result_id: Some(result_id), items },
        })
    };
    Ok(DocumentDiagnosticReportResult::Report(report))
}

/// Answers `workspace/diagnostic` with every closed file the server knows
/// about (open documents are pulled one by one).
pub fn pull_workspace(session: &Session, params: &WorkspaceDiagnosticParams) -> WorkspaceDiagnosticReportResult {
    let previous: std::collections::HashMap<&str, &str> =
        params.previous_result_ids.iter().map(|id| (id.uri.as_str(), id.value.as_str())).collect();
    let mut items: Vec<WorkspaceDocumentDiagnosticReport> = session
        .closed_files
        .iter()
        .filter(|entry| !session.documents.contains_key(entry.key()))
        .map(|entry| {
            let uri = entry.key().clone();
            let file = entry.value();
            if previous.get(uri.as_str()) == Some(&file.result_id.as_str()) {
                return WorkspaceDocumentDiagnosticReport::Unchanged(WorkspaceUnchangedDocumentDiagnosticReport {
                    uri,
                    version: None,
                    unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                        result_id: file.result_id.clone(),
                    },
                });
            }
            WorkspaceDocumentDiagnosticReport::Full(WorkspaceFullDocumentDiagnosticReport {
                uri,
                version: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: Some(file.result_id.clone()),
                    items: file.diagnostics.clone(),
                },
            })
        })
        .collect();
    // A file the client holds findings of that the server no longer checks
    // (deleted, ignored now) is reported empty, once: left out, its
    // findings would stay in the client.
    for (uri, result_id) in &previous {
        let Ok(uri) = Uri::from_str(uri) else { continue };
        if *result_id == GONE || session.closed_files.contains_key(&uri) || session.documents.contains_key(&uri) {
            continue;
        }
        items.push(WorkspaceDocumentDiagnosticReport::Full(WorkspaceFullDocumentDiagnosticReport {
            uri,
            version: None,
            full_document_diagnostic_report: FullDocumentDiagnosticReport {
                result_id: Some(GONE.to_string()),
                items: Vec::new(),
            },
        }));
    }
    items.sort_by(|a, b| report_uri(a).cmp(report_uri(b)));
    WorkspaceDiagnosticReportResult::Report(WorkspaceDiagnosticReport { items })
}

/// The result id of the empty report of a file the server no longer checks.
const GONE: &str = "gone";

/// Asks a pull client to pull again (`workspace/diagnostic/refresh`), when it
/// accepts that.
pub async fn refresh_pull_client(session: &Session) {
    if session.support().pull_diagnostics && session.support().diagnostic_refresh {
        let _ = session.client.workspace_diagnostic_refresh().await;
    }
}

fn report_uri(report: &WorkspaceDocumentDiagnosticReport) -> &str {
    match report {
        WorkspaceDocumentDiagnosticReport::Full(full) => full.uri.as_str(),
        WorkspaceDocumentDiagnosticReport::Unchanged(unchanged) => unchanged.uri.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Edit;
    use tower_lsp_server::ls_types::{Position, Range};

    fn finding() -> Finding {
        Finding {
            code: "SSOT001".into(),
            rule_name: "websocket-manager-factory".into(),
            severity: Severity::Warning,
            message: "old".into(),
            start: 7,
            end: 8,
            deprecated: "a.b".into(),
            canonical: Some("a.c".into()),
            url: Some("https://example.com/SSOT001".into()),
            fix: Some(Fix {
                title: "Use c".into(),
                applicability: Applicability::Safe,
                edits: vec![Edit::replace(7, 8, "c")],
                note: None,
            }),
            baselined: false,
            patchers_seen: None,
        }
    }

    #[test]
    fn a_diagnostic_carries_code_link_tag_and_fix() {
        let rope = Rope::from_str("x = \"é\"b\n");
        let diagnostic = to_diagnostic(&finding(), &rope, PositionEncoding::Utf16, Some(3));
        assert_eq!(diagnostic.range, Range::new(Position::new(0, 6), Position::new(0, 7)));
        assert_eq!(diagnostic.code, Some(NumberOrString::String("SSOT001".into())));
        assert_eq!(diagnostic.code_description.unwrap().href.as_str(), "https://example.com/SSOT001");
        assert_eq!(diagnostic.tags, Some(vec![DiagnosticTag::DEPRECATED]));
        assert_eq!(diagnostic.source.as_deref(), Some("ssot"));
        let data: DiagnosticData = serde_json::from_value(diagnostic.data.unwrap()).unwrap();
        assert_eq!(data.version, Some(3));
        assert!(data.fix.as_ref().unwrap().is_safe());
        assert_eq!(data.fix.unwrap().edits, vec![Edit::replace(7, 8, "c")]);
    }

    #[test]
    fn data_speaks_applicability_as_a_word_and_refuses_others() {
        let rope = Rope::from_str("x = \"é\"b\n");
        let mut diagnostic = to_diagnostic(&finding(), &rope, PositionEncoding::Utf16, Some(3));
        let data = diagnostic.data.as_mut().unwrap();
        assert_eq!(data["fix"]["applicability"], "safe");
        data["fix"]["applicability"] = "maybe".into();
        assert_eq!(DiagnosticData::of(&diagnostic), None, "an applicability the server never sends");
    }

    #[test]
    fn a_baselined_finding_is_a_hint_with_its_fix() {
        let rope = Rope::from_str("x = \"é\"b\n");
        let baselined = Finding { baselined: true, ..finding() };
        let diagnostic = to_diagnostic(&baselined, &rope, PositionEncoding::Utf16, Some(3));
        assert_eq!(diagnostic.severity, Some(DiagnosticSeverity::HINT));
        assert!(DiagnosticData::of(&diagnostic).unwrap().fix.is_some());
        let fresh = to_diagnostic(&finding(), &rope, PositionEncoding::Utf16, Some(3));
        assert_eq!(fresh.severity, Some(DiagnosticSeverity::WARNING));
    }
}
