//! One module per subcommand, each with a `run` that returns the run's [`ExitStatus`]
//! (usage errors come back as [`Error`](crate::error::Error), printed by `main`), and what
//! `check` and `fix` share: the count of findings and the report of a file that failed.
//!
//! [`ExitStatus`]: crate::ExitStatus

use anstream::eprintln;
use composeguard::{Applicability, Diagnostic};

use crate::{ExitStatus, files, output};

pub mod check;
pub mod completions;
pub mod config;
pub mod fix;
pub mod fix_verify;
pub mod images;
pub mod learn;
pub mod lock;
pub mod rule;
pub mod rules;
pub mod verify;

/// Prints why a file could not be checked or fixed, at its line and column when known.
pub fn report_error(display: &str, failure: &files::Failure) {
    let (at, message) = located(display, failure);
    file_error(&at, message);
}

/// Reads the lock file at `path` (None when there is none); `Err` after printing why it
/// cannot be used, at its line and column.
pub fn read_lock(path: &std::path::Path) -> Result<Option<crate::lock::LockFile>, ExitStatus> {
    crate::lock::LockFile::read(path).map_err(|e| {
        let (at, message) = located(&path.display().to_string(), &e);
        file_error(&at, message);
        ExitStatus::Error
    })
}

/// Prints `<file>: error: <message>` to standard error, styled on a terminal.
pub fn file_error(display: &str, message: impl std::fmt::Display) {
    let (p, e) = (output::path_style(), output::code_style());
    eprintln!("{p}{display}:{p:#} {e}error:{e:#} {message}");
}

/// Where an error is (`file:line:column` when its position is known) and what it says.
pub fn located(display: &str, error: &impl Located) -> (String, String) {
    match error.position() {
        Some((line, column)) => (format!("{display}:{line}:{column}"), error.to_string()),
        None => (display.to_owned(), error.to_string()),
    }
}

/// An error that may point at a line and column of its file.
pub trait Located: std::fmt::Display {
    /// The 1-based (line, column), if any.
    fn position(&self) -> Option<(usize, usize)>;
}

impl Located for composeguard::Error {
    fn position(&self) -> Option<(usize, usize)> {
        composeguard::Error::position(self)
    }
}

impl Located for composeguard::project::ProjectFault {
    fn position(&self) -> Option<(usize, usize)> {
        composeguard::project::ProjectFault::position(self)
    }
}

impl Located for files::Failure {
    fn position(&self) -> Option<(usize, usize)> {
        match self {
            files::Failure::Lib(e) => e.position(),
            files::Failure::Lock(e) => e.position(),
            _ => None,
        }
    }
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
