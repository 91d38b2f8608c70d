//! End-to-end tests of the `composeguard` binary: exit codes, output, in-place writes.

mod common;
use common::*;

use std::fs;

const HARDENED: &str = "services:\n  app:\n    image: example/app:1\n    cap_drop: [ALL]\n    security_opt: [no-new-privileges:true]\n    logging: {driver: local}\n";
/// The three core rules; tests that assert exact output select them so new rules do not
/// change what they see.
const CORE: &str = "--select=CG101,CG102,CG501";
const PLAIN: &str = "services:\n  app:\n    image: redis:7.4 # keep me\n";

#[test]
fn check_exit_codes_and_line_format() {
    let dir = temp_with("compose.yaml", PLAIN);
    let out = run(dir.path(), &["check", CORE, "compose.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&out), @r"
    compose.yaml:2:3: CG101 service `app` keeps Docker's default capabilities; redis needs CHOWN, DAC_OVERRIDE, FOWNER, SETGID, SETUID back
    compose.yaml:2:3: CG102 service `app` can gain privileges through setuid binaries
    compose.yaml:2:3: CG501 service `app` never rotates its logs
    ");
    assert!(stderr(&out).contains(
        "Found 3 findings. 2 fixable with `composeguard fix`. 1 more with `--unsafe-fixes`"
    ));

    fs::write(dir.path().join("compose.yaml"), HARDENED).unwrap();
    let out = run(dir.path(), &["check", CORE, "compose.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("All checks passed."));
}

#[test]
fn check_without_paths_uses_the_default_compose_files() {
    let dir = temp_with("docker-compose.yml", PLAIN);
    let out = run(dir.path(), &["check", CORE]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("docker-compose.yml:2:3: CG101"),
        "{}",
        stdout(&out)
    );

    let empty = tempfile::tempdir().unwrap();
    let out = run(empty.path(), &["check", CORE]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no compose file in ."),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exit_zero_select_ignore_and_quiet() {
    let dir = temp_with("compose.yaml", PLAIN);
    let out = run(dir.path(), &["check", CORE, "--exit-zero", "compose.yaml"]);
    assert_eq!(out.status.code(), Some(0));
    let out = run(dir.path(), &["check", "--select", "CG501", "compose.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).lines().count(), 1);
    let out = run(
        dir.path(),
        &["check", "--ignore", "CG1,CG2,CG3,CG7", "compose.yaml"],
    );
    assert!(
        stdout(&out).lines().all(|l| l.contains("CG501")),
        "{}",
        stdout(&out)
    );
    let out = run(dir.path(), &["check", CORE, "--quiet", "compose.yaml"]);
    assert_eq!(
        (
            out.status.code(),
            stdout(&out).as_str(),
            stderr(&out).as_str()
        ),
        (Some(1), "", "")
    );
    let out = run(dir.path(), &["check", "--select", "CG999", "compose.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown rule `CG999`"));
}

#[test]
fn broken_file_reports_position_and_exit_2() {
    let broken = "services:\n  web:\n    image: nginx\n   ports: [\n";
    let dir = temp_with("compose.yaml", broken);
    for args in [
        &["check", CORE, "compose.yaml"][..],
        &["fix", CORE, "compose.yaml"],
        &["fix", CORE, "--unsafe-fixes", "compose.yaml"],
    ] {
        let out = run(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.starts_with("compose.yaml:4:"), "{err}");
        assert!(err.contains("error: invalid YAML"), "{err}");
        assert_eq!(
            fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
            broken
        );
    }
}

#[test]
fn fix_applies_safe_fixes_in_place_and_keeps_the_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_with("compose.yaml", PLAIN);
    let path = dir.path().join("compose.yaml");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let out = run(dir.path(), &["fix", CORE, "compose.yaml"]);
    // CG101's fix is unsafe, so one finding remains.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(PLAIN), "{text}");
    assert!(text.contains("no-new-privileges:true") && text.contains("max-size: 10m"));
    assert!(!text.contains("cap_drop"));
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let err = stderr(&out);
    assert!(err.contains("compose.yaml:2:3: CG101"), "{err}");
    assert!(
        err.contains(
            "Fixed 2 findings in 1 file. 1 finding remaining (1 fixable with `--unsafe-fixes`)."
        ),
        "{err}"
    );
    // No temporary file is left behind.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

    let out = run(dir.path(), &["fix", CORE, "--unsafe-fixes", "compose.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        fs::read_to_string(&path)
            .unwrap()
            .contains("cap_drop:\n      - ALL")
    );
    let out = run(dir.path(), &["fix", CORE, "--unsafe-fixes", "compose.yaml"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("Nothing to fix."));
}

#[test]
fn diff_and_stdout_write_nothing() {
    let dir = temp_with("compose.yaml", PLAIN);
    let path = dir.path().join("compose.yaml");
    let out = run(
        dir.path(),
        &["fix", CORE, "--unsafe-fixes", "--diff", "compose.yaml"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "a diff means the file is not hardened yet"
    );
    let diff = stdout(&out);
    assert!(
        diff.starts_with("--- a/compose.yaml\n+++ b/compose.yaml\n@@ -1,3 +1,18 @@\n"),
        "{diff}"
    );
    assert!(diff.contains("+    cap_drop:\n+      - ALL\n"));
    assert_eq!(fs::read_to_string(&path).unwrap(), PLAIN);

    let out = run(
        dir.path(),
        &["fix", CORE, "--unsafe-fixes", "--stdout", "compose.yaml"],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).starts_with(PLAIN) && stdout(&out).contains("cap_drop"));
    assert_eq!(fs::read_to_string(&path).unwrap(), PLAIN);

    let out = run(
        dir.path(),
        &["fix", CORE, "--diff", "--stdout", "compose.yaml"],
    );
    assert_eq!(out.status.code(), Some(2), "--diff and --stdout conflict");
}

#[test]
fn stdin_is_read_with_a_dash() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_stdin(dir.path(), &["check", CORE, "-"], PLAIN);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("-:2:3: CG101"), "{}", stdout(&out));
    let out = run_stdin(dir.path(), &["fix", CORE, "--unsafe-fixes", "-"], PLAIN);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with(PLAIN) && stdout(&out).contains("no-new-privileges:true"));
    let out = run_stdin(dir.path(), &["check", CORE, "-"], "services: [\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("-:"), "{}", stderr(&out));
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn nothing_is_written_when_any_file_fails() {
    let dir = temp_with("a.yaml", PLAIN);
    fs::write(
        dir.path().join("b.yaml"),
        "services:\n  x: {image: a, image: b}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["fix", CORE, "a.yaml", "b.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("b.yaml:2:") && err.contains("duplicate key `image`"),
        "{err}"
    );
    assert!(
        err.contains("No file was written, because b.yaml could not be processed."),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("a.yaml")).unwrap(),
        PLAIN
    );
}

#[test]
fn symlinks_are_written_through() {
    let dir = temp_with("real.yaml", PLAIN);
    std::os::unix::fs::symlink("real.yaml", dir.path().join("compose.yaml")).unwrap();
    let out = run(dir.path(), &["fix", CORE, "compose.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        fs::symlink_metadata(dir.path().join("compose.yaml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::read_to_string(dir.path().join("real.yaml"))
            .unwrap()
            .contains("no-new-privileges")
    );
}

#[test]
fn non_utf8_input_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("compose.yaml"),
        b"services:\n  web:\n    image: caf\xe9\n",
    )
    .unwrap();
    let out = run(dir.path(), &["check", CORE, "compose.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("compose.yaml:3:15: error: the file is not valid UTF-8"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn no_colour_when_piped() {
    let dir = temp_with("compose.yaml", PLAIN);
    let out = run(dir.path(), &["check", CORE, "compose.yaml"]);
    assert!(!stdout(&out).contains('\u{1b}') && !stderr(&out).contains('\u{1b}'));
}

#[test]
fn rule_docs_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["rule", "cap-drop-all"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("# cap-drop-all (CG101)"), "{text}");
    assert!(text.contains("## Fix safety") && text.contains("CIS Docker Benchmark v1.6.0: 5.4"));
    let out = run(dir.path(), &["rules"]);
    let text = stdout(&out);
    for code in ["CG101", "CG102", "CG501"] {
        assert!(text.contains(code), "{text}");
    }
    let out = run(dir.path(), &["rule", "CG000"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn presets_and_targets() {
    let db = "services:\n  db:\n    image: postgres:17\n    ports:\n      - \"5432:5432\"\n";
    let dir = temp_with("compose.yaml", db);
    let count = |args: &[&str]| stdout(&run(dir.path(), args)).lines().count();
    let baseline = count(&["check", "--preset", "baseline", "compose.yaml"]);
    let recommended = count(&["check", "compose.yaml"]);
    let strict = count(&["check", "--preset", "strict", "compose.yaml"]);
    assert!(
        baseline < recommended && recommended < strict,
        "{baseline} {recommended} {strict}"
    );
    // Compose binds the database port to loopback; Swarm would ignore the host IP, so no fix.
    let out = run(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            "--stdout",
            "--select",
            "CG401",
            "compose.yaml",
        ],
    );
    assert!(
        stdout(&out).contains("127.0.0.1:5432:5432"),
        "{}",
        stdout(&out)
    );
    let out = run(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            "--stdout",
            "--select",
            "CG401",
            "--target",
            "swarm",
            "compose.yaml",
        ],
    );
    assert_eq!(stdout(&out), db);
    assert!(stderr(&out).contains("CG401"), "{}", stderr(&out));
    let out = run(
        dir.path(),
        &["check", "--preset", "paranoid", "compose.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
}

const SECRET: &str = "services:\n  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: s3cr3t-pw\n";

#[test]
fn secrets_are_written_0600_in_a_0700_folder_and_masked() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_with("compose.yaml", SECRET);
    fs::write(dir.path().join(".gitignore"), "target/\n").unwrap();
    // --diff masks the value and writes nothing, but says what it would create.
    let out = run(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            "--select",
            "CG601",
            "--diff",
            "compose.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!stdout(&out).contains("s3cr3t-pw"), "{}", stdout(&out));
    assert!(stdout(&out).contains("-      POSTGRES_PASSWORD: ****"));
    assert!(
        stderr(&out)
            .contains("Would write ./secrets/postgres_password.txt (mode 0600); nothing written."),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("secrets").exists());
    let out = run(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            "--select",
            "CG601",
            "--diff",
            "--show-secrets",
            "compose.yaml",
        ],
    );
    assert!(stdout(&out).contains("s3cr3t-pw"));
    // --stdout writes no secret file either.
    let out = run(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            "--select",
            "CG601",
            "--stdout",
            "compose.yaml",
        ],
    );
    assert!(stdout(&out).contains("POSTGRES_PASSWORD_FILE: /run/secrets/postgres_password"));
    assert!(!dir.path().join("secrets").exists());
    // In place: the secret file holds the value byte for byte, mode 0600, folder 0700.
    let out = run(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            "--select",
            "CG601",
            "--gitignore-secrets",
            "compose.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let secret = dir.path().join("secrets/postgres_password.txt");
    assert_eq!(fs::read(&secret).unwrap(), b"s3cr3t-pw");
    assert_eq!(
        fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(dir.path().join("secrets"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    assert_eq!(
        fs::read_to_string(dir.path().join(".gitignore")).unwrap(),
        "target/\nsecrets/\n"
    );
    assert!(
        stderr(&out).contains("Keep ./secrets out of version control"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_existing_secret_file_with_other_content_stops_everything() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_with("compose.yaml", SECRET);
    fs::create_dir(dir.path().join("secrets")).unwrap();
    // Private, as composeguard creates it (a folder others may enter is refused first).
    fs::set_permissions(
        dir.path().join("secrets"),
        fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    fs::write(
        dir.path().join("secrets/postgres_password.txt"),
        "something else",
    )
    .unwrap();
    let out = run(dir.path(), &["fix", "--unsafe-fixes", "compose.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("already exists with other content") && err.contains("no file was written"),
        "{err}"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        SECRET
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("secrets/postgres_password.txt")).unwrap(),
        "something else"
    );
    // The same content is fine (a rerun after a partial run).
    fs::write(
        dir.path().join("secrets/postgres_password.txt"),
        "s3cr3t-pw",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["fix", "--unsafe-fixes", "--select", "CG601", "compose.yaml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn literals_an_image_cannot_read_from_a_file_move_to_an_env_file_on_request() {
    let app = "services:\n  app:\n    image: example/app:1\n    environment:\n      API_TOKEN: tok-123456\n";
    let dir = temp_with("compose.yaml", app);
    let out = run(
        dir.path(),
        &["fix", "--unsafe-fixes", "--select", "CG601", "compose.yaml"],
    );
    assert_eq!(out.status.code(), Some(1), "no fix without an env file");
    assert_eq!(
        fs::read_to_string(dir.path().join("compose.yaml")).unwrap(),
        app
    );
    fs::write(dir.path().join(".env"), "OTHER=1").unwrap();
    let out = run(
        dir.path(),
        &[
            "fix",
            "--unsafe-fixes",
            "--select",
            "CG601",
            "--secrets-env-file",
            ".env",
            "compose.yaml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        fs::read_to_string(dir.path().join("compose.yaml"))
            .unwrap()
            .contains("API_TOKEN: \"${API_TOKEN}\"")
    );
    assert_eq!(
        fs::read_to_string(dir.path().join(".env")).unwrap(),
        "OTHER=1\nAPI_TOKEN=tok-123456\n"
    );
}

#[test]
fn images_lists_the_known_images_and_shows_one_with_its_sources() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["images"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.starts_with("name "), "{table}");
    let postgres = table.lines().find(|l| l.starts_with("postgres ")).unwrap();
    for column in [
        "root-then-step-down",
        "999:999",
        "yes",
        "CHOWN,DAC_READ_SEARCH",
    ] {
        assert!(postgres.contains(column), "{postgres}");
    }

    let out = run(dir.path(), &["images", "postgres"]);
    assert_eq!(out.status.code(), Some(0));
    let shown = stdout(&out);
    assert!(shown.starts_with("# postgres\n"), "{shown}");
    assert!(shown.contains("user on -alpine tags: 70:70"), "{shown}");
    assert!(
        shown.contains(
            "- https://github.com/docker-library/postgres/issues/649 (issue): caps_as_root"
        ),
        "{shown}"
    );
    // A reference finds its entry too.
    let out = run(
        dir.path(),
        &["images", "docker.io/library/postgres:17-alpine"],
    );
    assert!(stdout(&out).starts_with("# postgres\n"));

    let out = run(dir.path(), &["images", "--output-format", "json"]);
    let all: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"postgres") && names.contains(&"gitea-rootless"));
    let out = run(
        dir.path(),
        &["images", "elasticsearch", "--output-format=json"],
    );
    let es: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(es["read_only"], false);
    assert_eq!(
        es["caps_as_root"],
        serde_json::Value::Null,
        "absent is unknown"
    );
    assert_eq!(es["start"], "non-root");
    assert!(es["sources"][0]["ref"].as_str().is_some());

    let out = run(dir.path(), &["images", "example/app"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no known image `example/app`"));
}
