//! Unified diffs of a file before and after its fixes (`check --diff`).
//!
//! `similar` finds the changed lines, but the operations it returns can carry
//! a wrong position on a deletion or an insertion beside a run of equal lines
//! (mitsuhiko/similar#78, open: `Delete { new_index: 3 }` followed by
//! `Equal { new_index: 2 }`), and its hunk headers are made from those
//! positions: `@@ -1,5 +2,4 @@` over a hunk whose new side starts at line 1
//! and holds five lines. `git apply` and `patch` call such a diff corrupt.
//! The lengths are right, and so is the order, so the positions are counted
//! again from the start before the hunks are grouped and printed.

use std::fmt::Write as _;

use similar::{udiff::UnifiedHunkHeader, DiffOp, TextDiff};

/// How long one file's diff searches for the shortest edit script.
const DIFF_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The unified diff of `before` to `after`, line by line, with `context`
/// lines around each change, under `--- {old_name}` and `+++ {new_name}`;
/// empty when they are the same. A last line without a line break is marked
/// `\ No newline at end of file`, as diff(1) does.
pub fn unified(before: &str, after: &str, context: usize, (old_name, new_name): (&str, &str)) -> String {
    // Past the timeout, Myers' search gives up on the shortest diff for a
    // longer, still exact one: a file with 16,000 changed lines took 3.7 s,
    // one with 100,000 over a minute.
    let diff = TextDiff::configure().timeout(DIFF_TIMEOUT).diff_lines(before, after);
    let ops = renumbered(diff.ops());
    let mut out = String::new();
    for (index, group) in similar::group_diff_ops(ops, context).iter().enumerate() {
        if index == 0 {
            let _ = writeln!(out, "--- {old_name}\n+++ {new_name}");
        }
        let _ = writeln!(out, "{}", UnifiedHunkHeader::new(group));
        for op in group {
            for change in diff.iter_changes(op) {
                let sign = match change.tag() {
                    similar::ChangeTag::Equal => ' ',
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                };
                let line = change.value();
                out.push(sign);
                out.push_str(line);
                if !line.ends_with('\n') {
                    out.push_str("\n\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

/// `ops` with each one's old and new positions counted from the lengths of
/// those before it (see the module's documentation).
fn renumbered(ops: &[DiffOp]) -> Vec<DiffOp> {
    let (mut old_index, mut new_index) = (0, 0);
    ops.iter()
        .map(|op| {
            let (old_len, new_len) = (op.old_range().len(), op.new_range().len());
            let renumbered = match *op {
                DiffOp::Equal { len, .. } => DiffOp::Equal { old_index, new_index, len },
                DiffOp::Delete { old_len, .. } => DiffOp::Delete { old_index, old_len, new_index },
                DiffOp::Insert { new_len, .. } => DiffOp::Insert { old_index, new_index, new_len },
                DiffOp::Replace { old_len, new_len, .. } => DiffOp::Replace { old_index, old_len, new_index, new_len },
            };
            old_index += old_len;
            new_index += new_len;
            renumbered
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Applies a unified diff to `before` the way `patch` reads one: each
    /// hunk's header must name the lines its body holds, at the place where
    /// the old side's lines are.
    fn apply(before: &str, diff: &str) -> Result<String, String> {
        let old: Vec<&str> = before.split_inclusive('\n').collect();
        let mut new = String::new();
        let mut taken = 0;
        let mut lines = diff.split_inclusive('\n').peekable();
        if diff.is_empty() {
            return Ok(before.to_string());
        }
        for header in ["--- a\n", "+++ b\n"] {
            if lines.next() != Some(header) {
                return Err(format!("no `{}` header", header.trim_end()));
            }
        }
        let range = |text: &str| -> Result<(usize, usize), String> {
            let (start, len) = text.split_once(',').unwrap_or((text, "1"));
            Ok((start.parse().map_err(|_| text.to_string())?, len.parse().map_err(|_| text.to_string())?))
        };
        while let Some(header) = lines.next() {
            let inner = header
                .strip_prefix("@@ -")
                .and_then(|rest| rest.strip_suffix(" @@\n"))
                .ok_or_else(|| format!("not a hunk header: {header:?}"))?;
            let (old_range, new_range) = inner.split_once(" +").ok_or("no + range")?;
            let ((old_start, old_len), (new_start, new_len)) = (range(old_range)?, range(new_range)?);
            // An empty side names the line before it.
            let first_old = if old_len == 0 { old_start } else { old_start - 1 };
            let first_new = if new_len == 0 { new_start } else { new_start - 1 };
            if first_old < taken || first_old > old.len() {
                return Err(format!("hunk {header:?} out of order"));
            }
            old[taken..first_old].iter().for_each(|line| new.push_str(line));
            taken = first_old;
            if new.split_inclusive('\n').count() != first_new {
                return Err(format!("hunk {header:?}: the new side does not start at line {new_start}"));
            }
            let (mut seen_old, mut seen_new) = (0, 0);
            while seen_old < old_len || seen_new < new_len {
                let line = lines.next().ok_or_else(|| format!("hunk {header:?} is short"))?;
                let (sign, body) = line.split_at(1);
                let without_newline = lines.next_if_eq(&"\\ No newline at end of file\n").is_some();
                let body =
                    if without_newline { body.strip_suffix('\n').ok_or("marker after a bare line")? } else { body };
                if sign != "+" {
                    if old.get(taken) != Some(&body) {
                        return Err(format!("hunk {header:?}: {body:?} is not old line {}", taken + 1));
                    }
                    taken += 1;
                    seen_old += 1;
                }
                if sign != "-" {
                    new.push_str(body);
                    seen_new += 1;
                }
            }
            if seen_old != old_len || seen_new != new_len {
                return Err(format!("hunk {header:?} holds {seen_old} old and {seen_new} new lines"));
            }
        }
        old[taken..].iter().for_each(|line| new.push_str(line));
        Ok(new)
    }

    #[test]
    fn a_deletion_before_an_equal_line_moves_the_new_side_to_line_one() {
        // similar's own header for this one is `@@ -1,5 +2,4 @@`.
        let before = "from old import *\nfrom new import *\n\n\ndef kind(manager):\n    pass\n";
        let after = "from new import *\nfrom new import *\n\n\ndef kind(manager):\n    pass\n";
        let diff = unified(before, after, 3, ("a", "b"));
        assert!(diff.contains("@@ -1,5 +1,5 @@\n"), "{diff}");
        assert_eq!(apply(before, &diff).as_deref(), Ok(after));
    }

    #[test]
    fn the_same_text_has_no_diff_and_a_bare_last_line_is_marked() {
        assert_eq!(unified("a\nb", "a\nb", 3, ("a", "b")), "");
        let diff = unified("a\nb", "a\nc", 3, ("a", "b"));
        assert_eq!(
            diff,
            "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
        );
        assert_eq!(apply("a\nb", &diff).as_deref(), Ok("a\nc"));
    }

    /// Texts of a few short lines from a small alphabet (so that equal lines
    /// recur, where similar's positions go wrong), CRLF or LF, with or
    /// without a last line break.
    fn text() -> impl Strategy<Value = String> {
        (prop::collection::vec(0..4u8, 0..10), any::<bool>(), any::<bool>()).prop_map(|(lines, crlf, bare_end)| {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text: String = lines.iter().map(|line| format!("line {line}{end}")).collect();
            if bare_end && !text.is_empty() {
                text.truncate(text.len() - end.len());
            }
            text
        })
    }

    proptest! {
        #[test]
        fn every_diff_applies_and_gives_the_new_text(before in text(), after in text(), context in 0..4usize) {
            let diff = unified(&before, &after, context, ("a", "b"));
            prop_assert_eq!(apply(&before, &diff), Ok(after.clone()), "{}", diff);
        }
    }
}
