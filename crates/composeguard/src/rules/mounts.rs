//! CG108 and CG109: host paths mounted into containers.

use crate::document::NodeId;

use crate::compose::Service;
use crate::context::Context;
use crate::rule::{Check, declare_rule};

fn is_docker_socket(source: &str) -> bool {
    source.ends_with("/docker.sock")
        || source.ends_with("/containerd.sock")
        || source.ends_with("/podman.sock")
}

fn sensitive_host_path(source: &str) -> bool {
    let path = source.trim_end_matches('/');
    let path = if path.is_empty() { "/" } else { path };
    const EXACT: &[&str] = &[
        "/",
        "/etc",
        "/proc",
        "/sys",
        "/boot",
        "/dev",
        "/lib",
        "/lib64",
        "/usr",
        "/bin",
        "/sbin",
        "/root",
        "/home",
        "/var",
        "/var/run",
        "/run",
        "/var/lib",
        "/var/lib/docker",
        "/var/lib/containerd",
        "/var/lib/kubelet",
    ];
    const UNDER: &[&str] = &[
        "/proc/",
        "/sys/",
        "/boot/",
        "/var/lib/docker/",
        "/var/lib/containerd/",
        "/etc/docker",
        "/root/",
    ];
    EXACT.contains(&path) || UNDER.iter().any(|p| path.starts_with(p))
}

declare_rule! {
    /// ## What it does
    /// Reports services that mount the Docker (or containerd, podman) socket.
    ///
    /// ## Why is this bad?
    /// Whoever can talk to the Docker API can start a privileged container that mounts the
    /// host's root file system: the socket is root on the host. Mounting it `:ro` does not help,
    /// the API stays writable.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   proxy:
    ///     image: traefik:3.1
    ///     volumes:
    ///       - /var/run/docker.sock:/var/run/docker.sock:ro
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   proxy:
    ///     image: traefik:3.1
    ///     environment:
    ///       DOCKER_HOST: tcp://socket-proxy:2375
    /// ```
    ///
    /// ## Fix safety
    /// No fix: give the service a socket proxy that allows only the API calls it needs
    /// (for example a read-only `containers` endpoint), and keep that proxy off public networks.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.32 "Ensure that the Docker socket is not mounted inside
    /// any containers".
    pub struct DockerSocket {
        code: "CG108",
        name: "docker-socket",
        summary: "Do not mount the Docker socket",
        fix: None,
        cis: Some("5.32"),
        preset: Baseline,
    }
}

declare_rule! {
    /// ## What it does
    /// Reports bind mounts of sensitive host directories: `/`, `/etc`, `/proc`, `/sys`,
    /// `/boot`, `/dev`, `/lib`, `/usr`, `/root`, `/home`, `/run`, `/var/lib/docker`, ...
    /// (single files such as `/etc/localtime` are fine).
    ///
    /// ## Why is this bad?
    /// A container that can write `/etc` can add a user to the host; one that reads `/proc` or
    /// `/sys` sees every process and kernel setting; `/var/lib/docker` holds every other
    /// container's data.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   backup:
    ///     image: example/backup:1
    ///     volumes:
    ///       - /etc:/host/etc
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   backup:
    ///     image: example/backup:1
    ///     volumes:
    ///       - /srv/backup:/backup
    /// ```
    ///
    /// ## Fix safety
    /// No fix: mount only the files the service needs, read-only where possible.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.6 "Ensure sensitive host system directories are not
    /// mounted on containers".
    pub struct SensitiveMounts {
        code: "CG109",
        name: "sensitive-mounts",
        summary: "Do not mount sensitive host directories",
        fix: None,
        cis: Some("5.6"),
        preset: Baseline,
    }
}

/// The host paths the service bind-mounts, with their volume entries.
fn bind_sources<'a>(cx: &Context<'a>, service: &Service) -> Vec<(NodeId, &'a str)> {
    cx.compose
        .volumes(service)
        .iter()
        .filter_map(|m| Some((m.node, m.bind_source()?)))
        .collect()
}

impl Check for DockerSocket {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        for (node, source) in bind_sources(cx, service) {
            if is_docker_socket(source) {
                let message = format!(
                    "service `{}` mounts the container engine's socket `{source}`",
                    service.name
                );
                cx.report(cx.span(node), message);
            }
        }
    }
}

impl Check for SensitiveMounts {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        for (node, source) in bind_sources(cx, service) {
            if !is_docker_socket(source) && sensitive_host_path(source) {
                let message = format!(
                    "service `{}` mounts the host directory `{source}`",
                    service.name
                );
                cx.report(cx.span(node), message);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_paths() {
        for p in [
            "/",
            "/etc",
            "/etc/",
            "/proc/1",
            "/sys/fs/cgroup",
            "/var/lib/docker/volumes",
            "/root/.ssh",
        ] {
            assert!(sensitive_host_path(p), "{p}");
        }
        for p in [
            "/etc/localtime",
            "/srv/data",
            "./data",
            "/var/log/app",
            "/home/user/app",
            "/opt",
        ] {
            assert!(!sensitive_host_path(p), "{p}");
        }
    }
}
