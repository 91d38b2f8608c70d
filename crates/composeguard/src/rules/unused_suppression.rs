use crate::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports `# composeguard: ignore[...]` comments that silence nothing.
    ///
    /// ## Why is this bad?
    /// A stale suppression hides the next real finding on that line or service, and tells a
    /// reader that something is wrong when it is not.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app: # composeguard: ignore[CG104]
    ///     image: example/app:1
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1
    /// ```
    ///
    /// ## Fix safety
    /// No fix: delete the comment (or the codes it no longer needs).
    ///
    /// ## References
    /// Suppressions: `# composeguard: ignore[CODE,...]` on a line or on a service's key line,
    /// `# composeguard: ignore-file[CODE,...]` anywhere; a bare `ignore` covers every rule.
    pub struct UnusedSuppression {
        code: "CG001",
        name: "unused-suppression",
        summary: "Remove suppression comments that silence nothing",
        fix: None,
        cis: None,
        preset: Recommended,
    }
}

/// Reported by the engine after every other rule has run (see `suppressions`).
impl Check for UnusedSuppression {}
