//! For every service of a known image, the hardened result is one the image is known to start
//! with: the capabilities its entrypoint needs, a tmpfs for every path it writes (and none over
//! its data volumes), no read-only root where that breaks it, no root user introduced.
//!
//! Each image is hardened in several situations (bare; with its data volume; with a non-root
//! `user:`; with host networking), with every rule and every unsafe fix applied.

use composeguard::images::{IMAGES, Runs};
use composeguard::{Options, Preset};
use serde_yaml_ng::Value;

fn harden(yaml: &str) -> Value {
    let options = Options {
        unsafe_fixes: true,
        preset: Preset::Strict,
        ..Options::default()
    };
    let out = composeguard::fix(yaml, &options).unwrap().output;
    let doc: Value = serde_yaml_ng::from_str(&out).unwrap();
    doc["services"]["svc"].clone()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A reference the entry matches (for a family, an image under its first prefix).
fn reference(image: &composeguard::images::Image) -> String {
    let repo = match image.repositories.first() {
        Some(r) => (*r).to_owned(),
        None => format!("{}app", image.prefixes[0]),
    };
    match image.tag_contains {
        Some(t) => format!("{repo}:1-{t}"),
        None => format!("{repo}:1.0"),
    }
}

struct Hardened {
    caps_dropped_all: bool,
    cap_add: Vec<String>,
    read_only: bool,
    tmpfs: Vec<String>,
    user: Option<String>,
}

fn inspect(service: &Value) -> Hardened {
    Hardened {
        caps_dropped_all: strings(&service["cap_drop"]).iter().any(|c| c == "ALL"),
        cap_add: strings(&service["cap_add"]),
        read_only: service["read_only"].as_bool() == Some(true),
        tmpfs: strings(&service["tmpfs"])
            .iter()
            .map(|t| t.split(':').next().unwrap().to_owned())
            .collect(),
        user: service["user"].as_str().map(str::to_owned),
    }
}

#[test]
fn every_known_image_keeps_what_it_needs_to_start() {
    for image in IMAGES {
        let reference = reference(image);
        let found = composeguard::images::lookup(&reference).map(|k| k.image.name);
        assert_eq!(found, Some(image.name), "{reference}");
        let volume = image.volumes.first().copied();
        let mut scenarios = vec![format!("services:\n  svc:\n    image: {reference}\n")];
        if let Some(v) = volume {
            scenarios.push(format!(
                "services:\n  svc:\n    image: {reference}\n    volumes:\n      - data:{v}\nvolumes:\n  data:\n"
            ));
        }
        scenarios.push(format!(
            "services:\n  svc:\n    image: {reference}\n    network_mode: host\n"
        ));
        for yaml in &scenarios {
            let h = inspect(&harden(yaml));
            let context = format!("{} in\n{yaml}", image.name);
            // Capabilities: everything the entrypoint needs as root is added back; where
            // nobody established what it needs, nothing it may need is dropped.
            // The user it ends with (CG103 may give it the image's own safe user).
            let as_root = match &h.user {
                Some(u) => {
                    let name = u.split(':').next().unwrap_or("");
                    name == "root" || name.trim_start_matches('0').is_empty()
                }
                None => image.runs != Runs::NonRoot,
            };
            let caps_known = if as_root {
                image.caps_as_root.is_some()
            } else {
                image.file_caps.is_some() || image.caps_as_root.is_some()
            };
            assert_eq!(h.caps_dropped_all, caps_known, "{context}: cap_drop ALL");
            for cap in image.caps_as_root.unwrap_or(&[]) {
                assert!(
                    h.cap_add.iter().any(|c| c == cap),
                    "{context}: missing cap_add {cap}: {:?}",
                    h.cap_add
                );
            }
            if image.runs == Runs::NonRoot {
                let file_caps = image.file_caps.unwrap_or(&[]);
                assert!(
                    h.cap_add.iter().all(|c| file_caps.contains(&c.as_str())),
                    "{context}: a non-root image needs only its file capabilities: {:?}",
                    h.cap_add
                );
            }
            // Read-only root file system only where the image survives it, with its paths.
            assert_eq!(
                h.read_only,
                image.read_only_ok == Some(true) && image.writable.is_some(),
                "{context}: read_only"
            );
            if h.read_only {
                for path in image.writable_or_tmp() {
                    let covered = h.tmpfs.iter().any(|t| t == path) || image.volumes.contains(path);
                    assert!(covered, "{context}: {path} is not writable: {:?}", h.tmpfs);
                }
            }
            // Never a tmpfs over a data volume (it would hide the data, or Compose rejects it).
            for t in &h.tmpfs {
                assert!(
                    !image.volumes.contains(&t.as_str()),
                    "{context}: tmpfs over the volume {t}"
                );
            }
            // A root user is never introduced.
            assert!(
                h.user
                    .as_deref()
                    .is_none_or(|u| !u.starts_with('0') && !u.starts_with("root")),
                "{context}"
            );
        }
    }
}

#[test]
fn a_non_root_user_needs_no_step_down_capabilities() {
    for image in IMAGES.iter().filter(|i| i.runs == Runs::RootThenStepsDown) {
        let Some(uid) = image.user else {
            continue; // the user it steps down to is not known
        };
        let yaml = format!(
            "services:\n  svc:\n    image: {}\n    user: \"{uid}\"\n",
            reference(image)
        );
        let h = inspect(&harden(&yaml));
        assert_eq!(h.user.as_deref(), Some(uid));
        // Its file capabilities; where nobody checked the image for them, the set established
        // for a root start (a superset: a non-root process cannot use the others).
        let expected: Vec<String> = image
            .file_caps
            .or(image.caps_as_root)
            .unwrap_or(&[])
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            h.cap_add, expected,
            "{}: as {uid} it needs no step-down capability beyond its file capabilities",
            image.name
        );
    }
}

/// The facts stated in the issue, checked independently of the table.
#[test]
fn the_images_the_guide_names() {
    let caps = |image: &str| {
        let mut c = inspect(&harden(&format!("services:\n  svc:\n    image: {image}\n"))).cap_add;
        c.sort();
        c
    };
    assert_eq!(
        caps("postgres:17"),
        ["CHOWN", "DAC_READ_SEARCH", "FOWNER", "SETGID", "SETUID"]
    );
    assert_eq!(
        caps("docker.io/library/postgres:16-alpine"),
        ["CHOWN", "DAC_READ_SEARCH", "FOWNER", "SETGID", "SETUID"]
    );
    assert_eq!(caps("caddy:2.8"), ["NET_BIND_SERVICE"]);
    assert!(caps("nginx:1.27").starts_with(&["CHOWN".to_owned()]));
    assert!(
        caps("redis:8.0").contains(&"SETUID".to_owned())
            && caps("redis:8.0").contains(&"SETGID".to_owned())
    );
    assert!(caps("grafana/grafana:11.0").is_empty());
    assert!(caps("prom/prometheus:v2.53.0").is_empty());

    let pg = inspect(&harden("services:\n  svc:\n    image: postgres:17\n"));
    assert!(pg.read_only);
    assert!(
        pg.tmpfs.contains(&"/var/run/postgresql".to_owned())
            && pg.tmpfs.contains(&"/tmp".to_owned())
    );
    let nginx = inspect(&harden("services:\n  svc:\n    image: nginx:1.27\n"));
    assert!(
        nginx.tmpfs.contains(&"/var/cache/nginx".to_owned())
            && nginx.tmpfs.contains(&"/var/run".to_owned())
    );
    let es = inspect(&harden(
        "services:\n  svc:\n    image: elasticsearch:9.2.0\n",
    ));
    assert!(!es.read_only, "elasticsearch fails on a read-only root");
    let node = inspect(&harden("services:\n  svc:\n    image: node:22\n"));
    assert_eq!(node.user.as_deref(), Some("node"));
    // An existing /tmp tmpfs or volume is never doubled.
    let tmp = inspect(&harden(
        "services:\n  svc:\n    image: postgres:17\n    tmpfs:\n      - /tmp:noexec,nosuid,size=128m\n",
    ));
    assert_eq!(tmp.tmpfs.iter().filter(|t| *t == "/tmp").count(), 1);
    let vol = inspect(&harden(
        "services:\n  svc:\n    image: nginx:1.27\n    volumes:\n      - cache:/var/cache/nginx/\nvolumes:\n  cache:\n",
    ));
    assert!(!vol.tmpfs.contains(&"/var/cache/nginx".to_owned()));
}

#[test]
fn user_root_is_flagged_and_replaced_by_the_images_user() {
    let svc = harden("services:\n  svc:\n    image: postgres:17\n    user: root\n");
    assert_eq!(svc["user"].as_str(), Some("999:999"));
    let svc = harden("services:\n  svc:\n    image: postgres:17-alpine\n    user: \"0:0\"\n");
    assert_eq!(svc["user"].as_str(), Some("70:70"));
    let found = composeguard::check(
        "services:\n  svc:\n    image: example/app:1\n    user: root\n",
        &Options::default(),
    )
    .unwrap();
    assert!(
        found
            .iter()
            .any(|d| d.code() == "CG103" && d.message.contains("runs as root"))
    );
}
