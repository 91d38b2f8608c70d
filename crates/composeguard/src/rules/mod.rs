//! Rules: each one reads the effective compose model and reports diagnostics with fixes that
//! edit the source spans. One file per rule; the rule's doc comment is its documentation
//! (`composeguard rule CODE` prints it, and its examples are run as tests).

use std::ops::Range;

use crate::compose::{Compose, Lookup, Service};
use crate::diagnostic::Diagnostic;
use crate::document::{Document, NodeId, NodeKind};
use crate::edit::Edit;
use crate::images::{self, Known};
use crate::settings::{Settings, Target};
use crate::style::{NewValue, Style, append_values};

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
mod unused_suppression;

pub use cap_drop_all::CapDropAll;
pub use dangerous_capabilities::DangerousCapabilities;
pub use healthcheck::Healthcheck;
pub use host_namespaces::HostNamespaces;
pub use image_pinning::{ImageDigest, ImageTag};
pub use limits::{CpuLimit, MemoryLimit, PidsLimit};
pub use log_rotation::LogRotation;
pub use mounts::{DockerSocket, SensitiveMounts};
pub use no_new_privileges::NoNewPrivileges;
pub use non_root_user::NonRootUser;
pub use obsolete_version::ObsoleteVersion;
pub use ports::{PrivilegedPorts, PublicPorts, SensitivePorts};
pub use privileged::Privileged;
pub use read_only::ReadOnlyRootfs;
pub use secrets::{LiteralSecret, UrlCredentials};
pub use tmpfs_size::TmpfsSize;
pub use ulimits::Ulimits;
pub use unconfined::Unconfined;
pub use unused_suppression::UnusedSuppression;

/// Whether a rule can fix what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixAvailability {
    /// Every finding comes with a fix.
    Always,
    /// Some findings come with a fix.
    Sometimes,
    /// Report only.
    None,
}

impl FixAvailability {
    /// A short label for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::Always => "always",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::None => "none",
        }
    }
}

/// Static facts about a rule.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// Stable code, e.g. `CG101`. Never changes once published.
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `cap-drop-all`.
    pub name: &'static str,
    /// One line saying what the rule wants.
    pub summary: &'static str,
    /// Whether findings come with fixes.
    pub fix: FixAvailability,
    /// The CIS Docker Benchmark v1.6.0 item, if any.
    pub cis: Option<&'static str>,
    raw_docs: &'static str,
}

impl RuleMeta {
    #[doc(hidden)]
    pub const fn new(
        code: &'static str,
        name: &'static str,
        summary: &'static str,
        fix: FixAvailability,
        cis: Option<&'static str>,
        raw_docs: &'static str,
    ) -> RuleMeta {
        RuleMeta {
            code,
            name,
            summary,
            fix,
            cis,
            raw_docs,
        }
    }

    /// The rule's documentation in Markdown (from its doc comment). Empty when the crate is
    /// built without its `docs` feature (the browser module leaves the 30 KB of text out and
    /// the playground loads `docs/rules/<CODE>.md` when asked).
    pub fn documentation(&self) -> String {
        let mut out = String::new();
        for line in self.raw_docs.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }
}

/// Declares a rule type whose doc comment becomes its documentation (after biome's
/// `declare_lint_rule!`).
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $name:ident {
            code: $code:literal,
            name: $rule_name:literal,
            summary: $summary:literal,
            fix: $fix:ident,
            cis: $cis:expr $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        $vis struct $name;

        impl $name {
            /// The rule's metadata: one static, so its documentation is in the binary once.
            pub const META: &'static $crate::rules::RuleMeta = {
                static META: $crate::rules::RuleMeta = $crate::rules::RuleMeta::new(
                    $code,
                    $rule_name,
                    $summary,
                    $crate::rules::FixAvailability::$fix,
                    $cis,
                    $crate::rules::rule_docs!($($doc)*),
                );
                &META
            };
        }
    };
}
pub(crate) use declare_rule;

/// The text of a rule's doc comment, or nothing without the `docs` feature.
#[cfg(feature = "docs")]
macro_rules! rule_docs {
    ($($doc:literal)*) => {
        concat!($($doc, "\n"),*)
    };
}
#[cfg(not(feature = "docs"))]
macro_rules! rule_docs {
    ($($doc:literal)*) => {
        ""
    };
}
pub(crate) use rule_docs;

/// A check over a compose file.
pub trait Rule: Sync {
    /// The rule's metadata.
    fn meta(&self) -> &'static RuleMeta;
    /// Reports findings into `cx`.
    fn check(&self, cx: &mut Context<'_>);
}

/// Every rule, in code order.
pub fn all() -> &'static [&'static dyn Rule] {
    &[
        &UnusedSuppression,
        &CapDropAll,
        &NoNewPrivileges,
        &NonRootUser,
        &Privileged,
        &DangerousCapabilities,
        &HostNamespaces,
        &Unconfined,
        &DockerSocket,
        &SensitiveMounts,
        &ReadOnlyRootfs,
        &TmpfsSize,
        &MemoryLimit,
        &CpuLimit,
        &PidsLimit,
        &Ulimits,
        &Healthcheck,
        &SensitivePorts,
        &PublicPorts,
        &PrivilegedPorts,
        &LogRotation,
        &LiteralSecret,
        &UrlCredentials,
        &ImageTag,
        &ImageDigest,
        &ObsoleteVersion,
    ]
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

/// The items of a sequence: each node with its scalar text (None for a mapping item).
pub type ListItems<'a> = Vec<(NodeId, Option<&'a str>)>;

/// What a rule sees, and where it reports.
pub struct Context<'a> {
    /// The parsed file.
    pub doc: &'a Document,
    /// The compose view of it.
    pub compose: Compose<'a>,
    /// The file's style, for new text.
    pub style: &'a Style,
    /// Values the fixes write.
    pub settings: &'a Settings,
    /// Where the file is deployed.
    pub target: Target,
    pub(crate) enabled: Vec<&'static str>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) services: std::sync::OnceLock<Vec<Service>>,
    /// Fixes shared by several rules (the limits block), computed once per service.
    /// Sorted by (kind, service key); services come in order, so entries are appended.
    #[allow(clippy::type_complexity)]
    pub(crate) shared_fixes:
        std::cell::RefCell<Vec<((&'static str, NodeId), Option<crate::edit::Fix>)>>,
}

impl<'a> Context<'a> {
    /// Every service of the file (computed once per check).
    pub fn services(&self) -> Vec<Service> {
        self.services
            .get_or_init(|| self.compose.services())
            .clone()
    }

    /// Reports a finding on a byte range.
    pub fn report(
        &mut self,
        rule: &'static RuleMeta,
        range: Range<usize>,
        service: Option<&str>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let source = self.doc.source();
        let start = self.doc.lines().position(source, range.start);
        let end = self.doc.lines().position(source, range.end);
        self.diagnostics.push(Diagnostic {
            rule,
            message: message.into(),
            range,
            start,
            end,
            service: service.map(str::to_owned),
            fix: None,
            secret: None,
        });
        self.diagnostics.last_mut().expect("just pushed")
    }

    /// Reports a finding on a service's key.
    pub fn report_service(
        &mut self,
        rule: &'static RuleMeta,
        service: &Service,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let range = self.span(service.key);
        self.report(rule, range, Some(&service.name), message)
    }

    /// A fix several rules share, computed once per (kind, service key) and then cloned.
    pub(crate) fn shared_fix(
        &self,
        kind: &'static str,
        service: &Service,
        make: impl FnOnce() -> Option<crate::edit::Fix>,
    ) -> Option<crate::edit::Fix> {
        let key = (kind, service.key);
        let at = {
            let fixes = self.shared_fixes.borrow();
            let at = fixes.partition_point(|(k, _)| *k < key);
            if let Some((_, fix)) = fixes.get(at).filter(|(k, _)| *k == key) {
                return fix.clone();
            }
            at
        };
        let fix = make();
        self.shared_fixes
            .borrow_mut()
            .insert(at, (key, fix.clone()));
        fix
    }

    /// True when the rule with this code runs in this check.
    pub fn enabled(&self, code: &str) -> bool {
        self.enabled.contains(&code)
    }

    /// The effective value of a service key (merges and same-file `extends` followed).
    pub fn get(&self, service: &Service, key: &str) -> Option<Lookup> {
        self.compose.service_get(service, key).found()
    }

    /// The effective scalar value of a service key.
    pub fn scalar(&self, service: &Service, key: &str) -> Option<&'a str> {
        let doc: &'a Document = self.doc;
        self.get(service, key).and_then(|l| doc.scalar(l.resolved))
    }

    /// The image reference of a service, if it has one.
    pub fn image_ref(&self, service: &Service) -> Option<&'a str> {
        self.scalar(service, "image")
    }

    /// What composeguard knows about the service's image.
    pub fn image(&self, service: &Service) -> Option<Known> {
        self.image_ref(service).and_then(images::lookup)
    }

    /// The items of a sequence-valued key as (node, scalar text) pairs, with the lookup.
    pub fn list(&self, service: &Service, key: &str) -> Option<(Lookup, ListItems<'a>)> {
        let doc: &'a Document = self.doc;
        let lookup = self.get(service, key)?;
        if !matches!(doc.node(lookup.resolved).kind, NodeKind::Sequence(_)) {
            return None;
        }
        let items = doc
            .items(lookup.resolved)
            .iter()
            .map(|i| (*i, doc.scalar(*i)))
            .collect();
        Some((lookup, items))
    }

    /// Plans how `service` gets the `missing` items of the list-valued `key`, where that list
    /// may be one node that several services read (a `<<` merge of a shared block). An edit to
    /// a shared node must be right for each of them: the node gets only the items every
    /// service reading it is missing (once: the edit is the same in each service's fix), and a
    /// service that needs more gets a list of its own (a local key replaces the merged one, so
    /// it starts with the inherited items). A list inherited through `extends` is never
    /// edited: Compose appends the service's own list to it, so the service gets a key with
    /// just what it misses. `missing_for` says what another service would be missing (empty
    /// when the rule leaves it alone). None when the key holds something other than a list.
    pub(crate) fn plan_list(
        &self,
        service: &Service,
        key: &str,
        missing: &[NewValue],
        missing_for: impl Fn(&Service) -> Vec<NewValue>,
    ) -> Option<ListPlan> {
        let doc = self.doc;
        if missing.is_empty() {
            return Some(ListPlan::default());
        }
        let Some(lookup) = self.get(service, key) else {
            return Some(ListPlan {
                new_key: Some(missing.to_vec()),
                ..ListPlan::default()
            });
        };
        let seq = lookup.resolved;
        if !matches!(doc.node(seq).kind, NodeKind::Sequence(_)) {
            return None;
        }
        let direct = |s: &Service| s.body.and_then(|b| self.compose.get(b, key));
        if direct(service).is_none() {
            // Through `extends`: Compose appends this service's own list to the base's.
            return Some(ListPlan {
                new_key: Some(missing.to_vec()),
                ..ListPlan::default()
            });
        }
        let services = self.services.get_or_init(|| self.compose.services());
        let sharers: Vec<&Service> = services
            .iter()
            .filter(|s| direct(s).is_some_and(|l| l.resolved == seq))
            .collect();
        if sharers.len() <= 1 {
            return Some(ListPlan {
                edits: vec![append_values(doc, self.style, seq, missing)],
                ..ListPlan::default()
            });
        }
        // What every reader of the node is missing, in the first reader's order (so that each
        // reader's fix carries the very same edit).
        let needs: Vec<Vec<NewValue>> = sharers
            .iter()
            .map(|s| {
                if s.key == service.key {
                    missing.to_vec()
                } else {
                    missing_for(s)
                }
            })
            .collect();
        let common: Vec<NewValue> = needs[0]
            .iter()
            .filter(|item| needs.iter().all(|n| n.contains(item)))
            .cloned()
            .collect();
        let extra: Vec<NewValue> = missing
            .iter()
            .filter(|item| !common.contains(item))
            .cloned()
            .collect();
        let mut plan = ListPlan::default();
        if !common.is_empty() {
            plan.edits
                .push(append_values(doc, self.style, seq, &common));
        }
        if extra.is_empty() {
            return Some(plan);
        }
        if !lookup.inherited {
            // The service's own list, which others merge: its extras would reach them.
            plan.blocked = extra;
            return Some(plan);
        }
        let mut own: Vec<NewValue> = Vec::new();
        for item in doc.items(seq) {
            match doc.node(*item).kind {
                NodeKind::Scalar { .. } => own.push(NewValue::Raw(doc.text(*item).to_owned())),
                _ => {
                    plan.blocked = extra;
                    return Some(plan);
                }
            }
        }
        own.extend(common);
        own.extend(extra);
        plan.edits.clear();
        plan.new_key = Some(own);
        Some(plan)
    }

    /// The scalar items of a list-valued key as Compose loads it: the service's own list (or
    /// the one it merges), followed by those of the services of this file it `extends`
    /// (Compose appends lists across `extends`).
    pub fn list_with_bases(&self, service: &Service, key: &str) -> Vec<&'a str> {
        let doc: &'a Document = self.doc;
        let services = self.services.get_or_init(|| self.compose.services());
        let mut out = Vec::new();
        let mut current = Some(service);
        for _ in 0..32 {
            let Some(s) = current else { break };
            if let Some(l) = s.body.and_then(|b| self.compose.get(b, key))
                && matches!(doc.node(l.resolved).kind, NodeKind::Sequence(_))
            {
                out.extend(doc.items(l.resolved).iter().filter_map(|i| doc.scalar(*i)));
            }
            current = self.compose.same_file_base(s).and_then(|base| {
                services
                    .iter()
                    .find(|t| t.name == base && t.document == s.document)
            });
        }
        out
    }

    /// True when a service of this file that `extends` `service` (directly or not) sets one of
    /// `keys` itself: a value added to `service` would reach it through the merge.
    pub(crate) fn extended_by_one_setting(&self, service: &Service, keys: &[&str]) -> bool {
        let services = self.services.get_or_init(|| self.compose.services());
        services.iter().any(|s| {
            if s.key == service.key
                || !keys
                    .iter()
                    .any(|k| s.body.and_then(|b| self.compose.get(b, k)).is_some())
            {
                return false;
            }
            let mut at = self.compose.same_file_base(s);
            for _ in 0..32 {
                match at {
                    Some(base) if base == service.name => return true,
                    Some(base) => {
                        at = services
                            .iter()
                            .find(|t| t.name == base && t.document == s.document)
                            .and_then(|t| self.compose.same_file_base(t));
                    }
                    None => return false,
                }
            }
            false
        })
    }

    /// The user the service runs as: `user:` if set, else the image's known user.
    pub fn runs_as_root(&self, service: &Service) -> Option<bool> {
        match self.scalar(service, "user").map(user_setting) {
            Some(UserSetting::Variable) => None,
            Some(UserSetting::Root) => Some(true),
            Some(UserSetting::NonRoot) => Some(false),
            // `user: ""` (or only a group) means the image's own user.
            Some(UserSetting::ImageDefault) | None => self
                .image(service)
                .map(|k| k.image.runs != images::Runs::NonRoot),
        }
    }

    /// The byte span of a node.
    pub fn span(&self, id: NodeId) -> Range<usize> {
        let node = self.doc.node(id);
        node.start..node.end
    }
}

/// How a service gets the items it misses in a list (see [`Context::plan_list`]).
#[derive(Debug, Default)]
pub(crate) struct ListPlan {
    /// Edits to the list the service reads.
    pub edits: Vec<Edit>,
    /// A new key of the service's own with these items, when set.
    pub new_key: Option<Vec<NewValue>>,
    /// Items that cannot be added without changing what another service reads.
    pub blocked: Vec<NewValue>,
}

/// What a `user:` value means for the process's uid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserSetting {
    /// Empty (`user: ""`) or only a group (`:1000`): the image's own user.
    ImageDefault,
    /// `root`, `0`, `00`, `0:0`, `root:root`, `0:1000` and the like.
    Root,
    /// Any other user name or uid.
    NonRoot,
    /// Interpolated (`${UID}`): unknown until run time.
    Variable,
}

/// Reads a `user:` value the way the Engine does (a numeric uid with leading zeros is that
/// number, so `00` is root).
pub(crate) fn user_setting(user: &str) -> UserSetting {
    if user.contains('$') {
        return UserSetting::Variable;
    }
    let name = user.split(':').next().unwrap_or("").trim();
    if name.is_empty() {
        UserSetting::ImageDefault
    } else if name == "root"
        || (name.bytes().all(|b| b.is_ascii_digit()) && name.trim_start_matches('0').is_empty())
    {
        UserSetting::Root
    } else {
        UserSetting::NonRoot
    }
}

/// Normalises a capability name the way the Engine does (`cap_net_raw` = `NET_RAW`).
pub(crate) fn normalize_capability(cap: &str) -> String {
    let upper = cap.trim().to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map_or(upper.clone(), str::to_owned)
}
