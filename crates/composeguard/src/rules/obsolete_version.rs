use crate::edit::Fix;
use crate::writer::remove_entry;

use crate::context::Context;
use crate::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports the obsolete top-level `version:` key, and removes it.
    ///
    /// ## Why is this bad?
    /// Compose v2 ignores it and warns on every run ("the attribute `version` is obsolete").
    /// `docker stack deploy` uses it to choose a schema, and an old one (`"3.8"`) rejects newer
    /// keys such as `deploy.resources.limits.pids`; without it, Swarm uses its newest schema.
    ///
    /// ## Example
    /// ```yaml
    /// version: "3.8"
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
    /// ```
    ///
    /// ## Fix safety
    /// Safe: neither Compose nor Swarm needs it. The line is removed only when it carries no
    /// comment (a comment is never deleted); otherwise the finding has no fix.
    ///
    /// ## References
    /// Compose Specification, "Version and name top-level elements" (obsolete).
    pub struct ObsoleteVersion {
        code: "CG703",
        name: "obsolete-version",
        summary: "Remove the obsolete top-level `version:`",
        fix: Sometimes,
        cis: None,
        preset: Baseline,
    }
}

impl Check for ObsoleteVersion {
    fn check_file(&self, cx: &mut Context<'_>) {
        let roots: Vec<_> = cx.compose.roots().collect();
        for (_, root) in roots {
            let Some((key, value)) = cx.doc.own_entry(root, "version") else {
                continue;
            };
            let edit = (!cx.doc.node(root).flow)
                .then(|| remove_entry(cx.doc, key, value))
                .flatten();
            let shown = cx.doc.text(value).to_owned();
            let message = format!("the top-level `version: {shown}` is obsolete");
            let d = cx.report(cx.span(key), message);
            if let Some(edit) = edit {
                d.set_fix(Fix::safe("Remove `version:`", vec![edit]));
            }
        }
    }
}
