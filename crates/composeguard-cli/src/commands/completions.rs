//! `composeguard completions SHELL`: a shell completion script.

use std::io;

use clap::CommandFactory;

use crate::ExitStatus;
use crate::args::Cli;
use crate::error::Error;

/// Prints the script for `shell`.
pub fn run(shell: clap_complete::Shell) -> Result<ExitStatus, Error> {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "composeguard", &mut io::stdout());
    Ok(ExitStatus::Success)
}
