//! Snapshot tests, one per fixture under `tests/fixtures/<CODE>/`: the input, what the rule
//! reports, and the diff its fixes (unsafe ones included) make, in one `.snap` file beside the
//! fixture (`tests/fixtures/<CODE>/snapshots/<fixture>.snap`). Every fixture is checked and
//! every mismatch reported, not only the first. Update with
//! `INSTA_UPDATE=always cargo test -p composeguard --test rules` or `cargo insta review`.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::{Path, PathBuf};

use composeguard::{Options, rules};

fn report(code: &str, input: &str) -> String {
    let options = Options {
        select: vec![code.to_owned()],
        unsafe_fixes: true,
        ..Options::default()
    };
    let mut out = String::new();
    writeln!(out, "---- input ----").unwrap();
    out.push_str(input);
    if !input.ends_with('\n') {
        out.push_str("\n\\ no final newline\n");
    }
    writeln!(out, "---- diagnostics ----").unwrap();
    let diagnostics = composeguard::check(input, &options).unwrap();
    if diagnostics.is_empty() {
        writeln!(out, "(none)").unwrap();
    }
    for d in &diagnostics {
        let fix = match &d.fix {
            Some(f) => format!(" [{}: {}]", f.applicability().as_str(), f.message()),
            None => " [no fix]".to_owned(),
        };
        writeln!(
            out,
            "{}:{}: {} {}{fix}",
            d.start.line,
            d.start.column,
            d.code(),
            d.message
        )
        .unwrap();
    }
    writeln!(out, "---- diff ----").unwrap();
    let outcome = composeguard::fix(input, &options).unwrap();
    let diff = outcome.diff(input, "compose.yaml");
    out.push_str(if diff.is_empty() {
        "(no change)\n"
    } else {
        &diff
    });
    out
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn rule_fixtures() {
    insta::glob!("fixtures", "*/*.yaml", |path| {
        let dir = path.parent().unwrap();
        let code = dir.file_name().unwrap().to_str().unwrap();
        let input = std::fs::read_to_string(path).unwrap();
        let snapshot = report(code, &input);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(dir.join("snapshots"));
        settings.set_prepend_module_to_snapshot(false);
        settings.remove_snapshot_suffix();
        let name = path.file_stem().unwrap().to_str().unwrap();
        settings.bind(|| insta::assert_snapshot!(name, snapshot));
    });
}

/// A rule without a fixture folder, or a folder no rule owns, fails here (the glob above
/// would just skip it).
#[test]
fn fixture_folders_are_the_rules() {
    let codes: BTreeSet<String> = rules::all()
        .iter()
        .map(|r| r.meta().code.to_owned())
        .collect();
    let folders: BTreeSet<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let missing: Vec<_> = codes.difference(&folders).collect();
    let extra: Vec<_> = folders.difference(&codes).collect();
    assert!(missing.is_empty(), "rules without fixtures: {missing:?}");
    assert!(extra.is_empty(), "folders without a rule: {extra:?}");
}

#[test]
fn already_hardened_fixtures_are_clean() {
    let mut failures = Vec::new();
    for rule in rules::all() {
        let code = rule.meta().code;
        let path = fixtures().join(code).join("already-hardened.yaml");
        let Ok(input) = std::fs::read_to_string(&path) else {
            failures.push(format!("{code} needs an already-hardened fixture"));
            continue;
        };
        if !report(code, &input).contains("---- diagnostics ----\n(none)\n") {
            failures.push(format!("{code}/already-hardened must be clean"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
