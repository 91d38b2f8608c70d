use crate::document::MapTarget;
use crate::edit::Fix;
use crate::writer::{NewValue, insert_entries};

use crate::compose::Service;
use crate::context::Context;
use crate::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that every service sets `ulimits` for open files (`nofile`) and processes
    /// (`nproc`).
    ///
    /// ## Why is this bad?
    /// Without them the container inherits the daemon's limits, which are often very high
    /// (or very low, breaking databases and search engines in confusing ways). Explicit limits
    /// bound what a runaway or attacked process can hold and make the service's needs visible.
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
    ///     ulimits:
    ///       nofile:
    ///         soft: 4096
    ///         hard: 8192
    ///       nproc: 4096
    /// ```
    ///
    /// ## Fix safety
    /// By default this rule reports and suggests; it writes nothing. A container may not raise
    /// a limit above the Docker daemon's own hard limit: the Engine then refuses to start it
    /// (`error setting rlimit type 7: operation not permitted`). Daemons differ widely (systemd
    /// units set `LimitNOFILE=infinity`, some distributions and rootless engines much lower, a
    /// daemon in a container whatever its parent gave it), and a file cannot tell which host
    /// it runs on. Lower values are always allowed but can break the service instead
    /// (Elasticsearch needs 65535 open files; `nproc` counts every process of the same uid
    /// on the host, across containers). So the values are the operator's: set the `nofile`
    /// and `nproc` options (e.g. to what `ulimit -Hn` shows for the daemon, `cat
    /// /proc/$(pidof dockerd)/limits`) and the fix, unsafe, writes them. Missing keys are
    /// added to an existing `ulimits` mapping; existing values are kept.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.19 "Ensure that the default ulimit is overwritten at
    /// runtime if needed".
    pub struct Ulimits {
        code: "CG304",
        name: "ulimits",
        summary: "Set `ulimits` for open files and processes",
        fix: Sometimes,
        cis: Some("5.19"),
        preset: Recommended,
    }
}

impl Check for Ulimits {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let nofile = cx.settings.nofile.map(|n| {
            NewValue::Map(vec![
                ("soft".into(), NewValue::Raw(n.to_string())),
                ("hard".into(), NewValue::Raw(n.to_string())),
            ])
        });
        let nproc = cx.settings.nproc.map(|n| NewValue::Raw(n.to_string()));
        let Some(target) = cx.compose.service_target(service) else {
            return;
        };
        let existing = cx.get(service, "ulimits");
        let map = existing.filter(|l| cx.doc.as_mapping(l.resolved).is_some());
        if existing.is_some() && map.is_none() {
            return;
        }
        let has = |key: &str| map.is_some_and(|m| cx.compose.get(m.resolved, key).is_some());
        let mut names: Vec<&str> = Vec::new();
        let mut missing: Vec<(&str, NewValue)> = Vec::new();
        for (key, value) in [("nofile", &nofile), ("nproc", &nproc)] {
            if has(key) {
                continue;
            }
            names.push(key);
            if let Some(value) = value {
                missing.push((key, value.clone()));
            }
        }
        if names.is_empty() {
            return;
        }
        let message = format!(
            "service `{}` sets no `{}` ulimit",
            service.name,
            names.join("`/`")
        );
        if missing.len() < names.len() {
            // Without the operator's values nothing is written (see the rule's docs).
            let message = format!(
                "{message}; set it to what the service needs and the Docker daemon's hard limit allows (composeguard's `nofile`/`nproc` options make this a fix)"
            );
            cx.report_service(message);
            return;
        }
        let edits = match map {
            Some(m) => insert_entries(cx.doc, cx.style, MapTarget::Mapping(m.resolved), &missing),
            None => {
                let owned: Vec<(String, NewValue)> = missing
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect();
                insert_entries(
                    cx.doc,
                    cx.style,
                    target,
                    &[("ulimits", NewValue::Map(owned))],
                )
            }
        };
        cx.report_service(message).set_fix(Fix::unsafe_(
            format!("Add `ulimits` for {}", names.join(" and ")),
            edits,
        ));
    }
}
