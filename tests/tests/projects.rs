//! Multi-file projects (tests/fixtures/projects/<name>/): each folder's default file with its
//! compose.override.yaml, plus the files they include or extend from, fixed as one project.
//!
//! For each: every file changes only where a fix lands, a file read for `extends` never
//! changes, a second run changes nothing, and Compose's own loader (`docker-compose -f ... config`)
//! accepts the hardened project, whose merged model has each control once, the capabilities
//! the image needs, and never both `X` and `X_FILE`; what the hardening does not touch (image,
//! command, volumes, ports' container side, other variables) is as before. Then a generated
//! property: for base/override pairs, composeguard reads the merged service as the loader
//! merges it.

use std::path::{Path, PathBuf};
use std::process::Command;

use composeguard::Options;
use composeguard::project::{ProjectFile, Role, check_project, fix_project};
use composeguard_tests::corpus::project;
use composeguard_tests::loader;
use serde_json::Value;

fn projects_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/projects")
}

fn options() -> Options {
    Options {
        unsafe_fixes: true,
        ..Options::default()
    }
}

fn fixtures() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(projects_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    assert!(out.len() >= 6, "expected the project fixtures");
    out
}

/// Writes the files into a fresh folder and returns the loader's merged model (JSON), or
/// what it said when it refused.
fn loaded(files: &[ProjectFile]) -> Result<Value, String> {
    let bin = loader::compose_binary().expect("checked by the caller");
    let dir = tempfile::tempdir().unwrap();
    for f in files {
        let path = dir.path().join(&f.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &f.text).unwrap();
    }
    let mut command = Command::new(bin);
    command
        .current_dir(dir.path())
        .arg("--project-name")
        .arg("p");
    for f in files.iter().filter(|f| f.role == Role::Compose) {
        command.arg("-f").arg(&f.path);
    }
    let out = command
        .args([
            "config",
            "--no-interpolate",
            "--no-path-resolution",
            "--format",
            "json",
        ])
        .env_remove("COMPOSE_FILE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let complaints: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.to_ascii_lowercase().contains("warn"))
        .collect();
    if !out.status.success() || !complaints.is_empty() {
        return Err(format!("{stderr}"));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn each_fix_lands_once_and_a_second_run_changes_nothing() {
    let options = options();
    for folder in fixtures() {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let files = project(&folder, &options);
        let outcome = fix_project(&files, &options).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(outcome.files.len(), files.len());
        let mut fixed = files.clone();
        for (file, out) in fixed.iter_mut().zip(&outcome.files) {
            if file.role == Role::Extended {
                assert_eq!(out.output, file.text, "{name}: {} changed", file.path);
            }
            // Every byte outside the changes is kept.
            assert_eq!(
                composeguard::apply_changes(&file.text, &out.changes),
                out.output,
                "{name}: {}",
                file.path
            );
            file.text = out.output.clone();
        }
        assert!(outcome.fixed > 0, "{name}: nothing fixed");
        let again = fix_project(&fixed, &options).unwrap();
        for (file, out) in fixed.iter().zip(&again.files) {
            assert_eq!(
                out.output, file.text,
                "{name}: second run changed {}",
                file.path
            );
        }
        // Findings point into the file where the value lives.
        let findings = check_project(&files, &options).unwrap();
        for (file, found) in files.iter().zip(&findings) {
            for d in found {
                let lines = file.text.lines().count().max(1);
                assert!(d.start.line <= lines, "{name}: {} {d:?}", file.path);
            }
        }
    }
}

#[test]
fn the_loader_accepts_each_hardened_project_with_each_control_once() {
    if loader::compose_binary().is_none() {
        assert!(!loader::required(), "docker-compose is required");
        eprintln!("skipped: no docker-compose");
        return;
    }
    let options = options();
    for folder in fixtures() {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let files = project(&folder, &options);
        let before = loaded(&files).unwrap_or_else(|e| panic!("{name}: input refused: {e}"));
        let outcome = fix_project(&files, &options).unwrap();
        let fixed: Vec<ProjectFile> = files
            .iter()
            .zip(&outcome.files)
            .map(|(f, o)| ProjectFile {
                text: o.output.clone(),
                ..f.clone()
            })
            .collect();
        let after = loaded(&fixed).unwrap_or_else(|e| panic!("{name}: output refused: {e}"));
        let services = after["services"].as_object().unwrap();
        for (service, model) in services {
            let at = format!("{name}: service {service}");
            let security = strings(model.get("security_opt"));
            let mut unique = security.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), security.len(), "{at}: {security:?}");
            assert_eq!(
                security
                    .iter()
                    .filter(|s| s.as_str() == "no-new-privileges:true")
                    .count(),
                1,
                "{at}: {security:?}"
            );
            let drop = strings(model.get("cap_drop"));
            let add = strings(model.get("cap_add"));
            let image = model["image"].as_str().unwrap_or_default();
            if image.starts_with("postgres") {
                // The image is named in another file: the fix still knows it.
                for cap in ["CHOWN", "SETGID", "SETUID"] {
                    assert!(add.iter().any(|c| c == cap), "{at}: {add:?}");
                }
                assert!(drop.iter().any(|c| c == "ALL"), "{at}: {drop:?}");
            }
            if let Some(env) = model.get("environment").and_then(Value::as_object) {
                for var in env.keys() {
                    assert!(
                        !env.contains_key(&format!("{var}_FILE")),
                        "{at}: both {var} and {var}_FILE"
                    );
                }
            }
            // What hardening does not touch is as before.
            let old = &before["services"][service];
            for key in ["image", "command", "volumes", "depends_on", "extends"] {
                assert_eq!(model.get(key), old.get(key), "{at}: `{key}` changed");
            }
            let targets = |v: &Value| -> Vec<String> {
                v.get("ports")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().map(|p| p["target"].to_string()).collect())
                    .unwrap_or_default()
            };
            assert_eq!(targets(model), targets(old), "{at}: ports' targets");
            let old_env = old.get("environment").and_then(Value::as_object);
            if let (Some(new), Some(old)) =
                (model.get("environment").and_then(Value::as_object), old_env)
            {
                for (var, value) in old {
                    if !var.contains("PASSWORD") {
                        assert_eq!(new.get(var), Some(value), "{at}: {var}");
                    }
                }
            }
        }
    }
}

/// A small deterministic generator (no dependency on a seed crate for one loop).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Base/override pairs that split the controls between the files in every way: composeguard's
/// findings on the project are those of the loader's merged service (no-new-privileges set,
/// ALL dropped, read-only root, the user, the image's known needs).
#[test]
fn generated_pairs_are_read_as_the_loader_merges_them() {
    if loader::compose_binary().is_none() {
        assert!(!loader::required(), "docker-compose is required");
        eprintln!("skipped: no docker-compose");
        return;
    }
    let mut rng = Lcg(0x5eed);
    let pieces: &[(&str, &[&str])] = &[
        ("image", &["nginx:1.27", "postgres:16", "redis:7"]),
        (
            "security_opt",
            &["[no-new-privileges:true]", "[label:disable]", "[]"],
        ),
        ("cap_drop", &["[ALL]", "[NET_RAW]", "[]"]),
        ("read_only", &["true", "false"]),
        ("user", &["\"1000:1000\"", "root", "\"\""]),
    ];
    let options = Options::default();
    for case in 0..40 {
        let mut files = [
            String::from("services:\n  s:\n"),
            String::from("services:\n  s:\n"),
        ];
        let image_in = rng.next(2) as usize;
        for (key, values) in pieces {
            let value = values[rng.next(values.len() as u64) as usize];
            let place = if *key == "image" {
                image_in
            } else {
                rng.next(3) as usize
            };
            if place < 2 {
                files[place].push_str(&format!("    {key}: {value}\n"));
            }
        }
        for f in &mut files {
            if f.ends_with("  s:\n") {
                f.push_str("    environment: {A: \"1\"}\n");
            }
        }
        let project: Vec<ProjectFile> = files
            .iter()
            .enumerate()
            .map(|(i, text)| ProjectFile {
                path: ["compose.yaml", "compose.override.yaml"][i].to_owned(),
                text: text.clone(),
                role: Role::Compose,
            })
            .collect();
        let merged = loaded(&project).unwrap_or_else(|e| panic!("case {case}: {e}\n{files:?}"));
        let model = &merged["services"]["s"];
        let diagnostics: Vec<composeguard::Diagnostic> = check_project(&project, &options)
            .unwrap()
            .into_iter()
            .flatten()
            .collect();
        let found: Vec<&str> = diagnostics.iter().map(|d| d.code()).collect();
        let at = format!("case {case}: {files:?} -> {found:?}");
        let security = strings(model.get("security_opt"));
        assert_eq!(
            found.contains(&"CG102"),
            !security.iter().any(|s| s == "no-new-privileges:true"),
            "{at}"
        );
        let drop = strings(model.get("cap_drop"));
        let keeps_defaults = diagnostics.iter().any(|d| {
            d.code() == "CG101"
                && (d.message.contains("keeps Docker's default")
                    || d.message.contains("but not `ALL`"))
        });
        assert_eq!(keeps_defaults, !drop.iter().any(|c| c == "ALL"), "{at}");
        // `read_only: false`, in either file, is a decision composeguard respects.
        assert_eq!(
            found.contains(&"CG201"),
            model.get("read_only").is_none(),
            "{at}"
        );
        let user = model.get("user").and_then(Value::as_str).unwrap_or("");
        let image = model["image"].as_str().unwrap_or("");
        let root = match user {
            "" => !image.starts_with("nginx-unprivileged"),
            "root" => true,
            _ => false,
        };
        // redis and postgres start as root and step down: CG103 is about nginx and `root`.
        if user == "root" || (user.is_empty() && image.starts_with("nginx")) {
            assert!(root && found.contains(&"CG103"), "{at}");
        }
        if user == "1000:1000" {
            assert!(!found.contains(&"CG103"), "{at}");
        }
    }
}

/// The folders `--into` is tried on: every project fixture, the vendor-style example (a base
/// file plus the user's override) and the bundled single-file examples.
fn into_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cases = fixtures();
    for example in ["examples/vendor", "examples/stack", "examples/anchors"] {
        cases.push(root.join(example));
    }
    cases
}

#[test]
fn into_leaves_every_other_file_as_it_was_and_means_what_the_fixed_files_mean() {
    let options = options();
    let check_loader = loader::compose_binary().is_some();
    if !check_loader {
        assert!(!loader::required(), "docker-compose is required");
    }
    for folder in into_cases() {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        let files = project(&folder, &options);
        let into = ProjectFile {
            path: "compose.hardened.yaml".into(),
            text: String::new(),
            role: Role::Compose,
        };
        let outcome = match composeguard::project::fix_into(&files, &into, &options) {
            Ok(o) => o,
            Err(e) => {
                // What an override cannot express stops the run, and says why.
                assert!(
                    e.error.to_string().contains("--into cannot express"),
                    "{name}: {e:?}"
                );
                assert_eq!(name, "include", "{name}: {e:?}");
                continue;
            }
        };
        assert_eq!(outcome.files.len(), files.len() + 1);
        for (file, out) in files.iter().zip(&outcome.files) {
            assert_eq!(out.output, file.text, "{name}: {} changed", file.path);
            assert!(out.changes.is_empty(), "{name}: {}", file.path);
        }
        let written = &outcome.files[files.len()].output;
        assert!(written.contains("services:"), "{name}: {written}");
        let mut with = files.clone();
        with.push(ProjectFile {
            text: written.clone(),
            ..into.clone()
        });
        // A second run updates the override in place: here, nothing is left to change.
        let again = composeguard::project::fix_into(&files, &with[files.len()], &options)
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(&again.files[files.len()].output, written, "{name}");
        if !check_loader {
            continue;
        }
        let fixed: Vec<ProjectFile> = files
            .iter()
            .zip(&fix_project(&files, &options).unwrap().files)
            .map(|(f, o)| ProjectFile {
                text: o.output.clone(),
                ..f.clone()
            })
            .collect();
        let expected = loaded(&fixed).unwrap_or_else(|e| panic!("{name}: fixed refused: {e}"));
        let got = loaded(&with)
            .unwrap_or_else(|e| panic!("{name}: with override refused: {e}\n{written}"));
        assert_eq!(
            normalized(&got["services"]),
            normalized(&expected["services"]),
            "{name}: the override does not mean what the fixed files mean\n{written}"
        );
        assert_eq!(got.get("secrets"), expected.get("secrets"), "{name}");
    }
}

/// Services as Compose means them: `environment` as a mapping and `tmpfs` as a list, whichever
/// form they were written in.
fn normalized(services: &Value) -> Value {
    let mut out = services.clone();
    if let Some(map) = out.as_object_mut() {
        for service in map.values_mut() {
            if let Some(one) = service.get("tmpfs").filter(|t| t.is_string()).cloned() {
                service["tmpfs"] = Value::Array(vec![one]);
            }
            if let Some(list) = service.get("environment").and_then(Value::as_array) {
                let env: serde_json::Map<String, Value> = list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|item| match item.split_once('=') {
                        Some((k, v)) => (k.to_owned(), Value::String(v.to_owned())),
                        None => (item.to_owned(), Value::Null),
                    })
                    .collect();
                service["environment"] = Value::Object(env);
            }
        }
    }
    out
}

/// `--into` where Compose's merge has rules of its own: a `logging` whose driver another file
/// changes keeps only that driver's options; a list written as one string is replaced, not
/// appended to. The override means what the fixed files mean.
#[test]
fn into_follows_the_merge_rules_of_logging_and_single_string_lists() {
    if loader::compose_binary().is_none() {
        assert!(!loader::required(), "docker-compose is required");
        return;
    }
    let options = options();
    let cases: [(&str, &str); 2] = [
        (
            "services:\n  web:\n    image: nginx:1.27\n    logging: {driver: syslog, options: {syslog-address: \"udp://1.2.3.4:514\"}}\n",
            "services:\n  web:\n    logging: {driver: json-file}\n",
        ),
        (
            "services:\n  web:\n    image: nginx:1.27\n    tmpfs: /run\n",
            "services:\n  web:\n    read_only: true\n",
        ),
    ];
    for (base, over) in cases {
        let files: Vec<ProjectFile> = [("compose.yaml", base), ("compose.override.yaml", over)]
            .iter()
            .map(|(p, t)| ProjectFile {
                path: (*p).into(),
                text: (*t).into(),
                role: Role::Compose,
            })
            .collect();
        let into = ProjectFile {
            path: "h.yaml".into(),
            text: String::new(),
            role: Role::Compose,
        };
        let outcome = composeguard::project::fix_into(&files, &into, &options).unwrap();
        let mut with = files.clone();
        with.push(ProjectFile {
            text: outcome.files[2].output.clone(),
            ..into
        });
        let fixed: Vec<ProjectFile> = files
            .iter()
            .zip(&fix_project(&files, &options).unwrap().files)
            .map(|(f, o)| ProjectFile {
                text: o.output.clone(),
                ..f.clone()
            })
            .collect();
        assert_eq!(
            normalized(&loaded(&with).unwrap()["services"]),
            normalized(&loaded(&fixed).unwrap()["services"]),
            "{base}{over}{}",
            outcome.files[2].output
        );
    }
}
