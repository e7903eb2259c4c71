//! Files on disk: which `.py` files to check (walked with the `ignore` crate,
//! respecting `.gitignore`, hidden files and excludes) and where each sits in
//! the package tree (`scope_for`).
//!
//! Reading file contents is `source::read_source`'s business, writing the
//! CLI's; this module only finds files and names their modules.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::rules::{FileScope, RuleSet};

/// Whether a path names a Python source file.
pub fn is_python_file(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "py" || ext == "pyi")
}

/// A problem met while walking (an unreadable folder, a symlink that is not
/// followed, a FIFO named `x.py`, …).
#[derive(Debug, Clone)]
pub struct WalkWarning {
    /// Set for an error on a path the user named; `None` for what was met
    /// while walking, whose message names the path.
    pub path: Option<PathBuf>,
    pub message: String,
    /// Something that should have been read could not be (a path the user
    /// named is missing, a folder cannot be listed): the check is incomplete
    /// and the CLI exits 2. False for what is skipped on purpose (symbolic
    /// links, FIFOs).
    pub is_error: bool,
}

/// What happens to a file named explicitly (not found by walking a folder)
/// that the config's `exclude` matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplicitFiles {
    /// Dropped like a walked file (ruff's `--force-exclude`): the default,
    /// because pre-commit and editors pass file names one by one.
    Excluded,
    /// Checked anyway.
    Kept,
}

/// The Python files under `paths`, sorted, without excluded ones (files
/// named explicitly too). Walks in parallel.
pub fn walk(paths: &[PathBuf], rules: &RuleSet, root: &Path) -> (Vec<PathBuf>, Vec<WalkWarning>) {
    walk_with(paths, rules, root, ExplicitFiles::Excluded)
}

/// [`walk`], choosing what happens to excluded files named explicitly.
pub fn walk_with(
    paths: &[PathBuf],
    rules: &RuleSet,
    root: &Path,
    explicit: ExplicitFiles,
) -> (Vec<PathBuf>, Vec<WalkWarning>) {
    let (visited, warnings) = walk_visiting(paths, rules, root, explicit, &|_| ());
    (visited.into_iter().map(|(path, ())| path).collect(), warnings)
}

/// [`walk_with`], where `visit` is called on each file as soon as it is
/// found, on the walking thread, and its result kept beside the path: the
/// walk and the work on the files it finds overlap (`check` reads and
/// prefilters each file as it is walked). A file found twice (named twice)
/// may be visited twice; it is listed once, with one of its results.
pub fn walk_visiting<T: Send + Sync>(
    paths: &[PathBuf],
    rules: &RuleSet,
    root: &Path,
    explicit: ExplicitFiles,
    visit: &(dyn Fn(&Path) -> T + Sync),
) -> (Vec<(PathBuf, T)>, Vec<WalkWarning>) {
    let found = Mutex::new(Vec::new());
    let warnings = Mutex::new(Vec::new());
    let exclude_root = rules.settings.root.as_deref().unwrap_or(root);
    for path in paths {
        if path.is_file() {
            if explicit == ExplicitFiles::Kept || !is_excluded_file(rules, root, path) {
                let result = visit(path);
                found.lock().expect("walk lock").push((path.clone(), result));
            }
            continue;
        }
        if !path.exists() {
            warnings.lock().expect("walk lock").push(WalkWarning {
                path: Some(path.clone()),
                message: "no such file or folder".to_string(),
                is_error: true,
            });
            continue;
        }
        let walker = WalkBuilder::new(path)
            .hidden(true)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .build_parallel();
        walker.run(|| {
            Box::new(|entry| {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(error) => {
                        warnings.lock().expect("walk lock").push(WalkWarning {
                            path: None,
                            message: error.to_string(),
                            is_error: true,
                        });
                        return WalkState::Continue;
                    }
                };
                let entry_path = entry.path();
                // Without `exclude` no path is excluded: no relative path to build.
                if rules.settings.exclude.is_some() && rules.is_path_excluded(&relative_to(entry_path, exclude_root)) {
                    return WalkState::Skip;
                }
                let is_file = entry.file_type().is_some_and(|kind| kind.is_file());
                if is_file && is_python_file(entry_path) {
                    let result = visit(entry_path);
                    found.lock().expect("walk lock").push((entry_path.to_path_buf(), result));
                } else if let Some(reason) = skip_reason(&entry) {
                    let message = format!("{}: skipped: {reason}", relative_to(entry_path, root).display());
                    warnings.lock().expect("walk lock").push(WalkWarning { path: None, message, is_error: false });
                }
                WalkState::Continue
            })
        });
    }
    let mut files = sorted_unique_paths(found.into_inner().expect("walk lock"));
    if paths.len() > 1 {
        // `f.py ./f.py .` names one file three times: check (and fix) it once.
        use std::os::unix::fs::MetadataExt;
        let mut seen = std::collections::HashSet::new();
        files.retain(|(file, _)| {
            std::fs::metadata(file).map_or(true, |metadata| seen.insert((metadata.dev(), metadata.ino())))
        });
    }
    (files, warnings.into_inner().expect("walk lock"))
}

/// `paths` in `Path` order, each path once (the first of those equal as
/// `Path`s). Comparing two `Path`s splits both into components again on
/// every comparison (3 % of the instructions of a `check` of 10,000 files).
/// When every path is plain ([`is_plain`]: what a walk yields), or every
/// one is `./` and a plain path (a walk of `.`), two compare as their bytes
/// with `/` the smallest byte ([`plain_order`]), in place; else each is
/// split into components once. Repeats are found by the same order.
fn sorted_unique_paths<T: Sync>(paths: Vec<(PathBuf, T)>) -> Vec<(PathBuf, T)> {
    use rayon::prelude::*;
    // The walk's threads are done: reading the names as text, testing them
    // and sorting have them.
    let names: Vec<Option<&str>> = paths.par_iter().map(|(path, _)| path.to_str()).collect();
    let dotted = names.first().is_some_and(|name| name.is_some_and(|name| name.starts_with("./")));
    let is_plain_name = |name: &Option<&str>| {
        let rest = if dotted { name.and_then(|name| name.strip_prefix("./")) } else { *name };
        rest.is_some_and(is_plain_text)
    };
    if names.par_iter().all(is_plain_name) {
        let names: Vec<&[u8]> = names.iter().map(|name| name.unwrap_or_default().as_bytes()).collect();
        // The bytes all share (most of a walk's paths) are compared once.
        let first = names.first().copied().unwrap_or_default();
        let shared = names.iter().fold(first.len(), |shared, name| common_prefix(&first[..shared], name));
        let names: Vec<&[u8]> = names.iter().map(|name| &name[shared..]).collect();
        let (order, is_repeat) = order_and_repeats(names.len(), |a, b| plain_order(names[a], names[b]));
        return in_order(paths, order, is_repeat);
    }
    let keys: Vec<Vec<Component<'_>>> = paths.iter().map(|(path, _)| path.components().collect()).collect();
    let (order, is_repeat) = order_and_repeats(keys.len(), |a, b| keys[a].cmp(&keys[b]));
    in_order(paths, order, is_repeat)
}

/// The first of each run of repeats of `paths` taken in `order`. The items
/// are swapped into place along the cycles of the permutation, in the
/// vector they came in: a check's items are a few hundred bytes each, and
/// collecting them into new vectors twice cost a tenth of its serial time.
fn in_order<T>(mut paths: Vec<(PathBuf, T)>, mut order: Vec<usize>, is_repeat: Vec<bool>) -> Vec<(PathBuf, T)> {
    for start in 0..order.len() {
        // `order[at]` is where the item that belongs at `at` is now.
        let mut at = start;
        while order[at] != start {
            let from = order[at];
            paths.swap(at, from);
            order[at] = at;
            at = from;
        }
        order[at] = at;
    }
    let mut repeats = is_repeat.into_iter();
    paths.retain(|_| !repeats.next().unwrap_or(false));
    paths
}

/// The `Path` order of two plain paths (or two `./` and a plain path): their
/// bytes with `/` below every other byte, which no plain path holds (no byte
/// below 2). Components compare as byte strings, and a path that is a
/// component prefix of the other comes first: where the bytes first differ,
/// a component ends in one path (`/`) and goes on in the other.
fn plain_order(a: &[u8], b: &[u8]) -> Ordering {
    let common = common_prefix(a, b);
    let key = |byte: u8| if byte == b'/' { 1 } else { byte };
    match (a.get(common), b.get(common)) {
        (Some(&x), Some(&y)) => key(x).cmp(&key(y)),
        _ => a.len().cmp(&b.len()),
    }
}

/// How many bytes `a` and `b` share from their start, compared eight at a
/// time (paths of one folder share most of theirs).
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let length = a.len().min(b.len());
    let mut at = 0;
    for (x, y) in a[..length].chunks_exact(8).zip(b[..length].chunks_exact(8)) {
        let word = |chunk: &[u8]| u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let differ = word(x) ^ word(y);
        if differ != 0 {
            return at + (differ.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + a[at..length].iter().zip(&b[at..length]).take_while(|(x, y)| x == y).count()
}

/// The indices `0..count` in the order `compare` gives (equal ones in their
/// order), and for each place in that order whether it equals the one before.
fn order_and_repeats(count: usize, compare: impl Fn(usize, usize) -> Ordering + Sync) -> (Vec<usize>, Vec<bool>) {
    use rayon::slice::ParallelSliceMut;
    let mut order: Vec<usize> = (0..count).collect();
    // The walk's threads are done: the sort has them.
    order.par_sort_by(|&a, &b| compare(a, b));
    let is_repeat = (0..order.len()).map(|at| at > 0 && compare(order[at], order[at - 1]).is_eq()).collect();
    (order, is_repeat)
}

/// Whether `path`'s components are its bytes split at each `/`: not empty,
/// no `.` component, no `//`, no `/` at the end, valid UTF-8 without the
/// bytes 0 and 1. Then `components().collect()` gives the same path back.
fn is_plain(path: &Path) -> bool {
    path.to_str().is_some_and(is_plain_text)
}

/// [`is_plain`] for a path given as text.
fn is_plain_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.is_empty() || bytes.last() == Some(&b'/') {
        return false;
    }
    if memchr::memchr2(0, 1, bytes).is_some() {
        return false;
    }
    // No empty component but a leading root, no `.`.
    let mut component_start = 0;
    for at in memchr::memchr_iter(b'/', bytes).chain([bytes.len()]) {
        let component = &bytes[component_start..at];
        if (component.is_empty() && at > 0) || component == b"." {
            return false;
        }
        component_start = at + 1;
    }
    true
}

/// Whether `exclude` matches a file named explicitly or one of its folders
/// (a walk would have skipped the folder), relative to the config's root.
pub fn is_excluded_file(rules: &RuleSet, root: &Path, path: &Path) -> bool {
    if rules.settings.exclude.is_none() {
        return false;
    }
    let base = absolute_dir(rules.settings.root.as_deref().unwrap_or(root));
    let file = lexically_normal(&absolute(path));
    let Ok(relative) = file.strip_prefix(&base) else {
        return rules.is_path_excluded(&relative_to(path, root));
    };
    relative.ancestors().filter(|part| !part.as_os_str().is_empty()).any(|part| rules.is_path_excluded(part))
}

/// `path` with `.` and `..` components resolved without touching the disk.
pub(crate) fn lexically_normal(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

/// Why an entry that could have been a Python file is not checked: a
/// symbolic link (never followed, so links out of the root and link loops
/// are harmless) named like a Python file or pointing at a folder, or a
/// FIFO, socket or device named like a Python file (reading one could block).
/// `None` for everything not worth a warning.
fn skip_reason(entry: &ignore::DirEntry) -> Option<&'static str> {
    let kind = entry.file_type()?;
    let named_python = is_python_file(entry.path());
    if kind.is_symlink() {
        if entry.depth() == 0 {
            return None;
        }
        let points_at_folder = std::fs::metadata(entry.path()).map(|target| target.is_dir());
        return match points_at_folder {
            Err(_) => Some("a symbolic link that does not resolve (dangling or a loop); links are not followed"),
            Ok(true) => Some("a symbolic link to a folder; links are not followed"),
            Ok(false) if named_python => Some("a symbolic link; links are not followed"),
            Ok(false) => None,
        };
    }
    if named_python && !kind.is_file() && !kind.is_dir() {
        return Some("not a regular file (a FIFO, socket or device)");
    }
    None
}

/// `path` relative to `base` when it is inside it, else `path` itself, with
/// `./` components dropped.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let stripped = path.strip_prefix(base).unwrap_or(path);
    // `check .` walks `./a/b.py`: without its `./` the path is plain, and is
    // copied instead of split and joined again (5 components pushed per
    // file: 30 M of 1,600 M instructions of a check of realistic-old).
    let stripped = stripped.strip_prefix(".").unwrap_or(stripped);
    if is_plain(stripped) {
        // Nothing to drop: no need to split and join it again.
        return stripped.to_path_buf();
    }
    stripped.components().filter(|component| !matches!(component, Component::CurDir)).collect()
}

/// The line length the project's formatter uses: `[tool.ruff] line-length`,
/// `[tool.black] line-length` or `[tool.isort] line_length` of the nearest
/// `pyproject.toml` above `start` (the first one found of those, in that
/// order). `None` when no such file sets one.
pub fn project_line_length(start: &Path) -> Option<usize> {
    let start = absolute(start);
    let mut folder = if start.is_dir() { Some(start.as_path()) } else { start.parent() };
    while let Some(current) = folder {
        let pyproject = current.join("pyproject.toml");
        if let Ok(text) = std::fs::read_to_string(&pyproject) {
            let value: toml::Value = toml::from_str(&text).ok()?;
            let tool = value.get("tool")?;
            let read = |table: &str, key: &str| tool.get(table)?.get(key)?.as_integer();
            let length = read("ruff", "line-length")
                .or_else(|| read("black", "line-length"))
                .or_else(|| read("isort", "line_length"));
            return length.and_then(|length| usize::try_from(length).ok()).filter(|length| *length > 0);
        }
        folder = current.parent();
    }
    None
}

/// Where a file sits: its path relative to the project root and its module.
pub fn scope_for(rules: &RuleSet, root: &Path, path: &Path) -> FileScope {
    ScopeFinder::new(rules, root).scope_for(path)
}

/// [`scope_for`] for the many files of one run: the current folder, the
/// project root's and import roots' real paths, and each folder's real path
/// and package root are found once (for 900 files of one tree, `scope_for`
/// alone made about 18,000 system calls finding them again and again). For
/// a run over files that do not change meanwhile (a check): a folder's
/// package root is not looked up again when an `__init__.py` appears.
pub struct ScopeFinder<'r> {
    rules: &'r RuleSet,
    cwd: Option<PathBuf>,
    /// The real path of the folder paths are made relative to.
    base: PathBuf,
    /// The real paths of the configured import roots.
    import_roots: Vec<PathBuf>,
    /// By absolute folder: its real path and its package root.
    folders: Mutex<HashMap<PathBuf, (PathBuf, PathBuf)>>,
    /// By absolute folder (the checked ones and those above): its real path.
    real_paths: Mutex<HashMap<PathBuf, PathBuf>>,
    /// By real folder: the first folder at or above it that is no package.
    package_roots: Mutex<HashMap<PathBuf, PathBuf>>,
}

impl<'r> ScopeFinder<'r> {
    pub fn new(rules: &'r RuleSet, root: &Path) -> Self {
        let base = absolute_dir(rules.settings.root.as_deref().unwrap_or(root));
        let import_roots = rules.settings.import_roots.iter().map(|root| absolute_dir(root)).collect();
        let cwd = std::env::current_dir().ok();
        let (folders, real_paths, package_roots) = Default::default();
        ScopeFinder { rules, cwd, base, import_roots, folders, real_paths, package_roots }
    }

    pub fn scope_for(&self, path: &Path) -> FileScope {
        let absolute = self.absolute(path);
        let relative_path = Some(relative_to(&absolute, &self.base));
        let (module, is_package) = self.module_of(&absolute);
        FileScope {
            relative_path,
            module,
            is_package,
            index: self.rules.settings.index.clone(),
            reexport_log: None,
            buffer: false,
        }
    }

    fn absolute(&self, path: &Path) -> PathBuf {
        match &self.cwd {
            Some(cwd) if !path.is_absolute() => cwd.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// The dotted module of a file and whether it is a package `__init__`.
    fn module_of(&self, path: &Path) -> (Option<String>, bool) {
        let stem = match path.file_stem().and_then(|stem| stem.to_str()) {
            Some(stem) => stem,
            None => return (None, false),
        };
        let is_package = stem == "__init__";
        let Some(folder) = path.parent() else { return (None, is_package) };
        let (folder, package_root) = self.folder(folder);
        let Ok(inside) = folder.strip_prefix(&package_root) else { return (None, is_package) };
        let mut parts: Vec<String> =
            inside.components().filter_map(|c| c.as_os_str().to_str().map(str::to_string)).collect();
        if !is_package {
            parts.push(stem.to_string());
        }
        if parts.is_empty() {
            return (None, is_package);
        }
        (Some(parts.join(".")), is_package)
    }

    /// The package tree holding the file at `path`: the first folder at or
    /// above its folder's real path that is no package
    /// ([`package_root_by_init`]), each folder resolved and asked once (a
    /// `canonicalize` of each fixable file cost a `readlink` per component:
    /// 4,500 system calls after the walk of a 10,000-file tree).
    pub fn package_tree_of(&self, path: &Path) -> Option<PathBuf> {
        let folder = self.absolute(path).parent()?.to_path_buf();
        Some(self.package_root(&self.real_path(&folder)))
    }

    /// A folder's real path and its package root: the deepest import root
    /// holding it, else the first folder above it that is not a package.
    fn folder(&self, folder: &Path) -> (PathBuf, PathBuf) {
        if let Some(known) = self.folders.lock().expect("scope lock").get(folder) {
            return known.clone();
        }
        let real = self.real_path(folder);
        let package_root = self
            .import_roots
            .iter()
            .filter(|root| real.starts_with(root))
            .max_by_key(|root| root.components().count())
            .cloned()
            .unwrap_or_else(|| self.package_root(&real));
        let found = (real, package_root);
        self.folders.lock().expect("scope lock").insert(folder.to_path_buf(), found.clone());
        found
    }

    /// `canonicalize(folder)` (or `folder` when that fails), from its
    /// parent's real path and one `lstat`: `canonicalize` reads every
    /// component of the path again for each folder (3,600 `readlink`s for
    /// the 450 folders of a check). A symbolic link, or a path with `.` or
    /// `..` in it, is resolved by `canonicalize` itself.
    fn real_path(&self, folder: &Path) -> PathBuf {
        if let Some(known) = self.real_paths.lock().expect("scope lock").get(folder) {
            return known.clone();
        }
        let plain = folder.components().all(|part| matches!(part, Component::RootDir | Component::Normal(_)));
        let is_folder = || std::fs::symlink_metadata(folder).is_ok_and(|metadata| metadata.file_type().is_dir());
        let real = match (folder.parent(), folder.file_name()) {
            (None, _) if plain => folder.to_path_buf(),
            (Some(parent), Some(name)) if plain && is_folder() => self.real_path(parent).join(name),
            _ => std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf()),
        };
        self.real_paths.lock().expect("scope lock").insert(folder.to_path_buf(), real.clone());
        real
    }

    /// [`package_root_by_init`] of a real folder, each folder asked once.
    fn package_root(&self, real: &Path) -> PathBuf {
        if let Some(known) = self.package_roots.lock().expect("scope lock").get(real) {
            return known.clone();
        }
        let root = match real.parent() {
            Some(parent) if real.join("__init__.py").is_file() => self.package_root(parent),
            _ => real.to_path_buf(),
        };
        self.package_roots.lock().expect("scope lock").insert(real.to_path_buf(), root.clone());
        root
    }
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir().map(|cwd| cwd.join(path)).unwrap_or_else(|_| path.to_path_buf())
}

fn absolute_dir(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| absolute(path))
}

/// The first folder above `folder` (or `folder` itself) that is not a package.
pub(crate) fn package_root_by_init(folder: &Path) -> PathBuf {
    let mut current = folder.to_path_buf();
    while current.join("__init__.py").is_file() {
        match current.parent() {
            Some(parent) => current = parent.to_path_buf(),
            None => break,
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_sort_in_path_order_once_each() {
        let paths: Vec<PathBuf> = [
            "b/a.py",
            "a-b/c.py",
            "a/b.py",
            "a/b/c.py",
            "/root/x.py",
            "a.py",
            "a/b.pyi",
            "ab/c.py",
            "a/B.py",
            "./a/c.py",
            "a//b/c.py",
            "a/./a.py",
            "é/x.py",
            "a.b/c.py",
            "a/b/",
            "a b/c.py",
            "a/b.py",
            "netra_backend/app/websocket_core/manager.py",
            "netra_backend/app/websocket_core/manager_factory.py",
            "netra_backend/app/websocket_core-old/manager.py",
            "netra_backend/app/websocket_core/manager.py",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let plain: Vec<PathBuf> = paths.iter().filter(|path| is_plain(path)).cloned().collect();
        assert_eq!(plain.len(), 17);
        // A walk of `.`: every path `./` and a plain one.
        let dotted: Vec<PathBuf> =
            plain.iter().filter(|path| path.is_relative()).map(|path| Path::new(".").join(path)).collect();
        assert!(dotted.iter().all(|path| path.to_str().unwrap().starts_with("./")), "{dotted:?}");
        for paths in [paths, plain, dotted] {
            let mut expected = paths.clone();
            expected.sort();
            expected.dedup();
            let sorted: Vec<PathBuf> = sorted_unique_paths(paths.into_iter().map(|path| (path, ())).collect())
                .into_iter()
                .map(|(path, ())| path)
                .collect();
            assert_eq!(sorted, expected);
        }
    }

    proptest::proptest! {
        /// Each path keeps its own item through the sort, and of paths equal
        /// as `Path`s the first one walked stays (the reference: a stable
        /// sort by `Path`, then the first of each run).
        #[test]
        fn items_travel_with_their_paths_and_the_first_repeat_stays(
            names in proptest::collection::vec(
                proptest::sample::select(vec!["a.py", "b/a.py", "a/b.py", "./a.py", "a//b.py", "ab.py", "a-b/c.py"]),
                0..40,
            ),
        ) {
            let walked: Vec<(PathBuf, usize)> =
                names.iter().enumerate().map(|(index, name)| (PathBuf::from(name), index)).collect();
            let mut expected = walked.clone();
            expected.sort_by(|a, b| a.0.cmp(&b.0));
            expected.dedup_by(|later, first| later.0 == first.0);
            proptest::prop_assert_eq!(sorted_unique_paths(walked), expected);
        }
    }

    #[test]
    fn scope_folders_resolve_as_canonicalize_and_the_init_files_say() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("app/pkg/sub")).unwrap();
        std::fs::write(root.join("app/pkg/__init__.py"), "").unwrap();
        std::fs::write(root.join("app/pkg/sub/__init__.py"), "").unwrap();
        std::os::unix::fs::symlink(root.join("app/pkg"), root.join("linked")).unwrap();
        std::os::unix::fs::symlink(root.join("app"), root.join("alias")).unwrap();
        let rules = RuleSet::builtin();
        let finder = ScopeFinder::new(&rules, &root);
        for folder in [
            "app/pkg/sub",
            "app/pkg",
            "app",
            "linked/sub",
            "alias/pkg/sub",
            "app/pkg/../pkg/sub",
            "app/./pkg",
            "gone/x",
        ] {
            let folder = root.join(folder);
            for _ in 0..2 {
                let expected = std::fs::canonicalize(&folder).unwrap_or_else(|_| folder.clone());
                let package_root = package_root_by_init(&expected);
                assert_eq!(finder.folder(&folder), (expected, package_root), "{folder:?}");
            }
        }
        assert_eq!(finder.folder(&root.join("linked/sub")).1, root.join("app"));
    }

    #[test]
    fn the_common_prefix_is_counted_eight_bytes_at_a_time_as_byte_by_byte() {
        let base = b"netra_backend/app/websocket_core/unified_manager.py";
        for cut in 0..=base.len() {
            for change in cut..base.len() {
                let mut other = base[..cut.max(change + 1)].to_vec();
                other[change] ^= 0x20;
                let naive = base.iter().zip(&other).take_while(|(a, b)| a == b).count();
                assert_eq!(common_prefix(base, &other), naive, "{cut} {change}");
                assert_eq!(common_prefix(&other, base), naive, "{cut} {change}");
            }
            assert_eq!(common_prefix(base, &base[..cut]), cut);
        }
    }

    #[test]
    fn plain_paths_are_those_whose_components_are_their_bytes() {
        for (path, plain) in [
            ("a/b.py", true),
            ("/r/a.py", true),
            ("a", true),
            ("a.b/.c/d.", true),
            ("", false),
            (".", false),
            ("./a", false),
            ("a/./b", false),
            ("a/.", false),
            ("a//b", false),
            ("//a", false),
            ("a/", false),
            ("a\u{1}b", false),
        ] {
            assert_eq!(is_plain(Path::new(path)), plain, "{path:?}");
            if plain {
                let rebuilt: PathBuf = Path::new(path).components().collect();
                assert_eq!(rebuilt, PathBuf::from(path), "{path:?}");
            }
        }
    }

    #[test]
    fn relative_paths_drop_only_the_current_folder() {
        for (path, expected) in [
            ("a/b.py", "a/b.py"),
            ("./a/./b.py", "a/b.py"),
            ("a//b.py", "a/b.py"),
            ("/r/a/b.py", "a/b.py"),
            ("a/", "a"),
            ("./a.py", "a.py"),
            ("././a/b.py", "a/b.py"),
            (".//a.py", "a.py"),
            ("./", ""),
            (".", ""),
        ] {
            assert_eq!(relative_to(Path::new(path), Path::new("/r")), PathBuf::from(expected), "{path}");
        }
    }

    #[test]
    fn scopes_carry_the_index_of_the_settings() {
        let dir = tempfile::tempdir().unwrap();
        let mut rules = RuleSet::builtin();
        assert_eq!(scope_for(&rules, dir.path(), &dir.path().join("a.py")).index, None);
        let index = crate::index::SharedIndex(std::sync::Arc::new(crate::index::WorkspaceIndex::new(vec![])));
        rules.settings.index = Some(index.clone());
        assert_eq!(scope_for(&rules, dir.path(), &dir.path().join("a.py")).index, Some(index));
    }

    #[test]
    fn line_length_comes_from_the_nearest_pyproject() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pkg/sub")).unwrap();
        assert_eq!(project_line_length(&dir.path().join("pkg/sub")), None);
        std::fs::write(dir.path().join("pyproject.toml"), "[tool.black]\nline-length = 100\n").unwrap();
        assert_eq!(project_line_length(&dir.path().join("pkg/sub")), Some(100));
        std::fs::write(dir.path().join("pkg/pyproject.toml"), "[tool.ruff]\nline-length = 120\n").unwrap();
        assert_eq!(project_line_length(&dir.path().join("pkg/sub")), Some(120));
        std::fs::write(dir.path().join("pkg/pyproject.toml"), "[tool.isort]\nline_length = 79\n").unwrap();
        assert_eq!(project_line_length(&dir.path().join("pkg/sub")), Some(79));
    }

    #[test]
    fn one_scope_finder_for_many_files_gives_what_scope_for_gives() {
        let dir = tempfile::tempdir().unwrap();
        for file in ["pkg/__init__.py", "pkg/sub/__init__.py", "pkg/sub/a.py", "pkg/b.py", "src/lib/c.py", "loose.py"] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let raw: crate::rules::raw::RawConfig = toml::from_str("import-roots = [\"src\"]").unwrap();
        let rules = RuleSet::from_config(&raw, Some(dir.path())).unwrap();
        let finder = ScopeFinder::new(&rules, dir.path());
        for _ in 0..2 {
            for file in
                ["pkg/__init__.py", "pkg/sub/a.py", "pkg/sub/__init__.py", "pkg/b.py", "src/lib/c.py", "loose.py"]
            {
                let path = dir.path().join(file);
                let expected = scope_for(&rules, dir.path(), &path);
                let found = finder.scope_for(&path);
                assert_eq!(
                    (&found.relative_path, &found.module, found.is_package),
                    (&expected.relative_path, &expected.module, expected.is_package),
                    "{file}"
                );
            }
        }
        assert_eq!(finder.scope_for(&dir.path().join("src/lib/c.py")).module.as_deref(), Some("lib.c"));
        assert_eq!(finder.scope_for(&dir.path().join("pkg/sub/a.py")).module.as_deref(), Some("pkg.sub.a"));
    }

    #[test]
    fn modules_come_from_init_files() {
        let dir = tempfile::tempdir().unwrap();
        let package = dir.path().join("pkg/sub");
        std::fs::create_dir_all(&package).unwrap();
        std::fs::write(dir.path().join("pkg/__init__.py"), "").unwrap();
        std::fs::write(package.join("__init__.py"), "").unwrap();
        std::fs::write(package.join("mod.py"), "").unwrap();
        let rules = RuleSet::builtin();
        let scope = scope_for(&rules, dir.path(), &package.join("mod.py"));
        assert_eq!(scope.module.as_deref(), Some("pkg.sub.mod"));
        assert_eq!(scope.current_package().as_deref(), Some("pkg.sub"));
        let init = scope_for(&rules, dir.path(), &package.join("__init__.py"));
        assert_eq!(init.module.as_deref(), Some("pkg.sub"));
        assert!(init.is_package);
        assert_eq!(init.current_package().as_deref(), Some("pkg.sub"));
    }

    #[test]
    fn walk_respects_gitignore_and_excludes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "ignored/\n").unwrap();
        for file in ["a.py", "ignored/b.py", "excluded/c.py", "d.txt", ".hidden/e.py"] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let raw: crate::rules::raw::RawConfig = toml::from_str("exclude = [\"excluded\"]").unwrap();
        let rules = RuleSet::from_config(&raw, Some(dir.path())).unwrap();
        let (files, warnings) = walk(&[dir.path().to_path_buf()], &rules, dir.path());
        let names: Vec<_> = files.iter().map(|f| relative_to(f, dir.path())).collect();
        assert_eq!(names, [PathBuf::from("a.py")]);
        assert!(warnings.is_empty());
    }

    #[test]
    fn excludes_hold_for_files_named_explicitly() {
        let dir = tempfile::tempdir().unwrap();
        for file in ["app/a.py", "legacy/deep/b.py", "gen_c.py"] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let raw: crate::rules::raw::RawConfig = toml::from_str("exclude = [\"legacy\", \"gen_*.py\"]").unwrap();
        let rules = RuleSet::from_config(&raw, Some(dir.path())).unwrap();
        let named: Vec<PathBuf> =
            ["app/a.py", "legacy/deep/b.py", "gen_c.py"].iter().map(|file| dir.path().join(file)).collect();
        let (files, _) = walk(&named, &rules, dir.path());
        assert_eq!(files, [dir.path().join("app/a.py")]);
        let (kept, _) = walk_with(&named, &rules, dir.path(), ExplicitFiles::Kept);
        assert_eq!(kept.len(), 3);
    }
}
