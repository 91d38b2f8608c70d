//! Reads an image's config from a registry, with the OCI distribution API: the manifest of a tag
//! or digest (an index or manifest list is narrowed to one platform), then the config blob it
//! names, checked against its sha256 digest.
//!
//! Only anonymous access: a registry that answers 401 with a Bearer challenge (Docker Hub,
//! ghcr.io, quay.io, a `docker-registry` with token auth) gives an anonymous pull token, as it
//! gives `docker pull` one for a public image. `docker login`'s credentials are never read.
//!
//! Config blobs are cached by digest, with a small entry per manifest digest naming its config,
//! so an image named by digest is answered with no network at all. Tags are always asked of the
//! registry, since they move.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::image_config::ImageConfig;

#[cfg(test)]
mod test_server;
#[cfg(test)]
mod tests;

/// The largest manifest (or index) read: real ones are a few KiB.
const MAX_MANIFEST: u64 = 4 << 20;
/// The largest config blob read: real ones are at most a few hundred KiB.
const MAX_CONFIG: u64 = 8 << 20;
/// The largest token answer read.
const MAX_TOKEN: u64 = 1 << 20;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_V1: &str = "application/vnd.docker.distribution.manifest.v1+json";
const DOCKER_V1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";

/// Where and how [`fetch_config`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryOptions {
    /// The folder of cached config blobs; None caches nothing.
    pub cache_dir: Option<PathBuf>,
    /// The platform whose image an index is narrowed to: (os, architecture), Go's names
    /// (`linux`, `amd64`), as in an index's `platform`.
    pub platform: (String, String),
    /// The time one request may take, from connecting to its last byte.
    pub timeout: Duration,
}

impl Default for RegistryOptions {
    /// The cache under `$XDG_CACHE_HOME/composeguard/images` (or `~/.cache/...`), this
    /// machine's Linux platform, 30 s.
    fn default() -> Self {
        RegistryOptions {
            cache_dir: default_cache_dir(|name| std::env::var_os(name)),
            platform: (
                "linux".to_owned(),
                go_arch(std::env::consts::ARCH).to_owned(),
            ),
            timeout: Duration::from_secs(30),
        }
    }
}

/// `$XDG_CACHE_HOME/composeguard/images`, else `$HOME/.cache/composeguard/images`; a relative
/// path in either is ignored, as the XDG spec says.
fn default_cache_dir(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let absolute = |name: &str| var(name).map(PathBuf::from).filter(|p| p.is_absolute());
    let base = absolute("XDG_CACHE_HOME").or_else(|| absolute("HOME").map(|h| h.join(".cache")))?;
    Some(base.join("composeguard").join("images"))
}

/// Rust's name of an architecture as Go (and so an image index) spells it.
fn go_arch(rust: &str) -> &str {
    match rust {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "loongarch64" => "loong64",
        other => other,
    }
}

/// Why an image's config could not be read from its registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "`{reference}` is not an image reference: {reason} (write [HOST[:PORT]/]NAME[:TAG][@sha256:DIGEST], such as postgres:16)"
    )]
    BadReference { reference: String, reason: String },
    #[error(
        "cannot reach the registry {host}: {error}; check the network, the registry's name, and HTTPS_PROXY if a proxy is needed"
    )]
    Unreachable { host: String, error: String },
    #[error("{url} answered HTTP {status}: {hint}")]
    Status {
        status: u16,
        url: String,
        hint: &'static str,
    },
    #[error("`{reference}` has no image for {wanted}; it has {list}", list = platforms(.available))]
    NoPlatform {
        reference: String,
        wanted: String,
        available: Vec<String>,
    },
    #[error(
        "{url} sent content whose digest is {actual}, not {expected}: the registry or a proxy between changed it; try again, and tell the registry's owner if it stays"
    )]
    DigestMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("`{reference}`: {what}")]
    Unsupported { reference: String, what: String },
    #[error(
        "{url} is over {limit_mib} MiB, larger than any image {what}: composeguard refuses to read it"
    )]
    TooLarge {
        url: String,
        what: &'static str,
        limit_mib: u64,
    },
    #[error("{url} answered with a malformed {what}: {reason}")]
    Malformed {
        url: String,
        what: &'static str,
        reason: String,
    },
}

/// The platforms of an index, for [`RegistryError::NoPlatform`].
fn platforms(available: &[String]) -> String {
    if available.is_empty() {
        "no image for any platform".to_owned()
    } else {
        available.join(", ")
    }
}

/// What an HTTP status means for someone reading a public image.
fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            "the image is private or does not exist; `docker login` is not used by composeguard, which reads only public images from a registry (check the name)"
        }
        404 => "no such image or tag (check the name and the tag)",
        429 => {
            "too many requests: the registry limits anonymous pulls (Docker Hub by address); wait and try again"
        }
        500..=599 => "the registry failed; try again later",
        _ => "an answer a registry does not give to a pull",
    }
}

/// An image reference, as Docker reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Reference {
    /// The host (and port) to connect to: `registry-1.docker.io` for Docker Hub.
    host: String,
    /// The repository: `library/postgres`.
    repository: String,
    /// The tag, `latest` when none is given.
    tag: String,
    /// The digest (`sha256:` and 64 hex digits); when given, the tag is not used.
    digest: Option<String>,
}

impl Reference {
    /// The tag or digest to ask the registry's manifests for.
    fn object(&self) -> &str {
        self.digest.as_deref().unwrap_or(&self.tag)
    }
}

/// Reads `[HOST[:PORT]/]PATH[:TAG][@DIGEST]` as Docker's `reference.ParseNormalizedNamed` does.
fn parse_reference(reference: &str) -> Result<Reference, String> {
    if reference.is_empty() {
        return Err("it is empty".into());
    }
    if reference
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("it has a space or a control character".into());
    }
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => {
            if !valid_digest(digest) {
                return Err(format!(
                    "`{digest}` is not a digest (sha256: and 64 lowercase hex digits)"
                ));
            }
            (rest, Some(digest.to_owned()))
        }
        None => (reference, None),
    };
    // A `:` after the last `/` starts the tag; one before it is a port.
    let (name, tag) = match rest.rfind(':') {
        Some(i) if !rest[i + 1..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if let Some(tag) = tag
        && !valid_tag(tag)
    {
        return Err(format!(
            "`{tag}` is not a tag (up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`)"
        ));
    }
    let (host, path) = match name.split_once('/') {
        Some((first, path)) if first.contains(['.', ':']) || first == "localhost" => (first, path),
        _ => ("docker.io", name),
    };
    if !valid_host(host) {
        return Err(format!("`{host}` is not a registry host"));
    }
    if name.len() > 255 {
        return Err("the name is longer than 255 characters".into());
    }
    if path.is_empty() {
        return Err("it has no image name".into());
    }
    for component in path.split('/') {
        if let Some(why) = bad_component(component) {
            return Err(why);
        }
    }
    let docker_hub = matches!(
        host,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    );
    let repository = if docker_hub && !path.contains('/') {
        format!("library/{path}")
    } else {
        path.to_owned()
    };
    Ok(Reference {
        host: if docker_hub {
            "registry-1.docker.io".to_owned()
        } else {
            host.to_owned()
        },
        repository,
        tag: tag.unwrap_or("latest").to_owned(),
        digest,
    })
}

/// `sha256:` and 64 lowercase hex digits, the only digests composeguard can check.
fn valid_digest(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

fn valid_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && word(bytes[0])
        && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-')
}

/// `host[:port]`: DNS labels (letters, digits, `-`) or `[IPv6]`, and a port of digits.
fn valid_host(host: &str) -> bool {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let Some((ip, after)) = rest.split_once(']') else {
            return false;
        };
        if ip.parse::<Ipv6Addr>().is_err() {
            return false;
        }
        match after {
            "" => return true,
            _ => match after.strip_prefix(':') {
                Some(port) => (None, Some(port)),
                None => return false,
            },
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) => (Some(name), Some(port)),
            None => (Some(host), None),
        }
    };
    let name_ok = name.is_none_or(|name| {
        !name.is_empty()
            && name.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    });
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    name_ok && port_ok
}

/// Why a path component is not `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`.
fn bad_component(component: &str) -> Option<String> {
    if component.is_empty() {
        return Some("the name has an empty part (`//` or a `/` at an end)".into());
    }
    if component.bytes().any(|b| b.is_ascii_uppercase()) {
        return Some(format!(
            "`{component}` has capitals; repository names are lowercase"
        ));
    }
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bad = || {
        Some(format!(
            "`{component}` is not a name part (lowercase letters and digits, joined by `.`, `_`, `__` or `-`)"
        ))
    };
    let bytes = component.as_bytes();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return bad();
    }
    let mut separator = String::new();
    for &b in bytes {
        if alnum(b) {
            let ok = separator.is_empty()
                || matches!(separator.as_str(), "." | "_" | "__")
                || separator.bytes().all(|s| s == b'-');
            if !ok {
                return bad();
            }
            separator.clear();
        } else if matches!(b, b'.' | b'_' | b'-') {
            separator.push(b as char);
        } else {
            return bad();
        }
    }
    None
}

/// True for the hosts dockerd reaches over plain HTTP without being told: localhost, 127.0.0.0/8
/// and ::1 (with any port).
fn insecure_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        return rest
            .split_once(']')
            .and_then(|(ip, _)| ip.parse::<Ipv6Addr>().ok())
            .is_some_and(|ip| ip.is_loopback());
    } else {
        host.split_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// A `WWW-Authenticate: Bearer` challenge.
#[derive(Debug, PartialEq, Eq)]
struct Challenge {
    realm: String,
    service: Option<String>,
    scope: Option<String>,
}

/// Reads `Bearer realm="...",service="...",scope="..."` (quoted or bare values, in any order);
/// None for another scheme or without a realm.
fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim_start();
    let (scheme, mut rest) = header.split_at(header.find(char::is_whitespace)?);
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut params = BTreeMap::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        let (key, after) = rest.split_once('=')?;
        let key = key.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let value;
        if let Some(quoted) = after.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => text.push(chars.next()?.1),
                    '"' => {
                        end = Some(i + 1);
                        break;
                    }
                    c => text.push(c),
                }
            }
            value = text;
            rest = &quoted[end?..];
        } else {
            let end = after.find(',').unwrap_or(after.len());
            value = after[..end].trim().to_owned();
            rest = &after[end..];
        }
        params.entry(key).or_insert(value);
    }
    let realm = params.remove("realm").filter(|r| !r.is_empty())?;
    Some(Challenge {
        realm,
        service: params.remove("service"),
        scope: params.remove("scope"),
    })
}

/// The kinds of manifest a registry answers with.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Index,
    Manifest,
    SchemaOne,
    Other(String),
}

/// The manifest's kind, from its `mediaType` (or the Content-Type when it has none, as Docker
/// manifest lists and old OCI ones may not), else from its shape.
fn kind_of(document: &Value, content_type: Option<&str>) -> Kind {
    if document.get("schemaVersion").and_then(Value::as_u64) == Some(1) {
        return Kind::SchemaOne;
    }
    let content_type = content_type.map(|t| t.split(';').next().unwrap_or(t).trim());
    let media_type = document
        .get("mediaType")
        .and_then(Value::as_str)
        .or(content_type);
    match media_type {
        Some(OCI_INDEX | DOCKER_LIST) => Kind::Index,
        Some(OCI_MANIFEST | DOCKER_MANIFEST) => Kind::Manifest,
        Some(DOCKER_V1 | DOCKER_V1_SIGNED) => Kind::SchemaOne,
        _ if document.get("manifests").is_some_and(Value::is_array) => Kind::Index,
        _ if document.get("config").is_some_and(Value::is_object) => Kind::Manifest,
        other => Kind::Other(other.unwrap_or("none").to_owned()),
    }
}

/// The entry of an index for the platform `os`/`arch`, or the platforms the index has. The
/// variant decides only between several entries of the wanted os and architecture: one with
/// none, or the usual one (`v8` for arm64, `v7` for arm), else the first.
fn select_platform<'a>(
    entries: &'a [Value],
    os: &str,
    arch: &str,
) -> Result<&'a Value, Vec<String>> {
    let field = |entry: &'a Value, key: &str| -> &'a str {
        entry
            .get("platform")
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let image = |entry: &Value| {
        entry
            .get("mediaType")
            .and_then(Value::as_str)
            .is_none_or(|t| t == OCI_MANIFEST || t == DOCKER_MANIFEST)
    };
    let matching: Vec<&Value> = entries
        .iter()
        .filter(|e| image(e) && field(e, "os") == os && field(e, "architecture") == arch)
        .collect();
    let usual = match arch {
        "arm64" => "v8",
        "arm" => "v7",
        _ => "",
    };
    if let Some(entry) = matching
        .iter()
        .find(|e| matches!(field(e, "variant"), v if v.is_empty() || v == usual))
        .or(matching.first())
    {
        return Ok(entry);
    }
    let mut available: Vec<String> = Vec::new();
    for entry in entries.iter().filter(|e| image(e)) {
        let (os, arch, variant) = (
            field(entry, "os"),
            field(entry, "architecture"),
            field(entry, "variant"),
        );
        if os.is_empty() || os == "unknown" || arch == "unknown" {
            continue; // attestations (buildx's provenance and SBOM manifests)
        }
        let name = if variant.is_empty() {
            format!("{os}/{arch}")
        } else {
            format!("{os}/{arch}/{variant}")
        };
        if !available.contains(&name) {
            available.push(name);
        }
    }
    Err(available)
}

fn sha256_digest(bytes: &[u8]) -> String {
    let mut digest = String::from("sha256:");
    for b in Sha256::digest(bytes) {
        let _ = write!(digest, "{b:02x}");
    }
    digest
}

/// What the cache keeps for a manifest digest.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ManifestEntry {
    /// For an image manifest: the digest of its config blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config: Option<String>,
    /// For an index: for each platform (`os/arch`) read, its manifest's and config's digests.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    platforms: BTreeMap<String, Resolved>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Resolved {
    manifest: String,
    config: String,
}

/// The cache folder: `sha256-<hex>.json` config blobs, `manifest-<hex>.json` entries. Every
/// name is made from a checked digest. A missing, unreadable or corrupt file is a miss; a file
/// that cannot be written is left unwritten.
struct Cache<'a> {
    dir: &'a Path,
}

impl Cache<'_> {
    fn path(&self, prefix: &str, digest: &str) -> Option<PathBuf> {
        valid_digest(digest).then(|| self.dir.join(format!("{prefix}{}.json", &digest[7..])))
    }

    /// The config blob of `digest`, if cached whole (its sha256 is checked again).
    fn blob(&self, digest: &str) -> Option<Value> {
        let bytes = std::fs::read(self.path("sha256-", digest)?).ok()?;
        (sha256_digest(&bytes) == digest)
            .then(|| serde_json::from_slice(&bytes).ok())
            .flatten()
    }

    fn put_blob(&self, digest: &str, bytes: &[u8]) {
        if let Some(path) = self.path("sha256-", digest) {
            self.write(&path, bytes);
        }
    }

    fn entry(&self, digest: &str) -> Option<ManifestEntry> {
        let bytes = std::fs::read(self.path("manifest-", digest)?).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn put_entry(&self, digest: &str, entry: &ManifestEntry) {
        if let (Some(path), Ok(bytes)) = (self.path("manifest-", digest), serde_json::to_vec(entry))
        {
            self.write(&path, &bytes);
        }
    }

    /// Writes atomically: a temporary file in the folder, renamed over the name.
    fn write(&self, path: &Path, bytes: &[u8]) {
        let written = std::fs::create_dir_all(self.dir).and_then(|()| {
            let mut file = tempfile::NamedTempFile::new_in(self.dir)?;
            file.write_all(bytes)?;
            file.persist(path).map_err(|e| e.error)?;
            Ok(())
        });
        drop(written); // a cache that cannot be written is only a slower one
    }

    /// The config of the image `digest` names (a manifest, or an index read for `platform`),
    /// when everything it takes is cached.
    fn lookup(&self, digest: &str, platform: &str) -> Option<ImageConfig> {
        let entry = self.entry(digest)?;
        let (manifest, config) = match entry.config {
            Some(config) => (digest.to_owned(), config),
            None => {
                let resolved = entry.platforms.get(platform)?.clone();
                (resolved.manifest, resolved.config)
            }
        };
        if !valid_digest(&manifest) {
            return None;
        }
        let blob = self.blob(&config)?;
        Some(ImageConfig::from_config(&blob["config"], Some(manifest)))
    }
}

/// Reads an image's config from its registry (or, for a reference by digest, from the cache).
/// The config's digest is the manifest digest of the platform's image.
pub fn fetch_config(
    reference: &str,
    options: &RegistryOptions,
) -> Result<ImageConfig, RegistryError> {
    let parsed = parse_reference(reference).map_err(|reason| RegistryError::BadReference {
        reference: reference.to_owned(),
        reason,
    })?;
    let (os, arch) = (&options.platform.0, &options.platform.1);
    let platform = format!("{os}/{arch}");
    let cache = options.cache_dir.as_deref().map(|dir| Cache { dir });
    if let (Some(cache), Some(digest)) = (&cache, &parsed.digest)
        && let Some(config) = cache.lookup(digest, &platform)
    {
        return Ok(config);
    }
    let mut client = Client::new(&parsed, options.timeout);

    let (top_digest, document, kind) =
        client.manifest(parsed.object(), parsed.digest.as_deref())?;
    let (manifest_digest, manifest, index_digest) = match kind {
        Kind::Index => {
            let entries = document
                .get("manifests")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let entry = select_platform(entries, os, arch).map_err(|available| {
                RegistryError::NoPlatform {
                    reference: reference.to_owned(),
                    wanted: platform.clone(),
                    available,
                }
            })?;
            let digest = entry
                .get("digest")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if !valid_digest(digest) {
                return Err(client.malformed(
                    "manifests",
                    parsed.object(),
                    "index",
                    format!("the {platform} entry's digest is not a sha256 digest"),
                ));
            }
            if entry
                .get("size")
                .and_then(Value::as_u64)
                .is_some_and(|size| size > MAX_MANIFEST)
            {
                return Err(client.too_large("manifests", digest, "manifest", MAX_MANIFEST));
            }
            // The platform's manifest is immutable: when its config is cached, no need to ask.
            if let Some(cache) = &cache
                && let Some(config_digest) = cache.entry(digest).and_then(|e| e.config)
                && let Some(blob) = cache.blob(&config_digest)
            {
                remember_platform(cache, &top_digest, &platform, digest, &config_digest);
                return Ok(ImageConfig::from_config(
                    &blob["config"],
                    Some(digest.to_owned()),
                ));
            }
            let (digest, manifest, kind) = client.manifest(digest, Some(digest))?;
            if kind != Kind::Manifest {
                return Err(RegistryError::Unsupported {
                    reference: reference.to_owned(),
                    what: format!(
                        "the {platform} entry of its index is not an image manifest ({kind:?})"
                    ),
                });
            }
            (digest, manifest, Some(top_digest))
        }
        Kind::Manifest => (top_digest, document, None),
        Kind::SchemaOne => {
            return Err(RegistryError::Unsupported {
                reference: reference.to_owned(),
                what: "its manifest is of schema 1, which Docker stopped pulling in version 20.10 and registries stopped serving; push the image again with a current Docker".into(),
            });
        }
        Kind::Other(media_type) => {
            return Err(RegistryError::Unsupported {
                reference: reference.to_owned(),
                what: format!("its manifest is not an image's (media type {media_type})"),
            });
        }
    };

    let descriptor = manifest.get("config").unwrap_or(&Value::Null);
    let media_type = descriptor.get("mediaType").and_then(Value::as_str);
    if media_type.is_some_and(|t| t != OCI_CONFIG && t != DOCKER_CONFIG) {
        return Err(RegistryError::Unsupported {
            reference: reference.to_owned(),
            what: format!(
                "it is not a container image but an artifact (config media type {})",
                media_type.unwrap_or_default()
            ),
        });
    }
    let config_digest = descriptor
        .get("digest")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if !valid_digest(&config_digest) {
        return Err(client.malformed(
            "manifests",
            &manifest_digest,
            "manifest",
            "its config's digest is not a sha256 digest".into(),
        ));
    }
    if descriptor
        .get("size")
        .and_then(Value::as_u64)
        .is_some_and(|size| size > MAX_CONFIG)
    {
        return Err(client.too_large("blobs", &config_digest, "config", MAX_CONFIG));
    }
    let blob = match cache.as_ref().and_then(|c| c.blob(&config_digest)) {
        Some(blob) => blob,
        None => {
            let (bytes, _) = client.get("blobs", &config_digest, None, MAX_CONFIG, "config")?;
            let actual = sha256_digest(&bytes);
            if actual != config_digest {
                return Err(RegistryError::DigestMismatch {
                    url: client.url("blobs", &config_digest),
                    expected: config_digest,
                    actual,
                });
            }
            let blob: Value = serde_json::from_slice(&bytes)
                .map_err(|e| client.malformed("blobs", &config_digest, "config", e.to_string()))?;
            if let Some(cache) = &cache {
                cache.put_blob(&config_digest, &bytes);
            }
            blob
        }
    };
    if let Some(cache) = &cache {
        let entry = ManifestEntry {
            config: Some(config_digest.clone()),
            ..ManifestEntry::default()
        };
        cache.put_entry(&manifest_digest, &entry);
        if let Some(index) = &index_digest {
            remember_platform(cache, index, &platform, &manifest_digest, &config_digest);
        }
    }
    Ok(ImageConfig::from_config(
        &blob["config"],
        Some(manifest_digest),
    ))
}

/// Records in the index's cache entry which manifest and config its `platform` has.
fn remember_platform(cache: &Cache, index: &str, platform: &str, manifest: &str, config: &str) {
    let mut entry = cache.entry(index).unwrap_or_default();
    entry.config = None;
    entry.platforms.insert(
        platform.to_owned(),
        Resolved {
            manifest: manifest.to_owned(),
            config: config.to_owned(),
        },
    );
    cache.put_entry(index, &entry);
}

/// The requests of one [`fetch_config`]: one registry, one repository, one token.
struct Client<'a> {
    agent: ureq::Agent,
    /// `https://host` (`http://` for a loopback host).
    base: String,
    host: &'a str,
    repository: &'a str,
    /// The anonymous pull token, once a 401 asked for one. Never shown.
    token: Option<String>,
}

impl<'a> Client<'a> {
    fn new(parsed: &'a Reference, timeout: Duration) -> Client<'a> {
        let insecure = insecure_host(&parsed.host);
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .max_redirects(5)
            .user_agent(concat!("composeguard/", env!("CARGO_PKG_VERSION")));
        if insecure {
            config = config.proxy(None); // a proxy elsewhere does not reach this machine's registry
        }
        Client {
            agent: config.build().new_agent(),
            base: format!(
                "{}://{}",
                if insecure { "http" } else { "https" },
                parsed.host
            ),
            host: &parsed.host,
            repository: &parsed.repository,
            token: None,
        }
    }

    fn url(&self, kind: &str, object: &str) -> String {
        format!("{}/v2/{}/{kind}/{object}", self.base, self.repository)
    }

    fn unreachable(&self, error: &ureq::Error) -> RegistryError {
        RegistryError::Unreachable {
            host: self.host.to_owned(),
            error: error.to_string(),
        }
    }

    fn malformed(
        &self,
        kind: &str,
        object: &str,
        what: &'static str,
        reason: String,
    ) -> RegistryError {
        RegistryError::Malformed {
            url: self.url(kind, object),
            what,
            reason,
        }
    }

    fn too_large(&self, kind: &str, object: &str, what: &'static str, limit: u64) -> RegistryError {
        RegistryError::TooLarge {
            url: self.url(kind, object),
            what,
            limit_mib: limit >> 20,
        }
    }

    /// The manifest `object` (tag or digest), its digest (checked against `expected`), and kind.
    fn manifest(
        &mut self,
        object: &str,
        expected: Option<&str>,
    ) -> Result<(String, Value, Kind), RegistryError> {
        let accept = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(", ");
        let (bytes, content_type) =
            self.get("manifests", object, Some(&accept), MAX_MANIFEST, "manifest")?;
        let digest = sha256_digest(&bytes);
        if let Some(expected) = expected
            && digest != expected
        {
            return Err(RegistryError::DigestMismatch {
                url: self.url("manifests", object),
                expected: expected.to_owned(),
                actual: digest,
            });
        }
        let document: Value = serde_json::from_slice(&bytes)
            .map_err(|e| self.malformed("manifests", object, "manifest", e.to_string()))?;
        let kind = kind_of(&document, content_type.as_deref());
        Ok((digest, document, kind))
    }

    /// GETs `/v2/<repository>/<kind>/<object>`, with a token once the registry asks for one,
    /// following redirects (blobs are served from storage elsewhere; the token is not sent
    /// there). The body and its Content-Type.
    fn get(
        &mut self,
        kind: &str,
        object: &str,
        accept: Option<&str>,
        limit: u64,
        what: &'static str,
    ) -> Result<(Vec<u8>, Option<String>), RegistryError> {
        let url = self.url(kind, object);
        loop {
            let mut request = self.agent.get(&url);
            if let Some(accept) = accept {
                request = request.header("Accept", accept);
            }
            if let Some(token) = &self.token {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
            let response = request.call().map_err(|e| self.unreachable(&e))?;
            let status = response.status().as_u16();
            if status == 401
                && self.token.is_none()
                && let Some(challenge) = response
                    .headers()
                    .get("www-authenticate")
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_challenge)
            {
                self.token = Some(self.fetch_token(&challenge, &url)?);
                continue;
            }
            if status != 200 {
                return Err(RegistryError::Status {
                    status,
                    url,
                    hint: status_hint(status),
                });
            }
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let bytes = self.read(response, limit, &url, what)?;
            return Ok((bytes, content_type));
        }
    }

    fn read(
        &self,
        mut response: ureq::http::Response<ureq::Body>,
        limit: u64,
        url: &str,
        what: &'static str,
    ) -> Result<Vec<u8>, RegistryError> {
        let too_large = || RegistryError::TooLarge {
            url: url.to_owned(),
            what,
            limit_mib: limit >> 20,
        };
        if response.body().content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        match response.body_mut().with_config().limit(limit).read_to_vec() {
            Ok(bytes) => Ok(bytes),
            Err(ureq::Error::BodyExceedsLimit(_)) => Err(too_large()),
            Err(e) => Err(self.unreachable(&e)),
        }
    }

    /// An anonymous pull token from the challenge's realm (the challenge came from `url`).
    fn fetch_token(&self, challenge: &Challenge, url: &str) -> Result<String, RegistryError> {
        let realm = &challenge.realm;
        let bad = |why: &str| RegistryError::Malformed {
            url: url.to_owned(),
            what: "authentication challenge",
            reason: format!("its realm `{realm}` {why}"),
        };
        let (tls, rest) = if let Some(rest) = realm.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = realm.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad("is not an http(s) URL"));
        };
        let realm_host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
        if realm_host.is_empty() || realm_host.contains('@') {
            return Err(bad("has no host, or credentials in it"));
        }
        if !tls && !insecure_host(realm_host) {
            return Err(bad("is plain HTTP to another machine"));
        }
        let mut request = self.agent.get(realm);
        if let Some(service) = &challenge.service {
            request = request.query("service", service);
        }
        let scope = format!("repository:{}:pull", self.repository);
        let request = request.query("scope", &scope);
        let shown = format!(
            "{realm} (service {:?}, scope {scope})",
            challenge.service.as_deref().unwrap_or("")
        );
        let response = request.call().map_err(|e| RegistryError::Unreachable {
            host: realm_host.to_owned(),
            error: e.to_string(),
        })?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(RegistryError::Status {
                status,
                url: shown,
                hint: status_hint(status),
            });
        }
        let bytes = self.read(response, MAX_TOKEN, &shown, "token")?;
        let answer: Value =
            serde_json::from_slice(&bytes).map_err(|e| RegistryError::Malformed {
                url: shown.clone(),
                what: "token",
                reason: e.to_string(),
            })?;
        ["token", "access_token"]
            .iter()
            .find_map(|key| {
                answer
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
            })
            .map(str::to_owned)
            .ok_or_else(|| RegistryError::Malformed {
                url: shown,
                what: "token",
                reason: "it has no `token` nor `access_token`".into(),
            })
    }
}
