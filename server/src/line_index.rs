//! Byte offset → line and column for people: 1-based lines, 1-based columns
//! counted in characters. Lines end at `\n`, `\r\n` or `\r`, as in LSP.
//!
//! Used by the CLI's outputs. The server converts through its rope instead.

/// Line start offsets of a text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts }
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
