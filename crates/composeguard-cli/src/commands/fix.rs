//! `composeguard fix`: apply fixes in place, or show them as a diff or the fixed document.

use anstream::{eprintln, print};
use composeguard::{FixOutcome, Options, masking};

use super::Located;
use super::{Tally, file_error, plural};
use crate::ExitStatus;
use crate::args::FixArgs;
use crate::commands::check::project_options;
use crate::environment::Environment;
use crate::error::Error;
use crate::parallel::in_parallel;
use crate::{files, output, projects, resolve, secrets};
use composeguard::project::Role;

/// Fixes every file, or prints the diff or the fixed document: `Failure` when findings remain
/// or a diff shows changes, `Error` when a file could not be fixed or written (then nothing
/// is written).
pub fn run(args: &FixArgs) -> Result<ExitStatus, Error> {
    if args.verify {
        return super::fix_verify::run(args);
    }
    run_holding_back(args, &[], &[])
}

/// Sets the capabilities of images in the options' facts (an entry of the lock file keeps
/// the rest of what it says).
pub fn add_caps(options: &mut Options, caps: &[(String, Vec<String>)]) {
    for (reference, caps) in caps {
        match options
            .image_facts
            .iter_mut()
            .find(|f| f.matches(reference))
        {
            Some(f) => f.caps = Some(caps.clone()),
            None => options.image_facts.push(composeguard::images::ImageFacts {
                reference: reference.clone(),
                caps: Some(caps.clone()),
                ..Default::default()
            }),
        }
    }
}

/// Adds rules to ignore per service to the options (the library reads one entry per service).
pub fn hold_back(options: &mut Options, held: &[(String, Vec<String>)]) {
    for (service, rules) in held {
        match options
            .per_service_ignore
            .iter_mut()
            .find(|(s, _)| s == service)
        {
            Some((_, ignored)) => ignored.extend(rules.iter().cloned()),
            None => options
                .per_service_ignore
                .push((service.clone(), rules.clone())),
        }
    }
}

/// [`run`] with some fixes held back (the rules given per service are ignored for it) and the
/// capabilities some images need (image reference, capabilities: `fix --verify` found them).
pub fn run_holding_back(
    args: &FixArgs,
    held: &[(String, Vec<String>)],
    caps: &[(String, Vec<String>)],
) -> Result<ExitStatus, Error> {
    let mut options = resolve::resolve(&args.common)?.options;
    hold_back(&mut options, held);
    if args.secrets_env_file.is_some() {
        options.settings.secrets_env_file = args.secrets_env_file.clone();
    }
    let projects = projects::collect(
        &args.common.paths,
        &args.common.files,
        args.common.project_directory.as_deref(),
    )?;
    let stdin_count = projects
        .iter()
        .flat_map(|p| &p.members)
        .filter(|m| m.input.is_stdin())
        .count();
    if stdin_count > 1 {
        return Err(Error::StdinTwice);
    }
    let printed = projects
        .iter()
        .filter(|p| args.stdout || (p.members.iter().any(|m| m.input.is_stdin()) && !args.diff))
        .count();
    if printed > 1 {
        let names: Vec<&str> = projects
            .iter()
            .flat_map(|p| &p.members)
            .map(|m| m.input.display.as_str())
            .collect();
        return Err(Error::StdoutSeveral {
            count: names.len(),
            names: names.join(", "),
        });
    }
    if args.into.is_some() && options.target == composeguard::Target::Swarm {
        return Err(Error::IntoSwarm);
    }
    if args.into.is_some() && projects.len() > 1 {
        return Err(Error::IntoSeveral {
            count: projects.len(),
        });
    }
    let environment = Environment::load(&args.common.env_file).map_err(Error::EnvFile)?;
    // Compute every result first: if any file fails, nothing is written at all.
    let outcomes = in_parallel(&projects, |project| {
        let failed = |e: projects::LoadFailure| {
            let (at, message) = e.located();
            (e.display, at, message)
        };
        let mut options = project_options(&environment, !args.common.no_lock, project, &options)
            .map_err(failed)?;
        add_caps(&mut options, caps);
        let mut loaded =
            projects::load(project, options.limits.max_bytes, &options).map_err(failed)?;
        let outcomes = match &args.into {
            Some(into) => fix_into(&mut loaded, into, &options)?,
            None => fix_project(&loaded, &options)?,
        };
        Ok::<_, (String, String, String)>((loaded, outcomes))
    });
    let outcomes: Vec<_> = outcomes.into_iter().map(|r| ((), r)).collect();
    let mut loaded_projects = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    for ((), outcome) in outcomes {
        match outcome {
            Ok(done) => loaded_projects.push(done),
            Err((display, at, message)) => {
                file_error(&at, message);
                failed.push(display);
            }
        }
    }
    // A file another project of the scan includes or extends from is fixed there.
    let drop: Vec<bool> = {
        let all: Vec<&projects::LoadedProject> = loaded_projects.iter().map(|(p, _)| p).collect();
        all.iter()
            .map(|p| projects::part_of_another(p, &all))
            .collect()
    };
    let mut index = 0;
    loaded_projects.retain(|_| {
        index += 1;
        !drop[index - 1]
    });
    // `--stdout` prints the files Compose merges (not those read for `include` or `extends`).
    let merged =
        |p: &projects::LoadedProject| p.members.iter().filter(|m| m.role == Role::Compose).count();
    let several = loaded_projects.iter().any(|(p, _)| merged(p) > 1);
    let mut printed: Vec<bool> = Vec::new();
    let mut results: Vec<(&files::Input, &str, &FixOutcome)> = Vec::new();
    let mut identities: Vec<Option<files::Identity>> = Vec::new();
    for (project, outcomes) in &loaded_projects {
        for (((member, text), identity), outcome) in project
            .members
            .iter()
            .zip(&project.texts)
            .zip(&project.identities)
            .zip(&outcomes.files)
        {
            // A file read for `extends` is never changed; its findings are shown.
            printed.push(member.role == Role::Compose);
            identities.push(*identity);
            results.push((&member.input, text, outcome));
        }
    }
    if !failed.is_empty() {
        if !args.diff && !args.stdout && (results.len() + failed.len()) > 1 {
            eprintln!(
                "No file was written, because {} could not be processed.",
                failed.join(", ")
            );
        }
        return Ok(ExitStatus::Error);
    }
    let mut remaining = Tally::default();
    let fixed: usize = loaded_projects.iter().map(|(_, o)| o.fixed).sum();
    let mut changed_files = 0;
    let last_printed = printed.iter().rposition(|p| *p);
    for (n, (input, text, outcome)) in results.iter().enumerate() {
        remaining.add(&outcome.remaining);
        let changed = outcome.changed(text);
        changed_files += usize::from(changed);
        if (args.stdout || (input.is_stdin() && !args.diff)) && !printed[n] {
            // Not part of the stream: its findings are printed below.
        } else if args.stdout || (input.is_stdin() && !args.diff) {
            if several {
                // One YAML stream, a document per file, each named: Compose merges the
                // documents of a stream as it merges `-f` files.
                print!("# {}\n{}", input.display, outcome.output);
                if !outcome.output.ends_with('\n') {
                    println!();
                }
                if last_printed.is_some_and(|last| last != n) {
                    println!("---");
                }
            } else {
                print!("{}", outcome.output);
            }
        } else if args.diff {
            let path = output::diff_path(&input.path);
            let mut diff = output::with_headers(&outcome.diff(text, &path), &path);
            if !input.path.exists() && !diff.is_empty() {
                // The override `--into` would create: a diff git and patch apply as a new file.
                if let Some(at) = diff.find('\n') {
                    diff.replace_range(..at, "--- /dev/null");
                }
            }
            if args.show_secrets {
                print!("{diff}");
            } else {
                print!("{}", masked_diff(&diff, text, outcome, &options));
            }
        }
        if !args.common.quiet && !outcome.remaining.is_empty() {
            // Written in chunks of about 64 KB: colour stripping per line was a fifth of a
            // 500-service run, and one string of every line was 6 MB at 5,000 services.
            const CHUNK: usize = 64 * 1024;
            let styled = output::styled(&std::io::stderr());
            let mut lines = String::with_capacity(CHUNK + 1024);
            for d in &outcome.remaining {
                lines.push_str(&output::concise_styled(&input.display, d, styled));
                lines.push('\n');
                if lines.len() >= CHUNK {
                    output::write_stderr(&lines);
                    lines.clear();
                }
            }
            output::write_stderr(&lines);
        }
    }
    let writes = !args.diff && !args.stdout;
    // Secret files: check every one before anything is written, then write them first, so
    // the compose file never points at a missing file.
    let mut plans = Vec::new();
    for (input, _, outcome) in &results {
        if outcome.files.is_empty() {
            continue;
        }
        if !writes || input.is_stdin() {
            for f in &outcome.files {
                eprintln!(
                    "Would write {} (mode 0600); nothing written.",
                    secrets::shown(input, f)
                );
            }
            continue;
        }
        match secrets::plan(input, &outcome.files) {
            Ok(plan) => plans.push(plan),
            Err(message) => {
                file_error(&input.display, format!("{message}; no file was written"));
                return Ok(ExitStatus::Error);
            }
        }
    }
    for plan in &plans {
        for line in &plan.warnings {
            eprintln!("{line}");
        }
    }
    // Every compose file prepared (checked, new content beside it) before anything is written.
    let mut prepared = Vec::new();
    let mut created: Vec<(&files::Input, String)> = Vec::new();
    if writes {
        for ((input, text, outcome), identity) in results.iter().zip(&identities) {
            if input.is_stdin() || !outcome.changed(text) {
                continue;
            }
            if !input.path.exists() {
                // The override `--into` creates: written after the secret files.
                created.push((*input, outcome.output.clone()));
                continue;
            }
            match files::prepare(
                &input.path,
                &input.display,
                text,
                *identity,
                &outcome.output,
            ) {
                Ok(p) => prepared.push(p),
                Err(e) => {
                    file_error(
                        &input.display,
                        format!("cannot write the fixed file: {e}; no file was written"),
                    );
                    return Ok(ExitStatus::Error);
                }
            }
        }
    }
    // Secret files first, so the compose file never points at a missing file.
    let mut undo = secrets::Undo::default();
    for plan in &plans {
        if let Err(message) = secrets::write(plan, args.gitignore_secrets, &mut undo) {
            eprintln!("{e_}error:{e_:#} {message}", e_ = output::code_style());
            report_undo(undo);
            return Ok(ExitStatus::Error);
        }
    }
    for (input, content) in &created {
        if let Err(e) = files::create(&input.path, content) {
            file_error(&input.display, format!("cannot write the override: {e}"));
            report_undo(undo);
            return Ok(ExitStatus::Error);
        }
    }
    if let Err(failure) = files::commit(prepared) {
        report_commit_failure(&failure);
        report_undo(undo);
        return Ok(ExitStatus::Error);
    }
    if !args.common.quiet {
        for plan in &plans {
            for line in &plan.report {
                eprintln!("{line}");
            }
        }
    }
    if !args.common.quiet {
        let verb = if args.diff || args.stdout {
            "Would fix"
        } else {
            "Fixed"
        };
        let mut line = if fixed > 0 {
            format!(
                "{verb} {} in {}.",
                plural(fixed, "finding"),
                plural(changed_files, "file")
            )
        } else {
            "Nothing to fix.".to_owned()
        };
        if remaining.findings > 0 {
            line.push_str(&format!(
                " {} remaining",
                plural(remaining.findings, "finding")
            ));
            if remaining.unsafe_ > 0 && !options.unsafe_fixes {
                line.push_str(&format!(
                    " ({} fixable with `--unsafe-fixes`)",
                    remaining.unsafe_
                ));
            }
            line.push('.');
        }
        eprintln!("{line}");
        if let (Some(into), Some((project, _))) = (&args.into, loaded_projects.first())
            && fixed > 0
        {
            // How to run the project with the override (it is the last member).
            let files: Vec<&str> = project
                .members
                .iter()
                .filter(|m| m.role == Role::Compose)
                .map(|m| m.input.display.as_str())
                .collect();
            let flags: Vec<String> = files.iter().map(|f| format!("-f {f}")).collect();
            eprintln!(
                "Load {} after the project's files: COMPOSE_FILE={} docker compose up, or docker compose {} up.",
                into.display(),
                files.join(":"),
                flags.join(" ")
            );
        }
    }
    let would_change = args.diff && changed_files > 0;
    // The process ends here: freeing every node and string of every file one by one took a
    // tenth of a 500-service run. The OS reclaims it all at once.
    std::mem::drop(results);
    std::mem::forget(loaded_projects);
    Ok(if remaining.findings > 0 || would_change {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// What fixing a project's files gives: each file's outcome (a lone file is fixed as a file),
/// the secret files on the first file's, and how many findings were fixed.
struct Fixed {
    files: Vec<FixOutcome>,
    fixed: usize,
}

fn fix_project(
    project: &projects::LoadedProject,
    options: &Options,
) -> Result<Fixed, (String, String, String)> {
    if project.is_single() {
        let display = &project.members[0].input.display;
        let parsed = project.parsed.lock().ok().and_then(|mut p| p.take());
        let outcome = match parsed {
            Some(doc) => composeguard::fix_document(doc, options),
            None => composeguard::fix(&project.texts[0], options),
        }
        .map_err(|e| located(display, &e))?;
        return Ok(Fixed {
            fixed: outcome.fixed,
            files: vec![outcome],
        });
    }
    let outcome = composeguard::project::fix_project(&project.files(), options).map_err(|e| {
        let display = &project.members[e.file.unwrap_or(0)].input.display;
        located(display, &e.error)
    })?;
    let mut files = outcome.files;
    files[0].files = outcome.new_files;
    Ok(Fixed {
        files,
        fixed: outcome.fixed,
    })
}

/// An error as (file, where: `file:line:column` when known, message).
fn located(display: &str, error: &impl Located) -> (String, String, String) {
    let (at, message) = super::located(display, error);
    (display.to_owned(), at, message)
}

/// `fix --into`: the project's changes written into the override file `into` (read when it
/// exists; it leaves the project's members if it was one), which is added as the last file.
fn fix_into(
    project: &mut projects::LoadedProject,
    into: &std::path::Path,
    options: &Options,
) -> Result<Fixed, (String, String, String)> {
    let display = into.display().to_string();
    let plain = |message: String| (display.clone(), display.clone(), message);
    let same = |p: &std::path::Path| {
        std::fs::canonicalize(p)
            .ok()
            .is_some_and(|c| std::fs::canonicalize(into).ok() == Some(c))
    };
    if let Some(i) = project.members.iter().position(|m| same(&m.input.path)) {
        project.members.remove(i);
        project.texts.remove(i);
        project.identities.remove(i);
    }
    let input = files::Input {
        path: into.to_path_buf(),
        display: display.clone(),
    };
    let (text, identity) = if into.exists() {
        let loaded = input
            .read(options.limits.max_bytes)
            .map_err(|e| plain(e.to_string()))?;
        (loaded.text, loaded.identity)
    } else {
        (String::new(), None)
    };
    let override_file = composeguard::project::ProjectFile {
        path: composeguard::project::normalize(&into.to_string_lossy()),
        text: text.clone(),
        role: Role::Compose,
    };
    let outcome = composeguard::project::fix_into(&project.files(), &override_file, options)
        .map_err(|e| {
            let shown = e
                .file
                .and_then(|i| project.members.get(i))
                .map_or(display.clone(), |m| m.input.display.clone());
            located(&shown, &e.error)
        })?;
    project.members.push(projects::Member {
        input,
        role: Role::Compose,
    });
    project.texts.push(text);
    project.identities.push(identity);
    let mut files = outcome.files;
    files[0].files = outcome.new_files;
    Ok(Fixed {
        files,
        fixed: outcome.fixed,
    })
}

/// A diff with the secrets of both sides masked (see `composeguard::masking`): spans of the
/// input, carried through the fix's changes to the output. Should the input not parse again
/// (it did once), every value the rules reported is masked wherever it occurs.
fn masked_diff(diff: &str, text: &str, outcome: &FixOutcome, options: &Options) -> String {
    // A lone file's outcome knows its spans (found on the documents the fix parsed).
    if let Some(masked) = outcome.mask_diff(diff, text) {
        return masked;
    }
    match masking::secret_spans_of(text, &options.settings, &options.limits) {
        Ok(old) => {
            let new = masking::new_spans(
                &old,
                &outcome.changes,
                &outcome.output,
                &options.settings,
                &options.limits,
            );
            masking::mask_diff(diff, text, &old, &outcome.output, &new)
        }
        Err(_) => composeguard::mask_secrets(diff, &outcome.secrets),
    }
}

/// Says what became of the files a failed commit had already replaced.
fn report_commit_failure(failure: &files::CommitFailure) {
    file_error(
        &failure.file,
        format!("cannot write the fixed file: {}", failure.error),
    );
    if !failure.restored.is_empty() {
        eprintln!(
            "Put back the content of {}, already replaced by this run.",
            failure.restored.join(", ")
        );
    }
    for (file, error) in &failure.unrestored {
        file_error(
            file,
            format!(
                "could not put the old content back ({error}): this file holds the fixed content"
            ),
        );
    }
    if failure.unrestored.is_empty() {
        eprintln!("No compose file was changed.");
    } else {
        let changed: Vec<&str> = failure.unrestored.iter().map(|(f, _)| f.as_str()).collect();
        eprintln!(
            "Changed: {}; every other compose file is unchanged.",
            changed.join(", ")
        );
    }
}

/// Takes back the secret and env files written by a run that failed later.
fn report_undo(undo: secrets::Undo) {
    if undo.is_empty() {
        return;
    }
    let failures = undo.undo();
    if failures.is_empty() {
        eprintln!("Removed the secret and env-file changes this run had written.");
    } else {
        let e = output::code_style();
        for f in failures {
            eprintln!("{e}error:{e:#} could not take back {f}");
        }
    }
}
