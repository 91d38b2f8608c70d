//! What composeguard knows about well-known images, kept as data so it is easy to read, review
//! and extend. Every entry cites its source:
//! the image's own repository (Dockerfile, entrypoint) and, for capabilities, its issue tracker.
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
}

/// How much a service of this image needs, for default resource limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Ordinary services and unknown images.
    Small,
    /// Caches and heavier applications (PHP and JVM applications, dashboards).
    Medium,
    /// Databases, search engines, message brokers, object stores.
    Large,
}

/// Facts about one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Image {
    /// Short name used in messages.
    pub name: &'static str,
    /// Repository paths that match (Docker Hub `library/` and registry prefixes are stripped
    /// before comparing).
    pub repositories: &'static [&'static str],
    /// Only tags containing this match (e.g. `rootless`); checked before entries without one.
    pub tag_contains: Option<&'static str>,
    /// The image's user as `uid:gid` (None when it is root).
    pub user: Option<&'static str>,
    /// The user on `-alpine` tags, when it differs.
    pub alpine_user: Option<&'static str>,
    /// How the process runs.
    pub runs: Runs,
    /// Capabilities needed with `cap_drop: [ALL]` when started as root.
    pub caps_as_root: &'static [&'static str],
    /// Capabilities needed whatever the user: a binary carries them as file capabilities, and
    /// exec fails when they are not in the bounding set.
    pub file_caps: &'static [&'static str],
    /// A non-root `user:` that is safe to set without touching volumes, if any.
    pub safe_user: Option<&'static str>,
    /// Paths written at run time that are not volumes of the image (tmpfs with `read_only`).
    pub writable: &'static [&'static str],
    /// The image's data volumes (stay writable with `read_only`).
    pub volumes: &'static [&'static str],
    /// False when `read_only: true` is known to break the image even with tmpfs.
    pub read_only_ok: bool,
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
    /// For default limits.
    pub kind: Kind,
    /// Where these facts come from (empty without the `docs` feature).
    pub source: &'static str,
}

/// A citation, kept only with the `docs` feature (the browser module leaves it out).
const fn cite(source: &'static str) -> &'static str {
    if cfg!(feature = "docs") { source } else { "" }
}

const DEFAULT: Image = Image {
    name: "",
    repositories: &[],
    tag_contains: None,
    user: None,
    alpine_user: None,
    runs: Runs::Root,
    caps_as_root: &[],
    file_caps: &[],
    safe_user: None,
    writable: &["/tmp"],
    volumes: &[],
    read_only_ok: true,
    file_vars: &[],
    file_suffix: "_FILE",
    sensitive_ports: &[],
    healthcheck: None,
    has_healthcheck: false,
    kind: Kind::Small,
    source: "",
};

/// Capabilities for gosu/su-exec step-down after chowning data owned by another uid.
const STEP_DOWN: &[&str] = &["CHOWN", "DAC_READ_SEARCH", "FOWNER", "SETGID", "SETUID"];

/// The known images. Order matters only for entries with `tag_contains` (they come first).
pub static IMAGES: &[Image] = &[
    // docker-library/postgres 18/trixie/Dockerfile, 18/alpine3.23/Dockerfile,
    // docker-entrypoint.sh; caps: docker-library/postgres#649, londonaicentre/FLIP#617.
    Image {
        name: "postgres",
        repositories: &["postgres"],
        user: Some("999:999"),
        alpine_user: Some("70:70"),
        runs: Runs::RootThenStepsDown,
        caps_as_root: STEP_DOWN,
        writable: &["/var/run/postgresql", "/tmp"],
        volumes: &["/var/lib/postgresql/data", "/var/lib/postgresql"],
        file_vars: &[
            "POSTGRES_PASSWORD",
            "POSTGRES_USER",
            "POSTGRES_DB",
            "POSTGRES_INITDB_ARGS",
        ],
        sensitive_ports: &[5432],
        healthcheck: Some(&["CMD", "pg_isready", "-q"]),
        kind: Kind::Large,
        source: cite(
            "docker-library/postgres@6edb0a8 Dockerfile and docker-entrypoint.sh; docker-library/postgres#649",
        ),
        ..DEFAULT
    },
    // docker-library/mysql 8.4/Dockerfile.oracle, docker-entrypoint.sh.
    Image {
        name: "mysql",
        repositories: &["mysql"],
        user: Some("999:999"),
        runs: Runs::RootThenStepsDown,
        caps_as_root: STEP_DOWN,
        writable: &["/var/run/mysqld", "/tmp"],
        volumes: &["/var/lib/mysql"],
        file_vars: &[
            "MYSQL_ROOT_PASSWORD",
            "MYSQL_ROOT_HOST",
            "MYSQL_DATABASE",
            "MYSQL_USER",
            "MYSQL_PASSWORD",
        ],
        sensitive_ports: &[3306, 33060],
        healthcheck: Some(&["CMD", "mysqladmin", "ping", "-h", "localhost"]),
        kind: Kind::Large,
        source: cite("docker-library/mysql@7f30fdb 8.4/Dockerfile.oracle and docker-entrypoint.sh"),
        ..DEFAULT
    },
    // MariaDB/mariadb-docker 11.8/Dockerfile and docker-entrypoint.sh; read-only config
    // verified in MariaDB/mariadb-docker#554.
    Image {
        name: "mariadb",
        repositories: &["mariadb"],
        user: Some("999:999"),
        runs: Runs::RootThenStepsDown,
        caps_as_root: STEP_DOWN,
        writable: &["/run", "/run/mysqld", "/tmp"],
        volumes: &["/var/lib/mysql"],
        file_vars: &[
            "MARIADB_ROOT_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "MARIADB_ROOT_HOST",
            "MYSQL_ROOT_HOST",
            "MARIADB_DATABASE",
            "MYSQL_DATABASE",
            "MARIADB_USER",
            "MYSQL_USER",
            "MARIADB_PASSWORD",
            "MYSQL_PASSWORD",
            "MARIADB_PASSWORD_HASH",
            "MARIADB_ROOT_PASSWORD_HASH",
            "MARIADB_REPLICATION_USER",
            "MARIADB_REPLICATION_PASSWORD",
            "MARIADB_REPLICATION_PASSWORD_HASH",
            "MARIADB_MASTER_HOST",
            "MARIADB_MASTER_PORT",
            "MARIADB_USER_HOST",
        ],
        sensitive_ports: &[3306],
        healthcheck: Some(&["CMD", "healthcheck.sh", "--connect", "--innodb_initialized"]),
        kind: Kind::Large,
        source: cite(
            "MariaDB/mariadb-docker@1b6429b 11.8/docker-entrypoint.sh; MariaDB/mariadb-docker#287, #554",
        ),
        ..DEFAULT
    },
    // docker-library/mongo 8.0/Dockerfile, docker-entrypoint.sh; caps: depictio/depictio#816.
    Image {
        name: "mongo",
        repositories: &["mongo"],
        user: Some("999:999"),
        runs: Runs::RootThenStepsDown,
        caps_as_root: &["CHOWN", "DAC_OVERRIDE", "SETGID", "SETUID"],
        writable: &["/tmp"],
        volumes: &["/data/db", "/data/configdb"],
        file_vars: &["MONGO_INITDB_ROOT_USERNAME", "MONGO_INITDB_ROOT_PASSWORD"],
        sensitive_ports: &[27017, 27018, 27019],
        healthcheck: Some(&[
            "CMD",
            "mongosh",
            "--quiet",
            "--eval",
            "db.adminCommand('ping').ok",
        ]),
        kind: Kind::Large,
        source: cite(
            "docker-library/mongo@2c69a57 8.0/Dockerfile and docker-entrypoint.sh; depictio/depictio#816",
        ),
        ..DEFAULT
    },
    // redis/docker-library-redis debian/docker-entrypoint.sh (8.x setpriv needs SETUID+SETGID,
    // else it silently stays root); docker-library/redis (7.x gosu).
    Image {
        name: "redis",
        repositories: &["redis"],
        user: Some("999:999"),
        alpine_user: Some("999:1000"),
        runs: Runs::RootThenStepsDown,
        caps_as_root: &["CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"],
        writable: &["/tmp"],
        volumes: &["/data"],
        sensitive_ports: &[6379],
        healthcheck: Some(&["CMD", "redis-cli", "ping"]),
        kind: Kind::Medium,
        source: cite(
            "redis/docker-library-redis@0d55be9 debian/docker-entrypoint.sh; redis/docker-library-redis#109",
        ),
        ..DEFAULT
    },
    // nginxinc/docker-nginx: master stays root and chowns /var/cache/nginx/*_temp to 101,
    // workers switch to nginx (101); the master signals workers (KILL); default port 80.
    Image {
        name: "nginx",
        repositories: &["nginx"],
        user: None,
        runs: Runs::Root,
        caps_as_root: &["CHOWN", "KILL", "NET_BIND_SERVICE", "SETGID", "SETUID"],
        writable: &["/var/cache/nginx", "/var/run", "/tmp"],
        source: cite(
            "nginxinc/docker-nginx@b430bec Dockerfile; docker-library/docs nginx/content.md (read-only); mosamlife/wpmgr#720",
        ),
        ..DEFAULT
    },
    // nginxinc/nginx-unprivileged: USER 101, port 8080, pid and temp paths under /tmp.
    Image {
        name: "nginx-unprivileged",
        repositories: &["nginxinc/nginx-unprivileged"],
        user: Some("101:101"),
        runs: Runs::NonRoot,
        writable: &["/tmp"],
        source: cite("nginxinc/docker-nginx-unprivileged Dockerfile"),
        ..DEFAULT
    },
    // docker-library/httpd: root parent, www-data (33; alpine 82) children; port 80.
    Image {
        name: "httpd",
        repositories: &["httpd"],
        runs: Runs::Root,
        caps_as_root: &["KILL", "NET_BIND_SERVICE", "SETGID", "SETUID"],
        writable: &["/usr/local/apache2/logs", "/tmp"],
        source: cite("docker-library/httpd@9b63b37 Dockerfile and httpd-foreground"),
        ..DEFAULT
    },
    // traefik/traefik-library-image: root, no privilege drop; binds 80/443 inside.
    Image {
        name: "traefik",
        repositories: &["traefik"],
        runs: Runs::Root,
        caps_as_root: &["NET_BIND_SERVICE"],
        writable: &["/tmp"],
        source: cite("traefik/traefik-library-image@6973938 entrypoint.sh; 7PH/n8n-self-hosted#1"),
        ..DEFAULT
    },
    // caddyserver/caddy-docker: setcap cap_net_bind_service=+ep on /usr/bin/caddy, so exec
    // fails without NET_BIND_SERVICE in the bounding set (caddyserver/caddy-docker#466).
    Image {
        name: "caddy",
        repositories: &["caddy"],
        runs: Runs::Root,
        caps_as_root: &["NET_BIND_SERVICE"],
        file_caps: &["NET_BIND_SERVICE"],
        writable: &["/tmp"],
        volumes: &["/data", "/config"],
        source: cite(
            "caddyserver/caddy-docker@62d1326 2.11/alpine/Dockerfile; caddyserver/caddy-docker#466",
        ),
        ..DEFAULT
    },
    // nodejs/docker-node: root by default, user node (1000:1000) provided for `-u node`.
    Image {
        name: "node",
        repositories: &["node"],
        runs: Runs::Root,
        safe_user: Some("node"),
        writable: &["/tmp"],
        source: cite(
            "nodejs/docker-node@f27d936 Dockerfile; docs/BestPractices.md \"Non-root User\"",
        ),
        ..DEFAULT
    },
    // docker-library/python: no user at all; everything is application-defined.
    Image {
        name: "python",
        repositories: &["python"],
        runs: Runs::Root,
        writable: &["/tmp"],
        source: cite("docker-library/python@4f07059 Dockerfile"),
        ..DEFAULT
    },
    // docker-library/wordpress: root entrypoint, apache/fpm workers www-data; port 80.
    Image {
        name: "wordpress",
        repositories: &["wordpress"],
        runs: Runs::Root,
        caps_as_root: &[
            "CHOWN",
            "DAC_OVERRIDE",
            "FOWNER",
            "KILL",
            "NET_BIND_SERVICE",
            "SETGID",
            "SETUID",
        ],
        writable: &["/tmp", "/run"],
        volumes: &["/var/www/html"],
        file_vars: &[
            "WORDPRESS_DB_HOST",
            "WORDPRESS_DB_USER",
            "WORDPRESS_DB_PASSWORD",
            "WORDPRESS_DB_NAME",
            "WORDPRESS_AUTH_KEY",
            "WORDPRESS_SECURE_AUTH_KEY",
            "WORDPRESS_LOGGED_IN_KEY",
            "WORDPRESS_NONCE_KEY",
            "WORDPRESS_AUTH_SALT",
            "WORDPRESS_SECURE_AUTH_SALT",
            "WORDPRESS_LOGGED_IN_SALT",
            "WORDPRESS_NONCE_SALT",
            "WORDPRESS_TABLE_PREFIX",
            "WORDPRESS_DEBUG",
        ],
        kind: Kind::Medium,
        source: cite(
            "docker-library/wordpress@bf223d1 docker-entrypoint.sh and wp-config-docker.php",
        ),
        ..DEFAULT
    },
    // TryGhost/docker-library-ghost: gosu node (1000:1000); port 2368.
    Image {
        name: "ghost",
        repositories: &["ghost"],
        user: Some("1000:1000"),
        runs: Runs::RootThenStepsDown,
        caps_as_root: &["CHOWN", "DAC_READ_SEARCH", "FOWNER", "SETGID", "SETUID"],
        writable: &["/tmp"],
        volumes: &["/var/lib/ghost/content"],
        kind: Kind::Medium,
        source: cite("docker-library/ghost@7edb45d docker-entrypoint.sh"),
        ..DEFAULT
    },
    // nextcloud/docker: root start, su -p www-data / rsync --chown; upgrades need CHOWN
    // (nextcloud/docker#2528); read-only config verified in nextcloud/docker#1028.
    Image {
        name: "nextcloud",
        repositories: &["nextcloud"],
        user: Some("33:33"),
        alpine_user: Some("82:82"),
        runs: Runs::RootThenStepsDown,
        caps_as_root: &[
            "CHOWN",
            "DAC_OVERRIDE",
            "FOWNER",
            "KILL",
            "NET_BIND_SERVICE",
            "SETGID",
            "SETUID",
        ],
        writable: &["/tmp", "/run"],
        volumes: &["/var/www/html"],
        file_vars: &[
            "NEXTCLOUD_ADMIN_USER",
            "NEXTCLOUD_ADMIN_PASSWORD",
            "MYSQL_DATABASE",
            "MYSQL_USER",
            "MYSQL_PASSWORD",
            "POSTGRES_DB",
            "POSTGRES_USER",
            "POSTGRES_PASSWORD",
            "REDIS_HOST_PASSWORD",
            "SMTP_PASSWORD",
            "OBJECTSTORE_S3_KEY",
            "OBJECTSTORE_S3_SECRET",
            "OBJECTSTORE_S3_SSE_C_KEY",
        ],
        kind: Kind::Medium,
        source: cite("nextcloud/docker@4de1eed docker-entrypoint.sh; nextcloud/docker#2528, #1028"),
        ..DEFAULT
    },
    // docker-library/rabbitmq: gosu rabbitmq (999; alpine 100:101); *_FILE variables abort
    // startup since 3.9, so there are none here on purpose.
    Image {
        name: "rabbitmq",
        repositories: &["rabbitmq"],
        user: Some("999:999"),
        alpine_user: Some("100:101"),
        runs: Runs::RootThenStepsDown,
        caps_as_root: STEP_DOWN,
        writable: &["/tmp"],
        volumes: &["/var/lib/rabbitmq"],
        sensitive_ports: &[5672, 15672, 25672, 4369],
        healthcheck: Some(&["CMD", "rabbitmq-diagnostics", "-q", "ping"]),
        kind: Kind::Large,
        source: cite(
            "docker-library/rabbitmq@9193c1d 4.2/ubuntu/docker-entrypoint.sh; docker-library/rabbitmq#710",
        ),
        ..DEFAULT
    },
    // elastic/dockerfiles 9.2: USER 1000:0; read_only breaks the keystore and here-docs
    // (elastic/elasticsearch#95542, #119341, #71157).
    Image {
        name: "elasticsearch",
        repositories: &[
            "elasticsearch",
            "elasticsearch/elasticsearch",
            "elastic/elasticsearch",
        ],
        user: Some("1000:0"),
        runs: Runs::NonRoot,
        writable: &["/tmp"],
        volumes: &["/usr/share/elasticsearch/data"],
        read_only_ok: false,
        file_vars: &["ELASTIC_PASSWORD", "KEYSTORE_PASSWORD"],
        sensitive_ports: &[9200, 9300],
        kind: Kind::Large,
        source: cite(
            "elastic/dockerfiles (9.2) elasticsearch/Dockerfile; elastic/elasticsearch#95542",
        ),
        ..DEFAULT
    },
    // grafana/grafana: USER 472 (group 0); GF_<SECTION>_<KEY>__FILE.
    Image {
        name: "grafana",
        repositories: &[
            "grafana/grafana",
            "grafana/grafana-oss",
            "grafana/grafana-enterprise",
        ],
        user: Some("472:0"),
        runs: Runs::NonRoot,
        writable: &["/tmp"],
        volumes: &["/var/lib/grafana"],
        file_vars: &[
            "GF_SECURITY_ADMIN_PASSWORD",
            "GF_SECURITY_ADMIN_USER",
            "GF_DATABASE_PASSWORD",
            "GF_SECURITY_SECRET_KEY",
        ],
        file_suffix: "__FILE",
        kind: Kind::Medium,
        source: cite("grafana/grafana Dockerfile and packaging/docker/run.sh"),
        ..DEFAULT
    },
    // prometheus/prometheus: USER nobody (65534); writes only /prometheus.
    Image {
        name: "prometheus",
        repositories: &["prom/prometheus"],
        user: Some("65534:65534"),
        runs: Runs::NonRoot,
        writable: &[],
        volumes: &["/prometheus"],
        sensitive_ports: &[9090],
        healthcheck: Some(&[
            "CMD",
            "wget",
            "-q",
            "--spider",
            "http://localhost:9090/-/healthy",
        ]),
        source: cite("prometheus/prometheus@d15adb9 Dockerfile"),
        ..DEFAULT
    },
    // docker-library/memcached: USER memcache (11211); no file system writes.
    Image {
        name: "memcached",
        repositories: &["memcached"],
        user: Some("11211:11211"),
        runs: Runs::NonRoot,
        writable: &[],
        sensitive_ports: &[11211],
        kind: Kind::Medium,
        source: cite("docker-library/memcached@53ac0ec Dockerfile"),
        ..DEFAULT
    },
    // minio/minio: root, no privilege drop; writes ${HOME}/.minio (minio/minio#14763).
    Image {
        name: "minio",
        repositories: &["minio/minio", "quay.io/minio/minio"],
        runs: Runs::Root,
        writable: &["/tmp", "/root/.minio"],
        volumes: &["/data"],
        file_vars: &["MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"],
        kind: Kind::Large,
        source: cite(
            "minio/minio@7aac2a2 Dockerfile.release and cmd/common-main.go; minio/minio#14763",
        ),
        ..DEFAULT
    },
    // keycloak/keycloak: USER 1000; `start` without --optimized rebuilds into lib/.
    Image {
        name: "keycloak",
        repositories: &[
            "quay.io/keycloak/keycloak",
            "keycloak/keycloak",
            "jboss/keycloak",
        ],
        user: Some("1000:0"),
        runs: Runs::NonRoot,
        read_only_ok: false,
        writable: &["/tmp", "/opt/keycloak/data"],
        kind: Kind::Medium,
        source: cite(
            "keycloak/keycloak quarkus/container/Dockerfile and quarkus/dist/src/main/content/bin/kc.sh",
        ),
        ..DEFAULT
    },
    // go-gitea/gitea Dockerfile.rootless: USER 1000:1000, SSH on 2222.
    Image {
        name: "gitea-rootless",
        repositories: &["gitea/gitea", "docker.gitea.com/gitea"],
        tag_contains: Some("rootless"),
        user: Some("1000:1000"),
        runs: Runs::NonRoot,
        writable: &["/tmp"],
        volumes: &["/var/lib/gitea", "/etc/gitea"],
        file_suffix: "__FILE",
        kind: Kind::Medium,
        source: cite("go-gitea/gitea Dockerfile.rootless"),
        ..DEFAULT
    },
    // go-gitea/gitea rootful: s6 + sshd + su-exec; rewrites /etc/passwd at start.
    Image {
        name: "gitea",
        repositories: &["gitea/gitea", "docker.gitea.com/gitea"],
        user: Some("1000:1000"),
        runs: Runs::RootThenStepsDown,
        caps_as_root: &[
            "AUDIT_WRITE",
            "CHOWN",
            "DAC_OVERRIDE",
            "FOWNER",
            "NET_BIND_SERVICE",
            "SETGID",
            "SETUID",
            "SYS_CHROOT",
        ],
        read_only_ok: false,
        volumes: &["/data"],
        sensitive_ports: &[22],
        file_suffix: "__FILE",
        kind: Kind::Medium,
        source: cite(
            "go-gitea/gitea docker/root/usr/bin/entrypoint and docker/root/etc/s6/gitea/setup",
        ),
        ..DEFAULT
    },
    // dani-garcia/vaultwarden: root, ROCKET_PORT=80, image HEALTHCHECK; every var has _FILE.
    Image {
        name: "vaultwarden",
        repositories: &["vaultwarden/server"],
        runs: Runs::Root,
        caps_as_root: &["NET_BIND_SERVICE"],
        writable: &["/tmp"],
        volumes: &["/data"],
        file_vars: &[
            "ADMIN_TOKEN",
            "DATABASE_URL",
            "SMTP_PASSWORD",
            "PUSH_INSTALLATION_KEY",
            "YUBICO_SECRET_KEY",
        ],
        has_healthcheck: true,
        source: cite("dani-garcia/vaultwarden@46d7110 docker/Dockerfile.debian and src/util.rs"),
        ..DEFAULT
    },
    // TimWolla/docker-adminer: USER adminer 100:101 since 4.17.1 (a database admin UI).
    Image {
        name: "adminer",
        repositories: &["adminer"],
        user: Some("100:101"),
        runs: Runs::NonRoot,
        writable: &["/tmp"],
        read_only_ok: false,
        sensitive_ports: &[8080],
        source: cite("TimWolla/docker-adminer@7088bf0 Dockerfile; TimWolla/docker-adminer#183"),
        ..DEFAULT
    },
];

/// An image reference split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry host, if one was written (`ghcr.io`, `localhost:5000`).
    pub registry: Option<String>,
    /// The repository path without the registry (`library/` stripped for Docker Hub).
    pub repository: String,
    /// The tag, if any.
    pub tag: Option<String>,
    /// The digest (`sha256:...`), if any.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses `[registry/]path[:tag][@digest]`. None for an empty or interpolated repository.
    pub fn parse(reference: &str) -> Option<ImageRef> {
        let reference = reference.trim();
        let (rest, digest) = match reference.split_once('@') {
            Some((r, d)) => (r, Some(d.to_owned())),
            None => (reference, None),
        };
        let (registry, path) = match rest.split_once('/') {
            Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => {
                (Some(first.to_ascii_lowercase()), path)
            }
            _ => (None, rest),
        };
        // The registry is gone, so the first `:` starts the tag (which may hold `${VAR:-x}`).
        let (path, tag) = match path.split_once(':') {
            Some((p, t)) if !t.contains('/') || t.contains('$') => (p, Some(t.to_owned())),
            _ => (path, None),
        };
        if path.is_empty() || path.contains('$') {
            return None;
        }
        let hub = matches!(
            registry.as_deref(),
            None | Some("docker.io" | "index.docker.io" | "registry-1.docker.io" | "mirror.gcr.io")
        );
        let mut repository = path.to_ascii_lowercase();
        if hub && let Some(stripped) = repository.strip_prefix("library/") {
            repository = stripped.to_owned();
        }
        Some(ImageRef {
            registry: if hub { None } else { registry },
            repository,
            tag,
            digest,
        })
    }

    /// The repository as written with its registry, for matching non-Hub names.
    fn full(&self) -> String {
        match &self.registry {
            Some(r) => format!("{r}/{}", self.repository),
            None => self.repository.clone(),
        }
    }

    /// True for no tag or `latest` (and no digest).
    pub fn is_floating(&self) -> bool {
        self.digest.is_none() && self.tag.as_deref().is_none_or(|t| t == "latest")
    }

    /// True when the tag names an Alpine variant.
    pub fn is_alpine(&self) -> bool {
        self.tag.as_deref().is_some_and(|t| t.contains("alpine"))
    }
}

/// A known image matched against a reference, with the facts that depend on the tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// The entry.
    pub image: &'static Image,
    /// The image's user for this tag (`uid:gid`), None when root or unknown for this tag.
    pub user: Option<&'static str>,
}

impl Known {
    /// The capabilities the image needs with `cap_drop: [ALL]`, given whether it starts as root.
    pub fn needed_caps(&self, as_root: bool) -> &'static [&'static str] {
        if as_root {
            self.image.caps_as_root
        } else {
            self.image.file_caps
        }
    }
}

/// Finds what composeguard knows about an image reference.
pub fn lookup(reference: &str) -> Option<Known> {
    let parsed = ImageRef::parse(reference)?;
    let full = parsed.full();
    let tag = parsed.tag.as_deref().unwrap_or("");
    let image = IMAGES.iter().find(|image| {
        let name_matches = image
            .repositories
            .iter()
            .any(|r| *r == parsed.repository || *r == full);
        name_matches && image.tag_contains.is_none_or(|t| tag.contains(t))
    })?;
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
    fn references_are_parsed_like_docker_does() {
        let r = ImageRef::parse("docker.io/library/postgres:16-alpine@sha256:abc").unwrap();
        assert_eq!(r.registry, None);
        assert_eq!(r.repository, "postgres");
        assert_eq!(r.tag.as_deref(), Some("16-alpine"));
        assert_eq!(r.digest.as_deref(), Some("sha256:abc"));
        let r = ImageRef::parse("localhost:5000/team/app").unwrap();
        assert_eq!(
            (r.registry.as_deref(), r.repository.as_str(), r.tag),
            (Some("localhost:5000"), "team/app", None)
        );
        assert!(ImageRef::parse("${IMAGE}").is_none());
        assert!(ImageRef::parse("nginx").unwrap().is_floating());
        assert!(ImageRef::parse("nginx:latest").unwrap().is_floating());
        assert!(!ImageRef::parse("nginx@sha256:abc").unwrap().is_floating());
    }

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
        assert!(lookup("bitnami/postgresql:16").is_none());
        assert!(lookup("ghcr.io/someone/postgres:16").is_none());
        assert!(lookup("example/app:1").is_none());
    }

    #[test]
    fn every_entry_cites_a_source_and_is_consistent() {
        for image in IMAGES {
            assert!(
                !cfg!(feature = "docs") || !image.source.is_empty(),
                "{} has no source",
                image.name
            );
            assert!(!image.repositories.is_empty());
            if image.runs == Runs::NonRoot {
                assert!(image.caps_as_root.is_empty(), "{}", image.name);
                assert!(image.user.is_some(), "{}", image.name);
            }
            let mut caps = image.caps_as_root.to_vec();
            caps.sort_unstable();
            assert_eq!(caps, image.caps_as_root, "{}: keep caps sorted", image.name);
        }
    }
}
