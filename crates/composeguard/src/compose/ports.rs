//! The service-level `ports` form: the short syntax `[IP:][HOST:]CONTAINER[/PROTO]`, or the
//! long syntax, a mapping (`target`, `published`, `host_ip`, ...) whose fields are read
//! through `<<` merges like any other mapping's.

use super::{Compose, Service, Syntax};
use crate::document::NodeId;

/// A published port, parsed from the short or long syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Published {
    /// The item node (a scalar or a mapping).
    pub node: NodeId,
    /// The host IP as written (`None`: every interface).
    pub host_ip: Option<String>,
    /// Host port range (None: a random host port).
    pub host: Option<(u16, u16)>,
    /// Container port range.
    pub container: (u16, u16),
    /// The short-syntax text, if written that way.
    pub short: Option<String>,
}

impl Published {
    /// Parses `[IP:][HOST:]CONTAINER[/PROTO]` (IPv6 in brackets), as go-connections does.
    pub fn parse(node: NodeId, text: &str) -> Option<Published> {
        if text.contains('$') {
            return None;
        }
        let spec = text.split('/').next().unwrap_or(text);
        let (ip, rest) = if let Some(stripped) = spec.strip_prefix('[') {
            let (ip, rest) = stripped.split_once(']')?;
            (Some(format!("[{ip}]")), rest.strip_prefix(':')?)
        } else {
            let parts: Vec<&str> = spec.rsplitn(3, ':').collect();
            match parts.len() {
                3 => (Some(parts[2].to_owned()), &spec[parts[2].len() + 1..]),
                _ => (None, spec),
            }
        };
        let (host, container) = match rest.rsplit_once(':') {
            Some((h, c)) => (if h.is_empty() { None } else { Some(range(h)?) }, range(c)?),
            None => (None, range(rest)?),
        };
        Some(Published {
            node,
            host_ip: ip,
            host,
            container,
            short: Some(text.to_owned()),
        })
    }

    /// True when the port listens on every interface (no IP, `0.0.0.0`, `::`, `[::]`).
    pub fn all_interfaces(&self) -> bool {
        self.host_ip
            .as_deref()
            .is_none_or(|ip| matches!(ip.trim_matches(['[', ']']), "0.0.0.0" | "::" | ""))
    }

    /// Every port it names, container ports first, then host ports.
    pub fn ports(&self) -> impl Iterator<Item = u16> + '_ {
        let (a, b) = self.container;
        let host = self.host.map(|(a, b)| a..=b);
        (a..=b).chain(host.into_iter().flatten())
    }
}

/// A port or a `LOW-HIGH` range.
fn range(text: &str) -> Option<(u16, u16)> {
    match text.split_once('-') {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => {
            let p = text.trim().parse().ok()?;
            Some((p, p))
        }
    }
}

impl Compose<'_> {
    /// The service's effective `ports`, short or long syntax; entries that are interpolated
    /// (`${PORT}:80`) or that do not parse are left out.
    pub(crate) fn ports(&self, service: &Service) -> Vec<Published> {
        self.service_entries(service, "ports")
            .filter_map(|(node, entry)| match entry {
                Syntax::Short(text) => Published::parse(node, text),
                Syntax::Long(map) => self.long_port(node, map),
            })
            .collect()
    }

    /// Reads the long syntax (`target`, `published`, `host_ip`).
    fn long_port(&self, node: NodeId, map: NodeId) -> Option<Published> {
        let get = |key: &str| self.field(map, key);
        let container = get("target").and_then(range)?;
        let host = get("published").and_then(range);
        if get("published").is_some_and(|p| p.contains('$'))
            || get("host_ip").is_some_and(|p| p.contains('$'))
        {
            return None;
        }
        Some(Published {
            node,
            host_ip: get("host_ip").map(str::to_owned),
            host,
            container,
            short: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Published {
        Published::parse(0, text).unwrap()
    }

    #[test]
    fn short_syntax() {
        assert_eq!(p("5432").host, None);
        assert_eq!(p("5432:5432").host, Some((5432, 5432)));
        assert_eq!(
            p("127.0.0.1:5432:5432").host_ip.as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(p("[::1]:6001:6001").host_ip.as_deref(), Some("[::1]"));
        assert_eq!(p("8000-8010:8000-8010/udp").container, (8000, 8010));
        assert_eq!(p("127.0.0.1::5432").host, None);
        assert!(p("0.0.0.0:5432:5432").all_interfaces());
        assert!(p("[::]:5432:5432").all_interfaces());
        assert!(!p("127.0.0.1:5432:5432").all_interfaces());
    }

    #[test]
    fn long_syntax_reads_through_merges() {
        let doc = crate::document::Document::parse(
            "x-local: &local {host_ip: 127.0.0.1, published: \"5432\"}\nservices:\n  db:\n    ports:\n      - <<: *local\n        target: 5432\n",
        )
        .unwrap();
        let compose = Compose::new(&doc).unwrap();
        let ports = compose.ports(&compose.services()[0]);
        assert_eq!(ports.len(), 1);
        assert_eq!(ports[0].host, Some((5432, 5432)));
        assert!(!ports[0].all_interfaces());
    }
}
