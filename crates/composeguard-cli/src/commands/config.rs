//! `composeguard config`: the configuration in force, as a configuration file.

use std::path::PathBuf;

use anstream::{print, println};

use crate::ExitStatus;
use crate::args::CommonArgs;
use crate::config::{Config, RuleOptions};
use crate::error::Error;
use crate::resolve;

/// Prints the options `check` would run with from `path` (or with the file `config`): every
/// value, the defaults included, so the output works as a configuration file.
pub fn run(path: Option<PathBuf>, config: Option<PathBuf>) -> Result<ExitStatus, Error> {
    let common = CommonArgs {
        paths: path.into_iter().collect(),
        config,
        ..CommonArgs::default()
    };
    let resolved = resolve::resolve(&common)?;
    let options = &resolved.options;
    let mut shown = Config::default();
    shown.preset = Some(resolved.preset);
    shown.target = Some(resolved.target);
    shown.select = Some(
        options
            .rules()
            .iter()
            .map(|r| r.meta().code.to_owned())
            .collect(),
    );
    shown.ignore = Some(options.ignore.clone());
    shown.unsafe_fixes = Some(options.unsafe_fixes);
    shown.options = RuleOptions::of(&options.settings);
    shown.services = resolved.config.services.clone();
    match &resolved.source {
        Some(p) => println!("# from {}", p.display()),
        None => println!("# no composeguard.toml found: defaults"),
    }
    print!("{}", toml::to_string_pretty(&shown).expect("TOML"));
    Ok(ExitStatus::Success)
}
