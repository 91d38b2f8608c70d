//! What a rule is: its metadata (code, name, docs, fix availability, CIS item, the presets it
//! belongs to), declared once with [`declare_rule!`], and the checks it runs.
//!
//! A rule file holds one `declare_rule!` (its doc comment is the rule's documentation) and one
//! `impl Check`; `rules/mod.rs` lists it once in the registry. The engine owns the loops: it
//! calls [`Check::check_file`] once and [`Check::check_service`] for every service, and tells
//! the context which rule is running, so a rule reports with `cx.report(range, message)`.

use crate::compose::Service;
use crate::context::Context;
use crate::settings::Preset;

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
    /// The smallest preset that includes the rule (presets are nested: every baseline rule is
    /// recommended, every recommended rule is strict).
    pub preset: Preset,
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
        preset: Preset,
        raw_docs: &'static str,
    ) -> RuleMeta {
        RuleMeta {
            code,
            name,
            summary,
            fix,
            cis,
            preset,
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

/// A rule's metadata, implemented by [`declare_rule!`].
pub trait Rule: Sync {
    /// The rule's metadata.
    fn meta(&self) -> &'static RuleMeta;
}

/// What a rule checks. The engine calls `check_file` once, then `check_service` for each
/// service, with the context reporting under the rule being run.
pub(crate) trait Check: Sync {
    /// Checks what belongs to the whole file (top-level keys, file-wide fixes).
    fn check_file(&self, _cx: &mut Context<'_>) {}
    /// Checks one service.
    fn check_service(&self, _cx: &mut Context<'_>, _service: &Service) {}
}

/// Declares a rule type whose doc comment becomes its documentation (after biome's
/// `declare_lint_rule!`): the unit struct, its metadata static and its [`Rule`] impl.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $name:ident {
            code: $code:literal,
            name: $rule_name:literal,
            summary: $summary:literal,
            fix: $fix:ident,
            cis: $cis:expr,
            preset: $preset:ident $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        $vis struct $name;

        impl $name {
            /// The rule's metadata: one static, so its documentation is in the binary once.
            pub const META: &'static $crate::rule::RuleMeta = {
                static META: $crate::rule::RuleMeta = $crate::rule::RuleMeta::new(
                    $code,
                    $rule_name,
                    $summary,
                    $crate::rule::FixAvailability::$fix,
                    $cis,
                    $crate::settings::Preset::$preset,
                    $crate::rule::rule_docs!($($doc)*),
                );
                &META
            };
        }

        impl $crate::rule::Rule for $name {
            fn meta(&self) -> &'static $crate::rule::RuleMeta {
                Self::META
            }
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
