//! Finding and loading the rule file: `--config FILE`, else the nearest
//! `ssot.toml` / `.ssot.toml` upwards from a folder, else `[tool.ssot-lsp]` in
//! the nearest `pyproject.toml`, else the built-in pack.
//!
//! Only this module reads config files from disk.

use std::path::{Path, PathBuf};

use super::compiled::{ConfigError, RuleSet};
use super::raw::{RawConfig, RawPyproject};
use super::spans::{path_at, FieldPath};
use crate::baseline::Baseline;

/// Where the active rules came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    Builtin,
    File(PathBuf),
    Pyproject(PathBuf),
}

impl ConfigSource {
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfigSource::Builtin => None,
            ConfigSource::File(path) | ConfigSource::Pyproject(path) => Some(path),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            ConfigSource::Builtin => "built-in rules".to_string(),
            ConfigSource::File(path) => path.display().to_string(),
            ConfigSource::Pyproject(path) => format!("{} [tool.ssot-lsp]", path.display()),
        }
    }
}

/// A rule set and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedRules {
    pub rules: RuleSet,
    pub source: ConfigSource,
}

/// The nearest config file at or above `start`, if any.
pub fn discover_config(start: &Path) -> Option<ConfigSource> {
    let start: PathBuf = start.components().filter(|part| !matches!(part, std::path::Component::CurDir)).collect();
    let start = if start.is_file() { start.parent()? } else { &start };
    for folder in start.ancestors() {
        for name in ["ssot.toml", ".ssot.toml"] {
            let candidate = folder.join(name);
            if candidate.is_file() {
                return Some(ConfigSource::File(candidate));
            }
        }
        let pyproject = folder.join("pyproject.toml");
        if pyproject.is_file() && pyproject_has_section(&pyproject) {
            return Some(ConfigSource::Pyproject(pyproject));
        }
    }
    None
}

/// Whether a `pyproject.toml` has a `tool.ssot-lsp` key, in any form (a
/// table, a dotted key, or a wrong value, which loading then reports). A file
/// that is not TOML counts when it mentions `tool.ssot-lsp`, so that its error
/// is reported rather than silently passed over.
fn pyproject_has_section(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else { return false };
    if !text.contains("ssot-lsp") {
        return false;
    }
    match toml::from_str::<toml::Table>(&text) {
        Ok(table) => {
            table.get("tool").and_then(toml::Value::as_table).is_some_and(|tool| tool.contains_key("ssot-lsp"))
        }
        Err(_) => text.contains("tool.ssot-lsp"),
    }
}

/// Where a `pyproject.toml` keeps the config.
const PYPROJECT_SECTION: [&str; 2] = ["tool", "ssot-lsp"];

/// Loads the rules: from `explicit` when given, else from the config found
/// upwards from `start`, else the built-in pack.
pub fn load_rule_set(explicit: Option<&Path>, start: &Path) -> Result<LoadedRules, ConfigError> {
    let source = match explicit {
        Some(path) if path.file_name().is_some_and(|name| name == "pyproject.toml") => {
            ConfigSource::Pyproject(path.to_path_buf())
        }
        Some(path) => ConfigSource::File(path.to_path_buf()),
        None => match discover_config(start) {
            Some(source) => source,
            None => return Ok(LoadedRules { rules: RuleSet::builtin(), source: ConfigSource::Builtin }),
        },
    };
    let path = source.path().expect("a file source has a path");
    let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
        path: Some(path.to_path_buf()),
        location: None,
        message: format!("cannot read the config file: {error}"),
        span: None,
        field: None,
    })?;
    let rules = parse_config_text(&text, &source)?;
    Ok(LoadedRules { rules, source })
}

/// Parses and compiles a config file's text. Errors carry the file, line and
/// column.
pub fn parse_config_text(text: &str, source: &ConfigSource) -> Result<RuleSet, ConfigError> {
    let path = source.path().unwrap_or(Path::new("ssot.toml"));
    let root = path.parent().map(|parent| if parent.as_os_str().is_empty() { Path::new(".") } else { parent });
    let in_pyproject = matches!(source, ConfigSource::Pyproject(_));
    // Fields of a `pyproject.toml` sit under `[tool.ssot-lsp]`.
    let locate = |mut error: ConfigError| {
        if in_pyproject {
            error.field = error.field.map(|field| Box::new(field.under(&PYPROJECT_SECTION)));
        }
        error.in_file(path, text)
    };
    let raw = match source {
        ConfigSource::Pyproject(_) => parse_pyproject(text).map_err(|error| error.in_file(path, text))?,
        _ => parse_raw(text).map_err(|error| error.in_file(path, text))?,
    };
    let mut rules = RuleSet::from_config(&raw, root).map_err(locate)?;
    rules.settings.baseline =
        load_baseline(rules.settings.baseline_path.as_deref()).map_err(locate)?.map(std::sync::Arc::new);
    Ok(rules)
}

/// Reads the baseline a config names; `None` when it names none or the file
/// does not exist yet (`check --write-baseline` creates it).
pub fn load_baseline(path: Option<&Path>) -> Result<Option<Baseline>, ConfigError> {
    let Some(path) = path else { return Ok(None) };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(baseline_error(format!("cannot read {}: {error}", path.display()))),
    };
    let folder = path.parent().filter(|parent| !parent.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Baseline::parse(&text, folder).map(Some).map_err(|error| baseline_error(format!("{}: {error}", path.display())))
}

/// An error of the baseline file, placed at the config's `baseline` key.
fn baseline_error(detail: String) -> ConfigError {
    ConfigError::at(FieldPath::root("baseline"), detail)
}

fn parse_raw(text: &str) -> Result<RawConfig, ConfigError> {
    toml::from_str::<RawConfig>(text).map_err(toml_error)
}

fn parse_pyproject(text: &str) -> Result<RawConfig, ConfigError> {
    let pyproject: RawPyproject = toml::from_str(text).map_err(toml_error)?;
    let Some(spanned) = pyproject.tool.and_then(|tool| tool.ssot_lsp) else {
        return Ok(RawConfig::default());
    };
    let span = spanned.span();
    let section = spanned.into_inner();
    if !section.is_table() {
        let found = match &section {
            toml::Value::Array(items) if items.iter().all(toml::Value::is_table) => {
                "an array of tables (`[[tool.ssot-lsp]]`)"
            }
            other => other.type_str(),
        };
        return Err(ConfigError {
            path: None,
            location: None,
            message: format!("tool.ssot-lsp: must be a table (`[tool.ssot-lsp]`), found {found}"),
            span: Some(span),
            field: None,
        });
    }
    // Re-parse the section from the original text so errors keep their spans.
    let table_text = toml::to_string(&section).map_err(|error| ConfigError::new(error.to_string()))?;
    match toml::from_str::<RawConfig>(&table_text) {
        Ok(raw) => Ok(raw),
        Err(error) => {
            let mut converted = toml_error(error);
            // The span points into the re-serialised table: the field there
            // is looked up in the real file instead.
            let field = converted.span.take().and_then(|span| path_at(&table_text, span.start));
            converted.field = field.map(|field| Box::new(field.under(&PYPROJECT_SECTION)));
            converted.message = format!("tool.ssot-lsp: {}", converted.message);
            Err(converted)
        }
    }
}

fn toml_error(error: toml::de::Error) -> ConfigError {
    ConfigError {
        path: None,
        location: None,
        message: error.message().trim().to_string(),
        span: error.span(),
        field: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RuleSet, ConfigError> {
        parse_config_text(text, &ConfigSource::File(PathBuf::from("proj/ssot.toml")))
    }

    #[test]
    fn an_empty_file_means_the_builtin_pack() {
        assert_eq!(parse("").unwrap().rules.len(), RuleSet::builtin().rules.len());
    }

    #[test]
    fn unknown_fields_name_file_line_and_column() {
        let error = parse("ignore = []\nbogus = 1\n").unwrap_err();
        assert_eq!(error.location, Some((2, 1)));
        assert!(error.message.contains("bogus"), "{error}");
        assert!(error.to_string().starts_with("proj/ssot.toml:2:1:"), "{error}");
    }

    #[test]
    fn validation_errors_point_at_the_value() {
        let text =
            "[[rules]]\ncode = \"X1\"\nname = \"x\"\nkind = \"module\"\nmodule = \"not a path\"\nmessage = \"m\"\n";
        let error = parse(text).unwrap_err();
        assert!(error.message.starts_with("rules[0].module:"), "{error}");
        assert_eq!(error.location, Some((5, 10)));
    }

    #[test]
    fn severity_overrides_and_ignores_apply() {
        let rules = parse("ignore = [\"SSOT007\"]\n[severity]\nSSOT003 = \"error\"\n").unwrap();
        assert!(rules.rule("SSOT007").is_none());
        assert_eq!(rules.rule("SSOT003").unwrap().severity, crate::finding::Severity::Error);
    }

    #[test]
    fn a_pyproject_section_that_is_no_table_is_an_error_naming_its_line() {
        let source = ConfigSource::Pyproject(PathBuf::from("pyproject.toml"));
        for (text, line, found) in [
            ("[project]\nname = \"x\"\n[tool]\nssot-lsp = 5\n", 4, "integer"),
            ("[project]\nname = \"x\"\n\n[[tool.ssot-lsp]]\nselect = [\"SSOT001\"]\n", 4, "an array of tables"),
            ("tool.ssot-lsp = \"yes\"\n", 1, "string"),
        ] {
            let error = parse_config_text(text, &source).expect_err(text);
            assert_eq!(error.location.map(|(line, _)| line), Some(line), "{text:?}: {error}");
            assert!(
                error.message.contains("tool.ssot-lsp: must be a table") && error.message.contains(found),
                "{error}"
            );
        }
    }

    #[test]
    fn errors_point_at_the_field_even_when_its_text_appears_earlier() {
        let source = ConfigSource::Pyproject(PathBuf::from("pyproject.toml"));
        let unknown = "[project]\nname = \"bogus\"\n[tool.ssot-lsp]\nbogus = 1\n";
        let error = parse_config_text(unknown, &source).unwrap_err();
        assert_eq!(error.location, Some((4, 1)), "{error}");
        let selected = "[project]\nname = \"NOPE\"\n[tool.ssot-lsp]\nselect = [\"SSOT001\", \"NOPE\"]\n";
        let error = parse_config_text(selected, &source).unwrap_err();
        assert!(error.message.contains("no rule code starts with `NOPE`"), "{error}");
        assert_eq!(error.location, Some((4, 22)), "{error}");
    }

    #[test]
    fn pyproject_section_is_read() {
        let text = "[project]\nname = \"x\"\n[tool.ssot-lsp]\nselect = [\"SSOT001\"]\n";
        let rules = parse_config_text(text, &ConfigSource::Pyproject(PathBuf::from("pyproject.toml"))).unwrap();
        assert_eq!(rules.rules.len(), 1);
    }
}
