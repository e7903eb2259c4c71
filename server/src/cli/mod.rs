//! The command line: `check`, `rules`, `explain`, `infer`, `schema` and `serve`.
//!
//! Only this module (and `lsp`) prints. Exit codes: 0 clean, 1 findings
//! remain, 2 an error (bad config, unreadable path, bad arguments).

mod baseline;
mod check;
mod color;
pub mod diff;
mod escape;
mod git;
mod infer;
mod output;
mod report;
mod sink;
mod stdin;
mod write;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use write::{write_atomically, Written};

#[derive(Debug, Parser)]
#[command(
    name = "ssot-lsp",
    version,
    about = "Keeps a Python code base on its single source of truth: finds and fixes deprecated imports"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check files for deprecated paths, and optionally fix them.
    Check(CheckArgs),
    /// List the active rules.
    Rules(RulesArgs),
    /// Print a rule's documentation.
    Explain(ExplainArgs),
    /// Print a draft rule file made from the deprecation shims under PATHS.
    Infer(InferArgs),
    /// Print the JSON schema of the rule file format.
    Schema,
    /// Run the language server over stdio.
    Serve(ServeArgs),
    /// Print a shell completion script (e.g. `ssot-lsp completions bash > ~/.local/share/bash-completion/completions/ssot-lsp`).
    Completions(CompletionsArgs),
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or folders to check (default: the current folder); `-` reads
    /// one file from stdin (with --stdin-filename).
    pub paths: Vec<PathBuf>,
    /// Apply safe fixes and write the files.
    #[arg(long)]
    pub fix: bool,
    /// Also apply unsafe fixes (with --fix or --diff).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Show the fixes as a unified diff and write nothing.
    #[arg(long)]
    pub diff: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Print counts per rule, per deprecated name and files: the migration's progress.
    #[arg(long)]
    pub statistics: bool,
    /// Only these rule codes (comma-separated; prefixes allowed).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Skip these rule codes (comma-separated; prefixes allowed).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Rule file to use instead of the discovered one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Exit 0 even when findings remain.
    #[arg(long)]
    pub exit_zero: bool,
    /// Never colour the output (same as --color never).
    #[arg(long)]
    pub no_color: bool,
    /// When to colour the output: `auto` (a terminal, unless NO_COLOR is set
    /// and not empty; FORCE_COLOR forces it), `always` or `never`.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,
    /// Write the report to this file instead of stdout (never coloured).
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Report only findings that this baseline file does not record (see
    /// --write-baseline); overrides `baseline` in the config.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in a baseline file. An existing file's entries
    /// only shrink (fixed findings leave it); new findings are added only with --grow.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["fix", "diff", "baseline", "stdin_filename"])]
    pub write_baseline: Option<PathBuf>,
    /// With --write-baseline: also record findings the baseline does not have yet.
    #[arg(long, requires = "write_baseline")]
    pub grow: bool,
    /// The path of the file read from stdin (`-`): used for the config, the
    /// excludes, per-file-ignores, the module and the report.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Exit 1 when --fix changed a file, even if nothing remains.
    #[arg(long)]
    pub exit_non_zero_on_fix: bool,
    /// Check files named on the command line even when `exclude` matches
    /// them (by default the config's excludes hold for them too, as with
    /// ruff's --force-exclude, since pre-commit names files one by one).
    #[arg(long, overrides_with = "force_exclude")]
    pub no_force_exclude: bool,
    /// The default: `exclude` holds for files named on the command line.
    #[arg(long, overrides_with = "no_force_exclude")]
    pub force_exclude: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Each finding with its source line.
    Text,
    /// One line per finding.
    Concise,
    /// A JSON array of findings with their fixes.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions annotations.
    Github,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Rule file to use instead of the discovered one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The rule code, e.g. SSOT001.
    pub code: String,
    /// Rule file to use instead of the discovered one.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct InferArgs {
    /// Files or folders to read (default: the current folder).
    pub paths: Vec<PathBuf>,
    /// Rule file whose import roots and excludes place the files.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Accepted for clients that pass it; stdio is the only transport.
    #[arg(long)]
    pub stdio: bool,
}

/// `ssot-lsp check`: colour and the output file first, then stdin (`-`) or
/// the named paths.
pub fn run_check(args: &CheckArgs) -> ExitCode {
    color::apply(args);
    // Findings of the other formats would point into text that is not on
    // disk (the fixed one), and none of them carries a diff.
    if args.diff && !matches!(args.format, OutputFormat::Text | OutputFormat::Concise) {
        output::error(
            "--diff prints a unified diff, with --format text or concise; for the fixes as data, use --format json without --diff (each finding lists its fix's edits in the file as it is)",
        );
        return ExitCode::from(2);
    }
    if let Some(path) = &args.output_file {
        if let Err(error) = sink::to_file(path) {
            output::error(&format!("{error:#}"));
            return ExitCode::from(2);
        }
    }
    if stdin::wants_stdin(args) {
        return stdin::run_stdin(args);
    }
    check::run_paths(args)
}

/// Runs a parsed command line (all but `serve`) and returns the exit code.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check(args) => run_check(&args),
        Command::Rules(args) => output::print_rules(&args),
        Command::Explain(args) => output::print_explain(&args),
        Command::Infer(args) => infer::run_infer(&args),
        Command::Schema => {
            output::write_stdout(&schema_json());
            ExitCode::SUCCESS
        }
        Command::Completions(args) => {
            output::write_stdout(&completions(args.shell));
            ExitCode::SUCCESS
        }
        Command::Serve(_) => unreachable!("main runs the server"),
    }
}

/// The completion script for a shell.
fn completions(shell: clap_complete::Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "ssot-lsp", &mut script);
    String::from_utf8_lossy(&script).into_owned()
}

/// The JSON schema of the rule file, generated from the raw types.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(crate::rules::raw::RawConfig);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}
