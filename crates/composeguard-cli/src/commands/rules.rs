//! `composeguard rules`: every rule, one line each.

use std::io::{self, Write};

use composeguard::rules;

use crate::ExitStatus;
use crate::error::Error;

/// Lists every rule with its code, name, fix safety and CIS item.
pub fn run() -> Result<ExitStatus, Error> {
    let mut out = io::stdout().lock();
    // A closed pipe (`| head`) is not an error.
    let _ = writeln!(
        out,
        "{:<7} {:<20} {:<10} {:<5} summary",
        "code", "name", "fix", "CIS"
    );
    for rule in rules::all() {
        let m = rule.meta();
        let _ = writeln!(
            out,
            "{:<7} {:<20} {:<10} {:<5} {}",
            m.code,
            m.name,
            m.fix.as_str(),
            m.cis.unwrap_or("-"),
            m.summary
        );
    }
    Ok(ExitStatus::Success)
}
