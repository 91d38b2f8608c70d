//! Harden a compose file with the library: `cargo run -p composeguard --example harden -- FILE`.
//!
//! The library does no I/O; this example reads the file, asks for every fix (unsafe ones
//! included), and prints the findings and the diff. It writes nothing.

use composeguard::{Applicability, Options};

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/stack/compose.yaml".into());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let options = Options {
        unsafe_fixes: true,
        ..Options::default()
    };
    match composeguard::fix(&text, &options) {
        Ok(outcome) => {
            for d in &outcome.diagnostics {
                let fix = match d.applicability() {
                    Some(Applicability::Safe) => "safe fix",
                    Some(Applicability::Unsafe) => "unsafe fix",
                    Some(Applicability::DisplayOnly) | None => "no fix",
                };
                println!(
                    "{path}:{}:{}: {} {} ({fix})",
                    d.start.line,
                    d.start.column,
                    d.code(),
                    d.message
                );
            }
            print!("{}", outcome.diff(&text, &path));
            println!(
                "{} fixed in {} pass(es), {} left",
                outcome.fixed,
                outcome.passes,
                outcome.remaining.len()
            );
        }
        Err(e) => {
            let (line, column) = e.position().unwrap_or((1, 1));
            eprintln!("{path}:{line}:{column}: error: {e}");
            std::process::exit(2);
        }
    }
}
