//! Python identifiers as Python compares them: in NFKC form (PEP 3131), so
//! `ｃreate_websocket_manager` (a fullwidth `c`) names the same function as
//! `create_websocket_manager`.
//!
//! ASCII text, nearly all of it, costs one `is_ascii` check and no copy.
//! Offsets never come from normalised text: normalising changes lengths, so
//! it is only ever applied to names being compared, never to the text edits
//! are computed on.

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// `name` in NFKC form; borrowed when it is ASCII (already normal).
pub fn normalize(name: &str) -> Cow<'_, str> {
    if name.is_ascii() {
        return Cow::Borrowed(name);
    }
    Cow::Owned(name.nfkc().collect())
}

/// Whether `bytes` hold a character that NFKC turns into ASCII letters,
/// digits or `_` (fullwidth or mathematical letters, ligatures, …): where a
/// deprecated name could hide from a byte search.
///
/// Only the non-ASCII characters are decoded: most source files are ASCII
/// but for a few emoji or dashes in strings and comments, and decoding every
/// character of such a file made the check of the realistic corpus with an
/// emoji line in every other file take 340 ms instead of 248. Bytes that
/// are not UTF-8 fold to nothing, as the replacement character a lossy
/// reading gives them. Each character is decoded from its lead byte here:
/// `<[u8]>::utf8_chunks` validates byte by byte, and was as slow as
/// decoding everything (367 ms).
pub fn may_hide_ascii_names(bytes: &[u8]) -> bool {
    let mut at = 0;
    while let Some(found) = first_non_ascii(&bytes[at..]) {
        let start = at + found;
        let length = match bytes[start] {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => 1,
        };
        let character = bytes.get(start..start + length).and_then(|sequence| std::str::from_utf8(sequence).ok());
        match character.and_then(|character| character.chars().next()) {
            Some(character) if folds_to_name_characters(character) => return true,
            Some(_) => at = start + length,
            None => at = start + 1,
        }
    }
    false
}

/// Whether NFKC turns `character` into ASCII letters, digits or `_`.
fn folds_to_name_characters(character: char) -> bool {
    std::iter::once(character).nfkc().any(|folded| folded.is_ascii_alphanumeric() || folded == '_')
}

/// Where the first byte of `bytes` above 127 is. Blocks of 256 bytes are
/// folded with `|` (vectorised, about a sixth of the instructions of
/// `<[u8]>::is_ascii` on blocks of 64, which this test of every file read
/// spent: 146 M of 1,700 M for a check of the real-density corpus).
fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
    const BLOCK: usize = 256;
    let position = |block: &[u8]| block.iter().position(|&byte| byte > 127);
    let mut blocks = bytes.chunks_exact(BLOCK);
    let mut at = 0;
    for block in &mut blocks {
        if block.iter().fold(0, |all, &byte| all | byte) > 127 {
            return position(block).map(|found| at + found);
        }
        at += BLOCK;
    }
    position(blocks.remainder()).map(|found| at + found)
}

/// Whether `bytes` hold the identifier `finder` searches for as a whole
/// word: not part of a longer name (`manager` is not in `websocket_manager`;
/// a byte of a non-ASCII letter counts as part of a name). `hub.make` and
/// `.hub` name `hub`.
pub fn names_word(bytes: &[u8], finder: &memchr::memmem::Finder<'_>) -> bool {
    let length = finder.needle().len();
    finder.find_iter(bytes).any(|start| is_whole_word(bytes, start, start + length))
}

/// `names_word` for several names at once (`names` searches for them, made
/// by [`names_search`]): whether `bytes` hold any of them as a whole word.
pub fn names_any_word(bytes: &[u8], names: &aho_corasick::AhoCorasick) -> bool {
    names.find_iter(bytes).any(|found| is_whole_word(bytes, found.start(), found.end()))
}

/// One search for several Python names, which reports every whole-word
/// occurrence of each: the longest match wins where several start at one
/// byte (`manager_v2` hides no `manager_v2` behind `manager`), and a whole
/// word cannot start inside a match, which holds only name bytes. `None`
/// for no names (or names no automaton can hold).
pub fn names_search<'a>(names: impl IntoIterator<Item = &'a [u8]>) -> Option<aho_corasick::AhoCorasick> {
    let names: Vec<&[u8]> = names.into_iter().collect();
    if names.is_empty() {
        return None;
    }
    aho_corasick::AhoCorasick::builder().match_kind(aho_corasick::MatchKind::LeftmostLongest).build(names).ok()
}

/// The UTF-8 byte order mark. Python reads a text past it: it is no part
/// of a name, though its bytes are [`is_name_byte`]s.
pub const BOM: &[u8] = "\u{feff}".as_bytes();

/// Whether `start..end` of `bytes` is not part of a longer name: no name
/// byte just before it or just after it. A BOM just before it is no name
/// (`\u{feff}get_websocket_manager = 1` binds `get_websocket_manager`).
pub fn is_whole_word(bytes: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).map(|at| bytes[at]);
    let name_before = before.is_some_and(is_name_byte) && !bytes[..start].ends_with(BOM);
    !name_before && !bytes.get(end).is_some_and(|&byte| is_name_byte(byte))
}

/// Whether `byte` may be part of a Python name (a byte of a non-ASCII
/// letter counts: outside strings and comments, only names hold those).
pub fn is_name_byte(byte: u8) -> bool {
    NAME_BYTES[byte as usize]
}

/// [`is_name_byte`] of every byte: one load instead of three comparisons,
/// for the loops over every byte of every import statement.
static NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || b == b'_' || !b.is_ascii();
        byte += 1;
    }
    table
};

/// Calls `each` with every run of name bytes in `bytes` ([`is_name_byte`]),
/// without a BOM it starts with.
fn for_each_word(bytes: &[u8], mut each: impl FnMut(&[u8])) {
    let mut at = 0;
    while at < bytes.len() {
        if !is_name_byte(bytes[at]) {
            at += 1;
            continue;
        }
        let start = at;
        while at < bytes.len() && is_name_byte(bytes[at]) {
            at += 1;
        }
        each(without_bom(&bytes[start..at]));
    }
}

fn without_bom(word: &[u8]) -> &[u8] {
    word.strip_prefix(BOM).unwrap_or(word)
}

/// Where the next token after `at` may start: past blanks, line breaks,
/// backslashes and comments, all of which may stand between two tokens of
/// one statement inside brackets (`UnifiedWebSocketManager  # why\n(`).
/// Skips more than Python would outside brackets, never less.
pub fn skip_blanks(bytes: &[u8], mut at: usize) -> usize {
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b' ' | b'\t' | b'\r' | b'\n' | 0x0c | b'\\' => at += 1,
            b'#' => at += memchr::memchr(b'\n', &bytes[at..]).unwrap_or(bytes.len() - at),
            _ => break,
        }
    }
    at
}

/// The dotted paths a text holds as whole string literals that open at
/// `opens` (offsets of quotes), adjacent literals joined (`"app.routes."
/// "hub.create"` is `app.routes.hub.create`):
/// `importlib.import_module("app.routes.hub")`, `sys.modules["app.routes.hub"]`,
/// `patch.multiple("app.routes.hub", …)`, a constant an f-string target is
/// built from. A lexical reading: a literal is a quote, name bytes, dots and
/// at most one `:` (`"app.hub:create"`), then the same quote; what stands
/// between two literals is what [`skip_blanks`] skips, and each literal
/// counts alone too (a line break joins two literals inside brackets, and
/// ends a statement outside them). A closing quote given as an opening
/// one finds a path only where code follows a string with name bytes and a
/// quote, which Python does not allow. Each path with the offset of the
/// quote that opens it (a joined path, of its first literal), sorted.
pub fn quoted_dotted_paths(text: &str, opens: impl IntoIterator<Item = usize>) -> Vec<(Cow<'_, str>, usize)> {
    let bytes = text.as_bytes();
    let mut paths: Vec<(Cow<'_, str>, usize)> = Vec::new();
    // The literal that starts at `start` (after its quote), if it is one:
    // its end and whether it holds a dot.
    let literal = |start: usize, quote: u8| {
        let mut dotted = false;
        let length = bytes[start..]
            .iter()
            .take_while(|&&byte| {
                dotted |= byte == b'.';
                byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b':')
            })
            .count();
        (bytes.get(start + length) == Some(&quote)).then_some((start + length, dotted))
    };
    let mut at = 0;
    for open in opens {
        if open < at || !matches!(bytes.get(open), Some(b'"' | b'\'')) {
            continue;
        }
        let Some((close, dotted)) = literal(open + 1, bytes[open]) else { continue };
        if dotted {
            paths.push((Cow::Borrowed(&text[open + 1..close]), open));
        }
        // Adjacent literals, joined.
        let mut end = skip_blanks(bytes, close + 1);
        let mut joined: Option<String> = None;
        while let Some(&quote) = bytes.get(end).filter(|&&byte| byte == b'"' || byte == b'\'') {
            let Some((next_close, next_dotted)) = literal(end + 1, quote) else { break };
            if next_dotted {
                paths.push((Cow::Borrowed(&text[end + 1..next_close]), end));
            }
            joined.get_or_insert_with(|| text[open + 1..close].to_string()).push_str(&text[end + 1..next_close]);
            end = skip_blanks(bytes, next_close + 1);
        }
        if let Some(joined) = joined.filter(|joined| joined.contains('.')) {
            paths.push((Cow::Owned(joined), open));
        }
        at = end;
    }
    paths.retain(|(path, _)| path.matches(':').count() <= 1 && path.split(['.', ':']).all(|part| !part.is_empty()));
    paths.sort_unstable();
    paths.dedup();
    paths
}

/// Whether the string literal whose quote is at `open` is assigned to a
/// name (`TARGET = "app.hub.create"`, `target: str = …`, a keyword
/// argument `target="…"`, also inside brackets opened after the `=`): a
/// constant, which other code (another file) may hand to `patch`.
pub fn assigned_literal(bytes: &[u8], open: usize) -> bool {
    let mut at = open;
    // The literal's prefix (`r"…"`, `b'…'`).
    while at > 0 && open - at < 2 && bytes[at - 1].is_ascii_alphabetic() {
        at -= 1;
    }
    while at > 0 && matches!(bytes[at - 1], b' ' | b'\t' | b'\r' | b'\n' | b'(') {
        at -= 1;
    }
    at > 0 && bytes[at - 1] == b'=' && !(at > 1 && matches!(bytes[at - 2], b'=' | b'!' | b'<' | b'>'))
}

/// Whether the text calls something that may replace attributes by a
/// dotted path: a name holding `patch` (`patch(`, `mocker.patch(`,
/// `patch.object(`, a helper `_patch_factory(`) or `setattr`/`delattr`,
/// followed by `(` or `.`. Only the import of `patch` (`from unittest.mock
/// import patch`) or a `monkeypatch` parameter is no such call.
pub fn calls_a_patcher(bytes: &[u8]) -> bool {
    [&b"patch"[..], b"setattr", b"delattr"].iter().any(|word| {
        memchr::memmem::find_iter(bytes, word).any(|at| {
            let end = at + bytes[at..].iter().take_while(|&&byte| is_name_byte(byte)).count();
            let next = bytes[end..].iter().find(|&&byte| byte != b' ' && byte != b'\t');
            matches!(next, Some(b'(' | b'.'))
        })
    })
}

/// Whether the name or keyword `word` starts at `at` (not the start of a
/// longer name).
pub fn word_at(bytes: &[u8], at: usize, word: &[u8]) -> bool {
    bytes.get(at..).is_some_and(|rest| rest.starts_with(word))
        && !bytes.get(at + word.len()).is_some_and(|&byte| is_name_byte(byte))
}

/// The words of a text's import statements, as a Bloom filter: what is
/// kept of a text no longer at hand to answer "may it import from a module
/// named `hub`?" (an import of a module names its last part in the
/// statement). A statement's words are those of its lines, from the start
/// of the line it begins on (back over lines continued with `\`) to the end
/// of its last (through the brackets it opens); `import` in a string or a
/// comment only adds words. A false positive only turns a no into a yes
/// (about 1 in 100 for a hundred words: two bits of [`IMPORT_WORD_BITS`]
/// per word); a fixed set of bits needs neither a sort nor a growing list,
/// which the sorted hashes it replaced took for every file of a workspace.
#[derive(Debug, Clone, Default)]
pub struct ImportWords {
    /// `None` when the text imports nothing.
    bits: Option<Box<[u64; IMPORT_WORD_BITS / 64]>>,
    /// The text may spell a name with letters NFKC folds to ASCII: it may
    /// hold any word.
    any: bool,
}

/// The size of an [`ImportWords`] filter, in bits (256 bytes).
const IMPORT_WORD_BITS: usize = 2048;

impl ImportWords {
    pub fn of(bytes: &[u8]) -> ImportWords {
        Self::of_checked(bytes, may_hide_ascii_names(bytes))
    }

    /// [`Self::of`] for bytes whose `may_hide_ascii_names` is known.
    pub fn of_checked(bytes: &[u8], hides_names: bool) -> ImportWords {
        if hides_names {
            return ImportWords { bits: None, any: true };
        }
        static IMPORT: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"import"));
        let mut bits: Option<Box<[u64; IMPORT_WORD_BITS / 64]>> = None;
        let mut done = 0;
        for at in IMPORT.find_iter(bytes) {
            let after = at + b"import".len();
            if at < done || !is_whole_word(bytes, at, after) {
                continue;
            }
            let bits = bits.get_or_insert_with(|| Box::new([0; IMPORT_WORD_BITS / 64]));
            let mut add = |word: &[u8]| {
                for bit in word_bits(word_hash(word)) {
                    bits[bit / 64] |= 1 << (bit % 64);
                }
            };
            let start = statement_start(bytes, at).max(done);
            for_each_word(&bytes[start..after], &mut add);
            done = words_to_statement_end(bytes, after, &mut add);
        }
        ImportWords { bits, any: false }
    }

    /// Whether the text may spell a name with letters NFKC folds to ASCII
    /// (`may_hide_ascii_names`).
    pub fn may_hide_ascii_names(&self) -> bool {
        self.any
    }

    /// Whether an import statement of the text may hold `word`.
    pub fn may_hold(&self, word: &[u8]) -> bool {
        self.any || self.holds_hash(word_hash(word))
    }

    /// Whether an import statement of the text may hold one of `words`.
    pub fn may_hold_any(&self, words: &WordHashes) -> bool {
        !words.0.is_empty() && (self.any || words.0.iter().any(|&hash| self.holds_hash(hash)))
    }

    fn holds_hash(&self, hash: u64) -> bool {
        self.bits.as_ref().is_some_and(|bits| word_bits(hash).iter().all(|&bit| bits[bit / 64] & 1 << (bit % 64) != 0))
    }
}

/// Words hashed as [`ImportWords`] keeps them, for the test of many texts'
/// words against the same few ([`ImportWords::may_hold_any`]).
#[derive(Debug, Clone, Default)]
pub struct WordHashes(Vec<u64>);

impl WordHashes {
    pub fn of<'a>(words: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut hashes: Vec<u64> = words.into_iter().map(word_hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        WordHashes(hashes)
    }
}

fn word_hash(word: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one(word)
}

/// The two bits of [`ImportWords`] a word's hash sets: from its high half
/// and its low half.
fn word_bits(hash: u64) -> [usize; 2] {
    [(hash >> 32) as usize % IMPORT_WORD_BITS, hash as u32 as usize % IMPORT_WORD_BITS]
}

/// The start of the line holding `at`, back over the lines that end with a
/// `\` continuing onto the next.
fn statement_start(bytes: &[u8], at: usize) -> usize {
    let line_start = |at: usize| memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |newline| newline + 1);
    let mut start = line_start(at);
    while start > 0 {
        let previous = &bytes[..start - 1];
        let previous = previous.strip_suffix(b"\r").unwrap_or(previous);
        if !previous.ends_with(b"\\") {
            break;
        }
        start = line_start(start - 1);
    }
    start
}

/// The end of the statement going on at `from`: the first line end outside
/// brackets opened since and not after a `\`. A comment's brackets count
/// for nothing (`from hub import (  # a, b)` goes on to the next line).
pub fn statement_end(bytes: &[u8], from: usize) -> usize {
    words_to_statement_end(bytes, from, |_| {})
}

/// [`statement_end`], calling `each` with the words on the way
/// ([`for_each_word`] of `from..end`, comments included): one pass over the
/// bytes for `ImportWords`.
fn words_to_statement_end(bytes: &[u8], from: usize, mut each: impl FnMut(&[u8])) -> usize {
    let mut depth = 0usize;
    let mut at = from;
    while let Some(&byte) = bytes.get(at) {
        if is_name_byte(byte) {
            let start = at;
            while at < bytes.len() && is_name_byte(bytes[at]) {
                at += 1;
            }
            each(without_bom(&bytes[start..at]));
            continue;
        }
        match byte {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'#' => {
                let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |newline| at + newline);
                for_each_word(&bytes[at..end], &mut each);
                at = end;
                continue;
            }
            b'\n' if depth == 0 => {
                let line = &bytes[..at];
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if !line.ends_with(b"\\") {
                    return at;
                }
            }
            _ => {}
        }
        at += 1;
    }
    bytes.len()
}

/// `bytes` (lossily decoded) in NFKC form, for a byte search that must see
/// the names Python sees.
pub fn normalized_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).nfkc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    #[test]
    fn quoted_dotted_paths_are_whole_literals_alone_and_joined() {
        let text = r#"import importlib
_ROUTE = "app.routes.hub"
"""Where the hub lives."""
hub = importlib.import_module('app.routes.other')
patch("app.routes." "hub.create", "not a.path", "x")  # "app.in_comment"
patch.multiple(
    r"app.routes.split"
    ".create_websocket_manager",
)
ENTRY = "app.hub:create"
BAD = ["a..b", ".a", "a.", "a:b:c", "nodots", f"{_ROUTE}.create"]
"#;
        let quotes = |text: &str| memchr::memchr2_iter(b'"', b'\'', text.as_bytes()).collect::<Vec<usize>>();
        let paths: Vec<String> =
            quoted_dotted_paths(text, quotes(text)).into_iter().map(|(path, _)| path.into_owned()).collect();
        assert_eq!(
            paths,
            [
                "app.hub:create",
                "app.in_comment",
                "app.routes.hub",
                "app.routes.hub.create",
                "app.routes.other",
                "app.routes.split",
                "app.routes.split.create_websocket_manager",
                "hub.create",
            ]
        );
        // A literal's own text is borrowed, a joined one built.
        let one = "x = 'a.b'";
        assert!(matches!(quoted_dotted_paths(one, quotes(one)).as_slice(), [(Cow::Borrowed("a.b"), 4)]));
        assert!(quoted_dotted_paths("'unclosed.path", [0]).is_empty());
        // Only literals opening where asked: not the second one here.
        assert_eq!(quoted_dotted_paths("f('a.b', 'c.d')", [2]), [(Cow::Borrowed("a.b"), 2)]);
        assert!(quoted_dotted_paths("x = 1", [2, 99]).is_empty(), "offsets that hold no quote");
    }

    #[test]
    fn a_literal_is_assigned_after_an_equals_sign_not_a_comparison() {
        let assigned = |text: &str| assigned_literal(text.as_bytes(), text.find(['"', '\'']).unwrap());
        for text in ["T = 'a.b'", "T: str = r'a.b'", "patch(target=\"a.b\")", "T = (\n    'a.b'\n)"] {
            assert!(assigned(text), "{text}");
        }
        for text in ["['a.b']", "x == 'a.b'", "x != 'a.b'", "f('a.b')", "'a.b'", "x <= 'a.b'", "{'k': 'a.b'}"] {
            assert!(!assigned(text), "{text}");
        }
    }

    #[test]
    fn a_patcher_is_called_not_only_imported() {
        for text in [
            "@patch('a.b')",
            "mocker.patch ('a.b')",
            "with patch.object(m, 'x'):",
            "_patch_factory(p)",
            "setattr(m, 'x', 1)",
            "monkeypatch.setattr('a.b', 1)",
        ] {
            assert!(calls_a_patcher(text.as_bytes()), "{text}");
        }
        for text in [
            "from unittest.mock import patch, AsyncMock",
            "def test(monkeypatch):\n    pass",
            "PATHS = ['a.b']  # patches nothing",
            "hasattr(m, 'x')",
        ] {
            assert!(!calls_a_patcher(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn fullwidth_and_mathematical_letters_fold_to_ascii() {
        assert_eq!(normalize("ｃreate_websocket_manager"), "create_websocket_manager");
        assert_eq!(normalize("𝐜reate"), "create");
        assert!(matches!(normalize("create"), Cow::Borrowed(_)));
        assert_eq!(normalize("café"), "café", "composed letters stay what they are");
        assert!(may_hide_ascii_names("x = ｃreate()".as_bytes()));
        assert!(!may_hide_ascii_names("s = 'café, 日本語, 🎉'".as_bytes()));
        assert!(!may_hide_ascii_names(b"import os\n"));
    }

    /// The reading of `may_hide_ascii_names` before it skipped ASCII runs:
    /// every character of the lossily decoded text.
    fn hides_by_decoding_everything(bytes: &[u8]) -> bool {
        String::from_utf8_lossy(bytes).chars().filter(|c| !c.is_ascii()).any(folds_to_name_characters)
    }

    #[test]
    fn characters_that_fold_are_found_wherever_they_stand() {
        let long = format!("{}\u{ff43}reate()", "x = '\u{2014}'\n".repeat(40));
        assert!(may_hide_ascii_names(long.as_bytes()), "past the first blocks");
        assert!(may_hide_ascii_names(b"\xff\xfe x = \xef\xbd\x83"), "after bytes that are not UTF-8");
        assert!(!may_hide_ascii_names(b"\xe2\x82A\xf5\x80\x80\x80 \xc0\xaf"), "broken sequences fold to nothing");
    }

    proptest::proptest! {
        #[test]
        fn skipping_ascii_runs_answers_as_decoding_everything(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[a-z_ =()\n]{0,300}").unwrap().prop_map(String::into_bytes),
                    proptest::sample::select(vec!["é", "—", "🚀", "✅", "日本", "ｃ", "𝐜", "ﬁ", "²", "\u{feff}"])
                        .prop_map(|text| text.as_bytes().to_vec()),
                    proptest::collection::vec(128u8.., 1..4),
                ],
                0..12,
            )
        ) {
            let bytes: Vec<u8> = pieces.concat();
            proptest::prop_assert_eq!(may_hide_ascii_names(&bytes), hides_by_decoding_everything(&bytes));
        }
    }

    #[test]
    fn a_word_is_a_whole_name() {
        let finder = memchr::memmem::Finder::new("make");
        for text in ["make", "from .hub import make\n", "hub.make(ctx)", "x = [make]", "(make,"] {
            assert!(names_word(text.as_bytes(), &finder), "{text}");
        }
        for text in ["", "make_manager", "remake", "_make", "make1", "mak", "émake", "makeé"] {
            assert!(!names_word(text.as_bytes(), &finder), "{text}");
        }
        assert!(names_word(b"remake = make", &finder), "a later occurrence counts");
        assert!(names_word("\u{feff}make = 1\n".as_bytes(), &finder), "a BOM is no part of a name");
        assert!(!names_word("\u{feff}remake = 1\n".as_bytes(), &finder));
        let names = names_search([&b"make"[..], b"hub"]).unwrap();
        assert!(names_any_word(b"remake = hub.x", &names));
        assert!(!names_any_word(b"remake = hubs.x; makes", &names));
        // A name that starts another is no hiding place for the longer one.
        let names = names_search([&b"manager"[..], b"manager_v2"]).unwrap();
        assert!(names_any_word(b"from . import manager_v2\n", &names));
        assert!(names_any_word(b"x = managers + manager\n", &names));
        assert!(!names_any_word(b"x = manager_v3\n", &names));
        assert!(names_search(std::iter::empty()).is_none());
    }

    #[test]
    fn the_name_byte_table_and_word_runs_read_as_python_names() {
        for byte in 0..=255u8 {
            let name = byte.is_ascii_alphanumeric() || byte == b'_' || !byte.is_ascii();
            assert_eq!(is_name_byte(byte), name, "{byte}");
        }
        for text in ["", "from a.b import (c,\n  d_2)  # é x", "__init__", ".,( ", "x"] {
            let mut words = Vec::new();
            for_each_word(text.as_bytes(), |word| words.push(word.to_vec()));
            let expected: Vec<Vec<u8>> = text
                .as_bytes()
                .split(|&byte| !is_name_byte(byte))
                .filter(|word| !word.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            assert_eq!(words, expected, "{text:?}");
        }
    }

    /// `statement_end` as it was, a byte at a time.
    fn reference_statement_end(bytes: &[u8], from: usize) -> usize {
        let mut depth = 0usize;
        let mut at = from;
        while let Some(&byte) = bytes.get(at) {
            match byte {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b'#' => {
                    at += memchr::memchr(b'\n', &bytes[at..]).unwrap_or(bytes.len() - at);
                    continue;
                }
                b'\n' if depth == 0 && !bytes[..at].strip_suffix(b"\r").unwrap_or(&bytes[..at]).ends_with(b"\\") => {
                    return at;
                }
                _ => {}
            }
            at += 1;
        }
        bytes.len()
    }

    proptest::proptest! {
        /// The one pass finds the end a byte-by-byte reading finds, and the
        /// words of the bytes up to it.
        #[test]
        fn one_pass_reads_the_words_and_end_of_two(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "import", " ", "\n", "\r\n", "\\", "(", ")", "[", "}", "#", "a", "b_2", "é", ",", ".", "from",
            ]), 0..30),
        ) {
            let text = pieces.concat();
            let bytes = text.as_bytes();
            for from in 0..=bytes.len() {
                let mut words = Vec::new();
                let end = words_to_statement_end(bytes, from, |word| words.push(word.to_vec()));
                proptest::prop_assert_eq!(end, reference_statement_end(bytes, from));
                let mut expected = Vec::new();
                for_each_word(&bytes[from..end], |word| expected.push(word.to_vec()));
                proptest::prop_assert_eq!(words, expected);
            }
        }
    }

    #[test]
    fn import_words_hold_the_words_of_import_statements() {
        let text = "\"\"\"Docs.\"\"\"\nimport os, app.first as f\nfrom app.second import (\n    one,\n    two,\n)\n\
                    x = compute(third)\nfrom app \\\r\n    import fourth\ndef g():\n    from .fifth import six; y = seven\n\
                    z = reimport(eight)\n";
        let words = ImportWords::of(text.as_bytes());
        for word in ["os", "app", "first", "f", "second", "one", "two", "fourth", "fifth", "six", "seven"] {
            assert!(words.may_hold(word.as_bytes()), "{word}");
        }
        for word in ["Docs", "x", "compute", "third", "g", "z", "reimport", "eight"] {
            assert!(!words.may_hold(word.as_bytes()), "{word}");
        }
        assert!(!ImportWords::of(b"").may_hold(b"import"));
        let hubs = WordHashes::of([&b"elsewhere"[..], b"hub"]);
        assert!(ImportWords::of(b"from app.hub import make\n").may_hold_any(&hubs));
        assert!(!ImportWords::of(b"from app.other import make\nhub = 1\n").may_hold_any(&hubs));
        assert!(ImportWords::of("from ｈub import x\n".as_bytes()).may_hold(b"hub"), "NFKC");
        let unclosed = ImportWords::of(b"from hub import (a,\n b");
        assert!(unclosed.may_hold(b"b"), "to the end of the text");
        let commented = ImportWords::of(b"from . import (  # see (x) and y)\n    hub,\n)\n");
        assert!(commented.may_hold(b"hub"), "a comment's bracket closes nothing");
        let bom = ImportWords::of("\u{feff}import hub\n".as_bytes());
        assert!(bom.may_hold(b"hub") && bom.may_hold(b"import"), "a first import after a BOM");
        assert!(ImportWords::of("\u{feff}from hub import x\n".as_bytes()).may_hold(b"from"));
    }

    #[test]
    fn blanks_between_tokens_are_skipped() {
        let text = b"make  \\\n  # why (\n  (x) as";
        assert_eq!(text[skip_blanks(text, 4)], b'(');
        assert_eq!(skip_blanks(text, text.len()), text.len());
        assert!(word_at(text, text.len() - 2, b"as"));
        assert!(!word_at(b"x asx", 2, b"as") && !word_at(b"x a", 2, b"as"));
    }
}
