//! The Docker engine, through its command line: `docker` and Docker Compose v2 (`docker
//! compose`, `docker-compose`, or `COMPOSEGUARD_DOCKER_COMPOSE`).
//!
//! Every command runs in its own process group, so a Ctrl-C at the terminal reaches
//! composeguard only: it stops the command it is waiting for itself, and the clean-up that
//! follows is not interrupted.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Set by the Ctrl-C (and SIGTERM, SIGHUP) handler.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// True once the user asked to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Why the engine could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// No `docker` binary.
    #[error(
        "the `docker` command was not found on PATH: install the Docker CLI (Debian: `apt-get install docker.io`)"
    )]
    NoDocker,
    /// No Compose v2.
    #[error(
        "Docker Compose v2 was not found: install the compose plugin (`docker compose`), put `docker-compose` on PATH, or set COMPOSEGUARD_DOCKER_COMPOSE to its path"
    )]
    NoCompose,
    /// The daemon does not answer.
    #[error(
        "no Docker engine is reachable ({detail}); start one (`sudo systemctl start docker`, or `sudo dockerd &`), or point DOCKER_HOST at a running one"
    )]
    NoEngine {
        /// What `docker info` said.
        detail: String,
    },
    /// A command could not be started.
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A command failed.
    #[error("`{command}` failed: {message}")]
    Failed {
        /// The command line.
        command: String,
        /// Its standard error, trimmed.
        message: String,
    },
    /// A command took too long.
    #[error("`{command}` did not finish within {seconds} s")]
    TimedOut {
        /// The command line.
        command: String,
        /// The limit.
        seconds: u64,
    },
    /// The user pressed Ctrl-C.
    #[error("interrupted")]
    Interrupted,
    /// Stopped because its result was no longer needed.
    #[error("cancelled")]
    Cancelled,
    /// Output that does not parse.
    #[error("unexpected output from `{command}`: {message}")]
    Output {
        /// The command line.
        command: String,
        /// What was wrong.
        message: String,
    },
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Finished {
    /// Whether it exited 0.
    pub success: bool,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// How to reach the engine.
#[derive(Debug, Clone)]
pub struct Docker {
    docker: OsString,
    /// The compose program and the arguments before its own (`docker` + `compose`).
    compose: Vec<OsString>,
}

/// Whether a running command may be stopped by Ctrl-C (clean-up commands may not).
#[derive(Debug, Clone)]
pub enum Stop {
    /// Stopped on Ctrl-C.
    OnInterrupt,
    /// Stopped on Ctrl-C, or once the flag is set (by whoever no longer needs the command).
    OnInterruptOr(Arc<AtomicBool>),
    /// Runs to its end (or its time limit) whatever happens.
    Never,
}

fn shown(program: &OsStr, args: &[OsString]) -> String {
    let mut s = program.to_string_lossy().into_owned();
    for a in args {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs a command with a time limit, reading both outputs as it goes (no pipe fills up).
pub fn run(
    program: &OsStr,
    args: &[OsString],
    limit: Duration,
    stop: Stop,
) -> Result<Finished, DockerError> {
    let command = shown(program, args);
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|source| DockerError::Spawn {
            command: command.clone(),
            source,
        })?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) => {}
            Err(source) => return Err(DockerError::Spawn { command, source }),
        }
        let cancelled = match &stop {
            Stop::OnInterrupt => false,
            Stop::OnInterruptOr(flag) => flag.load(Ordering::SeqCst),
            Stop::Never => false,
        };
        let stopped = !matches!(stop, Stop::Never) && interrupted();
        if stopped || cancelled || Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            if stopped {
                return Err(DockerError::Interrupted);
            }
            if cancelled {
                return Err(DockerError::Cancelled);
            }
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    match status {
        Some(status) => Ok(Finished {
            success: status.success(),
            stdout,
            stderr,
        }),
        None => Err(DockerError::TimedOut {
            command,
            seconds: limit.as_secs(),
        }),
    }
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// The time limit of the short commands (info, inspect, ps, logs).
const SHORT: Duration = Duration::from_secs(60);

impl Docker {
    /// Finds `docker` and Compose v2 and checks that the engine answers.
    pub fn find() -> Result<Docker, DockerError> {
        let engine = Self::find_engine()?;
        let compose = Self::find_compose(&engine.docker)?;
        Ok(Docker { compose, ..engine })
    }

    /// Finds `docker` and checks that the engine answers, without Compose (for reading image
    /// configs).
    pub fn find_engine() -> Result<Docker, DockerError> {
        let docker = OsString::from("docker");
        let info = run(
            &docker,
            &os(&["info", "--format", "{{.ServerVersion}}"]),
            Duration::from_secs(20),
            Stop::OnInterrupt,
        );
        match info {
            Err(DockerError::Spawn { .. }) => Err(DockerError::NoDocker),
            Err(DockerError::TimedOut { .. }) => Err(DockerError::NoEngine {
                detail: "`docker info` did not answer within 20 s".into(),
            }),
            Err(e) => Err(e),
            Ok(f) if !f.success || f.stdout.trim().is_empty() => Err(DockerError::NoEngine {
                detail: first_line(&f.stderr)
                    .unwrap_or("`docker info` failed")
                    .to_owned(),
            }),
            Ok(_) => Ok(Docker {
                docker,
                compose: Vec::new(),
            }),
        }
    }

    fn find_compose(docker: &OsStr) -> Result<Vec<OsString>, DockerError> {
        let works = |program: &OsStr, prefix: &[OsString]| {
            let mut args = prefix.to_vec();
            args.push("version".into());
            matches!(
                run(program, &args, Duration::from_secs(20), Stop::OnInterrupt),
                Ok(Finished { success: true, .. })
            )
        };
        if let Some(path) = std::env::var_os("COMPOSEGUARD_DOCKER_COMPOSE") {
            return if works(&path, &[]) {
                Ok(vec![path])
            } else {
                Err(DockerError::NoCompose)
            };
        }
        if works(docker, &os(&["compose"])) {
            return Ok(vec![docker.to_owned(), "compose".into()]);
        }
        let plain = OsString::from("docker-compose");
        if works(&plain, &[]) {
            return Ok(vec![plain]);
        }
        Err(DockerError::NoCompose)
    }

    /// Runs `docker ARGS`.
    pub fn docker(&self, args: &[&str], stop: Stop) -> Result<Finished, DockerError> {
        run(&self.docker, &os(args), SHORT, stop)
    }

    /// Runs `docker compose -p PROJECT --project-directory DIR -f FILE ARGS`.
    pub fn compose(
        &self,
        project: &Project,
        args: &[&str],
        limit: Duration,
        stop: Stop,
    ) -> Result<Finished, DockerError> {
        let Some((program, prefix)) = self.compose.split_first() else {
            return Err(DockerError::NoCompose);
        };
        let mut all: Vec<OsString> = prefix.to_vec();
        all.extend(os(&["-p", &project.name]));
        all.push("--project-directory".into());
        all.push(project.directory.clone().into_os_string());
        all.push("-f".into());
        all.push(project.file.clone().into_os_string());
        all.extend(os(args));
        run(program, &all, limit, stop)
    }

    /// The ids of the containers of a compose project, with our label's value for each.
    pub fn containers(&self, project: &str) -> Result<Vec<(String, String)>, DockerError> {
        let filter = format!("label=com.docker.compose.project={project}");
        let f = self.docker(
            &[
                "ps",
                "-a",
                "--filter",
                &filter,
                "--format",
                &format!("{{{{.ID}}}} {{{{.Label \"{LABEL}\"}}}}"),
            ],
            Stop::Never,
        )?;
        if !f.success {
            return Err(failed("docker ps", &f));
        }
        Ok(f.stdout
            .lines()
            .filter_map(|l| {
                let (id, label) = l.split_once(' ').unwrap_or((l, ""));
                (!id.is_empty()).then(|| (id.to_owned(), label.trim().to_owned()))
            })
            .collect())
    }

    /// `docker inspect` of containers, as JSON values.
    pub fn inspect(&self, ids: &[String]) -> Result<Vec<serde_json::Value>, DockerError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec!["inspect"];
        args.extend(ids.iter().map(String::as_str));
        let f = self.docker(&args, Stop::OnInterrupt)?;
        if !f.success {
            // A container removed meanwhile (auto-remove): inspect what is left next time.
            return Ok(Vec::new());
        }
        serde_json::from_str(&f.stdout).map_err(|e| DockerError::Output {
            command: "docker inspect".into(),
            message: e.to_string(),
        })
    }

    /// The config of a local image (`docker image inspect`), None when there is no such image.
    pub fn image_config(
        &self,
        reference: &str,
    ) -> Result<Option<crate::image_config::ImageConfig>, DockerError> {
        let f = self.docker(&["image", "inspect", reference], Stop::OnInterrupt)?;
        if !f.success {
            return Ok(None);
        }
        let output = |message: String| DockerError::Output {
            command: "docker image inspect".into(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(&f.stdout).map_err(|e| output(e.to_string()))?;
        let image = value
            .get(0)
            .ok_or_else(|| output("no image in the answer".into()))?;
        let id = image.get("Id").and_then(|v| v.as_str()).map(str::to_owned);
        let config = image.get("Config").cloned().unwrap_or_default();
        Ok(Some(crate::image_config::ImageConfig::from_config(
            &config, id,
        )))
    }

    /// Whether an image exists locally.
    pub fn has_image(&self, image: &str) -> Result<bool, DockerError> {
        Ok(self
            .docker(
                &["image", "inspect", "--format", "{{.Id}}", image],
                Stop::OnInterrupt,
            )?
            .success)
    }
}

/// The label put on every container, volume and network verify creates.
pub const LABEL: &str = "com.composeguard.verify";

/// A throwaway compose project: its name, the folder relative paths resolve against, and the
/// file that describes it.
#[derive(Debug, Clone)]
pub struct Project {
    /// `cg-verify-<pid>-orig` or `-hard`.
    pub name: String,
    /// The original compose file's folder.
    pub directory: PathBuf,
    /// The prepared file (inside the private temp folder).
    pub file: PathBuf,
}

impl Project {
    /// A project.
    pub fn new(name: String, directory: &Path, file: PathBuf) -> Project {
        Project {
            name,
            directory: directory.to_path_buf(),
            file,
        }
    }
}

/// An error for a failed command.
pub fn failed(command: &str, f: &Finished) -> DockerError {
    DockerError::Failed {
        command: command.to_owned(),
        message: f.stderr.trim().lines().last().unwrap_or("").to_owned(),
    }
}

fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|l| !l.is_empty())
}
