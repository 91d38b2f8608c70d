use crate::edit::{Applicability, Fix};
use crate::writer::{NewValue, append_item, insert_entries};

use crate::compose::Service;
use crate::context::Context;
use crate::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that every service sets `no-new-privileges:true` in `security_opt`.
    ///
    /// ## Why is this bad?
    /// Without it, a process in the container can gain privileges by executing a setuid or
    /// file-capability binary (`su`, `sudo`, `ping` on some images). With it, the kernel refuses
    /// such gains, whatever binaries the image ships.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1.4
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1.4
    ///     security_opt:
    ///       - no-new-privileges:true
    /// ```
    ///
    /// ## Fix safety
    /// Safe: entrypoints that step down from root (gosu, su-exec, setpriv) keep working, since
    /// they call `setuid()` as root rather than executing a setuid binary. The item is appended
    /// to an existing `security_opt` list (an inherited `<<` list is extended in place, once,
    /// however many services share it), or a new list is added. A service that explicitly sets
    /// `no-new-privileges:false` is reported without a fix. `docker stack deploy` ignores
    /// `security_opt`. For an image composeguard does not know the fix is unsafe: an image that
    /// starts as a user and runs `sudo`, `su` or a setgid mail helper (postdrop) after start
    /// fails under `no-new-privileges`.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.26 "Ensure that the container is restricted from acquiring
    /// additional privileges".
    pub struct NoNewPrivileges {
        code: "CG102",
        name: "no-new-privileges",
        summary: "Set `no-new-privileges:true` so processes cannot gain privileges through setuid binaries",
        fix: Sometimes,
        cis: Some("5.26"),
        preset: Baseline,
    }
}

/// The value of a `no-new-privileges` option: Some(true) / Some(false), None if not that option.
fn nnp_value(item: &str) -> Option<bool> {
    let item = item.trim().to_ascii_lowercase();
    let rest = item.strip_prefix("no-new-privileges")?;
    if rest.is_empty() {
        return Some(true);
    }
    let value = rest.strip_prefix([':', '='])?;
    match value {
        "true" | "1" | "t" => Some(true),
        "false" | "0" | "f" => Some(false),
        _ => None,
    }
}

impl Check for NoNewPrivileges {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let Some(target) = cx.compose.service_target(service) else {
            return;
        };
        let known = cx.image(service);
        if let Some(k) = known.filter(|k| k.image.no_new_privileges == Some(false)) {
            if cx.get(service, "security_opt").is_none() {
                let message = format!(
                    "service `{}` can gain privileges through setuid binaries; {} needs them ({}), so composeguard does not add `no-new-privileges`",
                    service.name,
                    k.image.name,
                    k.image
                        .no_new_privileges_why
                        .unwrap_or("see `composeguard images`")
                );
                cx.report_service(message);
            }
            return;
        }
        let applicability = if known.is_some() {
            Applicability::Safe
        } else {
            Applicability::Unsafe
        };
        let found = cx.get(service, "security_opt");
        match found {
            None => {
                let value = NewValue::strs(&["no-new-privileges:true"]);
                let edits = insert_entries(cx.doc, cx.style, target, &[("security_opt", value)]);
                let message = format!(
                    "service `{}` can gain privileges through setuid binaries",
                    service.name
                );
                cx.report_service(message).set_fix(Fix::new(
                    applicability,
                    "Add `security_opt: [no-new-privileges:true]`",
                    edits,
                ));
            }
            Some(lookup) if cx.compose.is_reset(lookup.value) => {
                cx.report_reset("security_opt", ", so `no-new-privileges` is not set");
            }
            Some(lookup) => {
                let doc = cx.doc;
                if doc.as_sequence(lookup.resolved).is_none() {
                    return;
                }
                // Compose appends the lists of the services it extends to this one.
                let items = cx.list_with_bases(service, "security_opt");
                match items.iter().find_map(|i| nnp_value(i)) {
                    Some(true) => {}
                    Some(false) => {
                        let message = format!(
                            "service `{}` explicitly allows gaining privileges (`no-new-privileges:false`)",
                            service.name
                        );
                        cx.report_service(message);
                    }
                    None => {
                        // Match the separator the list already uses (`=` is the newer one).
                        let eq = items.iter().any(|i| i.contains('=') && !i.contains(':'));
                        let item = if eq {
                            "no-new-privileges=true"
                        } else {
                            "no-new-privileges:true"
                        };
                        let edit = append_item(doc, cx.style, lookup.resolved, item);
                        let message = format!(
                            "service `{}` can gain privileges through setuid binaries",
                            service.name
                        );
                        cx.report_service(message).set_fix(Fix::new(
                            applicability,
                            format!("Add `{item}` to `security_opt`"),
                            vec![edit],
                        ));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::nnp_value;

    #[test]
    fn recognises_every_spelling() {
        assert_eq!(nnp_value("no-new-privileges"), Some(true));
        assert_eq!(nnp_value("no-new-privileges:true"), Some(true));
        assert_eq!(nnp_value("no-new-privileges=true"), Some(true));
        assert_eq!(nnp_value("No-New-Privileges=1"), Some(true));
        assert_eq!(nnp_value("no-new-privileges:false"), Some(false));
        assert_eq!(nnp_value("apparmor:unconfined"), None);
        assert_eq!(nnp_value("no-new-privileges-x"), None);
    }
}
