//! The baseline ratchet on the command line: `check --baseline FILE` (or
//! `baseline = "FILE"` in the config) hides the findings the file records
//! and notes the files that have fewer; `check --write-baseline FILE
//! [--grow]` records them. The counting lives in `crate::baseline`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use super::output;
use super::report::Slot;
use super::CheckArgs;
use crate::baseline::Baseline;
use crate::rules::RuleSet;

/// Drops the findings the active baseline records from `slots` (one per
/// checked file of `files`, in order; paths relative to `cwd`) and prints a
/// note per file that has fewer findings than its entry (a file without a
/// report has none). Does nothing without a baseline.
pub fn apply(
    args: &CheckArgs,
    rules: &RuleSet,
    (files, cwd): (&[PathBuf], &Path),
    slots: &mut [Slot],
) -> anyhow::Result<()> {
    let Some((baseline, baseline_path)) = active(args, rules)? else { return Ok(()) };
    let mut known = 0;
    let mut fixed_notes = Vec::new();
    for (slot, path) in slots.iter_mut().zip(files) {
        let mut none = Vec::new();
        let findings = slot.as_mut().map_or(&mut none, |file| &mut file.findings);
        let outcome = baseline.mark(&baseline.key_for(path), findings, &|code| rules.rule(code).is_some());
        findings.retain(|finding| !finding.baselined);
        known += outcome.known;
        if outcome.fixed > 0 {
            let display = match slot {
                Some(file) => file.display.clone(),
                None => super::escape::display_path(&crate::workspace::relative_to(path, cwd)),
            };
            fixed_notes.push(format!(
                "{display}: {} fixed: run `ssot-lsp check --write-baseline {}` to lock it in",
                outcome.fixed,
                baseline_path.display()
            ));
        }
    }
    for line in fixed_notes {
        note(&line);
    }
    if known > 0 {
        note(&format!(
            "{known} finding{} recorded in {} not shown",
            if known == 1 { "" } else { "s" },
            baseline_path.display()
        ));
    }
    Ok(())
}

/// The baseline in force and its path: `--baseline` (which must exist),
/// else the config's `baseline` when its file exists.
fn active(args: &CheckArgs, rules: &RuleSet) -> anyhow::Result<Option<(Arc<Baseline>, PathBuf)>> {
    if let Some(path) = &args.baseline {
        let baseline = read(path)?.with_context(|| format!("--baseline: {} does not exist", path.display()))?;
        return Ok(Some((Arc::new(baseline), path.clone())));
    }
    let Some(path) = &rules.settings.baseline_path else { return Ok(None) };
    match &rules.settings.baseline {
        Some(baseline) => Ok(Some((baseline.clone(), path.clone()))),
        None => {
            output::warn(&format!(
                "the config's baseline {} does not exist yet: every finding counts (create it with `ssot-lsp check --write-baseline {}`)",
                path.display(),
                path.display()
            ));
            Ok(None)
        }
    }
}

/// Reads a baseline file; `None` when it does not exist.
fn read(path: &Path) -> anyhow::Result<Option<Baseline>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error).with_context(|| format!("cannot read the baseline {}", path.display())),
    };
    let baseline = Baseline::parse(&text, folder_of(path))
        .with_context(|| format!("the baseline {} cannot be used", path.display()))?;
    Ok(Some(baseline))
}

fn folder_of(path: &Path) -> &Path {
    path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// `check --write-baseline FILE`: records the findings of `slots` (one per
/// checked file of `files`, in order). Entries of files not checked this
/// time stay, unless the file is gone. Exits 1 when new findings were left
/// out (no --grow).
pub fn write(args: &CheckArgs, rules: &RuleSet, path: &Path, files: &[PathBuf], slots: &[Slot]) -> ExitCode {
    match write_file(args, rules, path, files, slots) {
        Ok(left_out) if left_out > 0 => ExitCode::from(1),
        Ok(_) => ExitCode::SUCCESS,
        Err(error) => {
            output::error(&format!("{error:#}"));
            ExitCode::from(2)
        }
    }
}

fn write_file(
    args: &CheckArgs,
    rules: &RuleSet,
    path: &Path,
    files: &[PathBuf],
    slots: &[Slot],
) -> anyhow::Result<usize> {
    let previous = read(path)?;
    let mut next = previous.clone().unwrap_or_else(|| Baseline::empty(folder_of(path)));
    let folder = next.folder.clone();
    next.files.retain(|key, _| folder.join(key).exists());
    let mut left_out = 0;
    for (slot, file_path) in slots.iter().zip(files) {
        if slot.as_ref().is_some_and(|file| file.error.is_some()) {
            continue;
        }
        let findings = slot.as_ref().map_or(&[][..], |file| &file.findings[..]);
        let key = next.key_for(file_path);
        left_out += next.record(&key, findings, previous.as_ref(), args.grow, &|code| rules.rule(code).is_some());
    }
    write_atomically(path, &next.to_json())?;
    output::write_stdout(&format!(
        "Wrote {}: {} finding{} in {} file{}.\n",
        path.display(),
        next.total(),
        plural(next.total()),
        next.files.len(),
        plural(next.files.len())
    ));
    if left_out > 0 {
        output::write_stdout(&format!(
            "{left_out} new finding{} not recorded: fix {}, or record {} with --grow.\n",
            plural(left_out),
            if left_out == 1 { "it" } else { "them" },
            if left_out == 1 { "it" } else { "them" }
        ));
    }
    Ok(left_out)
}

/// Replaces (or creates) the baseline through a temporary file in its
/// folder and a rename, so a reader never sees half a file.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    let folder = folder_of(path);
    let mut temporary = tempfile::Builder::new()
        .prefix(".ssot-baseline-")
        .tempfile_in(folder)
        .with_context(|| format!("cannot create a temporary file in {}", folder.display()))?;
    temporary.write_all(text.as_bytes()).context("cannot write the baseline")?;
    temporary.as_file().sync_all().context("cannot flush the baseline")?;
    // A temporary file is readable by its owner only; a baseline is shared.
    #[cfg(unix)]
    {
        let permissions = match std::fs::metadata(path) {
            Ok(metadata) => metadata.permissions(),
            Err(_) => std::os::unix::fs::PermissionsExt::from_mode(0o644),
        };
        std::fs::set_permissions(temporary.path(), permissions).context("cannot set the baseline's permissions")?;
    }
    temporary.persist(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn note(message: &str) {
    let _ = writeln!(anstream::stderr(), "note: {message}");
}

fn plural(count: usize) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}
