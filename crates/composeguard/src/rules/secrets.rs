//! CG601 and CG602: secrets in `environment`.
//!
//! Every CG601 finding that can be converted carries the same fix, built once for the whole
//! file: each converted variable becomes `VAR_FILE: /run/secrets/<name>`, each service gets the
//! secret in its `secrets:`, and the top-level `secrets:` gets `<name>: {file: ./secrets/<name>.txt}`.
//! One fix, because the top-level `secrets:` block must be written once.

use crate::compose::Service;
use crate::document::{MapTarget, NodeId, NodeKind};
use crate::edit::{Edit, Fix, NewFile, NewFileKind};
use crate::sort;
use crate::writer::{NewValue, append_values, insert_entries, replace_scalar};

use crate::context::Context;
use crate::rule::{Check, declare_rule};

/// Where a variable is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Entry {
    /// `VAR: value` in a mapping: the key and value nodes.
    Map { key: NodeId, value: NodeId },
    /// `- VAR=value` in a list: the item node.
    List { item: NodeId },
}

impl Entry {
    fn id(self) -> NodeId {
        match self {
            Entry::Map { key, .. } => key,
            Entry::List { item } => item,
        }
    }
}

/// One environment variable of one service.
#[derive(Debug, Clone)]
struct Var {
    service: usize,
    name: String,
    /// The value as Compose sees it after `$$` unescaping (None when it interpolates).
    literal: Option<String>,
    /// The value as written in YAML.
    raw: String,
    entry: Entry,
    /// True when another file (or YAML document) that defines the service sets the variable
    /// too: converting one would leave the other beside `<VAR>_FILE`.
    split: bool,
}

/// A value's meaning: a literal, a pure reference, or a reference with a literal fallback.
fn literal_value(raw: &str) -> Option<String> {
    let without_escapes = raw.replace("$$", "");
    if without_escapes.contains('$') {
        return None;
    }
    Some(raw.replace("$$", "$"))
}

/// The literal default of `${VAR:-default}` / `${VAR-default}`, if the value is exactly that.
fn literal_fallback(raw: &str) -> Option<&str> {
    let inner = raw.strip_prefix("${")?.strip_suffix('}')?;
    let (_, default) = inner.split_once(":-").or_else(|| inner.split_once('-'))?;
    (!default.is_empty() && !default.contains('$')).then_some(default)
}

/// Every environment variable of every service, with where it is written.
fn variables(cx: &Context<'_>, services: &[Service]) -> Vec<Var> {
    let doc = cx.doc;
    let mut out = Vec::new();
    for (index, service) in services.iter().enumerate() {
        // Compose merges `environment` across the files that define the service.
        let first = out.len();
        let all = cx.compose.service_get_all(service, "environment");
        let several = all.len() > 1;
        for env in all {
            match &doc.node(env.resolved).kind {
                NodeKind::Mapping(_) => {
                    for name in cx.compose.keys(env.resolved) {
                        let Some(found) = cx.compose.get(env.resolved, &name) else {
                            continue;
                        };
                        let Some(raw) = doc.scalar(found.resolved) else {
                            continue;
                        };
                        if doc.is_null(found.resolved) {
                            continue;
                        }
                        out.push(Var {
                            service: index,
                            literal: literal_value(raw),
                            raw: raw.to_owned(),
                            name,
                            entry: Entry::Map {
                                key: found.key,
                                value: found.resolved,
                            },
                            split: false,
                        });
                    }
                }
                NodeKind::Sequence(items) => {
                    for item in items {
                        let Some(text) = doc.scalar(*item) else {
                            continue;
                        };
                        let Some((name, raw)) = text.split_once('=') else {
                            continue;
                        };
                        out.push(Var {
                            service: index,
                            name: name.trim().to_owned(),
                            literal: literal_value(raw),
                            raw: raw.to_owned(),
                            entry: Entry::List { item: *item },
                            split: false,
                        });
                    }
                }
                _ => {}
            }
        }
        if several {
            for i in first..out.len() {
                let split = out[first..]
                    .iter()
                    .any(|o| o.name == out[i].name && o.entry != out[i].entry);
                out[i].split = split;
            }
        }
    }
    out
}

/// The password part of `scheme://user:password@host`, if the value has one.
fn url_password(value: &str) -> Option<(&str, &str)> {
    let (_, rest) = value.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (user, password) = userinfo.split_once(':')?;
    (!password.is_empty() && !password.starts_with('$')).then_some((user, password))
}

declare_rule! {
    /// ## What it does
    /// Reports passwords, tokens and keys written as literals in a service's `environment`
    /// (map or list form, including literal fallbacks such as `${DB_PASSWORD:-changeme}`), and
    /// moves them into Compose secrets where the image can read them from a file.
    ///
    /// ## Why is this bad?
    /// A secret in the compose file ends up in version control, in `docker inspect`, in every
    /// process's environment, in crash reports and CI logs. A Compose secret is a file mounted
    /// at `/run/secrets/<name>`, readable only inside the container.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17
    ///     environment:
    ///       POSTGRES_PASSWORD: s3cr3t-pw
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17
    ///     environment:
    ///       POSTGRES_PASSWORD_FILE: /run/secrets/postgres_password
    ///     secrets:
    ///       - postgres_password
    /// secrets:
    ///   postgres_password:
    ///     file: ./secrets/postgres_password.txt
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the secret file must be readable by the user the image reads it as (Compose
    /// mounts file secrets with the host file's owner and mode). The fix is offered only for
    /// variables the image is known to read from `<VAR>_FILE` (postgres, mysql, mariadb, mongo,
    /// wordpress, nextcloud, elasticsearch, minio, vaultwarden; `<VAR>__FILE` for grafana): the
    /// variable becomes `<VAR>_FILE: /run/secrets/<name>`, the service gets the secret, and the
    /// top-level `secrets:` gets `<name>: {file: ./secrets/<name>.txt}` (an existing block is
    /// extended; names never collide). One value used by several services becomes one secret.
    /// The secret files are returned to the caller with the original value byte for byte
    /// (`$$` read as Compose reads it); `composeguard fix` writes them with mode 0600.
    /// Other images would break if the variable disappeared: they get a suggestion, or, when an
    /// env file is configured (`--secrets-env-file .env`), the literal moves there and the
    /// compose file keeps `${VAR}`. A literal fallback (`${VAR:-changeme}`) is reported without
    /// a fix: the real value comes from the environment. Values are never printed.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 4.10 "Ensure secrets are not stored in Dockerfiles";
    /// Compose Specification, secrets.
    pub struct LiteralSecret {
        code: "CG601",
        name: "literal-secret",
        summary: "Keep passwords and tokens out of `environment`: use Compose secrets",
        fix: Sometimes,
        cis: Some("4.10"),
        preset: Recommended,
    }
}

declare_rule! {
    /// ## What it does
    /// Reports credentials written inside URLs in `environment`
    /// (`postgres://user:password@host/db`).
    ///
    /// ## Why is this bad?
    /// The password is as exposed as any literal secret, and easier to miss: it hides in a
    /// connection string that tools print in logs and error messages.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     image: example/api:1
    ///     environment:
    ///       DATABASE_URL: postgres://app:s3cr3t@db:5432/app
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   api:
    ///     image: example/api:1
    ///     environment:
    ///       DATABASE_URL: postgres://app@db:5432/app
    ///       PGPASSFILE: /run/secrets/pgpass
    ///     secrets: [pgpass]
    /// secrets:
    ///   pgpass:
    ///     file: ./secrets/pgpass
    /// ```
    ///
    /// ## Fix safety
    /// No fix: how an application reads a password from a file is its own business. The
    /// password is masked in every message.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 4.10.
    pub struct UrlCredentials {
        code: "CG602",
        name: "url-credentials",
        summary: "Do not put passwords inside URLs in `environment`",
        fix: None,
        cis: Some("4.10"),
        preset: Recommended,
    }
}

/// A planned conversion of one variable entry into a secret.
struct Conversion {
    entry: Entry,
    name: String,
    var: String,
    suffix: &'static str,
    /// Services that see this entry.
    services: Vec<usize>,
}

impl Check for LiteralSecret {
    fn check_file(&self, cx: &mut Context<'_>) {
        let services = cx.services;
        let vars = variables(cx, services);
        // Which services see each entry (a merged `x-` block is shared).
        // (entry node, service), grouped by entry. Sorted vectors rather than more map types:
        // each map type adds kilobytes to the WebAssembly module.
        let mut by_entry: Vec<(NodeId, usize)> =
            vars.iter().map(|v| (v.entry.id(), v.service)).collect();
        sort::sort_by(&mut by_entry, |a, b| a.0.cmp(&b.0));
        let existing_names = existing_secret_names(cx);
        // (value, secret name) in first-seen order, and the index of each value.
        let mut secret_values: Vec<(String, String)> = Vec::new();
        let mut names = Names::new(&existing_names);
        let mut conversions: Vec<Conversion> = Vec::new();
        let mut env_moves: Vec<(Entry, String, String)> = Vec::new();
        let mut reports: Vec<(usize, Entry, String, Option<String>, bool)> = Vec::new();
        let mut seen_entries = vec![false; cx.doc.nodes().len()];
        let mut moved_names: Vec<String> = Vec::new();
        // Only an `environment` that merges another with `<<` can hide an entry: without one
        // (most files), hidden_somewhere's look at every service for every variable is skipped.
        let env_merges = services.iter().any(|s| {
            cx.get(s, "environment").is_some_and(|env| {
                cx.doc
                    .entries(env.resolved)
                    .iter()
                    .any(|(k, _)| cx.doc.scalar_key(*k) == Some("<<"))
            })
        });
        let mut declared: Vec<(usize, &str)> =
            vars.iter().map(|v| (v.service, v.name.as_str())).collect();
        sort::sort_by(&mut declared, |a, b| a.cmp(b));
        for v in &vars {
            if !crate::masking::sensitive_name(&v.name, cx.settings) {
                continue;
            }
            let service = &services[v.service];
            let Some(literal) = v.literal.clone() else {
                if let Some(default) = literal_fallback(&v.raw) {
                    let message = format!(
                        "service `{}` falls back to a literal `{}` when the variable is unset",
                        service.name, v.name
                    );
                    reports.push((v.service, v.entry, message, Some(default.to_owned()), false));
                }
                continue;
            };
            if crate::masking::boring(&literal) {
                continue;
            }
            if std::mem::replace(&mut seen_entries[v.entry.id()], true) {
                // A shared entry is reported (and converted) once, on its first service.
                continue;
            }
            let id = v.entry.id();
            let first = by_entry.partition_point(|(e, _)| *e < id);
            let sharing: Vec<usize> = by_entry[first..]
                .iter()
                .take_while(|(e, _)| *e == id)
                .map(|(_, s)| *s)
                .collect();
            // The image of every service that sees the entry must read `<VAR>_FILE`.
            let support: Vec<Option<&'static str>> = sharing
                .iter()
                .map(|s| {
                    cx.image(&services[*s])
                        .filter(|k| k.image.file_vars.contains(&v.name.as_str()))
                        .map(|k| k.image.file_suffix)
                })
                .collect();
            let suffix = support.first().copied().flatten();
            let all_support = suffix.is_some() && support.iter().all(|s| *s == suffix);
            let file_var = format!("{}{}", v.name, suffix.unwrap_or("_FILE"));
            let already = declared
                .binary_search(&(v.service, file_var.as_str()))
                .is_ok();
            let message = format!(
                "service `{}` sets `{}` in `environment` as a literal",
                service.name, v.name
            );
            let shared_anchor =
                all_support && !already && value_shared_elsewhere(cx, services, &vars, v);
            let convertible = all_support && !already;
            let merged_conflict = if convertible && hides_merged_value(cx, &services[v.service], v)
            {
                Some("it overrides a value merged from `<<`, which renaming it would bring back")
            } else if convertible && env_merges && hidden_somewhere(cx, services, v) {
                Some(
                    "another service merges this entry with `<<` and sets the variable itself, so renaming it would give that service both",
                )
            } else {
                None
            };
            if convertible && v.split {
                reports.push((
                    v.service,
                    v.entry,
                    format!("{message}; another file (or YAML document) that defines the service sets it too, and converting one would leave the other beside `{file_var}`, which the image refuses: keep it in one file (the last one's value wins), then fix again"),
                    Some(literal),
                    false,
                ));
            } else if let Some(why) = merged_conflict {
                reports.push((
                    v.service,
                    v.entry,
                    format!("{message}; {why} (`{}` and `{file_var}`, which the image refuses): give the services their own values first", v.name),
                    Some(literal),
                    false,
                ));
            } else if shared_anchor {
                reports.push((
                    v.service,
                    v.entry,
                    format!("{message}; its value is an anchor that other settings alias, and converting it would change what they read: give each its own value (or secret) first"),
                    Some(literal),
                    false,
                ));
            } else if all_support && !already {
                let index = match secret_values
                    .iter()
                    .position(|(value, _)| *value == literal)
                {
                    Some(i) => i,
                    None => {
                        let name = names.allocate(&v.name.to_ascii_lowercase());
                        secret_values.push((literal.clone(), name));
                        secret_values.len() - 1
                    }
                };
                let name = &secret_values[index].1;
                conversions.push(Conversion {
                    entry: v.entry,
                    name: name.clone(),
                    var: v.name.clone(),
                    suffix: suffix.unwrap_or("_FILE"),
                    services: sharing.clone(),
                });
                reports.push((v.service, v.entry, message, Some(literal), true));
            } else if cx.settings.secrets_env_file.is_some() && !is_identifier(&v.name) {
                // `${spring.datasource.password}` is not a variable Compose can read (and
                // `${APP-API-TOKEN}` reads as `APP` with a default): keep it, and say so.
                reports.push((
                    v.service,
                    v.entry,
                    format!("{message}; `{}` is not a name Compose can interpolate (letters, digits and `_`), so it stays: set it from a file the application reads, or rename it", v.name),
                    Some(literal),
                    false,
                ));
            } else if cx.settings.secrets_env_file.is_some() && !moved_names.contains(&v.name) {
                moved_names.push(v.name.clone());
                env_moves.push((v.entry, v.name.clone(), literal.clone()));
                reports.push((v.service, v.entry, message, Some(literal), true));
            } else {
                let why = if already {
                    format!("; `{file_var}` is set too, remove one of them")
                } else {
                    "; its image is not known to read it from a file, so move it to an env file or a secret the application reads".to_owned()
                };
                reports.push((
                    v.service,
                    v.entry,
                    format!("{message}{why}"),
                    Some(literal),
                    false,
                ));
            }
        }
        // Secret files in the order of their values.
        sort::sort_by(&mut secret_values, |a, b| a.0.cmp(&b.0));
        let fix = build_fix(cx, services, &conversions, &env_moves, &secret_values);
        for (service, entry, message, secret, fixable) in reports {
            let range = cx.span(entry.id());
            let d = cx.report_about(&services[service], range, message);
            d.secret = secret;
            if fixable && let Some(fix) = &fix {
                d.set_fix(fix.clone());
            }
        }
    }
}

/// True when the value node of `v`'s entry carries an anchor and some other setting reads it:
/// the entry that defines the anchor or any alias of it, other than an entry of the same
/// variable whose image also reads `<VAR>_FILE` (a converted entry rewrites that node, so
/// every reader must be converted the same way). Extension fields (`x-...`) read nothing.
fn value_shared_elsewhere(cx: &Context<'_>, services: &[Service], vars: &[Var], v: &Var) -> bool {
    let doc = cx.doc;
    let Entry::Map { value, .. } = v.entry else {
        return false;
    };
    let target = doc.resolve(value);
    if doc.node(target).anchor.is_none() {
        return false;
    }
    let reads = |written: NodeId| {
        written == target || matches!(doc.node(written).kind, NodeKind::Alias(t) if t == target)
    };
    let converted_alike = |key: NodeId| {
        vars.iter().any(|o| {
            matches!(o.entry, Entry::Map { key: k, .. } if k == key)
                && o.name == v.name
                && cx
                    .image(&services[o.service])
                    .is_some_and(|k| k.image.file_vars.contains(&o.name.as_str()))
        })
    };
    doc.nodes().iter().any(|node| match &node.kind {
        NodeKind::Mapping(entries) => entries.iter().any(|(k, written)| {
            reads(*written)
                && !converted_alike(*k)
                && !doc
                    .scalar_key(*k)
                    .is_some_and(|name| name.starts_with("x-"))
        }),
        NodeKind::Sequence(items) => items.iter().any(|i| reads(*i)),
        _ => false,
    })
}

/// True when `v` is a service's own entry that hides an entry of the same name merged into
/// its `environment` with `<<`: renaming it would bring the merged value back.
fn hides_merged_value(cx: &Context<'_>, service: &Service, v: &Var) -> bool {
    let doc = cx.doc;
    let (Entry::Map { key, .. }, Some(env)) = (v.entry, cx.get(service, "environment")) else {
        return false;
    };
    let own = doc.entries(env.resolved).iter().any(|(k, _)| *k == key);
    own && doc
        .entries(env.resolved)
        .iter()
        .filter(|(k, _)| doc.scalar_key(*k) == Some("<<"))
        .flat_map(|(_, value)| cx.compose.merge_sources(*value))
        .any(|source| cx.compose.get(source, &v.name).is_some())
}

/// True when `v`'s entry sits in a mapping that another service merges into its
/// `environment` while setting the same variable itself: renamed to `<VAR>_FILE`, the merged
/// entry would no longer be hidden there, and that service would have both.
fn hidden_somewhere(cx: &Context<'_>, services: &[Service], v: &Var) -> bool {
    let doc = cx.doc;
    let Entry::Map { key, .. } = v.entry else {
        return false;
    };
    let Some(holder) = doc
        .nodes()
        .iter()
        .enumerate()
        .find_map(|(id, node)| match &node.kind {
            NodeKind::Mapping(entries) if entries.iter().any(|(k, _)| *k == key) => Some(id),
            _ => None,
        })
    else {
        return false;
    };
    services.iter().any(|service| {
        let Some(env) = cx.get(service, "environment") else {
            return false;
        };
        let winner = cx.compose.get(env.resolved, &v.name).map(|l| l.key);
        winner.is_some_and(|w| w != key) && merges(cx, env.resolved, holder)
    })
}

/// True when `map` merges `holder` through `<<` (directly or through chained merges).
fn merges(cx: &Context<'_>, map: NodeId, holder: NodeId) -> bool {
    let doc = cx.doc;
    let mut stack = vec![map];
    let mut seen: Vec<NodeId> = Vec::new();
    while let Some(m) = stack.pop() {
        if seen.contains(&m) || seen.len() > 10_000 {
            continue;
        }
        seen.push(m);
        for (k, value) in doc.entries(m) {
            if doc.scalar_key(*k) == Some("<<") {
                for source in cx.compose.merge_sources(*value) {
                    if source == holder {
                        return true;
                    }
                    stack.push(source);
                }
            }
        }
    }
    false
}

/// True for a name `${NAME}` interpolates: a letter or `_`, then letters, digits and `_`.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn existing_secret_names(cx: &Context<'_>) -> Vec<String> {
    let doc = cx.doc;
    let mut names = Vec::new();
    for (_, root) in cx.compose.roots() {
        if let Some((_, secrets)) = doc.own_entry(root, "secrets") {
            names.extend(
                doc.entries(secrets)
                    .iter()
                    .filter_map(|(k, _)| doc.scalar_key(*k).map(str::to_owned)),
            );
        }
    }
    names
}

/// Allocates secret names: readable (`postgres_password`), never one already used.
#[derive(Default)]
struct Names {
    /// Every name taken, sorted (a binary search each: no hash map, which would add 4 KB to the
    /// browser module).
    used: Vec<String>,
    /// For each base, the suffix where its search resumes: every candidate before it is
    /// taken, and names are never given back, so the first free one is at or after it. A
    /// file with thousands of services that each need `db_password` costs one step each.
    next: Vec<(String, usize)>,
}

impl Names {
    fn new(existing: &[String]) -> Names {
        let mut used = existing.to_vec();
        crate::sort::sort_by(&mut used, |a, b| a.cmp(b));
        used.dedup();
        Names {
            used,
            next: Vec::new(),
        }
    }

    fn allocate(&mut self, base: &str) -> String {
        let base: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let resume = self.next.binary_search_by(|(b, _)| b.as_str().cmp(&base));
        let mut next = resume.map_or(1, |i| self.next[i].1);
        let mut candidate = if next == 1 {
            base.clone()
        } else {
            format!("{base}_{next}")
        };
        while self.used.binary_search(&candidate).is_ok() {
            next += 1;
            candidate = format!("{base}_{next}");
        }
        match resume {
            Ok(i) => self.next[i].1 = next,
            Err(i) => self.next.insert(i, (base, next)),
        }
        if let Err(i) = self.used.binary_search(&candidate) {
            self.used.insert(i, candidate.clone());
        }
        candidate
    }
}

/// The single fix that performs every conversion of the file.
fn build_fix(
    cx: &Context<'_>,
    services: &[Service],
    conversions: &[Conversion],
    env_moves: &[(Entry, String, String)],
    secret_values: &[(String, String)],
) -> Option<Fix> {
    if conversions.is_empty() && env_moves.is_empty() {
        return None;
    }
    let doc = cx.doc;
    let style = cx.style;
    let mut edits: Vec<Edit> = Vec::new();
    let mut files: Vec<NewFile> = Vec::new();
    // 1. The variables themselves.
    for c in conversions {
        let path = format!("/run/secrets/{}", c.name);
        let file_var = format!("{}{}", c.var, c.suffix);
        match c.entry {
            Entry::Map { key, value } => {
                edits.push(replace_scalar(doc, style, key, &file_var));
                edits.push(replace_scalar(doc, style, value, &path));
            }
            Entry::List { item } => edits.push(replace_scalar(
                doc,
                style,
                item,
                &format!("{file_var}={path}"),
            )),
        }
    }
    let mut env_lines = String::new();
    for (entry, name, value) in env_moves {
        let reference = format!("${{{name}}}");
        match *entry {
            Entry::Map { value: v, .. } => edits.push(replace_scalar(doc, style, v, &reference)),
            Entry::List { item } => edits.push(replace_scalar(
                doc,
                style,
                item,
                &format!("{name}={reference}"),
            )),
        }
        env_lines.push_str(&format!("{name}={}\n", env_file_value(value)));
    }
    if let Some(path) = &cx.settings.secrets_env_file
        && !env_lines.is_empty()
    {
        files.push(NewFile {
            path: path.clone(),
            content: env_lines,
            kind: NewFileKind::EnvLines,
        });
    }
    // 2. Each service's `secrets:`.
    let per_service = sort::group_unique(
        conversions
            .iter()
            .flat_map(|c| c.services.iter().map(|s| (*s, c.name.clone())))
            .collect(),
    );
    let mut shared_items: Vec<(NodeId, String)> = Vec::new();
    for (index, names) in &per_service {
        let service = &services[*index];
        let target = cx.compose.service_target(service)?;
        match cx.get(service, "secrets") {
            None => {
                let values =
                    NewValue::Seq(names.iter().map(|n| NewValue::str(n.clone())).collect());
                edits.extend(insert_entries(doc, style, target, &[("secrets", values)]));
            }
            Some(l) if doc.as_sequence(l.resolved).is_some() => {
                let granted = cx.compose.granted(service, "secrets");
                for name in names {
                    if !granted.contains(&name.as_str()) {
                        shared_items.push((l.resolved, name.clone()));
                    }
                }
            }
            Some(_) => return None,
        }
    }
    for (list, names) in sort::group_unique(shared_items) {
        let long = doc
            .items(list)
            .iter()
            .any(|i| doc.as_mapping(doc.resolve(*i)).is_some());
        let items: Vec<NewValue> = names
            .into_iter()
            .map(|name| {
                if long {
                    NewValue::Map(vec![("source".into(), NewValue::str(name))])
                } else {
                    NewValue::str(name)
                }
            })
            .collect();
        edits.push(append_values(doc, style, list, &items));
    }
    // 3. The top-level `secrets:` of each document that has a converted service.
    let per_document = sort::group_unique(
        conversions
            .iter()
            .map(|c| (services[c.services[0]].document, c.name.clone()))
            .collect(),
    );
    for (document, names) in per_document {
        let root = cx.compose.roots().find(|(d, _)| *d == document)?.1;
        let definitions: Vec<(String, NewValue)> = names
            .iter()
            .map(|n| {
                let file = NewValue::Map(vec![(
                    "file".into(),
                    NewValue::str(format!("./secrets/{n}.txt")),
                )]);
                (n.clone(), file)
            })
            .collect();
        match doc.own_entry(root, "secrets") {
            Some((_, existing)) if doc.as_mapping(doc.resolve(existing)).is_some() => {
                let entries: Vec<(&str, NewValue)> = definitions
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.clone()))
                    .collect();
                edits.extend(insert_entries(
                    doc,
                    style,
                    MapTarget::Mapping(doc.resolve(existing)),
                    &entries,
                ));
            }
            Some(_) => return None,
            None => edits.extend(insert_entries(
                doc,
                style,
                MapTarget::Mapping(root),
                &[("secrets", NewValue::Map(definitions))],
            )),
        }
    }
    for (value, name) in secret_values {
        files.push(NewFile {
            path: format!("secrets/{name}.txt"),
            content: value.clone(),
            kind: NewFileKind::Secret,
        });
    }
    let count = conversions.len() + env_moves.len();
    let message = format!("Move {count} literal secret(s) out of `environment`");
    Some(Fix::unsafe_(message, edits).with_files(files))
}

/// A value for an env file line, quoted so that Compose reads it back unchanged.
fn env_file_value(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:/@+=,".contains(c));
    if plain {
        value.to_owned()
    } else if !value.contains('\'') && !value.contains('\n') {
        format!("'{value}'")
    } else {
        let escaped = value
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
            .replace('$', "$$");
        format!("\"{escaped}\"")
    }
}

impl Check for UrlCredentials {
    fn check_file(&self, cx: &mut Context<'_>) {
        let services = cx.services;
        let mut seen = vec![false; cx.doc.nodes().len()];
        for v in variables(cx, services) {
            let Some((user, password)) = url_password(&v.raw) else {
                continue;
            };
            if std::mem::replace(&mut seen[v.entry.id()], true) {
                continue;
            }
            let message = format!(
                "service `{}` has credentials inside the URL in `{}` (user `{user}`, password ****)",
                services[v.service].name, v.name
            );
            let range = cx.span(v.entry.id());
            cx.report_about(&services[v.service], range, message).secret =
                Some(password.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_references() {
        assert_eq!(literal_value("s3cr3t"), Some("s3cr3t".into()));
        assert_eq!(literal_value("pa$$word"), Some("pa$word".into()));
        assert_eq!(literal_value("${DB_PASSWORD}"), None);
        assert_eq!(literal_value("$DB_PASSWORD"), None);
        assert_eq!(
            literal_fallback("${DB_PASSWORD:-changeme}"),
            Some("changeme")
        );
        assert_eq!(
            literal_fallback("${DB_PASSWORD-changeme}"),
            Some("changeme")
        );
        assert_eq!(literal_fallback("${DB_PASSWORD}"), None);
        assert_eq!(literal_fallback("${A:-${B}}"), None);
    }

    #[test]
    fn url_passwords() {
        assert_eq!(
            url_password("postgres://app:s3cr3t@db:5432/app"),
            Some(("app", "s3cr3t"))
        );
        assert_eq!(url_password("redis://:pw@cache:6379/0"), Some(("", "pw")));
        assert_eq!(url_password("postgres://app@db/app"), None);
        assert_eq!(url_password("postgres://app:${PW}@db/app"), None);
        assert_eq!(url_password("http://example.com/a:b@c"), None);
    }

    #[test]
    fn only_interpolatable_names_move_to_an_env_file() {
        for name in ["DB_PASSWORD", "_TOKEN", "a1"] {
            assert!(is_identifier(name), "{name}");
        }
        for name in [
            "spring.datasource.password",
            "APP-API-TOKEN",
            "1PASS",
            "",
            "A B",
        ] {
            assert!(!is_identifier(name), "{name}");
        }
    }

    #[test]
    fn env_file_values_read_back_unchanged() {
        assert_eq!(env_file_value("s3cr3t-pw"), "s3cr3t-pw");
        assert_eq!(env_file_value("a b#c"), "'a b#c'");
        assert_eq!(env_file_value("it's"), "\"it's\"");
    }

    #[test]
    fn names() {
        let mut names = Names::new(&["db_password".into(), "db_password_3".into()]);
        assert_eq!(names.allocate("db_password"), "db_password_2");
        assert_eq!(names.allocate("db_password"), "db_password_4");
        assert_eq!(names.allocate("api token"), "api_token");
        // A name taken under another base after the search moved on is still skipped.
        assert_eq!(names.allocate("db_password_5"), "db_password_5");
        assert_eq!(names.allocate("db_password"), "db_password_6");
        assert_eq!(names.allocate("db password"), "db_password_7");
    }
}
