//! The `ssot-lsp` binary: parses the command line and runs the CLI or the
//! language server.

use std::process::ExitCode;

use clap::Parser;
use ssot_lsp::cli::{self, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(_) => serve(),
        command => cli::run(Cli { command }),
    }
}

/// Runs the language server over stdio until the client says `exit`.
fn serve() -> ExitCode {
    // Parses and checks run on the blocking pool; a newer change cancels the
    // one before, so a few threads suffice, and each thread would keep a
    // glibc malloc arena of its own (RSS grew to ~77 MB while typing).
    let runtime = match tokio::runtime::Builder::new_multi_thread().max_blocking_threads(4).enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ssot-lsp: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(ssot_lsp::lsp::run_stdio()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ssot-lsp: the language server stopped: {error:#}");
            ExitCode::from(2)
        }
    }
}
