//! CG401, CG402, CG403: published ports.

use crate::compose::Service;
use crate::document::{MapTarget, NodeId, NodeKind};
use crate::edit::Fix;
use crate::settings::Target;
use crate::writer::{NewValue, insert_entries, replace_scalar};

use crate::context::Context;
use crate::rule::{Check, declare_rule};

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
    /// True when the port listens on every interface (no IP, `0.0.0.0`, `::`, `[::]`).
    pub fn all_interfaces(&self) -> bool {
        self.host_ip
            .as_deref()
            .is_none_or(|ip| matches!(ip.trim_matches(['[', ']']), "0.0.0.0" | "::" | ""))
    }

    fn ports(&self) -> impl Iterator<Item = u16> + '_ {
        let (a, b) = self.container;
        let host = self.host.map(|(a, b)| a..=b);
        (a..=b).chain(host.into_iter().flatten())
    }
}

fn range(text: &str) -> Option<(u16, u16)> {
    match text.split_once('-') {
        Some((a, b)) => Some((a.trim().parse().ok()?, b.trim().parse().ok()?)),
        None => {
            let p = text.trim().parse().ok()?;
            Some((p, p))
        }
    }
}

/// Parses `[IP:][HOST:]CONTAINER[/PROTO]` (IPv6 in brackets), as go-connections does.
pub(crate) fn parse_short(node: NodeId, text: &str) -> Option<Published> {
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

pub(crate) fn published(cx: &Context<'_>, service: &Service) -> Vec<Published> {
    let doc = cx.doc;
    let Some((_, items)) = cx.list(service, "ports") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (node, value) in items {
        if let Some(text) = value {
            out.extend(parse_short(node, text));
            continue;
        }
        let resolved = doc.resolve(node);
        if !matches!(doc.node(resolved).kind, NodeKind::Mapping(_)) {
            continue;
        }
        let get = |k: &str| doc.own_entry(resolved, k).and_then(|(_, v)| doc.scalar(v));
        let Some(container) = get("target").and_then(range) else {
            continue;
        };
        let host = get("published").and_then(range);
        if get("published").is_some_and(|p| p.contains('$'))
            || get("host_ip").is_some_and(|p| p.contains('$'))
        {
            continue;
        }
        out.push(Published {
            node,
            host_ip: get("host_ip").map(str::to_owned),
            host,
            container,
            short: None,
        });
    }
    out
}

fn is_sensitive(cx: &Context<'_>, service: &Service, port: &Published) -> bool {
    let image_ports = cx
        .image(service)
        .map(|k| k.image.sensitive_ports)
        .unwrap_or(&[]);
    let (c0, _) = port.container;
    image_ports.contains(&c0)
        || port
            .ports()
            .any(|p| cx.settings.sensitive_ports.contains(&p))
}

fn describe(port: &Published) -> String {
    match &port.short {
        Some(s) => s.clone(),
        None => format!("{}", port.container.0),
    }
}

declare_rule! {
    /// ## What it does
    /// Checks that sensitive ports (databases, caches, SSH, RDP, the Docker API,
    /// Elasticsearch, message brokers, admin UIs of known images) are not published on every
    /// interface, and binds them to `127.0.0.1` (or `[::1]` for IPv6).
    ///
    /// ## Why is this bad?
    /// `"5432:5432"` publishes PostgreSQL on every interface of the host, and Docker's port
    /// publishing bypasses host firewalls such as ufw. Databases found this way are the most
    /// common way data leaks from a Compose stack.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17
    ///     ports:
    ///       - "5432:5432"
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   db:
    ///     image: postgres:17
    ///     ports:
    ///       - "127.0.0.1:5432:5432"
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: clients on other hosts lose access (other containers of the stack do not need
    /// published ports at all). Short syntax is rewritten in place (ranges and `/udp` kept;
    /// `0.0.0.0` becomes `127.0.0.1`, `[::]` becomes `[::1]`; a port with no host part gets a
    /// random loopback port, `127.0.0.1::5432`); long syntax gets `host_ip: 127.0.0.1`. Public
    /// web ports (80, 443, ...) are left alone. With `--target swarm` there is no fix:
    /// `docker stack deploy` discards host IPs and publishes on every interface anyway.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.14 "Ensure that incoming container traffic is bound to a
    /// specific host interface".
    pub struct SensitivePorts {
        code: "CG401",
        name: "sensitive-ports",
        summary: "Publish sensitive ports on loopback only",
        fix: Sometimes,
        cis: Some("5.14"),
        preset: Baseline,
    }
}

declare_rule! {
    /// ## What it does
    /// Reports other ports published on every interface.
    ///
    /// ## Why is this bad?
    /// Every published port is reachable from the network, past the host's firewall. A web
    /// front end must be; an internal API or a metrics endpoint usually need not.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   api:
    ///     image: example/api:1
    ///     ports:
    ///       - "8000:8000"
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   api:
    ///     image: example/api:1
    ///     ports:
    ///       - "127.0.0.1:8000:8000"
    /// ```
    ///
    /// ## Fix safety
    /// No fix: only a person knows which ports are meant to be public.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.9 "Ensure that only needed ports are open on the
    /// container" and 5.14.
    pub struct PublicPorts {
        code: "CG402",
        name: "public-ports",
        summary: "Publish on every interface only the ports meant to be public",
        fix: None,
        cis: Some("5.9"),
        preset: Strict,
    }
}

declare_rule! {
    /// ## What it does
    /// Reports host ports below 1024.
    ///
    /// ## Why is this bad?
    /// Ports below 1024 are privileged on the host: binding them needs root or
    /// `CAP_NET_BIND_SERVICE`, and they usually carry well-known, attacked services.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   ssh:
    ///     image: example/sshd:1
    ///     ports:
    ///       - "22:2222"
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   ssh:
    ///     image: example/sshd:1
    ///     ports:
    ///       - "2222:2222"
    /// ```
    ///
    /// ## Fix safety
    /// No fix: moving a public port changes how clients reach the service (a web front end on
    /// 80/443 is usually intended).
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.8 "Ensure that privileged ports are not mapped within
    /// containers".
    pub struct PrivilegedPorts {
        code: "CG403",
        name: "privileged-ports",
        summary: "Do not map host ports below 1024",
        fix: None,
        cis: Some("5.8"),
        preset: Strict,
    }
}

/// The short-syntax text bound to loopback.
fn loopback_short(text: &str, port: &Published) -> String {
    let v6 = port.host_ip.as_deref().is_some_and(|ip| ip.contains(':'));
    let loopback = if v6 { "[::1]" } else { "127.0.0.1" };
    match &port.host_ip {
        Some(ip) => format!("{loopback}{}", &text[ip.len()..]),
        None if port.host.is_none() => format!("{loopback}::{text}"),
        None => format!("{loopback}:{text}"),
    }
}

impl Check for SensitivePorts {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let ports = published(cx, service);
        let written: Vec<&str> = ports.iter().filter_map(|p| p.short.as_deref()).collect();
        for port in &ports {
            if !port.all_interfaces() || !is_sensitive(cx, service, port) {
                continue;
            }
            let message = format!(
                "service `{}` publishes the sensitive port `{}` on every interface",
                service.name,
                describe(port)
            );
            let fix = match (cx.target, &port.short) {
                (Target::Swarm, _) => None,
                // The loopback form is already published too: rebinding would repeat it
                // (Compose rejects duplicate ports); the item is better removed by hand.
                (Target::Compose, Some(text))
                    if written.contains(&loopback_short(text, port).as_str()) =>
                {
                    None
                }
                (Target::Compose, Some(text)) => {
                    let new = loopback_short(text, port);
                    let edit = replace_scalar(cx.doc, cx.style, port.node, &new);
                    Some(Fix::unsafe_(
                        format!("Bind to loopback: `{new}`"),
                        vec![edit],
                    ))
                }
                (Target::Compose, None) => {
                    let map = cx.doc.resolve(port.node);
                    // An IPv6 any-address (`::`) becomes IPv6 loopback, not 127.0.0.1.
                    let v6 = port.host_ip.as_deref().is_some_and(|ip| ip.contains(':'));
                    let loopback = if v6 { "::1" } else { "127.0.0.1" };
                    let edits = match cx.doc.own_entry(map, "host_ip") {
                        Some((_, v)) => vec![replace_scalar(cx.doc, cx.style, v, loopback)],
                        None => insert_entries(
                            cx.doc,
                            cx.style,
                            MapTarget::Mapping(map),
                            &[("host_ip", NewValue::str(loopback))],
                        ),
                    };
                    Some(Fix::unsafe_(
                        format!("Bind to loopback: `host_ip: {loopback}`"),
                        edits,
                    ))
                }
            };
            let d = cx.report(cx.span(port.node), message);
            if let Some(fix) = fix {
                d.set_fix(fix);
            }
        }
    }
}

impl Check for PublicPorts {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        for port in published(cx, service) {
            if port.all_interfaces() && !is_sensitive(cx, service, &port) {
                let message = format!(
                    "service `{}` publishes `{}` on every interface",
                    service.name,
                    describe(&port)
                );
                cx.report(cx.span(port.node), message);
            }
        }
    }
}

impl Check for PrivilegedPorts {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        for port in published(cx, service) {
            if let Some((low, _)) = port.host
                && low < 1024
            {
                let message = format!(
                    "service `{}` maps the privileged host port {low}",
                    service.name
                );
                cx.report(cx.span(port.node), message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Published {
        parse_short(0, text).unwrap()
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
    fn loopback_rewrites() {
        for (from, to) in [
            ("5432:5432", "127.0.0.1:5432:5432"),
            ("5432", "127.0.0.1::5432"),
            ("0.0.0.0:5432:5432/tcp", "127.0.0.1:5432:5432/tcp"),
            ("[::]:6379:6379", "[::1]:6379:6379"),
            (
                "27017-27019:27017-27019",
                "127.0.0.1:27017-27019:27017-27019",
            ),
        ] {
            assert_eq!(loopback_short(from, &p(from)), to);
        }
    }
}
