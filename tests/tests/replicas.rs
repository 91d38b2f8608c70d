//! The image table proven on replicas: images built from Debian packages whose start-up follows
//! the pattern of a real image (tests/replicas/, built by tests/replicas/build.sh and tagged
//! under the real image's repository, so composeguard's table applies to them).
//!
//! For each replica, a Compose file as users write it is hardened by composeguard (unsafe fixes
//! included), and then:
//!
//! - the hardened service goes through a life: `up`, healthy, `restart`, healthy again, `stop`
//!   with exit status 0, its first process running as the user the table says;
//! - for each capability of its `cap_add` and each tmpfs path composeguard added, the same file
//!   without that one grant must fail that life (exit, stay unhealthy, or not stop cleanly),
//!   so the table grants nothing the start does not need. Grants a replica shows it does not
//!   need are listed in its case with the reason, and the test fails when that list is wrong
//!   either way.
//!
//! Health is checked inside the containers (composeguard's healthcheck for the image, or the
//! file's own), on a 1 s interval in place of the hardened file's; no port is published and
//! nothing is sent from the host to a container. A replica follows its image's pattern; it is
//! not the image.
//!
//! Needs `docker` with a running engine, `docker-compose` and mmdebstrap (for a cold build);
//! without the first two the test says it was skipped, and fails under `CI=true` or
//! `COMPOSEGUARD_DOCKER=1`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use composeguard_tests::docker::{compose_and_engine, run, text};
use serde_yaml_ng::{Mapping, Value};

/// One replica and the Compose file it is started with.
struct Case {
    /// Its folder under tests/replicas/ (and the service's name).
    folder: &'static str,
    /// The service's keys after `image:`, as a user writes them.
    service: &'static str,
    /// Top-level keys after `services:`.
    top: &'static str,
    /// Folders made in the project folder (bind-mount sources, owned by root).
    dirs: &'static [&'static str],
    /// The `uid:gid` the container's first process runs as once started (the table's `user`,
    /// `0:0` for a root start).
    user: &'static str,
    /// Grants of the hardened file this replica's life does not need, with why.
    unneeded: &'static [(&'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        folder: "postgres",
        service: "    environment:\n      POSTGRES_PASSWORD: example\n    volumes:\n      - db:/var/lib/postgresql/data\n",
        top: "volumes:\n  db:\n",
        dirs: &[],
        user: "999:999",
        unneeded: &[
            (
                "FOWNER",
                "the entrypoint's chmods as root end in `|| :` and are done again as postgres; \
                 only `chmod 700 $POSTGRES_INITDB_WALDIR` after its chown is not (left out here)",
            ),
            (
                "/tmp",
                "written only by nss_wrapper's mktemp, for a `user:` without a passwd line",
            ),
        ],
    },
    Case {
        folder: "redis",
        service: "    command: redis-server --appendonly yes\n    volumes:\n      - ./data:/data\n",
        top: "",
        dirs: &["data"],
        user: "999:999",
        unneeded: &[
            (
                "FOWNER",
                "redis 7 chowns and steps down with gosu, no chmod; redis 8's entrypoint \
                 chmods after its chown (a failure there is only a warning)",
            ),
            (
                "/tmp",
                "the start writes nothing there (a scratch path the table gives every image)",
            ),
        ],
    },
    Case {
        folder: "nginx",
        // The kernel's default: Docker sets 0 for a container's own network (since 20.10),
        // other engines and `network_mode: host` do not.
        service: "    sysctls:\n      net.ipv4.ip_unprivileged_port_start: \"1024\"\n    healthcheck:\n      test: [\"CMD\", \"busybox\", \"wget\", \"-q\", \"-O\", \"/dev/null\", \"http://127.0.0.1/\"]\n",
        top: "",
        dirs: &[],
        user: "0:0",
        unneeded: &[
            (
                "KILL",
                "the master tells its workers to stop through their channel sockets; it \
                 kill()s them only when a worker does not exit in time",
            ),
            (
                "/tmp",
                "the start writes nothing there (a scratch path the table gives every image)",
            ),
        ],
    },
    Case {
        folder: "nginx-unprivileged",
        service: "    healthcheck:\n      test: [\"CMD\", \"busybox\", \"wget\", \"-q\", \"-O\", \"/dev/null\", \"http://127.0.0.1:8080/\"]\n",
        top: "",
        dirs: &[],
        user: "101:101",
        unneeded: &[],
    },
    Case {
        folder: "caddy",
        // busybox httpd, the replica's server, ignores SIGTERM as process 1.
        service: "    stop_signal: SIGKILL\n    sysctls:\n      net.ipv4.ip_unprivileged_port_start: \"1024\"\n    healthcheck:\n      test: [\"CMD\", \"busybox\", \"wget\", \"-q\", \"-O\", \"/dev/null\", \"http://127.0.0.1/\"]\n",
        top: "",
        dirs: &[],
        user: "0:0",
        unneeded: &[(
            "/tmp",
            "the start writes nothing there (a scratch path the table gives every image)",
        )],
    },
];

/// How long a container may take to become healthy.
const HEALTHY_WITHIN: Duration = Duration::from_secs(90);

/// `docker-compose` and the replica images by folder (built once per test binary), or `None`
/// when the test is skipped.
fn setup() -> Option<(PathBuf, &'static BTreeMap<String, String>)> {
    static IMAGES: OnceLock<Result<BTreeMap<String, String>, String>> = OnceLock::new();
    let compose = compose_and_engine()?;
    let images = IMAGES.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("replicas/build.sh");
        let out = run(&mut Command::new(&script));
        if !out.status.success() {
            return Err(format!("{}: {}", script.display(), text(&out)));
        }
        Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(folder, image)| (folder.to_owned(), image.to_owned()))
            .collect())
    });
    match images {
        Ok(images) => Some((compose, images)),
        Err(e) => panic!("the replica images: {e}"),
    }
}

/// One grant of the hardened service.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Grant {
    Cap(String),
    Tmpfs(String),
}

impl Grant {
    fn name(&self) -> &str {
        match self {
            Grant::Cap(c) | Grant::Tmpfs(c) => c,
        }
    }
}

fn key(k: &str) -> Value {
    Value::String(k.to_owned())
}

fn service_mut<'a>(doc: &'a mut Value, name: &str) -> &'a mut Mapping {
    doc.get_mut("services")
        .and_then(|s| s.get_mut(name))
        .and_then(Value::as_mapping_mut)
        .expect("the service")
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// The grants of the hardened service: its `cap_add`, and its tmpfs paths.
fn grants(service: &Mapping) -> Vec<Grant> {
    let caps = strings(service.get("cap_add")).into_iter().map(Grant::Cap);
    let tmpfs = strings(service.get("tmpfs"))
        .into_iter()
        .map(|t| Grant::Tmpfs(t.split(':').next().unwrap_or_default().to_owned()));
    caps.chain(tmpfs).collect()
}

/// The hardened file without `without`, and with a 1 s healthcheck interval (the hardened
/// file's timing would make each start take tens of seconds).
fn variant(hardened: &Value, name: &str, without: Option<&Grant>) -> String {
    let mut doc = hardened.clone();
    let service = service_mut(&mut doc, name);
    match without {
        Some(Grant::Cap(cap)) => {
            if let Some(Value::Sequence(caps)) = service.get_mut("cap_add") {
                caps.retain(|c| c.as_str() != Some(cap));
            }
        }
        Some(Grant::Tmpfs(path)) => {
            if let Some(Value::Sequence(tmpfs)) = service.get_mut("tmpfs") {
                tmpfs.retain(|t| t.as_str().and_then(|t| t.split(':').next()) != Some(path));
            }
        }
        None => {}
    }
    let health = service
        .get_mut("healthcheck")
        .and_then(Value::as_mapping_mut)
        .expect("a healthcheck (composeguard's or the file's)");
    for (k, v) in [
        ("interval", "1s"),
        ("timeout", "5s"),
        ("start_period", "30s"),
    ] {
        health.insert(key(k), key(v));
    }
    health.insert(key("retries"), Value::Number(3.into()));
    serde_yaml_ng::to_string(&doc).unwrap()
}

/// A compose project in a temporary folder: `down -v` when dropped, however the test ends.
struct Project {
    compose: PathBuf,
    name: String,
    service: String,
    dir: tempfile::TempDir,
}

impl Project {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.compose);
        cmd.arg("-p")
            .arg(&self.name)
            .args(["-f", "compose.yaml"])
            .current_dir(self.dir.path())
            .env_remove("COMPOSE_FILE")
            .env_remove("COMPOSE_PROFILES")
            .env_remove("COMPOSE_PROJECT_NAME");
        cmd
    }

    fn compose(&self, args: &[&str]) -> Result<(), String> {
        let out = run(self.command().args(args));
        if out.status.success() {
            Ok(())
        } else {
            Err(format!("{}: {}", args.join(" "), text(&out).trim()))
        }
    }

    fn container(&self) -> Result<String, String> {
        let out = run(self.command().args(["ps", "-a", "-q", &self.service]));
        let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if id.is_empty() {
            Err(format!("no container: {}", text(&out).trim()))
        } else {
            Ok(id)
        }
    }

    fn inspect(&self, id: &str, format: &str) -> String {
        let out = run(Command::new("docker").args(["inspect", "-f", format, id]));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// The last lines the container wrote, on one line.
    fn last_words(&self, id: &str) -> String {
        let out = run(Command::new("docker").args(["logs", "--tail", "2", id]));
        text(&out).trim().replace('\n', " | ")
    }

    /// Waits until the container is healthy; an exit or `unhealthy` ends the wait.
    fn healthy(&self, id: &str) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let state = self.inspect(
                id,
                "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
            );
            match state.as_str() {
                "running healthy" => return Ok(()),
                "running unhealthy" => {
                    return Err(format!("unhealthy: {}", self.last_words(id)));
                }
                s if !s.starts_with("running") && !s.starts_with("created") => {
                    let code = self.inspect(id, "{{.State.ExitCode}}");
                    return Err(format!("{s}, exit {code}: {}", self.last_words(id)));
                }
                _ if start.elapsed() > HEALTHY_WITHIN => {
                    return Err(format!("not healthy in {HEALTHY_WITHIN:?}"));
                }
                _ => std::thread::sleep(Duration::from_millis(250)),
            }
        }
    }

    /// The life of the service: up, healthy, restart, healthy, the user of its first process,
    /// stop with status 0.
    fn life(&self, user: &str) -> Result<(), String> {
        self.compose(&["up", "-d", "--quiet-pull", "--pull", "never"])?;
        let id = self.container()?;
        self.healthy(&id).map_err(|e| format!("start: {e}"))?;
        self.compose(&["restart", &self.service])?;
        self.healthy(&id).map_err(|e| format!("restart: {e}"))?;
        let out = run(Command::new("docker").args(["exec", &id, "cat", "/proc/1/status"]));
        let status = String::from_utf8_lossy(&out.stdout);
        // The effective ids, the second of each line.
        let id_of = |field: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|ids| ids.split_whitespace().nth(1))
                .unwrap_or("?")
                .to_owned()
        };
        let runs_as = format!("{}:{}", id_of("Uid:"), id_of("Gid:"));
        if runs_as != user {
            return Err(format!("process 1 runs as {runs_as}, not {user}"));
        }
        self.compose(&["stop", &self.service])?;
        let code = self.inspect(&id, "{{.State.ExitCode}}");
        if code != "0" && !(code == "137" && self.stops_by_kill()) {
            return Err(format!("stop: exit {code}: {}", self.last_words(&id)));
        }
        Ok(())
    }

    /// Whether the file stops the service with SIGKILL (no clean stop to check).
    fn stops_by_kill(&self) -> bool {
        std::fs::read_to_string(self.dir.path().join("compose.yaml"))
            .is_ok_and(|f| f.contains("stop_signal: SIGKILL"))
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = self
            .command()
            .args(["down", "-v", "--remove-orphans", "-t", "0"])
            .output();
    }
}

/// Runs the life of `file` as a new project.
fn life(
    compose: &Path,
    case: &Case,
    file: &str,
    files: &[(String, String)],
    n: usize,
) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), file).unwrap();
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    for d in case.dirs {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    let project = Project {
        compose: compose.to_path_buf(),
        name: format!("cg-replica-{}-{}-{n}", std::process::id(), case.folder),
        service: case.folder.to_owned(),
        dir,
    };
    project.life(case.user)
}

fn prove(folder: &str) {
    let Some((compose, images)) = setup() else {
        return;
    };
    let case = CASES.iter().find(|c| c.folder == folder).unwrap();
    let image = &images[folder];
    let input = format!(
        "services:\n  {folder}:\n    image: {image}\n{}{}",
        case.service, case.top
    );
    let options = composeguard::Options {
        unsafe_fixes: true,
        ..Default::default()
    };
    let outcome = composeguard::fix(&input, &options).unwrap();
    let files: Vec<(String, String)> = outcome
        .files
        .iter()
        .map(|f| (f.path.clone(), f.content.clone()))
        .collect();
    let hardened: Value = serde_yaml_ng::from_str(&outcome.output).unwrap();
    let grants = grants(service_mut(&mut hardened.clone(), folder));

    let mut report = format!("{folder} ({image}), hardened:\n{}\n", outcome.output);
    let file = variant(&hardened, folder, None);
    if let Err(e) = life(&compose, case, &file, &files, 0) {
        panic!("{report}the hardened service does not live: {e}");
    }
    let _ = writeln!(report, "hardened: starts, healthy, restarts, stops");
    let mut unneeded = Vec::new();
    for (n, grant) in grants.iter().enumerate() {
        let file = variant(&hardened, folder, Some(grant));
        match life(&compose, case, &file, &files, n + 1) {
            Ok(()) => {
                unneeded.push(grant.name().to_owned());
                let _ = writeln!(report, "without {}: lives (not needed)", grant.name());
            }
            Err(e) => {
                let _ = writeln!(report, "without {}: fails ({e})", grant.name());
            }
        }
    }
    eprintln!("{report}");
    let mut expected: Vec<String> = case.unneeded.iter().map(|(g, _)| (*g).to_owned()).collect();
    expected.sort();
    unneeded.sort();
    assert_eq!(
        unneeded, expected,
        "{folder}: the grants its life does not need differ from the case's list"
    );
}

#[test]
fn postgres_replica() {
    prove("postgres");
}

#[test]
fn redis_replica() {
    prove("redis");
}

#[test]
fn nginx_replica() {
    prove("nginx");
}

#[test]
fn nginx_unprivileged_replica() {
    prove("nginx-unprivileged");
}

#[test]
fn caddy_replica() {
    prove("caddy");
}
