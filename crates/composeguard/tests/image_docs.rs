//! `docs/images.md` is generated from the image table (`images/*.toml`); this test fails when
//! it is stale. Regenerate with `UPDATE_DOCS=1 cargo test -p composeguard --test image_docs`.

use std::fmt::Write;
use std::path::Path;

use composeguard::images::{IMAGES, Image, SizeClass};

fn known(value: Option<bool>) -> &'static str {
    match value {
        None => "unknown",
        Some(true) => "yes",
        Some(false) => "no",
    }
}

fn caps(caps: Option<&[&str]>) -> String {
    match caps {
        None => "unknown".into(),
        Some([]) => "none".into(),
        Some(c) => c.join(", "),
    }
}

fn code_list(items: &[&str]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    quoted.join(", ")
}

fn references(image: &Image) -> String {
    let refs = if image.family {
        let p: Vec<String> = image.prefixes.iter().map(|p| format!("{p}*")).collect();
        code_list(&p.iter().map(String::as_str).collect::<Vec<_>>())
    } else {
        code_list(image.repositories)
    };
    match image.tag_contains {
        Some(t) => format!("{refs} (tags containing `{t}`)"),
        None => refs,
    }
}

fn user(image: &Image) -> &'static str {
    match image.user {
        Some(u) => u,
        None if image.runs.stays_root() => "root",
        None => "unknown",
    }
}

/// `owner/repo@commit:path` as a GitHub link; URLs as they are.
fn link(reference: &str) -> String {
    if reference.starts_with("https://") {
        return format!("<{reference}>");
    }
    match reference.split_once('@').and_then(|(repo, rest)| {
        let (commit, path) = rest.split_once(':')?;
        Some(format!(
            "[`{reference}`](https://github.com/{repo}/blob/{commit}/{path})"
        ))
    }) {
        Some(l) => l,
        None => format!("`{reference}`"),
    }
}

fn page() -> String {
    let mut out = String::from(
        "# Known images\n\n\
         What composeguard knows about these images makes its fixes for them exact: the \
         capabilities an entrypoint needs back under `cap_drop: [ALL]`, the paths that need a \
         tmpfs under `read_only: true`, the variables that can come from files, the ports that \
         must not face the world. Each image is a file in \
         [`crates/composeguard/images/`](../crates/composeguard/images/) (its schema is that \
         folder's README), and every fact cites where it was established. A fact that is not \
         known is left out and shows as *unknown*. `composeguard images` prints the same.\n\n\
         | name | references | start | user | caps as root | read-only | size |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for image in IMAGES {
        let _ = writeln!(
            out,
            "| [{name}](#{name}) | {} | {} | {} | {} | {} | {} |",
            references(image),
            image.runs.as_str(),
            user(image),
            caps(image.caps_as_root),
            known(image.read_only_ok),
            image.size.map_or("unknown", SizeClass::as_str),
            name = image.name,
        );
    }
    for image in IMAGES {
        let _ = write!(out, "\n## {}\n\n", image.name);
        let kind = if image.family { "Family" } else { "Image" };
        let _ = writeln!(out, "- {kind}: {}", references(image));
        let _ = writeln!(out, "- Start: {}", image.runs.as_str());
        let _ = write!(out, "- User: {}", user(image));
        if let Some(u) = image.alpine_user {
            let _ = write!(out, " (`-alpine` tags: {u})");
        }
        out.push('\n');
        if let Some(u) = image.safe_user {
            let _ = writeln!(out, "- Safe user to set: `{u}`");
        }
        let _ = writeln!(out, "- Capabilities as root: {}", caps(image.caps_as_root));
        let _ = writeln!(out, "- File capabilities: {}", caps(image.file_caps));
        let _ = writeln!(
            out,
            "- Writable paths: {}",
            image.writable.map_or("unknown".into(), code_list)
        );
        if !image.tmpfs_exec.is_empty() {
            let _ = writeln!(out, "- Tmpfs with exec: {}", code_list(image.tmpfs_exec));
        }
        let _ = writeln!(out, "- Volumes: {}", code_list(image.volumes));
        let _ = write!(out, "- Read-only root: {}", known(image.read_only_ok));
        if let Some(why) = image.read_only_why {
            let _ = write!(out, " ({why})");
        }
        out.push('\n');
        let _ = write!(
            out,
            "- no-new-privileges: {}",
            known(image.no_new_privileges)
        );
        if let Some(why) = image.no_new_privileges_why {
            let _ = write!(out, " ({why})");
        }
        out.push('\n');
        if !image.file_vars.is_empty() {
            let _ = writeln!(
                out,
                "- Read from `<VAR>{}` files: {}",
                image.file_suffix,
                code_list(image.file_vars)
            );
        }
        if !image.sensitive_ports.is_empty() {
            let ports: Vec<String> = image.sensitive_ports.iter().map(u16::to_string).collect();
            let _ = writeln!(out, "- Sensitive ports: {}", ports.join(", "));
        }
        if let Some(h) = image.healthcheck {
            let _ = writeln!(out, "- Health check: `{}`", h.join(" "));
        }
        if image.has_healthcheck {
            let _ = writeln!(out, "- Declares its own `HEALTHCHECK`");
        }
        let _ = writeln!(
            out,
            "- Size (default limits): {}",
            image.size.map_or("unknown", SizeClass::as_str)
        );
        if !image.path_vars.is_empty() {
            let _ = writeln!(out, "- Path variables: {}", code_list(image.path_vars));
        }
        if let Some(notes) = image.notes {
            let _ = write!(out, "\n{}\n", notes.trim_end());
        }
        out.push_str("\nSources:\n\n");
        for s in image.sources {
            let _ = writeln!(
                out,
                "- {} ({}): {}",
                link(s.reference),
                s.how.as_str(),
                s.facts.join(", ")
            );
        }
    }
    out.push_str(
        "\n<!-- Generated from crates/composeguard/images/*.toml by tests/image_docs.rs; do not edit. -->\n",
    );
    out
}

#[test]
fn images_page_is_up_to_date() {
    if !cfg!(feature = "docs") {
        return; // the page needs the citations, which only the docs feature keeps
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/images.md");
    let content = page();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &content).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == content,
        "{} is stale: run `UPDATE_DOCS=1 cargo test -p composeguard --test image_docs`",
        path.display()
    );
}
