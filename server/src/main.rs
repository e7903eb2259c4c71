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

fn serve() -> ExitCode {
    eprintln!("ssot-lsp: the language server is not built into this binary yet");
    ExitCode::from(2)
}
