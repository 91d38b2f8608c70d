//! The image data files (`images/*.toml`): their schema, their checks, and the Rust table
//! generated from them. Used by `build.rs`, and by `tests/image_data.rs` to test the checks.
//! The rules are those of `images/README.md` (and the researchers' Python validator).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One data file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    pub kind: EntryKind,
    pub repositories: Option<Vec<String>>,
    pub prefixes: Option<Vec<String>>,
    pub tag_contains: Option<String>,
    pub start: Start,
    pub user: Option<String>,
    pub alpine_user: Option<String>,
    pub caps_as_root: Option<Vec<String>>,
    pub file_caps: Option<Vec<String>>,
    pub safe_user: Option<String>,
    pub writable: Option<Vec<String>>,
    pub tmpfs_exec: Option<Vec<String>>,
    pub volumes: Option<Vec<String>>,
    pub read_only: Option<bool>,
    pub read_only_why: Option<String>,
    pub no_new_privileges: Option<bool>,
    pub no_new_privileges_why: Option<String>,
    pub file_vars: Option<Vec<String>>,
    pub file_suffix: Option<String>,
    pub sensitive_ports: Option<Vec<i64>>,
    pub healthcheck: Option<Vec<String>>,
    pub has_healthcheck: Option<bool>,
    pub size: Option<Size>,
    pub path_vars: Option<Vec<String>>,
    pub notes: Option<String>,
    pub source: Vec<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    Image,
    Family,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Start {
    NonRoot,
    Root,
    RootThenStepDown,
    S6Overlay,
    Supervisord,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Size {
    Small,
    Medium,
    Large,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    Source,
    Docs,
    Issue,
    Replica,
}

/// One citation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub facts: Vec<String>,
    #[serde(rename = "ref")]
    pub reference: String,
    pub how: How,
}

/// Every key a file may hold (and so every fact a source may name).
const KEYS: &[&str] = &[
    "name",
    "kind",
    "repositories",
    "prefixes",
    "tag_contains",
    "start",
    "user",
    "alpine_user",
    "caps_as_root",
    "file_caps",
    "safe_user",
    "writable",
    "tmpfs_exec",
    "volumes",
    "read_only",
    "read_only_why",
    "no_new_privileges",
    "no_new_privileges_why",
    "file_vars",
    "file_suffix",
    "sensitive_ports",
    "healthcheck",
    "has_healthcheck",
    "size",
    "path_vars",
    "source",
    "notes",
];

/// Keys that are not facts about the image, so need no source.
const NOT_FACTS: &[&str] = &[
    "name",
    "kind",
    "repositories",
    "prefixes",
    "tag_contains",
    "source",
    "notes",
    "read_only_why",
    "no_new_privileges_why",
    "file_suffix",
];

/// Linux capability names, without `CAP_`.
const CAPABILITIES: &[&str] = &[
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "PERFMON",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYSLOG",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "WAKE_ALARM",
];

/// Parses and checks one file. Errors are messages that say what is wrong and what to write.
pub fn parse(text: &str) -> Result<Entry, Vec<String>> {
    let entry: Entry = toml::from_str(text).map_err(|e| vec![one_line(&e.to_string())])?;
    let errors = check(&entry);
    if errors.is_empty() {
        Ok(entry)
    } else {
        Err(errors)
    }
}

/// toml's messages span lines (a caret under the source); keep them readable in a panic.
fn one_line(message: &str) -> String {
    message.trim_end().replace('\n', "\n    ")
}

fn uid_gid(value: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    value
        .split_once(':')
        .is_some_and(|(u, g)| digits(u) && digits(g))
}

/// A user name as `useradd` accepts it (`node`, `www-data`).
fn user_name(value: &str) -> bool {
    let mut bytes = value.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// `owner/repo@commit:path` (commit 7 to 40 hex digits), or an https URL.
fn valid_ref(reference: &str) -> bool {
    if reference.starts_with("https://") {
        return !reference.contains(char::is_whitespace);
    }
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
    };
    let Some((repo, rest)) = reference.split_once('@') else {
        return false;
    };
    let Some((commit, path)) = rest.split_once(':') else {
        return false;
    };
    let repo_ok = repo
        .split_once('/')
        .is_some_and(|(o, r)| word(o) && word(r));
    let commit_ok = (7..=40).contains(&commit.len())
        && commit
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    repo_ok && commit_ok && !path.is_empty() && !path.contains(char::is_whitespace)
}

/// The keys the file sets.
fn set_keys(e: &Entry) -> Vec<&'static str> {
    let set = [
        true,
        true,
        e.repositories.is_some(),
        e.prefixes.is_some(),
        e.tag_contains.is_some(),
        true,
        e.user.is_some(),
        e.alpine_user.is_some(),
        e.caps_as_root.is_some(),
        e.file_caps.is_some(),
        e.safe_user.is_some(),
        e.writable.is_some(),
        e.tmpfs_exec.is_some(),
        e.volumes.is_some(),
        e.read_only.is_some(),
        e.read_only_why.is_some(),
        e.no_new_privileges.is_some(),
        e.no_new_privileges_why.is_some(),
        e.file_vars.is_some(),
        e.file_suffix.is_some(),
        e.sensitive_ports.is_some(),
        e.healthcheck.is_some(),
        e.has_healthcheck.is_some(),
        e.size.is_some(),
        e.path_vars.is_some(),
        true,
        e.notes.is_some(),
    ];
    KEYS.iter()
        .zip(set)
        .filter(|(_, s)| *s)
        .map(|(k, _)| *k)
        .collect()
}

fn list(v: &Option<Vec<String>>) -> &[String] {
    v.as_deref().unwrap_or_default()
}

/// The checks of `images/README.md`.
pub fn check(e: &Entry) -> Vec<String> {
    let mut errors = Vec::new();
    let mut err = |m: String| errors.push(m);
    if e.name.is_empty() {
        err("name is empty: write the image's short name, e.g. `name = \"postgres\"`".into());
    }
    match e.kind {
        EntryKind::Image if list(&e.repositories).is_empty() => {
            err("an image needs `repositories = [\"...\"]` (the references it matches)".into())
        }
        EntryKind::Family if list(&e.prefixes).is_empty() => err(
            "a family needs `prefixes = [\"...\"]` (repository prefixes such as \"bitnami/\")"
                .into(),
        ),
        _ => {}
    }
    for r in list(&e.repositories).iter().chain(list(&e.prefixes)) {
        let last = r.rsplit('/').next().unwrap_or_default();
        if *r != r.to_lowercase()
            || r.starts_with("docker.io/")
            || r.starts_with("library/")
            || last.contains(':')
            || r.is_empty()
        {
            err(format!(
                "reference `{r}`: write it in lower case, without `docker.io/`, `library/` or a tag"
            ));
        }
    }
    for (key, caps) in [
        ("caps_as_root", &e.caps_as_root),
        ("file_caps", &e.file_caps),
    ] {
        let caps = list(caps);
        for c in caps {
            if !CAPABILITIES.contains(&c.as_str()) {
                err(format!(
                    "{key}: `{c}` is not a capability name (write it without `CAP_`, e.g. \"CHOWN\")"
                ));
            }
        }
        if !caps.is_sorted() {
            let mut sorted = caps.to_vec();
            sorted.sort();
            err(format!("{key}: keep it sorted: {sorted:?}"));
        }
    }
    for (key, value) in [("user", &e.user), ("alpine_user", &e.alpine_user)] {
        if let Some(v) = value
            && !uid_gid(v)
        {
            err(format!(
                "{key}: `{v}` must be uid:gid numbers, e.g. \"999:999\""
            ));
        }
    }
    // `safe_user` is written into the compose file as is, and the table has held an image's
    // own user name there (`node`), so a name is accepted too.
    if let Some(v) = &e.safe_user
        && !uid_gid(v)
        && !user_name(v)
    {
        err(format!(
            "safe_user: `{v}` must be uid:gid numbers (\"1000:1000\") or a user the image defines"
        ));
    }
    if e.start == Start::NonRoot {
        if e.user.is_none() {
            err("start = \"non-root\" needs `user = \"uid:gid\"`".into());
        }
        if !list(&e.caps_as_root).is_empty() {
            err("start = \"non-root\": leave caps_as_root out (or [])".into());
        }
    }
    if e.read_only == Some(false) && e.read_only_why.is_none() {
        err("read_only = false needs `read_only_why = \"...\"` (what breaks)".into());
    }
    if e.no_new_privileges == Some(false) && e.no_new_privileges_why.is_none() {
        err("no_new_privileges = false needs `no_new_privileges_why = \"...\"`".into());
    }
    for p in e.sensitive_ports.as_deref().unwrap_or_default() {
        if !(1..=65535).contains(p) {
            err(format!("sensitive_ports: {p} is not a port (1 to 65535)"));
        }
    }
    for (key, paths) in [
        ("writable", &e.writable),
        ("volumes", &e.volumes),
        ("tmpfs_exec", &e.tmpfs_exec),
    ] {
        for p in list(paths) {
            if !p.starts_with('/') {
                err(format!(
                    "{key}: `{p}` is not an absolute path (write \"/{p}\")"
                ));
            }
        }
    }
    if let Some(h) = &e.healthcheck
        && !h.first().is_some_and(|c| c == "CMD" || c == "CMD-SHELL")
    {
        err("healthcheck: start it with \"CMD\" or \"CMD-SHELL\"".into());
    }
    let mut named = BTreeSet::new();
    for s in &e.source {
        if s.reference.is_empty() {
            err("[[source]] without ref: write `ref = \"owner/repo@commit:path\"`".into());
        } else if !valid_ref(&s.reference) {
            err(format!(
                "[[source]] ref `{}`: write owner/repo@commit:path or an https:// URL",
                s.reference
            ));
        }
        for f in &s.facts {
            if KEYS.contains(&f.as_str()) {
                named.insert(f.as_str());
            } else {
                err(format!("[[source]] names `{f}`, which is not a field"));
            }
        }
    }
    for key in set_keys(e) {
        if !NOT_FACTS.contains(&key) && !named.contains(key) {
            err(format!(
                "fact `{key}` is not named by any [[source]]: add it to the `facts` of the source that establishes it"
            ));
        }
    }
    errors
}

/// The `*.toml` files of a folder, sorted by file name.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable folder entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// Reads and checks every file; errors name the file (`images/<file>.toml: ...`).
pub fn load(dir: &Path) -> Result<Vec<Entry>, Vec<String>> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut errors = Vec::new();
    for path in files(dir) {
        let file = path.file_name().unwrap_or_default().to_string_lossy();
        let shown = format!("images/{file}");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!("{shown}: {e}"));
                continue;
            }
        };
        match parse(&text) {
            Ok(entry) => {
                if let Some(other) = entries.iter().find(|o| o.name == entry.name) {
                    errors.push(format!(
                        "{shown}: the name `{}` is taken by another file: names are unique",
                        other.name
                    ));
                }
                for r in list(&entry.repositories) {
                    if let Some(other) = entries.iter().find(|o| {
                        o.tag_contains == entry.tag_contains && list(&o.repositories).contains(r)
                    }) {
                        errors.push(format!(
                            "{shown}: `{r}` is already matched by `{}`: one entry per reference (or set tag_contains)",
                            other.name
                        ));
                    }
                }
                entries.push(entry);
            }
            Err(es) => errors.extend(es.into_iter().map(|e| format!("{shown}: {e}"))),
        }
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        Err(errors)
    }
}

fn strs(items: &[String]) -> String {
    let mut out = String::from("&[");
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{s:?}");
    }
    out.push(']');
    out
}

fn opt_str(v: &Option<String>) -> String {
    v.as_ref().map_or("None".into(), |s| format!("Some({s:?})"))
}

fn opt_strs(v: &Option<Vec<String>>) -> String {
    v.as_ref()
        .map_or("None".into(), |s| format!("Some({})", strs(s)))
}

/// The Rust source of the table: `pub static IMAGES: &[Image] = &[...];`. Citations (and
/// notes) only with `docs`.
pub fn generate(entries: &[Entry], docs: bool) -> String {
    let mut out = String::from(
        "// Generated by build.rs from images/*.toml; do not edit.\n\n/// The known images and families, sorted by file name.\npub static IMAGES: &[Image] = &[\n",
    );
    for e in entries {
        let runs = match e.start {
            Start::NonRoot => "NonRoot",
            Start::Root => "Root",
            Start::RootThenStepDown => "RootThenStepsDown",
            Start::S6Overlay => "S6Overlay",
            Start::Supervisord => "Supervisord",
        };
        let size = match e.size {
            None => "None",
            Some(Size::Small) => "Some(SizeClass::Small)",
            Some(Size::Medium) => "Some(SizeClass::Medium)",
            Some(Size::Large) => "Some(SizeClass::Large)",
        };
        let ports = e.sensitive_ports.as_deref().unwrap_or_default();
        let ports: Vec<String> = ports.iter().map(|p| p.to_string()).collect();
        let opt_bool = |b: Option<bool>| b.map_or("None".into(), |b| format!("Some({b})"));
        let mut sources = String::from("&[");
        if docs {
            for s in &e.source {
                let how = match s.how {
                    How::Source => "Source",
                    How::Docs => "Docs",
                    How::Issue => "Issue",
                    How::Replica => "Replica",
                };
                let _ = write!(
                    sources,
                    "Source {{ facts: {}, reference: {:?}, how: How::{how} }}, ",
                    strs(&s.facts),
                    s.reference
                );
            }
        }
        sources.push(']');
        // Explanations (notes, why a control breaks the image) are documentation: only with
        // `docs`. Messages fall back to pointing at `composeguard images`.
        let notes = if docs { &e.notes } else { &None };
        let read_only_why = if docs { &e.read_only_why } else { &None };
        let no_new_privileges_why = if docs {
            &e.no_new_privileges_why
        } else {
            &None
        };
        let _ = writeln!(
            out,
            "    Image {{
        name: {name:?},
        family: {family},
        repositories: {repositories},
        prefixes: {prefixes},
        tag_contains: {tag_contains},
        user: {user},
        alpine_user: {alpine_user},
        runs: Runs::{runs},
        caps_as_root: {caps_as_root},
        file_caps: {file_caps},
        safe_user: {safe_user},
        writable: {writable},
        tmpfs_exec: {tmpfs_exec},
        volumes: {volumes},
        read_only_ok: {read_only},
        read_only_why: {read_only_why},
        no_new_privileges: {no_new_privileges},
        no_new_privileges_why: {no_new_privileges_why},
        file_vars: {file_vars},
        file_suffix: {file_suffix:?},
        sensitive_ports: &[{ports}],
        healthcheck: {healthcheck},
        has_healthcheck: {has_healthcheck},
        size: {size},
        path_vars: {path_vars},
        notes: {notes},
        sources: {sources},
    }},",
            name = e.name,
            family = e.kind == EntryKind::Family,
            repositories = strs(list(&e.repositories)),
            prefixes = strs(list(&e.prefixes)),
            tag_contains = opt_str(&e.tag_contains),
            user = opt_str(&e.user),
            alpine_user = opt_str(&e.alpine_user),
            caps_as_root = opt_strs(&e.caps_as_root),
            file_caps = opt_strs(&e.file_caps),
            safe_user = opt_str(&e.safe_user),
            writable = opt_strs(&e.writable),
            tmpfs_exec = strs(list(&e.tmpfs_exec)),
            volumes = strs(list(&e.volumes)),
            read_only = opt_bool(e.read_only),
            read_only_why = opt_str(read_only_why),
            no_new_privileges = opt_bool(e.no_new_privileges),
            no_new_privileges_why = opt_str(no_new_privileges_why),
            file_vars = strs(list(&e.file_vars)),
            file_suffix = e.file_suffix.as_deref().unwrap_or("_FILE"),
            ports = ports.join(", "),
            healthcheck = opt_strs(&e.healthcheck),
            has_healthcheck = e.has_healthcheck.unwrap_or(false),
            // No rule reads them yet: documentation, like the notes.
            path_vars = strs(if docs { list(&e.path_vars) } else { &[] }),
            notes = opt_str(notes),
        );
    }
    out.push_str("];\n");
    out
}
