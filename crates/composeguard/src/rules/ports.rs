//! CG401, CG402, CG403: published ports.

use crate::compose::{Published, Service};
use crate::document::MapTarget;
use crate::edit::Fix;
use crate::settings::Target;
use crate::writer::{NewValue, insert_entries, replace_scalar};

use crate::context::Context;
use crate::rule::{Check, declare_rule};

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
        let ports = cx.compose.ports(service);
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
        for port in cx.compose.ports(service) {
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
        for port in cx.compose.ports(service) {
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
            let port = Published::parse(0, from).unwrap();
            assert_eq!(loopback_short(from, &port), to);
        }
    }
}
