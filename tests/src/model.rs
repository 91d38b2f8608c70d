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
/// come first and the service's are appended (an item identical to one of the base's is not
/// repeated), mappings are merged with the service's keys winning; `command`, `entrypoint`
/// and `healthcheck.test` are replaced; a logging block with another driver replaces the
/// base's. A cycle or a chain deeper than 8 stops the resolution.
pub fn extended(name: &str, all: &[(String, Value)], depth: usize) -> Value {
    let service = all
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, s)| s.clone())
        .unwrap_or(Value::Null);
    let Some(base_name) = extends_base(&service).filter(|_| depth < 8) else {
        return service;
    };
    let base = extended(&base_name, all, depth + 1);
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
            let mut out = b.clone();
            out.extend(o.iter().filter(|i| !b.contains(i)).cloned());
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

/// Every service of every document, effective: (document index, name, extended service).
pub fn effective_services(docs: &[Value]) -> Vec<(usize, String, Value)> {
    let mut out = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let all = services(doc);
        for (name, _) in &all {
            out.push((i, name.clone(), extended(name, &all, 0)));
        }
    }
    out
}
