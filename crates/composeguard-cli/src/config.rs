//! `composeguard.toml` (or `.composeguard.toml`): found by walking up from the first file, or
//! named with `--config`. Unknown keys are errors with the file, line and a "did you mean".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The configuration file names, in the order they are looked for in each folder.
pub const NAMES: [&str; 2] = ["composeguard.toml", ".composeguard.toml"];

/// Everything a configuration file can set. Command-line flags win over it.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// `baseline`, `recommended` or `strict`.
    pub preset: Option<String>,
    /// `compose` or `swarm`.
    pub target: Option<String>,
    /// Rules to run (codes, code prefixes or names) instead of the preset's.
    pub select: Option<Vec<String>>,
    /// Rules to skip.
    pub ignore: Option<Vec<String>>,
    /// Apply unsafe fixes too.
    pub unsafe_fixes: Option<bool>,
    /// Default output format of `check`.
    pub output_format: Option<String>,
    /// Values the rules use.
    #[serde(default)]
    pub options: RuleOptions,
    /// Per-service overrides, by service name.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceOverride>,
}

/// Per-rule options.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleOptions {
    /// CG501: `max-size` (default `10m`).
    pub log_max_size: Option<String>,
    /// CG501: `max-file` (default `3`).
    pub log_max_file: Option<String>,
    /// CG201/CG202: size of each tmpfs (default `64m`).
    pub tmpfs_size: Option<String>,
    /// CG304: `nofile` to write (default: none, as the daemon's hard limit is unknown).
    pub nofile: Option<u32>,
    /// CG304: `nproc` to write (default: none).
    pub nproc: Option<u32>,
    /// CG401: the sensitive ports (replaces the default list).
    pub sensitive_ports: Option<Vec<u16>>,
    /// CG601: name parts that mark a secret (replaces the default list).
    pub secret_patterns: Option<Vec<String>>,
    /// CG601: name endings that are never secrets (replaces the default list).
    pub secret_exclude_suffixes: Option<Vec<String>>,
    /// CG601: env file for secrets the image cannot read from a file.
    pub secrets_env_file: Option<String>,
    /// CG301-CG303: limits by kind of service.
    #[serde(default)]
    pub limits: LimitOptions,
}

/// Limits for the three kinds of service.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitOptions {
    /// Ordinary services and unknown images.
    pub small: Option<Limit>,
    /// Caches and heavier applications.
    pub medium: Option<Limit>,
    /// Databases, search engines, brokers.
    pub large: Option<Limit>,
}

/// One kind's limits.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Limit {
    /// e.g. `512M`.
    pub memory: Option<String>,
    /// e.g. `"1.0"`.
    pub cpus: Option<String>,
    /// e.g. 512.
    pub pids: Option<u32>,
}

/// Overrides for one service.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServiceOverride {
    /// Rules not reported for this service.
    #[serde(default)]
    pub ignore: Vec<String>,
}

/// The nearest configuration file at or above `start`.
pub fn find(start: &Path) -> Option<PathBuf> {
    let start = if start.is_dir() {
        start.to_path_buf()
    } else {
        start.parent()?.to_path_buf()
    };
    let start = std::fs::canonicalize(&start).unwrap_or(start);
    start
        .ancestors()
        .flat_map(|dir| NAMES.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Reads and checks a configuration file.
pub fn load(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    parse(&text)
        .map_err(|(line, column, message)| format!("{}:{line}:{column}: {message}", path.display()))
}

/// Parses configuration text; errors carry a 1-based line and column.
pub fn parse(text: &str) -> Result<Config, (usize, usize, String)> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column, describe(e.message()))
    })?;
    for (name, value) in [
        ("preset", &config.preset),
        ("target", &config.target),
        ("output-format", &config.output_format),
    ] {
        let allowed: &[&str] = match name {
            "preset" => &["baseline", "recommended", "strict"],
            "target" => &["compose", "swarm"],
            _ => &["concise", "full", "json", "sarif", "github"],
        };
        if let Some(v) = value
            && !allowed.contains(&v.as_str())
        {
            let offset = text.find(name).unwrap_or(0);
            let line = text[..offset].matches('\n').count() + 1;
            return Err((
                line,
                1,
                format!(
                    "`{name}` must be one of {}{}",
                    allowed.join(", "),
                    suggest(v, allowed)
                ),
            ));
        }
    }
    Ok(config)
}

/// Adds a "did you mean" to serde's unknown-field message.
fn describe(message: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.trim().to_owned();
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return message.trim().to_owned();
    };
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    format!(
        "unknown key `{field}`{}; the keys here are: {}",
        suggest(field, &candidates),
        candidates.join(", ")
    )
}

fn suggest(word: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 3))
        .min()
        .map(|(_, c)| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default()
}

/// Levenshtein distance, case-insensitive, `_` and `-` equal.
fn distance(a: &str, b: &str) -> usize {
    let norm =
        |s: &str| -> Vec<char> { s.to_ascii_lowercase().replace('_', "-").chars().collect() };
    let (a, b) = (norm(a), norm(b));
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_say_where_and_what_was_meant() {
        let (line, column, message) =
            parse("preset = \"strict\"\nunsafe_fix = true\n").unwrap_err();
        assert_eq!((line, column), (2, 1));
        assert!(
            message.contains("unknown key `unsafe_fix` (did you mean `unsafe-fixes`?)"),
            "{message}"
        );
        let (line, _, message) = parse("[options]\ntmpfs-sise = \"32m\"\n").unwrap_err();
        assert_eq!(line, 2);
        assert!(message.contains("did you mean `tmpfs-size`?"), "{message}");
        let (_, _, message) = parse("preset = \"stric\"\n").unwrap_err();
        assert!(message.contains("did you mean `strict`?"), "{message}");
    }

    #[test]
    fn a_full_file_parses() {
        let c = parse(
            "preset = \"strict\"\ntarget = \"swarm\"\nignore = [\"CG403\"]\n[options]\ntmpfs-size = \"32m\"\nsensitive-ports = [5432]\n[options.limits.large]\nmemory = \"4G\"\n[services.db]\nignore = [\"CG201\"]\n",
        )
        .unwrap();
        assert_eq!(
            c.options.limits.large.unwrap().memory.as_deref(),
            Some("4G")
        );
        assert_eq!(c.services["db"].ignore, ["CG201"]);
    }
}
