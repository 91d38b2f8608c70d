//! The rules: each reads the effective compose model and reports diagnostics with fixes that
//! edit the source spans. One file per rule (see [`crate::Rule`] for what a rule is); the
//! rule's doc comment is its documentation (`composeguard rule CODE` prints it, and its
//! examples are run as tests).

use crate::rule::{Check, Rule, RuleMeta};

mod cap_drop_all;
mod dangerous_capabilities;
mod healthcheck;
mod host_namespaces;
mod image_pinning;
mod limits;
mod log_rotation;
mod mounts;
mod no_new_privileges;
mod non_root_user;
mod obsolete_version;
mod ports;
mod privileged;
mod read_only;
mod secrets;
mod tmpfs_size;
mod ulimits;
mod unconfined;
pub(crate) mod unused_suppression;

/// The registry: one line per rule, in code order, naming the module and the type that
/// implements [`Check`]; a check that reports under several rules lists them (CG301–CG303 share one
/// check, so a service gets one `limits` block).
macro_rules! registry {
    ($($module:ident::$check:ident $(=> [$($rule:ident),+])?,)*) => {
        /// Every check, with the rules it reports under.
        pub(crate) fn checks() -> &'static [(&'static dyn Check, &'static [&'static dyn Rule])] {
            &[$((&$module::$check, registry!(@rules $module::$check $(, $($rule),+)?))),*]
        }
    };
    (@rules $module:ident::$check:ident) => { &[&$module::$check] };
    (@rules $module:ident::$check:ident, $($rule:ident),+) => { &[$(&$module::$rule),+] };
}

registry! {
    unused_suppression::UnusedSuppression,
    cap_drop_all::CapDropAll,
    no_new_privileges::NoNewPrivileges,
    non_root_user::NonRootUser,
    privileged::Privileged,
    dangerous_capabilities::DangerousCapabilities,
    host_namespaces::HostNamespaces,
    unconfined::Unconfined,
    mounts::DockerSocket,
    mounts::SensitiveMounts,
    read_only::ReadOnlyRootfs,
    tmpfs_size::TmpfsSize,
    limits::ResourceLimits => [MemoryLimit, CpuLimit, PidsLimit],
    ulimits::Ulimits,
    healthcheck::Healthcheck,
    ports::SensitivePorts,
    ports::PublicPorts,
    ports::PrivilegedPorts,
    log_rotation::LogRotation,
    secrets::LiteralSecret,
    secrets::UrlCredentials,
    image_pinning::ImageTag,
    image_pinning::ImageDigest,
    obsolete_version::ObsoleteVersion,
}

/// Every rule, in code order.
pub fn all() -> &'static [&'static dyn Rule] {
    static ALL: std::sync::LazyLock<Vec<&'static dyn Rule>> = std::sync::LazyLock::new(|| {
        checks()
            .iter()
            .flat_map(|(_, rules)| rules.iter().copied())
            .collect()
    });
    &ALL
}

/// True when `selector` names the rule: its code, a code prefix (`CG1`) or its name.
pub fn matches(rule: &RuleMeta, selector: &str) -> bool {
    let s = selector.trim();
    s.eq_ignore_ascii_case(rule.code)
        || s.eq_ignore_ascii_case(rule.name)
        || (s.len() >= 2
            && s.len() < rule.code.len()
            && rule.code.starts_with(&s.to_ascii_uppercase()))
}

/// Looks a rule up by code (`CG101`) or name (`cap-drop-all`), case-insensitively.
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    all().iter().copied().find(|r| {
        r.meta().code.eq_ignore_ascii_case(code_or_name)
            || r.meta().name.eq_ignore_ascii_case(code_or_name)
    })
}
