//! Hostile input: alias and merge-key bombs, deep nesting, a 10 MB file, 5,000 services, odd
//! Unicode. Each is rejected with a precise error or processed correctly; none panics or hangs.
//! (Timings are measured in the benchmarks, not asserted here.)

use composeguard::{Document, Error, Options, Preset};

#[path = "../../../examples/generated.rs"]
mod generated;

fn strict() -> Options {
    Options {
        unsafe_fixes: true,
        preset: Preset::Strict,
        ..Options::default()
    }
}

#[test]
fn billion_laughs_is_rejected() {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = 'a';
    for c in "bcdefghi".chars() {
        text.push_str(&format!(
            "{c}: &{c} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
        prev = c;
    }
    text.push_str("services:\n  web:\n    image: nginx:1.27\n    command: *i\n");
    assert!(matches!(
        composeguard::check(&text, &strict()),
        Err(Error::AliasBomb { .. })
    ));
}

#[test]
fn merge_key_bomb_is_rejected() {
    let mut text = String::from("x0: &x0\n  a: 1\n");
    for i in 1..40 {
        text.push_str(&format!("x{i}: &x{i}\n  <<: [*x{p}, *x{p}]\n", p = i - 1));
    }
    text.push_str("services:\n  web:\n    <<: *x39\n    image: nginx:1.27\n");
    assert!(matches!(
        composeguard::fix(&text, &strict()),
        Err(Error::AliasBomb { .. })
    ));
}

#[test]
fn a_merge_fan_out_under_the_limit_is_linear() {
    // 2^12 expanded nodes: accepted, and each lookup visits every mapping once.
    let mut text = String::from("x0: &x0\n  a: 1\n");
    for i in 1..12 {
        text.push_str(&format!("x{i}: &x{i}\n  <<: [*x{p}, *x{p}]\n", p = i - 1));
    }
    text.push_str("services:\n  web:\n    <<: *x11\n    image: nginx:1.27\n");
    let out = composeguard::fix(&text, &strict()).unwrap();
    assert!(out.output.contains("cap_drop"));
}

#[test]
fn deep_nesting_is_rejected() {
    let flow = format!(
        "services: {{web: {{image: x, labels: {}{}}}}}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let e = composeguard::check(&flow, &strict()).unwrap_err();
    assert!(
        matches!(e, Error::Syntax { .. } | Error::TooDeep { .. }),
        "{e:?}"
    );
    let mut block = String::from("services:\n  web:\n    image: x\n    labels:\n");
    for depth in 0..200 {
        block.push_str(&format!("{}k{depth}:\n", "  ".repeat(depth + 3)));
    }
    let e = composeguard::check(&block, &strict()).unwrap_err();
    assert!(
        matches!(e, Error::TooDeep { .. } | Error::Syntax { .. }),
        "{e:?}"
    );
    assert!(e.position().is_some());
}

#[test]
fn a_ten_megabyte_file_is_processed() {
    let mut text = String::with_capacity(11 << 20);
    text.push_str("services:\n");
    let blob = "x".repeat(4000);
    let mut i = 0;
    while text.len() < 10 << 20 {
        text.push_str(&format!("  # {blob}\n  svc-{i}:\n    image: example/app:1\n    labels:\n      note: \"{blob}\"\n"));
        i += 1;
    }
    let outcome = composeguard::fix(&text, &strict()).unwrap();
    assert!(outcome.output.len() > text.len());
    assert_eq!(
        Document::parse(&outcome.output).unwrap().comments().len(),
        i
    );
    let too_big = Options {
        limits: composeguard::InputLimits {
            max_bytes: 1 << 20,
            ..Default::default()
        },
        ..strict()
    };
    assert!(matches!(
        composeguard::check(&text, &too_big),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn five_thousand_services() {
    let text = generated::compose(5000);
    let outcome = composeguard::fix(&text, &strict()).unwrap();
    let doc = Document::parse(&outcome.output).unwrap();
    assert_eq!(
        doc.comments().len(),
        Document::parse(&text).unwrap().comments().len()
    );
    assert_eq!(
        outcome.output.matches("no-new-privileges:true").count(),
        5000 - 1000 + 1000
    );
    let again = composeguard::fix(&outcome.output, &strict()).unwrap();
    assert_eq!(again.output, outcome.output);
    let limited = Options {
        limits: composeguard::InputLimits {
            max_services: 1000,
            ..Default::default()
        },
        ..strict()
    };
    assert!(matches!(
        composeguard::check(&text, &limited),
        Err(Error::TooManyServices {
            count: 5000,
            limit: 1000
        })
    ));
}

#[test]
fn odd_unicode_in_keys_values_and_comments() {
    let text = "\u{feff}# ⚠️ production — لا تلمس — 本番環境\r\nservices:\r\n  # zero\u{200d}width joiner, combining e\u{301}\r\n  web:\r\n    image: nginx:1.27 # 🚀\r\n    labels:\r\n      \"ключ\": \"значение\"\r\n      emoji-🦀: \"👩‍👩‍👧\"\r\n";
    let outcome = composeguard::fix(text, &strict()).unwrap();
    assert!(outcome.output.starts_with('\u{feff}'));
    assert!(
        !outcome.output.replace("\r\n", "").contains('\n'),
        "CRLF kept"
    );
    let before = Document::parse(text).unwrap();
    let after = Document::parse(&outcome.output).unwrap();
    assert_eq!(before.comments().len(), after.comments().len());
    let found = composeguard::check(text, &strict()).unwrap();
    let web = found.iter().find(|d| d.code() == "CG102").unwrap();
    assert_eq!((web.start.line, web.start.column), (4, 3));
}
