use crate::edit::Fix;
use crate::style::{NewValue, append_item, insert_entries};

use super::{Context, Rule, RuleMeta, declare_rule, normalize_capability};

declare_rule! {
    /// ## What it does
    /// Checks that every service drops all Linux capabilities (`cap_drop: [ALL]`), so that it
    /// runs with only the capabilities it adds back in `cap_add`.
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
    ///   app:
    ///     image: example/app:1.4
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1.4
    ///     cap_drop:
    ///       - ALL
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: an image whose entrypoint starts as root and then changes ownership or switches
    /// user (postgres, mysql, nginx, ...) needs some capabilities back in `cap_add`, or it will
    /// not start. Review each service before applying with `--unsafe-fixes`. A list that drops
    /// some capabilities gets `ALL` appended; an inherited (`<<`) list is extended in place, so
    /// nothing it holds is lost.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.4 "Ensure that Linux kernel capabilities are restricted
    /// within containers".
    pub struct CapDropAll {
        code: "CG101",
        name: "cap-drop-all",
        summary: "Drop all Linux capabilities (`cap_drop: [ALL]`) and add back only what is needed",
        fix: Sometimes,
        cis: Some("5.4"),
    }
}

impl Rule for CapDropAll {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &mut Context<'_>) {
        for service in cx.services() {
            let Some(target) = cx.compose.service_target(&service) else {
                continue;
            };
            let found = cx.compose.service_get(&service, "cap_drop").found();
            match found {
                None => {
                    let edits = insert_entries(
                        cx.doc,
                        cx.style,
                        target,
                        &[("cap_drop", NewValue::strs(&["ALL"]))],
                    );
                    let message = format!(
                        "service `{}` keeps Docker's default capabilities",
                        service.name
                    );
                    cx.report_service(&Self::META, &service, message)
                        .set_fix(Fix::unsafe_("Add `cap_drop: [ALL]`", edits));
                }
                Some(lookup) if cx.compose.is_reset(lookup.value) => {
                    let message = format!(
                        "service `{}` resets `cap_drop` with `!reset`, so it keeps the default capabilities",
                        service.name
                    );
                    cx.report_service(&Self::META, &service, message);
                }
                Some(lookup) => {
                    let doc = cx.doc;
                    if !matches!(
                        doc.node(lookup.resolved).kind,
                        crate::document::NodeKind::Sequence(_)
                    ) {
                        continue; // a `${VAR}` or malformed value: nothing we can judge
                    }
                    let drops_all = doc.items(lookup.resolved).iter().any(|i| {
                        doc.scalar(*i)
                            .is_some_and(|c| normalize_capability(c) == "ALL")
                    });
                    if drops_all {
                        continue;
                    }
                    let edit = append_item(doc, cx.style, lookup.resolved, "ALL");
                    let message = format!(
                        "service `{}` drops some capabilities but not `ALL`",
                        service.name
                    );
                    cx.report_service(&Self::META, &service, message)
                        .set_fix(Fix::unsafe_("Add `ALL` to `cap_drop`", vec![edit]));
                }
            }
        }
    }
}
