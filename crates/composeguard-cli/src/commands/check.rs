//! `composeguard check`: report findings.

use anstream::{eprintln, print};
use composeguard::masking;

use super::{Tally, plural, report_error};
use crate::ExitStatus;
use crate::args::CheckArgs;
use crate::environment::Environment;
use crate::error::Error;
use crate::parallel::in_parallel;
use crate::{files, output, resolve};

/// Checks every file: `Failure` with findings (unless `--exit-zero`), `Error` when a file
/// could not be checked.
pub fn run(args: &CheckArgs) -> Result<ExitStatus, Error> {
    let resolved = resolve::resolve(&args.common)?;
    let options = &resolved.options;
    let format = args
        .output_format
        .or(resolved.config.output_format)
        .unwrap_or(output::Format::Concise);
    let inputs = files::collect(&args.common.paths)?;
    let environment = Environment::load(&args.common.env_file).map_err(Error::EnvFile)?;
    let results = in_parallel(&inputs, |input| {
        let text = input.read(options.limits.max_bytes)?.text;
        let options = &composeguard::Options {
            environment: environment.for_input(input)?,
            ..options.clone()
        };
        let diagnostics = composeguard::check(&text, options)?;
        // Only `full` prints source lines, which may hold secrets.
        let secrets = if format == output::Format::Full && !diagnostics.is_empty() {
            masking::secret_spans_of(&text, &options.settings, &options.limits)?
        } else {
            Vec::new()
        };
        Ok::<_, files::Failure>((text, diagnostics, secrets))
    });
    let mut tally = Tally::default();
    let mut errors = 0;
    let mut reports = Vec::new();
    for (input, result) in inputs.iter().zip(&results) {
        match result {
            Ok((text, diagnostics, secrets)) => {
                tally.add(diagnostics);
                reports.push(output::Report {
                    path: &input.display,
                    text,
                    diagnostics,
                    secrets,
                });
            }
            Err(e) => {
                errors += 1;
                report_error(&input.display, e);
            }
        }
    }
    let machine = matches!(format, output::Format::Json | output::Format::Sarif);
    if !args.common.quiet || machine {
        print!("{}", output::render(format, &reports));
    }
    if !args.common.quiet {
        print_summary(&tally, options.unsafe_fixes, errors);
    }
    Ok(if errors > 0 {
        ExitStatus::Error
    } else if tally.findings > 0 && !args.exit_zero {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    })
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
