//! `composeguard fix --verify`: apply only the fixes that keep the stack starting.
//!
//! The file is started as written and as fixed (as `verify` does). For each service that
//! started as written and no longer starts fixed, its fixes (one per rule) are bisected: the
//! fixed stack is started again with some of them held back, every broken service searched in
//! the same start, until each starts again. The fixes found are held back (the rules are
//! ignored for that service) and everything else is applied by the ordinary `fix`.

use std::collections::BTreeMap;

use anstream::eprintln;
use composeguard::Options;
use serde::Serialize;

use crate::ExitStatus;
use crate::args::FixArgs;
use crate::commands::fix::{hold_back, run_holding_back};
use crate::commands::verify::{self, Request, Run, Stage, VerifyError};
use crate::error::Error;
use crate::resolve;

/// What was held back for one service, and why.
#[derive(Debug, Clone, Serialize)]
pub struct HeldBack {
    /// The service.
    pub service: String,
    /// The rules whose fixes it does not get.
    pub rules: Vec<String>,
    /// The log line that pointed at the cause, when one did.
    pub cause: Option<String>,
    /// True when it did not start even with all its own fixes held back (a service it
    /// depends on is the likely cause): nothing was held back for it.
    pub not_its_own: bool,
    /// When CG101 broke it: its image and the capabilities found by starting it with fewer,
    /// with which CG101 is applied after all (`cap_drop: [ALL]` and these added back).
    pub caps: Option<(String, Vec<String>)>,
}

/// Runs `fix --verify`.
pub fn run(args: &FixArgs) -> Result<ExitStatus, Error> {
    let mut options = resolve::resolve(&args.common)?.options;
    if args.secrets_env_file.is_some() {
        options.settings.secrets_env_file = args.secrets_env_file.clone();
    }
    let paths = if args.common.files.is_empty() {
        &args.common.paths
    } else {
        &args.common.files
    };
    let Some(file) = verify::one_file(
        paths,
        &args.common.env_file,
        !args.common.no_lock,
        &mut options,
    )?
    else {
        return Ok(ExitStatus::Error);
    };
    let input = &file.input;
    let request = Request {
        path: &input.path,
        display: &input.display,
        text: &file.text,
        options: &options,
        settle: args.settle,
        timeout: args.timeout,
        progress: verify::show_progress(args.common.quiet),
        restart: true,
    };
    let held = match bisect(&request) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::Error);
        }
    };
    if !args.common.quiet {
        eprint!("{}", report(&input.display, &held));
    }
    let ignores: Vec<(String, Vec<String>)> = held
        .iter()
        .filter(|h| !h.rules.is_empty())
        .map(|h| (h.service.clone(), h.rules.clone()))
        .collect();
    let caps: Vec<(String, Vec<String>)> = held.iter().filter_map(|h| h.caps.clone()).collect();
    run_holding_back(args, &ignores, &caps)
}

/// The codes of the fixes the options apply to each service.
fn fixes_by_service(
    outcome: &composeguard::FixOutcome,
    options: &Options,
) -> BTreeMap<String, Vec<String>> {
    let threshold = options.threshold();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in &outcome.diagnostics {
        let (Some(service), Some(applicability)) = (&d.service, d.applicability()) else {
            continue;
        };
        if applicability >= threshold {
            let codes = out.entry(service.to_string()).or_default();
            if !codes.iter().any(|c| c == d.code()) {
                codes.push(d.code().to_owned());
            }
        }
    }
    out
}

/// Where the search for one broken service stands.
enum Search {
    /// Hold back these; if it starts, done.
    Check,
    /// The culprit is among these (given what is held already).
    Among(Vec<String>),
    Done,
}

/// Finds, for every service the fixes break, the fixes to hold back.
pub fn bisect(request: &Request<'_>) -> Result<Vec<HeldBack>, VerifyError> {
    let options = request.options;
    let outcome = verify::fixed(request, options)?;
    let fixes = fixes_by_service(&outcome, options);
    let mut stage = Stage::new(request.path, "verify")?.pristine_binds();
    let (reports, _, _) = verify::before_after(&mut stage, request, &outcome)?;
    let broken: Vec<&verify::ServiceReport> = reports.iter().filter(|r| r.broke).collect();
    if broken.is_empty() {
        return Ok(Vec::new());
    }
    let mut held: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut searches: BTreeMap<String, Search> = BTreeMap::new();
    let mut out: Vec<HeldBack> = Vec::new();
    // First: every broken service with all its own fixes held back. One that still does not
    // start is broken by another service's fixes (a dependency), not its own.
    let all: Vec<(String, Vec<String>)> = broken
        .iter()
        .map(|r| {
            (
                r.service.clone(),
                fixes.get(&r.service).cloned().unwrap_or_default(),
            )
        })
        .collect();
    let runs = start_holding(&mut stage, request, &all, &[], "hold-all")?;
    let cause = |r: &verify::ServiceReport| {
        r.likely_cause
            .as_ref()
            .map(|c| format!("{}: {}", c.fix, c.line))
    };
    for r in &broken {
        let codes = fixes.get(&r.service).cloned().unwrap_or_default();
        if started(&runs, &r.service) && !codes.is_empty() {
            searches.insert(r.service.clone(), Search::Among(codes));
            held.insert(r.service.clone(), Vec::new());
        } else {
            out.push(HeldBack {
                service: r.service.clone(),
                rules: Vec::new(),
                cause: cause(r),
                not_its_own: true,
                caps: None,
            });
        }
    }
    let mut round = 0;
    while searches.values().any(|s| !matches!(s, Search::Done)) {
        round += 1;
        // A search among one fix has found it: held back, then checked.
        for (service, search) in searches.iter_mut() {
            if let Search::Among(c) = search
                && c.len() == 1
            {
                held.entry(service.clone()).or_default().push(c[0].clone());
                *search = Search::Check;
            }
        }
        let trials: Vec<(String, Vec<String>)> = searches
            .iter()
            .filter_map(|(service, search)| {
                let mut trial = held.get(service).cloned().unwrap_or_default();
                match search {
                    Search::Check => {}
                    Search::Among(c) => trial.extend(c[..c.len() / 2].iter().cloned()),
                    Search::Done => return None,
                }
                Some((service.clone(), trial))
            })
            .chain(
                held.iter()
                    .filter(|(s, _)| matches!(searches.get(*s), Some(Search::Done)))
                    .map(|(s, h)| (s.clone(), h.clone())),
            )
            .collect();
        let runs = start_holding(
            &mut stage,
            request,
            &trials,
            &[],
            &format!("bisect-{round}"),
        )?;
        for (service, search) in searches.iter_mut() {
            let ok = started(&runs, service);
            *search = match std::mem::replace(search, Search::Done) {
                Search::Check if ok => Search::Done,
                Search::Check => {
                    let h = held.get(service).cloned().unwrap_or_default();
                    let rest: Vec<String> = fixes
                        .get(service)
                        .into_iter()
                        .flatten()
                        .filter(|c| !h.contains(c))
                        .cloned()
                        .collect();
                    if rest.is_empty() {
                        Search::Done
                    } else {
                        Search::Among(rest)
                    }
                }
                Search::Among(c) => {
                    let (first, second) = c.split_at(c.len() / 2);
                    Search::Among(if ok { first.to_vec() } else { second.to_vec() })
                }
                Search::Done => Search::Done,
            };
        }
    }
    for r in &broken {
        if let Some(rules) = held.remove(&r.service) {
            out.push(HeldBack {
                service: r.service.clone(),
                rules,
                cause: cause(r),
                not_its_own: false,
                caps: None,
            });
        }
    }
    add_back(&mut stage, request, &mut out)?;
    out.sort_by(|a, b| a.service.cmp(&b.service));
    Ok(out)
}

/// For each service CG101 broke, the capabilities to add back under `cap_drop: [ALL]`: found
/// by starting it with fewer of Docker's defaults (with everything else held back as found),
/// then checked once with all of them; CG101 is applied with them when that start passes.
fn add_back(
    stage: &mut Stage,
    request: &Request<'_>,
    held: &mut [HeldBack],
) -> Result<(), VerifyError> {
    let file = composeguard::project::ProjectFile {
        path: request.display.to_owned(),
        text: request.text.to_owned(),
        role: composeguard::project::Role::Compose,
    };
    let images: BTreeMap<String, String> =
        composeguard::project::service_images(std::slice::from_ref(&file), request.options)
            .map(|i| i.into_iter().collect())
            .unwrap_or_default();
    // One service per image: the facts are the image's.
    let mut searched: BTreeMap<String, String> = BTreeMap::new();
    for h in held.iter() {
        if let Some(image) = images.get(&h.service)
            && h.rules.iter().any(|r| r == "CG101")
            && !searched.values().any(|i| i == image)
        {
            searched.insert(h.service.clone(), image.clone());
        }
    }
    if searched.is_empty() {
        return Ok(());
    }
    // Everything held back stays so, but CG101 of the services searched.
    let ignores: Vec<(String, Vec<String>)> = held
        .iter()
        .map(|h| {
            let rules = h
                .rules
                .iter()
                .filter(|r| !(*r == "CG101" && searched.contains_key(&h.service)))
                .cloned()
                .collect();
            (h.service.clone(), rules)
        })
        .collect();
    let all: Vec<String> = super::learn::DEFAULT_CAPS
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    let starts = searched
        .keys()
        .map(|s| (s.clone(), (all.clone(), None)))
        .collect();
    let mut start_with = |trials: &BTreeMap<String, Vec<String>>,
                          label: &str|
     -> Result<BTreeMap<String, bool>, VerifyError> {
        let caps: Vec<(String, Vec<String>)> = trials
            .iter()
            .map(|(s, c)| (searched[s].clone(), c.clone()))
            .collect();
        let runs = start_holding(stage, request, &ignores, &caps, label)?;
        Ok(trials
            .keys()
            .map(|s| (s.clone(), started(&runs, s)))
            .collect())
    };
    let found = super::learn::search_caps(starts, &mut start_with)?;
    let checked = start_with(&found, "caps-check")?;
    for h in held.iter_mut() {
        if let Some(caps) = found.get(&h.service)
            && checked.get(&h.service).copied().unwrap_or(false)
        {
            h.rules.retain(|r| r != "CG101");
            h.caps = Some((searched[&h.service].clone(), caps.clone()));
        }
    }
    Ok(())
}

fn started(runs: &BTreeMap<String, Run>, service: &str) -> bool {
    runs.get(service).is_some_and(|r| r.started)
}

/// Starts the file fixed with these fixes held back and these images' capabilities.
fn start_holding(
    stage: &mut Stage,
    request: &Request<'_>,
    held: &[(String, Vec<String>)],
    caps: &[(String, Vec<String>)],
    label: &str,
) -> Result<BTreeMap<String, Run>, VerifyError> {
    let mut options = request.options.clone();
    hold_back(&mut options, held);
    crate::commands::fix::add_caps(&mut options, caps);
    let outcome = verify::fixed(request, &options)?;
    let ran = stage.run(
        label,
        &outcome.output,
        &outcome.files,
        request,
        &mut |_, _, _| Ok(()),
    )?;
    Ok(ran.runs)
}

fn report(file: &str, held: &[HeldBack]) -> String {
    if held.is_empty() {
        return format!(
            "fix --verify {file}: every service that started as written starts fixed\n"
        );
    }
    let mut out = format!("fix --verify {file}:\n");
    for h in held {
        if h.not_its_own {
            out.push_str(&format!(
                "  {}: does not start fixed even with its own fixes held back; a service it depends on is the likely cause\n",
                h.service
            ));
            continue;
        }
        if let Some((image, caps)) = &h.caps {
            out.push_str(&format!(
                "  {}: CG101 applied with {} added back to `cap_drop: [ALL]`, found by starting it with fewer (its logs: {}); `composeguard learn` records this for `{image}` in the lock file\n",
                h.service,
                if caps.is_empty() { "nothing".to_owned() } else { caps.join(", ") },
                h.cause.as_deref().unwrap_or("no line named a cause")
            ));
            if h.rules.is_empty() {
                continue;
            }
        }
        let rules: Vec<String> = h
            .rules
            .iter()
            .map(|code| {
                composeguard::rules::all()
                    .iter()
                    .find(|r| r.meta().code == code)
                    .map_or_else(|| code.clone(), |r| format!("{code} {}", r.meta().name))
            })
            .collect();
        out.push_str(&format!("  {}: held back {}", h.service, rules.join(", ")));
        match &h.cause {
            Some(c) => out.push_str(&format!(" (its logs: {c})\n")),
            None => out.push_str(": it does not start with them\n"),
        }
        if h.rules.iter().any(|r| r == "CG101") {
            out.push_str(
                "    `composeguard learn` finds the capabilities it needs; `fix` then drops ALL and adds those back\n",
            );
        }
        out.push_str(&format!(
            "    to keep it so, add `# composeguard: ignore[{}]` after `{}:`, or `[services.{}] ignore = [{}]` to composeguard.toml\n",
            h.rules.join(", "),
            h.service,
            h.service,
            h.rules
                .iter()
                .map(|r| format!("\"{r}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out
}
