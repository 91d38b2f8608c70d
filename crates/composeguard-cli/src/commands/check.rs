//! `composeguard check`: report findings.

use anstream::eprintln;
use composeguard::masking;

use super::{Tally, located, plural, report_error};
use crate::ExitStatus;
use crate::args::CheckArgs;
use crate::environment::Environment;
use crate::error::Error;
use crate::parallel::in_parallel;
use crate::projects::{self, LoadFailure};
use crate::{output, resolve};

/// Checks every file: `Failure` with findings (unless `--exit-zero`), `Error` when a file
/// could not be checked.
pub fn run(args: &CheckArgs) -> Result<ExitStatus, Error> {
    let resolved = resolve::resolve(&args.common)?;
    let options = &resolved.options;
    let format = args
        .output_format
        .or(resolved.config.output_format)
        .unwrap_or(output::Format::Concise);
    let projects = projects::collect(
        &args.common.paths,
        &args.common.files,
        args.common.project_directory.as_deref(),
    )?;
    let environment = Environment::load(&args.common.env_file).map_err(Error::EnvFile)?;
    let loaded = in_parallel(&projects, |project| {
        let options = project_options(&environment, !args.common.no_lock, project, options)?;
        let loaded = projects::load(project, options.limits.max_bytes, &options);
        Ok::<_, LoadFailure>((options, loaded?))
    });
    let loaded: Vec<_> = loaded
        .into_iter()
        .map(|r| match r {
            Ok((options, project)) => (Some(options), Ok(project)),
            Err(e) => (None, Err(e)),
        })
        .collect();
    let loaded = projects::without_members_of_others(loaded);
    let results = in_parallel(&loaded, |(options, project)| {
        let project = project
            .as_ref()
            .map_err(|e| (e.display.clone(), e.failure.to_string()))?;
        let options = options.as_ref().expect("loaded with its options");
        check_project(project, options, format)
    });
    let mut tally = Tally::default();
    let mut errors = 0;
    let mut reports = Vec::new();
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(files) => {
                for (display, text, diagnostics, secrets) in files {
                    tally.add(diagnostics);
                    reports.push(output::Report {
                        path: display,
                        text,
                        diagnostics,
                        secrets,
                    });
                }
            }
            Err((display, _)) => {
                errors += 1;
                match &loaded[i].1 {
                    Err(e) => report_error(&e.display, &e.failure),
                    Ok(_) => report_failure(display, result),
                }
            }
        }
    }
    let machine = matches!(format, output::Format::Json | output::Format::Sarif);
    if !args.common.quiet || machine {
        output::write_stdout(&output::render(format, &reports));
    }
    if !args.common.quiet {
        print_summary(&tally, options.unsafe_fixes, errors);
    }
    // The process ends here: freeing every finding and every node one by one was a twentieth
    // of a 500-service run (as for `fix`). The OS reclaims it all at once.
    drop(reports);
    std::mem::forget(results);
    std::mem::forget(loaded);
    Ok(if errors > 0 {
        ExitStatus::Error
    } else if tally.findings > 0 && !args.exit_zero {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
}

/// One file's findings: its name, text, findings and the secret spans `full` masks.
type FileReport = (
    String,
    String,
    Vec<composeguard::Diagnostic>,
    Vec<std::ops::Range<usize>>,
);

/// Prints the error of a project that could not be checked.
fn report_failure(display: &str, result: &Result<Vec<FileReport>, (String, String)>) {
    if let Err((_, message)) = result {
        super::file_error(display, message);
    }
}

/// Checks one project: each file's findings (a lone file is checked as a file).
fn check_project(
    project: &projects::LoadedProject,
    options: &composeguard::Options,
    format: output::Format,
) -> Result<Vec<FileReport>, (String, String)> {
    // A lone file's text as parsed when it was loaded (to find what it names): checked and
    // searched for secrets without parsing it again.
    let mut parsed = None;
    let per_file: Vec<Vec<composeguard::Diagnostic>> = if project.is_single() {
        let text = &project.texts[0];
        let display = &project.members[0].input.display;
        parsed = project.parsed.lock().ok().and_then(|mut p| p.take());
        vec![
            match &parsed {
                Some(doc) => composeguard::check_document(doc, options),
                None => composeguard::check(text, options),
            }
            .map_err(|e| located(display, &e))?,
        ]
    } else {
        composeguard::project::check_project(&project.files(), options).map_err(|e| {
            let display = &project.members[e.file.unwrap_or(0)].input.display;
            located(display, &e.error)
        })?
    };
    let mut out = Vec::new();
    for ((member, text), diagnostics) in project.members.iter().zip(&project.texts).zip(per_file) {
        // Only `full` prints source lines, which may hold secrets.
        let secrets = if format == output::Format::Full && !diagnostics.is_empty() {
            match &parsed {
                Some(doc) => masking::secret_spans(doc, &options.settings),
                None => masking::secret_spans_of(text, &options.settings, &options.limits)
                    .map_err(|e| located(&member.input.display, &e))?,
            }
        } else {
            Vec::new()
        };
        out.push((
            member.input.display.clone(),
            text.clone(),
            diagnostics,
            secrets,
        ));
    }
    Ok(out)
}

/// The options for one project: the run's, with the variables of its environment and, with
/// `use_lock`, the facts of its lock file (`composeguard.lock` in its folder).
pub fn project_options(
    environment: &Environment,
    use_lock: bool,
    project: &projects::Project,
    options: &composeguard::Options,
) -> Result<composeguard::Options, LoadFailure> {
    let first = &project.members[0].input;
    let folder = project.folder();
    let vars = environment
        .for_folder(folder.as_deref())
        .map_err(|failure| LoadFailure {
            display: first.display.clone(),
            failure,
        })?;
    let mut options = composeguard::Options {
        environment: vars,
        ..options.clone()
    };
    if use_lock {
        let lock = crate::lock::path_in(folder.as_deref().unwrap_or(std::path::Path::new(".")));
        match crate::lock::LockFile::read(&lock) {
            Ok(Some(file)) => options.image_facts = file.facts(),
            Ok(None) => {}
            Err(e) => {
                return Err(LoadFailure {
                    display: lock.display().to_string(),
                    failure: e.into(),
                });
            }
        }
    }
    Ok(options)
}

fn print_summary(tally: &Tally, unsafe_fixes: bool, errors: usize) {
    if errors > 0 {
        eprintln!("{} could not be checked.", plural(errors, "file"));
    }
    if tally.findings == 0 {
        if errors == 0 {
            eprintln!("All checks passed.");
        }
        return;
    }
    let mut line = format!("Found {}.", plural(tally.findings, "finding"));
    let fixable = if unsafe_fixes {
        tally.safe + tally.unsafe_
    } else {
        tally.safe
    };
    if fixable > 0 {
        let flag = if unsafe_fixes { " --unsafe-fixes" } else { "" };
        line.push_str(&format!(
            " {fixable} fixable with `composeguard fix{flag}`."
        ));
    }
    if !unsafe_fixes && tally.unsafe_ > 0 {
        line.push_str(&format!(
            " {} more with `--unsafe-fixes` (review them: they may break a service).",
            tally.unsafe_
        ));
    }
    eprintln!("{line}");
}
