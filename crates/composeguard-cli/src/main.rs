//! `composeguard`: check and fix Docker Compose files from the command line.
//!
//! A thin adapter over the `composeguard` library: it finds and reads files, prints reports,
//! and writes results atomically. Exit codes: 0 clean, 1 findings, 2 error.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anstream::{eprint, eprintln, print, println};
use clap::{Args, Parser, Subcommand};
use composeguard::{
    Applicability, Diagnostic, FixOutcome, Options, Preset, Target, masking, rules,
};

/// mimalloc: the CLI allocates and frees many small strings and nodes; the system allocator
/// spent a quarter of the run in malloc, free and page faults on a 500-service file.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod config;
mod docker;
mod files;
mod images_cmd;
mod output;
mod secrets;
mod verify;

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
    ///
    /// Every changed file is prepared first (its new content written beside it with the same
    /// mode, owner and group, and flushed to disk); only then are the files replaced, each
    /// after checking that it still holds what was read. If any step fails, the files already
    /// replaced get their old content back and the secret and env-file changes of the run are
    /// taken back; the message says which files changed, if any could not be restored.
    ///
    /// Refused with exit 2, before anything is written: files that are not regular (FIFOs,
    /// devices), read-only files (no write bit, or no permission for you), files with several
    /// hard links (replacing one would split the link), files larger than 32 MiB, and a file
    /// that changes while composeguard runs. Symlinks are written through to their target.
    Fix(FixArgs),
    /// Start the file as written and as hardened on a Docker engine, and tell which services
    /// no longer start after hardening, and why if their logs say (exit 0: every service that
    /// started still starts; 1: some broke; 2: no engine, or bad input).
    ///
    /// Both run under throwaway project names (`cg-verify-<pid>-orig`, `-hard`), labelled
    /// `com.composeguard.verify=1`, without published ports, container names or host network,
    /// with fresh empty volumes; images must exist locally (nothing is pulled). Each is taken
    /// down (`down -v`) when done, on errors and on Ctrl-C. This shows a first start with empty
    /// volumes works, not that the service works on your data or under load.
    Verify(VerifyArgs),
    /// Print one rule's documentation.
    Rule {
        /// A rule code (CG101) or name (cap-drop-all).
        code: String,
    },
    /// List every rule with its code, name, fix safety and CIS item.
    Rules,
    /// List the images composeguard knows (start mode, user, capabilities, read-only), or
    /// show one with its sources.
    Images {
        /// An image's name (postgres) or a reference (postgres:17-alpine).
        name: Option<String>,
        /// How to print.
        #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
        output_format: images_cmd::Format,
    },
    /// Print the configuration in force (from composeguard.toml and defaults).
    Config {
        /// Where to look for the configuration file (default: the current folder).
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
        /// Use this configuration file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
struct CommonArgs {
    /// Compose files or folders; `-` reads standard input. Folders are searched recursively
    /// for compose*.y*ml and docker-compose*.y*ml, honouring .gitignore. Default: compose.yaml,
    /// compose.yml, docker-compose.yaml and docker-compose.yml in the current folder.
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
    /// The rule set: baseline (low-risk controls), recommended (default), or strict (every
    /// rule).
    #[arg(long, value_name = "PRESET", value_parser = ["baseline", "recommended", "strict"])]
    preset: Option<String>,
    /// Where the file is deployed: compose (`docker compose up`, default) or swarm (`docker
    /// stack deploy`, which accepts fewer forms).
    #[arg(long, value_name = "TARGET", value_parser = ["compose", "swarm"])]
    target: Option<String>,
    /// Use this configuration file instead of the nearest composeguard.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
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
    /// How to print findings.
    #[arg(long, value_enum, value_name = "FORMAT")]
    output_format: Option<output::Format>,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The compose file (default: compose.yaml, compose.yml, docker-compose.yaml or
    /// docker-compose.yml in the current folder).
    #[arg(value_name = "PATH")]
    path: Option<PathBuf>,
    /// Harden with safe fixes only (default: unsafe fixes too, as `fix --unsafe-fixes`).
    #[arg(long)]
    safe_only: bool,
    /// How long a service without a health check must keep running to count as started.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = verify::parse_duration)]
    settle: std::time::Duration,
    /// How long each version may take until every service is running or healthy.
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = verify::parse_duration)]
    timeout: std::time::Duration,
    /// How to print the report.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    output_format: verify::Format,
    /// Only these rules (codes, code prefixes or names), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,
    /// Skip these rules (codes, code prefixes or names), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,
    /// The rule set: baseline, recommended (default), or strict.
    #[arg(long, value_name = "PRESET", value_parser = ["baseline", "recommended", "strict"])]
    preset: Option<String>,
    /// Use this configuration file instead of the nearest composeguard.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// No progress lines (the report is still printed).
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct FixArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Print a unified diff of the changes and write nothing. It applies with `git apply` or
    /// `patch -p1` from the current folder; a file outside it is named by its absolute path
    /// without the leading `/` (apply from `/`). Names with spaces end with a tab and names
    /// with `"`, `\` or control characters are quoted, as git writes them.
    #[arg(long, conflicts_with = "stdout")]
    diff: bool,
    /// Print the fixed document to standard output and write nothing. One file only (several
    /// are refused with exit 2: concatenated compose files are not one compose file); use
    /// --diff for several.
    #[arg(long)]
    stdout: bool,
    /// Show secret values in diffs. By default every value of an `environment` variable whose
    /// name looks secret (the CG601 patterns, whatever rules run or are suppressed) and every
    /// password inside a URL is printed as ****, on both sides of the diff.
    #[arg(long)]
    show_secrets: bool,
    /// Move literal secrets that the image cannot read from a file into this env file
    /// (relative to the compose file), leaving `${VAR}` in the compose file.
    #[arg(long, value_name = "FILE")]
    secrets_env_file: Option<String>,
    /// Add `secrets/` to the compose file's folder's existing .gitignore when secret files are
    /// written (in the file's own line ending). A `secrets/` folder that is a symlink out of
    /// the project, or that others may enter, stops the run; existing secret and env files
    /// others may read get a warning with the chmod to run.
    #[arg(long)]
    gitignore_secrets: bool,
}

fn main() -> ExitCode {
    // A panic is a bug; its message may quote the input (a secret among it), so only the
    // place is printed, never the message.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!(
            "composeguard: internal error{place}; nothing was written. Please report it with the command you ran (the input is not shown here because it may hold secrets)"
        );
    }));
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => check(&args),
        Command::Fix(args) => fix(&args),
        Command::Verify(args) => verify_cmd(&args),
        Command::Rule { code } => rule(&code),
        Command::Rules => list_rules(),
        Command::Images {
            name,
            output_format,
        } => images_cmd::run(name.as_deref(), output_format),
        Command::Config { path, config } => show_config(path.as_deref(), config.as_deref()),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "composeguard", &mut io::stdout());
            0
        }
    };
    ExitCode::from(code)
}

/// The configuration file in force: `--config`, else the nearest one above the first path.
fn config_for(common: &CommonArgs) -> Result<(Option<PathBuf>, config::Config), String> {
    let path = match &common.config {
        Some(p) => Some(p.clone()),
        None => {
            let start = common
                .paths
                .iter()
                .find(|p| p.as_os_str() != "-")
                .cloned()
                .unwrap_or_else(|| PathBuf::from("."));
            config::find(&start)
        }
    };
    match path {
        Some(p) => Ok((Some(p.clone()), config::load(&p)?)),
        None => Ok((None, config::Config::default())),
    }
}

fn check_rules(names: &[String], source: &str) -> Result<(), String> {
    for name in names {
        if !rules::all().iter().any(|r| rules::matches(r.meta(), name)) {
            return Err(format!(
                "unknown rule `{name}` in {source}; run `composeguard rules` to list them"
            ));
        }
    }
    Ok(())
}

/// Options from the configuration file, then the command line (which wins).
fn options(common: &CommonArgs) -> Result<(Options, config::Config), String> {
    let (path, cfg) = config_for(common)?;
    let shown = path
        .as_ref()
        .map_or("the configuration".to_owned(), |p| p.display().to_string());
    check_rules(&common.select, "--select")?;
    check_rules(&common.ignore, "--ignore")?;
    check_rules(cfg.select.as_deref().unwrap_or_default(), &shown)?;
    check_rules(cfg.ignore.as_deref().unwrap_or_default(), &shown)?;
    for (service, o) in &cfg.services {
        check_rules(&o.ignore, &format!("{shown} [services.{service}]"))?;
    }
    let preset = common
        .preset
        .clone()
        .or(cfg.preset.clone())
        .unwrap_or_else(|| "recommended".into());
    let target = common
        .target
        .clone()
        .or(cfg.target.clone())
        .unwrap_or_else(|| "compose".into());
    let mut options = Options {
        unsafe_fixes: common.unsafe_fixes || cfg.unsafe_fixes.unwrap_or(false),
        select: if common.select.is_empty() {
            cfg.select.clone().unwrap_or_default()
        } else {
            common.select.clone()
        },
        ignore: cfg
            .ignore
            .clone()
            .unwrap_or_default()
            .into_iter()
            .chain(common.ignore.iter().cloned())
            .collect(),
        preset: Preset::parse(&preset).unwrap_or_default(),
        target: if target == "swarm" {
            Target::Swarm
        } else {
            Target::Compose
        },
        per_service_ignore: cfg
            .services
            .iter()
            .map(|(k, v)| (k.clone(), v.ignore.clone()))
            .collect(),
        ..Options::default()
    };
    let o = &cfg.options;
    let s = &mut options.settings;
    if let Some(v) = &o.log_max_size {
        s.log_max_size = v.clone();
    }
    if let Some(v) = &o.log_max_file {
        s.log_max_file = v.clone();
    }
    if let Some(v) = &o.tmpfs_size {
        s.tmpfs_size = v.clone();
    }
    if let Some(v) = o.nofile {
        s.nofile = Some(v);
    }
    if let Some(v) = o.nproc {
        s.nproc = Some(v);
    }
    if let Some(v) = &o.sensitive_ports {
        s.sensitive_ports = v.clone();
    }
    if let Some(v) = &o.secret_patterns {
        s.secret_patterns = v.clone();
    }
    if let Some(v) = &o.secret_exclude_suffixes {
        s.secret_exclude_suffixes = v.clone();
    }
    if o.secrets_env_file.is_some() {
        s.secrets_env_file = o.secrets_env_file.clone();
    }
    for (limit, target) in [
        (&o.limits.small, &mut s.limits_small),
        (&o.limits.medium, &mut s.limits_medium),
        (&o.limits.large, &mut s.limits_large),
    ] {
        if let Some(l) = limit {
            if let Some(m) = &l.memory {
                target.memory = m.clone();
            }
            if let Some(c) = &l.cpus {
                target.cpus = c.clone();
            }
            if let Some(p) = l.pids {
                target.pids = p;
            }
        }
    }
    Ok((options, cfg))
}

fn show_config(path: Option<&std::path::Path>, file: Option<&std::path::Path>) -> u8 {
    let common = CommonArgs {
        paths: path.map(|p| vec![p.to_path_buf()]).unwrap_or_default(),
        select: Vec::new(),
        ignore: Vec::new(),
        unsafe_fixes: false,
        preset: None,
        target: None,
        config: file.map(std::path::Path::to_path_buf),
        quiet: false,
    };
    let (source, _) = match config_for(&common) {
        Ok(c) => c,
        Err(message) => return usage_error(&message),
    };
    let (options, _) = match options(&common) {
        Ok(o) => o,
        Err(message) => return usage_error(&message),
    };
    let s = &options.settings;
    let resolved = config::Config {
        preset: Some(format!("{:?}", options.preset).to_ascii_lowercase()),
        target: Some(format!("{:?}", options.target).to_ascii_lowercase()),
        select: Some(
            options
                .rules()
                .iter()
                .map(|r| r.meta().code.to_owned())
                .collect(),
        ),
        ignore: Some(options.ignore.clone()),
        unsafe_fixes: Some(options.unsafe_fixes),
        output_format: None,
        options: config::RuleOptions {
            log_max_size: Some(s.log_max_size.clone()),
            log_max_file: Some(s.log_max_file.clone()),
            tmpfs_size: Some(s.tmpfs_size.clone()),
            nofile: s.nofile,
            nproc: s.nproc,
            sensitive_ports: Some(s.sensitive_ports.clone()),
            secret_patterns: Some(s.secret_patterns.clone()),
            secret_exclude_suffixes: Some(s.secret_exclude_suffixes.clone()),
            secrets_env_file: s.secrets_env_file.clone(),
            limits: config::LimitOptions {
                small: Some(limit(&s.limits_small)),
                medium: Some(limit(&s.limits_medium)),
                large: Some(limit(&s.limits_large)),
            },
        },
        services: options
            .per_service_ignore
            .iter()
            .map(|(k, v)| (k.clone(), config::ServiceOverride { ignore: v.clone() }))
            .collect(),
    };
    match source {
        Some(p) => println!("# from {}", p.display()),
        None => println!("# no composeguard.toml found: defaults"),
    }
    print!("{}", toml::to_string_pretty(&resolved).expect("TOML"));
    0
}

fn limit(l: &composeguard::ServiceLimits) -> config::Limit {
    config::Limit {
        memory: Some(l.memory.clone()),
        cpus: Some(l.cpus.clone()),
        pids: Some(l.pids),
    }
}

fn report_error(display: &str, failure: &files::Failure) {
    let (p, e) = (output::path_style(), output::code_style());
    match failure {
        files::Failure::Lib(error) => match error.position() {
            Some((line, column)) => {
                eprintln!("{p}{display}:{line}:{column}:{p:#} {e}error:{e:#} {error}")
            }
            None => eprintln!("{p}{display}:{p:#} {e}error:{e:#} {error}"),
        },
        other => eprintln!("{p}{display}:{p:#} {e}error:{e:#} {other}"),
    }
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

/// Runs `work` on every input, in parallel, and returns the results in input order. A
/// progress line is shown on a terminal when there are many files.
fn in_parallel<T: Send>(
    inputs: &[files::Input],
    work: impl Fn(&files::Input) -> T + Sync,
) -> Vec<T> {
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(inputs.len().max(1));
    let done = AtomicUsize::new(0);
    let progress = io::stderr().is_terminal() && inputs.len() >= 50;
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<T>> = (0..inputs.len()).map(|_| None).collect();
    let slots: Vec<std::sync::Mutex<&mut Option<T>>> =
        results.iter_mut().map(std::sync::Mutex::new).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(input) = inputs.get(i) else { break };
                    let result = work(input);
                    **slots[i].lock().expect("slot") = Some(result);
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if progress && (n % 10 == 0 || n == inputs.len()) {
                        std::eprint!("\r{n}/{} files", inputs.len());
                    }
                }
            });
        }
    });
    if progress {
        std::eprint!("\r\x1b[2K");
    }
    drop(slots);
    results
        .into_iter()
        .map(|r| r.expect("every input processed"))
        .collect()
}

fn check(args: &CheckArgs) -> u8 {
    let (options, cfg) = match options(&args.common) {
        Ok(o) => o,
        Err(message) => return usage_error(&message),
    };
    let format = match args
        .output_format
        .or_else(|| cfg.output_format.as_deref().and_then(output::Format::parse))
    {
        Some(f) => f,
        None => output::Format::Concise,
    };
    let inputs = match files::collect(&args.common.paths) {
        Ok(i) => i,
        Err(message) => return usage_error(&message),
    };
    let results = in_parallel(&inputs, |input| {
        let text = input.read(options.limits.max_bytes)?.text;
        let diagnostics = composeguard::check(&text, &options)?;
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
    let (mut options, _) = match options(&args.common) {
        Ok(o) => o,
        Err(message) => return usage_error(&message),
    };
    if args.secrets_env_file.is_some() {
        options.settings.secrets_env_file = args.secrets_env_file.clone();
    }
    let inputs = match files::collect(&args.common.paths) {
        Ok(i) => i,
        Err(message) => return usage_error(&message),
    };
    if inputs.iter().filter(|i| i.is_stdin()).count() > 1 {
        return usage_error("`-` (standard input) is given more than once; give it once");
    }
    let printed = inputs
        .iter()
        .filter(|i| args.stdout || (i.is_stdin() && !args.diff))
        .count();
    if printed > 1 {
        let names: Vec<&str> = inputs.iter().map(|i| i.display.as_str()).collect();
        return usage_error(&format!(
            "--stdout prints one fixed file, and {} were given ({}): one YAML stream cannot hold several compose files unambiguously; name one file, or use --diff for several",
            inputs.len(),
            names.join(", ")
        ));
    }
    // Compute every result first: if any file fails, nothing is written at all.
    let mut results: Vec<(&files::Input, String, FixOutcome)> = Vec::new();
    let mut identities: Vec<Option<files::Identity>> = Vec::new();
    let mut failed: Vec<&str> = Vec::new();
    let outcomes = in_parallel(&inputs, |input| {
        input.read(options.limits.max_bytes).and_then(|loaded| {
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
                eprintln!(
                    "{p}{}:{p:#} {e_}error:{e_:#} {message}; no file was written",
                    input.display,
                    p = output::path_style(),
                    e_ = output::code_style()
                );
                return 2;
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
                    eprintln!(
                        "{p}{}:{p:#} {e_}error:{e_:#} cannot write the fixed file: {e}; no file was written",
                        input.display,
                        p = output::path_style(),
                        e_ = output::code_style()
                    );
                    return 2;
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
            return 2;
        }
    }
    if let Err(failure) = files::commit(prepared) {
        report_commit_failure(&failure);
        report_undo(undo);
        return 2;
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
    if remaining.findings > 0 || would_change {
        1
    } else {
        0
    }
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
    let (p, e) = (output::path_style(), output::code_style());
    eprintln!(
        "{p}{}:{p:#} {e}error:{e:#} cannot write the fixed file: {}",
        failure.file, failure.error
    );
    if !failure.restored.is_empty() {
        eprintln!(
            "Put back the content of {}, already replaced by this run.",
            failure.restored.join(", ")
        );
    }
    for (file, error) in &failure.unrestored {
        eprintln!(
            "{p}{file}:{p:#} {e}error:{e:#} could not put the old content back ({error}): this file holds the fixed content"
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

fn verify_cmd(args: &VerifyArgs) -> u8 {
    let common = CommonArgs {
        paths: args.path.iter().cloned().collect(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        unsafe_fixes: false,
        preset: args.preset.clone(),
        target: None,
        config: args.config.clone(),
        quiet: args.quiet,
    };
    let (mut options, _) = match options(&common) {
        Ok(o) => o,
        Err(message) => return usage_error(&message),
    };
    options.unsafe_fixes = !args.safe_only;
    let inputs = match files::collect(&common.paths) {
        Ok(i) => i,
        Err(message) => return usage_error(&message),
    };
    let [input] = inputs.as_slice() else {
        return usage_error("verify takes one compose file");
    };
    if input.is_stdin() {
        return usage_error(
            "verify needs a file, not standard input: its folder holds what bind mounts and env files name",
        );
    }
    let text = match input.read(options.limits.max_bytes) {
        Ok(l) => l.text,
        Err(e) => {
            report_error(&input.display, &e);
            return 2;
        }
    };
    let request = verify::Request {
        path: &input.path,
        display: &input.display,
        text: &text,
        options: &options,
        settle: args.settle,
        timeout: args.timeout,
        progress: verify::show_progress(args.quiet),
    };
    match verify::run(&request) {
        Ok(report) => {
            match args.output_format {
                verify::Format::Json => {
                    println!("{}", serde_json::to_string_pretty(&report).expect("JSON"))
                }
                verify::Format::Text => print!("{}", verify::text(&report)),
            }
            u8::from(!report.ok)
        }
        Err(e) => usage_error(&e.to_string()),
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
    let e = output::code_style();
    eprintln!("{e}error:{e:#} {message}");
    2
}
