use crate::document::NodeKind;
use crate::edit::Fix;
use crate::style::{MapTarget, NewValue, insert_entries};

use super::{Context, Rule, RuleMeta, declare_rule};

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
    ///         soft: 65536
    ///         hard: 65536
    ///       nproc: 65535
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: `nproc` counts every process of the same uid on the host, across containers.
    /// The defaults (nofile 65536, nproc 65535; configurable) are high enough for databases and
    /// Elasticsearch (which needs at least 65535 open files). Missing keys are added to an
    /// existing `ulimits` mapping; existing values are kept.
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
    }
}

impl Rule for Ulimits {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &mut Context<'_>) {
        let nofile = NewValue::Map(vec![
            ("soft".into(), NewValue::Raw(cx.settings.nofile.to_string())),
            ("hard".into(), NewValue::Raw(cx.settings.nofile.to_string())),
        ]);
        let nproc = NewValue::Raw(cx.settings.nproc.to_string());
        for service in cx.services() {
            let Some(target) = cx.compose.service_target(&service) else {
                continue;
            };
            let existing = cx.get(&service, "ulimits");
            let map =
                existing.filter(|l| matches!(cx.doc.node(l.resolved).kind, NodeKind::Mapping(_)));
            if existing.is_some() && map.is_none() {
                continue;
            }
            let has = |key: &str| map.is_some_and(|m| cx.compose.get(m.resolved, key).is_some());
            let mut missing: Vec<(&str, NewValue)> = Vec::new();
            if !has("nofile") {
                missing.push(("nofile", nofile.clone()));
            }
            if !has("nproc") {
                missing.push(("nproc", nproc.clone()));
            }
            if missing.is_empty() {
                continue;
            }
            let names: Vec<&str> = missing.iter().map(|(k, _)| *k).collect();
            let edits = match map {
                Some(m) => {
                    insert_entries(cx.doc, cx.style, MapTarget::Mapping(m.resolved), &missing)
                }
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
            let message = format!(
                "service `{}` sets no `{}` ulimit",
                service.name,
                names.join("`/`")
            );
            cx.report_service(Self::META, &service, message)
                .set_fix(Fix::unsafe_(
                    format!("Add `ulimits` for {}", names.join(" and ")),
                    edits,
                ));
        }
    }
}
