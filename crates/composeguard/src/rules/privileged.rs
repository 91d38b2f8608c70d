use crate::compose::Service;
use crate::context::Context;
use crate::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports services that run with `privileged: true`.
    ///
    /// ## Why is this bad?
    /// A privileged container has every capability, every host device, and no seccomp,
    /// AppArmor or SELinux confinement: it can load kernel modules and mount the host's disks.
    /// It is the host's root in all but name.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   agent:
    ///     image: example/agent:2
    ///     privileged: true
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   agent:
    ///     image: example/agent:2
    ///     cap_add: [SYS_PTRACE]
    ///     devices: ["/dev/fuse:/dev/fuse"]
    /// ```
    ///
    /// ## Fix safety
    /// No fix: only a person knows which capabilities and devices the service really needs.
    /// `docker stack deploy` ignores `privileged`.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.5 "Ensure that privileged containers are not used".
    pub struct Privileged {
        code: "CG104",
        name: "privileged",
        summary: "Do not run privileged containers",
        fix: None,
        cis: Some("5.5"),
        preset: Baseline,
    }
}

impl Check for Privileged {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let Some(lookup) = cx.get(service, "privileged") else {
            return;
        };
        if cx
            .doc
            .scalar(lookup.resolved)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            let message = format!(
                "service `{}` runs privileged: every capability and every host device",
                service.name
            );
            cx.report(cx.span(lookup.resolved), message);
        }
    }
}
