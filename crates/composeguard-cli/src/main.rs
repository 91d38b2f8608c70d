//! `composeguard`: check and fix Docker Compose files from the command line.
//!
//! A thin adapter over the `composeguard` library: it finds and reads files, prints reports,
//! and writes results atomically. Exit codes: 0 clean, 1 findings, 2 error (see
//! [`ExitStatus`]).

use std::process::ExitCode;

use anstream::eprintln;
use clap::Parser;

mod args;
mod commands;
mod config;
mod docker;
mod environment;
mod error;
mod files;
mod image_config;
mod lock;
mod output;
mod parallel;
mod projects;
mod registry;
mod resolve;
mod secrets;

use args::{Cli, Command};

/// How a run ended, as its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Clean: no findings, nothing (left) to fix, every service still starts.
    Success = 0,
    /// Findings, changes a diff shows, or services that broke.
    Failure = 1,
    /// The run could not give an answer: bad input, a file that cannot be read or written.
    Error = 2,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

fn main() -> ExitCode {
    // A panic is a bug; its message may quote the input (a secret among it), so only the
    // place is printed, never the message.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!(
            "composeguard: internal error{place}; nothing was written. Please report it with the command you ran (the input is not shown here because it may hold secrets)"
        );
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => commands::check::run(&args),
        Command::Fix(args) => commands::fix::run(&args),
        Command::Verify(args) => commands::verify::run(&args),
        Command::Learn(args) => commands::learn::run(&args),
        Command::Rule { code } => commands::rule::run(&code),
        Command::Rules => commands::rules::run(),
        Command::Images(args) => match &args.action {
            Some(args::ImagesAction::Lock(lock)) => commands::lock::run(lock),
            None => commands::images::run(args.name.as_deref(), args.output_format),
        },
        Command::Config { path, config } => commands::config::run(path, config),
        Command::Completions { shell } => commands::completions::run(shell),
    };
    match result {
        Ok(status) => status,
        Err(error) => {
            let e = output::code_style();
            eprintln!("{e}error:{e:#} {error}");
            ExitStatus::Error
        }
    }
    .into()
}
