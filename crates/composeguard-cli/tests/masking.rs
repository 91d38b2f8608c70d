//! Secrets are masked by where they are, not by which rules ran, and only their own bytes.

mod common;
use common::*;

/// The password is also a word of the image name: only the value may be hidden.
const DB: &str = "services:\n  db:\n    environment:\n      API_TOKEN: tok-abcdef\n      DATABASE_URL: postgres://app:hunter22@db/app\n      POSTGRES_PASSWORD: postgres\n    image: postgres:16\n";

fn diff(args: &[&str], content: &str) -> String {
    let dir = temp_with("compose.yaml", content);
    let mut all = vec!["fix", "--unsafe-fixes", "--diff"];
    all.extend_from_slice(args);
    all.push("compose.yaml");
    let out = run(dir.path(), &all);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    stdout(&out)
}

fn assert_masked(diff: &str) {
    for secret in ["tok-abcdef", "hunter22", "POSTGRES_PASSWORD: postgres"] {
        assert!(!diff.contains(secret), "{secret} shows in\n{diff}");
    }
    assert!(diff.contains("POSTGRES_PASSWORD: ****"), "{diff}");
    assert!(diff.contains("postgres://app:****@db/app"), "{diff}");
}

#[test]
fn whatever_rules_run_the_values_are_masked() {
    // CG101 does not report secrets; the diff's context still shows the environment.
    let out = diff(&["--select", "CG101"], DB);
    assert_masked(&out);
    // Only the value: the image keeps its name.
    assert!(out.contains("    image: postgres:16\n"), "{out}");
    let out = diff(&["--ignore", "CG601,CG602"], DB);
    assert_masked(&out);
    let suppressed = DB.replace(
        "      API_TOKEN",
        "      # composeguard: ignore[CG601]\n      API_TOKEN",
    );
    let out = diff(&["--select", "CG101"], &suppressed);
    assert_masked(&out);
}

#[test]
fn inherited_and_list_values_are_masked_on_both_sides() {
    let content = "x-env: &env\n  SHARED_SECRET: sh-123456\nservices:\n  app:\n    image: example/app:1\n    environment:\n      <<: *env\n      LIST_FORM: x\n  other:\n    image: example/app:1\n    environment:\n      - JWT_SECRET=jwt-123456\n";
    let out = diff(&["--select", "CG101,CG102"], content);
    for secret in ["sh-123456", "jwt-123456"] {
        assert!(!out.contains(secret), "{secret} shows in\n{out}");
    }
    // A changed line that holds a secret: masked on the removed and the added side.
    let content =
        "services:\n  app: {image: example/app:1, environment: {API_TOKEN: tok-abcdef}}\n";
    let out = diff(&["--select", "CG102"], content);
    assert!(!out.contains("tok-abcdef"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with('-') && l.contains("API_TOKEN: ****"))
            && out
                .lines()
                .any(|l| l.starts_with('+') && l.contains("API_TOKEN: ****")),
        "{out}"
    );
}

#[test]
fn show_secrets_shows_them() {
    let out = diff(&["--select", "CG101", "--show-secrets"], DB);
    assert!(out.contains("POSTGRES_PASSWORD: postgres\n"), "{out}");
}

#[test]
fn a_caret_under_a_masked_value_has_the_mask_s_width() {
    let short =
        "services:\n  app:\n    image: example/app:1\n    environment:\n      - API_KEY=abc\n";
    let long = short.replace("abc", "abcdefghijklmnopqrstuvwxyz");
    let mut shown = Vec::new();
    for content in [short.to_owned(), long] {
        let dir = temp_with("compose.yaml", &content);
        let out = run(
            dir.path(),
            &[
                "check",
                "--select",
                "CG601",
                "--output-format",
                "full",
                "compose.yaml",
            ],
        );
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(!text.contains("abc"), "{text}");
        assert!(
            text.contains("5 |       - API_KEY=****\n  |         ^^^^^^^^^^^^\n"),
            "{text}"
        );
        shown.push(text);
    }
    assert_eq!(shown[0], shown[1]);
}

#[test]
fn full_output_of_a_bom_and_crlf_file_masks_and_does_not_panic() {
    let content = "\u{feff}services:\r\n  app:\r\n    image: example/app:1\r\n    environment:\r\n      - API_KEY=abcdefgh\r\n";
    let dir = temp_with("compose.yaml", content);
    let out = run(
        dir.path(),
        &["check", "--output-format", "full", "compose.yaml"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("abcdefgh"), "{text}");
    assert!(text.contains("2 |   app:\n  |   ^^^\n"), "{text}");
}
