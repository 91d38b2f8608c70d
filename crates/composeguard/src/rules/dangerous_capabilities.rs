use crate::compose::{Service, normalize_capability};
use crate::context::Context;
use crate::rule::{Check, declare_rule};

/// Capabilities that amount to root on the host, or close to it.
pub(crate) const DANGEROUS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_PTRACE",
    "SYS_BOOT",
    "SYS_TIME",
    "NET_ADMIN",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "BPF",
    "PERFMON",
    "SYSLOG",
    "LINUX_IMMUTABLE",
    "DAC_OVERRIDE_ALL",
];

declare_rule! {
    /// ## What it does
    /// Reports `cap_add` entries that give a container power over the host: `ALL`,
    /// `SYS_ADMIN`, `SYS_MODULE`, `SYS_RAWIO`, `SYS_PTRACE`, `SYS_BOOT`, `SYS_TIME`,
    /// `NET_ADMIN`, `MAC_ADMIN`, `MAC_OVERRIDE`, `BPF`, `PERFMON`, `SYSLOG`, `LINUX_IMMUTABLE`.
    ///
    /// ## Why is this bad?
    /// `SYS_ADMIN` alone allows mounting file systems and is the usual route out of a container;
    /// `SYS_MODULE` loads kernel code; `NET_ADMIN` reconfigures networking; `SYS_PTRACE` reads
    /// other processes' memory.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   vpn:
    ///     image: example/vpn:1
    ///     cap_add: [SYS_ADMIN]
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   vpn:
    ///     image: example/vpn:1
    ///     cap_add: [NET_BIND_SERVICE]
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the service presumably uses the capability; a person must decide whether it can
    /// do without it.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.4 "Ensure that Linux kernel capabilities are restricted
    /// within containers".
    pub struct DangerousCapabilities {
        code: "CG105",
        name: "dangerous-capabilities",
        summary: "Do not add capabilities that give power over the host",
        fix: None,
        cis: Some("5.4"),
        preset: Baseline,
    }
}

impl Check for DangerousCapabilities {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let Some((_, items)) = cx.list(service, "cap_add") else {
            return;
        };
        for (node, value) in items {
            let Some(cap) = value.map(normalize_capability) else {
                continue;
            };
            if DANGEROUS.contains(&cap.as_str()) {
                let message = format!("service `{}` adds the capability `{cap}`", service.name);
                cx.report(cx.span(node), message);
            }
        }
    }
}
