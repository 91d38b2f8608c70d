use crate::compose::ServiceLookup;
use crate::edit::Fix;
use crate::writer::{NewValue, insert_entries};

use crate::compose::Service;
use crate::context::Context;
use crate::rule::{Check, declare_rule};

declare_rule! {
    /// ## What it does
    /// Checks that every service's logs are rotated: the `json-file` driver (Docker's default)
    /// with a `max-size`, or the `local` driver (which rotates by default).
    ///
    /// ## Why is this bad?
    /// The default `json-file` driver keeps one log file per container and never rotates it
    /// (`max-size` defaults to unlimited). A chatty or attacked service fills the host's disk
    /// and takes every other container down with it.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1.4
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     image: example/app:1.4
    ///     logging:
    ///       driver: json-file
    ///       options:
    ///         max-size: 10m
    ///         max-file: "3"
    /// ```
    ///
    /// ## Fix safety
    /// Safe: the fix writes `driver: json-file` explicitly together with the options (options
    /// without a driver would be handed to the daemon's default driver, which fails to start
    /// the container when that driver is journald or syslog). Services that already use another
    /// driver (syslog, journald, fluentd, gelf, ...) ship their logs elsewhere and are left
    /// alone; `local` rotates by default; `none` keeps no logs. Existing options are kept; only
    /// the missing `max-size` (and `max-file`, when absent) are added. The values come from the
    /// settings (`10m` and `"3"` by default).
    ///
    /// ## References
    /// Not a CIS Docker Benchmark section 5 item; Docker's json-file driver documentation
    /// recommends `max-size` and `max-file`.
    pub struct LogRotation {
        code: "CG501",
        name: "log-rotation",
        summary: "Rotate container logs (json-file with `max-size` and `max-file`)",
        fix: Sometimes,
        cis: None,
        preset: Baseline,
    }
}

impl Check for LogRotation {
    fn check_service(&self, cx: &mut Context<'_>, service: &Service) {
        let options = || {
            NewValue::Map(vec![
                (
                    "max-size".into(),
                    NewValue::str(cx.settings.log_max_size.clone()),
                ),
                (
                    "max-file".into(),
                    NewValue::str(cx.settings.log_max_file.clone()),
                ),
            ])
        };
        let Some(target) = cx.compose.service_target(service) else {
            return;
        };
        let logging = match cx.compose.service_get(service, "logging") {
            ServiceLookup::Found(l) => Some(l),
            ServiceLookup::Absent => None,
            ServiceLookup::External => {
                // The base service in the other file may set a driver; adding one here
                // would override it.
                let message = format!(
                    "service `{}` extends a service of another file; make sure its logs are rotated there",
                    service.name
                );
                cx.report_service(message);
                return;
            }
        };
        let Some(logging) = logging else {
            let value = NewValue::Map(vec![
                ("driver".into(), NewValue::str("json-file")),
                ("options".into(), options()),
            ]);
            let edits = insert_entries(cx.doc, cx.style, target, &[("logging", value)]);
            let message = format!("service `{}` never rotates its logs", service.name);
            cx.report_service(message)
                .set_fix(Fix::safe("Add json-file log rotation", edits));
            return;
        };
        if cx.compose.is_reset(logging.value) {
            cx.report_reset("logging", "; its logs are not rotated");
            return;
        }
        let Some(logging_target) = cx.compose.value_target(&logging) else {
            return; // a `${VAR}` or malformed value: nothing we can judge
        };
        let is_map = cx.doc.as_mapping(logging.resolved).is_some();
        let driver = if is_map {
            cx.compose
                .get(logging.resolved, "driver")
                .and_then(|d| cx.doc.scalar(d.resolved))
        } else {
            None
        };
        match driver {
            None | Some("json-file") => {}
            // `local` rotates by default; `none` stores nothing; any other driver ships logs
            // elsewhere; `${VAR}` cannot be judged.
            Some(_) => return,
        }
        let mut new_entries: Vec<(&str, NewValue)> = Vec::new();
        if driver.is_none() {
            new_entries.push(("driver", NewValue::str("json-file")));
        }
        let opts = if is_map {
            cx.compose.get(logging.resolved, "options")
        } else {
            None
        };
        let mut edits = Vec::new();
        match opts.and_then(|o| cx.compose.value_target(&o).map(|t| (o, t))) {
            None if opts.is_some() => return, // options is `${VAR}` or malformed
            None => new_entries.push(("options", options())),
            Some((opts, opts_target)) => {
                let has = |k: &str| {
                    matches!(opts_target, crate::document::MapTarget::Mapping(_))
                        && cx.compose.get(opts.resolved, k).is_some()
                };
                if has("max-size") {
                    if driver.is_none() {
                        // Rotated only if the daemon's default driver is json-file: say so.
                        let message = format!(
                            "service `{}` sets log options without a driver; they only rotate logs if the daemon's default driver is json-file",
                            service.name
                        );
                        let edits = insert_entries(cx.doc, cx.style, logging_target, &new_entries);
                        cx.report_service(message)
                            .set_fix(Fix::safe("Set `driver: json-file`", edits));
                    }
                    return;
                }
                let mut missing =
                    vec![("max-size", NewValue::str(cx.settings.log_max_size.clone()))];
                if !has("max-file") {
                    missing.push(("max-file", NewValue::str(cx.settings.log_max_file.clone())));
                }
                edits.extend(insert_entries(cx.doc, cx.style, opts_target, &missing));
            }
        }
        if !new_entries.is_empty() {
            edits.extend(insert_entries(
                cx.doc,
                cx.style,
                logging_target,
                &new_entries,
            ));
        }
        let message = format!(
            "service `{}` never rotates its logs (no `max-size`)",
            service.name
        );
        cx.report_service(message).set_fix(Fix::safe(
            "Add `max-size` and `max-file` log options",
            edits,
        ));
    }
}
