//! What a rule sees while it runs, and where it reports: the document, its compose view, the
//! file's style, the settings, and the rule and service the engine is running.

use std::ops::Range;
use std::sync::Arc;

use crate::compose::{Compose, Lookup, Service, UserSetting, user_setting};
use crate::diagnostic::Diagnostic;
use crate::document::{Document, MapTarget, NodeId, NodeKind};
use crate::edit::Edit;
use crate::engine::Options;
use crate::images::{self, Known};
use crate::interpolation::interpolate;
use crate::rule::RuleMeta;
use crate::settings::{Settings, Target};
use crate::style::Style;
use crate::writer::{NewValue, append_values};

/// The items of a sequence: each node with its scalar text (None for a mapping item).
pub type ListItems<'a> = Vec<(NodeId, Option<&'a str>)>;

/// What a rule sees, and where it reports.
pub struct Context<'a> {
    /// The parsed file.
    pub doc: &'a Document,
    /// The compose view of it.
    pub compose: Compose<'a>,
    /// Every service of the file, in order.
    pub services: &'a [Service],
    /// The file's style, for new text.
    pub style: &'a Style,
    /// Values the fixes write.
    pub settings: &'a Settings,
    /// Where the file is deployed.
    pub target: Target,
    /// The variables the file is interpolated with.
    environment: &'a [(String, String)],
    /// Facts about images from outside the library.
    #[cfg(feature = "facts")]
    image_facts: &'a [images::ImageFacts],
    enabled: Vec<&'static str>,
    diagnostics: Vec<Diagnostic>,
    /// The rule being run: findings are reported under it.
    rule: &'static RuleMeta,
    /// The service being checked (None in `check_file`).
    service: Option<&'a Service>,
    /// The last [`Context::image`] answer, by the service's key node: every check asks it of
    /// the service being checked, and a table lookup parses the reference and scans the table.
    last_image: std::cell::Cell<Option<(NodeId, Option<Known>)>>,
    /// The service name of the last finding, shared by the next ones of the same service.
    last_name: Option<Arc<str>>,
}

impl<'a> Context<'a> {
    /// A context over `doc` for the rules whose codes are `enabled`.
    pub(crate) fn new(
        doc: &'a Document,
        compose: Compose<'a>,
        services: &'a [Service],
        style: &'a Style,
        options: &'a Options,
        enabled: Vec<&'static str>,
    ) -> Context<'a> {
        Context {
            doc,
            compose,
            services,
            style,
            settings: &options.settings,
            target: options.target,
            environment: &options.environment,
            #[cfg(feature = "facts")]
            image_facts: &options.image_facts,
            enabled,
            diagnostics: Vec::new(),
            rule: crate::rules::unused_suppression::UnusedSuppression::META,
            service: None,
            last_image: std::cell::Cell::new(None),
            last_name: None,
        }
    }

    /// Sets the rule (and the service, for `check_service`) that findings are reported under.
    pub(crate) fn run(&mut self, rule: &'static RuleMeta, service: Option<&'a Service>) {
        self.rule = rule;
        self.service = service;
    }

    /// The findings reported so far, and the codes of the rules enabled.
    pub(crate) fn finish(self) -> (Vec<Diagnostic>, Vec<&'static str>) {
        (self.diagnostics, self.enabled)
    }

    /// Reports a finding of the running rule on a byte range (about the service being
    /// checked, if any).
    pub fn report(&mut self, range: Range<usize>, message: impl Into<String>) -> &mut Diagnostic {
        self.report_as(self.rule, range, message)
    }

    /// Reports a finding under another rule of the same check (CG301–CG303 share one).
    pub fn report_as(
        &mut self,
        rule: &'static RuleMeta,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let service = self.service;
        self.push(rule, range, service, message.into())
    }

    /// Reports a finding of the running rule about `service` from `check_file` (a file-wide
    /// check that looks at several services at once).
    pub fn report_about(
        &mut self,
        service: &Service,
        range: Range<usize>,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.push(self.rule, range, Some(service), message.into())
    }

    fn push(
        &mut self,
        rule: &'static RuleMeta,
        range: Range<usize>,
        service: Option<&Service>,
        message: String,
    ) -> &mut Diagnostic {
        let service = service.map(|s| match &self.last_name {
            Some(name) if **name == *s.name => Arc::clone(name),
            _ => Arc::clone(self.last_name.insert(s.name.as_str().into())),
        });
        let diagnostic = Diagnostic::new(self.doc, rule, range, service, message);
        self.diagnostics.push(diagnostic);
        self.diagnostics.last_mut().expect("just pushed")
    }

    /// Reports a finding of the running rule on the key of the service being checked.
    pub fn report_service(&mut self, message: impl Into<String>) -> &mut Diagnostic {
        self.report_service_as(self.rule, message)
    }

    /// Reports that the service being checked clears `key` with `!reset` (so the control is
    /// off whatever its bases say): `service `web` resets `key` with `!reset`<consequence>`.
    pub fn report_reset(&mut self, key: &str, consequence: &str) -> &mut Diagnostic {
        let name = self.service.map_or("", |s| s.name.as_str());
        let message = format!("service `{name}` resets `{key}` with `!reset`{consequence}");
        self.report_service(message)
    }

    /// Reports a finding under another rule of the same check on the service's key.
    pub fn report_service_as(
        &mut self,
        rule: &'static RuleMeta,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let range = self.service.map_or(0..0, |s| self.span(s.key));
        self.report_as(rule, range, message)
    }

    /// True when the rule with this code runs in this check.
    pub fn enabled(&self, code: &str) -> bool {
        self.enabled.contains(&code)
    }

    /// The effective value of a service key (merges and same-file `extends` followed).
    pub fn get(&self, service: &Service, key: &str) -> Option<Lookup> {
        self.compose.service_get(service, key).found()
    }

    /// The effective scalar value of a service key.
    pub fn scalar(&self, service: &Service, key: &str) -> Option<&'a str> {
        let doc: &'a Document = self.doc;
        self.get(service, key).and_then(|l| doc.scalar(l.resolved))
    }

    /// The image reference of a service, if it has one.
    pub fn image_ref(&self, service: &Service) -> Option<&'a str> {
        self.scalar(service, "image")
    }

    /// `f` of the service's image reference as Compose reads it, variables interpolated
    /// (`${PG_IMAGE:-postgres:16}` is `postgres:16` when `PG_IMAGE` is unset); None without one.
    fn with_image<T>(&self, service: &Service, f: impl FnOnce(&str) -> Option<T>) -> Option<T> {
        let reference = self.image_ref(service)?;
        if !reference.contains('$') {
            return f(reference);
        }
        let value = |name: &str| {
            let found = self.environment.iter().rev().find(|(n, _)| n == name);
            found.map(|(_, v)| v.clone())
        };
        f(&interpolate(reference, &value)?)
    }

    /// The service's image reference as Compose reads it (see [`Context::image`]).
    pub(crate) fn resolved_image(&self, service: &Service) -> Option<String> {
        self.with_image(service, |r| Some(r.to_owned()))
    }

    /// What composeguard knows about the service's image, from its table: the reference as
    /// Compose reads it, variables interpolated.
    pub fn image(&self, service: &Service) -> Option<Known> {
        if let Some((key, known)) = self.last_image.get()
            && key == service.key
        {
            return known;
        }
        let known = self.with_image(service, images::lookup);
        self.last_image.set(Some((service.key, known)));
        known
    }

    /// Facts given with the options about the service's image (its own config, what `learn`
    /// observed); they come before the table's. Always None in the browser module.
    #[inline(always)]
    pub fn facts(&self, service: &Service) -> Option<&'a images::ImageFacts> {
        #[cfg(feature = "facts")]
        {
            if self.image_facts.is_empty() {
                return None;
            }
            self.with_image(service, |r| self.image_facts.iter().find(|f| f.matches(r)))
        }
        #[cfg(not(feature = "facts"))]
        {
            let _ = service;
            None
        }
    }

    /// Where a new `key` of the service goes: None when the service already sets it (itself,
    /// through a merge or through `extends`, to any value), or has no mapping to add it to.
    pub fn target_for_new(&self, service: &Service, key: &str) -> Option<MapTarget> {
        if self.get(service, key).is_some() {
            return None;
        }
        self.compose.service_target(service)
    }

    /// The items of a sequence-valued key as (node, scalar text) pairs, with the lookup.
    pub fn list(&self, service: &Service, key: &str) -> Option<(Lookup, ListItems<'a>)> {
        let doc: &'a Document = self.doc;
        let lookup = self.get(service, key)?;
        let items = doc
            .as_sequence(lookup.resolved)?
            .iter()
            .map(|i| (*i, doc.scalar(*i)))
            .collect();
        Some((lookup, items))
    }

    /// Plans how `service` gets the `missing` items of the list-valued `key`, where that list
    /// may be one node that several services read (a `<<` merge of a shared block). An edit to
    /// a shared node must be right for each of them: the node gets only the items every
    /// service reading it is missing (once: the edit is the same in each service's fix), and a
    /// service that needs more gets a list of its own (a local key replaces the merged one, so
    /// it starts with the inherited items). A list inherited through `extends` is never
    /// edited: Compose appends the service's own list to it, so the service gets a key with
    /// just what it misses. `missing_for` says what another service would be missing (empty
    /// when the rule leaves it alone). None when the key holds something other than a list.
    pub(crate) fn plan_list(
        &self,
        service: &Service,
        key: &str,
        missing: &[NewValue],
        missing_for: impl Fn(&Service) -> Vec<NewValue>,
    ) -> Option<ListPlan> {
        let doc = self.doc;
        if missing.is_empty() {
            return Some(ListPlan::default());
        }
        let Some(lookup) = self.get(service, key) else {
            return Some(ListPlan {
                new_key: Some(missing.to_vec()),
                ..ListPlan::default()
            });
        };
        let seq = lookup.resolved;
        // A `!reset` list is empty whatever it holds: items added to it are ignored.
        if self.compose.is_reset(lookup.value) {
            return None;
        }
        doc.as_sequence(seq)?;
        // The list a definition of the service sets itself (or merges with `<<`), not one
        // inherited through `extends`: in whichever file defines it.
        let direct = |s: &Service| {
            s.parts
                .iter()
                .rev()
                .find_map(|p| p.body.and_then(|b| self.compose.get(b, key)))
        };
        if direct(service).is_none() {
            // Through `extends`: Compose appends this service's own list to the base's.
            return Some(ListPlan {
                new_key: Some(missing.to_vec()),
                ..ListPlan::default()
            });
        }
        // Another service reads this node only through an anchor (an alias of the list, of
        // the mapping that holds it, or a `<<` merge): without one, only this service does,
        // and looking at every other service made this quadratic in their number.
        let anchored = lookup.inherited
            || doc.node(seq).anchor.is_some()
            || doc.node(lookup.owner).anchor.is_some();
        let services = self.services;
        let sharers: Vec<&Service> = if anchored {
            services
                .iter()
                .filter(|s| direct(s).is_some_and(|l| l.resolved == seq))
                .collect()
        } else {
            vec![service]
        };
        if sharers.len() <= 1 {
            return Some(ListPlan {
                edits: vec![append_values(doc, self.style, seq, missing)],
                ..ListPlan::default()
            });
        }
        // What every reader of the node is missing, in the first reader's order (so that each
        // reader's fix carries the very same edit).
        let needs: Vec<Vec<NewValue>> = sharers
            .iter()
            .map(|s| {
                if s.key == service.key {
                    missing.to_vec()
                } else {
                    missing_for(s)
                }
            })
            .collect();
        let common: Vec<NewValue> = needs[0]
            .iter()
            .filter(|item| needs.iter().all(|n| n.contains(item)))
            .cloned()
            .collect();
        let extra: Vec<NewValue> = missing
            .iter()
            .filter(|item| !common.contains(item))
            .cloned()
            .collect();
        let mut plan = ListPlan::default();
        if !common.is_empty() {
            plan.edits
                .push(append_values(doc, self.style, seq, &common));
        }
        if extra.is_empty() {
            return Some(plan);
        }
        if !lookup.inherited {
            // The service's own list, which others merge: its extras would reach them.
            plan.blocked = extra;
            return Some(plan);
        }
        let mut own: Vec<NewValue> = Vec::new();
        for item in doc.items(seq) {
            match doc.node(*item).kind {
                NodeKind::Scalar { .. } => own.push(NewValue::Raw(doc.text(*item).to_owned())),
                _ => {
                    plan.blocked = extra;
                    return Some(plan);
                }
            }
        }
        own.extend(common);
        own.extend(extra);
        plan.edits.clear();
        plan.new_key = Some(own);
        Some(plan)
    }

    /// The scalar items of a list-valued key as Compose loads it: the lists of each definition
    /// of the service (each file that defines it) and of the services they `extends` (Compose
    /// appends lists across files and across `extends`).
    pub fn list_with_bases(&self, service: &Service, key: &str) -> Vec<&'a str> {
        let doc: &'a Document = self.doc;
        self.compose
            .bodies(service)
            .into_iter()
            .filter_map(|b| self.compose.get(b, key))
            .filter_map(|l| doc.as_sequence(l.resolved))
            .flatten()
            .filter_map(|i| doc.scalar(*i))
            .collect()
    }

    /// True when a service of this file that `extends` `service` (directly or not) sets one of
    /// `keys` itself: a value added to `service` would reach it through the merge.
    pub(crate) fn extended_by_one_setting(&self, service: &Service, keys: &[&str]) -> bool {
        // Asking every service of the file, for each service, is quadratic in their number:
        // a file that never says `extends` needs no answer.
        if !self.doc.says_extends() {
            return false;
        }
        self.services.iter().any(|s| {
            s.key != service.key
                && keys
                    .iter()
                    .any(|k| s.body.and_then(|b| self.compose.get(b, k)).is_some())
                && self
                    .compose
                    .bases(self.services, s)
                    .any(|b| b.name == service.name)
        })
    }

    /// The user the service runs as: `user:` if set, else the image's known user.
    pub fn runs_as_root(&self, service: &Service) -> Option<bool> {
        match self.scalar(service, "user").map(user_setting) {
            Some(UserSetting::Variable) => None,
            Some(UserSetting::Root) => Some(true),
            Some(UserSetting::NonRoot) => Some(false),
            // `user: ""` (or only a group) means the image's own user.
            Some(UserSetting::ImageDefault) | None => match self.facts(service) {
                Some(f) => Some(!f.non_root_user()),
                None => self
                    .image(service)
                    .map(|k| k.image.runs != images::Runs::NonRoot),
            },
        }
    }

    /// The byte span of a node.
    pub fn span(&self, id: NodeId) -> Range<usize> {
        let node = self.doc.node(id);
        node.start..node.end
    }
}

/// How a service gets the items it misses in a list (see [`Context::plan_list`]).
#[derive(Debug, Default)]
pub(crate) struct ListPlan {
    /// Edits to the list the service reads.
    pub edits: Vec<Edit>,
    /// A new key of the service's own with these items, when set.
    pub new_key: Option<Vec<NewValue>>,
    /// Items that cannot be added without changing what another service reads.
    pub blocked: Vec<NewValue>,
}
