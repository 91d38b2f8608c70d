use crate::compose::{ImageRef, Service};
use crate::context::Context;
use crate::document::NodeId;
use crate::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Reports images without a tag or with the `latest` tag.
    ///
    /// ## Why is this bad?
    /// `latest` changes under you: the next pull may bring a new major version (a database
    /// whose data format changed, a default that changed), and two hosts may run different
    /// code under the same name. A tag that names a version makes updates deliberate.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17.2
    /// ```
    ///
    /// ## Fix safety
    /// No fix: only you know which version you run (composeguard never invents a tag).
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.28 "Ensure that Docker commands always make use of the
    /// latest version of their image" (pin, then update deliberately).
    pub struct ImageTag {
        code: "CG701",
        name: "image-tag",
        summary: "Use a version tag, not `latest` or no tag",
        fix: None,
        cis: Some("5.28"),
        preset: Baseline,
    }
}

declare_rule! {
    /// ## What it does
    /// Reports images not pinned by digest (`image: name:tag@sha256:...`).
    ///
    /// ## Why is this bad?
    /// A tag can be moved: by the publisher (a rebuilt `17.2`), or by whoever takes over the
    /// registry account. A digest names exactly the bytes you reviewed.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17.2
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17.2@sha256:8d3be35b184e70d81e54cbcbd3df3c0b47f37d06482c0dd1c140db5dbcc6a808
    /// ```
    ///
    /// ## Fix safety
    /// No fix: the digest comes from the registry (`docker buildx imagetools inspect`), which
    /// composeguard does not contact. Pinning trades automatic security updates for
    /// reproducibility: pair it with a bot that updates digests.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.28.
    pub struct ImageDigest {
        code: "CG702",
        name: "image-digest",
        summary: "Pin images by digest",
        fix: None,
        cis: Some("5.28"),
        preset: Strict,
    }
}

/// The service's image reference: its node, its text, and its parts.
fn image<'a>(cx: &Context<'a>, service: &Service) -> Option<(NodeId, &'a str, ImageRef)> {
    let lookup = cx.get(service, "image")?;
    let reference = cx.doc.scalar(lookup.resolved)?;
    Some((lookup.resolved, reference, ImageRef::parse(reference)?))
}

impl Check for ImageTag {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let Some((node, reference, parsed)) = image(cx, service) else {
            return;
        };
        if parsed.tag.as_deref().is_some_and(|t| t.contains('$')) || !parsed.is_floating() {
            return;
        }
        let what = if parsed.tag.is_some() {
            "the `latest` tag"
        } else {
            "no tag (so `latest`)"
        };
        let message = format!(
            "service `{}` uses image `{reference}` with {what}",
            service.name
        );
        cx.report(cx.span(node), message);
    }
}

impl Check for ImageDigest {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let Some((node, reference, parsed)) = image(cx, service) else {
            return;
        };
        if parsed.digest.is_none() {
            let message = format!(
                "service `{}` uses image `{reference}` without a digest",
                service.name
            );
            cx.report(cx.span(node), message);
        }
    }
}
