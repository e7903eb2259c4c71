//! Heavy tests (a 50 MB file, 10,000 documents or changes, 10,000 rules, a
//! fix of 300 files killed midway) run only when `SSOT_SLOW_TESTS=1`, as
//! rust-analyzer's slow tests run only with `RUN_SLOW_TESTS`. `tests/run`
//! sets it, so the full suite always runs them; a plain `cargo test` stays
//! quick on a loaded machine.

/// Whether heavy tests are off; says so on stderr, naming the test, so a
/// run without them is never mistaken for one with them.
pub fn skip_slow_test(name: &str) -> bool {
    let enabled = std::env::var("SSOT_SLOW_TESTS").is_ok_and(|value| value == "1");
    if !enabled {
        eprintln!("{name}: a heavy test, not run: set SSOT_SLOW_TESTS=1 (tests/run does)");
    }
    !enabled
}
