//! Fixture trees on disk: the Python files of a tree, in path order, and a
//! copy of a tree. Shared by the snapshot tests (`workspaces.rs`), the demo
//! test and the LSP test client's temporary workspaces; every test file
//! uses only part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Every `.py` file under `root`, sorted by path.
pub fn python_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(python_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "py") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Copies the tree `from` (folders and files) into `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
