//! The service-level `tmpfs` form: one `PATH[:OPTIONS]` string or a list of them, and the
//! sizes (`64m`) its options give.

use super::{Compose, Service};
use crate::document::{NodeId, NodeKind};

/// One service-level `tmpfs` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tmpfs<'d> {
    /// The entry's node (a list item, or the key's single value).
    pub node: NodeId,
    /// The entry as written.
    pub text: &'d str,
}

impl<'d> Tmpfs<'d> {
    /// The path as written, and what follows its first `:` (empty without options).
    pub fn split(&self) -> (&'d str, &'d str) {
        self.text.split_once(':').unwrap_or((self.text, ""))
    }

    /// The path, cleaned for comparison ([`clean_path`]).
    pub fn target(&self) -> String {
        clean_path(self.split().0)
    }

    /// The comma-separated options, trimmed, empty ones left out.
    pub fn options(&self) -> Vec<&'d str> {
        self.split()
            .1
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .collect()
    }
}

impl<'d> Compose<'d> {
    /// The service's effective `tmpfs` entries (a string or a list of strings; a null or
    /// anything else holds none).
    pub(crate) fn tmpfs(&self, service: &Service) -> Vec<Tmpfs<'d>> {
        let doc = self.doc;
        let Some(lookup) = self.service_get(service, "tmpfs").found() else {
            return Vec::new();
        };
        match &doc.node(lookup.resolved).kind {
            NodeKind::Scalar { value, .. } if !doc.is_null(lookup.resolved) => vec![Tmpfs {
                node: lookup.resolved,
                text: value,
            }],
            NodeKind::Sequence(items) => items
                .iter()
                .filter_map(|i| doc.scalar(*i).map(|text| Tmpfs { node: *i, text }))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Normalises a container path for comparison (`/tmp/` = `/tmp`).
pub(crate) fn clean_path(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('/');
    if trimmed.is_empty() {
        "/".into()
    } else {
        trimmed.to_owned()
    }
}

/// Bytes in a size such as `64m`, for Swarm's integer `tmpfs.size`.
pub(crate) fn size_in_bytes(size: &str) -> Option<u64> {
    let s = size.trim().to_ascii_lowercase();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().ok()?;
    let factor = match unit.trim_end_matches('b') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => return None,
    };
    Some(n * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size_in_bytes("64m"), Some(64 << 20));
        assert_eq!(size_in_bytes("1G"), Some(1 << 30));
        assert_eq!(size_in_bytes("512k"), Some(512 << 10));
        assert_eq!(size_in_bytes("100"), Some(100));
        assert_eq!(size_in_bytes("lots"), None);
        assert_eq!(clean_path("/tmp/"), "/tmp");
        assert_eq!(clean_path("/"), "/");
    }

    #[test]
    fn entries() {
        let e = |text| Tmpfs { node: 0, text };
        assert_eq!(
            e("/tmp/:noexec, ,size=64m").split(),
            ("/tmp/", "noexec, ,size=64m")
        );
        assert_eq!(e("/tmp/:noexec, ,size=64m").target(), "/tmp");
        assert_eq!(e(" /run").target(), "/run");
        assert_eq!(
            e("/tmp:noexec, ,size=64m").options(),
            ["noexec", "size=64m"]
        );
        assert!(e("/tmp").options().is_empty());
    }
}
