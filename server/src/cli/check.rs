//! `ssot-lsp check`: walk, prefilter, check (and fix) files in parallel, then
//! print one report.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use anyhow::Context;
use rayon::prelude::*;

use super::git::StatusProbe;
use super::output;
use super::report::{exit_status, FileReport, Mode, Report, Slot};
use super::write::{write_atomically, Written};
use super::CheckArgs;
use crate::finding::Finding;
use crate::fix::{fix_text, FixOptions};
use crate::identifiers::ImportWords;
use crate::index::{SharedIndex, WorkspaceIndex};
use crate::line_index::Excerpt;
use crate::rules::{load_rule_set, LoadedRules, RuleSet};
use crate::source::{read_bytes_with, read_source_with, SourceRef};
use crate::workspace::ScopeFinder;
use crate::{analysis, workspace};

/// Checks the named paths (`cli::run_check` has set up colour and the output
/// file, and sent `-` to `stdin`).
pub(super) fn run_paths(args: &CheckArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let loaded = match load_rules(args, &paths, &cwd) {
        Ok(loaded) => loaded,
        Err(error) => {
            output::error(&format!("{error:#}"));
            return ExitCode::from(2);
        }
    };
    let rules = &loaded.rules;
    let explicit =
        if args.no_force_exclude { workspace::ExplicitFiles::Kept } else { workspace::ExplicitFiles::Excluded };
    let options = FixOptions { unsafe_fixes: args.unsafe_fixes || rules.settings.unsafe_fixes, only_codes: Vec::new() };
    let scopes = workspace::ScopeFinder::new(rules, &cwd);
    let git_status = StatusProbe::new(cwd.clone());
    // The files with a safe fix tell git's probe what they hold, for the hint.
    let hinted = output::shows_fix_hint(args).then_some(&git_status);
    let warm = || workspace_index(rules, &paths, &cwd);
    let Walked { index, reports: walked, warnings, .. } =
        walk_and_check(rules, &paths, (&cwd, &scopes), explicit, (&options, hinted), &warm);
    let mut had_error = false;
    for warning in &warnings {
        match &warning.path {
            // A path the user named that is missing or unreadable: an error.
            Some(path) => output::error(&format!("{}: {}", output::display_path(path), warning.message)),
            None => output::warn(&warning.message),
        }
        had_error |= warning.is_error;
    }
    let mode = Mode::of(args);
    let (files, (slots, mut known)): (Vec<PathBuf>, (Vec<Slot>, Vec<AliasesKnown>)) = walked.into_iter().unzip();
    let mut slots = check_files(rules, &index, (&cwd, &scopes), (&paths, &files), (slots, &mut known), &options, mode);
    for file in slots.iter().flatten() {
        if let Some(error) = &file.error {
            output::warn(&format!("{}: {error}", file.display));
            had_error |= file.is_error;
        }
    }
    if let Some(path) = &args.write_baseline {
        if had_error {
            output::error("the baseline is not written: fix the errors above first");
            return ExitCode::from(2);
        }
        return super::baseline::write(args, rules, path, &files, &slots);
    }
    if let Err(error) = super::baseline::apply(args, rules, (&files, &cwd), &mut slots) {
        output::error(&format!("{error:#}"));
        return ExitCode::from(2);
    }
    let report = Report::of(slots);
    output::print_report(&report, args, rules, had_error, &git_status);
    let status = exit_status(args, &report, mode, had_error);
    // The process ends here: freeing a report, a path and the import words
    // of each checked file one by one (2 ms for 10,000 files, and as much
    // again for the words) would only delay the exit, and so would freeing
    // the index, the rules and git's listing (1 ms). None of them has
    // anything left to do when dropped.
    std::mem::forget((report, files, known, index, git_status, scopes));
    std::mem::forget(loaded);
    status
}

pub(super) fn load_rules(args: &CheckArgs, paths: &[PathBuf], cwd: &Path) -> anyhow::Result<LoadedRules> {
    let start = paths
        .first()
        .map(|path| if path.is_absolute() { path.clone() } else { cwd.join(path) })
        .unwrap_or_else(|| cwd.to_path_buf());
    let mut loaded = load_rule_set(args.config.as_deref(), &start)?;
    if !args.select.is_empty() || !args.ignore.is_empty() {
        loaded.rules = narrow(&loaded.rules, &args.select, &args.ignore).context("--select/--ignore")?;
    }
    Ok(loaded)
}

/// Applies `--select` and `--ignore` on top of the config.
fn narrow(rules: &RuleSet, select: &[String], ignore: &[String]) -> anyhow::Result<RuleSet> {
    let mut narrowed = rules.clone();
    for selector in select.iter().chain(ignore) {
        if !rules.rules.iter().any(|rule| crate::rules::code_matches(&rule.code, selector)) {
            anyhow::bail!("no active rule code starts with `{selector}` (see `ssot-lsp rules`)");
        }
    }
    narrowed.rules.retain(|rule| {
        let selected = select.is_empty() || select.iter().any(|code| crate::rules::code_matches(&rule.code, code));
        let ignored = ignore.iter().any(|code| crate::rules::code_matches(&rule.code, code));
        selected && !ignored
    });
    Ok(narrowed.with_recomputed_triggers())
}

/// The walk, each file read, prefiltered and checked (report only) as it
/// is found, on the walk's threads, while another thread builds the
/// workspace index; the text of a file without findings is never copied
/// out of the read buffer. Each file with a safe fix tells `status`, when
/// given, the bytes it read (the first starts it).
///
/// A file to check found before the index is ready is put aside, and the
/// walk goes on: the first visit after the index is ready checks those
/// files (reading them again), and what is left when the walk ends is
/// checked then. Waiting for the index at the first such file instead left
/// one core idle while the other read the canonical modules (about 30 ms of
/// a 190 ms check of a 10,000-file tree).
fn walk_and_check(
    rules: &RuleSet,
    paths: &[PathBuf],
    (cwd, scopes): (&Path, &ScopeFinder),
    explicit: workspace::ExplicitFiles,
    (options, status): (&FixOptions, Option<&StatusProbe>),
    warm: &(dyn Fn() -> SharedIndex + Sync),
) -> Walked {
    let ready = OnceLock::new();
    std::thread::scope(|scope| {
        // The warm-up's thread sets `ready`; a check that needs the index
        // before then joins that thread, holding the lock (so that another
        // one waits for the join too).
        let warming = Mutex::new(Some(scope.spawn(|| {
            let _ = ready.set(warm());
        })));
        let index = || -> SharedIndex {
            if let Some(index) = ready.get() {
                return SharedIndex::clone(index);
            }
            let mut warming = warming.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(handle) = warming.take() {
                handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            }
            ready.get().cloned().expect("the warm-up's thread sets the index")
        };
        let visited = AtomicUsize::new(0);
        // Checks the file at `path`; `None` when `may_defer`, the file is to
        // be checked, and the index is not ready yet.
        let check_path = |path: &Path, early: bool, may_defer: bool| -> Option<(Slot, AliasesKnown)> {
            // No check records a hub alias before the index is ready.
            let aliases = ready.get().map(|index| index.hub_alias_names());
            let recorded = aliases.as_ref().map_or(0, |aliases| aliases.recorded());
            // Once a hub renames a deprecated name, others may too, later in
            // the walk: a file's import words then tell whether to read it
            // again for them. The first files keep them before any hub is
            // seen (see `EARLY_IMPORT_WORDS`).
            let imports = RefCell::new(None);
            let keep_imports = |bytes: &[u8], hides_names: Option<bool>| {
                if (recorded > 0 || early) && imports.borrow().is_none() {
                    let hides_names = hides_names.unwrap_or_else(|| crate::identifiers::may_hide_ascii_names(bytes));
                    imports.replace(Some(ImportWords::of_checked(bytes, hides_names)));
                }
            };
            let gate = Cell::new(Gate::Prefilter);
            let report = read_source_with(
                rules,
                path,
                // Asked only of a file without a trigger string.
                &|bytes, hides_names| {
                    keep_imports(bytes, Some(hides_names));
                    let Some(aliases) = aliases.as_ref().filter(|_| recorded > 0) else { return false };
                    // A file whose import statements name no hub imports no
                    // alias: its words settle most files without a search.
                    let may_import = imports.borrow().as_ref().is_some_and(|imports| {
                        imports.may_hide_ascii_names() || aliases.may_import_from_a_hub(imports)
                    });
                    let named = may_import && aliases.named_in_checked(bytes, hides_names);
                    if named {
                        gate.set(Gate::HubAlias);
                    }
                    named
                },
                |read| {
                    let text = match &read {
                        Ok(SourceRef::Text(text)) => Some(*text),
                        _ => None,
                    };
                    if text.is_some() && may_defer && ready.get().is_none() {
                        return None;
                    }
                    if let Some(text) = text {
                        keep_imports(text.as_bytes(), None);
                    }
                    let report =
                        check_source(rules, &index, (cwd, scopes), path, read, options, Mode::Report, gate.get());
                    if let (Some(status), Some(text), Some(report)) = (status, text, &report) {
                        if report.findings.iter().any(Finding::has_safe_fix) {
                            status.note_read(path, text.as_bytes());
                        }
                    }
                    Some(report.map(Box::new))
                },
            )?;
            Some((report, AliasesKnown { recorded, gate: gate.get(), imports: imports.into_inner() }))
        };
        // The files put aside (with whether they came early), and their
        // checks once done.
        let deferred = Mutex::new(Vec::new());
        let any_deferred = AtomicBool::new(false);
        let caught_up = Mutex::new(HashMap::new());
        let catch_up = |wait: bool| {
            if !any_deferred.load(Ordering::Acquire) || (!wait && ready.get().is_none()) {
                return;
            }
            // Cleared before the files are taken: a file put aside meanwhile
            // sets it again.
            any_deferred.store(false, Ordering::Release);
            let files = std::mem::take(&mut *deferred.lock().unwrap_or_else(PoisonError::into_inner));
            let check = |(path, early): (PathBuf, bool)| {
                let checked = check_path(&path, early, false).expect("a check that may not be put aside");
                (path, checked)
            };
            // During the walk the other threads go on walking; after it,
            // the files are checked in parallel.
            let checked: Vec<(PathBuf, (Slot, AliasesKnown))> =
                if wait { files.into_par_iter().map(check).collect() } else { files.into_iter().map(check).collect() };
            caught_up.lock().unwrap_or_else(PoisonError::into_inner).extend(checked);
        };
        let (walked, warnings) = workspace::walk_visiting(paths, rules, cwd, explicit, &|path| {
            catch_up(false);
            let early = visited.fetch_add(1, Ordering::Relaxed) < EARLY_IMPORT_WORDS;
            let checked = check_path(path, early, true);
            if checked.is_none() {
                deferred.lock().unwrap_or_else(PoisonError::into_inner).push((path.to_path_buf(), early));
                any_deferred.store(true, Ordering::Release);
            }
            checked
        });
        catch_up(true);
        let mut caught_up = caught_up.into_inner().unwrap_or_else(PoisonError::into_inner);
        let put_aside = caught_up.len();
        let walked = walked
            .into_iter()
            .map(|(path, checked)| {
                let checked = checked.unwrap_or_else(|| caught_up.remove(&path).expect("a file put aside is checked"));
                (path, checked)
            })
            .collect();
        Walked { index: index(), reports: walked, warnings, put_aside }
    })
}

/// What [`walk_and_check`] found.
struct Walked {
    index: SharedIndex,
    /// Each walked file with its first check's report.
    reports: Vec<(PathBuf, (Slot, AliasesKnown))>,
    warnings: Vec<workspace::WalkWarning>,
    /// How many files were put aside until the index was ready (read by
    /// the tests).
    #[cfg_attr(not(test), allow(dead_code))]
    put_aside: usize,
}

/// How many files, the first the walk reads, keep the words of their import
/// statements even while no hub alias is known. A file read before the first
/// hub that renames a deprecated name (`… import create_websocket_manager as
/// make`) would otherwise be read again after the walk, when its words cannot
/// rule it out: on realistic-old the first such hub comes after 1,900–2,800
/// of the 10,000 files, and reading those again cost more than the words of
/// every file. The words of every file cost 3–17 % more CPU in a tree with no
/// alias, where nothing is read again; this many bound that.
const EARLY_IMPORT_WORDS: usize = 4096;

/// What a file's check knew of the hubs' aliases of deprecated names.
#[derive(Debug)]
struct AliasesKnown {
    /// How many (hub, alias) pairs were recorded when it was read
    /// (`HubAliasNames::recorded`).
    recorded: usize,
    /// How it was checked: `HubAlias` when it names one of them.
    gate: Gate,
    /// Its import statements' words, kept when some pair was recorded by
    /// then (see `walk_and_check`).
    imports: Option<ImportWords>,
}

/// The index of the workspace the checked paths belong to, with the modules
/// the rules name already read (before `--fix` writes anything).
pub(super) fn workspace_index(rules: &RuleSet, paths: &[PathBuf], cwd: &Path) -> SharedIndex {
    let roots = WorkspaceIndex::roots_for(&rules.settings.import_roots, paths, cwd);
    let start = paths.first().map(|path| cwd.join(path)).unwrap_or_else(|| cwd.to_path_buf());
    let index = WorkspaceIndex::new(roots).with_line_length(workspace::project_line_length(&start));
    index.warm(&rules.known_rules);
    SharedIndex(Arc::new(index))
}

/// Completes the walk's check of every file (`checked`: the report of each,
/// findings only), then fixes those with a fix to apply.
///
/// Every file is checked before any is fixed: the checks of the files that
/// import a deprecated name from a re-export hub record so in the index,
/// and the hub's own fix must then keep that name (`analysis`). The hubs are
/// checked again once all is recorded, so the result does not depend on the
/// order the files were checked in; a file with nothing to fix is not read
/// again.
fn check_files(
    rules: &RuleSet,
    index: &SharedIndex,
    (cwd, scopes): (&Path, &ScopeFinder),
    (paths, files): (&[PathBuf], &[PathBuf]),
    (mut reports, known): (Vec<Slot>, &mut [AliasesKnown]),
    options: &FixOptions,
    mode: Mode,
) -> Vec<Slot> {
    let gates = check_hub_alias_importers(rules, index, (cwd, scopes), files, options, (&mut reports, known));
    // A report says which findings `--fix` fixes: it knows the same
    // importers (a report that offered a fix `--fix` then withheld would
    // mislead its readers, JSON's among them), and so does `--fix`'s own
    // report of what it leaves, whatever fixes it applies (a remaining
    // finding says the same in every mode).
    let fixable: Vec<&PathBuf> = files
        .iter()
        .zip(&reports)
        .filter(|(_, report)| report.as_ref().is_some_and(|report| report.findings.iter().any(|f| f.fix.is_some())))
        .map(|(path, _)| path)
        .collect();
    // Names a fix reads where a patch on their deprecated module reaches
    // them: a file elsewhere that patches one (a `conftest.py`) need not
    // name the fixed module.
    let mut patched: Vec<&str> = reports
        .iter()
        .flatten()
        .flat_map(|report| &report.findings)
        .filter_map(|finding| finding.patchers_seen.as_ref())
        .flat_map(|seen| seen.names.iter().map(|(_, name)| name.as_str()))
        .collect();
    patched.sort_unstable();
    patched.dedup();
    record_importers_elsewhere(rules, index, (cwd, scopes), paths, files, (&fixable, &patched));
    let hubs = index.reexporting_modules();
    reports.par_iter_mut().zip(files).zip(gates).for_each(|((slot, path), gate)| {
        let Some(report) = slot.as_ref().filter(|report| report.error.is_none() && !report.findings.is_empty()) else {
            return;
        };
        let to_fix = mode != Mode::Report && report.findings.iter().any(|finding| options.allows(finding));
        let is_hub = || scopes.scope_for(path).module.is_some_and(|module| hubs.binary_search(&module).is_ok());
        // A fix of a name some file patches on its deprecated module
        // depends on that file's check (`patched_read`): judged
        // before every patcher was recorded, it is judged again.
        let patched = || {
            report
                .findings
                .iter()
                .any(|finding| finding.patchers_seen.as_ref().is_some_and(|seen| index.patchers_changed(seen)))
        };
        if to_fix || is_hub() || patched() {
            *slot = check_file(rules, index, (cwd, scopes), path, options, mode, gate).map(Box::new);
        }
    });
    reports
}

/// How `check_file` decides to read a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// Only when the rules' trigger strings occur in it (the skeleton check).
    Prefilter,
    /// Always, whole: it names what a re-export hub binds a deprecated name
    /// to under another name (`… import create_websocket_manager as
    /// make_manager`), which no trigger string matches.
    HubAlias,
}

/// The files that may import a hub's alias of a deprecated name (the
/// checks so far recorded the aliases in the index) and were read before it
/// was recorded are read again, and checked again, whole, when they name
/// it: their imports of the alias from the hub are findings, and the hub
/// keeps it. Again while new aliases turn up (a hub of a hub renaming it
/// once more). No file is read again when no hub renames one, nor one read
/// once every alias was known (the walk's check tested it then), nor one
/// whose import statements name none of the hubs (`AliasesKnown::imports`).
/// Returns how each file was checked last.
fn check_hub_alias_importers(
    rules: &RuleSet,
    index: &SharedIndex,
    (cwd, scopes): (&Path, &ScopeFinder),
    files: &[PathBuf],
    options: &FixOptions,
    (reports, known): (&mut [Slot], &mut [AliasesKnown]),
) -> Vec<Gate> {
    for _ in 0..crate::index::MAX_REEXPORT_DEPTH {
        let aliases = index.hub_alias_names();
        if known.iter().all(|known| known.recorded == aliases.recorded()) {
            break;
        }
        reports.par_iter_mut().zip(files).zip(known.par_iter_mut()).for_each(|((report, path), known)| {
            if known.recorded == aliases.recorded() {
                return;
            }
            known.recorded = aliases.recorded();
            // Its import words, when kept, may show it imports from no hub:
            // no need to read it again.
            let from_no_hub = known.imports.as_ref().is_some_and(|imports| !aliases.may_import_from_a_hub(imports));
            if report.as_ref().is_some_and(|report| report.error.is_some())
                || from_no_hub
                || !read_bytes_with(path, |read| read.is_ok_and(|bytes| aliases.named_in(bytes)))
            {
                return;
            }
            known.gate = Gate::HubAlias;
            *report =
                check_file(rules, index, (cwd, scopes), path, options, Mode::Report, Gate::HubAlias).map(Box::new);
        });
    }
    known.iter().map(|known| known.gate).collect()
}

/// When only part of a package tree is checked (`check hub.py`, a
/// pre-commit run on the staged files), the rest of the tree may import
/// from a checked module that is about to be fixed: the other files of the
/// tree that name such a module (its last part as a word, as any import of
/// it must) and could hold a finding (a trigger string, or a hub's alias of
/// a deprecated name) are checked too, for the index only (their findings
/// are not reported), so that a hub among the checked files knows its
/// importers. So are the files naming a name that a fix of theirs reads
/// where a patch on its deprecated module reaches it (`patched`, see
/// `FileAnalysis::patched_read`): a `conftest.py` that patches
/// `create_websocket_manager` on the factory need not name the fixed
/// module. Nothing to do when every such tree is checked whole.
pub(super) fn record_importers_elsewhere(
    rules: &RuleSet,
    index: &SharedIndex,
    (cwd, scopes): (&Path, &ScopeFinder),
    paths: &[PathBuf],
    files: &[PathBuf],
    (fixable, patched): (&[&PathBuf], &[&str]),
) {
    let mut needles: Vec<String> = fixable
        .iter()
        .filter_map(|path| scopes.scope_for(path).module)
        .filter_map(|module| module.rsplit('.').next().map(str::to_string))
        .collect();
    needles.extend(patched.iter().map(|name| name.to_string()));
    if needles.is_empty() {
        return;
    }
    let absolute = |path: &Path| std::fs::canonicalize(cwd.join(path)).unwrap_or_else(|_| cwd.join(path));
    let checked_folders: Vec<PathBuf> = paths.iter().map(|path| absolute(path)).filter(|path| path.is_dir()).collect();
    let mut trees: Vec<PathBuf> = rules.settings.import_roots.iter().map(|root| absolute(root)).collect();
    trees.extend(fixable.iter().filter_map(|path| scopes.package_tree_of(path)));
    trees.sort();
    trees.dedup();
    trees.retain(|tree| tree.is_dir() && !checked_folders.iter().any(|folder| tree.starts_with(folder)));
    if trees.is_empty() {
        return;
    }
    let Some(names) = crate::identifiers::names_search(needles.iter().map(String::as_bytes)) else { return };
    let aliases = index.hub_alias_names();
    let checked: std::collections::HashSet<PathBuf> = files.iter().map(|path| absolute(path)).collect();
    let (others, _) = workspace::walk(&trees, rules, cwd);
    others.par_iter().filter(|path| !checked.contains(&absolute(path))).for_each(|path| {
        read_bytes_with(path, |read| {
            let Ok(bytes) = read else { return };
            if !crate::identifiers::names_any_word(bytes, &names) {
                return;
            }
            let gate = if rules.may_match_file(path, bytes) {
                Gate::Prefilter
            } else if aliases.named_in(bytes) {
                Gate::HubAlias
            } else {
                return;
            };
            let Ok(text) = std::str::from_utf8(bytes) else { return };
            let mut scope = scopes.scope_for(path);
            scope.index = Some(index.clone());
            match gate {
                Gate::Prefilter => analysis::scan_text(rules, &scope, text),
                Gate::HubAlias => analysis::check_text(rules, &scope, text),
            };
        })
    });
}

fn check_file(
    rules: &RuleSet,
    index: &SharedIndex,
    (cwd, scopes): (&Path, &ScopeFinder),
    path: &Path,
    options: &FixOptions,
    mode: Mode,
    gate: Gate,
) -> Option<FileReport> {
    // A file read for a hub's alias has no trigger string: it is read anyway.
    let also: &dyn Fn(&[u8], bool) -> bool = match gate {
        Gate::Prefilter => &|_, _| false,
        Gate::HubAlias => &|_, _| true,
    };
    let index = || index.clone();
    read_source_with(rules, path, also, |read| {
        check_source(rules, &index, (cwd, scopes), path, read, options, mode, gate)
    })
}

/// `check_file` for a file already read. `index` is asked only when the
/// file is text to check. `None` when a report would have nothing to say
/// (no finding, no error; only when not fixing). A report keeps the text
/// only when it has findings (the output quotes their lines) or fixes.
#[allow(clippy::too_many_arguments)]
fn check_source(
    rules: &RuleSet,
    index: &dyn Fn() -> SharedIndex,
    (cwd, scopes): (&Path, &ScopeFinder),
    path: &Path,
    read: std::io::Result<SourceRef<'_>>,
    options: &FixOptions,
    mode: Mode,
    gate: Gate,
) -> Option<FileReport> {
    let new_report = || FileReport::new(workspace::relative_to(path, cwd));
    let text = match read {
        Ok(SourceRef::Text(text)) => text,
        Ok(SourceRef::NoTrigger) => return None,
        Ok(SourceRef::Skipped(reason)) => {
            return Some(FileReport { error: Some(reason.to_string()), ..new_report() });
        }
        Err(error) => {
            return Some(FileReport { error: Some(format!("cannot read: {error}")), is_error: true, ..new_report() });
        }
    };
    let mut scope = scopes.scope_for(path);
    scope.index = Some(index());
    if mode == Mode::Report {
        let findings = match gate {
            Gate::Prefilter => analysis::scan_text(rules, &scope, text),
            Gate::HubAlias => analysis::check_text(rules, &scope, text),
        };
        if findings.is_empty() {
            return None;
        }
        let excerpt = Some(Excerpt::of(text, findings.iter().flat_map(Finding::offsets)));
        return Some(FileReport { findings, excerpt, ..new_report() });
    }
    let mut report = new_report();
    let text = text.to_owned();
    let outcome = fix_text(rules, &scope, &text, options);
    report.applied = outcome.applied_count();
    report.findings = outcome.remaining;
    if outcome.text != text {
        if mode == Mode::Fix {
            match write_atomically(path, &text, &outcome.text) {
                Ok(Written::Replaced) => {}
                Ok(Written::AlreadyFixed) => {
                    // Another run fixed it meanwhile: nothing is ours to count.
                    report.applied = 0;
                    report.text = Some(outcome.text);
                    return Some(report);
                }
                Err(error) => {
                    report.error = Some(format!("not fixed: {error:#}"));
                    report.is_error = true;
                    report.applied = 0;
                    report.findings = analysis::check_text(rules, &scope, &text);
                    report.text = Some(text);
                    return Some(report);
                }
            }
        }
        report.fixed_text = Some(outcome.text.clone());
    }
    report.original_text = Some(text);
    report.text = Some(outcome.text);
    Some(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Each file's findings after the whole check of the fixture tree
    /// `name`, its index warmed after `delay`, and how many files the walk
    /// put aside.
    fn check_fixture(name: &str, delay: Duration) -> (Vec<(PathBuf, Vec<String>)>, usize) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspaces").join(name);
        let rules = RuleSet::builtin();
        let paths = vec![root.clone()];
        let scopes = ScopeFinder::new(&rules, &root);
        let options = FixOptions { unsafe_fixes: true, only_codes: Vec::new() };
        let warm = || {
            std::thread::sleep(delay);
            workspace_index(&rules, &paths, &root)
        };
        let explicit = workspace::ExplicitFiles::Excluded;
        let walked = walk_and_check(&rules, &paths, (&root, &scopes), explicit, (&options, None), &warm);
        let (files, (slots, mut known)): (Vec<PathBuf>, (Vec<Slot>, Vec<AliasesKnown>)) =
            walked.reports.into_iter().unzip();
        let slots = check_files(
            &rules,
            &walked.index,
            (&root, &scopes),
            (&paths, &files),
            (slots, &mut known),
            &options,
            Mode::Report,
        );
        let findings = files
            .into_iter()
            .zip(slots)
            .map(|(path, slot)| {
                let findings =
                    slot.map(|report| report.findings.iter().map(|finding| format!("{finding:?}")).collect());
                (path, findings.unwrap_or_default())
            })
            .collect();
        (findings, walked.put_aside)
    }

    #[test]
    fn files_put_aside_until_the_index_is_ready_get_the_same_findings() {
        for name in ["reexport_hub", "old_commit", "plain_hub"] {
            let (prompt, _) = check_fixture(name, Duration::ZERO);
            // The walk of a few dozen files is over long before a second.
            let (late, put_aside) = check_fixture(name, Duration::from_secs(1));
            assert!(put_aside > 0, "{name}: nothing was put aside");
            let with_findings = prompt.iter().filter(|(_, findings)| !findings.is_empty()).count();
            assert!(with_findings >= 2, "{name}: {prompt:#?}");
            assert_eq!(prompt, late, "{name}");
        }
    }
}
