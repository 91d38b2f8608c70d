//! Rules: each one reads the effective compose model and reports diagnostics with fixes that
//! edit the source spans. One file per rule; the rule's doc comment is its documentation
//! (`composeguard rule CODE` prints it, and its examples are run as tests).

use std::ops::Range;

use crate::compose::{Compose, Service};
use crate::diagnostic::Diagnostic;
use crate::document::{Document, NodeId};
use crate::settings::Settings;
use crate::style::Style;

mod cap_drop_all;
mod log_rotation;
mod no_new_privileges;

pub use cap_drop_all::CapDropAll;
pub use log_rotation::LogRotation;
pub use no_new_privileges::NoNewPrivileges;

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

    /// The rule's documentation in Markdown (from its doc comment).
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
            /// The rule's metadata.
            pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta::new(
                $code,
                $rule_name,
                $summary,
                $crate::rules::FixAvailability::$fix,
                $cis,
                concat!($($doc, "\n"),*),
            );
        }
    };
}
pub(crate) use declare_rule;

/// A check over a compose file.
pub trait Rule: Sync {
    /// The rule's metadata.
    fn meta(&self) -> &'static RuleMeta;
    /// Reports findings into `cx`.
    fn check(&self, cx: &mut Context<'_>);
}

/// Every rule, in code order.
pub fn all() -> &'static [&'static dyn Rule] {
    &[&CapDropAll, &NoNewPrivileges, &LogRotation]
}

/// Looks a rule up by code (`CG101`) or name (`cap-drop-all`), case-insensitively.
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    all().iter().copied().find(|r| {
        r.meta().code.eq_ignore_ascii_case(code_or_name)
            || r.meta().name.eq_ignore_ascii_case(code_or_name)
    })
}

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
    pub(crate) diagnostics: Vec<Diagnostic>,
}

impl<'a> Context<'a> {
    /// Every service of the file.
    pub fn services(&self) -> Vec<Service> {
        self.compose.services()
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

    /// The byte span of a node.
    pub fn span(&self, id: NodeId) -> Range<usize> {
        let node = self.doc.node(id);
        node.start..node.end
    }
}

/// Normalises a capability name the way the Engine does (`cap_net_raw` = `NET_RAW`).
pub(crate) fn normalize_capability(cap: &str) -> String {
    let upper = cap.trim().to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map_or(upper.clone(), str::to_owned)
}
