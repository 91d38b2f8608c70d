//! Options, rule selection, and running the selected rules over a document (the fix loop that
//! repeats this is [`crate::fix()`]).

mod decode;

pub use decode::decode;

use crate::compose::{Compose, Layout, Service};
use crate::context::Context;
use crate::diagnostic::Diagnostic;
use crate::document::{Document, InputLimits};
use crate::edit::Applicability;
use crate::error::Error;
use crate::rule::{Check, Rule, RuleMeta};
use crate::rules;
use crate::settings::{Preset, Settings, Target};
use crate::style::Style;

/// What to check and which fixes to apply.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Apply unsafe fixes too (safe ones are always applied by [`crate::fix()`]).
    pub unsafe_fixes: bool,
    /// Only these rules (codes, code prefixes or names); empty means the preset's.
    pub select: Vec<String>,
    /// The rule set used when `select` is empty.
    pub preset: Preset,
    /// Where the file is deployed (decides which forms a fix may use).
    pub target: Target,
    /// Never these rules (codes or names).
    pub ignore: Vec<String>,
    /// Values the fixes write.
    pub settings: Settings,
    /// Input limits.
    pub limits: InputLimits,
    /// Rules (codes, prefixes or names) ignored for some services: (service name, rules).
    pub per_service_ignore: Vec<(String, Vec<String>)>,
    /// The variables Compose interpolates the file with (the shell's over `.env`'s), as
    /// (name, value) pairs, the last of a name winning, for reading values such as
    /// `image: ${PG_IMAGE:-postgres:16}`; a variable not here is unset, so its default
    /// applies. Nothing interpolated is ever written back.
    pub environment: Vec<(String, String)>,
    /// The active profiles (`--profile`, `COMPOSE_PROFILES`): when set, the per-service rules
    /// check only the services Compose would start with them (those without `profiles:` and
    /// those of an active profile); when empty, every service, whatever its profiles.
    pub profiles: Vec<String>,
    /// Facts about the images services run, from outside the library (the lock file the CLI
    /// reads: the image's own config, what `learn` observed); see [`crate::images::ImageFacts`].
    /// The browser module is built without them (feature `facts`).
    #[cfg(feature = "facts")]
    pub image_facts: Vec<crate::images::ImageFacts>,
}

impl Options {
    /// The rules these options enable, in code order.
    pub fn rules(&self) -> Vec<&'static dyn Rule> {
        let matches =
            |r: &dyn Rule, list: &[String]| list.iter().any(|s| rules::matches(r.meta(), s));
        rules::all()
            .iter()
            .copied()
            .filter(|r| {
                if self.select.is_empty() {
                    self.preset.includes(r.meta())
                } else {
                    matches(*r, &self.select)
                }
            })
            .filter(|r| !matches(*r, &self.ignore))
            .collect()
    }

    /// The least applicability a fix needs to be applied.
    pub fn threshold(&self) -> Applicability {
        if self.unsafe_fixes {
            Applicability::Unsafe
        } else {
            Applicability::Safe
        }
    }
}

/// Checks `source` and returns every finding, in source order.
pub fn check(source: &str, options: &Options) -> Result<Vec<Diagnostic>, Error> {
    check_document(
        &Document::parse_with_limits(source, &options.limits)?,
        options,
    )
}

/// [`check()`] of a document already parsed with `options.limits` (a caller that parsed the
/// file to read something else first need not parse it twice).
pub fn check_document(doc: &Document, options: &Options) -> Result<Vec<Diagnostic>, Error> {
    run_rules(doc, options, None)
}

/// Runs the enabled rules over `doc`: every finding after suppressions, in source order.
/// With a layout, `doc` is a project's text: several files, each one or more YAML documents.
pub(crate) fn run_rules(
    doc: &Document,
    options: &Options,
    layout: Option<&Layout>,
) -> Result<Vec<Diagnostic>, Error> {
    let compose = Compose::with_layout(doc, layout)?;
    let services = compose.services();
    if services.len() > options.limits.max_services {
        return Err(Error::TooManyServices {
            count: services.len(),
            limit: options.limits.max_services,
        });
    }
    let style = Style::detect(doc);
    let enabled: Vec<&'static str> = options.rules().iter().map(|r| r.meta().code).collect();
    // A check runs when one of its rules is enabled; it reports under the first of them
    // (a check with several rules says which one each finding is for).
    let checks: Vec<(&dyn Check, &'static RuleMeta)> = rules::CHECKS
        .iter()
        .filter_map(|(check, rules)| {
            let first = rules.iter().find(|r| enabled.contains(&r.meta().code))?;
            Some((*check, first.meta()))
        })
        .collect();
    let mut cx = Context::new(doc, compose, &services, &style, options, enabled);
    for (check, rule) in &checks {
        cx.run(rule, None);
        check.check_file(&mut cx);
    }
    let active = |cx: &Context<'_>, service: &Service| {
        options.profiles.is_empty() || {
            let profiles = cx.list_with_bases(service, "profiles");
            profiles.is_empty()
                || profiles
                    .iter()
                    .any(|p| options.profiles.iter().any(|a| a == "*" || a == p))
        }
    };
    for service in &services {
        if !active(&cx, service) {
            continue;
        }
        for (check, rule) in &checks {
            cx.run(rule, Some(service));
            check.check_service(&mut cx, service);
        }
    }
    let (diagnostics, enabled) = cx.finish();
    let mut service_lines: Vec<(String, usize)> = services
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                doc.lines()
                    .position(doc.source(), doc.node(s.key).start)
                    .line,
            )
        })
        .collect();
    crate::sort::sort_by(&mut service_lines, |a, b| a.0.cmp(&b.0));
    let mut diagnostics = crate::suppressions::apply(
        doc,
        diagnostics,
        &service_lines,
        &options.per_service_ignore,
        &enabled,
    );
    crate::sort::sort_by(&mut diagnostics, |a, b| {
        (a.range.start, a.rule.code).cmp(&(b.range.start, b.rule.code))
    });
    Ok(diagnostics)
}
