//! `composeguard learn [PATH]`: start the stack as written on the local engine (throwaway
//! project, fresh volumes, no published ports, as `verify` runs it), watch what each service
//! does, and record it in the project's lock file for `fix` to use offline:
//!
//! - the users its processes run as (`docker top`);
//! - what it wrote outside its volumes (`docker diff`): folders a tmpfs can hold under
//!   `read_only: true`, and changes in place (a file of `/etc`, data outside a volume) that
//!   keep the root writable;
//! - the ports it listens on (its `/proc/<pid>/net/tcp*`, read on the host);
//! - the most memory and processes it used (`docker stats`, sampled while it runs), so limits
//!   are twice what it used rather than a class's guess;
//! - the capabilities it needs under `cap_drop: [ALL]`: it is started again with fewer (all
//!   services at once, each with its own trial set), halving the candidates while it starts.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anstream::{eprintln, println};
use serde::Serialize;
use serde_json::{Value, json};

use crate::ExitStatus;
use crate::args::{CommonArgs, LearnArgs, LockSource};
use crate::commands::lock::Reader;
use crate::commands::verify::{self, Request, Run, Stage, VerifyError};
use crate::docker::{Docker, Project, Stop};
use crate::error::Error;
use crate::lock::{self, Learned, LockFile};
use crate::resolve;

/// Docker's default capabilities: what a container has without `cap_add`/`cap_drop`.
pub const DEFAULT_CAPS: [&str; 14] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// What was seen of one service while it ran.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Observed {
    /// Its image (None for a service that is built).
    pub image: Option<String>,
    /// Whether it started (healthy, running for the settle time, or completed).
    pub started: bool,
    /// The uids of its processes.
    pub users: Vec<String>,
    /// Folders a tmpfs can hold.
    pub writes: Vec<String>,
    /// Changes a tmpfs cannot hold.
    pub writes_in_place: Vec<String>,
    /// Ports it listened on.
    pub listens: Vec<String>,
    /// Peak memory, bytes.
    pub memory_peak: Option<u64>,
    /// Peak processes and threads.
    pub pids_peak: Option<u64>,
    /// Peak CPU use, in percent of one CPU.
    pub cpu_peak: Option<f64>,
    /// The capabilities it needs under `cap_drop: [ALL]`, when learned.
    pub caps: Option<Vec<String>>,
    /// Capabilities it was started with, when the file already drops all (not learned).
    #[serde(skip)]
    drops_all: bool,
}

/// Runs the command.
pub fn run(args: &LearnArgs) -> Result<ExitStatus, Error> {
    let common = CommonArgs {
        paths: args.path.iter().cloned().collect(),
        ..CommonArgs::default()
    };
    let mut options = resolve::resolve(&common)?.options;
    let Some(file) = verify::one_file(&common.paths, &[], false, &mut options)? else {
        return Ok(ExitStatus::Error);
    };
    let input = &file.input;
    let request = Request {
        path: &input.path,
        display: &input.display,
        text: &file.text,
        options: &options,
        settle: args.settle,
        timeout: args.timeout,
        progress: verify::show_progress(args.quiet),
        restart: true,
    };
    // The lock is read first: one it cannot update stops the run before minutes of starts.
    let path = lock::path_in(&file.folder);
    let shown = path.display().to_string();
    let mut lock_file = match super::read_lock(&path) {
        Ok(Some(f)) => f,
        Ok(None) => LockFile {
            version: lock::VERSION,
            images: Vec::new(),
        },
        Err(status) => return Ok(status),
    };
    let observed = match learn(&request, args.observe, !args.no_caps, args.from_scratch) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::Error);
        }
    };
    let reader = Reader::new(LockSource::Engine);
    let mut recorded = 0;
    for (reference, learned) in by_image(&observed, args.observe.as_secs()) {
        let (from, config) = match reader.read(&reference) {
            Ok(c) => c,
            Err(why) => {
                super::file_error(
                    &shown,
                    format!("cannot read the config of `{reference}`: {why}"),
                );
                return Ok(ExitStatus::Error);
            }
        };
        lock_file.set(&reference, from, config).learned = Some(learned);
        recorded += 1;
    }
    if recorded > 0
        && let Err(e) = lock::write(&path, &lock_file.to_text())
    {
        super::file_error(&shown, format!("cannot write the lock file: {e}"));
        return Ok(ExitStatus::Error);
    }
    match args.output_format {
        verify::Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "file": input.display,
                "lock": shown,
                "services": observed,
            }))
            .expect("JSON")
        ),
        verify::Format::Text => print!("{}", report(&input.display, &shown, &observed)),
    }
    let all_started = observed.values().all(|o| o.started);
    Ok(if all_started {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

/// Observes the stack as written, then (with `caps`) learns each service's capabilities.
pub fn learn(
    request: &Request<'_>,
    observe: Duration,
    caps: bool,
    from_scratch: bool,
) -> Result<BTreeMap<String, Observed>, VerifyError> {
    let mut stage = Stage::new(request.path, "learn")?.pristine_binds();
    let mut observed: BTreeMap<String, Observed> = BTreeMap::new();
    let ran = stage.run(
        "observe",
        request.text,
        &[],
        request,
        &mut |engine, project, runs| {
            observed = watch(engine, project, runs, observe)?;
            Ok(())
        },
    )?;
    let (model, runs) = (ran.model, ran.runs);
    for (name, run) in &runs {
        let o = observed.entry(name.clone()).or_default();
        o.started = run.started;
        let service = &model["services"][name];
        o.image = service
            .get("image")
            .and_then(Value::as_str)
            .filter(|_| service.get("build").is_none())
            .map(str::to_owned);
        o.drops_all = strings(service.get("cap_drop")).iter().any(|c| c == "ALL");
    }
    if caps {
        learn_caps(&mut stage, &model, &mut observed, request, from_scratch)?;
    }
    Ok(observed)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str())
                .map(|s| s.trim_start_matches("CAP_").to_ascii_uppercase())
                .collect()
        })
        .unwrap_or_default()
}

/// While the stack runs: each service's users, writes, ports, and peaks over `observe`.
fn watch(
    engine: &Docker,
    project: &Project,
    runs: &BTreeMap<String, Run>,
    observe: Duration,
) -> Result<BTreeMap<String, Observed>, VerifyError> {
    let ids: Vec<String> = engine
        .containers(&project.name)?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut containers: Vec<(String, String, i64)> = Vec::new(); // service, id, pid
    for value in engine.inspect(&ids)? {
        let service = value
            .pointer("/Config/Labels/com.docker.compose.service")
            .and_then(Value::as_str);
        let id = value.get("Id").and_then(Value::as_str);
        if let (Some(service), Some(id)) = (service, id) {
            let pid = value
                .pointer("/State/Pid")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            containers.push((service.to_owned(), id.to_owned(), pid));
        }
    }
    let mut out: BTreeMap<String, Observed> = BTreeMap::new();
    // Peaks: sampled until `observe` is over (at least once).
    let until = Instant::now() + observe;
    loop {
        let running: Vec<&str> = containers.iter().map(|(_, id, _)| id.as_str()).collect();
        for sample in stats(engine, &running)? {
            if let Some((service, _, _)) = containers
                .iter()
                .find(|(_, i, _)| i.starts_with(&sample.id))
            {
                let o = out.entry(service.clone()).or_default();
                o.memory_peak = o.memory_peak.max(sample.memory);
                o.pids_peak = o.pids_peak.max(sample.pids);
                o.cpu_peak = higher(o.cpu_peak, sample.cpu);
            }
        }
        if Instant::now() >= until || crate::docker::interrupted() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    for (service, id, pid) in &containers {
        let o = out.entry(service.clone()).or_default();
        if runs.get(service).is_some_and(|r| r.started) {
            o.users = users(engine, id)?;
            o.listens = listens(*pid);
        }
        let diff = engine.docker(&["diff", id], Stop::OnInterrupt)?;
        if diff.success {
            let (writes, in_place) = writes_from_diff(&diff.stdout);
            o.writes = writes;
            o.writes_in_place = in_place;
        }
    }
    Ok(out)
}

/// One line of `docker stats`.
struct Sample {
    /// The container's short id.
    id: String,
    memory: Option<u64>,
    pids: Option<u64>,
    /// Percent of one CPU.
    cpu: Option<f64>,
}

/// `docker stats --no-stream`, per container.
fn stats(engine: &Docker, ids: &[&str]) -> Result<Vec<Sample>, VerifyError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut args = vec![
        "stats",
        "--no-stream",
        "--format",
        "{{.ID}}\t{{.MemUsage}}\t{{.PIDs}}\t{{.CPUPerc}}",
    ];
    args.extend(ids);
    let f = engine.docker(&args, Stop::OnInterrupt)?;
    Ok(f.stdout
        .lines()
        .filter_map(|l| {
            let mut parts = l.split('\t');
            let id = parts.next()?.trim().to_owned();
            let memory = parts
                .next()
                .and_then(|m| m.split('/').next())
                .and_then(|m| bytes(m.trim()));
            let pids = parts.next().and_then(|p| p.trim().parse().ok());
            let cpu = parts
                .next()
                .and_then(|c| c.trim().trim_end_matches('%').parse().ok());
            Some(Sample {
                id,
                memory,
                pids,
                cpu,
            })
        })
        .collect())
}

/// The higher of two samples, either of which may be missing.
fn higher(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// `12.5MiB` (as docker stats prints sizes) in bytes.
fn bytes(text: &str) -> Option<u64> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &text[digits.len()..];
    let value: f64 = digits.parse().ok()?;
    let scale: f64 = match unit {
        "B" => 1.0,
        "kB" | "KB" => 1e3,
        "KiB" => 1024.0,
        "MB" => 1e6,
        "MiB" => 1024.0 * 1024.0,
        "GB" => 1e9,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((value * scale) as u64)
}

/// The uids of a container's processes (`docker top`, read on the host).
fn users(engine: &Docker, id: &str) -> Result<Vec<String>, VerifyError> {
    // `docker top` needs the pid column beside the one wanted.
    let f = engine.docker(&["top", id, "-eo", "pid,uid"], Stop::OnInterrupt)?;
    let mut uids: Vec<String> = f
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
        .collect();
    uids.sort_by_key(|u| u.parse::<u64>().unwrap_or(u64::MAX));
    uids.dedup();
    Ok(uids)
}

/// The TCP ports a process's network namespace listens on (`/proc/<pid>/net/tcp*`).
fn listens(pid: i64) -> Vec<String> {
    if pid <= 0 {
        return Vec::new();
    }
    let mut ports = Vec::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is `ADDR:PORT` in hex; state 0A is LISTEN. Docker's embedded DNS
            // server listens on 127.0.0.11 (`0B00007F`) in every container of a network.
            if fields.len() > 3 && fields[3] == "0A" && !fields[1].starts_with("0B00007F:") {
                if let Some(port) = fields[1]
                    .rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
                {
                    ports.push(port);
                }
            }
        }
    }
    ports.sort_unstable();
    ports.dedup();
    ports.into_iter().map(|p| format!("{p}/tcp")).collect()
}

/// True for a folder whose content is run-time state a tmpfs can hold: temporary files,
/// sockets and pid files, caches, logs. Data and configuration folders are not (a tmpfs there
/// would lose data at every restart, or hide the image's files).
fn tmpfs_can_hold(path: &str) -> bool {
    const ROOTS: [&str; 7] = [
        "/tmp",
        "/var/tmp",
        "/run",
        "/var/run",
        "/var/cache",
        "/var/log",
        "/dev/shm",
    ];
    const NAMES: [&str; 7] = ["tmp", "temp", "cache", ".cache", "run", "log", "logs"];
    ROOTS
        .iter()
        .any(|r| path == *r || path.strip_prefix(r).is_some_and(|p| p.starts_with('/')))
        || path
            .split('/')
            .skip(1)
            .any(|c| NAMES.contains(&c.to_ascii_lowercase().as_str()))
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// From `docker diff` (`A /path`, `C /path`, `D /path`, volumes and tmpfs not included): the
/// folders a tmpfs can hold under `read_only: true`, and the changes one cannot.
pub fn writes_from_diff(diff: &str) -> (Vec<String>, Vec<String>) {
    let entries: Vec<(char, &str)> = diff
        .lines()
        .filter_map(|l| {
            let (kind, path) = l.trim().split_once(' ')?;
            let kind = kind.chars().next()?;
            path.starts_with('/').then_some((kind, path.trim()))
        })
        .collect();
    let has_children = |p: &str| {
        entries
            .iter()
            .any(|(_, q)| q.len() > p.len() && q.starts_with(p) && q[p.len()..].starts_with('/'))
    };
    let added = |p: &str| entries.iter().any(|(k, q)| *k == 'A' && *q == p);
    let mut folders: Vec<String> = Vec::new();
    let mut in_place: Vec<String> = Vec::new();
    for (kind, path) in &entries {
        let target = match kind {
            // The topmost new entry: the new folder itself, or a new file's folder.
            'A' if added(parent(path)) => continue,
            'A' if has_children(path) => *path,
            'A' | 'D' => parent(path),
            // A changed entry with nothing under it: a file changed in place, or a folder
            // whose owner or mode changed (its folder, or itself, must be writable).
            'C' if has_children(path) => continue,
            _ => parent(path),
        };
        if target != "/" && tmpfs_can_hold(target) {
            folders.push(target.to_owned());
        } else {
            in_place.push((*path).to_owned());
        }
    }
    folders.sort();
    folders.dedup();
    // A folder under another one is held by that one's tmpfs.
    let all = folders.clone();
    folders.retain(|f| {
        !all.iter()
            .any(|o| o != f && f.starts_with(o.as_str()) && f[o.len()..].starts_with('/'))
    });
    in_place.sort();
    in_place.dedup();
    (folders, in_place)
}

/// Finds each started service's capabilities under `cap_drop: [ALL]` by starting the stack
/// with fewer: first what composeguard's table says (taken when it starts; not with
/// `from_scratch`), else none at all, then its candidates (Docker's defaults with its own
/// `cap_add`, less its `cap_drop`) halved while it still starts.
fn learn_caps(
    stage: &mut Stage,
    model: &Value,
    observed: &mut BTreeMap<String, Observed>,
    request: &Request<'_>,
    from_scratch: bool,
) -> Result<(), VerifyError> {
    let mut starts: BTreeMap<String, (Vec<String>, Option<Vec<String>>)> = BTreeMap::new();
    for (name, o) in observed.iter() {
        if !o.started || o.drops_all || o.image.is_none() {
            continue;
        }
        let service = &model["services"][name];
        let dropped = strings(service.get("cap_drop"));
        let mut keep: Vec<String> = DEFAULT_CAPS
            .iter()
            .map(|c| (*c).to_owned())
            .chain(strings(service.get("cap_add")))
            .filter(|c| !dropped.contains(c))
            .collect();
        keep.sort();
        keep.dedup();
        let as_root = !service
            .get("user")
            .and_then(Value::as_str)
            .is_some_and(|u| composeguard::user_setting(u) == composeguard::UserSetting::NonRoot);
        let guess = (!from_scratch)
            .then(|| {
                let k = composeguard::images::lookup(o.image.as_deref()?)?;
                let caps = k.needed_caps(as_root)?;
                Some(caps.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>())
            })
            .flatten();
        starts.insert(name.clone(), (keep, guess));
    }
    let found = search_caps(starts, |trials, label| {
        let runs = trial(stage, request, model, observed, trials, label)?;
        Ok(trials
            .keys()
            .map(|name| (name.clone(), runs.get(name).is_some_and(|r| r.started)))
            .collect())
    })?;
    for (name, caps) in found {
        if let Some(o) = observed.get_mut(&name) {
            o.caps = Some(caps);
        }
    }
    Ok(())
}

/// The capabilities each service needs, found by starting it with fewer. Each starts from its
/// candidates and an optional guess (tried first, taken when it starts). Then, in rounds (one
/// start of the stack each, every service searched in it: `round` starts the trial sets and
/// says which started), a chunk of the candidates is left out (first all of them, then halves
/// of a chunk it could not do without) and stays out when it still starts. Last, `DAC_OVERRIDE`
/// is replaced by the narrower `DAC_READ_SEARCH` where that still starts.
pub fn search_caps(
    starts: BTreeMap<String, (Vec<String>, Option<Vec<String>>)>,
    mut round: impl FnMut(
        &BTreeMap<String, Vec<String>>,
        &str,
    ) -> Result<BTreeMap<String, bool>, VerifyError>,
) -> Result<BTreeMap<String, Vec<String>>, VerifyError> {
    struct Search {
        keep: Vec<String>,
        chunks: Vec<Vec<String>>,
        trial: Vec<String>,
        guess: Option<Vec<String>>,
    }
    let mut searches: BTreeMap<String, Search> = starts
        .into_iter()
        .map(|(name, (keep, guess))| {
            (
                name,
                Search {
                    chunks: vec![keep.clone()],
                    keep,
                    trial: Vec::new(),
                    guess,
                },
            )
        })
        .collect();
    let mut n = 0;
    while searches
        .values()
        .any(|s| !s.chunks.is_empty() || s.guess.is_some())
    {
        n += 1;
        let mut trials: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, search) in searches.iter_mut() {
            search.trial = match (&search.guess, search.chunks.last()) {
                (Some(guess), _) => guess.clone(),
                (None, Some(chunk)) => search
                    .keep
                    .iter()
                    .filter(|c| !chunk.contains(c))
                    .cloned()
                    .collect(),
                (None, None) => search.keep.clone(),
            };
            trials.insert(name.clone(), search.trial.clone());
        }
        let started = round(&trials, &format!("caps-{n}"))?;
        for (name, search) in searches.iter_mut() {
            let started = started.get(name).copied().unwrap_or(false);
            if search.guess.take().is_some() {
                if started {
                    search.keep.clone_from(&search.trial);
                    search.chunks.clear();
                }
                continue;
            }
            let Some(chunk) = search.chunks.pop() else {
                continue;
            };
            if started {
                search.keep.clone_from(&search.trial);
            } else if chunk.len() > 1 {
                let (a, b) = chunk.split_at(chunk.len() / 2);
                search.chunks.push(b.to_vec());
                search.chunks.push(a.to_vec());
            }
        }
    }
    let narrower = |keep: &[String]| -> Vec<String> {
        let mut caps: Vec<String> = keep
            .iter()
            .filter(|c| *c != "DAC_OVERRIDE")
            .cloned()
            .chain(["DAC_READ_SEARCH".to_owned()])
            .collect();
        caps.sort();
        caps.dedup();
        caps
    };
    let trials: BTreeMap<String, Vec<String>> = searches
        .iter()
        .map(|(name, search)| {
            let caps = if search.keep.iter().any(|c| c == "DAC_OVERRIDE") {
                narrower(&search.keep)
            } else {
                search.keep.clone()
            };
            (name.clone(), caps)
        })
        .collect();
    if trials
        .iter()
        .any(|(name, caps)| searches[name].keep != *caps)
    {
        let started = round(&trials, "caps-narrower")?;
        for (name, search) in searches.iter_mut() {
            if started.get(name).copied().unwrap_or(false) {
                search.keep.clone_from(&trials[name]);
            }
        }
    }
    Ok(searches.into_iter().map(|(n, s)| (n, s.keep)).collect())
}

/// Starts the stack with each service of `caps` under `cap_drop: [ALL]` with those added back,
/// as `fix` will run it: a read-only root with a tmpfs for each folder it wrote (a fresh tmpfs
/// is root's, so an entrypoint that chowns it needs CHOWN), and the image's usual health check
/// where composeguard knows one and the file has none (running is not enough to tell: a
/// database that fails in its first init runs for a while).
fn trial(
    stage: &mut Stage,
    request: &Request<'_>,
    model: &Value,
    observed: &BTreeMap<String, Observed>,
    caps: &BTreeMap<String, Vec<String>>,
    label: &str,
) -> Result<BTreeMap<String, Run>, VerifyError> {
    let mut model = model.clone();
    for (name, caps) in caps {
        let service = &mut model["services"][name];
        service["cap_drop"] = json!(["ALL"]);
        service["cap_add"] = json!(caps);
        if let Some(o) = observed.get(name)
            && o.writes_in_place.is_empty()
            && service.get("read_only").is_none()
        {
            service["read_only"] = json!(true);
            let mut tmpfs = service
                .get("tmpfs")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            tmpfs.extend(o.writes.iter().map(|w| json!(w)));
            service["tmpfs"] = Value::Array(tmpfs);
        }
        if service.get("healthcheck").is_none()
            && let Some(test) = service
                .get("image")
                .and_then(Value::as_str)
                .and_then(composeguard::images::lookup)
                .and_then(|k| k.image.healthcheck)
        {
            service["healthcheck"] =
                json!({"test": test, "interval": "1s", "timeout": "3s", "retries": 30});
        }
    }
    let ran = stage.run(label, &model.to_string(), &[], request, &mut |_, _, _| {
        Ok(())
    })?;
    Ok(ran.runs)
}

/// The lock file's learned facts per image: every service of it merged (the union of users,
/// writes and capabilities, the highest peaks).
fn by_image(observed: &BTreeMap<String, Observed>, seconds: u64) -> BTreeMap<String, Learned> {
    let mut out: BTreeMap<String, Learned> = BTreeMap::new();
    for (name, o) in observed {
        let Some(image) = &o.image else { continue };
        if !o.started {
            continue;
        }
        let l = out.entry(image.clone()).or_insert_with(|| Learned {
            seconds,
            caps: o.caps.as_ref().map(|_| Vec::new()),
            ..Learned::default()
        });
        l.services.push(name.clone());
        let union = |into: &mut Vec<String>, from: &[String]| {
            into.extend(from.iter().cloned());
            into.sort();
            into.dedup();
        };
        union(&mut l.users, &o.users);
        union(&mut l.writes, &o.writes);
        union(&mut l.writes_in_place, &o.writes_in_place);
        union(&mut l.listens, &o.listens);
        l.caps = match (l.caps.take(), &o.caps) {
            (Some(mut caps), Some(more)) => {
                union(&mut caps, more);
                Some(caps)
            }
            _ => None,
        };
        l.memory_peak = l.memory_peak.max(o.memory_peak);
        l.pids_peak = l.pids_peak.max(o.pids_peak);
        l.cpu_peak = higher(l.cpu_peak, o.cpu_peak);
    }
    out
}

fn report(file: &str, lock: &str, observed: &BTreeMap<String, Observed>) -> String {
    let mut out = format!("learn {file}\n");
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_owned()
        } else {
            v.join(", ")
        }
    };
    for (name, o) in observed {
        if !o.started {
            out.push_str(&format!(
                "  {name}: did not start as written; nothing learned\n"
            ));
            continue;
        }
        out.push_str(&format!("  {name}:\n"));
        out.push_str(&format!("    users: {}\n", list(&o.users)));
        if let Some(caps) = &o.caps {
            out.push_str(&format!(
                "    capabilities under cap_drop [ALL]: {}\n",
                list(caps)
            ));
        }
        out.push_str(&format!(
            "    writes outside volumes (tmpfs): {}\n",
            list(&o.writes)
        ));
        if !o.writes_in_place.is_empty() {
            out.push_str(&format!(
                "    changed in place (keeps the root writable): {}\n",
                list(&o.writes_in_place)
            ));
        }
        out.push_str(&format!("    listens: {}\n", list(&o.listens)));
        let mib = |b: u64| format!("{:.1} MiB", b as f64 / 1024.0 / 1024.0);
        out.push_str(&format!(
            "    peak memory: {}, peak processes: {}\n",
            o.memory_peak.map_or_else(|| "unknown".to_owned(), mib),
            o.pids_peak
                .map_or_else(|| "unknown".to_owned(), |p| p.to_string())
        ));
        if let Some(cpu) = o.cpu_peak {
            out.push_str(&format!(
                "    peak CPU: {cpu:.1}% of one CPU (not used for a limit: a short run at rest says nothing of its load)\n"
            ));
        }
    }
    out.push_str(&format!(
        "Recorded in {lock}; `composeguard fix` uses it (review and commit it).\n"
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_gives_tmpfs_folders_and_changes_in_place() {
        let diff = "C /var\nC /var/run\nC /var/run/postgresql\nA /var/run/postgresql/.s.PGSQL.5432\n\
                    A /var/run/postgresql/.s.PGSQL.5432.lock\nC /tmp\nA /tmp/x\nA /tmp/y\nC /etc\nC /etc/passwd\n\
                    C /var/cache\nA /var/cache/nginx\nA /var/cache/nginx/client_temp\nC /app\nA /app/data.db\n";
        let (writes, in_place) = writes_from_diff(diff);
        assert_eq!(writes, ["/tmp", "/var/cache/nginx", "/var/run/postgresql"]);
        assert_eq!(in_place, ["/app/data.db", "/etc/passwd"]);
        assert_eq!(writes_from_diff(""), (Vec::new(), Vec::new()));
        // A folder whose owner changed (or a file changed), with nothing new in it: its
        // folder holds it.
        let (writes, in_place) = writes_from_diff("C /run\nC /run/app\n");
        assert_eq!(writes, ["/run"]);
        assert!(in_place.is_empty());
        // A deleted file in a data folder.
        let (_, in_place) = writes_from_diff("C /srv\nD /srv/old\n");
        assert_eq!(in_place, ["/srv/old"]);
    }

    #[test]
    fn the_search_finds_what_a_service_needs() {
        let all: Vec<String> = DEFAULT_CAPS.iter().map(|c| (*c).to_owned()).collect();
        // a needs CHOWN and SETUID; b needs nothing; c needs DAC_OVERRIDE or DAC_READ_SEARCH;
        // d's guess is more than it needs and is taken as it is.
        let needs = |name: &str, caps: &[String]| {
            let has = |c: &str| caps.iter().any(|x| x == c);
            match name {
                "a" => has("CHOWN") && has("SETUID"),
                "c" => has("DAC_OVERRIDE") || has("DAC_READ_SEARCH"),
                "d" => has("KILL"),
                _ => true,
            }
        };
        let starts = ["a", "b", "c", "d"]
            .into_iter()
            .map(|n| {
                let guess = (n == "d").then(|| vec!["KILL".to_owned(), "CHOWN".to_owned()]);
                (n.to_owned(), (all.clone(), guess))
            })
            .collect();
        let mut rounds = 0;
        let found = search_caps(starts, |trials, _| {
            rounds += 1;
            Ok(trials
                .iter()
                .map(|(n, caps)| (n.clone(), needs(n, caps)))
                .collect())
        })
        .unwrap();
        assert_eq!(found["a"], ["CHOWN", "SETUID"]);
        assert!(found["b"].is_empty());
        assert_eq!(found["c"], ["DAC_READ_SEARCH"]);
        assert_eq!(found["d"], ["KILL", "CHOWN"]);
        assert!(rounds <= 16, "{rounds} rounds");
    }

    #[test]
    fn sizes_as_docker_stats_prints_them() {
        assert_eq!(bytes("12.5MiB"), Some(13_107_200));
        assert_eq!(bytes("1GiB"), Some(1 << 30));
        assert_eq!(bytes("512KiB"), Some(524_288));
        assert_eq!(bytes("0B"), Some(0));
        assert_eq!(bytes("--"), None);
    }

    #[test]
    fn services_of_one_image_merge() {
        let mut observed = BTreeMap::new();
        let o = |caps: &[&str], writes: &[&str], mem| Observed {
            image: Some("x:1".into()),
            started: true,
            caps: Some(caps.iter().map(|c| (*c).to_owned()).collect()),
            writes: writes.iter().map(|c| (*c).to_owned()).collect(),
            memory_peak: Some(mem),
            ..Observed::default()
        };
        observed.insert("a".to_owned(), o(&["CHOWN"], &["/tmp"], 10));
        observed.insert("b".to_owned(), o(&["SETUID"], &["/run"], 30));
        let merged = by_image(&observed, 10);
        let l = &merged["x:1"];
        assert_eq!(l.services, ["a", "b"]);
        assert_eq!(
            l.caps.as_deref(),
            Some(&["CHOWN".to_owned(), "SETUID".to_owned()][..])
        );
        assert_eq!(l.writes, ["/run", "/tmp"]);
        assert_eq!(l.memory_peak, Some(30));
    }
}
