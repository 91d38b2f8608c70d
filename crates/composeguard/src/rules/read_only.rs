use crate::compose::{Service, clean_path, size_in_bytes};
use crate::document::NodeKind;
use crate::edit::{Applicability, Edit, Fix};
use crate::settings::Target;
use crate::writer::{NewValue, append_values, insert_entries};

use crate::context::Context;
use crate::rule::{Check, declare_rule};

/// Every container path already mounted by `volumes` (short or long syntax) or `tmpfs`.
fn mount_targets(cx: &Context<'_>, service: &Service) -> Vec<String> {
    let volumes = cx.compose.volumes(service);
    let tmpfs = cx.compose.tmpfs(service);
    let volume_targets = volumes.iter().filter_map(|m| m.target).map(clean_path);
    volume_targets
        .chain(tmpfs.iter().map(|t| t.target()))
        .collect()
}

/// The names of secrets and configs whose source is copied into the container
/// (`environment:` or `content:`); Compose refuses them with `read_only: true`.
fn copied_sources(cx: &Context<'_>, service: &Service) -> Vec<String> {
    let doc = cx.doc;
    let mut out = Vec::new();
    for (index, root) in cx.compose.roots() {
        if index != service.document {
            continue;
        }
        for top in ["secrets", "configs"] {
            let Some((_, defs)) = doc.own_entry(root, top) else {
                continue;
            };
            for name in cx.compose.granted(service, top) {
                let Some((_, def)) = doc.own_entry(defs, name) else {
                    continue;
                };
                if doc.own_entry(def, "environment").is_some()
                    || doc.own_entry(def, "content").is_some()
                {
                    out.push(name.to_owned());
                }
            }
        }
    }
    out
}

/// What CG201 knows of what a service's image writes: from the table, and from the options'
/// image facts (its config's volumes; what `learn` saw it write, which comes first).
struct Writes<'a> {
    /// The image's name in messages.
    name: &'a str,
    /// Whether `read_only: true` works (with tmpfs for what it writes); None: unknown.
    ok: Option<bool>,
    /// Why it does not, when it does not.
    why: Option<&'a str>,
    /// The table's paths written at run time outside the image's volumes; None: unknown.
    writable: Option<&'static [&'static str]>,
    /// What `learn` saw it write (then `writable` is not used).
    learned: Option<&'a [String]>,
    /// The image's volumes (they stay writable): the table's, and its config's.
    volumes: &'static [&'static str],
    config_volumes: &'a [String],
    /// Writable paths whose tmpfs needs `exec`.
    exec: &'static [&'static str],
}

impl Writes<'_> {
    /// True when which paths it writes is known.
    fn known(&self) -> bool {
        self.ok.is_some() && (self.writable.is_some() || self.learned.is_some())
    }
}

// Inlined so that, without facts (the browser module), the learned branches fold away.
#[inline(always)]
fn writes<'a>(cx: &Context<'a>, service: &Service) -> Option<Writes<'a>> {
    let known = cx.image(service);
    let facts = cx.facts(service);
    let mut w = match known {
        Some(k) => Writes {
            name: k.image.name,
            ok: k.image.read_only_ok,
            why: k.image.read_only_why,
            writable: k.image.writable,
            learned: None,
            volumes: k.image.volumes,
            config_volumes: &[],
            exec: k.image.tmpfs_exec,
        },
        None => Writes {
            name: facts?.reference.as_str(),
            ok: None,
            why: None,
            writable: None,
            learned: None,
            volumes: &[],
            config_volumes: &[],
            exec: &[],
        },
    };
    if let Some(f) = facts {
        w.config_volumes = &f.volumes;
        if let Some(paths) = &f.writes {
            w.learned = Some(paths);
            w.ok = Some(f.writes_in_place.is_empty());
            w.why = f.writes_in_place.first().map(String::as_str);
        }
    }
    Some(w)
}

/// The paths that need a tmpfs under `read_only: true`: what the image writes, less what is
/// already mounted and its own volumes.
fn writable_paths<'a>(cx: &Context<'_>, service: &Service, w: &Writes<'a>) -> Vec<&'a str> {
    let mut taken = mount_targets(cx, service);
    for v in w.volumes {
        taken.push(clean_path(v));
    }
    for v in w.config_volumes {
        taken.push(clean_path(v));
    }
    let mut out = Vec::new();
    let mut keep = |p: &'a str| {
        if !taken.contains(&clean_path(p)) {
            out.push(p);
        }
    };
    match w.learned {
        Some(learned) => learned.iter().for_each(|p| keep(p)),
        None => w.writable.unwrap_or_default().iter().for_each(|p| keep(p)),
    }
    out
}

/// A service-level tmpfs entry for `path` with the configured size; `exec` where the image
/// runs programs from it (s6-overlay's `/run`), `noexec` elsewhere.
fn tmpfs_item(cx: &Context<'_>, w: &Writes<'_>, path: &str) -> NewValue {
    let exec = if w.exec.contains(&path) {
        "exec"
    } else {
        "noexec"
    };
    NewValue::str(format!(
        "{path}:{exec},nosuid,size={}",
        cx.settings.tmpfs_size
    ))
}

/// The tmpfs entries CG201's fix gives a service (Compose target); empty when it gives none.
fn tmpfs_needed(cx: &Context<'_>, service: &Service) -> Vec<NewValue> {
    if cx.get(service, "read_only").is_some() {
        return Vec::new();
    }
    let Some(w) = writes(cx, service) else {
        return Vec::new();
    };
    if w.ok != Some(true) || !w.known() || !copied_sources(cx, service).is_empty() {
        return Vec::new();
    }
    writable_paths(cx, service, &w)
        .iter()
        .map(|p| tmpfs_item(cx, &w, p))
        .collect()
}

declare_rule! {
    /// ## What it does
    /// Checks that every service mounts its root file system read-only (`read_only: true`),
    /// with small `tmpfs` mounts for the paths its image writes at run time.
    ///
    /// ## Why is this bad?
    /// An attacker who gets code execution in a writable container can drop tools, change
    /// binaries and configuration, and persist until the container is recreated. A read-only
    /// root file system takes that away; volumes stay writable.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17
    ///     volumes:
    ///       - db-data:/var/lib/postgresql/data
    /// volumes:
    ///   db-data:
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17
    ///     volumes:
    ///       - db-data:/var/lib/postgresql/data
    ///     read_only: true
    ///     tmpfs:
    ///       - /var/run/postgresql:noexec,nosuid,size=64m
    ///       - /tmp:noexec,nosuid,size=64m
    /// volumes:
    ///   db-data:
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: an application may write somewhere composeguard does not know about. For known
    /// images the tmpfs paths are the ones the image writes (postgres: `/var/run/postgresql`,
    /// `/tmp`; nginx: `/var/cache/nginx`, `/var/run`, `/tmp`; ...). Images composeguard does not
    /// know are reported without a fix: which paths they write is unknown, and a read-only root
    /// with a guessed `/tmp` stops every image that writes elsewhere.
    /// A path that is already a volume or tmpfs target is never added again (Compose rejects
    /// duplicates). Images known to break with a read-only root (elasticsearch, keycloak
    /// without `--optimized`, rootful gitea, adminer with plugins) are reported without a fix,
    /// and so are services using secrets or configs with an `environment:` or `content:` source
    /// (Compose copies those into the container and refuses them on a read-only root). With
    /// `--target swarm`, which ignores service-level `tmpfs`, the mounts are written as
    /// `volumes` entries of type `tmpfs` with an integer size.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.13 "Ensure that the container's root filesystem is
    /// mounted as read only".
    pub struct ReadOnlyRootfs {
        code: "CG201",
        name: "read-only-rootfs",
        summary: "Mount the root file system read-only, with tmpfs for run-time paths",
        fix: Sometimes,
        cis: Some("5.13"),
        preset: Recommended,
    }
}

impl Check for ReadOnlyRootfs {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        // Set either way, it is left alone: `false` is a decision composeguard respects.
        // `!reset` clears it, whatever its value.
        if let Some(l) = cx.get(service, "read_only")
            && cx.compose.is_reset(l.value)
        {
            cx.report_reset("read_only", "");
            return;
        }
        let Some(target) = cx.target_for_new(service, "read_only") else {
            return;
        };
        // Which paths an image writes at run time must be known: a read-only root with a
        // guessed `/tmp` stops every image that writes elsewhere.
        let Some(w) = writes(cx, service).filter(Writes::known) else {
            let message = format!(
                "service `{}` has a writable root file system; composeguard does not know which paths {} writes at run time, so it does not make it read-only: run it once and list what it wrote (`docker diff <container>`), then add `read_only: true` with a tmpfs or volume for each of those paths",
                service.name,
                cx.image_ref(service)
                    .map_or_else(|| "its image".to_owned(), |r| format!("`{r}`"))
            );
            cx.report_service(message);
            return;
        };
        if w.ok == Some(false) {
            let message = if w.learned.is_some() {
                format!(
                    "service `{}` has a writable root file system; `composeguard learn` saw {} change `{}` in place, which a tmpfs cannot hold: make it a volume first",
                    service.name,
                    w.name,
                    w.why.unwrap_or("")
                )
            } else {
                format!(
                    "service `{}` has a writable root file system; {} is known to fail with `read_only: true`, so make its writable paths volumes first",
                    service.name, w.name
                )
            };
            cx.report_service(message);
            return;
        }
        let copied = copied_sources(cx, service);
        if !copied.is_empty() {
            let message = format!(
                "service `{}` has a writable root file system; Compose refuses `read_only: true` with secrets or configs from `environment:`/`content:` ({})",
                service.name,
                copied.join(", ")
            );
            cx.report_service(message);
            return;
        }
        let paths = writable_paths(cx, service, &w);
        let size = &cx.settings.tmpfs_size;
        let mut edits: Vec<Edit> = Vec::new();
        let mut new_entries: Vec<(&str, NewValue)> =
            vec![("read_only", NewValue::Raw("true".into()))];
        let doc = cx.doc;
        if !paths.is_empty() {
            match cx.target {
                Target::Compose => {
                    let items: Vec<NewValue> =
                        paths.iter().map(|p| tmpfs_item(cx, &w, p)).collect();
                    match cx
                        .get(service, "tmpfs")
                        .map(|l| (l, &doc.node(l.resolved).kind))
                    {
                        None => new_entries.push(("tmpfs", NewValue::Seq(items))),
                        Some((_, NodeKind::Sequence(_))) => {
                            let Some(plan) =
                                cx.plan_list(service, "tmpfs", &items, |s| tmpfs_needed(cx, s))
                            else {
                                return;
                            };
                            if !plan.blocked.is_empty() {
                                let message = format!(
                                    "service `{}` has a writable root file system; its `tmpfs` list is shared with services that merge it, and it needs more there than they do: give it a `tmpfs` list of its own",
                                    service.name
                                );
                                cx.report_service(message);
                                return;
                            }
                            edits.extend(plan.edits);
                            if let Some(own) = plan.new_key {
                                new_entries.push(("tmpfs", NewValue::Seq(own)));
                            }
                        }
                        Some((l, NodeKind::Scalar { .. })) if !doc.is_null(l.resolved) => {
                            let mut all = vec![NewValue::str(doc.scalar(l.resolved).unwrap_or(""))];
                            all.extend(items);
                            let node = doc.node(l.resolved);
                            edits.push(Edit::replacement(
                                node.start..node.end,
                                cx.style.flow(&NewValue::Seq(all)),
                            ));
                        }
                        Some(_) => return,
                    }
                }
                Target::Swarm => {
                    let Some(bytes) = size_in_bytes(size) else {
                        return;
                    };
                    let items: Vec<NewValue> = paths
                        .iter()
                        .map(|p| {
                            NewValue::Map(vec![
                                ("type".into(), NewValue::str("tmpfs")),
                                ("target".into(), NewValue::str(*p)),
                                (
                                    "tmpfs".into(),
                                    NewValue::Map(vec![(
                                        "size".into(),
                                        NewValue::Raw(bytes.to_string()),
                                    )]),
                                ),
                            ])
                        })
                        .collect();
                    match cx
                        .get(service, "volumes")
                        .map(|l| (l, &doc.node(l.resolved).kind))
                    {
                        None => new_entries.push(("volumes", NewValue::Seq(items))),
                        Some((l, NodeKind::Sequence(_))) => {
                            edits.push(append_values(doc, cx.style, l.resolved, &items));
                        }
                        Some(_) => return,
                    }
                }
            }
        }
        edits.extend(insert_entries(doc, cx.style, target, &new_entries));
        let what = if paths.is_empty() {
            "Add `read_only: true`".to_owned()
        } else {
            format!("Add `read_only: true` with tmpfs for {}", paths.join(", "))
        };
        let message = if w.learned.is_some() {
            format!(
                "service `{}` has a writable root file system; `composeguard learn` saw it write {} outside its volumes (the lock file)",
                service.name,
                if paths.is_empty() {
                    "nothing".to_owned()
                } else {
                    format!("only {}", paths.join(", "))
                }
            )
        } else {
            format!("service `{}` has a writable root file system", service.name)
        };
        cx.report_service(message)
            .set_fix(Fix::new(Applicability::Unsafe, what, edits));
    }
}
