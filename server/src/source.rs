//! Reads one Python file from disk for a check and says what it holds: the
//! one way the CLI (`check`, `--fix`), the server's workspace scan, its
//! re-check of closed files and its workspace fix read a file.
//!
//! The order is fixed: read the bytes, ask the rules' prefilter (on the raw
//! bytes, with the path for package-scoped triggers), and only for a file
//! that may match, refuse a NUL byte and then anything that is not UTF-8.
//! A file no rule can match is never validated further, so a binary file
//! without a trigger is quietly not checked. Whether the path is one to check
//! at all (`.gitignore`, `exclude`, hidden) is decided before, by the walk or
//! `path_class::classify_path`; this module never writes.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;

use crate::line_index::LineIndex;
use crate::rules::{Prefiltered, RuleSet};

/// What a file read for a check holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// UTF-8 text in which some rule may match: check it.
    Text(String),
    /// No rule's trigger appears in it: nothing to check.
    NoTrigger,
    /// Not Python source: skipped, for the reason given.
    Skipped(SkipReason),
}

/// Why a file that may match is not checked (nor ever written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    /// CPython refuses such source ("source code cannot contain null bytes"):
    /// it is data (a binary file named `.py`), even when valid UTF-8.
    #[error("skipped: a NUL byte at byte {offset}: not Python source (a binary file?)")]
    NulByte { offset: usize },
    /// Only UTF-8 files are checked or fixed; `declared` is the PEP 263
    /// cookie's encoding, if the file has one.
    #[error("skipped: not valid UTF-8 at byte {offset} (line {line}, column {column}){}", declared_suffix(.declared))]
    NotUtf8 { offset: usize, line: usize, column: usize, declared: Option<String> },
}

fn declared_suffix(declared: &Option<String>) -> String {
    match declared {
        Some(encoding) => {
            format!("; the file declares `coding: {encoding}`, and only UTF-8 files are checked or fixed")
        }
        None => String::new(),
    }
}

/// What a file read for a check holds, borrowed from the reading thread's
/// buffer ([`read_source_with`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceRef<'a> {
    /// UTF-8 text in which some rule may match: check it.
    Text(&'a str),
    /// No rule's trigger appears in it: nothing to check.
    NoTrigger,
    /// Not Python source: skipped, for the reason given.
    Skipped(SkipReason),
}

impl SourceRef<'_> {
    /// The owned form.
    pub fn to_source(&self) -> Source {
        match self {
            SourceRef::Text(text) => Source::Text((*text).to_owned()),
            SourceRef::NoTrigger => Source::NoTrigger,
            SourceRef::Skipped(reason) => Source::Skipped(reason.clone()),
        }
    }
}

/// Reads `path` and says what it holds (see the module header for the order).
pub fn read_source(rules: &RuleSet, path: &Path) -> std::io::Result<Source> {
    read_source_with(rules, path, &|_, _| false, |read| read.map(|source| source.to_source()))
}

/// Reads `path` and hands what it holds to `visit`, the text borrowed from
/// a buffer kept per thread: most files hold no trigger, and a check that
/// finds nothing in the others need not copy them either (the check of a
/// 10,000-file tree copied 26 MB into fresh pages: 1,500 of its 9,500 page
/// faults). A `visit` that reads another file on the same thread gets a
/// buffer of its own for it. A file without a trigger string that `also`
/// accepts counts as one some rule may match (a file that may import a
/// re-export hub's alias of a deprecated name, which no trigger string
/// matches). `also` gets the bytes and whether they may hide ASCII names
/// (`identifiers::may_hide_ascii_names`, which the prefilter asked).
pub fn read_source_with<R>(
    rules: &RuleSet,
    path: &Path,
    also: &dyn Fn(&[u8], bool) -> bool,
    visit: impl FnOnce(std::io::Result<SourceRef<'_>>) -> R,
) -> R {
    read_bytes_with(path, |read| visit(read.map(|bytes| classify_bytes(rules, path, bytes, also))))
}

/// Reads `path` and hands its bytes to `visit`, borrowed from the thread's
/// buffer (see `read_source_with`).
pub fn read_bytes_with<R>(path: &Path, visit: impl FnOnce(std::io::Result<&[u8]>) -> R) -> R {
    thread_local! {
        static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    let read_with = |buffer: &mut Vec<u8>| {
        let read = std::fs::File::open(path).and_then(|mut file| read_into(&mut file, buffer));
        visit(read.map(|range| &buffer[range]))
    };
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => {
            let result = read_with(&mut buffer);
            if buffer.len() > KEPT_BUFFER_BYTES {
                // A buffer grown for one huge file is not kept.
                *buffer = Vec::new();
            }
            result
        }
        Err(_) => read_with(&mut Vec::new()),
    })
}

/// Reads all of `reader` into `buffer` and returns where in it the bytes
/// are. The buffer's bytes are all initialised and kept between files (it
/// only grows), so a file costs its `read` calls and nothing else:
/// `Read::read_to_end` on a `File` first asks the file's size and position
/// (`statx` and `lseek`: two system calls per file).
///
/// The bytes start where the buffer's address sits [`READ_PAGE_OFFSET`]
/// bytes into a page ([`read_start`]).
fn read_into(reader: &mut impl Read, buffer: &mut Vec<u8>) -> std::io::Result<std::ops::Range<usize>> {
    if buffer.is_empty() {
        buffer.resize(FIRST_BUFFER_BYTES, 0);
    }
    let mut start = read_start(buffer);
    let mut filled = start;
    loop {
        if filled == buffer.len() {
            buffer.resize(buffer.len() * 2, 0);
            // The grown buffer may sit elsewhere: its bytes move to its own start.
            let moved = read_start(buffer);
            buffer.copy_within(start..filled, moved);
            filled = moved + (filled - start);
            start = moved;
        }
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => return Ok(start..filled),
            Ok(count) => filled += count,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
}

/// Where in `buffer` a read starts: the first index whose address sits
/// [`READ_PAGE_OFFSET`] bytes into a page.
///
/// The kernel copies a file from its page-aligned cache with `rep movsb`;
/// when the destination sits 1 to 31 bytes past a page boundary, each store
/// lands just ahead of a load a page apart (4K aliasing), and the copy takes
/// twice as long. glibc hands out a buffer as large as this one 16 bytes
/// into a fresh mapping: the check of a 10,000-file tree spent 272 ms of
/// system time, 170 ms once the bytes were read half a page in.
fn read_start(buffer: &[u8]) -> usize {
    READ_PAGE_OFFSET.wrapping_sub(buffer.as_ptr() as usize) % PAGE_BYTES
}

/// The page size the kernel copies files in.
const PAGE_BYTES: usize = 4096;

/// How far into a page a read's destination starts ([`read_start`]).
const READ_PAGE_OFFSET: usize = PAGE_BYTES / 2;

/// The size a thread's read buffer starts at (most source files are smaller).
const FIRST_BUFFER_BYTES: usize = 256 << 10;

/// The largest read buffer a thread keeps between files.
const KEPT_BUFFER_BYTES: usize = 4 << 20;

/// What the bytes of the file at `path` hold, in `read_source`'s order.
pub fn classify_source(rules: &RuleSet, path: &Path, bytes: Vec<u8>) -> Source {
    classify_bytes(rules, path, &bytes, &|_, _| false).to_source()
}

fn classify_bytes<'a>(
    rules: &RuleSet,
    path: &Path,
    bytes: &'a [u8],
    also: &dyn Fn(&[u8], bool) -> bool,
) -> SourceRef<'a> {
    if let Prefiltered::NoTrigger { hides_names } = rules.look_at_file(path, bytes) {
        if !also(bytes, hides_names) {
            return SourceRef::NoTrigger;
        }
    }
    if let Some(offset) = memchr::memchr(0, bytes) {
        return SourceRef::Skipped(SkipReason::NulByte { offset });
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => SourceRef::Text(text),
        Err(error) => SourceRef::Skipped(not_utf8(bytes, error.valid_up_to())),
    }
}

/// Where the first byte that is not UTF-8 sits, and the encoding the file
/// declares (PEP 263) if any.
fn not_utf8(bytes: &[u8], offset: usize) -> SkipReason {
    // The bytes before `offset` are UTF-8 (`valid_up_to`).
    let before = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
    let (line, column) = LineIndex::new(before).line_column(before, before.len());
    SkipReason::NotUtf8 { offset, line, column, declared: declared_encoding(bytes) }
}

/// The encoding named by a PEP 263 cookie (`# -*- coding: latin-1 -*-`) on
/// the first or second line.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|&byte| byte == b'\n').take(2) {
        let line = String::from_utf8_lossy(line);
        let Some(comment) = line.trim_start_matches([' ', '\t', '\x0c']).strip_prefix('#') else { continue };
        let Some(index) = comment.find("coding") else { continue };
        let rest = &comment[index + "coding".len()..];
        let Some(rest) = rest.strip_prefix([':', '=']) else { continue };
        let name: String = rest
            .trim_start_matches([' ', '\t'])
            .chars()
            .take_while(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'))
            .collect();
        if !name.is_empty() {
            return Some(name);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMPORT: &str =
        "from netra_backend.app.websocket_core.websocket_manager_factory import create_websocket_manager\n";

    fn classify(bytes: &[u8]) -> Source {
        classify_source(&RuleSet::builtin(), Path::new("pkg/mod.py"), bytes.to_vec())
    }

    #[test]
    fn names_the_declared_encoding_and_the_first_bad_byte() {
        let latin = b"# -*- coding: latin-1 -*-\ns = 'caf\xe9'\n";
        let error = String::from_utf8(latin.to_vec()).unwrap_err();
        let message = not_utf8(latin, error.utf8_error().valid_up_to()).to_string();
        assert_eq!(
            message,
            "skipped: not valid UTF-8 at byte 34 (line 2, column 9); the file declares `coding: latin-1`, and only UTF-8 files are checked or fixed"
        );
        assert_eq!(
            declared_encoding(b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n"),
            Some("cp1252".into())
        );
        assert_eq!(declared_encoding(b"x = 1\n\n# coding: latin-1\n"), None, "only the first two lines count");
        assert_eq!(not_utf8(b"\xff", 0).to_string(), "skipped: not valid UTF-8 at byte 0 (line 1, column 1)");
        let lone_cr = not_utf8(b"x = 1\r\xe9", 6);
        assert_eq!(
            lone_cr,
            SkipReason::NotUtf8 { offset: 6, line: 2, column: 1, declared: None },
            "a lone CR ends a line"
        );
    }

    #[test]
    fn reading_into_the_kept_buffer_grows_it_and_starts_half_a_page_in() {
        let at_page_offset =
            |buffer: &[u8], range: &std::ops::Range<usize>| (buffer.as_ptr() as usize + range.start) % PAGE_BYTES;
        let mut buffer = Vec::new();
        let long: Vec<u8> = (0..FIRST_BUFFER_BYTES * 3 + 7).map(|at| (at % 251) as u8).collect();
        let range = read_into(&mut long.as_slice(), &mut buffer).unwrap();
        assert_eq!(&buffer[range.clone()], long.as_slice());
        assert!(buffer.len() > FIRST_BUFFER_BYTES * 3, "grown: {}", buffer.len());
        assert_eq!(at_page_offset(&buffer, &range), READ_PAGE_OFFSET);
        let range = read_into(&mut &b"short"[..], &mut buffer).unwrap();
        assert_eq!(&buffer[range.clone()], b"short");
        assert_eq!(at_page_offset(&buffer, &range), READ_PAGE_OFFSET);
        assert!(read_into(&mut &b""[..], &mut buffer).unwrap().is_empty());
    }

    #[test]
    fn a_reused_read_buffer_never_leaks_an_earlier_file() {
        let folder = tempfile::tempdir().unwrap();
        let rules = RuleSet::builtin();
        let long = folder.path().join("long.py");
        std::fs::write(&long, format!("{IMPORT}{}", "x = 1\n".repeat(10_000))).unwrap();
        let short = folder.path().join("short.py");
        std::fs::write(&short, IMPORT).unwrap();
        let plain = folder.path().join("plain.py");
        std::fs::write(&plain, "y = 2\n").unwrap();
        let huge = folder.path().join("huge.py");
        std::fs::write(&huge, format!("{IMPORT}{}", "z = 3\n".repeat(KEPT_BUFFER_BYTES / 6 + 1))).unwrap();
        for path in [&long, &short, &plain, &huge, &short] {
            let expected = classify_source(&rules, path, std::fs::read(path).unwrap());
            assert_eq!(read_source(&rules, path).unwrap(), expected, "{path:?}");
        }
        assert_eq!(read_source(&rules, &short).unwrap(), Source::Text(IMPORT.to_string()));
        assert!(read_source(&rules, &folder.path().join("missing.py")).is_err());
    }

    #[test]
    fn a_read_within_a_read_gets_a_buffer_of_its_own() {
        let folder = tempfile::tempdir().unwrap();
        let rules = RuleSet::builtin();
        let outer = folder.path().join("outer.py");
        std::fs::write(&outer, format!("{IMPORT}x = 1\n")).unwrap();
        let inner = folder.path().join("inner.py");
        std::fs::write(&inner, IMPORT).unwrap();
        let (outer_text, inner_text) = read_source_with(&rules, &outer, &|_, _| false, |read| {
            let inner_text = read_source_with(&rules, &inner, &|_, _| false, |read| read.unwrap().to_source());
            (read.unwrap().to_source(), inner_text)
        });
        assert_eq!(outer_text, Source::Text(format!("{IMPORT}x = 1\n")));
        assert_eq!(inner_text, Source::Text(IMPORT.to_string()));
    }

    #[test]
    fn the_prefilter_comes_before_the_nul_and_utf8_checks() {
        assert_eq!(classify(b"x = 1\0\xff\n"), Source::NoTrigger, "no trigger: not validated");
        let mut binary = IMPORT.as_bytes().to_vec();
        binary.extend_from_slice(b"\0\xff");
        assert_eq!(classify(&binary), Source::Skipped(SkipReason::NulByte { offset: IMPORT.len() }));
        let mut latin = IMPORT.as_bytes().to_vec();
        latin.extend_from_slice(b"s = '\xe9'\n");
        let expected = SkipReason::NotUtf8 { offset: IMPORT.len() + 5, line: 2, column: 6, declared: None };
        assert_eq!(classify(&latin), Source::Skipped(expected));
        assert_eq!(classify(IMPORT.as_bytes()), Source::Text(IMPORT.to_string()));
    }
}
