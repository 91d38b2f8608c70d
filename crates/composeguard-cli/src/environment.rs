//! The variables Compose interpolates a file with: the `.env` file beside it (or the
//! `--env-file` files instead, in order), with the process environment taking precedence, as
//! `docker compose` does. The library reads `${VAR:-default}` in image references with them
//! (nothing is written back).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::files::{Failure, Input};

/// The variables for `input`: `env_files` if any were given, else its folder's `.env` (when
/// there is one), then the process environment over them.
pub fn for_input(input: &Input, env_files: &[PathBuf]) -> Result<Vec<(String, String)>, Failure> {
    let process: HashMap<String, String> = std::env::vars().collect();
    let beside;
    let files: &[PathBuf] = if !env_files.is_empty() {
        env_files
    } else if input.is_stdin() {
        &[]
    } else {
        let folder = input
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        beside = [folder.join(".env")];
        if beside[0].is_file() { &beside } else { &[] }
    };
    let mut vars = HashMap::new();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| Failure::EnvFile {
            path: file.display().to_string(),
            line: 1,
            message: format!("cannot read the env file: {e}"),
        })?;
        let outer = |name: &str| vars.get(name).or_else(|| process.get(name)).cloned();
        let read = composeguard::interpolation::dotenv(&text, &outer).map_err(|line| {
            Failure::EnvFile {
                path: file.display().to_string(),
                line,
                message: "Compose cannot read this line (expected KEY=value, with quotes closed)"
                    .to_owned(),
            }
        })?;
        vars.extend(read);
    }
    vars.extend(process);
    Ok(vars.into_iter().collect())
}
