//! Values the rules write and the lists they judge by, with defaults a production stack can
//! live with. Every field can be changed by the caller (the CLI reads them from its flags).

use crate::images::SizeClass;

/// Resource limits for one kind of service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceLimits {
    /// `deploy.resources.limits.memory` (e.g. `512M`).
    pub memory: String,
    /// `deploy.resources.limits.cpus` (written quoted, e.g. `"1.0"`).
    pub cpus: String,
    /// `deploy.resources.limits.pids`.
    pub pids: u32,
}

/// Values used by fixes. Every field has a sensible default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `max-size` written by the log-rotation fix (json-file syntax, e.g. `10m`).
    pub log_max_size: String,
    /// `max-file` written by the log-rotation fix (a count, written as a quoted string).
    pub log_max_file: String,
    /// Limits for ordinary services and unknown images.
    pub limits_small: ServiceLimits,
    /// Limits for caches and heavier applications (redis, nextcloud, keycloak, grafana, ...).
    pub limits_medium: ServiceLimits,
    /// Limits for databases, search engines, brokers and object stores.
    pub limits_large: ServiceLimits,
    /// Size of each tmpfs the read-only fix adds.
    pub tmpfs_size: String,
    /// `ulimits.nofile` (soft = hard) that CG304 writes; None (the default) writes none: a
    /// value above the daemon's own hard limit makes the Engine refuse to start the container
    /// ("error setting rlimit type 7: operation not permitted"), and only the operator knows
    /// that limit.
    pub nofile: Option<u32>,
    /// `ulimits.nproc` (soft = hard) that CG304 writes; None (the default) writes none: it
    /// counts every process of the uid on the host, and above the daemon's limit the Engine
    /// refuses it too.
    pub nproc: Option<u32>,
    /// Container or host ports that must not be published on every interface.
    pub sensitive_ports: Vec<u16>,
    /// Parts of a variable name that mark it as a secret (case-insensitive; a leading `_`
    /// also matches the bare word, so `_PASS` matches `PASS` and `DB_PASS`).
    pub secret_patterns: Vec<String>,
    /// Name endings that are never secrets (`_FILE`, `_PATH`, ...), checked first.
    pub secret_exclude_suffixes: Vec<String>,
    /// Where CG601 moves literals that the image cannot read from a file (off by default).
    pub secrets_env_file: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            log_max_size: "10m".into(),
            log_max_file: "3".into(),
            limits_small: ServiceLimits {
                memory: "512M".into(),
                cpus: "1.0".into(),
                pids: 512,
            },
            limits_medium: ServiceLimits {
                memory: "1G".into(),
                cpus: "1.0".into(),
                pids: 512,
            },
            limits_large: ServiceLimits {
                memory: "2G".into(),
                cpus: "2.0".into(),
                pids: 2048,
            },
            tmpfs_size: "64m".into(),
            nofile: None,
            nproc: None,
            sensitive_ports: vec![
                22, 23, 135, 139, 445, 1433, 1521, 2375, 2376, 2379, 2380, 3306, 3389, 4369, 5432,
                5672, 5900, 5984, 6379, 6443, 7000, 7001, 8086, 9042, 9200, 9300, 10250, 11211,
                15672, 25672, 27017, 27018, 27019, 33060,
            ],
            secret_patterns: [
                "PASSWORD",
                "PASSWD",
                "PASSPHRASE",
                "SECRET",
                "TOKEN",
                "API_KEY",
                "APIKEY",
                "PRIVATE_KEY",
                "ACCESS_KEY",
                "AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "SALT",
                "CREDENTIAL",
                "_PASS",
                "_PWD",
            ]
            .map(String::from)
            .to_vec(),
            secret_exclude_suffixes: [
                "_FILE",
                "_PATH",
                "_DIR",
                "_URL",
                "_URI",
                "_HOST",
                "_PORT",
                "_USER",
                "_USERNAME",
                "_LENGTH",
                "_EXPIRY",
                "_EXPIRES",
                "_TTL",
                "_TYPE",
                "_ALGORITHM",
                "_ENABLED",
                "_REQUIRED",
                "_POLICY",
            ]
            .map(String::from)
            .to_vec(),
            secrets_env_file: None,
        }
    }
}

impl Settings {
    /// The limits for a kind of service.
    pub fn limits(&self, kind: SizeClass) -> &ServiceLimits {
        match kind {
            SizeClass::Small => &self.limits_small,
            SizeClass::Medium => &self.limits_medium,
            SizeClass::Large => &self.limits_large,
        }
    }
}

/// Where the file will be deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// `docker compose up` (Compose v2).
    #[default]
    Compose,
    /// `docker stack deploy`: only forms Swarm accepts (it ignores `security_opt`, drops
    /// service-level `tmpfs`, discards host IPs of published ports, forbids `mem_limit`).
    Swarm,
}

/// A named set of rules, from the smallest to the largest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Preset {
    /// Low-risk controls: capabilities, privileges, confinement, logs, exposure of sensitive
    /// ports, image tags, obsolete keys.
    Baseline,
    /// Every rule but the pedantic report-only ones (CG402 other public ports, CG403 ports
    /// below 1024, CG702 digests).
    #[default]
    Recommended,
    /// Every rule.
    Strict,
}

impl Preset {
    /// True when the preset includes the rule (its metadata names the smallest preset that
    /// does; presets are nested).
    pub fn includes(self, rule: &crate::rule::RuleMeta) -> bool {
        rule.preset <= self
    }

    /// Parses `baseline`, `recommended` or `strict`.
    pub fn parse(name: &str) -> Option<Preset> {
        match name.to_ascii_lowercase().as_str() {
            "baseline" => Some(Preset::Baseline),
            "recommended" => Some(Preset::Recommended),
            "strict" => Some(Preset::Strict),
            _ => None,
        }
    }
}
