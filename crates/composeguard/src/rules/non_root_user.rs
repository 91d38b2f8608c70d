use crate::edit::Fix;
use crate::writer::{NewValue, insert_entries, replace_scalar};

use crate::compose::{Service, UserSetting, user_setting};
use crate::context::Context;
use crate::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that every service runs as a non-root user: either `user:` names one, or the image
    /// is known to run as one (grafana, prometheus, elasticsearch, ...) or to step down to one
    /// after start (postgres, mysql, redis, ... — fine as they are). `user: root` and `user: 0`
    /// are flagged, never accepted.
    ///
    /// ## Why is this bad?
    /// Root in a container is root on the host's kernel: a container escape or a writable host
    /// mount turns into full control of the host. Most images can run as an unprivileged uid.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     image: node:22
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: node:22
    ///     user: node
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: files the process writes (a bind mount, a volume created by an earlier root run)
    /// must be owned by the new user. A fix is offered only where the image provides a non-root
    /// user (node's `node`; the image's own uid replacing an explicit `user: root`). Other images
    /// that run as root (nginx, httpd, traefik, caddy, python, minio, vaultwarden, unknown
    /// images) get a suggestion: the right uid depends on who owns their data.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 4.1 "Ensure that a user for the container has been created"
    /// (set at run time with `user:`).
    pub struct NonRootUser {
        code: "CG103",
        name: "non-root-user",
        summary: "Run as a non-root user",
        fix: Sometimes,
        cis: Some("4.1"),
        preset: Recommended,
    }
}

impl Check for NonRootUser {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let Some(target) = cx.compose.service_target(service) else {
            return;
        };
        let known = cx.image(service);
        let user = cx
            .get(service, "user")
            .map(|l| (l, cx.doc.scalar(l.resolved).map(user_setting)));
        if let Some((user, setting)) = user
            && setting != Some(UserSetting::ImageDefault)
        {
            if setting != Some(UserSetting::Root) {
                return;
            }
            let value = cx.doc.scalar(user.resolved).unwrap_or_default();
            let replacement = known.and_then(|k| k.image.safe_user.or(k.user));
            let message = format!("service `{}` runs as root (`user: {value}`)", service.name);
            let fix = replacement.map(|new| {
                let edit = replace_scalar(cx.doc, cx.style, user.resolved, new);
                Fix::unsafe_(format!("Run as `{new}`, the image's own user"), vec![edit])
            });
            let diagnostic = cx.report(cx.span(user.resolved), message);
            if let Some(fix) = fix {
                diagnostic.set_fix(fix);
            }
            return;
        }
        let facts = cx.facts(service);
        if facts.is_some_and(|f| f.non_root_user()) {
            return; // the image's own config runs it as a non-root user
        }
        match known {
            Some(k) if !k.image.runs.stays_root() => {} // non-root, or steps down after start
            Some(k) => match k.image.safe_user {
                Some(user) => {
                    let edits = match cx.get(service, "user") {
                        // `user: ""`: give the empty value the user, in this service only.
                        Some(empty) if empty.inherited => return,
                        Some(empty) => {
                            vec![replace_scalar(cx.doc, cx.style, empty.resolved, user)]
                        }
                        None => insert_entries(
                            cx.doc,
                            cx.style,
                            target,
                            &[("user", NewValue::str(user))],
                        ),
                    };
                    let message = format!(
                        "service `{}` runs as root; {} provides the user `{user}`",
                        service.name, k.image.name
                    );
                    cx.report_service(message)
                        .set_fix(Fix::unsafe_(format!("Add `user: {user}`"), edits));
                }
                None => {
                    let hint = match k.image.name {
                        "nginx" => "; nginxinc/nginx-unprivileged runs as 101 on port 8080",
                        "httpd" => "; run it as a uid that owns its logs and listens above 1024",
                        _ => "; set `user:` to a uid that owns the service's data",
                    };
                    let message = format!(
                        "service `{}` runs as root ({} stays root){hint}",
                        service.name, k.image.name
                    );
                    cx.report_service(message);
                }
            },
            None if facts.is_some() => {
                let message = format!(
                    "service `{}` runs as root (its image's config sets no non-root `USER`, the lock file says); set `user:` to a non-root uid that owns its data",
                    service.name
                );
                cx.report_service(message);
            }
            None => {
                let message = format!(
                    "service `{}` may run as root (its image is unknown to composeguard); set `user:` to a non-root uid",
                    service.name
                );
                cx.report_service(message);
            }
        }
    }
}
