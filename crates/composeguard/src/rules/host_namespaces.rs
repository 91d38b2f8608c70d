use crate::compose::Service;
use crate::context::Context;
use crate::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports services that share a host namespace: `network_mode: host`, `pid: host`,
    /// `ipc: host`, `uts: host`, `userns_mode: host`, `cgroup: host`.
    ///
    /// ## Why is this bad?
    /// A shared network namespace exposes every host interface and service on localhost; a
    /// shared PID namespace lets the container see and signal host processes; shared IPC exposes
    /// host shared memory; shared UTS lets it change the host name; `userns_mode: host` turns
    /// off user-namespace remapping.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   monitor:
    ///     image: example/monitor:3
    ///     pid: host
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   monitor:
    ///     image: example/monitor:3
    /// ```
    ///
    /// ## Fix safety
    /// No fix: monitoring agents and VPNs may need it; a person must decide.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.10 (network), 5.16 (PID), 5.17 (IPC), 5.21 (UTS),
    /// 5.31 (user namespaces).
    pub struct HostNamespaces {
        code: "CG106",
        name: "host-namespaces",
        summary: "Do not share the host's network, PID, IPC, UTS or user namespace",
        fix: None,
        cis: Some("5.10"),
        preset: Baseline,
    }
}

impl Check for HostNamespaces {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        for key in ["network_mode", "pid", "ipc", "uts", "userns_mode", "cgroup"] {
            let Some(lookup) = cx.get(service, key) else {
                continue;
            };
            if cx.doc.scalar(lookup.resolved) == Some("host") {
                let message = format!(
                    "service `{}` shares the host's namespace (`{key}: host`)",
                    service.name
                );
                cx.report(cx.span(lookup.resolved), message);
            }
        }
    }
}
