//! The options in force: the configuration file's, then the command line's (which win).

use std::path::PathBuf;

use composeguard::{Options, rules};

use crate::args::{CommonArgs, Preset, Target};
use crate::config::{self, Config};
use crate::error::Error;

/// What a command runs with.
pub struct Resolved {
    /// The configuration file read, if any.
    pub source: Option<PathBuf>,
    /// The configuration it holds (the defaults without one).
    pub config: Config,
    /// The rule set in force.
    pub preset: Preset,
    /// The deployment target in force.
    pub target: Target,
    /// The library's options: the file's, then the flags'.
    pub options: Options,
}

/// The configuration file in force: `--config`, else the nearest one above the first path.
fn config_for(common: &CommonArgs) -> Result<(Option<PathBuf>, Config), Error> {
    let path = match &common.config {
        Some(p) => Some(p.clone()),
        None => {
            let start = common
                .paths
                .iter()
                .find(|p| p.as_os_str() != "-")
                .cloned()
                .unwrap_or_else(|| PathBuf::from("."));
            config::find(&start)
        }
    };
    match path {
        Some(p) => {
            let config = config::load(&p)?;
            Ok((Some(p), config))
        }
        None => Ok((None, Config::default())),
    }
}

fn check_rules(names: &[String], place: &str) -> Result<(), Error> {
    for name in names {
        if !rules::all().iter().any(|r| rules::matches(r.meta(), name)) {
            return Err(Error::UnknownRuleIn {
                name: name.clone(),
                place: place.to_owned(),
            });
        }
    }
    Ok(())
}

/// Options from the configuration file, then the command line (which wins).
pub fn resolve(common: &CommonArgs) -> Result<Resolved, Error> {
    let (source, cfg) = config_for(common)?;
    let shown = source
        .as_ref()
        .map_or("the configuration".to_owned(), |p| p.display().to_string());
    check_rules(&common.select, "--select")?;
    check_rules(&common.ignore, "--ignore")?;
    check_rules(cfg.select.as_deref().unwrap_or_default(), &shown)?;
    check_rules(cfg.ignore.as_deref().unwrap_or_default(), &shown)?;
    for (service, o) in &cfg.services {
        check_rules(&o.ignore, &format!("{shown} [services.{service}]"))?;
    }
    let preset = common.preset.or(cfg.preset).unwrap_or_default();
    let target = common.target.or(cfg.target).unwrap_or_default();
    let mut options = Options {
        unsafe_fixes: common.unsafe_fixes || cfg.unsafe_fixes.unwrap_or(false),
        select: if common.select.is_empty() {
            cfg.select.clone().unwrap_or_default()
        } else {
            common.select.clone()
        },
        ignore: cfg
            .ignore
            .clone()
            .unwrap_or_default()
            .into_iter()
            .chain(common.ignore.iter().cloned())
            .collect(),
        preset: preset.into(),
        target: target.into(),
        per_service_ignore: cfg
            .services
            .iter()
            .map(|(k, v)| (k.clone(), v.ignore.clone()))
            .collect(),
        ..Options::default()
    };
    let o = &cfg.options;
    let s = &mut options.settings;
    if let Some(v) = &o.log_max_size {
        s.log_max_size = v.clone();
    }
    if let Some(v) = &o.log_max_file {
        s.log_max_file = v.clone();
    }
    if let Some(v) = &o.tmpfs_size {
        s.tmpfs_size = v.clone();
    }
    if let Some(v) = o.nofile {
        s.nofile = Some(v);
    }
    if let Some(v) = o.nproc {
        s.nproc = Some(v);
    }
    if let Some(v) = &o.sensitive_ports {
        s.sensitive_ports = v.clone();
    }
    if let Some(v) = &o.secret_patterns {
        s.secret_patterns = v.clone();
    }
    if let Some(v) = &o.secret_exclude_suffixes {
        s.secret_exclude_suffixes = v.clone();
    }
    if o.secrets_env_file.is_some() {
        s.secrets_env_file = o.secrets_env_file.clone();
    }
    for (limit, target) in [
        (&o.limits.small, &mut s.limits_small),
        (&o.limits.medium, &mut s.limits_medium),
        (&o.limits.large, &mut s.limits_large),
    ] {
        if let Some(l) = limit {
            if let Some(m) = &l.memory {
                target.memory = m.clone();
            }
            if let Some(c) = &l.cpus {
                target.cpus = c.clone();
            }
            if let Some(p) = l.pids {
                target.pids = p;
            }
        }
    }
    Ok(Resolved {
        source,
        config: cfg,
        preset,
        target,
        options,
    })
}
