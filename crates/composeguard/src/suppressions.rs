//! `# composeguard: ignore[CG101]` comments.
//!
//! - On a line: silences findings that start on that line (the codes listed, or all with a
//!   bare `ignore`).
//! - On a service's key line (`web: # composeguard: ignore[CG201]`): silences the service.
//! - `# composeguard: ignore-file[CG703]` anywhere: silences the whole file.
//!
//! A suppression that silences nothing is itself reported (CG001), so stale ones get removed.

use crate::diagnostic::Diagnostic;
use crate::document::Document;
use crate::rule::RuleMeta;
use crate::rules;

#[derive(Debug)]
struct Suppression {
    /// 1-based line of the comment.
    line: usize,
    /// Byte span of the comment.
    span: std::ops::Range<usize>,
    /// Codes (upper case) or names; empty = every rule.
    codes: Vec<String>,
    file: bool,
    used: bool,
}

impl Suppression {
    fn covers(&self, rule: &RuleMeta) -> bool {
        self.codes.is_empty() || self.codes.iter().any(|c| rules::matches(rule, c))
    }
}

fn parse(doc: &Document) -> Vec<Suppression> {
    let source = doc.source();
    let mut out = Vec::new();
    for comment in doc.comments() {
        let text = source[comment.span.clone()].trim_start_matches('#').trim();
        let Some(rest) = text.strip_prefix("composeguard:") else {
            continue;
        };
        let rest = rest.trim();
        let (file, rest) = match rest.strip_prefix("ignore-file") {
            Some(r) => (true, r),
            None => match rest.strip_prefix("ignore") {
                Some(r) => (false, r),
                None => continue,
            },
        };
        let codes = match rest
            .trim()
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
        {
            Some((list, _)) => list
                .split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
            None => Vec::new(),
        };
        out.push(Suppression {
            line: doc.lines().position(source, comment.span.start).line,
            span: comment.span.clone(),
            codes,
            file,
            used: false,
        });
    }
    out
}

/// Removes the suppressed diagnostics (and those of services ignored in `per_service`), and
/// reports unused suppressions when CG001 is among the `enabled` rules.
pub(crate) fn apply(
    doc: &Document,
    diagnostics: Vec<Diagnostic>,
    service_lines: &[(String, usize)],
    per_service: &[(String, Vec<String>)],
    enabled: &[&'static str],
) -> Vec<Diagnostic> {
    let mut suppressions = parse(doc);
    // In place: a large file's findings are thousands, and a second vector of them was a
    // tenth of a fix's memory.
    let mut kept = diagnostics;
    kept.retain(|d| {
        if let Some(service) = &d.service
            && let Some((_, ignored)) = per_service.iter().find(|(s, _)| **s == **service)
            && ignored.iter().any(|c| rules::matches(d.rule, c))
        {
            return false;
        }
        let service_line = d
            .service
            .as_ref()
            .and_then(|s| {
                service_lines
                    .binary_search_by(|(n, _)| n.as_str().cmp(s))
                    .ok()
                    .map(|i| &service_lines[i].1)
            })
            .copied();
        let mut silenced = false;
        for s in suppressions.iter_mut() {
            let place = s.file || s.line == d.start.line || Some(s.line) == service_line;
            if place && s.covers(d.rule) {
                s.used = true;
                silenced = true;
            }
        }
        !silenced
    });
    if enabled.contains(&rules::unused_suppression::UnusedSuppression::META.code) {
        for s in suppressions.iter().filter(|s| !s.used) {
            let what = if s.codes.is_empty() {
                "anything".to_owned()
            } else {
                // Like ruff's unused-noqa: say which codes are not even enabled in this run.
                let off: Vec<&str> = s
                    .codes
                    .iter()
                    .filter(|c| {
                        !rules::all().iter().any(|r| {
                            enabled.contains(&r.meta().code) && rules::matches(r.meta(), c)
                        })
                    })
                    .map(String::as_str)
                    .collect();
                if off.is_empty() {
                    s.codes.join(", ")
                } else {
                    format!("{} ({} not enabled)", s.codes.join(", "), off.join(", "))
                }
            };
            kept.push(Diagnostic::new(
                doc,
                rules::unused_suppression::UnusedSuppression::META,
                s.span.clone(),
                None,
                format!("this suppression does not silence {what}; remove it"),
            ));
        }
    }
    kept
}
