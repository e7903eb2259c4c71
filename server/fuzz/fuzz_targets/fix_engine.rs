//! The fix engine on any text: no panic, the fix loop never adds a parse
//! error, and fixing its own output changes nothing (safe and unsafe fixes).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ssot_lsp::fix::{fix_text, FixOptions};
use ssot_lsp::rules::{FileScope, RuleSet};
use ssot_lsp::syntax::{count_errors, parse_text};

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(RuleSet::builtin)
}

fn scope(package: bool) -> FileScope {
    let (path, module) = if package {
        ("netra_backend/app/websocket_core/__init__.py", "netra_backend.app.websocket_core")
    } else {
        ("netra_backend/app/routes/handler.py", "netra_backend.app.routes.handler")
    };
    FileScope { relative_path: Some(PathBuf::from(path)), module: Some(module.to_string()), is_package: package, ..FileScope::default() }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let scope = scope(flags & 1 == 1);
    let options = FixOptions { unsafe_fixes: flags & 2 == 2, only_codes: Vec::new() };
    let errors_before = count_errors(&parse_text(&text));
    let outcome = fix_text(rules(), &scope, &text, &options);
    let errors_after = count_errors(&parse_text(&outcome.text));
    assert!(errors_after <= errors_before, "fixing added parse errors ({errors_before} -> {errors_after})");
    if outcome.text != text {
        let again = fix_text(rules(), &scope, &outcome.text, &options);
        assert_eq!(again.text, outcome.text, "a second fix changed the fixed text");
        assert_eq!(again.applied_count(), 0);
    }
    assert_eq!(outcome.remaining.len(), ssot_lsp::analysis::check_text(rules(), &scope, &outcome.text).len());
});
