//! Snapshot tests, one per fixture under `tests/fixtures/<CODE>/`: the input, what the rule
//! reports, and the diff its fixes (unsafe ones included) make, in one `.snap` file.

use std::fmt::Write;
use std::path::Path;

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

#[test]
fn rule_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut count = 0;
    for rule in rules::all() {
        let code = rule.meta().code;
        let dir = root.join(code);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("every rule needs fixtures in {}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(
            files
                .iter()
                .any(|f| f.file_stem().unwrap() == "already-hardened"),
            "{code} needs an already-hardened fixture"
        );
        for file in files {
            let input = std::fs::read_to_string(&file).unwrap();
            let name = format!("{code}__{}", file.file_stem().unwrap().to_string_lossy());
            let snapshot = report(code, &input);
            if file.file_stem().unwrap() == "already-hardened" {
                assert!(
                    snapshot.contains("---- diagnostics ----\n(none)\n"),
                    "{name} must be clean"
                );
            }
            insta::assert_snapshot!(name, snapshot);
            count += 1;
        }
    }
    assert!(count >= 15);
}
