//! The workspace index: what the modules of the checked code base bind at
//! their top level, and the signature of each function and class.
//!
//! Fixes consult it before trusting the rule file: a name is moved to a
//! module only when that module binds it here, and a call is renamed only
//! when it fits the new callee. The index is lazy: a module is read and
//! parsed (whole) the first time a fix or a re-export asks about it, which
//! in practice means the few modules the rules name and those that re-export
//! them. A module that is not under any import root of the workspace is
//! `Outside` (a library): callers then fall back to the rule file.
//!
//! It knows tree-sitter and files, nothing of rules, findings or LSP.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tree_sitter::Node;

use crate::imports::{read_import, ImportItem};
use crate::rules::FileScope;
use crate::syntax::{self, node_text};

/// How deep re-exports are followed before giving up (cycles, long chains).
pub const MAX_REEXPORT_DEPTH: usize = 12;

/// Decorators that leave a function's or class's call signature as it is.
const SIGNATURE_KEEPING_DECORATORS: &[&str] =
    &["staticmethod", "classmethod", "abstractmethod", "override", "final", "typing.final", "typing.override"];

/// The kind of one parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    PositionalOnly,
    PositionalOrKeyword,
    KeywordOnly,
    /// `*args`
    VarPositional,
    /// `**kwargs`
    VarKeyword,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub kind: ParamKind,
    /// The text of its default value, blanks left out (`None`: it has none).
    pub default: Option<String>,
}

impl Param {
    pub fn has_default(&self) -> bool {
        self.default.is_some()
    }
}

/// How a function (or a class, through its `__init__` without `self`) is
/// called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub is_async: bool,
    pub params: Vec<Param>,
    /// The return annotation when it is a plain (dotted) name, quoted or
    /// not (`-> IsolatedWebSocketManager`, `-> "WebSocketManager"`).
    pub returns: Option<String>,
}

/// What one top-level name of a module is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// `def name(...)`; `None` when a decorator may change how it is called.
    Function(Option<Signature>),
    /// `class Name`; the signature of a call `Name(...)`, `None` when unknown
    /// (inherited `__init__`, a decorator such as `@dataclass`).
    Class(Option<Signature>),
    /// `from m import x [as name]` (`m.x`) or `import a.b as name` (`a.b`).
    Import(String),
    /// `name = other`, another top-level name of the same module.
    Alias(String),
    /// Any other assignment, or a name bound in several different ways.
    Value,
}

/// What a module binds at its top level (conditional and `try` bindings
/// included).
#[derive(Debug, Clone, Default)]
pub struct ModuleInfo {
    pub path: PathBuf,
    pub is_package: bool,
    pub bindings: HashMap<String, Binding>,
    /// The string entries of `__all__`, when it is assigned.
    pub all: Option<Vec<String>>,
    /// Absolute modules of `from m import *`.
    pub star_imports: Vec<String>,
    /// The module defines `__getattr__`: any name may resolve.
    pub dynamic: bool,
    /// The lines it was indexed from, when that was its outline (see
    /// [`index_text`]): a reading with the same outline binds the same.
    pub outline: Option<OutlineKey>,
}

/// The bytes of a module's outline, each kept range after its length: what
/// its index depends on (it stores no positions).
#[derive(Clone, PartialEq, Eq)]
pub struct OutlineKey(Vec<u8>);

impl OutlineKey {
    fn of(text: &str, ranges: &[(usize, usize)]) -> Self {
        let mut bytes = Vec::with_capacity(ranges.iter().map(|(start, end)| end - start + 8).sum());
        for (length, range) in Self::parts(text, ranges) {
            bytes.extend_from_slice(&length);
            bytes.extend_from_slice(range);
        }
        OutlineKey(bytes)
    }

    /// Whether these ranges of `text` make this key (without building one:
    /// a refresh asks on every round of typing).
    fn matches(&self, text: &str, ranges: &[(usize, usize)]) -> bool {
        let mut rest = self.0.as_slice();
        let same = Self::parts(text, ranges).all(|(length, range)| {
            let matched = rest.strip_prefix(&length[..]).and_then(|after| after.strip_prefix(range));
            matched.inspect(|after| rest = after).is_some()
        });
        same && rest.is_empty()
    }

    /// Each range's length (as bytes) and its bytes.
    fn parts<'a>(
        text: &'a str,
        ranges: &'a [(usize, usize)],
    ) -> impl Iterator<Item = ([u8; std::mem::size_of::<usize>()], &'a [u8])> + 'a {
        ranges.iter().map(|&(start, end)| ((end - start).to_le_bytes(), &text.as_bytes()[start..end]))
    }
}

impl std::fmt::Debug for OutlineKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OutlineKey({} bytes)", self.0.len())
    }
}

/// What a fully qualified path refers to in this workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Not in the workspace (a library, or nothing under the import roots).
    Outside,
    /// The workspace holds the module (or its package) but not the name; the
    /// text says what is missing where.
    Missing(String),
    /// A package of the workspace holds no such module (nor binds such a
    /// name). Either the module is missing from this code base, or the
    /// workspace holds only part of the package.
    MissingModule(String),
    /// A definition in the workspace: its module, name and binding.
    Defined { module: String, name: String, binding: Binding },
    /// A module of the workspace.
    Module(String),
    /// Bound, but to something the index cannot see (a library's name, a
    /// star import from outside, a module `__getattr__`).
    Bound,
}

impl Resolved {
    /// The signature of a call of what this resolves to, when known.
    pub fn signature(&self) -> Option<&Signature> {
        match self {
            Resolved::Defined { binding: Binding::Function(signature) | Binding::Class(signature), .. } => {
                signature.as_ref()
            }
            _ => None,
        }
    }

    /// `module.name` of a definition.
    pub fn definition_path(&self) -> Option<String> {
        match self {
            Resolved::Defined { module, name, .. } => Some(format!("{module}.{name}")),
            Resolved::Module(module) => Some(module.clone()),
            _ => None,
        }
    }
}

/// A shared index, as a checked file's `FileScope` carries it. Two handles
/// are equal when they share one index.
#[derive(Debug, Clone)]
pub struct SharedIndex(pub Arc<WorkspaceIndex>);

impl PartialEq for SharedIndex {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SharedIndex {}

impl std::ops::Deref for SharedIndex {
    type Target = WorkspaceIndex;
    fn deref(&self) -> &WorkspaceIndex {
        &self.0
    }
}

/// The line length when the project sets none (ruff's and black's default).
pub const DEFAULT_LINE_LENGTH: usize = 88;

/// Where the index reads a module's text: the text of an open editor buffer
/// for that path when there is one (the server gives its documents), else
/// the file on disk.
pub type TextOverlay = Arc<dyn Fn(&Path) -> Option<String> + Send + Sync>;

/// What a change to one file did to the index (`WorkspaceIndex::refresh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexChange {
    /// The index had not read the file: nothing that was checked used it.
    NotRead,
    /// The file's module binds the same names with the same signatures,
    /// as far as any check looked them up.
    Unchanged,
    /// The binding or signature of a name some check looked up in the
    /// module changed, or such a name appeared or went away (what fixes
    /// check against). A top-level name nobody asked for (a helper being
    /// typed into a canonical module) changes nothing any check answered.
    Definitions,
    /// What the module imports or re-exports changed (what findings
    /// through hubs depend on), or the file appeared or went away.
    Reexports,
}

/// The lazily built index of one workspace. Shared between threads.
#[derive(Default)]
pub struct WorkspaceIndex {
    /// Folders where top-level packages live, in the order they are searched.
    roots: Vec<PathBuf>,
    /// Module → what it binds (`None`: no such module in the workspace).
    modules: Mutex<HashMap<String, Option<Arc<ModuleInfo>>>>,
    /// Module → the names checks looked up in it (`resolve_name`,
    /// `reexport_chain`), found or not; only grows. A refresh reports
    /// `Definitions` only for a change to one of them. Noted before the
    /// module is read, and consulted by a refresh after the new reading is
    /// in place, so a lookup either is seen by the refresh or reads the new
    /// module.
    asked: Mutex<HashMap<String, HashSet<String>>>,
    /// The project's line length (`[tool.ruff]`, `[tool.black]`,
    /// `[tool.isort]` of the nearest `pyproject.toml`), for written imports.
    line_length: Option<usize>,
    /// Searches for the name of each top-level package or module under the
    /// roots and a dot (`app.`), made the first time they are asked for
    /// (`quoted_top_level`).
    top_level: std::sync::OnceLock<Vec<memchr::memmem::Finder<'static>>>,
    /// Re-exports used in practice (see `Reexports`); a hub whose name is
    /// listed here keeps it (its fix may only move it to the very same
    /// object).
    reexports: Mutex<Reexports>,
    /// Re-exports are recorded only when a check's `ReexportLog` is
    /// committed (the server), never by `record_reexport`.
    committed_reexports: bool,
    /// The last stamp given to a `ReexportLog`.
    log_stamps: std::sync::atomic::AtomicU64,
    /// Open editor buffers, read instead of the disk.
    overlay: Option<TextOverlay>,
    /// (module, alias): a module or package binds a deprecated name at its
    /// top level under another name (`import create_websocket_manager as
    /// make`, or a hub's alias passed on); the files that import the alias
    /// from it are followed like those that import a name of the rules' maps
    /// (`check` reads them for it).
    hub_aliases: Mutex<HubAliases>,
    /// Moves whenever a new re-export is recorded (the server then checks
    /// the hubs again).
    reexport_generation: std::sync::atomic::AtomicU64,
    /// Moves whenever something an answer of the index depends on may have
    /// changed: a module read, refreshed or forgotten, a re-export recorded
    /// or committed with a difference, a hub alias recorded. An analysis
    /// kept for reuse (`analysis::SkeletonTrees`) is reused only while it
    /// stays the same.
    state_generation: std::sync::atomic::AtomicU64,
    /// File → (a hash of its text, a hash of the text of each top-level
    /// function it defines): [`Self::function_text_hash`]'s readings, kept
    /// while the text stays the same.
    function_texts: Mutex<HashMap<PathBuf, FunctionTexts>>,
    /// Set while the workspace's importers of hubs are not all recorded yet
    /// (the server, until its first workspace scan is done): a buffer's
    /// module-level name may be imported elsewhere unseen
    /// ([`Self::importers_pending`]).
    importers_pending: std::sync::atomic::AtomicBool,
    /// Set when a workspace scan has checked every file against this index,
    /// recording who imports and patches what ([`Self::scanned`]).
    scanned: std::sync::atomic::AtomicBool,
    /// No workspace scan will record the importers of the workspace's
    /// modules (the server with `workspaceScan` off):
    /// [`Self::importers_unscanned`].
    importers_unscanned: bool,
}

/// A hash of a file's text, and one of the text of each top-level function
/// it defines, by name.
type FunctionTexts = (u64, Arc<HashMap<String, u64>>);

/// The hub aliases of a workspace recorded at one moment (see
/// `WorkspaceIndex::record_hub_alias`), as a test of texts.
#[derive(Debug)]
pub struct HubAliasNames {
    /// Each alias, with the last part of the name of each module binding it.
    aliases: Vec<(memchr::memmem::Finder<'static>, Vec<memchr::memmem::Finder<'static>>)>,
    /// The last parts of those modules' names, hashed once for every text's
    /// import words ([`Self::may_import_from_a_hub`]).
    hubs: crate::identifiers::WordHashes,
    /// How many (module, alias) pairs were recorded then: the set only
    /// grows, so a text tested against as many knows them all.
    recorded: usize,
}

/// The (module, alias) pairs `record_hub_alias` recorded.
#[derive(Debug, Default)]
struct HubAliases {
    pairs: BTreeSet<(String, String)>,
    /// `pairs` as a test of texts, built when first asked after a change.
    names: Option<Arc<HubAliasNames>>,
}

impl HubAliasNames {
    fn of(pairs: &BTreeSet<(String, String)>) -> HubAliasNames {
        let mut aliases: Vec<(memchr::memmem::Finder<'static>, Vec<memchr::memmem::Finder<'static>>)> = Vec::new();
        for (module, alias) in pairs {
            let last = module.rsplit('.').next().unwrap_or(module);
            let hub = memchr::memmem::Finder::new(last.as_bytes()).into_owned();
            match aliases.iter_mut().find(|(known, _)| known.needle() == alias.as_bytes()) {
                Some((_, hubs)) => hubs.push(hub),
                None => aliases.push((memchr::memmem::Finder::new(alias.as_bytes()).into_owned(), vec![hub])),
            }
        }
        let hubs =
            crate::identifiers::WordHashes::of(aliases.iter().flat_map(|(_, hubs)| hubs).map(|hub| hub.needle()));
        HubAliasNames { aliases, hubs, recorded: pairs.len() }
    }

    /// The aliases, once each.
    pub fn aliases(&self) -> Vec<String> {
        self.aliases.iter().map(|(alias, _)| String::from_utf8_lossy(alias.needle()).into_owned()).collect()
    }

    /// How many (module, alias) pairs this test knows.
    pub fn recorded(&self) -> usize {
        self.recorded
    }

    /// Whether a text with these import statements may import from a
    /// module that binds an alias (then `named_in` tells more).
    pub fn may_import_from_a_hub(&self, imports: &crate::identifiers::ImportWords) -> bool {
        imports.may_hold_any(&self.hubs)
    }

    /// Whether `bytes` may import an alias from a module binding it: they
    /// name the alias and the module's last part (which any import of it
    /// names: `from app.hub import make`, `from .hub import make`, `from .
    /// import hub` … `hub.make`), each as a whole word. A text whose
    /// non-ASCII letters may fold to ASCII ones (NFKC, as Python reads names)
    /// may too. A common alias (`manager`) thus does not send every file
    /// that says `websocket_manager` to a whole check.
    pub fn named_in(&self, bytes: &[u8]) -> bool {
        !self.aliases.is_empty() && (self.spelled_in(bytes) || crate::identifiers::may_hide_ascii_names(bytes))
    }

    /// [`Self::named_in`] for bytes whose `may_hide_ascii_names` is known.
    pub fn named_in_checked(&self, bytes: &[u8], hides_names: bool) -> bool {
        !self.aliases.is_empty() && (hides_names || self.spelled_in(bytes))
    }

    /// `named_in` for the aliases and modules spelled in ASCII, one SIMD
    /// substring search per alias: an automaton of the aliases
    /// (`make_ws_manager`, `create_manager`, `factory_create`) settled on a
    /// rare-byte prefilter whose bytes are common in code, and the check of
    /// realistic-old took 700 ms of CPU instead of 500.
    fn spelled_in(&self, bytes: &[u8]) -> bool {
        let names = |finder: &memchr::memmem::Finder<'_>| crate::identifiers::names_word(bytes, finder);
        self.aliases.iter().any(|(alias, hubs)| names(alias) && hubs.iter().any(names))
    }
}

/// Re-exports used in practice: which modules import a name from a hub,
/// where the name leads to a deprecated one. Filled by the checks of those
/// importers: at once (`record_reexport`, the CLI, whose files do not change
/// during a run), or per importer, replaced by what its latest check found
/// (`ReexportLog::commit`, the server).
#[derive(Debug, Default)]
struct Reexports {
    /// (hub module, name) → the importers; never an empty set.
    importers: HashMap<(String, String), BTreeSet<String>>,
    /// Importer → the stamp of its last committed check and the (hub, name)
    /// pairs that check found.
    committed: HashMap<String, (u64, BTreeSet<(String, String)>)>,
    /// Importer (the server's key: a file's path) → its module as its check
    /// named it, so that reasons name it as the CLI does and a check can
    /// tell its own record from others' (`tests/e2e/test_a.py` outside any
    /// package is `test_a`, not `tests.e2e.test_a`).
    modules: HashMap<String, String>,
}

/// The (hub, name) pairs one check of an importer found it importing
/// through hubs (what `record_reexport` would record), collected for the
/// caller to commit in one step once it keeps the check's result: the
/// server's files change while it runs, so an importer's pairs are replaced
/// by those of its latest check, never forgotten before it. Made by
/// `SharedIndex::reexport_log` before the check reads its text; its stamp
/// orders the checks of one importer.
#[derive(Clone)]
pub struct ReexportLog(Arc<LogState>);

struct LogState {
    index: SharedIndex,
    stamp: u64,
    pairs: Mutex<BTreeSet<(String, String)>>,
    /// The checked file's module, as its check names it.
    module: Mutex<Option<String>>,
}

impl ReexportLog {
    /// Notes that the check found its file importing `name` from `hub`.
    pub fn add(&self, hub: &str, name: &str) {
        let mut pairs = self.0.pairs.lock().unwrap_or_else(PoisonError::into_inner);
        pairs.insert((hub.to_string(), name.to_string()));
    }

    /// Notes the module the check's file is (`importer_key` of its scope).
    pub fn name_importer(&self, module: &str) {
        let mut named = self.0.module.lock().unwrap_or_else(PoisonError::into_inner);
        if named.is_none() && !module.is_empty() {
            *named = Some(module.to_string());
        }
    }

    /// The pairs noted so far.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.0.pairs.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }

    /// Makes the pairs found the whole record of `importer` in the index it
    /// came from, in one step under the index's lock. Returns the hubs that
    /// lost their last importer of a name (their own fix may keep the name
    /// no longer), or `None`, replacing nothing, when a check of `importer`
    /// that started later was committed first.
    pub fn commit(&self, importer: &str) -> Option<Vec<String>> {
        let found = self.0.pairs.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let module = self.0.module.lock().unwrap_or_else(PoisonError::into_inner).clone();
        self.0.index.commit_reexports(importer, self.0.stamp, found, module)
    }
}

impl PartialEq for ReexportLog {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ReexportLog {}

impl std::fmt::Debug for ReexportLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pairs = self.0.pairs.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("ReexportLog").field("stamp", &self.0.stamp).field("pairs", &*pairs).finish()
    }
}

impl SharedIndex {
    /// A new, empty log for one check of an importer (see `ReexportLog`).
    pub fn reexport_log(&self) -> ReexportLog {
        let stamp = self.log_stamps.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        ReexportLog(Arc::new(LogState {
            index: self.clone(),
            stamp,
            pairs: Mutex::default(),
            module: Mutex::default(),
        }))
    }
}

impl std::fmt::Debug for WorkspaceIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkspaceIndex").field("roots", &self.roots).field("line_length", &self.line_length).finish()
    }
}

impl WorkspaceIndex {
    /// An index over the packages found under `roots`.
    pub fn new(roots: Vec<PathBuf>) -> Self {
        let mut unique: Vec<PathBuf> = Vec::new();
        for root in roots {
            let root = std::fs::canonicalize(&root).unwrap_or(root);
            if root.is_dir() && !unique.contains(&root) {
                unique.push(root);
            }
        }
        WorkspaceIndex { roots: unique, line_length: None, ..WorkspaceIndex::default() }
    }

    /// The same index, writing imports to `line_length` columns.
    pub fn with_line_length(mut self, line_length: Option<usize>) -> Self {
        self.line_length = line_length;
        self
    }

    /// The same index, reading open editor buffers through `overlay`.
    pub fn with_overlay(mut self, overlay: TextOverlay) -> Self {
        self.overlay = Some(overlay);
        self
    }

    /// The same index, recording re-exports only when a check's
    /// `ReexportLog` is committed (the server: a check of a text it does not
    /// keep, a code action's or a fix round's, leaves nothing behind).
    pub fn with_committed_reexports(mut self) -> Self {
        self.committed_reexports = true;
        self
    }

    /// The same index, not yet knowing the workspace's importers (the
    /// server before its workspace scan): until [`Self::importers_recorded`],
    /// a buffer's module-level name is taken as possibly imported elsewhere.
    pub fn with_importers_pending(self) -> Self {
        self.importers_pending.store(true, std::sync::atomic::Ordering::SeqCst);
        self
    }

    /// The same index, with no workspace scan to record the importers (the
    /// server with `workspaceScan` off): a buffer's fix that depends on who
    /// imports or patches a name is at most unsafe, saying why.
    pub fn with_importers_unscanned(mut self) -> Self {
        self.importers_unscanned = true;
        self
    }

    /// See [`Self::with_importers_unscanned`].
    pub fn importers_unscanned(&self) -> bool {
        self.importers_unscanned
    }

    /// Whether the importers of the workspace's modules are still to be
    /// recorded (see `with_importers_pending`).
    pub fn importers_pending(&self) -> bool {
        self.importers_pending.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A workspace scan has checked every file against this index: the
    /// importers and patchers it records are the workspace's (and the
    /// server's watchers keep them so). Until then a fix that moves a name
    /// may not know the tests that patch it (`ssot.fixWorkspace` waits).
    pub fn mark_scanned(&self) {
        self.scanned.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// See [`Self::mark_scanned`].
    pub fn scanned(&self) -> bool {
        self.scanned.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every importer is recorded now (a workspace scan is done, or none
    /// will run). True when they were pending: the checks that took a name
    /// as possibly imported elsewhere are due again.
    pub fn importers_recorded(&self) -> bool {
        let was = self.importers_pending.swap(false, std::sync::atomic::Ordering::SeqCst);
        if was {
            self.moved();
        }
        was
    }

    /// Where a string literal of `bytes` may hold a dotted path of a
    /// workspace module: the offsets of the quotes before the name of a
    /// top-level package or module under the roots and a dot (`"app.` for
    /// `app/` or `app.py`), in order. The names are listed once (a top-level
    /// package created later is not searched for). One SIMD substring
    /// search per name, then a look at the byte before: an automaton of
    /// them settled on a rare-byte prefilter and cost a fifth of a whole
    /// check, and a search per quote and name twice this.
    pub fn quoted_top_level(&self, bytes: &[u8]) -> Vec<usize> {
        let finders = self.top_level.get_or_init(|| {
            let mut names: Vec<String> = Vec::new();
            for root in &self.roots {
                let Ok(entries) = std::fs::read_dir(root) else { continue };
                for entry in entries.flatten() {
                    let file_name = entry.file_name();
                    let Some(file_name) = file_name.to_str() else { continue };
                    let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
                    let name = if is_dir { Some(file_name) } else { file_name.strip_suffix(".py") };
                    if let Some(name) = name.filter(|name| crate::rules::is_dotted_path(name) && !name.contains('.')) {
                        names.push(name.to_string());
                    }
                }
            }
            names.sort();
            names.dedup();
            names.iter().map(|name| memchr::memmem::Finder::new(&format!("{name}.")).into_owned()).collect()
        });
        let mut opens: Vec<usize> = finders
            .iter()
            .flat_map(|finder| finder.find_iter(bytes))
            .filter_map(|at| at.checked_sub(1).filter(|&open| matches!(bytes[open], b'"' | b'\'')))
            .collect();
        opens.sort_unstable();
        opens
    }

    /// The project's line length, 88 when it sets none.
    pub fn line_length(&self) -> usize {
        self.line_length.unwrap_or(DEFAULT_LINE_LENGTH)
    }

    /// The import roots for checking `paths`: the configured ones, then the
    /// folder above the outermost package of each path (found through
    /// `__init__.py` files), each path itself and its `src/`, and `cwd`.
    pub fn roots_for(configured: &[PathBuf], paths: &[PathBuf], cwd: &Path) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = configured.to_vec();
        for path in paths {
            let path = if path.is_absolute() { path.clone() } else { cwd.join(path) };
            let folder =
                if path.is_dir() { path.clone() } else { path.parent().map(Path::to_path_buf).unwrap_or_default() };
            roots.push(crate::workspace::package_root_by_init(&folder));
            roots.push(folder.join("src"));
            roots.push(folder);
        }
        roots.push(cwd.to_path_buf());
        roots.push(cwd.join("src"));
        roots
    }

    /// Reads every module the rules name (deprecated modules, canonical
    /// modules, name targets, callables) now, so that a later `--fix`
    /// writing one of them does not change what the index saw.
    pub fn warm(&self, rules: &[crate::rules::Rule]) {
        for rule in rules {
            let targets = rule.names.values().filter_map(|mapping| mapping.target.as_ref()).map(|target| target.full());
            let paths = rule.module.iter().chain(&rule.canonical).chain(&rule.callables).cloned().chain(targets);
            for path in paths {
                let _ = self.resolve_path(&path);
            }
        }
    }

    /// Forgets every module read from `path` (the file changed on disk).
    /// Returns whether anything was forgotten.
    pub fn invalidate(&self, path: &Path) -> bool {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut modules = self.modules.lock().unwrap_or_else(PoisonError::into_inner);
        let before = modules.len();
        // A file that appears or disappears changes which modules exist:
        // forget the misses too.
        modules.retain(|_, info| info.as_ref().is_some_and(|info| info.path != path));
        let forgot = modules.len() != before;
        if forgot {
            self.moved();
        }
        forgot
    }

    /// Moves the state generation (see `state_generation`).
    fn moved(&self) {
        self.state_generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Notes that a check looks up `name` in `module` (see `asked`).
    fn note_asked(&self, module: &str, name: &str) {
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        // Strings are made only for a name not noted yet.
        if !asked.get(module).is_some_and(|names| names.contains(name)) {
            asked.entry(module.to_string()).or_default().insert(name.to_string());
        }
    }

    /// Whether a check looked up any of `names` in `module`.
    fn was_asked(&self, module: &str, names: &[String]) -> bool {
        let asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        asked.get(module).is_some_and(|asked| names.iter().any(|name| asked.contains(name)))
    }

    /// A number that moves whenever an answer of the index may have changed
    /// (a module read, refreshed or forgotten, re-exports or hub aliases
    /// recorded): an analysis made at one generation holds at the same one.
    pub fn state_generation(&self) -> u64 {
        self.state_generation.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records that `importer` imports `name` from the workspace module
    /// `hub`, and that the name leads to a deprecated one there. Returns
    /// whether this is new. Records nothing in an index whose re-exports
    /// are committed (`with_committed_reexports`).
    pub fn record_reexport(&self, hub: &str, name: &str, importer: &str) -> bool {
        if self.committed_reexports {
            return false;
        }
        let mut reexports = self.reexports.lock().unwrap_or_else(PoisonError::into_inner);
        let importers = &mut reexports.importers;
        let new = importers.entry((hub.to_string(), name.to_string())).or_default().insert(importer.to_string());
        if new {
            self.reexport_generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.moved();
        }
        new
    }

    /// Replaces what `importer` was recorded importing through hubs by
    /// `found`, unless a check with a later stamp was committed first (see
    /// `ReexportLog::commit`). A name that gains its first importer moves
    /// the generation (the server then checks the hubs again).
    fn commit_reexports(
        &self,
        importer: &str,
        stamp: u64,
        found: BTreeSet<(String, String)>,
        module: Option<String>,
    ) -> Option<Vec<String>> {
        let mut guard = self.reexports.lock().unwrap_or_else(PoisonError::into_inner);
        let Reexports { importers, committed, modules } = &mut *guard;
        let last = committed.entry(importer.to_string()).or_default();
        if last.0 >= stamp {
            return None;
        }
        if let Some(module) = module {
            modules.insert(importer.to_string(), module);
        }
        let before = std::mem::replace(last, (stamp, found));
        let found = &last.1;
        if before.1 != *found {
            self.moved();
        }
        let mut lost = Vec::new();
        for pair in before.1.difference(found) {
            let Some(set) = importers.get_mut(pair) else { continue };
            set.remove(importer);
            if set.is_empty() {
                importers.remove(pair);
                lost.push(pair.0.clone());
            }
        }
        let mut gained = false;
        for pair in found.difference(&before.1) {
            let set = importers.entry(pair.clone()).or_default();
            gained |= set.is_empty();
            set.insert(importer.to_string());
        }
        if gained {
            self.reexport_generation.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        lost.sort();
        lost.dedup();
        Some(lost)
    }

    /// Records that `module` binds a deprecated name at its top level as
    /// `alias`. Returns whether this is new.
    pub fn record_hub_alias(&self, module: &str, alias: &str) -> bool {
        let mut aliases = self.hub_aliases.lock().unwrap_or_else(PoisonError::into_inner);
        let new = aliases.pairs.insert((module.to_string(), alias.to_string()));
        if new {
            aliases.names = None;
            self.moved();
        }
        new
    }

    /// Whether `module` binds a deprecated name as `name` (see
    /// `record_hub_alias`).
    pub fn is_hub_alias(&self, module: &str, name: &str) -> bool {
        let aliases = self.hub_aliases.lock().unwrap_or_else(PoisonError::into_inner);
        aliases.pairs.contains(&(module.to_string(), name.to_string()))
    }

    /// Whether `bytes` may import an alias some hub gives a deprecated name
    /// (see `record_hub_alias`, `HubAliasNames::named_in`): a file without a
    /// trigger string may import it.
    pub fn names_a_hub_alias(&self, bytes: &[u8]) -> bool {
        self.hub_alias_names().named_in(bytes)
    }

    /// The hub aliases recorded so far, ready to test many texts with (built
    /// once per change, shared by the tests until the next).
    pub fn hub_alias_names(&self) -> Arc<HubAliasNames> {
        let mut aliases = self.hub_aliases.lock().unwrap_or_else(PoisonError::into_inner);
        let HubAliases { pairs, names } = &mut *aliases;
        Arc::clone(names.get_or_insert_with(|| Arc::new(HubAliasNames::of(pairs))))
    }

    /// A number that moves whenever `record_reexport` records something new,
    /// or a commit gives a hub's name its first importer.
    pub fn reexport_generation(&self) -> u64 {
        self.reexport_generation.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a change to `path` can matter to the index: it read a module
    /// from that file, or looked for one there and found none.
    pub fn concerns(&self, path: &Path) -> bool {
        // Asked on every keystroke: a path already under a root (the roots
        // are canonical) is taken as it is, without a system call.
        let path = if self.roots.iter().any(|root| path.starts_with(root)) {
            path.to_path_buf()
        } else {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        };
        let names = self.module_names_of(&path);
        let modules = self.modules.lock().unwrap_or_else(PoisonError::into_inner);
        names.iter().any(|name| modules.get(name).is_some_and(Option::is_none))
            || modules.values().any(|info| info.as_ref().is_some_and(|info| info.path == path))
    }

    /// How many files import `name` from `module` or patch it there, as
    /// recorded (`importers_of`, before names are merged).
    pub fn importer_count(&self, module: &str, name: &str) -> usize {
        let reexports = self.reexports.lock().unwrap_or_else(PoisonError::into_inner);
        reexports.importers.get(&(module.to_string(), name.to_string())).map_or(0, BTreeSet::len)
    }

    /// Whether more (or fewer) files patch the names of `seen` than when a
    /// fix was judged knowing them.
    pub fn patchers_changed(&self, seen: &crate::finding::PatchersSeen) -> bool {
        let now: usize = seen.names.iter().map(|(module, name)| self.importer_count(module, name)).sum();
        now != seen.count
    }

    /// The other modules of the workspace that import `name` from `module`,
    /// or patch it on it (as their checks recorded), by module name where
    /// the server recorded a file's path (the module its check named, else
    /// one under the index's roots), sorted: `module` re-exports it in
    /// practice when there is any.
    pub fn importers_of(&self, module: &str, name: &str) -> Vec<String> {
        let keys: Vec<(String, Option<String>)> = {
            let reexports = self.reexports.lock().unwrap_or_else(PoisonError::into_inner);
            let importers = reexports.importers.get(&(module.to_string(), name.to_string()));
            let named = |key: &String| (key.clone(), reexports.modules.get(key).cloned());
            importers.map(|importers| importers.iter().map(named).collect()).unwrap_or_default()
        };
        let mut names: Vec<String> = keys
            .into_iter()
            .map(|(key, named)| match (named, Path::new(&key).is_absolute()) {
                (Some(named), _) => named,
                (None, true) => self.module_names_of(Path::new(&key)).into_iter().next().unwrap_or(key),
                (None, false) => key,
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The modules some other module was recorded importing a deprecated
    /// name from: the hubs in practice.
    pub fn reexporting_modules(&self) -> Vec<String> {
        let reexports = self.reexports.lock().unwrap_or_else(PoisonError::into_inner);
        let mut hubs: Vec<String> = reexports.importers.keys().map(|(hub, _)| hub.clone()).collect();
        hubs.sort();
        hubs.dedup();
        hubs
    }

    /// The file or buffer at `path` changed (on disk, or in the editor):
    /// the modules read from it are read again and compared with what the
    /// index held, and the misses are forgotten (a file may have appeared).
    /// Says what changed, so that the server re-checks only when a finding
    /// or a fix can depend on it.
    pub fn refresh(&self, path: &Path) -> IndexChange {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let names = self.module_names_of(&path);
        let appeared;
        let read: Vec<(String, Arc<ModuleInfo>)> = {
            let mut modules = self.modules.lock().unwrap_or_else(PoisonError::into_inner);
            appeared = names.iter().any(|name| modules.get(name).is_some_and(Option::is_none));
            modules.retain(|_, info| info.is_some());
            modules
                .iter()
                .filter_map(|(name, info)| {
                    info.as_ref().filter(|info| info.path == path).map(|info| (name.clone(), info.clone()))
                })
                .collect()
        };
        // A module the index looked for and did not find: its absence
        // may have decided a fix.
        let mut change = if appeared { IndexChange::Reexports } else { IndexChange::NotRead };
        for (module, before) in read {
            let after = self.load(&module, Some(&before));
            let this = match &after {
                None => IndexChange::Reexports,
                Some(after) => compare_modules(&before, after),
            };
            let changed = match (this, &after) {
                (IndexChange::Definitions, Some(after)) => changed_names(&before, after),
                _ => Vec::new(),
            };
            self.modules.lock().unwrap_or_else(PoisonError::into_inner).insert(module.clone(), after);
            // After the new reading is in place (see `asked`).
            let this = if this == IndexChange::Definitions && !self.was_asked(&module, &changed) {
                IndexChange::Unchanged
            } else {
                this
            };
            change = change.max_with(this);
        }
        // After the modules are replaced: an analysis that read the
        // generation before sees it move.
        self.moved();
        change
    }

    /// The modules a file would be under the import roots.
    fn module_names_of(&self, path: &Path) -> Vec<String> {
        self.roots
            .iter()
            .filter_map(|root| path.strip_prefix(root).ok())
            .filter_map(|relative| {
                let mut parts: Vec<&str> = relative.iter().map(|part| part.to_str()).collect::<Option<_>>()?;
                let last = parts.pop()?.strip_suffix(".py")?;
                if last != "__init__" {
                    parts.push(last);
                }
                (!parts.is_empty()).then(|| parts.join("."))
            })
            .collect()
    }

    /// The file a module of the index was read from, when it was read.
    pub fn module_path(&self, module: &str) -> Option<PathBuf> {
        let modules = self.modules.lock().unwrap_or_else(PoisonError::into_inner);
        modules.get(module).and_then(|info| info.as_ref().map(|info| info.path.clone()))
    }

    /// What `module` binds, reading and parsing it the first time.
    pub fn module(&self, module: &str) -> Option<Arc<ModuleInfo>> {
        if let Some(cached) = self.modules.lock().unwrap_or_else(PoisonError::into_inner).get(module) {
            return cached.clone();
        }
        let info = self.load(module, None);
        let info = self
            .modules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(module.to_string())
            .or_insert(info)
            .clone();
        self.moved();
        info
    }

    /// Reads `module` from its file (or the overlay); `before`, an earlier
    /// reading of it, is kept when the outline is the same.
    fn load(&self, module: &str, before: Option<&Arc<ModuleInfo>>) -> Option<Arc<ModuleInfo>> {
        if !crate::rules::is_dotted_path(module) {
            return None;
        }
        let relative: PathBuf = module.split('.').collect();
        for root in &self.roots {
            let base = root.join(&relative);
            let file = base.with_extension("py");
            if file.is_file() {
                return self.read_module(module, &file, false, before);
            }
            let init = base.join("__init__.py");
            if init.is_file() {
                return self.read_module(module, &init, true, before);
            }
            if base.is_dir() && module.contains('.') {
                // A namespace package: it binds its submodules only.
                return Some(Arc::new(ModuleInfo { path: base, is_package: true, ..ModuleInfo::default() }));
            }
        }
        None
    }

    /// A hash of the text of the top-level function `name` of `module`
    /// (decorators, signature and body, less trailing blank and comment
    /// lines), when the module defines one: two modules whose functions
    /// hash alike define the same code. The module's text is read again
    /// each time (its index entry is kept while only bodies change), and
    /// parsed again only when it changed.
    pub fn function_text_hash(&self, module: &str, name: &str) -> Option<u64> {
        let path = self.module(module)?.path.clone();
        let text = match self.overlay.as_ref().and_then(|overlay| overlay(&path)) {
            Some(text) => text,
            None => std::fs::read_to_string(&path).ok()?,
        };
        let text_hash = hash_of(&text);
        let cached = {
            let texts = self.function_texts.lock().unwrap_or_else(PoisonError::into_inner);
            texts.get(&path).filter(|(hash, _)| *hash == text_hash).map(|(_, functions)| Arc::clone(functions))
        };
        let functions = cached.unwrap_or_else(|| {
            let functions = Arc::new(function_text_hashes(&text));
            let mut texts = self.function_texts.lock().unwrap_or_else(PoisonError::into_inner);
            texts.insert(path, (text_hash, Arc::clone(&functions)));
            functions
        });
        functions.get(name).copied()
    }

    /// What the dotted path `module.name` (or a module path) refers to.
    pub fn resolve_path(&self, path: &str) -> Resolved {
        self.resolve_path_at(path, 0)
    }

    fn resolve_path_at(&self, path: &str, depth: usize) -> Resolved {
        let parts: Vec<&str> = path.split('.').collect();
        if self.module(path).is_some() {
            return Resolved::Module(path.to_string());
        }
        for split in (1..parts.len()).rev() {
            let module = parts[..split].join(".");
            if self.module(&module).is_none() {
                continue;
            }
            let rest = &parts[split..];
            if rest.len() == 1 {
                return self.resolve_name_at(&module, rest[0], depth);
            }
            return match self.resolve_name_at(&module, rest[0], depth) {
                Resolved::Missing(_) => {
                    Resolved::MissingModule(format!("module `{module}.{}` does not exist", rest[0]))
                }
                _ => Resolved::Bound,
            };
        }
        Resolved::Outside
    }

    /// The paths `module.name` re-exports, in order: for a workspace module
    /// that binds `name` by an import (or an alias, or a star import of a
    /// workspace module), the imported path, then what that path re-exports
    /// in turn. Empty when `module` is not in the workspace or defines
    /// `name` itself.
    pub fn reexport_chain(&self, module: &str, name: &str) -> Vec<String> {
        let mut chain = Vec::new();
        let (mut module, mut name) = (module.to_string(), name.to_string());
        while chain.len() <= MAX_REEXPORT_DEPTH {
            self.note_asked(&module, &name);
            let Some(info) = self.module(&module) else { break };
            let next = match info.bindings.get(&name) {
                Some(Binding::Import(target)) => target.clone(),
                Some(Binding::Alias(other)) => format!("{module}.{other}"),
                Some(_) => break,
                None => match info.star_imports.iter().find(|star| {
                    self.note_asked(star, &name);
                    self.module(star).is_some_and(|source| source.bindings.contains_key(&name))
                }) {
                    Some(star) => format!("{star}.{name}"),
                    None => break,
                },
            };
            if chain.contains(&next) {
                break;
            }
            chain.push(next.clone());
            let Some((next_module, next_name)) = next.rsplit_once('.') else { break };
            (module, name) = (next_module.to_string(), next_name.to_string());
        }
        chain
    }

    /// What `name` is in `module` (a module of the workspace).
    pub fn resolve_name(&self, module: &str, name: &str) -> Resolved {
        self.resolve_name_at(module, name, 0)
    }

    fn resolve_name_at(&self, module: &str, name: &str, depth: usize) -> Resolved {
        if depth > MAX_REEXPORT_DEPTH {
            return Resolved::Bound;
        }
        self.note_asked(module, name);
        let Some(info) = self.module(module) else { return Resolved::Outside };
        if let Some(binding) = info.bindings.get(name) {
            return match binding {
                Binding::Import(target) => match self.resolve_path_at(target, depth + 1) {
                    Resolved::Outside | Resolved::Missing(_) | Resolved::MissingModule(_) => Resolved::Bound,
                    resolved => resolved,
                },
                Binding::Alias(other) => match self.resolve_name_at(module, other, depth + 1) {
                    Resolved::Missing(_) => Resolved::Bound,
                    resolved => resolved,
                },
                binding => {
                    Resolved::Defined { module: module.to_string(), name: name.to_string(), binding: binding.clone() }
                }
            };
        }
        let submodule = format!("{module}.{name}");
        if info.is_package && self.module(&submodule).is_some() {
            return Resolved::Module(submodule);
        }
        for star in &info.star_imports {
            if self.module(star).is_none() {
                return Resolved::Bound;
            }
            let exported = self.module(star).is_some_and(|source| match &source.all {
                Some(all) => all.iter().any(|entry| entry == name),
                None => !name.starts_with('_'),
            });
            if exported {
                match self.resolve_name_at(star, name, depth + 1) {
                    Resolved::Missing(_) => {}
                    resolved => return resolved,
                }
            }
        }
        if info.dynamic {
            return Resolved::Bound;
        }
        Resolved::Missing(format!("`{module}` defines no `{name}`"))
    }
}

impl WorkspaceIndex {
    /// Reads and indexes one module file (its open buffer, when the overlay
    /// has one); `None` when it cannot be read as UTF-8. Gives `before` (an
    /// earlier reading) back when the outline is the same: typing in a
    /// function body or a comment of a canonical module then costs a lex of
    /// the text, not a parse.
    fn read_module(
        &self,
        module: &str,
        path: &Path,
        is_package: bool,
        before: Option<&Arc<ModuleInfo>>,
    ) -> Option<Arc<ModuleInfo>> {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let text = match self.overlay.as_ref().and_then(|overlay| overlay(&path)) {
            Some(text) => text,
            None => std::fs::read_to_string(&path).ok()?,
        };
        let scope = FileScope { module: Some(module.to_string()), is_package, ..FileScope::default() };
        let ranges = outline_ranges(&text);
        if let (Some(before), Some(ranges)) = (before, &ranges) {
            let same = before.path == path
                && before.is_package == is_package
                && before.outline.as_ref().is_some_and(|key| key.matches(&text, ranges));
            if same {
                return Some(Arc::clone(before));
            }
        }
        Some(Arc::new(index_outlined(&text, &scope, path, ranges)))
    }
}

impl IndexChange {
    /// The larger of two changes (`Reexports` above `Definitions` above
    /// `Unchanged` above `NotRead`).
    pub fn max_with(self, other: IndexChange) -> IndexChange {
        let rank = |change: IndexChange| match change {
            IndexChange::NotRead => 0,
            IndexChange::Unchanged => 1,
            IndexChange::Definitions => 2,
            IndexChange::Reexports => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// What differs between two readings of one module.
fn compare_modules(before: &ModuleInfo, after: &ModuleInfo) -> IndexChange {
    fn imports(info: &ModuleInfo) -> Vec<(&String, &Binding)> {
        let mut imports: Vec<(&String, &Binding)> = info
            .bindings
            .iter()
            .filter(|(_, binding)| matches!(binding, Binding::Import(_) | Binding::Alias(_)))
            .collect();
        imports.sort_by(|a, b| a.0.cmp(b.0));
        imports
    }
    let same_reexports = imports(before) == imports(after)
        && before.all == after.all
        && before.star_imports == after.star_imports
        && before.dynamic == after.dynamic
        && before.is_package == after.is_package;
    if !same_reexports {
        IndexChange::Reexports
    } else if before.bindings != after.bindings {
        IndexChange::Definitions
    } else {
        IndexChange::Unchanged
    }
}

/// The names two readings of a module bind differently (one binds it, the
/// other not, or another binding or signature).
fn changed_names(before: &ModuleInfo, after: &ModuleInfo) -> Vec<String> {
    let gone_or_changed = before.bindings.iter().filter(|(name, binding)| after.bindings.get(*name) != Some(*binding));
    let new = after.bindings.iter().filter(|(name, _)| !before.bindings.contains_key(*name));
    gone_or_changed.chain(new).map(|(name, _)| name.clone()).collect()
}

/// Indexes the text of a module.
///
/// Only its outline is parsed when that parses cleanly: the lines outside
/// function bodies, less the methods other than `__init__` and `__new__`
/// (the bindings, signatures and `__all__` the index keeps all sit there).
/// A rule's canonical module in a real code base is thousands of lines, most
/// of them in bodies and methods, and every check reads it before its first
/// candidate: the realistic corpus's two canonical modules (207 KB) have an
/// outline of 2.6 KB (67 KB with every method's header, 8 ms of parsing).
/// Otherwise the whole text is parsed.
pub fn index_text(text: &str, scope: &FileScope, path: PathBuf) -> ModuleInfo {
    index_outlined(text, scope, path, outline_ranges(text))
}

/// [`index_text`] with the outline's ranges found (`None`: a broken line).
fn index_outlined(text: &str, scope: &FileScope, path: PathBuf, ranges: Option<Vec<(usize, usize)>>) -> ModuleInfo {
    let outlined = ranges.and_then(|ranges| {
        let tree = syntax::parse_ranges(text, &ranges);
        (!tree.root_node().has_error()).then(|| (tree, OutlineKey::of(text, &ranges)))
    });
    match outlined {
        Some((tree, key)) => ModuleInfo { outline: Some(key), ..index_tree(&tree, text, scope, path) },
        None => index_tree(&syntax::parse_text(text), text, scope, path),
    }
}

fn hash_of(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// [`WorkspaceIndex::function_text_hash`] of every top-level function of
/// `text`. A function ends where the next top-level statement starts (the
/// outline holds every one), less the blank and comment lines before it;
/// its lines are compared without their line ends and trailing blanks.
fn function_text_hashes(text: &str) -> HashMap<String, u64> {
    let tree = match outline_ranges(text) {
        Some(ranges) => syntax::parse_ranges(text, &ranges),
        None => syntax::parse_text(text),
    };
    let root = tree.root_node();
    let mut cursor = root.walk();
    let statements: Vec<Node<'_>> = root.named_children(&mut cursor).filter(|node| node.kind() != "comment").collect();
    let mut hashes = HashMap::new();
    for (at, statement) in statements.iter().enumerate() {
        let function = match statement.kind() {
            "decorated_definition" => statement.child_by_field_name("definition"),
            _ => Some(*statement),
        };
        let Some(function) = function.filter(|function| function.kind() == "function_definition") else { continue };
        let Some(name) = function.child_by_field_name("name") else { continue };
        let end = statements.get(at + 1).map_or(text.len(), |next| next.start_byte());
        let mut body = text[statement.start_byte()..end].trim_end();
        while let Some((rest, last)) = body.rsplit_once('\n') {
            if !last.trim_start().starts_with('#') {
                break;
            }
            body = rest.trim_end();
        }
        // Line by line, without trailing blanks: CRLF and LF files compare.
        let lines: Vec<&str> = body.lines().map(str::trim_end).collect();
        hashes.insert(node_text(name, text).to_string(), hash_of(&lines.join("\n")));
    }
    hashes
}

/// Indexes a module from a tree of its text (whole, or its outline).
fn index_tree(tree: &tree_sitter::Tree, text: &str, scope: &FileScope, path: PathBuf) -> ModuleInfo {
    let mut info = ModuleInfo { path, is_package: scope.is_package, ..ModuleInfo::default() };
    collect_block(tree.root_node(), tree.root_node(), text, scope, &mut info);
    info
}

/// The byte ranges of the outline of `text` (`LineStructure::outline_lines`,
/// with the first line of each body, which keeps it Python), when the lexer
/// found no broken line. The index parses them when they parse cleanly.
fn outline_ranges(text: &str) -> Option<Vec<(usize, usize)>> {
    let mut structure = crate::skeleton::LineStructure::lazy(text);
    let wanted = structure.outline_lines(text);
    if structure.has_broken_line() {
        return None;
    }
    let keep = structure.closure(&wanted);
    Some(structure.kept_ranges(&keep))
}

/// Records the bindings of the statements of a block of `module`, going
/// into compound statements (`if`, `try`, `with`, loops) but not into
/// functions or classes: all bind in the module.
fn collect_block<'tree>(module: Node<'tree>, block: Node<'tree>, text: &str, scope: &FileScope, info: &mut ModuleInfo) {
    let mut cursor = block.walk();
    for statement in block.named_children(&mut cursor) {
        collect_statement(module, statement, text, scope, info);
    }
}

fn collect_statement<'tree>(
    module: Node<'tree>,
    statement: Node<'tree>,
    text: &str,
    scope: &FileScope,
    info: &mut ModuleInfo,
) {
    match statement.kind() {
        "function_definition" | "class_definition" => define(statement, &[], text, info),
        "decorated_definition" => {
            let decorators: Vec<String> = {
                let mut cursor = statement.walk();
                statement
                    .named_children(&mut cursor)
                    .filter(|child| child.kind() == "decorator")
                    .map(|decorator| node_text(decorator, text).trim_start_matches('@').trim().to_string())
                    .collect()
            };
            if let Some(definition) = statement.child_by_field_name("definition") {
                define(definition, &decorators, text, info);
            }
        }
        "import_statement" | "import_from_statement" => {
            for record in read_import(statement, module, text, scope) {
                match &record.item {
                    ImportItem::Star { .. } => info.star_imports.push(record.module.clone()),
                    _ => {
                        if let (Some(binding), Some(target)) = (record.binding(), record.target()) {
                            bind(info, binding, Binding::Import(target));
                        }
                    }
                }
            }
        }
        "expression_statement" => {
            let mut cursor = statement.walk();
            for child in statement.named_children(&mut cursor) {
                if matches!(child.kind(), "assignment" | "augmented_assignment") {
                    collect_assignment(child, text, info);
                }
            }
        }
        "if_statement" | "try_statement" | "with_statement" | "for_statement" | "while_statement" => {
            for block in syntax::descendants_of_kind(statement, "block") {
                // Only the blocks of this statement and of its clauses, not
                // those of nested definitions.
                if enclosing_definition(block, statement).is_none() && is_direct_block(block, statement) {
                    collect_block(module, block, text, scope, info);
                }
            }
        }
        _ => {}
    }
}

/// Whether `block` belongs to `statement` or one of its clauses, not to a
/// compound statement nested inside one of its blocks.
fn is_direct_block(block: Node<'_>, statement: Node<'_>) -> bool {
    let mut current = block.parent();
    while let Some(node) = current {
        if node.id() == statement.id() {
            return true;
        }
        if node.kind() == "block" {
            return false;
        }
        current = node.parent();
    }
    false
}

/// The function or class between `node` and `top`, if any.
fn enclosing_definition<'tree>(node: Node<'tree>, top: Node<'tree>) -> Option<Node<'tree>> {
    let mut current = node.parent();
    while let Some(parent) = current {
        if parent.id() == top.id() {
            return None;
        }
        if matches!(parent.kind(), "function_definition" | "class_definition") {
            return Some(parent);
        }
        current = parent.parent();
    }
    None
}

fn collect_assignment(assignment: Node<'_>, text: &str, info: &mut ModuleInfo) {
    let Some(left) = assignment.child_by_field_name("left") else { return };
    let right = assignment.child_by_field_name("right");
    if left.kind() == "identifier" {
        let name = node_text(left, text).to_string();
        if name == "__all__" {
            let entries = right.map(|value| string_entries(value, text)).unwrap_or_default();
            match (&mut info.all, assignment.kind()) {
                (Some(all), "augmented_assignment") => all.extend(entries),
                _ => info.all = Some(entries),
            }
            return;
        }
        let binding = match right {
            Some(value) if value.kind() == "identifier" && assignment.kind() == "assignment" => {
                let other = node_text(value, text);
                // `X = X` after `from m import X` (a shim "keeping" the
                // name) binds the same object again: the binding stays.
                // With nothing bound before, `X` is a builtin (or unbound).
                match (other == name, info.bindings.contains_key(&name)) {
                    (true, true) => return,
                    (true, false) => Binding::Value,
                    (false, _) => Binding::Alias(other.to_string()),
                }
            }
            _ => Binding::Value,
        };
        bind(info, name, binding);
        return;
    }
    for identifier in syntax::descendants_of_kind(left, "identifier") {
        if identifier.parent().is_some_and(|parent| parent.kind() == "attribute" || parent.kind() == "subscript") {
            continue;
        }
        bind(info, node_text(identifier, text).to_string(), Binding::Value);
    }
}

/// The plain string elements of a list or tuple literal.
fn string_entries(value: Node<'_>, text: &str) -> Vec<String> {
    syntax::descendants_of_kind(value, "string")
        .into_iter()
        .filter_map(|string| syntax::string_content_range(string, text))
        .map(|(start, end)| text[start..end].to_string())
        .collect()
}

/// Binds a name; a second, different binding makes it a plain value (its
/// signature can no longer be known).
fn bind(info: &mut ModuleInfo, name: String, binding: Binding) {
    match info.bindings.get(&name) {
        Some(existing) if *existing != binding => {
            info.bindings.insert(name, Binding::Value);
        }
        Some(_) => {}
        None => {
            info.bindings.insert(name, binding);
        }
    }
}

fn define(definition: Node<'_>, decorators: &[String], text: &str, info: &mut ModuleInfo) {
    let Some(name_node) = definition.child_by_field_name("name") else { return };
    let name = node_text(name_node, text).to_string();
    let keeps_signature = decorators.iter().all(|decorator| SIGNATURE_KEEPING_DECORATORS.contains(&decorator.as_str()));
    let binding = match definition.kind() {
        "function_definition" => {
            if name == "__getattr__" {
                info.dynamic = true;
            }
            Binding::Function(function_signature(definition, text).filter(|_| keeps_signature))
        }
        _ => Binding::Class(class_signature(definition, text).filter(|_| keeps_signature)),
    };
    bind(info, name, binding);
}

/// The signature of a `function_definition`.
pub fn function_signature(function: Node<'_>, text: &str) -> Option<Signature> {
    let is_async = {
        let mut cursor = function.walk();
        let is_async = function.children(&mut cursor).any(|child| child.kind() == "async");
        is_async
    };
    let parameters = function.child_by_field_name("parameters")?;
    let mut params = Vec::new();
    let mut keyword_only = false;
    let mut cursor = parameters.walk();
    for parameter in parameters.named_children(&mut cursor) {
        let (name, kind, default) = match parameter.kind() {
            "identifier" => (node_text(parameter, text), ParamKind::PositionalOrKeyword, None),
            "default_parameter" | "typed_default_parameter" => {
                let value = parameter.child_by_field_name("value")?;
                let default = node_text(value, text).split_whitespace().collect::<String>();
                (node_text(parameter.child_by_field_name("name")?, text), ParamKind::PositionalOrKeyword, Some(default))
            }
            "typed_parameter" => {
                let inner = parameter.named_child(0)?;
                match inner.kind() {
                    "list_splat_pattern" => (splat_name(inner, text), ParamKind::VarPositional, None),
                    "dictionary_splat_pattern" => (splat_name(inner, text), ParamKind::VarKeyword, None),
                    _ => (node_text(inner, text), ParamKind::PositionalOrKeyword, None),
                }
            }
            "list_splat_pattern" => (splat_name(parameter, text), ParamKind::VarPositional, None),
            "dictionary_splat_pattern" => (splat_name(parameter, text), ParamKind::VarKeyword, None),
            "keyword_separator" => {
                keyword_only = true;
                continue;
            }
            "positional_separator" => {
                for param in params.iter_mut().filter(|param: &&mut Param| param.kind == ParamKind::PositionalOrKeyword)
                {
                    param.kind = ParamKind::PositionalOnly;
                }
                continue;
            }
            "comment" => continue,
            _ => return None,
        };
        let kind = match kind {
            ParamKind::PositionalOrKeyword if keyword_only => ParamKind::KeywordOnly,
            ParamKind::VarPositional => {
                keyword_only = true;
                kind
            }
            kind => kind,
        };
        params.push(Param { name: name.to_string(), kind, default });
    }
    let returns = function.child_by_field_name("return_type").and_then(|annotation| {
        let written = node_text(annotation, text).trim().trim_matches(['"', '\'']);
        let dotted = !written.is_empty()
            && written.split('.').all(|part| !part.is_empty() && part.chars().all(|c| c == '_' || c.is_alphanumeric()));
        dotted.then(|| written.to_string())
    });
    Some(Signature { is_async, params, returns })
}

fn splat_name<'a>(splat: Node<'_>, text: &'a str) -> &'a str {
    splat.named_child(0).map(|name| node_text(name, text)).unwrap_or_default()
}

/// The signature of `ClassName(...)`: its own `__init__` without `self`, or
/// no parameters for a class with neither `__init__` nor bases. `None` when
/// it cannot be known from the class alone.
fn class_signature(class: Node<'_>, text: &str) -> Option<Signature> {
    let body = class.child_by_field_name("body")?;
    let mut cursor = body.walk();
    let methods: Vec<Node> = body
        .named_children(&mut cursor)
        .filter_map(|child| match child.kind() {
            "function_definition" => Some(child),
            "decorated_definition" => child.child_by_field_name("definition").map(|_| child),
            _ => None,
        })
        .collect();
    let named = |node: Node<'_>, wanted: &str| {
        let definition =
            if node.kind() == "decorated_definition" { node.child_by_field_name("definition") } else { Some(node) };
        definition.and_then(|d| d.child_by_field_name("name")).is_some_and(|name| node_text(name, text) == wanted)
    };
    if methods.iter().any(|method| named(*method, "__new__")) {
        return None;
    }
    match methods.iter().find(|method| named(**method, "__init__")) {
        Some(init) if init.kind() == "function_definition" => {
            let mut signature = function_signature(*init, text)?;
            if signature.params.first().is_some_and(|first| first.kind != ParamKind::VarPositional) {
                signature.params.remove(0);
            }
            signature.is_async = false;
            Some(signature)
        }
        Some(_) => None,
        None => {
            let has_bases = class.child_by_field_name("superclasses").is_some_and(|bases| {
                let mut cursor = bases.walk();
                let any = bases.named_children(&mut cursor).any(|base| node_text(base, text) != "object");
                any
            });
            (!has_bases).then_some(Signature { is_async: false, params: Vec::new(), returns: None })
        }
    }
}

/// The arguments of one call, as far as they can be counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallShape {
    pub positional: usize,
    pub keywords: Vec<String>,
    /// `*args` or `**kwargs` at the call: the shape is unknown.
    pub has_splat: bool,
    /// The call is the operand of `await`.
    pub awaited: bool,
}

impl CallShape {
    /// Reads a `call` node.
    pub fn of(call: Node<'_>, text: &str) -> Self {
        let mut shape = CallShape { awaited: is_awaited(call), ..CallShape::default() };
        let Some(arguments) = call.child_by_field_name("arguments") else { return shape };
        if arguments.kind() == "generator_expression" {
            shape.positional = 1;
            return shape;
        }
        let mut cursor = arguments.walk();
        for argument in arguments.named_children(&mut cursor) {
            match argument.kind() {
                "comment" => {}
                "keyword_argument" => {
                    if let Some(name) = argument.child_by_field_name("name") {
                        shape.keywords.push(node_text(name, text).to_string());
                    }
                }
                "list_splat" | "dictionary_splat" | "parenthesized_list_splat" => shape.has_splat = true,
                _ => shape.positional += 1,
            }
        }
        shape
    }
}

fn is_awaited(call: Node<'_>) -> bool {
    awaiting(call).is_some()
}

/// The `await` whose operand `call` is, through parentheses.
pub fn awaiting(call: Node<'_>) -> Option<Node<'_>> {
    let mut node = call;
    // `Node::parent` searches down from the root: a climb through
    // thousands of parentheses costs the square of their depth. Deeper
    // than any real code nests them, the call counts as not awaited.
    for _ in 0..crate::syntax::MAX_CLIMB {
        let parent = node.parent()?;
        match parent.kind() {
            "parenthesized_expression" => node = parent,
            "await" => return Some(parent),
            _ => return None,
        }
    }
    None
}

/// Why a call does not fit a signature, or `None` when it does.
pub fn call_misfit(signature: &Signature, shape: &CallShape, callee: &str) -> Option<String> {
    if shape.awaited && !signature.is_async {
        return Some(format!("`{callee}` is not `async`, and the call is awaited"));
    }
    if !shape.awaited && signature.is_async {
        return Some(format!("`{callee}` is `async def`, and the call is not awaited"));
    }
    let positional = positional_names(signature);
    let var_positional = signature.params.iter().any(|param| param.kind == ParamKind::VarPositional);
    let var_keyword = signature.params.iter().any(|param| param.kind == ParamKind::VarKeyword);
    if shape.positional > positional.len() && !var_positional {
        return Some(format!(
            "`{callee}` takes at most {} positional argument{}, the call passes {}",
            positional.len(),
            if positional.len() == 1 { "" } else { "s" },
            shape.positional
        ));
    }
    let filled: Vec<&str> = positional.iter().take(shape.positional).copied().collect();
    for keyword in &shape.keywords {
        let param = signature.params.iter().find(|param| {
            param.name == *keyword && matches!(param.kind, ParamKind::PositionalOrKeyword | ParamKind::KeywordOnly)
        });
        match param {
            Some(_) if filled.contains(&keyword.as_str()) => {
                return Some(format!("the call passes `{keyword}` to `{callee}` twice"));
            }
            Some(_) => {}
            None if var_keyword => {}
            None => return Some(format!("`{callee}` does not accept `{keyword}=`")),
        }
    }
    let missing = signature.params.iter().find(|param| {
        !param.has_default()
            && matches!(param.kind, ParamKind::PositionalOnly | ParamKind::PositionalOrKeyword | ParamKind::KeywordOnly)
            && !filled.contains(&param.name.as_str())
            && !shape.keywords.contains(&param.name)
    });
    if shape.has_splat {
        return None;
    }
    missing.map(|param| format!("`{callee}` needs `{}`, which the call does not pass", param.name))
}

/// Why the call's positional arguments would bind other parameters of `new`
/// than they bind of `old`, or `None` when each binds a parameter of the
/// same name in both: `create_websocket_manager(ctx, "u1")` passes
/// `user_id`, and `get_websocket_manager(ctx, "u1")` would pass `"u1"` as
/// `mode`. An argument that only `*args` takes, in either, is not vouched
/// for either.
pub fn positional_misfit(old: &Signature, new: &Signature, shape: &CallShape, callees: (&str, &str)) -> Option<String> {
    let (was, would_be) = (positional_names(old), positional_names(new));
    let (old_callee, new_callee) = callees;
    (0..shape.positional).find_map(|index| {
        let (before, after) = (was.get(index), would_be.get(index));
        if before.is_some() && before == after {
            return None;
        }
        let name = |param: Option<&&str>| param.map_or_else(|| "`*args`".to_string(), |name| format!("`{name}`"));
        Some(format!(
            "the call's argument {} is {} of `{old_callee}`, and would be {} of `{new_callee}`",
            index + 1,
            name(before),
            name(after)
        ))
    })
}

/// Why the call would get another default value from `new` than from
/// `old`, or `None` when it would not: a parameter the call leaves out
/// that both callees have, with defaults written differently
/// (`mode=WebSocketManagerMode.ISOLATED` in the old one, `mode=…UNIFIED`
/// in the new one). Defaults written alike count as the same value.
pub fn default_change(old: &Signature, new: &Signature, shape: &CallShape, callees: (&str, &str)) -> Option<String> {
    let bound = positional_names(new);
    let bound = &bound[..shape.positional.min(bound.len())];
    let (old_callee, new_callee) = callees;
    new.params.iter().find_map(|param| {
        let after = param.default.as_deref()?;
        if bound.contains(&param.name.as_str()) || shape.keywords.contains(&param.name) {
            return None;
        }
        let before = old.params.iter().find(|old_param| old_param.name == param.name)?.default.as_deref()?;
        (before != after).then(|| {
            format!(
                "the call leaves `{}` to its default: `{before}` from `{old_callee}` now, `{after}` from `{new_callee}` after the fix",
                param.name
            )
        })
    })
}

/// The names of the parameters a signature's positional arguments bind, in
/// order (before `*args`).
fn positional_names(signature: &Signature) -> Vec<&str> {
    signature
        .params
        .iter()
        .filter(|param| matches!(param.kind, ParamKind::PositionalOnly | ParamKind::PositionalOrKeyword))
        .map(|param| param.name.as_str())
        .collect()
}

/// Whether `old` and `new` take the same parameters (names and kinds, in
/// order), so that `*args` and `**kwargs` at a call bind the same ones.
pub fn same_parameters(old: &Signature, new: &Signature) -> bool {
    old.params.len() == new.params.len()
        && old
            .params
            .iter()
            .zip(&new.params)
            .all(|(before, after)| before.name == after.name && before.kind == after.kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an index keeps of a module, in a comparable form.
    fn kept(info: &ModuleInfo) -> String {
        let mut bindings: Vec<_> = info.bindings.iter().collect();
        bindings.sort_by(|a, b| a.0.cmp(b.0));
        format!("{bindings:?} {:?} {:?} {} {}", info.all, info.star_imports, info.dynamic, info.is_package)
    }

    const MODULE_FORMS: &str = r#""""Managers."""
import os
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from pkg.types import Context
try:
    from fast import thing
except ImportError:  # fallback
    thing = None
else:
    other = thing
__all__ = ["make", "Manager", "Plain"]
LIMIT: int = 3
@decorator
async def make(user_id: str, *, retries: int = 3, **kwargs) -> "Manager":
    def inner():
        import hidden
        return hidden
    text = """
def fake(a):
    pass
"""
    return Manager(user_id)
@staticmethod
def wrapped(a, /, b, *rest): pass
class Manager(Base):
    kind = "m"
    def __init__(self, a, b=2, *args, c, **kw):
        self.a = a
        def nested(): pass
    @property
    def name(self): return "n"
class Plain:
    def method(self):
        if self:
            return [
                1,
            ]
class Made:
    def __new__(cls, value):
        return super().__new__(cls)
class Ordered:
    @staticmethod
    def helper(
        a,
    ):
        return a
    def other(self): return 1
    def __init__(self, x, *, y=1):
        self.x = x
    @wrap(
        1,
    )
    def later(self): pass
class OneLine: pass
for name in ("x", "y"):
    globals()[name] = name
def __getattr__(name):
    raise AttributeError(name)
def one_liner(a): return a
async def spaced(
    a,
    b=(1,
       2),
):
    # only a comment, then a body
    pass
with open(os.devnull) as handle:
    opened = handle
from .sibling import *
"#;

    /// The tree of a module's outline, when it parses cleanly.
    fn outline_tree(text: &str) -> Option<tree_sitter::Tree> {
        let tree = syntax::parse_ranges(text, &outline_ranges(text)?);
        (!tree.root_node().has_error()).then_some(tree)
    }

    /// A folder holding the package `pkg` with the module `pkg.canon`
    /// (`text`), and that module's path.
    fn canon_package(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pkg/canon.py");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(dir.path().join("pkg/__init__.py"), "").unwrap();
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn an_outline_key_matches_only_the_ranges_it_was_made_of() {
        let text = "ab\ncd\nef\n";
        let key = OutlineKey::of(text, &[(0, 3), (6, 9)]);
        assert!(key.matches(text, &[(0, 3), (6, 9)]));
        assert!(key.matches("ab\nXY\nef\n", &[(0, 3), (6, 9)]), "bytes outside the ranges do not count");
        assert!(!key.matches(text, &[(0, 3)]), "fewer ranges");
        assert!(!key.matches(text, &[(0, 3), (6, 9), (3, 6)]), "more ranges");
        assert!(!key.matches(text, &[(0, 6), (6, 9)]), "other boundaries");
        assert!(!key.matches("ab\ncd\neg\n", &[(0, 3), (6, 9)]), "other bytes");
    }

    #[test]
    fn a_refresh_with_the_same_outline_keeps_the_reading() {
        let module = |body: &str, comment: &str| {
            format!("import os\n{comment}\nasync def make(ctx=None):\n    first = 1\n{body}    return first\n")
        };
        let (dir, path) = canon_package(&module("", ""));
        let index = WorkspaceIndex::new(vec![dir.path().to_path_buf()]);
        let reading = || index.modules.lock().unwrap().get("pkg.canon").cloned().flatten().expect("read");
        assert!(index.resolve_path("pkg.canon.make").signature().is_some());
        let first = reading();
        assert!(first.outline.is_some(), "indexed from its outline");

        // A body line past the first, a comment: the same outline, kept.
        std::fs::write(&path, module("    second = first + 1\n", "# a comment\n")).unwrap();
        assert_eq!(index.refresh(&path), IndexChange::Unchanged);
        assert!(Arc::ptr_eq(&first, &reading()), "the same outline: the reading is kept");

        // The body's first line is part of the outline: read again, unchanged.
        std::fs::write(&path, module("", "").replace("first = 1", "first = 2")).unwrap();
        assert_eq!(index.refresh(&path), IndexChange::Unchanged);
        let second = reading();
        assert!(!Arc::ptr_eq(&first, &second), "another outline: read again");

        // A new parameter: read again, and the signature follows.
        std::fs::write(&path, module("", "").replace("ctx=None", "ctx=None, user_id=None")).unwrap();
        assert_eq!(index.refresh(&path), IndexChange::Definitions);
        assert_eq!(index.resolve_path("pkg.canon.make").signature().unwrap().params.len(), 2);

        // A broken line: no outline, the whole text is read, every time.
        let broken = format!("{}value = (1,\n", module("", ""));
        std::fs::write(&path, &broken).unwrap();
        index.refresh(&path);
        let whole = reading();
        assert!(whole.outline.is_none());
        index.refresh(&path);
        assert!(!Arc::ptr_eq(&whole, &reading()), "no outline to compare: read again");
    }

    #[test]
    fn the_outline_indexes_as_the_whole_text() {
        let scope = FileScope { module: Some("pkg.mod".into()), ..FileScope::default() };
        let same = |text: &str, what: &str| {
            let whole = index_tree(&syntax::parse_text(text), text, &scope, PathBuf::from("m.py"));
            let outline = outline_tree(text).unwrap_or_else(|| panic!("{what}: the outline parses"));
            assert_eq!(kept(&index_tree(&outline, text, &scope, PathBuf::from("m.py"))), kept(&whole), "{what}");
            assert_eq!(kept(&index_text(text, &scope, PathBuf::from("m.py"))), kept(&whole), "{what}");
        };
        same(MODULE_FORMS, "module");
        same(&MODULE_FORMS.replace('\n', "\r\n"), "CRLF");
        same(&format!("\u{feff}{MODULE_FORMS}"), "BOM");
        same(&MODULE_FORMS.replace("    ", "\t"), "tabs");
        assert!(kept(&info_of(MODULE_FORMS)).contains("\"spaced\""), "the test module binds what it should");
        let ordered = info_of(MODULE_FORMS).bindings.get("Ordered").cloned();
        assert!(
            matches!(ordered, Some(Binding::Class(Some(signature))) if signature.params.len() == 2),
            "`__init__` after other methods"
        );
        // Every module of the fixtures.
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut checked = 0;
        for entry in ignore::WalkBuilder::new(&fixtures).hidden(false).git_ignore(false).build().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|extension| extension != "py") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(path) else { continue };
            let whole_tree = syntax::parse_text(&text);
            if whole_tree.root_node().has_error() {
                continue;
            }
            let whole = index_tree(&whole_tree, &text, &scope, path.to_path_buf());
            assert_eq!(kept(&index_text(&text, &scope, path.to_path_buf())), kept(&whole), "{path:?}");
            checked += 1;
        }
        assert!(checked > 50, "{checked} fixture modules");
    }

    #[test]
    fn the_outline_leaves_function_bodies_out() {
        let body = "    x = compute()\n".repeat(200);
        let method_body = "        self.x = compute()\n".repeat(200);
        let text =
            format!("import os\n\ndef f(a, b=1):\n{body}\nclass C:\n    def __init__(self, c):\n{method_body}\n");
        let mut structure = crate::skeleton::LineStructure::lazy(&text);
        let wanted = structure.outline_lines(&text);
        let keep = structure.closure(&wanted);
        let kept_bytes: usize = structure.kept_ranges(&keep).iter().map(|(start, end)| end - start).sum();
        // The headers and the first line of each body.
        assert!(kept_bytes < 200, "{kept_bytes} of {} bytes kept", text.len());
        let info = info_of(&text);
        assert!(
            matches!(info.bindings.get("f"), Some(Binding::Function(Some(signature))) if signature.params.len() == 2)
        );
        assert!(matches!(info.bindings.get("C"), Some(Binding::Class(Some(signature))) if signature.params.len() == 1));
    }

    /// The kept text of `text`'s outline, each range on a line of its own.
    fn outline_text(text: &str) -> String {
        let ranges = outline_ranges(text).expect("no broken line");
        ranges.iter().map(|&(start, end)| text[start..end].trim_end()).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn the_outline_keeps_of_a_class_only_the_methods_of_its_signature() {
        let methods: String = (0..50)
            .map(|n| format!("    @property\n    def value_{n}(self, a: int = {n}) -> int:\n        return a\n\n"))
            .collect();
        let text = format!(
            "class Plain:\n    \"\"\"A class.\"\"\"\n{methods}    @staticmethod\n    def helper():\n        pass\n\n    \
             @classmethod\n    @functools.wraps(f)\n    def __init__(self, mode, user_context=None):\n        self.mode = mode\n\n\
             {methods}class Made:\n    async def make(self):\n        pass\n    def \\\n      __new__(cls, value):\n        \
             return super().__new__(cls)\n\nclass Folded:\n    count = 0\n    def go(self):\n        pass\n    def __\u{ff49}nit__(self, a, b):\n        \
             pass\n"
        );
        let outline = outline_text(&text);
        assert!(!outline.contains("value_"), "{outline}");
        assert!(!outline.contains("helper") && !outline.contains("@staticmethod"), "{outline}");
        assert!(outline.contains("@classmethod") && outline.contains("def __init__(self, mode"), "{outline}");
        assert!(outline.contains("__new__(cls, value)"), "{outline}");
        // `make` is the first statement of its class: kept to keep it Python.
        assert!(outline.contains("async def make"), "{outline}");
        assert!(!outline.contains("def go"), "{outline}");
        assert!(outline.contains("\u{ff49}nit__(self, a, b)"), "a name NFKC folds to `__init__` may be it: {outline}");
        let info = info_of(&text);
        let whole = index_tree(&syntax::parse_text(&text), &text, &FileScope::default(), PathBuf::from("mod.py"));
        assert_eq!(kept(&info), kept(&whole));
        assert!(matches!(info.bindings.get("Plain"), Some(Binding::Class(None))), "a decorated `__init__`: unknown");
        assert!(matches!(info.bindings.get("Made"), Some(Binding::Class(None))), "`__new__`: unknown");
    }

    fn info_of(text: &str) -> ModuleInfo {
        let scope = FileScope { module: Some("pkg.mod".into()), ..FileScope::default() };
        index_text(text, &scope, PathBuf::from("mod.py"))
    }

    #[test]
    fn a_text_names_a_hub_alias_with_its_hub() {
        let index = WorkspaceIndex::new(Vec::new());
        assert!(!index.names_a_hub_alias(b"from app.hub import manager\n"), "none recorded");
        assert!(index.record_hub_alias("app.services.hub", "manager"));
        assert!(index.record_hub_alias("app.other", "manager"));
        assert!(!index.record_hub_alias("app.other", "manager"), "recorded once");
        let aliases = index.hub_alias_names();
        assert_eq!(aliases.recorded(), 2);
        for text in [
            "from app.services.hub import manager\n",
            "from .hub import (\n    manager,\n)\n",
            "from app.services import hub\n\nx = hub.manager(ctx)\n",
            "import app.other as o\no.manager()\n",
            // NFKC folds the fullwidth letter: Python reads `manager`.
            "from .hub import ｍanager\n",
        ] {
            assert!(aliases.named_in(text.as_bytes()), "{text}");
        }
        for text in [
            "",
            "from app.websocket_manager import get_websocket_manager\n",
            "from app.services.hub import make\n",
            "from app.services.hubs import manager\n",
            "manager = service.manager\n",
        ] {
            assert!(!aliases.named_in(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn each_alias_is_found_with_its_own_hubs() {
        let index = WorkspaceIndex::new(Vec::new());
        index.record_hub_alias("app.hub", "make");
        index.record_hub_alias("app.other", "make_ws");
        index.record_hub_alias("app.third", "create");
        let aliases = index.hub_alias_names();
        // An alias that starts another hides nothing of it.
        assert!(aliases.named_in(b"from app.other import make_ws\n"));
        assert!(!aliases.named_in(b"from app.hub import make_ws\n"), "make_ws is not app.hub's");
        // An alias named without its hub, then another with its own.
        assert!(aliases.named_in(b"make = 1\ncreate = 2\nmake = 3\nfrom app.third import create\n"));
        assert!(!aliases.named_in(b"make = 1\ncreate = 2\nfrom app.fourth import create\n"));
        assert!(aliases.named_in_checked(b"x = 1\n", true), "a text that may hide names may name one");
        assert!(!aliases.named_in_checked(b"x = 1\n", false));
        let none = WorkspaceIndex::new(Vec::new()).hub_alias_names();
        assert!(!none.named_in_checked(b"x = 1\n", true), "no alias recorded");
    }

    #[test]
    fn reads_bindings_and_signatures() {
        let info = info_of(
            "import os\nfrom .x import y as z\ntry:\n    from a import b\nexcept ImportError:\n    b = None\n\
             async def f(a, /, b, *, c=1, **kw): pass\n@decorate\ndef g(): pass\n\
             class C:\n    def __init__(self, x, y=2): pass\nAlias = C\n__all__ = ['f', 'C']\n__all__ += ['g']\n\
             from .shim import Kept\nKept = Kept\nSelf = Self\n",
        );
        assert_eq!(info.bindings["os"], Binding::Import("os".into()));
        assert_eq!(info.bindings["z"], Binding::Import("pkg.x.y".into()));
        assert_eq!(info.bindings["b"], Binding::Value, "bound twice, differently");
        let Binding::Function(Some(f)) = &info.bindings["f"] else { panic!("{:?}", info.bindings["f"]) };
        assert!(f.is_async);
        let kinds: Vec<ParamKind> = f.params.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [ParamKind::PositionalOnly, ParamKind::PositionalOrKeyword, ParamKind::KeywordOnly, ParamKind::VarKeyword]
        );
        assert_eq!(info.bindings["g"], Binding::Function(None), "an unknown decorator hides the signature");
        let Binding::Class(Some(c)) = &info.bindings["C"] else { panic!() };
        assert_eq!(c.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(info.bindings["Alias"], Binding::Alias("C".into()));
        // A shim's `Kept = Kept` passes on what it imported.
        assert_eq!(info.bindings["Kept"], Binding::Import("pkg.shim.Kept".into()));
        assert_eq!(info.bindings["Self"], Binding::Value, "nothing bound before: a builtin, say");
        assert_eq!(info.all.as_deref(), Some(&["f".to_string(), "C".to_string(), "g".to_string()][..]));
    }

    #[test]
    fn remembers_which_modules_import_a_name_from_a_hub() {
        let index = WorkspaceIndex::default();
        assert!(index.importers_of("pkg.hub", "make").is_empty());
        assert!(index.record_reexport("pkg.hub", "make", "app.a"));
        assert!(!index.record_reexport("pkg.hub", "make", "app.a"), "recorded once");
        index.record_reexport("pkg.hub", "make", "app.b");
        index.record_reexport("pkg.other", "make", "app.b");
        assert_eq!(index.importers_of("pkg.hub", "make"), ["app.a", "app.b"]);
        assert!(index.importers_of("pkg.hub", "other").is_empty());
        assert_eq!(index.reexporting_modules(), ["pkg.hub", "pkg.other"]);
    }

    fn shared() -> SharedIndex {
        SharedIndex(Arc::new(WorkspaceIndex::default().with_committed_reexports()))
    }

    fn commit(index: &SharedIndex, importer: &str, pairs: &[(&str, &str)]) -> Option<Vec<String>> {
        let log = index.reexport_log();
        for (hub, name) in pairs {
            log.add(hub, name);
        }
        log.commit(importer)
    }

    #[test]
    fn a_commit_replaces_what_an_importer_imports_through_hubs() {
        let index = shared();
        assert_eq!(commit(&index, "app/a.py", &[("pkg.hub", "make")]), Some(vec![]));
        assert_eq!(commit(&index, "app/b.py", &[("pkg.hub", "make"), ("pkg.other", "make")]), Some(vec![]));
        assert_eq!(index.reexporting_modules(), ["pkg.hub", "pkg.other"]);
        // b drops its import from pkg.other and keeps the one from pkg.hub.
        assert_eq!(commit(&index, "app/b.py", &[("pkg.hub", "make")]), Some(vec!["pkg.other".to_string()]));
        assert!(index.importers_of("pkg.other", "make").is_empty());
        assert!(!index.importers_of("pkg.hub", "make").is_empty());
        // a drops it: b still imports it.
        assert_eq!(commit(&index, "app/a.py", &[]), Some(vec![]));
        assert!(!index.importers_of("pkg.hub", "make").is_empty(), "app/b.py still imports it");
        // b is deleted: the hub loses its last importer of the name.
        assert_eq!(commit(&index, "app/b.py", &[]), Some(vec!["pkg.hub".to_string()]));
        assert!(index.reexporting_modules().is_empty());
    }

    #[test]
    fn a_commit_of_an_older_check_replaces_nothing() {
        let index = shared();
        let older = index.reexport_log();
        older.add("pkg.hub", "make");
        let newer = index.reexport_log();
        assert_eq!(newer.commit("app/a.py"), Some(vec![]));
        assert_eq!(older.commit("app/a.py"), None, "a check that started later was committed");
        assert!(index.importers_of("pkg.hub", "make").is_empty());
        assert_eq!(older.commit("app/other.py"), Some(vec![]), "stamps order the checks of one importer");
        assert!(!index.importers_of("pkg.hub", "make").is_empty());
    }

    #[test]
    fn only_a_names_first_importer_moves_the_generation() {
        let index = shared();
        let start = index.reexport_generation();
        commit(&index, "app/a.py", &[("pkg.hub", "make")]);
        let first = index.reexport_generation();
        assert_ne!(first, start);
        commit(&index, "app/b.py", &[("pkg.hub", "make")]);
        commit(&index, "app/a.py", &[("pkg.hub", "make")]);
        assert_eq!(index.reexport_generation(), first, "the hub kept the name already");
    }

    #[test]
    fn an_index_with_committed_reexports_takes_no_direct_records() {
        let index = shared();
        assert!(!index.record_reexport("pkg.hub", "make", "app.a"));
        assert!(index.importers_of("pkg.hub", "make").is_empty());
    }

    /// An importer checked again and again, finding the same import each
    /// time: its hub never looks unimported in between (a check of the hub
    /// then would offer a fix that breaks the importer).
    #[test]
    fn a_recommitted_name_never_looks_unimported() {
        let index = shared();
        commit(&index, "app/a.py", &[("pkg.hub", "make")]);
        let committer = {
            let index = index.clone();
            std::thread::spawn(move || {
                for _ in 0..2000 {
                    commit(&index, "app/a.py", &[("pkg.hub", "make")]);
                }
            })
        };
        while !committer.is_finished() {
            assert!(!index.importers_of("pkg.hub", "make").is_empty());
        }
        committer.join().unwrap();
        assert!(!index.importers_of("pkg.hub", "make").is_empty());
    }

    #[test]
    fn a_refresh_says_what_changed() {
        let (dir, path) = canon_package("import os\nasync def make(ctx=None): pass\n");
        let index = WorkspaceIndex::new(vec![dir.path().to_path_buf()]);
        assert_eq!(index.refresh(&path), IndexChange::NotRead);
        assert!(!index.concerns(&path));
        assert!(index.resolve_path("pkg.canon.make").signature().is_some());
        assert!(index.concerns(&path));
        std::fs::write(&path, "import os\nasync def make(ctx=None):\n    return 1\n").unwrap();
        assert_eq!(index.refresh(&path), IndexChange::Unchanged, "a body changed");
        std::fs::write(&path, "import os\nasync def make(ctx=None, user_id=None): pass\n").unwrap();
        assert_eq!(index.refresh(&path), IndexChange::Definitions);
        let make = index.resolve_path("pkg.canon.make");
        assert_eq!(make.signature().unwrap().params.len(), 2, "read again");
        std::fs::write(&path, "import sys\nasync def make(ctx=None, user_id=None): pass\n").unwrap();
        assert_eq!(index.refresh(&path), IndexChange::Reexports);
        // A module looked for and missing, then written.
        let missing = dir.path().join("pkg/metrics.py");
        assert!(matches!(index.resolve_path("pkg.metrics.ManagerMetrics"), Resolved::MissingModule(_)));
        assert!(index.concerns(&missing));
        std::fs::write(&missing, "class ManagerMetrics: pass\n").unwrap();
        assert_eq!(index.refresh(&missing), IndexChange::Reexports);
        assert!(index.resolve_path("pkg.metrics.ManagerMetrics").definition_path().is_some());
    }

    #[test]
    fn a_refresh_reports_definitions_only_for_names_a_check_looked_up() {
        let (dir, path) = canon_package("async def make(ctx=None): pass\nAlias = make\n");
        let index = WorkspaceIndex::new(vec![dir.path().to_path_buf()]);
        assert!(index.resolve_path("pkg.canon.Alias").signature().is_some(), "through the alias to `make`");
        let write = |text: &str| std::fs::write(&path, text).unwrap();

        // A new top-level function nobody asked for, then its signature.
        write("async def make(ctx=None): pass\nAlias = make\ndef helper(): pass\n");
        assert_eq!(index.refresh(&path), IndexChange::Unchanged, "`helper` was never looked up");
        write("async def make(ctx=None): pass\nAlias = make\ndef helper(a, b): pass\n");
        assert_eq!(index.refresh(&path), IndexChange::Unchanged);

        // `make` was looked up through `Alias`: its signature counts.
        write("async def make(ctx=None, user_id=None): pass\nAlias = make\ndef helper(a, b): pass\n");
        assert_eq!(index.refresh(&path), IndexChange::Definitions);

        // A name looked up and missing, then defined.
        assert!(matches!(index.resolve_name("pkg.canon", "later"), Resolved::Missing(_)));
        write("async def make(ctx=None, user_id=None): pass\nAlias = make\ndef helper(a, b): pass\nlater = 1\n");
        assert_eq!(index.refresh(&path), IndexChange::Definitions, "`later` was asked for and now exists");

        // Once `helper` is looked up (a re-export chain asks too), its changes count.
        assert!(index.reexport_chain("pkg.canon", "helper").is_empty(), "defined there");
        write("async def make(ctx=None, user_id=None): pass\nAlias = make\ndef helper(a): pass\nlater = 1\n");
        assert_eq!(index.refresh(&path), IndexChange::Definitions);
        assert_eq!(index.resolve_name("pkg.canon", "helper").signature().unwrap().params.len(), 1, "read again");
    }

    #[test]
    fn calls_fit_or_say_why_not() {
        let text = "async def f(user_context=None, *, mode=1): pass\n";
        let info = info_of(text);
        let Binding::Function(Some(signature)) = &info.bindings["f"] else { panic!() };
        let shape = |call: &str| {
            let tree = syntax::parse_text(call);
            let node = syntax::descendants_of_kind(tree.root_node(), "call")[0];
            CallShape::of(node, call)
        };
        assert_eq!(call_misfit(signature, &shape("await f(ctx)\n"), "f"), None);
        assert_eq!(call_misfit(signature, &shape("await f(mode=2)\n"), "f"), None);
        assert_eq!(
            call_misfit(signature, &shape("await f(user_id='u')\n"), "f").as_deref(),
            Some("`f` does not accept `user_id=`")
        );
        assert_eq!(
            call_misfit(signature, &shape("f(ctx)\n"), "f").as_deref(),
            Some("`f` is `async def`, and the call is not awaited")
        );
        assert!(call_misfit(signature, &shape("await f(a, b)\n"), "f").is_some());
    }

    #[test]
    fn positional_arguments_must_keep_their_parameters() {
        let signature_of = |text: &str| {
            let info = info_of(text);
            let Binding::Function(Some(signature)) = &info.bindings["f"] else { panic!() };
            signature.clone()
        };
        let shape = |call: &str| {
            let tree = syntax::parse_text(call);
            let node = syntax::descendants_of_kind(tree.root_node(), "call")[0];
            CallShape::of(node, call)
        };
        let old = signature_of("async def f(user_context=None, user_id=None): pass\n");
        let new = signature_of("async def f(user_context=None, mode=1): pass\n");
        let misfit = |call: &str| positional_misfit(&old, &new, &shape(call), ("old", "new"));
        assert_eq!(misfit("await f(ctx)\n"), None);
        assert_eq!(misfit("await f(ctx, mode=2)\n"), None);
        assert_eq!(
            misfit("await f(ctx, 'u1')\n").as_deref(),
            Some("the call's argument 2 is `user_id` of `old`, and would be `mode` of `new`")
        );
        let varargs = signature_of("async def f(*args): pass\n");
        assert_eq!(
            positional_misfit(&varargs, &varargs, &shape("await f(ctx)\n"), ("old", "new")).as_deref(),
            Some("the call's argument 1 is `*args` of `old`, and would be `*args` of `new`")
        );
        let isolated = signature_of("async def f(user_context=None, mode=Mode.ISOLATED): pass\n");
        let unified = signature_of("async def f(user_context = None, mode = Mode . UNIFIED): pass\n");
        let changed = |call: &str| default_change(&isolated, &unified, &shape(call), ("old", "new"));
        assert_eq!(
            changed("await f(ctx)\n").as_deref(),
            Some("the call leaves `mode` to its default: `Mode.ISOLATED` from `old` now, `Mode.UNIFIED` from `new` after the fix")
        );
        assert_eq!(changed("await f(ctx, Mode.ISOLATED)\n"), None, "passed by position");
        assert_eq!(changed("await f(mode=m)\n"), None, "passed by keyword; `user_context=None` is written alike");
        assert_eq!(
            default_change(&old, &new, &shape("await f(ctx)\n"), ("old", "new")),
            None,
            "no parameter in common"
        );
        assert!(same_parameters(&old, &signature_of("def f(user_context, user_id=2): pass\n")));
        assert!(!same_parameters(&old, &new));
        assert!(!same_parameters(&old, &signature_of("async def f(user_context=None, *, user_id=None): pass\n")));
    }

    #[test]
    fn resolves_through_reexports_and_reports_missing_names() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("pkg/__init__.py", "from .impl import make\nfrom .star import *\n");
        write("pkg/impl.py", "async def make(ctx=None): pass\n");
        write("pkg/star.py", "__all__ = ['Thing']\nclass Thing: pass\nclass Hidden: pass\n");
        let index = WorkspaceIndex::new(vec![dir.path().to_path_buf()]);
        let make = index.resolve_path("pkg.make");
        assert_eq!(make.definition_path().as_deref(), Some("pkg.impl.make"));
        assert!(make.signature().unwrap().is_async);
        assert_eq!(index.resolve_path("pkg.Thing").definition_path().as_deref(), Some("pkg.star.Thing"));
        assert_eq!(index.resolve_path("pkg.Hidden"), Resolved::Missing("`pkg` defines no `Hidden`".into()));
        assert_eq!(index.resolve_path("pkg.impl"), Resolved::Module("pkg.impl".into()));
        assert!(matches!(index.resolve_path("pkg.nothing.x"), Resolved::MissingModule(_)));
        assert_eq!(index.resolve_path("requests.get"), Resolved::Outside);
        assert_eq!(index.reexport_chain("pkg", "make"), ["pkg.impl.make"]);
        assert_eq!(index.reexport_chain("pkg", "Thing"), ["pkg.star.Thing"]);
        assert!(index.reexport_chain("pkg.impl", "make").is_empty());
    }

    #[test]
    fn a_function_copied_hashes_alike_whatever_its_line_ends_and_comments_around() {
        let canonical = "import os\n\n\ndef make(user_id=\"u\"):\n    return os.sep + user_id\n";
        let copied = "import os\r\n\r\n# kept while callers move\r\n@cache\r\ndef other():  \r\n    pass\r\n\r\n\
            def make(user_id=\"u\"):\r\n    return os.sep + user_id\r\n\r\n# end of the copy\r\nX = 1\r\n";
        let changed = canonical.replace("os.sep + ", "");
        let (canonical, copied, changed) =
            (function_text_hashes(canonical), function_text_hashes(copied), function_text_hashes(&changed));
        assert_eq!(canonical.get("make"), copied.get("make"));
        assert_ne!(canonical.get("make"), changed.get("make"));
        assert!(copied.contains_key("other"), "a decorated function counts: {copied:?}");
        assert!(!copied.contains_key("X"));
    }
}
