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
pub fn may_hide_ascii_names(bytes: &[u8]) -> bool {
    if bytes.is_ascii() {
        return false;
    }
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_ascii())
        .any(|c| std::iter::once(c).nfkc().any(|d| d.is_ascii_alphanumeric() || d == '_'))
}

/// `bytes` (lossily decoded) in NFKC form, for a byte search that must see
/// the names Python sees.
pub fn normalized_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).nfkc().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
