//! `composeguard.toml` (or `.composeguard.toml`): found by walking up from the first file, or
//! named with `--config`. Unknown keys are errors with the file, line and a "did you mean".

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use composeguard::ServiceLimits;
use composeguard::Settings;
use serde::{Deserialize, Serialize, Serializer};

use crate::args::{self, Preset, Target};
use crate::output;

/// The configuration file names, in the order they are looked for in each folder.
pub const NAMES: [&str; 2] = ["composeguard.toml", ".composeguard.toml"];

/// Everything a configuration file can set. Command-line flags win over it.
///
/// `preset`, `target` and `output-format` are read as text and turned into their values by
/// [`parse`], after every other error of the file, so that a wrong name is reported where it
/// is written, with the names allowed.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// `preset` as written.
    #[serde(rename = "preset", skip_serializing)]
    preset_name: Option<String>,
    /// `baseline`, `recommended` or `strict`.
    #[serde(skip_deserializing, serialize_with = "name")]
    pub preset: Option<Preset>,
    /// `target` as written.
    #[serde(rename = "target", skip_serializing)]
    target_name: Option<String>,
    /// `compose` or `swarm`.
    #[serde(skip_deserializing, serialize_with = "name")]
    pub target: Option<Target>,
    /// Rules to run (codes, code prefixes or names) instead of the preset's.
    pub select: Option<Vec<String>>,
    /// Rules to skip.
    pub ignore: Option<Vec<String>>,
    /// Apply unsafe fixes too.
    pub unsafe_fixes: Option<bool>,
    /// `output-format` as written.
    #[serde(rename = "output-format", skip_serializing)]
    output_format_name: Option<String>,
    /// Default output format of `check`.
    #[serde(skip_deserializing, serialize_with = "name")]
    pub output_format: Option<output::Format>,
    /// Values the rules use.
    #[serde(default)]
    pub options: RuleOptions,
    /// Per-service overrides, by service name.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceOverride>,
}

/// Writes a value by its name (nothing for `None`).
fn name<T: ValueEnum, S: Serializer>(value: &Option<T>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => serializer.serialize_some(&args::name_of(v)),
        None => serializer.serialize_none(),
    }
}

/// How a [`Settings`] field takes the value a configuration file gives it, and gives its own.
trait Overlay {
    /// What the file writes.
    type Value: Clone;
    /// Sets the field to the file's value.
    fn overlay(&mut self, value: Self::Value);
    /// The field's value as the file would write it (`None`: not set).
    fn value(&self) -> Option<Self::Value>;
}

impl Overlay for String {
    type Value = String;
    fn overlay(&mut self, value: String) {
        *self = value;
    }
    fn value(&self) -> Option<String> {
        Some(self.clone())
    }
}

impl Overlay for u32 {
    type Value = u32;
    fn overlay(&mut self, value: u32) {
        *self = value;
    }
    fn value(&self) -> Option<u32> {
        Some(*self)
    }
}

impl<T: Clone> Overlay for Vec<T> {
    type Value = Vec<T>;
    fn overlay(&mut self, value: Vec<T>) {
        *self = value;
    }
    fn value(&self) -> Option<Vec<T>> {
        Some(self.clone())
    }
}

impl<T: Clone> Overlay for Option<T> {
    type Value = T;
    fn overlay(&mut self, value: T) {
        *self = Some(value);
    }
    fn value(&self) -> Option<T> {
        self.clone()
    }
}

/// The table of options: each line is a key of a configuration table (in kebab-case), named
/// as the field of the library's type it sets, with the type the file writes. It defines the
/// table's serde struct (so the file's errors, and the keys a "did you mean" lists, come from
/// serde as they always did), how the file's values overlay the library's defaults, and how
/// `composeguard config` prints the values in force.
macro_rules! options_table {
    (
        $(#[$meta:meta])*
        $name:ident for $target:ty {
            $( $(#[$doc:meta])* $field:ident: $ty:ty, )*
        }
        $( then $(#[$extra_doc:meta])* $extra:ident: $extra_ty:ty, )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Default, Clone, Deserialize, Serialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        pub struct $name {
            $( $(#[$doc])* pub $field: Option<$ty>, )*
            $( $(#[$extra_doc])* #[serde(default)] pub $extra: $extra_ty, )?
        }

        impl $name {
            /// Sets what the file sets; the rest keeps its value.
            pub fn apply(&self, target: &mut $target) {
                $( if let Some(v) = &self.$field {
                    target.$field.overlay(v.clone());
                } )*
                $( self.$extra.apply(target); )?
            }

            /// Every value of `target`, as the file would write it.
            pub fn of(target: &$target) -> Self {
                $name {
                    $( $field: target.$field.value(), )*
                    $( $extra: <$extra_ty>::of(target), )?
                }
            }
        }
    };
}

options_table! {
    /// Per-rule options.
    RuleOptions for Settings {
        /// CG501: `max-size` (default `10m`).
        log_max_size: String,
        /// CG501: `max-file` (default `3`).
        log_max_file: String,
        /// CG201/CG202: size of each tmpfs (default `64m`).
        tmpfs_size: String,
        /// CG304: `nofile` to write (default: none, as the daemon's hard limit is unknown).
        nofile: u32,
        /// CG304: `nproc` to write (default: none).
        nproc: u32,
        /// CG401: the sensitive ports (replaces the default list).
        sensitive_ports: Vec<u16>,
        /// CG601: name parts that mark a secret (replaces the default list).
        secret_patterns: Vec<String>,
        /// CG601: name endings that are never secrets (replaces the default list).
        secret_exclude_suffixes: Vec<String>,
        /// CG601: env file for secrets the image cannot read from a file.
        secrets_env_file: String,
    }
    then
    /// CG301-CG303: limits by kind of service.
    limits: LimitOptions,
}

options_table! {
    /// One kind's limits.
    Limit for ServiceLimits {
        /// e.g. `512M`.
        memory: String,
        /// e.g. `"1.0"`.
        cpus: String,
        /// e.g. 512.
        pids: u32,
    }
}

impl RuleOptions {
    /// The library's settings: its defaults, with what the file sets.
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::default();
        self.apply(&mut settings);
        settings
    }
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

impl LimitOptions {
    /// Sets the limits each kind's table sets.
    fn apply(&self, settings: &mut Settings) {
        for (limit, target) in [
            (&self.small, &mut settings.limits_small),
            (&self.medium, &mut settings.limits_medium),
            (&self.large, &mut settings.limits_large),
        ] {
            if let Some(l) = limit {
                l.apply(target);
            }
        }
    }

    /// Every kind's limits in `settings`.
    fn of(settings: &Settings) -> LimitOptions {
        LimitOptions {
            small: Some(Limit::of(&settings.limits_small)),
            medium: Some(Limit::of(&settings.limits_medium)),
            large: Some(Limit::of(&settings.limits_large)),
        }
    }
}

/// Overrides for one service.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ServiceOverride {
    /// Rules not reported for this service.
    #[serde(default)]
    pub ignore: Vec<String>,
}

/// Why a configuration file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// It cannot be read.
    #[error("{}: cannot read: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A folder, FIFO or device.
    #[error("{}: not a regular file; name a composeguard.toml file with --config", .0.display())]
    NotAFile(PathBuf),
    /// Larger than any configuration.
    #[error("{}: over {max} bytes, which no configuration needs; check the path", .path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        max: u64,
    },
    /// Not UTF-8.
    #[error("{}: not UTF-8 text; save it as UTF-8", .0.display())]
    NotUtf8(PathBuf),
    /// Not TOML, an unknown key, or a wrong value.
    #[error("{}:{line}:{column}: {message}", .path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based.
        line: usize,
        /// 1-based, in characters.
        column: usize,
        /// What is wrong, and what to write instead.
        message: String,
    },
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
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    use std::io::Read;
    /// Far more than any configuration needs; a larger file is a wrong path.
    const MAX_BYTES: u64 = 1 << 20;
    let read = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    // Checked before opening: opening a FIFO blocks, and a device never ends.
    let meta = std::fs::metadata(path).map_err(read)?;
    if !meta.is_file() {
        return Err(ConfigError::NotAFile(path.to_path_buf()));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes))
        .map_err(read)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(ConfigError::TooLarge {
            path: path.to_path_buf(),
            max: MAX_BYTES,
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| ConfigError::NotUtf8(path.to_path_buf()))?;
    parse(&text).map_err(|(line, column, message)| ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        message,
    })
}

/// Parses configuration text; errors carry a 1-based line and column.
pub fn parse(text: &str) -> Result<Config, (usize, usize, String)> {
    let mut config: Config = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column, describe(e.message()))
    })?;
    config.preset = choice(text, "preset", config.preset_name.as_deref())?;
    config.target = choice(text, "target", config.target_name.as_deref())?;
    config.output_format = choice(text, "output-format", config.output_format_name.as_deref())?;
    validate(text, &config)?;
    Ok(config)
}

/// The value of `key` written `value`; a name that is none of `T`'s is reported at the line
/// where `key` is first written, with the names allowed.
fn choice<T: ValueEnum>(
    text: &str,
    key: &str,
    value: Option<&str>,
) -> Result<Option<T>, (usize, usize, String)> {
    let Some(v) = value else { return Ok(None) };
    T::from_str(v, false).map(Some).map_err(|_| {
        let allowed = args::names_of::<T>();
        let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
        let offset = text.find(key).unwrap_or(0);
        let line = text[..offset].matches('\n').count() + 1;
        (
            line,
            1,
            format!(
                "`{key}` must be one of {}{}",
                allowed.join(", "),
                suggest(v, &allowed)
            ),
        )
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Where the value of a dotted key starts in the text (the key itself when the value cannot
/// be found, the start of the file as a last resort).
fn value_offset(text: &str, path: &[&str]) -> usize {
    let Ok(root) = toml::de::DeTable::parse(text) else {
        return 0;
    };
    let mut table = root.get_ref();
    for (i, key) in path.iter().enumerate() {
        let Some((_, value)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == *key) else {
            return 0;
        };
        if i + 1 == path.len() {
            return value.span().start;
        }
        match value.get_ref() {
            toml::de::DeValue::Table(t) => table = t,
            _ => return value.span().start,
        }
    }
    0
}

/// A size as Docker reads one (`RAMInBytes`): a number, optionally with a decimal part, then
/// an optional unit `b`, `k`, `m`, `g`, `t`, `p` (any case, with an optional `i` and `b`).
pub fn is_size(value: &str) -> bool {
    let digits_end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(digits_end);
    let number_ok = !number.is_empty()
        && number
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        && number.parse::<f64>().is_ok_and(|n| n > 0.0);
    let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
    let unit_ok = matches!(
        unit.as_str(),
        "" | "b"
            | "k"
            | "kb"
            | "kib"
            | "m"
            | "mb"
            | "mib"
            | "g"
            | "gb"
            | "gib"
            | "t"
            | "tb"
            | "tib"
            | "p"
            | "pb"
            | "pib"
            | "ki"
            | "mi"
            | "gi"
            | "ti"
            | "pi"
    );
    number_ok && unit_ok
}

/// A CPU count as Compose reads `cpus`: a positive decimal number.
pub fn is_cpus(value: &str) -> bool {
    !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && value.matches('.').count() <= 1
        && value.parse::<f64>().is_ok_and(|n| n.is_finite() && n > 0.0)
}

/// Checks every value the fixes write: a bad one would make every fixed file fail in Docker.
fn validate(text: &str, config: &Config) -> Result<(), (usize, usize, String)> {
    let fail = |path: &[&str], message: String| {
        let (line, column) = position(text, value_offset(text, path));
        Err((line, column, format!("`{}` {message}", path.join("."))))
    };
    const SIZE: &str = "write a number of bytes, or a number with a unit as Docker reads it: `64m`, `512M`, `1g`, `1.5G`";
    let o = &config.options;
    for (key, value) in [
        ("log-max-size", &o.log_max_size),
        ("tmpfs-size", &o.tmpfs_size),
    ] {
        if let Some(v) = value
            && !is_size(v)
        {
            return fail(&["options", key], format!("is `{v:?}`, not a size; {SIZE}"));
        }
    }
    if let Some(v) = &o.log_max_file
        && !v.parse::<u32>().is_ok_and(|n| n > 0)
    {
        return fail(
            &["options", "log-max-file"],
            format!(
                "is `{v:?}`, not a count of files; write a whole number of 1 or more, such as \"3\""
            ),
        );
    }
    for (key, value) in [("nofile", o.nofile), ("nproc", o.nproc)] {
        if value == Some(0) {
            return fail(
                &["options", key],
                "is 0; write a whole number of 1 or more, such as 65536".into(),
            );
        }
    }
    if let Some(ports) = &o.sensitive_ports
        && ports.contains(&0)
    {
        return fail(
            &["options", "sensitive-ports"],
            "lists port 0; ports are 1 to 65535".into(),
        );
    }
    for (key, list) in [
        ("secret-patterns", &o.secret_patterns),
        ("secret-exclude-suffixes", &o.secret_exclude_suffixes),
    ] {
        if let Some(list) = list
            && list.iter().any(|p| p.trim().is_empty())
        {
            return fail(
                &["options", key],
                "has an empty entry, which would match every name; remove it".into(),
            );
        }
    }
    if let Some(v) = &o.secrets_env_file
        && v.trim().is_empty()
    {
        return fail(
            &["options", "secrets-env-file"],
            "is empty; name a file such as \".env\", or remove the key".into(),
        );
    }
    for (kind, limit) in [
        ("small", &o.limits.small),
        ("medium", &o.limits.medium),
        ("large", &o.limits.large),
    ] {
        let Some(l) = limit else { continue };
        if let Some(v) = &l.memory
            && !is_size(v)
        {
            return fail(
                &["options", "limits", kind, "memory"],
                format!("is `{v:?}`, not a size; {SIZE}"),
            );
        }
        if let Some(v) = &l.cpus
            && !is_cpus(v)
        {
            return fail(
                &["options", "limits", kind, "cpus"],
                format!(
                    "is `{v:?}`, not a CPU count; write a positive decimal number as a string, such as \"0.5\" or \"2.0\""
                ),
            );
        }
        if l.pids == Some(0) {
            return fail(
                &["options", "limits", kind, "pids"],
                "is 0; write a whole number of 1 or more, such as 512".into(),
            );
        }
    }
    Ok(())
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
    fn values_are_checked_where_they_are_written() {
        let (line, column, message) = parse("[options]\ntmpfs-size = \"\"\n").unwrap_err();
        assert_eq!((line, column), (2, 14));
        assert!(
            message.starts_with("`options.tmpfs-size` is `\"\"`, not a size"),
            "{message}"
        );
        let (line, column, message) =
            parse("[options.limits.large]\nmemory = \"lots\"\n").unwrap_err();
        assert_eq!((line, column), (2, 10));
        assert!(
            message.contains("`options.limits.large.memory` is `\"lots\"`, not a size; write"),
            "{message}"
        );
        let (_, _, message) = parse("[options.limits.small]\ncpus = \"-1\"\n").unwrap_err();
        assert!(message.contains("not a CPU count"), "{message}");
        let (_, _, message) = parse("options.limits.small.pids = 0\n").unwrap_err();
        assert!(
            message.contains("`options.limits.small.pids` is 0"),
            "{message}"
        );
        let (_, _, message) = parse("[options]\nlog-max-file = \"three\"\n").unwrap_err();
        assert!(message.contains("not a count of files"), "{message}");
        for good in ["64m", "512M", "1g", "1.5G", "1024", "10mb", "2 GiB"] {
            assert!(is_size(good), "{good}");
        }
        for bad in ["", "lots", "m", "-1m", "0", "1.m", "1x", "1e3"] {
            assert!(!is_size(bad), "{bad}");
        }
        for good in ["1", "0.5", "2.0"] {
            assert!(is_cpus(good), "{good}");
        }
        for bad in ["", "0", "-1", "1.2.3", "one", "inf", "NaN"] {
            assert!(!is_cpus(bad), "{bad}");
        }
        // The defaults pass.
        let defaults = composeguard::Settings::default();
        for v in [
            &defaults.log_max_size,
            &defaults.tmpfs_size,
            &defaults.limits_small.memory,
            &defaults.limits_large.memory,
        ] {
            assert!(is_size(v), "{v}");
        }
    }

    #[test]
    fn the_table_overlays_every_key_and_prints_it_back() {
        let c = parse(
            "[options]\nlog-max-size = \"20m\"\nlog-max-file = \"5\"\ntmpfs-size = \"32m\"\nnofile = 1024\nnproc = 99\nsensitive-ports = [22]\nsecret-patterns = [\"KEY\"]\nsecret-exclude-suffixes = [\"_ID\"]\nsecrets-env-file = \".env\"\n[options.limits.small]\nmemory = \"256M\"\n[options.limits.large]\ncpus = \"4.0\"\npids = 4096\n",
        )
        .unwrap();
        let s = c.options.settings();
        let d = Settings::default();
        assert_eq!(
            (s.log_max_size.as_str(), s.log_max_file.as_str()),
            ("20m", "5")
        );
        assert_eq!(
            (s.tmpfs_size.as_str(), s.nofile, s.nproc),
            ("32m", Some(1024), Some(99))
        );
        assert_eq!(s.sensitive_ports, [22]);
        assert_eq!(
            (s.secret_patterns.len(), s.secret_exclude_suffixes.len()),
            (1, 1)
        );
        assert_eq!(s.secrets_env_file.as_deref(), Some(".env"));
        // A table sets only the limits it names; the kind's defaults keep the rest.
        assert_eq!(s.limits_small.memory, "256M");
        assert_eq!(s.limits_small.cpus, d.limits_small.cpus);
        assert_eq!(s.limits_medium, d.limits_medium);
        assert_eq!(
            (
                s.limits_large.memory.as_str(),
                s.limits_large.cpus.as_str(),
                s.limits_large.pids
            ),
            (d.limits_large.memory.as_str(), "4.0", 4096)
        );
        // What `composeguard config` prints reads back as the same settings.
        for settings in [s, d] {
            let printed = toml::to_string_pretty(&RuleOptions::of(&settings)).unwrap();
            let read: RuleOptions = toml::from_str(&printed).unwrap();
            assert_eq!(read.settings(), settings);
        }
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
