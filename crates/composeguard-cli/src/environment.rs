//! The variables Compose interpolates a file with: the `.env` file beside it (or the
//! `--env-file` files instead, in order), with the process environment taking precedence, as
//! `docker compose` does. The library reads `${VAR:-default}` in image references with them
//! (nothing is written back).

use std::path::{Path, PathBuf};

use crate::files::{Failure, Input};

/// What every file of a run shares: the shell's variables and the `--env-file` files, each
/// read once.
pub struct Environment {
    process: Vec<(String, String)>,
    /// The variables of the `--env-file` files; None: each file's own `.env` is read.
    given: Option<Vec<(String, String)>>,
}

impl Environment {
    /// Reads the shell's variables and the `env_files` (later files win).
    pub fn load(env_files: &[PathBuf]) -> Result<Environment, Failure> {
        let process: Vec<(String, String)> = std::env::vars().collect();
        let given = if env_files.is_empty() {
            None
        } else {
            let mut vars = Vec::new();
            for file in env_files {
                read_env_file(file, &process, &mut vars)?;
            }
            Some(vars)
        };
        Ok(Environment { process, given })
    }

    /// The variables for `input`, as (name, value) pairs with the last of a name winning: the
    /// `--env-file` variables, else those of the `.env` beside it (when there is one), then
    /// the shell's.
    pub fn for_input(&self, input: &Input) -> Result<Vec<(String, String)>, Failure> {
        let folder = input
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        self.for_folder((!input.is_stdin()).then_some(folder))
    }

    /// The variables for a project whose folder is `folder` (its `.env`), as
    /// [`Environment::for_input`].
    pub fn for_folder(&self, folder: Option<&Path>) -> Result<Vec<(String, String)>, Failure> {
        let mut vars = match &self.given {
            Some(given) => given.clone(),
            None => {
                let mut vars = Vec::new();
                if let Some(folder) = folder {
                    let beside = folder.join(".env");
                    if beside.is_file() {
                        read_env_file(&beside, &self.process, &mut vars)?;
                    }
                }
                vars
            }
        };
        vars.extend(self.process.iter().cloned());
        Ok(vars)
    }
}

/// Appends the variables of the env file at `path` to `vars`; its values are interpolated
/// from `vars` first (the lines and files above), then the shell's.
fn read_env_file(
    path: &Path,
    process: &[(String, String)],
    vars: &mut Vec<(String, String)>,
) -> Result<(), Failure> {
    let failure = |line, message| Failure::EnvFile {
        path: path.display().to_string(),
        line,
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| failure(1, format!("cannot read the env file: {e}")))?;
    let outer = |name: &str| {
        let last = |list: &[(String, String)]| {
            list.iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        last(vars).or_else(|| last(process))
    };
    let read = composeguard::interpolation::dotenv(&text, &outer).map_err(|line| {
        failure(
            line,
            "Compose cannot read this line (expected KEY=value, with quotes closed)".to_owned(),
        )
    })?;
    vars.extend(read);
    Ok(())
}
