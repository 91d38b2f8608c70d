use crate::document::NodeId;
use crate::edit::Fix;
use crate::writer::{remove_entry, remove_items};

use crate::compose::Service;
use crate::context::Context;
use crate::rule::{Check, declare_rule};

/// The `security_opt` entries that switch a confinement off, normalised to `key:value`.
fn disables_confinement(option: &str) -> Option<&'static str> {
    let normalized = option.trim().to_ascii_lowercase().replacen('=', ":", 1);
    match normalized.as_str() {
        "seccomp:unconfined" => Some("seccomp"),
        "apparmor:unconfined" => Some("AppArmor"),
        "label:disable" => Some("SELinux labelling"),
        "systempaths:unconfined" => Some("masked /proc and /sys paths"),
        _ => None,
    }
}

declare_rule! {
    /// ## What it does
    /// Reports `security_opt` entries that switch a confinement off: `seccomp:unconfined`,
    /// `apparmor:unconfined`, `label:disable`, `systempaths=unconfined` (either separator).
    ///
    /// ## Why is this bad?
    /// Docker's default seccomp profile blocks about 44 dangerous system calls, its AppArmor
    /// profile and SELinux labels keep the container out of host files, and masked paths hide
    /// sensitive parts of `/proc` and `/sys`. Turning them off removes a layer that stops most
    /// container escapes.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1
    ///     security_opt:
    ///       - seccomp:unconfined
    ///       - no-new-privileges:true
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1
    ///     security_opt:
    ///       - no-new-privileges:true
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix removes the entry, and a service that makes a blocked system call will
    /// then fail. Where the entry is the only item of its list, the whole `security_opt` key is
    /// removed (CG102 then adds `no-new-privileges`). Entries inside a shared anchor are removed
    /// once, for every service that inherits them.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.2 (AppArmor), 5.3 (SELinux), 5.22 (seccomp).
    pub struct Unconfined {
        code: "CG107",
        name: "unconfined",
        summary: "Keep seccomp, AppArmor and SELinux confinement on",
        fix: Sometimes,
        cis: Some("5.22"),
        preset: Baseline,
    }
}

impl Check for Unconfined {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let Some((lookup, items)) = cx.list(service, "security_opt") else {
            return;
        };
        let found: Vec<(usize, NodeId, &str, &str)> = items
            .iter()
            .enumerate()
            .filter_map(|(index, (node, value))| {
                let value = (*value)?;
                disables_confinement(value).map(|what| (index, *node, value, what))
            })
            .collect();
        if found.is_empty() {
            return;
        }
        // One fix removes every such item of the list (each finding carries it; identical
        // fixes apply once), so removing them all removes the key instead of leaving a null.
        let remove: Vec<usize> = found.iter().map(|f| f.0).collect();
        let edits = if remove.len() == items.len() {
            (!lookup.inherited)
                .then(|| remove_entry(cx.doc, lookup.key, lookup.value))
                .flatten()
                .map(|e| vec![e])
        } else {
            remove_items(cx.doc, lookup.resolved, &remove)
        };
        let values: Vec<&str> = found.iter().map(|f| f.2).collect();
        let fix =
            edits.map(|edits| Fix::unsafe_(format!("Remove `{}`", values.join("`, `")), edits));
        for (_, node, value, what) in found {
            let mut message = format!("service `{}` turns {what} off (`{value}`)", service.name);
            if fix.is_none() {
                message.push_str("; remove it by hand (composeguard keeps lists whose items carry comments, or that other services inherit)");
            }
            let diagnostic = cx.report(cx.span(node), message);
            if let Some(fix) = &fix {
                diagnostic.set_fix(fix.clone());
            }
        }
    }
}
