use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;

use super::test_server::{Response, Server};
use super::*;

const H64: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn parsed(reference: &str) -> (String, String, String, Option<String>) {
    let r = parse_reference(reference).unwrap_or_else(|e| panic!("{reference}: {e}"));
    (r.host, r.repository, r.tag, r.digest)
}

type Parsed<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);

#[test]
fn references_are_read_as_docker_reads_them() {
    let hub = "registry-1.docker.io";
    let d = format!("sha256:{H64}");
    // reference -> (host, repository, tag, digest)
    let cases: Vec<(String, Parsed)> = vec![
        ("postgres".into(), (hub, "library/postgres", "latest", None)),
        ("postgres:16".into(), (hub, "library/postgres", "16", None)),
        (
            "library/postgres".into(),
            (hub, "library/postgres", "latest", None),
        ),
        (
            "docker.io/library/postgres:16".into(),
            (hub, "library/postgres", "16", None),
        ),
        (
            "docker.io/postgres".into(),
            (hub, "library/postgres", "latest", None),
        ),
        (
            "index.docker.io/bitnami/redis:7.2".into(),
            (hub, "bitnami/redis", "7.2", None),
        ),
        (
            "bitnami/redis".into(),
            (hub, "bitnami/redis", "latest", None),
        ),
        ("ghcr.io/a/b:1".into(), ("ghcr.io", "a/b", "1", None)),
        ("ghcr.io/a/b/c".into(), ("ghcr.io", "a/b/c", "latest", None)),
        (
            "quay.io/prometheus/node-exporter:v1.8.2".into(),
            ("quay.io", "prometheus/node-exporter", "v1.8.2", None),
        ),
        (
            "localhost:5000/x".into(),
            ("localhost:5000", "x", "latest", None),
        ),
        ("localhost/x:2".into(), ("localhost", "x", "2", None)),
        ("[::1]:5000/x:y".into(), ("[::1]:5000", "x", "y", None)),
        (
            format!("127.0.0.1:5000/a/b@{d}"),
            ("127.0.0.1:5000", "a/b", "latest", Some(&d)),
        ),
        (format!("x:1@{d}"), (hub, "library/x", "1", Some(&d))),
        (
            format!("postgres@{d}"),
            (hub, "library/postgres", "latest", Some(&d)),
        ),
        (
            "my_app/a__b.c-d---e:Tag_1.0-rc".into(),
            (hub, "my_app/a__b.c-d---e", "Tag_1.0-rc", None),
        ),
        // A one-segment name is a repository, even when it looks like a host with a port.
        (
            "localhost:5000".into(),
            (hub, "library/localhost", "5000", None),
        ),
    ];
    for (reference, (host, repository, tag, digest)) in cases {
        assert_eq!(
            parsed(&reference),
            (
                host.into(),
                repository.into(),
                tag.into(),
                digest.map(str::to_owned)
            ),
            "{reference}"
        );
    }
    let r = parse_reference(&format!("x:1@{d}")).unwrap();
    assert_eq!(r.object(), d, "a digest wins over the tag");
    assert_eq!(parse_reference("x:1").unwrap().object(), "1");
}

#[test]
fn bad_references_say_what_is_wrong() {
    let long = format!("a/{}", "b".repeat(260));
    let cases = [
        ("", "empty"),
        ("Postgres", "lowercase"),
        ("ghcr.io/A/b", "lowercase"),
        ("postgres:", "not a tag"),
        ("postgres:-1", "not a tag"),
        ("postgres:a/b", "registry host"),
        ("postgres@sha256:abc", "not a digest"),
        ("postgres@sha512:abc", "not a digest"),
        (
            &format!("postgres@sha256:{}", H64.to_uppercase()),
            "not a digest",
        ),
        ("ghcr.io/", "no image name"),
        ("ghcr.io//b", "empty part"),
        ("a/b/", "empty part"),
        ("-a", "name part"),
        ("a..b", "name part"),
        ("a___b", "name part"),
        ("a._b", "name part"),
        ("a/b c", "space"),
        ("bad_host.io:port/x", "registry host"),
        ("-bad.io/x", "registry host"),
        ("[::1/x", "registry host"),
        ("[nope]:5000/x", "registry host"),
        ("a\u{0}b", "control"),
        (&long, "255"),
    ];
    for (reference, words) in cases {
        match parse_reference(reference) {
            Ok(r) => panic!("{reference:?} was read as {r:?}"),
            Err(e) => assert!(e.contains(words), "{reference:?}: {e}"),
        }
    }
    let error = fetch_config("Bad", &RegistryOptions::default()).unwrap_err();
    assert!(
        matches!(error, RegistryError::BadReference { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("`Bad` is not an image reference"),
        "{error}"
    );
}

#[test]
fn www_authenticate_challenges_are_read() {
    let hub = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/postgres:pull""#;
    assert_eq!(
        parse_challenge(hub),
        Some(Challenge {
            realm: "https://auth.docker.io/token".into(),
            service: Some("registry.docker.io".into()),
            scope: Some("repository:library/postgres:pull".into()),
        })
    );
    let ghcr = r#"bearer  scope="repository:a/b:pull,push", realm="https://ghcr.io/token" , service=ghcr.io"#;
    assert_eq!(
        parse_challenge(ghcr),
        Some(Challenge {
            realm: "https://ghcr.io/token".into(),
            service: Some("ghcr.io".into()),
            scope: Some("repository:a/b:pull,push".into()),
        })
    );
    let escaped = parse_challenge(r#"Bearer realm="https://x/t?a=\"b\"""#).unwrap();
    assert_eq!(escaped.realm, r#"https://x/t?a="b""#);
    assert_eq!(escaped.service, None);
    for not in [
        r#"Basic realm="Registry Realm""#,
        r#"Bearer service="x""#,
        r#"Bearer realm="""#,
        r#"Bearer realm="https://unterminated"#,
        r#"Bearer realm"#,
        "Bearer",
        "",
    ] {
        assert_eq!(parse_challenge(not), None, "{not}");
    }
}

fn entry(os: &str, arch: &str, variant: Option<&str>, digest: &str) -> Value {
    let mut platform = json!({"os": os, "architecture": arch});
    if let Some(v) = variant {
        platform["variant"] = json!(v);
    }
    json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": 100, "platform": platform})
}

#[test]
fn the_platform_is_chosen_by_os_and_architecture_then_variant() {
    let index = [
        entry("linux", "amd64", None, "amd64"),
        entry("linux", "arm", Some("v6"), "arm-v6"),
        entry("linux", "arm", Some("v7"), "arm-v7"),
        entry("linux", "arm64", Some("v9"), "arm64-v9"),
        entry("linux", "arm64", Some("v8"), "arm64-v8"),
        entry("windows", "amd64", None, "windows"),
        entry("unknown", "unknown", None, "attestation"),
    ];
    let pick = |os, arch| select_platform(&index, os, arch).map(|e| e["digest"].as_str().unwrap());
    assert_eq!(pick("linux", "amd64"), Ok("amd64"));
    assert_eq!(pick("windows", "amd64"), Ok("windows"));
    assert_eq!(pick("linux", "arm64"), Ok("arm64-v8"));
    assert_eq!(pick("linux", "arm"), Ok("arm-v7"));
    let none_first = [
        entry("linux", "arm64", Some("v9"), "v9"),
        entry("linux", "arm64", None, "plain"),
    ];
    assert_eq!(
        select_platform(&none_first, "linux", "arm64").unwrap()["digest"],
        "plain"
    );
    let only_odd = [entry("linux", "arm64", Some("v9"), "v9")];
    assert_eq!(
        select_platform(&only_odd, "linux", "arm64").unwrap()["digest"],
        "v9"
    );
    assert_eq!(
        pick("linux", "s390x"),
        Err(vec![
            "linux/amd64".to_owned(),
            "linux/arm/v6".into(),
            "linux/arm/v7".into(),
            "linux/arm64/v9".into(),
            "linux/arm64/v8".into(),
            "windows/amd64".into(),
        ])
    );
    // A nested index is not an image.
    let mut nested = entry("linux", "amd64", None, "nested");
    nested["mediaType"] = json!(OCI_INDEX);
    assert_eq!(select_platform(&[nested], "linux", "amd64"), Err(vec![]));
    // Entries with no platform at all, or junk, are skipped, not a panic.
    let junk = [
        json!(1),
        json!({"platform": 2}),
        json!({"platform": {"os": 3}}),
    ];
    assert_eq!(select_platform(&junk, "linux", "amd64"), Err(vec![]));
}

#[test]
fn manifest_kinds() {
    let kind = |doc: Value, ct: Option<&str>| kind_of(&doc, ct);
    assert_eq!(kind(json!({"mediaType": OCI_INDEX}), None), Kind::Index);
    assert_eq!(
        kind(
            json!({"manifests": []}),
            Some(&format!("{DOCKER_LIST}; charset=utf-8"))
        ),
        Kind::Index
    );
    assert_eq!(kind(json!({"manifests": []}), None), Kind::Index);
    assert_eq!(
        kind(json!({"config": {}}), Some("application/json")),
        Kind::Manifest
    );
    assert_eq!(
        kind(json!({"schemaVersion": 2}), Some(DOCKER_MANIFEST)),
        Kind::Manifest
    );
    assert_eq!(
        kind(
            json!({"schemaVersion": 1, "fsLayers": []}),
            Some("application/json")
        ),
        Kind::SchemaOne
    );
    assert_eq!(kind(json!({}), Some(DOCKER_V1_SIGNED)), Kind::SchemaOne);
    assert_eq!(
        kind(json!({"mediaType": "text/plain"}), None),
        Kind::Other("text/plain".into())
    );
    assert_eq!(kind(json!([]), None), Kind::Other("none".into()));
}

#[test]
fn hosts_reached_over_plain_http_are_loopback_ones() {
    for host in [
        "localhost",
        "localhost:5000",
        "LocalHost",
        "127.0.0.1",
        "127.1.2.3:80",
        "[::1]",
        "[::1]:5000",
        "[0:0:0:0:0:0:0:1]:1",
    ] {
        assert!(insecure_host(host), "{host}");
    }
    for host in [
        "registry-1.docker.io",
        "ghcr.io",
        "10.0.0.1:5000",
        "128.0.0.1",
        "[::2]:5000",
        "localhost.example.com",
        "127.0.0.1.nip.io",
    ] {
        assert!(!insecure_host(host), "{host}");
    }
}

#[test]
fn the_default_options() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        }
    };
    assert_eq!(
        default_cache_dir(env(&[("XDG_CACHE_HOME", "/c"), ("HOME", "/h")])),
        Some(PathBuf::from("/c/composeguard/images"))
    );
    assert_eq!(
        default_cache_dir(env(&[("XDG_CACHE_HOME", "relative"), ("HOME", "/h")])),
        Some(PathBuf::from("/h/.cache/composeguard/images"))
    );
    assert_eq!(default_cache_dir(env(&[("HOME", "")])), None);
    assert_eq!(go_arch("x86_64"), "amd64");
    assert_eq!(go_arch("aarch64"), "arm64");
    assert_eq!(go_arch("s390x"), "s390x");
    let options = RegistryOptions::default();
    assert_eq!(options.platform.0, "linux");
    assert_eq!(options.platform.1, go_arch(std::env::consts::ARCH));
    assert_eq!(options.timeout, Duration::from_secs(30));
}

// --- Against a registry served by the test (test_server) ---

const TOKEN: &str = "s3cret-t0ken";

/// An image: config blob, manifest, and an index listing it for linux/amd64 (and an arm64 one
/// and a buildx attestation the registry does not serve).
struct Image {
    config: Vec<u8>,
    config_digest: String,
    manifest: Vec<u8>,
    manifest_digest: String,
    index: Vec<u8>,
    index_digest: String,
}

fn image() -> Image {
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "User": "1000:1000",
            "Volumes": {"/data": {}},
            "ExposedPorts": {"8080/tcp": {}},
            "Cmd": ["app", "--serve"],
            "Env": ["PATH=/bin", "APP_KEY=value"],
            "Labels": {"org.opencontainers.image.title": "app"}
        },
        "rootfs": {"type": "layers", "diff_ids": []}
    }))
    .unwrap();
    let config_digest = sha256_digest(&config);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": []
    }))
    .unwrap();
    let manifest_digest = sha256_digest(&manifest);
    let other = format!("sha256:{H64}");
    let mut attestation = entry("unknown", "unknown", None, &other);
    attestation["annotations"] = json!({"vnd.docker.reference.type": "attestation-manifest"});
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            entry("linux", "arm64", Some("v8"), &other),
            entry("linux", "amd64", None, &manifest_digest),
            attestation,
        ]
    }))
    .unwrap();
    let index_digest = sha256_digest(&index);
    Image {
        config,
        config_digest,
        manifest,
        manifest_digest,
        index,
        index_digest,
    }
}

/// A registry like Docker Hub's: every /v2/ request needs a bearer token, which /token hands
/// out anonymously; blobs redirect to /storage/, which must not see the token.
fn fake_registry(image: Arc<Image>, tamper: Arc<AtomicBool>) -> Server {
    Server::start(move |request, addr| {
        let path = request.path.as_str();
        if path == "/token" {
            let scope = request.param("scope").unwrap_or("");
            let ok = request.param("service") == Some("fake-registry")
                && scope.starts_with("repository:acme/")
                && scope.ends_with(":pull");
            return if ok {
                Response::new(200, format!(r#"{{"token":"{TOKEN}","expires_in":300}}"#))
            } else {
                Response::new(400, "bad token request")
            };
        }
        if let Some(hex) = path.strip_prefix("/storage/") {
            if request.header("authorization").is_some() {
                return Response::new(400, "the token was sent to the storage");
            }
            let mut blob = if hex == &image.config_digest[7..] {
                image.config.clone()
            } else {
                return Response::new(404, "");
            };
            if tamper.load(Ordering::SeqCst) {
                blob[10] ^= 1;
            }
            return Response::new(200, blob);
        }
        let Some(rest) = path.strip_prefix("/v2/") else {
            return Response::new(404, "");
        };
        let challenge = format!(
            r#"Bearer realm="http://{addr}/token",service="fake-registry",scope="repository:acme/app:pull""#
        );
        if request.header("authorization") != Some(&format!("Bearer {TOKEN}"))
            || rest.starts_with("acme/private/")
        {
            return Response::new(401, r#"{"errors":[{"code":"UNAUTHORIZED"}]}"#)
                .header("WWW-Authenticate", &challenge);
        }
        if rest.contains("/manifests/")
            && !request
                .header("accept")
                .is_some_and(|a| a.contains(OCI_INDEX) && a.contains(DOCKER_MANIFEST))
        {
            return Response::new(400, "no Accept for manifests");
        }
        let manifest = |body: &[u8], media_type: &str| {
            Response::new(200, body).header("Content-Type", media_type)
        };
        match rest {
            "acme/app/manifests/1" => manifest(&image.index, OCI_INDEX),
            r if r == format!("acme/app/manifests/{}", image.index_digest) => {
                manifest(&image.index, OCI_INDEX)
            }
            r if r == format!("acme/app/manifests/{}", image.manifest_digest) => {
                manifest(&image.manifest, OCI_MANIFEST)
            }
            // A single-platform image by tag.
            r if r == format!("acme/app/manifests/sha256:{H64}") => {
                manifest(&image.manifest, OCI_MANIFEST)
            }
            "acme/app/manifests/single" => manifest(&image.manifest, OCI_MANIFEST),
            r if r == format!("acme/app/blobs/{}", image.config_digest) => Response::new(307, "")
                .header(
                    "Location",
                    &format!("/storage/{}", &image.config_digest[7..]),
                ),
            "acme/old/manifests/latest" => manifest(
                br#"{"schemaVersion":1,"name":"acme/old","fsLayers":[]}"#,
                DOCKER_V1_SIGNED,
            ),
            "acme/big/manifests/latest" => manifest(&vec![b' '; 5 << 20], OCI_MANIFEST),
            "acme/junk/manifests/latest" => manifest(b"{not json", OCI_MANIFEST),
            _ => Response::new(404, r#"{"errors":[{"code":"MANIFEST_UNKNOWN"}]}"#),
        }
    })
}

fn options(cache: Option<&Path>, arch: &str) -> RegistryOptions {
    RegistryOptions {
        cache_dir: cache.map(Path::to_path_buf),
        platform: ("linux".into(), arch.into()),
        timeout: Duration::from_secs(10),
    }
}

fn assert_is_the_image(config: &ImageConfig, image: &Image) {
    assert_eq!(
        config.digest.as_deref(),
        Some(image.manifest_digest.as_str())
    );
    assert_eq!(config.user.as_deref(), Some("1000:1000"));
    assert_eq!(config.volumes, ["/data"]);
    assert_eq!(config.exposed_ports, ["8080/tcp"]);
    assert_eq!(config.cmd, ["app", "--serve"]);
    assert_eq!(config.env, ["PATH", "APP_KEY"]);
    assert_eq!(config.labels["org.opencontainers.image.title"], "app");
}

#[test]
fn an_image_is_read_through_token_index_manifest_and_redirected_blob_then_from_the_cache() {
    let image = Arc::new(image());
    let mut server = fake_registry(image.clone(), Arc::default());
    let host = server.addr.to_string();
    let cache = tempfile::tempdir().unwrap();
    let amd64 = options(Some(cache.path()), "amd64");

    let config = fetch_config(&format!("{host}/acme/app:1"), &amd64).unwrap();
    assert_is_the_image(&config, &image);
    let requests = server.requests();
    let token = requests
        .iter()
        .filter(|r| r.starts_with("GET /token?"))
        .count();
    assert_eq!(token, 1, "one token for the whole fetch: {requests:#?}");
    assert!(
        requests.iter().any(|r| r.starts_with("GET /storage/")),
        "{requests:#?}"
    );
    for file in [
        format!("sha256-{}.json", &image.config_digest[7..]),
        format!("manifest-{}.json", &image.manifest_digest[7..]),
        format!("manifest-{}.json", &image.index_digest[7..]),
    ] {
        assert!(cache.path().join(&file).is_file(), "{file} is not cached");
    }
    let leftovers: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.ends_with(".json"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    // A tag is asked again (tags move), but the config it names is not fetched again.
    let before = server.requests().len();
    assert_is_the_image(
        &fetch_config(&format!("{host}/acme/app:1"), &amd64).unwrap(),
        &image,
    );
    let again = &server.requests()[before..];
    assert!(
        again.iter().any(|r| r.contains("/manifests/1")),
        "{again:?}"
    );
    assert!(
        !again
            .iter()
            .any(|r| r.contains("/blobs/") || r.contains("/storage/")),
        "{again:?}"
    );
    // A single-platform image by tag.
    assert_is_the_image(
        &fetch_config(&format!("{host}/acme/app:single"), &amd64).unwrap(),
        &image,
    );

    // With the registry gone, digests are answered from the cache: the index's (for the
    // platform read before), the manifest's, and a digest that has a tag too.
    server.shut_down();
    for reference in [
        format!("{host}/acme/app@{}", image.index_digest),
        format!("{host}/acme/app@{}", image.manifest_digest),
        format!("{host}/acme/app:1@{}", image.index_digest),
        // The cache is by digest: another name of the same image is answered too.
        format!("{host}/acme/other@{}", image.manifest_digest),
    ] {
        let config =
            fetch_config(&reference, &amd64).unwrap_or_else(|e| panic!("{reference}: {e}"));
        assert_is_the_image(&config, &image);
    }
    // But a tag needs the registry, as does a platform not read before, or no cache.
    let unreachable =
        |reference: String, options: &RegistryOptions| match fetch_config(&reference, options) {
            Err(e @ RegistryError::Unreachable { .. }) => {
                assert!(
                    e.to_string()
                        .contains(&format!("cannot reach the registry {host}")),
                    "{e}"
                );
            }
            other => panic!("{reference}: {other:?}"),
        };
    unreachable(format!("{host}/acme/app:1"), &amd64);
    unreachable(
        format!("{host}/acme/app@{}", image.index_digest),
        &options(Some(cache.path()), "arm64"),
    );
    unreachable(
        format!("{host}/acme/app@{}", image.manifest_digest),
        &options(None, "amd64"),
    );

    // A corrupt cache entry is a miss, not an error: it is fetched again (here: the registry is
    // gone, so unreachable) and repaired once the registry is back.
    let blob_file = cache
        .path()
        .join(format!("sha256-{}.json", &image.config_digest[7..]));
    std::fs::write(&blob_file, b"{\"config\": {\"User\": \"root\"}}").unwrap();
    let entry_file = cache
        .path()
        .join(format!("manifest-{}.json", &image.index_digest[7..]));
    std::fs::write(&entry_file, b"\xff not json").unwrap();
    unreachable(format!("{host}/acme/app@{}", image.index_digest), &amd64);
    let server = fake_registry(image.clone(), Arc::default());
    let host = server.addr.to_string();
    let config = fetch_config(&format!("{host}/acme/app@{}", image.index_digest), &amd64).unwrap();
    assert_is_the_image(&config, &image);
    assert_eq!(std::fs::read(&blob_file).unwrap(), image.config);
    // A cache entry naming a path outside the cache is not followed.
    std::fs::write(
        &entry_file,
        br#"{"platforms":{"linux/amd64":{"manifest":"../../x","config":"sha256:../../etc"}}}"#,
    )
    .unwrap();
    assert_is_the_image(
        &fetch_config(&format!("{host}/acme/app@{}", image.index_digest), &amd64).unwrap(),
        &image,
    );
}

#[test]
fn a_tampered_blob_is_refused_and_not_cached() {
    let image = Arc::new(image());
    let tamper = Arc::new(AtomicBool::new(true));
    let server = fake_registry(image.clone(), tamper.clone());
    let host = server.addr.to_string();
    let cache = tempfile::tempdir().unwrap();
    let error = fetch_config(
        &format!("{host}/acme/app:1"),
        &options(Some(cache.path()), "amd64"),
    )
    .unwrap_err();
    match &error {
        RegistryError::DigestMismatch {
            expected,
            actual,
            url,
        } => {
            assert_eq!(expected, &image.config_digest);
            assert_ne!(actual, expected);
            assert!(
                url.ends_with(&format!("/v2/acme/app/blobs/{}", image.config_digest)),
                "{url}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !cache
            .path()
            .join(format!("sha256-{}.json", &image.config_digest[7..]))
            .exists()
    );
    // The same request, untampered, passes: the check is what failed it.
    tamper.store(false, Ordering::SeqCst);
    assert_is_the_image(
        &fetch_config(
            &format!("{host}/acme/app:1"),
            &options(Some(cache.path()), "amd64"),
        )
        .unwrap(),
        &image,
    );
}

#[test]
fn registry_errors_say_what_to_do() {
    let image = Arc::new(image());
    let server = fake_registry(image.clone(), Arc::default());
    let host = server.addr.to_string();
    let amd64 = options(None, "amd64");
    let fetch = |reference: &str, options: &RegistryOptions| {
        fetch_config(&format!("{host}/{reference}"), options).unwrap_err()
    };

    let missing = fetch("acme/app:nope", &amd64);
    assert!(
        matches!(missing, RegistryError::Status { status: 404, .. }),
        "{missing:?}"
    );
    assert_eq!(
        missing.to_string(),
        format!(
            "http://{host}/v2/acme/app/manifests/nope answered HTTP 404: no such image or tag (check the name and the tag)"
        )
    );

    let s390x = fetch("acme/app:1", &options(None, "s390x"));
    assert_eq!(
        s390x.to_string(),
        format!(
            "`{host}/acme/app:1` has no image for linux/s390x; it has linux/arm64/v8, linux/amd64"
        )
    );
    assert!(matches!(&s390x, RegistryError::NoPlatform { available, .. } if available.len() == 2));
    let empty = RegistryError::NoPlatform {
        reference: "x".into(),
        wanted: "linux/amd64".into(),
        available: vec![],
    };
    assert_eq!(
        empty.to_string(),
        "`x` has no image for linux/amd64; it has no image for any platform"
    );

    let private = fetch("acme/private:1", &amd64);
    assert!(
        matches!(private, RegistryError::Status { status: 401, .. }),
        "{private:?}"
    );
    assert!(
        private
            .to_string()
            .contains("private or does not exist; `docker login` is not used by composeguard"),
        "{private}"
    );

    let old = fetch("acme/old", &amd64);
    assert!(matches!(old, RegistryError::Unsupported { .. }), "{old:?}");
    assert!(old.to_string().contains("schema 1"), "{old}");

    let big = fetch("acme/big", &amd64);
    assert!(
        matches!(
            big,
            RegistryError::TooLarge {
                what: "manifest",
                limit_mib: 4,
                ..
            }
        ),
        "{big:?}"
    );

    let junk = fetch("acme/junk", &amd64);
    assert!(
        matches!(
            junk,
            RegistryError::Malformed {
                what: "manifest",
                ..
            }
        ),
        "{junk:?}"
    );

    // A digest the registry answers with other content.
    let wrong = fetch(&format!("acme/app@sha256:{H64}"), &amd64);
    assert!(
        matches!(wrong, RegistryError::DigestMismatch { .. }),
        "{wrong:?}"
    );

    for error in [missing, s390x, private, old, big, junk, wrong] {
        assert!(
            !error.to_string().contains(TOKEN),
            "the token is shown: {error}"
        );
        assert!(
            !format!("{error:?}").contains(TOKEN),
            "the token is shown: {error:?}"
        );
    }

    // Nothing listens: unreachable, naming the host.
    drop(server);
    let gone = fetch("acme/app:1", &amd64);
    assert!(
        matches!(gone, RegistryError::Unreachable { .. }),
        "{gone:?}"
    );
}

// --- Against Debian's docker-registry (distribution), run when COMPOSEGUARD_REGISTRY=1 ---

/// A `docker-registry serve` on a free port of 127.0.0.1, storing in a temporary folder;
/// killed when dropped.
struct RealRegistry {
    child: std::process::Child,
    host: String,
    dir: tempfile::TempDir,
}

impl Drop for RealRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RealRegistry {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }

    fn start() -> RealRegistry {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n\
                 http:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = std::process::Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "COMPOSEGUARD_REGISTRY=1 but `docker-registry` cannot be run ({e}): apt-get install docker-registry"
                )
            });
        let mut registry = RealRegistry {
            child,
            host: format!("127.0.0.1:{port}"),
            dir,
        };
        let agent = push_agent();
        let started = std::time::Instant::now();
        loop {
            if let Ok(Some(status)) = registry.child.try_wait() {
                panic!(
                    "docker-registry exited ({status}); its log:\n{}",
                    registry.log()
                );
            }
            let up = agent
                .get(format!("http://{}/v2/", registry.host))
                .call()
                .is_ok_and(|r| r.status() == 200);
            if up {
                return registry;
            }
            if started.elapsed() > Duration::from_secs(20) {
                panic!(
                    "docker-registry did not answer in 20 s; its log:\n{}",
                    registry.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn push_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .new_agent()
}

/// A monolithic blob upload: POST for an upload URL, then PUT the bytes with their digest.
fn push_blob(agent: &ureq::Agent, base: &str, repository: &str, bytes: &[u8]) -> String {
    let digest = sha256_digest(bytes);
    let started = agent
        .post(format!("{base}/v2/{repository}/blobs/uploads/"))
        .send_empty()
        .unwrap();
    assert_eq!(started.status(), 202, "starting an upload");
    let location = started.headers()["location"].to_str().unwrap().to_owned();
    let location = if location.starts_with('/') {
        format!("{base}{location}")
    } else {
        location
    };
    let separator = if location.contains('?') { '&' } else { '?' };
    let mut done = agent
        .put(format!("{location}{separator}digest={digest}"))
        .header("Content-Type", "application/octet-stream")
        .send(bytes)
        .unwrap();
    let status = done.status();
    assert_eq!(
        status,
        201,
        "{}",
        done.body_mut().read_to_string().unwrap_or_default()
    );
    digest
}

fn push_manifest(
    agent: &ureq::Agent,
    base: &str,
    repository: &str,
    reference: &str,
    media_type: &str,
    bytes: &[u8],
) {
    let mut done = agent
        .put(format!("{base}/v2/{repository}/manifests/{reference}"))
        .header("Content-Type", media_type)
        .send(bytes)
        .unwrap();
    let status = done.status();
    assert_eq!(
        status,
        201,
        "{}",
        done.body_mut().read_to_string().unwrap_or_default()
    );
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// gzip with one stored (uncompressed) deflate block.
fn gzip(data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(data.len()).expect("a stored block holds 64 KiB");
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1];
    out.extend(len.to_le_bytes());
    out.extend((!len).to_le_bytes());
    out.extend(data);
    out.extend(crc32(data).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

/// A ustar archive of one file.
fn tar(name: &str, content: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    let mut put =
        |at: usize, text: &str| header[at..at + text.len()].copy_from_slice(text.as_bytes());
    put(0, name);
    put(100, "0000644\0");
    put(108, "0000000\0");
    put(116, "0000000\0");
    put(124, &format!("{:011o}\0", content.len()));
    put(136, "00000000000\0");
    put(148, "        ");
    put(156, "0");
    put(257, "ustar\0");
    put(263, "00");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = header.to_vec();
    out.extend(content);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out.resize(out.len() + 1024, 0);
    out
}

#[test]
fn docker_registry_serves_an_image_the_test_pushed() {
    if std::env::var_os("COMPOSEGUARD_REGISTRY").is_none_or(|v| v != "1") {
        eprintln!(
            "skipped: set COMPOSEGUARD_REGISTRY=1 (with docker-registry installed) to run it"
        );
        return;
    }
    let registry = RealRegistry::start();
    let base = format!("http://{}", registry.host);
    let agent = push_agent();
    let repository = "composeguard/test-app";

    // The image, as an OCI image layout holds it: one layer, and a config and a manifest per
    // platform, listed by an index.
    let layer_tar = tar("hello.txt", b"hello from composeguard\n");
    let layer = gzip(&layer_tar);
    let layer_digest = push_blob(&agent, &base, repository, &layer);
    let mut manifests = Vec::new();
    for (arch, user, port) in [
        ("amd64", "1000:1000", "8080/tcp"),
        ("arm64", "2000", "9090/udp"),
    ] {
        let config = serde_json::to_vec(&json!({
            "architecture": arch,
            "os": "linux",
            "config": {
                "User": user,
                "Volumes": {"/var/lib/app": {}},
                "ExposedPorts": {port: {}},
                "Entrypoint": ["/hello"],
                "Env": ["PATH=/usr/bin"]
            },
            "rootfs": {"type": "layers", "diff_ids": [sha256_digest(&layer_tar)]},
            "history": [{"created_by": "composeguard's test"}]
        }))
        .unwrap();
        let config_digest = push_blob(&agent, &base, repository, &config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
            "layers": [{
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer_digest,
                "size": layer.len()
            }]
        }))
        .unwrap();
        let digest = sha256_digest(&manifest);
        push_manifest(&agent, &base, repository, &digest, OCI_MANIFEST, &manifest);
        let mut entry = entry("linux", arch, (arch == "arm64").then_some("v8"), &digest);
        entry["size"] = json!(manifest.len());
        manifests.push((digest, entry));
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": manifests.iter().map(|(_, e)| e.clone()).collect::<Vec<_>>()
    }))
    .unwrap();
    let index_digest = sha256_digest(&index);
    push_manifest(&agent, &base, repository, "v1", OCI_INDEX, &index);

    let cache = tempfile::tempdir().unwrap();
    let amd64 = options(Some(cache.path()), "amd64");
    let name = format!("{}/{repository}", registry.host);
    let check = |config: &ImageConfig, manifest: &str, user: &str, port: &str| {
        assert_eq!(config.digest.as_deref(), Some(manifest));
        assert_eq!(config.user.as_deref(), Some(user));
        assert_eq!(config.volumes, ["/var/lib/app"]);
        assert_eq!(config.exposed_ports, [port]);
        assert_eq!(config.entrypoint, ["/hello"]);
        assert_eq!(config.env, ["PATH"]);
    };
    let fetch = |reference: &str, options: &RegistryOptions| {
        fetch_config(reference, options)
            .unwrap_or_else(|e| panic!("{reference}: {e}\nregistry log:\n{}", registry.log()))
    };
    check(
        &fetch(&format!("{name}:v1"), &amd64),
        &manifests[0].0,
        "1000:1000",
        "8080/tcp",
    );
    check(
        &fetch(&format!("{name}:v1"), &options(None, "arm64")),
        &manifests[1].0,
        "2000",
        "9090/udp",
    );
    // By digest over the network (no cache), the index's and the manifest's.
    check(
        &fetch(&format!("{name}@{index_digest}"), &options(None, "amd64")),
        &manifests[0].0,
        "1000:1000",
        "8080/tcp",
    );
    check(
        &fetch(
            &format!("{name}@{}", manifests[1].0),
            &options(None, "amd64"),
        ),
        &manifests[1].0,
        "2000",
        "9090/udp",
    );
    let missing = fetch_config(&format!("{name}:v2"), &amd64).unwrap_err();
    assert!(
        matches!(missing, RegistryError::Status { status: 404, .. }),
        "{missing}"
    );
    let missing = fetch_config(
        &format!("{}/composeguard/nothing:v1", registry.host),
        &amd64,
    )
    .unwrap_err();
    assert!(
        matches!(missing, RegistryError::Status { status: 404, .. }),
        "{missing}"
    );

    // With the registry stopped, the index's digest is answered from the cache.
    let host = registry.host.clone();
    drop(registry);
    let config = fetch_config(&format!("{host}/{repository}@{index_digest}"), &amd64).unwrap();
    check(&config, &manifests[0].0, "1000:1000", "8080/tcp");
    let gone = fetch_config(&format!("{host}/{repository}:v1"), &amd64).unwrap_err();
    assert!(matches!(gone, RegistryError::Unreachable { .. }), "{gone}");
}
