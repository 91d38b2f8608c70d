use crate::document::NodeKind;
use crate::edit::{Applicability, Edit, Fix};
use crate::style::{NewValue, append_item, insert_entries};

use super::{Context, Rule, RuleMeta, declare_rule, normalize_capability};

declare_rule! {
    /// ## What it does
    /// Checks that every service drops all Linux capabilities (`cap_drop: [ALL]`) and adds back
    /// exactly the ones its image needs (`cap_add`).
    ///
    /// ## Why is this bad?
    /// Without `cap_drop`, a container keeps Docker's default set of 14 capabilities (CHOWN,
    /// DAC_OVERRIDE, SETUID, SETGID, NET_RAW, ...). A compromised process can use them to change
    /// file ownership, switch users or craft raw packets. Dropping all and adding back only what
    /// the image needs shrinks what an attacker gets.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17
    ///     cap_drop:
    ///       - ALL
    ///     cap_add:
    ///       - CHOWN
    ///       - DAC_READ_SEARCH
    ///       - FOWNER
    ///       - SETGID
    ///       - SETUID
    /// ```
    ///
    /// ## Fix safety
    /// For a known image the fix is exact: postgres, mysql, mariadb, mongo, redis, rabbitmq and
    /// ghost start as root, fix the ownership of their data and step down, so they get back the
    /// capabilities that needs (CHOWN, SETUID, SETGID, ...); nginx and httpd keep a root master
    /// (CHOWN, SETUID, SETGID, KILL, NET_BIND_SERVICE); caddy's binary carries
    /// NET_BIND_SERVICE as a file capability and cannot even be executed without it. A service
    /// that runs as a non-root `user:` needs none of the step-down capabilities. The fix is safe
    /// for images that already run as non-root (grafana, prometheus, elasticsearch, ...) and
    /// unsafe otherwise, as a custom command or bind-mounted data owned by another user may need
    /// more. Unknown images get `cap_drop: [ALL]` alone, as an unsafe fix: review them.
    /// A `cap_drop` list without `ALL` gets it appended; an inherited (`<<`) list is extended in
    /// place, so nothing it holds is lost. When `cap_drop` already has `ALL`, missing
    /// capabilities a known image needs are added to `cap_add` (safe: it only lets the image
    /// start). Privileged services are left to CG104.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.4 "Ensure that Linux kernel capabilities are restricted
    /// within containers".
    pub struct CapDropAll {
        code: "CG101",
        name: "cap-drop-all",
        summary: "Drop all Linux capabilities (`cap_drop: [ALL]`) and add back only what the image needs",
        fix: Sometimes,
        cis: Some("5.4"),
    }
}

impl Rule for CapDropAll {
    fn meta(&self) -> &'static RuleMeta {
        Self::META
    }

    fn check(&self, cx: &mut Context<'_>) {
        for service in cx.services() {
            let Some(target) = cx.compose.service_target(&service) else {
                continue;
            };
            if cx
                .scalar(&service, "privileged")
                .is_some_and(|p| p.eq_ignore_ascii_case("true"))
            {
                continue;
            }
            let known = cx.image(&service);
            let as_root = cx.runs_as_root(&service).unwrap_or(true);
            let needed: Vec<&str> = known
                .map(|k| k.needed_caps(as_root).to_vec())
                .unwrap_or_default();
            let cap_add: Vec<String> = cx
                .list(&service, "cap_add")
                .map(|(_, items)| {
                    items
                        .iter()
                        .filter_map(|(_, v)| v.map(normalize_capability))
                        .collect()
                })
                .unwrap_or_default();
            let missing: Vec<&str> = if cap_add.iter().any(|c| c == "ALL") {
                Vec::new()
            } else {
                needed
                    .iter()
                    .copied()
                    .filter(|c| !cap_add.iter().any(|a| a == c))
                    .collect()
            };
            let applicability = match known {
                Some(k) if k.image.runs == crate::images::Runs::NonRoot && needed.is_empty() => {
                    Applicability::Safe
                }
                _ => Applicability::Unsafe,
            };
            let image_note = match known {
                Some(k) if needed.is_empty() => format!("; {} needs none back", k.image.name),
                Some(k) => format!("; {} needs {} back", k.image.name, needed.join(", ")),
                None => String::new(),
            };
            let doc = cx.doc;
            // Edits that add the missing capabilities to an existing `cap_add` list.
            let cap_add_lookup = cx.get(&service, "cap_add");
            let append_caps = |edits: &mut Vec<Edit>, new_entries: &mut Vec<(&str, NewValue)>| {
                if missing.is_empty() {
                    return true;
                }
                match cap_add_lookup {
                    Some(l) if matches!(doc.node(l.resolved).kind, NodeKind::Sequence(_)) => {
                        for cap in &missing {
                            edits.push(append_item(doc, cx.style, l.resolved, cap));
                        }
                        true
                    }
                    Some(_) => false, // `cap_add: ${VAR}` or malformed: cannot extend it
                    None => {
                        new_entries.push(("cap_add", NewValue::strs(&missing)));
                        true
                    }
                }
            };
            match cx.get(&service, "cap_drop") {
                None => {
                    let mut edits = Vec::new();
                    let mut new_entries = vec![("cap_drop", NewValue::strs(&["ALL"]))];
                    if !append_caps(&mut edits, &mut new_entries) {
                        continue;
                    }
                    edits.extend(insert_entries(doc, cx.style, target, &new_entries));
                    let message = format!(
                        "service `{}` keeps Docker's default capabilities{image_note}",
                        service.name
                    );
                    let what = if missing.is_empty() {
                        "Add `cap_drop: [ALL]`".to_owned()
                    } else {
                        format!(
                            "Add `cap_drop: [ALL]` and `cap_add: [{}]`",
                            missing.join(", ")
                        )
                    };
                    cx.report_service(Self::META, &service, message)
                        .set_fix(Fix::new(applicability, what, edits));
                }
                Some(lookup) if cx.compose.is_reset(lookup.value) => {
                    let message = format!(
                        "service `{}` resets `cap_drop` with `!reset`, so it keeps the default capabilities",
                        service.name
                    );
                    cx.report_service(Self::META, &service, message);
                }
                Some(lookup) => {
                    if !matches!(doc.node(lookup.resolved).kind, NodeKind::Sequence(_)) {
                        continue; // a `${VAR}` or malformed value: nothing we can judge
                    }
                    let drops_all = doc.items(lookup.resolved).iter().any(|i| {
                        doc.scalar(*i)
                            .is_some_and(|c| normalize_capability(c) == "ALL")
                    });
                    let mut edits = Vec::new();
                    let mut new_entries = Vec::new();
                    if !append_caps(&mut edits, &mut new_entries) {
                        continue;
                    }
                    edits.extend(if new_entries.is_empty() {
                        Vec::new()
                    } else {
                        insert_entries(doc, cx.style, target, &new_entries)
                    });
                    if drops_all {
                        if missing.is_empty() {
                            continue;
                        }
                        let name = known.map_or("the image", |k| k.image.name);
                        let message = format!(
                            "service `{}` drops all capabilities, but {name} needs {} to start",
                            service.name,
                            missing.join(", ")
                        );
                        let what = format!("Add `{}` to `cap_add`", missing.join(", "));
                        cx.report_service(Self::META, &service, message)
                            .set_fix(Fix::safe(what, edits));
                    } else {
                        edits.push(append_item(doc, cx.style, lookup.resolved, "ALL"));
                        let message = format!(
                            "service `{}` drops some capabilities but not `ALL`{image_note}",
                            service.name
                        );
                        cx.report_service(Self::META, &service, message)
                            .set_fix(Fix::new(applicability, "Add `ALL` to `cap_drop`", edits));
                    }
                }
            }
        }
    }
}
