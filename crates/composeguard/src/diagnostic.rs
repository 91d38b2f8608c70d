//! What a rule reports.

use std::ops::Range;
use std::sync::Arc;

use crate::document::Document;
use crate::edit::{Applicability, Fix};
use crate::lines::Position;
use crate::rule::RuleMeta;

/// One finding: a rule, a place in the file, a message, and maybe a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule that reported it.
    pub rule: &'static RuleMeta,
    /// What is wrong, in one sentence (shared by copies: a finding a fix pass carries
    /// into its output is the same finding).
    pub message: Arc<str>,
    /// Byte range in the text the rule checked.
    pub range: Range<usize>,
    /// Start of `range`, 1-based.
    pub start: Position,
    /// End of `range`, 1-based.
    pub end: Position,
    /// The service concerned, if any (one name shared by the service's findings).
    pub service: Option<Arc<str>>,
    /// The proposed fix, if any.
    pub fix: Option<Fix>,
    /// A sensitive value this finding is about: never shown, but masked wherever the caller
    /// prints text that may contain it (diffs).
    pub secret: Option<String>,
}

impl Diagnostic {
    /// A finding of `rule` on `range` of `doc`, without a fix.
    pub fn new(
        doc: &Document,
        rule: &'static RuleMeta,
        range: Range<usize>,
        service: Option<Arc<str>>,
        message: impl Into<Arc<str>>,
    ) -> Diagnostic {
        let source = doc.source();
        Diagnostic {
            rule,
            message: message.into(),
            start: doc.lines().position(source, range.start),
            end: doc.lines().position(source, range.end),
            range,
            service,
            fix: None,
            secret: None,
        }
    }

    /// The rule's code, e.g. `CG101`.
    pub fn code(&self) -> &'static str {
        self.rule.code
    }

    /// Attaches a fix.
    pub fn set_fix(&mut self, fix: Fix) -> &mut Diagnostic {
        self.fix = Some(fix);
        self
    }

    /// The fix's applicability, if there is a fix.
    pub fn applicability(&self) -> Option<Applicability> {
        self.fix.as_ref().map(Fix::applicability)
    }
}
