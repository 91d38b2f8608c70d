//! Why a command stops before giving an answer (exit 2, printed as `error: <message>`).

use crate::commands::verify::VerifyError;
use crate::config::ConfigError;
use crate::files::CollectError;

/// A usage error: bad flags, configuration or paths, or a command that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file cannot be read or is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `--select`, `--ignore` or the configuration names a rule that does not exist.
    #[error("unknown rule `{name}` in {place}; run `composeguard rules` to list them")]
    UnknownRuleIn {
        /// As written.
        name: String,
        /// The flag or the configuration file (and table) that names it.
        place: String,
    },
    /// `composeguard rule` was given a rule that does not exist.
    #[error("unknown rule `{0}`; run `composeguard rules` to list them")]
    UnknownRule(String),
    /// `composeguard images` was given an image it does not know.
    #[error("no known image `{0}`; run `composeguard images` to list them")]
    UnknownImage(String),
    /// A path names nothing, or a folder holds no compose file.
    #[error(transparent)]
    Paths(#[from] CollectError),
    /// `-` twice.
    #[error("`-` (standard input) is given more than once; give it once")]
    StdinTwice,
    /// `fix --into` for Swarm, whose loader knows no `!override` or `!reset`.
    #[error(
        "--into writes `!override` and `!reset`, which `docker stack deploy` does not read; harden the files themselves for --target swarm"
    )]
    IntoSwarm,
    /// `fix --into` with several projects.
    #[error(
        "--into writes one project's override, and {count} projects were found; name one project (a folder's compose file with its override, or -f files)"
    )]
    IntoSeveral {
        /// How many projects.
        count: usize,
    },
    /// `fix --stdout` with several files.
    #[error(
        "--stdout prints one fixed file, and {count} were given ({names}): one YAML stream cannot hold several compose files unambiguously; name one file, or use --diff for several"
    )]
    StdoutSeveral {
        /// How many files.
        count: usize,
        /// Their names, comma-separated.
        names: String,
    },
    /// `verify` with several files.
    #[error("verify takes one compose file")]
    VerifyOneFile,
    /// `verify -`.
    #[error(
        "verify needs a file, not standard input: its folder holds what bind mounts and env files name"
    )]
    VerifyStdin,
    /// An `--env-file` file cannot be read.
    #[error(transparent)]
    EnvFile(crate::files::Failure),
    /// `verify` could not give an answer.
    #[error(transparent)]
    Verify(#[from] VerifyError),
}
