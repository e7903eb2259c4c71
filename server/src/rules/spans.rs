//! Where a config field stands in its file. Validation names the field it
//! refuses as a typed `FieldPath` (`rules[2].names.foo.to`); the path is
//! looked up in the spanned TOML tree (`toml::de::DeTable`), so an error
//! points at the very key or value, never at text found by searching.

use std::fmt;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One step of a path into a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array element.
    Index(usize),
    /// A rule of the built-in pack: not in the file.
    BuiltinRule(String),
}

/// A field of a config file, for messages (`Display`) and for finding its
/// place in the file (`span_of`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPath {
    segments: Vec<Segment>,
    /// The error is about the key itself (a bad name), not its value.
    key: bool,
}

impl FieldPath {
    /// A top-level key.
    pub fn root(key: &str) -> Self {
        FieldPath::default().key(key)
    }

    /// A rule of the built-in pack (shown, never looked up).
    pub fn builtin_rule(code: &str) -> Self {
        FieldPath { segments: vec![Segment::BuiltinRule(code.to_string())], key: false }
    }

    /// The key `key` under this path.
    pub fn key(&self, key: &str) -> Self {
        let mut path = self.clone();
        path.segments.push(Segment::Key(key.to_string()));
        path
    }

    /// The element `index` of the array at this path.
    pub fn index(&self, index: usize) -> Self {
        let mut path = self.clone();
        path.segments.push(Segment::Index(index));
        path
    }

    /// The same field, pointing at its key rather than its value.
    pub fn the_key(mut self) -> Self {
        self.key = true;
        self
    }

    /// The same field inside the table at `prefix` (`tool.ssot-lsp` of a
    /// `pyproject.toml`); the message is unchanged.
    pub fn under(&self, prefix: &[&str]) -> Self {
        let mut segments: Vec<Segment> = prefix.iter().map(|key| Segment::Key((*key).to_string())).collect();
        segments.extend(self.segments.iter().cloned());
        FieldPath { segments, key: self.key }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (position, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(key) if position > 0 => write!(formatter, ".{}", shown_key(key))?,
                Segment::Key(key) => write!(formatter, "{}", shown_key(key))?,
                Segment::Index(index) => write!(formatter, "[{index}]")?,
                Segment::BuiltinRule(code) => write!(formatter, "built-in rule {code}")?,
            }
        }
        Ok(())
    }
}

/// A key as TOML writes it: bare when it can be, else quoted.
fn shown_key(key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        key.to_string()
    } else {
        format!("\"{key}\"")
    }
}

/// Where `path` stands in `text`: its value (or its key, for a path made with
/// `the_key`). A path that goes further than the file (a missing key) points
/// at the deepest part that is there.
pub fn span_of(text: &str, path: &FieldPath) -> Option<Range<usize>> {
    let root = DeValue::Table(DeTable::parse(text).ok()?.into_inner());
    let mut value = &root;
    let mut found: Option<(Option<Range<usize>>, Range<usize>)> = None;
    for segment in &path.segments {
        let next: Option<(Option<Range<usize>>, &Spanned<DeValue<'_>>)> = match (segment, value) {
            (Segment::Key(key), DeValue::Table(table)) => table
                .iter()
                .find(|(name, _)| name.get_ref().as_ref() == key)
                .map(|(name, value)| (Some(name.span()), value)),
            (Segment::Index(index), DeValue::Array(array)) => array.get(*index).map(|value| (None, value)),
            _ => None,
        };
        let Some((key_span, next)) = next else {
            return found.map(|(key_span, value_span)| key_span.unwrap_or(value_span));
        };
        found = Some((key_span, next.span()));
        value = next.get_ref();
    }
    let (key_span, value_span) = found?;
    Some(if path.key { key_span.unwrap_or(value_span) } else { value_span })
}

/// The path of the innermost key or value of `text` that holds `offset`,
/// pointing at the key when the offset is on it.
pub fn path_at(text: &str, offset: usize) -> Option<FieldPath> {
    let root = DeValue::Table(DeTable::parse(text).ok()?.into_inner());
    let mut path = FieldPath::default();
    let mut value = &root;
    loop {
        let next = match value {
            DeValue::Table(table) => table.iter().find_map(|(name, value)| {
                if name.span().contains(&offset) {
                    return Some((Segment::Key(name.get_ref().to_string()), None, true));
                }
                value.span().contains(&offset).then(|| (Segment::Key(name.get_ref().to_string()), Some(value), false))
            }),
            DeValue::Array(array) => array
                .iter()
                .enumerate()
                .find(|(_, item)| item.span().contains(&offset))
                .map(|(index, item)| (Segment::Index(index), Some(item), false)),
            _ => None,
        };
        let Some((segment, inner, on_key)) = next else { return Some(path) };
        path.segments.push(segment);
        match inner {
            Some(inner) if !on_key => value = inner.get_ref(),
            _ => return Some(path.the_key()),
        }
    }
}
