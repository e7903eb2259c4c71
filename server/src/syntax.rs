//! Parsing Python with tree-sitter-python, and gathering the nodes the
//! analysis needs (what the query `syntaxes/python.scm` describes, found by
//! one walk of the tree; the tests check the walk against the query).
//!
//! This module knows tree-sitter; it knows nothing of rules or fixes. A BOM is
//! kept in the text, so offsets are offsets into the text as read.
//!
//! Line ends are read as CPython reads them: `\n`, `\r\n` and a lone `\r`.
//! tree-sitter-python knows only the first two (a lone `\r` is whitespace to
//! it, so a comment would run to the next `\n`), so the parser is given a
//! copy where each lone `\r` is a `\n`: one byte for one byte, so offsets
//! stay those of the text, and rows count every line end.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::OnceLock;

use tree_sitter::{InputEdit, Language, Node, ParseOptions, ParseState, Parser, Point, Range, Tree};

const BOM: &str = "\u{feff}";

pub fn language() -> Language {
    tree_sitter_python::LANGUAGE.into()
}

/// A new parser for Python.
pub fn new_parser() -> Parser {
    let mut parser = Parser::new();
    parser.set_language(&language()).expect("tree-sitter-python matches the tree-sitter version");
    parser
}

/// Length of a leading UTF-8 BOM, if any.
pub fn bom_len(text: &str) -> usize {
    if text.starts_with(BOM) {
        BOM.len()
    } else {
        0
    }
}

/// `bytes` with every lone `\r` (one not followed by `\n`) turned into `\n`:
/// the line ends CPython sees, in the form tree-sitter-python reads. Borrowed
/// when there is none (no copy for LF and CRLF files).
pub fn lone_cr_as_lf(bytes: &[u8]) -> Cow<'_, [u8]> {
    let is_lone = |at: usize| bytes.get(at + 1) != Some(&b'\n');
    let Some(first) = memchr::memchr_iter(b'\r', bytes).find(|&at| is_lone(at)) else {
        return Cow::Borrowed(bytes);
    };
    let mut copy = bytes.to_vec();
    for at in memchr::memchr_iter(b'\r', &bytes[first..]).map(|at| first + at) {
        if is_lone(at) {
            copy[at] = b'\n';
        }
    }
    Cow::Owned(copy)
}

/// The bytes the parser reads for `text`: lone `\r`s as `\n`, a leading BOM
/// as three form feeds (whitespace to Python and the grammar). Same length,
/// same offsets.
fn parser_source(text: &str) -> Cow<'_, [u8]> {
    let bom = bom_len(text);
    let mut source = lone_cr_as_lf(text.as_bytes());
    if bom > 0 {
        source.to_mut()[..bom].fill(0x0c);
    }
    source
}

/// Parses `text` (optionally reusing an edited old tree), reading line ends
/// and a leading BOM as [`parser_source`] says: byte offsets stay those of
/// the text as read.
pub fn parse(parser: &mut Parser, text: &str, old_tree: Option<&Tree>) -> Option<Tree> {
    parse_cancellable(parser, text, old_tree, &|| false)
}

/// Like [`parse`], but gives up (returning `None`) as soon as `cancelled`
/// says so; tree-sitter asks it every so often while parsing. After a
/// cancelled parse, `parser.reset()` before parsing another text.
///
/// Long runs of comment lines ([`long_comment_runs`]) are left out of the
/// parse (tree-sitter's included ranges): tree-sitter-python's scanner takes
/// quadratic time on them (commented-out code: 2 s for 3,000 lines, 23 s for
/// 10,000), and they hold no token. The tree is the one a parse of the text
/// with those lines blank gives; offsets, rows and node ranges stay those of
/// `text`, and the tree's included ranges say what was left out
/// ([`skipped_ranges`]: a fix that would delete a statement holding such a
/// run sees it there). An old tree parsed with other included ranges is
/// told where they differ, as for skeletons. The runs are found line by
/// line, not lexed: 20 lines starting with `#` inside a triple-quoted string
/// are left out too (the string keeps its range; a content node of it ends
/// where the run starts).
pub fn parse_cancellable(
    parser: &mut Parser,
    text: &str,
    old_tree: Option<&Tree>,
    cancelled: &dyn Fn() -> bool,
) -> Option<Tree> {
    let source = parser_source(text);
    let source = source.as_ref();
    let runs = long_comment_runs(source);
    let mut included =
        if runs.is_empty() { Vec::new() } else { included_ranges(source, 0, &complement(&runs, source.len())) };
    if runs.last().is_some_and(|&(_, end)| end == source.len()) {
        // A run up to the end: an empty range there, so that the module
        // ends where the text does (as when the run is parsed).
        let end = point_at(source, source.len());
        included.push(Range { start_byte: source.len(), end_byte: source.len(), start_point: end, end_point: end });
    }
    let whole = |tree: &Tree| skipped_ranges(tree, source.len()).is_empty();
    let marked = old_tree.and_then(|old| match (whole(old), included.is_empty()) {
        (true, true) => Some(old.clone()),
        (false, false) => {
            let mut marked = old.clone();
            mark_inclusion_changes(&mut marked, &included);
            Some(marked)
        }
        // A run begins or ends being long: parse afresh (runs are skipped
        // either way, so it is quick).
        _ => None,
    });
    parser.set_included_ranges(&included).expect("ranges are sorted and do not overlap");
    let mut parse_from = |old_tree: Option<&Tree>| {
        let mut progress = |_: &ParseState| cancelled();
        let options = ParseOptions::new().progress_callback(&mut progress);
        parser.parse_with_options(&mut |offset, _| source.get(offset..).unwrap_or_default(), old_tree, Some(options))
    };
    let tree = parse_from(marked.as_ref())?;
    if marked.is_none() || !tree.root_node().has_error() {
        return Some(tree);
    }
    // Reusing an edited tree, error recovery may take another way than on a
    // fresh parse (a proptest typed a triple quote and a quote into a file
    // with a docstring): a tree with errors is parsed again from scratch, so
    // every tree is the one a fresh parse gives.
    parse_from(None)
}

/// The byte ranges of a tree's text (`length` bytes) its parse left out:
/// long runs of comment lines ([`parse_cancellable`]), or the lines a
/// skeleton does not keep. Sorted; empty for a tree of the whole text.
pub fn skipped_ranges(tree: &Tree, length: usize) -> Vec<(usize, usize)> {
    // A tree of the whole text has one included range, to the largest offset.
    let included: Vec<(usize, usize)> =
        tree.included_ranges().iter().map(|range| (range.start_byte.min(length), range.end_byte.min(length))).collect();
    complement(&included, length)
}

/// The tree-sitter point of byte `offset` of `source` (the parser's bytes).
fn point_at(source: &[u8], offset: usize) -> Point {
    PointCursor::new(source).point(offset)
}

/// Tells `tree`, the tree of `old`, of the edits that made `new` from it, so
/// that a parse of `new` seeded with it ([`parse`]) reads again only around
/// them. `edits` are `(start, end, replacement length)` in `old`'s offsets,
/// sorted and not overlapping (as `finding::apply_edits` applies them).
///
/// A `\r` just before an edit is told as edited too: whether the parser
/// reads it as a line end depends on the byte after it (as `edit_rope`
/// does for the server's documents).
pub fn edit_tree(tree: &mut Tree, old: &str, new: &str, edits: &[(usize, usize, usize)]) {
    let (old_source, new_source) = (parser_source(old), parser_source(new));
    let mut at_new = PointCursor::new(&new_source);
    // How far `new` has moved the text after the edits told so far.
    let mut shift = 0isize;
    let mut previous_end = 0;
    for &(start, end, inserted) in edits {
        let (start, inserted) = if start > previous_end && old.as_bytes()[start - 1] == b'\r' {
            (start - 1, inserted + 1)
        } else {
            (start, inserted)
        };
        previous_end = end;
        let new_start = start.saturating_add_signed(shift);
        let start_position = at_new.point(new_start);
        let removed = &old_source[start..end];
        let rows = memchr::memchr_iter(b'\n', removed).count();
        let old_end_position = match memchr::memrchr(b'\n', removed) {
            Some(last) => Point::new(start_position.row + rows, removed.len() - last - 1),
            None => Point::new(start_position.row, start_position.column + removed.len()),
        };
        tree.edit(&InputEdit {
            start_byte: new_start,
            old_end_byte: new_start + removed.len(),
            new_end_byte: new_start + inserted,
            start_position,
            old_end_position,
            new_end_position: at_new.point(new_start + inserted),
        });
        shift += inserted as isize - removed.len() as isize;
    }
}

/// Points of increasing offsets of one text (the parser's bytes), each
/// counted on from the last.
struct PointCursor<'s> {
    source: &'s [u8],
    offset: usize,
    row: usize,
    line_start: usize,
}

impl<'s> PointCursor<'s> {
    fn new(source: &'s [u8]) -> Self {
        PointCursor { source, offset: 0, row: 0, line_start: 0 }
    }

    fn point(&mut self, offset: usize) -> Point {
        let passed = &self.source[self.offset..offset];
        self.row += memchr::memchr_iter(b'\n', passed).count();
        if let Some(last) = memchr::memrchr(b'\n', passed) {
            self.line_start = self.offset + last + 1;
        }
        self.offset = offset;
        Point::new(self.row, offset - self.line_start)
    }
}

/// How many parents a climb from a node asks for at most. `Node::parent`
/// searches down from the root, so a climb costs the square of the depth:
/// through 3,000 nested parentheses, seconds. Real code nests far less;
/// deeper, a climb gives its cautious answer (a reference, a value, not
/// awaited).
pub const MAX_CLIMB: usize = 64;

/// Parses with a fresh parser.
pub fn parse_text(text: &str) -> Tree {
    parse(&mut new_parser(), text, None).expect("a parser with a language and no cancellation returns a tree")
}

/// Parses only the byte ranges `ranges` of `text` (sorted, not overlapping;
/// each from a line start to just after a line break). Nodes keep the offsets
/// and rows of `text` (rows counting lone `\r`s, as [`parse`] does). A BOM
/// at the start is skipped.
pub fn parse_ranges(text: &str, ranges: &[(usize, usize)]) -> Tree {
    parse_ranges_reusing(text, ranges, None)
}

/// [`parse_ranges`] reusing `old_tree`: an earlier parse of ranges of this
/// document, edited (`Tree::edit`) with every change of the text since.
/// tree-sitter re-parses what the edits touched and where the included
/// ranges differ from the old tree's (edited) ones, and reuses the rest.
///
/// The tree is the one a parse from scratch gives: when the reusing parse
/// has syntax errors, the ranges are parsed again from scratch, since
/// tree-sitter's error recovery can end differently when it reuses nodes
/// (an unclosed triple-quoted string, then a quote typed after it: the
/// whole-file incremental parse differs from a fresh one there too). A
/// parse without errors is the same either way. An old tree with errors
/// is not reused at all (the parse would most likely have errors too).
pub fn parse_ranges_reusing(text: &str, ranges: &[(usize, usize)], old_tree: Option<&Tree>) -> Tree {
    let old_tree = old_tree.filter(|old| !old.root_node().has_error());
    let reused = parse_ranges_seeded(text, ranges, old_tree);
    if old_tree.is_some() && reused.root_node().has_error() {
        return parse_ranges_seeded(text, ranges, None);
    }
    reused
}

/// [`parse_ranges_reusing`] without the fallback: the parse seeded with
/// `old_tree` as it comes.
fn parse_ranges_seeded(text: &str, ranges: &[(usize, usize)], old_tree: Option<&Tree>) -> Tree {
    let source = lone_cr_as_lf(text.as_bytes());
    let included = included_ranges(source.as_ref(), bom_len(text), ranges);
    let marked = old_tree.map(|old| {
        let mut marked = old.clone();
        mark_inclusion_changes(&mut marked, &included);
        marked
    });
    let old_tree = marked.as_ref();
    RANGES_PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        let parsed = if included.is_empty() {
            parser.set_included_ranges(&[]).ok();
            parser.parse("", None)
        } else {
            parser.set_included_ranges(&included).expect("ranges are sorted and do not overlap");
            parser.parse(source.as_ref(), old_tree)
        };
        parsed.expect("a parser with a language and no cancellation returns a tree")
    })
}

/// Tells `tree` (an earlier parse of ranges, edited to the text) that each
/// range included in only one of its included ranges and `included` was
/// edited (a same-length edit). tree-sitter re-parses nodes that overlap a
/// difference of included ranges by itself, but it would reuse a node whose
/// lookahead reached into one: a `NEWLINE` or `DEDENT` that
/// tree-sitter-python's scanner decided from the next included line, which
/// a newly kept (or dropped) line in between changes. An edit invalidates
/// those too. Ranges are compared by bytes; both lists are sorted.
fn mark_inclusion_changes(tree: &mut Tree, included: &[Range]) {
    let old = tree.included_ranges();
    let bytes = |range: &Range| (range.start_byte, range.end_byte);
    let (mut in_old, mut in_new) = (0, 0);
    let mut changed = Vec::new();
    while in_old < old.len() || in_new < included.len() {
        match (old.get(in_old), included.get(in_new)) {
            (Some(before), Some(now)) if bytes(before) == bytes(now) => {
                in_old += 1;
                in_new += 1;
            }
            (Some(before), Some(now)) if bytes(before) < bytes(now) => {
                changed.push(*before);
                in_old += 1;
            }
            (Some(before), None) => {
                changed.push(*before);
                in_old += 1;
            }
            (_, Some(now)) => {
                changed.push(*now);
                in_new += 1;
            }
            (None, None) => break,
        }
    }
    for range in changed {
        // From the end of the range before it (in either list): the last
        // token there looked ahead into what followed.
        let (start_byte, start_position) =
            [preceding_end(&old, range.start_byte), preceding_end(included, range.start_byte)]
                .into_iter()
                .min_by_key(|(byte, _)| *byte)
                .unwrap_or((range.start_byte, range.start_point));
        tree.edit(&InputEdit {
            start_byte,
            old_end_byte: range.end_byte,
            new_end_byte: range.end_byte,
            start_position,
            old_end_position: range.end_point,
            new_end_position: range.end_point,
        });
    }
}

/// The end (byte and point) of the last of `ranges` (sorted) that ends at
/// or before `byte`, or the start of the text.
fn preceding_end(ranges: &[Range], byte: usize) -> (usize, Point) {
    let before = ranges.partition_point(|range| range.end_byte <= byte);
    before.checked_sub(1).map_or((0, Point::new(0, 0)), |last| (ranges[last].end_byte, ranges[last].end_point))
}

thread_local! {
    /// The parser of [`parse_ranges_reusing`], one per thread: building a
    /// parser costs more than a small incremental parse. It is never
    /// cancelled, so it holds no half-done parse between calls.
    static RANGES_PARSER: RefCell<Parser> = RefCell::new(new_parser());
}

/// The tree-sitter ranges of the byte ranges `ranges` of `source` (the
/// parser's bytes), starting at `bom` at the earliest, with points counted
/// as [`parse`] counts them.
fn included_ranges(source: &[u8], bom: usize, ranges: &[(usize, usize)]) -> Vec<Range> {
    let mut included = Vec::with_capacity(ranges.len());
    let mut points = PointCursor::new(source);
    for &(start, end) in ranges {
        let start = start.max(bom);
        if start >= end {
            continue;
        }
        let start_point = points.point(start);
        let end_point = points.point(end);
        included.push(Range { start_byte: start, end_byte: end, start_point, end_point });
    }
    included
}

/// Runs of at least this many consecutive comment lines are left out of
/// whole-text parses ([`parse_cancellable`]).
pub const LONG_COMMENT_RUN: usize = 20;

/// The runs of at least [`LONG_COMMENT_RUN`] comment-only lines of `source`
/// (the parser's bytes: every line end holds a `\n`), each from the start of
/// its first line to just after the line break of its last. Blank lines
/// neither end a run nor count towards it; a comment holding `ssot:` (an
/// ignore comment) ends it, so that the tree holds every such comment.
fn long_comment_runs(source: &[u8]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    // The current run: its start, the end of its last comment line, and
    // how many comment lines it has.
    let mut run: Option<(usize, usize, usize)> = None;
    let mut close = |run: &mut Option<(usize, usize, usize)>| {
        if let Some((start, end, lines)) = run.take() {
            if lines >= LONG_COMMENT_RUN {
                runs.push((start, end));
            }
        }
    };
    let mut line_start = 0;
    while line_start < source.len() {
        let line_end = memchr::memchr(b'\n', &source[line_start..]).map_or(source.len(), |at| line_start + at + 1);
        // Indentation, form feeds and the line break trimmed.
        let content = source[line_start..line_end].trim_ascii_start();
        if content.is_empty() {
            // Blank: neither ends a run nor counts towards it.
        } else if content.starts_with(b"#") && memchr::memmem::find(content, b"ssot:").is_none() {
            let (start, _, lines) = run.unwrap_or((line_start, line_end, 0));
            run = Some((start, line_end, lines + 1));
        } else {
            close(&mut run);
        }
        line_start = line_end;
    }
    close(&mut run);
    runs
}

/// The byte ranges of `0..length` outside `ranges` (sorted, disjoint).
fn complement(ranges: &[(usize, usize)], length: usize) -> Vec<(usize, usize)> {
    let mut outside = Vec::with_capacity(ranges.len() + 1);
    let mut from = 0;
    for &(start, end) in ranges {
        if start > from {
            outside.push((from, start));
        }
        from = end;
    }
    if length > from {
        outside.push((from, length));
    }
    outside
}

/// How many ERROR and MISSING nodes a tree holds.
pub fn count_errors(tree: &Tree) -> usize {
    let mut count = 0;
    walk_nodes(tree.root_node(), |node| {
        if node.is_error() || node.is_missing() {
            count += 1;
        }
        node.has_error()
    });
    count
}

/// The nodes the analysis needs, gathered in one pass of the query.
#[derive(Debug, Default)]
pub struct Captures<'tree> {
    pub imports: Vec<Node<'tree>>,
    pub calls: Vec<Node<'tree>>,
    pub strings: Vec<Node<'tree>>,
    pub comments: Vec<Node<'tree>>,
    /// Values assigned or added to `__all__`.
    pub all_values: Vec<Node<'tree>>,
    pub identifiers: Vec<Node<'tree>>,
    pub attributes: Vec<Node<'tree>>,
}

impl Captures<'_> {
    /// Each list in document order, each node once.
    fn sort(&mut self) {
        for list in [
            &mut self.imports,
            &mut self.calls,
            &mut self.strings,
            &mut self.comments,
            &mut self.all_values,
            &mut self.identifiers,
            &mut self.attributes,
        ] {
            list.sort_by_key(|node| (node.start_byte(), node.end_byte()));
            list.dedup_by_key(|node| node.id());
        }
    }
}

/// The nodes the rules and the fix builders need, in document order: what
/// the query in `syntaxes/python.scm` captures, found by one walk of the
/// tree. Not by the query itself: on a tree whose error recovery leaves
/// tens of thousands of statements under one node (an unclosed string early
/// in a 40,000-line file) tree-sitter's query cursor is quadratic (82 s for
/// that file, 2.9 s for the whole check with the walk); on the benchmark
/// corpus the walk is also 5 % fewer instructions for the whole check.
pub fn capture<'tree>(tree: &'tree Tree, text: &str) -> Captures<'tree> {
    let mut captures = Captures::default();
    let named = |node: Option<Node<'tree>>, kind: &str| node.filter(|node| kind_of(*node) == kind);
    let is_all =
        |node: Option<Node<'tree>>| named(node, "identifier").is_some_and(|node| node_text(node, text) == "__all__");
    walk_nodes(tree.root_node(), |node| {
        match kind_of(node) {
            "import_statement" | "import_from_statement" => captures.imports.push(node),
            "call" => {
                captures.calls.push(node);
                // `__all__.extend([...])`, `__all__.append("x")`
                let function = named(node.child_by_field_name("function"), "attribute");
                let method =
                    function.and_then(|function| named(function.child_by_field_name("attribute"), "identifier"));
                if function.is_some_and(|function| is_all(function.child_by_field_name("object")))
                    && method.is_some_and(|method| matches!(node_text(method, text), "extend" | "append"))
                {
                    if let Some(arguments) = named(node.child_by_field_name("arguments"), "argument_list") {
                        captures.all_values.push(arguments);
                    }
                }
            }
            "assignment" | "augmented_assignment" if is_all(node.child_by_field_name("left")) => {
                if let Some(value) = node.child_by_field_name("right").filter(|value| value.is_named()) {
                    captures.all_values.push(value);
                }
            }
            "string" => captures.strings.push(node),
            "comment" => captures.comments.push(node),
            "identifier" => captures.identifiers.push(node),
            "attribute" => captures.attributes.push(node),
            _ => {}
        }
        true
    });
    captures.sort();
    captures
}

/// The import statements of a tree without syntax errors, in document
/// order: the `imports` of [`capture`], found by walking only what can hold
/// a statement (a statement never sits inside an expression), for a fraction
/// of [`capture`]'s cost. Kinds it does not know it walks into.
pub fn import_statements(tree: &Tree) -> Vec<Node<'_>> {
    let root = tree.root_node();
    let mut found = Vec::new();
    walk_nodes(root, |node| match kind_of(node) {
        "import_statement" | "import_from_statement" => {
            found.push(node);
            false
        }
        kind => !HOLDS_NO_STATEMENT.contains(&kind),
    });
    debug_assert!(!root.has_error(), "import_statements is for trees without errors");
    debug_assert_eq!(
        found.iter().map(Node::id).collect::<Vec<_>>(),
        capture(tree, "").imports.iter().map(Node::id).collect::<Vec<_>>()
    );
    found
}

/// Every call and every attribute of a tree, each in document order.
pub fn calls_and_attributes(tree: &Tree) -> (Vec<Node<'_>>, Vec<Node<'_>>) {
    let (mut calls, mut attributes) = (Vec::new(), Vec::new());
    walk_nodes(tree.root_node(), |node| {
        match kind_of(node) {
            "call" => calls.push(node),
            "attribute" => attributes.push(node),
            _ => {}
        }
        true
    });
    (calls, attributes)
}

/// Node kinds that never hold a statement (simple statements, expressions,
/// parameter lists), which [`import_statements`] does not walk into.
const HOLDS_NO_STATEMENT: &[&str] = &[
    "expression_statement",
    "return_statement",
    "raise_statement",
    "assert_statement",
    "delete_statement",
    "global_statement",
    "nonlocal_statement",
    "pass_statement",
    "break_statement",
    "continue_statement",
    "type_alias_statement",
    "future_import_statement",
    "print_statement",
    "exec_statement",
    "decorator",
    "parameters",
    "lambda_parameters",
    "argument_list",
    "with_clause",
    "comment",
    "string",
    "identifier",
    "attribute",
    "call",
    "comparison_operator",
    "boolean_operator",
    "not_operator",
    "parenthesized_expression",
    "expression_list",
    "pattern_list",
    "assignment",
    "augmented_assignment",
    "binary_operator",
    "type",
];

/// Whether an `object_patch` call replaces the attribute (`patch.object`,
/// `setattr`, `delattr`) rather than reading it.
pub fn replaces_attribute(call: Node<'_>, text: &str) -> bool {
    let (callee, last) = callee_and_name(call, text);
    callee.ends_with("patch.object") || matches!(last, "setattr" | "delattr")
}

/// A call that replaces, reads or tests an attribute of an object given
/// first, named by a string given second (`patch.object(ws_route,
/// "create_websocket_manager")`, `monkeypatch.setattr(ws_route,
/// "create_websocket_manager", fake)`, `setattr(…)`, `getattr(…)`,
/// `hasattr(…)`, `delattr(…)`, or `patch.object(target=…, attribute=…)`):
/// the object (a name or a dotted name), the string and the attribute's
/// name.
pub fn object_patch<'tree, 'text>(
    call: Node<'tree>,
    text: &'text str,
) -> Option<(Node<'tree>, Node<'tree>, &'text str)> {
    // The text before the call's first `(` holds its callee: most calls are
    // left without looking up the tree's fields.
    let head = &text[call.start_byte()..call.end_byte()];
    let head = head.split('(').next().unwrap_or(head).trim_end();
    if !(head.ends_with("object") || head.ends_with("attr")) {
        return None;
    }
    let (callee, last) = callee_and_name(call, text);
    if !(callee.ends_with("patch.object") || matches!(last, "setattr" | "getattr" | "hasattr" | "delattr")) {
        return None;
    }
    let arguments = call.child_by_field_name("arguments")?;
    let mut cursor = arguments.walk();
    let children: Vec<Node<'tree>> = arguments.named_children(&mut cursor).collect();
    let mut positional =
        children.iter().copied().filter(|argument| !matches!(argument.kind(), "keyword_argument" | "comment"));
    let keyword = |name: &str| {
        children.iter().find_map(|argument| {
            (argument.kind() == "keyword_argument"
                && argument.child_by_field_name("name").is_some_and(|key| node_text(key, text) == name))
            .then(|| argument.child_by_field_name("value"))
            .flatten()
        })
    };
    let object = positional.next().or_else(|| keyword("target"))?;
    let attribute = positional.next().or_else(|| keyword("attribute"))?;
    if !matches!(object.kind(), "identifier" | "attribute") || attribute.kind() != "string" {
        return None;
    }
    let (start, end) = string_content_range(attribute, text)?;
    Some((object, attribute, &text[start..end]))
}

/// Where an import at `node` is written to observe the import itself
/// (that it fails, that it warns, whether it works) rather than to use
/// what it binds ([`import_probe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportProbe {
    /// In the body of `with pytest.raises(ImportError):` (or
    /// `self.assertRaises(ModuleNotFoundError)`, a tuple holding one): a
    /// test that the module is gone.
    ExpectedToFail,
    /// In the body of `with pytest.warns(DeprecationWarning):` (or
    /// `pytest.deprecated_call()`, `self.assertWarns(…)`,
    /// `warnings.catch_warnings(record=True)`): a test of the warning the
    /// deprecated module gives when imported.
    ExpectedToWarn,
    /// In the body of a `try` with an `except ImportError:` (or
    /// `ModuleNotFoundError`, a tuple holding one).
    Tried,
}

/// Whether the statement at `node` is there to fail, to warn or only to
/// be tried ([`ImportProbe`]): in the body of such a `with` or `try` of the
/// same scope (a `def` or `class` between them runs elsewhere).
pub fn import_probe(node: Node<'_>, text: &str) -> Option<ImportProbe> {
    let mut current = node;
    for _ in 0..MAX_CLIMB {
        let parent = current.parent()?;
        let in_body = parent.child_by_field_name("body").is_some_and(|body| body.id() == current.id());
        match parent.kind() {
            "with_statement" if in_body => {
                if let Some(probe) = with_probe(parent, text) {
                    return Some(probe);
                }
            }
            "try_statement" if in_body && catches_import_error(parent, text) => return Some(ImportProbe::Tried),
            "function_definition" | "class_definition" | "lambda" | "module" => return None,
            _ => {}
        }
        current = parent;
    }
    None
}

/// Whether an exception named by `node` (a name, a dotted name or a tuple
/// of them) is `ImportError` or `ModuleNotFoundError`.
fn names_import_error(node: Node<'_>, text: &str) -> bool {
    match node.kind() {
        "identifier" | "attribute" => {
            let name = node_text(node, text);
            matches!(name.rsplit('.').next().map(str::trim), Some("ImportError" | "ModuleNotFoundError"))
        }
        "tuple" | "parenthesized_expression" => {
            let mut cursor = node.walk();
            let found = node.named_children(&mut cursor).any(|element| names_import_error(element, text));
            found
        }
        _ => false,
    }
}

/// What one of a `with` statement's items expects of the imports in its
/// body: `raises(ImportError)`, `pytest.raises(…)`, `self.assertRaises(…)`
/// or `assertRaisesRegex(…)` of `ImportError` or `ModuleNotFoundError`
/// (with `as` or not), or a warning ([`expects_warning`]).
fn with_probe(with: Node<'_>, text: &str) -> Option<ImportProbe> {
    let mut cursor = with.walk();
    let clauses: Vec<Node<'_>> =
        with.named_children(&mut cursor).filter(|clause| clause.kind() == "with_clause").collect();
    let mut items = Vec::new();
    for clause in clauses {
        let mut cursor = clause.walk();
        items.extend(clause.named_children(&mut cursor).filter(|item| item.kind() == "with_item"));
    }
    if items.iter().any(|&item| raises_import_error(item, text)) {
        return Some(ImportProbe::ExpectedToFail);
    }
    items.iter().any(|&item| expects_warning(item, text)).then_some(ImportProbe::ExpectedToWarn)
}

/// The call a `with` item makes (`pytest.raises(…)`, also `… as caught`),
/// with the last part of its callee's name.
fn item_call<'tree, 'text>(item: Node<'tree>, text: &'text str) -> Option<(Node<'tree>, &'text str)> {
    let mut value = item.child_by_field_name("value")?;
    if value.kind() == "as_pattern" {
        value = value.named_child(0)?;
    }
    if value.kind() != "call" {
        return None;
    }
    Some((value, callee_and_name(value, text).1))
}

/// Whether `node` is the callee of a call (`node(…)`).
pub fn is_callee(node: Node<'_>) -> bool {
    node.parent().is_some_and(|parent| {
        parent.kind() == "call" && parent.child_by_field_name("function").is_some_and(|callee| callee.id() == node.id())
    })
}

/// A call's callee as written (`pytest.raises`) and its last part
/// (`raises`); empty without one.
fn callee_and_name<'text>(call: Node<'_>, text: &'text str) -> (&'text str, &'text str) {
    let callee = call.child_by_field_name("function").map_or("", |callee| node_text(callee, text));
    (callee, callee.rsplit('.').next().unwrap_or(callee).trim())
}

/// Whether a `with` item waits for a warning: `pytest.warns(…)`,
/// `pytest.deprecated_call()`, `self.assertWarns(…)`,
/// `assertWarnsRegex(…)`, or `warnings.catch_warnings(record=True)`,
/// whose warnings the test then reads.
fn expects_warning(item: Node<'_>, text: &str) -> bool {
    let Some((call, last)) = item_call(item, text) else { return false };
    match last {
        "warns" | "deprecated_call" | "assertWarns" | "assertWarnsRegex" => true,
        "catch_warnings" => call.child_by_field_name("arguments").is_some_and(|arguments| {
            let mut cursor = arguments.walk();
            let found = arguments.named_children(&mut cursor).any(|argument| {
                argument.kind() == "keyword_argument"
                    && argument.child_by_field_name("name").is_some_and(|name| node_text(name, text) == "record")
                    && argument.child_by_field_name("value").is_some_and(|value| node_text(value, text) == "True")
            });
            found
        }),
        _ => false,
    }
}

/// Whether a `with` item is a call of `raises` (`pytest.raises`,
/// `self.assertRaises`, `assertRaisesRegex`) whose first argument names
/// `ImportError` or `ModuleNotFoundError`.
fn raises_import_error(item: Node<'_>, text: &str) -> bool {
    let Some((call, last)) = item_call(item, text) else { return false };
    if !matches!(last, "raises" | "assertRaises" | "assertRaisesRegex") {
        return false;
    }
    let Some(arguments) = call.child_by_field_name("arguments") else { return false };
    let mut cursor = arguments.walk();
    let first = arguments.named_children(&mut cursor).find(|argument| argument.kind() != "comment");
    first.is_some_and(|first| names_import_error(first, text))
}

/// Whether one of a `try` statement's `except` clauses names
/// `ImportError` or `ModuleNotFoundError` (a bare `except:` or `except
/// Exception:` is a fallback for anything, not an import probe).
fn catches_import_error(try_statement: Node<'_>, text: &str) -> bool {
    let mut cursor = try_statement.walk();
    let clauses: Vec<Node<'_>> = try_statement.named_children(&mut cursor).collect();
    clauses.into_iter().filter(|clause| clause.kind() == "except_clause").any(|clause| {
        let mut cursor = clause.walk();
        let caught = clause.named_children(&mut cursor).find(|child| !matches!(child.kind(), "block" | "comment"));
        caught.is_some_and(|caught| {
            let caught = match caught.kind() {
                "as_pattern" => caught.named_child(0).unwrap_or(caught),
                _ => caught,
            };
            names_import_error(caught, text)
        })
    })
}

/// Whether `node` is written to: the target of an assignment (`a.b = x`,
/// `a.b += x`, one of `a.b, c = …`) or deleted (`del a.b`).
pub fn is_assigned(node: Node<'_>) -> bool {
    let mut current = node;
    for _ in 0..MAX_CLIMB {
        let Some(parent) = current.parent() else { return false };
        match parent.kind() {
            "pattern_list" | "tuple_pattern" | "list_pattern" | "expression_list" => current = parent,
            "assignment" | "augmented_assignment" => {
                return parent.child_by_field_name("left").is_some_and(|left| left.id() == current.id());
            }
            "delete_statement" => return true,
            _ => return false,
        }
    }
    false
}

/// The source text of a node.
pub fn node_text<'a>(node: Node<'_>, text: &'a str) -> &'a str {
    text.get(node.start_byte()..node.end_byte()).unwrap_or("")
}

/// The children of `node` under a field.
pub fn field_children<'tree>(node: Node<'tree>, field: &str) -> Vec<Node<'tree>> {
    let mut cursor = node.walk();
    node.children_by_field_name(field, &mut cursor).collect()
}

/// The byte range of a plain string literal's content (no bytes, no
/// f-string with placeholders or `{{`, no escapes needed for dotted paths).
pub(crate) fn string_content_range(string: Node<'_>, text: &str) -> Option<(usize, usize)> {
    let mut cursor = string.walk();
    let children: Vec<Node> = string.named_children(&mut cursor).collect();
    if children.iter().any(|child| child.kind() == "interpolation" || child.kind() == "escape_sequence") {
        return None;
    }
    let start_node = children.iter().find(|child| child.kind() == "string_start")?;
    let end_node = children.iter().find(|child| child.kind() == "string_end")?;
    let prefix = node_text(*start_node, text);
    if prefix.chars().any(|c| matches!(c, 'b' | 'B')) {
        return None;
    }
    // An f-string without placeholders is a constant (`f"pkg.mod.name"`);
    // `{{` and `}}` are not the characters they stand for.
    let is_f_string = prefix.chars().any(|c| matches!(c, 'f' | 'F'));
    if is_f_string && text[start_node.end_byte()..end_node.start_byte()].contains(['{', '}']) {
        return None;
    }
    Some((start_node.end_byte(), end_node.start_byte()))
}

/// A node's kind, as [`Node::kind`] gives it, read from a table made once:
/// `Node::kind` turns the C string of the name into a `&str` on every call (a
/// `strlen` and a UTF-8 check), and tree walks ask it of every node. Node
/// kinds with the same name share their id (`Node::kind_id` is the public
/// symbol), so the id names the kind.
pub fn kind_of(node: Node<'_>) -> &'static str {
    static NAMES: OnceLock<Vec<Option<&'static str>>> = OnceLock::new();
    let names = NAMES.get_or_init(|| {
        let language = language();
        (0..language.node_kind_count())
            .map(|id| u16::try_from(id).ok().and_then(|id| language.node_kind_for_id(id)))
            .collect()
    });
    names.get(usize::from(node.kind_id())).copied().flatten().unwrap_or_else(|| node.kind())
}

/// The node whose body a binding belongs to: a function, lambda, class or
/// the module.
///
/// Each step asks `Node::parent`, which searches down from the root: in a
/// module of many statements, one call costs as many steps as there are
/// statements before the node's. For many nodes of one tree, [`scopes_of`].
pub(crate) fn scope_of(node: Node<'_>) -> Node<'_> {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if is_scope(parent) {
            return parent;
        }
        current = parent;
    }
    current
}

/// The scope a binding occurrence binds its name in: the enclosing one of
/// a `def` or `class` it names, the module for `global`, else its own.
pub(crate) fn binding_scope(identifier: Node<'_>) -> Node<'_> {
    match identifier.parent() {
        Some(parent) if matches!(parent.kind(), "function_definition" | "class_definition") => scope_of(parent),
        Some(parent) if parent.kind() == "global_statement" => {
            let mut root = parent;
            while let Some(up) = root.parent() {
                root = up;
            }
            root
        }
        _ => scope_of(identifier),
    }
}

fn is_scope(node: Node<'_>) -> bool {
    matches!(kind_of(node), "function_definition" | "lambda" | "class_definition" | "module")
}

/// [`scope_of`] of each of `nodes` (nodes of the tree under `root`), in
/// their order, found in one descent from `root` through the nodes that
/// hold them: asking each alone took the square of a module's length (a
/// 5 MB file's fix, 39 s).
pub(crate) fn scopes_of<'tree>(root: Node<'tree>, nodes: &[Node<'tree>]) -> Vec<Node<'tree>> {
    let mut found: Vec<Option<Node<'tree>>> =
        nodes.iter().map(|node| (node.id() == root.id()).then_some(root)).collect();
    let mut pending: Vec<usize> = (0..nodes.len()).filter(|&i| found[i].is_none()).collect();
    pending.sort_by_key(|&i| (nodes[i].start_byte(), std::cmp::Reverse(nodes[i].end_byte())));
    // A node to look into, the scope of its children, and the nodes sought
    // within it (in document order).
    let mut stack = vec![(root, root, pending)];
    while let Some((node, inner, sought)) = stack.pop() {
        let mut next = 0;
        let mut cursor = node.walk();
        let mut more = cursor.goto_first_child();
        while more && next < sought.len() {
            let child = cursor.node();
            // What starts before this child lies in no later one either;
            // left to `scope_of` below (zero-width nodes).
            while next < sought.len() && nodes[sought[next]].start_byte() < child.start_byte() {
                next += 1;
            }
            let mut within = Vec::new();
            while next < sought.len() && nodes[sought[next]].end_byte() <= child.end_byte() {
                let i = sought[next];
                if nodes[i].id() == child.id() {
                    found[i] = Some(inner);
                } else {
                    within.push(i);
                }
                next += 1;
            }
            if !within.is_empty() {
                stack.push((child, if is_scope(child) { child } else { inner }, within));
            }
            more = cursor.goto_next_sibling();
        }
    }
    found.into_iter().zip(nodes).map(|(scope, node)| scope.unwrap_or_else(|| scope_of(*node))).collect()
}

/// Every named descendant of `node` (itself included) of the given kind.
pub fn descendants_of_kind<'tree>(node: Node<'tree>, kind: &str) -> Vec<Node<'tree>> {
    let mut found = Vec::new();
    walk_nodes(node, |current| {
        if kind_of(current) == kind {
            found.push(current);
        }
        true
    });
    found
}

/// Visits `node` and its descendants in document order (one tree cursor);
/// `visit` says whether to go into the children of the node it is given.
fn walk_nodes<'tree>(node: Node<'tree>, mut visit: impl FnMut(Node<'tree>) -> bool) {
    let mut cursor = node.walk();
    let mut descend = true;
    loop {
        let current = cursor.node();
        if descend && visit(current) && cursor.goto_first_child() {
            continue;
        }
        if current.id() == node.id() {
            return;
        }
        if cursor.goto_next_sibling() {
            descend = true;
            continue;
        }
        if !cursor.goto_parent() || cursor.node().id() == node.id() {
            return;
        }
        descend = false;
    }
}

/// Whether `text` names `class` where an exception is handled or expected:
/// on a line that begins with `except`, after `raises(` (`pytest.raises`)
/// or `Raises(` (`assertRaises`) on its line, or, for a class named as
/// exceptions are (`…Error`, `…Exception`), after `isinstance(` or
/// `issubclass(` (`isinstance(manager, IsolatedWebSocketManager)` tests a
/// result, not an error).
pub fn handles_exception(text: &str, class: &str) -> bool {
    let bytes = text.as_bytes();
    let named_as_error = class.ends_with("Error") || class.ends_with("Exception");
    let contexts: &[&str] =
        if named_as_error { &["raises(", "Raises(", "isinstance(", "issubclass("] } else { &["raises(", "Raises("] };
    memchr::memmem::find_iter(bytes, class.as_bytes()).any(|at| {
        let end = at + class.len();
        let whole = (at == 0 || !crate::identifiers::is_name_byte(bytes[at - 1]))
            && bytes.get(end).is_none_or(|&byte| !crate::identifiers::is_name_byte(byte));
        let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |newline| newline + 1);
        let before = text.get(line_start..at).unwrap_or_default().trim_start();
        whole && (before.starts_with("except") || contexts.iter().any(|call| before.contains(call)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tree_sitter::{Query, QueryCursor, StreamingIterator};

    #[test]
    fn an_exception_class_is_handled_in_except_raises_and_isinstance() {
        let handled = |text: &str, class: &str| handles_exception(text, class);
        assert!(handled("try:\n    f()\nexcept FactoryError:\n    pass\n", "FactoryError"));
        assert!(handled("try:\n    f()\nexcept (KeyError, FactoryError) as e:\n    pass\n", "FactoryError"));
        assert!(handled("    if isinstance(error, FactoryError):\n", "FactoryError"));
        assert!(handled("with pytest.raises(Isolated):\n", "Isolated"), "raises names an exception");
        assert!(handled("self.assertRaises(Isolated, f)\n", "Isolated"));
        assert!(!handled("if isinstance(manager, Isolated):\n", "Isolated"), "a result's class");
        assert!(!handled("raise FactoryError('no context')\n", "FactoryError"), "raised, not handled");
        assert!(!handled("except MyFactoryError:\n", "FactoryError"), "another name");
    }

    #[test]
    fn an_f_string_without_placeholders_has_content_and_others_do_not() {
        let content = |source: &str| {
            let tree = parse_text(source);
            let string = descendants_of_kind(tree.root_node(), "string")[0];
            string_content_range(string, source).map(|(start, end)| source[start..end].to_string())
        };
        assert_eq!(content("x = f\"pkg.mod.name\"\n").as_deref(), Some("pkg.mod.name"));
        assert_eq!(content("x = \"pkg.mod\"\n").as_deref(), Some("pkg.mod"));
        assert_eq!(content("x = f\"pkg.{mod}\"\n"), None);
        assert_eq!(content("x = f\"pkg{{mod}}\"\n"), None);
        assert_eq!(content("x = b\"pkg.mod\"\n"), None);
    }

    /// `syntaxes/python.scm`, the specification of [`capture`].
    fn query() -> &'static Query {
        static QUERY: OnceLock<Query> = OnceLock::new();
        QUERY.get_or_init(|| {
            Query::new(&language(), include_str!("../../syntaxes/python.scm")).expect("syntaxes/python.scm compiles")
        })
    }

    /// The query's captures.
    fn query_captures<'tree>(tree: &'tree Tree, text: &str) -> Captures<'tree> {
        let query = query();
        let mut cursor = QueryCursor::new();
        let mut captures = Captures::default();
        let names = query.capture_names();
        let mut matches = cursor.matches(query, tree.root_node(), text.as_bytes());
        while let Some(found) = matches.next() {
            for capture in found.captures {
                let list = match names[capture.index as usize] {
                    "import" => &mut captures.imports,
                    "call" => &mut captures.calls,
                    "string" => &mut captures.strings,
                    "comment" => &mut captures.comments,
                    "all.value" => &mut captures.all_values,
                    "identifier" => &mut captures.identifiers,
                    "attribute" => &mut captures.attributes,
                    _ => continue,
                };
                list.push(capture.node);
            }
        }
        captures.sort();
        captures
    }

    #[test]
    fn the_query_compiles() {
        let _ = query();
    }

    #[test]
    fn kind_of_names_every_node_as_kind_does() {
        // Aliased nodes (`keyword_identifier` read as `identifier`, …), error
        // nodes, missing ones and anonymous tokens among them.
        let text = "import a.b as c\nprint(match, type, f'{x!r}', b'y')\nmatch x:\n    case [1, *r]: pass\n\
                    async def f(*, k=1, **kw) -> int: return await g(lambda q: q)\ndef h(:\n  x = [1,\n";
        let tree = parse_text(text);
        let mut visited = 0;
        walk_nodes(tree.root_node(), |node| {
            assert_eq!(kind_of(node), node.kind(), "{node:?}");
            visited += 1;
            true
        });
        assert!(visited > 100, "{visited}");
        assert!(tree.root_node().has_error());
    }

    /// Every node of `tree` whose kind is `kind`, by (start, end) as the
    /// captures are.
    fn walked(tree: &Tree, kind: &str) -> Vec<usize> {
        let mut found = descendants_of_kind(tree.root_node(), kind);
        found.sort_by_key(|node| (node.start_byte(), node.end_byte()));
        found.iter().map(|node| node.id()).collect()
    }

    /// The node ids of every list of `captures`.
    fn capture_ids(captures: &Captures<'_>) -> Vec<Vec<usize>> {
        [
            &captures.imports,
            &captures.calls,
            &captures.strings,
            &captures.comments,
            &captures.all_values,
            &captures.identifiers,
            &captures.attributes,
        ]
        .iter()
        .map(|list| list.iter().map(|node| node.id()).collect())
        .collect()
    }

    #[test]
    fn the_walk_captures_what_the_query_captures() {
        // `capture` is the query of `syntaxes/python.scm`, found by a walk:
        // the same nodes in every list, aliased ones (`print`, `match`,
        // `type`: keywords read as identifiers), `__all__`'s five forms and
        // nodes inside errors among them. The fix builders' index
        // (`edits::TreeIndex`) is made of its identifiers, attributes and
        // strings, which must also be every such node of the tree.
        let mut texts = vec![
            "import a.b as c\nprint(match, type, f'{x!r} {y.z}', b'y', exec)\nmatch x:\n    case [1, *r]: pass\n\
             async def f(*, k=1, **kw) -> int: return await g(lambda q: q.w)\ntype T = list[int]\n\
             def h(:\n  x = [1, a.b.c(\"s\" 's')\n"
                .to_string(),
            "__all__ = ['a', 'b']\n__all__ += ('c',)\n__all__.extend(['d'])\n__all__.append('e')\n\
             __all__.insert(0, 'f')\nother.extend(['g'])\n__all__: list = ['h']\nx = __all__\n\
             import a.b as c, d\nfrom .e import (f as g, h)\nfrom i import *\n\
             def h(:\n  x = [1, a.b.c(\"s\" 's')  # note\n"
                .to_string(),
        ];
        let forms = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms");
        for entry in std::fs::read_dir(forms).expect("the forms fixtures") {
            let path = entry.expect("a fixture").path();
            if path.extension().is_some_and(|extension| extension == "py") {
                texts.push(String::from_utf8_lossy(&std::fs::read(&path).expect("a fixture")).into_owned());
            }
        }
        for text in &texts {
            let tree = parse_text(text);
            let captures = capture(&tree, text);
            assert_eq!(capture_ids(&captures), capture_ids(&query_captures(&tree, text)), "{text}");
            let ids = |nodes: &[Node<'_>]| nodes.iter().map(|node| node.id()).collect::<Vec<_>>();
            assert_eq!(ids(&captures.identifiers), walked(&tree, "identifier"), "{text}");
            assert_eq!(ids(&captures.attributes), walked(&tree, "attribute"), "{text}");
            assert_eq!(ids(&captures.strings), walked(&tree, "string"), "{text}");
        }
        let all = parse_text(&texts[1]);
        assert_eq!(capture(&all, &texts[1]).all_values.len(), 5, "{}", all.root_node().to_sexp());
        assert!(texts.len() > 30, "{}", texts.len());
    }

    #[test]
    fn the_walk_captures_what_the_query_does_after_an_unclosed_string() {
        // Error recovery leaves the statements after the string under one
        // node (the query is quadratic there from about 35,000 lines on):
        // the walk finds what the query finds.
        let mut text = String::from("from app.factory import create_manager\nmanager = create_manager('unterminated\n");
        for line in 0..3_000 {
            text.push_str(&format!("result_{line} = service.call(value_{line}, other)  # note\n"));
        }
        let tree = parse_text(&text);
        let unlimited = query_captures(&tree, &text);
        assert_eq!(capture_ids(&capture(&tree, &text)), capture_ids(&unlimited));
        assert!(unlimited.calls.len() >= 3_000, "{}", unlimited.calls.len());
    }

    #[test]
    fn a_bom_file_parses_without_errors() {
        let tree = parse_text("\u{feff}import os\nx = 1\n");
        assert_eq!(count_errors(&tree), 0, "{}", tree.root_node().to_sexp());
    }

    #[test]
    fn long_comment_runs_are_left_out_of_the_parse_only() {
        let mut text = String::from("import os\n");
        let run_start = text.len();
        for i in 0..LONG_COMMENT_RUN {
            text.push_str(&format!("{}# x = {i}  é\n", " ".repeat(i % 5)));
            if i == 3 {
                text.push_str("\n   \n");
            }
        }
        let run_end = text.len();
        text.push_str("# ssot: ignore\nfrom a import b\n");
        assert_eq!(long_comment_runs(text.as_bytes()), [(run_start, run_end)]);
        let tree = parse_text(&text);
        assert_eq!(count_errors(&tree), 0);
        assert_eq!(skipped_ranges(&tree, text.len()), [(run_start, run_end)]);
        let root = tree.root_node();
        let kinds: Vec<&str> =
            (0..root.named_child_count()).filter_map(|at| root.named_child(at)).map(|n| n.kind()).collect();
        assert_eq!(kinds, ["import_statement", "comment", "import_from_statement"], "the ignore comment is kept");
        assert_eq!(node_text(root.named_child(2).unwrap(), &text), "from a import b");
        assert_eq!(root.named_child(2).unwrap().start_position().row, LONG_COMMENT_RUN + 4);
        // One line short of a run, or a run broken by code or an ignore
        // comment: all parsed.
        let short: String = (1..LONG_COMMENT_RUN).map(|i| format!("# {i}\n")).collect();
        for text in
            [format!("x = 1\n{short}"), format!("{short}y = 2\n{short}"), format!("{short}# ssot: ignore\n{short}")]
        {
            assert!(long_comment_runs(text.as_bytes()).is_empty(), "{text}");
            assert!(skipped_ranges(&parse_text(&text), text.len()).is_empty());
        }
        // A run at the end without a line break, and one at the start.
        let run: String = (0..LONG_COMMENT_RUN).map(|i| format!("# {i}\n")).collect();
        let text = format!("{run}x = 1\n{}", run.trim_end());
        let runs = long_comment_runs(text.as_bytes());
        assert_eq!(runs, [(0, run.len()), (run.len() + 6, text.len())]);
        assert_eq!(skipped_ranges(&parse_text(&text), text.len()), runs);
        assert!(long_comment_runs(b"# one\nx = 1\n").is_empty());
    }

    /// Python-like lines for the parse properties: code at four
    /// indentations, blocks, brackets left open for a few lines, comment
    /// lines (often in long runs), blank lines, ignore comments and
    /// triple-quoted strings.
    fn python_lines() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let line = prop_oneof![
            4 => (0..4usize).prop_map(|indent| format!("{}# old = call(x)  # note", "    ".repeat(indent))),
            1 => (0..4usize).prop_map(|indent| format!("{}x = 1", "    ".repeat(indent))),
            1 => (0..3usize).prop_map(|indent| format!("{}def f():", "    ".repeat(indent))),
            1 => Just("value = [".to_string()),
            1 => Just("    1,".to_string()),
            1 => Just("]".to_string()),
            1 => Just(String::new()),
            1 => Just("# ssot: ignore".to_string()),
            1 => Just("text = '''".to_string()),
            1 => Just("'''".to_string()),
        ];
        (prop::collection::vec((line, 1..30usize), 1..12), any::<bool>(), any::<bool>()).prop_map(
            |(lines, crlf, bom)| {
                let mut text: String =
                    lines.iter().flat_map(|(line, times)| std::iter::repeat_n(format!("{line}\n"), *times)).collect();
                if crlf {
                    text = text.replace('\n', "\r\n");
                }
                if bom {
                    text.insert(0, '\u{feff}');
                }
                text
            },
        )
    }

    /// Every node of `tree` as its kind and byte range, in tree order; of a
    /// string that overlaps one of `runs`, not its parts. Lines starting
    /// with `#` inside a triple-quoted string make a run too (the lines are
    /// not lexed): the string keeps its range, but a content node of it
    /// stops where the run starts.
    fn nodes_of(tree: &Tree, runs: &[(usize, usize)]) -> Vec<(&'static str, usize, usize)> {
        let mut nodes = Vec::new();
        walk_nodes(tree.root_node(), |node| {
            nodes.push((node.kind(), node.start_byte(), node.end_byte()));
            node.kind() != "string"
                || !runs.iter().any(|&(start, end)| start < node.end_byte() && node.start_byte() < end)
        });
        nodes
    }

    /// Every node of `tree` as its kind, byte range and points.
    fn nodes_and_points(tree: &Tree) -> Vec<(&'static str, usize, usize, Point, Point)> {
        let mut nodes = Vec::new();
        walk_nodes(tree.root_node(), |node| {
            nodes.push((node.kind(), node.start_byte(), node.end_byte(), node.start_position(), node.end_position()));
            true
        });
        nodes
    }

    #[test]
    fn scopes_found_at_once_in_classes_lambdas_and_decorated_functions() {
        let text = [
            "import a",
            "",
            "@deco(lambda x: x)",
            "class C(Base):",
            "    import b",
            "    key = lambda y: (lambda z: z)",
            "",
            "    @staticmethod",
            "    def f(p=lambda: 0):",
            "        import c",
            "        def g():",
            "            import d",
            "",
            "def h(): import e",
            "",
        ]
        .join("\n");
        let text = text.as_str();
        let tree = parse_text(text);
        let mut nodes = Vec::new();
        walk_nodes(tree.root_node(), |node| {
            nodes.push(node);
            true
        });
        let at_once: Vec<usize> = scopes_of(tree.root_node(), &nodes).iter().map(|scope| scope.id()).collect();
        let one_by_one: Vec<usize> = nodes.iter().map(|node| scope_of(*node).id()).collect();
        assert_eq!(at_once, one_by_one);
        let imports = import_statements(&tree);
        let kinds: Vec<&str> = scopes_of(tree.root_node(), &imports).iter().map(|scope| scope.kind()).collect();
        assert_eq!(
            kinds,
            ["module", "class_definition", "function_definition", "function_definition", "function_definition"]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 96, ..Default::default() })]

        /// Leaving a run out gives the tree that blanking its lines gives
        /// (what the parse did before it left runs out), node for node.
        #[test]
        fn leaving_runs_out_parses_as_blanking_them(text in python_lines()) {
            let mut blanked = text.clone().into_bytes();
            let runs = long_comment_runs(&parser_source(&text));
            for &(start, end) in &runs {
                for byte in &mut blanked[start..end] {
                    if !matches!(*byte, b'\n' | b'\r') {
                        *byte = b' ';
                    }
                }
            }
            let blanked = String::from_utf8(blanked).unwrap();
            let oracle = new_parser().parse(parser_source(&blanked).as_ref(), None).unwrap();
            proptest::prop_assert_eq!(nodes_of(&parse_text(&text), &runs), nodes_of(&oracle, &runs), "{:?}", text);
        }

        /// An edit anywhere (in a run, making or breaking one) parsed with
        /// the old tree gives the tree of a fresh parse.
        #[test]
        fn reusing_a_tree_with_runs_left_out_gives_the_fresh_tree(
            text in python_lines(),
            at in proptest::prelude::any::<proptest::sample::Index>(),
            removed in 0..200usize,
            inserted in proptest::prop_oneof![
                proptest::prelude::Just("# c\n".repeat(LONG_COMMENT_RUN)),
                proptest::prelude::Just("x = 2\n".to_string()),
                proptest::prelude::Just("'''".to_string()),
                proptest::prelude::Just("#".to_string()),
                proptest::prelude::Just(String::new()),
            ],
        ) {
            let start = at.index(text.len() + 1);
            let start = (0..=start).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            let old_end = (start + removed).min(text.len());
            let old_end = (old_end..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
            let edited = format!("{}{inserted}{}", &text[..start], &text[old_end..]);
            let mut old = parse_text(&text);
            old.edit(&InputEdit {
                start_byte: start,
                old_end_byte: old_end,
                new_end_byte: start + inserted.len(),
                start_position: point_at(text.as_bytes(), start),
                old_end_position: point_at(text.as_bytes(), old_end),
                new_end_position: point_at(edited.as_bytes(), start + inserted.len()),
            });
            let reused = parse(&mut new_parser(), &edited, Some(&old)).unwrap();
            proptest::prop_assert_eq!(nodes_of(&reused, &[]), nodes_of(&parse_text(&edited), &[]), "{:?}", edited);
        }

        /// Several edits told at once (`edit_tree`, as the fix loop tells
        /// a round's), the tree then parsed again with the new text, give
        /// the tree of a fresh parse, rows and columns too: also where an
        /// edit makes or breaks a `\r\n`.
        #[test]
        fn a_tree_told_of_a_rounds_edits_parses_as_a_fresh_one(
            text in python_lines(),
            edits in proptest::collection::vec(
                (
                    proptest::prelude::any::<proptest::sample::Index>(),
                    0..40usize,
                    proptest::prop_oneof![
                        proptest::prelude::Just("from a import b\n"),
                        proptest::prelude::Just("\r"),
                        proptest::prelude::Just("\n"),
                        proptest::prelude::Just("x"),
                        proptest::prelude::Just("'''"),
                        proptest::prelude::Just(""),
                    ],
                ),
                1..6,
            ),
        ) {
            let boundary_at_or_before = |i: usize| (0..=i).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            let mut spans: Vec<(usize, usize, &str)> = edits
                .iter()
                .map(|(at, removed, inserted)| {
                    let start = boundary_at_or_before(at.index(text.len() + 1));
                    let end = (start + removed).min(text.len());
                    let end = (end..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
                    (start, end, *inserted)
                })
                .collect();
            spans.sort();
            let mut kept: Vec<(usize, usize, &str)> = Vec::new();
            for span in spans {
                if kept.last().is_none_or(|last| span.0 >= last.1) {
                    kept.push(span);
                }
            }
            let mut edited = String::new();
            let mut cursor = 0;
            for &(start, end, inserted) in &kept {
                edited.push_str(&text[cursor..start]);
                edited.push_str(inserted);
                cursor = end;
            }
            edited.push_str(&text[cursor..]);
            let told: Vec<(usize, usize, usize)> = kept.iter().map(|&(start, end, inserted)| (start, end, inserted.len())).collect();
            let mut old = parse_text(&text);
            edit_tree(&mut old, &text, &edited, &told);
            let reused = parse(&mut new_parser(), &edited, Some(&old)).unwrap();
            proptest::prop_assert_eq!(nodes_and_points(&reused), nodes_and_points(&parse_text(&edited)), "{:?}", edited);
        }

        /// `scopes_of` finds for every node of a tree what `scope_of` finds
        /// climbing from it (nested functions, syntax errors, missing nodes).
        #[test]
        fn scopes_found_at_once_are_those_found_one_by_one(text in python_lines()) {
            let tree = parse_text(&text);
            let mut nodes = Vec::new();
            walk_nodes(tree.root_node(), |node| {
                nodes.push(node);
                true
            });
            nodes.reverse();
            let at_once: Vec<usize> = scopes_of(tree.root_node(), &nodes).iter().map(|scope| scope.id()).collect();
            let one_by_one: Vec<usize> = nodes.iter().map(|node| scope_of(*node).id()).collect();
            proptest::prop_assert_eq!(at_once, one_by_one);
        }
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line_for_the_parser() {
        let text = "#!/usr/bin/env python\rfrom a import b\rx = 1\r\ny = 2\r";
        for tree in [parse_text(text), parse_ranges(text, &[(0, text.len())])] {
            let root = tree.root_node();
            assert_eq!(count_errors(&tree), 0, "{}", root.to_sexp());
            let kinds: Vec<&str> = (0..root.named_child_count())
                .filter_map(|index| root.named_child(index).map(|node| node.kind()))
                .collect();
            assert_eq!(kinds, ["comment", "import_from_statement", "expression_statement", "expression_statement"]);
            let import = root.named_child(1).unwrap();
            assert_eq!(node_text(import, text), "from a import b", "offsets are those of the text");
            assert_eq!(import.start_position().row, 1, "rows count the lone CR");
        }
        assert!(matches!(lone_cr_as_lf(b"a\r\nb\n"), Cow::Borrowed(_)), "no copy without a lone CR");
        assert_eq!(lone_cr_as_lf(b"a\rb\r\nc\r").as_ref(), b"a\nb\r\nc\n");
    }

    /// The byte ranges of the lines of `text` picked by the bits of `mask`,
    /// adjacent lines merged (as the skeleton's kept ranges are).
    fn lines_of(text: &str, mask: u32) -> Vec<(usize, usize)> {
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        let mut offset = 0;
        for (index, line) in text.split_inclusive('\n').enumerate() {
            let (start, end) = (offset, offset + line.len());
            offset = end;
            if mask & (1 << index) == 0 {
                continue;
            }
            match ranges.last_mut() {
                Some(last) if last.1 == start => last.1 = end,
                _ => ranges.push((start, end)),
            }
        }
        ranges
    }

    #[test]
    fn a_parse_of_other_ranges_reusing_an_old_tree_equals_a_fresh_one() {
        // Every pair of line subsets: the old tree's and the new parse's.
        // Reused as is, tree-sitter keeps a NEWLINE or DEDENT decided from
        // a line that is no longer the next included one (found for the
        // first text: old lines {0}, new {0, 1}).
        let texts = [
            "def f():\n    if a:\n        x = 1\n    y = 2\nz = 3\n",
            "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return [\n2]\nw = 1\n",
            "if a:\n    b = 1\nelse:\n    c = (\n2)\nd = 3\n",
        ];
        for text in texts {
            let masks = 1u32..(1 << text.lines().count());
            for old_mask in masks.clone() {
                let old = parse_ranges(text, &lines_of(text, old_mask));
                for new_mask in masks.clone() {
                    let ranges = lines_of(text, new_mask);
                    let reused = parse_ranges_reusing(text, &ranges, Some(&old));
                    let fresh = parse_ranges(text, &ranges);
                    assert_eq!(
                        reused.root_node().to_sexp(),
                        fresh.root_node().to_sexp(),
                        "{text:?}: lines {old_mask:b} then {new_mask:b}"
                    );
                }
            }
        }
    }

    #[test]
    fn errors_are_counted() {
        assert_eq!(count_errors(&parse_text("x = 1\n")), 0);
        assert!(count_errors(&parse_text("def f(:\n")) > 0);
    }

    #[test]
    fn captures_imports_strings_and_all() {
        let text = "import a\nfrom b import c\n__all__ = ['c']\n__all__.extend(['d'])\n";
        let tree = parse_text(text);
        let captures = capture(&tree, text);
        assert_eq!(captures.imports.len(), 2);
        assert_eq!(captures.all_values.len(), 2);
        assert_eq!(captures.strings.len(), 2);
    }
}
