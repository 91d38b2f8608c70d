//! The semantic validator itself: it accepts good files and finds each class of problem.

use composeguard_tests::{new_problems, problems};

/// The problems of a one-service file whose service body is `body` (indented by 4).
fn of(body: &str) -> Vec<String> {
    let body: String = body.lines().map(|l| format!("    {l}\n")).collect();
    let text = format!("services:\n  app:\n    image: nginx:1.27\n{body}");
    problems(&text)
        .unwrap()
        .iter()
        .map(|p| format!("{}: {}", p.key, p.message))
        .collect()
}

#[track_caller]
fn good(body: &str) {
    assert_eq!(of(body), Vec::<String>::new(), "{body}");
}

#[track_caller]
fn bad(body: &str, expected: &str) {
    let found = of(body);
    assert!(
        found.iter().any(|p| p.contains(expected)),
        "expected `{expected}` for\n{body}\nfound {found:#?}"
    );
}

#[test]
fn a_hardened_service_is_clean() {
    good(
        "cap_drop: [ALL]
cap_add: [chown, CAP_SETUID, net_bind_service]
security_opt: [no-new-privileges:true, 'seccomp=unconfined', apparmor:docker-default, label=disable]
read_only: true
tmpfs: ['/run:noexec,nosuid,size=64m', '/tmp:size=10%']
volumes: [data:/data, ./conf:/etc/nginx/conf.d:ro, {type: tmpfs, target: /cache, tmpfs: {size: 1g}}]
mem_limit: 512m
memswap_limit: 1g
shm_size: '64mb'
cpus: 0.5
pids_limit: 100
ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}
healthcheck: {test: [CMD, true], interval: 1m30s, timeout: 10s, start_period: 500ms}
stop_grace_period: 1h2m3.5s
ports: ['127.0.0.1:80:80', '[::1]:443:443', '8080', '9000-9001:9000-9001/udp', {target: 53, host_ip: '::1'}]
logging: {driver: json-file, options: {max-size: 10m, max-file: '3'}}
deploy: {resources: {limits: {memory: 512M, cpus: '0.5', pids: 100}}}
command:
user: '1000:1000'",
    );
}

#[test]
fn capability_names() {
    bad("cap_add: [NET_BIND]", "cap_add: not a Linux capability");
    bad("cap_drop: [CAP_ALL]", "cap_drop: not a Linux capability");
    bad("cap_add: [1]", "cap_add: not a string");
    good("cap_add: [all, Cap_Chown, BPF, CHECKPOINT_RESTORE]");
}

#[test]
fn duplicates() {
    bad("cap_add: [CHOWN, CHOWN]", "cap_add: duplicate item");
    bad(
        "security_opt: [no-new-privileges:true, no-new-privileges:true]",
        "duplicate",
    );
    bad("dns: [1.1.1.1, 1.1.1.1]", "dns: duplicate");
    bad(
        "tmpfs: [/run, /run:size=1m]",
        "2 mounts at the same container path",
    );
    bad(
        "tmpfs: [/tmp]\nvolumes: [tmp:/tmp/]",
        "2 mounts at the same container path",
    );
    bad(
        "volumes: [{type: tmpfs, target: /run}]\ntmpfs: /run",
        "2 mounts at the same",
    );
    good("tmpfs: [/run, /tmp]\nvolumes: [run:/run2]");
}

#[test]
fn sizes_durations_numbers() {
    bad("mem_limit: 512 megs", "mem_limit: not a Docker byte size");
    bad("mem_limit: 1.5.3g", "not a Docker byte size");
    bad("shm_size: -5", "shm_size: not a byte count");
    bad("tmpfs: ['/run:size=64mb']", "size= is not a tmpfs size");
    bad(
        "logging: {driver: json-file, options: {max-size: 10 MB!}}",
        "max-size: not a Docker byte size",
    );
    bad(
        "deploy: {resources: {limits: {memory: lots}}}",
        "limits.memory: not a Docker byte size",
    );
    bad(
        "healthcheck: {interval: 30 s}",
        "healthcheck.interval: not a Go duration",
    );
    bad(
        "healthcheck: {timeout: 1d}",
        "healthcheck.timeout: not a Go duration",
    );
    bad(
        "stop_grace_period: '10'",
        "stop_grace_period: not a Go duration",
    );
    good(
        "stop_grace_period: '0'\nhealthcheck: {interval: 1.5h, timeout: 300ms, start_period: 2us}",
    );
    bad("cpus: 0", "cpus: not a positive decimal");
    bad("cpus: -1", "cpus: not a positive decimal");
    bad("cpus: 'half'", "cpus: not a positive decimal");
    bad("pids_limit: 1.5", "pids_limit: not an integer");
    bad(
        "ulimits: {nofile: {soft: 4096, hard: 1024}}",
        "ulimits.nofile: soft is above hard",
    );
    bad(
        "ulimits: {nofile: {soft: 4096}}",
        "ulimits.nofile: needs soft and hard",
    );
    bad("ulimits: {nofile: many}", "ulimits.nofile: not an integer");
    bad("mem_limit: 1m", "below the engine's 6 MiB minimum");
    bad(
        "mem_limit: 1g\nmemswap_limit: 512m",
        "memswap_limit: below mem_limit",
    );
    bad("memswap_limit: 1g", "memswap_limit: without a memory limit");
    good("mem_limit: 1g\nmemswap_limit: -1");
}

#[test]
fn conflicting_keys() {
    bad("cpus: 1\ncpu_quota: 50000", "cpus+cpu_quota");
    bad("cpus: 1\ncpu_period: 100000", "cpus+cpu_period");
    bad(
        "cpu_quota: 50000\ndeploy: {resources: {limits: {cpus: '1'}}}",
        "cpus+cpu_quota",
    );
    bad(
        "mem_limit: 1g\ndeploy: {resources: {limits: {memory: 512m}}}",
        "mem_limit+deploy.resources.limits.memory",
    );
    good("mem_limit: 1g\ndeploy: {resources: {limits: {memory: 1024m}}}");
    bad(
        "pids_limit: 10\ndeploy: {resources: {limits: {pids: 20}}}",
        "pids_limit+deploy.resources.limits.pids",
    );
    good("cpu_quota: 50000\ncpu_period: 100000");
}

#[test]
fn ports_and_addresses() {
    bad("ports: ['127.0.0.300:80:80']", "host IP");
    bad("ports: ['localhost:80:80']", "host IP");
    bad("ports: ['[127.0.0.1]:[::]:80:80']", "host IP");
    bad("ports: ['80:http']", "container port");
    bad("ports: [{target: 80, host_ip: '[::1]'}]", "ports.host_ip");
    good("ports: ['[::]:5432:5432', '::1:80:80', '0.0.0.0:53:53/udp', 80]");
}

#[test]
fn nulls_and_types() {
    bad(
        "security_opt:",
        "security_opt: null where the schema needs a value",
    );
    bad("cap_add: ~", "cap_add: null");
    bad("tmpfs:", "tmpfs: null");
    bad(
        "logging: {driver: [json-file]}",
        "logging.driver: not a string",
    );
    bad(
        "logging: {driver: json-file, options: [max-size=1m]}",
        "logging.options: not a mapping",
    );
    bad("read_only: 'yes'", "read_only: not a boolean");
    bad(
        "security_opt: [no-new-privileges:yes]",
        "no-new-privileges takes a boolean",
    );
    bad("security_opt: [nnp]", "not key:value");
    bad(
        "security_opt: [seccom:unconfined]",
        "unknown security option",
    );
    good("volumes: !reset null\nentrypoint:\ndeploy:");
    bad(
        "logging: {driver: }",
        "logging.driver: null where the schema needs a value",
    );
    bad(
        "deploy: {resources: {limits: {memory: }}}",
        "deploy.resources.limits.memory: null where the schema needs a value",
    );
    bad(
        "deploy: {resources: {limits: }}",
        "deploy.resources.limits: null",
    );
    bad(
        "ulimits: {nofile: }",
        "ulimits.nofile: null where the schema needs a value",
    );
    bad("healthcheck: {interval: }", "healthcheck.interval: null");
}

#[test]
fn merges_and_extends_are_resolved() {
    // A merged anchor: the alias's duplicate tmpfs path is the service's own.
    let text = "x-c: &c {tmpfs: [/run]}
services:
  db:
    <<: *c
    image: postgres:17
    volumes: [pg:/run]
";
    let found = problems(text).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].service, "db");
    assert_eq!(found[0].key, "volumes+tmpfs");
    // extends: the base's cap_add and the service's are one list; identical items are merged
    // (compose-go drops an exact repeat), a second mount at /tmp is not.
    let text = "services:
  base:
    image: alpine:3
    cap_add: [CHOWN]
    tmpfs: [/tmp]
  app:
    extends: base
    cap_add: [CHOWN, SETUID]
    tmpfs: ['/tmp:size=1m']
";
    let found = problems(text).unwrap();
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        (found[0].service.as_str(), found[0].key.as_str()),
        ("app", "volumes+tmpfs")
    );
    // A chain: c extends b extends a; a's null security_opt reaches c.
    let text = "services:
  a: {image: x, security_opt: [bogus]}
  b: {extends: a}
  c: {extends: {service: b}}
";
    let services: Vec<String> = problems(text)
        .unwrap()
        .into_iter()
        .map(|p| p.service)
        .collect();
    assert_eq!(services, ["a", "b", "c"]);
}

#[test]
fn new_problems_are_only_the_outputs_own() {
    let before = "services:\n  a:\n    image: x\n    cap_add: [BOGUS]\n";
    let after =
        "services:\n  a:\n    image: x\n    cap_add: [BOGUS, CHOWN, CHOWN]\n    cap_drop: [ALL]\n";
    let new = new_problems(before, after).unwrap();
    assert_eq!(new.len(), 1, "{new:#?}");
    assert!(new[0].to_string().contains("duplicate item"), "{}", new[0]);
    assert!(new_problems(before, before).unwrap().is_empty());
    // Later documents are told apart.
    let two = "services:\n  a: {image: x}\n---\nservices:\n  a: {image: x, cpus: 0}\n";
    assert_eq!(problems(two).unwrap()[0].service, "a#1");
}

#[test]
fn an_extends_cycle_is_one_problem_not_a_pile_of_duplicates() {
    let text = "services:
  a:
    image: x
    extends: b
    security_opt: [no-new-privileges:true]
  b:
    extends: a
  self:
    image: y
    extends: self
    cap_add: [CHOWN]
";
    let found: Vec<String> = problems(text)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(
        found.iter().all(|p| p.contains("the extends chain loops")),
        "{found:#?}"
    );
}
