//! Finds deprecated SSOT paths in one Python file and builds the fix of each
//! finding.
//!
//! Input: a rule set, where the file sits (`FileScope`), its text and its
//! tree. Output: findings in byte offsets. This module never reads files and
//! never applies edits; `fix.rs` runs the fix loop and `cli`/`lsp` convert
//! offsets for their users.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tree_sitter::{InputEdit, Node, Tree};

use crate::edits::{classify, detect_line_ending, within, ImportEditor, Occurrence};
use crate::finding::{Applicability, Finding, Fix, PatchersSeen};
use crate::identifiers;
use crate::imports::{join_path, read_imports, ImportItem, ImportRecord};
use crate::index::{Binding, Resolved, SharedIndex, WorkspaceIndex};
use crate::rules::{FileScope, NameMapping, QualifiedName, Rule, RuleKind, RuleSet};
use crate::skeleton;
use crate::suppression::Suppressions;
use crate::syntax::{self, node_text, scope_of, string_content_range, Captures, ImportProbe};
use crate::verify::{self, Checked, Exported, Verifier};

/// Callees whose string arguments are dotted paths into modules: `patch`,
/// `mock.patch`, `monkeypatch.setattr`, `importlib.import_module`, …
const PATH_TAKING_CALLEES: &[&str] = &[
    "patch",
    "setattr",
    "delattr",
    "import_module",
    "__import__",
    "find_spec",
    "find_loader",
    "resolve_name",
    "reload",
    "import_string",
    "locate",
];

/// More parts than any dotted path the rules or the code base name has.
const MAX_DOTTED_PARTS: usize = 64;

/// Checks a text, parsing it first.
pub fn check_text(rules: &RuleSet, scope: &FileScope, text: &str) -> Vec<Finding> {
    let tree = syntax::parse_text(text);
    check_tree(rules, scope, text, &tree)
}

/// The findings `check_text` gives, for less: the tree is parsed from a
/// skeleton of the text (`skeleton`) holding the statements findings can come
/// from, the imports, and every line naming what those imports bind (a second
/// look once the imports are read). Fixes are built on that tree too; they
/// are the same because every statement a fix reads is in the skeleton.
/// When a skeleton does not parse cleanly, the whole text is parsed.
pub fn scan_text(rules: &RuleSet, scope: &FileScope, text: &str) -> Vec<Finding> {
    // A test file holding only the trigger strings of rules switched off in
    // tests, and no hub's alias, has nothing an active rule can find.
    if !rules.may_match_in_tests(scope, text.as_bytes()) && !names_a_hub_alias(scope, text.as_bytes()) {
        return Vec::new();
    }
    skeleton_findings(rules, scope, text, false).unwrap_or_else(|| check_text(rules, scope, text))
}

/// The skeleton trees of a text's last analysis, kept by a caller that
/// analyses the text again after each edit (an open document): edited with
/// the same `InputEdit`s as the text, they seed incremental parses of the
/// next skeletons ([`syntax::parse_ranges_reusing`]), which then re-parse
/// only what the edits and the change of kept lines touched.
///
/// Both looks are kept (the first skeleton and the one with the lines naming
/// what the imports bind), each seeding its own kind: their kept lines
/// differ, and a tree of the other kind would make tree-sitter re-parse
/// every line in which they differ.
///
/// The findings of the last analysis are kept too, with the kept lines they
/// came from ([`SkeletonMemo`]): while the edits touch none of those lines,
/// and the next text keeps the very same lines, its skeleton trees are those
/// trees edited, so its findings are those findings moved by the edits, and
/// neither parse nor check runs again (typing in a line no rule looks at).
///
/// And the logical lines of the last text (as far as they were lexed), so
/// that after one edit only the lines it can change are lexed again
/// ([`skeleton::LineStructure::lazy_after_edit`]).
#[derive(Debug, Clone, Default)]
pub struct SkeletonTrees {
    first: Option<Tree>,
    second: Option<Tree>,
    memo: Option<Arc<SkeletonMemo>>,
    lines: Option<Arc<skeleton::LineStructure>>,
    lines_edit: LinesEdit,
}

/// The edits of the text since `SkeletonTrees::lines` was lexed.
#[derive(Debug, Clone, Copy, Default)]
enum LinesEdit {
    #[default]
    None,
    /// One edit: `start..old_end` replaced by `start..new_end`.
    One {
        start: usize,
        old_end: usize,
        new_end: usize,
    },
    Several,
}

impl SkeletonTrees {
    /// Tells the trees of one edit of the text (as `Tree::edit`), and the
    /// kept findings: moved when the edit misses their lines, else dropped.
    pub fn edit(&mut self, edit: &InputEdit) {
        for tree in [&mut self.first, &mut self.second].into_iter().flatten() {
            tree.edit(edit);
        }
        if let Some(memo) = self.memo.as_mut() {
            if !Arc::make_mut(memo).edit(edit) {
                self.memo = None;
            }
        }
        self.lines_edit = match self.lines_edit {
            LinesEdit::None => {
                LinesEdit::One { start: edit.start_byte, old_end: edit.old_end_byte, new_end: edit.new_end_byte }
            }
            LinesEdit::One { .. } | LinesEdit::Several => LinesEdit::Several,
        };
    }

    /// The line structure of `text`, from the kept one when it was lexed
    /// from this text or one edit before it, else from scratch.
    fn take_lines(&mut self, text: &str) -> skeleton::LineStructure {
        let before = self.lines.take();
        match (before, std::mem::take(&mut self.lines_edit)) {
            (Some(before), LinesEdit::None) => Arc::unwrap_or_clone(before),
            (Some(before), LinesEdit::One { start, old_end, new_end }) => {
                skeleton::LineStructure::lazy_after_edit(&before, start, old_end, new_end, text)
            }
            _ => skeleton::LineStructure::lazy(text),
        }
    }

    /// Whether the findings of the last analysis are kept for reuse (tests).
    pub fn holds_findings(&self) -> bool {
        self.memo.is_some()
    }
}

/// What a skeleton analysis depended on besides its kept lines: the rules,
/// where the file sits, and the workspace index as it stood.
#[derive(Debug, Clone, PartialEq)]
struct MemoKey {
    rules: u64,
    relative_path: Option<PathBuf>,
    module: Option<String>,
    is_package: bool,
    /// The index (compared by identity) and its state generation, read
    /// before the analysis started.
    index: Option<(SharedIndex, u64)>,
}

impl MemoKey {
    fn of(rules: &RuleSet, scope: &FileScope) -> Self {
        MemoKey {
            rules: rules.id(),
            relative_path: scope.relative_path.clone(),
            module: scope.module.clone(),
            is_package: scope.is_package,
            index: scope.index.as_ref().map(|index| (index.clone(), index.state_generation())),
        }
    }
}

/// The byte ranges of the lines a skeleton kept, in order.
type KeptRanges = Vec<(usize, usize)>;

/// The findings of a skeleton that parsed without syntax errors, and what
/// they were computed from: the byte ranges of the lines each look kept,
/// the names the imports bound (which pick the second look's lines), the
/// text's line ending (fixes write it), what the check noted about
/// re-exports, and the `MemoKey`.
///
/// A skeleton's tree is a function of the kept ranges' bytes (the parser
/// reads nothing else), and so are the findings on it, given the key and
/// the line ending; every finding's offsets lie within the kept lines.
/// So when edits touch no kept line and no finding's offset, and the edited
/// text keeps the very same ranges (moved by the edits) in both looks, a
/// fresh analysis would parse the same trees, moved, and find the same
/// findings, moved.
#[derive(Debug, Clone)]
struct SkeletonMemo {
    key: MemoKey,
    first: KeptRanges,
    /// `None` when the first look was the skeleton.
    second: Option<KeptRanges>,
    bound: skeleton::Naming,
    line_ending: &'static str,
    findings: Vec<Finding>,
    reexports: Vec<(String, String)>,
}

impl SkeletonMemo {
    /// A memo of the findings of a skeleton without syntax errors, unless
    /// the check noted re-exports nowhere to be kept (no log) or a finding
    /// reaches outside the kept lines.
    fn new(
        key: MemoKey,
        scope: &FileScope,
        text: &str,
        ranges: (KeptRanges, Option<KeptRanges>),
        bound: skeleton::Naming,
        findings: &[Finding],
    ) -> Option<Arc<Self>> {
        if scope.index.is_some() && scope.reexport_log.is_none() {
            return None;
        }
        let (first, second) = ranges;
        let kept = second.as_ref().unwrap_or(&first);
        let inside = |offset: usize| kept.iter().any(|&(start, end)| start <= offset && offset <= end);
        if !findings.iter().flat_map(Finding::offsets).all(inside) {
            return None;
        }
        Some(Arc::new(SkeletonMemo {
            key,
            first,
            second,
            bound,
            line_ending: detect_line_ending(text),
            findings: findings.to_vec(),
            reexports: scope.reexport_log.as_ref().map(|log| log.pairs()).unwrap_or_default(),
        }))
    }

    /// Follows one edit of the text: false when it touches a kept line or
    /// an offset of a finding (the memo no longer holds), else every range
    /// and offset after it moves.
    fn edit(&mut self, edit: &InputEdit) -> bool {
        let (start, old_end, new_end) = (edit.start_byte, edit.old_end_byte, edit.new_end_byte);
        let ranges = self.first.iter().chain(self.second.iter().flatten());
        if ranges.copied().any(|(from, to)| start <= to && from <= old_end) {
            return false;
        }
        if self.findings.iter().flat_map(Finding::offsets).any(|offset| start <= offset && offset <= old_end) {
            return false;
        }
        let moved = |offset: &mut usize| {
            if *offset > old_end {
                *offset = *offset - old_end + new_end;
            }
        };
        for (from, to) in self.first.iter_mut().chain(self.second.iter_mut().flatten()) {
            moved(from);
            moved(to);
        }
        // The blocks' headers are kept lines: they move too.
        for (_, header) in &mut self.bound.in_code_within {
            moved(header);
        }
        for finding in &mut self.findings {
            moved(&mut finding.start);
            moved(&mut finding.end);
            for fix_edit in finding.fix.iter_mut().flat_map(|fix| fix.edits.iter_mut()) {
                moved(&mut fix_edit.start);
                moved(&mut fix_edit.end);
            }
        }
        true
    }

    /// The findings for `text`, whose first look is `plan` with kept ranges
    /// `first`, when the memo holds for it (see the type): the same key,
    /// line ending and first ranges, the same decision about a second look
    /// and the same second ranges. Notes the check's re-exports again.
    fn reuse(
        &self,
        key: &MemoKey,
        plan: &mut FirstPlan,
        first: &[(usize, usize)],
        text: &str,
        scope: &FileScope,
    ) -> Option<Vec<Finding>> {
        if self.key != *key || self.first != first || self.line_ending != detect_line_ending(text) {
            return None;
        }
        // The first tree is the memo's, so the imports bind the same names.
        let naming = plan.structure.lines_named(text, &self.bound);
        let misses = !naming.iter().all(|&line| plan.keep.get(line).copied().unwrap_or(false));
        let holds = match (&self.second, misses) {
            (None, false) => true,
            (Some(second), true) => {
                let mut wanted = plan.wanted.clone();
                wanted.extend(naming);
                plan.structure.kept_ranges(&plan.structure.closure(&wanted)) == *second
            }
            _ => false,
        };
        if !holds {
            return None;
        }
        if let Some(log) = &scope.reexport_log {
            for (hub, name) in &self.reexports {
                log.add(hub, name);
            }
        }
        Some(self.findings.clone())
    }
}

/// `scan_text` for a text whose whole tree is at hand (an open document):
/// the skeleton's findings when it parses, else the whole tree's. Nothing
/// to do when the prefilter rules the text out.
///
/// While the user types, the whole text often has a syntax error in a line
/// the skeleton keeps: then both trees hold errors, and the skeleton's
/// findings are used still (checking the whole tree costs a hundred times
/// more on a long file and recovers no better).
pub fn scan_parsed(rules: &RuleSet, scope: &FileScope, text: &str, tree: &Tree) -> Vec<Finding> {
    if !rules.may_match(text) || !rules.may_match_in_tests(scope, text.as_bytes()) {
        // A file that names a hub's alias of a deprecated name holds no
        // trigger string: its uses of the alias are checked on the whole tree.
        if names_a_hub_alias(scope, text.as_bytes()) {
            return check_tree(rules, scope, text, tree);
        }
        return Vec::new();
    }
    let whole_has_errors = tree.root_node().has_error();
    skeleton_findings(rules, scope, text, whole_has_errors).unwrap_or_else(|| check_tree(rules, scope, text, tree))
}

/// Whether the text names an alias a re-export hub of the workspace gives a
/// deprecated name (`… import create_websocket_manager as make_manager`):
/// such a file may import it with no trigger string in sight, and is read
/// whole (the skeleton keeps only lines with trigger strings).
pub fn names_a_hub_alias(scope: &FileScope, bytes: &[u8]) -> bool {
    scope.index.as_deref().is_some_and(|index| index.names_a_hub_alias(bytes))
}

/// `scan_parsed` for a caller that has not parsed the whole text: `parse_whole`
/// is called only when the skeleton has syntax errors and the lexer cannot
/// tell that the whole text has some too (`LineStructure::has_broken_line`:
/// a bracket never closed, a triple-quoted string never terminated), or when
/// the skeleton cannot be used; so a keystroke whose skeleton parses
/// cleanly, or that leaves a bracket open, costs no parse of the whole file.
/// The findings are those `scan_parsed` gives with the whole tree; the whole
/// tree comes back when it was parsed. `None` when `parse_whole` gives up
/// (cancelled).
///
/// `skeletons` seed the skeleton parses and are replaced by this text's
/// (see [`SkeletonTrees`]); the findings are those of a fresh parse.
pub fn scan_lazily(
    rules: &RuleSet,
    scope: &FileScope,
    text: &str,
    skeletons: &mut SkeletonTrees,
    parse_whole: impl FnOnce() -> Option<Tree>,
) -> Option<(Vec<Finding>, Option<Tree>)> {
    let memo = skeletons.memo.take();
    if !rules.may_match(text) || !rules.may_match_in_tests(scope, text.as_bytes()) {
        skeletons.lines = None;
        if names_a_hub_alias(scope, text.as_bytes()) {
            return check_whole(rules, scope, text, parse_whole);
        }
        return Some((Vec::new(), None));
    }
    let Some(mut plan) = FirstPlan::of(rules, scope, text, |text| skeletons.take_lines(text)) else {
        skeletons.lines = None;
        return check_whole(rules, scope, text, parse_whole);
    };
    // Read before anything is checked: an index that changes meanwhile
    // moves its generation past the memo's.
    let key = MemoKey::of(rules, scope);
    let first_ranges = plan.structure.kept_ranges(&plan.keep);
    if let Some(memo) = memo {
        if let Some(findings) = memo.reuse(&key, &mut plan, &first_ranges, text, scope) {
            skeletons.memo = Some(memo);
            skeletons.lines = Some(Arc::new(plan.structure));
            return Some((findings, None));
        }
    }
    let Some(mut first) = plan.parse(text, false, skeletons.first.as_ref()) else {
        return check_whole(rules, scope, text, parse_whole);
    };
    skeletons.first = Some(first.tree.clone());
    let first_has_errors = first.tree.root_node().has_error();
    // The names bound come from the imports alone: without syntax errors,
    // a walk of the statements finds them; the whole capture runs only when the
    // first look is the skeleton (or has errors).
    let mut captures = first_has_errors.then(|| syntax::capture(&first.tree, text));
    let bound = match &captures {
        Some(captures) => captured_bindings_into_rules(rules, scope, text, &first.tree, captures),
        None => {
            let (calls, attributes) = syntax::calls_and_attributes(&first.tree);
            let imports = syntax::import_statements(&first.tree);
            bindings_into_rules(rules, scope, text, (first.tree.root_node(), &imports), (&calls, &attributes))
        }
    };
    if !FirstSkeleton::misses_lines_naming(&mut first.structure, &first.keep, text, &bound) {
        // The first look is the skeleton: its captures serve the check too.
        let captures = captures.get_or_insert_with(|| syntax::capture(&first.tree, text));
        let undecided = first_has_errors && !errors_stand(&mut first.structure, text);
        let result = skeleton_or_whole(rules, scope, text, &first.tree, Some(captures), undecided, parse_whole)?;
        if !first_has_errors {
            skeletons.memo = SkeletonMemo::new(key, scope, text, (first_ranges, None), bound, &result.0);
        }
        skeletons.lines = Some(Arc::new(first.structure));
        return Some(result);
    }
    drop(captures);
    let Some((second, second_ranges)) = first.with_lines_naming(text, &bound, false, skeletons.second.as_ref()) else {
        return check_whole(rules, scope, text, parse_whole);
    };
    skeletons.second = Some(second.clone());
    let has_errors = first_has_errors || second.root_node().has_error();
    let undecided = has_errors && !errors_stand(&mut first.structure, text);
    let result = skeleton_or_whole(rules, scope, text, &second, None, undecided, parse_whole)?;
    if !has_errors {
        let ranges = (first_ranges, Some(second_ranges));
        skeletons.memo = SkeletonMemo::new(key, scope, text, ranges, bound, &result.0);
    }
    skeletons.lines = Some(Arc::new(first.structure));
    Some(result)
}

/// Whether a skeleton with syntax errors stands without a parse of the whole
/// text: when the lexer finds a broken line in it (the whole text lexed),
/// the whole text has errors too. Else the syntax errors leave it undecided.
fn errors_stand(structure: &mut skeleton::LineStructure, text: &str) -> bool {
    structure.lex_through(text, usize::MAX);
    structure.has_broken_line()
}

/// The findings of the whole text's tree, and the tree.
fn check_whole(
    rules: &RuleSet,
    scope: &FileScope,
    text: &str,
    parse_whole: impl FnOnce() -> Option<Tree>,
) -> Option<(Vec<Finding>, Option<Tree>)> {
    let whole = parse_whole()?;
    Some((check_tree(rules, scope, text, &whole), Some(whole)))
}

/// The findings of the skeleton's tree (`captures`: `syntax::capture` of
/// it, when at hand), unless a parse on the way had syntax errors that leave
/// it `undecided` and the whole text has none: then the whole tree's. With
/// errors, the skeleton stands only when the whole text has some too.
fn skeleton_or_whole(
    rules: &RuleSet,
    scope: &FileScope,
    text: &str,
    skeleton: &Tree,
    captures: Option<&Captures<'_>>,
    undecided: bool,
    parse_whole: impl FnOnce() -> Option<Tree>,
) -> Option<(Vec<Finding>, Option<Tree>)> {
    let check_skeleton = || match captures {
        Some(captures) => check_captured(rules, scope, text, skeleton, captures),
        None => check_tree(rules, scope, text, skeleton),
    };
    if !undecided {
        return Some((check_skeleton(), None));
    }
    let whole = parse_whole()?;
    let findings =
        if whole.root_node().has_error() { check_skeleton() } else { check_tree(rules, scope, text, &whole) };
    Some((findings, Some(whole)))
}

/// The tree of the skeleton `scan_text` checks, or `None` when the skeleton
/// does not parse cleanly.
pub fn skeleton_tree(rules: &RuleSet, scope: &FileScope, text: &str) -> Option<Tree> {
    skeleton_parse(rules, scope, text, true).map(|(tree, _)| tree)
}

/// The skeleton's tree and whether a parse on the way had syntax errors;
/// `None` when the text is read whole, or at the first parse with errors
/// when `stop_at_errors`.
fn skeleton_parse(rules: &RuleSet, scope: &FileScope, text: &str, stop_at_errors: bool) -> Option<(Tree, bool)> {
    let mut first = FirstSkeleton::parse(rules, scope, text, stop_at_errors, None)?;
    let first_has_errors = first.tree.root_node().has_error();
    let captures = syntax::capture(&first.tree, text);
    let bound = captured_bindings_into_rules(rules, scope, text, &first.tree, &captures);
    drop(captures);
    if !FirstSkeleton::misses_lines_naming(&mut first.structure, &first.keep, text, &bound) {
        return Some((first.tree, first_has_errors));
    }
    let (tree, _) = first.with_lines_naming(text, &bound, stop_at_errors, None)?;
    let has_errors = first_has_errors || tree.root_node().has_error();
    Some((tree, has_errors))
}

/// The findings of the skeleton's tree, or `None` when the skeleton does not
/// parse (cleanly, unless `errors_allowed`). `capture` runs once on the first
/// tree: its captures give the names the imports bind and, when no line
/// naming them is missing (most files), the findings.
fn skeleton_findings(rules: &RuleSet, scope: &FileScope, text: &str, errors_allowed: bool) -> Option<Vec<Finding>> {
    let mut first = FirstSkeleton::parse(rules, scope, text, !errors_allowed, None)?;
    let captures = syntax::capture(&first.tree, text);
    let bound = captured_bindings_into_rules(rules, scope, text, &first.tree, &captures);
    if !FirstSkeleton::misses_lines_naming(&mut first.structure, &first.keep, text, &bound) {
        return Some(check_captured(rules, scope, text, &first.tree, &captures));
    }
    // Seeded with the first look: tree-sitter re-parses only around the
    // lines the second adds (`syntax::parse_ranges_reusing`).
    let old = first.tree.clone();
    let (tree, _) = first.with_lines_naming(text, &bound, !errors_allowed, Some(&old))?;
    Some(check_tree(rules, scope, text, &tree))
}

/// The first look of a skeleton: the lines holding a rule's terms, and what
/// Python needs around them, parsed.
struct FirstSkeleton {
    structure: skeleton::LineStructure,
    wanted: Vec<usize>,
    keep: Vec<bool>,
    tree: Tree,
}

/// The lines of a skeleton's first look, before they are parsed.
struct FirstPlan {
    structure: skeleton::LineStructure,
    wanted: Vec<usize>,
    keep: Vec<bool>,
}

impl FirstPlan {
    /// `None` when the text is read whole. `lines` gives the text's line
    /// structure (lazy: lexed as the questions need).
    fn of(
        rules: &RuleSet,
        scope: &FileScope,
        text: &str,
        lines: impl FnOnce(&str) -> skeleton::LineStructure,
    ) -> Option<Self> {
        // The skeleton finds lines by their bytes; a name written with letters
        // NFKC folds to ASCII has other bytes: such (rare) files are read whole.
        if identifiers::may_hide_ascii_names(text.as_bytes()) {
            return None;
        }
        let mut structure = lines(text);
        let mut wanted = structure.lines_holding_terms(text, rules.skeleton_search());
        // The skeleton keeps only the imports that name a rule's path; an
        // import of a hub's alias of a deprecated name names none of them.
        let aliases = scope.index.as_deref().map(|index| index.hub_alias_names());
        if let Some(aliases) = aliases.filter(|aliases| aliases.named_in(text.as_bytes())) {
            wanted.extend(structure.lines_naming(text, &aliases.aliases()));
        }
        let keep = structure.closure(&wanted);
        Some(FirstPlan { structure, wanted, keep })
    }

    /// The first look parsed; `None` when it has syntax errors and
    /// `stop_at_errors`. `old` seeds the parse (see [`SkeletonTrees`]).
    fn parse(self, text: &str, stop_at_errors: bool, old: Option<&Tree>) -> Option<FirstSkeleton> {
        let FirstPlan { structure, wanted, keep } = self;
        let tree = parse_skeleton(&structure, text, &keep, stop_at_errors, old)?;
        Some(FirstSkeleton { structure, wanted, keep, tree })
    }
}

impl FirstSkeleton {
    /// `None` when the text is read whole, or when the skeleton has syntax
    /// errors and `stop_at_errors`. `old` seeds the parse (see
    /// [`SkeletonTrees`]).
    fn parse(rules: &RuleSet, scope: &FileScope, text: &str, stop_at_errors: bool, old: Option<&Tree>) -> Option<Self> {
        FirstPlan::of(rules, scope, text, skeleton::LineStructure::lazy)?.parse(text, stop_at_errors, old)
    }

    /// Whether a line naming one of `bound` was left out (lexing on as far
    /// as such lines go). Borrows only the structure and what it keeps, so
    /// the tree's captures may be held meanwhile.
    fn misses_lines_naming(
        structure: &mut skeleton::LineStructure,
        keep: &[bool],
        text: &str,
        bound: &skeleton::Naming,
    ) -> bool {
        let lines = structure.lines_named(text, bound);
        !lines.iter().all(|&line| keep.get(line).copied().unwrap_or(false))
    }

    /// The second look: the skeleton with every line naming one of `bound`,
    /// parsed (`None` when it has syntax errors and `stop_at_errors`),
    /// reusing `old`, and the byte ranges it kept.
    fn with_lines_naming(
        &mut self,
        text: &str,
        bound: &skeleton::Naming,
        stop_at_errors: bool,
        old: Option<&Tree>,
    ) -> Option<(Tree, Vec<(usize, usize)>)> {
        let mut wanted = self.wanted.clone();
        wanted.extend(self.structure.lines_named(text, bound));
        let keep = self.structure.closure(&wanted);
        let tree = parse_skeleton(&self.structure, text, &keep, stop_at_errors, old)?;
        Some((tree, self.structure.kept_ranges(&keep)))
    }
}

fn parse_skeleton(
    structure: &skeleton::LineStructure,
    text: &str,
    keep: &[bool],
    stop_at_errors: bool,
    old: Option<&Tree>,
) -> Option<Tree> {
    let tree = syntax::parse_ranges_reusing(text, &structure.kept_ranges(keep), old);
    (!stop_at_errors || !tree.root_node().has_error()).then_some(tree)
}

/// [`bindings_into_rules`] of a tree's captures.
fn captured_bindings_into_rules(
    rules: &RuleSet,
    scope: &FileScope,
    text: &str,
    tree: &Tree,
    captures: &Captures<'_>,
) -> skeleton::Naming {
    bindings_into_rules(
        rules,
        scope,
        text,
        (tree.root_node(), &captures.imports),
        (&captures.calls, &captures.attributes),
    )
}

/// The words whose lines a skeleton's second look keeps. Names bound by
/// imports of anything on a rule's path (or of a package above one): the
/// names whose uses the rules resolve and the fixes rename. Not a sibling
/// of a path (`from websocket_core.websocket_manager import
/// get_websocket_manager` beside the callable
/// `websocket_core.websocket_manager.UnifiedWebSocketManager`): nothing
/// its uses reach is on a path.
///
/// And the objects whose attribute named like a deprecated name a call
/// replaces (`patch.object(ws_route, "create_websocket_manager")`,
/// [`syntax::object_patch`]) or the code reads or assigns
/// (`routes.hub.create_websocket_manager`, `hub.create_websocket_manager =
/// fake`), or whose namespace it reads as a mapping (`hub.__dict__`,
/// `vars(hub)`): the lines naming them hold their imports, which tell which
/// module's binding the call patches or the code reads
/// (`record_patched_reexports`). The first look keeps only the imports of
/// modules on a rule's path, and `from netra_backend.app.routes import hub`
/// is none.
///
/// Those are kept wherever a line names them. And, where a line names them
/// as code, what the fixes of the file's imports read ([`fix_words`]): the
/// first look leaves out the canonical and target names and modules, which
/// findings do not depend on (real WebSocket code names `websocket_manager`
/// and `get_websocket_manager` all over, and `Optional["WebSocketManager"]`
/// in its annotations).
fn bindings_into_rules<'tree>(
    rules: &RuleSet,
    scope: &FileScope,
    text: &str,
    (root, imports): (Node<'tree>, &[Node<'tree>]),
    (calls, attributes): (&[Node<'_>], &[Node<'_>]),
) -> skeleton::Naming {
    // Not the canonical modules: what they bind matters to fixes alone
    // (`fix_words`). A names rule's package holds its deprecated names, not
    // everything under it (`websocket_core.websocket_manager` is no path of
    // `websocket_core`'s rule, though it lies under it).
    let mut paths: Vec<String> = Vec::new();
    for rule in &rules.rules {
        match (&rule.kind, &rule.module) {
            (RuleKind::Names, Some(module)) => paths.extend(rule.names.keys().map(|name| join_path(module, name))),
            _ => paths.extend(rule.module.iter().cloned()),
        }
        paths.extend(rule.callables.iter().cloned());
    }
    let on_path =
        |target: &str| paths.iter().any(|path| is_dotted_prefix(target, path) || is_dotted_prefix(path, target));
    // A hub's alias of a deprecated name, imported from the hub.
    let hub_alias = |record: &ImportRecord<'_>| match (&record.item, scope.index.as_deref()) {
        (ImportItem::Name { name, .. }, Some(index)) => index.is_hub_alias(&record.module, name),
        _ => false,
    };
    let (mut bound, mut read_by_fixes, mut read_within) = (Vec::new(), Vec::new(), Vec::new());
    for record in read_imports(root, imports, text, scope) {
        let alias = hub_alias(&record);
        // What the fix of an import inside a function or a class reads lies
        // there (`syntax::scope_of`); a hub's alias may stand for any name:
        // everywhere.
        let mut words = Vec::new();
        fix_words(rules, &record, alias, &mut words);
        let block = record.binds_in;
        if alias || block.kind() == "module" {
            read_by_fixes.append(&mut words);
        } else {
            read_within.extend(words.into_iter().map(|word| (word, block.start_byte())));
        }
        if alias || record.target().is_some_and(|target| on_path(&target)) {
            bound.extend(record.binding());
        }
    }
    for &call in calls {
        let patched = syntax::object_patch(call, text)
            .filter(|(_, _, attribute)| maps_name(&rules.known_rules, &identifiers::normalize(attribute)))
            .map(|(object, _, _)| object)
            .or_else(|| namespace_of(call, text));
        if let Some(object) = patched {
            let object_name = identifiers::normalize(node_text(leftmost_name(object), text));
            if !matches!(&*object_name, "self" | "cls") {
                bound.push(object_name.into_owned());
                all_fix_words(rules, &mut read_by_fixes);
            }
        }
    }
    for &attribute in attributes {
        let (Some(object), Some(name)) =
            (attribute.child_by_field_name("object"), attribute.child_by_field_name("attribute"))
        else {
            continue;
        };
        let name = node_text(name, text);
        if name != "__dict__" && !maps_name(&rules.known_rules, &identifiers::normalize(name)) {
            continue;
        }
        let object = leftmost_name(object);
        let object_name = identifiers::normalize(node_text(object, text));
        // `self.create_websocket_manager` is a method or an attribute of
        // the instance, never a module's binding.
        if object.kind() == "identifier" && !matches!(&*object_name, "self" | "cls") {
            bound.push(object_name.into_owned());
        }
    }
    bound.sort();
    bound.dedup();
    read_by_fixes.sort();
    read_by_fixes.dedup();
    read_by_fixes.retain(|word| bound.binary_search(word).is_err());
    read_within.sort();
    read_within.dedup();
    read_within.retain(|(word, _)| bound.binary_search(word).is_err() && read_by_fixes.binary_search(word).is_err());
    skeleton::Naming { anywhere: bound, in_code: read_by_fixes, in_code_within: read_within }
}

/// Adds to `words` what a fix of the import `record` may read in the file:
/// the name its target binds (a rename checks that no other binding or use
/// of it is in the way), and the last part of the target's module when a
/// first look leaves that module's imports out (a fix merges into one). A
/// name imported from a rule's module, or re-exported by another (a hub),
/// moves to its mapping's target; a module rule's module imported by name
/// (`from pkg import manager`) becomes the canonical module, bound under
/// its own name. Other forms' fixes rename nothing (`import old as m`,
/// `from old import *`) or have none (attribute chains through a package).
/// `alias`: the record imports a hub's alias of a deprecated name, which
/// may stand for any.
fn fix_words(rules: &RuleSet, record: &ImportRecord<'_>, alias: bool, words: &mut Vec<String>) {
    if alias {
        return all_fix_words(rules, words);
    }
    let ImportItem::Name { name, .. } = &record.item else { return };
    // Every compiled rule (the active ones among them): an `all-export`
    // finding reads imports of switched-off rules too.
    for rule in rules.known_rules.iter().filter(|rule| rule.kind != RuleKind::Call) {
        let Some(module) = rule.module.as_deref() else { continue };
        let mapping = if record.module == module {
            rule.mapping_for(name)
        } else if rule.kind == RuleKind::Module && join_path(&record.module, name) == module {
            rule_fix_words(rules, rule, words);
            continue;
        } else {
            rule.names.get(name).cloned()
        };
        if let Some(target) = mapping.and_then(|mapping| mapping.target) {
            target_words(rules, &target, words);
        }
    }
}

/// [`fix_words`] of every name and module the rules move.
fn all_fix_words(rules: &RuleSet, words: &mut Vec<String>) {
    for rule in rules.known_rules.iter().filter(|rule| rule.kind != RuleKind::Call) {
        rule_fix_words(rules, rule, words);
        for target in rule.names.values().filter_map(|mapping| mapping.target.as_ref()) {
            target_words(rules, target, words);
        }
    }
}

/// [`fix_words`] of a rule's module bound by name: the canonical module's
/// last part (the name the binding becomes). With [`all_fix_words`], its
/// mappings' targets too.
fn rule_fix_words(rules: &RuleSet, rule: &Rule, words: &mut Vec<String>) {
    if let Some(canonical) = rule.canonical.as_deref().and_then(QualifiedName::parse) {
        target_words(rules, &canonical, words);
    }
}

fn target_words(rules: &RuleSet, target: &QualifiedName, words: &mut Vec<String>) {
    words.push(target.name.clone());
    if !rules.skeleton_search().keeps_imports_of(&target.module) {
        words.extend(target.module.rsplit('.').next().map(str::to_string));
    }
}

/// The object a call reads the namespace of as a mapping: `vars(hub)`.
/// (`hub.__dict__` is an attribute.)
fn namespace_of<'tree>(call: Node<'tree>, text: &str) -> Option<Node<'tree>> {
    let head = &text[call.start_byte()..call.end_byte()];
    if !head.starts_with("vars") || node_text(call.child_by_field_name("function")?, text) != "vars" {
        return None;
    }
    let arguments = call.child_by_field_name("arguments")?;
    let object = arguments.named_child(0).filter(|_| arguments.named_child_count() == 1)?;
    matches!(object.kind(), "identifier" | "attribute").then_some(object)
}

/// The module a dotted path in a string names where an expression loads
/// it: `importlib.import_module("app.routes.hub")` or
/// `sys.modules["app.routes.hub"]`.
fn module_loaded_by<'text>(node: Node<'_>, text: &'text str) -> Option<&'text str> {
    let string = match node.kind() {
        "call" => {
            let callee = node_text(node.child_by_field_name("function")?, text);
            if callee.rsplit('.').next() != Some("import_module") {
                return None;
            }
            let arguments = node.child_by_field_name("arguments")?;
            let first = arguments.named_child(0)?;
            (arguments.named_child_count() == 1).then_some(first)?
        }
        "subscript" => {
            if node_text(node.child_by_field_name("value")?, text).split_whitespace().collect::<String>()
                != "sys.modules"
            {
                return None;
            }
            node.child_by_field_name("subscript")?
        }
        _ => return None,
    };
    if string.kind() != "string" {
        return None;
    }
    let (start, end) = string_content_range(string, text)?;
    let path = &text[start..end];
    is_path_like(path).then_some(path)
}

/// Whether `node` runs when a function (or lambda) around it is called,
/// not when its module is imported (a class body runs with its scope).
fn runs_in_function(node: Node<'_>) -> bool {
    let mut scope = scope_of(node);
    for _ in 0..syntax::MAX_CLIMB {
        match scope.kind() {
            "function_definition" | "lambda" => return true,
            "class_definition" => scope = scope_of(scope),
            _ => return false,
        }
    }
    false
}

/// The name a dotted name starts with (`routes` of `routes.ws_route`).
fn leftmost_name(mut node: Node<'_>) -> Node<'_> {
    while let Some(object) = node.child_by_field_name("object").filter(|_| node.kind() == "attribute") {
        node = object;
    }
    node
}

/// Whether one of `rules` maps `name` (a deprecated name of its module).
fn maps_name<'r>(rules: impl IntoIterator<Item = &'r Rule>, name: &str) -> bool {
    rules.into_iter().any(|rule| rule.names.contains_key(name))
}

/// Whether `name` is itself a trigger string of `rules` (the prefilter's
/// `Trigger::Any` of a `names` rule, `Trigger::Call` of a `call` rule):
/// every file naming it is read anyway.
fn is_trigger_name(rules: &[Rule], name: &str) -> bool {
    rules.iter().any(|rule| match rule.kind {
        RuleKind::Names => rule.names.contains_key(name),
        RuleKind::Call => rule.callables.iter().any(|callable| callable.rsplit('.').next() == Some(name)),
        RuleKind::Module | RuleKind::AllExport => false,
    })
}

/// The module and name of `old` (`module.name`) when `checked` still has
/// a fix that moves it to another module and `uses` call it: the moves
/// whose calls may reach what only the old module does.
fn moved_and_called<'o>(old: &'o str, uses: &[Node<'_>], checked: &Checked) -> Option<(&'o str, &'o str)> {
    let (module, name) = old.rsplit_once('.')?;
    let moves = checked.mapping.target.as_ref().is_some_and(|target| target.module != module);
    let called = || uses.iter().any(|&used| syntax::is_callee(used));
    (checked.mapping.applicability.is_some() && moves && called()).then_some((module, name))
}

/// Whether `module` is the module of one of `rules`.
fn is_rule_module<'r>(rules: impl IntoIterator<Item = &'r Rule>, module: &str) -> bool {
    rules.into_iter().any(|rule| rule.module.as_deref() == Some(module))
}

/// The rule among `rules` that deprecates `path`: a name of its module
/// that it maps, or anything in its module for a module rule.
fn rule_deprecating<'r>(rules: impl IntoIterator<Item = &'r Rule>, path: &str) -> Option<&'r Rule> {
    let (module, last) = path.rsplit_once('.')?;
    rules.into_iter().find(|rule| {
        rule.module.as_deref() == Some(module) && (rule.kind == RuleKind::Module || rule.names.contains_key(last))
    })
}

/// `a.b` is a dotted prefix of `a.b` and `a.b.c`, not of `a.bc`.
fn is_dotted_prefix(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// Checks a text whose tree is already parsed (the server keeps one per
/// document).
pub fn check_tree(rules: &RuleSet, scope: &FileScope, text: &str, tree: &Tree) -> Vec<Finding> {
    let active = active_rules(rules, scope);
    if active.is_empty() {
        return Vec::new();
    }
    let captures = syntax::capture(tree, text);
    check_active(rules, &active, scope, text, tree, &captures)
}

/// `check_tree`, and how many imports of `tree` bind a name that an earlier
/// import in the same scope binds (see `duplicate_import_bindings`), from
/// one `capture`: what the fix loop asks of every text it makes.
pub fn check_tree_and_duplicates(rules: &RuleSet, scope: &FileScope, text: &str, tree: &Tree) -> (Vec<Finding>, usize) {
    let captures = syntax::capture(tree, text);
    let duplicates = duplicate_import_bindings(tree, &captures, text, scope);
    (check_captured(rules, scope, text, tree, &captures), duplicates)
}

/// `check_tree` with the captures of `tree` at hand.
fn check_captured(
    rules: &RuleSet,
    scope: &FileScope,
    text: &str,
    tree: &Tree,
    captures: &Captures<'_>,
) -> Vec<Finding> {
    let active = active_rules(rules, scope);
    if active.is_empty() {
        return Vec::new();
    }
    check_active(rules, &active, scope, text, tree, captures)
}

/// The rules that apply to the file `scope` names (not excluded, not
/// switched off by `per-file-ignores`).
fn active_rules<'r>(rules: &'r RuleSet, scope: &FileScope) -> Vec<&'r Rule> {
    rules
        .rules
        .iter()
        .filter(|rule| !rule.is_excluded(scope))
        .filter(|rule| {
            let ignored = scope.relative_path.as_deref().map(|path| rules.ignored_codes_for(path)).unwrap_or_default();
            !ignored.iter().any(|code| crate::rules::code_matches(&rule.code, code))
        })
        .collect()
}

/// Runs the `active` rules over a tree and its captures.
fn check_active(
    rules: &RuleSet,
    active: &[&Rule],
    scope: &FileScope,
    text: &str,
    tree: &Tree,
    captures: &Captures<'_>,
) -> Vec<Finding> {
    let file = FileAnalysis::new(text, tree, scope, captures, &rules.known_rules);
    let mut findings = Vec::new();
    for rule in active {
        match rule.kind {
            RuleKind::Module => file.check_module_rule(rule, &mut findings),
            RuleKind::Names => file.check_names_rule(rule, &mut findings),
            RuleKind::Call => file.check_call_rule(rule, &mut findings),
            RuleKind::AllExport => {}
        }
    }
    file.check_reexports(active, &mut findings);
    file.record_patched_reexports();
    if let Some(rule) = active.iter().find(|rule| rule.kind == RuleKind::AllExport) {
        if !captures.all_values.is_empty() {
            // Which imports are deprecated does not depend on which rules
            // report: ask every known rule that applies to this file.
            let mut deprecated_imports = Vec::new();
            for known in rules.known_rules.iter().filter(|known| !known.is_excluded(scope)) {
                match known.kind {
                    RuleKind::Module => file.check_module_rule(known, &mut deprecated_imports),
                    RuleKind::Names => file.check_names_rule(known, &mut deprecated_imports),
                    _ => {}
                }
            }
            let applicable: Vec<&Rule> = rules.known_rules.iter().filter(|known| !known.is_excluded(scope)).collect();
            file.check_reexports(&applicable, &mut deprecated_imports);
            file.check_all_exports(rule, &deprecated_imports, &mut findings);
        }
    }
    findings.retain(|finding| !file.suppressions.silences(tree, finding));
    findings.sort_by(|a, b| (a.start, a.end, &a.code).cmp(&(b.start, b.end, &b.code)));
    findings.dedup_by(|a, b| a.start == b.start && a.end == b.end && a.code == b.code);
    findings
}

/// Everything about one file that the rules share.
pub struct FileAnalysis<'a, 'tree> {
    pub text: &'a str,
    pub tree: &'tree Tree,
    pub scope: &'a FileScope,
    pub captures: &'a Captures<'tree>,
    pub imports: Vec<ImportRecord<'tree>>,
    /// Local name → fully qualified targets bound to it by imports.
    pub bindings: HashMap<String, Vec<String>>,
    /// Local name → the imports binding it (indices into `imports`).
    binders: HashMap<String, Vec<usize>>,
    pub editor: ImportEditor<'a, 'tree>,
    /// Checks each fix's mapping against the workspace index.
    pub verifier: Verifier<'a>,
    /// The `# ssot: ignore` comments: their findings are dropped at the
    /// end, and a fix of another name leaves the names they cover alone.
    pub suppressions: Suppressions,
    /// Every rule of the set (which names are trigger strings).
    known_rules: &'a [Rule],
    /// [`FileAnalysis::replaced_at_source`]'s look, which
    /// [`FileAnalysis::record_patched_reexports`] takes when still current.
    patched_names: OnceCell<PatchedNames>,
    /// The classes this file imports and handles as exceptions, with the
    /// module defining each (see [`FileAnalysis::error_handled`]): found once.
    handled_errors: OnceCell<Vec<(String, String)>>,
    /// [`FileAnalysis::checked_mapping`]'s answers, by import item, name and
    /// mapping asked: each finding of an import statement asks again for
    /// every name of the statement (its fix moves them together).
    checked_mappings: RefCell<Vec<CheckedMapping>>,
}

/// One answer of [`FileAnalysis::checked_mapping`] and what it was asked.
struct CheckedMapping {
    item: usize,
    old: String,
    mapping: NameMapping,
    answer: (Checked, Option<PatchersSeen>),
}

/// What a file replaces or reads on workspace modules by name: patch
/// targets, `patch.object`, `setattr`, attributes assigned, namespaces read
/// whole (`FileAnalysis::record_patched_reexports`), as `(module, name)`.
#[derive(Debug, Default)]
struct PatchedNames {
    /// Deprecated names replaced on their own module.
    at_source: Vec<(String, String)>,
    /// Deprecated names (or hubs' aliases) patched or read on a module.
    patched: Vec<(String, String)>,
    /// How many hubs' aliases the index had recorded when `patched` was
    /// found.
    aliases_seen: usize,
}

impl<'a, 'tree> FileAnalysis<'a, 'tree> {
    pub fn new(
        text: &'a str,
        tree: &'tree Tree,
        scope: &'a FileScope,
        captures: &'a Captures<'tree>,
        known_rules: &'a [Rule],
    ) -> Self {
        let imports = read_imports(tree.root_node(), &captures.imports, text, scope);
        let mut bindings: HashMap<String, Vec<String>> = HashMap::new();
        let mut binders: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, record) in imports.iter().enumerate() {
            if let (Some(binding), Some(target)) = (record.binding(), record.target()) {
                binders.entry(binding.clone()).or_default().push(i);
                bindings.entry(binding).or_default().push(target);
            }
        }
        let editor = ImportEditor::new(text, tree, captures, scope);
        let verifier = Verifier::new(scope.index.as_deref(), known_rules, text);
        let suppressions = Suppressions::from_comments(text, &captures.comments);
        let patched_names = OnceCell::new();
        FileAnalysis {
            text,
            tree,
            scope,
            captures,
            imports,
            bindings,
            binders,
            editor,
            verifier,
            suppressions,
            known_rules,
            patched_names,
            handled_errors: OnceCell::new(),
            checked_mappings: RefCell::new(Vec::new()),
        }
    }

    /// The mapping of the name `record` imports (from `old`, fully
    /// qualified) as the workspace supports it: `uses` are the references
    /// of its binding in the import's scope.
    /// Also says how many files the check knew to patch the name on its
    /// module, when that mattered (see `patched_read`).
    fn checked_mapping(
        &self,
        record: &ImportRecord<'tree>,
        old: &str,
        mapping: NameMapping,
    ) -> (Checked, Option<PatchersSeen>) {
        let item = record.item_node().id();
        let asked = |memo: &&CheckedMapping| memo.item == item && memo.old == old && memo.mapping == mapping;
        if let Some(memo) = self.checked_mappings.borrow().iter().find(asked) {
            return memo.answer.clone();
        }
        let answer = self.check_mapping(record, old, mapping.clone());
        let memo = CheckedMapping { item, old: old.to_string(), mapping, answer: answer.clone() };
        self.checked_mappings.borrow_mut().push(memo);
        answer
    }

    /// [`FileAnalysis::checked_mapping`], worked out.
    fn check_mapping(
        &self,
        record: &ImportRecord<'tree>,
        old: &str,
        mapping: NameMapping,
    ) -> (Checked, Option<PatchersSeen>) {
        let uses = match record.binding() {
            Some(binding) => self.references(record, &binding),
            None => Vec::new(),
        };
        let exported = self.exported(record);
        let checked = self.verifier.check(old, mapping, &uses, &exported);
        let checked = match self.only_tried(record, &uses, &exported) {
            true => verify::only_tried(checked),
            false => checked,
        };
        let checked = self.patched_collaborator(old, &uses, checked);
        let checked = self.error_handled(old, &uses, checked);
        let rebound = || self.editor.bound_again(record);
        let checked = match checked.mapping.drop_await.then(rebound).flatten() {
            Some(other) => verify::await_rebound(checked, old, other.start_position().row + 1),
            None => checked,
        };
        // A name the function never uses reads nothing a patch replaces.
        let read_later = runs_in_function(record.statement) && !uses.is_empty();
        let (checked, seen) = self.patched_read(read_later, old, checked);
        // Imported from a hub (`from …canonical_imports import
        // create_websocket_manager` in a function): a patch on the hub
        // reaches this import too, and would not after the fix.
        let from_its_module = || old.strip_prefix(record.module.as_str()).is_some_and(|rest| rest.starts_with('.'));
        let via_hub = match &record.item {
            ImportItem::Name { name, .. } if read_later && !from_its_module() => {
                Some((record.module.as_str(), name.as_str()))
            }
            _ => None,
        };
        match via_hub {
            Some((hub, name)) => {
                let (checked, hub_seen) = self.hub_read_later(hub, name, checked);
                let seen = match (seen, hub_seen) {
                    (Some(seen), Some(hub_seen)) => Some(seen.merge(hub_seen)),
                    (seen, hub_seen) => seen.or(hub_seen),
                };
                (checked, seen)
            }
            None => (checked, seen),
        }
    }

    /// An import inside a function of `name` from the hub `hub`: unsafe when
    /// another file imports the name from the hub or patches it there (the
    /// index records both alike), since a patch on the hub reaches this
    /// import when the function runs, and no longer after the fix.
    fn hub_read_later(&self, hub: &str, name: &str, checked: Checked) -> (Checked, Option<PatchersSeen>) {
        let Some(index) = self.scope.index.as_deref() else { return (checked, None) };
        let moves = checked.mapping.target.as_ref().is_some_and(|target| target.module != hub);
        if checked.mapping.applicability.is_none() || !moves || self.scope.importers_pending() {
            return (checked, None);
        }
        let seen =
            PatchersSeen { names: vec![(hub.to_string(), name.to_string())], count: index.importer_count(hub, name) };
        let own = importer_key(self.scope);
        let others: Vec<String> = index.importers_of(hub, name).into_iter().filter(|module| *module != own).collect();
        if others.is_empty() {
            return (checked, Some(seen));
        }
        (verify::hub_patched_or_imported(checked, name, hub, &others), Some(seen))
    }

    /// A move of `old` (`module.name`) to another module, called here, in a
    /// file that handles an exception class it imports from `module`
    /// ([`verify::error_handled`]).
    fn error_handled(&self, old: &str, uses: &[Node<'tree>], checked: Checked) -> Checked {
        let Some((module, name)) = moved_and_called(old, uses, &checked) else { return checked };
        let handled_errors = self.handled_errors();
        if handled_errors.is_empty() {
            return checked;
        }
        // The package's name (SSOT002) raises what the factory defining it raises.
        let index = self.scope.index.as_deref();
        let defined_in = match index.map(|index| index.resolve_path(old)) {
            Some(Resolved::Defined { module: defined_in, .. }) => defined_in,
            _ => module.to_string(),
        };
        let handled = handled_errors
            .iter()
            .find(|(class_module, class)| (class_module == module || *class_module == defined_in) && class != name);
        match handled {
            Some((class_module, class)) => verify::error_handled(checked, name, class_module, class),
            None => checked,
        }
    }

    /// The classes this file imports from a rule's module (the factory, the
    /// package re-exporting it), names where exceptions are handled
    /// (`syntax::handles_exception`), and the workspace defines: `(defining
    /// module, name bound here)`.
    fn handled_errors(&self) -> &[(String, String)] {
        self.handled_errors.get_or_init(|| {
            let Some(index) = self.scope.index.as_deref() else { return Vec::new() };
            let mut handled = Vec::new();
            for record in &self.imports {
                let (ImportItem::Name { name: class, .. }, Some(binding)) = (&record.item, record.binding()) else {
                    continue;
                };
                // Classes are named in CapWords: the rule modules' functions
                // (`create_websocket_manager`) are not searched for.
                let capitalised = class.starts_with(|first: char| first.is_ascii_uppercase());
                if !capitalised
                    || !is_rule_module(self.known_rules, &record.module)
                    || !syntax::handles_exception(self.text, &binding)
                {
                    continue;
                }
                if let Resolved::Defined { module, binding: Binding::Class(_), .. } =
                    index.resolve_path(&join_path(&record.module, class))
                {
                    handled.push((module, binding));
                }
            }
            handled
        })
    }

    /// A move of `old` (`module.name`) to another module, called here,
    /// in a file that replaces another name on `module`
    /// ([`verify::collaborator_patched`]).
    fn patched_collaborator(&self, old: &str, uses: &[Node<'tree>], checked: Checked) -> Checked {
        let Some((module, name)) = moved_and_called(old, uses, &checked) else { return checked };
        let Some((_, other)) = self.replaced_at_source().iter().find(|(on, other)| on == module && other != name)
        else {
            return checked;
        };
        // The canonical object passed on by the deprecated module runs the
        // same either way.
        let index = self.scope.index.as_deref();
        let same_object = index.zip(checked.mapping.target.as_ref()).is_some_and(|(index, target)| {
            let old = index.resolve_path(old).definition_path();
            old.is_some() && old == index.resolve_path(&target.full()).definition_path()
        });
        match same_object {
            true => checked,
            false => verify::collaborator_patched(checked, name, module, other),
        }
    }

    /// Who else reads the binding of `record` (by where it stands, who
    /// imports it, `__all__`).
    fn exported(&self, record: &ImportRecord<'tree>) -> Exported {
        let scope = record.binds_in;
        let binding = record.binding().filter(|_| scope.kind() == "module");
        let used_by = binding.as_deref().map(|binding| self.used_by_others(binding)).unwrap_or_default();
        let class = scope.child_by_field_name("name").filter(|_| scope.kind() == "class_definition");
        if let Some(class) = class {
            Exported::ClassAttribute(node_text(class, self.text).to_string())
        } else if !used_by.is_empty() {
            Exported::UsedBy(used_by)
        } else if binding.as_deref().is_some_and(|binding| self.scope.is_package || self.all_lists(binding)) {
            Exported::Declared
        } else if binding.is_some() && self.scope.importers_pending() {
            Exported::NotYetKnown
        } else if binding.is_some() && self.scope.importers_unscanned() {
            Exported::Unscanned
        } else if binding.as_deref().is_some_and(|binding| self.editor.names_namespace_by_key(binding)) {
            Exported::ReadByKey
        } else {
            Exported::No
        }
    }

    /// `try: from old import x` (or `import old as m`) … `except
    /// ImportError:` with the binding used nowhere (`uses`, `exported`)
    /// asks whether the old module is there; the fix would ask the new.
    fn only_tried(&self, record: &ImportRecord<'tree>, uses: &[Node<'tree>], exported: &Exported) -> bool {
        uses.is_empty()
            && matches!(exported, Exported::No)
            && syntax::import_probe(record.statement, self.text) == Some(ImportProbe::Tried)
    }

    /// A name imported inside a function, or read as a module's attribute
    /// there (`ws_manager.get_websocket_manager(ctx)`), is read off its
    /// module whenever the function runs (`read_later`), so a test that
    /// patches it there (`patch("…factory.create_websocket_manager")`)
    /// reaches that call; read from the canonical module it no longer is:
    /// unsafe, naming the patchers (in a buffer before the workspace scan
    /// has recorded them, no fix yet).
    ///
    /// Also says how many patchers were recorded when it looked: the checks
    /// of others run later may record more (the CLI then checks the file
    /// again).
    fn patched_read(&self, read_later: bool, old: &str, checked: Checked) -> (Checked, Option<PatchersSeen>) {
        let (Some(index), Some((module, name))) = (self.scope.index.as_deref(), old.rsplit_once('.')) else {
            return (checked, None);
        };
        let moves = checked.mapping.target.as_ref().is_some_and(|target| target.module != module);
        if checked.mapping.applicability.is_none() || !moves || !read_later {
            return (checked, None);
        }
        if self.scope.importers_pending() {
            return (verify::patch_not_yet_known(checked, name, module), None);
        }
        if self.scope.importers_unscanned() {
            return (verify::patch_unscanned(checked, name, module), None);
        }
        // This file among them: its own patch reaches its own import too.
        let seen = PatchersSeen {
            names: vec![(module.to_string(), name.to_string())],
            count: index.importer_count(module, name),
        };
        let patchers = index.importers_of(module, name);
        if patchers.is_empty() {
            return (checked, Some(seen));
        }
        (verify::patched_at_source(checked, name, module, &patchers), Some(seen))
    }

    /// The finding of a whole deprecated module imported
    /// (`import old.mod as m`, `from pkg import old_mod`): its fix rewrites
    /// the binding and every `m.name` read, each name checked as its own
    /// move would be (and against the patches on the deprecated module,
    /// where a function reads it); the reasons a name's fix is unsafe, or
    /// none, are the finding's.
    fn module_binding_finding(&self, rule: &Rule, record: &ImportRecord<'tree>, range: (usize, usize)) -> Finding {
        let deprecated = rule.module.clone().unwrap_or_default();
        // A fix renames the attributes read off the binding; bound to
        // something else too, some may not be read off the module.
        if let Some(other) = self.editor.rebinding(record) {
            let reason = format!(
                "`{}` is bound again on line {}, and the fix would rename the attributes read off that too",
                node_text(other, self.text),
                other.start_position().row + 1
            );
            return self.finding_remarked(rule, range, deprecated, None, None, Some(Remark::NoAutomaticFix(&reason)));
        }
        let mut seen: Option<PatchersSeen> = None;
        let mut unsafe_reasons: Vec<String> = Vec::new();
        let mut blocking_reasons: Vec<String> = Vec::new();
        let mut judge = |old: &str, mapping: NameMapping, attribute: Node<'tree>| {
            let checked = self.verifier.check(old, mapping, &[attribute], &Exported::No);
            let checked = self.patched_collaborator(old, &[attribute], checked);
            let checked = if checked.mapping.drop_await { verify::await_kept(checked, old) } else { checked };
            let (checked, patchers) = self.patched_read(runs_in_function(attribute), old, checked);
            if let Some(patchers) = patchers {
                seen = Some(match seen.take() {
                    Some(earlier) => earlier.merge(patchers),
                    None => patchers,
                });
            }
            let reasons = match checked.mapping.applicability {
                Some(Applicability::Safe) => None,
                Some(Applicability::Unsafe) => Some(&mut unsafe_reasons),
                None => Some(&mut blocking_reasons),
            };
            let note = match (&checked.mapping.target, &checked.mapping.note) {
                (None, note) if !note.as_deref().is_some_and(|note| note.starts_with(verify::NOT_IN_CODE_BASE)) => {
                    let name = old.rsplit('.').next().unwrap_or(old);
                    let why = note.as_deref().map(|note| format!(" ({note})")).unwrap_or_default();
                    Some(format!("`{name}` has no SSOT counterpart{why}: rewrite by hand"))
                }
                (_, note) => note.clone(),
            };
            if let (Some(reasons), Some(note)) = (reasons, note) {
                if !reasons.contains(&note) {
                    reasons.push(note);
                }
            }
            checked.mapping
        };
        let fix = self.editor.module_binding_fix(rule, record, &self.imports, &mut judge);
        // `try: import old as m` … `except ImportError:`, `m` unused.
        let tried = fix.is_some() && syntax::import_probe(record.statement, self.text) == Some(ImportProbe::Tried) && {
            let uses = record.binding().map(|binding| self.references(record, &binding)).unwrap_or_default();
            self.only_tried(record, &uses, &self.exported(record))
        };
        if tried {
            let remark = Some(Remark::NoAutomaticFix(verify::ONLY_TRIED));
            return self.finding_remarked(rule, range, deprecated, None, None, remark);
        }
        let reasons = match &fix {
            // Unsafe with no name to blame: the rule's own applicability, for
            // a module used other than by its names (or not at all).
            Some(fix) if fix.applicability == Applicability::Unsafe && unsafe_reasons.is_empty() => {
                match (rule.module.as_deref(), rule.canonical.as_deref()) {
                    (Some(deprecated), Some(canonical)) => {
                        self.module_swap_reason(deprecated, canonical, Swap::Imported)
                    }
                    _ => String::new(),
                }
            }
            Some(fix) if fix.applicability == Applicability::Unsafe => unsafe_reasons.join("; "),
            Some(_) => String::new(),
            None => blocking_reasons.join("; "),
        };
        let remark = match &fix {
            _ if reasons.is_empty() => None,
            Some(_) => Some(Remark::UnsafeFix(&reasons)),
            None => Some(Remark::NoAutomaticFix(&reasons)),
        };
        let mut finding = self.finding_remarked(rule, range, deprecated, None, fix, remark);
        finding.patchers_seen = seen;
        finding
    }

    /// The other modules of the workspace that import `name` from this one,
    /// or patch it on it (as their checks recorded in the index): this
    /// module is a plain-binding re-export hub of it in practice.
    fn used_by_others(&self, name: &str) -> Vec<String> {
        let (Some(index), Some(module)) = (self.scope.index.as_deref(), self.scope.module.as_deref()) else {
            return Vec::new();
        };
        index.importers_of(module, name)
    }

    /// Why removing `name` from `__all__` may change behaviour: a star
    /// import of this module no longer binds it, naming the workspace
    /// modules known to import it from here.
    fn export_removal_reason(&self, name: &str) -> String {
        let lost = format!("`import *` of this module no longer binds `{name}`");
        let importers = self.used_by_others(name);
        if importers.is_empty() {
            return lost;
        }
        let (who, many) = verify::first_and_others(&importers);
        let verb = if many { "import" } else { "imports" };
        format!("{lost}, which {who} {verb} from here")
    }

    /// Whether `__all__` lists `name`.
    fn all_lists(&self, name: &str) -> bool {
        self.captures.all_values.iter().any(|value| {
            syntax::descendants_of_kind(*value, "string")
                .into_iter()
                .filter_map(|string| string_content_range(string, self.text))
                .any(|(start, end)| &self.text[start..end] == name)
        })
    }

    /// The identifiers that read `binding` in the scope of the import
    /// `record` (outside its statement), but not those a scope nested in it
    /// binds anew (a parameter, an assignment or an import of the same
    /// name in an inner function reads that one).
    fn references(&self, record: &ImportRecord<'tree>, binding: &str) -> Vec<Node<'tree>> {
        let (statement, scope) = (record.statement, record.binds_in);
        let (mut references, mut inner_bindings) = (Vec::new(), Vec::new());
        // The index holds identifiers by their NFKC name; these are those
        // written as `binding`.
        for identifier in self.editor.index().identifiers_in(scope, &identifiers::normalize(binding)) {
            if node_text(identifier, self.text) != binding || within(identifier, statement) {
                continue;
            }
            match classify(identifier) {
                Occurrence::Reference => references.push(identifier),
                // `nonlocal` names the enclosing binding; `global`, the
                // module's (outside a function's import's scope).
                Occurrence::Binding
                    if identifier.parent().is_some_and(|parent| parent.kind() == "nonlocal_statement") => {}
                Occurrence::Binding => {
                    let bound_in = syntax::binding_scope(identifier);
                    if bound_in.id() != scope.id() && within(bound_in, scope) {
                        inner_bindings.push(bound_in.id());
                    }
                }
                Occurrence::NotAName => {}
            }
        }
        if !inner_bindings.is_empty() {
            // A class body's names are not seen from the functions in it.
            references.retain(|identifier| {
                !self.scopes_around(*identifier).iter().enumerate().any(|(depth, around)| {
                    (depth == 0 || around.kind() != "class_definition") && inner_bindings.contains(&around.id())
                })
            });
        }
        references
    }

    /// A name move's finding and fix, after checking it against the workspace.
    fn name_move_finding(
        &self,
        rule: &Rule,
        record: &ImportRecord<'tree>,
        old: String,
        mapping: NameMapping,
        range: (usize, usize),
        reexported_by: Option<&str>,
    ) -> Finding {
        self.record_hub_alias(rule, record, &mapping);
        let (checked, patchers_seen) = self.checked_mapping(record, &old, mapping);
        // Through a re-export hub, the statement's other names are the hub's:
        // this name moves alone.
        let siblings = if record.module == old.rsplit_once('.').map_or("", |(module, _)| module) {
            self.statement_mappings(record, rule)
        } else {
            Vec::new()
        };
        let mut fix = self.editor.move_name_fix(record, &checked.mapping, &self.imports, &siblings);
        if checked.mapping.drop_await {
            let uses = record.binding().map(|binding| self.references(record, &binding)).unwrap_or_default();
            let calls: Vec<Node<'tree>> =
                uses.into_iter().filter(|&used| syntax::is_callee(used)).filter_map(|callee| callee.parent()).collect();
            fix = fix.and_then(|fix| crate::edits::drop_awaits(fix, &calls));
        }
        if let Some(fix) = fix.as_mut() {
            fix.note = checked.unchecked.clone();
        }
        let via = reexported_by.map(Remark::ReexportedBy);
        let mut finding = self.finding_remarked(rule, range, old, Some(&checked.mapping), fix, via);
        finding.patchers_seen = patchers_seen;
        finding
    }

    fn finding(
        &self,
        rule: &Rule,
        node_range: (usize, usize),
        deprecated: String,
        mapping: Option<&NameMapping>,
        fix: Option<Fix>,
    ) -> Finding {
        self.finding_remarked(rule, node_range, deprecated, mapping, fix, None)
    }

    /// A finding whose message is the rule's sentence, the remark its mapping
    /// calls for, then `extra`.
    fn finding_remarked(
        &self,
        rule: &Rule,
        node_range: (usize, usize),
        deprecated: String,
        mapping: Option<&NameMapping>,
        fix: Option<Fix>,
        extra: Option<Remark<'_>>,
    ) -> Finding {
        let canonical = mapping.and_then(|m| m.target.as_ref()).map(QualifiedName::full);
        let mut remark = mapping.and_then(Remark::of_mapping);
        // In `with pytest.raises(ImportError):` the old path is there to
        // fail: a test that it is gone, not a use to migrate.
        let (fix, extra) = match fix {
            Some(fix) => match self.expected_of_import(node_range) {
                Some(reason) => {
                    remark = Some(Remark::NoAutomaticFix(reason));
                    (None, extra.filter(|extra| matches!(extra, Remark::ReexportedBy(_))))
                }
                None => (Some(fix), extra),
            },
            None => (None, extra),
        };
        // "…; use `X`" would point at a module that lacks the name.
        let with_use = !matches!(remark, Some(Remark::NoCounterpart(_) | Remark::NotInCodeBase(_)));
        let sentence = rule_sentence(rule, &deprecated, canonical.as_deref().or(rule.canonical.as_deref()), with_use);
        let message = compose_message(sentence, remark.into_iter().chain(extra));
        self.finding_with_message(rule, node_range, deprecated, canonical, message, fix)
    }

    /// Why the finding at `node_range` gets no fix when it sits in the body
    /// of a `with` that expects its import to fail or to warn
    /// (`syntax::ImportProbe`).
    fn expected_of_import(&self, (start, end): (usize, usize)) -> Option<&'static str> {
        let node = self.tree.root_node().descendant_for_byte_range(start, end)?;
        match syntax::import_probe(node, self.text)? {
            ImportProbe::ExpectedToFail => Some(verify::EXPECTED_TO_FAIL),
            ImportProbe::ExpectedToWarn => Some(verify::EXPECTED_TO_WARN),
            ImportProbe::Tried => None,
        }
    }

    fn finding_with_message(
        &self,
        rule: &Rule,
        node_range: (usize, usize),
        deprecated: String,
        canonical: Option<String>,
        message: String,
        fix: Option<Fix>,
    ) -> Finding {
        Finding {
            code: rule.code.clone(),
            rule_name: rule.name.clone(),
            severity: rule.severity,
            message,
            start: node_range.0,
            end: node_range.1,
            deprecated,
            canonical: canonical.or_else(|| rule.canonical.clone()),
            url: rule.url.clone(),
            fix,
            baselined: false,
            patchers_seen: None,
        }
    }

    /// `module` rules: imports of the module, names from it, attribute chains
    /// and string paths into it.
    fn check_module_rule(&self, rule: &Rule, findings: &mut Vec<Finding>) {
        let Some(deprecated) = rule.module.as_deref() else { return };
        for record in &self.imports {
            match &record.item {
                ImportItem::Name { name, name_node, .. } if record.module == deprecated => {
                    let mapping = rule.mapping_for(name).unwrap_or_else(NameMapping::no_counterpart);
                    let range = (name_node.start_byte(), name_node.end_byte());
                    findings.push(self.name_move_finding(
                        rule,
                        record,
                        join_path(deprecated, name),
                        mapping,
                        range,
                        None,
                    ));
                }
                ImportItem::Name { name, .. } if join_path(&record.module, name) == deprecated => {
                    let range = self.editor.import_item_name_range(record);
                    findings.push(self.module_binding_finding(rule, record, range));
                }
                ImportItem::Module { path_node, .. } if record.module == deprecated => {
                    let range = (path_node.start_byte(), path_node.end_byte());
                    findings.push(self.module_binding_finding(rule, record, range));
                }
                ImportItem::Star { .. } if record.module == deprecated => {
                    let fix = self.editor.star_import_fix(rule, record);
                    let range = (record.module_node.start_byte(), record.module_node.end_byte());
                    // The names `*` binds change with the module.
                    let swap = match (&rule.canonical, &fix) {
                        (Some(canonical), Some(fix)) if fix.applicability == Applicability::Unsafe => {
                            Some(self.module_swap_reason(deprecated, canonical, Swap::StarImport))
                        }
                        _ => None,
                    };
                    let remark = swap.as_deref().map(Remark::UnsafeFix);
                    findings.push(self.finding_remarked(rule, range, deprecated.to_string(), None, fix, remark));
                }
                _ => {}
            }
        }
        self.check_string_paths(rule, findings, |path| {
            if path == deprecated {
                return Some((deprecated.to_string(), None));
            }
            let rest = path.strip_prefix(deprecated)?.strip_prefix(['.', ':'])?;
            let name = rest.split('.').next().unwrap_or(rest);
            Some((
                join_path(deprecated, name),
                Some(rule.mapping_for(name).unwrap_or_else(NameMapping::no_counterpart)),
            ))
        });
    }

    /// Names imported from a workspace module that re-exports a deprecated
    /// name (a hub such as `pkg.canonical_imports`): the same finding and fix
    /// as importing the deprecated name itself, through any number of hubs.
    fn check_reexports(&self, rules: &[&Rule], findings: &mut Vec<Finding>) {
        let Some(index) = self.scope.index.as_deref() else { return };
        for record in &self.imports {
            let ImportItem::Name { name, name_node, .. } = &record.item else { continue };
            let followed = maps_name(rules.iter().copied(), name) || index.is_hub_alias(&record.module, name);
            if !followed
                || is_rule_module(rules.iter().copied(), &record.module)
                || index.module(&record.module).is_none()
            {
                continue;
            }
            let found = index.reexport_chain(&record.module, name).into_iter().find_map(|path| {
                let rule = rule_deprecating(rules.iter().copied(), &path)?;
                let last = path.rsplit_once('.')?.1.to_string();
                Some((rule, path, last))
            });
            let Some((rule, path, last)) = found else { continue };
            self.record_reexports(index, &record.module, name, &path);
            let mapping = rule.mapping_for(&last).unwrap_or_else(NameMapping::no_counterpart);
            let range = (name_node.start_byte(), name_node.end_byte());
            findings.push(self.name_move_finding(rule, record, path, mapping, range, Some(&record.module)));
        }
    }

    /// Records in the index that this module (or package) binds a
    /// deprecated name at its top level under another name: renamed here
    /// (`import old as alias`), or a hub's alias imported under its own name
    /// (`from .hub import alias`, a hub of a hub). Files that import that
    /// name from here hold no trigger string, and are to be followed too.
    /// So does a name a module rule moves to another name
    /// (`WebSocketConnectionManager` of the shim): only the module's path is
    /// that rule's trigger, and the fix renames the name here.
    fn record_hub_alias(&self, rule: &Rule, record: &ImportRecord<'tree>, mapping: &NameMapping) {
        let (Some(index), Some(module)) = (self.scope.index.as_deref(), self.scope.module.as_deref()) else { return };
        let ImportItem::Name { name, alias, .. } = &record.item else { return };
        let renamed = alias.as_ref().is_some_and(|alias| alias != name);
        let moved_off_a_module = rule.kind == RuleKind::Module
            && alias.is_none()
            && mapping.target.as_ref().is_some_and(|target| target.name != *name)
            && !is_trigger_name(self.known_rules, name);
        if (renamed || moved_off_a_module || index.is_hub_alias(&record.module, name))
            && record.binds_in.kind() == "module"
        {
            index.record_hub_alias(module, alias.as_deref().unwrap_or(name));
            // What this file patches may read the new alias: the answers
            // given so far are asked again.
            self.checked_mappings.borrow_mut().clear();
        }
    }

    /// Dotted paths in strings (given to `patch(...)` and the like, or held
    /// in a constant) that name a deprecated name as a binding of a
    /// workspace module that imports it
    /// (`patch("app.routes.ws.create_websocket_manager")`, where
    /// `app/routes/ws.py` imports the factory's function): the test replaces
    /// that module's binding, so the module's own fix must keep the name,
    /// as for a file importing it from there. Recorded as such an import;
    /// no finding here, since the path is right as long as the module binds
    /// the name.
    ///
    /// The same for a call given the module as an object and the name as
    /// a string (`patch.object(ws_route, "create_websocket_manager")`,
    /// `monkeypatch.setattr(ws_route, "create_websocket_manager", fake)`):
    /// the skeleton keeps the lines naming the object ([`bindings_into_rules`]),
    /// so its import is at hand; and for the name read or assigned as an
    /// attribute of the module (`ws_route.create_websocket_manager = fake`),
    /// resolved when the skeleton holds the module's import (every import
    /// rooted where a rule's path is, and every relative one).
    fn record_patched_reexports(&self) {
        let Some(index) = self.scope.index.as_deref() else { return };
        let rules = self.known_rules;
        // `patched` depends on the hubs' aliases recorded so far, this
        // file's own checks among them: found again unless they are those
        // the cached look saw.
        let aliases = index.hub_alias_names().recorded();
        let found;
        let PatchedNames { at_source, patched, .. } = match self.patched_names.get() {
            Some(names) if names.aliases_seen == aliases => names,
            _ => {
                found = self.find_patched_names();
                &found
            }
        };
        for (module, name) in at_source {
            self.record_one_reexport(index, module, name);
        }
        for (module, name) in patched {
            let (module, name) = (module.as_str(), name.as_str());
            // The deprecated module's own names are the rules' to report.
            if is_rule_module(rules, module) || index.module(module).is_none() {
                continue;
            }
            let deprecated =
                index.reexport_chain(module, name).into_iter().find(|path| rule_deprecating(rules, path).is_some());
            if let Some(deprecated) = deprecated {
                self.record_reexports(index, module, name, &deprecated);
            }
        }
    }

    /// The deprecated names this file replaces on their own module
    /// ([`PatchedNames::at_source`]), found once per file when asked.
    fn replaced_at_source(&self) -> &[(String, String)] {
        &self.patched_names.get_or_init(|| self.find_patched_names()).at_source
    }

    /// The names this file replaces or reads on workspace modules by name
    /// ([`PatchedNames`]; [`Self::record_patched_reexports`] says how).
    fn find_patched_names(&self) -> PatchedNames {
        let Some(index) = self.scope.index.as_deref() else { return PatchedNames::default() };
        let aliases_seen = index.hub_alias_names().recorded();
        let rules = self.known_rules;
        let watched = |name: &str| maps_name(rules, name);
        // The deprecated names and hubs' aliases the text names as words:
        // what code reading a module's namespace as a whole may ask it for.
        let named = std::cell::OnceCell::new();
        let named = || {
            named.get_or_init(|| {
                let mut names: Vec<String> = rules.iter().flat_map(|rule| rule.names.keys().cloned()).collect();
                names.extend(index.hub_alias_names().aliases());
                names.sort();
                names.dedup();
                names.retain(|name| {
                    identifiers::names_word(self.text.as_bytes(), &memchr::memmem::Finder::new(name.as_bytes()))
                });
                names
            })
        };
        let mut patched: Vec<(String, String)> = Vec::new();
        // Deprecated names replaced on their own module (a patch target
        // string, `patch.object`/`setattr`/`delattr`, an assignment to
        // `factory.name`): code that reads the name there when it runs (an
        // import inside a function) is patched, and its fix would leave
        // the patch behind (`patched_at_source`).
        let mut at_source: Vec<(String, String)> = Vec::new();
        let deprecates = |module: &str, name: &str| rule_deprecating(rules, &join_path(module, name)).is_some();
        let namespace_read = |module: &str, patched: &mut Vec<(String, String)>| {
            for name in named() {
                if watched(name) || index.is_hub_alias(module, name) {
                    patched.push((module.to_string(), name.clone()));
                }
            }
        };
        // Dotted paths in strings anywhere in the text, as a whole literal
        // or adjacent ones joined (`"app.routes." "hub.create_websocket_manager"`):
        // patch targets, and constants that hold one. Read lexically, from
        // each quote before the name of a top-level package or module of
        // the workspace: a first look keeps a split target's lines only
        // where one part names the trigger. The longest prefix that is a
        // module is the module; the part after it, when a deprecated name
        // (or a hub's alias of one), the name.
        let opens = index.quoted_top_level(self.text.as_bytes());
        // A path held in a list or passed to another function (a catalogue
        // of the deprecated paths a test imports one by one) replaces
        // nothing: only a file that calls a patcher, or a constant (another
        // file may patch with it), counts as patching it at its source.
        let calls_a_patcher = std::cell::OnceCell::new();
        for (path, open) in identifiers::quoted_dotted_paths(self.text, opens) {
            let may_replace = || {
                identifiers::assigned_literal(self.text.as_bytes(), open)
                    || *calls_a_patcher.get_or_init(|| identifiers::calls_a_patcher(self.text.as_bytes()))
            };
            let path = path.replacen(':', ".", 1);
            let mut ends: Vec<usize> = path.match_indices('.').map(|(at, _)| at).collect();
            ends.push(path.len());
            let Some(&end) = ends.iter().rev().find(|&&end| index.module(&path[..end]).is_some()) else { continue };
            let module = &path[..end];
            // A path of the module alone (`import_module("app.routes.hub")`
            // kept in a variable, `patch.multiple("app.routes.hub", …)`) is
            // not followed: a file naming the deprecated name for its own
            // import then withheld the module's fix (the demo's test, which
            // loads its route by name).
            let name = path[end..].strip_prefix('.').and_then(|rest| rest.split('.').next());
            if let Some(name) = name.filter(|name| deprecates(module, name) && may_replace()) {
                at_source.push((module.to_string(), name.to_string()));
            }
            if let Some(name) = name.filter(|name| watched(name) || index.is_hub_alias(module, name)) {
                patched.push((module.to_string(), name.to_string()));
            }
        }
        for &call in &self.captures.calls {
            if let Some(module) = namespace_of(call, self.text).and_then(|object| self.resolve_expression(object)) {
                namespace_read(&module, &mut patched);
                continue;
            }
            let Some((object, _, attribute)) = syntax::object_patch(call, self.text) else { continue };
            let name = identifiers::normalize(attribute);
            let Some(module) = self.resolve_expression(object) else { continue };
            if deprecates(&module, &name) && syntax::replaces_attribute(call, self.text) {
                at_source.push((module.clone(), name.to_string()));
            }
            if watched(&name) || index.is_hub_alias(&module, &name) {
                patched.push((module, name.into_owned()));
            }
        }
        // `ws_route.create_websocket_manager` read (or assigned: a test's
        // own patch) as an attribute of the module.
        for &attribute in &self.captures.attributes {
            let (Some(object), Some(last)) =
                (attribute.child_by_field_name("object"), attribute.child_by_field_name("attribute"))
            else {
                continue;
            };
            let last = node_text(last, self.text);
            // `hub.__dict__["create_websocket_manager"]`,
            // `patch.dict(hub.__dict__, {…})`.
            if last == "__dict__" {
                if let Some(module) = self.resolve_expression(object) {
                    namespace_read(&module, &mut patched);
                }
                continue;
            }
            let name = identifiers::normalize(last);
            let assigned = syntax::is_assigned(attribute);
            if !watched(&name) && !assigned {
                continue;
            }
            let module =
                self.resolve_expression(object).or_else(|| module_loaded_by(object, self.text).map(str::to_string));
            let Some(module) = module else { continue };
            if assigned && deprecates(&module, &name) {
                at_source.push((module.clone(), name.to_string()));
            }
            if watched(&name) {
                patched.push((module, name.into_owned()));
            }
        }
        // `from app.routes.hub import *` binds here what the hub binds: the
        // deprecated names the file names pass through it.
        for record in &self.imports {
            if !matches!(record.item, ImportItem::Star { .. }) || index.module(&record.module).is_none() {
                continue;
            }
            namespace_read(&record.module, &mut patched);
        }
        at_source.sort();
        at_source.dedup();
        patched.sort();
        patched.dedup();
        PatchedNames { at_source, patched, aliases_seen }
    }

    /// Records in the index that this file imports `name` from the hub
    /// `module`, and the hubs the name passes through on its way to the
    /// deprecated `deprecated` (all but the last step of its chain): each
    /// of them re-exports the name in practice, so its own fix must keep it.
    /// With a `ReexportLog` in the scope, they are noted there for the
    /// caller to commit instead.
    fn record_reexports(&self, index: &WorkspaceIndex, module: &str, name: &str, deprecated: &str) {
        self.record_one_reexport(index, module, name);
        for step in index.reexport_chain(module, name) {
            if step == deprecated {
                break;
            }
            if let Some((hub, hub_name)) = step.rsplit_once('.') {
                self.record_one_reexport(index, hub, hub_name);
            }
        }
    }

    /// Records that this file uses `name` through `module` (imports or
    /// patches it there), in the scope's log or the index.
    fn record_one_reexport(&self, index: &WorkspaceIndex, module: &str, name: &str) {
        match &self.scope.reexport_log {
            Some(log) => {
                log.name_importer(&importer_key(self.scope));
                log.add(module, name);
            }
            None => {
                index.record_reexport(module, name, &importer_key(self.scope));
            }
        }
    }

    /// `names` rules: listed names imported from the module, attribute uses of
    /// them through a module binding, and string paths.
    fn check_names_rule(&self, rule: &Rule, findings: &mut Vec<Finding>) {
        let Some(package) = rule.module.as_deref() else { return };
        for record in &self.imports {
            let ImportItem::Name { name, name_node, .. } = &record.item else { continue };
            if record.module != package {
                continue;
            }
            let Some(mapping) = rule.mapping_for(name) else { continue };
            let range = (name_node.start_byte(), name_node.end_byte());
            findings.push(self.name_move_finding(rule, record, join_path(package, name), mapping, range, None));
        }
        self.check_star_bound_uses(rule, package, findings);
        // `import pkg as p; p.old(...)` and `pkg.old(...)`: only an import of
        // the package, or of a package above it, makes such a chain resolve,
        // so without one the tree is not walked.
        let reachable = self
            .bindings
            .values()
            .flatten()
            .any(|target| is_dotted_prefix(target, package) || is_dotted_prefix(package, target));
        let attributes: &[Node<'tree>] = if reachable { self.editor.index().attributes() } else { &[] };
        for &attribute in attributes {
            let Some(path) = self.resolve_expression(attribute) else { continue };
            let Some(name) = path.strip_prefix(package).and_then(|rest| rest.strip_prefix('.')) else { continue };
            let Some(mapping) = rule.mapping_for(name) else { continue };
            let Some(attr_node) = attribute.child_by_field_name("attribute") else { continue };
            let range = (attr_node.start_byte(), attr_node.end_byte());
            findings.push(self.finding(rule, range, path.clone(), Some(&mapping), None));
        }
        self.check_string_paths(rule, findings, |path| {
            let rest = path.strip_prefix(package)?.strip_prefix(['.', ':'])?;
            let name = rest.split('.').next().unwrap_or(rest);
            let mapping = rule.mapping_for(name)?;
            Some((join_path(package, name), Some(mapping)))
        });
    }

    /// `from pkg import *` binds the package's deprecated names: each use of
    /// one that no binding of its own scopes shadows is a finding (as ruff's
    /// F405 reports each name a star import may define), with no fix (the
    /// name is to be imported by name first). A binding at the module's top
    /// level (or a `global` one) shadows every use, wherever it stands.
    fn check_star_bound_uses(&self, rule: &Rule, package: &str, findings: &mut Vec<Finding>) {
        let star =
            |record: &&ImportRecord<'tree>| matches!(record.item, ImportItem::Star { .. }) && record.module == package;
        let Some(star_import) = self.imports.iter().find(star) else { return };
        let root = self.tree.root_node();
        let mut names: Vec<(&String, &NameMapping)> = rule.names.iter().collect();
        names.sort_by(|left, right| left.0.cmp(right.0));
        for (name, mapping) in names {
            if self.bindings.contains_key(name.as_str()) {
                continue;
            }
            let (mut uses, mut binding_scopes) = (Vec::new(), Vec::new());
            for identifier in self.editor.index().identifiers_in(root, name) {
                match classify(identifier) {
                    Occurrence::Reference => uses.push(identifier),
                    Occurrence::Binding => binding_scopes.push(syntax::binding_scope(identifier).id()),
                    Occurrence::NotAName => {}
                }
            }
            if binding_scopes.contains(&root.id()) {
                continue;
            }
            let reason = format!(
                "`{name}` is bound by `from {} import *`; import it by name to fix it",
                node_text(star_import.module_node, self.text)
            );
            for identifier in uses {
                let shadowed = self.scopes_around(identifier).iter().enumerate().any(|(depth, scope)| {
                    (depth == 0 || scope.kind() != "class_definition") && binding_scopes.contains(&scope.id())
                });
                if shadowed || identifier.start_byte() < star_import.statement.end_byte() {
                    continue;
                }
                let range = (identifier.start_byte(), identifier.end_byte());
                let remark = Some(Remark::NoAutomaticFix(&reason));
                findings.push(self.finding_remarked(
                    rule,
                    range,
                    join_path(package, name),
                    Some(mapping),
                    None,
                    remark,
                ));
            }
        }
    }

    /// Every name imported by `record`'s statement that `rule` maps, with its
    /// mapping (names the rule does not know are left out).
    fn statement_mappings(
        &self,
        record: &ImportRecord<'tree>,
        rule: &Rule,
    ) -> Vec<(&ImportRecord<'tree>, NameMapping)> {
        self.imports
            .iter()
            .filter(|other| other.statement.id() == record.statement.id())
            .filter_map(|other| match &other.item {
                ImportItem::Name { name, name_node, .. } => rule.mapping_for(name).map(|mapping| {
                    // A name its own comment keeps out of the fixes stays,
                    // like a name without a counterpart.
                    let range = (name_node.start_byte(), name_node.end_byte());
                    let mapping = if self.suppressions.silences_range(self.tree, range, &rule.code) {
                        NameMapping::no_counterpart()
                    } else {
                        self.checked_mapping(other, &join_path(&other.module, name), mapping).0.mapping
                    };
                    (other, mapping)
                }),
                _ => None,
            })
            .collect()
    }

    /// `call` rules: calls whose callee resolves to a listed callable.
    fn check_call_rule(&self, rule: &Rule, findings: &mut Vec<Finding>) {
        for call in &self.captures.calls {
            let Some(callee) = call.child_by_field_name("function") else { continue };
            let Some(path) = self.resolve_expression(callee) else { continue };
            if !rule.callables.contains(&path) {
                continue;
            }
            let range = (callee.start_byte(), callee.end_byte());
            let mapping = NameMapping {
                target: rule.canonical.as_deref().and_then(QualifiedName::parse),
                applicability: None,
                note: None,
                keep_binding: false,
                drop_await: false,
            };
            let mut finding = self.finding(rule, range, path, None, None);
            finding.canonical = mapping.target.as_ref().map(QualifiedName::full);
            findings.push(finding);
        }
    }

    /// Strings that are dotted paths given to `patch(...)`, `import_module`,
    /// `monkeypatch.setattr`, `sys.modules[...]` and the like.
    fn check_string_paths(
        &self,
        rule: &Rule,
        findings: &mut Vec<Finding>,
        classify: impl Fn(&str) -> Option<(String, Option<NameMapping>)>,
    ) {
        for string in &self.captures.strings {
            let Some(((content_start, content_end), content)) = self.path_argument(*string) else { continue };
            let content = content.as_ref();
            let Some((deprecated, mapping)) = classify(content) else { continue };
            // A patched path must exist in the target module too.
            let mapping = mapping.map(|mapping| self.verifier.check(&deprecated, mapping, &[], &Exported::No).mapping);
            let mut fix = self.editor.string_path_fix(rule, content, (content_start, content_end), mapping.as_ref());
            // A relative name given to `import_module` stays relative to its
            // package where the new path is inside it.
            let written = &self.text[content_start..content_end];
            if let (Some(fix), Some((_, base))) = (fix.as_mut(), self.relative_module_name(*string, written)) {
                let dots = &written[..written.len() - written.trim_start_matches('.').len()];
                for edit in &mut fix.edits {
                    if let Some(rest) = edit.replacement.strip_prefix(&format!("{base}.")) {
                        edit.replacement = format!("{dots}{rest}");
                        fix.title = format!("Replace the path with `{}`", edit.replacement);
                    }
                }
            }
            // The whole module, loaded by name: what the code reads off it
            // comes from the canonical module after the fix.
            let swap = match (&mapping, &rule.canonical, &fix) {
                (None, Some(canonical), Some(fix)) if fix.applicability == Applicability::Unsafe => {
                    Some(self.module_swap_reason(&deprecated, canonical, self.swap_of_path(*string)))
                }
                _ => None,
            };
            // A name's path: what is patched or resolved moves with it.
            let moved = match (mapping.as_ref().and_then(|mapping| mapping.target.as_ref()), fix.as_mut()) {
                (Some(target), Some(fix)) if fix.applicability == Applicability::Safe => {
                    let reason = self.moved_path_reason(*string, &deprecated, target);
                    if reason.is_some() {
                        fix.applicability = Applicability::Unsafe;
                    }
                    reason
                }
                _ => None,
            };
            let range = (content_start, content_end);
            if let Some(reason) = fix.as_ref().and(self.path_probe(*string)) {
                let remark = Some(Remark::NoAutomaticFix(reason));
                findings.push(self.finding_remarked(rule, range, deprecated, mapping.as_ref(), None, remark));
                continue;
            }
            let remark = swap.or(moved);
            let remark = remark.as_deref().map(Remark::UnsafeFix);
            findings.push(self.finding_remarked(rule, range, deprecated, mapping.as_ref(), fix, remark));
        }
    }

    /// Why a path argument asks only whether its module is there, which a
    /// rewrite would ask of the canonical module: given to `find_spec` (or
    /// `find_loader`), or to `import_module` (`__import__`) as a statement of
    /// its own in a `try` whose `except` names `ImportError`.
    fn path_probe(&self, string: Node<'tree>) -> Option<&'static str> {
        let arguments = argument_holder(string).filter(|parent| parent.kind() == "argument_list")?;
        let callee = self.callee_of_argument(arguments)?;
        match callee.rsplit('.').next()? {
            "find_spec" | "find_loader" => Some(verify::LOOKED_UP),
            "import_module" | "__import__" => {
                let call = arguments.parent()?;
                let alone = call.parent().is_some_and(|parent| parent.kind() == "expression_statement");
                let tried = alone && syntax::import_probe(call, self.text) == Some(ImportProbe::Tried);
                tried.then_some(verify::ONLY_TRIED)
            }
            _ => None,
        }
    }

    /// Why rewriting the path of the name `deprecated` to `target` in
    /// `string` may change behaviour: a patch (`patch("…")`,
    /// `monkeypatch.setattr("…", …)`) then replaces another module's
    /// attribute, and code that still reads the deprecated one when it runs
    /// is no longer patched; a name resolved by its path is then another
    /// object, unless the two are one (a re-export), and its uses are not
    /// seen.
    fn moved_path_reason(&self, string: Node<'tree>, deprecated: &str, target: &QualifiedName) -> Option<String> {
        let arguments = argument_holder(string).filter(|parent| parent.kind() == "argument_list");
        let callee = arguments.and_then(|arguments| self.callee_of_argument(arguments)).unwrap_or_default();
        if matches!(callee.rsplit('.').next(), Some("patch" | "setattr" | "delattr")) {
            return Some(verify::moved_patch_reason(deprecated, &target.full()));
        }
        let index = self.scope.index.as_deref();
        let definition = |path: &str| index.and_then(|index| index.resolve_path(path).definition_path());
        let same = definition(deprecated).is_some_and(|old| Some(old) == definition(&target.full()));
        (!same).then(|| {
            format!("the name resolved here becomes `{}`, another object, whose uses are not checked", target.full())
        })
    }

    /// Why the module `deprecated`, loaded by name
    /// (`importlib.import_module("…")`, `sys.modules["…"]`) or imported
    /// with `*`, is not safely swapped for `canonical`: code reading names
    /// off the module object, or the names `*` bound, gets `canonical`'s
    /// instead. Names the deprecated module defines (not those it imports,
    /// nor dunders; for `*`, nor private names) that this file names as
    /// words and `canonical` does not bind, when the workspace holds both
    /// modules.
    fn module_swap_reason(&self, deprecated: &str, canonical: &str, swap: Swap) -> String {
        let index = self.scope.index.as_deref();
        let old = index.and_then(|index| index.module(deprecated).filter(|_| index.module(canonical).is_some()));
        let mut missing: Vec<&str> = Vec::new();
        if let (Some(index), Some(old)) = (index, &old) {
            let named = |name: &str| {
                identifiers::names_word(self.text.as_bytes(), &memchr::memmem::Finder::new(name.as_bytes()))
            };
            let lacks = |name: &str| {
                matches!(index.resolve_name(canonical, name), Resolved::Missing(_) | Resolved::MissingModule(_))
            };
            missing = old
                .bindings
                .iter()
                .filter(|(name, binding)| !matches!(binding, Binding::Import(_)) && !name.starts_with("__"))
                .filter(|(name, _)| swap != Swap::StarImport || !name.starts_with('_'))
                .map(|(name, _)| name.as_str())
                .filter(|name| named(name) && lacks(name))
                .collect();
            missing.sort_unstable();
        }
        swap_sentence(swap, canonical, &missing)
    }

    /// Where the content of `string` sits and what it is, when it is a
    /// dotted path (`a.b.c`, `a.b:c`) given where Python code names a module
    /// path ([`Self::is_path_argument`]).
    ///
    /// A path split over adjacent literals (`"pkg.mod" ".name"`) is read
    /// joined, at its first literal (the others give nothing): from the
    /// first literal's content to the last one's, which a fix replaces with
    /// one path (the literals then read as one).
    fn path_argument(&self, string: Node<'tree>) -> Option<((usize, usize), Cow<'a, str>)> {
        // Most strings are no path: those are left before anything is
        // allocated for them, or a parent asked for (`Node::parent` searches
        // down from the root).
        if !node_text(string, self.text).contains(['.', ':']) {
            return None;
        }
        if followed_by_a_literal(self.text.as_bytes(), string.end_byte()) {
            if let Some(joined) = string.parent().filter(|parent| parent.kind() == "concatenated_string") {
                return self.joined_path_argument(string, joined);
            }
        }
        let (start, end) = string_content_range(string, self.text)?;
        let content = &self.text[start..end];
        if content.starts_with('.') {
            let absolute = self.relative_module_name(string, content)?.0;
            return is_path_like(&absolute).then_some(((start, end), Cow::Owned(absolute)));
        }
        (is_path_like(content) && self.is_path_argument(string)).then_some(((start, end), Cow::Borrowed(content)))
    }

    /// The module a relative name given to `import_module` names
    /// (`import_module(".websocket_manager_factory", "pkg.websocket_core")`,
    /// `package=`, `__package__`, `__name__`), and the package its dots
    /// start from; `None` when the package is not written out.
    fn relative_module_name(&self, string: Node<'tree>, name: &str) -> Option<(String, String)> {
        if !name.starts_with('.') {
            return None;
        }
        let arguments = string.parent().filter(|parent| parent.kind() == "argument_list")?;
        let callee = self.callee_of_argument(arguments)?;
        if callee.rsplit('.').next() != Some("import_module") {
            return None;
        }
        let mut cursor = arguments.walk();
        let given: Vec<Node<'tree>> =
            arguments.named_children(&mut cursor).filter(|node| node.kind() != "comment").collect();
        if given.first()?.id() != string.id() {
            return None;
        }
        let package = given.iter().skip(1).find_map(|argument| match argument.kind() {
            "keyword_argument" => argument
                .child_by_field_name("name")
                .filter(|keyword| node_text(*keyword, self.text) == "package")
                .and_then(|_| argument.child_by_field_name("value")),
            _ if argument.start_byte() == given[1].start_byte() => Some(*argument),
            _ => None,
        })?;
        let package = match (package.kind(), node_text(package, self.text)) {
            ("string", _) => {
                let (start, end) = string_content_range(package, self.text)?;
                self.text[start..end].to_string()
            }
            ("identifier", "__package__") => self.scope.current_package()?,
            ("identifier", "__name__") => self.scope.module.clone()?,
            _ => return None,
        };
        let rest = name.trim_start_matches('.');
        let mut base = package;
        for _ in 1..name.len() - rest.len() {
            base = base.rsplit_once('.')?.0.to_string();
        }
        if base.is_empty() || rest.is_empty() {
            return None;
        }
        Some((join_path(&base, rest), base))
    }

    /// [`Self::path_argument`] of `string`, one of the literals `joined`
    /// concatenates: all of them plain and opened by the same quotes.
    fn joined_path_argument(&self, string: Node<'tree>, joined: Node<'tree>) -> Option<((usize, usize), Cow<'a, str>)> {
        let mut cursor = joined.walk();
        let parts: Vec<Node<'tree>> =
            joined.named_children(&mut cursor).filter(|part| part.kind() != "comment").collect();
        if parts.first()?.id() != string.id() {
            return None;
        }
        let opening = |part: Node<'tree>| part.named_child(0).map(|start| node_text(start, self.text));
        let mut content = String::new();
        let (mut first, mut last) = (None, 0);
        for part in &parts {
            if part.kind() != "string" || opening(*part) != opening(string) {
                return None;
            }
            let (start, end) = string_content_range(*part, self.text)?;
            first.get_or_insert(start);
            last = end;
            content.push_str(&self.text[start..end]);
        }
        (is_path_like(&content) && self.is_path_argument(string)).then_some(((first?, last), Cow::Owned(content)))
    }

    /// Whether a string literal sits where Python code names a module path.
    fn is_path_argument(&self, string: Node<'tree>) -> bool {
        let Some(parent) = argument_holder(string) else { return false };
        match parent.kind() {
            "argument_list" => {}
            "subscript" => {
                // sys.modules["pkg.mod"]
                return parent
                    .child_by_field_name("value")
                    .is_some_and(|value| node_text(value, self.text).ends_with("modules"));
            }
            _ => return false,
        }
        let Some(callee) = self.callee_of_argument(parent) else { return false };
        let last = callee.rsplit('.').next().unwrap_or_default();
        PATH_TAKING_CALLEES.contains(&last) || is_patch_of_many(callee)
    }

    /// The text of the callee whose `argument_list` is `arguments`.
    fn callee_of_argument(&self, arguments: Node<'tree>) -> Option<&'a str> {
        let call = arguments.parent().filter(|call| call.kind() == "call")?;
        Some(node_text(call.child_by_field_name("function")?, self.text))
    }

    /// How the code reaches the module whose path `string` holds (a path
    /// argument): patched name by name (`patch.multiple("…", name=…)`), or
    /// loaded.
    fn swap_of_path(&self, string: Node<'tree>) -> Swap {
        let arguments = argument_holder(string).filter(|parent| parent.kind() == "argument_list");
        match arguments.and_then(|arguments| self.callee_of_argument(arguments)) {
            Some(callee) if is_patch_of_many(callee) => Swap::Patched,
            _ => Swap::LoadedByName,
        }
    }

    /// The fully qualified path of `name` or `a.b.c`, following import bindings.
    pub fn resolve_expression(&self, node: Node<'tree>) -> Option<String> {
        let mut parts = Vec::new();
        let mut current = node;
        loop {
            // No module path is that long; every attribute of a chain asks,
            // and walking each chain whole cost the square of its length
            // (`f().a.a…` of 20,000 took 44 s).
            if parts.len() > MAX_DOTTED_PARTS {
                return None;
            }
            match current.kind() {
                "identifier" => {
                    parts.push(identifiers::normalize(node_text(current, self.text)));
                    break;
                }
                "attribute" => {
                    parts.push(identifiers::normalize(node_text(current.child_by_field_name("attribute")?, self.text)));
                    current = current.child_by_field_name("object")?;
                }
                _ => return None,
            }
        }
        parts.reverse();
        let mut path = self.binding_at(parts[0].as_ref(), node)?;
        for part in &parts[1..] {
            path.push('.');
            path.push_str(part);
        }
        Some(path)
    }

    /// What the import binding `name` refers to where `node` stands: the
    /// import of the innermost enclosing scope that binds it (a function's
    /// own import shadows the module's), the last one before `node` in that
    /// scope when there are several. A class body's imports are seen only
    /// from the class body itself, as in Python.
    fn binding_at(&self, name: &str, node: Node<'tree>) -> Option<String> {
        let binders = self.binders.get(name)?;
        let candidates: Vec<(usize, &ImportRecord<'tree>)> =
            binders.iter().map(|&i| &self.imports[i]).map(|record| (record.binds_in.id(), record)).collect();
        for (depth, scope) in self.scopes_around(node).iter().enumerate() {
            let visible = depth == 0 || scope.kind() != "class_definition";
            let here: Vec<&ImportRecord<'tree>> =
                candidates.iter().filter(|(id, _)| *id == scope.id()).map(|(_, record)| *record).collect();
            if visible && !here.is_empty() {
                let before = here.iter().rev().find(|record| record.statement.start_byte() < node.start_byte());
                return before.or(here.first()).and_then(|record| record.target());
            }
        }
        None
    }

    /// The scopes that enclose `node` (functions, lambdas, classes, the
    /// module), innermost first; the same chain `scope_of` climbs. It
    /// descends from the root once: `Node::parent` searches from the root
    /// on every call, so climbing with it costs the square of the depth, and
    /// a thousand nested calls of a deprecated name took minutes.
    fn scopes_around(&self, node: Node<'tree>) -> Vec<Node<'tree>> {
        let mut current = self.tree.root_node();
        let mut scopes = vec![current];
        while let Some(child) = current.child_with_descendant(node) {
            if child.id() == node.id() {
                break;
            }
            if matches!(child.kind(), "function_definition" | "lambda" | "class_definition" | "module") {
                scopes.push(child);
            }
            current = child;
        }
        scopes.reverse();
        scopes
    }

    /// `all-export`: entries of `__all__` naming something a deprecated import
    /// of another active rule binds.
    fn check_all_exports(&self, rule: &Rule, deprecated_imports: &[Finding], findings: &mut Vec<Finding>) {
        // Binding → (target, the import, whether another fix rewrites it).
        let deprecated_bindings: HashMap<String, (String, &ImportRecord<'tree>, bool)> = deprecated_imports
            .iter()
            .filter_map(|finding| {
                let record = self.imports.iter().find(|record| {
                    let range = self.editor.import_item_name_range(record);
                    range.0 <= finding.start && finding.end <= range.1 && record.statement.start_byte() <= finding.start
                })?;
                Some((record.binding()?, (record.target()?, record, finding.fix.is_some())))
            })
            .collect();
        for value in &self.captures.all_values {
            for string in syntax::descendants_of_kind(*value, "string") {
                let Some((start, end)) = string_content_range(string, self.text) else { continue };
                let name = &self.text[start..end];
                let Some((target, record, import_fixed)) = deprecated_bindings.get(name) else { continue };
                // The entry goes only when the name stays deprecated (no fix
                // rewrites its import) and the import stays used without it.
                let used_elsewhere = !self.references(record, name).is_empty();
                let (fix, reason) = match (import_fixed, used_elsewhere) {
                    (true, _) => (None, Some("the fix of its import keeps the export valid")),
                    (false, false) => (None, Some("without the entry, its import would be unused")),
                    (false, true) => (self.editor.remove_list_entry_fix(rule, string), None),
                };
                let unsafe_reason = fix
                    .as_ref()
                    .filter(|fix| fix.applicability == Applicability::Unsafe)
                    .map(|_| self.export_removal_reason(name));
                let remark = match (reason, unsafe_reason.as_deref()) {
                    (Some(reason), _) => Some(Remark::NoAutomaticFix(reason)),
                    (None, Some(reason)) => Some(Remark::UnsafeFix(reason)),
                    (None, None) => None,
                };
                let message = compose_message(rule.render_message(name, None), remark);
                let mut finding = self.finding_with_message(rule, (start, end), target.clone(), None, message, fix);
                finding.canonical = None;
                findings.push(finding);
            }
        }
    }
}

/// What a finding's message adds after the rule's sentence, each in
/// parentheses: typed, so that each is worded in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Remark<'a> {
    /// The rule names a target the workspace lacks (the note says so).
    NotInCodeBase(&'a str),
    /// The name has no counterpart, with the rule's note if any.
    NoCounterpart(Option<&'a str>),
    /// The fix may change behaviour, for this reason.
    UnsafeFix(&'a str),
    /// No fix is offered, for this reason.
    NoAutomaticFix(&'a str),
    /// The name was imported through this workspace module.
    ReexportedBy(&'a str),
}

impl<'a> Remark<'a> {
    /// The remark a name's mapping calls for, if any.
    fn of_mapping(mapping: &'a NameMapping) -> Option<Self> {
        match mapping {
            NameMapping { target: None, note: Some(note), .. } if note.starts_with(verify::NOT_IN_CODE_BASE) => {
                Some(Remark::NotInCodeBase(note))
            }
            NameMapping { target: None, note, .. } => Some(Remark::NoCounterpart(note.as_deref())),
            NameMapping { note: Some(note), applicability: Some(Applicability::Unsafe), .. } => {
                Some(Remark::UnsafeFix(note))
            }
            NameMapping { note: Some(note), applicability: None, target: Some(_), .. } => {
                Some(Remark::NoAutomaticFix(note))
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Remark<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Remark::NotInCodeBase(note) => write!(formatter, "{note}"),
            Remark::NoCounterpart(None) => write!(formatter, "no SSOT counterpart: rewrite by hand"),
            Remark::NoCounterpart(Some(note)) => write!(formatter, "no SSOT counterpart: rewrite by hand; {note}"),
            Remark::UnsafeFix(note) => write!(formatter, "fix is unsafe: {note}"),
            Remark::NoAutomaticFix(reason) => write!(formatter, "no automatic fix: {reason}"),
            Remark::ReexportedBy(module) => write!(formatter, "re-exported by `{module}`"),
        }
    }
}

/// How a file reaches a whole module a fix swaps for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Swap {
    /// `importlib.import_module("…")`, `sys.modules["…"]`.
    LoadedByName,
    /// `patch.multiple("…", name=…)`: the names are patched on it.
    Patched,
    /// `from … import *`.
    StarImport,
    /// `import old.mod as m` used other than as `m.name` (or not at all).
    Imported,
}

/// Whether a string literal ending at `end` may be followed by another
/// (implicit concatenation): after blanks, line breaks, backslashes and
/// comments, a quote or a string prefix. A guess by the bytes, which a
/// caller confirms in the tree.
fn followed_by_a_literal(bytes: &[u8], end: usize) -> bool {
    let next = identifiers::skip_blanks(bytes, end);
    let prefix = bytes[next.min(bytes.len())..].iter().take_while(|byte| byte.is_ascii_alphabetic()).count();
    prefix <= 2 && matches!(bytes.get(next + prefix), Some(b'"' | b'\''))
}

/// The node that holds `string` as an argument or subscript: its parent,
/// through implicit concatenation, parentheses and keyword arguments
/// (`target="..."`).
fn argument_holder(string: Node<'_>) -> Option<Node<'_>> {
    let mut node = string;
    while let Some(parent) = node.parent() {
        match parent.kind() {
            "concatenated_string" | "parenthesized_expression" | "keyword_argument" => node = parent,
            _ => break,
        }
    }
    node.parent()
}

/// Whether `callee` is `patch.multiple` or `patch.dict` (`mock.patch.…`,
/// `unittest.mock.patch.…`), whose first argument is a dotted path.
fn is_patch_of_many(callee: &str) -> bool {
    let mut parts = callee.rsplit('.');
    matches!((parts.next(), parts.next()), (Some("multiple" | "dict"), Some("patch")))
}

/// [`FileAnalysis::module_swap_reason`]'s sentence, naming at most three
/// of the `missing` names.
fn swap_sentence(swap: Swap, canonical: &str, missing: &[&str]) -> String {
    let loaded = match swap {
        Swap::LoadedByName => format!("the module loaded here becomes `{canonical}`"),
        Swap::Patched => format!("the module patched here becomes `{canonical}`"),
        Swap::StarImport => format!("`*` then imports the names of `{canonical}`"),
        Swap::Imported => format!("the module imported here becomes `{canonical}`"),
    };
    match missing {
        [] => format!("{loaded}, whose names differ from the deprecated module's"),
        names => {
            let shown: Vec<String> = names.iter().take(3).map(|name| format!("`{name}`")).collect();
            let more = match names.len().saturating_sub(3) {
                0 => String::new(),
                more => format!(" and {more} more"),
            };
            format!("{loaded}, which does not define {}{more}, named in this file", shown.join(", "))
        }
    }
}

/// The rule's sentence about `deprecated`, naming `canonical` unless
/// `with_use` is false (then without its "; use …" clause).
fn rule_sentence(rule: &Rule, deprecated: &str, canonical: Option<&str>, with_use: bool) -> String {
    let whole_module = rule.kind == RuleKind::Module && Some(deprecated) == rule.module.as_deref();
    if whole_module {
        return match rule.canonical.as_deref().filter(|_| with_use) {
            Some(canonical) => format!("`{deprecated}` is a deprecated module ({}); use `{canonical}`", rule.name),
            None => format!("`{deprecated}` is a deprecated module ({})", rule.name),
        };
    }
    let shown = deprecated.rsplit('.').next().unwrap_or(deprecated);
    if with_use {
        rule.render_message(shown, canonical)
    } else {
        rule.render_message_without_use(shown)
    }
}

/// The sentence followed by each remark in parentheses.
fn compose_message<'a>(sentence: String, remarks: impl IntoIterator<Item = Remark<'a>>) -> String {
    let mut message = sentence;
    for remark in remarks {
        message.push_str(&format!(" ({remark})"));
    }
    message
}

/// How the index names a checked file among the importers of a hub: its
/// module path, else its path.
pub fn importer_key(scope: &FileScope) -> String {
    match (&scope.module, &scope.relative_path) {
        (Some(module), _) => module.clone(),
        (None, Some(path)) => path.display().to_string(),
        (None, None) => String::new(),
    }
}

/// `a.b.c` or `a.b:c`, the shapes of a module path in a string.
fn is_path_like(content: &str) -> bool {
    let path = content.replacen(':', ".", 1);
    path.contains('.') && crate::rules::is_dotted_path(&path)
}

/// How many imports bind a name that an earlier import in the same scope
/// already binds (`from a import x` twice in one function): the fix loop
/// refuses a round that adds one.
fn duplicate_import_bindings(tree: &Tree, captures: &Captures<'_>, text: &str, scope: &FileScope) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = 0;
    for record in read_imports(tree.root_node(), &captures.imports, text, scope) {
        if let Some(binding) = record.binding() {
            if !seen.insert((record.binds_in.id(), binding)) {
                duplicates += 1;
            }
        }
    }
    duplicates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_file_needs_a_trigger_of_a_rule_that_applies_in_tests() {
        let scope_at = |path: &str| FileScope {
            relative_path: Some(path.into()),
            module: Some("netra_backend.tests.test_x".to_string()),
            ..FileScope::default()
        };
        let builds = "from netra_backend.app.websocket_core.websocket_manager import UnifiedWebSocketManager\n\
                      manager = UnifiedWebSocketManager(user_context=ctx)\n";
        let rules = RuleSet::builtin();
        // SSOT006 is off in tests: a test building the manager itself is no
        // candidate there, and is one elsewhere.
        assert!(!rules.may_match_in_tests(&scope_at("netra_backend/tests/test_x.py"), builds.as_bytes()));
        assert!(rules.may_match_in_tests(&scope_at("netra_backend/app/x.py"), builds.as_bytes()));
        assert!(scan_text(&rules, &scope_at("netra_backend/tests/test_x.py"), builds).is_empty());
        assert_eq!(scan_text(&rules, &scope_at("netra_backend/app/x.py"), builds).len(), 1);
        // A rule that applies in tests still makes a test file a candidate;
        // a package trigger, in any folder when the path has none.
        let factory =
            "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n";
        assert!(rules.may_match_in_tests(&scope_at("netra_backend/tests/test_x.py"), factory.as_bytes()));
        assert!(rules.may_match_in_tests(&scope_at("test_x.py"), b"from . import manager\n"));
        assert!(!rules.may_match_in_tests(&scope_at("tests/test_x.py"), b"from . import manager\n"));
        // Switched on in tests (`in-tests`), it finds the call there too.
        let raw: crate::rules::raw::RawConfig =
            toml::from_str("extend-builtin = true\nin-tests = [\"SSOT006\"]\n").unwrap();
        let in_tests = RuleSet::from_config(&raw, None).unwrap();
        assert!(in_tests.may_match_in_tests(&scope_at("netra_backend/tests/test_x.py"), builds.as_bytes()));
        assert_eq!(scan_text(&in_tests, &scope_at("netra_backend/tests/test_x.py"), builds).len(), 1);
    }

    #[test]
    fn remarks_follow_the_sentence_in_parentheses_in_order() {
        let remarks = [Remark::NoCounterpart(Some("see the guide")), Remark::ReexportedBy("app.hub")];
        assert_eq!(
            compose_message("`x` is deprecated".to_string(), remarks),
            "`x` is deprecated (no SSOT counterpart: rewrite by hand; see the guide) (re-exported by `app.hub`)"
        );
        let no_target = NameMapping::no_counterpart();
        assert_eq!(Remark::of_mapping(&no_target), Some(Remark::NoCounterpart(None)));
    }

    #[test]
    fn a_skeleton_keeps_the_import_of_a_hubs_alias() {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path();
        std::fs::create_dir_all(root.join("utils")).unwrap();
        std::fs::write(root.join("utils/__init__.py"), "").unwrap();
        let hub = "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager as make_manager\n";
        std::fs::write(root.join("utils/hub.py"), hub).unwrap();
        // A trigger string in a docstring makes the file a candidate; the
        // import of the alias names no rule's path.
        let caller = "\"\"\"Hands out a UnifiedWebSocketManager.\"\"\"\nimport os\nfrom utils.hub import make_manager\n\n\ndef handler(ctx):\n    return make_manager(ctx)\n";
        std::fs::write(root.join("caller.py"), caller).unwrap();
        let rules = RuleSet::builtin();
        let index = crate::index::WorkspaceIndex::new(vec![root.to_path_buf()]);
        let index = crate::index::SharedIndex(std::sync::Arc::new(index));
        let scope_of_file = |name: &str| {
            let mut scope = crate::workspace::scope_for(&rules, root, &root.join(name));
            scope.index = Some(index.clone());
            scope
        };
        // Checking the hub records its alias.
        let hub_scope = scope_of_file("utils/hub.py");
        assert!(!scan_text(&rules, &hub_scope, hub).is_empty());
        let scope = scope_of_file("caller.py");
        let whole = check_text(&rules, &scope, caller);
        assert!(whole.iter().any(|finding| finding.deprecated.ends_with("create_websocket_manager")), "{whole:?}");
        assert_eq!(scan_text(&rules, &scope, caller), whole);
    }

    #[test]
    fn kept_findings_follow_a_block_moved_by_an_edit_before_it() {
        let rules = RuleSet::builtin();
        let scope = FileScope {
            relative_path: Some("app/mod.py".into()),
            module: Some("app.mod".into()),
            ..FileScope::default()
        };
        let mut text = String::from(
            "import os\n\n\nasync def build(user_context):\n    \
             from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n    \
             log = user_context\n    log = log\n    return await create_websocket_manager(user_context)\n",
        );
        let mut skeletons = SkeletonTrees::default();
        let edit = |text: &mut String, skeletons: &mut SkeletonTrees, start: usize, end: usize, new: &str| {
            let mut rope = ropey::Rope::from_str(text);
            skeletons.edit(&crate::lsp::edit_rope(&mut rope, start, end, new));
            *text = rope.to_string();
        };
        let scan = |text: &str, skeletons: &mut SkeletonTrees| {
            scan_lazily(&rules, &scope, text, skeletons, || Some(syntax::parse_text(text))).unwrap().0
        };
        let renamed = scan(&text, &mut skeletons);
        assert_eq!(renamed, check_text(&rules, &scope, &text));
        assert!(renamed[0].fix.as_ref().unwrap().title.starts_with("Import `get_websocket_manager` from"));
        // A line before the function: its header moves, nothing kept is touched.
        edit(&mut text, &mut skeletons, 0, 0, "import sys\n");
        assert!(skeletons.holds_findings());
        assert_eq!(scan(&text, &mut skeletons), check_text(&rules, &scope, &text));
        // A use of the target name in the function (no kept line touched):
        // the rename no longer holds.
        let at = text.find("log = log").unwrap() + "log = ".len();
        edit(&mut text, &mut skeletons, at, at + "log".len(), "get_websocket_manager");
        let after = scan(&text, &mut skeletons);
        assert_eq!(after, check_text(&rules, &scope, &text));
        assert!(after[0].fix.as_ref().unwrap().title.contains("as create_websocket_manager"));
    }

    #[test]
    fn a_sentence_without_a_counterpart_drops_its_use_clause() {
        let rules = RuleSet::builtin();
        let factory = rules.rule("SSOT001").unwrap();
        let deprecated = format!("{}.create_websocket_manager", factory.module.as_deref().unwrap());
        let with = rule_sentence(factory, &deprecated, Some("a.b.c"), true);
        let without = rule_sentence(factory, &deprecated, Some("a.b.c"), false);
        assert!(with.ends_with("; use `a.b.c`"), "{with}");
        assert!(with.starts_with(&without) && !without.contains("; use"), "{without}");
    }
}
