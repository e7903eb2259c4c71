//! When `check` colours its output: `--color`, `--no-color`, then the
//! `NO_COLOR` and `FORCE_COLOR` conventions (each counts only when set and
//! not empty), then whether stdout is a terminal.

use super::{CheckArgs, ColorWhen};

/// Decides the colour choice and installs it for `anstream`, which strips
/// colour from everything written when the choice is off.
pub fn apply(args: &CheckArgs) {
    let choice = choose(args, |name| std::env::var_os(name).is_some_and(|value| !value.is_empty()));
    choice.write_global();
}

/// The choice for these arguments; `is_set` says whether an environment
/// variable is set and not empty.
fn choose(args: &CheckArgs, is_set: impl Fn(&str) -> bool) -> anstream::ColorChoice {
    if args.no_color || args.output_file.is_some() {
        return anstream::ColorChoice::Never;
    }
    match args.color {
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
        ColorWhen::Auto if is_set("NO_COLOR") => anstream::ColorChoice::Never,
        ColorWhen::Auto if is_set("FORCE_COLOR") => anstream::ColorChoice::Always,
        ColorWhen::Auto => anstream::ColorChoice::Auto,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(line: &[&str]) -> CheckArgs {
        let mut full = vec!["ssot-lsp", "check"];
        full.extend_from_slice(line);
        match super::super::Cli::parse_from(full).command {
            super::super::Command::Check(args) => args,
            _ => unreachable!("a check command line"),
        }
    }

    #[test]
    fn flags_win_over_the_environment_and_no_color_over_force_color() {
        let everything = |_: &str| true;
        let nothing = |_: &str| false;
        let force_only = |name: &str| name == "FORCE_COLOR";
        assert_eq!(choose(&args(&["--color", "always"]), everything), anstream::ColorChoice::Always);
        assert_eq!(choose(&args(&["--color", "never"]), force_only), anstream::ColorChoice::Never);
        assert_eq!(choose(&args(&[]), everything), anstream::ColorChoice::Never);
        assert_eq!(choose(&args(&[]), force_only), anstream::ColorChoice::Always);
        assert_eq!(choose(&args(&[]), nothing), anstream::ColorChoice::Auto);
        assert_eq!(choose(&args(&["--no-color", "--color", "always"]), nothing), anstream::ColorChoice::Never);
        assert_eq!(choose(&args(&["--output-file", "x", "--color", "always"]), nothing), anstream::ColorChoice::Never);
    }
}
