//! The substring prefilter: a file whose bytes hold none of the rule set's
//! trigger strings cannot match any rule, so it is never parsed.
//!
//! For a deprecated module `a.b.c.d`, every absolute import, attribute chain
//! and string path contains `c.d`; `from a.b.c import d` (and its relative
//! forms from outside the package) names `d` in an import from `c`; an alias
//! of the package (`import a.b.c as p` … `p.d`) follows `c` with `as`; and
//! only a file inside package `c` can write `from . import d` or `from .d
//! import x`. So a generic last component such as `manager` does not make
//! every file a candidate, nor does `websocket_core` followed by a variable
//! named `manager`.
//!
//! A call rule's callable is called by its name (`Callable(`, `mod.Callable
//! (`) or through an import binding it under another name (`Callable as
//! C`): a file that only annotates with it, checks `isinstance` against it
//! or names it in a docstring cannot match.

use std::path::Path;

use aho_corasick::AhoCorasick;

use super::compiled::{Rule, RuleKind};
use crate::identifiers;
use crate::skeleton::{ModulePaths, Terms};

/// Up to this many strings, each is searched on its own (`memchr::memmem`);
/// above it, one Aho-Corasick automaton searches them all at once.
pub const SEPARATE_SEARCHES_UP_TO: usize = 64;

/// One way a file can qualify.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Trigger {
    /// The text contains this string.
    Any(String),
    /// The text names module `last` of package `parent` without writing
    /// `parent.last`: both as whole words, with `last` in an import from
    /// `parent` (`from a.parent import (x, last)`), or `parent` aliased
    /// (`import a.parent as p`, then `p.last`), or blanks around the dot
    /// (`parent . last`). See [`names_submodule`].
    Submodule { parent: String, last: String },
    /// The file sits in a folder named `folder` and its text contains `needle`.
    InPackage { folder: String, needle: String },
    /// The text calls `name` or imports it under another name (see
    /// [`names_call`]).
    Call(String),
}

/// What [`Prefilter::look`] finds in a file's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefiltered {
    /// A trigger string: some rule may match.
    Trigger,
    /// None, not even in the NFKC-normalised text. `hides_names`: whether a
    /// character of the bytes folds to ASCII name characters
    /// (`identifiers::may_hide_ascii_names`).
    NoTrigger { hides_names: bool },
}

#[derive(Debug, Clone, Default)]
pub struct Prefilter {
    triggers: Vec<Trigger>,
    /// Identifiers whose lines a skeleton keeps besides the triggers' lines:
    /// the names the rules map to (a rename must see every use of them).
    words: Vec<String>,
    /// The first part of every path the rules name: the import statements
    /// a skeleton keeps besides relative ones and those holding a term.
    import_roots: Vec<String>,
    /// The paths the rules name: which `from M import` statements a
    /// skeleton keeps (`ModulePaths`).
    import_paths: ModulePaths,
    /// Every string the triggers look for, once each.
    strings: Vec<String>,
    /// All of `strings` in one automaton: one pass over a file tells which
    /// occur (10,000 rules cost one scan, not 30,000). Only for more than
    /// [`SEPARATE_SEARCHES_UP_TO`] strings: below that, one SIMD substring
    /// search per string is faster (the built-in pack: 0.2 CPU-s instead of
    /// 0.55 for 110 MB in a debug build).
    automaton: Option<AhoCorasick>,
    /// For each of `strings`, the triggers that use it.
    users: Vec<Vec<usize>>,
    /// For each trigger, the indices in `strings` of what it needs.
    needs: Vec<Vec<usize>>,
    /// One prebuilt substring searcher per string: the separate searches',
    /// and those that confirm a trigger once its strings are present
    /// ([`Prefilter::confirms`]).
    finders: Vec<memchr::memmem::Finder<'static>>,
    /// The strings added only to rule others out (see [`gates`]).
    gate_mask: u64,
    /// A substring of some string every trigger needs, searched first by
    /// separate searches: a file without it holds no trigger, whatever its
    /// folder ([`common_gate`]).
    common_gate: Option<memchr::memmem::Finder<'static>>,
    /// Every string holding the common gate, with where in it the gate
    /// stands (once per place): the gate's occurrences in a file tell which
    /// of these strings it holds, in the one pass that found the first
    /// ([`Prefilter::gate_pass`]).
    gate_holders: Vec<(usize, usize)>,
    /// The bit set of the strings in `gate_holders`.
    gate_holder_mask: u64,
    /// For each string, the bit set of the other strings it contains
    /// (`websocket_core.manager` contains `websocket_core`): when one of
    /// those is absent from a file, so is the string, without a search.
    contains_strings: Vec<u64>,
    /// The order separate searches try the triggers in: those whose first
    /// string is shortest first, so that an absent short string (`websocket`)
    /// rules out the longer ones holding it before they are searched.
    trigger_order: Vec<usize>,
    /// The skeleton's terms, compiled once for every file, when first asked
    /// for: by the first candidate's check, on a thread of the walk rather
    /// than before it starts, and never for a prefilter only asked whether
    /// a file may match (the rule set's second one, for tests).
    skeleton: std::sync::OnceLock<Terms>,
}

impl Prefilter {
    /// The prefilter of the active `rules`. An active `all-export` rule
    /// reports `__all__` entries that the imports of any `known` rule bind,
    /// so it needs their triggers too.
    pub fn for_rules(rules: &[Rule], known: &[Rule]) -> Self {
        let exports = rules.iter().any(|rule| rule.kind == RuleKind::AllExport);
        let binding_rules =
            known.iter().filter(|rule| exports && matches!(rule.kind, RuleKind::Module | RuleKind::Names));
        let scanned: Vec<&Rule> = rules.iter().chain(binding_rules).collect();
        let mut triggers = Vec::new();
        for rule in scanned.iter().copied() {
            match rule.kind {
                RuleKind::Module => {
                    let Some(module) = &rule.module else { continue };
                    let parts: Vec<&str> = module.split('.').collect();
                    match parts.as_slice() {
                        [.., parent, last] => {
                            triggers.push(Trigger::Any(format!("{parent}.{last}")));
                            triggers.push(Trigger::Submodule { parent: parent.to_string(), last: last.to_string() });
                            triggers.push(Trigger::InPackage { folder: parent.to_string(), needle: last.to_string() });
                        }
                        [only] => triggers.push(Trigger::Any(only.to_string())),
                        [] => {}
                    }
                }
                RuleKind::Names => triggers.extend(rule.names.keys().map(|name| Trigger::Any(name.clone()))),
                RuleKind::Call => triggers.extend(
                    rule.callables
                        .iter()
                        .map(|callable| Trigger::Call(callable.rsplit('.').next().unwrap_or(callable).to_string())),
                ),
                // `__all__` entries matter only when a deprecated import binds
                // them, and such a file already holds another trigger.
                RuleKind::AllExport => {}
            }
        }
        triggers.sort_by_key(|trigger| format!("{trigger:?}"));
        triggers.dedup();
        // A name that qualifies a file wherever it stands needs no call.
        let anywhere: Vec<String> = triggers
            .iter()
            .filter_map(|trigger| match trigger {
                Trigger::Any(needle) => Some(needle.clone()),
                _ => None,
            })
            .collect();
        triggers.retain(|trigger| !matches!(trigger, Trigger::Call(name) if anywhere.contains(name)));
        let (mut paths, mut deprecated, mut found_on) = (Vec::new(), Vec::new(), Vec::new());
        for rule in scanned.iter().copied() {
            let targets = rule.names.values().filter_map(|mapping| mapping.target.as_ref());
            // Not `replacement`: that is code to show (`await get_…(…)`), no path.
            let named = rule.module.iter().chain(&rule.callables).chain(&rule.canonical);
            paths.extend(named.chain(targets.map(|target| &target.module)).cloned());
            found_on.extend(rule.module.iter().chain(&rule.callables).cloned());
            match (&rule.kind, &rule.module) {
                (RuleKind::Names, Some(module)) => {
                    deprecated.extend(rule.names.keys().map(|name| format!("{module}.{name}")))
                }
                (RuleKind::Module, Some(module)) => deprecated.push(module.clone()),
                _ => {}
            }
            deprecated.extend(rule.callables.iter().cloned());
        }
        // The deprecated paths lie under `paths` (a name under its module).
        let mut import_roots: Vec<String> =
            paths.iter().map(|path| path.split('.').next().unwrap_or(path).to_string()).collect();
        import_roots.sort();
        import_roots.dedup();
        // The first look wants only what findings come from: the imports of
        // the deprecated modules and callables (not of the canonical ones
        // nor of the name map's targets) and the deprecated names. A fix's
        // target name and module come in a second look, for the files whose
        // imports bind a name or module that moves there
        // (`analysis::bindings_into_rules`).
        let import_paths = ModulePaths::new(&found_on, &deprecated);
        let mut words: Vec<String> = scanned.iter().flat_map(|rule| rule.names.keys().cloned()).collect();
        words.sort();
        words.dedup();
        let mut prefilter = Prefilter { triggers, words, import_roots, import_paths, ..Prefilter::default() };
        prefilter.compile();
        prefilter
    }

    /// Builds the automata from `triggers` and `words`.
    fn compile(&mut self) {
        let mut index_of = std::collections::HashMap::new();
        for (trigger_index, trigger) in self.triggers.iter().enumerate() {
            let needed: Vec<&String> = match trigger {
                Trigger::Any(needle) | Trigger::InPackage { needle, .. } | Trigger::Call(needle) => vec![needle],
                Trigger::Submodule { parent, last } => vec![parent, last],
            };
            let mut needs = Vec::new();
            for string in needed {
                let index = *index_of.entry(string.clone()).or_insert_with(|| {
                    self.strings.push(string.clone());
                    self.users.push(Vec::new());
                    self.strings.len() - 1
                });
                self.users[index].push(trigger_index);
                needs.push(index);
            }
            self.needs.push(needs);
        }
        if self.strings.len() > SEPARATE_SEARCHES_UP_TO {
            self.automaton = Some(AhoCorasick::new(&self.strings).expect("plain strings build an automaton"));
            self.finders = finders_of(&self.strings);
        } else {
            self.compile_separate_searches();
        }
    }

    /// The searchers, the substring relation between the strings and the
    /// order of the triggers, for separate searches.
    fn compile_separate_searches(&mut self) {
        for gate in gates(&self.strings) {
            if self.strings.len() == SEPARATE_SEARCHES_UP_TO {
                break;
            }
            self.gate_mask |= 1 << self.strings.len();
            self.strings.push(gate);
        }
        self.finders = finders_of(&self.strings);
        let gate = common_gate(&self.strings, &self.needs);
        self.gate_holders = gate
            .iter()
            .flat_map(|gate| {
                self.strings.iter().enumerate().flat_map(move |(string, text)| {
                    text.match_indices(gate.as_str()).map(move |(offset, _)| (string, offset))
                })
            })
            .collect();
        self.gate_holder_mask = self.gate_holders.iter().fold(0, |set, &(string, _)| set | 1 << string);
        self.common_gate = gate.map(|gate| memchr::memmem::Finder::new(gate.as_bytes()).into_owned());
        self.contains_strings = self
            .strings
            .iter()
            .enumerate()
            .map(|(outer, string)| {
                self.strings
                    .iter()
                    .enumerate()
                    .filter(|(inner, other)| *inner != outer && string.contains(other.as_str()))
                    .fold(0u64, |set, (inner, _)| set | 1 << inner)
            })
            .collect();
        let first_length = |trigger: &usize| self.needs[*trigger].first().map_or(0, |&first| self.strings[first].len());
        let mut order: Vec<usize> = (0..self.triggers.len()).collect();
        order.sort_by_key(first_length);
        self.trigger_order = order;
    }

    /// The skeleton's terms, compiled (see [`Self::skeleton_terms`]).
    pub fn skeleton_search(&self) -> &Terms {
        self.skeleton.get_or_init(|| {
            let (needles, words) = self.skeleton_terms();
            Terms::with_import_roots(&needles, &words, &self.import_roots, self.import_paths.clone())
        })
    }

    /// Substrings whose logical lines a skeleton keeps, and identifiers whose
    /// lines it keeps. For a module `a.b.c.d`: the substring `c.d`, which
    /// every string path into it holds (`patch("a.b.c.d.f")`); its imports
    /// (`from a.b.c import d`, `import a.b.c as p`) are kept by the roots of
    /// the paths, and an attribute chain into it however spaced (`p . d`,
    /// `(c\n .d)`) starts with a name such an import binds, whose lines the
    /// second look keeps. Not `c` alone: a common word (`websocket`) in
    /// real code, it kept every line that mentions it.
    /// And `import_module(`, whose line may give a relative name
    /// (`import_module(".d", "a.b.c")`).
    pub fn skeleton_terms(&self) -> (Vec<String>, Vec<String>) {
        let mut needles: Vec<String> = self
            .triggers
            .iter()
            .filter_map(|trigger| match trigger {
                Trigger::Any(needle) | Trigger::Call(needle) => Some(needle.clone()),
                // A relative name given to `import_module(".d", "a.b.c")`
                // holds no `c.d`: such calls are rare, and their lines few.
                Trigger::Submodule { .. } => Some("import_module(".to_string()),
                Trigger::InPackage { .. } => None,
            })
            .collect();
        needles.push("__all__".to_string());
        needles.sort();
        needles.dedup();
        (needles, self.words.clone())
    }

    /// Whether a file at `path` with these bytes may match. `None` for the
    /// path (an unsaved buffer) counts every package trigger as present.
    /// Names are compared as Python compares them (NFKC): when no trigger is
    /// in the bytes but a character there folds to ASCII, the triggers are
    /// looked for again in the normalised text.
    pub fn may_match(&self, path: Option<&Path>, bytes: &[u8]) -> bool {
        self.look(path, bytes) == Prefiltered::Trigger
    }

    /// [`Self::may_match`], saying on a miss whether the bytes may hide
    /// ASCII names, which a miss has to ask: a caller that asks it next
    /// (`ImportWords`, `HubAliasNames`) need not go over the bytes again.
    pub fn look(&self, path: Option<&Path>, bytes: &[u8]) -> Prefiltered {
        if self.may_match_bytes(path, bytes) {
            return Prefiltered::Trigger;
        }
        let hides_names = crate::identifiers::may_hide_ascii_names(bytes);
        if hides_names && self.may_match_bytes(path, crate::identifiers::normalized_text(bytes).as_bytes()) {
            return Prefiltered::Trigger;
        }
        Prefiltered::NoTrigger { hides_names }
    }

    /// One pass of the automaton; a trigger is settled as soon as what it
    /// needs has been seen.
    fn may_match_bytes(&self, path: Option<&Path>, bytes: &[u8]) -> bool {
        let folder = path.and_then(Path::parent).and_then(Path::file_name).and_then(|name| name.to_str());
        let Some(automaton) = &self.automaton else {
            return self.separate_searches(folder, path.is_none(), bytes, &mut 0);
        };
        let mut seen = vec![false; self.strings.len()];
        for found in automaton.find_overlapping_iter(bytes) {
            let string = found.pattern().as_usize();
            if std::mem::replace(&mut seen[string], true) {
                continue;
            }
            let settled = self.users[string].iter().any(|&trigger| {
                let present = match &self.triggers[trigger] {
                    Trigger::Any(_) | Trigger::Call(_) => true,
                    Trigger::Submodule { .. } => self.needs[trigger].iter().all(|&needed| seen[needed]),
                    Trigger::InPackage { folder: package, .. } => path.is_none() || folder == Some(package.as_str()),
                };
                present && self.confirms(trigger, bytes)
            });
            if settled {
                return true;
            }
        }
        false
    }

    /// Whether a trigger holds, one substring search per string at most:
    /// each string is searched once, and not at all when a string it contains
    /// is known to be absent (or present when a string holding it was found).
    /// `searches` counts the searches made.
    fn separate_searches(&self, folder: Option<&str>, any_folder: bool, bytes: &[u8], searches: &mut usize) -> bool {
        let mut state = SearchState { bytes, present: 0, absent: 0, searches: 0 };
        if let Some(gate) = &self.common_gate {
            *searches += 1;
            let Some(held) = self.gate_pass(gate, bytes) else { return false };
            let contained = self.gate_holders.iter().filter(|&&(string, _)| held & 1 << string != 0);
            state.present = contained.fold(held, |set, &(string, _)| set | self.contains_strings[string]);
            state.absent = self.gate_holder_mask & !state.present;
        }
        let found = self.trigger_order.iter().any(|&trigger| {
            let in_folder = match &self.triggers[trigger] {
                Trigger::InPackage { folder: package, .. } => any_folder || folder == Some(package.as_str()),
                Trigger::Any(_) | Trigger::Submodule { .. } | Trigger::Call(_) => true,
            };
            in_folder
                && self.needs[trigger].iter().all(|&string| state.holds(self, string))
                && self.confirms(trigger, bytes)
        });
        *searches += state.searches;
        found
    }

    /// The bit set of the strings holding the common gate that `bytes`
    /// hold, read off the gate's occurrences (each string at each of the
    /// gate's places in it compared with the bytes around); `None` when the
    /// gate is absent. One pass over the bytes instead of a search for each
    /// of those strings: in real code `Manager` is common
    /// (`DatabaseManager`), and a file that says it went on to up to nine
    /// whole-file searches.
    fn gate_pass(&self, gate: &memchr::memmem::Finder<'_>, bytes: &[u8]) -> Option<u64> {
        let mut occurrences = gate.find_iter(bytes).peekable();
        occurrences.peek()?;
        let mut held = 0u64;
        for at in occurrences {
            for &(string, offset) in &self.gate_holders {
                let text = self.strings[string].as_bytes();
                // Strings already found are skipped, and the first bytes
                // told apart first: most places match none.
                let found = held & 1 << string == 0
                    && at
                        .checked_sub(offset)
                        .is_some_and(|start| bytes[start] == text[0] && bytes[start..].starts_with(text));
                if found {
                    held |= 1 << string;
                }
            }
        }
        Some(held)
    }

    /// Whether trigger `trigger`, whose strings `bytes` hold, qualifies them:
    /// where they stand decides (see [`Trigger`]).
    fn confirms(&self, trigger: usize, bytes: &[u8]) -> bool {
        let needed = |nth: usize| &self.finders[self.needs[trigger][nth]];
        match &self.triggers[trigger] {
            Trigger::InPackage { .. } => true,
            Trigger::Any(_) => needed(0).find_iter(bytes).any(|start| !in_comment(bytes, start)),
            Trigger::Submodule { .. } => names_submodule(bytes, needed(0), needed(1)),
            Trigger::Call(_) => names_call(bytes, needed(0)),
        }
    }
}

fn finders_of(strings: &[String]) -> Vec<memchr::memmem::Finder<'static>> {
    strings.iter().map(|string| memchr::memmem::Finder::new(string.as_bytes()).into_owned()).collect()
}

/// How far past a name [`names_call`] and [`names_submodule`] look for what
/// follows it (blanks and comments, the rest of an import statement): a
/// text that needs more qualifies. Bounds the work per occurrence, so a
/// pathological text (a megabyte of `Manager#` on one line, ten thousand
/// unclosed `from pkg import (`) costs a bounded number of bytes each.
const LOOKAHEAD: usize = 4096;

/// Where the next token after `at` may start ([`identifiers::skip_blanks`]),
/// looking [`LOOKAHEAD`] bytes on at most: `None` past that (the caller
/// assumes the best).
fn next_token(bytes: &[u8], at: usize) -> Option<usize> {
    let window = &bytes[..bytes.len().min(at + LOOKAHEAD)];
    let next = identifiers::skip_blanks(window, at);
    (next < window.len() || window.len() == bytes.len()).then_some(next)
}

/// Whether the byte at `at` is surely in a comment: its line (lone `\r`s end
/// lines too) holds a `#` before it and no quote. Or else in a string
/// running over lines, which holds a `#` then: no dotted path, so no finding
/// either. A quote anywhere before it on the line (`"#" + x`, `"""…#…"""`)
/// leaves it in code, as far as this test can tell. Comments mentioning a
/// deprecated name (`# Replaces websocket_manager_factory.create_…`) are
/// common in migrated code; no finding comes from one.
///
/// Looks [`LOOKAHEAD`] bytes back at most: on a longer line, no occurrence
/// is surely in a comment.
fn in_comment(bytes: &[u8], at: usize) -> bool {
    let from = at.saturating_sub(LOOKAHEAD);
    let line_start = match memchr::memrchr2(b'\n', b'\r', &bytes[from..at]) {
        Some(newline) => from + newline + 1,
        None if from == 0 => 0,
        None => return false,
    };
    let before = &bytes[line_start..at];
    memchr::memchr(b'#', before).is_some() && memchr::memchr2(b'"', b'\'', before).is_none()
}

/// Whether `bytes` may call the callable `name` searches for, or import it
/// under another name: `name` followed by `(` or by `as`, with blanks, line
/// breaks and comments between ([`identifiers::skip_blanks`]). A call
/// resolves to a callable only through its name: as the callee's last part
/// (`Manager(…)`, `module.Manager (…)`), or in the import that binds what
/// the callee calls (`from m import Manager as M` … `M(…)`).
fn names_call(bytes: &[u8], name: &memchr::memmem::Finder<'_>) -> bool {
    name.find_iter(bytes).any(|start| {
        let end = start + name.needle().len();
        if bytes.get(end).is_some_and(|&byte| identifiers::is_name_byte(byte)) || in_comment(bytes, start) {
            return false;
        }
        next_token(bytes, end)
            .is_none_or(|next| bytes.get(next) == Some(&b'(') || identifiers::word_at(bytes, next, b"as"))
    })
}

/// Whether `bytes` may name module `last` of package `parent` (each as a
/// whole word) in a way that does not write `parent.last`: `last` in an
/// import from `parent` (`from a.parent import (x, last)`, `from ..parent
/// import last as l`), anywhere after `parent` is aliased (`import a.parent
/// as p` … `p.last`), or after `parent` and a dot with blanks between (`a.
/// parent . last`, `(parent\n.last)`), or anywhere after a star import of
/// `parent` (`from a.parent import *`). A text naming the package only in
/// imports of its other modules and a variable `last` does not.
fn names_submodule(bytes: &[u8], parent: &memchr::memmem::Finder<'_>, last: &memchr::memmem::Finder<'_>) -> bool {
    let length = parent.needle().len();
    let last_anywhere = std::cell::OnceCell::new();
    parent.find_iter(bytes).any(|start| {
        if !identifiers::is_whole_word(bytes, start, start + length) || in_comment(bytes, start) {
            return false;
        }
        let Some(next) = next_token(bytes, start + length) else { return true };
        if identifiers::word_at(bytes, next, b"import") {
            let names = next + b"import".len();
            let window = &bytes[..bytes.len().min(names + LOOKAHEAD)];
            let end = identifiers::statement_end(window, names);
            // `from a.parent import *` binds `last` wherever the text names it.
            let star = next_token(bytes, names).is_some_and(|name| bytes[name] == b'*');
            (end == window.len() && window.len() < bytes.len())
                || identifiers::names_word(&bytes[names..end], last)
                || (star && *last_anywhere.get_or_init(|| identifiers::names_word(bytes, last)))
        } else if identifiers::word_at(bytes, next, b"as") {
            *last_anywhere.get_or_init(|| identifiers::names_word(bytes, last))
        } else if bytes.get(next) == Some(&b'.') {
            next_token(bytes, next + 1).is_none_or(|module| identifiers::word_at(bytes, module, last.needle()))
        } else {
            false
        }
    })
}

/// What one file's separate searches know so far, as bit sets over the
/// prefilter's strings.
struct SearchState<'a> {
    bytes: &'a [u8],
    present: u64,
    absent: u64,
    searches: usize,
}

impl SearchState<'_> {
    /// Whether the file holds string `string`: known, implied by a string it
    /// holds being absent, or searched (after the gates it holds, which may
    /// rule it out for several strings at once).
    fn holds(&mut self, prefilter: &Prefilter, string: usize) -> bool {
        let bit = 1u64 << string;
        if self.present & bit != 0 {
            return true;
        }
        let contained = prefilter.contains_strings[string];
        if self.absent & (bit | contained) != 0 {
            self.absent |= bit;
            return false;
        }
        let mut unknown_gates = contained & prefilter.gate_mask & !(self.present | self.absent);
        while unknown_gates != 0 {
            let gate = unknown_gates.trailing_zeros() as usize;
            unknown_gates &= unknown_gates - 1;
            self.holds(prefilter, gate);
        }
        if self.absent & (bit | contained) != 0 {
            self.absent |= bit;
            return false;
        }
        self.searches += 1;
        if prefilter.finders[string].find(self.bytes).is_some() {
            self.present |= bit | contained;
            true
        } else {
            self.absent |= bit;
            false
        }
    }
}

/// The longest substrings (of at least [`GATE_LENGTH`] bytes) that two of
/// `strings` share and that are none of them: `WebSocketManager` for
/// `UnifiedWebSocketManager` and `IsolatedWebSocketManager`. A file without a
/// gate holds neither string, and one search tells.
fn gates(strings: &[String]) -> Vec<String> {
    let mut gates = Vec::new();
    for (index, first) in strings.iter().enumerate() {
        for second in &strings[index + 1..] {
            let common = longest_common_substring(first.as_bytes(), second.as_bytes());
            let Ok(common) = std::str::from_utf8(common) else { continue };
            if common.len() >= GATE_LENGTH && !strings.iter().any(|string| string == common) {
                gates.push(common.to_string());
            }
        }
    }
    gates.sort();
    gates.dedup();
    // `edWebSocketManager` (Unified, Isolated) adds nothing to `WebSocketManager`.
    let shortest: Vec<String> = gates
        .iter()
        .filter(|gate| !gates.iter().any(|other| other != *gate && gate.contains(other.as_str())))
        .cloned()
        .collect();
    shortest
}

/// Shorter shared substrings (`manager`) are in most files: no gate.
const GATE_LENGTH: usize = 8;

/// The longest substring, of at least [`COMMON_GATE_LENGTH`] bytes, that
/// each trigger's needed strings (`needs`, indices into `strings`) hold
/// one of: `anager` for the built-in rules, whose every trigger names a
/// `…manager` or a `…Manager`. One search for it settles a file that has
/// none, which is most files (9 in 10 of the real-density corpus, where
/// `websocket` and then `WebSocketManager` took two searches), and costs a
/// search more in the others.
fn common_gate(strings: &[String], needs: &[Vec<usize>]) -> Option<String> {
    let first = needs.first()?;
    let holds = |need: &[usize], part: &str| need.iter().any(|&string| strings[string].contains(part));
    let mut best: Option<&str> = None;
    for string in first.iter().map(|&string| strings[string].as_str()) {
        for start in 0..string.len() {
            let longest = best.map_or(COMMON_GATE_LENGTH, |best| best.len() + 1);
            for end in (start + longest..=string.len()).rev() {
                let Some(part) = string.get(start..end) else { continue };
                if needs.iter().all(|need| holds(need, part)) {
                    best = Some(part);
                    break;
                }
            }
        }
    }
    best.map(str::to_string)
}

/// Shorter common substrings rule out too few files to pay for their search.
const COMMON_GATE_LENGTH: usize = 4;

fn longest_common_substring<'a>(first: &'a [u8], second: &[u8]) -> &'a [u8] {
    let mut best = (0, 0);
    for start in 0..first.len() {
        for other in 0..second.len() {
            let length = first[start..].iter().zip(&second[other..]).take_while(|(a, b)| a == b).count();
            if length > best.1 - best.0 {
                best = (start, start + length);
            }
        }
    }
    &first[best.0..best.1]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    /// The built-in rules, plus `extra` generated module rules (enough of
    /// them switch the search to the automaton).
    fn rules_with(extra: usize) -> Vec<Rule> {
        let mut text = String::from("extend-builtin = true\n");
        for index in 0..extra {
            text.push_str(&format!(
                "[[rules]]\ncode = \"GEN{index}\"\nname = \"g\"\nkind = \"module\"\nmodule = \"legacy.area.old_{index}\"\ncanonical = \"modern.new_{index}\"\nmessage = \"m\"\n"
            ));
        }
        let raw: crate::rules::raw::RawConfig = toml::from_str(&text).unwrap();
        RuleSet::from_config(&raw, None).unwrap().rules
    }

    #[test]
    fn the_skeleton_words_and_import_roots_are_names() {
        // SSOT005's `replacement` is code (`await get_websocket_manager(user_context)`).
        let prefilter = Prefilter::for_rules(&RuleSet::builtin().rules, &[]);
        let is_name = |term: &String| !term.is_empty() && term.bytes().all(crate::identifiers::is_name_byte);
        assert!(prefilter.words.iter().all(is_name), "{:?}", prefilter.words);
        assert_eq!(prefilter.import_roots, ["netra_backend"]);
    }

    #[test]
    fn the_automaton_and_separate_searches_agree() {
        let separate = Prefilter::for_rules(&RuleSet::builtin().rules, &[]);
        let automaton = Prefilter::for_rules(&rules_with(100), &[]);
        assert!(separate.automaton.is_none() && automaton.automaton.is_some());
        let texts: [&[u8]; 6] = [
            b"self.manager = manager",
            b"from .manager import WebSocketManager",
            b"from netra_backend.app.websocket_core import manager",
            b"UnifiedWebSocketManager()",
            b"import os\n",
            b"websocket_core and then, later, manager",
        ];
        for path in [Path::new("app/services/x.py"), Path::new("app/websocket_core/x.py")] {
            for text in texts {
                assert_eq!(
                    separate.may_match(Some(path), text),
                    automaton.may_match(Some(path), text),
                    "{path:?} {text:?}"
                );
            }
        }
        assert!(automaton.may_match(Some(Path::new("x.py")), b"from legacy.area import old_99"));
        assert!(!automaton.may_match(Some(Path::new("x.py")), b"from legacy.area import old_"));
    }

    #[test]
    fn a_string_holding_an_absent_string_is_not_searched() {
        let prefilter = Prefilter::for_rules(&RuleSet::builtin().rules, &[]);
        let elsewhere = Path::new("app/services/x.py");
        let search = |text: &[u8]| {
            let mut searches = 0;
            let found = prefilter.separate_searches(Some("services"), false, text, &mut searches);
            (found, searches)
        };
        // No `anager`, which every trigger needs: one search.
        assert_eq!(search(b"import os\nfrom app import websocket_core\n"), (false, 1));
        // The pass over `anager` finds `manager` and no other string holding
        // it; `websocket_`, absent, rules out the package `websocket_core`.
        assert_eq!(search(b"import os\nself.manager = manager\n"), (false, 2));
        // The same pass finds `UnifiedWebSocketManager`; `websocket_` next.
        assert_eq!(search(b"x = UnifiedWebSocketManager()\n"), (true, 2));
        assert!(prefilter.strings.contains(&"WebSocketManager".to_string()));
        for text in [&b"from netra_backend.app.websocket_core import manager"[..], b"websocket and manager"] {
            let mut searches = 0;
            let holds = |needle: &String| text.windows(needle.len()).any(|window| window == needle.as_bytes());
            let expected = prefilter.triggers.iter().enumerate().any(|(index, trigger)| match trigger {
                Trigger::Any(needle) => holds(needle),
                Trigger::Call(name) => holds(name) && prefilter.confirms(index, text),
                Trigger::Submodule { parent, last } => holds(parent) && holds(last) && prefilter.confirms(index, text),
                Trigger::InPackage { .. } => false,
            });
            assert_eq!(prefilter.separate_searches(Some("services"), false, text, &mut searches), expected);
            assert_eq!(prefilter.may_match(Some(elsewhere), text), expected);
        }
    }

    #[test]
    fn the_common_gate_is_the_longest_part_every_trigger_needs() {
        let strings = |list: &[&str]| list.iter().map(|string| string.to_string()).collect::<Vec<_>>();
        let builtin = Prefilter::for_rules(&RuleSet::builtin().rules, &[]);
        assert_eq!(common_gate(&builtin.strings, &builtin.needs).as_deref(), Some("anager"));
        // A trigger needing two strings counts one holding it.
        let (parts, needs) = (strings(&["old_factory", "legacy", "old_facade"]), vec![vec![0], vec![1, 2]]);
        assert_eq!(common_gate(&parts, &needs).as_deref(), Some("old_fac"));
        // Nothing of four bytes in common: no gate.
        let (parts, needs) = (strings(&["create_manager", "Factory"]), vec![vec![0], vec![1]]);
        assert_eq!(common_gate(&parts, &needs), None);
        assert_eq!(common_gate(&parts, &[]), None);
    }

    /// Statements naming the rules' modules and callables in the forms the
    /// triggers must see (and some they must not), each a whole statement.
    const STATEMENTS: [&str; 40] = [
        "from netra_backend.app.websocket_core import manager\n",
        "from netra_backend.app.websocket_core import (\n    get_websocket_manager,  # (old)\n    manager,\n)\n",
        "from netra_backend.app.websocket_core import (  # see )\n    manager as m,\n)\n",
        "from netra_backend.app.websocket_core \\\n    import manager\n",
        "from netra_backend.app.websocket_core . manager import WebSocketManager\n",
        "import netra_backend.app.websocket_core . manager\n",
        "import netra_backend.app.websocket_core as wc\n",
        "from netra_backend.app import websocket_core as wc\n",
        "from netra_backend.app import websocket_core\n",
        "x = wc.manager.WebSocketManager()\n",
        "x = wc . manager . get()\n",
        "y = (websocket_core\n    .manager.WebSocketManager)\n",
        "from netra_backend.app.websocket_core.websocket_manager import UnifiedWebSocketManager\n",
        "from netra_backend.app.websocket_core.unified_manager import UnifiedWebSocketManager as UWM\n",
        "from netra_backend.app.websocket_core.unified_manager import (\n    UnifiedWebSocketManager  # the class\n    as UWM,\n)\n",
        "import netra_backend.app.websocket_core.unified_manager as um\n",
        "import netra_backend.app.websocket_core.unified_manager.UnifiedWebSocketManager as Made\n",
        "m = UnifiedWebSocketManager(ctx)\n",
        "m = UWM(ctx)\n",
        "m = Made()\n",
        "m = um.UnifiedWebSocketManager (ctx)\n",
        "m = f(UnifiedWebSocketManager\n  # why\n  (ctx))\n",
        "def f(m: UnifiedWebSocketManager) -> None:\n    assert isinstance(m, UnifiedWebSocketManager)\n",
        "\"\"\"Builds a UnifiedWebSocketManager per user.\"\"\"\n",
        "manager = await get_websocket_manager(ctx)\n",
        "from netra_backend.app.websocket_core.websocket_manager import get_websocket_manager\n",
        "from netra_backend.app.websocket import connection_manager\n",
        "from netra_backend.app.websocket import (\n    connection_manager as cm,\n)\n",
        "import netra_backend.app.websocket as ws\n",
        "cm = ws.connection_manager.ConnectionManager()\n",
        "self.connection_manager = None\n",
        "from .. import websocket_core\n",
        "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n",
        "def g():\n    pass\n",
        "# Replaces websocket_manager_factory.create_websocket_manager (SSOT migration).\n",
        "x = '#'; from netra_backend.app.websocket_core import create_websocket_manager\n",
        "s = \"\"\"\n# \"\"\"; from netra_backend.app.websocket_core import create_websocket_manager\n",
        "# a comment\rfrom netra_backend.app.websocket_core import create_websocket_manager\n",
        "from netra_backend.app.websocket_core import *\n",
        "async def h(ctx):\n    return await create_websocket_manager(ctx)\n",
    ];

    #[test]
    fn a_relative_name_given_to_import_module_in_the_package_passes() {
        // From outside the package (`import_module(".x", "a.websocket_core")`)
        // such a name passes only with another trigger: a search for it in
        // every file naming the package cost 1.4 % of the instructions of a
        // check of the real-density corpus.
        let rules = RuleSet::builtin();
        let path = Path::new("netra_backend/app/websocket_core/loader.py");
        let load =
            |name: &str| format!("import importlib\n\nfactory = importlib.import_module({name:?}, __package__)\n");
        let relative = load(".websocket_manager_factory");
        assert!(rules.may_match_file(path, relative.as_bytes()));
        let scope = crate::rules::FileScope {
            module: Some("netra_backend.app.websocket_core.loader".to_string()),
            ..crate::rules::FileScope::default()
        };
        let findings = crate::analysis::check_text(&rules, &scope, &relative);
        assert_eq!(findings.iter().map(|finding| finding.code.as_str()).collect::<Vec<_>>(), ["SSOT001"]);
        let fix = findings[0].fix.as_ref().expect("a fix");
        assert_eq!(fix.edits[0].replacement, ".websocket_manager");
    }

    /// A star import of the package binds its deprecated names wherever
    /// the text names them; the package's other names do not matter.
    #[test]
    fn a_star_import_of_the_package_passes_with_a_use_of_its_deprecated_name() {
        let rules = RuleSet::builtin();
        let path = Path::new("netra_backend/app/services/x.py");
        let star = "from netra_backend.app.websocket_core import *  # noqa: F403\n\n\n";
        let use_of = "async def h(ctx):\n    return await create_websocket_manager(ctx)\n";
        assert!(rules.may_match_file(path, format!("{star}{use_of}").as_bytes()));
        assert!(!rules.may_match_file(path, format!("{star}ws = await get_websocket_manager(ctx)\n").as_bytes()));
        let findings = crate::analysis::check_text(&rules, &services_scope(), &format!("{star}{use_of}"));
        assert_eq!(findings.iter().map(|finding| finding.code.as_str()).collect::<Vec<_>>(), ["SSOT002"]);
    }

    fn services_scope() -> crate::rules::FileScope {
        crate::rules::FileScope {
            module: Some("netra_backend.app.services.x".to_string()),
            ..crate::rules::FileScope::default()
        }
    }

    proptest::proptest! {
        /// The separate searches (the gate's one pass over its occurrences,
        /// then a search per string still unknown) answer as a search for
        /// every string would.
        #[test]
        fn separate_searches_answer_as_searching_every_string(
            picks in proptest::collection::vec(proptest::sample::select(
                STATEMENTS.iter().copied().chain([
                    "DatabaseManager", "manager", "Manager", "_manager", "websocket_", "anager", "anageranager",
                    "WebSocketManagerFactory", "xwebsocket_core.manager", "connection_manager", " ", "\n", ".",
                ]).collect::<Vec<_>>()), 1..8),
        ) {
            let text = picks.concat();
            let text = text.as_bytes();
            let prefilter = Prefilter::for_rules(&RuleSet::builtin().rules, &[]);
            let holds = |needle: &String| text.windows(needle.len()).any(|window| window == needle.as_bytes());
            let expected = prefilter.triggers.iter().enumerate().any(|(index, trigger)| match trigger {
                Trigger::Any(needle) => holds(needle) && prefilter.confirms(index, text),
                Trigger::Call(name) => holds(name) && prefilter.confirms(index, text),
                Trigger::Submodule { parent, last } => holds(parent) && holds(last) && prefilter.confirms(index, text),
                Trigger::InPackage { .. } => false,
            });
            let mut searches = 0;
            proptest::prop_assert_eq!(prefilter.separate_searches(Some("services"), false, text, &mut searches), expected);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]
        /// No text with a finding is ruled out, by either way of searching.
        #[test]
        fn a_text_with_a_finding_is_never_ruled_out(
            picks in proptest::collection::vec(proptest::sample::select(STATEMENTS.to_vec()), 1..6),
        ) {
            let text = picks.concat();
            let rules = RuleSet::builtin();
            let findings = crate::analysis::check_text(&rules, &services_scope(), &text);
            let path = Path::new("netra_backend/app/services/x.py");
            if !findings.is_empty() {
                proptest::prop_assert!(rules.may_match_file(path, text.as_bytes()), "{text}\n{findings:?}");
                let automaton = Prefilter::for_rules(&rules_with(100), &[]);
                proptest::prop_assert!(automaton.may_match(Some(path), text.as_bytes()), "{text}");
            }
        }
    }

    #[test]
    fn a_module_or_callable_must_be_named_as_code_does() {
        let rules = RuleSet::builtin();
        let automaton = Prefilter::for_rules(&rules_with(100), &[]);
        let path = Path::new("netra_backend/app/services/x.py");
        let qualifies = |text: &str| {
            let separate = rules.may_match_file(path, text.as_bytes());
            assert_eq!(separate, automaton.may_match(Some(path), text.as_bytes()), "{text}");
            separate
        };
        let found = |text: &str| !crate::analysis::check_text(&rules, &services_scope(), text).is_empty();
        // Each form has a finding, and qualifies.
        for picks in [
            [0, 33],
            [1, 33],
            [2, 33],
            [3, 33],
            [4, 33],
            [5, 33],
            [12, 17],
            [13, 18],
            [14, 18],
            [15, 20],
            [16, 19],
            [12, 21],
            [26, 33],
            [27, 33],
            [35, 33],
            [36, 33],
            [37, 33],
        ] {
            let text: String = picks.iter().map(|&pick| STATEMENTS[pick]).collect();
            assert!(found(&text), "no finding in\n{text}");
            assert!(qualifies(&text), "ruled out:\n{text}");
        }
        // A module named through its package's binding: no finding yet (the
        // checks do not follow the package's attributes), but the texts
        // qualify, as they name the module.
        for picks in [[6, 9], [7, 10], [8, 11], [28, 29]] {
            let text: String = picks.iter().map(|&pick| STATEMENTS[pick]).collect();
            assert!(qualifies(&text), "ruled out:\n{text}");
        }
        // Annotations, `isinstance`, docstrings and a variable named like a
        // module, beside canonical imports: no finding, and never parsed.
        for picks in [[12, 22, 23, 24, 25], [25, 24, 30, 33, 33], [31, 24, 30, 22, 33], [34, 25, 24, 33, 33]] {
            let text: String = picks.iter().map(|&pick| STATEMENTS[pick]).collect();
            assert!(!found(&text), "a finding in\n{text}");
            assert!(!qualifies(&text), "qualifies:\n{text}");
        }
    }

    #[test]
    fn what_follows_a_name_is_looked_for_within_a_bound() {
        let rules = RuleSet::builtin();
        let path = Path::new("netra_backend/app/services/x.py");
        // Each occurrence's comment runs to the end of a 2 MB line: without
        // the bound, 80,000 searches of up to 2 MB each.
        let comments = "UnifiedWebSocketManager#".repeat(80_000);
        assert!(rules.may_match_file(path, comments.as_bytes()), "past the bound, a text qualifies");
        // A comment on a 2 MB line: looked back at 4 KB for its `#`, each.
        let commented = format!("# {}\n", "create_websocket_manager ".repeat(80_000));
        assert!(rules.may_match_file(path, commented.as_bytes()), "past the bound, not surely a comment");
        assert!(!rules.may_match_file(path, b"# create_websocket_manager\n"));
        let unclosed = "from netra_backend.app.websocket_core import (\n".repeat(20_000) + "manager";
        assert!(rules.may_match_file(path, unclosed.as_bytes()));
        // Within the bound, what follows decides.
        let blanks = format!("x: UnifiedWebSocketManager{}= None\n", " ".repeat(LOOKAHEAD / 2));
        assert!(!rules.may_match_file(path, blanks.as_bytes()));
        let called = format!("x = UnifiedWebSocketManager{}(ctx)\n", " \\\n".repeat(LOOKAHEAD / 8));
        assert!(rules.may_match_file(path, called.as_bytes()));
    }

    #[test]
    fn a_generic_module_name_needs_its_package() {
        let prefilter = Prefilter::for_rules(&RuleSet::builtin().rules, &[]);
        let elsewhere = Path::new("app/services/x.py");
        let inside = Path::new("app/websocket_core/x.py");
        assert!(!prefilter.may_match(Some(elsewhere), b"self.manager = manager"));
        assert!(prefilter.may_match(Some(inside), b"from .manager import WebSocketManager"));
        assert!(prefilter.may_match(Some(elsewhere), b"from netra_backend.app.websocket_core import manager"));
        assert!(prefilter.may_match(Some(elsewhere), b"patch('netra_backend.app.websocket_core.manager.X')"));
        assert!(prefilter.may_match(Some(elsewhere), b"UnifiedWebSocketManager()"));
        assert!(!prefilter.may_match(Some(elsewhere), b"import os\n"));
    }

    #[test]
    fn a_miss_says_whether_the_bytes_may_hide_names() {
        let prefilter = Prefilter::for_rules(&RuleSet::builtin().rules, &[]);
        let path = Some(Path::new("app/services/x.py"));
        assert_eq!(prefilter.look(path, b"UnifiedWebSocketManager()"), Prefiltered::Trigger);
        assert_eq!(prefilter.look(path, b"import os\n"), Prefiltered::NoTrigger { hides_names: false });
        let emoji = "log.info('ready \u{1f680}')\n";
        assert_eq!(prefilter.look(path, emoji.as_bytes()), Prefiltered::NoTrigger { hides_names: false });
        let fullwidth = "x = \u{ff43}ount\n";
        assert_eq!(prefilter.look(path, fullwidth.as_bytes()), Prefiltered::NoTrigger { hides_names: true });
        // Python reads the fullwidth letter as `U`: a trigger.
        let folded = "\u{ff35}nifiedWebSocketManager()\n";
        assert_eq!(prefilter.look(path, folded.as_bytes()), Prefiltered::Trigger);
    }
}
