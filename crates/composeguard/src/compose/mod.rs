//! The compose view: services and their *effective* values, answered on the span tree.
//!
//! A value is looked up the way Compose (go-yaml) sees it: the mapping's own key wins, then each
//! `<<` merge source in order (a mapping, an alias of one, or a sequence of those), recursively
//! for chained merges. Aliases are followed, never expanded, so an alias bomb costs nothing here.
//!
//! Each Compose form with a syntax of its own is read in one submodule, the one place that
//! parses it; rules call these instead of splitting strings themselves.

mod capabilities;
mod image;
mod ports;
mod secrets;
mod tmpfs;
mod user;
mod volumes;

pub(crate) use capabilities::normalize_capability;
pub use image::ImageRef;
pub(crate) use ports::Published;
pub(crate) use tmpfs::{clean_path, size_in_bytes};
pub use user::{UserSetting, user_setting};

use crate::document::{Document, MapTarget, NodeId, NodeKind};
use crate::error::Error;

/// Deepest chain of `extends` followed (a guard; real files use a handful).
const MAX_MERGE_DEPTH: usize = 32;

/// Most mappings one lookup searches through `<<` merges (each at most once).
const MAX_MERGE_VISITS: usize = 10_000;

/// One service of a compose file or project: every definition of its name that Compose
/// merges (the YAML documents of a file, the files of `-f a -f b`), in merge order. The fields
/// outside `parts` are those of its *home* definition, where new keys go: the last one that
/// sets `image`, else the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service name.
    pub name: String,
    /// Index of the YAML document that defines it.
    pub document: usize,
    /// The key node (its span is where diagnostics point).
    pub key: NodeId,
    /// The value node as written (may be an alias or a null).
    pub value: NodeId,
    /// The mapping that defines the service, aliases followed (None for `svc:`).
    pub body: Option<NodeId>,
    /// True when the service's key sits in a flow mapping (`services: {a: {...}}`).
    pub in_flow: bool,
    /// Every definition Compose merges into this service, first to last (a later one's
    /// values win; its lists are appended).
    pub parts: Vec<Part>,
}

/// One definition of a service (see [`Service::parts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Index of the YAML document that holds it.
    pub document: usize,
    /// The key node.
    pub key: NodeId,
    /// The value node as written.
    pub value: NodeId,
    /// The mapping, aliases followed (None for `svc:`).
    pub body: Option<NodeId>,
    /// True when the key sits in a flow mapping.
    pub in_flow: bool,
}

/// Where a YAML document of a project's text comes from (see [`Layout`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Place {
    /// The file (its index among the project's files).
    pub file: usize,
    /// Documents of one group merge their services; services of different groups (an
    /// `include`d project and the one that includes it) must have different names.
    pub group: usize,
    /// False for a file read only because a service `extends` one of its services (its
    /// services are not the project's, and no fix may edit it), and for an empty document.
    pub services: bool,
}

/// How the YAML documents of a text make up a project. Without one (a single file), every
/// document is of file 0 and group 0, so a file's `---` documents merge as Compose merges them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Layout {
    /// One per YAML document of the text, in order.
    pub documents: Vec<Place>,
    /// Each `extends: {file: ...}` of a file that names a file of the layout: (the naming
    /// file, the path as written, the file it names), resolved by the project beforehand.
    pub extends: Vec<(usize, String, usize)>,
}

/// Where an effective value was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookup {
    /// The key node.
    pub key: NodeId,
    /// The value node as written.
    pub value: NodeId,
    /// The value with aliases followed.
    pub resolved: NodeId,
    /// The mapping that holds the entry (aliases followed).
    pub owner: NodeId,
    /// True when the entry comes through a `<<` merge.
    pub inherited: bool,
}

/// The answer of [`Compose::service_get`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceLookup {
    /// The key is set (in the service, a merge source, or a base service of this file).
    Found(Lookup),
    /// The key is not set anywhere composeguard can see.
    Absent,
    /// The service extends a service of another file; the key may be set there.
    External,
}

impl ServiceLookup {
    /// The lookup, if the key was found.
    pub fn found(self) -> Option<Lookup> {
        match self {
            ServiceLookup::Found(l) => Some(l),
            _ => None,
        }
    }
}

/// A list item of a Compose form, as written (see [`Compose::service_entries`]).
#[derive(Debug, Clone, Copy)]
enum Syntax<'d> {
    /// The short syntax: a string.
    Short(&'d str),
    /// The long syntax: a mapping (aliases followed), read with [`Compose::field`].
    Long(NodeId),
}

/// A read-only view of a parsed compose file.
#[derive(Debug, Clone, Copy)]
pub struct Compose<'d> {
    doc: &'d Document,
    layout: Option<&'d Layout>,
}

impl<'d> Compose<'d> {
    /// Checks the top-level shape of every document and wraps it.
    pub fn new(doc: &'d Document) -> Result<Compose<'d>, Error> {
        Compose::with_layout(doc, None)
    }

    /// The same, for a project's text made of several files (see [`Layout`]).
    pub(crate) fn with_layout(
        doc: &'d Document,
        layout: Option<&'d Layout>,
    ) -> Result<Compose<'d>, Error> {
        let source = doc.source();
        let roots: Vec<NodeId> = doc.documents().iter().filter_map(|d| d.root).collect();
        if roots.is_empty() {
            return Err(Error::Empty);
        }
        for root in roots {
            let resolved = doc.resolve(root);
            if doc.is_null(resolved) && doc.documents().len() > 1 {
                continue; // an empty document between `---` markers
            }
            if !matches!(doc.node(resolved).kind, NodeKind::Mapping(_)) {
                if doc.is_null(resolved) {
                    return Err(Error::Empty);
                }
                let pos = doc.lines().position(source, doc.node(root).start);
                return Err(Error::NotAMapping {
                    line: pos.line,
                    column: pos.column,
                    found: describe(doc, resolved),
                });
            }
            if let Some((_, value)) = doc.own_entry(resolved, "services") {
                let v = doc.resolve(value);
                if !matches!(doc.node(v).kind, NodeKind::Mapping(_)) && !doc.is_null(v) {
                    let pos = doc.lines().position(source, doc.node(value).start);
                    return Err(Error::ServicesNotAMapping {
                        line: pos.line,
                        column: pos.column,
                        found: describe(doc, v),
                    });
                }
            }
        }
        let compose = Compose { doc, layout };
        compose.check_shapes()?;
        Ok(compose)
    }

    /// Checks that the keys composeguard reads and edits hold the kind of value Compose
    /// expects (a null counts as unset): a fix must never meet `logging.driver: [json-file]`
    /// or `limits: []` and write a second key beside it.
    fn check_shapes(&self) -> Result<(), Error> {
        #[derive(Clone, Copy, PartialEq)]
        enum Shape {
            Map,
            Seq,
            Scalar,
            /// A list or a single string (`tmpfs`, `environment` as a list or a mapping...).
            SeqOrScalar,
            MapOrSeq,
            MapOrScalar,
        }
        use Shape::*;
        const SERVICE: &[(&str, Shape)] = &[
            ("logging", Map),
            ("deploy", Map),
            ("healthcheck", Map),
            ("ulimits", Map),
            ("cap_add", Seq),
            ("cap_drop", Seq),
            ("security_opt", Seq),
            ("ports", Seq),
            ("volumes", Seq),
            ("secrets", Seq),
            ("tmpfs", SeqOrScalar),
            ("environment", MapOrSeq),
            ("extends", MapOrScalar),
            ("image", Scalar),
            ("user", Scalar),
            ("read_only", Scalar),
            ("privileged", Scalar),
            ("mem_limit", Scalar),
            ("cpus", Scalar),
            ("pids_limit", Scalar),
        ];
        const NESTED: &[(&str, &str, Shape)] = &[
            ("logging", "driver", Scalar),
            ("logging", "options", Map),
            ("deploy", "resources", Map),
            ("resources", "limits", Map),
            ("resources", "reservations", Map),
        ];
        let doc = self.doc;
        let describe_kind = |id: NodeId| describe(doc, id);
        // The key's path (service, parent, key) is written only for an error: most keys have
        // the right shape.
        let check = |path: (&str, &str, &str), lookup: Lookup, shape: Shape| -> Result<(), Error> {
            let value = lookup.resolved;
            if doc.is_null(value) {
                return Ok(());
            }
            let kind = &doc.node(value).kind;
            let ok = match shape {
                Map => matches!(kind, NodeKind::Mapping(_)),
                Seq => matches!(kind, NodeKind::Sequence(_)),
                Scalar => matches!(kind, NodeKind::Scalar { .. }),
                SeqOrScalar => !matches!(kind, NodeKind::Mapping(_)),
                MapOrSeq => !matches!(kind, NodeKind::Scalar { .. }),
                MapOrScalar => !matches!(kind, NodeKind::Sequence(_)),
            };
            if ok {
                return Ok(());
            }
            let expected = match shape {
                Map => "a mapping",
                Seq => "a list",
                Scalar => "a single value",
                SeqOrScalar => "a list or a single value",
                MapOrSeq => "a mapping or a list",
                MapOrScalar => "a mapping or a single value",
            };
            let pos = doc
                .lines()
                .position(doc.source(), doc.node(lookup.value).start);
            let path = match path {
                (name, "", key) => format!("services.{name}.{key}"),
                (name, parent, key) => format!("services.{name}.{parent}.{key}"),
            };
            Err(Error::WrongShape {
                path,
                expected,
                found: describe_kind(value),
                line: pos.line,
                column: pos.column,
            })
        };
        for service in self.services() {
            if service.body.is_none() {
                continue;
            }
            let mut found: Vec<(&str, Lookup)> = Vec::new();
            for (key, shape) in SERVICE {
                if let Some(l) = self.service_get(&service, key).found() {
                    check((&service.name, "", key), l, *shape)?;
                    found.push((key, l));
                }
            }
            // One level down, and `resources` under `deploy`.
            let mut parents = found.clone();
            if let Some((_, deploy)) = found.iter().find(|(k, _)| *k == "deploy")
                && matches!(doc.node(deploy.resolved).kind, NodeKind::Mapping(_))
                && let Some(resources) = self.get(deploy.resolved, "resources")
            {
                parents.push(("resources", resources));
            }
            for (parent, key, shape) in NESTED {
                let Some((_, p)) = parents.iter().find(|(k, _)| k == parent) else {
                    continue;
                };
                if !matches!(doc.node(p.resolved).kind, NodeKind::Mapping(_)) {
                    continue;
                }
                if let Some(l) = self.get(p.resolved, key) {
                    let prefix = if *parent == "resources" {
                        "deploy.resources"
                    } else {
                        parent
                    };
                    check((&service.name, prefix, key), l, *shape)?;
                }
            }
        }
        Ok(())
    }

    /// The underlying document.
    pub fn document(&self) -> &'d Document {
        self.doc
    }

    /// The top-level mapping of each document (empty documents skipped).
    pub fn roots(&self) -> impl Iterator<Item = (usize, NodeId)> + '_ {
        self.doc
            .documents()
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.root.map(|r| (i, self.doc.resolve(r))))
            .filter(|(_, r)| matches!(self.doc.node(*r).kind, NodeKind::Mapping(_)))
    }

    /// A view of `doc` without the shape checks of [`Compose::new`] (for a text already
    /// checked).
    pub(crate) fn view(doc: &'d Document) -> Compose<'d> {
        Compose { doc, layout: None }
    }

    /// Where a YAML document comes from.
    pub(crate) fn place(&self, document: usize) -> Place {
        self.layout
            .and_then(|l| l.documents.get(document).copied())
            .unwrap_or(Place {
                file: 0,
                group: 0,
                services: true,
            })
    }

    /// Every service, in the order of its first definition; the definitions of one name that
    /// Compose merges (several YAML documents of a file, several files) are one service.
    pub fn services(&self) -> Vec<Service> {
        let doc = self.doc;
        let mut out: Vec<Service> = Vec::new();
        // Services of the first document that has any: a later document's definition of the
        // same name (in the same group) merges into an earlier one.
        let mut first: Option<usize> = None;
        for (document, root) in self.roots() {
            let place = self.place(document);
            if !place.services {
                continue;
            }
            let Some((_, services)) = doc.own_entry(root, "services") else {
                continue;
            };
            let services = doc.resolve(services);
            let in_flow = doc.node(services).flow;
            for (key, value) in doc.entries(services) {
                // A `<<` merge key directly under `services:` is not a service; what it merges
                // is a mapping shared with another block, which composeguard does not edit.
                let Some(name) = doc.scalar_key(*key).filter(|n| *n != "<<") else {
                    continue;
                };
                let resolved = doc.resolve(*value);
                let body =
                    matches!(doc.node(resolved).kind, NodeKind::Mapping(_)).then_some(resolved);
                let part = Part {
                    document,
                    key: *key,
                    value: *value,
                    body,
                    in_flow,
                };
                let earlier = match first {
                    Some(d) if d != document => out.iter().position(|s| {
                        s.name == name && self.place(s.document).group == place.group
                    }),
                    _ => None,
                };
                first.get_or_insert(document);
                match earlier {
                    Some(i) => out[i].parts.push(part),
                    None => out.push(Service {
                        name: name.to_owned(),
                        document,
                        key: *key,
                        value: *value,
                        body,
                        in_flow,
                        parts: vec![part],
                    }),
                }
            }
        }
        for service in &mut out {
            if service.parts.len() < 2 {
                continue;
            }
            let home = service
                .parts
                .iter()
                .rev()
                .find(|p| p.body.is_some_and(|b| self.get(b, "image").is_some()))
                .unwrap_or(&service.parts[0]);
            (service.document, service.key, service.value) = (home.document, home.key, home.value);
            (service.body, service.in_flow) = (home.body, home.in_flow);
        }
        out
    }

    /// The effective value of `key` in `map` (merge keys resolved).
    ///
    /// Each mapping is searched at most once per lookup, so a file whose merge keys fan out
    /// (`<<: [*a, *a]` repeated) costs linear time, not exponential.
    pub fn get(&self, map: NodeId, key: &str) -> Option<Lookup> {
        let doc = self.doc;
        // Fast path, no allocation: the mapping's own keys, and no merge key to follow.
        let own = doc.resolve(map);
        let mut merges = false;
        for (k, v) in doc.entries(own) {
            match doc.scalar_key(*k) {
                Some(name) if name == key && key != "<<" => {
                    return Some(Lookup {
                        key: *k,
                        value: *v,
                        resolved: doc.resolve(*v),
                        owner: own,
                        inherited: false,
                    });
                }
                Some("<<") => merges = true,
                _ => {}
            }
        }
        if !merges {
            return None;
        }
        let mut visited: Vec<NodeId> = Vec::new();
        // Depth-first in priority order: own keys, then each merge source in order.
        let mut stack: Vec<(NodeId, bool)> = vec![(doc.resolve(map), false)];
        while let Some((owner, inherited)) = stack.pop() {
            if visited.contains(&owner) || visited.len() > MAX_MERGE_VISITS {
                continue;
            }
            visited.push(owner);
            let entries = doc.entries(owner);
            if key != "<<" {
                for (k, v) in entries {
                    if doc.scalar_key(*k) == Some(key) {
                        return Some(Lookup {
                            key: *k,
                            value: *v,
                            resolved: doc.resolve(*v),
                            owner,
                            inherited,
                        });
                    }
                }
            }
            let mut sources = Vec::new();
            for (k, v) in entries {
                if doc.scalar_key(*k) == Some("<<") {
                    sources.extend(self.merge_sources(*v));
                }
            }
            stack.extend(sources.into_iter().rev().map(|s| (s, true)));
        }
        None
    }

    /// The effective value of `key` for a service: its definitions from the last to the first
    /// (a later file's value wins), each with its own mapping and `<<` merges first, then the
    /// service it `extends` (recursively). [`ServiceLookup::External`] when the chain reaches
    /// `extends` with a `file:` that is not part of what composeguard was given.
    pub fn service_get(&self, service: &Service, key: &str) -> ServiceLookup {
        let mut external = false;
        for part in service.parts.iter().rev() {
            match self.chain_get(part.document, part.body, key) {
                ServiceLookup::Found(l) => return ServiceLookup::Found(l),
                ServiceLookup::External => external = true,
                ServiceLookup::Absent => {}
            }
        }
        if external {
            ServiceLookup::External
        } else {
            ServiceLookup::Absent
        }
    }

    /// The value of `key` for the definitions that set it, first to last, each found as
    /// [`Compose::service_get`] finds it in one definition: a list Compose appends across
    /// files is the concatenation of these.
    pub fn service_get_all(&self, service: &Service, key: &str) -> Vec<Lookup> {
        let mut out = Vec::new();
        for part in &service.parts {
            if let Some(found) = self.chain_get(part.document, part.body, key).found() {
                // `!override` and `!reset` replace what the files before set.
                if matches!(
                    self.doc.node(found.value).tag.as_deref(),
                    Some("!override" | "!reset")
                ) {
                    out.clear();
                }
                out.push(found);
            }
        }
        out
    }

    /// The value of `key` in one definition and the services it extends.
    fn chain_get(&self, document: usize, body: Option<NodeId>, key: &str) -> ServiceLookup {
        let mut current = body.map(|b| (document, b));
        for _ in 0..MAX_MERGE_DEPTH {
            let Some((document, body)) = current else {
                return ServiceLookup::Absent;
            };
            if let Some(found) = self.get(body, key) {
                return ServiceLookup::Found(found);
            }
            match self.extends_target(document, body) {
                Extends::None => return ServiceLookup::Absent,
                Extends::External => return ServiceLookup::External,
                Extends::Found(next) => current = next,
            }
        }
        ServiceLookup::Absent
    }

    /// The definition a service's `extends` names: in the same file (the same document first),
    /// or, with `file:`, in that file when it is part of the layout.
    fn extends_target(&self, document: usize, body: NodeId) -> Extends {
        let doc = self.doc;
        if !doc.says_extends() {
            return Extends::None;
        }
        let Some(extends) = self.get(body, "extends") else {
            return Extends::None;
        };
        let (file, name) = match &doc.node(extends.resolved).kind {
            NodeKind::Scalar { value, .. } => (None, &**value),
            NodeKind::Mapping(_) => {
                let file = self.field(extends.resolved, "file");
                match self.field(extends.resolved, "service") {
                    Some(name) => (file, name),
                    None => return Extends::None,
                }
            }
            _ => return Extends::None,
        };
        let from = self.place(document);
        let file = match file {
            None => from.file,
            Some(path) => {
                let Some(layout) = self.layout else {
                    return Extends::External;
                };
                let found = layout
                    .extends
                    .iter()
                    .find(|(f, written, _)| *f == from.file && written == path);
                match found {
                    Some((_, _, to)) => *to,
                    None => return Extends::External,
                }
            }
        };
        // The same document first (what a single file always did), then the file's others,
        // the last definition winning.
        let same = (file == from.file).then_some(document);
        let others = (0..doc.documents().len())
            .rev()
            .filter(|d| Some(*d) != same && self.place(*d).file == file);
        for d in same.into_iter().chain(others) {
            if let Some(body) = self.definition(d, name) {
                return Extends::Found(body.map(|b| (d, b)));
            }
        }
        Extends::Found(None)
    }

    /// The body of the service `name` in one document: None when the document does not
    /// define it, Some(None) when it does without a mapping.
    fn definition(&self, document: usize, name: &str) -> Option<Option<NodeId>> {
        let doc = self.doc;
        let root = doc.resolve(doc.documents().get(document)?.root?);
        doc.as_mapping(root)?;
        let (_, services) = doc.own_entry(root, "services")?;
        let services = doc.resolve(services);
        doc.as_mapping(services)?;
        let (_, value) = doc.own_entry(services, name)?;
        let resolved = doc.resolve(value);
        Some(doc.as_mapping(resolved).map(|_| resolved))
    }

    /// The items of a service's effective list-valued key that use a form's short syntax (a
    /// string) or its long one (a mapping), each with its node; none when the key is unset or
    /// not a list, and items of another kind left out.
    fn service_entries(
        &self,
        service: &Service,
        key: &str,
    ) -> impl Iterator<Item = (NodeId, Syntax<'d>)> + use<'d> {
        let doc = self.doc;
        // Compose appends a list across the files (and documents) that define the service.
        let lists = self.service_get_all(service, key);
        let items = lists
            .into_iter()
            .flat_map(move |l| doc.as_sequence(l.resolved).unwrap_or_default());
        items.filter_map(move |&node| {
            if let Some(text) = doc.scalar(node) {
                return Some((node, Syntax::Short(text)));
            }
            let map = doc.resolve(node);
            doc.as_mapping(map).map(|_| (node, Syntax::Long(map)))
        })
    }

    /// The effective scalar value of `key` in `map` (merge keys resolved): how a long-syntax
    /// entry's fields are read.
    fn field(&self, map: NodeId, key: &str) -> Option<&'d str> {
        self.get(map, key).and_then(|l| self.doc.scalar(l.resolved))
    }

    /// The name of the service of the same file that `service` extends, if it extends one.
    pub fn same_file_base(&self, service: &Service) -> Option<String> {
        let doc = self.doc;
        let extends = self.get(service.body?, "extends")?;
        match &doc.node(extends.resolved).kind {
            NodeKind::Scalar { value, .. } => Some(value.to_string()),
            NodeKind::Mapping(_) if self.get(extends.resolved, "file").is_none() => self
                .get(extends.resolved, "service")
                .and_then(|s| doc.scalar(s.resolved))
                .map(str::to_owned),
            _ => None,
        }
    }

    /// The services of this file that `service` extends, nearest first (`extends:` without
    /// `file:`), at most 32 deep (Compose refuses cycles; this stops on them).
    pub fn bases<'s>(
        &'s self,
        services: &'s [Service],
        service: &'s Service,
    ) -> impl Iterator<Item = &'s Service> + 's {
        let mut at = service;
        std::iter::from_fn(move || {
            let base = self.same_file_base(at)?;
            let group = self.place(at.document).group;
            let next = services
                .iter()
                .find(|t| t.name == base && self.place(t.document).group == group)?;
            at = next;
            Some(next)
        })
        .take(32)
    }

    /// True when following a definition's `extends` comes back to it (Compose refuses the
    /// project).
    pub(crate) fn extends_cycle(&self, part: &Part) -> bool {
        let Some(start) = part.body else { return false };
        let mut seen = vec![start];
        let mut current = (part.document, start);
        for _ in 0..MAX_MERGE_DEPTH * 4 {
            match self.extends_target(current.0, current.1) {
                Extends::Found(Some(next)) => {
                    if seen.contains(&next.1) {
                        return true;
                    }
                    seen.push(next.1);
                    current = next;
                }
                _ => return false,
            }
        }
        true
    }

    /// Every mapping that gives a service values: each definition, last first, followed by
    /// the definitions it extends (in this file or another file of the layout).
    pub(crate) fn bodies(&self, service: &Service) -> Vec<NodeId> {
        let mut out = Vec::new();
        for part in service.parts.iter().rev() {
            let mut current = part.body.map(|b| (part.document, b));
            for _ in 0..MAX_MERGE_DEPTH {
                let Some((document, body)) = current else {
                    break;
                };
                if out.contains(&body) {
                    break;
                }
                out.push(body);
                current = match self.extends_target(document, body) {
                    Extends::Found(next) => next,
                    _ => None,
                };
            }
        }
        out
    }

    /// The mappings a `<<` value merges, in priority order.
    pub fn merge_sources(&self, value: NodeId) -> Vec<NodeId> {
        let doc = self.doc;
        let resolved = doc.resolve(value);
        match &doc.node(resolved).kind {
            NodeKind::Mapping(_) => vec![resolved],
            NodeKind::Sequence(items) => items
                .iter()
                .map(|i| doc.resolve(*i))
                .filter(|i| matches!(doc.node(*i).kind, NodeKind::Mapping(_)))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Every effective key of a mapping (own keys first, then inherited ones), merges resolved.
    pub fn keys(&self, map: NodeId) -> Vec<String> {
        let doc = self.doc;
        let mut out: Vec<String> = Vec::new();
        let mut visited: Vec<NodeId> = Vec::new();
        let mut stack = vec![doc.resolve(map)];
        while let Some(owner) = stack.pop() {
            if visited.contains(&owner) || visited.len() > MAX_MERGE_VISITS {
                continue;
            }
            visited.push(owner);
            let entries = doc.entries(owner);
            let mut sources = Vec::new();
            for (k, v) in entries {
                match doc.scalar_key(*k) {
                    Some("<<") => sources.extend(self.merge_sources(*v)),
                    Some(name) if !out.iter().any(|o| o == name) => out.push(name.to_owned()),
                    _ => {}
                }
            }
            stack.extend(sources.into_iter().rev());
        }
        out
    }

    /// True when the value carries Compose's `!reset` tag (the key then counts as unset).
    pub fn is_reset(&self, value: NodeId) -> bool {
        self.doc.node(value).tag.as_deref() == Some("!reset")
    }

    /// Where new keys of a service go: its own mapping, or its null value.
    pub fn service_target(&self, service: &Service) -> Option<MapTarget> {
        match service.body {
            Some(body) => Some(MapTarget::Mapping(body)),
            None if self.doc.is_null(service.value)
                && self.doc.resolve(service.value) == service.value =>
            {
                Some(MapTarget::Null {
                    key: service.key,
                    value: service.value,
                    in_flow: service.in_flow,
                })
            }
            None => None,
        }
    }

    /// Where new keys of the mapping under `lookup` go.
    pub fn value_target(&self, lookup: &Lookup) -> Option<MapTarget> {
        let doc = self.doc;
        match doc.node(lookup.resolved).kind {
            NodeKind::Mapping(_) => Some(MapTarget::Mapping(lookup.resolved)),
            _ if doc.is_null(lookup.value) && lookup.resolved == lookup.value => {
                Some(MapTarget::Null {
                    key: lookup.key,
                    value: lookup.value,
                    in_flow: doc.node(lookup.owner).flow,
                })
            }
            _ => None,
        }
    }
}

/// What a service's `extends` leads to.
enum Extends {
    /// No `extends` (or one without a service name).
    None,
    /// A file composeguard was not given.
    External,
    /// The definition it names (None when it does not exist or is not a mapping).
    Found(Option<(usize, NodeId)>),
}

fn describe(doc: &Document, id: NodeId) -> &'static str {
    match &doc.node(id).kind {
        NodeKind::Sequence(_) => "a sequence",
        NodeKind::Mapping(_) => "a mapping",
        NodeKind::Scalar { .. } if doc.is_null(id) => "empty",
        NodeKind::Scalar { .. } => "a scalar",
        NodeKind::Alias(_) => "an alias",
    }
}
