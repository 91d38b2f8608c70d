//! Check and fix arbitrary input: never panic, and every output keeps the core invariants
//! (it parses, every comment survives, a second run changes nothing, the reported changes
//! make the output) and has no semantic problem the input did not have (the validator of
//! `composeguard-tests`: capability names, duplicate items, sizes, durations, conflicting
//! limits, host IPs, nulls).
#![no_main]

use composeguard::{Document, Options, Preset};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = composeguard::decode(data) else { return };
    let options = Options {
        unsafe_fixes: true,
        preset: Preset::Strict,
        ..Options::default()
    };
    let _ = composeguard::check(text, &options);
    let Ok(outcome) = composeguard::fix(text, &options) else { return };
    let before = Document::parse(text).expect("the input parsed once");
    let after = Document::parse(&outcome.output).expect("fixed output must parse");
    let comments = |d: &Document| -> Vec<String> {
        d.comments().iter().map(|c| d.source()[c.span.clone()].trim_end().to_owned()).collect()
    };
    assert_eq!(comments(&before), comments(&after), "a comment was lost");
    let again = composeguard::fix(&outcome.output, &options).expect("fixed output must fix again");
    assert_eq!(again.output, outcome.output, "a second run changed the output");
    assert_eq!(
        composeguard::apply_changes(text, &outcome.changes),
        outcome.output,
        "the reported changes do not make the output"
    );
    assert_eq!(outcome.diff(text, "compose.yaml").is_empty(), outcome.output == text);
    // The semantic oracle, when the independent parser reads the input at all.
    if composeguard_tests::problems(text).is_ok() {
        match composeguard_tests::new_problems(text, &outcome.output) {
            Ok(new) => assert!(
                new.is_empty(),
                "new problems: {}",
                new.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            ),
            Err(e) => panic!("serde_yaml_ng reads the input but not the output: {e}"),
        }
    }
});
