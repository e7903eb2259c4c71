//! Skeletons: a file reduced to the logical lines a check needs, at their own
//! offsets.
//!
//! Parsing a whole candidate file costs far more than reading it. A skeleton
//! keeps the logical lines that hold a word of interest, plus what Python needs
//! around them to stay the same program shape: the headers of the blocks they
//! sit in, the first statement of every kept block, all clauses of a kept
//! `if`/`try`/`for`/`while`/`with` and the decorators of a kept definition.
//! The parser reads only those lines (tree-sitter's included ranges), so the
//! skeleton's tree holds the kept statements of the original tree at their
//! original byte offsets and rows; to Python the skipped lines might as well
//! be blank.
//!
//! This module is lexical only: it knows strings, comments, brackets,
//! continuations and indentation, never rules. A skeleton that does not parse
//! cleanly is the caller's cue to parse the whole file (`analysis::scan_text`).

use crate::identifiers::{is_name_byte, is_whole_word, word_at, BOM};
use aho_corasick::AhoCorasick;

/// Substrings and whole identifiers to find, each set compiled into one
/// Aho-Corasick automaton: one pass over a text finds every occurrence of
/// every term, however many rules there are.
/// A few terms are searched one by one (`memchr::memmem`, SIMD), which is
/// faster than an automaton for a handful of them.
#[derive(Debug, Clone, Default)]
pub struct Terms {
    needles: Search,
    words: Search,
    imports: ImportLines,
    /// When set, a term in the module of a `from M import` statement off
    /// the rules' paths does not make its line wanted.
    paths: Option<ModulePaths>,
    /// A rule set's needles, words and import roots in one search (their
    /// shared anchors searched once: `Manager` for needles and words,
    /// `websocket` for a needle and a root), with what each term is; `None`
    /// when they are searched apart.
    together: Option<(Search, Vec<TermKind>)>,
}

/// What a term of [`Terms::together`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TermKind {
    Needle,
    Word,
    ImportRoot,
}

/// Which import statements a skeleton keeps besides those holding a term.
#[derive(Debug, Clone, Default)]
enum ImportLines {
    /// Every one.
    #[default]
    All,
    /// None.
    Nothing,
    /// Relative ones, and those naming one of these whole identifiers (the
    /// first parts of the rules' paths). `import` is among them: a line
    /// that holds it without starting with it (`try: import x`) is kept.
    Relevant(Search),
}

/// The modules an import statement `from M import …` must name for the
/// skeleton to want its line: one on a rule's path. Any other M (`from
/// netra_backend.app.websocket_core.types import MessageType`) binds names
/// no rule resolves, whatever terms M itself holds (`websocket_core`, the
/// package's root): real files import dozens of the project's modules.
#[derive(Debug, Clone, Default)]
pub struct ModulePaths {
    /// Every path findings come from (deprecated modules and names,
    /// callables) and each dotted prefix of it, sorted: M is on a path when
    /// it is one of them. Not the canonical modules nor the name map's
    /// targets: their imports matter to fixes alone, and a second look
    /// keeps them for the files whose fixes go there.
    prefixes: Vec<String>,
    /// The deprecated paths (modules, names, callables), sorted: M is on a
    /// path when it lies under one of them too (`from a.old.sub import x`).
    deprecated: Vec<String>,
}

impl ModulePaths {
    /// `paths`: the paths findings come from; `deprecated`: those deprecated.
    pub fn new(paths: &[String], deprecated: &[String]) -> Self {
        let mut prefixes: Vec<String> = paths
            .iter()
            .chain(deprecated)
            .flat_map(|path| {
                let ends = path.match_indices('.').map(|(dot, _)| dot).chain([path.len()]);
                ends.map(|end| path[..end].to_string())
            })
            .collect();
        prefixes.sort();
        prefixes.dedup();
        let mut deprecated = deprecated.to_vec();
        deprecated.sort();
        deprecated.dedup();
        ModulePaths { prefixes, deprecated }
    }

    /// Whether the dotted module `module` is on a rule's path.
    fn holds(&self, module: &[u8]) -> bool {
        self.prefixes.binary_search_by(|prefix| prefix.as_bytes().cmp(module)).is_ok()
            || self
                .deprecated
                .iter()
                .any(|path| module.strip_prefix(path.as_bytes()).is_some_and(|rest| rest.first() == Some(&b'.')))
    }
}

impl Terms {
    /// Whether a skeleton of these terms keeps every `from M import …`
    /// statement of the dotted `module` by its path.
    pub fn keeps_imports_of(&self, module: &str) -> bool {
        self.paths.as_ref().is_none_or(|paths| paths.holds(module.as_bytes()))
    }

    /// Terms whose skeleton keeps every import statement.
    pub fn new(needles: &[String], words: &[String]) -> Self {
        let (needles, words) = without_redundant_terms(needles, words);
        Terms {
            needles: Search::compiled(&needles),
            words: Search::compiled(&words),
            imports: ImportLines::All,
            together: None,
            paths: None,
        }
    }

    /// Terms whose skeleton keeps only the import statements that can bind
    /// a name on a rule's path, besides those holding a needle or a word:
    /// relative ones and those naming one of `roots` (the first part of
    /// every rule's paths), but not `from M import …` with M off the paths
    /// (`paths`, whose needles and words M holds do not count either). An
    /// import of anything else (`import os`, `from
    /// netra_backend.app.core.config import get_config`) can neither be
    /// deprecated nor bind a name a rule resolves.
    pub fn with_import_roots(needles: &[String], words: &[String], roots: &[String], paths: ModulePaths) -> Self {
        let mut roots = roots.to_vec();
        roots.push("import".to_string());
        let imports = ImportLines::Relevant(Search::compiled(&roots));
        let (needles, words) = without_redundant_terms(needles, words);
        let kinds: Vec<TermKind> =
            [(TermKind::Needle, &needles), (TermKind::Word, &words), (TermKind::ImportRoot, &roots)]
                .into_iter()
                .flat_map(|(kind, terms)| terms.iter().filter(|term| !term.is_empty()).map(move |_| kind))
                .collect();
        let all: Vec<String> = needles.iter().chain(&words).chain(&roots).cloned().collect();
        let together = (kinds.len() <= SEPARATE_SEARCHES_UP_TO).then(|| (Search::compiled(&all), kinds));
        Terms {
            needles: Search::compiled(&needles),
            words: Search::compiled(&words),
            imports,
            together,
            paths: Some(paths),
        }
    }

    /// Terms of whole identifiers only, keeping no import for itself.
    fn words_only(words: &[String]) -> Self {
        Terms {
            needles: Search::Nothing,
            words: Search::new(words),
            imports: ImportLines::Nothing,
            together: None,
            paths: None,
        }
    }
}

/// The names whose lines a skeleton's second look keeps
/// (`analysis::bindings_into_rules`): `anywhere`, wherever a line names
/// them (a string naming a name the fixes rename goes stale), and
/// `in_code`, where a line names them as code ([`is_code`]): what a fix
/// reads of them is identifiers and imports, never strings or comments
/// (`Optional["WebSocketManager"]`, `# use get_websocket_manager`).
///
/// `in_code_within`: words named as code that count only inside a block,
/// each with the offset of the block's header (a `def` or `class` as the
/// first look's tree holds it). What the fixes of an import inside a
/// function read lies in that function (`syntax::scope_of`: a rename's
/// other bindings and uses, the import it merges into): real code imports
/// the factory inside functions, and uses the canonical names in others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Naming {
    pub anywhere: Vec<String>,
    pub in_code: Vec<String>,
    pub in_code_within: Vec<(String, usize)>,
}

/// Whether the byte at `at`, in the logical line starting at `from`, is
/// code: outside strings and comments. An f-string counts as code whole
/// (its fields are), conservatively.
fn is_code(bytes: &[u8], from: usize, at: usize) -> bool {
    matches!(place_of(bytes, from, at), Place::Code)
}

/// Whether `text` holds the identifier `word` (a whole word) where a
/// program may read it as a name: in code (an f-string counts as code
/// whole), or in a string other than one that stands alone as a statement
/// or is an element of a list, tuple, set or dict display. An occurrence in
/// a comment, in a string that is a logical line by itself (a docstring,
/// prose) or in a display (`__all__ = ["IsolatedWebSocketManager"]`) is
/// not read by any program as a type. For checks that stay safe when they
/// over-count: a string annotation (`-> "IsolatedWebSocketManager"`), a
/// subscript's (`Optional["…"]`), a call's (`cast("…", m)`,
/// `patch("….IsolatedWebSocketManager")`) and any other string count.
pub fn names_outside_prose(text: &str, word: &str) -> bool {
    let bytes = text.as_bytes();
    let found: Vec<usize> = memchr::memmem::find_iter(bytes, word.as_bytes())
        .filter(|&at| is_whole_word(bytes, at, at + word.len()))
        .collect();
    let Some(&last) = found.last() else { return false };
    let mut structure = LineStructure::lazy(text);
    structure.lex_through(text, last);
    let bytes = crate::syntax::lone_cr_as_lf(bytes);
    found.into_iter().any(|at| {
        // Outside every logical line: a comment-only line.
        let Some(line) = structure.line_at(at).map(|index| &structure.lines[index]) else { return false };
        match place_of(&bytes, line.start, at) {
            Place::Code => true,
            Place::Comment => false,
            Place::String { quote, end } => {
                !stands_alone(&bytes, line, quote, end) && !in_a_display(&bytes, line.start, quote)
            }
        }
    })
}

/// Whether the string literal opening at `quote` stands in a list, tuple,
/// set or dict display, by the innermost bracket left open before it in the
/// logical line starting at `from`: one that follows a name, a closing
/// bracket or a dot opens a subscript or a call (`Optional["…"]`,
/// `cast("…", m)`, `return ["…"]` too, an over-count), any other a display.
fn in_a_display(bytes: &[u8], from: usize, quote: usize) -> bool {
    let mut open = Vec::new();
    let mut at = from;
    while at < quote {
        match bytes[at] {
            b'#' => at = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |newline| at + newline),
            b'\'' | b'"' => at = skip_string(bytes, at).0,
            b'(' | b'[' | b'{' => {
                open.push(at);
                at += 1;
            }
            b')' | b']' | b'}' => {
                open.pop();
                at += 1;
            }
            _ => at += 1,
        }
    }
    let Some(&opener) = open.last() else { return false };
    match bytes[from..opener].trim_ascii_end().last() {
        Some(&byte) => {
            !(byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80 || matches!(byte, b')' | b']' | b'.'))
        }
        None => true,
    }
}

/// Where a byte of a logical line is.
enum Place {
    Code,
    Comment,
    /// In the string literal whose opening quote is at `quote` and which
    /// ends before `end`.
    String {
        quote: usize,
        end: usize,
    },
}

/// Where the byte at `at` is, in the logical line starting at `from`.
fn place_of(bytes: &[u8], from: usize, at: usize) -> Place {
    let mut next = from;
    loop {
        next = next_special(bytes, next);
        if next >= at {
            return Place::Code;
        }
        match bytes[next] {
            b'#' => {
                let end = memchr::memchr(b'\n', &bytes[next..]).map_or(bytes.len(), |newline| next + newline);
                if at < end {
                    return Place::Comment;
                }
                next = end;
            }
            b'\'' | b'"' => {
                let (end, _) = skip_string(bytes, next);
                if at < end {
                    return if is_f_string(bytes, next) { Place::Code } else { Place::String { quote: next, end } };
                }
                next = end;
            }
            _ => next += 1,
        }
    }
}

/// Whether the string literal from `quote` to `end` is all of `line` but
/// its indentation, prefix letters (`r`, `u`, `b`) and a trailing comment:
/// a statement of its own, as a docstring is.
fn stands_alone(bytes: &[u8], line: &LogicalLine, quote: usize, end: usize) -> bool {
    let (_, first) = measure_indent(bytes, line.start);
    let prefix = bytes.get(first..quote).unwrap_or_default();
    if prefix.len() > 2 || !prefix.iter().all(|byte| matches!(byte, b'r' | b'R' | b'u' | b'U' | b'b' | b'B')) {
        return false;
    }
    let rest = bytes.get(end..line.end.min(bytes.len())).unwrap_or_default();
    let rest = rest.trim_ascii_start();
    let rest = rest.strip_prefix(b";").map_or(rest, <[u8]>::trim_ascii_start);
    rest.is_empty() || rest.starts_with(b"#")
}

/// `needles` and `words` without those that find no line the others do not:
/// a needle holding another needle (every line with `websocket_core.manager`
/// holds `websocket`), a word holding a needle. One search less each.
fn without_redundant_terms(needles: &[String], words: &[String]) -> (Vec<String>, Vec<String>) {
    let needles: Vec<&String> = needles.iter().filter(|needle| !needle.is_empty()).collect();
    let holds_needle = |term: &str, except: &str| {
        needles.iter().any(|needle| needle.as_str() != except && term.contains(needle.as_str()))
    };
    let kept_needles: Vec<String> =
        needles.iter().filter(|needle| !holds_needle(needle, needle)).map(|needle| needle.to_string()).collect();
    let kept_words: Vec<String> = words.iter().filter(|word| !holds_needle(word, "")).cloned().collect();
    (kept_needles, kept_words)
}

/// Up to this many terms, each is searched on its own (or through shared
/// anchors, when compiled).
const SEPARATE_SEARCHES_UP_TO: usize = 64;

/// The shortest anchor two terms can share ([`Search::compiled`]).
const SHORTEST_SHARED_ANCHOR: usize = 6;

/// The longest substring of a term tried as a shared anchor.
const LONGEST_SHARED_ANCHOR: usize = 24;

#[derive(Debug, Clone, Default)]
enum Search {
    #[default]
    Nothing,
    Separately(Vec<String>),
    /// One search per anchor, a substring several terms share (`Manager`
    /// for `WebSocketManager`, `ConnectionManager`, …): each of its
    /// occurrences is checked for the terms around it. Finds every
    /// occurrence `Separately` finds, and those overlapping one of the same
    /// term (on the same line, and never a whole identifier).
    Anchored {
        terms: Vec<String>,
        anchors: Vec<Anchor>,
    },
    Automaton(AhoCorasick),
}

/// A substring searched for on behalf of terms that hold it.
#[derive(Debug, Clone)]
struct Anchor {
    finder: memchr::memmem::Finder<'static>,
    /// Each term found through it, with where the anchor first sits in it.
    uses: Vec<(usize, usize)>,
}

impl Search {
    /// A search for terms looked for once (the names a file's imports bind).
    fn new(terms: &[String]) -> Self {
        let terms: Vec<&String> = terms.iter().filter(|term| !term.is_empty()).collect();
        match terms.len() {
            0 => Search::Nothing,
            count if count <= SEPARATE_SEARCHES_UP_TO => Search::Separately(terms.into_iter().cloned().collect()),
            _ => Search::Automaton(AhoCorasick::new(terms).expect("plain strings build an automaton")),
        }
    }

    /// A search compiled once for many texts (a rule set's terms): terms
    /// that share a substring are found through one search of it.
    fn compiled(terms: &[String]) -> Self {
        let terms: Vec<String> = terms.iter().filter(|term| !term.is_empty()).cloned().collect();
        if terms.is_empty() || terms.len() > SEPARATE_SEARCHES_UP_TO {
            return Search::new(&terms);
        }
        let anchors = shared_anchors(&terms)
            .into_iter()
            .map(|(anchor, uses)| Anchor { finder: memchr::memmem::Finder::new(anchor.as_bytes()).into_owned(), uses })
            .collect();
        Search::Anchored { terms, anchors }
    }

    /// Every occurrence of every term, as (start, end) byte offsets.
    fn for_each_occurrence(&self, bytes: &[u8], mut found: impl FnMut(usize, usize)) {
        self.for_each_term_occurrence(bytes, |_, start, end| found(start, end));
    }

    /// Every occurrence of every term, with the term's index among the
    /// non-empty terms the search was made of.
    fn for_each_term_occurrence(&self, bytes: &[u8], mut found: impl FnMut(usize, usize, usize)) {
        match self {
            Search::Nothing => {}
            Search::Separately(terms) => {
                for (index, term) in terms.iter().enumerate() {
                    for start in memchr::memmem::find_iter(bytes, term.as_bytes()) {
                        found(index, start, start + term.len());
                    }
                }
            }
            Search::Anchored { terms, anchors } => {
                for anchor in anchors {
                    let mut from = 0;
                    // Overlapping occurrences: a term may need the second
                    // of two overlapping anchors.
                    while let Some(offset) = anchor.finder.find(&bytes[from..]) {
                        let at = from + offset;
                        for &(index, within) in &anchor.uses {
                            let term = terms[index].as_bytes();
                            let Some(start) = at.checked_sub(within) else { continue };
                            if bytes.get(start..start + term.len()) == Some(term) {
                                found(index, start, start + term.len());
                            }
                        }
                        from = at + 1;
                    }
                }
            }
            Search::Automaton(automaton) => {
                for occurrence in automaton.find_overlapping_iter(bytes) {
                    found(occurrence.pattern().as_usize(), occurrence.start(), occurrence.end());
                }
            }
        }
    }
}

/// Anchors for `terms`, each with the terms found through it and where it
/// first sits in each: greedily the substring (of at least
/// [`SHORTEST_SHARED_ANCHOR`] bytes) held by the most terms not yet
/// covered, the longest among equals; a term sharing none is its own.
fn shared_anchors(terms: &[String]) -> Vec<(String, Vec<(usize, usize)>)> {
    let mut holders: std::collections::BTreeMap<&str, Vec<usize>> = std::collections::BTreeMap::new();
    for (index, term) in terms.iter().enumerate() {
        let mut substrings: Vec<&str> = Vec::new();
        for start in 0..term.len() {
            let longest = (term.len() - start).min(LONGEST_SHARED_ANCHOR);
            for length in SHORTEST_SHARED_ANCHOR..=longest {
                substrings.extend(term.get(start..start + length));
            }
        }
        substrings.push(term);
        substrings.sort_unstable();
        substrings.dedup();
        for substring in substrings {
            holders.entry(substring).or_default().push(index);
        }
    }
    let mut covered = vec![false; terms.len()];
    let mut anchors = Vec::new();
    while covered.iter().any(|done| !done) {
        let best = holders
            .iter()
            .map(|(substring, holding)| {
                (holding.iter().filter(|&&term| !covered[term]).count(), substring.len(), *substring)
            })
            .max_by_key(|&(count, length, _)| (count, length))
            .map(|(_, _, substring)| substring);
        let Some(anchor) = best else { break };
        let uses: Vec<(usize, usize)> = holders[anchor]
            .iter()
            .filter(|&&term| !covered[term])
            .filter_map(|&term| terms[term].find(anchor).map(|within| (term, within)))
            .collect();
        for &(term, _) in &uses {
            covered[term] = true;
        }
        anchors.push((anchor.to_string(), uses));
    }
    anchors
}

/// What a logical line starts with, as far as block structure goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Head {
    /// `if`, `for`, `while`, `try`, `with` (and their `async` forms): may be
    /// followed by clauses.
    Opener,
    /// `elif`, `else`, `except`, `finally`: continues the previous sibling.
    Clause,
    /// `@decorator`.
    Decorator,
    /// `def` or `class` (also `async def`).
    Definition,
    /// `import ...` or `from ... import ...`.
    Import,
    Other,
}

/// One logical line: whole physical lines, from the start of the first to
/// just after the line break that ends it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LogicalLine {
    start: usize,
    end: usize,
    /// Indentation of the first physical line in columns (tabs to multiples
    /// of eight, as Python counts them).
    indent: usize,
    head: Head,
    /// Ends with `:`, so a block follows on the next lines.
    opens_block: bool,
    /// See [`ScannedLine`]; also a `from` statement without `import`
    /// followed by a statement ([`mark_unfinished_from`]).
    broken: bool,
    misread_string: bool,
    /// A `from` statement without `import`.
    unfinished_from: bool,
    /// Starts a statement that cannot finish a `from` before it (`def`,
    /// `return`, …: [`starts_statement`]; not `import`): no parser reads on
    /// from the `from` into an `import` ([`mark_unfinished_from`]). Only
    /// asked, and so only found, when the line before is an unfinished
    /// `from`; `false` after any other line.
    ends_a_from: bool,
}

/// The logical lines of a text and how they nest.
///
/// Lexing costs more than anything else a skeleton does, and the lines a
/// skeleton keeps often end well before the text does: a structure made by
/// [`Self::lazy`] lexes only as far as its questions need
/// ([`Self::lex_through`]), up to a boundary past which no line is needed
/// by the closure of the lines before it. Its answers are those of the
/// structure of the whole text ([`Self::of`]).
#[derive(Debug, Clone)]
pub struct LineStructure {
    lines: Vec<LogicalLine>,
    parent: Vec<Option<usize>>,
    previous_sibling: Vec<Option<usize>>,
    next_sibling: Vec<Option<usize>>,
    first_child: Vec<Option<usize>>,
    /// The lines whose blocks the next line may still be in.
    open: Vec<usize>,
    /// Where lexing goes on: the next line's first byte to read, and where
    /// that line starts (0 before a BOM).
    next_at: usize,
    next_start: usize,
    /// Every line is lexed.
    complete: bool,
}

impl LineStructure {
    /// The structure of the whole text.
    pub fn of(text: &str) -> Self {
        let mut structure = Self::lazy(text);
        structure.lex_through(text, usize::MAX);
        structure
    }

    /// A structure of `text` that lexes as its questions need. Its vectors
    /// are made once, as long as the text has `\n`s (a logical line holds
    /// at least one; lone `\r`s may make more lines, and the vectors grow):
    /// growing them line by line cost more than counting the line breaks.
    pub fn lazy(text: &str) -> Self {
        let lines = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
        LineStructure {
            lines: Vec::with_capacity(lines),
            parent: Vec::with_capacity(lines),
            previous_sibling: Vec::with_capacity(lines),
            next_sibling: Vec::with_capacity(lines),
            first_child: Vec::with_capacity(lines),
            open: Vec::new(),
            next_at: if text.as_bytes().starts_with(BOM) { BOM.len() } else { 0 },
            next_start: 0,
            complete: false,
        }
    }

    /// The structure of `text`, which is the text `before` described with
    /// one edit: `start..old_end` of that text replaced by
    /// `start..new_end` of this one. Only the lines the edit can change are
    /// lexed again, from the line before it (whose end may depend on the
    /// next physical line's first word) until a line ends where a line of
    /// `before` ended, past the edit: a line is lexed from its start on, so
    /// the lines after are those of `before`, moved. Lazy like
    /// [`Self::lazy`]: beyond what `before` had lexed, lexing goes on as
    /// questions need; its answers are those of [`Self::of`].
    pub fn lazy_after_edit(before: &LineStructure, start: usize, old_end: usize, new_end: usize, text: &str) -> Self {
        let old_lines = &before.lines;
        let moved = |offset: usize| offset - old_end + new_end;
        // The first line reaching the edit's start (a line that ends there
        // may have ended at the end of the text, which the edit moves), and
        // the one before.
        let first_touched = old_lines.partition_point(|line| line.end < start);
        let relex_from = first_touched.saturating_sub(1);
        let mut structure = Self::lazy(text);
        for line in &old_lines[..relex_from] {
            structure.push(line.clone());
        }
        if let Some(previous) = relex_from.checked_sub(1).map(|index| &old_lines[index]) {
            structure.next_at = previous.end;
            structure.next_start = previous.end;
        }
        let old_frontier = if before.complete { usize::MAX } else { before.next_at };
        let bytes = crate::syntax::lone_cr_as_lf(text.as_bytes());
        loop {
            let after_unfinished_from = structure.lines.last().is_some_and(|line| line.unfinished_from);
            let Some((line, next)) = next_logical_line(
                &bytes,
                structure.next_at,
                structure.next_start,
                after_unfinished_from,
                &scan_logical_line,
            ) else {
                structure.complete = true;
                return structure;
            };
            structure.push(line);
            structure.next_at = next;
            structure.next_start = next;
            if next < new_end {
                continue;
            }
            // Where `before` would be lexing next, had a line of it ended here.
            let old_next = next - new_end + old_end;
            // Its lines are reused from there only when the line before
            // agrees on whether it leaves a `from` unfinished: the next
            // line's `ends_a_from` was lexed knowing it.
            let unfinished = structure.lines.last().is_some_and(|line| line.unfinished_from);
            let aligned = old_lines.binary_search_by_key(&old_next, |line| line.end);
            if let Some(index) = aligned.ok().filter(|&index| old_lines[index].unfinished_from == unfinished) {
                for line in &old_lines[index + 1..] {
                    structure.push(LogicalLine { start: moved(line.start), end: moved(line.end), ..line.clone() });
                }
                structure.complete = before.complete;
                if !before.complete {
                    structure.next_at = moved(before.next_at);
                    structure.next_start = moved(before.next_start);
                }
                return structure;
            }
            if old_next >= old_frontier {
                return structure;
            }
        }
    }

    /// Lexes every logical line holding a byte at or before `offset`, and
    /// on up to the next line at indentation 0 that is no clause
    /// (`else:`, `except`, …) and whose previous sibling is no decorator.
    /// Such a line closes every block, so no line before it has a child, a
    /// clause or a decorated definition after it; the only link across is
    /// the next sibling of the last line at indentation 0, which a closure
    /// follows only through clauses, decorators and kept imports. The
    /// callers lex through every line they want kept (every kept import
    /// among them), so the closure of a skeleton is the same as on the
    /// whole text.
    pub fn lex_through(&mut self, text: &str, offset: usize) {
        if self.complete {
            return;
        }
        // Lone `\r`s end lines, as for CPython and the parser (`syntax`).
        let bytes = crate::syntax::lone_cr_as_lf(text.as_bytes());
        loop {
            let after_unfinished_from = self.lines.last().is_some_and(|line| line.unfinished_from);
            let Some((line, next)) =
                next_logical_line(&bytes, self.next_at, self.next_start, after_unfinished_from, &scan_logical_line)
            else {
                self.complete = true;
                return;
            };
            // The last line at indentation 0 so far (the bottom of the
            // open blocks), whose next sibling this line would be.
            let follows_decorator = self
                .open
                .first()
                .is_some_and(|&top| self.lines[top].indent == 0 && self.lines[top].head == Head::Decorator);
            if line.start > offset && line.indent == 0 && line.head != Head::Clause && !follows_decorator {
                return;
            }
            self.push(line);
            self.next_at = next;
            self.next_start = next;
        }
    }

    /// Adds the next logical line and links it to those before.
    fn push(&mut self, line: LogicalLine) {
        let index = self.lines.len();
        let indent = line.indent;
        mark_unfinished_from(&mut self.lines, &line);
        self.lines.push(line);
        self.parent.push(None);
        self.previous_sibling.push(None);
        self.next_sibling.push(None);
        self.first_child.push(None);
        while self.open.last().is_some_and(|&top| self.lines[top].indent > indent) {
            self.open.pop();
        }
        if let Some(&top) = self.open.last() {
            if self.lines[top].indent == indent {
                self.previous_sibling[index] = Some(top);
                self.next_sibling[top] = Some(index);
                self.open.pop();
            }
        }
        self.parent[index] = self.open.last().copied();
        if let Some(owner) = self.parent[index] {
            self.first_child[owner].get_or_insert(index);
        }
        self.open.push(index);
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Whether a logical line holds a bracket that is never closed (before
    /// the end of the text, or before a statement: [`scan_logical_line`]) or
    /// a triple-quoted string that is never terminated, or is a `from`
    /// statement without `import` followed by a statement that cannot
    /// finish it (`from a.b` and then `def`: a line being typed), while no
    /// single-quoted string runs into a line break (where tree-sitter-python
    /// reads strings and brackets on other lines than Python). Such a text
    /// is no valid Python, and tree-sitter-python finds syntax errors in it
    /// too (a property test checks it on random texts).
    pub fn has_broken_line(&self) -> bool {
        self.lines.iter().any(|line| line.broken) && !self.lines.iter().any(|line| line.misread_string)
    }

    /// The outline: the logical lines outside every function body (lexed
    /// through the whole text), less the methods no index reads. That is the
    /// top-level statements, those of the compound statements and class
    /// bodies they hold, the headers of functions, and those of the methods
    /// that make a class's call signature (`__init__`, `__new__`, with their
    /// decorators): all an index of the module's bindings reads. The bodies,
    /// and the other methods of a large class, are most of a large module's
    /// bytes. A method whose name is spelled with other than ASCII bytes
    /// (NFKC may fold it to `__init__`) is kept.
    pub fn outline_lines(&mut self, text: &str) -> Vec<usize> {
        self.lex_through(text, usize::MAX);
        let bytes = text.as_bytes();
        let header = |index: usize| &bytes[self.lines[index].start..self.lines[index].end];
        let opens_function =
            |index: usize| self.lines[index].head == Head::Definition && is_function_header(header(index));
        let opens_class =
            |index: usize| self.lines[index].head == Head::Definition && !is_function_header(header(index));
        let mut in_function = vec![false; self.lines.len()];
        let mut wanted = Vec::new();
        for index in 0..self.lines.len() {
            in_function[index] = self.parent[index].is_some_and(|parent| in_function[parent] || opens_function(parent));
            let unread_method = self.parent[index].is_some_and(opens_class) && self.is_unread_method(index, bytes);
            if !in_function[index] && !unread_method {
                wanted.push(index);
            }
        }
        wanted
    }

    /// Whether line `index` of a class body is a method no index reads (or
    /// a decorator of one): a function whose ASCII name is neither
    /// `__init__` nor `__new__`.
    fn is_unread_method(&self, index: usize, bytes: &[u8]) -> bool {
        let mut definition = index;
        while self.lines[definition].head == Head::Decorator {
            match self.next_sibling[definition] {
                Some(next) => definition = next,
                None => return false,
            }
        }
        let line = &bytes[self.lines[definition].start..self.lines[definition].end];
        let line = line.strip_prefix(BOM).unwrap_or(line).trim_ascii_start();
        if self.lines[definition].head != Head::Definition || !is_function_header(line) {
            return false;
        }
        let after_def = &line[memchr::memmem::find(line, b"def").map_or(line.len(), |at| at + 3)..];
        let name = first_word(skip_blanks_and_continuations(after_def));
        !name.is_empty() && name.is_ascii() && name != b"__init__" && name != b"__new__"
    }

    /// The index of the logical line holding byte `offset`, if any (blank and
    /// comment-only lines belong to none).
    fn line_at(&self, offset: usize) -> Option<usize> {
        let index = self.lines.partition_point(|line| line.start <= offset).checked_sub(1)?;
        (offset < self.lines[index].end).then_some(index)
    }

    /// Logical lines holding one of `needles` anywhere (code, string or
    /// comment) or one of `words` as a whole identifier, and every import
    /// statement.
    pub fn lines_holding(&mut self, text: &str, needles: &[String], words: &[String]) -> Vec<usize> {
        self.lines_holding_terms(text, &Terms::new(needles, words))
    }

    /// Logical lines naming one of `words` as a whole identifier.
    pub fn lines_naming(&mut self, text: &str, words: &[String]) -> Vec<usize> {
        self.lines_holding_terms(text, &Terms::words_only(words))
    }

    /// The logical lines a second look keeps for `naming`.
    pub fn lines_named(&mut self, text: &str, naming: &Naming) -> Vec<usize> {
        let mut lines = self.lines_naming(text, &naming.anywhere);
        if naming.in_code.is_empty() && naming.in_code_within.is_empty() {
            return lines;
        }
        // The words named anywhere in code, then those named in blocks.
        let mut words = naming.in_code.clone();
        for (word, _) in &naming.in_code_within {
            if !words.contains(word) {
                words.push(word.clone());
            }
        }
        let bytes = text.as_bytes();
        let mut found = Vec::new();
        Search::new(&words).for_each_term_occurrence(bytes, |index, start, end| {
            if is_whole_word(bytes, start, end) {
                found.push((start, index));
            }
        });
        let headers = naming.in_code_within.iter().map(|(_, header)| *header);
        if let Some(last) = found.iter().map(|&(start, _)| start).chain(headers).max() {
            self.lex_through(text, last);
        }
        // Each block's word and header line.
        let blocks: Vec<(&String, Option<usize>)> =
            naming.in_code_within.iter().map(|(word, header)| (word, self.line_at(*header))).collect();
        for (start, index) in found {
            let Some(line) = self.line_at(start) else { continue };
            let counts = index < naming.in_code.len()
                || blocks.iter().any(|&(word, header)| {
                    *word == words[index] && header.is_some_and(|header| self.is_within(line, header))
                });
            if counts && is_code(bytes, self.lines[line].start, start) {
                lines.push(line);
            }
        }
        lines.sort_unstable();
        lines.dedup();
        lines
    }

    /// Whether logical line `line` is `header` or in its block.
    fn is_within(&self, line: usize, header: usize) -> bool {
        let mut current = Some(line);
        while let Some(at) = current {
            if at == header {
                return true;
            }
            if at < header {
                return false;
            }
            current = self.parent[at];
        }
        false
    }

    /// [`Self::lines_holding`] with terms compiled once (a rule set's), the
    /// import statements kept as `terms` say. Lexes as far as the last
    /// line it can find.
    pub fn lines_holding_terms(&mut self, text: &str, terms: &Terms) -> Vec<usize> {
        let bytes = text.as_bytes();
        let (mut needles, mut words, mut roots) = (Vec::new(), Vec::new(), Vec::new());
        match &terms.together {
            Some((search, kinds)) => search.for_each_term_occurrence(bytes, |index, start, end| match kinds[index] {
                TermKind::Needle => needles.push(start),
                TermKind::Word if is_whole_word(bytes, start, end) => words.push(start),
                TermKind::ImportRoot if is_whole_word(bytes, start, end) => roots.push((start, end)),
                TermKind::Word | TermKind::ImportRoot => {}
            }),
            None => {
                terms.needles.for_each_occurrence(bytes, |start, _| needles.push(start));
                terms.words.for_each_occurrence(bytes, |start, end| {
                    if is_whole_word(bytes, start, end) {
                        words.push(start);
                    }
                });
                if let ImportLines::Relevant(search) = &terms.imports {
                    search.for_each_occurrence(bytes, |start, end| {
                        if is_whole_word(bytes, start, end) {
                            roots.push((start, end));
                        }
                    });
                }
            }
        }
        if let Some(paths) = &terms.paths {
            needles.retain(|&start| !in_a_module_off_the_paths(bytes, start, paths));
            words.retain(|&start| !in_a_module_off_the_paths(bytes, start, paths));
            roots.retain(|&(start, end)| {
                &bytes[start..end] == b"import" || !in_a_module_off_the_paths(bytes, start, paths)
            });
        }
        let mut last = needles.iter().chain(&words).copied().max();
        match &terms.imports {
            ImportLines::All => last = Some(usize::MAX),
            ImportLines::Nothing => {}
            ImportLines::Relevant(_) => {
                let last_root = roots.iter().map(|&(start, _)| start).max();
                last = last.max(last_root).max(last_relative_import(bytes));
            }
        }
        if let Some(last) = last {
            self.lex_through(text, last);
        }
        let mut found: Vec<usize> = needles.iter().chain(&words).filter_map(|&start| self.line_at(start)).collect();
        match &terms.imports {
            ImportLines::All => {
                found.extend((0..self.lines.len()).filter(|&index| self.lines[index].head == Head::Import));
            }
            ImportLines::Nothing => {}
            ImportLines::Relevant(_) => {
                for (start, end) in roots {
                    let Some(line) = self.line_at(start) else { continue };
                    // `import` keeps a line whose head is no import; a root,
                    // an import statement.
                    let is_import = self.lines[line].head == Head::Import;
                    if (&bytes[start..end] == b"import") != is_import {
                        found.push(line);
                    }
                }
                found.extend((0..self.lines.len()).filter(|&index| self.is_relative_import(bytes, index)));
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Whether logical line `index` is `from .… import …`.
    fn is_relative_import(&self, bytes: &[u8], index: usize) -> bool {
        let line = &self.lines[index];
        if line.head != Head::Import {
            return false;
        }
        let mut rest = &bytes[line.start..line.end.min(bytes.len())];
        rest = rest.strip_prefix(BOM).unwrap_or(rest);
        rest = rest.trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b"from") else { return false };
        skip_blanks_and_continuations(rest).first() == Some(&b'.')
    }

    /// Which lines a skeleton of `wanted` keeps: `wanted` and everything
    /// Python needs around them (see the module header).
    pub fn closure(&self, wanted: &[usize]) -> Vec<bool> {
        let mut keep = vec![false; self.lines.len()];
        let mut pending: Vec<usize> = Vec::new();
        let require = |index: usize, keep: &mut Vec<bool>, pending: &mut Vec<usize>| {
            if !keep[index] {
                keep[index] = true;
                pending.push(index);
            }
        };
        for &index in wanted {
            require(index, &mut keep, &mut pending);
        }
        loop {
            while let Some(index) = pending.pop() {
                if let Some(owner) = self.parent[index] {
                    require(owner, &mut keep, &mut pending);
                }
                if self.lines[index].opens_block {
                    if let Some(child) = self.first_child[index] {
                        require(child, &mut keep, &mut pending);
                    }
                }
                match self.lines[index].head {
                    Head::Opener | Head::Clause => {
                        for member in self.clause_chain(index) {
                            require(member, &mut keep, &mut pending);
                        }
                    }
                    Head::Definition => {
                        let mut current = self.previous_sibling[index];
                        while let Some(decorator) = current.filter(|&at| self.lines[at].head == Head::Decorator) {
                            require(decorator, &mut keep, &mut pending);
                            current = self.previous_sibling[decorator];
                        }
                    }
                    Head::Decorator => {
                        let mut current = self.next_sibling[index];
                        while let Some(next) = current {
                            require(next, &mut keep, &mut pending);
                            if self.lines[next].head != Head::Decorator {
                                break;
                            }
                            current = self.next_sibling[next];
                        }
                    }
                    Head::Import | Head::Other => {}
                }
            }
            for index in self.statements_between_imports(&keep) {
                require(index, &mut keep, &mut pending);
            }
            if pending.is_empty() {
                return keep;
            }
        }
    }

    /// The opener of `index`'s statement and all its clauses.
    fn clause_chain(&self, index: usize) -> Vec<usize> {
        let mut opener = index;
        while self.lines[opener].head == Head::Clause {
            match self.previous_sibling[opener] {
                Some(previous) => opener = previous,
                None => break,
            }
        }
        let mut chain = vec![opener];
        let mut current = self.next_sibling[opener];
        while let Some(next) = current.filter(|&at| self.lines[at].head == Head::Clause) {
            chain.push(next);
            current = self.next_sibling[next];
        }
        chain
    }

    /// Where two kept imports of one block have statements between them, the
    /// first of those, so that "only imports between these two" reads the
    /// same on the skeleton as on the whole file.
    fn statements_between_imports(&self, keep: &[bool]) -> Vec<usize> {
        let mut needed = Vec::new();
        for first in (0..self.lines.len()).filter(|&at| keep[at] && self.lines[at].head == Head::Import) {
            let mut first_other = None;
            let mut current = self.next_sibling[first];
            while let Some(next) = current {
                if keep[next] && self.lines[next].head == Head::Import {
                    if let Some(other) = first_other.filter(|&other: &usize| !keep[other]) {
                        needed.push(other);
                    }
                    break;
                }
                if self.lines[next].head != Head::Import && first_other.is_none() {
                    first_other = Some(next);
                }
                current = self.next_sibling[next];
            }
        }
        needed
    }

    /// The byte ranges of the kept lines, adjacent lines merged, in order.
    pub fn kept_ranges(&self, keep: &[bool]) -> Vec<(usize, usize)> {
        let mut ranges: Vec<(usize, usize)> = Vec::new();
        for (line, _) in self.lines.iter().zip(keep).filter(|(_, kept)| **kept) {
            match ranges.last_mut() {
                Some(last) if last.1 == line.start => last.1 = line.end,
                _ => ranges.push((line.start, line.end)),
            }
        }
        ranges
    }

    /// `text` with every byte outside the kept lines turned into a space,
    /// line breaks kept (for tests and debugging: what the parser sees).
    pub fn blank(&self, text: &str, keep: &[bool]) -> String {
        let mut bytes = text.as_bytes().to_vec();
        let mut blank_from = 0;
        for (start, end) in self.kept_ranges(keep) {
            blank_range(&mut bytes, blank_from, start);
            blank_from = end;
        }
        let length = bytes.len();
        blank_range(&mut bytes, blank_from, length);
        String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
    }
}

fn blank_range(bytes: &mut [u8], start: usize, end: usize) {
    for byte in &mut bytes[start..end] {
        if *byte != b'\n' && *byte != b'\r' {
            *byte = b' ';
        }
    }
}

/// Marks the last of `lines` broken when it is a `from` statement without
/// `import` and `next`, the line after it, starts a statement that cannot
/// finish it.
fn mark_unfinished_from(lines: &mut [LogicalLine], next: &LogicalLine) {
    if next.ends_a_from {
        if let Some(previous) = lines.last_mut().filter(|previous| previous.unfinished_from) {
            previous.broken = true;
        }
    }
}

/// Splits `bytes` into logical lines with the scanner of one logical line
/// given (tests compare scanners); blank and comment-only lines are left out.
#[cfg(test)]
fn logical_lines_scanned_by(bytes: &[u8], scan_line: impl Fn(&[u8], usize, usize) -> ScannedLine) -> Vec<LogicalLine> {
    let mut lines: Vec<LogicalLine> = Vec::new();
    let mut at = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let mut line_start = 0;
    while let Some((line, next)) =
        next_logical_line(bytes, at, line_start, lines.last().is_some_and(|line| line.unfinished_from), &scan_line)
    {
        mark_unfinished_from(&mut lines, &line);
        lines.push(line);
        at = next;
        line_start = next;
    }
    lines
}

/// The first logical line at or after `at` (blank and comment-only lines
/// are skipped), starting at `line_start` or after the lines skipped, read
/// by `scan_line` ([`scan_logical_line`]), and where the next one is looked
/// for; `None` when only blank and comment lines are left. Whether it ends
/// a `from` is found only `after_unfinished_from` (the line before is one).
fn next_logical_line(
    bytes: &[u8],
    mut at: usize,
    mut line_start: usize,
    after_unfinished_from: bool,
    scan_line: &impl Fn(&[u8], usize, usize) -> ScannedLine,
) -> Option<(LogicalLine, usize)> {
    while at < bytes.len() {
        let (indent, first) = measure_indent(bytes, at);
        match bytes.get(first) {
            None => return None,
            Some(b'\n' | b'#') => {
                at = next_line_start(bytes, first);
                line_start = at;
                continue;
            }
            Some(_) => {}
        }
        let scan = scan_line(bytes, first, indent);
        let text_line = &bytes[first..scan.end];
        let head = head_of(text_line);
        let line = LogicalLine {
            start: line_start,
            end: scan.end,
            indent,
            head,
            opens_block: scan.last_significant == Some(b':'),
            broken: scan.broken,
            misread_string: scan.misread_string,
            unfinished_from: head == Head::Import
                && leading_keyword(text_line) == b"from"
                && memchr::memmem::find(text_line, b"import").is_none(),
            ends_a_from: after_unfinished_from
                && starts_statement(text_line)
                && leading_keyword(text_line) != b"import",
        };
        return Some((line, scan.end));
    }
    None
}

/// Whether the term at `start` stands in the module M of a `from M import`
/// statement that begins its physical line, and M is off the rules' paths:
/// such an import binds no name a rule resolves, however many of them a
/// file has. Read from the bytes, before any lexing: a line read otherwise
/// (`import` first, `;`, a module with other than ASCII name bytes, a line
/// break without a backslash before `import`) counts as on the paths; a
/// line in a string that happens to read so names no path either.
fn in_a_module_off_the_paths(bytes: &[u8], start: usize, paths: &ModulePaths) -> bool {
    let line_start = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |newline| newline + 1);
    let skip_blanks = |mut at: usize| loop {
        match &bytes[at.min(bytes.len())..] {
            [b' ' | b'\t' | 0x0c, ..] => at += 1,
            [b'\\', b'\r', b'\n', ..] => at += 3,
            [b'\\', b'\n' | b'\r', ..] => at += 2,
            _ => return at,
        }
    };
    let mut at = line_start;
    if bytes[at..].starts_with(BOM) {
        at += BOM.len();
    }
    at = skip_blanks(at);
    if !word_at(bytes, at, b"from") {
        return false;
    }
    let mut module = Vec::new();
    let mut holds_start = false;
    at += b"from".len();
    loop {
        at = skip_blanks(at);
        let part = first_word(&bytes[at..]);
        if part.is_empty() || !part.is_ascii() {
            return false;
        }
        holds_start |= (at..at + part.len()).contains(&start);
        module.extend_from_slice(part);
        at = skip_blanks(at + part.len());
        if bytes.get(at) != Some(&b'.') {
            break;
        }
        module.push(b'.');
        at += 1;
    }
    holds_start && word_at(bytes, at, b"import") && !paths.holds(&module) && !imports_star(bytes, at + b"import".len())
}

/// Whether `import` ending at `at` is followed by `*`: a star import binds
/// whatever its module binds, deprecated names a hub passes on among them
/// (`analysis::FileAnalysis::record_patched_reexports`), so it is kept
/// whatever its module.
fn imports_star(bytes: &[u8], mut at: usize) -> bool {
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b' ' | b'\t' | 0x0c | b'\\' | b'\r' | b'\n' => at += 1,
            _ => return byte == b'*',
        }
    }
    false
}

/// Where the last `from` that may start a relative import (`from .x`, or
/// with a backslash continuation before the dot) sits: `from` followed by
/// blanks, line breaks and backslashes, then a dot, wherever it is (in a
/// string, a comment: more than the relative imports, never fewer).
fn last_relative_import(bytes: &[u8]) -> Option<usize> {
    // Forwards: the reverse search has no SIMD and costs several forward ones.
    memchr::memmem::find_iter(bytes, b"from")
        .filter(|&at| {
            let rest = &bytes[at + 4..];
            let blanks =
                rest.iter().take_while(|&&byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'\\')).count();
            rest.get(blanks) == Some(&b'.')
        })
        .last()
}

/// Columns of indentation at `at` and where the first other byte is.
/// Leading spaces, the common indentation, are counted first, without the
/// `match` below (a jump table per byte).
fn measure_indent(bytes: &[u8], mut at: usize) -> (usize, usize) {
    let mut column = leading_spaces(bytes.get(at..).unwrap_or_default());
    at += column;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b' ' => column += 1,
            b'\t' => column = (column / 8 + 1) * 8,
            0x0c => column = 0,
            _ => break,
        }
        at += 1;
    }
    (column, at)
}

/// How many spaces `bytes` starts with, counted eight bytes at a time: the
/// byte-by-byte count took 9 % of the lexer's samples (code in functions
/// is indented by eight spaces and more).
fn leading_spaces(bytes: &[u8]) -> usize {
    let mut count = 0;
    while let Some(word) = bytes.get(count..count + 8) {
        let others = u64::from_le_bytes(word.try_into().expect("8 bytes")) ^ u64::from_le_bytes([b' '; 8]);
        if others != 0 {
            return count + others.trailing_zeros() as usize / 8;
        }
        count += 8;
    }
    count + bytes[count..].iter().take_while(|&&byte| byte == b' ').count()
}

/// The offset just after the line break at or after `at` (or the end).
///
/// Lines end at `\n` (so also at `\r\n`); the bytes were read with lone
/// `\r`s as `\n` (`LineStructure::of`), as the parser reads them.
fn next_line_start(bytes: &[u8], at: usize) -> usize {
    match memchr::memchr(b'\n', &bytes[at..]) {
        Some(found) => at + found + 1,
        None => bytes.len(),
    }
}

struct ScannedLine {
    end: usize,
    last_significant: Option<u8>,
    /// A bracket in it is never closed, or a triple-quoted string never
    /// terminated: the text is no valid Python.
    broken: bool,
    /// A string in it that tree-sitter-python may read otherwise than this
    /// lexer, so that its brackets and strings may be others: a
    /// single-quoted string that runs into a line break (Python gives up
    /// there, tree-sitter-python reads on into the next line), or an
    /// f-string whose replacement fields do not close or hold a quote, `#`
    /// or backslash (`f"{"…"}"`: since Python 3.12 a field may hold the same
    /// quote, and this lexer does not follow fields).
    misread_string: bool,
}

/// What a byte means to [`scan_logical_line`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum ByteClass {
    /// Part of a token that is no bracket, quote, comment or backslash.
    Plain,
    /// Space, tab, carriage return, form feed.
    Blank,
    /// A byte the scanner must look at: `#`, quotes, `\\`, `\n`, brackets.
    Special,
}

const fn byte_classes() -> [ByteClass; 256] {
    let mut classes = [ByteClass::Plain; 256];
    let blanks = b" \t\r\x0c";
    let mut index = 0;
    while index < blanks.len() {
        classes[blanks[index] as usize] = ByteClass::Blank;
        index += 1;
    }
    let specials = b"#'\"\\\n([{)]}";
    let mut index = 0;
    while index < specials.len() {
        classes[specials[index] as usize] = ByteClass::Special;
        index += 1;
    }
    classes
}

static BYTE_CLASSES: [ByteClass; 256] = byte_classes();

fn class_of(byte: u8) -> ByteClass {
    BYTE_CLASSES[usize::from(byte)]
}

/// Where the first byte at or after `from` that [`scan_logical_line`] must
/// look at is (`ByteClass::Special`), or the end. Sixteen bytes at a time
/// where SSE2 is at hand (on every x86-64): the byte-by-byte lookup and
/// its branches cost 4 % of the wall time of a check of the real-density
/// corpus (the rest of the lexer's time is per line).
fn next_special(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while at < bytes.len() {
        let (bits, width) = special_bits(bytes, at);
        if bits != 0 {
            return at + bits.trailing_zeros() as usize;
        }
        at += width;
    }
    at
}

/// The special bytes of `bytes[from..]`'s first [`BLOCK`] (or fewer, at the
/// end) as bits (bit `i` for `bytes[from + i]`), and how many bytes they
/// cover.
fn special_bits(bytes: &[u8], from: usize) -> (u32, usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(block) = bytes.get(from..from + BLOCK) {
        return (special_mask(block.try_into().expect("16 bytes")), BLOCK);
    }
    let block = &bytes[from..bytes.len().min(from + BLOCK)];
    let bits = block
        .iter()
        .enumerate()
        .filter(|(_, &byte)| class_of(byte) == ByteClass::Special)
        .fold(0u32, |bits, (index, _)| bits | 1 << index);
    (bits, block.len())
}

/// How many bytes [`special_bits`] reads at a time: a logical line is some
/// 45 bytes long, and 64 at a time read more past its end than they saved.
const BLOCK: usize = 16;

/// Bit `i` set when `block[i]` is special: `\n`, `'`, `\\`, and the pairs
/// one bit apart, `"#`, `()`, `[{`, `]}`, each found with one comparison
/// after masking that bit.
#[cfg(target_arch = "x86_64")]
fn special_mask(block: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86-64 baseline, so these intrinsics are
    // available on every x86-64 processor; the load reads exactly the 16
    // bytes `block` borrows (unaligned loads are allowed).
    unsafe {
        let bytes = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let splat = |byte: u8| _mm_set1_epi8(i8::from_ne_bytes([byte]));
        let is = |value: __m128i, byte: u8| _mm_cmpeq_epi8(value, splat(byte));
        let without_bit_0 = _mm_and_si128(bytes, splat(0xfe));
        let without_bit_5 = _mm_and_si128(bytes, splat(0xdf));
        let singles = _mm_or_si128(_mm_or_si128(is(bytes, b'\n'), is(bytes, b'\'')), is(bytes, b'\\'));
        let pairs_0 = _mm_or_si128(is(without_bit_0, b'"'), is(without_bit_0, b'('));
        let pairs_5 = _mm_or_si128(is(without_bit_5, b'['), is(without_bit_5, b']'));
        let special = _mm_or_si128(singles, _mm_or_si128(pairs_0, pairs_5));
        _mm_movemask_epi8(special) as u32
    }
}

/// Reads one logical line from its first token to just after the line break
/// that ends it: brackets, strings and backslash continuations carry it over
/// line breaks. An unterminated string ends where Python would give up. An
/// unclosed bracket ends the line before the first physical line that
/// starts a statement at the line's indentation or less
/// ([`starts_statement_within`]), as ruff's and CPython's error recovery
/// read it: the broken line stays one line instead of swallowing the rest
/// of the file. Valid Python never has such a line inside brackets, so its
/// logical lines are the tokenizer's. A skeleton holding a broken line fails
/// to parse, and the caller decides what to parse instead.
///
/// `indent` is the line's indentation in columns ([`measure_indent`]). The
/// special bytes of 16 at a time are found as bits ([`special_bits`]), and
/// only they are looked at, each once: finding each with [`next_special`]
/// read its block again after every bracket (a special byte comes every 8
/// bytes or so in real-looking code). Lexing the 1,009 files with a trigger
/// of the vocabulary corpus (29 MB) took 72–74 ms instead of 75–77.
fn scan_logical_line(bytes: &[u8], mut at: usize, indent: usize) -> ScannedLine {
    let mut depth = 0usize;
    let mut last_significant = None;
    let (mut unterminated, mut misread_string) = (false, false);
    // The last plain byte of the run before a special that is itself no
    // significant byte (a comment, a line break, the end): a quote or a
    // bracket is significant, and the run before it does not matter.
    let last_plain = |run: &[u8], last_significant: &mut Option<u8>| {
        if let Some(&last) = run.iter().rev().find(|&&byte| class_of(byte) == ByteClass::Plain) {
            *last_significant = Some(last);
        }
    };
    // Where the run of plain and blank bytes before the next special starts.
    let mut run_start = at;
    while at < bytes.len() {
        let (mut bits, width) = special_bits(bytes, at);
        let block = at;
        at += width;
        while bits != 0 {
            let special = block + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let byte = bytes[special];
            // Where reading goes on after a string, a comment or a
            // continuation, which may be past this block.
            let resume = match byte {
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    last_significant = Some(byte);
                    run_start = special + 1;
                    continue;
                }
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    last_significant = Some(byte);
                    run_start = special + 1;
                    continue;
                }
                b'\n' => {
                    last_plain(&bytes[run_start..special], &mut last_significant);
                    run_start = special + 1;
                    if depth == 0 || starts_statement_within(bytes, special + 1, indent) {
                        let broken = unterminated || depth > 0;
                        return ScannedLine { end: special + 1, last_significant, broken, misread_string };
                    }
                    continue;
                }
                b'#' => {
                    last_plain(&bytes[run_start..special], &mut last_significant);
                    special + memchr::memchr(b'\n', &bytes[special..]).unwrap_or(bytes.len() - special)
                }
                b'\'' | b'"' => {
                    let (end, terminated) = skip_string(bytes, special);
                    if !terminated {
                        match bytes.get(end) {
                            Some(_) => misread_string = true,
                            None => unterminated = true,
                        }
                    }
                    misread_string |= is_f_string(bytes, special) && fields_may_be_misread(&bytes[special + 1..end]);
                    last_significant = Some(byte);
                    end
                }
                b'\\' if bytes.get(special + 1) == Some(&b'\n') => {
                    last_plain(&bytes[run_start..special], &mut last_significant);
                    special + 2
                }
                b'\\' if bytes.get(special + 1) == Some(&b'\r') && bytes.get(special + 2) == Some(&b'\n') => {
                    last_plain(&bytes[run_start..special], &mut last_significant);
                    special + 3
                }
                // A backslash that continues nothing.
                _ => {
                    last_significant = Some(byte);
                    special + 1
                }
            };
            run_start = resume;
            if resume >= at {
                // Past this block: the next one starts there.
                at = resume;
                break;
            }
            bits &= u32::MAX << (resume - block);
        }
    }
    last_plain(&bytes[run_start.min(bytes.len())..], &mut last_significant);
    let broken = unterminated || depth > 0;
    ScannedLine { end: bytes.len(), last_significant, broken, misread_string }
}

/// Whether the physical line at `at` is indented by at most `indent` columns
/// and starts a statement no expression can continue with
/// ([`starts_statement`]): inside brackets, the sign of a bracket left open.
fn starts_statement_within(bytes: &[u8], at: usize, indent: usize) -> bool {
    let (column, first) = measure_indent(bytes, at);
    column <= indent && starts_statement(&bytes[first..])
}

/// Whether `line` starts with a keyword that begins a statement and can
/// never appear inside an expression: `def`, `class`, `return`, `import`,
/// `try`, `while`, `with`, `elif`, `except`, `finally`, the simple
/// statements' keywords, `async def`/`async with`, and `else` followed by
/// `:`. Not `if`, `for`, `else` before an expression, `async for` (all in
/// comprehensions and conditional expressions), `from` (`yield from`), `@`
/// (matrix product), nor soft keywords (`match`, `case`, `type`: names).
fn starts_statement(line: &[u8]) -> bool {
    let word = leading_keyword(line);
    let after_word = || {
        let rest = &line[word.len()..];
        &rest[rest.iter().take_while(|&&byte| matches!(byte, b' ' | b'\t' | 0x0c)).count()..]
    };
    match word {
        b"def" | b"class" | b"return" | b"import" | b"try" | b"while" | b"with" | b"elif" | b"except" | b"finally"
        | b"pass" | b"break" | b"continue" | b"raise" | b"global" | b"nonlocal" | b"del" | b"assert" => true,
        b"else" => after_word().first() == Some(&b':'),
        b"async" => matches!(leading_keyword(after_word()), b"def" | b"with"),
        _ => false,
    }
}

/// Given a quote at `at`, the offset just after the string it opens, and
/// whether its closing quote was found (else it ends at the line break, or
/// the end of the text for a triple-quoted one). Prefixes (`r`, `b`, `f`, …)
/// were already read as identifier bytes; a backslash always skips the next
/// byte, which is right for raw strings too as far as finding the end goes.
/// The bytes between the quote, backslashes and line breaks are skipped
/// with `memchr`.
fn skip_string(bytes: &[u8], at: usize) -> (usize, bool) {
    let quote = bytes[at];
    let triple = bytes.get(at + 1) == Some(&quote) && bytes.get(at + 2) == Some(&quote);
    let mut current = if triple { at + 3 } else { at + 1 };
    loop {
        let rest = bytes.get(current..).unwrap_or_default();
        let next =
            if triple { memchr::memchr2(quote, b'\\', rest) } else { memchr::memchr3(quote, b'\\', b'\n', rest) };
        let Some(offset) = next else { return (bytes.len(), false) };
        current += offset;
        match bytes[current] {
            b'\\' if bytes.get(current + 1) == Some(&b'\r') && bytes.get(current + 2) == Some(&b'\n') => current += 3,
            b'\\' => current += 2,
            b'\n' => return (current, false),
            _ => {
                if !triple {
                    return (current + 1, true);
                }
                if bytes.get(current + 1) == Some(&quote) && bytes.get(current + 2) == Some(&quote) {
                    return (current + 3, true);
                }
                current += 1;
            }
        }
    }
}

/// Whether the quote at `at` opens an f-string: its prefix (the identifier
/// bytes just before it) holds an `f`.
fn is_f_string(bytes: &[u8], at: usize) -> bool {
    bytes[..at].iter().rev().take_while(|&&byte| is_name_byte(byte)).any(|&byte| matches!(byte, b'f' | b'F'))
}

/// Whether the replacement fields of an f-string whose bytes after the
/// opening quote are `body` (as [`skip_string`] delimits it) may read
/// otherwise to a parser that follows fields: a field that does not close,
/// a lone `}`, or a field holding a quote, `#` or backslash. `{{` and `}}`
/// outside fields are literal braces.
fn fields_may_be_misread(body: &[u8]) -> bool {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&byte) = body.get(at) {
        match byte {
            b'{' | b'}' if depth == 0 && body.get(at + 1) == Some(&byte) => at += 1,
            b'{' => depth += 1,
            b'}' if depth == 0 => return true,
            b'}' => depth -= 1,
            b'\'' | b'"' | b'#' | b'\\' if depth > 0 => return true,
            _ => {}
        }
        at += 1;
    }
    depth > 0
}

fn head_of(line: &[u8]) -> Head {
    if line.first() == Some(&b'@') {
        return Head::Decorator;
    }
    match statement_keyword(line) {
        b"if" | b"for" | b"while" | b"try" | b"with" => Head::Opener,
        b"elif" | b"else" | b"except" | b"finally" => Head::Clause,
        b"def" | b"class" => Head::Definition,
        b"import" | b"from" => Head::Import,
        _ => Head::Other,
    }
}

/// Whether a logical line that starts with `def` or `class` (after a BOM,
/// indentation and `async`) is a function's header.
fn is_function_header(line: &[u8]) -> bool {
    statement_keyword(line.strip_prefix(BOM).unwrap_or(line).trim_ascii_start()) == b"def"
}

/// The first word of a statement, the one after `async` for `async def`,
/// `async for` and `async with`.
fn statement_keyword(line: &[u8]) -> &[u8] {
    let word = leading_keyword(line);
    if word == b"async" {
        leading_keyword(line[5..].trim_ascii_start())
    } else {
        word
    }
}

/// The first word of `line` when it may be a keyword, else nothing: no
/// keyword is longer than [`LONGEST_KEYWORD`] bytes, and most lines start
/// with a longer name, which the lexer need not read to its end (it asks
/// this of every line).
fn leading_keyword(line: &[u8]) -> &[u8] {
    let word = first_word(&line[..line.len().min(LONGEST_KEYWORD + 1)]);
    if word.len() > LONGEST_KEYWORD {
        &[]
    } else {
        word
    }
}

/// `continue` and `nonlocal`.
const LONGEST_KEYWORD: usize = 8;

/// `bytes` from its first byte that is no blank and no backslash
/// continuing the line.
fn skip_blanks_and_continuations(mut bytes: &[u8]) -> &[u8] {
    loop {
        bytes = bytes.trim_ascii_start();
        match bytes {
            [b'\\', b'\r', b'\n', rest @ ..] | [b'\\', b'\n' | b'\r', rest @ ..] => bytes = rest,
            _ => return bytes,
        }
    }
}

fn first_word(line: &[u8]) -> &[u8] {
    let end = line.iter().position(|&byte| !is_name_byte(byte)).unwrap_or(line.len());
    &line[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skeleton(text: &str, needles: &[&str]) -> String {
        let mut structure = LineStructure::of(text);
        let needles: Vec<String> = needles.iter().map(|needle| needle.to_string()).collect();
        let wanted = structure.lines_holding(text, &needles, &[]);
        structure.blank(text, &structure.closure(&wanted))
    }

    fn kept_lines(skeleton: &str) -> Vec<&str> {
        skeleton.lines().map(str::trim_end).filter(|line| !line.is_empty()).collect()
    }

    #[test]
    fn keeps_enclosing_headers_and_first_statements() {
        let text = "import os\n\nx = 1\n\nclass A:\n    \"\"\"Doc.\"\"\"\n    y = 2\n\n    def f(self):\n        z = 3\n        return TARGET\n";
        let result = skeleton(text, &["TARGET"]);
        assert_eq!(result.len(), text.len());
        assert_eq!(
            kept_lines(&result),
            [
                "import os",
                "class A:",
                "    \"\"\"Doc.\"\"\"",
                "    def f(self):",
                "        z = 3",
                "        return TARGET"
            ]
        );
    }

    #[test]
    fn keeps_every_clause_of_a_kept_try() {
        let text = "try:\n    from a import TARGET\nexcept ImportError:\n    TARGET = None\nelse:\n    pass\nfinally:\n    cleanup()\nafter = 1\n";
        let result = skeleton(text, &["TARGET"]);
        assert_eq!(
            kept_lines(&result),
            [
                "try:",
                "    from a import TARGET",
                "except ImportError:",
                "    TARGET = None",
                "else:",
                "    pass",
                "finally:",
                "    cleanup()"
            ]
        );
    }

    #[test]
    fn a_kept_decorator_keeps_its_definition_and_a_body() {
        let text = "@patch('x.TARGET')\n@other\ndef test_it(mock):\n    assert mock\n    more()\n";
        assert_eq!(
            kept_lines(&skeleton(text, &["TARGET"])),
            ["@patch('x.TARGET')", "@other", "def test_it(mock):", "    assert mock"]
        );
    }

    #[test]
    fn strings_brackets_and_continuations_hold_logical_lines_together() {
        let text = "a = f(\n    1,  # )\n    '''TARGET\n)'''\n)\nb = 1 + \\\n    2\nc = \"#\" ; TARGET\n";
        assert_eq!(
            kept_lines(&skeleton(text, &["TARGET"])),
            ["a = f(", "    1,  # )", "    '''TARGET", ")'''", ")", "c = \"#\" ; TARGET"]
        );
    }

    #[test]
    fn a_lone_carriage_return_ends_a_line_as_in_cpython() {
        let text = "x = 1\r# c\rfrom a import TARGET\ry = 2\r";
        let structure = LineStructure::of(text);
        assert_eq!(structure.len(), 3, "the comment line is no logical line");
        let kept = skeleton(text, &["TARGET"]);
        assert_eq!(kept.len(), text.len(), "offsets kept");
        assert!(kept.contains("\rfrom a import TARGET\r"), "{kept:?}");
        assert!(!kept.contains("y = 2"), "{kept:?}");
    }

    #[test]
    fn a_backslash_continues_a_string_over_a_crlf() {
        let text = "a = 'one \\\r\nTARGET'\r\nb = 2\r\nc = 3\r\n";
        assert_eq!(kept_lines(&skeleton(text, &["TARGET"])), ["a = 'one \\", "TARGET'"]);
    }

    #[test]
    fn statements_between_two_kept_imports_are_represented() {
        let text = "from a import TARGET\nvalue = compute()\nother = 2\nfrom b import c\n";
        assert_eq!(
            kept_lines(&skeleton(text, &["TARGET"])),
            ["from a import TARGET", "value = compute()", "from b import c"]
        );
    }

    #[test]
    fn crlf_bom_and_tabs_keep_offsets_and_structure() {
        let text = "\u{feff}import os\r\nx = 1\r\nif y:\r\n\tTARGET()\r\n";
        let result = skeleton(text, &["TARGET"]);
        assert_eq!(result.len(), text.len());
        assert_eq!(result.matches("\r\n").count(), 4);
        assert!(result.starts_with("\u{feff}import os\r\n     \r\nif y:\r\n\tTARGET()"));
    }

    #[test]
    fn an_automaton_finds_the_lines_separate_searches_find() {
        let text = "import os\nx = TARGET_1\ny = TARGET_10\nz = other\ns = 'TARGET_2 in a string'\nw = not_TARGET_3\n";
        let mut structure = LineStructure::of(text);
        let few: Vec<String> = ["TARGET_1", "TARGET_3"].map(String::from).to_vec();
        let mut many = few.clone();
        many.extend((100..200).map(|index| format!("UNUSED_{index}")));
        for (needles, words) in [(&few, &few), (&many, &many)] {
            assert_eq!(structure.lines_holding(text, needles, &[]), [0, 1, 2, 5]);
            assert_eq!(structure.lines_holding(text, &[], words), [0, 1], "whole identifiers only");
        }
        assert!(matches!(Search::new(&many), Search::Automaton(_)));
        assert!(matches!(Search::new(&few), Search::Separately(_)));
        assert!(matches!(Search::compiled(&few), Search::Anchored { .. }));
        assert!(matches!(Search::compiled(&many), Search::Automaton(_)));
    }

    #[test]
    fn terms_that_share_a_substring_are_searched_through_it() {
        let terms: Vec<String> = [
            "WebSocketManager",
            "ConnectionManager",
            "ManagerMetrics",
            "user_execution_context",
            "create_test_user_context",
            "x",
        ]
        .map(String::from)
        .to_vec();
        let anchors: Vec<String> = shared_anchors(&terms).into_iter().map(|(anchor, _)| anchor).collect();
        assert_eq!(anchors, ["Manager", "_context", "x"]);
    }

    proptest::proptest! {
        /// Terms found through shared anchors give the lines one search per
        /// term gives, for needles, identifiers and import roots, with terms
        /// that hold, overlap and extend each other.
        #[test]
        fn anchored_terms_find_the_lines_of_one_search_per_term(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "abcdef", "abcdefgh", "cdefgh", "xcdefgh_y", "efgh", "aaaaaa", "aaaaaaa", "_", " ", "\n", "x",
                    "(", "'", "#", "é", ".", "import ", "from ", "pkg_root", "pkg_root_x", ": ", "pkg_root.area",
                    ".old", ".other", "\\\n",
                ]),
                0..40,
            ),
        ) {
            let text: String = pieces.concat();
            let mut structure = LineStructure::of(&text);
            let terms: Vec<String> =
                ["abcdefgh", "cdefgh", "xcdefgh_y", "efgh", "aaaaaaa", "aaaaaaaa", "pkg_root"].map(String::from).to_vec();
            let roots: Vec<String> = ["import", "pkg_root", "pkg_root_x"].map(String::from).to_vec();
            let paths = ModulePaths::new(&["pkg_root.area.old".to_string(), "pkg_root_x.new".to_string()], &["pkg_root.area.old".to_string()]);
            let sets = [(terms.clone(), Vec::new()), (Vec::new(), terms.clone()), (terms[..3].to_vec(), terms[3..].to_vec())];
            for (needles, words) in &sets {
                let separately = Terms {
                    needles: Search::new(needles),
                    words: Search::new(words),
                    imports: ImportLines::Relevant(Search::new(&roots)),
                    together: None,
                    paths: Some(paths.clone()),
                };
                let anchored = Terms {
                    needles: Search::compiled(needles),
                    words: Search::compiled(words),
                    imports: ImportLines::Relevant(Search::compiled(&roots)),
                    together: None,
                    paths: Some(paths.clone()),
                };
                // All three kinds in one search, as a rule set compiles them
                // (`import` is added to the roots).
                let together = Terms::with_import_roots(needles, words, &roots[1..], paths.clone());
                proptest::prop_assert!(together.together.is_some());
                let expected = structure.lines_holding_terms(&text, &separately);
                proptest::prop_assert_eq!(
                    structure.lines_holding_terms(&text, &anchored),
                    expected.clone(),
                    "{:?} {:?} {:?}", text, needles, words
                );
                proptest::prop_assert_eq!(
                    structure.lines_holding_terms(&text, &together),
                    expected,
                    "{:?} {:?} {:?}", text, needles, words
                );
            }
        }
    }

    /// Byte ranges a skeleton keeps.
    type Ranges = Vec<(usize, usize)>;

    /// The kept byte ranges of a skeleton of `text` holding `terms`, then
    /// with the lines naming `bound` too, from `structure`.
    fn kept_ranges_with(mut structure: LineStructure, text: &str, terms: &Terms, bound: &[String]) -> (Ranges, Ranges) {
        let mut wanted = structure.lines_holding_terms(text, terms);
        let first = structure.kept_ranges(&structure.closure(&wanted));
        wanted.extend(structure.lines_naming(text, bound));
        (first, structure.kept_ranges(&structure.closure(&wanted)))
    }

    #[test]
    fn a_name_in_a_string_or_comment_is_no_code() {
        let text = "x = ('name', name, \"\"\"a\nname\"\"\", f'{name}')  # name\ny = (1,  # name\n  name)\n";
        let mut structure = LineStructure::of(text);
        let at: Vec<usize> = text.match_indices("name").map(|(at, _)| at).collect();
        let line = |offset: usize| structure.lines[structure.line_at(offset).unwrap()].start;
        let code: Vec<bool> = at.iter().map(|&offset| is_code(text.as_bytes(), line(offset), offset)).collect();
        assert_eq!(code, [false, true, false, true, false, false, true]);
        let naming = Naming { in_code: vec!["name".to_string()], ..Naming::default() };
        assert_eq!(structure.lines_named(text, &naming), [0, 1]);
        let comments_only = "z = 1  # name\n'''name'''\n";
        assert!(LineStructure::of(comments_only).lines_named(comments_only, &naming).is_empty());
    }

    #[test]
    fn a_name_read_within_a_block_counts_only_there() {
        let text = "name()\n\nasync def f(name=1):\n    if x:\n        name()\n    return 'name'\n\n\
                    def g():\n    name()\n\nclass C:\n    def h(self):\n        name()\n";
        let header = |word: &str| text.find(word).unwrap();
        let lines_of = |within: Vec<(&str, usize)>| {
            let naming = Naming {
                in_code_within: within.into_iter().map(|(word, at)| (word.to_string(), at)).collect(),
                ..Naming::default()
            };
            let mut structure = LineStructure::lazy(text);
            let lines = structure.lines_named(text, &naming);
            lines
                .iter()
                .map(|&line| text[structure.lines[line].start..].lines().next().unwrap().trim())
                .collect::<Vec<_>>()
        };
        // The header (its parameters) and its block, nested blocks too; not
        // a string, nor the lines before or after.
        assert_eq!(lines_of(vec![("name", header("async def f"))]), ["async def f(name=1):", "name()"]);
        assert_eq!(lines_of(vec![("name", header("class C"))]), ["name()"]);
        assert_eq!(lines_of(vec![("name", header("def g")), ("name", header("def h"))]), ["name()", "name()"]);
        assert!(lines_of(vec![("other", header("def g"))]).is_empty());
        // Named anywhere in code as well: every line.
        let naming = Naming {
            in_code: vec!["name".to_string()],
            in_code_within: vec![("name".to_string(), header("def g"))],
            ..Naming::default()
        };
        assert_eq!(LineStructure::of(text).lines_named(text, &naming).len(), 5);
    }

    #[test]
    fn a_term_in_the_module_of_an_import_off_the_paths_wants_no_line() {
        let paths = ModulePaths::new(
            &["a.pkg.new".to_string(), "a.pkg.old".to_string(), "a.services.context".to_string()],
            &["a.pkg.old".to_string()],
        );
        // Where `pkg` (a term) stands, and whether that import is off the paths.
        let cases: &[(&str, bool)] = &[
            ("from a.pkg.types import Message\n", true),
            ("from a.pkg.types import (\n    Message,\n)\n", true),
            ("    from a . pkg . types import Message\n", true),
            ("from a.pkg.types \\\n    import Message\n", true),
            ("\u{feff}from a.pkg.types import Message\n", true),
            ("x = 1\r\nfrom a.pkg.types import Message\r\n", true),
            // On a path: a prefix of one, one, under a deprecated one.
            ("from a.pkg import old\n", false),
            ("from a.pkg.new import Manager\n", false),
            ("from a.pkg.old.sub import thing\n", false),
            // Not read as such an import: the term is no part of the module,
            // or the line does not start with `from`, or breaks before `import`.
            ("from a.other import pkg\n", false),
            ("import a.pkg.types\n", false),
            ("x = 1; from a.pkg.types import Message\n", false),
            ("from a.pkg.types\nimport Message\n", false),
            ("from a.pkg.typés import Message\n", false),
            ("'from a.pkg.types import Message'\n", false),
            ("from .pkg.types import Message\n", false),
            // A star import binds what its module binds, a hub's deprecated
            // names among them: kept whatever the module.
            ("from a.pkg.types import *\n", false),
            ("from a.pkg.types import \\\n    *\n", false),
        ];
        for &(text, off) in cases {
            let start = text.find("pkg").unwrap();
            assert_eq!(in_a_module_off_the_paths(text.as_bytes(), start, &paths), off, "{text:?}");
        }
        // A term after the module still wants its line.
        let text = "from a.pkg.types import Message, create_old\n";
        let start = text.find("create_old").unwrap();
        assert!(!in_a_module_off_the_paths(text.as_bytes(), start, &paths));
        let terms = Terms::with_import_roots(&["pkg".to_string()], &[], &["a".to_string()], paths);
        let text =
            "import os\nfrom a.pkg.types import Message\nfrom a.pkg import old\nfrom a.core import pkg\nx = pkg.new\n";
        assert_eq!(LineStructure::of(text).lines_holding_terms(text, &terms), [2, 3, 4]);
    }

    #[test]
    fn a_lazy_structure_lexes_only_up_to_a_line_that_closes_every_block() {
        let text = "import os\nif TARGET:\n    x = 1\nelse:\n    y = 2\n@d\ndef f():\n    pass\nz = 3\nw = (\n  4)\n";
        let terms = Terms::with_import_roots(&["TARGET".to_string()], &[], &[], ModulePaths::default());
        let mut lazy = LineStructure::lazy(text);
        assert_eq!(lazy.lines_holding_terms(text, &terms), [1]);
        assert_eq!(lazy.len(), 5, "lexed through the else clause, up to the decorator");
        assert_eq!(lazy.lines_naming(text, &["w".to_string()]), [9]);
        assert_eq!(lazy.len(), 10, "lexed on for a later line");
        assert_eq!(LineStructure::of(text).len(), 10);
        assert_eq!(
            kept_ranges_with(LineStructure::lazy(text), text, &terms, &["f".to_string()]),
            kept_ranges_with(LineStructure::of(text), text, &terms, &["f".to_string()])
        );
    }

    proptest::proptest! {
        /// A lazy structure keeps the lines the structure of the whole text
        /// keeps, on the first look and the second.
        #[test]
        fn a_lazy_structure_keeps_what_the_whole_one_keeps(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "if a:\n", "    x = T\n", "    y = 1\n", "else:\n", "elif b:\n", "@d\n", "@T\n", "def f():\n",
                    "class C:\n", "import p\n", "from . import q\n", "from p import T\n", "try:\n", "except E:\n",
                    "finally:\n", "T = 1\n", "    pass\n", "        q()\n", "# c\n", "\n", "'''\n", "(\n", ")\n",
                    "    import p\n", "z = q\n", "from \\\n .r import s\n", "\t", "\r\n", "x = 'from .'\n", "\u{feff}",
                ]),
                0..30,
            ),
        ) {
            let text: String = pieces.concat();
            let needles = vec!["T".to_string()];
            let bound = vec!["q".to_string(), "s".to_string()];
            for terms in [Terms::with_import_roots(&needles, &[], &["p".to_string()], ModulePaths::new(&["p.q".to_string()], &[])), Terms::new(&needles, &[])] {
                proptest::prop_assert_eq!(
                    kept_ranges_with(LineStructure::lazy(&text), &text, &terms, &bound),
                    kept_ranges_with(LineStructure::of(&text), &text, &terms, &bound),
                    "{:?}", text
                );
            }
        }
    }

    /// Everything a fully lexed structure knows, for comparisons.
    #[allow(clippy::type_complexity)]
    fn whole(
        mut structure: LineStructure,
        text: &str,
    ) -> (Vec<LogicalLine>, Vec<Option<usize>>, Vec<Option<usize>>, Vec<Option<usize>>, Vec<Option<usize>>, bool) {
        structure.lex_through(text, usize::MAX);
        let broken = structure.has_broken_line();
        let LineStructure { lines, parent, previous_sibling, next_sibling, first_child, .. } = structure;
        (lines, parent, previous_sibling, next_sibling, first_child, broken)
    }

    const EDIT_PIECES: &[&str] = &[
        "if a:\n",
        "    x = T\n",
        "    y = 1\n",
        "else:\n",
        "elif b:\n",
        "@d\n",
        "@T\n",
        "def f():\n",
        "class C:\n",
        "import p\n",
        "from . import q\n",
        "from p import T\n",
        "try:\n",
        "except E:\n",
        "    pass\n",
        "        q()\n",
        "# c\n",
        "\n",
        "'''\n",
        "'\n",
        "\"\"\"",
        "(\n",
        ")\n",
        "x = (\n",
        "    return [\n",
        "    import p\n",
        "z = q\n",
        "from \\\n .r import s\n",
        "\t",
        "\r\n",
        "\r",
        "x = 'from .'\n",
        "\\\n",
        "from a.b\n",
        "f'{'\n",
        "    ",
        "x",
        ":",
    ];

    proptest::proptest! {
        /// A structure lexed again after an edit, from one lexed as far as
        /// a question needed (or wholly), is the structure of the edited
        /// text: the same lines, links and broken lines, and the same kept
        /// lines.
        #[test]
        fn a_structure_after_an_edit_is_the_edited_texts(
            pieces in proptest::collection::vec(proptest::sample::select(EDIT_PIECES.to_vec()), 0..30),
            inserted in proptest::collection::vec(proptest::sample::select(EDIT_PIECES.to_vec()), 0..3),
            at in 0.0..=1.0f64,
            deleted in 0usize..12,
            lexed_to in proptest::option::of(0.0..=1.0f64),
        ) {
            let before: String = pieces.concat();
            let floor = |text: &str, mut offset: usize| {
                offset = offset.min(text.len());
                while !text.is_char_boundary(offset) {
                    offset -= 1;
                }
                offset
            };
            let start = floor(&before, (at * before.len() as f64) as usize);
            let old_end = floor(&before, start + deleted).max(start);
            let insert: String = inserted.concat();
            let mut after = before.clone();
            after.replace_range(start..old_end, &insert);
            let new_end = start + insert.len();
            let mut old = LineStructure::lazy(&before);
            match lexed_to {
                Some(fraction) => old.lex_through(&before, (fraction * before.len() as f64) as usize),
                None => old.lex_through(&before, usize::MAX),
            }
            // The edit as tree-sitter is told it: a `\r` before it counts as edited.
            let start = if start > 0 && before.as_bytes()[start - 1] == b'\r' { start - 1 } else { start };
            let incremental = LineStructure::lazy_after_edit(&old, start, old_end, new_end, &after);
            let needles = vec!["T".to_string()];
            let bound = vec!["q".to_string(), "s".to_string()];
            let terms = Terms::with_import_roots(&needles, &[], &["p".to_string()], ModulePaths::new(&["p.q".to_string()], &[]));
            proptest::prop_assert_eq!(
                kept_ranges_with(incremental.clone(), &after, &terms, &bound),
                kept_ranges_with(LineStructure::of(&after), &after, &terms, &bound),
                "{:?} -> {:?}", before, after
            );
            proptest::prop_assert_eq!(whole(incremental, &after), whole(LineStructure::of(&after), &after), "{:?} -> {:?}", before, after);
        }
    }

    /// The scanner as it was before runs of plain bytes were skipped in
    /// bulk: one byte at a time. The fast one must agree with it.
    /// `cut_at`: the indentation for the unclosed-bracket cut, or `None`
    /// for the scanner as it was before it (brackets run to the end).
    fn reference_scan(bytes: &[u8], mut at: usize, cut_at: Option<usize>) -> (usize, Option<u8>) {
        let mut depth = 0usize;
        let mut last_significant = None;
        while let Some(&byte) = bytes.get(at) {
            match byte {
                b'#' => at += memchr::memchr(b'\n', &bytes[at..]).unwrap_or(bytes.len() - at),
                b'\'' | b'"' => {
                    at = reference_skip_string(bytes, at);
                    last_significant = Some(byte);
                }
                b'\\' if bytes.get(at + 1) == Some(&b'\n') => at += 2,
                b'\\' if bytes.get(at + 1) == Some(&b'\r') && bytes.get(at + 2) == Some(&b'\n') => at += 3,
                b'\n' => {
                    at += 1;
                    if depth == 0 || cut_at.is_some_and(|indent| starts_statement_within(bytes, at, indent)) {
                        return (at, last_significant);
                    }
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    last_significant = Some(byte);
                    at += 1;
                }
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    last_significant = Some(byte);
                    at += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0c => at += 1,
                _ => {
                    last_significant = Some(byte);
                    at += 1;
                }
            }
        }
        (bytes.len(), last_significant)
    }

    fn reference_skip_string(bytes: &[u8], at: usize) -> usize {
        let quote = bytes[at];
        let triple = bytes.get(at + 1) == Some(&quote) && bytes.get(at + 2) == Some(&quote);
        let mut current = if triple { at + 3 } else { at + 1 };
        while let Some(&byte) = bytes.get(current) {
            match byte {
                b'\\' if bytes.get(current + 1) == Some(&b'\r') && bytes.get(current + 2) == Some(&b'\n') => {
                    current += 3
                }
                b'\\' => current += 2,
                b'\n' if !triple => return current,
                _ if byte == quote => {
                    if !triple {
                        return current + 1;
                    }
                    if bytes.get(current + 1) == Some(&quote) && bytes.get(current + 2) == Some(&quote) {
                        return current + 3;
                    }
                    current += 1;
                }
                _ => current += 1,
            }
        }
        bytes.len()
    }

    /// `measure_indent` byte by byte, as Python counts columns.
    fn reference_indent(bytes: &[u8], mut at: usize) -> (usize, usize) {
        let mut column = 0;
        while let Some(&byte) = bytes.get(at) {
            match byte {
                b' ' => column += 1,
                b'\t' => column = (column / 8 + 1) * 8,
                0x0c => column = 0,
                _ => break,
            }
            at += 1;
        }
        (column, at)
    }

    #[test]
    fn the_next_special_byte_is_the_one_the_table_names() {
        for byte in 0..=255u8 {
            for lane in 0..40 {
                let mut bytes = vec![b'x'; 40];
                bytes[lane] = byte;
                let by_table = if class_of(byte) == ByteClass::Special { lane } else { bytes.len() };
                assert_eq!(next_special(&bytes, 0), by_table, "byte {byte:#04x} at {lane}");
                assert_eq!(next_special(&bytes, lane), by_table, "byte {byte:#04x} from {lane}");
            }
        }
        assert_eq!(next_special(b"", 0), 0);
        assert_eq!(next_special(b"abc", 3), 3);
    }

    proptest::proptest! {
        #[test]
        fn indentation_counted_spaces_first_is_counted_byte_by_byte(
            pieces in proptest::collection::vec(proptest::sample::select(vec![" ", "        ", "\t", "\x0c", "x", "\n"]), 0..24),
            start in 0usize..12,
        ) {
            let text: String = pieces.concat();
            let start = start.min(text.len());
            proptest::prop_assert_eq!(measure_indent(text.as_bytes(), start), reference_indent(text.as_bytes(), start), "{:?}", text);
        }

        #[test]
        fn the_bulk_scanner_agrees_with_the_byte_by_byte_one(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "x", "ab_1", " ", "\t", "\r", "\x0c", "\n", "\r\n", "#", "# c\n", "'", "\"", "'''", "\"\"\"",
                    "\\", "\\\n", "\\\r\n", "(", ")", "[", "]", "{", "}", ":", "=", ".", ",", "é",
                    "def ", "else", "return", "if ", "  ", "async ", "with",
                    // Runs that carry specials across 64-byte blocks.
                    "some_plain_name_of_thirty_one_b", "                 ",
                ]),
                0..80,
            ),
            start in 0usize..8,
            indent in 0usize..6,
        ) {
            let text: String = pieces.concat();
            let bytes = text.as_bytes();
            let start = start.min(bytes.len());
            let fast = scan_logical_line(bytes, start, indent);
            proptest::prop_assert_eq!((fast.end, fast.last_significant), reference_scan(bytes, start, Some(indent)), "{:?}", text);
            for (at, _) in text.match_indices(['\'', '"']) {
                proptest::prop_assert_eq!(skip_string(bytes, at).0, reference_skip_string(bytes, at), "{:?} at {}", text, at);
            }
        }
    }

    /// The (start, end) of each logical line of `text`, read by the
    /// scanner given.
    fn line_spans(text: &str, scan_line: impl Fn(&[u8], usize, usize) -> ScannedLine) -> Vec<(usize, usize)> {
        let bytes = crate::syntax::lone_cr_as_lf(text.as_bytes());
        logical_lines_scanned_by(&bytes, scan_line).iter().map(|line| (line.start, line.end)).collect()
    }

    /// The logical lines as the scanner read them before an unclosed
    /// bracket ended at a statement: every bracket ran on to its closing one.
    fn spans_without_the_cut(text: &str) -> Vec<(usize, usize)> {
        line_spans(text, |bytes, at, _| {
            let (end, last_significant) = reference_scan(bytes, at, None);
            ScannedLine { end, last_significant, broken: false, misread_string: false }
        })
    }

    fn line_texts(text: &str) -> Vec<&str> {
        line_spans(text, scan_logical_line).into_iter().map(|(start, end)| &text[start..end]).collect()
    }

    #[test]
    fn an_unclosed_bracket_ends_before_a_statement_at_its_indentation_or_less() {
        assert_eq!(line_texts("x = f(a,\n\ndef g():\n    pass\n"), ["x = f(a,\n\n", "def g():\n", "    pass\n"]);
        assert_eq!(
            line_texts("def f():\n    x = g(\n    return x\n"),
            ["def f():\n", "    x = g(\n", "    return x\n"]
        );
        assert_eq!(
            line_texts("if a:\n    x = [g(\nelse :\n    y\n"),
            ["if a:\n", "    x = [g(\n", "else :\n", "    y\n"]
        );
        assert_eq!(line_texts("x = {\n# c\nasync  def g(): pass\n"), ["x = {\n# c\n", "async  def g(): pass\n"]);
        assert_eq!(line_texts("x = (\r\n\tclass A: pass\r\n").len(), 1, "a tab is 8 columns: deeper");
        assert_eq!(line_texts("    x = (\r\n  import os\r\n").len(), 2);
        for keyword in [
            "return", "import", "try", "while", "with", "elif", "except", "finally", "pass", "break", "continue",
            "raise", "global", "nonlocal", "del", "assert",
        ] {
            let text = format!("x = f(\n{keyword} y\n");
            assert_eq!(line_texts(&text).len(), 2, "{text:?}");
        }
    }

    #[test]
    fn an_unclosed_bracket_runs_on_over_what_can_continue_an_expression() {
        for continued in [
            "x = f(\n    def g(): pass\n",
            "x = (a\nif b\n",
            "x = (a if b\nelse c\n",
            "x = (a if b\nelse# c\n:\n",
            "x = (yield\nfrom y\n",
            "x = (a\n@b\n",
            "x = [a\nasync for a in b\n",
            "x = [a\nfor a in b\n",
            "x = (\nmatch, case, type, defined, returns, classes\n",
            "x = (\nlambda: 0, await y, not z, None\n",
            "x = (\n'''\ndef g(): pass\n'''\n",
        ] {
            assert_eq!(line_texts(continued).len(), 1, "{continued:?}");
        }
    }

    #[test]
    fn a_skeleton_keeps_a_statement_after_an_unclosed_bracket_apart_from_it() {
        let text = "import os\nx = f(os,\n\ndef g():\n    return TARGET\n\nclass A:\n    pass\n";
        assert_eq!(kept_lines(&skeleton(text, &["TARGET"])), ["import os", "def g():", "    return TARGET"]);
    }

    /// Every Python file of the test fixtures and `demo/`: valid Python,
    /// split into the same logical lines as before the cut.
    #[test]
    fn valid_files_split_into_the_same_logical_lines_as_without_the_cut() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut folders = vec![root.join("tests/fixtures"), root.join("../demo")];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap().map(Result::unwrap) {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|extension| extension == "py") {
                    files.push(path);
                }
            }
        }
        assert!(files.len() > 100, "{} files", files.len());
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(line_spans(&text, scan_logical_line), spans_without_the_cut(&text), "{}", path.display());
        }
    }

    /// Bracketed continuations valid Python allows at any indentation,
    /// among them every keyword that starts a continuation line of an
    /// expression (`if`, `else`, `for`, `async for`, `from` after `yield`,
    /// `@`, `lambda`, soft keywords). `{I}` is the statement's indentation,
    /// `{C}` a continuation line's (any); each goes in the body of a `def`
    /// (`async def` when marked). Every combination the test makes compiles
    /// with CPython 3.11 (checked when they were written; tree-sitter-python
    /// is no judge: it reads `else` at a dedent inside brackets as a clause).
    const VALID_STATEMENTS: &[(&str, bool)] = &[
        ("{I}x = (a\n{C}if b else c)\n", false),
        ("{I}x = (a if b\n{C}else c)\n", false),
        ("{I}x = {a\n{C}if b else c:\n{C}d}\n", false),
        ("{I}x = [a\n{C}for a in b\n{C}if a\n{C}for c in a]\n", false),
        ("{I}x = [a\n{C}async for a in b]\n", true),
        ("{I}x = (yield\n{C}from y)\n", false),
        ("{I}x = (a\n{C}@ b)\n", false),
        ("{I}x = (lambda:\n{C}0)\n", false),
        ("{I}x = f(a,  # def g(): (\n{C}# return\n{C}b)\n", false),
        ("{I}x = f(\"\"\"\ndef g():\n    return\n\"\"\",\n{C}await g())\n", true),
        ("{I}x = (a\n{C}or b\n{C}and not c\n{C}in d\n{C}is e)\n", false),
        ("{I}x = f(\n{C}match,\n{C}case,\n{C}type,\n{C}None)\n", false),
        ("{I}x = [\n{C}defaults, returned, classes, imported, trying, elsewhere\n{C}]\n", false),
        ("{I}x = g(a)[\n{C}1:\n{C}2\n{C}]\n", false),
        ("{I}async with a(\n{C}b) as c:\n{I}    pass\n", true),
        ("{I}if (a\n{C}and b):\n{I}    pass\n{I}else:\n{I}    pass\n", false),
        ("{I}raise E(\n{C}'x'\n{C}) from e\n", false),
        ("{I}x = (\n{C}a  \\\n{C}+ b)\n", false),
    ];

    /// The module of `statements`: each in a function `depth` levels deep.
    fn valid_module(statements: &[((&str, bool), usize, &str)]) -> String {
        let mut text = String::new();
        for &((statement, is_async), depth, continuation) in statements {
            let mut indent = String::new();
            for level in 0..=depth {
                let kind = if is_async { "async def" } else { "def" };
                text.push_str(&format!("{indent}{kind} f{level}():\n"));
                indent.push_str("    ");
            }
            text.push_str(&statement.replace("{I}", &indent).replace("{C}", continuation));
        }
        text
    }

    proptest::proptest! {
        #[test]
        fn valid_bracketed_continuations_are_never_cut(
            statements in proptest::collection::vec(
                (
                    proptest::sample::select(VALID_STATEMENTS),
                    0usize..3,
                    proptest::sample::select(vec!["", " ", "  ", "    ", "\t", "        "]),
                ),
                1..8,
            ),
            crlf in proptest::bool::ANY,
        ) {
            let mut text = valid_module(&statements);
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            proptest::prop_assert_eq!(line_spans(&text, scan_logical_line), spans_without_the_cut(&text), "{}", text);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        /// What the lexer calls broken tree-sitter-python cannot parse
        /// either: the analysis of an open document trusts it to skip the
        /// whole-file parse (`analysis::scan_lazily`).
        #[test]
        fn a_text_with_a_broken_line_has_syntax_errors(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "x", "f", "rb", " ", "    ", "\t", "\r", "\n", "\r\n", "# c (\n", "'", "\"", "'''", "\"\"\"",
                    "\\", "\\\n", "(", ")", "[", "]", "{", "}", ":", "=", ",", ".", "@", "é",
                    "def f():\n", "    return ", "class A:\n    ", "else:", "if ", " else ", "for x in ", "from ",
                    "import ", "yield ", "async ", "lambda: ", "f\"{x}\"", "f'{\"(\"}'", "f\"{\"", "\"}\"",
                    "f\"\"\"{\n(\n)}\"\"\"", "r'\\''", "b\"\\\"(\"", "f'{", "}'", "F'''{", "}'''", "rf\"{{\"", "{", "}",
                    "f\"{x:{y}}\"", "f\"{x!r:>{w}}\"", "f'{(1,\n2)}'", "f\"{'\\n'}\"", "= ", " + ", "-", "~", "<", ">",
                    "|", "%", "/", "*", "from a", "from . import b", " import *", "from a import (b,\n c)", "\nfrom ",
                    "x: int =", "-> None", "print(f\"{x=}\")", "1.", "x.", "not ", " in ", " and ", "from a.b",
                    "from .", "from", " import ", "\nimport c\n", "yield", "\ndef g(): pass\n", "\nreturn\n", "\n    ",
                    "\nelse:", ";", "\\\n",
                ]),
                0..30,
            ),
        ) {
            let text: String = pieces.concat();
            if LineStructure::of(&text).has_broken_line() {
                proptest::prop_assert!(crate::syntax::parse_text(&text).root_node().has_error(), "{:?}", text);
            }
        }
    }

    #[test]
    fn unclosed_brackets_and_unterminated_strings_are_broken_lines() {
        for broken in [
            "x = f(\n",
            "x = f(\ndef g(): pass\n",
            "x = [1,\n  2\nreturn\n",
            "x = \"\"\"abc\n",
            "x = (')'\n",
            "x = (f'{a}'\n",
            "def f():\n    from a.b\n\ndef g(): pass\n",
            "def f():\n    y = yield\n    from a.b\n    return\n",
        ] {
            assert!(LineStructure::of(broken).has_broken_line(), "{broken:?}");
            assert!(crate::syntax::parse_text(broken).root_node().has_error(), "{broken:?}");
        }
        // Not broken, or not for sure: tree-sitter-python reads on over a
        // line break inside a single-quoted string (`('a\n')` is a string in
        // brackets to it) and follows f-string fields, which may hold quotes;
        // it also reads on after an operator (`x = 1 +\n2`) and from an
        // unfinished `from` into what may finish it.
        for not_for_sure in [
            "x = f(\n)\n",
            "x = 'a\\\nb'\n",
            "x = '''\n(\n'''\n",
            "# (\nx = ')'\n",
            "x = 1)\n",
            "x = [)\n",
            "x = ('a\n')\n",
            "x = 'a\ny = (\n",
            "x = (f'{a['b']}'\n",
            "x = f'''{x\n",
            "x = 1 +\n",
            "from a.b\n",
            "from a.b\nimport c\n",
            "from a.b\n.c import d\n",
            "from a.b # import\ndef g(): pass\n",
        ] {
            assert!(!LineStructure::of(not_for_sure).has_broken_line(), "{not_for_sure:?}");
        }
    }

    #[test]
    fn a_rule_sets_skeleton_keeps_only_the_imports_that_can_matter() {
        let rules = crate::rules::RuleSet::builtin();
        let text = "\u{feff}import os\n\
                    from typing import Any\n\
                    import netra_backend\n\
                    from netra_backend.app import services\n\
                    from . import manager\n\
                    from \\\n    .sibling import x\n\
                    from.other import y\n\
                    from json import loads as create_websocket_manager\n\
                    try: import yaml\n\
                    except ImportError: pass\n\
                    value = os.getcwd()\n";
        let mut structure = LineStructure::of(text);
        let wanted = structure.lines_holding_terms(text, rules.skeleton_search());
        let skeleton = structure.blank(text, &structure.closure(&wanted));
        let kept = kept_lines(&skeleton);
        assert_eq!(
            kept,
            [
                "import netra_backend",
                "from netra_backend.app import services",
                "from . import manager",
                "from \\",
                "    .sibling import x",
                "from.other import y",
                "from json import loads as create_websocket_manager",
                "try: import yaml",
                "except ImportError: pass",
            ]
        );
        // Without the rule set's roots, every import is kept.
        let every = structure.lines_holding(text, &[], &[]);
        assert_eq!(every, [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn terms_that_find_no_other_line_are_not_searched() {
        let needles: Vec<String> =
            ["websocket", "websocket_core.manager", "Unified", "", "websocket"].map(String::from).to_vec();
        let words: Vec<String> = ["create_websocket_manager", "WebSocketManager", "Other"].map(String::from).to_vec();
        let (needles, words) = without_redundant_terms(&needles, &words);
        assert_eq!(needles, ["websocket", "Unified", "websocket"], "a duplicate is no needle holding another");
        assert_eq!(words, ["WebSocketManager", "Other"]);
        let text = "import os\nx = websocket_core.manager\ny = create_websocket_manager()\nz = Other\nw = Others\n";
        let mut structure = LineStructure::of(text);
        let all: Vec<String> =
            ["websocket_core.manager", "create_websocket_manager", "websocket"].map(String::from).to_vec();
        assert_eq!(structure.lines_holding(text, &all, &["Other".to_string()]), [0, 1, 2, 3]);
    }

    #[test]
    fn a_name_in_a_comment_or_a_docstring_is_prose() {
        let named = |text: &str| names_outside_prose(text, "Isolated");
        assert!(!named("x = 1\n"));
        assert!(!named("# Isolated is gone\nx = 1\n"));
        assert!(!named("x = 1  # an Isolated one\n"));
        assert!(!named("def f():\n    \"\"\"Returns an Isolated.\n\n    More.\n    \"\"\"\n    return g()\n"));
        assert!(!named("r'''Isolated'''  # doc\n"));
        assert!(!named("\"Isolated\";\n"));
        assert!(!named("x = IsolatedManager\n"), "a longer name");
        assert!(named("isinstance(m, Isolated)\n"));
        assert!(named("def f() -> \"Isolated\":\n    pass\n"), "a string annotation");
        assert!(!named("names = [\"Isolated\"]\n"), "a list display");
        assert!(!named("__all__ = (\n    \"Other\",  # (\n    \"Isolated\",\n)\n"), "a tuple display");
        assert!(!named("x = {\"k\": \"Isolated\"}\n__all__.extend([\"Isolated\"])\n"), "a dict display, a list");
        assert!(named("m: Optional[\"Isolated\"] = None\n"), "a subscript");
        assert!(named("Union[\"Other\", \"Isolated\"]\n"), "a subscript's tuple");
        assert!(named("m = cast(\"Isolated\", m)\n"), "a call");
        assert!(named("patch(\"a.b.Isolated\")\n"), "a call's argument");
        assert!(named("x = \"Isolated\"\n"), "a string in code");
        assert!(named("\"doc\"; Isolated\n"));
        assert!(named("f'{Isolated}'\n"), "an f-string is code");
        assert!(named("\"\"\"Isolated\"\"\" + x\n"), "a string in an expression");
        assert!(named("# Isolated\ny: Isolated = m\r\n"), "the second occurrence counts");
        assert!(named("x = (\n    # Isolated\n    Isolated)\n"));
    }

    #[test]
    fn words_match_whole_identifiers_only() {
        let text = "import m\nm.f()\nmm.g()\nx = m_2\n";
        let mut structure = LineStructure::of(text);
        let wanted = structure.lines_holding(text, &[], &["m".to_string()]);
        assert_eq!(wanted, [0, 1]);
    }
}
