//! What composeguard knows about well-known images. The facts live in `images/*.toml` (one
//! file per image or family, schema in `images/README.md`), which `build.rs` checks and
//! compiles into [`IMAGES`]; every fact cites where it was established (the image's own
//! repository, its documentation or issue tracker), and a fact nobody established is `None`.
//!
//! A fix that touches a known image uses these facts to be exact: the capabilities its
//! entrypoint needs when it starts as root, the paths it writes at run time, the `_FILE`
//! variables it reads, the ports that must not face the world.

/// How an image's process runs by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runs {
    /// The entrypoint starts as root, fixes ownership, then steps down (gosu, su-exec, setpriv)
    /// to the image's own user. Fine as it is; `cap_add` must cover the step-down.
    RootThenStepsDown,
    /// The image's `USER` is already non-root.
    NonRoot,
    /// Stays root (a master process, or no privilege drop at all).
    Root,
    /// s6-overlay's init runs as root (it needs `/run` writable and executable) and steps down
    /// per service.
    S6Overlay,
    /// supervisord runs as root and starts its programs as other users.
    Supervisord,
}

impl Runs {
    /// True when a root process stays up for the container's life: `Root`, and for now the
    /// init systems (s6-overlay, supervisord), which keep a root supervisor.
    pub fn stays_root(self) -> bool {
        matches!(self, Runs::Root | Runs::S6Overlay | Runs::Supervisord)
    }

    /// The data files' name for it (`start = "..."`).
    pub fn as_str(self) -> &'static str {
        match self {
            Runs::RootThenStepsDown => "root-then-step-down",
            Runs::NonRoot => "non-root",
            Runs::Root => "root",
            Runs::S6Overlay => "s6-overlay",
            Runs::Supervisord => "supervisord",
        }
    }
}

/// How much a service of this image needs, for default resource limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeClass {
    /// Ordinary services and unknown images.
    Small,
    /// Caches and heavier applications (PHP and JVM applications, dashboards).
    Medium,
    /// Databases, search engines, message brokers, object stores.
    Large,
}

impl SizeClass {
    /// The data files' name for it (`size = "..."`).
    pub fn as_str(self) -> &'static str {
        match self {
            SizeClass::Small => "small",
            SizeClass::Medium => "medium",
            SizeClass::Large => "large",
        }
    }
}

/// How a source established its facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// Read in the image's source (Dockerfile, entrypoint).
    Source,
    /// The image's official documentation.
    Docs,
    /// An issue or pull request.
    Issue,
    /// Proven by running the image (see tests/runtime).
    Replica,
}

impl How {
    /// The data files' name for it (`how = "..."`).
    pub fn as_str(self) -> &'static str {
        match self {
            How::Source => "source",
            How::Docs => "docs",
            How::Issue => "issue",
            How::Replica => "replica",
        }
    }
}

/// Where some of an image's facts were established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The fields (as named in the data files) this source supports.
    pub facts: &'static [&'static str],
    /// `owner/repo@commit:path`, or an issue or documentation URL.
    pub reference: &'static str,
    /// How the facts were established.
    pub how: How,
}

/// Facts about one image (or one family of images), from `images/<name>.toml`. A fact that
/// is not known is `None` (for lists whose absence and emptiness mean the same, empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image {
    /// Short name used in messages.
    pub name: &'static str,
    /// A family (`prefixes`) rather than one image (`repositories`).
    pub family: bool,
    /// Repository paths that match (Docker Hub `library/` and registry prefixes are stripped
    /// before comparing).
    pub repositories: &'static [&'static str],
    /// For families: repository prefixes that match (`bitnami/`, `lscr.io/linuxserver/`).
    pub prefixes: &'static [&'static str],
    /// Only tags containing this match (e.g. `rootless`); checked before entries without one.
    pub tag_contains: Option<&'static str>,
    /// The image's user as `uid:gid` (None when it is root).
    pub user: Option<&'static str>,
    /// The user on `-alpine` tags, when it differs.
    pub alpine_user: Option<&'static str>,
    /// How the process runs.
    pub runs: Runs,
    /// Capabilities needed with `cap_drop: [ALL]` when started as root (None: unknown).
    pub caps_as_root: Option<&'static [&'static str]>,
    /// Capabilities needed whatever the user: a binary carries them as file capabilities, and
    /// exec fails when they are not in the bounding set (None: unknown).
    pub file_caps: Option<&'static [&'static str]>,
    /// A non-root `user:` that is safe to set without touching volumes, if any.
    pub safe_user: Option<&'static str>,
    /// Paths written at run time that are not volumes of the image (tmpfs with `read_only`);
    /// None: unknown.
    pub writable: Option<&'static [&'static str]>,
    /// Writable paths whose tmpfs needs `exec` (s6-overlay's `/run`).
    pub tmpfs_exec: &'static [&'static str],
    /// The image's data volumes (stay writable with `read_only`).
    pub volumes: &'static [&'static str],
    /// Whether `read_only: true` works (with tmpfs for `writable`); None: unknown.
    pub read_only_ok: Option<bool>,
    /// What breaks under `read_only: true`, when it does.
    pub read_only_why: Option<&'static str>,
    /// Whether the image works under `no-new-privileges`; None: unknown.
    pub no_new_privileges: Option<bool>,
    /// What breaks under `no-new-privileges`, when it does.
    pub no_new_privileges_why: Option<&'static str>,
    /// Variables the entrypoint also reads from `<VAR><suffix>` files.
    pub file_vars: &'static [&'static str],
    /// The suffix for file variables (`_FILE`, or `__FILE` for grafana and gitea).
    pub file_suffix: &'static str,
    /// Container ports that must not be published on every interface.
    pub sensitive_ports: &'static [u16],
    /// The image's usual health check (`CMD` form), if one works with what the image ships.
    pub healthcheck: Option<&'static [&'static str]>,
    /// True when the image declares its own `HEALTHCHECK`.
    pub has_healthcheck: bool,
    /// For default limits; None: unknown.
    pub size: Option<SizeClass>,
    /// Variables that move its writable or data paths (`PGDATA`).
    pub path_vars: &'static [&'static str],
    /// Free-form notes (empty without the `docs` feature).
    pub notes: Option<&'static str>,
    /// Where these facts come from (empty without the `docs` feature).
    pub sources: &'static [Source],
}

impl Image {
    /// The paths to keep writable under `read_only: true`; `/tmp` when unknown.
    pub fn writable_or_tmp(&self) -> &'static [&'static str] {
        self.writable.unwrap_or(&["/tmp"])
    }
}

/// Facts about the image a service runs that come from outside the library: the image's own
/// config (the local engine or a registry) and what `composeguard learn` saw it do while it
/// ran. The CLI reads them from the project's lock file; the library does no I/O. They are
/// about the exact image a service runs: its user and what it writes come before the table's,
/// its capabilities are added to the table's (never fewer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageFacts {
    /// The image reference, as a service names it once interpolated (`ghcr.io/acme/api:1.4`);
    /// Docker Hub's `docker.io/` and `library/` do not matter, a missing tag is `latest`.
    pub reference: String,
    /// The config's `User` (None: empty, so root).
    pub user: Option<String>,
    /// The config's `Volumes`.
    pub volumes: Vec<String>,
    /// Learned: the capabilities the service needs under `cap_drop: [ALL]`, as it is written
    /// (None: not learned).
    pub caps: Option<Vec<String>>,
    /// Learned: the folders its processes wrote outside its volumes (tmpfs under `read_only`);
    /// None: not learned.
    pub writes: Option<Vec<String>>,
    /// Learned: paths it changed in place where a tmpfs cannot go (a file of `/etc`), so
    /// `read_only: true` would stop it.
    pub writes_in_place: Vec<String>,
    /// Learned: the most memory it used, in bytes.
    pub memory_peak: Option<u64>,
    /// Learned: the most processes and threads it ran.
    pub pids_peak: Option<u64>,
}

impl ImageFacts {
    /// True when these facts are of `reference`.
    pub fn matches(&self, reference: &str) -> bool {
        let key = |r: &str| {
            ImageRef::parse(r).map(|p| {
                let full = p.full();
                let tag = match p.digest {
                    Some(_) => p.tag,
                    None => p.tag.or(Some("latest".into())),
                };
                (full, tag, p.digest)
            })
        };
        self.reference == reference
            || key(&self.reference).is_some_and(|k| Some(k) == key(reference))
    }

    /// True when the image's own user is not root (its config says so), read as `user:` is.
    pub fn non_root_user(&self) -> bool {
        self.user.as_deref().is_some_and(|u| {
            crate::compose::user_setting(u) == crate::compose::UserSetting::NonRoot
        })
    }
}

// `IMAGES`, generated by build.rs from `images/*.toml`.
include!(concat!(env!("OUT_DIR"), "/images_data.rs"));

// Parsing a reference is a Compose form (`compose::image`); the lookup below matches its parts.
pub use crate::compose::ImageRef;

/// A known image matched against a reference, with the facts that depend on the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// The entry.
    pub image: &'static Image,
    /// The image's user for this tag (`uid:gid`), None when root or unknown for this tag.
    pub user: Option<&'static str>,
}

impl Known {
    /// The capabilities the image needs with `cap_drop: [ALL]`, given whether it starts as root;
    /// None when nobody established them (a fix then drops nothing it might need).
    pub fn needed_caps(&self, as_root: bool) -> Option<&'static [&'static str]> {
        if as_root {
            self.image.caps_as_root
        } else {
            // A binary's file capabilities must be in the bounding set whoever runs it, so the
            // set established for a root start covers a non-root one too (a superset).
            self.image.file_caps.or(self.image.caps_as_root)
        }
    }
}

/// Finds what composeguard knows about an image reference: an entry naming its repository
/// (with or without the registry), else a family whose prefix it starts with. Among either,
/// entries with a matching `tag_contains` come before those without, and a longer family
/// prefix before a shorter one.
pub fn lookup(reference: &str) -> Option<Known> {
    lookup_in(IMAGES, reference)
}

fn lookup_in(table: &'static [Image], reference: &str) -> Option<Known> {
    let parsed = ImageRef::parse(reference)?;
    let full = parsed.full();
    let tag = parsed.tag.as_deref().unwrap_or("");
    let tag_matches = |image: &Image| image.tag_contains.is_none_or(|t| tag.contains(t));
    // How well an entry matches (exact, tag-specific, prefix length): None when it does not;
    // higher is better.
    let rank = |image: &Image| -> Option<(bool, bool, usize)> {
        if !tag_matches(image) {
            return None;
        }
        let specific = image.tag_contains.is_some();
        if image.family {
            let prefix = image
                .prefixes
                .iter()
                .filter(|p| parsed.repository.starts_with(**p) || full.starts_with(**p))
                .map(|p| p.len())
                .max()?;
            Some((false, specific, prefix))
        } else {
            let named = image
                .repositories
                .iter()
                .any(|r| *r == parsed.repository || *r == full);
            named.then_some((true, specific, 0))
        }
    };
    let mut best: Option<(&'static Image, (bool, bool, usize))> = None;
    for image in table {
        if let Some(r) = rank(image)
            && best.is_none_or(|(_, b)| r > b)
        {
            best = Some((image, r));
        }
    }
    let (image, _) = best?;
    // With an interpolated tag the variant (and so the uid) is unknown.
    let user = if tag.contains('$') && image.alpine_user.is_some() {
        None
    } else if parsed.is_alpine() {
        image.alpine_user.or(image.user)
    } else {
        image.user
    };
    Some(Known { image, user })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_images_match_with_prefixes_tags_and_variants() {
        assert_eq!(lookup("postgres").unwrap().image.name, "postgres");
        assert_eq!(lookup("library/postgres:17").unwrap().user, Some("999:999"));
        assert_eq!(
            lookup("docker.io/library/postgres:17-alpine").unwrap().user,
            Some("70:70")
        );
        assert_eq!(lookup("postgres:${PG_VERSION:-17}").unwrap().user, None);
        assert_eq!(lookup("redis:7-alpine").unwrap().user, Some("999:1000"));
        assert_eq!(
            lookup("quay.io/keycloak/keycloak:26.0").unwrap().image.name,
            "keycloak"
        );
        assert_eq!(
            lookup("gitea/gitea:1.22-rootless").unwrap().image.name,
            "gitea-rootless"
        );
        assert_eq!(lookup("gitea/gitea:1.22").unwrap().image.name, "gitea");
        assert_eq!(
            lookup("docker.elastic.co/elasticsearch/elasticsearch:9.2.0")
                .unwrap()
                .image
                .name,
            "elasticsearch"
        );
        assert_eq!(
            lookup("mirror.gcr.io/library/redis:8@sha256:abc")
                .unwrap()
                .image
                .name,
            "redis"
        );
        assert!(lookup("ghcr.io/someone/postgres:16").is_none());
        assert!(lookup("example/app:1").is_none());
    }

    const BLANK: Image = Image {
        name: "",
        family: false,
        repositories: &[],
        prefixes: &[],
        tag_contains: None,
        user: None,
        alpine_user: None,
        runs: Runs::Root,
        caps_as_root: None,
        file_caps: None,
        safe_user: None,
        writable: None,
        tmpfs_exec: &[],
        volumes: &[],
        read_only_ok: None,
        read_only_why: None,
        no_new_privileges: None,
        no_new_privileges_why: None,
        file_vars: &[],
        file_suffix: "_FILE",
        sensitive_ports: &[],
        healthcheck: None,
        has_healthcheck: false,
        size: None,
        path_vars: &[],
        notes: None,
        sources: &[],
    };

    /// Families beside exact entries, independent of the shipped data.
    static TABLE: &[Image] = &[
        Image {
            name: "linuxserver",
            family: true,
            prefixes: &[
                "lscr.io/linuxserver/",
                "ghcr.io/linuxserver/",
                "linuxserver/",
            ],
            runs: Runs::S6Overlay,
            ..BLANK
        },
        Image {
            name: "linuxserver-nginx",
            repositories: &["lscr.io/linuxserver/nginx", "linuxserver/nginx"],
            ..BLANK
        },
        Image {
            name: "bitnami",
            family: true,
            prefixes: &["bitnami/"],
            user: Some("1001:0"),
            ..BLANK
        },
        Image {
            name: "bitnami-nginx",
            repositories: &["bitnami/nginx"],
            ..BLANK
        },
        Image {
            name: "bitnami-postgresql",
            family: true,
            prefixes: &["bitnami/postgresql"],
            ..BLANK
        },
        Image {
            name: "bitnami-rootless",
            family: true,
            prefixes: &["bitnami/"],
            tag_contains: Some("rootless"),
            ..BLANK
        },
    ];

    fn name(reference: &str) -> Option<&'static str> {
        lookup_in(TABLE, reference).map(|k| k.image.name)
    }

    #[test]
    fn families_match_by_prefix_and_an_exact_entry_wins() {
        assert_eq!(name("lscr.io/linuxserver/sonarr:4"), Some("linuxserver"));
        assert_eq!(
            name("ghcr.io/linuxserver/radarr@sha256:abc"),
            Some("linuxserver")
        );
        assert_eq!(name("linuxserver/sonarr"), Some("linuxserver"));
        assert_eq!(
            name("docker.io/linuxserver/sonarr:latest"),
            Some("linuxserver")
        );
        assert_eq!(
            name("lscr.io/linuxserver/nginx:1.26"),
            Some("linuxserver-nginx")
        );
        assert_eq!(
            name("docker.io/linuxserver/nginx"),
            Some("linuxserver-nginx")
        );
        assert_eq!(name("bitnami/redis:7.4"), Some("bitnami"));
        assert_eq!(
            name("docker.io/bitnami/redis:7.4@sha256:abc"),
            Some("bitnami")
        );
        assert_eq!(name("mirror.gcr.io/bitnami/redis"), Some("bitnami"));
        assert_eq!(name("bitnami/postgresql:16"), Some("bitnami-postgresql"));
        assert_eq!(name("bitnami/redis:7-rootless"), Some("bitnami-rootless"));
        // An exact entry wins even over a family whose tag_contains matches.
        assert_eq!(name("bitnami/nginx:1-rootless"), Some("bitnami-nginx"));
        assert_eq!(
            lookup_in(TABLE, "bitnami/redis:7").unwrap().user,
            Some("1001:0")
        );
        assert_eq!(name("bitnamilegacy/redis"), None);
        assert_eq!(name("library/linuxserver"), None);
        assert_eq!(name("ghcr.io/someone/sonarr"), None);
    }
}
