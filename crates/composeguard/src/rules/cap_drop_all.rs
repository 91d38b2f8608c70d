use crate::edit::{Applicability, Edit, Fix};
use crate::writer::{NewValue, insert_entries};

use crate::compose::{Service, normalize_capability};
use crate::context::Context;
use crate::rule::{Check, declare_rule};

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
    /// more. For an image composeguard does not know, `cap_drop: [ALL]` could stop it, so the
    /// unsafe fix drops only capabilities of Docker's default set that practically no service
    /// needs at run time: AUDIT_WRITE (writing to the kernel's audit log, which containers do
    /// not own; sshd and sudo only log that they could not), MKNOD (creating device nodes: the
    /// Engine creates a container's devices), NET_RAW (raw and packet sockets: spoofing and ARP
    /// tricks; Docker 20.10+ lets `ping` use ICMP sockets without it) and SETFCAP (setting file
    /// capabilities, an image build step). Capabilities the service adds back itself are not
    /// dropped. With a non-root `user:` the image's start-up cannot need the step-down
    /// capabilities, and it gets `cap_drop: [ALL]` (unsafe). An existing `cap_drop` without
    /// `ALL` on an unknown image is left as it is.
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
        preset: Baseline,
    }
}

impl Check for CapDropAll {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let Some(target) = cx.compose.service_target(service) else {
            return;
        };
        if cx
            .scalar(service, "privileged")
            .is_some_and(|p| p.eq_ignore_ascii_case("true"))
        {
            return;
        }
        let known = cx.image(service);
        // Which capabilities the image needs is unknown (an image composeguard knows
        // nothing about started as root, or one whose needs nobody established).
        let Some(needed) = needed_caps(cx, service) else {
            blind_cap_drop(cx, service, target);
            return;
        };
        let missing = missing_caps(cx, service);
        let applicability = match known {
            Some(k) if k.image.runs == crate::images::Runs::NonRoot && needed.is_empty() => {
                Applicability::Safe
            }
            _ => Applicability::Unsafe,
        };
        let learned = cx.facts(service).is_some_and(|f| f.caps.is_some());
        let image_note = match known {
            _ if learned && needed.is_empty() => {
                "; `composeguard learn` saw it start with none (the lock file)".to_owned()
            }
            _ if learned => format!(
                "; `composeguard learn` saw it need {} (the lock file)",
                needed.join(", ")
            ),
            Some(k) if needed.is_empty() => format!("; {} needs none back", k.image.name),
            Some(k) => format!("; {} needs {} back", k.image.name, needed.join(", ")),
            None if cx.facts(service).is_some() && cx.get(service, "user").is_none() => {
                "; its image's config runs it as a non-root user (the lock file)".to_owned()
            }
            None => String::new(),
        };
        let doc = cx.doc;
        // Edits that add the missing capabilities to an existing `cap_add` list.
        let cap_add_lookup = cx.get(service, "cap_add");
        let append_caps = |edits: &mut Vec<Edit>, new_entries: &mut Vec<(&str, NewValue)>| {
            if missing.is_empty() {
                return true;
            }
            match cap_add_lookup {
                Some(l) if doc.as_sequence(l.resolved).is_some() => {
                    let items: Vec<NewValue> = missing.iter().map(|c| NewValue::str(*c)).collect();
                    let Some(plan) = cx.plan_list(service, "cap_add", &items, |s| {
                        missing_caps(cx, s)
                            .iter()
                            .map(|c| NewValue::str(*c))
                            .collect()
                    }) else {
                        return false;
                    };
                    if !plan.blocked.is_empty() {
                        return false; // its list is shared: reported without a fix
                    }
                    edits.extend(plan.edits);
                    if let Some(own) = plan.new_key {
                        new_entries.push(("cap_add", NewValue::Seq(own)));
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
        if !missing.is_empty() && cap_add_lookup.is_some_and(|l| cx.compose.is_reset(l.value)) {
            cx.report_reset("cap_add", ", so its image gets none of what it needs back");
            return;
        }
        match cx.get(service, "cap_drop") {
            None => {
                let mut edits = Vec::new();
                let mut new_entries = vec![("cap_drop", NewValue::strs(&["ALL"]))];
                if !append_caps(&mut edits, &mut new_entries) {
                    return;
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
                cx.report_service(message)
                    .set_fix(Fix::new(applicability, what, edits));
            }
            Some(lookup) if cx.compose.is_reset(lookup.value) => {
                cx.report_reset("cap_drop", ", so it keeps the default capabilities");
            }
            Some(lookup) => {
                if doc.as_sequence(lookup.resolved).is_none() {
                    return; // a `${VAR}` or malformed value: nothing we can judge
                }
                let drops_all = doc.items(lookup.resolved).iter().any(|i| {
                    doc.scalar(*i)
                        .is_some_and(|c| normalize_capability(c) == "ALL")
                });
                let mut edits = Vec::new();
                let mut new_entries = Vec::new();
                if !append_caps(&mut edits, &mut new_entries) {
                    return;
                }
                if !drops_all {
                    // `ALL` goes into a shared `cap_drop` only when every service reading it
                    // gets it; the others get a list of their own.
                    let all = [NewValue::str("ALL")];
                    let Some(plan) = cx.plan_list(service, "cap_drop", &all, |s| {
                        if wants_drop_all(cx, s) {
                            all.to_vec()
                        } else {
                            Vec::new()
                        }
                    }) else {
                        return;
                    };
                    if !plan.blocked.is_empty() {
                        return;
                    }
                    edits.extend(plan.edits);
                    if let Some(own) = plan.new_key {
                        new_entries.push(("cap_drop", NewValue::Seq(own)));
                    }
                }
                edits.extend(if new_entries.is_empty() {
                    Vec::new()
                } else {
                    insert_entries(doc, cx.style, target, &new_entries)
                });
                if drops_all {
                    if missing.is_empty() {
                        return;
                    }
                    let name = known.map_or("the image", |k| k.image.name);
                    let message = format!(
                        "service `{}` drops all capabilities, but {name} needs {} to start",
                        service.name,
                        missing.join(", ")
                    );
                    let what = format!("Add `{}` to `cap_add`", missing.join(", "));
                    cx.report_service(message).set_fix(Fix::safe(what, edits));
                } else {
                    let message = format!(
                        "service `{}` drops some capabilities but not `ALL`{image_note}",
                        service.name
                    );
                    cx.report_service(message).set_fix(Fix::new(
                        applicability,
                        "Add `ALL` to `cap_drop`",
                        edits,
                    ));
                }
            }
        }
    }
}

/// True when CG101 leaves the service to CG104 (privileged) or knows nothing to add back for it
/// (an unknown image started as root).
fn without_facts(cx: &Context<'_>, service: &crate::compose::Service) -> bool {
    let privileged = cx
        .scalar(service, "privileged")
        .is_some_and(|p| p.eq_ignore_ascii_case("true"));
    privileged || needed_caps(cx, service).is_none()
}

/// True when CG101 would add `ALL` to the service's `cap_drop` list.
fn wants_drop_all(cx: &Context<'_>, service: &crate::compose::Service) -> bool {
    !without_facts(cx, service)
        && cx.list(service, "cap_drop").is_some_and(|(_, items)| {
            !items
                .iter()
                .any(|(_, v)| v.is_some_and(|c| normalize_capability(c) == "ALL"))
        })
}

/// The capabilities the service needs under `cap_drop: [ALL]`, None when unknown: the table's,
/// with what `learn` observed (the options' image facts) added; what `learn` observed alone
/// for an image the table does not know (one start and a restart on empty volumes cannot show
/// every path the table's research found, so it never takes a capability away). A service of
/// an unknown image that runs as a non-root user (its `user:`, or its image's config) needs
/// none for its start-up.
fn needed_caps<'a>(cx: &Context<'a>, service: &crate::compose::Service) -> Option<Vec<&'a str>> {
    let as_root = cx.runs_as_root(service).unwrap_or(true);
    let table = match cx.image(service) {
        Some(k) => k.needed_caps(as_root).map(<[_]>::to_vec),
        None if !as_root => Some(Vec::new()),
        None => None,
    };
    match cx.facts(service).and_then(|f| f.caps.as_ref()) {
        Some(learned) => {
            let mut caps = table.unwrap_or_default();
            for c in learned {
                if !caps.contains(&c.as_str()) {
                    caps.push(c);
                }
            }
            caps.sort_unstable();
            Some(caps)
        }
        None => table,
    }
}

/// The capabilities the service adds back itself (`cap_add`), normalised.
fn added_caps(cx: &Context<'_>, service: &crate::compose::Service) -> Vec<String> {
    cx.list(service, "cap_add")
        .map(|(_, items)| {
            items
                .iter()
                .filter_map(|(_, v)| v.map(normalize_capability))
                .collect()
        })
        .unwrap_or_default()
}

/// The needed capabilities that the service's `cap_add` lacks (none without facts).
fn missing_caps<'a>(cx: &Context<'a>, service: &crate::compose::Service) -> Vec<&'a str> {
    if without_facts(cx, service) {
        return Vec::new();
    }
    let cap_add = added_caps(cx, service);
    if cap_add.iter().any(|c| c == "ALL") {
        return Vec::new();
    }
    needed_caps(cx, service)
        .unwrap_or_default()
        .into_iter()
        .filter(|c| !cap_add.iter().any(|a| a == c))
        .collect()
}

/// Capabilities of Docker's default set that practically no service needs at run time, dropped
/// from images composeguard knows nothing about (the rule's docs say why each one).
pub(crate) const RARELY_NEEDED: [&str; 4] = ["AUDIT_WRITE", "MKNOD", "NET_RAW", "SETFCAP"];

/// CG101 for an image with no known facts: `cap_drop: [ALL]` could stop it (a root entrypoint
/// that chowns its data and steps down needs CHOWN, SETUID, SETGID...), so the fix drops only
/// [`RARELY_NEEDED`] (those the service does not add back itself) and the finding says how
/// to learn the rest.
fn blind_cap_drop(
    cx: &mut Context<'_>,
    service: &crate::compose::Service,
    target: crate::document::MapTarget,
) {
    let image = cx
        .image_ref(service)
        .map_or_else(|| "its image".to_owned(), |r| format!("`{r}`"));
    let advice = "learn what it needs (run it with `cap_drop: [ALL]` and add back each capability it fails without), then drop ALL";
    if cx.get(service, "cap_drop").is_some_and(|l| {
        cx.doc.items(l.resolved).iter().any(|i| {
            cx.doc
                .scalar(*i)
                .is_some_and(|c| normalize_capability(c) == "ALL")
        })
    }) {
        return;
    }
    if cx.get(service, "cap_drop").is_some() {
        // The service chose what to drop; without facts there is nothing safe to add.
        let message = format!(
            "service `{}` drops some capabilities but not `ALL`; composeguard does not know which ones {image} needs: {advice}",
            service.name
        );
        cx.report_service(message);
        return;
    }
    let added = added_caps(cx, service);
    let drop: Vec<&str> = RARELY_NEEDED
        .iter()
        .copied()
        .filter(|c| !added.iter().any(|a| a == c || a == "ALL"))
        .collect();
    let message = format!(
        "service `{}` keeps Docker's default capabilities; composeguard does not know which ones {image} needs, so it drops only those practically no service needs ({}); {advice}",
        service.name,
        RARELY_NEEDED.join(", ")
    );
    let fix = (!drop.is_empty()).then(|| {
        let edits = insert_entries(
            cx.doc,
            cx.style,
            target,
            &[("cap_drop", NewValue::strs(&drop))],
        );
        Fix::unsafe_(format!("Add `cap_drop: [{}]`", drop.join(", ")), edits)
    });
    let d = cx.report_service(message);
    if let Some(fix) = fix {
        d.set_fix(fix);
    }
}
