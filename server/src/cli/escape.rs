//! File names and messages made safe to print: a name may hold any byte but
//! `/` and NUL, so a newline could forge a finding line, an escape sequence
//! could drive the terminal, and two names differing only in bytes that are
//! not UTF-8 would print alike.
//!
//! `display_path` is for people (text, concise, GitHub, JSON, diffs,
//! warnings): printable characters as they are, everything else escaped
//! Rust-style, so distinct names print distinctly. `uri_path` is for SARIF:
//! RFC 3986 percent-encoding of the raw bytes.

use std::fmt::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use percent_encoding::{percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Bytes a URI path keeps as they are: RFC 3986's unreserved characters and
/// the segment separator.
const URI_PATH: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// A path as printed: control characters, bidirectional-text controls and a
/// backslash escaped (`\n`, `\u{1b}`, `\\`), bytes that are not UTF-8 as
/// `\xff`. Two different paths never print alike.
pub fn display_path(path: &Path) -> String {
    let bytes = path.as_os_str().as_bytes();
    // Most names are printable ASCII: nothing to escape (and `check` makes
    // one name per walked file).
    if let Some(plain) = std::str::from_utf8(bytes)
        .ok()
        .filter(|name| name.bytes().all(|byte| (byte.is_ascii_graphic() || byte == b' ') && byte != b'\\'))
    {
        return plain.to_string();
    }
    let mut out = String::new();
    for chunk in path.as_os_str().as_bytes().utf8_chunks() {
        escape_into(&mut out, chunk.valid(), true);
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// A one-line message as printed: control and bidirectional-text characters
/// escaped, so nothing in it (a file name from the walk, an OS error) can
/// start a line or drive the terminal.
pub fn display_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    escape_into(&mut out, message, false);
    out
}

/// A relative path as a SARIF artifact URI: every byte outside unreserved
/// characters and `/` percent-encoded.
pub fn uri_path(path: &Path) -> String {
    percent_encode(path.as_os_str().as_bytes(), URI_PATH).to_string()
}

fn escape_into(out: &mut String, text: &str, escape_backslash: bool) {
    for c in text.chars() {
        match c {
            '\\' if escape_backslash => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || is_bidi_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// Characters that reorder the text around them on screen ("Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn distinct_names_print_distinctly_and_on_one_line() {
        let name = |bytes: &[u8]| display_path(Path::new(OsStr::from_bytes(bytes)));
        assert_eq!(name(b"pkg/m.py"), "pkg/m.py");
        assert_eq!(name("pkg/é.py".as_bytes()), "pkg/é.py");
        assert_eq!(name(b"a\nb.py"), "a\\nb.py");
        assert_eq!(name(b"\x1b[31mred.py"), "\\u{1b}[31mred.py");
        assert_eq!(name(b"bad\xff.py"), "bad\\xff.py");
        assert_ne!(name(b"bad\xff.py"), name(b"bad\xfe.py"));
        assert_ne!(name(b"bad\xff.py"), name(b"bad\\xff.py"), "a literal backslash is escaped too");
        assert_eq!(name("x\u{202e}yp.py".as_bytes()), "x\\u{202e}yp.py");
        assert_eq!(display_message("a\nb\u{1b}c"), "a\\nb\\u{1b}c");
    }

    #[test]
    fn uris_are_percent_encoded_byte_for_byte() {
        let uri = |bytes: &[u8]| uri_path(Path::new(OsStr::from_bytes(bytes)));
        assert_eq!(uri(b"pkg/m_1-2.py"), "pkg/m_1-2.py");
        assert_eq!(uri(b"a b#?%.py"), "a%20b%23%3F%25.py");
        assert_eq!(uri(b"bad\xff\n.py"), "bad%FF%0A.py");
        assert_eq!(uri("é.py".as_bytes()), "%C3%A9.py");
    }
}
