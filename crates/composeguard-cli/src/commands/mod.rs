//! One module per subcommand, each with a `run` that returns the run's [`ExitStatus`]
//! (usage errors come back as [`Error`](crate::error::Error), printed by `main`), and what
//! `check` and `fix` share: the count of findings and the report of a file that failed.
//!
//! [`ExitStatus`]: crate::ExitStatus

use anstream::eprintln;
use composeguard::{Applicability, Diagnostic};

use crate::{files, output};

pub mod check;
pub mod completions;
pub mod config;
pub mod fix;
pub mod images;
pub mod rule;
pub mod rules;
pub mod verify;

/// Prints why a file could not be checked or fixed, at its line and column when known.
pub fn report_error(display: &str, failure: &files::Failure) {
    let (p, e) = (output::path_style(), output::code_style());
    match failure {
        files::Failure::Lib(error) => match error.position() {
            Some((line, column)) => {
                eprintln!("{p}{display}:{line}:{column}:{p:#} {e}error:{e:#} {error}")
            }
            None => file_error(display, error),
        },
        other => file_error(display, other),
    }
}

/// Prints `<file>: error: <message>` to standard error, styled on a terminal.
pub fn file_error(display: &str, message: impl std::fmt::Display) {
    let (p, e) = (output::path_style(), output::code_style());
    eprintln!("{p}{display}:{p:#} {e}error:{e:#} {message}");
}

/// Counts of findings by what can be done about them.
#[derive(Default)]
pub struct Tally {
    /// Every finding.
    pub findings: usize,
    /// Those with a safe fix.
    pub safe: usize,
    /// Those with an unsafe fix.
    pub unsafe_: usize,
}

impl Tally {
    /// Counts `diagnostics` in.
    pub fn add(&mut self, diagnostics: &[Diagnostic]) {
        for d in diagnostics {
            self.findings += 1;
            match d.applicability() {
                Some(Applicability::Safe) => self.safe += 1,
                Some(Applicability::Unsafe) => self.unsafe_ += 1,
                _ => {}
            }
        }
    }
}

/// `1 file`, `2 files`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
