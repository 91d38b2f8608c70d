//! The image data files: every one passes build.rs's checks, the checks reject what
//! `images/README.md` forbids (with a message that says what to write), and the compiled
//! table is consistent with the files.

#[allow(dead_code)]
#[path = "../build/image_data.rs"]
mod image_data;

use std::path::Path;

use composeguard::images::{IMAGES, Runs};

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("images")
}

#[test]
fn every_data_file_is_valid() {
    let entries = image_data::load(&dir()).unwrap_or_else(|e| panic!("{}", e.join("\n")));
    assert_eq!(entries.len(), image_data::files(&dir()).len());
    assert_eq!(entries.len(), IMAGES.len(), "the table holds every file");
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    let table: Vec<&str> = IMAGES.iter().map(|i| i.name).collect();
    assert_eq!(names, table, "the table keeps the files' order");
}

/// The fields a source may name, as the table holds them: (name, set in this entry).
fn set_facts(i: &composeguard::images::Image) -> Vec<(&'static str, bool)> {
    vec![
        ("user", i.user.is_some()),
        ("alpine_user", i.alpine_user.is_some()),
        ("caps_as_root", i.caps_as_root.is_some()),
        ("file_caps", i.file_caps.is_some()),
        ("safe_user", i.safe_user.is_some()),
        ("writable", i.writable.is_some()),
        ("tmpfs_exec", !i.tmpfs_exec.is_empty()),
        ("volumes", !i.volumes.is_empty()),
        ("read_only", i.read_only_ok.is_some()),
        ("no_new_privileges", i.no_new_privileges.is_some()),
        ("file_vars", !i.file_vars.is_empty()),
        ("sensitive_ports", !i.sensitive_ports.is_empty()),
        ("healthcheck", i.healthcheck.is_some()),
        ("has_healthcheck", i.has_healthcheck),
        ("size", i.size.is_some()),
        ("path_vars", !i.path_vars.is_empty()),
    ]
}

#[test]
fn every_entry_cites_its_facts_and_is_consistent() {
    for image in IMAGES {
        let name = image.name;
        if image.family {
            assert!(
                !image.prefixes.is_empty(),
                "{name}: a family needs prefixes"
            );
        } else {
            assert!(!image.repositories.is_empty(), "{name}: needs repositories");
        }
        if image.runs == Runs::NonRoot {
            assert!(image.caps_as_root.unwrap_or(&[]).is_empty(), "{name}");
            assert!(image.user.is_some(), "{name}");
        }
        for caps in [image.caps_as_root, image.file_caps].into_iter().flatten() {
            assert!(caps.is_sorted(), "{name}: keep caps sorted");
        }
        if image.read_only_ok == Some(false) {
            assert!(image.read_only_why.is_some(), "{name}: say why");
        }
        if image.no_new_privileges == Some(false) {
            assert!(image.no_new_privileges_why.is_some(), "{name}: say why");
        }
        if cfg!(feature = "docs") {
            assert!(!image.sources.is_empty(), "{name} has no source");
            let named = |fact: &str| image.sources.iter().any(|s| s.facts.contains(&fact));
            assert!(named("start"), "{name}: start is not cited");
            for (fact, set) in set_facts(image) {
                assert!(!set || named(fact), "{name}: {fact} is not cited");
            }
        } else {
            assert!(image.sources.is_empty(), "citations only with docs");
        }
    }
}

/// A valid file to break one line at a time.
const VALID: &str = r#"
name = "example"
kind = "image"
repositories = ["example/app"]
start = "root-then-step-down"
user = "999:999"
caps_as_root = ["CHOWN", "SETGID", "SETUID"]
writable = ["/tmp"]
read_only = true

[[source]]
facts = ["start", "user", "caps_as_root", "writable", "read_only"]
ref = "example/app@0123abc:Dockerfile"
how = "source"
"#;

fn errors(text: &str) -> String {
    match image_data::parse(text) {
        Ok(_) => String::new(),
        Err(e) => e.join("\n"),
    }
}

#[test]
fn the_example_and_a_family_are_valid() {
    assert_eq!(errors(VALID), "");
    let family = r#"
name = "linuxserver"
kind = "family"
prefixes = ["lscr.io/linuxserver/", "ghcr.io/linuxserver/", "linuxserver/"]
start = "s6-overlay"
writable = ["/run", "/tmp"]
tmpfs_exec = ["/run"]
path_vars = ["PUID", "PGID"]
no_new_privileges = false
no_new_privileges_why = "s6-overlay's init uses a setuid helper"
size = "medium"

[[source]]
facts = ["start", "writable", "tmpfs_exec", "path_vars", "no_new_privileges", "size"]
ref = "https://docs.linuxserver.io/general/understanding-puid-and-pgid/"
how = "docs"
"#;
    assert_eq!(errors(family), "");
}

#[test]
fn broken_files_are_rejected_with_what_to_write() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "read_only = true",
            "read_only = true\ncolour = \"red\"",
            "unknown field `colour`",
        ),
        (
            "start = \"root-then-step-down\"",
            "start = \"sometimes\"",
            "unknown variant `sometimes`",
        ),
        (
            "how = \"source\"",
            "how = \"hearsay\"",
            "unknown variant `hearsay`",
        ),
        (
            "kind = \"image\"",
            "kind = \"family\"",
            "a family needs `prefixes",
        ),
        (
            "[\"CHOWN\", \"SETGID\", \"SETUID\"]",
            "[\"SETUID\", \"CHOWN\"]",
            "caps_as_root: keep it sorted",
        ),
        (
            "[\"CHOWN\", \"SETGID\", \"SETUID\"]",
            "[\"CAP_CHOWN\"]",
            "`CAP_CHOWN` is not a capability name",
        ),
        (
            "user = \"999:999\"",
            "user = \"postgres\"",
            "user: `postgres` must be uid:gid",
        ),
        (
            "writable = [\"/tmp\"]",
            "writable = [\"tmp\"]",
            "`tmp` is not an absolute path",
        ),
        (
            "read_only = true",
            "read_only = false",
            "read_only = false needs `read_only_why",
        ),
        (
            "\"example/app\"",
            "\"docker.io/example/app\"",
            "without `docker.io/`",
        ),
        ("\"example/app\"", "\"example/app:1\"", "or a tag"),
        (
            "0123abc:Dockerfile",
            "main:Dockerfile",
            "owner/repo@commit:path or an https:// URL",
        ),
        (
            "\"start\", \"user\",",
            "\"start\",",
            "fact `user` is not named by any [[source]]",
        ),
        (
            "\"start\", \"user\",",
            "\"start\", \"uzer\", \"user\",",
            "names `uzer`, which is not a field",
        ),
        (
            "read_only = true",
            "read_only = true\nsensitive_ports = [70000]",
            "70000 is not a port",
        ),
        (
            "read_only = true",
            "read_only = true\nhealthcheck = [\"pg_isready\"]",
            "start it with \"CMD\"",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(VALID.contains(from), "{from}");
        let text = VALID.replacen(from, to, 1);
        let found = errors(&text);
        assert!(
            found.contains(expected),
            "{from} -> {to}: expected `{expected}`, got `{found}`"
        );
    }
    let non_root = VALID.replace("root-then-step-down", "non-root");
    assert!(errors(&non_root).contains("leave caps_as_root out"));
    let no_user = non_root
        .replace("user = \"999:999\"\n", "")
        .replace("caps_as_root = [\"CHOWN\", \"SETGID\", \"SETUID\"]\n", "");
    assert!(errors(&no_user).contains("non-root\" needs `user"));
}

#[test]
fn the_generated_table_leaves_citations_out_without_docs() {
    let entries = image_data::load(&dir()).unwrap();
    let with = image_data::generate(&entries, true);
    let without = image_data::generate(&entries, false);
    assert!(with.contains("docker-library/postgres@6edb0a8"));
    assert!(!without.contains("docker-library/postgres@6edb0a8"));
    assert!(without.len() < with.len());
}
