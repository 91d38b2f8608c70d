//! The service-level `volumes` form: the short syntax `[SOURCE:]TARGET[:MODE]`, or the long
//! syntax, a mapping (`type`, `source`, `target`, ...) whose fields are read through `<<`
//! merges like any other mapping's.

use super::{Compose, Service, Syntax};
use crate::document::NodeId;

/// What a volume entry mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MountType {
    /// A host path (`type: bind`, or a short-syntax source starting with `/`, `.` or `~`).
    Bind,
    /// A named or anonymous volume.
    Volume,
    /// Anything else the long syntax names (`tmpfs`, `npipe`, `image`, ...), or no `type`.
    Other,
}

/// One entry of a service's `volumes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mount<'d> {
    /// The list item (a scalar or a mapping).
    pub node: NodeId,
    /// What it mounts.
    pub kind: MountType,
    /// The source as written: a host path or a volume name (None for an anonymous volume).
    pub source: Option<&'d str>,
    /// The container path as written.
    pub target: Option<&'d str>,
}

impl<'d> Mount<'d> {
    /// Reads the short syntax, split at every `:` the way Compose splits it.
    fn short(node: NodeId, text: &'d str) -> Mount<'d> {
        let mut parts = text.split(':');
        let first = parts.next().unwrap_or(text);
        match parts.next() {
            None => Mount {
                node,
                kind: MountType::Volume,
                source: None,
                target: Some(first),
            },
            Some(target) => Mount {
                node,
                kind: if first.starts_with(['/', '.', '~']) {
                    MountType::Bind
                } else {
                    MountType::Volume
                },
                source: Some(first),
                target: Some(target),
            },
        }
    }

    /// The host path of a bind mount.
    pub fn bind_source(&self) -> Option<&'d str> {
        self.source.filter(|_| self.kind == MountType::Bind)
    }
}

impl<'d> Compose<'d> {
    /// The service's effective `volumes` entries, short or long syntax (items of another kind
    /// are left out).
    pub(crate) fn volumes(&self, service: &Service) -> Vec<Mount<'d>> {
        self.service_entries(service, "volumes")
            .map(|(node, entry)| match entry {
                Syntax::Short(text) => Mount::short(node, text),
                Syntax::Long(map) => Mount {
                    node,
                    kind: match self.field(map, "type") {
                        Some("bind") => MountType::Bind,
                        Some("volume") => MountType::Volume,
                        _ => MountType::Other,
                    },
                    source: self.field(map, "source"),
                    target: self.field(map, "target"),
                },
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;

    fn mounts(yaml: &str) -> Vec<(MountType, Option<String>, Option<String>)> {
        let doc = Document::parse(yaml).unwrap();
        let compose = Compose::new(&doc).unwrap();
        let services = compose.services();
        compose
            .volumes(&services[0])
            .iter()
            .map(|m| {
                (
                    m.kind,
                    m.source.map(str::to_owned),
                    m.target.map(str::to_owned),
                )
            })
            .collect()
    }

    #[test]
    fn short_and_long_syntax() {
        use MountType::*;
        let s = |s: &str| Some(s.to_owned());
        assert_eq!(
            mounts(
                "services:\n  a:\n    volumes:\n      - /etc:/host/etc:ro\n      - ./data:/data\n      - ~/x:/x\n      - cache:/cache\n      - /anonymous\n      - type: bind\n        source: /srv\n        target: /srv\n      - {type: tmpfs, target: /tmp}\n      - [nested]\n"
            ),
            [
                (Bind, s("/etc"), s("/host/etc")),
                (Bind, s("./data"), s("/data")),
                (Bind, s("~/x"), s("/x")),
                (Volume, s("cache"), s("/cache")),
                (Volume, None, s("/anonymous")),
                (Bind, s("/srv"), s("/srv")),
                (Other, None, s("/tmp")),
            ]
        );
    }

    #[test]
    fn long_syntax_reads_through_merges() {
        let m = mounts(
            "x-bind: &bind {type: bind, source: /etc}\nservices:\n  a:\n    volumes:\n      - <<: *bind\n        target: /host/etc\n",
        );
        assert_eq!(
            m,
            [(
                MountType::Bind,
                Some("/etc".to_owned()),
                Some("/host/etc".to_owned())
            )]
        );
    }
}
