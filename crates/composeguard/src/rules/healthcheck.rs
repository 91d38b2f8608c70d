use crate::edit::Fix;
use crate::writer::{NewValue, insert_entries};

use crate::compose::Service;
use crate::context::Context;
use crate::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that every service has a `healthcheck` (or an image known to declare one).
    ///
    /// ## Why is this bad?
    /// Without a health check, Docker reports a hung service as running, `depends_on` with
    /// `condition: service_healthy` cannot work, and nothing restarts or alerts on it.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   cache:
    ///     image: redis:7.4
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   cache:
    ///     image: redis:7.4
    ///     healthcheck:
    ///       test: ["CMD", "redis-cli", "ping"]
    ///       interval: 10s
    ///       timeout: 5s
    ///       retries: 5
    ///       start_period: 30s
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: a check that fails (a password required, a different port) marks a working
    /// service unhealthy. Known images get their usual check, using a tool the image ships:
    /// `pg_isready` (postgres), `mysqladmin ping` (mysql), `healthcheck.sh` (mariadb),
    /// `mongosh` (mongo), `redis-cli ping` (redis), `rabbitmq-diagnostics ping` (rabbitmq),
    /// `wget` on `/-/healthy` (prometheus). Other services get a suggestion only: a check
    /// needs a command the image contains. `healthcheck: {disable: true}` is respected.
    ///
    /// ## References
    /// CIS Docker Benchmark v1.6.0, 5.27 "Ensure that container health is checked at runtime".
    pub struct Healthcheck {
        code: "CG306",
        name: "healthcheck",
        summary: "Define a health check",
        fix: Sometimes,
        cis: Some("5.27"),
        preset: Recommended,
    }
}

impl Check for Healthcheck {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let Some(target) = cx.target_for_new(service, "healthcheck") else {
            return;
        };
        let known = cx.image(service);
        if known.is_some_and(|k| k.image.has_healthcheck) {
            return;
        }
        let message = format!("service `{}` has no health check", service.name);
        let Some(test) = known.and_then(|k| k.image.healthcheck) else {
            cx.report_service(message);
            return;
        };
        let test: Vec<String> = test.iter().map(|s| cx.style.quoted(s)).collect();
        let value = NewValue::Map(vec![
            (
                "test".into(),
                NewValue::Raw(format!("[{}]", test.join(", "))),
            ),
            ("interval".into(), NewValue::str("10s")),
            ("timeout".into(), NewValue::str("5s")),
            ("retries".into(), NewValue::Raw("5".into())),
            ("start_period".into(), NewValue::str("30s")),
        ]);
        let edits = insert_entries(cx.doc, cx.style, target, &[("healthcheck", value)]);
        cx.report_service(message)
            .set_fix(Fix::unsafe_("Add the image's usual health check", edits));
    }
}
