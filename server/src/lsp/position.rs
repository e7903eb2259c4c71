//! Every conversion between the engine's byte offsets and LSP positions.
//!
//! The engine speaks byte offsets into the text; LSP speaks `(line, character)`
//! where lines end at `\n`, `\r\n` or `\r` and characters count code units of
//! the negotiated encoding. All conversions go through a `ropey::Rope` built
//! with `cr_lines` only (no Unicode line breaks), so its lines are LSP's lines.
//! This module also computes the tree-sitter `Point`s of an edit: rows split
//! where the parser's copy of the text has `\n` (a `\n`, or a lone `\r`: see
//! `syntax::lone_cr_as_lf`), columns in bytes; points never leave the server.
//!
//! Clamping: a character past the end of a line means the end of the line
//! (before its line break), a line past the end of the text means the end of
//! the text, and a position never lands between `\r` and `\n` or inside a
//! character.

use ropey::{Rope, RopeSlice};
use tower_lsp_server::ls_types::{ClientCapabilities, Position, PositionEncodingKind, Range};
use tree_sitter::Point;

/// The position encodings the server speaks, most preferred first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum PositionEncoding {
    /// Characters are UTF-8 bytes: no conversion inside a line.
    Utf8,
    /// Characters are UTF-16 code units, the LSP default every client supports.
    #[default]
    Utf16,
}

impl PositionEncoding {
    /// All encodings in order of preference.
    const PREFERENCE: [PositionEncoding; 2] = [PositionEncoding::Utf8, PositionEncoding::Utf16];

    /// The best encoding the client offers in `general.positionEncodings`;
    /// UTF-16 when it offers none we speak (UTF-16 is mandatory).
    pub fn negotiate(capabilities: &ClientCapabilities) -> Self {
        let offered = capabilities.general.as_ref().and_then(|general| general.position_encodings.as_ref());
        let Some(offered) = offered else { return PositionEncoding::Utf16 };
        Self::PREFERENCE
            .into_iter()
            .find(|encoding| offered.iter().any(|kind| *kind == encoding.kind()))
            .unwrap_or(PositionEncoding::Utf16)
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
            PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }
}

/// Length in bytes of a line without its line break.
fn content_len(line: RopeSlice<'_>) -> usize {
    let bytes = line.len_bytes();
    if bytes == 0 {
        return 0;
    }
    match line.byte(bytes - 1) {
        b'\n' if bytes >= 2 && line.byte(bytes - 2) == b'\r' => bytes - 2,
        b'\n' | b'\r' => bytes - 1,
        _ => bytes,
    }
}

/// The byte offset of an LSP position, clamped into the text.
pub fn position_to_offset(rope: &Rope, position: Position, encoding: PositionEncoding) -> usize {
    let line_index = position.line as usize;
    if line_index >= rope.len_lines() {
        return rope.len_bytes();
    }
    let line_start = rope.line_to_byte(line_index);
    let line = rope.line(line_index);
    let content = line.byte_slice(..content_len(line));
    let character = position.character as usize;
    let column = match encoding {
        PositionEncoding::Utf8 => {
            let column = character.min(content.len_bytes());
            content.char_to_byte(content.byte_to_char(column))
        }
        PositionEncoding::Utf16 => {
            let units = character.min(content.len_utf16_cu());
            content.char_to_byte(content.utf16_cu_to_char(units))
        }
    };
    line_start + column
}

/// The LSP position of a byte offset. An offset inside a character moves to
/// the character's start; an offset inside a line break moves before it.
pub fn offset_to_position(rope: &Rope, offset: usize, encoding: PositionEncoding) -> Position {
    let offset = offset.min(rope.len_bytes());
    let line_index = rope.byte_to_line(offset);
    let line_start = rope.line_to_byte(line_index);
    let line = rope.line(line_index);
    let content = line.byte_slice(..content_len(line));
    let column_bytes = (offset - line_start).min(content.len_bytes());
    let column_chars = content.byte_to_char(column_bytes);
    let character = match encoding {
        PositionEncoding::Utf8 => content.char_to_byte(column_chars),
        PositionEncoding::Utf16 => content.char_to_utf16_cu(column_chars),
    };
    Position::new(to_u32(line_index), to_u32(character))
}

/// The LSP range of a byte range.
pub fn offsets_to_range(rope: &Rope, start: usize, end: usize, encoding: PositionEncoding) -> Range {
    Range::new(offset_to_position(rope, start, encoding), offset_to_position(rope, end.max(start), encoding))
}

/// The byte range of an LSP range; a range whose end comes before its start is
/// read as empty at its start.
pub fn range_to_offsets(rope: &Rope, range: Range, encoding: PositionEncoding) -> (usize, usize) {
    let start = position_to_offset(rope, range.start, encoding);
    let end = position_to_offset(rope, range.end, encoding);
    (start, end.max(start))
}

/// The tree-sitter point of a byte offset: rows split on `\n` and on a lone
/// `\r` (one not followed by `\n`), as the parser reads the text (see
/// `syntax::lone_cr_as_lf`); columns in bytes. Only for `Tree::edit`; never
/// sent to a client.
pub fn tree_sitter_point(rope: &Rope, offset: usize) -> Point {
    // The rope's line index (built with `cr_lines`: `\n`, `\r\n` and a lone
    // `\r` end a line, nothing else) counts the same rows, without a scan
    // from the start of the text.
    let offset = offset.min(rope.len_bytes());
    let row = rope.byte_to_line(offset);
    Point { row, column: offset - rope.line_to_byte(row) }
}

/// `tree_sitter_point` by a scan of the bytes (the test oracle).
#[cfg(test)]
fn tree_sitter_point_by_scan(rope: &Rope, offset: usize) -> Point {
    let offset = offset.min(rope.len_bytes());
    let mut row = 0;
    let mut last_line_start = 0;
    let mut index = 0;
    let mut after_cr = false;
    for chunk in rope.byte_slice(..offset).chunks() {
        for byte in chunk.bytes() {
            if after_cr && byte != b'\n' {
                row += 1;
                last_line_start = index;
            }
            if byte == b'\n' {
                row += 1;
                last_line_start = index + 1;
            }
            after_cr = byte == b'\r';
            index += 1;
        }
    }
    if after_cr && rope.get_byte(offset) != Some(b'\n') {
        row += 1;
        last_line_start = offset;
    }
    Point { row, column: offset - last_line_start }
}

fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tower_lsp_server::ls_types::GeneralClientCapabilities;

    fn capabilities(encodings: Option<Vec<PositionEncodingKind>>) -> ClientCapabilities {
        ClientCapabilities {
            general: Some(GeneralClientCapabilities { position_encodings: encodings, ..Default::default() }),
            ..Default::default()
        }
    }

    #[test]
    fn negotiates_utf8_when_offered_else_utf16() {
        use PositionEncodingKind as Kind;
        let both = capabilities(Some(vec![Kind::UTF16, Kind::UTF8]));
        assert_eq!(PositionEncoding::negotiate(&both), PositionEncoding::Utf8);
        let utf32 = capabilities(Some(vec![Kind::UTF32]));
        assert_eq!(PositionEncoding::negotiate(&utf32), PositionEncoding::Utf16);
        assert_eq!(PositionEncoding::negotiate(&capabilities(None)), PositionEncoding::Utf16);
        assert_eq!(PositionEncoding::negotiate(&ClientCapabilities::default()), PositionEncoding::Utf16);
    }

    #[test]
    fn converts_non_ascii_in_both_encodings() {
        let rope = Rope::from_str("a = \"é😀\"\nb\n");
        // `"` sits after `é` (2 bytes, 1 unit) and `😀` (4 bytes, 2 units).
        let quote = 4 + 1 + 2 + 4;
        assert_eq!(offset_to_position(&rope, quote, PositionEncoding::Utf8), Position::new(0, 11));
        assert_eq!(offset_to_position(&rope, quote, PositionEncoding::Utf16), Position::new(0, 8));
        assert_eq!(position_to_offset(&rope, Position::new(0, 8), PositionEncoding::Utf16), quote);
        assert_eq!(position_to_offset(&rope, Position::new(0, 11), PositionEncoding::Utf8), quote);
    }

    #[test]
    fn positions_inside_a_character_round_down() {
        let rope = Rope::from_str("😀x");
        assert_eq!(position_to_offset(&rope, Position::new(0, 1), PositionEncoding::Utf16), 0);
        assert_eq!(position_to_offset(&rope, Position::new(0, 2), PositionEncoding::Utf8), 0);
        assert_eq!(offset_to_position(&rope, 3, PositionEncoding::Utf16), Position::new(0, 0));
    }

    #[test]
    fn clamps_columns_and_lines() {
        let rope = Rope::from_str("ab\r\ncd\n");
        assert_eq!(position_to_offset(&rope, Position::new(0, 99), PositionEncoding::Utf16), 2);
        assert_eq!(position_to_offset(&rope, Position::new(1, 99), PositionEncoding::Utf8), 6);
        assert_eq!(position_to_offset(&rope, Position::new(2, 0), PositionEncoding::Utf8), 7);
        assert_eq!(position_to_offset(&rope, Position::new(9, 9), PositionEncoding::Utf8), 7);
    }

    #[test]
    fn never_points_between_cr_and_lf() {
        let rope = Rope::from_str("ab\r\ncd");
        assert_eq!(offset_to_position(&rope, 3, PositionEncoding::Utf16), Position::new(0, 2));
        assert_eq!(offset_to_position(&rope, 4, PositionEncoding::Utf16), Position::new(1, 0));
    }

    #[test]
    fn lone_cr_and_form_feed_follow_lsp_lines() {
        // LSP: `\r` ends a line, form feed and U+2028 do not.
        let rope = Rope::from_str("a\rb\u{c}c\u{2028}d\ne");
        assert_eq!(rope.len_lines(), 3);
        assert_eq!(offset_to_position(&rope, 2, PositionEncoding::Utf16), Position::new(1, 0));
        assert_eq!(position_to_offset(&rope, Position::new(2, 0), PositionEncoding::Utf16), rope.len_bytes() - 1);
    }

    #[test]
    fn tree_sitter_points_split_where_the_parser_sees_line_ends() {
        let rope = Rope::from_str("a\rb\r\ncd\r");
        assert_eq!(tree_sitter_point(&rope, 2), Point { row: 1, column: 0 }, "after a lone CR");
        assert_eq!(tree_sitter_point(&rope, 4), Point { row: 1, column: 2 }, "between CR and LF");
        assert_eq!(tree_sitter_point(&rope, 6), Point { row: 2, column: 1 });
        assert_eq!(tree_sitter_point(&rope, 8), Point { row: 3, column: 0 }, "a CR at the end is lone");
    }

    fn text_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just("a"), Just("é"), Just("😀"), Just("\n"), Just("\r\n"), Just("\r"), Just("中"), Just(" "),],
            0..40,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #[test]
        fn tree_sitter_points_from_the_line_index_equal_a_scan(
            parts in proptest::collection::vec(
                prop_oneof![Just("a"), Just("é"), Just("\n"), Just("\r\n"), Just("\r"), Just("\u{2028}"), Just("\u{85}"), Just("\u{b}"), Just("\u{c}")],
                0..40,
            ),
        ) {
            let text = parts.concat();
            let rope = Rope::from_str(&text);
            for offset in (0..=text.len() + 1).filter(|&i| i > text.len() || text.is_char_boundary(i)) {
                prop_assert_eq!(tree_sitter_point(&rope, offset), tree_sitter_point_by_scan(&rope, offset), "{:?} at {}", text, offset);
            }
        }

        #[test]
        fn offsets_round_trip_at_character_boundaries(text in text_strategy(), pick in any::<prop::sample::Index>()) {
            let rope = Rope::from_str(&text);
            let boundaries: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .filter(|&i| !(i > 0 && text.as_bytes()[i - 1] == b'\r' && text.as_bytes().get(i) == Some(&b'\n')))
                .collect();
            let offset = boundaries[pick.index(boundaries.len())];
            for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
                let position = offset_to_position(&rope, offset, encoding);
                prop_assert_eq!(position_to_offset(&rope, position, encoding), offset);
            }
        }

        #[test]
        fn the_rope_the_parser_and_the_cli_count_the_same_lines(text in text_strategy()) {
            let rope = Rope::from_str(&text);
            let index = crate::line_index::LineIndex::new(&text);
            for offset in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                if offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text.as_bytes().get(offset) == Some(&b'\n') {
                    continue;
                }
                let line = index.line_of(offset);
                prop_assert_eq!(offset_to_position(&rope, offset, PositionEncoding::Utf8).line as usize, line);
                prop_assert_eq!(tree_sitter_point(&rope, offset).row, line);
                let (start, _) = crate::line_index::line_bounds(&text, offset);
                prop_assert_eq!(rope.line_to_byte(line), start);
            }
        }

        #[test]
        fn any_position_maps_to_a_boundary_outside_crlf(text in text_strategy(), line in 0u32..50, character in 0u32..50) {
            let rope = Rope::from_str(&text);
            for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
                let offset = position_to_offset(&rope, Position::new(line, character), encoding);
                prop_assert!(text.is_char_boundary(offset));
                prop_assert!(!(offset > 0 && text.as_bytes()[offset - 1] == b'\r' && text.as_bytes().get(offset) == Some(&b'\n')));
            }
        }
    }
}
