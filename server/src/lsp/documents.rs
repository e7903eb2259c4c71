//! Open documents' state: a rope (the client's current text), the same text
//! as one string for the engine, the tree-sitter tree, and the findings.
//!
//! Changes are applied incrementally: for each content change the byte range
//! is taken from the rope as it is before the change, the rope is edited, the
//! tree is told with `Tree::edit`, and the next analysis job parses once with
//! the edited tree. The text-sync handlers that drive this live in
//! `text_sync`; this module knows no session and no client.
//!
//! The findings come from `analysis::scan_lazily`: the skeleton of the text
//! (tiny trees, so a check costs little even in a long file), or the whole
//! tree when the skeleton does not parse; the whole text is parsed only then
//! (else later, for a request that reads the tree: `Snapshot::with_tree`).
//! The skeleton trees of the stored analysis are kept too
//! (`analysis::SkeletonTrees`), edited with each change like the whole
//! tree, and seed the next job's skeleton parses, which then re-parse only
//! what changed.
//!
//! Every analysis job (one per open, per rules reload, and per change as the
//! pacing allows: `pace_change`, `due`) gets an epoch, unique in the session. The job runs on tokio's blocking pool, never
//! on the executor (see `text_sync`): it turns the rope into a string
//! (shared with the document afterwards as an `Arc`, never copied again),
//! parses and checks. A newer job cancels the one before (through the parse
//! progress callback), and a result is stored only when its epoch and the
//! revision of its text are the document's current ones (a result for a text
//! typed past is only published, for its own version): a superseded version, a document closed and
//! reopened with the same version, or findings under rules replaced while the
//! job ran are all dropped. Until the current epoch is stored, `findings`, the
//! tree and `text` describe an older state: requests wait in
//! `analysed::analysed_snapshot` (on a watch channel per document).
//!
//! A document larger than the `maxDocumentBytes` setting is kept (the client's
//! text is the truth) but not analysed: no string, no tree, no findings.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ropey::Rope;
use tokio::sync::watch;
use tower_lsp_server::ls_types::TextDocumentContentChangeEvent;
use tree_sitter::{InputEdit, Parser, Tree};

use super::options::AnalysisPacing;
use super::position::{range_to_offsets, tree_sitter_point, PositionEncoding};
use crate::analysis::{self, SkeletonTrees};
use crate::finding::Finding;
use crate::index::{ReexportLog, SharedIndex};
use crate::path_class::{classify_path, PathClass};
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

/// The parse and check of one state of a document, to run off the executor.
/// Dropped results are harmless: only `Document::finish` stores.
pub struct AnalysisJob {
    pub epoch: u64,
    pub version: i32,
    /// The document's `revision` the job's text is.
    revision: u64,
    rope: Rope,
    old_tree: Option<Tree>,
    /// The document's skeleton trees, edited to the job's text: they seed
    /// the skeleton parses.
    skeletons: SkeletonTrees,
    scope: FileScope,
    /// Larger than the size limit: nothing to parse.
    too_large: bool,
    /// Where the document's path stands with the walk: known, or to find out.
    class: ClassOrInput,
    cancelled: Arc<AtomicBool>,
}

/// A document's `PathClass`, or what classifying it needs (done by the job,
/// off the executor, since it reads ignore files).
#[derive(Debug, Clone)]
pub enum ClassOrInput {
    Known(PathClass),
    Find { folders: Vec<PathBuf>, root: PathBuf, path: Option<PathBuf> },
}

impl ClassOrInput {
    /// The class, and the file's scope when it had to be found too (both
    /// read the disk: ignore files, `__init__.py` files).
    fn resolve(&self, rules: &RuleSet) -> (PathClass, Option<FileScope>) {
        match self {
            ClassOrInput::Known(class) => (*class, None),
            ClassOrInput::Find { path: None, .. } => (PathClass::Checked, Some(FileScope::default())),
            ClassOrInput::Find { folders, root, path: Some(path) } => {
                let scope = FileScope { buffer: true, ..crate::workspace::scope_for(rules, root, path) };
                (classify_path(folders, rules, root, path), Some(scope))
            }
        }
    }
}

/// What an analysis job produced.
pub struct Analysis {
    pub epoch: u64,
    revision: u64,
    /// The document version and text the job analysed.
    version: i32,
    rope: Rope,
    class: PathClass,
    /// The file's scope, when the job found it (after an open or a reload).
    scope: Option<FileScope>,
    text: Arc<String>,
    /// The whole text's tree; when `tree_pending`, the last parse edited to
    /// the text instead (the check did not need the whole text parsed).
    tree: Option<Tree>,
    tree_pending: bool,
    /// The skeleton trees of the text (to seed the next job's).
    skeletons: SkeletonTrees,
    too_large: bool,
    findings: Vec<Finding>,
    /// The check ran before the workspace's importers were recorded (see
    /// `Document::importers_pending`).
    importers_pending: bool,
    /// What the check found the text importing through re-export hubs, when
    /// it ran: the session commits it if it stores the result (`text_sync`).
    pub reexports: Option<ReexportLog>,
}

impl Analysis {
    /// The version, text and findings, for publishing a stale result.
    pub fn into_findings(self) -> (i32, Rope, Vec<Finding>) {
        (self.version, self.rope, self.findings)
    }
}

impl AnalysisJob {
    /// Checks the text, parsing the whole of it (incrementally when there
    /// is an old tree) only when the check needs it (`analysis::scan_lazily`);
    /// `None` when a newer change cancelled this job.
    pub fn run(mut self, rules: &RuleSet) -> Option<Analysis> {
        let (class, found_scope) = self.class.resolve(rules);
        let scope = found_scope.clone().unwrap_or_else(|| self.scope.clone());
        if self.too_large || !class.is_checked() {
            let (epoch, revision, scope) = (self.epoch, self.revision, found_scope);
            return Some(Analysis {
                epoch,
                revision,
                version: self.version,
                rope: self.rope,
                class,
                scope,
                text: Arc::default(),
                tree: None,
                tree_pending: false,
                skeletons: SkeletonTrees::default(),
                too_large: self.too_large,
                findings: Vec::new(),
                importers_pending: false,
                reexports: None,
            });
        }
        let reexports = scope.index.as_ref().map(SharedIndex::reexport_log);
        // Read before the check: the scan's end re-checks the buffers after
        // it clears the flag, so a check that saw it set is never the last.
        let importers_pending = scope.importers_pending();
        let scope = FileScope { reexport_log: reexports.clone(), ..scope };
        let cancelled = || self.cancelled.load(Ordering::Relaxed);
        let text = Arc::new(String::from(&self.rope));
        let parse_whole = || parse_cancellable(&text, self.old_tree.as_ref(), &cancelled);
        let (mut findings, tree) = analysis::scan_lazily(rules, &scope, &text, &mut self.skeletons, parse_whole)?;
        if cancelled() {
            return None;
        }
        crate::baseline::mark_in_scope(rules, &scope, &mut findings);
        let tree_pending = tree.is_none();
        let tree = tree.or(self.old_tree);
        let (epoch, revision, version, rope) = (self.epoch, self.revision, self.version, self.rope);
        Some(Analysis {
            epoch,
            revision,
            version,
            rope,
            class,
            scope: found_scope,
            text,
            tree,
            tree_pending,
            skeletons: self.skeletons,
            too_large: false,
            findings,
            importers_pending,
            reexports,
        })
    }
}

/// Parses with this thread's parser (incrementally when there is an old
/// tree); `None` when `cancelled` said so on the way.
fn parse_cancellable(text: &str, old_tree: Option<&Tree>, cancelled: &dyn Fn() -> bool) -> Option<Tree> {
    PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        let tree = syntax::parse_cancellable(&mut parser, text, old_tree, cancelled);
        if tree.is_none() {
            // A cancelled parser would resume this parse next time.
            parser.reset();
        }
        tree
    })
}

/// What waiting requests watch: the epoch of the job in flight (or last
/// started) and of the last result stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnalysisProgress {
    pub started: u64,
    pub stored: Option<u64>,
}

/// One open document.
#[derive(Debug)]
pub struct Document {
    /// The client's version of the text; changes with an older or equal
    /// version are dropped.
    pub version: i32,
    /// The epoch of the open: a document closed and reopened is another one.
    pub opened: u64,
    pub rope: Rope,
    /// The text of the stored analysis, equal to `rope` while `is_analysed()`;
    /// shared with the job that made it.
    pub text: Arc<String>,
    /// The last parse, edited (`Tree::edit`) by every change since, so that
    /// it seeds the next incremental parse; `None` before the first parse
    /// and after a change that replaced the whole text.
    tree: Option<Tree>,
    /// The stored analysis did not parse its text whole: `tree` is an older
    /// parse edited to it (parsed when a request needs it, `Snapshot::with_tree`).
    tree_pending: bool,
    /// The skeleton trees of the stored analysis, edited like `tree` by
    /// every change since: they seed the next job's skeleton parses.
    skeletons: SkeletonTrees,
    pub scope: FileScope,
    /// The findings of the stored analysis.
    pub findings: Vec<Finding>,
    /// The stored analysis ran before the workspace scan recorded who
    /// imports and patches what: its fixes that depend on it are withheld,
    /// and the scan's end checks the document again.
    importers_pending: bool,
    /// Changes whenever `findings` are recomputed (for pull clients).
    pub result_id: String,
    /// Larger than the size limit when last analysed: not parsed nor checked.
    pub too_large: bool,
    /// Where the path stands with the workspace walk (`None` until the first
    /// job found out, and again after a rules reload); only `Checked`
    /// documents get findings.
    pub class: Option<PathClass>,
    /// The epochs of the current job and of the stored result.
    progress: watch::Sender<AnalysisProgress>,
    /// Set to cancel the analysis job in flight.
    cancelled: Arc<AtomicBool>,
    /// Counts the `didChange`s applied: a job's result is stored only for
    /// the text it was started on (with pacing, a change does not always
    /// start a newer job at once).
    revision: u64,
    /// When the first change no analysis has started for came, and when the
    /// last analysis started (see `AnalysisPacing`).
    pending_since: Option<Instant>,
    last_start: Option<Instant>,
    /// How long the last analysis after a change took (`AnalysisPacing`).
    last_cost: Option<Duration>,
}

/// What to do about the analysis after a change (see `AnalysisPacing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Start it now.
    Now,
    /// Ask `due` again after this long.
    Later(Duration),
}

impl Document {
    /// A document parsed and checked (for tests).
    #[cfg(test)]
    pub fn new(text: String, version: i32, scope: FileScope, rules: &RuleSet, result_id: String) -> Self {
        let mut document = Document::opened(&text, version, 0, scope);
        document.parse_now();
        document.check(rules, result_id);
        document
    }

    /// A document just opened: not parsed nor checked yet.
    pub fn opened(text: &str, version: i32, opened: u64, scope: FileScope) -> Self {
        let (progress, _) = watch::channel(AnalysisProgress { started: opened, stored: None });
        Document {
            version,
            opened,
            rope: Rope::from_str(text),
            text: Arc::default(),
            tree: None,
            tree_pending: false,
            skeletons: SkeletonTrees::default(),
            scope,
            findings: Vec::new(),
            importers_pending: false,
            result_id: String::new(),
            too_large: false,
            class: None,
            progress,
            cancelled: Arc::new(AtomicBool::new(false)),
            revision: 0,
            pending_since: None,
            last_start: None,
            last_cost: None,
        }
    }

    /// The epoch of the job in flight or last started.
    pub fn epoch(&self) -> u64 {
        self.progress.borrow().started
    }

    /// Whether `findings`, `text` and the tree describe the current text
    /// under the current rules.
    pub fn is_analysed(&self) -> bool {
        let progress = *self.progress.borrow();
        progress.stored == Some(progress.started)
    }

    /// The parse of the current text, if it is done.
    pub fn current_tree(&self) -> Option<&Tree> {
        self.tree.as_ref().filter(|_| self.is_analysed() && !self.tree_pending)
    }

    /// A receiver told whenever a job starts or a result is stored.
    pub fn watch(&self) -> watch::Receiver<AnalysisProgress> {
        self.progress.subscribe()
    }

    /// What a request reads (meaningful when `is_analysed()`).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            version: self.version,
            rope: self.rope.clone(),
            text: Arc::clone(&self.text),
            tree: self.current_tree().cloned(),
            pending_tree: (self.is_analysed() && self.tree_pending).then(|| self.tree.clone()),
            revision: self.revision,
            scope: self.scope.clone(),
            findings: self.findings.clone(),
            importers_pending: self.importers_pending,
            result_id: self.result_id.clone(),
            too_large: self.too_large,
            checked: self.class.is_some_and(PathClass::is_checked),
        }
    }

    /// Applies the changes of one `didChange`, in order, to the rope and the
    /// old tree; the parse comes after (`start_analysis` or `parse_now`).
    pub fn apply_changes(&mut self, changes: &[TextDocumentContentChangeEvent], encoding: PositionEncoding) {
        for change in changes {
            match change.range {
                None => {
                    self.rope = Rope::from_str(&change.text);
                    self.tree = None;
                    self.skeletons = SkeletonTrees::default();
                }
                Some(range) => {
                    let (start, old_end) = range_to_offsets(&self.rope, range, encoding);
                    let edit = edit_rope(&mut self.rope, start, old_end, &change.text);
                    if let Some(tree) = self.tree.as_mut() {
                        tree.edit(&edit);
                    }
                    self.skeletons.edit(&edit);
                }
            }
        }
        // What is stored describes the text before these changes, and so will
        // what the job in flight finds: it is never stored (`finish`), only
        // published for its own version (`stale_result`).
        self.revision += 1;
        self.progress.send_if_modified(|progress| progress.stored.take().is_some());
    }

    /// Parses the current text here and now (tests only).
    #[cfg(test)]
    pub fn parse_now(&mut self) {
        self.text = Arc::new(String::from(&self.rope));
        self.tree = Some(parse(&self.text, self.tree.as_ref()));
        self.tree_pending = false;
        let started = self.epoch() + 1;
        self.progress.send_replace(AnalysisProgress { started, stored: Some(started) });
    }

    /// After a change that came at `now`: start the analysis now (after a
    /// quiet spell, or when the first change waiting has waited `max_wait`),
    /// or look again later (`due`).
    pub fn pace_change(&mut self, now: Instant, pacing: AnalysisPacing) -> Pace {
        let first_waiting = *self.pending_since.get_or_insert(now) == now;
        let quiet = self.last_start.is_none_or(|start| now.duration_since(start) >= pacing.debounce);
        if first_waiting && quiet {
            return Pace::Now;
        }
        let waited = now.duration_since(self.pending_since.unwrap_or(now));
        match pacing.wait_limit(self.last_cost).checked_sub(waited) {
            Some(left) if !left.is_zero() => Pace::Later(pacing.debounce.min(left)),
            _ => Pace::Now,
        }
    }

    /// Whether the analysis put off after the change to `version` is due at
    /// `now`: no analysis has started since, and either no change came after
    /// that one (the document was quiet for `debounce`) or the first change
    /// waiting has waited the wait limit.
    pub fn due(&self, version: i32, now: Instant, pacing: AnalysisPacing) -> bool {
        let Some(since) = self.pending_since else { return false };
        self.version == version || now.duration_since(since) >= pacing.wait_limit(self.last_cost)
    }

    /// Notes how long an analysis of this document took (wall time on its
    /// thread), for the pacing of the next changes.
    pub fn note_analysis_cost(&mut self, cost: Duration) {
        self.last_cost = Some(cost);
    }

    /// The job that analyses the current text as epoch `epoch`; cancels the
    /// one before. `max_bytes` is the size limit.
    pub fn start_analysis(&mut self, epoch: u64, max_bytes: usize, find_class: ClassOrInput) -> AnalysisJob {
        self.pending_since = None;
        self.last_start = Some(Instant::now());
        self.cancelled.store(true, Ordering::Relaxed);
        self.cancelled = Arc::new(AtomicBool::new(false));
        self.progress.send_modify(|progress| progress.started = epoch);
        let too_large = self.rope.len_bytes() > max_bytes;
        AnalysisJob {
            epoch,
            version: self.version,
            revision: self.revision,
            rope: self.rope.clone(),
            old_tree: if too_large { None } else { self.tree.clone() },
            skeletons: if too_large { SkeletonTrees::default() } else { self.skeletons.clone() },
            scope: self.scope.clone(),
            too_large,
            class: self.class.map_or(find_class, ClassOrInput::Known),
            cancelled: Arc::clone(&self.cancelled),
        }
    }

    /// Stores a job's result when it is the current epoch's; false when the
    /// document moved on (a newer job will store its own).
    pub fn finish(&mut self, analysis: Analysis, result_id: String) -> bool {
        if analysis.epoch != self.epoch() || analysis.revision != self.revision {
            return false;
        }
        self.too_large = analysis.too_large && analysis.class.is_checked();
        self.class = Some(analysis.class);
        if let Some(scope) = analysis.scope {
            self.scope = scope;
        }
        self.tree = analysis.tree;
        self.tree_pending = analysis.tree_pending;
        self.skeletons = analysis.skeletons;
        self.text = analysis.text;
        self.findings = analysis.findings;
        self.importers_pending = analysis.importers_pending;
        self.result_id = result_id;
        self.progress.send_modify(|progress| progress.stored = Some(analysis.epoch));
        true
    }

    /// Whether a result came after a change
    /// to the text it analysed while no newer job had started (the pacing put
    /// it off): not stored, but worth showing a push client for its own
    /// version while the user keeps typing.
    /// No newer job has started, so nothing newer was published either.
    pub fn is_stale(&self, analysis: &Analysis) -> bool {
        let stale = analysis.epoch == self.epoch() && analysis.revision != self.revision;
        stale && analysis.class.is_checked() && !analysis.too_large
    }

    /// Keeps a tree parsed for a request (`Snapshot::with_tree`) when the
    /// document is still at the text it was parsed from.
    pub fn keep_tree(&mut self, tree: &Tree, revision: u64) {
        if self.tree_pending && self.revision == revision && self.is_analysed() {
            self.tree = Some(tree.clone());
            self.tree_pending = false;
        }
    }

    /// Marks the current epoch analysed with no findings (its job panicked).
    pub(super) fn finish_empty(&mut self, epoch: u64, result_id: String) -> bool {
        if epoch != self.epoch() {
            return false;
        }
        self.tree = None;
        self.tree_pending = false;
        self.skeletons = SkeletonTrees::default();
        self.text = Arc::new(String::from(&self.rope));
        self.findings.clear();
        self.result_id = result_id;
        self.progress.send_modify(|progress| progress.stored = Some(epoch));
        true
    }

    /// Recomputes the findings of the current text when its parse is done
    /// (tests only: the server re-analyses through jobs).
    #[cfg(test)]
    pub fn check(&mut self, rules: &RuleSet, result_id: String) {
        let Some(tree) = self.current_tree() else { return };
        self.findings = analysis::scan_parsed(rules, &self.scope, &self.text, tree);
        crate::baseline::mark_in_scope(rules, &self.scope, &mut self.findings);
        self.result_id = result_id;
    }
}

/// Replaces the bytes `start..old_end` of a rope and describes the edit for
/// tree-sitter (public for the `edit_phases` benchmark).
///
/// A `\r` just before the edit is reported as edited too: whether the parser
/// reads it as a line end depends on the byte after it (see
/// `syntax::lone_cr_as_lf`), which the edit may change.
pub fn edit_rope(rope: &mut Rope, start: usize, old_end: usize, replacement: &str) -> InputEdit {
    let edit_start = if start > 0 && rope.get_byte(start - 1) == Some(b'\r') { start - 1 } else { start };
    let start_position = tree_sitter_point(rope, edit_start);
    let old_end_position = tree_sitter_point(rope, old_end);
    let start_char = rope.byte_to_char(start);
    let old_end_char = rope.byte_to_char(old_end);
    rope.remove(start_char..old_end_char);
    rope.insert(start_char, replacement);
    let new_end = start + replacement.len();
    InputEdit {
        start_byte: edit_start,
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

/// What a request reads from an analysed document.
pub struct Snapshot {
    pub version: i32,
    pub rope: Rope,
    pub text: Arc<String>,
    /// The tree of `text`; see `with_tree` when the analysis did not parse it.
    pub tree: Option<Tree>,
    /// When the analysis did not parse `text` whole: the older parse to
    /// seed its parse with (`None`: parse from scratch).
    pending_tree: Option<Option<Tree>>,
    revision: u64,
    pub scope: FileScope,
    pub findings: Vec<Finding>,
    /// See `Document::importers_pending`.
    pub importers_pending: bool,
    pub result_id: String,
    pub too_large: bool,
    /// Whether the path is one the workspace walk checks (else no findings).
    pub checked: bool,
}

impl Snapshot {
    /// The snapshot with `tree` parsed, for requests that read the tree
    /// (hover, the ignore quick fix): the analysis parses the whole text only
    /// when its check needs it. The parse runs on the blocking pool and is
    /// kept for the document (`keep`) while it is still at this text.
    pub async fn with_tree(mut self, keep: impl FnOnce(&Tree, u64) + Send + 'static) -> Self {
        let Some(old_tree) = self.pending_tree.take() else { return self };
        let text = Arc::clone(&self.text);
        let revision = self.revision;
        let parsed = tokio::task::spawn_blocking(move || {
            let tree = parse_cancellable(&text, old_tree.as_ref(), &|| false);
            if let Some(tree) = &tree {
                keep(tree, revision);
            }
            tree
        })
        .await;
        self.tree = parsed.ok().flatten();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tower_lsp_server::ls_types::{Position, Range};

    use super::super::position::offsets_to_range;

    const SNIPPET: &str = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n\nasync def handler(ctx):\n    return await create_websocket_manager(ctx)\n";

    fn checked() -> ClassOrInput {
        ClassOrInput::Known(PathClass::Checked)
    }

    #[test]
    fn an_edit_that_makes_or_unmakes_a_lone_cr_reparses_as_a_fresh_parse() {
        // (text, start, old end, replacement): a `\n` after a lone `\r`
        // (which the parser read as a line end) and the reverse.
        let cases = [
            ("# c\rfrom a import b\r", 4, 4, "\n"),
            ("# c\r\nfrom a import b\r\n", 4, 5, ""),
            ("x = 1\r", 6, 6, "\ny = 2\r\n"),
            ("x = 1\ry = 2", 5, 6, ""),
        ];
        for (before, start, old_end, replacement) in cases {
            let mut rope = Rope::from_str(before);
            let mut tree = syntax::parse_text(before);
            let edit = edit_rope(&mut rope, start, old_end, replacement);
            tree.edit(&edit);
            let after = rope.to_string();
            let incremental = syntax::parse(&mut syntax::new_parser(), &after, Some(&tree)).unwrap();
            let fresh = syntax::parse_text(&after);
            assert_eq!(incremental.root_node().to_sexp(), fresh.root_node().to_sexp(), "{before:?} → {after:?}");
            let rows = |tree: &Tree| {
                let root = tree.root_node();
                (0..root.named_child_count()).map(|i| root.named_child(i).unwrap().start_position()).collect::<Vec<_>>()
            };
            assert_eq!(rows(&incremental), rows(&fresh), "{before:?} → {after:?}");
        }
    }

    #[test]
    fn a_document_closed_and_reopened_with_the_same_version_drops_the_old_job() {
        let rules = RuleSet::builtin();
        let mut old = Document::opened(SNIPPET, 1, 1, FileScope::default());
        let job = old.start_analysis(2, usize::MAX, checked());
        drop(old);
        let mut reopened = Document::opened("x = 1\n", 1, 3, FileScope::default());
        let current = reopened.start_analysis(4, usize::MAX, checked());
        // The old job was cancelled by the close; even a result it had
        // finished is not stored: its epoch is not the reopened document's.
        let finished = Analysis {
            epoch: job.epoch,
            revision: job.revision,
            version: job.version,
            rope: Rope::new(),
            class: PathClass::Checked,
            scope: None,
            text: Arc::default(),
            tree: None,
            tree_pending: false,
            skeletons: SkeletonTrees::default(),
            too_large: false,
            findings: Vec::new(),
            importers_pending: false,
            reexports: None,
        };
        assert!(!reopened.finish(finished, "x".into()));
        assert!(!reopened.is_analysed());
        assert!(reopened.finish(current.run(&rules).unwrap(), "y".into()));
        assert!(reopened.findings.is_empty());
    }

    #[test]
    fn changes_that_stream_in_are_analysed_every_max_wait_and_after_the_last() {
        let pacing = AnalysisPacing {
            debounce: Duration::from_millis(50),
            min_wait: Duration::from_millis(50),
            max_wait: Duration::from_millis(150),
        };
        let mut document = Document::opened(SNIPPET, 1, 1, FileScope::default());
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // The first change after a quiet spell starts at once.
        assert_eq!(document.pace_change(at(0), pacing), Pace::Now);
        let _ = document.start_analysis(2, usize::MAX, checked());
        document.last_start = Some(at(0)); // the test's clock
                                           // A keystroke every 30 ms: put off, and not due while others follow.
        let mut starts = Vec::new();
        for (index, ms) in (30..=300).step_by(30).enumerate() {
            let version = index as i32 + 2;
            document.version = version;
            match document.pace_change(at(ms), pacing) {
                Pace::Now => {
                    starts.push(ms);
                    let _ = document.start_analysis(ms, usize::MAX, checked());
                    document.last_start = Some(at(ms));
                }
                Pace::Later(delay) => {
                    assert!(delay <= pacing.debounce);
                    assert!(!document.due(version - 1, at(ms), pacing) || ms - 30 >= 150);
                }
            }
        }
        // Started when the first waiting change had waited 150 ms, not per key.
        assert_eq!(starts, [180]);
        // After the last keystroke (300 ms), its timer finds the document quiet.
        assert!(document.due(document.version, at(350), pacing));
        assert!(
            !document.due(document.version - 1, at(350), pacing),
            "an older change's timer waits for the newer one"
        );
        let _ = document.start_analysis(400, usize::MAX, checked());
        assert!(!document.due(document.version, at(400), pacing), "nothing is due once the analysis started");
        // IMMEDIATE analyses every change at once.
        assert_eq!(document.pace_change(at(401), AnalysisPacing::IMMEDIATE), Pace::Now);
    }

    #[test]
    fn cheap_analyses_shorten_the_wait_while_changes_stream_in() {
        let pacing = crate::lsp::options::DEFAULT_ANALYSIS_PACING;
        let ms = Duration::from_millis;
        assert_eq!(pacing.wait_limit(None), pacing.max_wait, "no analysis yet: the longest wait");
        assert_eq!(pacing.wait_limit(Some(ms(8))), ms(80));
        assert_eq!(pacing.wait_limit(Some(ms(3))), pacing.min_wait);
        assert_eq!(pacing.wait_limit(Some(ms(40))), pacing.max_wait);
        assert_eq!(AnalysisPacing::IMMEDIATE.wait_limit(Some(ms(40))), Duration::ZERO);
        // A keystroke every 30 ms into a document whose analysis takes 3 ms:
        // no keystroke waits more than 50 ms (here, with no timers, until
        // the next keystroke after that), not 350 ms.
        let mut document = Document::opened(SNIPPET, 1, 1, FileScope::default());
        document.note_analysis_cost(ms(3));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(document.pace_change(at(0), pacing), Pace::Now);
        let _ = document.start_analysis(2, usize::MAX, checked());
        document.last_start = Some(at(0));
        let mut starts = Vec::new();
        for (index, ms) in (30..=300).step_by(30).enumerate() {
            document.version = index as i32 + 2;
            let due = match document.pace_change(at(ms), pacing) {
                Pace::Now => true,
                // The timer of the change before fires before this change.
                Pace::Later(_) => document.due(document.version - 1, at(ms), pacing),
            };
            if due {
                starts.push(ms);
                let _ = document.start_analysis(ms, usize::MAX, checked());
                document.last_start = Some(at(ms));
            }
        }
        assert_eq!(starts, [90, 180, 270]);
        // A costly analysis (a huge file) backs off to `max_wait`.
        document.note_analysis_cost(ms(100));
        let _ = document.start_analysis(400, usize::MAX, checked());
        document.last_start = Some(at(1000));
        document.version += 1;
        assert_eq!(document.pace_change(at(1010), pacing), Pace::Later(pacing.debounce));
        document.version += 1;
        assert!(matches!(document.pace_change(at(1040), pacing), Pace::Later(_)));
        assert!(!document.due(document.version - 1, at(1010 + 349), pacing));
        assert!(document.due(document.version - 1, at(1010 + 350), pacing));
    }

    #[test]
    fn a_change_while_the_job_runs_keeps_its_result_out_even_before_the_next_job() {
        // With pacing, the change's own analysis may start later: the job in
        // flight has the same epoch, but its text is not the document's.
        let rules = RuleSet::builtin();
        let mut document = Document::opened(SNIPPET, 1, 1, FileScope::default());
        let job = document.start_analysis(2, usize::MAX, checked());
        let uncancelled = AnalysisJob { cancelled: Arc::new(AtomicBool::new(false)), ..job };
        let rope = document.rope.clone();
        document.apply_changes(&[change(&rope, 0, 0, "# moved\n", PositionEncoding::Utf8)], PositionEncoding::Utf8);
        document.version = 2;
        let analysis = uncancelled.run(&rules).expect("a job that ran to its end");
        // Not stored, but published for its own version (push clients).
        assert!(document.is_stale(&analysis));
        let (version, rope, findings) = analysis.into_findings();
        assert_eq!((version, rope.to_string(), findings.len()), (1, SNIPPET.to_string(), 1));
        let job = document.start_analysis(3, usize::MAX, checked());
        let analysis = AnalysisJob { revision: 0, ..job }.run(&rules).unwrap();
        assert!(!document.finish(analysis, "1".into()));
        assert!(!document.is_analysed());
        let current = document.start_analysis(4, usize::MAX, checked());
        assert!(document.finish(current.run(&rules).unwrap(), "2".into()));
        assert_eq!(document.findings[0].start, SNIPPET.find("create_websocket_manager").unwrap() + "# moved\n".len());
    }

    #[tokio::test]
    async fn a_job_parses_the_whole_text_only_when_the_check_needs_it() {
        let rules = RuleSet::builtin();
        let unclosed = SNIPPET.replace("create_websocket_manager(ctx)", "create_websocket_manager(ctx");
        let dangling = SNIPPET.replace("create_websocket_manager(ctx)", "create_websocket_manager(ctx) +");
        let broken_elsewhere = format!("{SNIPPET}\ndef other(:\n    pass\n");
        // (text, whether the job must parse the whole text): a skeleton with
        // syntax errors needs the whole text's parse to tell whether it has
        // errors too, unless the lexer saw a bracket left open.
        let cases = [
            (SNIPPET.to_string(), false),
            ("x = 1\n".to_string(), false),
            (unclosed, false),
            (dangling.clone(), true),
            (broken_elsewhere, false),
            // Lexed on past the lines the skeleton needs to find the bracket.
            (format!("{dangling}x = 1\ndef later(a,\n"), false),
        ];
        for (text, parses) in cases {
            let mut document = Document::opened(&text, 1, 1, FileScope::default());
            let job = document.start_analysis(2, usize::MAX, checked());
            assert!(document.finish(job.run(&rules).unwrap(), "1".into()));
            let fresh = syntax::parse_text(&text);
            assert_eq!(
                document.findings,
                analysis::scan_parsed(&rules, &FileScope::default(), &text, &fresh),
                "{text}"
            );
            assert_eq!(document.current_tree().is_some(), parses, "{text}");
            // A request that reads the tree gets the whole text's.
            let snapshot = document.snapshot().with_tree(|_, _| {}).await;
            assert_eq!(snapshot.tree.unwrap().root_node().to_sexp(), fresh.root_node().to_sexp(), "{text}");
        }
    }

    #[test]
    fn a_document_over_the_size_limit_is_not_parsed() {
        let rules = RuleSet::builtin();
        let mut document = Document::opened(SNIPPET, 1, 1, FileScope::default());
        let job = document.start_analysis(2, 10, checked());
        assert!(document.finish(job.run(&rules).unwrap(), "1".into()));
        assert!(document.is_analysed() && document.too_large);
        assert!(document.findings.is_empty() && document.current_tree().is_none());
        let job = document.start_analysis(3, usize::MAX, checked());
        assert!(document.finish(job.run(&rules).unwrap(), "2".into()));
        assert!(!document.too_large);
        assert_eq!(document.findings.len(), 1);
    }

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
        let mut document = Document::opened(SNIPPET, 1, 1, FileScope::default());
        let stale = document.start_analysis(2, usize::MAX, checked());
        let rope = document.rope.clone();
        document.apply_changes(&[change(&rope, 0, 0, "# moved\n", PositionEncoding::Utf8)], PositionEncoding::Utf8);
        document.version = 2;
        let current = document.start_analysis(3, usize::MAX, checked());
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
        let mut document = Document::opened(SNIPPET, 1, 1, FileScope::default());
        let job = document.start_analysis(2, usize::MAX, checked());
        document.apply_changes(
            &[TextDocumentContentChangeEvent { range: None, range_length: None, text: "x = 1\n".into() }],
            PositionEncoding::Utf8,
        );
        document.version = 2;
        let analysis = job.run(&rules).expect("a job that ran to its end");
        let _newer = document.start_analysis(3, usize::MAX, checked());
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
        assert_eq!(document.text.as_str(), SNIPPET);
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
                Just("\"\"\""),
                Just("'"),
                Just("'''"),
                Just("#"),
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

    /// A module like the code base's: imports at the top, inside functions
    /// and in `try`, an alias used on lines with no trigger string (the
    /// skeleton's second look), string paths, and plain code between.
    fn realistic_module() -> String {
        let filler = "class Plain:\n    def method(self, items):\n        total = sum(item.size for item in items)\n        return {\"total\": total, \"items\": [str(i) for i in items]}\n\n";
        [
            include_str!("../../tests/fixtures/forms/aliased_name.py"),
            filler,
            include_str!("../../tests/fixtures/forms/nested_function.py"),
            filler,
            include_str!("../../tests/fixtures/forms/try_except.py"),
            filler,
            include_str!("../../tests/fixtures/forms/parenthesised_multiline.py"),
            include_str!("../../tests/fixtures/forms/string_paths.py"),
            filler,
            include_str!("../../tests/fixtures/forms/module_alias.py"),
            filler,
            include_str!("../../tests/fixtures/forms/local_import_beside_canonical_uses.py"),
        ]
        .join("\n")
    }

    /// One keystroke-like edit: where (a fraction of the text), how many
    /// bytes it deletes, and what it inserts.
    fn keystroke_strategy() -> impl Strategy<Value = (f64, usize, &'static str)> {
        let insert = prop_oneof![
            Just(""),
            Just("x"),
            Just(" "),
            Just("é"),
            Just("\n"),
            Just("\n    "),
            Just("\r"),
            Just("("),
            Just(")"),
            Just("["),
            Just("]"),
            Just("{"),
            Just(":"),
            Just("\""),
            Just("'"),
            Just("\"\"\""),
            Just("#"),
            Just("\\"),
            Just("import "),
            Just("from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n"),
            Just("factory_create"),
            Just("create_websocket_manager(ctx)"),
            Just("get_websocket_manager"),
            Just("def f():\n"),
            // Brackets left open in the middle of the file, before a
            // statement that ends the broken line (`skeleton`'s lexer).
            Just("x = create_websocket_manager(ctx, "),
            Just("\nreturn ["),
            Just("\n    return {"),
            Just("\nclass C("),
            Just("\nasync def g(a,\n"),
            Just("\nelse:\n"),
            Just("f'{"),
            Just("\n    from netra_backend.app"),
        ];
        (0.0..=1.0f64, prop_oneof![3 => Just(0usize), 1 => 1..4usize, 1 => 5..60usize], insert)
    }

    /// The findings a new document gets for `text` on its first analysis.
    /// They are those of the whole text's tree (`scan_parsed`): without
    /// syntax errors the skeleton's findings equal those, and with errors
    /// the skeleton stands only when the whole text has errors too.
    fn fresh_findings(rules: &RuleSet, text: &str) -> Vec<Finding> {
        let mut fresh = Document::opened(text, 1, 1, FileScope::default());
        let job = fresh.start_analysis(2, usize::MAX, checked());
        assert!(fresh.finish(job.run(rules).unwrap(), "fresh".into()));
        let whole = analysis::scan_parsed(rules, &FileScope::default(), text, &syntax::parse_text(text));
        assert_eq!(fresh.findings, whole, "{text}");
        std::mem::take(&mut fresh.findings)
    }

    /// Opens a real-looking module (with CRLF line ends when `crlf`),
    /// types `keystrokes` into it and, after each, compares the document's
    /// findings with a fresh analysis of its text.
    fn type_and_compare(keystrokes: &[(f64, usize, &'static str)], crlf: bool) -> Result<(), TestCaseError> {
        let rules = RuleSet::builtin();
        let start = if crlf { realistic_module().replace('\n', "\r\n") } else { realistic_module() };
        let mut document = Document::opened(&start, 1, 1, FileScope::default());
        let job = document.start_analysis(2, usize::MAX, checked());
        prop_assert!(document.finish(job.run(&rules).unwrap(), "0".into()));
        let mut expected = start;
        for (step, (at, deleted, insert)) in keystrokes.iter().enumerate() {
            let start = floor_boundary(&expected, (*at * expected.len() as f64) as usize);
            let end = floor_boundary(&expected, start + deleted);
            // Never split a CRLF: LSP positions cannot point inside one.
            let start = if start > 0
                && expected.as_bytes()[start - 1] == b'\r'
                && expected.as_bytes().get(start) == Some(&b'\n')
            {
                start - 1
            } else {
                start
            };
            let end = if end > 0
                && end < expected.len()
                && expected.as_bytes()[end - 1] == b'\r'
                && expected.as_bytes()[end] == b'\n'
            {
                end + 1
            } else {
                end
            };
            let end = end.max(start);
            let rope = document.rope.clone();
            document
                .apply_changes(&[change(&rope, start, end, insert, PositionEncoding::Utf8)], PositionEncoding::Utf8);
            document.version += 1;
            expected.replace_range(start..end, insert);
            let job = document.start_analysis(3 + step as u64, usize::MAX, checked());
            prop_assert!(document.finish(job.run(&rules).unwrap(), step.to_string()));
            prop_assert_eq!(document.text.as_str(), expected.as_str());
            prop_assert_eq!(&document.findings, &fresh_findings(&rules, &expected), "after {:?}", &keystrokes[..=step]);
        }
        Ok(())
    }

    // Two tests of 100 cases each (LF and CRLF), so that the test threads
    // share them: as one test of 200 cases it ran alone for a minute after
    // the others were done.
    proptest! {
        #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

        /// The skeleton trees a document keeps between jobs (edited with each
        /// change, seeding the next skeleton parse) give the findings of a
        /// fresh analysis after every keystroke.
        #[test]
        fn incremental_skeleton_parses_equal_a_fresh_analysis(
            keystrokes in proptest::collection::vec(keystroke_strategy(), 1..24),
        ) {
            type_and_compare(&keystrokes, false)?;
        }

        /// The same in a CRLF file.
        #[test]
        fn incremental_skeleton_parses_of_a_crlf_file_equal_a_fresh_analysis(
            keystrokes in proptest::collection::vec(keystroke_strategy(), 1..24),
        ) {
            type_and_compare(&keystrokes, true)?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

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
                Just(include_str!("../../tests/fixtures/forms/string_paths.py").to_string()),
                Just(include_str!("../../tests/fixtures/forms/ignore_comment.py").to_string()),
                Just(format!("\"\"\"Module doc.\"\"\"\n{SNIPPET}\ndef g():\n    \"\"\"Doc of g.\n\n    More.\n    \"\"\"\n    s = '''a\nb'''\n    return 1\n\nclass C:\n    \"\"\"Doc.\"\"\"\n    x = \"y\"\n")),
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
            prop_assert_eq!(document.text.as_str(), expected.as_str());
            let fresh = syntax::parse_text(&expected);
            prop_assert_eq!(document.current_tree().unwrap().root_node().to_sexp(), fresh.root_node().to_sexp());
            let fresh_findings = analysis::scan_parsed(&rules, &FileScope::default(), &expected, &fresh);
            prop_assert_eq!(&document.findings, &fresh_findings);
        }
    }
}
