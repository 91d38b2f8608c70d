//! `composeguard config`: the configuration in force, as a configuration file.

use std::path::PathBuf;

use anstream::{print, println};

use crate::ExitStatus;
use crate::args::CommonArgs;
use crate::config::{self, Config};
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
    let s = &options.settings;
    shown.options = config::RuleOptions {
        log_max_size: Some(s.log_max_size.clone()),
        log_max_file: Some(s.log_max_file.clone()),
        tmpfs_size: Some(s.tmpfs_size.clone()),
        nofile: s.nofile,
        nproc: s.nproc,
        sensitive_ports: Some(s.sensitive_ports.clone()),
        secret_patterns: Some(s.secret_patterns.clone()),
        secret_exclude_suffixes: Some(s.secret_exclude_suffixes.clone()),
        secrets_env_file: s.secrets_env_file.clone(),
        limits: config::LimitOptions {
            small: Some(limit(&s.limits_small)),
            medium: Some(limit(&s.limits_medium)),
            large: Some(limit(&s.limits_large)),
        },
    };
    shown.services = resolved.config.services.clone();
    match &resolved.source {
        Some(p) => println!("# from {}", p.display()),
        None => println!("# no composeguard.toml found: defaults"),
    }
    print!("{}", toml::to_string_pretty(&shown).expect("TOML"));
    Ok(ExitStatus::Success)
}

fn limit(l: &composeguard::settings::Limits) -> config::Limit {
    config::Limit {
        memory: Some(l.memory.clone()),
        cpus: Some(l.cpus.clone()),
        pids: Some(l.pids),
    }
}
