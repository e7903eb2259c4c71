//! ssot-lsp: keeps a Python code base on its single source of truth while it
//! migrates. One engine (rules, analysis, fixes) behind a CLI and a language
//! server.
//!
//! The engine modules (`rules`, `syntax`, `analysis`, `edits`, `fix`,
//! `imports`, `infer`, `index`, `verify`, `suppression`, `workspace`) speak byte
//! offsets, findings and edits. Only `cli` knows terminals and output
//! formats, and only `lsp` knows LSP.
#![deny(clippy::print_stdout)]

pub mod analysis;
pub mod baseline;
#[cfg(feature = "cli")]
pub mod cli;
pub mod edits;
pub mod finding;
pub mod fix;
pub mod identifiers;
pub mod imports;
pub mod index;
pub mod infer;
pub mod line_index;
pub mod lsp;
pub mod path_class;
pub mod rules;
pub mod skeleton;
pub mod source;
pub mod suppression;
pub mod syntax;
pub mod verify;
pub mod workspace;
