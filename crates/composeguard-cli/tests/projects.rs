//! Projects on the command line: the default file with its override, `-f`, `COMPOSE_FILE`,
//! `--project-directory`, included and extended files, and what a missing one says.

mod common;
use common::*;

use std::fs;

const BASE: &str = "services:\n  db:\n    image: postgres:16\n";
const OVERRIDE: &str = "services:\n  db:\n    ports:\n      - \"5432:5432\"\n";
const SELECT: &str = "--select=CG101,CG102,CG401";

fn project() -> tempfile::TempDir {
    let dir = temp_with("compose.yaml", BASE);
    fs::write(dir.path().join("compose.override.yaml"), OVERRIDE).unwrap();
    dir
}

#[test]
fn the_default_file_and_its_override_are_one_project() {
    let dir = project();
    let out = run(dir.path(), &["check", SELECT]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    // The override's port is found in the override, and the image it runs is the base's.
    let text = stdout(&out);
    assert!(text.contains("compose.override.yaml:4:9: CG401"), "{text}");
    assert!(text.contains("compose.yaml:2:3: CG101 service `db` keeps Docker's default capabilities; postgres needs"), "{text}");

    let out = run(dir.path(), &["fix", "--unsafe-fixes", SELECT]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let base = fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    let over = fs::read_to_string(dir.path().join("compose.override.yaml")).unwrap();
    // Each control once, in the file that defines the image; the port where it is written.
    assert_eq!(base.matches("no-new-privileges:true").count(), 1, "{base}");
    assert!(!over.contains("no-new-privileges"), "{over}");
    assert!(base.contains("- CHOWN"), "{base}");
    assert!(over.contains("127.0.0.1:5432:5432"), "{over}");
    // A second run finds nothing to fix.
    let out = run(dir.path(), &["fix", "--unsafe-fixes", SELECT]);
    assert!(stderr(&out).contains("Nothing to fix."), "{}", stderr(&out));
}

#[test]
fn a_folder_scan_groups_the_override_with_its_file() {
    let dir = project();
    let out = run(
        dir.path(),
        &["fix", "--unsafe-fixes", "--diff", SELECT, "."],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let diff = stdout(&out);
    assert_eq!(
        diff.matches("+      - no-new-privileges:true").count(),
        1,
        "{diff}"
    );
    assert!(diff.contains("+++ b/compose.override.yaml"), "{diff}");
}

#[test]
fn files_flags_and_compose_file_name_the_project() {
    let dir = temp_with("base.yml", BASE);
    fs::write(dir.path().join("ports.yml"), OVERRIDE).unwrap();
    let out = run(
        dir.path(),
        &["check", SELECT, "-f", "base.yml", "-f", "ports.yml"],
    );
    assert!(
        stdout(&out).contains("ports.yml:4:9: CG401"),
        "{}",
        stdout(&out)
    );
    assert!(
        !stdout(&out).contains("base.yml:2:3: CG101 service `db` drops"),
        "{}",
        stdout(&out)
    );

    let out = bin()
        .current_dir(dir.path())
        .env("COMPOSE_FILE", "base.yml;ports.yml")
        .env("COMPOSE_PATH_SEPARATOR", ";")
        .args(["fix", "--unsafe-fixes", "--stdout", SELECT])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // One stream, a document per file, each named.
    let text = stdout(&out);
    assert!(text.starts_with("# base.yml\n"), "{text}");
    assert!(text.contains("\n---\n# ports.yml\n"), "{text}");
    assert_eq!(text.matches("no-new-privileges:true").count(), 1, "{text}");
}

#[test]
fn project_directory_says_where_the_files_are() {
    let dir = project();
    let parent = dir.path().parent().unwrap();
    let name = dir.path().file_name().unwrap().to_str().unwrap();
    let out = run(parent, &["check", SELECT, "--project-directory", name]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("compose.override.yaml:4:9: CG401"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn included_and_extended_files_are_part_of_the_project() {
    let dir = temp_with(
        "compose.yaml",
        "include:\n  - cache/compose.yaml\nservices:\n  db:\n    extends:\n      file: common.yaml\n      service: pg\n",
    );
    fs::create_dir(dir.path().join("cache")).unwrap();
    fs::write(
        dir.path().join("cache/compose.yaml"),
        "services:\n  cache:\n    image: redis:7\n",
    )
    .unwrap();
    let common = "services:\n  pg:\n    image: postgres:16\n";
    fs::write(dir.path().join("common.yaml"), common).unwrap();
    let out = run(dir.path(), &["fix", "--unsafe-fixes", SELECT]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The included file is hardened; the extended one is read, never changed; the service
    // that extends it knows its image.
    let cache = fs::read_to_string(dir.path().join("cache/compose.yaml")).unwrap();
    assert!(cache.contains("no-new-privileges:true"), "{cache}");
    assert_eq!(
        fs::read_to_string(dir.path().join("common.yaml")).unwrap(),
        common
    );
    let base = fs::read_to_string(dir.path().join("compose.yaml")).unwrap();
    assert!(base.contains("- DAC_READ_SEARCH"), "{base}");
    // A folder scan does not fix the included file again on its own.
    let out = run(dir.path(), &["check", SELECT, "."]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn a_missing_included_file_is_an_error_where_it_is_named() {
    let dir = temp_with(
        "compose.yaml",
        "include:\n  - nope.yaml\nservices:\n  a:\n    image: redis:7\n",
    );
    let out = run(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("compose.yaml:2:5: error: the included file nope.yaml does not exist"),
        "{err}"
    );
    let out = run(dir.path(), &["fix", "--unsafe-fixes"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        "include:\n  - nope.yaml\nservices:\n  a:\n    image: redis:7\n"
    );
}

#[test]
fn an_included_service_the_project_defines_too_is_refused() {
    let dir = temp_with(
        "compose.yaml",
        "include:\n  - other.yaml\nservices:\n  a:\n    image: redis:7\n",
    );
    fs::write(
        dir.path().join("other.yaml"),
        "services:\n  a:\n    image: nginx:1.27\n",
    )
    .unwrap();
    let out = run(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("service `a` is defined here and in"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn into_writes_an_override_and_leaves_the_project_files_alone() {
    let dir = project();
    // Nothing exists yet: the diff creates the file, and nothing is written.
    let out = run(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            "--into",
            "compose.hardened.yaml",
            "--diff",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let diff = stdout(&out);
    assert!(
        diff.starts_with("--- /dev/null\n+++ b/compose.hardened.yaml\n"),
        "{diff}"
    );
    assert!(!dir.path().join("compose.hardened.yaml").exists());

    let out = run(
        dir.path(),
        &["fix", "--unsafe-fixes", "--into", "compose.hardened.yaml"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        BASE
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.override.yaml")).unwrap(),
        OVERRIDE
    );
    let hardened = fs::read_to_string(dir.path().join("compose.hardened.yaml")).unwrap();
    assert!(hardened.contains("no-new-privileges:true"), "{hardened}");
    assert!(
        hardened.contains("ports: !override [\"127.0.0.1:5432:5432\"]"),
        "{hardened}"
    );

    // Checking the project with the override loaded last: what fix could fix is fixed.
    let out = bin()
        .current_dir(dir.path())
        .env(
            "COMPOSE_FILE",
            "compose.yaml:compose.override.yaml:compose.hardened.yaml",
        )
        .args(["check", SELECT])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    // A second run updates the override in place: nothing left to change.
    let out = run(
        dir.path(),
        &["fix", "--unsafe-fixes", "--into", "compose.hardened.yaml"],
    );
    assert!(stderr(&out).contains("Nothing to fix."), "{}", stderr(&out));
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.hardened.yaml")).unwrap(),
        hardened
    );
}

#[test]
fn an_extends_cycle_across_files_is_refused_where_it_starts() {
    let dir = temp_with(
        "compose.yaml",
        "services:\n  a:\n    image: redis:7\n    extends:\n      file: other.yaml\n      service: b\n",
    );
    fs::write(
        dir.path().join("other.yaml"),
        "services:\n  b:\n    extends:\n      file: compose.yaml\n      service: a\n",
    )
    .unwrap();
    let out = run(dir.path(), &["fix", "--unsafe-fixes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("compose.yaml:2:3: error: service `a` extends itself"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn profiles_choose_the_services_checked() {
    let dir = temp_with(
        "compose.yaml",
        "services:\n  app:\n    image: redis:7\n  debug:\n    image: redis:7\n    profiles: [debug]\n",
    );
    let count = |out: &std::process::Output, service: &str| {
        stdout(out).matches(&format!("service `{service}`")).count()
    };
    let out = run(dir.path(), &["check", SELECT]);
    assert!(
        count(&out, "app") > 0 && count(&out, "debug") > 0,
        "{}",
        stdout(&out)
    );
    let out = run(dir.path(), &["check", SELECT, "--profile", "other"]);
    assert!(
        count(&out, "app") > 0 && count(&out, "debug") == 0,
        "{}",
        stdout(&out)
    );
    let out = bin()
        .current_dir(dir.path())
        .env("COMPOSE_PROFILES", "debug")
        .args(["check", SELECT])
        .output()
        .unwrap();
    assert!(count(&out, "debug") > 0, "{}", stdout(&out));
}

#[test]
fn a_service_only_an_override_defines_is_an_error() {
    let dir = project();
    fs::write(
        dir.path().join("compose.override.yaml"),
        "services:\n  db:\n    ports: [\"5432:5432\"]\n  stray:\n    ports: [\"80:80\"]\n",
    )
    .unwrap();
    let out = run(dir.path(), &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "compose.override.yaml:4:3: error: service `stray` has no `image` or `build`"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn into_is_refused_for_swarm() {
    let dir = project();
    let out = run(
        dir.path(),
        &["fix", "--target", "swarm", "--into", "h.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("docker stack deploy"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("h.yaml").exists());
}

#[test]
fn a_finding_in_an_extended_file_is_reported_there_and_that_file_never_changes() {
    let base = "services:\n  pg:\n    image: redis:7\n    ports: [\"6379:6379\"]\n";
    let dir = temp_with("base.yaml", base);
    fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  db:\n    extends: {file: base.yaml, service: pg}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["check", SELECT]);
    assert!(
        stdout(&out).contains("base.yaml:4:13: CG401"),
        "{}",
        stdout(&out)
    );
    let out = run(dir.path(), &["fix", "--unsafe-fixes", SELECT]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("base.yaml:4:13: CG401"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("base.yaml")).unwrap(),
        base
    );
}

#[test]
fn a_reset_list_gets_no_items_and_is_reported() {
    let dir = temp_with(
        "compose.yaml",
        "services:\n  db:\n    image: postgres:16\n    cap_add: [NET_ADMIN]\n",
    );
    let over = "services:\n  db:\n    cap_add: !reset []\n";
    fs::write(dir.path().join("compose.override.yaml"), over).unwrap();
    let out = run(dir.path(), &["fix", "--unsafe-fixes", "--select=CG101"]);
    assert!(
        stderr(&out).contains("resets `cap_add` with `!reset`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.override.yaml")).unwrap(),
        over
    );
}

#[test]
fn a_scan_fixes_an_extends_chain_once() {
    let dir = temp_with(
        "compose.root.yaml",
        "services:\n  root:\n    image: redis:7\n",
    );
    fs::write(
        dir.path().join("compose.base.yaml"),
        "services:\n  pg:\n    extends: {file: compose.root.yaml, service: root}\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  db:\n    extends: {file: compose.base.yaml, service: pg}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["fix", "--select=CG102", "."]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let all: String = ["compose.yaml", "compose.base.yaml", "compose.root.yaml"]
        .iter()
        .map(|f| fs::read_to_string(dir.path().join(f)).unwrap())
        .collect();
    assert_eq!(all.matches("no-new-privileges:true").count(), 1, "{all}");
}

#[test]
fn into_an_override_that_sets_the_key_replaces_its_value() {
    let dir = temp_with(
        "compose.yaml",
        "services:\n  db:\n    image: postgres:16\n    ports: [\"5432:5432\"]\n",
    );
    fs::write(
        dir.path().join("compose.override.yaml"),
        "services:\n  db:\n    ports: [\"6379:6379\"]\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "fix",
            "--select=CG401",
            "--unsafe-fixes",
            "--into",
            "compose.override.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let over = fs::read_to_string(dir.path().join("compose.override.yaml")).unwrap();
    assert_eq!(
        over,
        "services:\n  db:\n    ports: !override [\"127.0.0.1:5432:5432\", \"127.0.0.1:6379:6379\"]\n"
    );
    // Nothing to fix: no override file is created.
    let out = run(dir.path(), &["fix", "--select=CG401", "--into", "new.yaml"]);
    assert!(stderr(&out).contains("Nothing to fix."), "{}", stderr(&out));
    assert!(!dir.path().join("new.yaml").exists());
}

#[test]
fn a_secret_of_an_included_file_in_another_folder_is_written_beside_it() {
    let dir = temp_with(
        "compose.yaml",
        "include:\n  - db/compose.yaml\nservices:\n  web:\n    image: nginx:1.27\n",
    );
    fs::create_dir(dir.path().join("db")).unwrap();
    fs::write(
        dir.path().join("db/compose.yaml"),
        "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: literal-pw-1\n",
    )
    .unwrap();
    let out = run(dir.path(), &["fix", "--unsafe-fixes", "--select=CG601"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Compose reads `./secrets/...` of db/compose.yaml from db/.
    assert_eq!(
        fs::read_to_string(dir.path().join("db/secrets/postgres_password.txt")).unwrap(),
        "literal-pw-1"
    );
    assert!(!dir.path().join("secrets").exists());
}

#[test]
fn an_override_of_comments_only_adds_nothing_and_can_take_the_hardening() {
    let dir = temp_with("compose.yaml", BASE);
    let comments = "# local settings go here\n";
    fs::write(dir.path().join("compose.override.yaml"), comments).unwrap();
    let out = run(dir.path(), &["check", SELECT]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("compose.yaml:2:3: CG101"),
        "{}",
        stdout(&out)
    );
    let out = run(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            SELECT,
            "--into",
            "compose.override.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let over = fs::read_to_string(dir.path().join("compose.override.yaml")).unwrap();
    assert!(over.starts_with(comments), "{over}");
    assert!(over.contains("no-new-privileges:true"), "{over}");
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        BASE
    );
    let out = run(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            SELECT,
            "--into",
            "compose.override.yaml",
        ],
    );
    assert!(stderr(&out).contains("Nothing to fix."), "{}", stderr(&out));
}
