//! Open documents: a rope, the same text as one string for the engine, the
//! tree-sitter tree, and the findings of the current version.
//!
//! Changes are applied incrementally: for each content change the byte range
//! is taken from the rope as it is before the change, the rope is edited, the
//! tree is told with `Tree::edit`, and after the last change the text is
//! parsed once with the edited tree. The handlers here mutate the document
//! before their first `.await` (notifications must be applied in the order
//! they were received) and hold no `DashMap` guard across an `.await`.
//!
//! The findings come from `analysis::scan_parsed`: the skeleton of the text
//! (tiny trees, so a check costs little even in a long file), or the whole
//! tree when the skeleton does not parse.
//!
//! Parsing and checking run on tokio's blocking pool, never on the executor:
//! a file tree-sitter parses slowly must not stall other requests. Each
//! change cancels the parse still running for an older version (through the
//! parse progress callback); only the newest version's result is stored and
//! published. Until it is, `findings` and the tree describe an older version:
//! requests that read them wait for `wait_for_analysis`.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ropey::Rope;
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams, TextDocumentContentChangeEvent,
    Uri,
};
use tree_sitter::{InputEdit, Parser, Tree};

use super::diagnostics;
use super::guard;
use super::position::{range_to_offsets, tree_sitter_point, PositionEncoding};
use super::session::Session;
use super::settings::LogLevel;
use super::workspace_scan;
use crate::analysis;
use crate::finding::Finding;
use crate::rules::{FileScope, RuleSet};
use crate::syntax;

thread_local! {
    /// One parser per thread: parsers are cheap to keep and costly to build.
    static PARSER: RefCell<Parser> = RefCell::new(syntax::new_parser());
}

#[cfg(test)]
fn parse(text: &str, old_tree: Option<&Tree>) -> Tree {
    let parsed = PARSER.with(|parser| syntax::parse(&mut parser.borrow_mut(), text, old_tree));
    parsed.unwrap_or_else(|| syntax::parse_text(text))
}

/// The parse and check of one version of a document, to run off the
/// executor. Dropped results are harmless: only `Document::finish` stores.
pub struct AnalysisJob {
    pub version: i32,
    text: String,
    old_tree: Option<Tree>,
    scope: FileScope,
    cancelled: Arc<AtomicBool>,
}

/// What an analysis job produced.
pub struct Analysis {
    pub version: i32,
    tree: Tree,
    findings: Vec<Finding>,
}

impl AnalysisJob {
    /// Parses (incrementally when there is an old tree) and checks; `None`
    /// when a newer change cancelled the job.
    pub fn run(self, rules: &RuleSet) -> Option<Analysis> {
        let cancelled = || self.cancelled.load(Ordering::Relaxed);
        let tree = PARSER.with(|parser| {
            let mut parser = parser.borrow_mut();
            let tree = syntax::parse_cancellable(&mut parser, &self.text, self.old_tree.as_ref(), &cancelled);
            if tree.is_none() {
                // A cancelled parser would resume this parse next time.
                parser.reset();
            }
            tree
        })?;
        if cancelled() {
            return None;
        }
        let mut findings = analysis::scan_parsed(rules, &self.scope, &self.text, &tree);
        crate::baseline::mark_in_scope(rules, &self.scope, &mut findings);
        Some(Analysis { version: self.version, tree, findings })
    }
}

/// One open document.
#[derive(Debug)]
pub struct Document {
    /// The client's version of the text; changes with an older or equal
    /// version are dropped.
    pub version: i32,
    pub rope: Rope,
    /// Always equal to `rope`: the engine reads a `&str`.
    pub text: String,
    /// The last parse, edited (`Tree::edit`) by every change since, so that
    /// it seeds the next incremental parse; `None` before the first parse
    /// and after a change that replaced the whole text.
    tree: Option<Tree>,
    /// The version `tree` and `findings` were computed for.
    analysed_version: Option<i32>,
    pub scope: FileScope,
    /// The findings of the analysed version under the rules in force when
    /// they were computed.
    pub findings: Vec<Finding>,
    /// Changes whenever `findings` are recomputed (for pull clients).
    pub result_id: String,
    /// Set to cancel the analysis job in flight.
    cancelled: Arc<AtomicBool>,
}

impl Document {
    /// A document parsed and checked (for tests).
    #[cfg(test)]
    pub fn new(text: String, version: i32, scope: FileScope, rules: &RuleSet, result_id: String) -> Self {
        let mut document = Document::opened(text, version, scope);
        document.parse_now();
        document.check(rules, result_id);
        document
    }

    /// A document just opened: not parsed nor checked yet.
    pub fn opened(text: String, version: i32, scope: FileScope) -> Self {
        Document {
            version,
            rope: Rope::from_str(&text),
            text,
            tree: None,
            analysed_version: None,
            scope,
            findings: Vec::new(),
            result_id: String::new(),
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether `findings` and the tree describe the current text.
    pub fn is_analysed(&self) -> bool {
        self.analysed_version == Some(self.version)
    }

    /// The parse of the current text, if it is done.
    pub fn current_tree(&self) -> Option<&Tree> {
        self.tree.as_ref().filter(|_| self.is_analysed())
    }

    /// Applies the changes of one `didChange`, in order, to the text and the
    /// old tree; the parse comes after (`start_analysis` or `parse_now`).
    pub fn apply_changes(&mut self, changes: &[TextDocumentContentChangeEvent], encoding: PositionEncoding) {
        for change in changes {
            match change.range {
                None => {
                    self.rope = Rope::from_str(&change.text);
                    self.tree = None;
                }
                Some(range) => {
                    let (start, old_end) = range_to_offsets(&self.rope, range, encoding);
                    let edit = edit_rope(&mut self.rope, start, old_end, &change.text);
                    if let Some(tree) = self.tree.as_mut() {
                        tree.edit(&edit);
                    }
                }
            }
        }
        self.text = self.rope.to_string();
        self.analysed_version = None;
    }

    /// Parses the current text here and now (tests, and nothing slow).
    #[cfg(test)]
    pub fn parse_now(&mut self) {
        self.tree = Some(parse(&self.text, self.tree.as_ref()));
        self.analysed_version = Some(self.version);
    }

    /// The job that analyses the current version; cancels the one before.
    pub fn start_analysis(&mut self) -> AnalysisJob {
        self.cancelled.store(true, Ordering::Relaxed);
        self.cancelled = Arc::new(AtomicBool::new(false));
        AnalysisJob {
            version: self.version,
            text: self.text.clone(),
            old_tree: self.tree.clone(),
            scope: self.scope.clone(),
            cancelled: Arc::clone(&self.cancelled),
        }
    }

    /// Stores a job's result when it is for the current version; false when
    /// the document moved on (a newer job will store its own).
    pub fn finish(&mut self, analysis: Analysis, result_id: String) -> bool {
        if analysis.version != self.version {
            return false;
        }
        self.tree = Some(analysis.tree);
        self.analysed_version = Some(analysis.version);
        self.findings = analysis.findings;
        self.result_id = result_id;
        true
    }

    /// Recomputes the findings of the current text when its parse is done
    /// (else the job in flight checks it, under the rules of its end).
    pub fn check(&mut self, rules: &RuleSet, result_id: String) {
        let Some(tree) = self.current_tree() else { return };
        self.findings = analysis::scan_parsed(rules, &self.scope, &self.text, tree);
        crate::baseline::mark_in_scope(rules, &self.scope, &mut self.findings);
        self.result_id = result_id;
    }
}

/// Replaces the bytes `start..old_end` of a rope and describes the edit for
/// tree-sitter (public for the `edit_phases` benchmark).
pub fn edit_rope(rope: &mut Rope, start: usize, old_end: usize, replacement: &str) -> InputEdit {
    let start_position = tree_sitter_point(rope, start);
    let old_end_position = tree_sitter_point(rope, old_end);
    let start_char = rope.byte_to_char(start);
    let old_end_char = rope.byte_to_char(old_end);
    rope.remove(start_char..old_end_char);
    rope.insert(start_char, replacement);
    let new_end = start + replacement.len();
    InputEdit {
        start_byte: start,
        old_end_byte: old_end,
        new_end_byte: new_end,
        start_position,
        old_end_position,
        new_end_position: tree_sitter_point(rope, new_end),
    }
}

impl Drop for Document {
    /// A closed (or replaced) document's analysis is of no use any more.
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

pub async fn did_open(session: Arc<Session>, params: DidOpenTextDocumentParams) {
    let document = params.text_document;
    let uri = document.uri;
    let opened = guard::sync("textDocument/didOpen", || {
        let rules = session.rules();
        let scope = session.scope_for(&rules.rules, &uri);
        session.documents.insert(uri.clone(), Document::opened(document.text, document.version, scope));
    });
    if opened.is_none() {
        session.log(LogLevel::Error, format!("internal error while opening {}", uri.as_str())).await;
        return;
    }
    analyse(&session, &uri, "textDocument/didOpen").await;
}

pub async fn did_change(session: Arc<Session>, params: DidChangeTextDocumentParams) {
    let uri = params.text_document.uri;
    let version = params.text_document.version;
    let outcome =
        guard::sync("textDocument/didChange", || apply_change(&session, &uri, version, &params.content_changes));
    match outcome {
        Some(ChangeOutcome::Applied) => analyse(&session, &uri, "textDocument/didChange").await,
        Some(ChangeOutcome::Stale { current }) => {
            let message = format!("dropped a change to {} with version {version}: already at {current}", uri.as_str());
            session.log(LogLevel::Warn, message).await;
        }
        Some(ChangeOutcome::Unknown) => {
            session.log(LogLevel::Warn, format!("change to a document that is not open: {}", uri.as_str())).await;
        }
        None => {
            // The text may be half updated: forget the document rather than
            // check text that differs from the client's.
            session.documents.remove(&uri);
            let message = format!("internal error while applying a change to {}; reopen the file", uri.as_str());
            session.log(LogLevel::Error, message).await;
        }
    }
}

/// Parses and checks the current version of an open document on the
/// blocking pool, stores the result if no newer change came meanwhile, and
/// publishes it. When the engine panics, the document keeps its text with no
/// findings, and the error is logged.
///
/// The job is created before this function's first `.await`, so jobs start
/// (and cancel each other) in the order the notifications arrived.
async fn analyse(session: &Arc<Session>, uri: &Uri, method: &'static str) {
    let Some(job) = session.documents.get_mut(uri).map(|mut document| document.start_analysis()) else { return };
    let version = job.version;
    let worker = Arc::clone(session);
    let outcome = tokio::task::spawn_blocking(move || job.run(&worker.rules().rules)).await;
    let stored = match outcome {
        Ok(Some(analysis)) => session.documents.get_mut(uri).is_some_and(|mut document| {
            let result_id = session.next_result_id();
            document.finish(analysis, result_id)
        }),
        // A newer change cancelled this job; its own job publishes.
        Ok(None) => false,
        Err(_) => {
            if let Some(mut document) = session.documents.get_mut(uri).filter(|document| document.version == version) {
                document.findings.clear();
                document.analysed_version = Some(version);
                document.result_id = session.next_result_id();
            }
            let message = format!("internal error while checking {} after {method}", uri.as_str());
            session.log(LogLevel::Error, message).await;
            true
        }
    };
    if stored {
        diagnostics::publish_document(session, uri).await;
    }
}

/// Waits until an open document's findings describe its current text (the
/// analysis of the last change is done), for requests that read them. Gives
/// up after a while (a file tree-sitter takes seconds to parse), and returns
/// whether the findings are current.
pub async fn wait_for_analysis(session: &Session, uri: &Uri) -> bool {
    const PATIENCE: Duration = Duration::from_secs(5);
    let started = Instant::now();
    loop {
        match session.documents.get(uri).map(|document| document.is_analysed()) {
            None | Some(true) => return true,
            Some(false) if started.elapsed() > PATIENCE => return false,
            Some(false) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
}

enum ChangeOutcome {
    Applied,
    Stale { current: i32 },
    Unknown,
}

/// Applies a change to the text and tree (the check comes after).
fn apply_change(
    session: &Session,
    uri: &Uri,
    version: i32,
    changes: &[TextDocumentContentChangeEvent],
) -> ChangeOutcome {
    let Some(mut document) = session.documents.get_mut(uri) else { return ChangeOutcome::Unknown };
    if version <= document.version {
        return ChangeOutcome::Stale { current: document.version };
    }
    document.apply_changes(changes, session.encoding());
    document.version = version;
    ChangeOutcome::Applied
}

pub async fn did_close(session: Arc<Session>, params: DidCloseTextDocumentParams) {
    let uri = params.text_document.uri;
    session.documents.remove(&uri);
    // What is on disk counts again: re-check it when the workspace is scanned,
    // else clear what the editor showed.
    let scanned = session.settings().workspace_scan && workspace_scan::refresh_closed_file(&session, &uri);
    if scanned {
        diagnostics::publish_closed(&session, &uri).await;
    } else {
        session.closed_files.remove(&uri);
        diagnostics::clear(&session, &uri).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tower_lsp_server::ls_types::{Position, Range};

    use super::super::position::offsets_to_range;

    const SNIPPET: &str = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\nasync def handler(ctx):\n    return await create_websocket_manager(ctx)\n";

    fn change(
        rope: &Rope,
        start: usize,
        end: usize,
        text: &str,
        encoding: PositionEncoding,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(offsets_to_range(rope, start, end, encoding)),
            range_length: None,
            text: text.to_string(),
        }
    }

    #[test]
    fn incremental_changes_follow_the_text() {
        let rules = RuleSet::builtin();
        let mut document = Document::new(SNIPPET.to_string(), 1, FileScope::default(), &rules, String::new());
        assert_eq!(document.findings.len(), 1);
        // Insert a comment with emoji on the first line, then break the import.
        let edits = [
            TextDocumentContentChangeEvent {
                range: Some(Range::new(Position::new(0, 0), Position::new(0, 0))),
                range_length: None,
                text: "# 😀 café\n".into(),
            },
            TextDocumentContentChangeEvent {
                range: Some(Range::new(Position::new(1, 5), Position::new(1, 22))),
                range_length: None,
                text: "x".into(),
            },
        ];
        document.apply_changes(&edits, PositionEncoding::Utf16);
        assert!(!document.is_analysed() && document.current_tree().is_none());
        document.parse_now();
        document.check(&rules, String::new());
        assert!(document.text.starts_with("# 😀 café\nfrom x.websocket_core"), "{}", document.text);
        assert!(document.findings.is_empty(), "{:?}", document.findings);
        let tree = document.current_tree().unwrap();
        assert_eq!(tree.root_node().to_sexp(), syntax::parse_text(&document.text).root_node().to_sexp());
    }

    #[test]
    fn a_newer_change_cancels_the_analysis_in_flight() {
        let rules = RuleSet::builtin();
        let mut document = Document::opened(SNIPPET.to_string(), 1, FileScope::default());
        let stale = document.start_analysis();
        let rope = document.rope.clone();
        document.apply_changes(&[change(&rope, 0, 0, "# moved\n", PositionEncoding::Utf8)], PositionEncoding::Utf8);
        document.version = 2;
        let current = document.start_analysis();
        assert!(stale.run(&rules).is_none(), "a superseded job stops");
        // The thread's parser was reset: the next job parses its own text.
        let analysis = current.run(&rules).expect("the current job finishes");
        assert!(document.finish(analysis, "2".into()));
        assert!(document.is_analysed());
        assert_eq!(document.findings.len(), 1);
        assert_eq!(document.findings[0].start, SNIPPET.find("create_websocket_manager").unwrap() + "# moved\n".len());
    }

    #[test]
    fn a_result_for_an_older_version_is_not_stored() {
        let rules = RuleSet::builtin();
        let mut document = Document::opened(SNIPPET.to_string(), 1, FileScope::default());
        let job = document.start_analysis();
        document.apply_changes(
            &[TextDocumentContentChangeEvent { range: None, range_length: None, text: "x = 1\n".into() }],
            PositionEncoding::Utf8,
        );
        document.version = 2;
        let analysis = job.run(&rules).expect("not cancelled: no new job started");
        assert!(!document.finish(analysis, "1".into()));
        assert!(!document.is_analysed());
        assert!(document.findings.is_empty());
    }

    #[test]
    fn a_full_change_replaces_the_text() {
        let rules = RuleSet::builtin();
        let mut document = Document::new("x = 1\n".to_string(), 1, FileScope::default(), &rules, String::new());
        let full = TextDocumentContentChangeEvent { range: None, range_length: None, text: SNIPPET.into() };
        let rope = document.rope.clone();
        document.apply_changes(&[change(&rope, 0, 0, "y = 2\n", PositionEncoding::Utf8), full], PositionEncoding::Utf8);
        document.parse_now();
        document.check(&rules, String::new());
        assert_eq!(document.text, SNIPPET);
        assert_eq!(document.findings.len(), 1);
    }

    /// One random edit: where (as fractions of the text) and what to insert.
    fn edit_strategy() -> impl Strategy<Value = (f64, f64, String)> {
        let insert = proptest::collection::vec(
            prop_oneof![
                Just(""),
                Just("x"),
                Just("é"),
                Just("😀"),
                Just("中文"),
                Just("\n"),
                Just("\r\n"),
                Just("    "),
                Just("("),
                Just(")"),
                Just(","),
                Just("\""),
                Just("import "),
                Just("from "),
                Just("create_websocket_manager"),
                Just("websocket_manager_factory"),
                Just("netra_backend.app.websocket_core."),
                Just("# ssot: ignore\n"),
                Just("def f():\n"),
            ],
            0..4,
        )
        .prop_map(|parts| parts.concat());
        (0.0..=1.0f64, 0.0..=0.2f64, insert)
    }

    fn floor_boundary(text: &str, mut offset: usize) -> usize {
        offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn incremental_edits_equal_a_fresh_parse(
            edits in proptest::collection::vec(edit_strategy(), 1..12),
            utf8 in any::<bool>(),
            batch in any::<bool>(),
            start in prop_oneof![
                Just(SNIPPET.to_string()),
                Just(format!("\u{feff}{SNIPPET}")),
                Just(SNIPPET.replace('\n', "\r\n")),
                Just(format!("# 😀 ünï\n{SNIPPET}    x = '中文'\n")),
            ],
        ) {
            let encoding = if utf8 { PositionEncoding::Utf8 } else { PositionEncoding::Utf16 };
            let rules = RuleSet::builtin();
            let mut document = Document::new(start.clone(), 1, FileScope::default(), &rules, String::new());
            let mut expected = start;
            // Changes of one notification are relative to the text after the
            // previous change, so a shadow rope follows them.
            let mut pending = Vec::new();
            let mut shadow = document.rope.clone();
            for (at, length, insert) in &edits {
                let start = floor_boundary(&expected, (*at * expected.len() as f64) as usize);
                let end = floor_boundary(&expected, start + (*length * expected.len() as f64) as usize);
                // Never split a CRLF: LSP positions cannot point inside one.
                let start = if start > 0 && expected.as_bytes()[start - 1] == b'\r' && expected.as_bytes().get(start) == Some(&b'\n') { start - 1 } else { start };
                let end = if end > 0 && end < expected.len() && expected.as_bytes()[end - 1] == b'\r' && expected.as_bytes()[end] == b'\n' { end + 1 } else { end };
                let end = end.max(start);
                pending.push(change(&shadow, start, end, insert, encoding));
                expected.replace_range(start..end, insert);
                shadow = Rope::from_str(&expected);
                if !batch {
                    document.apply_changes(&pending, encoding);
                    document.parse_now();
                    pending.clear();
                }
            }
            if batch {
                document.apply_changes(&pending, encoding);
                document.parse_now();
            }
            document.check(&rules, String::new());
            prop_assert_eq!(&document.text, &expected);
            let fresh = syntax::parse_text(&expected);
            prop_assert_eq!(document.current_tree().unwrap().root_node().to_sexp(), fresh.root_node().to_sexp());
            let fresh_findings = analysis::scan_parsed(&rules, &FileScope::default(), &expected, &fresh);
            prop_assert_eq!(&document.findings, &fresh_findings);
        }
    }
}
