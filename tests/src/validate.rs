//! A semantic validator of Compose files: what the schema cannot say and the engine refuses
//! (or silently misreads). It reads the effective model ([`crate::model`]) of every service
//! and returns precise problems: service, key, value and why.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde_yaml_ng::Value;

use crate::model::{documents, effective_services, get, key_text, scalar_text, untag};

/// One problem in one service.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Problem {
    /// The service's name (with `#n` after it for a document after the first).
    pub service: String,
    /// The key path inside the service: `cap_add`, `deploy.resources.limits.memory`.
    pub key: String,
    /// The offending value, as YAML flow text.
    pub value: String,
    /// Why it is a problem.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "service `{}`, {}: {} ({})",
            self.service, self.key, self.message, self.value
        )
    }
}

/// The Linux capabilities (capability.h, up to CAP_CHECKPOINT_RESTORE), without `CAP_`.
pub const CAPABILITIES: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// Service keys whose list the Compose schema declares `uniqueItems` (directly or through
/// `list_of_strings`, `string_or_list` or the list form of `list_or_dict`).
const UNIQUE_LISTS: &[&str] = &[
    "cap_add",
    "cap_drop",
    "dns",
    "dns_opt",
    "dns_search",
    "device_cgroup_rules",
    "expose",
    "external_links",
    "group_add",
    "links",
    "ports",
    "profiles",
    "security_opt",
    "tmpfs",
    "volumes",
    "volumes_from",
    "environment",
    "labels",
    "annotations",
    "sysctls",
    "extra_hosts",
    "depends_on",
    "networks",
];

/// Service keys the schema lets hold null; every other key needs a value.
const NULLABLE: &[&str] = &["command", "deploy", "develop", "entrypoint", "pid"];

/// The problems of every service of `text`. `Err` when serde_yaml_ng does not parse it.
pub fn problems(text: &str) -> Result<Vec<Problem>, String> {
    let docs = documents(text)?;
    let mut out = Vec::new();
    for s in effective_services(&docs) {
        let label = if s.document == 0 {
            s.name
        } else {
            format!("{}#{}", s.name, s.document)
        };
        let mut v = Validator {
            service: label,
            out: &mut out,
        };
        if s.cycle {
            v.report(
                "extends",
                &Value::Null,
                "the extends chain loops (Compose refuses it)",
            );
        }
        let (written, service) = (s.written, s.effective);
        v.duplicates(&written);
        v.duplicates(&service);
        v.service(&service);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The problems of `after` that `before` does not have (the same service, key and message;
/// the value may differ only if the input had the same problem on the same key).
pub fn new_problems(before: &str, after: &str) -> Result<Vec<Problem>, String> {
    let old = problems(before).unwrap_or_default();
    let new = problems(after)?;
    Ok(new
        .into_iter()
        .filter(|p| {
            !old.iter()
                .any(|o| o.service == p.service && o.key == p.key && o.message == p.message)
        })
        .collect())
}

/// A value as one line of YAML flow text.
fn flow(v: &Value) -> String {
    match untag(v) {
        Value::String(s) => format!("{s:?}"),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Sequence(items) => {
            format!(
                "[{}]",
                items.iter().map(flow).collect::<Vec<_>>().join(", ")
            )
        }
        Value::Mapping(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", key_text(k), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Tagged(_) => unreachable!("untagged"),
    }
}

struct Validator<'a> {
    service: String,
    out: &'a mut Vec<Problem>,
}

impl Validator<'_> {
    fn report(&mut self, key: &str, value: &Value, message: impl Into<String>) {
        self.out.push(Problem {
            service: self.service.clone(),
            key: key.to_owned(),
            value: flow(value),
            message: message.into(),
        });
    }

    fn service(&mut self, service: &Value) {
        let Value::Mapping(m) = untag(service) else {
            if !service.is_null() {
                self.report("", service, "a service must be a mapping");
            }
            return;
        };
        for (k, v) in m {
            let key = key_text(k);
            // `!reset` (and `!override`) with nothing is how an override file unsets a key.
            let reset = matches!(v, Value::Tagged(t) if t.tag == "reset" || t.tag == "override");
            if untag(v).is_null()
                && !reset
                && !NULLABLE.contains(&key.as_str())
                && !key.starts_with("x-")
            {
                self.report(&key, v, "null where the schema needs a value");
            }
        }
        self.nested_nulls(service);
        for key in ["cap_add", "cap_drop"] {
            if let Some(v) = get(service, key) {
                self.capabilities(key, v);
            }
        }
        if let Some(v) = get(service, "security_opt") {
            self.security_opt(v);
        }
        self.mounts(service);
        for key in ["mem_limit", "memswap_limit", "mem_reservation", "shm_size"] {
            if let Some(v) = get(service, key) {
                self.size(key, v, key == "memswap_limit");
            }
        }
        for key in ["interval", "timeout", "start_period", "start_interval"] {
            if let Some(v) = get(service, "healthcheck").and_then(|h| get(h, key)) {
                self.duration(&format!("healthcheck.{key}"), v);
            }
        }
        if let Some(v) = get(service, "stop_grace_period") {
            self.duration("stop_grace_period", v);
        }
        if let Some(v) = get(service, "cpus") {
            self.cpus("cpus", v);
        }
        for key in ["pids_limit", "cpu_quota", "cpu_period", "cpu_shares"] {
            if let Some(v) = get(service, key) {
                self.integer(key, v);
            }
        }
        if let Some(v) = get(service, "ulimits") {
            self.ulimits(v);
        }
        self.deploy(service);
        self.conflicts(service);
        if let Some(v) = get(service, "ports") {
            self.ports(v);
        }
        if let Some(v) = get(service, "logging") {
            self.logging(v);
        }
        if let Some(v) = get(service, "read_only")
            && !matches!(untag(v), Value::Bool(_) | Value::Null)
            && !scalar_text(v).is_some_and(|s| s.contains('$'))
        {
            self.report("read_only", v, "not a boolean");
        }
        if let Some(v) = get(service, "user")
            && !matches!(untag(v), Value::String(_) | Value::Number(_) | Value::Null)
        {
            self.report("user", v, "not a string");
        }
    }

    /// Nulls inside the blocks the schema types (`logging.driver:`, `deploy.resources.limits:`).
    fn nested_nulls(&mut self, service: &Value) {
        const BLOCKS: &[(&str, &[&str])] = &[
            ("logging", &["driver", "options"]),
            (
                "healthcheck",
                &[
                    "test",
                    "interval",
                    "timeout",
                    "retries",
                    "start_period",
                    "start_interval",
                ],
            ),
            ("deploy", &["resources"]),
            ("deploy.resources", &["limits", "reservations"]),
            ("deploy.resources.limits", &["cpus", "memory", "pids"]),
            ("deploy.resources.reservations", &["cpus", "memory"]),
        ];
        for (block, keys) in BLOCKS {
            let mut node = Some(service);
            for part in block.split('.') {
                node = node.and_then(|n| get(n, part));
            }
            let Some(node) = node else { continue };
            for key in *keys {
                if let Some(v) = get(node, key)
                    && untag(v).is_null()
                {
                    self.report(
                        &format!("{block}.{key}"),
                        v,
                        "null where the schema needs a value",
                    );
                }
            }
        }
        if let Some(Value::Mapping(m)) = get(service, "ulimits").map(untag) {
            for (name, limit) in m {
                if untag(limit).is_null() {
                    let key = format!("ulimits.{}", key_text(name));
                    self.report(&key, limit, "null where the schema needs a value");
                }
            }
        }
    }

    fn duplicates(&mut self, service: &Value) {
        for key in UNIQUE_LISTS {
            if let Some(Value::Sequence(items)) = get(service, key).map(untag) {
                let mut seen: Vec<&Value> = Vec::new();
                for item in items {
                    if seen.iter().any(|s| untag(s) == untag(item)) {
                        self.report(key, item, "duplicate item (the schema wants unique items)");
                    }
                    seen.push(item);
                }
            }
        }
    }

    fn capabilities(&mut self, key: &str, v: &Value) {
        let Value::Sequence(items) = untag(v) else {
            if !v.is_null() {
                self.report(key, v, "not a list");
            }
            return;
        };
        for item in items {
            let Some(s) = untag(item).as_str() else {
                self.report(key, item, "not a string");
                continue;
            };
            if s.contains('$') {
                continue;
            }
            let upper = s.to_ascii_uppercase();
            // Docker takes `ALL` as it is; anything else gets `CAP_` unless it has it.
            if upper == "ALL" {
                continue;
            }
            let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
            if !CAPABILITIES.contains(&bare) {
                self.report(key, item, "not a Linux capability");
            }
        }
    }

    fn security_opt(&mut self, v: &Value) {
        let Value::Sequence(items) = untag(v) else {
            if !v.is_null() {
                self.report("security_opt", v, "not a list");
            }
            return;
        };
        for item in items {
            let Some(s) = untag(item).as_str() else {
                self.report("security_opt", item, "not a string");
                continue;
            };
            // The daemon's parser: `key=value`, else `key:value`; a bare `no-new-privileges`.
            let (key, value) = match s.split_once('=') {
                Some(kv) => kv,
                None if s == "no-new-privileges" => continue,
                None => match s.split_once(':') {
                    Some(kv) => kv,
                    None => {
                        self.report("security_opt", item, "not key:value or key=value");
                        continue;
                    }
                },
            };
            match key {
                "label" | "apparmor" | "seccomp" | "writable-cgroups" | "systempaths" => {}
                "no-new-privileges" => {
                    if parse_go_bool(value).is_none() {
                        self.report("security_opt", item, "no-new-privileges takes a boolean");
                    }
                }
                _ => self.report("security_opt", item, "unknown security option"),
            }
        }
    }

    /// tmpfs entries, volumes and their container paths (two mounts at one path).
    fn mounts(&mut self, service: &Value) {
        let mut targets: BTreeMap<String, usize> = BTreeMap::new();
        let mut add = |t: &str| *targets.entry(normalize_path(t)).or_default() += 1;
        if let Some(v) = get(service, "tmpfs") {
            let items = match untag(v) {
                Value::Sequence(items) => items.clone(),
                Value::Null => Vec::new(),
                other => vec![other.clone()],
            };
            for item in &items {
                let Some(s) = untag(item).as_str() else {
                    self.report("tmpfs", item, "not a string");
                    continue;
                };
                let (path, options) = s.split_once(':').unwrap_or((s, ""));
                if !path.starts_with('/') {
                    self.report("tmpfs", item, "the tmpfs path is not absolute");
                }
                add(path);
                for option in options.split(',').filter(|o| !o.is_empty()) {
                    if let Some(size) = option.strip_prefix("size=")
                        && !is_kernel_size(size)
                    {
                        self.report("tmpfs", item, "size= is not a tmpfs size");
                    }
                }
            }
        }
        if let Some(Value::Sequence(items)) = get(service, "volumes").map(untag) {
            for item in items {
                match untag(item) {
                    Value::String(s) => {
                        if s.contains('$') {
                            continue;
                        }
                        let parts: Vec<&str> = s.split(':').collect();
                        let target = match parts.len() {
                            1 => parts[0],
                            _ => parts[1],
                        };
                        add(target);
                    }
                    m @ Value::Mapping(_) => {
                        if let Some(t) = get(m, "target").and_then(|t| untag(t).as_str()) {
                            add(t);
                        }
                        if let Some(size) = get(m, "tmpfs").and_then(|t| get(t, "size")) {
                            self.size("volumes.tmpfs.size", size, false);
                        }
                    }
                    _ => {}
                }
            }
        }
        for (path, count) in targets {
            if count > 1 {
                self.report(
                    "volumes+tmpfs",
                    &Value::String(path),
                    format!("{count} mounts at the same container path"),
                );
            }
        }
    }

    fn size(&mut self, key: &str, v: &Value, allow_minus_one: bool) {
        match untag(v) {
            Value::Number(n) => {
                if n.as_i64()
                    .is_none_or(|n| n < 0 && !(allow_minus_one && n == -1))
                {
                    self.report(key, v, "not a byte count");
                }
            }
            Value::String(s) if s.contains('$') => {}
            Value::String(s) => {
                if parse_bytes(s).is_none() && !(allow_minus_one && s == "-1") {
                    self.report(key, v, "not a Docker byte size");
                }
            }
            _ => self.report(key, v, "not a byte size"),
        }
    }

    fn duration(&mut self, key: &str, v: &Value) {
        match untag(v) {
            Value::String(s) if s.contains('$') => {}
            Value::String(s) => {
                if !is_go_duration(s) {
                    self.report(key, v, "not a Go duration");
                }
            }
            Value::Number(n) if n.as_i64().is_some() => {}
            _ => self.report(key, v, "not a duration"),
        }
    }

    fn cpus(&mut self, key: &str, v: &Value) {
        let ok = match untag(v) {
            Value::Number(n) => n.as_f64().is_some_and(|f| f > 0.0),
            Value::String(s) if s.contains('$') => true,
            Value::String(s) => is_decimal(s) && s.parse::<f64>().is_ok_and(|f| f > 0.0),
            _ => false,
        };
        if !ok {
            self.report(key, v, "not a positive decimal");
        }
    }

    fn integer(&mut self, key: &str, v: &Value) {
        let ok = match untag(v) {
            Value::Number(n) => n.as_i64().is_some(),
            Value::String(s) => s.contains('$') || s.parse::<i64>().is_ok(),
            _ => false,
        };
        if !ok {
            self.report(key, v, "not an integer");
        }
    }

    fn ulimits(&mut self, v: &Value) {
        let Value::Mapping(m) = untag(v) else {
            self.report("ulimits", v, "not a mapping");
            return;
        };
        for (name, limit) in m {
            let key = format!("ulimits.{}", key_text(name));
            match untag(limit) {
                Value::Mapping(_) => {
                    let soft = get(limit, "soft").map(as_int);
                    let hard = get(limit, "hard").map(as_int);
                    match (soft, hard) {
                        (Some(Some(s)), Some(Some(h))) if s > h => {
                            self.report(&key, limit, "soft is above hard")
                        }
                        (Some(Some(_)), Some(Some(_))) => {}
                        (None, _) | (_, None) => self.report(&key, limit, "needs soft and hard"),
                        _ => self.report(&key, limit, "soft and hard must be integers"),
                    }
                }
                _ if as_int(limit).is_some() => {}
                Value::Null => {}
                _ => self.report(&key, limit, "not an integer or {soft, hard}"),
            }
        }
    }

    fn deploy(&mut self, service: &Value) {
        let Some(resources) = get(service, "deploy").and_then(|d| get(d, "resources")) else {
            return;
        };
        for part in ["limits", "reservations"] {
            let Some(block) = get(resources, part) else {
                continue;
            };
            if untag(block).is_null() {
                continue;
            }
            let set = |k: &str| get(block, k).filter(|v| !untag(v).is_null());
            if let Some(v) = set("memory") {
                self.size(&format!("deploy.resources.{part}.memory"), v, false);
            }
            if let Some(v) = set("cpus") {
                self.cpus(&format!("deploy.resources.{part}.cpus"), v);
            }
            if let Some(v) = set("pids") {
                self.integer(&format!("deploy.resources.{part}.pids"), v);
            }
        }
    }

    /// Keys that set the same engine field, where the engine or Compose refuses the pair.
    fn conflicts(&mut self, service: &Value) {
        let limits = get(service, "deploy")
            .and_then(|d| get(d, "resources"))
            .and_then(|r| get(r, "limits"));
        let limit = |k: &str| limits.and_then(|l| get(l, k));
        let nano = get(service, "cpus").or_else(|| limit("cpus"));
        if let Some(c) = nano {
            for other in ["cpu_quota", "cpu_period"] {
                if let Some(o) = get(service, other) {
                    self.report(
                        &format!("cpus+{other}"),
                        &Value::Sequence(vec![c.clone(), o.clone()]),
                        format!("the engine refuses NanoCPUs (cpus) with {other}"),
                    );
                }
            }
        }
        let pairs: [(&str, &str, Parse); 3] = [
            ("cpus", "cpus", |v| scalar_text(v)?.parse().ok()),
            ("mem_limit", "memory", bytes_of),
            ("pids_limit", "pids", |v| as_int(v).map(|i| i as f64)),
        ];
        for (own, deploy_key, parse) in pairs {
            if let (Some(a), Some(b)) = (get(service, own), limit(deploy_key))
                && parse(a) != parse(b)
            {
                self.report(
                    &format!("{own}+deploy.resources.limits.{deploy_key}"),
                    &Value::Sequence(vec![a.clone(), b.clone()]),
                    "Compose refuses distinct values for the same limit",
                );
            }
        }
        let memory = get(service, "mem_limit")
            .or_else(|| limit("memory"))
            .and_then(bytes_of);
        if let Some(m) = memory
            && m > 0.0
            && m < 6.0 * 1024.0 * 1024.0
        {
            self.report(
                "mem_limit",
                &Value::Number((m as u64).into()),
                "below the engine's 6 MiB minimum",
            );
        }
        let swap = get(service, "memswap_limit").and_then(bytes_of);
        if let (Some(m), Some(s)) = (memory, swap)
            && s >= 0.0
            && m > 0.0
            && s < m
        {
            self.report(
                "memswap_limit",
                get(service, "memswap_limit").unwrap(),
                "below mem_limit (the engine refuses it)",
            );
        }
        if swap.is_some() && memory.is_none_or(|m| m <= 0.0) {
            self.report(
                "memswap_limit",
                get(service, "memswap_limit").unwrap(),
                "without a memory limit (the engine refuses it)",
            );
        }
    }

    fn ports(&mut self, v: &Value) {
        let Value::Sequence(items) = untag(v) else {
            self.report("ports", v, "not a list");
            return;
        };
        for item in items {
            match untag(item) {
                Value::String(s) if s.contains('$') => {}
                Value::String(s) => {
                    if let Err(why) = check_port(s) {
                        self.report("ports", item, why);
                    }
                }
                Value::Number(_) => {}
                m @ Value::Mapping(_) => {
                    if let Some(ip) = get(m, "host_ip") {
                        let text = scalar_text(ip).unwrap_or_default();
                        if !text.contains('$') && text.parse::<IpAddr>().is_err() {
                            self.report("ports.host_ip", ip, "not an IPv4 or IPv6 address");
                        }
                    }
                }
                _ => self.report("ports", item, "not a port"),
            }
        }
    }

    fn logging(&mut self, v: &Value) {
        let Value::Mapping(_) = untag(v) else {
            self.report("logging", v, "not a mapping");
            return;
        };
        if let Some(d) = get(v, "driver")
            && !matches!(untag(d), Value::String(_))
        {
            self.report("logging.driver", d, "not a string");
        }
        let Some(options) = get(v, "options") else {
            return;
        };
        let Value::Mapping(m) = untag(options) else {
            self.report("logging.options", options, "not a mapping");
            return;
        };
        for (k, val) in m {
            let key = format!("logging.options.{}", key_text(k));
            if !matches!(
                untag(val),
                Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null
            ) {
                self.report(&key, val, "not a string");
            }
        }
        if let Some(size) = get(options, "max-size") {
            self.size("logging.options.max-size", size, true);
        }
        if let Some(file) = get(options, "max-file")
            && as_int(file).is_none_or(|n| n < 1)
        {
            self.report("logging.options.max-file", file, "not a positive integer");
        }
    }
}

/// Reads a limit as a number, to compare two spellings of it.
type Parse = fn(&Value) -> Option<f64>;

fn as_int(v: &Value) -> Option<i64> {
    match untag(v) {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn bytes_of(v: &Value) -> Option<f64> {
    match untag(v) {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_bytes(s),
        _ => None,
    }
}

fn normalize_path(p: &str) -> String {
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        trimmed.to_owned()
    }
}

fn is_decimal(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (s.contains('.') || !int.is_empty())
}

/// go-units' size syntax (`RAMInBytes`, `FromHumanSize`): a decimal, an optional space, an
/// optional `k m g t p` (any case), an optional `i` after it, an optional `b`. Binary units.
pub fn parse_bytes(s: &str) -> Option<f64> {
    let digits = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, mut unit) = s.split_at(digits);
    if !is_decimal(number) || number.ends_with('.') {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    unit = unit.strip_prefix(' ').unwrap_or(unit);
    let mut chars = unit.chars().peekable();
    let mut factor = 1.0;
    if let Some(c) = chars.peek().copied()
        && let Some(i) = "kmgtp".find(c.to_ascii_lowercase())
    {
        factor = 1024f64.powi(i as i32 + 1);
        chars.next();
        if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'i')) {
            chars.next();
        }
    }
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'b')) {
        chars.next();
    }
    chars.next().is_none().then_some(value * factor)
}

/// The kernel's tmpfs `size=`: digits with an optional `k m g t p e` suffix, or a percentage.
pub fn is_kernel_size(s: &str) -> bool {
    let s = s.strip_suffix('%').unwrap_or_else(|| {
        s.strip_suffix(|c: char| "kmgtpeKMGTPE".contains(c))
            .unwrap_or(s)
    });
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Go's `time.ParseDuration`: `0`, or an optional sign then one or more decimal numbers each
/// with a unit (`ns us µs μs ms s m h`).
pub fn is_go_duration(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..n];
        if !is_decimal(number) {
            return false;
        }
        rest = &rest[n..];
        let unit = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .iter()
            .filter(|u| rest.starts_with(**u))
            .max_by_key(|u| u.len());
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// A port in short syntax, the way Docker's `nat.ParsePortSpec` splits it:
/// `[ip:][host:]container[/proto]`, the IP maybe in brackets.
fn check_port(s: &str) -> Result<(), String> {
    let (spec, proto) = s.split_once('/').unwrap_or((s, "tcp"));
    if !matches!(proto, "tcp" | "udp" | "sctp") {
        return Err(format!("unknown protocol {proto:?}"));
    }
    let parts: Vec<&str> = spec.split(':').collect();
    let n = parts.len();
    let (ip, host, container) = match n {
        1 => ("".to_owned(), "", parts[0]),
        2 => ("".to_owned(), parts[0], parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    };
    if !ip.is_empty() {
        let bare = ip
            .strip_prefix('[')
            .and_then(|i| i.strip_suffix(']'))
            .unwrap_or(&ip);
        if bare.parse::<IpAddr>().is_err() {
            return Err(format!("host IP {ip:?} is not an IPv4 or IPv6 address"));
        }
    }
    let range = |r: &str, empty_ok: bool| -> bool {
        if r.is_empty() {
            return empty_ok;
        }
        let (a, b) = r.split_once('-').unwrap_or((r, r));
        match (a.parse::<u16>(), b.parse::<u16>()) {
            (Ok(a), Ok(b)) => a <= b,
            _ => false,
        }
    };
    if !range(host, true) {
        return Err(format!("host port {host:?} is not a port or range"));
    }
    if !range(container, false) || container.parse::<u16>() == Ok(0) {
        return Err(format!(
            "container port {container:?} is not a port or range"
        ));
    }
    Ok(())
}
