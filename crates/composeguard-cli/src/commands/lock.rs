//! `composeguard images lock [PATH]`: each image of the project, read from the local engine or
//! its registry, recorded in the project's lock file (see [`crate::lock`]).

use anstream::{eprintln, println};
use composeguard::Options;

use crate::ExitStatus;
use crate::args::{LockArgs, LockSource};
use crate::commands::{check::project_options, file_error, located, plural};
use crate::docker::Docker;
use crate::environment::Environment;
use crate::error::Error;
use crate::image_config::{ImageConfig, Origin};
use crate::lock::{self, LockFile, Locked};
use crate::projects;

/// Reads image configs: the local engine (when allowed and reachable), then a registry.
pub struct Reader {
    from: LockSource,
    engine: Option<Docker>,
    /// Why the engine could not be used, for the message of an image nothing had.
    engine_error: Option<String>,
}

impl Reader {
    /// A reader for `from`; the engine is looked for once.
    pub fn new(from: LockSource) -> Reader {
        let (engine, engine_error) = match from {
            LockSource::Registry => (None, None),
            _ => match Docker::find_engine() {
                Ok(d) => (Some(d), None),
                Err(e) => (None, Some(e.to_string())),
            },
        };
        Reader {
            from,
            engine,
            engine_error,
        }
    }

    /// The config of `reference`, and where it came from.
    pub fn read(&self, reference: &str) -> Result<(Origin, ImageConfig), String> {
        if let Some(engine) = &self.engine {
            match engine.image_config(reference) {
                Ok(Some(config)) => return Ok((Origin::Engine, config)),
                Ok(None) if self.from == LockSource::Engine => {
                    return Err(
                        "the local engine has no such image: pull or build it first, or use `--from registry`"
                            .into(),
                    );
                }
                Ok(None) => {}
                Err(e) => return Err(e.to_string()),
            }
        } else if self.from == LockSource::Engine {
            return Err(self.engine_error.clone().unwrap_or_default());
        }
        let options = crate::registry::RegistryOptions::default();
        crate::registry::fetch_config(reference, &options)
            .map(|config| (Origin::Registry, config))
            .map_err(|e| e.to_string())
    }
}

/// Runs the command.
pub fn run(args: &LockArgs) -> Result<ExitStatus, Error> {
    let paths: Vec<_> = args.path.iter().cloned().collect();
    let projects = projects::collect(&paths, &args.files, args.project_directory.as_deref())?;
    let environment = Environment::load(&args.env_file).map_err(Error::EnvFile)?;
    let reader = Reader::new(args.from);
    let mut status = ExitStatus::Success;
    for project in &projects {
        let outcome = lock_project(args, &environment, &reader, project);
        status = match (status, outcome) {
            (ExitStatus::Error, _) | (_, ExitStatus::Error) => ExitStatus::Error,
            (ExitStatus::Failure, _) | (_, ExitStatus::Failure) => ExitStatus::Failure,
            _ => ExitStatus::Success,
        };
    }
    Ok(status)
}

fn lock_project(
    args: &LockArgs,
    environment: &Environment,
    reader: &Reader,
    project: &projects::Project,
) -> ExitStatus {
    let Some(folder) = project.folder() else {
        file_error(
            "-",
            "a lock file needs a project folder: pass a file, not standard input",
        );
        return ExitStatus::Error;
    };
    let base = Options::default();
    let loaded = project_options(environment, false, project, &base).and_then(|options| {
        let loaded = projects::load(project, options.limits.max_bytes, &options)?;
        Ok((options, loaded))
    });
    let (options, loaded) = match loaded {
        Ok(l) => l,
        Err(e) => {
            let (at, message) = e.located();
            file_error(&at, message);
            return ExitStatus::Error;
        }
    };
    let shown = loaded.members[0].input.display.clone();
    let images = match composeguard::project::service_images(&loaded.files(), &options) {
        Ok(images) => images,
        Err(e) => {
            let display = e
                .file
                .and_then(|i| loaded.members.get(i))
                .map_or(shown, |m| m.input.display.clone());
            let (at, message) = located(&display, &e.error);
            file_error(&at, message);
            return ExitStatus::Error;
        }
    };
    let path = lock::path_in(&folder);
    let shown_lock = path.display().to_string();
    let old = match super::read_lock(&path) {
        Ok(old) => old,
        Err(status) => return status,
    };
    let mut references: Vec<&str> = images.iter().map(|(_, r)| r.as_str()).collect();
    references.sort_unstable();
    references.dedup();
    let (new, notes, failures) = build(&references, old.as_ref(), reader);
    for (reference, why) in &failures {
        file_error(
            &shown_lock,
            format!("cannot read the config of `{reference}`: {why}"),
        );
    }
    if !failures.is_empty() {
        eprintln!(
            "{}: nothing written ({} of {} could not be read)",
            shown_lock,
            plural(failures.len(), "image"),
            references.len()
        );
        return ExitStatus::Error;
    }
    let text = new.to_text();
    let old_text = std::fs::read_to_string(&path).ok();
    if args.check {
        if old_text.as_deref() == Some(text.as_str()) {
            if !args.quiet {
                println!(
                    "{shown_lock}: up to date ({})",
                    plural(references.len(), "image")
                );
            }
            return ExitStatus::Success;
        }
        eprintln!(
            "{shown_lock}: {}; run `composeguard images lock` and commit the result",
            if old_text.is_some() {
                "out of date"
            } else {
                "missing"
            }
        );
        return ExitStatus::Failure;
    }
    if old_text.as_deref() != Some(text.as_str())
        && let Err(e) = lock::write(&path, &text)
    {
        file_error(&shown_lock, format!("cannot write the lock file: {e}"));
        return ExitStatus::Error;
    }
    if !args.quiet {
        for note in &notes {
            eprintln!("{shown_lock}: {note}");
        }
        let from_engine = new
            .images
            .iter()
            .filter(|l| l.from == Origin::Engine)
            .count();
        println!(
            "{shown_lock}: {} ({} from the engine, {} from registries){}",
            plural(new.images.len(), "image"),
            from_engine,
            new.images.len() - from_engine,
            if old_text.as_deref() == Some(text.as_str()) {
                ", unchanged"
            } else {
                ""
            }
        );
    }
    ExitStatus::Success
}

/// The new lock: every reference's config read again; what `learn` recorded kept where the
/// image is the same (same digest). Notes for facts dropped; failures per reference.
type Built = (LockFile, Vec<String>, Vec<(String, String)>);

fn build(references: &[&str], old: Option<&LockFile>, reader: &Reader) -> Built {
    let mut new = LockFile {
        version: lock::VERSION,
        images: Vec::new(),
    };
    let mut notes = Vec::new();
    let mut failures = Vec::new();
    for reference in references {
        match reader.read(reference) {
            Ok((from, config)) => {
                let previous = old.and_then(|o| o.get(reference));
                let learned = previous.and_then(|p| keep_learned(p, &config, &mut notes));
                new.images.push(Locked {
                    reference: (*reference).to_owned(),
                    from,
                    config,
                    learned,
                });
            }
            Err(why) => failures.push(((*reference).to_owned(), why)),
        }
    }
    (new, notes, failures)
}

fn keep_learned(
    previous: &Locked,
    config: &ImageConfig,
    notes: &mut Vec<String>,
) -> Option<crate::lock::Learned> {
    let learned = previous.learned.clone()?;
    if previous.config.digest == config.digest {
        return Some(learned);
    }
    notes.push(format!(
        "`{}` is another image now ({} instead of {}): what `learn` saw of the old one was dropped; run `composeguard learn` again",
        previous.reference,
        short(config.digest.as_deref()),
        short(previous.config.digest.as_deref())
    ));
    None
}

fn short(digest: Option<&str>) -> String {
    digest.map_or_else(
        || "no digest".to_owned(),
        |d| d.chars().take(19).collect::<String>(),
    )
}
