//! The command line: `check`, `rules`, `explain`, `infer`, `schema` and `serve`.
//!
//! Only this module (and `lsp`) prints. Exit codes: 0 clean, 1 findings
//! remain, 2 an error (bad config, unreadable path, bad arguments).

mod check;
mod infer;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use check::{run_check, write_atomically};

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
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or folders to check (default: the current folder).
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
    /// Never colour the output.
    #[arg(long)]
    pub no_color: bool,
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
        Command::Serve(_) => unreachable!("main runs the server"),
    }
}

/// The JSON schema of the rule file, generated from the raw types.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(crate::rules::raw::RawConfig);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serialises");
    text.push('\n');
    text
}
