//! `textDocument/codeAction`: one quick fix per finding with a fix (read from
//! the diagnostic's `data`, no cache), an "ignore for this line" action per
//! finding, and `source.fixAll.ssot` (the CLI's fix loop, as one minimal edit)
//! for fix-on-save.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use serde_json::{json, Value};

use ropey::Rope;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse, Diagnostic, DocumentChanges,
    OneOf, OptionalVersionedTextDocumentIdentifier, TextDocumentEdit, TextEdit, Uri, WorkspaceEdit,
};
use tree_sitter::{Node, Tree};

use super::analysed::{analysed_snapshot, analysed_snapshot_with_tree};
use super::diagnostics::{to_diagnostic, DiagnosticData};
use super::documents::Snapshot;
use super::guard;
use super::position::{offsets_to_range, range_to_offsets, PositionEncoding};
use super::session::Session;
use crate::finding::{Applicability, Edit};
use crate::fix::{fix_text, minimal_edit, FixOptions};
use crate::line_index::line_bounds;
use crate::rules::{FileScope, RuleSet};
use crate::suppression::{parse_ignore_comment, statement_of};
use crate::syntax::node_text;

/// The kind of the fix-all source action.
pub const FIX_ALL_KIND: &str = "source.fixAll.ssot";

/// Whether an action of `kind` answers a request for `only` (by prefix:
/// `source` and `source.fixAll` include `source.fixAll.ssot`).
pub fn kind_requested(only: Option<&[CodeActionKind]>, kind: &str) -> bool {
    let Some(only) = only else { return true };
    only.iter().any(|requested| {
        let requested = requested.as_str();
        kind == requested || kind.strip_prefix(requested).is_some_and(|rest| rest.starts_with('.'))
    })
}

/// A byte edit as an LSP text edit.
pub fn text_edit(rope: &Rope, edit: &Edit, encoding: PositionEncoding) -> TextEdit {
    TextEdit { range: offsets_to_range(rope, edit.start, edit.end, encoding), new_text: edit.replacement.clone() }
}

/// A workspace edit of one or more documents: versioned `documentChanges`
/// when the client takes them, else plain `changes`.
pub fn workspace_edit(session: &Session, files: Vec<(Uri, Option<i32>, Vec<TextEdit>)>) -> WorkspaceEdit {
    if session.support().document_changes {
        let edits = files
            .into_iter()
            .map(|(uri, version, edits)| TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            })
            .collect();
        return WorkspaceEdit { document_changes: Some(DocumentChanges::Edits(edits)), ..WorkspaceEdit::default() };
    }
    let changes: HashMap<Uri, Vec<TextEdit>> = files.into_iter().map(|(uri, _, edits)| (uri, edits)).collect();
    WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() }
}

/// Which fixes a fix-all applies: the safe ones, and the unsafe ones too
/// when the client's settings or the config say so.
pub fn fix_all_options(rules: &RuleSet, unsafe_fixes: bool) -> FixOptions {
    FixOptions { unsafe_fixes: unsafe_fixes || rules.settings.unsafe_fixes, only_codes: Vec::new() }
}

/// The fix-all of a text as one minimal edit, if anything is fixable.
pub fn fix_all_edit(rules: &RuleSet, scope: &FileScope, text: &str, unsafe_fixes: bool) -> Option<(Edit, usize)> {
    let outcome = fix_text(rules, scope, text, &fix_all_options(rules, unsafe_fixes));
    let edit = minimal_edit(text, &outcome.text)?;
    Some((edit, outcome.applied_count()))
}

pub async fn code_action(session: Arc<Session>, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    let uri = params.text_document.uri.clone();
    // The ignore quick fix of a diagnostic reads the tree.
    let snapshot = if params.context.diagnostics.is_empty() {
        analysed_snapshot(&session, &uri).await?
    } else {
        analysed_snapshot_with_tree(&session, &uri).await?
    };
    let Some(snapshot) = snapshot else { return Ok(None) };
    let mut actions = per_finding_actions(&session, &params, &snapshot);
    if fix_all_wanted(&session, &params, &snapshot) {
        let mut action = CodeAction {
            title: FIX_ALL_TITLE.to_string(),
            kind: Some(CodeActionKind::new(FIX_ALL_KIND)),
            data: Some(json!({ "uri": uri.as_str(), "version": snapshot.version })),
            ..CodeAction::default()
        };
        // The fix loop runs for every request otherwise (each keystroke in
        // some editors): clients that resolve get it only when they apply it.
        if !session.support().resolve_code_action_edit {
            match fix_all_workspace_edit(&session, &uri, &snapshot).await? {
                Some(edit) => action.edit = Some(edit),
                None => return Ok(Some(actions)),
            }
            action.data = None;
        }
        actions.push(CodeActionOrCommand::CodeAction(action));
    }
    Ok(Some(actions))
}

const FIX_ALL_TITLE: &str = "Fix all SSOT migration problems";

/// Fix-all of a snapshot as a workspace edit (the fix loop on the blocking
/// pool); `None` when nothing changes.
async fn fix_all_workspace_edit(session: &Session, uri: &Uri, snapshot: &Snapshot) -> Result<Option<WorkspaceEdit>> {
    let rules = session.rules();
    let unsafe_fixes = session.settings().unsafe_fixes;
    let (text, scope) = (Arc::clone(&snapshot.text), snapshot.scope.clone());
    let fixed = tokio::task::spawn_blocking(move || fix_all_edit(&rules.rules, &scope, &text, unsafe_fixes))
        .await
        .map_err(|error| guard::join_error("textDocument/codeAction", error))?;
    Ok(fixed.map(|(edit, _)| {
        let edits = vec![text_edit(&snapshot.rope, &edit, session.encoding())];
        workspace_edit(session, vec![(uri.clone(), Some(snapshot.version), edits)])
    }))
}

/// `codeAction/resolve`: fills in the edit of a fix-all action, for the
/// document version it was offered for (else `ContentModified`). Other
/// actions come back as they are.
pub async fn resolve(session: Arc<Session>, mut action: CodeAction) -> Result<CodeAction> {
    let is_fix_all = action.kind.as_ref().is_some_and(|kind| kind.as_str() == FIX_ALL_KIND);
    if !is_fix_all || action.edit.is_some() {
        return Ok(action);
    }
    let data = action.data.clone().unwrap_or_default();
    let uri = data.get("uri").and_then(Value::as_str).and_then(|uri| Uri::from_str(uri).ok());
    let version = data.get("version").and_then(Value::as_i64);
    let (Some(uri), Some(version)) = (uri, version) else {
        return Err(Error::invalid_params("a fix-all action without its document and version"));
    };
    let Some(snapshot) = analysed_snapshot(&session, &uri).await? else {
        return Err(Error::invalid_params(format!("{} is not open", uri.as_str())));
    };
    if i64::from(snapshot.version) != version {
        let mut error = Error::content_modified();
        error.message = format!("{} changed after version {version}", uri.as_str()).into();
        return Err(error);
    }
    let edit = fix_all_workspace_edit(&session, &uri, &snapshot).await?;
    action.edit = Some(edit.unwrap_or_default());
    Ok(action)
}

/// The quick fixes and ignore actions of the findings the request is about.
fn per_finding_actions(session: &Session, params: &CodeActionParams, snapshot: &Snapshot) -> Vec<CodeActionOrCommand> {
    let uri = &params.text_document.uri;
    let mut actions = Vec::new();
    if !kind_requested(params.context.only.as_deref(), CodeActionKind::QUICKFIX.as_str()) {
        return actions;
    }
    let diagnostics = relevant_diagnostics(snapshot, params, session.encoding());
    for (diagnostic, data) in &diagnostics {
        actions.extend(quick_fix(session, uri, snapshot, diagnostic, data));
    }
    for (diagnostic, data) in &diagnostics {
        actions.extend(ignore_action(session, uri, snapshot, diagnostic, data));
    }
    actions
}

/// Whether fix-all was requested and has something to fix.
fn fix_all_wanted(session: &Session, params: &CodeActionParams, snapshot: &Snapshot) -> bool {
    let unsafe_fixes = session.settings().unsafe_fixes;
    let fixable = snapshot.findings.iter().any(|finding| {
        finding.fix.as_ref().is_some_and(|fix| fix.applicability == Applicability::Safe || unsafe_fixes)
    });
    fixable && kind_requested(params.context.only.as_deref(), FIX_ALL_KIND)
}

/// The client's diagnostics of ours that match the snapshot's version; when
/// it sent none, the snapshot's own findings in the requested range.
fn relevant_diagnostics(
    snapshot: &Snapshot,
    params: &CodeActionParams,
    encoding: PositionEncoding,
) -> Vec<(Diagnostic, DiagnosticData)> {
    let ours: Vec<(Diagnostic, DiagnosticData)> = params
        .context
        .diagnostics
        .iter()
        .filter_map(|diagnostic| DiagnosticData::of(diagnostic).map(|data| (diagnostic.clone(), data)))
        .collect();
    if !ours.is_empty() || !params.context.diagnostics.is_empty() {
        return ours.into_iter().filter(|(_, data)| data.version == Some(snapshot.version)).collect();
    }
    let (start, end) = range_to_offsets(&snapshot.rope, params.range, encoding);
    snapshot
        .findings
        .iter()
        .filter(|finding| finding.start <= end && start <= finding.end)
        .filter_map(|finding| {
            let diagnostic = to_diagnostic(finding, &snapshot.rope, encoding, Some(snapshot.version));
            DiagnosticData::of(&diagnostic).map(|data| (diagnostic, data))
        })
        .collect()
}

fn quick_fix(
    session: &Session,
    uri: &Uri,
    snapshot: &Snapshot,
    diagnostic: &Diagnostic,
    data: &DiagnosticData,
) -> Option<CodeActionOrCommand> {
    let fix = data.fix.as_ref()?;
    let safe = fix.is_safe();
    let title = if safe { fix.title.clone() } else { format!("{} (unsafe)", fix.title) };
    let edits = fix.edits.iter().map(|edit| text_edit(&snapshot.rope, edit, session.encoding())).collect();
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(workspace_edit(session, vec![(uri.clone(), Some(snapshot.version), edits)])),
        is_preferred: Some(safe),
        ..CodeAction::default()
    }))
}

fn ignore_action(
    session: &Session,
    uri: &Uri,
    snapshot: &Snapshot,
    diagnostic: &Diagnostic,
    data: &DiagnosticData,
) -> Option<CodeActionOrCommand> {
    let edit = ignore_edit(&snapshot.text, snapshot.tree.as_ref()?, data.start, data.end, &data.code)?;
    let edits = vec![text_edit(&snapshot.rope, &edit, session.encoding())];
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title: format!("Ignore {} for this line", data.code),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(workspace_edit(session, vec![(uri.clone(), Some(snapshot.version), edits)])),
        is_preferred: Some(false),
        ..CodeAction::default()
    }))
}

/// The edit that silences `code` for the finding at `start..end`: adds the
/// code to an ignore comment on the statement's first line, or appends
/// `  # ssot: ignore[CODE]` to that line. `None` where a comment cannot go
/// (the line ends in a backslash continuation or inside a string).
pub fn ignore_edit(text: &str, tree: &Tree, start: usize, end: usize, code: &str) -> Option<Edit> {
    let root = tree.root_node();
    let node = root.descendant_for_byte_range(start, end)?;
    let statement_start = statement_of(node).start_byte();
    let (line_start, line_end) = line_bounds(text, statement_start);
    let content_end = line_start + text[line_start..line_end].trim_end().len();
    if text[line_start..content_end].ends_with('\\') || content_end == line_start {
        return None;
    }
    let last = root.descendant_for_byte_range(content_end - 1, content_end)?;
    if let Some(comment) = ancestor_or_self(last, "comment") {
        return match parse_ignore_comment(node_text(comment, text)) {
            Some(Some(codes)) if codes.iter().any(|existing| existing == code) => None,
            Some(Some(codes)) => {
                let comment_text = node_text(comment, text);
                let open = comment_text.find("ignore[")? + "ignore[".len();
                let close = open + comment_text[open..].find(']')?;
                let separator = if codes.is_empty() { "" } else { ", " };
                Some(Edit::insert(comment.start_byte() + close, format!("{separator}{code}")))
            }
            Some(None) => None,
            None => Some(Edit::insert(content_end, format!("  # ssot: ignore[{code}]"))),
        };
    }
    let in_string = ["string", "concatenated_string"]
        .iter()
        .any(|kind| ancestor_or_self(last, kind).is_some_and(|string| string.end_byte() > content_end));
    if in_string {
        return None;
    }
    Some(Edit::insert(content_end, format!("  # ssot: ignore[{code}]")))
}

fn ancestor_or_self<'tree>(node: Node<'tree>, kind: &str) -> Option<Node<'tree>> {
    let mut current = Some(node);
    while let Some(candidate) = current {
        if candidate.kind() == kind {
            return Some(candidate);
        }
        current = candidate.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::check_text;
    use crate::finding::apply_edits;
    use crate::syntax::parse_text;

    fn ignore(text: &str, code: &str) -> Option<String> {
        let rules = RuleSet::builtin();
        let findings = check_text(&rules, &FileScope::default(), text);
        let finding = findings.iter().find(|finding| finding.code == code).expect("a finding");
        let edit = ignore_edit(text, &parse_text(text), finding.start, finding.end, code)?;
        let fixed = apply_edits(text, &[edit]).unwrap();
        assert!(
            check_text(&rules, &FileScope::default(), &fixed).iter().all(|finding| finding.code != code),
            "still reported after ignoring:\n{fixed}"
        );
        Some(fixed)
    }

    const FACTORY: &str = "netra_backend.app.websocket_core.websocket_manager_factory";

    #[test]
    fn ignoring_appends_a_comment_to_the_statement_line() {
        let text = format!("from {FACTORY} import (\n    create_websocket_manager,\n)\r\nx = 1\n");
        let fixed = ignore(&text, "SSOT001").unwrap();
        assert_eq!(
            fixed,
            format!("from {FACTORY} import (  # ssot: ignore[SSOT001]\n    create_websocket_manager,\n)\r\nx = 1\n")
        );
    }

    #[test]
    fn ignoring_extends_an_existing_ignore_comment() {
        let text = format!("from {FACTORY} import WebSocketManagerFactory  # ssot: ignore[SSOT999]\n");
        let fixed = ignore(&text, "SSOT001").unwrap();
        assert!(fixed.ends_with("# ssot: ignore[SSOT999, SSOT001]\n"), "{fixed}");
    }

    #[test]
    fn ignoring_after_another_comment_keeps_it() {
        let text = format!("import {FACTORY}  # noqa\n");
        let fixed = ignore(&text, "SSOT001").unwrap();
        assert_eq!(fixed, format!("import {FACTORY}  # noqa  # ssot: ignore[SSOT001]\n"));
    }

    #[test]
    fn no_ignore_after_a_backslash_continuation() {
        let text = format!("from {FACTORY} \\\n    import create_websocket_manager\n");
        assert_eq!(ignore(&text, "SSOT001"), None);
    }

    #[test]
    fn requested_kinds_match_by_prefix() {
        let kinds = |names: &[&'static str]| names.iter().map(|name| CodeActionKind::new(name)).collect::<Vec<_>>();
        assert!(kind_requested(None, FIX_ALL_KIND));
        assert!(kind_requested(Some(&kinds(&["source"])), FIX_ALL_KIND));
        assert!(kind_requested(Some(&kinds(&["source.fixAll"])), FIX_ALL_KIND));
        assert!(kind_requested(Some(&kinds(&["source.fixAll.ssot"])), FIX_ALL_KIND));
        assert!(!kind_requested(Some(&kinds(&["source.fix"])), FIX_ALL_KIND));
        assert!(!kind_requested(Some(&kinds(&["quickfix"])), FIX_ALL_KIND));
        assert!(!kind_requested(Some(&kinds(&["source.organizeImports"])), FIX_ALL_KIND));
        assert!(kind_requested(Some(&kinds(&["quickfix"])), "quickfix"));
    }

    #[test]
    fn fix_all_is_one_minimal_edit() {
        let rules = RuleSet::builtin();
        let text = format!("from {FACTORY} import create_websocket_manager\n\nasync def handler(ctx):\n    return await create_websocket_manager(ctx)\n");
        let (edit, applied) = fix_all_edit(&rules, &FileScope::default(), &text, false).unwrap();
        assert_eq!(applied, 1);
        let fixed = apply_edits(&text, &[edit]).unwrap();
        assert_eq!(fixed, "from netra_backend.app.websocket_core.websocket_manager import get_websocket_manager\n\nasync def handler(ctx):\n    return await get_websocket_manager(ctx)\n");
    }
}
