//! Whether one path is a file the workspace walk would check, and if not,
//! why: the rules of `workspace::walk` (workspace folders, hidden files and
//! folders, `.gitignore`/`.ignore` files and `.git/info/exclude`, the
//! config's `exclude`) applied to a single path without walking.
//!
//! The language server asks this for open documents (their diagnostics and
//! `ssot.fixWorkspace`) and for watched files, so that a document opened
//! from an ignored or excluded folder is treated as the walk treats it.
//! This module reads ignore files, never the file itself.

use std::path::{Path, PathBuf};

use ignore::gitignore::Gitignore;
use ignore::Match;

use crate::rules::RuleSet;
use crate::workspace::{is_python_file, relative_to};

/// Where a path stands with respect to the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathClass {
    /// The walk checks it (or there are no folders to be outside of).
    Checked,
    /// Not under any of the folders.
    OutsideFolders,
    /// A hidden file, or inside a hidden folder, below its folder.
    Hidden,
    /// Matched by an ignore file (or inside an ignored folder).
    Ignored,
    /// Matched by the config's `exclude`.
    Excluded,
    /// Not a `.py`/`.pyi` file.
    NotPython,
}

impl PathClass {
    pub fn is_checked(self) -> bool {
        self == PathClass::Checked
    }

    /// Why the walk skips the path, for logs.
    pub fn reason(self) -> &'static str {
        match self {
            PathClass::Checked => "checked",
            PathClass::OutsideFolders => "outside the workspace folders",
            PathClass::Hidden => "hidden",
            PathClass::Ignored => "ignored by .gitignore",
            PathClass::Excluded => "excluded by the config",
            PathClass::NotPython => "not a Python file",
        }
    }
}

/// Classifies `path` (absolute) for a walk of `folders` under `rules`, whose
/// relative paths are taken from `root` (the first folder) unless the rules
/// name their own root. With no folders, every Python path is checked (a
/// file named on its own), except what the config excludes.
pub fn classify_path(folders: &[PathBuf], rules: &RuleSet, root: &Path, path: &Path) -> PathClass {
    if !is_python_file(path) {
        return PathClass::NotPython;
    }
    let base = rules.settings.root.as_deref().unwrap_or(root);
    let excluded = |path: &Path| rules.is_path_excluded(&relative_to(path, base));
    let Some(folder) = folders.iter().filter(|folder| path.starts_with(folder)).max_by_key(|f| f.as_os_str().len())
    else {
        if folders.is_empty() {
            return if excluded(path) { PathClass::Excluded } else { PathClass::Checked };
        }
        return PathClass::OutsideFolders;
    };
    // The walk skips an excluded folder as a whole, so every ancestor counts.
    let mut current = path.to_path_buf();
    loop {
        if excluded(&current) {
            return PathClass::Excluded;
        }
        match current.parent() {
            Some(parent) if parent.starts_with(folder) && parent != folder.as_path() => current = parent.to_path_buf(),
            _ => break,
        }
    }
    let below = relative_to(path, folder);
    let hidden = below.components().any(|part| part.as_os_str().to_str().is_some_and(|name| name.starts_with('.')));
    if hidden {
        return PathClass::Hidden;
    }
    if is_ignored(folder, path) {
        return PathClass::Ignored;
    }
    PathClass::Checked
}

/// Whether ignore files from `folder` down to the path's folder ignore it or
/// one of its folders: the deepest file with a match decides, as in git.
fn is_ignored(folder: &Path, path: &Path) -> bool {
    let mut matchers: Vec<Gitignore> = Vec::new();
    let exclude = folder.join(".git/info/exclude");
    if exclude.is_file() {
        let mut builder = ignore::gitignore::GitignoreBuilder::new(folder);
        let _ = builder.add(&exclude);
        matchers.extend(builder.build().ok());
    }
    let mut directory = folder.to_path_buf();
    let below = relative_to(path, folder);
    let mut parts = below.components().peekable();
    loop {
        for name in [".gitignore", ".ignore"] {
            let file = directory.join(name);
            if file.is_file() {
                matchers.push(Gitignore::new(&file).0);
            }
        }
        let Some(part) = parts.next() else { break };
        directory.push(part);
        let is_dir = parts.peek().is_some();
        // A folder that is ignored hides everything below it.
        let verdict = matchers.iter().rev().map(|matcher| matcher.matched(&directory, is_dir)).find(|m| !m.is_none());
        if let Some(Match::Ignore(_)) = verdict {
            return true;
        }
        if !is_dir {
            break;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_as_the_walk_does() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::write(root.join(".gitignore"), "ignored/\n*.gen.py\n").unwrap();
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/.gitignore"), "local.py\n!keep.gen.py\n").unwrap();
        let files = [
            "a.py",
            "ignored/b.py",
            "excluded/c.py",
            "deep/excluded_too/x.py",
            ".hidden/e.py",
            "sub/local.py",
            "sub/f.gen.py",
            "sub/keep.gen.py",
            "sub/ok.py",
        ];
        for file in files {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let raw: crate::rules::raw::RawConfig =
            toml::from_str("exclude = [\"excluded\", \"**/excluded_too\"]").unwrap();
        let rules = RuleSet::from_config(&raw, Some(&root)).unwrap();
        let folders = vec![root.clone()];
        let class = |file: &str| classify_path(&folders, &rules, &root, &root.join(file));
        let (walked, _) = crate::workspace::walk(&folders, &rules, &root);
        for file in files {
            assert_eq!(class(file).is_checked(), walked.contains(&root.join(file)), "{file}: {:?}", class(file));
        }
        assert_eq!(class("ignored/b.py"), PathClass::Ignored);
        assert_eq!(class("excluded/c.py"), PathClass::Excluded);
        assert_eq!(class("deep/excluded_too/x.py"), PathClass::Excluded);
        assert_eq!(class(".hidden/e.py"), PathClass::Hidden);
        assert_eq!(class("sub/keep.gen.py"), PathClass::Checked);
        assert_eq!(class("d.txt"), PathClass::NotPython);
        assert_eq!(classify_path(&folders, &rules, &root, Path::new("/elsewhere/x.py")), PathClass::OutsideFolders);
        assert_eq!(classify_path(&[], &rules, &root, Path::new("/elsewhere/x.py")), PathClass::Checked);
    }
}
