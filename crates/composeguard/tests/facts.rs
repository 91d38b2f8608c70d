//! Facts given with the options (`Options::image_facts`: the CLI's lock file, from the image's
//! own config and from `composeguard learn`) raise what the fixes may do for an image the
//! table does not know, and nothing is applied blind without them.

use composeguard::images::ImageFacts;
use composeguard::{Options, Preset};
use serde_yaml_ng::Value;

const FILE: &str = "services:\n  api:\n    image: ghcr.io/acme/api:1.4\n";

fn harden(facts: Vec<ImageFacts>) -> (Value, Vec<String>) {
    let options = Options {
        unsafe_fixes: true,
        preset: Preset::Strict,
        image_facts: facts,
        ..Options::default()
    };
    let outcome = composeguard::fix(FILE, &options).unwrap();
    let doc: Value = serde_yaml_ng::from_str(&outcome.output).unwrap();
    let messages = outcome
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code(), d.message))
        .collect();
    (doc["services"]["api"].clone(), messages)
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

fn learned() -> ImageFacts {
    ImageFacts {
        reference: "ghcr.io/acme/api:1.4".into(),
        user: None,
        volumes: vec!["/data".into()],
        caps: Some(vec!["CHOWN".into(), "SETUID".into(), "SETGID".into()]),
        writes: Some(vec!["/var/cache/api".into(), "/data".into()]),
        writes_in_place: Vec::new(),
        memory_peak: Some(100 * 1024 * 1024),
        pids_peak: Some(10),
    }
}

#[test]
fn without_facts_an_unknown_image_gets_nothing_that_can_stop_it() {
    let (svc, messages) = harden(Vec::new());
    let dropped = strings(&svc["cap_drop"]);
    assert!(!dropped.contains(&"ALL".to_owned()), "{dropped:?}");
    assert!(svc.get("read_only").is_none());
    assert!(svc.get("user").is_none());
    assert!(svc["deploy"]["resources"]["limits"].get("memory").is_none());
    assert!(svc["deploy"]["resources"]["limits"].get("pids").is_none());
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("CG201") && m.contains("docker diff"))
    );
}

#[test]
fn learned_facts_give_exact_capabilities_tmpfs_and_limits() {
    let (svc, messages) = harden(vec![learned()]);
    assert_eq!(strings(&svc["cap_drop"]), ["ALL"]);
    assert_eq!(strings(&svc["cap_add"]), ["CHOWN", "SETGID", "SETUID"]);
    assert_eq!(svc["read_only"], Value::Bool(true));
    // `/data` is a volume of the image: it stays writable, no tmpfs over it.
    let tmpfs = strings(&svc["tmpfs"]);
    assert_eq!(tmpfs.len(), 1, "{tmpfs:?}");
    assert!(tmpfs[0].starts_with("/var/cache/api:noexec,nosuid,size="));
    let limits = &svc["deploy"]["resources"]["limits"];
    // Twice 100 MiB, rounded up to 16 MiB; twice 10 processes is below the floor of 64.
    assert_eq!(limits["memory"].as_str(), Some("208m"));
    assert_eq!(limits["pids"].as_u64(), Some(64));
    for (code, says) in [
        (
            "CG101",
            "`composeguard learn` saw it need CHOWN, SETGID, SETUID",
        ),
        (
            "CG201",
            "saw it write only /var/cache/api outside its volumes",
        ),
        ("CG301", "twice the peak"),
        ("CG303", "twice the peak"),
    ] {
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with(code) && m.contains(says)),
            "{code}: {messages:#?}"
        );
    }
}

#[test]
fn an_image_config_with_a_non_root_user_is_not_reported_as_root() {
    let config_only = ImageFacts {
        reference: "ghcr.io/acme/api:1.4".into(),
        user: Some("1000:1000".into()),
        ..ImageFacts::default()
    };
    let (svc, messages) = harden(vec![config_only]);
    assert!(
        !messages.iter().any(|m| m.starts_with("CG103")),
        "{messages:#?}"
    );
    // A non-root process needs none of the step-down capabilities: ALL goes (unsafe fix).
    assert_eq!(strings(&svc["cap_drop"]), ["ALL"]);
    assert!(svc.get("cap_add").is_none());
    // What it writes is still unknown: no read-only root.
    assert!(svc.get("read_only").is_none());
    let root = ImageFacts {
        reference: "ghcr.io/acme/api:1.4".into(),
        ..ImageFacts::default()
    };
    let (svc, messages) = harden(vec![root]);
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("CG103") && m.contains("its image's config sets no non-root")),
        "{messages:#?}"
    );
    assert!(!strings(&svc["cap_drop"]).contains(&"ALL".to_owned()));
}

#[test]
fn a_file_changed_in_place_keeps_the_root_writable() {
    let facts = ImageFacts {
        writes_in_place: vec!["/etc/api.conf".into()],
        ..learned()
    };
    let (svc, messages) = harden(vec![facts]);
    assert!(svc.get("read_only").is_none());
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("CG201") && m.contains("change `/etc/api.conf` in place")),
        "{messages:#?}"
    );
}

#[test]
fn facts_match_the_reference_as_docker_reads_it() {
    let facts = |r: &str| ImageFacts {
        reference: r.into(),
        ..ImageFacts::default()
    };
    assert!(facts("acme/api").matches("docker.io/acme/api:latest"));
    assert!(facts("docker.io/library/nginx:1").matches("nginx:1"));
    assert!(facts("ghcr.io/acme/api:1.4").matches("ghcr.io/acme/api:1.4"));
    assert!(!facts("ghcr.io/acme/api:1.4").matches("ghcr.io/acme/api:1.5"));
    assert!(!facts("ghcr.io/acme/api:1.4").matches("docker.io/acme/api:1.4"));
}

#[test]
fn learned_capabilities_add_to_a_known_image_and_never_take_one_away() {
    let file = "services:\n  db:\n    image: postgres:16\n";
    let facts = ImageFacts {
        reference: "postgres:16".into(),
        user: None,
        caps: Some(vec!["CHOWN".into(), "NET_BIND_SERVICE".into()]),
        ..ImageFacts::default()
    };
    let options = Options {
        unsafe_fixes: true,
        image_facts: vec![facts],
        ..Options::default()
    };
    let out = composeguard::fix(file, &options).unwrap().output;
    let doc: Value = serde_yaml_ng::from_str(&out).unwrap();
    assert_eq!(
        strings(&doc["services"]["db"]["cap_add"]),
        [
            "CHOWN",
            "DAC_READ_SEARCH",
            "FOWNER",
            "NET_BIND_SERVICE",
            "SETGID",
            "SETUID"
        ]
    );
}
