//! `composeguard`: check and fix Docker Compose files from the command line.
//!
//! A thin adapter over the `composeguard` library: it finds and reads files, prints reports,
//! and writes results atomically. Exit codes: 0 clean, 1 findings, 2 error.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anstream::{eprintln, print, println};
use anstyle::{AnsiColor, Style};
use clap::{Args, Parser, Subcommand};
use composeguard::{Applicability, Diagnostic, FixOutcome, Options, Preset, Target, rules};

/// mimalloc: the CLI allocates and frees many small strings and nodes; the system allocator
/// spent a quarter of the run in malloc, free and page faults on a 500-service file.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod files;
mod secrets;

/// Harden Docker Compose files: find what a container-security guide flags and fix it, keeping
/// every byte the fix does not need to change.
#[derive(Debug, Parser)]
#[command(name = "composeguard", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Report findings (exit 0 when clean, 1 with findings, 2 on error).
    Check(CheckArgs),
    /// Apply fixes in place (safe ones; unsafe ones too with --unsafe-fixes).
    Fix(FixArgs),
    /// Print one rule's documentation.
    Rule {
        /// A rule code (CG101) or name (cap-drop-all).
        code: String,
    },
    /// List every rule with its code, name, fix safety and CIS item.
    Rules,
}

#[derive(Debug, Args)]
struct CommonArgs {
    /// Compose files to process; `-` reads standard input. Default: compose.yaml, compose.yml,
    /// docker-compose.yaml and docker-compose.yml in the current folder.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Only these rules (codes, code prefixes or names), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Skip these rules (codes, code prefixes or names), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// Include unsafe fixes (they may break a service: review them).
    #[arg(long)]
    unsafe_fixes: bool,
    /// The rule set: baseline (low-risk controls), recommended, or strict (every rule).
    #[arg(long, value_name = "PRESET", default_value = "recommended", value_parser = ["baseline", "recommended", "strict"])]
    preset: String,
    /// Where the file is deployed: compose (`docker compose up`) or swarm (`docker stack
    /// deploy`, which accepts fewer forms).
    #[arg(long, value_name = "TARGET", default_value = "compose", value_parser = ["compose", "swarm"])]
    target: String,
    /// Print nothing but errors (the exit code still tells).
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Exit 0 even when there are findings (errors still exit 2).
    #[arg(long)]
    exit_zero: bool,
}

#[derive(Debug, Args)]
struct FixArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Print a unified diff of the changes and write nothing.
    #[arg(long, conflicts_with = "stdout")]
    diff: bool,
    /// Print the fixed document to standard output and write nothing.
    #[arg(long)]
    stdout: bool,
    /// Show secret values in diffs (they are masked as **** by default).
    #[arg(long)]
    show_secrets: bool,
    /// Move literal secrets that the image cannot read from a file into this env file
    /// (relative to the compose file), leaving `${VAR}` in the compose file.
    #[arg(long, value_name = "FILE")]
    secrets_env_file: Option<String>,
    /// Add `secrets/` to the compose file's folder's existing .gitignore when secret files are
    /// written.
    #[arg(long)]
    gitignore_secrets: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => check(&args),
        Command::Fix(args) => fix(&args),
        Command::Rule { code } => rule(&code),
        Command::Rules => list_rules(),
    };
    ExitCode::from(code)
}

fn options(common: &CommonArgs) -> Result<Options, String> {
    for name in common.select.iter().chain(&common.ignore) {
        let known = rules::all().iter().any(|r| {
            let m = r.meta();
            name.eq_ignore_ascii_case(m.name) || m.code.starts_with(&name.to_ascii_uppercase())
        });
        if !known {
            return Err(format!(
                "unknown rule `{name}`; run `composeguard rules` to list them"
            ));
        }
    }
    Ok(Options {
        unsafe_fixes: common.unsafe_fixes,
        select: common.select.clone(),
        ignore: common.ignore.clone(),
        preset: Preset::parse(&common.preset).unwrap_or_default(),
        target: if common.target == "swarm" {
            Target::Swarm
        } else {
            Target::Compose
        },
        ..Options::default()
    })
}

fn style_path() -> Style {
    Style::new().bold()
}

fn style_code() -> Style {
    Style::new().bold().fg_color(Some(AnsiColor::Red.into()))
}

fn style_error() -> Style {
    Style::new().bold().fg_color(Some(AnsiColor::Red.into()))
}

fn report_error(display: &str, failure: &files::Failure) {
    let (p, e) = (style_path(), style_error());
    let error = match failure {
        files::Failure::Io(io) => {
            eprintln!("{p}{display}:{p:#} {e}error:{e:#} cannot read the file: {io}");
            return;
        }
        files::Failure::Lib(error) => error,
    };
    match error.position() {
        Some((line, column)) => {
            eprintln!("{p}{display}:{line}:{column}:{p:#} {e}error:{e:#} {error}")
        }
        None => eprintln!("{p}{display}:{p:#} {e}error:{e:#} {error}"),
    }
}

fn format_diagnostic(display: &str, d: &Diagnostic) -> String {
    let (p, c) = (style_path(), style_code());
    format!(
        "{p}{display}:{}:{}:{p:#} {c}{}{c:#} {}",
        d.start.line,
        d.start.column,
        d.code(),
        d.message
    )
}

/// Counts of findings by what can be done about them.
#[derive(Default)]
struct Tally {
    findings: usize,
    safe: usize,
    unsafe_: usize,
}

impl Tally {
    fn add(&mut self, diagnostics: &[Diagnostic]) {
        for d in diagnostics {
            self.findings += 1;
            match d.applicability() {
                Some(Applicability::Safe) => self.safe += 1,
                Some(Applicability::Unsafe) => self.unsafe_ += 1,
                _ => {}
            }
        }
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn check(args: &CheckArgs) -> u8 {
    let options = match options(&args.common) {
        Ok(o) => o,
        Err(message) => return usage_error(&message),
    };
    let inputs = match files::collect(&args.common.paths) {
        Ok(i) => i,
        Err(message) => return usage_error(&message),
    };
    let mut tally = Tally::default();
    let mut errors = 0;
    for input in &inputs {
        let text = match input.read() {
            Ok(t) => t,
            Err(e) => {
                errors += 1;
                report_error(&input.display, &e);
                continue;
            }
        };
        match composeguard::check(&text, &options).map_err(files::Failure::from) {
            Ok(diagnostics) => {
                if !args.common.quiet {
                    for d in &diagnostics {
                        println!("{}", format_diagnostic(&input.display, d));
                    }
                }
                tally.add(&diagnostics);
            }
            Err(e) => {
                errors += 1;
                report_error(&input.display, &e);
            }
        }
    }
    if !args.common.quiet {
        print_check_summary(&tally, options.unsafe_fixes, errors);
    }
    if errors > 0 {
        2
    } else if tally.findings > 0 && !args.exit_zero {
        1
    } else {
        0
    }
}

fn print_check_summary(tally: &Tally, unsafe_fixes: bool, errors: usize) {
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

fn fix(args: &FixArgs) -> u8 {
    let mut options = match options(&args.common) {
        Ok(o) => o,
        Err(message) => return usage_error(&message),
    };
    options.settings.secrets_env_file = args.secrets_env_file.clone();
    let inputs = match files::collect(&args.common.paths) {
        Ok(i) => i,
        Err(message) => return usage_error(&message),
    };
    // Compute every result first: if any file fails, nothing is written at all.
    let mut results: Vec<(&files::Input, String, FixOutcome)> = Vec::new();
    let mut failed: Vec<&str> = Vec::new();
    for input in &inputs {
        let outcome = input.read().and_then(|text| {
            composeguard::fix(&text, &options)
                .map(|o| (text, o))
                .map_err(files::Failure::from)
        });
        match outcome {
            Ok((text, outcome)) => results.push((input, text, outcome)),
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
        return 2;
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
            let diff = composeguard::unified_diff(text, &outcome.output, &input.display);
            if args.show_secrets {
                print!("{diff}");
            } else {
                print!("{}", composeguard::mask_secrets(&diff, &outcome.secrets));
            }
        }
        if !args.common.quiet {
            for d in &outcome.remaining {
                eprintln!("{}", format_diagnostic(&input.display, d));
            }
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
                eprintln!(
                    "{p}{}:{p:#} {e_}error:{e_:#} {message}; no file was written",
                    input.display,
                    p = style_path(),
                    e_ = style_error()
                );
                return 2;
            }
        }
    }
    for plan in &plans {
        if let Err(message) = secrets::write(plan, args.gitignore_secrets) {
            eprintln!("{e_}error:{e_:#} {message}", e_ = style_error());
            return 2;
        }
        if !args.common.quiet {
            for line in &plan.report {
                eprintln!("{line}");
            }
        }
    }
    if writes {
        for (input, text, outcome) in &results {
            if input.is_stdin() || !outcome.changed(text) {
                continue;
            }
            if let Err(e) = files::write_atomic(&input.path, &outcome.output) {
                eprintln!(
                    "{p}{}:{p:#} {e_}error:{e_:#} could not write the fixed file: {e}",
                    input.display,
                    p = style_path(),
                    e_ = style_error()
                );
                return 2;
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
    if remaining.findings > 0 || would_change {
        1
    } else {
        0
    }
}

fn rule(code: &str) -> u8 {
    match rules::find(code) {
        Some(rule) => {
            let m = rule.meta();
            println!("# {} ({})\n", m.name, m.code);
            println!("{}\n", m.summary);
            println!("Fix: {}", m.fix.as_str());
            if let Some(cis) = m.cis {
                println!("CIS Docker Benchmark v1.6.0: {cis}");
            }
            println!();
            print!("{}", m.documentation());
            0
        }
        None => usage_error(&format!(
            "unknown rule `{code}`; run `composeguard rules` to list them"
        )),
    }
}

fn list_rules() -> u8 {
    let mut out = io::stdout().lock();
    let _ = writeln!(
        out,
        "{:<7} {:<20} {:<10} {:<5} summary",
        "code", "name", "fix", "CIS"
    );
    for rule in rules::all() {
        let m = rule.meta();
        let _ = writeln!(
            out,
            "{:<7} {:<20} {:<10} {:<5} {}",
            m.code,
            m.name,
            m.fix.as_str(),
            m.cis.unwrap_or("-"),
            m.summary
        );
    }
    0
}

fn usage_error(message: &str) -> u8 {
    let e = style_error();
    eprintln!("{e}error:{e:#} {message}");
    2
}

/// Reads standard input fully (only called when `-` is given).
fn read_stdin() -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    io::stdin().lock().read_to_end(&mut buf)?;
    Ok(buf)
}
