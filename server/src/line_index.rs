//! The one line model of the project: lines end at `\n`, `\r\n` (one line
//! end) or a lone `\r`, as CPython reads source and as LSP counts lines.
//! Byte offset → 1-based line and 1-based column counted in characters, for
//! people: the CLI's outputs, config errors and skipped-file messages.
//!
//! The server counts the same lines through its rope (ropey with only
//! `cr_lines`, see `lsp::position`), and the parser's rows follow them too
//! (`syntax::lone_cr_as_lf`); a property test in `lsp::position` checks
//! that all three agree.

/// Line start offsets of a text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        for at in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            // The `\n` of a `\r\n` ends the line the `\r` began to end.
            let crlf_tail = bytes[at] == b'\n' && at > 0 && bytes[at - 1] == b'\r';
            if crlf_tail {
                *starts.last_mut().expect("starts holds 0") = at + 1;
            } else {
                starts.push(at + 1);
            }
        }
        LineIndex { starts }
    }

    /// [`Self::new`] for the lines up to the one holding `last` (and the
    /// start of the next): what it answers for offsets up to `last` is what
    /// the index of the whole text answers, for less when `last` is far
    /// from the end (the CLI's output: up to a file's last finding).
    pub fn through(text: &str, last: usize) -> Self {
        let bytes = text.as_bytes();
        let last = last.min(bytes.len());
        let limit = match memchr::memchr2(b'\n', b'\r', &bytes[last..]) {
            Some(found) => {
                let at = last + found;
                if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
                    at + 2
                } else {
                    at + 1
                }
            }
            None => bytes.len(),
        };
        // `limit` follows an ASCII byte (or is the end): a char boundary.
        Self::new(text.get(..limit).unwrap_or(text))
    }

    /// 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|start| *start <= offset).saturating_sub(1)
    }

    /// 1-based line and 1-based character column of `offset`.
    pub fn line_column(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = self.line_of(offset);
        let start = self.starts[line];
        let mut column = text.get(start..offset).map_or(offset - start, |part| part.chars().count());
        // A BOM is not a character of the first line.
        if line == 0 && text.starts_with('\u{feff}') && offset >= 3 {
            column -= 1;
        }
        (line + 1, column + 1)
    }

    /// The text of a 0-based line, without its line break.
    pub fn line_text<'a>(&self, text: &'a str, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line) else { return "" };
        let end = self.starts.get(line + 1).copied().unwrap_or(text.len());
        text.get(start..end).unwrap_or("").trim_end_matches(['\n', '\r'])
    }
}

/// The lines of a text that hold some offsets, kept apart from the text:
/// what the CLI's report of a file needs (the lines and columns of its
/// findings and their fixes' edits, the source lines it shows) without
/// keeping the whole text. It answers as [`LineIndex`] does for the offsets
/// it was made for, and only for those.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Excerpt {
    /// Each line holding an offset: its 0-based number, its start and its
    /// text with its line break, by start.
    lines: Vec<(usize, usize, String)>,
    /// The length of the text (offsets past it count as its end).
    length: usize,
    /// The text starts with a BOM.
    bom: bool,
}

impl Excerpt {
    pub fn of(text: &str, offsets: impl IntoIterator<Item = usize>) -> Self {
        let mut offsets: Vec<usize> = offsets.into_iter().map(|offset| offset.min(text.len())).collect();
        offsets.sort_unstable();
        let last = offsets.last().copied().unwrap_or(0);
        let bytes = text.as_bytes();
        let through = memchr::memchr(b'\n', &bytes[last..]).map_or(bytes.len(), |found| last + found + 1);
        if memchr::memchr(b'\r', &bytes[..through]).is_none() {
            return Self::of_sorted_in_lf_text(text, &offsets);
        }
        let index = LineIndex::through(text, last);
        let mut lines: Vec<(usize, usize, String)> = Vec::new();
        for offset in offsets {
            let line = index.line_of(offset);
            if lines.last().is_some_and(|&(kept, _, _)| kept == line) {
                continue;
            }
            let start = index.starts[line];
            let end = index.starts.get(line + 1).copied().unwrap_or(text.len());
            lines.push((line, start, text.get(start..end).unwrap_or_default().to_string()));
        }
        Excerpt { lines, length: text.len(), bom: text.starts_with('\u{feff}') }
    }

    /// [`Self::of`] for sorted offsets in a text whose lines (through the
    /// last offset's) all end with `\n`: the line breaks between two kept
    /// lines are counted (SIMD), not indexed one by one (building the
    /// index was 4 % of the instructions of a check of the real-density
    /// corpus).
    fn of_sorted_in_lf_text(text: &str, offsets: &[usize]) -> Self {
        let bytes = text.as_bytes();
        let mut lines: Vec<(usize, usize, String)> = Vec::new();
        // The start of the last line kept and its number.
        let (mut counted_to, mut line) = (0, 0);
        for &offset in offsets {
            let start =
                memchr::memrchr(b'\n', &bytes[counted_to..offset]).map_or(counted_to, |found| counted_to + found + 1);
            if lines.last().is_some_and(|&(_, kept, _)| kept == start) {
                continue;
            }
            line += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count();
            counted_to = start;
            let end = memchr::memchr(b'\n', &bytes[offset..]).map_or(bytes.len(), |found| offset + found + 1);
            lines.push((line, start, text.get(start..end).unwrap_or_default().to_string()));
        }
        Excerpt { lines, length: text.len(), bom: text.starts_with('\u{feff}') }
    }

    /// 1-based line and 1-based character column of `offset`, one of the
    /// offsets the excerpt was made for ([`LineIndex::line_column`]).
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.length);
        let at = self.lines.partition_point(|&(_, start, _)| start <= offset).saturating_sub(1);
        let Some((line, start, text)) = self.lines.get(at) else { return (1, offset + 1) };
        debug_assert!(*start <= offset && offset <= start + text.len(), "{offset} is not in the excerpt");
        let within = offset.saturating_sub(*start);
        let mut column = text.get(..within).map_or(within, |part| part.chars().count());
        if *line == 0 && self.bom && offset >= 3 {
            column -= 1;
        }
        (line + 1, column + 1)
    }

    /// The text of a 0-based line, one holding an offset the excerpt was
    /// made for, without its line break ([`LineIndex::line_text`]).
    pub fn line_text(&self, line: usize) -> &str {
        let at = self.lines.partition_point(|&(kept, _, _)| kept < line);
        match self.lines.get(at) {
            Some((kept, _, text)) if *kept == line => text.trim_end_matches(['\n', '\r']),
            _ => "",
        }
    }
}

/// The byte range of the line holding `offset`, without its line break,
/// found without building an index (for one lookup).
pub fn line_bounds(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let start = text.as_bytes()[..offset].iter().rposition(|&byte| matches!(byte, b'\n' | b'\r')).map_or(0, |i| i + 1);
    let end = text.as_bytes()[offset..]
        .iter()
        .position(|&byte| matches!(byte, b'\n' | b'\r'))
        .map_or(text.len(), |i| offset + i);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_through_an_offset_answers_as_the_whole_one_up_to_it() {
        for text in ["a\r\nb\rc\nd", "\u{feff}é\r\n\r\nx\ry", "one line", "\n\n\r\r\n", "a\r", ""] {
            let whole = LineIndex::new(text);
            for last in 0..=text.len() {
                let part = LineIndex::through(text, last);
                for offset in (0..=last).filter(|&offset| text.is_char_boundary(offset)) {
                    let (line, _) = whole.line_column(text, offset);
                    assert_eq!(
                        part.line_column(text, offset),
                        whole.line_column(text, offset),
                        "{text:?} {last} {offset}"
                    );
                    assert_eq!(
                        part.line_text(text, line - 1),
                        whole.line_text(text, line - 1),
                        "{text:?} {last} {offset}"
                    );
                }
            }
        }
    }

    #[test]
    fn an_excerpt_answers_as_the_index_for_its_offsets() {
        for text in [
            "a\r\nb\rc\nd",
            "\u{feff}é\r\n\r\nx\ry",
            "one line",
            "\n\n\r\r\n",
            "a\r",
            "",
            "\u{feff}",
            // Only `\n`: lines counted, not indexed.
            "a\nbc\n\nd",
            "\u{feff}é\n日本\n",
            "\n",
            "x\n\ny\nz\r\n",
        ] {
            let whole = LineIndex::new(text);
            let boundaries: Vec<usize> = (0..=text.len()).filter(|&offset| text.is_char_boundary(offset)).collect();
            // Every pair of offsets, and offsets past the end.
            for &first in &boundaries {
                for &second in boundaries.iter().chain([&(text.len() + 4)]) {
                    let excerpt = Excerpt::of(text, [second, first]);
                    for offset in [first, second] {
                        let (line, _) = whole.line_column(text, offset);
                        assert_eq!(excerpt.line_column(offset), whole.line_column(text, offset), "{text:?} {offset}");
                        assert_eq!(excerpt.line_text(line - 1), whole.line_text(text, line - 1), "{text:?} {offset}");
                    }
                }
            }
        }
    }

    #[test]
    fn an_excerpt_keeps_only_the_lines_of_its_offsets() {
        let text = "first\nsecond line\nthird\n";
        let excerpt = Excerpt::of(text, [text.find("line").unwrap()]);
        assert_eq!(excerpt.lines.len(), 1);
        assert_eq!(excerpt.line_text(1), "second line");
        assert_eq!(excerpt.line_text(0), "", "not kept");
    }

    #[test]
    fn lines_end_at_every_kind_of_break() {
        let text = "a\r\nb\rc\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_column(text, 3), (2, 1));
        assert_eq!(index.line_column(text, 5), (3, 1));
        assert_eq!(index.line_column(text, 7), (4, 1));
        assert_eq!(index.line_text(text, 0), "a");
    }

    #[test]
    fn a_bom_is_not_a_column() {
        let text = "\u{feff}import x";
        assert_eq!(LineIndex::new(text).line_column(text, 3), (1, 1));
    }

    #[test]
    fn columns_count_characters() {
        let text = "é = 🙂x";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.line_column(text, x), (1, 6));
    }

    #[test]
    fn a_lone_cr_ends_a_line_and_a_crlf_is_one_line_end() {
        let text = "ab\rçd\r\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.line_column(text, 5), (2, 2), "after `ç`, on the line a lone CR began");
        assert_eq!(index.line_column(text, 8), (3, 1), "after CRLF: one line further, not two");
        assert_eq!(index.line_text(text, 1), "çd");
        assert_eq!(line_bounds(text, 4), (3, 6));
        assert_eq!(line_bounds(text, 9), (8, 9));
        assert_eq!(line_bounds(text, 0), (0, 2));
    }
}
