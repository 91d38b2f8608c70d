//! `images lock`, `learn` and `fix --verify` on a real Docker engine, with busybox images
//! imported under names of this test run only. Skipped (with a message) when no engine or
//! Compose v2 is reachable; under `CI=true` that is a failure instead.

mod common;

use std::path::Path;

use common::engine::{Image, engine_ready};
use common::{run, stderr, stdout};

/// A start-up that needs CHOWN (root chowns a file) and writes `/tmp` and `/var/cache/app`.
const WORKER: &str = "echo x > /tmp/a && chown 1000 /tmp/a && mkdir -p /var/cache/app && echo y > /var/cache/app/z && exec sleep 1000";

fn tag(name: &str) -> String {
    format!("cg-learn-test-{}/{name}:1", std::process::id())
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// `composeguard verify` in `d` (with `more` arguments) says every service that started as
/// written starts hardened.
fn assert_starts(d: &Path, more: &[&str]) -> String {
    let mut args = vec!["verify", "--settle", "3s"];
    args.extend(more);
    let out = run(d, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn worker_file(image: &str) -> String {
    format!("services:\n  worker:\n    image: {image}\n    command: [\"{WORKER}\"]\n")
}

#[test]
fn images_lock_records_the_engine_config_and_check_uses_it() {
    if !engine_ready() {
        return;
    }
    let (api, api2) = (tag("api"), tag("api2"));
    let _image = Image::build(
        &[api.clone(), api2.clone()],
        &["USER 1000:1000", "VOLUME /data", "EXPOSE 8080"],
    );
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "compose.yaml",
        &format!("services:\n  api:\n    image: {api}\n    command: [\"sleep 1000\"]\n"),
    );
    let out = run(d, &["images", "lock"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 image (1 from the engine"),
        "{}",
        stdout(&out)
    );
    let lock = read(d, "composeguard.lock");
    for line in [
        format!("reference = \"{api}\""),
        "from = \"engine\"".to_owned(),
        "user = \"1000:1000\"".to_owned(),
        "volumes = [\"/data\"]".to_owned(),
        "exposed_ports = [\"8080/tcp\"]".to_owned(),
    ] {
        assert!(lock.contains(&line), "{line} in\n{lock}");
    }
    // Up to date; a second run changes nothing.
    assert_eq!(
        run(d, &["images", "lock", "--check"]).status.code(),
        Some(0)
    );
    let again = run(d, &["images", "lock"]);
    assert!(stdout(&again).contains("unchanged"), "{}", stdout(&again));
    assert_eq!(read(d, "composeguard.lock"), lock);
    // The image's own user is non-root: no root finding, and ALL may be dropped.
    let check = run(d, &["check", "--preset", "strict"]);
    assert!(!stdout(&check).contains("CG103"), "{}", stdout(&check));
    let without = run(d, &["check", "--preset", "strict", "--no-lock"]);
    assert!(stdout(&without).contains("CG103"), "{}", stdout(&without));
    // A new image makes the lock out of date; one the engine does not have is an error and
    // nothing is written.
    write(
        d,
        "compose.yaml",
        &format!("services:\n  api:\n    image: {api}\n  other:\n    image: {api2}\n"),
    );
    let stale = run(d, &["images", "lock", "--check"]);
    assert_eq!(stale.status.code(), Some(1), "{}", stderr(&stale));
    assert!(stderr(&stale).contains("out of date"), "{}", stderr(&stale));
    write(
        d,
        "compose.yaml",
        &format!(
            "services:\n  api:\n    image: {api}\n  other:\n    image: {}\n",
            tag("absent")
        ),
    );
    let missing = run(d, &["images", "lock", "--from", "engine"]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(
        stderr(&missing).contains("no such image") && stderr(&missing).contains("nothing written"),
        "{}",
        stderr(&missing)
    );
    assert_eq!(read(d, "composeguard.lock"), lock);
    // A broken lock file is an error at its line, for check too.
    write(
        d,
        "composeguard.lock",
        "version = 1\n[[image]]\nreference = 7\n",
    );
    let broken = run(d, &["check"]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(
        stderr(&broken).contains("composeguard.lock:3:"),
        "{}",
        stderr(&broken)
    );
}

#[test]
fn learn_records_what_fix_needs_and_the_hardened_stack_starts() {
    if !engine_ready() {
        return;
    }
    let worker = tag("worker");
    let _image = Image::build(std::slice::from_ref(&worker), &[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "compose.yaml", &worker_file(&worker));
    let out = run(
        d,
        &[
            "learn",
            "--settle",
            "2s",
            "--observe",
            "2s",
            "--output-format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let seen = &report["services"]["worker"];
    assert_eq!(seen["caps"], serde_json::json!(["CHOWN"]), "{seen:#}");
    assert_eq!(
        seen["writes"],
        serde_json::json!(["/tmp", "/var/cache/app"]),
        "{seen:#}"
    );
    assert_eq!(seen["users"], serde_json::json!(["0"]), "{seen:#}");
    assert!(
        seen["memory_peak"].as_u64().is_some_and(|m| m > 0),
        "{seen:#}"
    );
    let lock = read(d, "composeguard.lock");
    assert!(lock.contains("[image.learned]"), "{lock}");
    assert!(lock.contains("caps = [\"CHOWN\"]"), "{lock}");
    // `fix` uses it offline: exact capabilities and tmpfs, a memory limit from the peak.
    let fixed = run(d, &["fix", "--unsafe-fixes", "--stdout"]);
    let text = stdout(&fixed);
    // (In flow style, as the file writes its lists.)
    for line in [
        "cap_drop: [ALL]",
        "cap_add: [CHOWN]",
        "read_only: true",
        "\"/tmp:noexec,nosuid,size=64m\"",
        "\"/var/cache/app:noexec,nosuid,size=64m\"",
        "memory: 32m",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    // And the hardened stack starts.
    assert_eq!(
        run(d, &["fix", "--unsafe-fixes", "-q"]).status.code(),
        Some(1)
    );
    assert_starts(d, &[]);
}

#[test]
fn fix_verify_holds_back_the_fixes_that_break_a_service() {
    if !engine_ready() {
        return;
    }
    let worker = tag("held");
    let _image = Image::build(std::slice::from_ref(&worker), &[]);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "compose.yaml", &worker_file(&worker));
    // Wrong facts on purpose: it needs CHOWN and writes /var/cache/app too.
    write(
        d,
        "composeguard.lock",
        &format!(
            "version = 1\n\n[[image]]\nreference = \"{worker}\"\nfrom = \"engine\"\n\n[image.config]\n\n[image.learned]\nservices = [\"worker\"]\nseconds = 2\ncaps = []\nwrites = [\"/tmp\"]\nmemory_peak = 1000000\n"
        ),
    );
    let out = run(d, &["fix", "--verify", "--unsafe-fixes", "--settle", "2s"]);
    let err = stderr(&out);
    // read_only is held back; cap_drop: [ALL] stays, with what it needs added back: CHOWN,
    // and DAC_OVERRIDE for the restart (root writes the /tmp/a it gave to uid 1000).
    assert!(err.contains("worker: held back CG201"), "{err}");
    assert!(
        err.contains("worker: CG101 applied with CHOWN, DAC_OVERRIDE added back"),
        "{err}"
    );
    let text = read(d, "compose.yaml");
    assert!(!text.contains("read_only"), "{text}");
    assert!(text.contains("cap_drop: [ALL]"), "{text}");
    assert!(text.contains("cap_add: [CHOWN, DAC_OVERRIDE]"), "{text}");
    // The other fixes are applied.
    assert!(text.contains("no-new-privileges:true"), "{text}");
    assert!(text.contains("max-size"), "{text}");
    // The file as written now starts (verify without the wrong lock, which would harden it
    // again with what was held back).
    assert_starts(d, &["--no-lock"]);
}

/// The replica images (tests/replicas/build.sh: cached by recipe, built with mmdebstrap when
/// missing), by folder.
fn replicas() -> std::collections::BTreeMap<String, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/replicas/build.sh");
    let out = std::process::Command::new(&script).output().unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        script.display(),
        stderr(&out)
    );
    stdout(&out)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(f, i)| (f.to_owned(), i.to_owned()))
        .collect()
}

/// On the postgres and redis replicas (root start, chown, gosu), `learn` finds the
/// capabilities the replica tests prove they need, and `fix --verify` holds back a fix that
/// breaks them on purpose (a `nofile` over the kernel's limit) and applies the rest.
#[test]
fn learn_and_fix_verify_on_replicas() {
    if !engine_ready() {
        return;
    }
    let images = replicas();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("data")).unwrap();
    write(
        d,
        "compose.yaml",
        &format!(
            "services:\n  postgres:\n    image: {}\n    environment:\n      POSTGRES_PASSWORD: example\n    volumes:\n      - db:/var/lib/postgresql/data\n  redis:\n    image: {}\n    command: redis-server --appendonly yes\n    volumes:\n      - ./data:/data\nvolumes:\n  db:\n",
            images["postgres"], images["redis"]
        ),
    );
    let out = run(
        d,
        &[
            "learn",
            "--from-scratch",
            "--settle",
            "3s",
            "--observe",
            "2s",
            "--output-format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let caps = |s: &str| report["services"][s]["caps"].clone();
    assert_eq!(
        caps("postgres"),
        serde_json::json!(["CHOWN", "DAC_READ_SEARCH", "SETGID", "SETUID"]),
        "{report:#}"
    );
    let redis = caps("redis");
    for cap in ["CHOWN", "SETGID", "SETUID"] {
        assert!(
            redis.as_array().unwrap().contains(&cap.into()),
            "{report:#}"
        );
    }
    let writes = report["services"]["postgres"]["writes"].to_string();
    assert!(writes.contains("run/postgresql"), "{report:#}");
    for s in ["postgres", "redis"] {
        assert!(
            report["services"][s]["users"]
                .as_array()
                .unwrap()
                .contains(&"999".into()),
            "{report:#}"
        );
    }
    // The user's bind-mounted folder is as it was: each run had its own copy.
    assert_eq!(std::fs::read_dir(d.join("data")).unwrap().count(), 0);
    // A fix that breaks every service on purpose: a `nofile` over the kernel's limit.
    write(
        d,
        "composeguard.toml",
        "[options]\nnofile = 2000000\nnproc = 4096\n",
    );
    let out = run(d, &["fix", "--verify", "--unsafe-fixes", "--settle", "3s"]);
    let err = stderr(&out);
    for s in ["postgres", "redis"] {
        assert!(err.contains(&format!("{s}: held back CG304")), "{err}");
    }
    assert!(err.contains("rlimit"), "{err}");
    let text = read(d, "compose.yaml");
    assert!(!text.contains("ulimits"), "{text}");
    assert!(
        text.contains("- ALL") && text.contains("read_only: true"),
        "{text}"
    );
}

/// The bundled example (examples/stack: nginx, a Python API built from its folder, postgres,
/// redis) on replicas tagged under the names it uses (only names this machine does not have
/// already; those tags are removed afterwards): `verify`, `learn` and `fix --verify`, and the
/// fixed stack starts.
#[test]
fn the_bundled_example_on_replicas() {
    if !engine_ready() {
        return;
    }
    let images = replicas();
    let mut added = Vec::new();
    for (folder, name) in [
        ("nginx", "nginx:1.27-alpine"),
        ("postgres", "postgres:16"),
        ("redis", "redis:7.4"),
        ("python", "python:3.12-slim"),
    ] {
        let have = common::engine::docker(&["image", "inspect", name])
            .status
            .success();
        if !have {
            assert!(
                common::engine::docker(&["tag", &images[folder], name])
                    .status
                    .success()
            );
            added.push(name.to_owned());
        }
    }
    struct Untag(Vec<String>);
    impl Drop for Untag {
        fn drop(&mut self) {
            for name in &self.0 {
                let _ = common::engine::docker(&["rmi", name]);
            }
        }
    }
    let _untag = Untag(added);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/stack");
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", example.display()))
        .arg(d)
        .status()
        .unwrap();
    assert!(copied.success());
    let report = assert_starts(d, &[]);
    assert!(
        report.contains("(4 of 4) still starts hardened"),
        "{report}"
    );
    let learn = run(d, &["learn", "--settle", "3s", "--observe", "2s"]);
    assert_eq!(
        learn.status.code(),
        Some(0),
        "{}{}",
        stdout(&learn),
        stderr(&learn)
    );
    let lock = read(d, "composeguard.lock");
    for name in ["nginx:1.27-alpine", "postgres:16", "redis:7.4"] {
        assert!(lock.contains(&format!("reference = \"{name}\"")), "{lock}");
    }
    let fixed = run(d, &["fix", "--verify", "--unsafe-fixes", "--settle", "3s"]);
    assert!(
        stderr(&fixed).contains("every service that started as written starts fixed"),
        "{}",
        stderr(&fixed)
    );
    let text = read(d, "compose.yaml");
    assert!(text.contains("read_only: true"), "{text}");
    assert_starts(d, &[]);
}
