//! `workspace/executeCommand`: `ssot.fixAll` fixes one open document,
//! `ssot.fixWorkspace` fixes every Python file of the workspace folders (open
//! documents from memory, closed files from disk). Both send the result
//! through `workspace/applyEdit`; the server never writes files itself.

use std::str::FromStr;
use std::sync::Arc;

use rayon::prelude::*;
use ropey::Rope;
use serde_json::{json, Value};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{ExecuteCommandParams, LSPAny, TextEdit, Uri};

use super::code_actions::{fix_all_edit, text_edit, workspace_edit};
use super::guard;
use super::position::PositionEncoding;
use super::session::{path_to_uri, Session};
use crate::rules::{FileScope, RuleSet};
use crate::workspace;

pub const FIX_ALL: &str = "ssot.fixAll";
pub const FIX_WORKSPACE: &str = "ssot.fixWorkspace";

/// The commands the server advertises.
pub fn all() -> Vec<String> {
    vec![FIX_ALL.to_string(), FIX_WORKSPACE.to_string()]
}

pub async fn execute_command(session: Arc<Session>, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
    match params.command.as_str() {
        FIX_ALL => fix_document(session, &params.arguments).await.map(Some),
        FIX_WORKSPACE => fix_workspace(session).await.map(Some),
        other => Err(Error::invalid_params(format!("unknown command `{other}`"))),
    }
}

/// The document URI of `ssot.fixAll`'s first argument: a URI string,
/// `{"uri": …}` or `{"textDocument": {"uri": …}}`.
fn uri_argument(arguments: &[Value]) -> Option<Uri> {
    let first = arguments.first()?;
    let text = first
        .as_str()
        .or_else(|| first.get("uri").and_then(Value::as_str))
        .or_else(|| first.get("textDocument").and_then(|document| document.get("uri")).and_then(Value::as_str))?;
    Uri::from_str(text).ok()
}

/// One file's fix: its URI, the version it applies to, the edits, the count.
type FileFix = (Uri, Option<i32>, Vec<TextEdit>, usize);

async fn fix_document(session: Arc<Session>, arguments: &[Value]) -> Result<Value> {
    let uri = uri_argument(arguments).ok_or_else(|| Error::invalid_params("ssot.fixAll takes a document URI"))?;
    let snapshot =
        session.documents.get(&uri).map(|document| (document.version, document.text.clone(), document.scope.clone()));
    let Some((version, text, scope)) = snapshot else {
        return Err(Error::invalid_params(format!("{} is not open", uri.as_str())));
    };
    let rules = session.rules();
    let (unsafe_fixes, encoding) = (session.settings().unsafe_fixes, session.encoding());
    let fixed = tokio::task::spawn_blocking(move || fix_file(&rules.rules, &scope, &text, unsafe_fixes, encoding))
        .await
        .map_err(|error| guard::join_error(FIX_ALL, error))?;
    let fixes: Vec<FileFix> =
        fixed.into_iter().map(|(edits, count)| (uri.clone(), Some(version), edits, count)).collect();
    apply(&session, fixes).await
}

/// Fixes one text; the edits (one minimal edit) and how many fixes it holds.
fn fix_file(
    rules: &RuleSet,
    scope: &FileScope,
    text: &str,
    unsafe_fixes: bool,
    encoding: PositionEncoding,
) -> Option<(Vec<TextEdit>, usize)> {
    if !rules.may_match(text) {
        return None;
    }
    let (edit, count) = fix_all_edit(rules, scope, text, unsafe_fixes)?;
    Some((vec![text_edit(&Rope::from_str(text), &edit, encoding)], count))
}

async fn fix_workspace(session: Arc<Session>) -> Result<Value> {
    let open: Vec<(Uri, i32, String, FileScope)> = session
        .documents
        .iter()
        .map(|entry| (entry.key().clone(), entry.version, entry.text.clone(), entry.scope.clone()))
        .collect();
    let rules = session.rules();
    let (roots, root) = (session.roots(), session.primary_root());
    let (unsafe_fixes, encoding) = (session.settings().unsafe_fixes, session.encoding());
    let fixes = tokio::task::spawn_blocking(move || {
        let rules = &rules.rules;
        let mut fixes: Vec<FileFix> = open
            .par_iter()
            .filter_map(|(uri, version, text, scope)| {
                let (edits, count) = fix_file(rules, scope, text, unsafe_fixes, encoding)?;
                Some((uri.clone(), Some(*version), edits, count))
            })
            .collect();
        let (files, _) = workspace::walk(&roots, rules, &root);
        let closed: Vec<FileFix> = files
            .par_iter()
            .filter_map(|path| {
                let uri = path_to_uri(path)?;
                if open.iter().any(|(open_uri, ..)| *open_uri == uri) {
                    return None;
                }
                let text = std::fs::read_to_string(path).ok()?;
                if workspace::has_nul_byte(text.as_bytes()) {
                    return None;
                }
                let scope = workspace::scope_for(rules, &root, path);
                let (edits, count) = fix_file(rules, &scope, &text, unsafe_fixes, encoding)?;
                Some((uri, None, edits, count))
            })
            .collect();
        fixes.extend(closed);
        fixes.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        fixes
    })
    .await
    .map_err(|error| guard::join_error(FIX_WORKSPACE, error))?;
    apply(&session, fixes).await
}

/// Sends the fixes through `workspace/applyEdit`.
async fn apply(session: &Session, fixes: Vec<FileFix>) -> Result<Value> {
    let files = fixes.len();
    let count: usize = fixes.iter().map(|(.., count)| count).sum();
    if fixes.is_empty() {
        return Ok(json!({ "applied": true, "files": 0, "fixes": 0 }));
    }
    if !session.support().apply_edit {
        return Err(Error::invalid_request());
    }
    let edit =
        workspace_edit(session, fixes.into_iter().map(|(uri, version, edits, _)| (uri, version, edits)).collect());
    let response = session.client.apply_edit(edit).await?;
    let mut result = json!({ "applied": response.applied, "files": files, "fixes": count });
    if let Some(reason) = response.failure_reason {
        result["failureReason"] = Value::String(reason);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_uri_argument_in_all_shapes() {
        let expected = Some(Uri::from_str("file:///a.py").unwrap());
        assert_eq!(uri_argument(&[json!("file:///a.py")]), expected);
        assert_eq!(uri_argument(&[json!({"uri": "file:///a.py"})]), expected);
        assert_eq!(uri_argument(&[json!({"textDocument": {"uri": "file:///a.py"}})]), expected);
        assert_eq!(uri_argument(&[]), None);
        assert_eq!(uri_argument(&[json!(3)]), None);
    }
}
