//! `# ssot: ignore` and `# ssot: ignore[CODE, CODE]` comments.
//!
//! A comment silences findings on its own line, and findings anywhere in a
//! multi-line statement when it sits on the statement's first line.

use std::collections::HashMap;

use tree_sitter::{Node, Tree};

use crate::finding::Finding;
use crate::syntax::node_text;

/// Ignore comments by 0-based line: `None` silences every code.
#[derive(Debug, Default)]
pub struct Suppressions {
    by_line: HashMap<usize, Option<Vec<String>>>,
}

impl Suppressions {
    pub fn from_comments(text: &str, comments: &[Node<'_>]) -> Self {
        let mut by_line = HashMap::new();
        for comment in comments {
            if let Some(codes) = parse_ignore_comment(node_text(*comment, text)) {
                by_line.insert(comment.start_position().row, codes);
            }
        }
        Suppressions { by_line }
    }

    pub fn silences(&self, tree: &Tree, finding: &Finding) -> bool {
        self.silences_range(tree, (finding.start, finding.end), &finding.code)
    }

    /// Whether a finding of rule `code` at the byte range `start..end` would
    /// be silenced: a comment on its line, or on the first line of its
    /// statement.
    pub fn silences_range(&self, tree: &Tree, (start, end): (usize, usize), code: &str) -> bool {
        if self.by_line.is_empty() {
            return false;
        }
        let Some(node) = tree.root_node().descendant_for_byte_range(start, end) else { return false };
        let mut lines = vec![node.start_position().row];
        lines.push(statement_of(node).start_position().row);
        lines.iter().any(|line| match self.by_line.get(line) {
            Some(None) => true,
            Some(Some(codes)) => codes.iter().any(|listed| listed == code),
            None => false,
        })
    }
}

/// The statement holding a node: its ancestor whose parent is a block or the
/// module. An ignore comment on this statement's first line covers the node.
pub fn statement_of(node: Node<'_>) -> Node<'_> {
    let mut current = node;
    while let Some(parent) = current.parent() {
        if matches!(parent.kind(), "module" | "block") {
            return current;
        }
        current = parent;
    }
    current
}

/// `# ssot: ignore` → `Some(None)`; `# ssot: ignore[A, B]` → `Some(Some([A, B]))`.
pub fn parse_ignore_comment(comment: &str) -> Option<Option<Vec<String>>> {
    let body = comment.trim_start_matches('#');
    let index = body.find("ssot:")?;
    let rest = body[index + "ssot:".len()..].trim_start();
    let rest = rest.strip_prefix("ignore")?;
    let Some(list) = rest.strip_prefix('[') else {
        return Some(None);
    };
    let list = &list[..list.find(']')?];
    let codes: Vec<String> =
        list.split(',').map(|code| code.trim().to_string()).filter(|code| !code.is_empty()).collect();
    Some(Some(codes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ignore_comments() {
        assert_eq!(parse_ignore_comment("# ssot: ignore"), Some(None));
        assert_eq!(
            parse_ignore_comment("# ssot: ignore[SSOT001, SSOT003]"),
            Some(Some(vec!["SSOT001".into(), "SSOT003".into()]))
        );
        assert_eq!(parse_ignore_comment("# noqa  # ssot:ignore[SSOT002]"), Some(Some(vec!["SSOT002".into()])));
        assert_eq!(parse_ignore_comment("# something else"), None);
    }
}
