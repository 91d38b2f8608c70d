//! What a rule reports.

use std::ops::Range;

use crate::document::Document;
use crate::edit::{Applicability, Fix};
use crate::lines::Position;
use crate::rule::RuleMeta;

/// One finding: a rule, a place in the file, a message, and maybe a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule that reported it.
    pub rule: &'static RuleMeta,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Byte range in the text the rule checked.
    pub range: Range<usize>,
    /// Start of `range`, 1-based.
    pub start: Position,
    /// End of `range`, 1-based.
    pub end: Position,
    /// The service concerned, if any.
    pub service: Option<String>,
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
        service: Option<String>,
        message: String,
    ) -> Diagnostic {
        let source = doc.source();
        Diagnostic {
            rule,
            message,
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
