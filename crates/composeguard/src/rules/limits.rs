//! CG301, CG302, CG303: memory, CPU and PID limits under `deploy.resources.limits`.
//!
//! One check reports under the three codes: a service gets one `deploy` block with the limits
//! every enabled rule wants, and each finding carries that same fix.

use crate::compose::Service;
use crate::document::MapTarget;
use crate::edit::Fix;
use crate::images::SizeClass;
use crate::writer::{NewValue, insert_entries};

use crate::context::Context;
use crate::rule::{Check, RuleMeta, declare_rule};

/// One limit: its code, its key under `limits`, the service-level key it must agree with, and
/// the other service-level keys that set the same engine field (the Engine refuses to combine
/// them with it: "Nano CPUs and CPU Period cannot both be set").
struct LimitKind {
    rule: &'static RuleMeta,
    key: &'static str,
    service_key: &'static str,
    same_field: &'static [&'static str],
    what: &'static str,
}

const LIMITS: [LimitKind; 3] = [
    LimitKind {
        rule: MemoryLimit::META,
        key: "memory",
        service_key: "mem_limit",
        same_field: &[],
        what: "memory",
    },
    LimitKind {
        rule: CpuLimit::META,
        key: "cpus",
        service_key: "cpus",
        same_field: &["cpu_quota", "cpu_period"],
        what: "CPU",
    },
    LimitKind {
        rule: PidsLimit::META,
        key: "pids",
        service_key: "pids_limit",
        same_field: &[],
        what: "process",
    },
];

/// Twice a learned peak: memory in whole MiB, rounded up to 16 MiB, at least 32 MiB; processes
/// at least 64 (a short observation misses start-up bursts and load).
fn twice(key: &str, peak: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if key == "memory" {
        let mib = (peak.saturating_mul(2).div_ceil(MIB)).div_ceil(16) * 16;
        format!("{}m", mib.max(32))
    } else {
        peak.saturating_mul(2).max(64).to_string()
    }
}

/// The value a limit gets, None when it would be a guess: memory and process limits need the
/// image's size or what `composeguard learn` saw the service use (the options' image facts,
/// which come first): a guessed memory limit has the kernel kill a JVM or a search engine, and
/// JVM threads count as processes. A CPU limit only slows a service down.
fn value_for(
    cx: &Context<'_>,
    service: &Service,
    kind: Option<SizeClass>,
    key: &str,
) -> Option<NewValue> {
    if let Some(peak) = learned_peak(cx, service, key) {
        let value = twice(key, peak);
        return Some(if key == "memory" {
            NewValue::str(value)
        } else {
            NewValue::Raw(value)
        });
    }
    let limits = cx.settings.limits(kind.unwrap_or(SizeClass::Small));
    match key {
        // Swarm requires a string; a quoted string is what both accept.
        "cpus" => Some(NewValue::Raw(format!(
            "{q}{}{q}",
            limits.cpus,
            q = cx.style.quote
        ))),
        _ if kind.is_none() => None,
        "memory" => Some(NewValue::str(limits.memory.clone())),
        _ => Some(NewValue::Raw(limits.pids.to_string())),
    }
}

/// The peak `learn` saw of a memory (`memory`) or process (`pids`) limit's measure.
fn learned_peak(cx: &Context<'_>, service: &Service, key: &str) -> Option<u64> {
    let facts = cx.facts(service)?;
    match key {
        "memory" => facts.memory_peak,
        "pids" => facts.pids_peak,
        _ => None,
    }
}

/// The check of CG301–CG303: one limits block per service, with every limit the enabled
/// rules want, so the block is created once and each finding carries the same fix.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ResourceLimits;

impl Check for ResourceLimits {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let Some(target) = cx.compose.service_target(service) else {
            return;
        };
        let kind = cx.image(service).and_then(|k| k.image.size);
        let deploy_is_odd = cx
            .get(service, "deploy")
            .is_some_and(|d| cx.doc.as_mapping(d.resolved).is_none());
        let deploy_limits = deploy_limits(cx, service);
        let mut fix = None;
        for limit in &LIMITS {
            if !cx.enabled(limit.rule.code) {
                continue;
            }
            let in_deploy = deploy_limits.is_some_and(|m| cx.compose.get(m, limit.key).is_some());
            let at_service =
                cx.get(service, limit.service_key).is_some() || sets_same_field(cx, service, limit);
            if in_deploy || at_service {
                continue;
            }
            let mut message = format!("service `{}` has no {} limit", service.name, limit.what);
            if value_for(cx, service, kind, limit.key).is_none() {
                message.push_str(&format!(
                    "; composeguard does not know how much {} needs, so it does not guess one: measure it under load (`docker stats`) and set about twice the peak",
                    cx.image_ref(service)
                        .map_or_else(|| "its image".to_owned(), |r| format!("`{r}`"))
                ));
                cx.report_service_as(limit.rule, message);
                continue;
            }
            let fix = fix
                .get_or_insert_with(|| {
                    (!deploy_is_odd)
                        .then(|| limits_fix(cx, service, target, kind))
                        .flatten()
                })
                .clone();
            if learned_peak(cx, service, limit.key).is_some() {
                message
                    .push_str("; sized at twice the peak `composeguard learn` saw (the lock file)");
            }
            let d = cx.report_service_as(limit.rule, message);
            if let Some(fix) = fix {
                d.set_fix(fix);
            }
        }
    }
}

/// True when a service-level limit reads as one: a byte size for memory (`256m`, `1g`, a
/// number), a positive decimal for CPUs, an integer for processes (quotes allowed).
fn plausible_limit(key: &str, text: &str) -> bool {
    // Read by hand rather than with `f64::from_str`: float parsing would add about 15 KB to
    // the browser module for this one check.
    let positive_decimal = |v: &str| {
        let mut dots = 0;
        let ok = !v.is_empty()
            && v.chars().all(|c| {
                dots += usize::from(c == '.');
                c.is_ascii_digit() || c == '.'
            });
        ok && dots <= 1 && v.chars().any(|c| c.is_ascii_digit() && c != '0')
    };
    let v = text.trim().trim_matches(['"', '\'']);
    match key {
        "memory" => {
            let digits = v.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let unit = &v[digits.len()..];
            positive_decimal(digits)
                && matches!(
                    unit.to_ascii_lowercase().as_str(),
                    "" | "b" | "k" | "kb" | "m" | "mb" | "g" | "gb"
                )
        }
        "cpus" => positive_decimal(v),
        _ => {
            !v.is_empty()
                && v.trim_start_matches('-')
                    .chars()
                    .all(|c| c.is_ascii_digit())
        }
    }
}

/// True when the service sets the limit's engine field through another key (`cpu_quota` or
/// `cpu_period` for CPUs): it has a limit, and a `cpus` value would be refused beside it.
fn sets_same_field(cx: &Context<'_>, service: &Service, limit: &LimitKind) -> bool {
    limit
        .same_field
        .iter()
        .any(|key| cx.get(service, key).is_some())
}

/// The `deploy.resources.limits` mapping of a service, if it exists.
fn deploy_limits(cx: &Context<'_>, service: &Service) -> Option<crate::document::NodeId> {
    let deploy = cx.get(service, "deploy")?;
    let resources = cx.compose.get(deploy.resolved, "resources")?;
    let limits = cx.compose.get(resources.resolved, "limits")?;
    cx.doc.as_mapping(limits.resolved).map(|_| limits.resolved)
}

/// The fix that adds every missing limit of the enabled rules (the same for all three rules).
fn limits_fix(
    cx: &Context<'_>,
    service: &Service,
    target: MapTarget,
    kind: Option<SizeClass>,
) -> Option<Fix> {
    let existing = deploy_limits(cx, service);
    let entries = missing_limits(cx, service, existing, kind)?;
    // A limits block several services merge gets new values only when each of them wants
    // exactly these (a database and a web server want different memory limits).
    if let Some(map) = existing {
        let others = cx
            .services
            .iter()
            .filter(|s| s.key != service.key && deploy_limits(cx, s) == Some(map));
        for other in others {
            let kind = cx.image(other).and_then(|k| k.image.size);
            if missing_limits(cx, other, existing, kind).as_ref() != Some(&entries) {
                return None;
            }
        }
    }
    limits_edits(cx, service, target, existing, entries)
}

/// The limits a service's new or extended limits block gets, None when none may be written.
fn missing_limits(
    cx: &Context<'_>,
    service: &Service,
    existing: Option<crate::document::NodeId>,
    kind: Option<SizeClass>,
) -> Option<Vec<(String, NewValue)>> {
    let doc = cx.doc;
    let mut entries: Vec<(String, NewValue)> = Vec::new();
    for limit in &LIMITS {
        let present = existing.is_some_and(|m| cx.compose.get(m, limit.key).is_some());
        if present {
            continue;
        }
        if let Some(own) = cx.get(service, limit.service_key) {
            // A new limits block must agree with `mem_limit`/`cpus`/`pids_limit`, or Compose
            // (v2.26+) rejects the file: copy the value exactly. A null or malformed value is
            // not copied (it would only repeat the mistake): then no block is written.
            if existing.is_none() {
                let text = doc.text(own.resolved);
                if doc.is_null(own.resolved) || !plausible_limit(limit.key, text) {
                    return None;
                }
                entries.push((limit.key.into(), NewValue::Raw(text.to_owned())));
            }
            continue;
        }
        // A service extending this one that sets the field itself would get both values.
        let mut keys = vec![limit.service_key];
        keys.extend(limit.same_field);
        if cx.enabled(limit.rule.code)
            && !sets_same_field(cx, service, limit)
            && !cx.extended_by_one_setting(service, &keys)
            && let Some(value) = value_for(cx, service, kind, limit.key)
        {
            entries.push((limit.key.into(), value));
        }
    }
    if !LIMITS.iter().any(|l| {
        entries.iter().any(|(k, _)| k == l.key)
            && cx.enabled(l.rule.code)
            && cx.get(service, l.service_key).is_none()
            && !sets_same_field(cx, service, l)
    }) {
        return None;
    }
    Some(entries)
}

/// The edits that write `entries` into the service's limits block (creating what is missing).
fn limits_edits(
    cx: &Context<'_>,
    service: &Service,
    target: MapTarget,
    existing: Option<crate::document::NodeId>,
    entries: Vec<(String, NewValue)>,
) -> Option<Fix> {
    let doc = cx.doc;
    let added: Vec<String> = entries.iter().map(|(k, _)| k.clone()).collect();
    let limits = NewValue::Map(entries);
    let edits = if let Some(map) = existing {
        let NewValue::Map(entries) = limits else {
            return None;
        };
        let borrowed: Vec<(&str, NewValue)> = entries
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        insert_entries(doc, cx.style, MapTarget::Mapping(map), &borrowed)
    } else {
        let deploy = cx.get(service, "deploy");
        let resources = deploy.and_then(|d| cx.compose.get(d.resolved, "resources"));
        match (deploy, resources) {
            (Some(_), Some(r)) => {
                let t = cx.compose.value_target(&r)?;
                insert_entries(doc, cx.style, t, &[("limits", limits)])
            }
            (Some(d), None) => {
                let t = cx.compose.value_target(&d)?;
                insert_entries(
                    doc,
                    cx.style,
                    t,
                    &[("resources", NewValue::Map(vec![("limits".into(), limits)]))],
                )
            }
            _ => {
                let value = NewValue::Map(vec![(
                    "resources".into(),
                    NewValue::Map(vec![("limits".into(), limits)]),
                )]);
                insert_entries(doc, cx.style, target, &[("deploy", value)])
            }
        }
    };
    Some(Fix::unsafe_(
        format!("Add `deploy.resources.limits` ({})", added.join(", ")),
        edits,
    ))
}

declare_rule! {
    /// ## What it does
    /// Checks that every service has a memory limit (`deploy.resources.limits.memory`, or
    /// `mem_limit`).
    ///
    /// ## Why is this bad?
    /// Without a limit, one leaking or attacked container can take all the host's memory and
    /// have the kernel kill other services, databases first.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1
    ///     deploy:
    ///       resources:
    ///         limits:
    ///           memory: 512M
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: a limit below what the service needs gets it killed. Defaults: 512M; 1G for
    /// caches and heavier applications (nextcloud, keycloak, grafana, ...); 2G for databases,
    /// search engines, brokers and object stores (configurable). The three limit
    /// rules (CG301, CG302, CG303) write one `deploy.resources.limits` block together, in the
    /// form both Compose and `docker stack deploy` accept. When the service already sets
    /// `mem_limit`, `cpus` or `pids_limit`, the new block copies that value exactly: Compose
    /// v2.26+ rejects a `limits` block whose value differs from (or lacks) a service-level one.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.11 "Ensure that the memory usage for containers is
    /// limited".
    pub struct MemoryLimit {
        code: "CG301",
        name: "memory-limit",
        summary: "Limit memory",
        fix: Sometimes,
        cis: Some("5.11"),
        preset: Recommended,
    }
}

declare_rule! {
    /// ## What it does
    /// Checks that every service has a CPU limit (`deploy.resources.limits.cpus`, or `cpus`).
    ///
    /// ## Why is this bad?
    /// A busy or hijacked container (a crypto miner, say) can starve every other service on
    /// the host of CPU time.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1
    ///     deploy:
    ///       resources:
    ///         limits:
    ///           cpus: "1.0"
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: a low limit slows the service down. Defaults: `"1.0"`, `"2.0"` for databases
    /// (configurable), always written as a quoted string (Swarm requires one). See CG301 for
    /// how existing service-level limits are kept consistent.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.12 "Ensure that CPU priority is set appropriately on
    /// containers".
    pub struct CpuLimit {
        code: "CG302",
        name: "cpu-limit",
        summary: "Limit CPU",
        fix: Sometimes,
        cis: Some("5.12"),
        preset: Recommended,
    }
}

declare_rule! {
    /// ## What it does
    /// Checks that every service limits its number of processes (`deploy.resources.limits.pids`,
    /// or `pids_limit`).
    ///
    /// ## Why is this bad?
    /// A fork bomb in one container exhausts the host's process table and stops everything.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1
    ///     deploy:
    ///       resources:
    ///         limits:
    ///           pids: 512
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: threads count as processes, so a heavily threaded service (a JVM) needs a high
    /// value. Defaults: 512, 2048 for databases (configurable). `docker stack deploy` accepts
    /// `pids` only with a file version of 3.9 or later (or none; see CG703).
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.29 "Ensure that the PIDs cgroup limit is used".
    pub struct PidsLimit {
        code: "CG303",
        name: "pids-limit",
        summary: "Limit the number of processes",
        fix: Sometimes,
        cis: Some("5.29"),
        preset: Recommended,
    }
}
