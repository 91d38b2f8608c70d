//! Image references: `[REGISTRY/]PATH[:TAG][@DIGEST]`, as Docker reads them.

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
    pub(crate) fn full(&self) -> String {
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
}
