//! `ssot-lsp infer [PATHS]`: prints a draft rule file made from the
//! deprecation shims found under the paths (the engine side is `crate::infer`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{output, InferArgs};
use crate::infer::{draft_config, find_shim, render_draft, ModuleSource, Shim};
use crate::rules::{load_rule_set, RuleSet};
use crate::workspace;

/// Exit codes: 0 a draft was printed, 1 no shim was found, 2 an error.
pub fn run_infer(args: &InferArgs) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let start = if paths[0].is_absolute() { paths[0].clone() } else { cwd.join(&paths[0]) };
    // The config only places files (import roots, excludes); its rules do not matter here.
    let rules = match load_rule_set(args.config.as_deref(), &start) {
        Ok(loaded) => loaded.rules,
        Err(error) => {
            output::error(&format!("{error}"));
            return ExitCode::from(2);
        }
    };
    let (files, warnings) = workspace::walk(&paths, &rules, &cwd);
    let mut had_error = false;
    for warning in &warnings {
        let path = warning.path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default();
        output::warn(&format!("{path}{}", warning.message));
        had_error |= warning.path.is_some();
    }
    if had_error {
        return ExitCode::from(2);
    }
    let mut shims: Vec<Shim> = files.iter().filter_map(|path| shim_of(&rules, &cwd, path)).collect();
    shims.sort_by(|a, b| a.module.cmp(&b.module));
    if shims.is_empty() {
        output::warn("no deprecation shims found (modules that warn with DeprecationWarning and re-export names)");
        return ExitCode::from(1);
    }
    match render_draft(&draft_config(&shims)) {
        Ok(text) => {
            output::write_stdout(&text);
            ExitCode::SUCCESS
        }
        Err(error) => {
            output::error(&format!("{error}"));
            ExitCode::from(2)
        }
    }
}

/// The shim a file is; unreadable and non-UTF-8 files are not shims.
fn shim_of(rules: &RuleSet, cwd: &Path, path: &Path) -> Option<Shim> {
    let text = std::fs::read_to_string(path).ok()?;
    if !text.contains("DeprecationWarning") {
        return None;
    }
    let scope = workspace::scope_for(rules, cwd, path);
    let module = scope.module?;
    find_shim(&ModuleSource { module: &module, is_package: scope.is_package, text: &text })
}
