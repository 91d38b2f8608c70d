//! `composeguard fix`: apply fixes in place, or show them as a diff or the fixed document.

use anstream::{eprint, eprintln, print};
use composeguard::{FixOutcome, Options, masking};

use super::{Tally, file_error, plural, report_error};
use crate::ExitStatus;
use crate::args::FixArgs;
use crate::environment::Environment;
use crate::error::Error;
use crate::parallel::in_parallel;
use crate::{files, output, resolve, secrets};

/// Fixes every file, or prints the diff or the fixed document: `Failure` when findings remain
/// or a diff shows changes, `Error` when a file could not be fixed or written (then nothing
/// is written).
pub fn run(args: &FixArgs) -> Result<ExitStatus, Error> {
    let mut options = resolve::resolve(&args.common)?.options;
    if args.secrets_env_file.is_some() {
        options.settings.secrets_env_file = args.secrets_env_file.clone();
    }
    let inputs = files::collect(&args.common.paths)?;
    if inputs.iter().filter(|i| i.is_stdin()).count() > 1 {
        return Err(Error::StdinTwice);
    }
    let printed = inputs
        .iter()
        .filter(|i| args.stdout || (i.is_stdin() && !args.diff))
        .count();
    if printed > 1 {
        let names: Vec<&str> = inputs.iter().map(|i| i.display.as_str()).collect();
        return Err(Error::StdoutSeveral {
            count: inputs.len(),
            names: names.join(", "),
        });
    }
    let environment = Environment::load(&args.common.env_file).map_err(Error::EnvFile)?;
    // Compute every result first: if any file fails, nothing is written at all.
    let mut results: Vec<(&files::Input, String, FixOutcome)> = Vec::new();
    let mut identities: Vec<Option<files::Identity>> = Vec::new();
    let mut failed: Vec<&str> = Vec::new();
    let outcomes = in_parallel(&inputs, |input| {
        input.read(options.limits.max_bytes).and_then(|loaded| {
            let options = composeguard::Options {
                environment: environment.for_input(input)?,
                ..options.clone()
            };
            composeguard::fix(&loaded.text, &options)
                .map(|o| (loaded, o))
                .map_err(files::Failure::from)
        })
    });
    for (input, outcome) in inputs.iter().zip(outcomes) {
        match outcome {
            Ok((loaded, outcome)) => {
                identities.push(loaded.identity);
                results.push((input, loaded.text, outcome));
            }
            Err(e) => {
                report_error(&input.display, &e);
                failed.push(&input.display);
            }
        }
    }
    if !failed.is_empty() {
        if !args.diff && !args.stdout && inputs.len() > 1 {
            eprintln!(
                "No file was written, because {} could not be processed.",
                failed.join(", ")
            );
        }
        return Ok(ExitStatus::Error);
    }
    let mut remaining = Tally::default();
    let mut fixed = 0;
    let mut changed_files = 0;
    for (input, text, outcome) in &results {
        fixed += outcome.fixed;
        remaining.add(&outcome.remaining);
        let changed = outcome.changed(text);
        changed_files += usize::from(changed);
        if args.stdout || (input.is_stdin() && !args.diff) {
            print!("{}", outcome.output);
        } else if args.diff {
            let path = output::diff_path(&input.path);
            let diff = output::with_headers(&outcome.diff(text, &path), &path);
            if args.show_secrets {
                print!("{diff}");
            } else {
                print!("{}", masked_diff(&diff, text, outcome, &options));
            }
        }
        if !args.common.quiet && !outcome.remaining.is_empty() {
            // One write: colour stripping per fragment was a fifth of a 500-service run.
            let mut lines = String::new();
            for d in &outcome.remaining {
                lines.push_str(&output::concise(&input.display, d));
                lines.push('\n');
            }
            eprint!("{lines}");
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
    if writes {
        for ((input, text, outcome), identity) in results.iter().zip(&identities) {
            if input.is_stdin() || !outcome.changed(text) {
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
    }
    let would_change = args.diff && changed_files > 0;
    // The process ends here: freeing every node and string of every file one by one took a
    // tenth of a 500-service run. The OS reclaims it all at once.
    std::mem::forget(results);
    Ok(if remaining.findings > 0 || would_change {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// A diff with the secrets of both sides masked (see `composeguard::masking`): spans of the
/// input, carried through the fix's changes to the output. Should the input not parse again
/// (it did once), every value the rules reported is masked wherever it occurs.
fn masked_diff(diff: &str, text: &str, outcome: &FixOutcome, options: &Options) -> String {
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
