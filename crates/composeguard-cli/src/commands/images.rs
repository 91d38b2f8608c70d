//! `composeguard images [NAME]`: what composeguard knows about images (from
//! `crates/composeguard/images/*.toml`), as a table, one entry with its sources, or JSON.

use std::io::{self, Write};

use composeguard::images::{self, IMAGES, Image};
use serde_json::{Value, json};

use crate::ExitStatus;
use crate::error::Error;

/// How `images` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// A table (or, for one image, its facts and sources).
    #[default]
    Text,
    /// JSON: an array of entries, or one entry.
    Json,
}

/// Runs the command.
pub fn run(name: Option<&str>, format: Format) -> Result<ExitStatus, Error> {
    let mut out = io::stdout().lock();
    // A closed pipe (`| head`) is not an error.
    let _ = match name {
        None => match format {
            Format::Text => list(&mut out),
            Format::Json => writeln!(
                out,
                "{:#}",
                Value::Array(IMAGES.iter().map(to_json).collect())
            ),
        },
        Some(name) => {
            let Some(image) = find(name) else {
                return Err(Error::UnknownImage(name.to_owned()));
            };
            match format {
                Format::Text => show(&mut out, image),
                Format::Json => writeln!(out, "{:#}", to_json(image)),
            }
        }
    };
    Ok(ExitStatus::Success)
}

/// An entry by name, else the entry an image reference matches (`postgres:17-alpine`).
fn find(name: &str) -> Option<&'static Image> {
    IMAGES
        .iter()
        .find(|i| i.name == name)
        .or_else(|| images::lookup(name).map(|k| k.image))
}

fn references(image: &Image) -> String {
    let refs = if image.family {
        image
            .prefixes
            .iter()
            .map(|p| format!("{p}*"))
            .collect::<Vec<_>>()
    } else {
        image.repositories.iter().map(|r| r.to_string()).collect()
    };
    let refs = refs.join(", ");
    match image.tag_contains {
        Some(t) => format!("{refs} (tags with {t})"),
        None => refs,
    }
}

fn caps(caps: Option<&[&str]>) -> String {
    match caps {
        None => "unknown".into(),
        Some([]) => "none".into(),
        Some(c) => c.join(","),
    }
}

fn known(value: Option<bool>) -> &'static str {
    match value {
        None => "unknown",
        Some(true) => "yes",
        Some(false) => "no",
    }
}

/// The user the main process ends as.
fn user(image: &Image) -> &'static str {
    match image.user {
        Some(u) => u,
        None if image.runs.stays_root() => "root",
        None => "unknown",
    }
}

fn list(out: &mut impl Write) -> io::Result<()> {
    let header = [
        "name",
        "start",
        "user",
        "read-only",
        "caps as root",
        "references",
    ];
    let rows: Vec<[String; 6]> = IMAGES
        .iter()
        .map(|image| {
            [
                image.name.to_owned(),
                image.runs.as_str().to_owned(),
                user(image).to_owned(),
                known(image.read_only_ok).to_owned(),
                caps(image.caps_as_root),
                references(image),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |out: &mut dyn Write, cells: [&str; 6]| -> io::Result<()> {
        for (i, cell) in cells.iter().enumerate().take(5) {
            write!(out, "{cell:<w$}  ", w = widths[i])?;
        }
        writeln!(out, "{}", cells[5])
    };
    line(out, header)?;
    for row in &rows {
        line(out, row.each_ref().map(String::as_str))?;
    }
    Ok(())
}

fn show(out: &mut impl Write, image: &Image) -> io::Result<()> {
    let list = |items: &[&str]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    writeln!(out, "# {}\n", image.name)?;
    let kind = if image.family { "family" } else { "image" };
    writeln!(out, "{kind}: {}", references(image))?;
    writeln!(out, "start: {}", image.runs.as_str())?;
    writeln!(out, "user: {}", user(image))?;
    if let Some(u) = image.alpine_user {
        writeln!(out, "user on -alpine tags: {u}")?;
    }
    if let Some(u) = image.safe_user {
        writeln!(out, "safe user: {u}")?;
    }
    writeln!(out, "caps as root: {}", caps(image.caps_as_root))?;
    writeln!(out, "file caps: {}", caps(image.file_caps))?;
    match image.writable {
        Some(w) => writeln!(out, "writable: {}", list(w))?,
        None => writeln!(out, "writable: unknown")?,
    }
    if !image.tmpfs_exec.is_empty() {
        writeln!(out, "tmpfs with exec: {}", list(image.tmpfs_exec))?;
    }
    writeln!(out, "volumes: {}", list(image.volumes))?;
    write!(out, "read-only root: {}", known(image.read_only_ok))?;
    match image.read_only_why {
        Some(why) => writeln!(out, " ({why})")?,
        None => writeln!(out)?,
    }
    write!(out, "no-new-privileges: {}", known(image.no_new_privileges))?;
    match image.no_new_privileges_why {
        Some(why) => writeln!(out, " ({why})")?,
        None => writeln!(out)?,
    }
    if !image.file_vars.is_empty() {
        writeln!(
            out,
            "file variables ({}): {}",
            image.file_suffix,
            list(image.file_vars)
        )?;
    }
    if !image.sensitive_ports.is_empty() {
        let ports: Vec<String> = image.sensitive_ports.iter().map(u16::to_string).collect();
        writeln!(out, "sensitive ports: {}", ports.join(", "))?;
    }
    if let Some(h) = image.healthcheck {
        writeln!(out, "healthcheck: {}", h.join(" "))?;
    }
    if image.has_healthcheck {
        writeln!(out, "declares a HEALTHCHECK: yes")?;
    }
    writeln!(
        out,
        "size: {}",
        image.size.map_or("unknown", images::SizeClass::as_str)
    )?;
    if !image.path_vars.is_empty() {
        writeln!(out, "path variables: {}", list(image.path_vars))?;
    }
    if let Some(notes) = image.notes {
        writeln!(out, "\n{notes}")?;
    }
    writeln!(out, "\nsources:")?;
    for s in image.sources {
        writeln!(
            out,
            "- {} ({}): {}",
            s.reference,
            s.how.as_str(),
            s.facts.join(", ")
        )?;
    }
    Ok(())
}

fn to_json(image: &Image) -> Value {
    json!({
        "name": image.name,
        "kind": if image.family { "family" } else { "image" },
        "repositories": image.repositories,
        "prefixes": image.prefixes,
        "tag_contains": image.tag_contains,
        "start": image.runs.as_str(),
        "user": image.user,
        "alpine_user": image.alpine_user,
        "caps_as_root": image.caps_as_root,
        "file_caps": image.file_caps,
        "safe_user": image.safe_user,
        "writable": image.writable,
        "tmpfs_exec": image.tmpfs_exec,
        "volumes": image.volumes,
        "read_only": image.read_only_ok,
        "read_only_why": image.read_only_why,
        "no_new_privileges": image.no_new_privileges,
        "no_new_privileges_why": image.no_new_privileges_why,
        "file_vars": image.file_vars,
        "file_suffix": image.file_suffix,
        "sensitive_ports": image.sensitive_ports,
        "healthcheck": image.healthcheck,
        "has_healthcheck": image.has_healthcheck,
        "size": image.size.map(images::SizeClass::as_str),
        "path_vars": image.path_vars,
        "notes": image.notes,
        "sources": image.sources.iter().map(|s| json!({
            "facts": s.facts,
            "ref": s.reference,
            "how": s.how.as_str(),
        })).collect::<Vec<_>>(),
    })
}
