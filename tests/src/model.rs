//! The effective Compose model of a file, read with serde_yaml_ng (a parser independent of
//! the one composeguard uses): `<<` merge keys resolved the way go-yaml (and so Compose) does,
//! and same-file `extends` applied the way compose-go does.

use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

/// Every non-null document of `text`, merge keys resolved. `Err` when serde_yaml_ng does not
/// parse it.
pub fn documents(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(text) {
        let value = Value::deserialize(doc).map_err(|e| e.to_string())?;
        let value = merged(&value);
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}

/// [`documents`], panicking when the text does not parse.
pub fn model(text: &str) -> Vec<Value> {
    documents(text).expect("serde_yaml_ng parses")
}

/// True for a `<<` key, plain or tagged (`!!merge <<`, `!!str <<` is not a merge).
fn is_merge_key(k: &Value) -> bool {
    match k {
        Value::String(s) => s == "<<",
        Value::Tagged(t) => t.tag == "merge" && t.value.as_str() == Some("<<"),
        _ => false,
    }
}

/// Resolves `<<` merge keys the way go-yaml (and so Compose) does, chained merges included:
/// own keys win, then each merge source in order. (serde_yaml_ng's `apply_merge` does not
/// resolve a merge key that arrives through another merge.)
pub fn merged(v: &Value) -> Value {
    match v {
        Value::Mapping(m) => {
            let mut out = Mapping::new();
            let mut sources = Vec::new();
            for (k, val) in m {
                if is_merge_key(k) {
                    match merged(val) {
                        Value::Mapping(x) => sources.push(x),
                        Value::Sequence(items) => {
                            sources.extend(items.into_iter().filter_map(|i| match i {
                                Value::Mapping(x) => Some(x),
                                _ => None,
                            }))
                        }
                        _ => {}
                    }
                } else {
                    out.insert(k.clone(), merged(val));
                }
            }
            for source in sources {
                for (k, val) in source {
                    if !out.contains_key(&k) {
                        out.insert(k, val);
                    }
                }
            }
            Value::Mapping(out)
        }
        Value::Sequence(items) => Value::Sequence(items.iter().map(merged).collect()),
        Value::Tagged(t) => Value::Tagged(Box::new(serde_yaml_ng::value::TaggedValue {
            tag: t.tag.clone(),
            value: merged(&t.value),
        })),
        other => other.clone(),
    }
}

/// The value under a tag (`!reset [..]` reads as `[..]`).
pub fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => &t.value,
        other => other,
    }
}

/// A key as text: strings as they are, a tagged string (`!!str image`) without its tag.
pub fn key_text(k: &Value) -> String {
    match untag(k) {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "~".into(),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// The services of a document as written (not extended), in order; a tagged key or value
/// read without its tag.
pub fn services(doc: &Value) -> Vec<(String, Value)> {
    match get(doc, "services").map(untag) {
        Some(Value::Mapping(m)) => m
            .iter()
            .map(|(k, v)| (key_text(k), untag(v).clone()))
            .collect(),
        _ => Vec::new(),
    }
}

/// `map[key]`, the key matched as text (so a `!!str key` is found too).
pub fn get<'a>(map: &'a Value, key: &str) -> Option<&'a Value> {
    match untag(map) {
        Value::Mapping(m) => m
            .get(key)
            .or_else(|| m.iter().find(|(k, _)| key_text(k) == key).map(|(_, v)| v)),
        _ => None,
    }
}

/// The string items of a sequence (non-strings skipped); a single string as one item.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    match v.map(untag) {
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| untag(i).as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// A scalar as text (strings, numbers, booleans).
pub fn scalar_text(v: &Value) -> Option<String> {
    match untag(v) {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The same-file base a service extends, if any (`extends: web` or `extends: {service: web}`).
pub fn extends_base(service: &Value) -> Option<String> {
    match get(service, "extends").map(untag) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(m @ Value::Mapping(_)) if get(m, "file").is_none() => get(m, "service")
            .and_then(|s| untag(s).as_str())
            .map(str::to_owned),
        _ => None,
    }
}

/// A service with `extends` (same file) applied the way compose-go does: sequences of the base
/// come first and the service's are appended, mappings are merged with the service's keys winning; `command`, `entrypoint`
/// and `healthcheck.test` are replaced; a logging block with another driver replaces the
/// base's. A cycle, or a chain longer than 8, stops the resolution ([`extends_cycle`]).
pub fn extended(name: &str, all: &[(String, Value)]) -> Value {
    chain(name, all, &mut Vec::new())
}

/// True when `name`'s `extends` chain comes back to a service of the chain (Compose refuses
/// the file) or is longer than 8.
pub fn extends_cycle(name: &str, all: &[(String, Value)]) -> bool {
    let mut seen = vec![name.to_owned()];
    let mut current = name.to_owned();
    loop {
        let service = all.iter().find(|(n, _)| *n == current).map(|(_, s)| s);
        let Some(base) = service.and_then(extends_base) else {
            return false;
        };
        if seen.contains(&base) || seen.len() > 8 {
            return true;
        }
        seen.push(base.clone());
        current = base;
    }
}

fn chain(name: &str, all: &[(String, Value)], seen: &mut Vec<String>) -> Value {
    let service = all
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, s)| s.clone())
        .unwrap_or(Value::Null);
    seen.push(name.to_owned());
    let Some(base_name) = extends_base(&service) else {
        return service;
    };
    // A cycle: the service alone (Compose refuses the file; the validator says so).
    if seen.contains(&base_name) || seen.len() > 8 {
        return service;
    }
    let base = chain(&base_name, all, seen);
    let mut out = combine(&base, &service, "");
    if let Value::Mapping(m) = &mut out {
        m.remove("extends");
    }
    out
}

/// `over` merged onto `base` (see [`extended`]); `path` is the key path inside the service.
pub fn combine(base: &Value, over: &Value, path: &str) -> Value {
    if matches!(path, "command" | "entrypoint" | "healthcheck.test") {
        return over.clone();
    }
    match (untag(base), untag(over)) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            if path == "logging" {
                let driver = |m: &Mapping| m.get("driver").cloned();
                if let (Some(x), Some(y)) = (driver(b), driver(o))
                    && x != y
                {
                    return Value::Mapping(o.clone());
                }
            }
            let mut out = b.clone();
            for (k, v) in o {
                let name = key_text(k);
                let merged = match b.get(k) {
                    Some(bv) if name != "extends" => {
                        let sub = if path.is_empty() {
                            name
                        } else {
                            format!("{path}.{name}")
                        };
                        combine(bv, v, &sub)
                    }
                    _ => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Mapping(out)
        }
        (Value::Sequence(b), Value::Sequence(o)) => {
            // Appended; compose-go's unicity pass ([`unified`]) then folds the lists it
            // indexes. Any other list keeps both copies (and the schema then rejects them).
            let mut out = b.clone();
            out.extend(o.iter().cloned());
            Value::Sequence(out)
        }
        // `tmpfs: /run` in one and a list in the other: compose-go turns both into lists.
        (Value::String(_), Value::Sequence(_)) | (Value::Sequence(_), Value::String(_))
            if path == "tmpfs" || path == "dns" || path == "dns_search" || path == "env_file" =>
        {
            let list = |v: &Value| match untag(v) {
                Value::Sequence(s) => s.clone(),
                other => vec![other.clone()],
            };
            combine(
                &Value::Sequence(list(base)),
                &Value::Sequence(list(over)),
                path,
            )
        }
        (_, Value::Null) if !matches!(untag(base), Value::Null) => base.clone(),
        (_, o) => o.clone(),
    }
}

/// A service as Compose loads it: [`extended`], then [`unified`].
pub fn effective(name: &str, all: &[(String, Value)]) -> Value {
    unified(&extended(name, all))
}

/// The service lists compose-go's `EnforceUnicity` indexes.
const INDEXED: &[&str] = &[
    "cap_add",
    "cap_drop",
    "dns",
    "dns_opt",
    "dns_search",
    "environment",
    "labels",
    "links",
    "profiles",
    "sysctls",
    "tmpfs",
    "annotations",
    "expose",
    "env_file",
    "volumes",
    "devices",
    "ports",
    "secrets",
    "configs",
];

/// The key compose-go's `EnforceUnicity` indexes an item of the service list `key` by, or
/// `None` for a list it leaves alone (`security_opt`, `group_add`, ...).
fn unicity_key(key: &str, item: &Value) -> Option<String> {
    let text = untag(item).as_str();
    let target = || get(item, "target").and_then(scalar_text);
    let key_value = |s: &str| s.split_once('=').map_or(s, |(k, _)| k).to_owned();
    match key {
        "cap_add" | "cap_drop" | "dns" | "dns_opt" | "dns_search" | "environment" | "labels"
        | "links" | "profiles" | "sysctls" | "tmpfs" | "annotations" => text.map(key_value),
        "expose" | "env_file" => {
            scalar_text(item).or_else(|| get(item, "path").and_then(scalar_text))
        }
        "volumes" | "devices" => match text {
            Some(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                Some(parts.get(1).unwrap_or(&parts[0]).to_string())
            }
            None => target(),
        },
        "ports" => match untag(item) {
            Value::Mapping(_) => Some(format!(
                "{}:{}:{}/{}",
                get(item, "host_ip")
                    .and_then(scalar_text)
                    .unwrap_or_else(|| "0.0.0.0".into()),
                get(item, "published")
                    .and_then(scalar_text)
                    .unwrap_or_default(),
                get(item, "target")
                    .and_then(scalar_text)
                    .unwrap_or_default(),
                get(item, "protocol")
                    .and_then(scalar_text)
                    .unwrap_or_else(|| "tcp".into()),
            )),
            _ => scalar_text(item),
        },
        "secrets" | "configs" => {
            let base = if key == "secrets" { "/run/secrets" } else { "" };
            target().or_else(|| {
                let source = text
                    .map(str::to_owned)
                    .or_else(|| get(item, "source").and_then(scalar_text))?;
                Some(format!("{base}/{source}"))
            })
        }
        _ => None,
    }
}

/// compose-go's `EnforceUnicity` on one service: in the lists it indexes, a later item with
/// the key of an earlier one replaces it in the earlier one's place.
pub fn unified(service: &Value) -> Value {
    let Value::Mapping(m) = untag(service) else {
        return service.clone();
    };
    let mut out = m.clone();
    for (k, v) in out.iter_mut() {
        let key = key_text(k);
        let Value::Sequence(items) = untag(v) else {
            continue;
        };
        if !INDEXED.contains(&key.as_str()) {
            continue;
        }
        let mut seq: Vec<Value> = Vec::new();
        let mut keys: Vec<Option<String>> = Vec::new();
        for item in items {
            let index = unicity_key(&key, item);
            match keys.iter().position(|x| index.is_some() && *x == index) {
                Some(j) => seq[j] = item.clone(),
                None => {
                    seq.push(item.clone());
                    keys.push(index);
                }
            }
        }
        *v = Value::Sequence(seq);
    }
    Value::Mapping(out)
}

/// One service of a document, as written and as Compose loads it.
pub struct ServiceModel {
    /// The document's index in the file.
    pub document: usize,
    /// The service's name.
    pub name: String,
    /// As written (merge keys resolved).
    pub written: Value,
    /// As Compose loads it ([`effective`]).
    pub effective: Value,
    /// Its `extends` chain loops ([`extends_cycle`]).
    pub cycle: bool,
}

/// Every service of every document.
pub fn effective_services(docs: &[Value]) -> Vec<ServiceModel> {
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let all = services(doc);
        for (name, written) in &all {
            out.push(ServiceModel {
                document: i,
                name: name.clone(),
                written: written.clone(),
                effective: effective(name, &all),
                cycle: extends_cycle(name, &all),
            });
        }
    }
    out
}
