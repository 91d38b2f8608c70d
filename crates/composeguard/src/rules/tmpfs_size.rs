use crate::edit::Fix;
use crate::writer::replace_scalar;

use crate::compose::Service;
use crate::context::Context;
use crate::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that every service-level `tmpfs` mount has a `size=`, and reports mounts that
    /// allow executables (`exec`) or setuid binaries (`suid`).
    ///
    /// ## Why is this bad?
    /// A tmpfs without a size may grow to half of the host's memory (and counts against the
    /// container's memory limit). An executable tmpfs is where an attacker unpacks and runs
    /// tools on an otherwise read-only container.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1
    ///     tmpfs:
    ///       - /tmp
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1
    ///     tmpfs:
    ///       - /tmp:noexec,nosuid,size=64m
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: a service that writes more than the size (64m by default) gets "no space left
    /// on device". The fix adds `noexec,nosuid` only where the entry has no options yet (Docker
    /// applies them by default anyway, writing them documents it); entries that ask for `exec`
    /// or `suid` are reported without a fix, as the service presumably needs them.
    ///
    /// ## References
    /// Docker's tmpfs documentation (default size: 50% of host memory); CIS Docker Benchmark
    /// v1.6.0, 5.13.
    pub struct TmpfsSize {
        code: "CG202",
        name: "tmpfs-size",
        summary: "Give every tmpfs a size, and keep it noexec and nosuid",
        fix: Sometimes,
        cis: Some("5.13"),
        preset: Recommended,
    }
}

impl Check for TmpfsSize {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let size = cx.settings.tmpfs_size.clone();
        let entries = cx.compose.tmpfs(service);
        let paths: Vec<String> = entries.iter().map(|e| e.target()).collect();
        for entry in &entries {
            let node = entry.node;
            // Two entries for one path are the file's own mistake: rewriting one changes
            // which of them Compose keeps, so both stay as they are.
            if paths.iter().filter(|p| **p == entry.target()).count() > 1 {
                continue;
            }
            // An interpolated entry is unknown until run time; an empty item (`-`) or one
            // that is not an absolute path is not a mount composeguard can size.
            let text = entry.text;
            if text.contains('$') || cx.doc.is_null(node) || !text.trim_start().starts_with('/') {
                continue;
            }
            let (path, options) = entry.split();
            let opts = entry.options();
            let risky: Vec<&str> = opts
                .iter()
                .copied()
                .filter(|o| *o == "exec" || *o == "suid")
                .collect();
            if !risky.is_empty() {
                let message = format!(
                    "service `{}` mounts tmpfs `{path}` with `{}`",
                    service.name,
                    risky.join(",")
                );
                cx.report(cx.span(node), message);
            }
            if opts.iter().any(|o| o.starts_with("size=")) {
                continue;
            }
            let new = if opts.is_empty() {
                format!("{path}:noexec,nosuid,size={size}")
            } else {
                format!("{path}:{options},size={size}")
            };
            let edit = replace_scalar(cx.doc, cx.style, node, &new);
            let message = format!(
                "service `{}` mounts tmpfs `{path}` without a size",
                service.name
            );
            cx.report(cx.span(node), message)
                .set_fix(Fix::unsafe_(format!("Limit it: `{new}`"), vec![edit]));
        }
    }
}
