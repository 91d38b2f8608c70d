//! The command line: every subcommand, flag and value set, parsed once by clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands::{images, verify};
use crate::output;

/// Harden Docker Compose files: find what a container-security guide flags and fix it, keeping
/// every byte the fix does not need to change.
#[derive(Debug, Parser)]
#[command(name = "composeguard", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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
    /// Start the file as written on a Docker engine, watch what each service does, and record
    /// it in the project's lock file (`composeguard.lock`), which `check` and `fix` then use.
    ///
    /// Recorded per image: the users its processes run as, the folders it writes outside its
    /// volumes (a tmpfs each under `read_only: true`) and what it changes in place, the ports
    /// it listens on, its peak memory and process count (limits become twice the peak), and
    /// the capabilities it needs under `cap_drop: [ALL]` (found by starting it again with
    /// fewer, halving the candidates; `--no-caps` skips this). Runs as `verify` does:
    /// throwaway project names, fresh volumes, no published ports, everything taken down.
    /// What it saw is one start with empty volumes, not your production load: review it.
    Learn(LearnArgs),
    /// Print one rule's documentation.
    Rule {
        /// A rule code (CG101) or name (cap-drop-all).
        code: String,
    },
    /// List every rule with its code, name, fix safety and CIS item.
    Rules,
    /// List the images composeguard knows (start mode, user, capabilities, read-only), or
    /// show one with its sources.
    Images(ImagesArgs),
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

/// The rule set. The variants carry no doc comments: clap would print them in `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Preset {
    Baseline,
    #[default]
    Recommended,
    Strict,
}

impl From<Preset> for composeguard::Preset {
    fn from(preset: Preset) -> Self {
        match preset {
            Preset::Baseline => composeguard::Preset::Baseline,
            Preset::Recommended => composeguard::Preset::Recommended,
            Preset::Strict => composeguard::Preset::Strict,
        }
    }
}

/// Where the file is deployed (no doc comments on the variants, as for [`Preset`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Target {
    #[default]
    Compose,
    Swarm,
}

impl From<Target> for composeguard::Target {
    fn from(target: Target) -> Self {
        match target {
            Target::Compose => composeguard::Target::Compose,
            Target::Swarm => composeguard::Target::Swarm,
        }
    }
}

/// The name clap and the configuration file know a value by.
pub fn name_of<T: ValueEnum>(value: &T) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

/// Every name of a value set, in declaration order.
pub fn names_of<T: ValueEnum>() -> Vec<String> {
    T::value_variants().iter().map(name_of).collect()
}

/// `--select` and `--ignore`, as `check`, `fix` and `verify` take them.
#[derive(Debug, Default, Clone, Args)]
pub struct RuleSelection {
    /// Only these rules (codes, code prefixes or names), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Skip these rules (codes, code prefixes or names), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
}

/// `composeguard images`: the built-in table, or `images lock`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ImagesArgs {
    #[command(subcommand)]
    pub action: Option<ImagesAction>,
    /// An image's name (postgres) or a reference (postgres:17-alpine).
    pub name: Option<String>,
    /// How to print.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub output_format: images::Format,
}

#[derive(Debug, Subcommand)]
pub enum ImagesAction {
    /// Record each image's own config (user, volumes, ports, entrypoint) in the project's lock
    /// file, `composeguard.lock` beside its compose file, so `check` and `fix` use it offline.
    ///
    /// Each image of the project is read from the local Docker engine (`docker image
    /// inspect`), else from its registry (anonymous pull token, as Docker Hub and ghcr.io
    /// give; configs cached by digest). Facts `learn` recorded are kept while the image's
    /// digest is the same. Exit 0 when the lock is written (or, with --check, up to date).
    Lock(LockArgs),
}

/// `composeguard images lock`.
#[derive(Debug, Args)]
pub struct LockArgs {
    /// The project: a compose file or a folder (default: the current folder's compose file).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Compose files of the project (repeatable), as with `docker compose -f`.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        conflicts_with = "path"
    )]
    pub files: Vec<PathBuf>,
    /// Where the project's `.env` and lock file are (default: the first file's folder).
    #[arg(long, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,
    /// Read the variables from this env file instead of the project's `.env` (repeatable).
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Where to read image configs from.
    #[arg(long, value_enum, value_name = "SOURCE", default_value_t)]
    pub from: LockSource,
    /// Write nothing; exit 1 when the lock file is missing or differs from what would be
    /// written (for CI).
    #[arg(long)]
    pub check: bool,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Where `images lock` reads image configs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LockSource {
    /// The local engine when it has the image, else the registry.
    #[default]
    Auto,
    /// The local engine only.
    Engine,
    /// The registry only.
    Registry,
}

/// Paths, rule choices and the configuration: what `check`, `fix`, `verify` and `config`
/// resolve their options from.
#[derive(Debug, Default, Args)]
pub struct CommonArgs {
    /// Compose files or folders; `-` reads standard input. Folders are searched recursively
    /// for compose*.y*ml and docker-compose*.y*ml, honouring .gitignore. Default: compose.yaml,
    /// compose.yml, docker-compose.yaml and docker-compose.yml in the current folder.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A compose file of one project, as `docker compose -f`: repeatable, merged in order
    /// (instead of PATH; default: `COMPOSE_FILE`, split at `COMPOSE_PATH_SEPARATOR`, else the
    /// folder's default file and its compose.override.yaml).
    #[arg(
        long = "file",
        short = 'f',
        value_name = "FILE",
        conflicts_with = "paths"
    )]
    pub files: Vec<PathBuf>,
    /// Check only the services Compose starts with this profile active (repeatable; default:
    /// `COMPOSE_PROFILES`, comma-separated; `*` is every profile). Without one, every service
    /// is checked, whatever its `profiles:`.
    #[arg(long, value_name = "PROFILE")]
    pub profile: Vec<String>,
    /// The project's folder, as `docker compose --project-directory`: its `.env` is read, and
    /// relative `-f` files and the default files are looked for there.
    #[arg(long, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,
    #[command(flatten)]
    pub rules: RuleSelection,
    /// Include unsafe fixes (they may break a service: review them).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// The rule set: baseline (low-risk controls), recommended (default), or strict (every
    /// rule).
    #[arg(long, value_enum, value_name = "PRESET")]
    pub preset: Option<Preset>,
    /// Where the file is deployed: compose (`docker compose up`, default) or swarm (`docker
    /// stack deploy`, which accepts fewer forms).
    #[arg(long, value_enum, value_name = "TARGET")]
    pub target: Option<Target>,
    /// Use this configuration file instead of the nearest composeguard.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read the variables Compose interpolates the files with from this env file instead of
    /// the `.env` beside each file (repeatable; later files win; the shell's variables win
    /// over both, as with `docker compose --env-file`). They are used to read values such as
    /// `image: ${PG_IMAGE:-postgres:16}` and never written into the files.
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Do not read the project's image lock file (`composeguard.lock` beside the compose
    /// file, written by `composeguard images lock` and `learn`): fix with the built-in image
    /// table only.
    #[arg(long)]
    pub no_lock: bool,
    /// Print nothing but errors (the exit code still tells).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Exit 0 even when there are findings (errors still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// How to print findings.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub output_format: Option<output::Format>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The compose file (default: compose.yaml, compose.yml, docker-compose.yaml or
    /// docker-compose.yml in the current folder).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// Harden with safe fixes only (default: unsafe fixes too, as `fix --unsafe-fixes`).
    #[arg(long)]
    pub safe_only: bool,
    /// How long a service without a health check must keep running to count as started.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = verify::parse_duration)]
    pub settle: std::time::Duration,
    /// How long each version may take until every service is running or healthy.
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = verify::parse_duration)]
    pub timeout: std::time::Duration,
    /// How to print the report.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub output_format: verify::Format,
    #[command(flatten)]
    pub rules: RuleSelection,
    /// The rule set: baseline, recommended (default), or strict.
    #[arg(long, value_enum, value_name = "PRESET")]
    pub preset: Option<Preset>,
    /// Use this configuration file instead of the nearest composeguard.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not read the lock file (`composeguard.lock` beside the file) for the fixes.
    #[arg(long)]
    pub no_lock: bool,
    /// No progress lines (the report is still printed).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct LearnArgs {
    /// The compose file (default: compose.yaml, compose.yml, docker-compose.yaml or
    /// docker-compose.yml in the current folder).
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// How long a service without a health check must keep running to count as started.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = verify::parse_duration)]
    pub settle: std::time::Duration,
    /// How long memory and processes are sampled once every service has started.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = verify::parse_duration)]
    pub observe: std::time::Duration,
    /// How long each start may take until every service is running or healthy.
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = verify::parse_duration)]
    pub timeout: std::time::Duration,
    /// Do not learn capabilities (each trial is another start of the stack).
    #[arg(long)]
    pub no_caps: bool,
    /// Search capabilities from Docker's defaults even for images composeguard knows (by
    /// default their known set is tried first and taken when the stack starts with it).
    #[arg(long, conflicts_with = "no_caps")]
    pub from_scratch: bool,
    /// How to print the report.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub output_format: verify::Format,
    /// No progress lines (the report is still printed).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Print a unified diff of the changes and write nothing. It applies with `git apply` or
    /// `patch -p1` from the current folder; a file outside it is named by its absolute path
    /// without the leading `/` (apply from `/`). Names with spaces end with a tab and names
    /// with `"`, `\` or control characters are quoted, as git writes them.
    #[arg(long, conflicts_with = "stdout")]
    pub diff: bool,
    /// Print the fixed document to standard output and write nothing. One file only (several
    /// are refused with exit 2: concatenated compose files are not one compose file); use
    /// --diff for several.
    #[arg(long)]
    pub stdout: bool,
    /// Show secret values in diffs. By default every value of an `environment` variable whose
    /// name looks secret (the CG601 patterns, whatever rules run or are suppressed) and every
    /// password inside a URL is printed as ****, on both sides of the diff.
    #[arg(long)]
    pub show_secrets: bool,
    /// Move literal secrets that the image cannot read from a file into this env file
    /// (relative to the compose file), leaving `${VAR}` in the compose file.
    #[arg(long, value_name = "FILE")]
    pub secrets_env_file: Option<String>,
    /// Write every change into this override file instead (created, or updated in place), and
    /// leave the project's files byte-identical: load it after them
    /// (`COMPOSE_FILE=compose.yaml:FILE` or `-f compose.yaml -f FILE`). A list or mapping the
    /// project already sets is replaced with `!override`, a removed key is `!reset`; a change
    /// an override cannot express (a shared `x-` block, anchors) stops the run. One project.
    #[arg(long, value_name = "FILE")]
    pub into: Option<std::path::PathBuf>,
    /// Add `secrets/` to the compose file's folder's existing .gitignore when secret files are
    /// written (in the file's own line ending). A `secrets/` folder that is a symlink out of
    /// the project, or that others may enter, stops the run; existing secret and env files
    /// others may read get a warning with the chmod to run.
    #[arg(long)]
    pub gitignore_secrets: bool,
    /// Apply only the fixes that keep the stack starting: start it as written and as fixed on
    /// the local Docker engine (as `verify` does), and for each service that no longer starts,
    /// find the fixes responsible by bisection over its fixes, hold them back, and apply the
    /// rest. The report says what was held back and why, and how to keep it so. One file.
    #[arg(long, conflicts_with = "into")]
    pub verify: bool,
    /// With --verify: how long a service without a health check must keep running.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = verify::parse_duration, requires = "verify")]
    pub settle: std::time::Duration,
    /// With --verify: how long each start may take.
    #[arg(long, value_name = "DURATION", default_value = "120s", value_parser = verify::parse_duration, requires = "verify")]
    pub timeout: std::time::Duration,
}
