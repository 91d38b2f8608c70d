//! `docs/rules/<CODE>.md` is generated from each rule's doc comment, and the rule table of
//! README.md (between its `rules-table` markers) from the rules' metadata; these tests fail
//! when a page or the table is stale or missing. Regenerate with
//! `UPDATE_DOCS=1 cargo test -p composeguard --test docs`.

use std::path::Path;

use composeguard::rules;

fn page(rule: &dyn composeguard::Rule) -> String {
    let m = rule.meta();
    let mut out = format!("# {} ({})\n\n{}\n\n", m.name, m.code, m.summary);
    out.push_str(&format!("- Fix: {}\n", m.fix.as_str()));
    out.push_str(&format!(
        "- CIS Docker Benchmark v1.6.0: {}\n",
        m.cis.unwrap_or("none")
    ));
    out.push_str(&format!("- Presets: {}\n\n", presets(m)));
    out.push_str(m.documentation().trim_end());
    out.push_str("\n\n<!-- Generated from the rule's doc comment; do not edit. -->\n");
    out
}

fn presets(rule: &composeguard::RuleMeta) -> String {
    use composeguard::Preset;
    let names: Vec<&str> = [
        ("baseline", Preset::Baseline),
        ("recommended", Preset::Recommended),
        ("strict", Preset::Strict),
    ]
    .iter()
    .filter(|(_, p)| p.includes(rule))
    .map(|(n, _)| *n)
    .collect();
    names.join(", ")
}

/// One row per rule; `pages` is the path from the file holding the table to `docs/rules/`.
fn table(pages: &str) -> String {
    let mut out = String::from(
        "| code | name | fix | CIS v1.6.0 | presets | summary |\n|---|---|---|---|---|---|\n",
    );
    for rule in rules::all() {
        let m = rule.meta();
        out.push_str(&format!(
            "| [{code}]({pages}{code}.md) | {} | {} | {} | {} | {} |\n",
            m.name,
            m.fix.as_str(),
            m.cis.unwrap_or("–"),
            presets(m),
            m.summary,
            code = m.code
        ));
    }
    out
}

fn index() -> String {
    format!(
        "# Rules\n\n{}\n<!-- Generated from the rules' doc comments; do not edit. -->\n",
        table("")
    )
}

/// With `UPDATE_DOCS` set, writes `content` to `path`; then fails unless `path` holds it.
fn check_or_update(path: &Path, content: &str) {
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, content).unwrap();
    }
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        actual == content,
        "{} is stale: run `UPDATE_DOCS=1 cargo test -p composeguard --test docs`",
        path.display()
    );
}

#[test]
fn rule_pages_are_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    let mut expected: Vec<(String, String)> = rules::all()
        .iter()
        .map(|r| (format!("{}.md", r.meta().code), page(*r)))
        .collect();
    expected.push(("README.md".into(), index()));
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    for (name, content) in &expected {
        check_or_update(&dir.join(name), content);
    }
    // No page for a rule that no longer exists.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            expected.iter().any(|(n, _)| *n == name),
            "docs/rules/{name} has no rule"
        );
    }
}

const TABLE_START: &str = "<!-- rules-table:start -->\n";
const TABLE_END: &str = "<!-- rules-table:end -->\n";

/// README.md's rule table, between its markers, is the rule table of `docs/rules/README.md`.
#[test]
fn readme_rule_table_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (before, rest) = readme
        .split_once(TABLE_START)
        .expect("README.md needs a `<!-- rules-table:start -->` line");
    let (_, after) = rest
        .split_once(TABLE_END)
        .expect("README.md needs a `<!-- rules-table:end -->` line after the start");
    let generated = format!(
        "{before}{TABLE_START}<!-- Generated from the rules' metadata by \
         crates/composeguard/tests/docs.rs; do not edit. -->\n\n{}\n{TABLE_END}{after}",
        table("docs/rules/")
    );
    check_or_update(&path, &generated);
}
