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
    check_rules(&common.rules.select, "--select")?;
    check_rules(&common.rules.ignore, "--ignore")?;
    check_rules(cfg.select.as_deref().unwrap_or_default(), &shown)?;
    check_rules(cfg.ignore.as_deref().unwrap_or_default(), &shown)?;
    for (service, o) in &cfg.services {
        check_rules(&o.ignore, &format!("{shown} [services.{service}]"))?;
    }
    let preset = common.preset.or(cfg.preset).unwrap_or_default();
    let target = common.target.or(cfg.target).unwrap_or_default();
    let options = Options {
        unsafe_fixes: common.unsafe_fixes || cfg.unsafe_fixes.unwrap_or(false),
        select: if common.rules.select.is_empty() {
            cfg.select.clone().unwrap_or_default()
        } else {
            common.rules.select.clone()
        },
        ignore: cfg
            .ignore
            .clone()
            .unwrap_or_default()
            .into_iter()
            .chain(common.rules.ignore.iter().cloned())
            .collect(),
        preset: preset.into(),
        target: target.into(),
        per_service_ignore: cfg
            .services
            .iter()
            .map(|(k, v)| (k.clone(), v.ignore.clone()))
            .collect(),
        settings: cfg.options.settings(),
        profiles: if common.profile.is_empty() {
            std::env::var("COMPOSE_PROFILES")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect()
        } else {
            common.profile.clone()
        },
        ..Options::default()
    };
    Ok(Resolved {
        source,
        config: cfg,
        preset,
        target,
        options,
    })
}
