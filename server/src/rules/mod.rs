//! Migration rules: the rule file format (`raw`), its validated form
//! (`RuleSet`), the built-in pack and config discovery.
//!
//! Rules are data. Nothing here parses Python or knows LSP; the analysis asks a
//! `RuleSet` which rule, if any, owns a module, a name or a callable.

mod compiled;
mod cycles;
mod discovery;
mod prefilter;
pub mod raw;
mod spans;

pub use compiled::{
    code_matches, is_dotted_path, is_identifier, ConfigError, FileScope, NameMapping, QualifiedName, Rule, RuleKind,
    RuleSet, Settings,
};
pub use discovery::{discover_config, load_rule_set, ConfigSource, LoadedRules};
pub use prefilter::Prefiltered;
pub use spans::FieldPath;

/// The built-in pack, as shipped.
pub const BUILTIN_RULES_TOML: &str = include_str!("builtin.toml");
