//! `composeguard rule CODE`: one rule's documentation.

use anstream::{print, println};
use composeguard::rules;

use crate::ExitStatus;
use crate::error::Error;

/// Prints the rule named by its code or name.
pub fn run(code: &str) -> Result<ExitStatus, Error> {
    let rule = rules::find(code).ok_or_else(|| Error::UnknownRule(code.to_owned()))?;
    let m = rule.meta();
    println!("# {} ({})\n", m.name, m.code);
    println!("{}\n", m.summary);
    println!("Fix: {}", m.fix.as_str());
    if let Some(cis) = m.cis {
        println!("CIS Docker Benchmark v1.6.0: {cis}");
    }
    println!();
    print!("{}", m.documentation());
    Ok(ExitStatus::Success)
}
