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
        pub(crate) const CHECKS: &[(&dyn Check, &[&dyn Rule])] =
            &[$((&$module::$check, registry!(@rules $module::$check $(, $($rule),+)?))),*];
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

/// Every rule, in code order: the registry's rules, one after the other (built at compile
/// time).
pub fn all() -> &'static [&'static dyn Rule] {
    &ALL
}

const RULE_COUNT: usize = {
    let (mut count, mut i) = (0, 0);
    while i < CHECKS.len() {
        count += CHECKS[i].1.len();
        i += 1;
    }
    count
};

static ALL: [&dyn Rule; RULE_COUNT] = {
    let mut all = [CHECKS[0].1[0]; RULE_COUNT];
    let (mut at, mut i) = (0, 0);
    while i < CHECKS.len() {
        let mut j = 0;
        while j < CHECKS[i].1.len() {
            all[at] = CHECKS[i].1[j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    all
};

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
