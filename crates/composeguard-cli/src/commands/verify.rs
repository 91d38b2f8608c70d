//! `composeguard verify`: start a compose file as written and as hardened, on a real Docker
//! engine, and tell which services stop starting after hardening, and why if the logs say.
//!
//! Both versions run under throwaway project names (`cg-verify-<pid>-orig`, `-hard`) from a
//! private temp folder, one after the other, each labelled `com.composeguard.verify=1`, with
//! no published ports, no fixed container names, no host network, and fresh empty volumes and
//! networks of their own. Relative paths (bind mounts, env files, secrets) resolve against the
//! original file's folder. Each project is taken down (`down -v --remove-orphans`) when its run
//! ends, on errors, and on Ctrl-C; nothing is taken down that does not carry the label.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::ExitStatus;
use crate::args::{CommonArgs, VerifyArgs};
use crate::docker::{self, Docker, DockerError, LABEL, Project, Stop};
use crate::error::Error;
use crate::resolve;

/// `composeguard verify`: resolves the options as `fix --unsafe-fixes` would (safe fixes only
/// with `--safe-only`), then verifies the one file and prints the report.
pub fn run(args: &VerifyArgs) -> Result<ExitStatus, Error> {
    let common = CommonArgs {
        paths: args.path.iter().cloned().collect(),
        rules: args.rules.clone(),
        preset: args.preset,
        config: args.config.clone(),
        quiet: args.quiet,
        ..CommonArgs::default()
    };
    let mut options = resolve::resolve(&common)?.options;
    options.unsafe_fixes = !args.safe_only;
    let Some(file) = one_file(&common.paths, &[], !args.no_lock, &mut options)? else {
        return Ok(ExitStatus::Error);
    };
    let request = Request {
        path: &file.input.path,
        display: &file.input.display,
        text: &file.text,
        options: &options,
        settle: args.settle,
        timeout: args.timeout,
        progress: show_progress(args.quiet),
        restart: false,
    };
    let report = verify(&request)?;
    match args.output_format {
        Format::Json => {
            anstream::println!("{}", serde_json::to_string_pretty(&report).expect("JSON"))
        }
        Format::Text => anstream::print!("{}", text(&report)),
    }
    Ok(if report.ok {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// The one compose file `verify`, `learn` and `fix --verify` start, read.
pub struct OneFile {
    /// The file.
    pub input: crate::files::Input,
    /// Its text.
    pub text: String,
    /// Its folder (where its `.env` and lock file are).
    pub folder: PathBuf,
}

/// Reads the one compose file of `paths` (the folder's default file when empty), with the
/// variables `docker compose` would read when it starts it (`env_files`, else the `.env`
/// beside it) and, with `use_lock`, the facts of its lock file, both set in `options`. None
/// (after printing why) when a file cannot be read.
pub fn one_file(
    paths: &[PathBuf],
    env_files: &[PathBuf],
    use_lock: bool,
    options: &mut composeguard::Options,
) -> Result<Option<OneFile>, Error> {
    let inputs = crate::files::collect(paths)?;
    let [input] = inputs.as_slice() else {
        return Err(Error::VerifyOneFile);
    };
    if input.is_stdin() {
        return Err(Error::VerifyStdin);
    }
    match crate::environment::Environment::load(env_files).and_then(|e| e.for_input(input)) {
        Ok(environment) => options.environment = environment,
        Err(e) => {
            super::report_error(&input.display, &e);
            return Ok(None);
        }
    }
    let folder = input.folder().unwrap_or_else(|| PathBuf::from("."));
    if use_lock {
        match super::read_lock(&crate::lock::path_in(&folder)) {
            Ok(Some(lock)) => options.image_facts = lock.facts(),
            Ok(None) => {}
            Err(_) => return Ok(None),
        }
    }
    match input.read(options.limits.max_bytes) {
        Ok(l) => Ok(Some(OneFile {
            input: input.clone(),
            text: l.text,
            folder,
        })),
        Err(e) => {
            super::report_error(&input.display, &e);
            Ok(None)
        }
    }
}

/// How `verify` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Lines for people.
    #[default]
    Text,
    /// One JSON object.
    Json,
}

/// Why verify could not give an answer (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The engine or a command failed.
    #[error(transparent)]
    Docker(DockerError),
    /// Ctrl-C (or SIGTERM, SIGHUP).
    #[error("interrupted: verify's containers, volumes and networks were taken down")]
    Interrupted,
    /// The file could not be fixed.
    #[error("{path}: {source}")]
    Fix {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: composeguard::Error,
    },
    /// The temp folder could not be written.
    #[error("cannot write the temp project folder: {0}")]
    Temp(#[source] std::io::Error),
    /// Something verify will not run.
    #[error("{0}")]
    Refused(String),
}

impl From<DockerError> for VerifyError {
    fn from(e: DockerError) -> VerifyError {
        match e {
            DockerError::Interrupted => VerifyError::Interrupted,
            other => VerifyError::Docker(other),
        }
    }
}

/// Why a duration on the command line is not one.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a number.
    #[error("`{0}` is not a duration (e.g. 5s, 500ms, 2m)")]
    NotANumber(String),
    /// A unit other than ms, s or m.
    #[error("`{0}`: the unit is ms, s or m")]
    Unit(String),
    /// Negative, or over a day.
    #[error("`{0}` is out of range")]
    Range(String),
}

/// A duration on the command line: `5s`, `500ms`, `2m`, or seconds.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: f64 = number
        .parse()
        .map_err(|_| DurationError::NotANumber(text.to_owned()))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(DurationError::Unit(text.to_owned())),
    };
    if !seconds.is_finite() || !(0.0..=86_400.0).contains(&seconds) {
        return Err(DurationError::Range(text.to_owned()));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// What to run.
#[derive(Debug)]
pub struct Request<'a> {
    /// The compose file.
    pub path: &'a Path,
    /// As shown in messages.
    pub display: &'a str,
    /// Its text.
    pub text: &'a str,
    /// The fix options (unsafe fixes on unless `--safe-only`).
    pub options: &'a composeguard::Options,
    /// How long a service without a health check must keep running.
    pub settle: Duration,
    /// How long one version may take to start.
    pub timeout: Duration,
    /// Print progress lines to standard error.
    pub progress: bool,
    /// Restart the stack once it has settled and watch it again: a service counts as started
    /// only when it starts again on what its first start left (its volumes, its own files).
    pub restart: bool,
}

/// How a service ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Running and its health check passes.
    Healthy,
    /// Running for the settle time (no health check).
    Running,
    /// Exited 0 (a one-shot task).
    Completed,
    /// Exited non-zero.
    Exited,
    /// Running, its health check fails.
    Unhealthy,
    /// Restarting over and over.
    Restarting,
    /// Still starting when the time was up.
    Starting,
    /// Created but never started (a dependency failed).
    Created,
    /// No container.
    Missing,
}

impl State {
    fn started(self) -> bool {
        matches!(self, State::Healthy | State::Running | State::Completed)
    }

    fn word(self) -> &'static str {
        match self {
            State::Healthy => "healthy",
            State::Running => "running",
            State::Completed => "completed",
            State::Exited => "exited",
            State::Unhealthy => "unhealthy",
            State::Restarting => "restarting",
            State::Starting => "still starting",
            State::Created => "never started",
            State::Missing => "no container",
        }
    }
}

/// One version of one service.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Whether it started (healthy, running past the settle time, or completed).
    pub started: bool,
    /// What it ended as.
    pub state: State,
    /// Its health (`healthy`, `unhealthy`, `starting`), when it has a health check.
    pub health: Option<String>,
    /// The exit code, once it exited.
    pub exit_code: Option<i64>,
    /// How often the engine restarted it.
    pub restarts: u64,
    /// The last log lines (`docker compose logs --tail 20`).
    pub logs: Vec<String>,
    /// The last health check output, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_output: Option<String>,
    /// Why it never started (what `docker compose up` said), when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A likely cause: the fix and the line that points at it.
#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    /// `cap_drop`, `read_only`, `user`, `ulimits`, `no-new-privileges`, `limits`,
    /// `healthcheck`.
    pub fix: &'static str,
    /// The log (or health check) line.
    pub line: String,
}

/// One service, before and after.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceReport {
    /// Its name.
    pub service: String,
    /// As written.
    pub before: Run,
    /// As hardened.
    pub after: Run,
    /// What hardening changed in it.
    pub changed: Vec<&'static str>,
    /// Started before, not after.
    pub broke: bool,
    /// What the logs point at, for a service that broke.
    pub likely_cause: Option<Cause>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The compose file.
    pub file: String,
    /// Whether unsafe fixes were applied.
    pub unsafe_fixes: bool,
    /// How many findings the fix applied.
    pub fixed: usize,
    /// Every service that started before still starts.
    pub ok: bool,
    /// Per service, in name order.
    pub services: Vec<ServiceReport>,
    /// What verify changed to run the file safely, and what it could not keep apart.
    pub warnings: Vec<String>,
    /// How long each version took: start, wait, logs and clean-up.
    pub seconds: Seconds,
}

/// Seconds per version.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Seconds {
    /// As written.
    pub original: f64,
    /// Hardened.
    pub hardened: f64,
}

fn progress(on: bool, line: &str) {
    if on {
        anstream::eprintln!("{line}");
    }
}

/// Runs both versions and compares them.
pub fn verify(request: &Request<'_>) -> Result<Report, VerifyError> {
    let outcome = fixed(request, request.options)?;
    let mut stage = Stage::new(request.path, "verify")?;
    let (services, warnings, seconds) = before_after(&mut stage, request, &outcome)?;
    let ok = services.iter().all(|s| !s.broke);
    Ok(Report {
        file: request.display.to_owned(),
        unsafe_fixes: request.options.unsafe_fixes,
        fixed: outcome.fixed,
        ok,
        services,
        warnings,
        seconds,
    })
}

/// Starts the file as written and as `outcome` fixed it, and compares them: each service
/// before and after, what was changed to run them safely, how long each took.
pub fn before_after(
    stage: &mut Stage,
    request: &Request<'_>,
    outcome: &composeguard::FixOutcome,
) -> Result<(Vec<ServiceReport>, Vec<String>, Seconds), VerifyError> {
    let orig = stage.run("orig", request.text, &[], request, &mut |_, _, _| Ok(()))?;
    let hard = stage.run(
        "hard",
        &outcome.output,
        &outcome.files,
        request,
        &mut |_, _, _| Ok(()),
    )?;
    let seconds = Seconds {
        original: orig.seconds,
        hardened: hard.seconds,
    };
    let services = compare(&orig.model, &hard.model, orig.runs, hard.runs);
    Ok((services, orig.notes, seconds))
}

/// The file fixed with `options`, refused when the fix would write into the project (an env
/// file): verify runs without writing into it.
pub fn fixed(
    request: &Request<'_>,
    options: &composeguard::Options,
) -> Result<composeguard::FixOutcome, VerifyError> {
    let outcome = composeguard::fix(request.text, options).map_err(|source| VerifyError::Fix {
        path: request.display.to_owned(),
        source,
    })?;
    if outcome
        .files
        .iter()
        .any(|f| f.kind != composeguard::NewFileKind::Secret)
    {
        return Err(VerifyError::Refused(
            "the fix would add lines to an env file (`secrets_env_file`); verify runs without writing into your project: unset that option for verify".into(),
        ));
    }
    Ok(outcome)
}

/// What a run's `while_up` is given: the engine, the project, and the services' runs.
pub type WhileUp<'f> =
    dyn FnMut(&Docker, &Project, &BTreeMap<String, Run>) -> Result<(), VerifyError> + 'f;

/// One run of a [`Stage`].
pub struct Ran {
    /// The model it ran (isolated).
    pub model: Value,
    /// Each service's run.
    pub runs: BTreeMap<String, Run>,
    /// What was changed to run it safely.
    pub notes: Vec<String>,
    /// How long it took.
    pub seconds: f64,
}

/// Where runs of one compose file happen: the engine, the file's folder (relative paths
/// resolve against it) and a private temp folder for the prepared files. Each run gets a
/// project name of its own (`cg-<what>-<pid>-<label>`).
pub struct Stage {
    engine: Docker,
    directory: PathBuf,
    temp: tempfile::TempDir,
    what: &'static str,
    runs: usize,
    /// With [`Stage::pristine_binds`]: each writable bind-mounted folder of the project, and
    /// its copy as it was before the first run.
    pristine: Option<BTreeMap<PathBuf, PathBuf>>,
    /// Each fresh copy made, and the folder it is a copy of (a model of an earlier run given
    /// to a later one names the copy).
    copies: BTreeMap<PathBuf, PathBuf>,
}

impl Stage {
    /// A stage for the compose file at `path`; `what` names the command in project names.
    pub fn new(path: &Path, what: &'static str) -> Result<Stage, VerifyError> {
        let engine = Docker::find()?;
        // The handler only sets a flag: the waits and commands check it and the clean-up
        // runs. It is installed once per process; a second call (tests) is no error.
        let _ = ctrlc::set_handler(|| {
            docker::INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let directory = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let directory = std::fs::canonicalize(&directory).map_err(VerifyError::Temp)?;
        let temp = tempfile::Builder::new()
            .prefix(&format!("composeguard-{what}-"))
            .tempdir()
            .map_err(VerifyError::Temp)?;
        Ok(Stage {
            engine,
            directory,
            temp,
            what,
            runs: 0,
            pristine: None,
            copies: BTreeMap::new(),
        })
    }

    /// Every run gets its own copy of the project's writable bind-mounted folders as they
    /// were before the first run, so that what one start changed there (a chown of `./data`)
    /// does not decide the next, and the user's folders are not touched. Folders outside the
    /// project folder, and folders over 64 MiB, are mounted as they are.
    pub fn pristine_binds(mut self) -> Stage {
        self.pristine = Some(BTreeMap::new());
        self
    }

    /// Points the model's writable bind mounts of project folders at fresh copies.
    fn fresh_binds(&mut self, model: &mut Value, folder: &str) -> Result<Vec<String>, VerifyError> {
        let mut notes = Vec::new();
        let Some(pristine) = self.pristine.as_mut() else {
            return Ok(notes);
        };
        let Some(Value::Object(services)) = model.get_mut("services") else {
            return Ok(notes);
        };
        let mut copies = 0;
        for service in services.values_mut() {
            let Some(Value::Array(volumes)) = service.get_mut("volumes") else {
                continue;
            };
            for v in volumes {
                let bind = v.get("type").and_then(Value::as_str) == Some("bind");
                let read_only = v.get("read_only").and_then(Value::as_bool) == Some(true);
                let Some(mut source) = v.get("source").and_then(Value::as_str).map(PathBuf::from)
                else {
                    continue;
                };
                if let Some(original) = self.copies.get(&source) {
                    source = original.clone();
                }
                if !bind || read_only || !source.is_dir() || !source.starts_with(&self.directory) {
                    continue;
                }
                if !pristine.contains_key(&source) {
                    if folder_size(&source) > 64 << 20 {
                        notes.push(format!(
                            "bind mount {} is over 64 MiB: every run uses your own folder",
                            source.display()
                        ));
                        continue;
                    }
                    let snapshot = self
                        .temp
                        .path()
                        .join(format!("pristine/{}", pristine.len()));
                    copy_folder(&source, &snapshot)?;
                    pristine.insert(source.clone(), snapshot);
                }
                copies += 1;
                let fresh = self.temp.path().join(format!("{folder}/binds/{copies}"));
                copy_folder(&pristine[&source], &fresh)?;
                v["source"] = json!(fresh.to_string_lossy());
                self.copies.insert(fresh, source);
            }
        }
        Ok(notes)
    }

    fn write(&self, name: &str, text: &str) -> Result<PathBuf, VerifyError> {
        let path = self.temp.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(VerifyError::Temp)?;
        }
        std::fs::write(&path, text).map_err(VerifyError::Temp)?;
        Ok(path)
    }

    /// Starts `text` (with the secret `files` a fix made, kept in the temp folder) as project
    /// `cg-<what>-<pid>-<label>`, watches it until every service has settled, calls
    /// `while_up` while it is still up, and takes it down. Returns the model it ran, each
    /// service's run, what was changed to run it safely, and the seconds it took.
    pub fn run(
        &mut self,
        label: &str,
        text: &str,
        files: &[composeguard::NewFile],
        request: &Request<'_>,
        while_up: &mut WhileUp<'_>,
    ) -> Result<Ran, VerifyError> {
        self.runs += 1;
        let folder = format!("run-{}", self.runs);
        // Secret files the fix moves values into live in the temp folder, not the project.
        let mut moved = BTreeMap::new();
        for f in files {
            let written = self.write(&format!("{folder}/files/{}", f.path), &f.content)?;
            moved.insert(self.directory.join(&f.path), written);
        }
        let file = self.write(&format!("{folder}/compose.yaml"), text)?;
        let name = format!("cg-{}-{}-{label}", self.what, std::process::id());
        let model = resolve(&self.engine, &name, &self.directory, &file)?;
        let (mut model, mut notes) = isolate(model, &name, &moved);
        notes.extend(self.fresh_binds(&mut model, &folder)?);
        let prepared = self.write(&format!("{folder}/prepared.json"), &model.to_string())?;
        let project = Project::new(name, &self.directory, prepared);
        progress(request.progress, &format!("starting {label}…"));
        let began = Instant::now();
        let observed = start(&self.engine, &project, &model, request, while_up)?;
        let seconds = (began.elapsed().as_secs_f64() * 10.0).round() / 10.0;
        Ok(Ran {
            model,
            runs: observed,
            notes,
            seconds,
        })
    }
}

/// The bytes of the files under a folder (not following links).
fn folder_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => folder_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Copies a folder with its owners, modes and links (`cp -a`).
fn copy_folder(from: &Path, to: &Path) -> Result<(), VerifyError> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent).map_err(VerifyError::Temp)?;
    }
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .map_err(VerifyError::Temp)?;
    if status.success() {
        Ok(())
    } else {
        Err(VerifyError::Refused(format!(
            "cannot copy {} for a fresh run (`cp -a` failed)",
            from.display()
        )))
    }
}

/// `docker compose config`: the file with every path absolute, env files and variables read.
fn resolve(
    engine: &Docker,
    name: &str,
    directory: &Path,
    file: &Path,
) -> Result<Value, VerifyError> {
    let project = Project::new(name.to_owned(), directory, file.to_path_buf());
    let f = engine.compose(
        &project,
        &["config", "--format", "json"],
        Duration::from_secs(60),
        Stop::OnInterrupt,
    )?;
    if !f.success {
        return Err(VerifyError::Refused(format!(
            "`docker compose config` rejects the {} file: {}",
            if name.ends_with("-orig") {
                "original"
            } else {
                "hardened"
            },
            f.stderr.trim()
        )));
    }
    serde_json::from_str(&f.stdout).map_err(|e| {
        VerifyError::Docker(DockerError::Output {
            command: "docker compose config".into(),
            message: e.to_string(),
        })
    })
}

/// The model made safe to run beside the user's own: no published ports, container names or
/// host network; every volume and network a fresh one of this project, labelled; moved secret
/// files read from the temp folder. Also returns what it changed that the user should know.
fn isolate(
    mut model: Value,
    project: &str,
    moved: &BTreeMap<PathBuf, PathBuf>,
) -> (Value, Vec<String>) {
    let mut notes = Vec::new();
    let Some(root) = model.as_object_mut() else {
        return (model, notes);
    };
    root.remove("name");
    if let Some(Value::Object(services)) = root.get_mut("services") {
        for (name, service) in services.iter_mut() {
            let Some(s) = service.as_object_mut() else {
                continue;
            };
            s.remove("ports");
            s.remove("container_name");
            // A built image gets the project's own name (removed by `down --rmi local`), so a
            // build never replaces an image tag of yours.
            if s.contains_key("build") {
                s.remove("image");
            }
            if s.get("network_mode").and_then(Value::as_str) == Some("host") {
                s.remove("network_mode");
                notes.push(format!(
                    "service `{name}`: runs on a network of its own instead of the host network"
                ));
            }
            let labels = s
                .entry("labels")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(l) = labels.as_object_mut() {
                l.insert(LABEL.into(), json!("1"));
            }
            if let Some(Value::Array(volumes)) = s.get("volumes") {
                for v in volumes {
                    let bind = v.get("type").and_then(Value::as_str) == Some("bind");
                    let read_only = v.get("read_only").and_then(Value::as_bool) == Some(true);
                    if bind && !read_only {
                        let source = v.get("source").and_then(Value::as_str).unwrap_or("?");
                        notes.push(format!(
                            "service `{name}`: bind mount {source} is writable: both runs use your own folder"
                        ));
                    }
                }
            }
        }
    }
    for kind in ["volumes", "networks"] {
        if let Some(Value::Object(entries)) = root.get_mut(kind) {
            for (key, entry) in entries.iter_mut() {
                let external = entry.get("external").and_then(Value::as_bool) == Some(true);
                let own = format!("{project}_{key}");
                let named = entry
                    .get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n != own);
                if external || named {
                    let word = if kind == "volumes" {
                        "volume"
                    } else {
                        "network"
                    };
                    notes.push(format!(
                        "{word} `{key}`: a fresh empty {word} instead of {}",
                        if external {
                            "the external one"
                        } else {
                            "the named one"
                        }
                    ));
                }
                *entry = json!({ "name": own, "labels": { LABEL: "1" } });
            }
        }
    }
    for kind in ["secrets", "configs"] {
        if let Some(Value::Object(entries)) = root.get_mut(kind) {
            for entry in entries.values_mut() {
                let Some(file) = entry.get("file").and_then(Value::as_str) else {
                    continue;
                };
                if let Some(to) = moved.get(Path::new(file)) {
                    entry["file"] = json!(to.to_string_lossy());
                }
            }
        }
    }
    (model, notes)
}

/// What the engine says of one container.
#[derive(Debug, Clone)]
struct Seen {
    status: String,
    health: Option<String>,
    exit_code: i64,
    restarts: u64,
    started_at: String,
    health_output: Option<String>,
}

fn seen(value: &Value) -> Option<(String, Seen)> {
    let service = value
        .pointer("/Config/Labels/com.docker.compose.service")?
        .as_str()?
        .to_owned();
    let state = value.get("State")?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let health = state.get("Health");
    let health_output = health
        .and_then(|h| h.get("Log"))
        .and_then(Value::as_array)
        .and_then(|l| l.last())
        .and_then(|l| l.get("Output"))
        .and_then(Value::as_str)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    Some((
        service,
        Seen {
            status: text(state.get("Status")).unwrap_or_default(),
            health: text(health.and_then(|h| h.get("Status"))),
            exit_code: state.get("ExitCode").and_then(Value::as_i64).unwrap_or(0),
            restarts: value
                .get("RestartCount")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            started_at: text(state.get("StartedAt")).unwrap_or_default(),
            health_output,
        },
    ))
}

/// Takes a project down when dropped: after its run, on errors, and after Ctrl-C.
struct Down<'a> {
    engine: &'a Docker,
    project: &'a Project,
}

impl Drop for Down<'_> {
    fn drop(&mut self) {
        // Only a project all of whose containers carry the label is taken down.
        match self.engine.containers(&self.project.name) {
            Ok(containers) if containers.iter().all(|(_, label)| label == "1") => {}
            Ok(_) => {
                anstream::eprintln!(
                    "warning: project {} has containers verify did not create; left alone",
                    self.project.name
                );
                return;
            }
            Err(e) => {
                anstream::eprintln!(
                    "warning: cannot list project {}: {e}; not taken down",
                    self.project.name
                );
                return;
            }
        }
        let down = self.engine.compose(
            self.project,
            &[
                "down",
                "-v",
                "--remove-orphans",
                "--rmi",
                "local",
                "-t",
                "2",
            ],
            Duration::from_secs(120),
            Stop::Never,
        );
        match down {
            Ok(f) if f.success => {}
            Ok(f) => anstream::eprintln!(
                "warning: `docker compose -p {} down -v` failed: {}",
                self.project.name,
                f.stderr.trim()
            ),
            Err(e) => anstream::eprintln!("warning: {e}"),
        }
    }
}

fn services_of(model: &Value) -> Vec<String> {
    model
        .get("services")
        .and_then(Value::as_object)
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default()
}

/// Starts one version and watches it until every service is settled or the time is up.
fn start(
    engine: &Docker,
    project: &Project,
    model: &Value,
    request: &Request<'_>,
    while_up: &mut WhileUp<'_>,
) -> Result<BTreeMap<String, Run>, VerifyError> {
    let name = &project.name;
    if !engine.containers(name)?.is_empty() {
        return Err(VerifyError::Refused(format!(
            "a compose project named {name} already exists; verify uses its own names only: remove it or run again"
        )));
    }
    let volumes = engine.docker(
        &[
            "volume",
            "ls",
            "-q",
            "--filter",
            &format!("label=com.docker.compose.project={name}"),
        ],
        Stop::OnInterrupt,
    )?;
    if !volumes.stdout.trim().is_empty() {
        return Err(VerifyError::Refused(format!(
            "volumes of a compose project named {name} already exist; verify uses fresh volumes only"
        )));
    }
    let services = services_of(model);
    let mut missing = Vec::new();
    if let Some(Value::Object(all)) = model.get("services") {
        for s in all.values() {
            if s.get("build").is_some() {
                continue;
            }
            if let Some(image) = s.get("image").and_then(Value::as_str)
                && !engine.has_image(image)?
                && !missing.contains(&image.to_owned())
            {
                missing.push(image.to_owned());
            }
        }
    }
    if !missing.is_empty() {
        return Err(VerifyError::Refused(format!(
            "not available locally: {}; verify never pulls: `docker pull` them first",
            missing.join(", ")
        )));
    }
    let deadline = Instant::now() + request.timeout;
    let _down = Down { engine, project };
    // `up` waits for dependencies' health: it runs beside the watch, which sees every
    // container as it goes, and is stopped once the watch has seen enough.
    let cancel = Arc::new(AtomicBool::new(false));
    let up = {
        let (engine, project, stop) = (
            engine.clone(),
            project.clone(),
            Stop::OnInterruptOr(cancel.clone()),
        );
        let limit = request.timeout;
        std::thread::spawn(move || {
            engine.compose(
                &project,
                &["up", "-d", "--pull", "never", "--no-color"],
                limit,
                stop,
            )
        })
    };
    let watched = watch(engine, project, &services, &up, deadline, request);
    cancel.store(true, Ordering::SeqCst);
    let up_error = match up.join() {
        // Some builds of Compose exit 0 even when a dependency failed: its last line that is
        // not progress (`Container x  Started`) is the reason, whatever the exit status.
        Ok(Ok(f)) => f
            .stderr
            .lines()
            .map(str::trim)
            .rfind(|l| {
                !l.is_empty()
                    && !["Container ", "Network ", "Volume ", "Image "]
                        .iter()
                        .any(|p| l.starts_with(p))
            })
            .map(str::to_owned)
            .or_else(|| (!f.success).then(|| "`docker compose up` failed".to_owned())),
        Ok(Err(DockerError::TimedOut { .. })) => Some("`docker compose up` timed out".to_owned()),
        Ok(Err(DockerError::Cancelled)) => Some(
            "never started: `docker compose up` was still waiting for its dependencies".to_owned(),
        ),
        Ok(Err(DockerError::Interrupted)) => return Err(VerifyError::Interrupted),
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some("`docker compose up` panicked".to_owned()),
    };
    let mut observed = watched?;
    if request.restart && observed.values().any(|r| r.started) {
        progress(request.progress, "restarting…");
        let restarted = engine.compose(
            project,
            &["restart", "-t", "3"],
            request.timeout,
            Stop::OnInterrupt,
        )?;
        // `restart` has returned: no container it did not start will start now.
        let done = std::thread::spawn(move || Ok(restarted));
        while !done.is_finished() {
            std::thread::yield_now();
        }
        let deadline = Instant::now() + request.timeout;
        let again = watch(engine, project, &services, &done, deadline, request)?;
        for (service, run) in observed.iter_mut() {
            if let Some(second) = again.get(service)
                && run.started
                && !second.started
            {
                *run = Run {
                    reason: Some("did not start again after a restart".into()),
                    ..second.clone()
                };
            }
        }
    }
    while_up(engine, project, &observed)?;
    for (service, run) in observed.iter_mut() {
        if matches!(run.state, State::Created | State::Missing) {
            run.reason.clone_from(&up_error);
        }
        let logs = engine.compose(
            project,
            &[
                "logs",
                "--no-color",
                "--no-log-prefix",
                "--tail",
                "20",
                service,
            ],
            Duration::from_secs(30),
            Stop::OnInterrupt,
        )?;
        run.logs = logs
            .stdout
            .lines()
            .chain(logs.stderr.lines().filter(|_| !logs.success))
            .map(str::to_owned)
            .collect();
    }
    Ok(observed)
}

fn watch(
    engine: &Docker,
    project: &Project,
    services: &[String],
    up: &std::thread::JoinHandle<Result<docker::Finished, DockerError>>,
    deadline: Instant,
    request: &Request<'_>,
) -> Result<BTreeMap<String, Run>, VerifyError> {
    let mut running_since: BTreeMap<String, (Instant, String, u64)> = BTreeMap::new();
    let mut done: BTreeMap<String, Run> = BTreeMap::new();
    let mut announced: Vec<String> = Vec::new();
    let mut stalled_since: Option<Instant> = None;
    let mut stalled = false;
    loop {
        if docker::interrupted() {
            return Err(VerifyError::Interrupted);
        }
        // Once `up` is done, a container it did not start (or create) never will be. Read
        // before the containers, so a start between the two is not missed.
        let up_failed = up.is_finished();
        let ids: Vec<String> = engine
            .containers(&project.name)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        let mut now_seen: BTreeMap<String, Seen> = BTreeMap::new();
        for value in engine.inspect(&ids)? {
            if let Some((service, s)) = seen(&value) {
                now_seen.insert(service, s);
            }
        }
        let now = Instant::now();
        let over = now >= deadline;
        for service in services {
            if done.contains_key(service) {
                continue;
            }
            let s = now_seen.get(service);
            let run = |state: State, s: Option<&Seen>| Run {
                started: state.started(),
                state,
                health: s.and_then(|s| s.health.clone()),
                exit_code: s
                    .filter(|s| s.status == "exited" || s.status == "dead")
                    .map(|s| s.exit_code),
                restarts: s.map_or(0, |s| s.restarts),
                logs: Vec::new(),
                health_output: s
                    .filter(|_| state == State::Unhealthy)
                    .and_then(|s| s.health_output.clone()),
                reason: None,
            };
            let settled = match s {
                None if up_failed || over => Some(State::Missing),
                None => None,
                Some(x) => match (x.status.as_str(), x.health.as_deref()) {
                    ("exited" | "dead", _) if x.exit_code == 0 => Some(State::Completed),
                    ("exited" | "dead", _) => Some(State::Exited),
                    ("running", Some("healthy")) => Some(State::Healthy),
                    ("running", Some("unhealthy")) => Some(State::Unhealthy),
                    // A health check whose program is not in the image never passes.
                    ("running", Some(_))
                        if x.health_output.as_deref().is_some_and(missing_program) =>
                    {
                        Some(State::Unhealthy)
                    }
                    ("running", Some(_)) => over.then_some(State::Starting),
                    ("running", None) => {
                        let key = (x.started_at.clone(), x.restarts);
                        let since = running_since.entry(service.clone()).or_insert((
                            now,
                            key.0.clone(),
                            key.1,
                        ));
                        if (since.1.as_str(), since.2) != (key.0.as_str(), key.1) {
                            *since = (now, key.0, key.1);
                        }
                        if now.duration_since(since.0) >= request.settle {
                            Some(State::Running)
                        } else {
                            over.then_some(State::Starting)
                        }
                    }
                    // A crash loop: three restarts are enough to tell.
                    ("restarting", _) if over || x.restarts >= 3 => Some(State::Restarting),
                    ("created", _) if up_failed || over || stalled => Some(State::Created),
                    _ => over.then_some(State::Starting),
                },
            };
            match settled {
                Some(state) => {
                    done.insert(service.clone(), run(state, s));
                }
                None if !announced.contains(service) => {
                    announced.push(service.clone());
                    progress(request.progress, &format!("waiting for {service}…"));
                }
                None => {}
            }
        }
        if done.len() == services.len() {
            return Ok(done);
        }
        // Only created containers left, waiting on dependencies that have settled: if none
        // starts within the settle time (at least 3 s), none will.
        let waiting = services
            .iter()
            .filter(|s| !done.contains_key(*s))
            .all(|s| now_seen.get(s).is_some_and(|x| x.status == "created"));
        if waiting {
            let since = *stalled_since.get_or_insert(now);
            stalled = now.duration_since(since) >= request.settle.max(Duration::from_secs(3));
        } else {
            stalled_since = None;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Health check output saying its program does not exist in the image.
fn missing_program(output: &str) -> bool {
    output.contains("executable file not found") || output.contains("exec format error")
}

/// The fields whose change a fix makes, by the fix's name.
const FIELDS: &[(&str, &str)] = &[
    ("cap_drop", "cap_drop"),
    ("cap_add", "cap_drop"),
    ("read_only", "read_only"),
    ("tmpfs", "read_only"),
    ("user", "user"),
    ("ulimits", "ulimits"),
    ("deploy", "limits"),
    ("mem_limit", "limits"),
    ("pids_limit", "limits"),
    ("cpus", "limits"),
    ("healthcheck", "healthcheck"),
    ("logging", "logging"),
];

fn changes(before: Option<&Value>, after: Option<&Value>) -> Vec<&'static str> {
    let field = |v: Option<&Value>, k: &str| v.and_then(|v| v.get(k)).cloned();
    let mut out: Vec<&'static str> = Vec::new();
    for (key, fix) in FIELDS {
        if field(before, key) != field(after, key) && !out.contains(fix) {
            out.push(fix);
        }
    }
    let nnp = |v: Option<&Value>| {
        field(v, "security_opt")
            .and_then(|o| o.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .any(|o| {
                o.as_str()
                    .is_some_and(|s| s.starts_with("no-new-privileges"))
            })
    };
    if nnp(after) && !nnp(before) {
        out.push("no-new-privileges");
    }
    out
}

/// The fix a log line points at, among those hardening made to the service.
fn cause_of(line: &str, changed: &[&'static str]) -> Option<&'static str> {
    let l = line.to_ascii_lowercase();
    let has = |fix: &str| changed.contains(&fix);
    let pick = |fixes: &[&'static str]| fixes.iter().copied().find(|f| has(f));
    if l.contains("read-only file system") || l.contains("erofs") {
        return pick(&["read_only"]);
    }
    if l.contains("rlimit") || l.contains("ulimit") || l.contains("too many open files") {
        return pick(&["ulimits"]);
    }
    if l.contains("operation not permitted") || l.contains("eperm") {
        let privileges = [
            "setuid",
            "setgid",
            "su:",
            "sudo",
            "gosu",
            "no new privileges",
        ];
        if privileges.iter().any(|p| l.contains(p)) {
            return pick(&["no-new-privileges", "cap_drop", "user"]);
        }
        return pick(&["cap_drop", "no-new-privileges", "user"]);
    }
    if l.contains("permission denied") || l.contains("eacces") {
        return pick(&["user", "cap_drop", "read_only"]);
    }
    if l.contains("cannot allocate memory")
        || l.contains("out of memory")
        || l.contains("resource temporarily unavailable")
        || l.contains("can't fork")
    {
        return pick(&["limits"]);
    }
    None
}

fn compare(
    orig: &Value,
    hard: &Value,
    mut before: BTreeMap<String, Run>,
    mut after: BTreeMap<String, Run>,
) -> Vec<ServiceReport> {
    let service = |m: &Value, s: &str| m.get("services").and_then(|v| v.get(s)).cloned();
    let mut names: Vec<String> = before.keys().chain(after.keys()).cloned().collect();
    names.sort();
    names.dedup();
    let absent = || Run {
        started: false,
        state: State::Missing,
        health: None,
        exit_code: None,
        restarts: 0,
        logs: Vec::new(),
        health_output: None,
        reason: None,
    };
    names
        .into_iter()
        .map(|name| {
            let b = before.remove(&name).unwrap_or_else(absent);
            let a = after.remove(&name).unwrap_or_else(absent);
            let changed = changes(service(orig, &name).as_ref(), service(hard, &name).as_ref());
            let broke = b.started && !a.started;
            let likely_cause = broke
                .then(|| {
                    a.logs
                        .iter()
                        .chain(a.health_output.iter())
                        .chain(a.reason.iter())
                        .find_map(|line| {
                            cause_of(line, &changed).map(|fix| Cause {
                                fix,
                                line: line.trim().to_owned(),
                            })
                        })
                        .or_else(|| {
                            (a.state == State::Unhealthy && changed.contains(&"healthcheck")).then(
                                || Cause {
                                    fix: "healthcheck",
                                    line: a.health_output.clone().unwrap_or_default(),
                                },
                            )
                        })
                })
                .flatten();
            ServiceReport {
                service: name,
                before: b,
                after: a,
                changed,
                broke,
                likely_cause,
            }
        })
        .collect()
}

fn describe(run: &Run) -> String {
    let yes = if run.started { "yes" } else { "NO" };
    match (run.state, run.exit_code) {
        (State::Exited, Some(code)) => format!("{yes} (exited {code})"),
        (state, _) => format!("{yes} ({})", state.word()),
    }
}

/// The report for people.
pub fn text(report: &Report) -> String {
    let mut out = format!(
        "verify {} ({}; {} applied)\n",
        report.file,
        if report.unsafe_fixes {
            "with unsafe fixes"
        } else {
            "safe fixes only"
        },
        if report.fixed == 1 {
            "1 fix".to_owned()
        } else {
            format!("{} fixes", report.fixed)
        }
    );
    let width = report
        .services
        .iter()
        .map(|s| s.service.len())
        .max()
        .unwrap_or(0);
    for s in &report.services {
        out.push_str(&format!(
            "  {:<width$}  before: {:<22} after: {}\n",
            s.service,
            describe(&s.before),
            describe(&s.after)
        ));
        if s.broke {
            match &s.likely_cause {
                Some(c) => out.push_str(&format!(
                    "  {:<width$}  likely cause: {} (\"{}\")\n",
                    "", c.fix, c.line
                )),
                None if s.changed.is_empty() => {}
                None => out.push_str(&format!(
                    "  {:<width$}  cause unknown; hardening changed: {}\n",
                    "",
                    s.changed.join(", ")
                )),
            }
        }
        for (which, run) in [("as written", &s.before), ("hardened", &s.after)] {
            if let Some(reason) = &run.reason {
                out.push_str(&format!("  {:<width$}  {which}: {reason}\n", ""));
            }
        }
        if s.broke || !s.before.started {
            let (which, logs) = if s.broke {
                ("after hardening", &s.after.logs)
            } else {
                ("as written", &s.before.logs)
            };
            if !logs.is_empty() {
                out.push_str(&format!("  {:<width$}  last log lines {which}:\n", ""));
                for line in logs {
                    out.push_str(&format!("  {:<width$}    | {line}\n", ""));
                }
            }
        }
    }
    for w in &report.warnings {
        out.push_str(&format!("note: {w}\n"));
    }
    let broke = report.services.iter().filter(|s| s.broke).count();
    let before = report.services.iter().filter(|s| s.before.started).count();
    if before == 0 {
        out.push_str(
            "note: no service started as written, so this run shows nothing about hardening\n",
        );
    }
    if broke == 0 {
        out.push_str(&format!(
            "Every service that started as written ({before} of {}) still starts hardened.\n",
            report.services.len()
        ));
    } else {
        out.push_str(&format!(
            "{broke} of {before} services that started as written no longer start hardened.\n"
        ));
    }
    out
}

/// Whether to print progress lines.
pub fn show_progress(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("120"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn isolate_strips_ports_names_and_host_network_and_makes_volumes_fresh() {
        let model = json!({
            "name": "prod",
            "services": {"app": {
                "image": "x", "ports": [{"target": 80, "published": "80"}],
                "build": {"context": "/p"},
                "container_name": "fixed", "network_mode": "host",
                "labels": {"a": "b"},
                "volumes": [{"type": "bind", "source": "/srv/data", "target": "/d"}],
            }},
            "volumes": {"data": {"name": "prod_data", "external": true},
                        "cache": {"driver_opts": {"type": "none", "o": "bind", "device": "/srv"}}},
            "networks": {"front": {"name": "shared", "external": true}},
            "secrets": {"pw": {"file": "/p/secrets/pw.txt"}},
        });
        let moved = BTreeMap::from([(
            PathBuf::from("/p/secrets/pw.txt"),
            PathBuf::from("/tmp/x/files/secrets/pw.txt"),
        )]);
        let (m, notes) = isolate(model, "cg-verify-1-orig", &moved);
        let app = &m["services"]["app"];
        assert!(app.get("ports").is_none());
        assert!(app.get("container_name").is_none());
        assert!(app.get("image").is_none());
        assert!(app.get("network_mode").is_none());
        assert_eq!(app["labels"], json!({"a": "b", LABEL: "1"}));
        assert!(m.get("name").is_none());
        assert_eq!(
            m["volumes"]["data"],
            json!({"name": "cg-verify-1-orig_data", "labels": {LABEL: "1"}})
        );
        assert_eq!(
            m["volumes"]["cache"],
            json!({"name": "cg-verify-1-orig_cache", "labels": {LABEL: "1"}})
        );
        assert_eq!(m["networks"]["front"]["name"], "cg-verify-1-orig_front");
        assert_eq!(m["secrets"]["pw"]["file"], "/tmp/x/files/secrets/pw.txt");
        assert!(
            notes.iter().any(|n| n.contains("host network")),
            "{notes:?}"
        );
        assert!(notes.iter().any(|n| n.contains("/srv/data")), "{notes:?}");
        assert!(
            notes.iter().any(|n| n.contains("volume `data`")),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.contains("network `front`")),
            "{notes:?}"
        );
    }

    #[test]
    fn causes_only_among_what_changed() {
        let all = [
            "cap_drop",
            "read_only",
            "user",
            "ulimits",
            "no-new-privileges",
            "limits",
        ];
        let line = "mkdir: can't create directory '/var/lib/x': Read-only file system";
        assert_eq!(cause_of(line, &all), Some("read_only"));
        assert_eq!(cause_of(line, &["cap_drop"]), None);
        assert_eq!(
            cause_of("chown: /data: Operation not permitted", &all),
            Some("cap_drop")
        );
        assert_eq!(
            cause_of("su-exec: setgroups: Operation not permitted", &["cap_drop"]),
            Some("cap_drop")
        );
        assert_eq!(
            cause_of("gosu: setuid: Operation not permitted", &all),
            Some("no-new-privileges")
        );
        assert_eq!(
            cause_of("open /data/x: permission denied", &all),
            Some("user")
        );
        assert_eq!(
            cause_of(
                "open /data/x: permission denied",
                &["cap_drop", "read_only"]
            ),
            Some("cap_drop")
        );
        assert_eq!(
            cause_of("error setting rlimit type 7: operation not permitted", &all),
            Some("ulimits")
        );
        assert_eq!(
            cause_of("fork: Resource temporarily unavailable", &all),
            Some("limits")
        );
        assert_eq!(cause_of("listening on :80", &all), None);
    }

    #[test]
    fn changes_name_the_fixes() {
        let before = json!({"image": "x"});
        let after = json!({"image": "x", "cap_drop": ["ALL"], "read_only": true,
            "tmpfs": ["/tmp"], "security_opt": ["no-new-privileges:true"],
            "deploy": {"resources": {}}});
        assert_eq!(
            changes(Some(&before), Some(&after)),
            ["cap_drop", "read_only", "limits", "no-new-privileges"]
        );
    }
}
