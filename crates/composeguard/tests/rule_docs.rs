//! Every rule's documentation is checked like biome's: the YAML under "## Example" must
//! trigger the rule, the YAML after "Use instead:" must not, and fixing the example with the
//! rule's own fixes must give a file the rule accepts. Every doc has the same headings.

use composeguard::{Options, rules};

/// The YAML code blocks of a Markdown section, in order.
fn yaml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim()) {
            (None, "```yaml") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_rule_documents_the_same_headings() {
    for rule in rules::all() {
        let docs = rule.meta().documentation();
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "Use instead:",
            "## Fix safety",
            "## References",
        ] {
            assert!(
                docs.contains(heading),
                "{}: missing `{heading}`",
                rule.meta().code
            );
        }
    }
}

#[test]
fn examples_trigger_and_replacements_do_not() {
    for rule in rules::all() {
        let meta = rule.meta();
        let docs = meta.documentation();
        let (example, use_instead) = docs.split_once("Use instead:").expect("has Use instead");
        let bad = yaml_blocks(example.split_once("## Example").expect("has Example").1);
        let good = yaml_blocks(use_instead);
        assert!(
            !bad.is_empty() && !good.is_empty(),
            "{}: needs YAML examples",
            meta.code
        );
        let options = Options {
            select: vec![meta.code.to_owned()],
            unsafe_fixes: true,
            ..Options::default()
        };
        for yaml in &bad {
            let found = composeguard::check(yaml, &options).unwrap();
            assert!(
                !found.is_empty(),
                "{}: the Example does not trigger the rule:\n{yaml}",
                meta.code
            );
            // Where every finding comes with a fix, applying them must leave nothing.
            let fixable = found.iter().all(|d| {
                d.applicability()
                    .is_some_and(|a| a >= composeguard::Applicability::Unsafe)
            });
            if fixable {
                let fixed = composeguard::fix(yaml, &options).unwrap();
                assert!(
                    fixed.remaining.is_empty(),
                    "{}: fixing the Example leaves findings",
                    meta.code
                );
            }
        }
        for yaml in &good {
            let found = composeguard::check(yaml, &options).unwrap();
            assert!(
                found.is_empty(),
                "{}: `Use instead` triggers the rule: {found:?}",
                meta.code
            );
        }
    }
}

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let all = rules::all();
    for (i, a) in all.iter().enumerate() {
        let m = a.meta();
        assert!(m.code.len() == 5 && m.code.starts_with("CG"), "{}", m.code);
        assert!(
            m.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}",
            m.name
        );
        for b in &all[i + 1..] {
            assert_ne!(m.code, b.meta().code);
            assert_ne!(m.name, b.meta().name);
        }
        assert!(rules::find(m.code).is_some() && rules::find(m.name).is_some());
    }
}
