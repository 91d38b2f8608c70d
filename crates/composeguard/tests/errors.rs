//! Bad input gives a typed error with a line and column, never a panic.

use composeguard::{Error, Options};

fn error(input: &str) -> Error {
    composeguard::check(input, &Options::default()).expect_err("must be rejected")
}

#[test]
fn syntax_errors_point_at_the_line() {
    let e = error("services:\n  web:\n    image: nginx\n   ports: [\n");
    assert!(matches!(e, Error::Syntax { .. }), "{e:?}");
    let (line, _) = e.position().unwrap();
    assert!((4..=5).contains(&line), "{e:?}");
    assert!(e.to_string().starts_with("invalid YAML"), "{e}");
}

#[test]
fn tabs_used_for_indentation_are_explained() {
    let e = error("services:\n\tweb:\n\t\timage: nginx\n");
    assert_eq!(e.position().map(|p| p.0), Some(2), "{e:?}");
    assert!(e.to_string().contains("tab"), "{e}");
}

#[test]
fn duplicate_keys_are_rejected_like_compose_does() {
    let e = error("services:\n  web:\n    image: a\n    image: b\n");
    assert_eq!(
        e,
        Error::DuplicateKey {
            key: "image".into(),
            line: 4,
            column: 5
        }
    );
    assert!(e.to_string().contains("duplicate key `image`"));
}

#[test]
fn empty_and_non_mapping_files() {
    assert_eq!(error(""), Error::Empty);
    assert_eq!(error("# only a comment\n"), Error::Empty);
    assert!(matches!(
        error("- a\n- b\n"),
        Error::NotAMapping {
            line: 1,
            column: 1,
            ..
        }
    ));
    assert!(matches!(error("just text\n"), Error::NotAMapping { .. }));
    assert!(matches!(
        error("services:\n  - web\n"),
        Error::ServicesNotAMapping {
            line: 2,
            column: 3,
            ..
        }
    ));
}

#[test]
fn non_utf8_and_nul_bytes() {
    let e = composeguard::decode(b"services:\n  web:\n    image: caf\xe9\n").unwrap_err();
    assert_eq!(
        e,
        Error::NotUtf8 {
            line: 3,
            column: 15
        }
    );
    let e = error("services:\n  web: {image: \"a\0b\"}\n");
    assert_eq!(e.position(), Some((2, 18)), "{e:?}");
}

#[test]
fn unknown_alias_is_an_error() {
    let e = error("services:\n  web: *missing\n");
    assert_eq!(e.position().map(|p| p.0), Some(2), "{e:?}");
}

#[test]
fn deep_nesting_is_rejected_before_it_can_hurt() {
    let deep = format!("services: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let e = error(&deep);
    assert!(
        matches!(e, Error::Syntax { .. } | Error::TooDeep { .. }),
        "{e:?}"
    );
}

#[test]
fn positions_count_characters_and_skip_the_bom() {
    let input = "\u{feff}services:\n  café: {image: x}\n  naïve: {image: y}\n";
    let found = composeguard::check(input, &Options::default()).unwrap();
    let naive = found
        .iter()
        .find(|d| d.service.as_deref() == Some("naïve"))
        .unwrap();
    assert_eq!((naive.start.line, naive.start.column), (3, 3));
    let first = found
        .iter()
        .find(|d| d.service.as_deref() == Some("café"))
        .unwrap();
    assert_eq!(
        (first.start.line, first.start.column, first.end.column),
        (2, 3, 7)
    );
}

#[test]
fn wrong_kinds_of_values_are_input_errors_not_internal_ones() {
    for (input, path, line, column) in [
        (
            "services:\n  web:\n    image: nginx\n    logging:\n      driver: [json-file]\n",
            "services.web.logging.driver",
            5,
            15,
        ),
        (
            "services:\n  db:\n    image: redis:7\n    deploy:\n      resources:\n        limits: []\n",
            "services.db.deploy.resources.limits",
            6,
            17,
        ),
        (
            "x-l: &l [json-file]\nservices:\n  web:\n    image: nginx\n    logging: *l\n",
            "services.web.logging",
            5,
            14,
        ),
        (
            "services:\n  web:\n    image: nginx\n    cap_add: {a: b}\n",
            "services.web.cap_add",
            4,
            14,
        ),
    ] {
        let e = error(input);
        let Error::WrongShape { path: p, .. } = &e else {
            panic!("{input}: {e:?}");
        };
        assert_eq!(p, path, "{input}");
        assert_eq!(e.position(), Some((line, column)), "{input}: {e}");
        assert!(!e.to_string().contains("internal"), "{e}");
        let fixed = composeguard::fix(input, &Options::default());
        assert!(matches!(fixed, Err(Error::WrongShape { .. })), "{fixed:?}");
    }
}
