//! A proptest generator of the hostile forms of Compose files: empty and single-item flow
//! lists, commented items, tagged keys, an anchored node shared by services of different
//! images, same-file `extends` chains, `user: ""`, CPU quotas, IPv6 publishes. The property
//! tests of `composeguard` and the engine oracle both draw from it.

use proptest::prelude::*;

/// One piece of a hostile service: YAML lines (at the service's indentation, `{i}` one step
/// of it) that set one key.
pub const PIECES: &[&str] = &[
    "cap_add: []",
    "cap_add: [ ]",
    "cap_add: [CHOWN]",
    "cap_drop: []",
    "cap_drop: [ NET_RAW ]",
    "cap_drop:\n{i}- NET_RAW\n{i}# - MKNOD",
    "tmpfs: []",
    "tmpfs: /run",
    "tmpfs: [/run]",
    "tmpfs:\n{i}- /tmp",
    "security_opt: []",
    "security_opt: [apparmor:docker-default]",
    "security_opt: [seccomp:unconfined]",
    "security_opt:\n{i}- seccomp=unconfined",
    "security_opt:\n{i}- label:disable\n{i}# - no-new-privileges:false",
    "ports: []",
    "ports: [\"[::]:5432:5432\"]",
    "ports:\n{i}- \"80:80\"\n{i}# - \"443:443\"",
    "ports:\n{i}- target: 80\n{i}  published: \"8080\"\n{i}  host_ip: \"::\"",
    "ports:\n{i}- \"0.0.0.0:5433:5432\"",
    "user: \"\"",
    "user: \"00\"",
    "user: root",
    "cpu_quota: 50000",
    "cpu_period: 100000",
    "cpus: 0.5",
    "mem_limit: 256m",
    "read_only: true",
    "read_only: false",
    "logging:\n{i}driver: local",
    "logging: {driver: json-file}",
    "!!str environment:\n{i}LOG_LEVEL: info",
    "healthcheck: {test: [CMD, \"true\"], interval: 30s}",
];

#[derive(Debug, Clone)]
pub struct Hostile {
    pub image: &'static str,
    /// `!!str image:` instead of `image:`.
    pub tagged_image: bool,
    /// Merges the shared anchor (0: no, 1: `<<: *c`, 2: `!!merge <<: *c`).
    pub merge: u8,
    /// Extends the previous service (same file).
    pub extends: bool,
    pub pieces: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct HostileDoc {
    pub indent: usize,
    /// The shared anchored node: 0 none, 1 flow `{tmpfs: [/run]}`, 2 block, 3 with cap_add too.
    anchor: u8,
    crlf: bool,
    services: Vec<Hostile>,
}

pub fn hostile_service() -> impl Strategy<Value = Hostile> {
    (
        prop::sample::select(vec![
            "postgres:17",
            "nginx:1.27",
            "redis:7.4-alpine",
            "example/app:1",
            "python:3.13-slim",
        ]),
        prop::bool::weighted(0.2),
        0u8..3,
        prop::bool::weighted(0.3),
        prop::collection::btree_set(0..PIECES.len(), 0..5),
    )
        .prop_map(|(image, tagged_image, merge, extends, pieces)| Hostile {
            image,
            tagged_image,
            merge,
            extends,
            // One piece per key: a YAML mapping must not repeat one.
            pieces: pieces.into_iter().fold(Vec::<usize>::new(), |mut kept, p| {
                let key = |i: usize| PIECES[i].split(':').next().unwrap().to_owned();
                if !kept.iter().any(|&k| key(k) == key(p)) {
                    kept.push(p);
                }
                kept
            }),
        })
}

pub fn hostile_doc() -> impl Strategy<Value = HostileDoc> {
    (
        prop::sample::select(vec![2usize, 4]),
        0u8..4,
        any::<bool>(),
        prop::collection::vec(hostile_service(), 1..5),
    )
        .prop_map(|(indent, anchor, crlf, services)| HostileDoc {
            indent,
            anchor,
            crlf,
            services,
        })
}

pub fn render_hostile(d: &HostileDoc) -> String {
    let i = " ".repeat(d.indent);
    let mut out = String::from("# hostile\n");
    match d.anchor {
        1 => out.push_str("x-common: &c {tmpfs: [/run]}\n"),
        2 => out.push_str(&format!("x-common: &c\n{i}tmpfs:\n{i}{i}- /run\n")),
        3 => out.push_str(&format!(
            "x-common: &c\n{i}tmpfs: [/run] # shared\n{i}cap_add: [CHOWN]\n"
        )),
        _ => {}
    }
    out.push_str("services:\n");
    for (n, s) in d.services.iter().enumerate() {
        let ii = format!("{i}{i}");
        out.push_str(&format!("{i}s{n}:\n"));
        match s.merge {
            1 if d.anchor > 0 => out.push_str(&format!("{ii}<<: *c\n")),
            2 if d.anchor > 0 => out.push_str(&format!("{ii}!!merge <<: *c\n")),
            _ => {}
        }
        let tag = if s.tagged_image { "!!str " } else { "" };
        out.push_str(&format!("{ii}{tag}image: {}\n", s.image));
        if s.extends && n > 0 {
            out.push_str(&format!("{ii}extends: s{}\n", n - 1));
        }
        for &p in &s.pieces {
            let piece = PIECES[p].replace("{i}", &format!("{ii}{i}"));
            out.push_str(&format!("{ii}{piece}\n"));
        }
    }
    if d.crlf {
        out.replace('\n', "\r\n")
    } else {
        out
    }
}
