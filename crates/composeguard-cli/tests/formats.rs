//! Output formats, configuration, suppressions and folder search, end to end.

mod common;
use common::*;

use std::fs;
use std::path::Path;

const STACK: &str = "services:\n  db:\n    image: postgres:17\n    ports:\n      - \"5432:5432\"\n    environment:\n      POSTGRES_PASSWORD: s3cr3t\n";

fn stack() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("compose.yaml"), STACK).unwrap();
    dir
}

const SELECT: &str = "--select=CG102,CG401,CG601";

#[test]
fn concise_and_full() {
    let dir = stack();
    let out = run(dir.path(), &["check", SELECT, "compose.yaml"]);
    insta::assert_snapshot!("concise", stdout(&out));
    let out = run(
        dir.path(),
        &["check", SELECT, "--output-format", "full", "compose.yaml"],
    );
    assert!(
        !stdout(&out).contains("s3cr3t"),
        "the source line must not show the secret"
    );
    insta::assert_snapshot!("full", stdout(&out));
}

#[test]
fn github_annotations() {
    let dir = stack();
    let out = run(
        dir.path(),
        &["check", SELECT, "--output-format", "github", "compose.yaml"],
    );
    insta::assert_snapshot!("github", stdout(&out));
}

#[test]
fn json_has_fixes_with_edits_and_never_secret_values() {
    let dir = stack();
    let out = run(
        dir.path(),
        &["check", SELECT, "--output-format", "json", "compose.yaml"],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(!text.contains("s3cr3t\""), "a secret value leaked: {text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    insta::assert_snapshot!("json", serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn sarif_validates_against_the_schema() {
    let dir = stack();
    let out = run(
        dir.path(),
        &[
            "check",
            "--preset",
            "strict",
            "--output-format",
            "sarif",
            "compose.yaml",
        ],
    );
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let schema_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/schema/sarif-schema-2.1.0.json");
    let schema: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 5);
    assert!(results.iter().any(|r| {
        r["fixes"][0]["artifactChanges"][0]["replacements"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    }));
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let cg101 = rules.iter().find(|r| r["id"] == "CG101").unwrap();
    assert!(
        cg101["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "CIS-Docker-1.6.0-5.4")
    );
    assert!(
        cg101["help"]["text"]
            .as_str()
            .unwrap()
            .contains("## Fix safety")
    );
}

#[test]
fn configuration_is_found_applied_and_checked() {
    let dir = stack();
    let sub = dir.path().join("deploy");
    fs::create_dir(&sub).unwrap();
    fs::rename(dir.path().join("compose.yaml"), sub.join("compose.yaml")).unwrap();
    fs::write(
        dir.path().join("composeguard.toml"),
        "preset = \"strict\"\nignore = [\"CG7\"]\n[options]\ntmpfs-size = \"16m\"\n[services.db]\nignore = [\"CG401\"]\n",
    )
    .unwrap();
    // Found by walking up from the file.
    let out = run(dir.path(), &["check", "deploy/compose.yaml"]);
    let text = stdout(&out);
    assert!(
        !text.contains("CG401") && !text.contains("CG70") && !text.contains("CG402"),
        "{text}"
    );
    assert!(text.contains("CG304"), "strict preset applies: {text}");
    let out = run(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            "--stdout",
            "--select",
            "CG201",
            "deploy/compose.yaml",
        ],
    );
    assert!(stdout(&out).contains("size=16m"), "{}", stdout(&out));
    // `composeguard config` shows what is in force.
    let out = run(&sub, &["config"]);
    let text = stdout(&out);
    assert!(
        text.contains("# from ") && text.contains("composeguard.toml"),
        "{text}"
    );
    assert!(
        text.contains("preset = \"strict\"") && text.contains("tmpfs-size = \"16m\""),
        "{text}"
    );
    // Unknown keys are errors with the file, the line and a suggestion.
    fs::write(
        dir.path().join("composeguard.toml"),
        "preset = \"strict\"\n\n[options]\ntmpfs_sise = \"1m\"\n",
    )
    .unwrap();
    let out = run(dir.path(), &["check", "deploy/compose.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(
            "composeguard.toml:4:1: unknown key `tmpfs_sise` (did you mean `tmpfs-size`?)"
        ),
        "{err}"
    );
    fs::write(
        dir.path().join("composeguard.toml"),
        "select = [\"CG999\"]\n",
    )
    .unwrap();
    let out = run(dir.path(), &["check", "deploy/compose.yaml"]);
    assert!(
        stderr(&out).contains("unknown rule `CG999`"),
        "{}",
        stderr(&out)
    );
    // --config names another file; flags win over it.
    fs::write(dir.path().join("other.toml"), "preset = \"baseline\"\n").unwrap();
    let out = run(
        dir.path(),
        &[
            "check",
            "--config",
            "other.toml",
            "--select",
            "CG102",
            "deploy/compose.yaml",
        ],
    );
    assert_eq!(stdout(&out).lines().count(), 1, "{}", stdout(&out));
}

#[test]
fn suppressions_silence_and_stale_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("compose.yaml"),
        "# composeguard: ignore-file[CG7]\nservices:\n  db: # composeguard: ignore[CG2,CG3]\n    image: postgres:17\n    ports:\n      - \"5432:5432\" # composeguard: ignore[sensitive-ports]\n    privileged: false # composeguard: ignore[CG104]\n",
    )
    .unwrap();
    let out = run(dir.path(), &["check", "--preset", "strict", "compose.yaml"]);
    let text = stdout(&out);
    for silenced in [
        "CG201", "CG301", "CG302", "CG303", "CG304", "CG306", "CG401", "CG702",
    ] {
        assert!(
            !text.contains(silenced),
            "{silenced} should be silenced:\n{text}"
        );
    }
    assert!(
        text.contains(
            "compose.yaml:7:23: CG001 this suppression does not silence CG104; remove it"
        ),
        "{text}"
    );
    assert!(text.contains("CG101") && text.contains("CG102"), "{text}");
}

#[test]
fn folders_are_searched_recursively_honouring_gitignore() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for sub in ["app/prod", "vendor", ".cache", "docs"] {
        fs::create_dir_all(root.join(sub)).unwrap();
    }
    let one = "services:\n  web:\n    image: nginx:1.27\n";
    fs::write(root.join("app/compose.yaml"), one).unwrap();
    fs::write(root.join("app/prod/docker-compose.prod.yml"), one).unwrap();
    fs::write(root.join("vendor/compose.yaml"), one).unwrap();
    fs::write(root.join(".cache/compose.yaml"), one).unwrap();
    fs::write(root.join("docs/example.yaml"), one).unwrap();
    fs::write(root.join(".gitignore"), "vendor/\n").unwrap();
    let out = run(root, &["check", "--select", "CG102", "."]);
    let files: Vec<String> = stdout(&out)
        .lines()
        .map(|l| l.split(':').next().unwrap().to_owned())
        .collect();
    assert_eq!(
        files,
        ["app/compose.yaml", "app/prod/docker-compose.prod.yml"]
    );
    let empty = tempfile::tempdir().unwrap();
    let out = run(empty.path(), &["check", "."]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("recursively"), "{}", stderr(&out));
}

#[test]
fn version_and_completions() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--version"]);
    assert_eq!(
        stdout(&out),
        format!("composeguard {}\n", env!("CARGO_PKG_VERSION"))
    );
    for shell in ["bash", "zsh", "fish"] {
        let out = run(dir.path(), &["completions", shell]);
        assert!(
            out.status.success() && stdout(&out).contains("composeguard"),
            "{shell}"
        );
    }
}
