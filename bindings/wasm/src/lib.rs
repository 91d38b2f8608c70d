//! A thin wasm-bindgen adapter over the composeguard library, for the browser playground.
//!
//! Every function takes plain values and returns a JSON string (the page parses it), so the
//! module needs no serde. Errors come back as values (`{"ok": false, "error": ...}`). Hostile
//! input is stopped by the library's limits (nesting, size, alias expansion) before anything
//! recurses deeply; if the module ever traps anyway, the page re-instantiates it.
//! Positions are given in UTF-16 code units, the unit of JavaScript strings and editors.

use composeguard::LineIndex;
use composeguard::{Options, Preset, Target, rules};
use wasm_bindgen::prelude::*;

// talc instead of the default dlmalloc: smaller code and faster in WebAssembly.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Hardens `source`. `preset`: baseline | recommended | strict; `target`: compose | swarm;
/// `select`/`ignore`: comma-separated codes, prefixes or names.
#[wasm_bindgen]
pub fn harden(
    source: &str,
    unsafe_fixes: bool,
    preset: &str,
    target: &str,
    select: &str,
    ignore: &str,
    show_secrets: bool,
) -> String {
    let list = |s: &str| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let options = Options {
        unsafe_fixes,
        preset: Preset::parse(preset).unwrap_or_default(),
        target: if target == "swarm" {
            Target::Swarm
        } else {
            Target::Compose
        },
        select: list(select),
        ignore: list(ignore),
        ..Options::default()
    };
    harden_with(source, &options, show_secrets)
}

/// The native entry point behind [`harden`] (also used by the tests).
pub fn harden_with(source: &str, options: &Options, show_secrets: bool) -> String {
    match composeguard::fix(source, options) {
        Ok(outcome) => {
            // Every value the secret patterns match is masked by its own span on both sides of
            // the diff, whatever rules run (as the CLI does). The masking parses both texts
            // again; if that ever fails, no diff is shown rather than one that may hold a
            // secret.
            let diff = if show_secrets {
                outcome.diff(source, "compose.yaml")
            } else {
                composeguard::masking::masked_diff(
                    source,
                    &outcome.changes,
                    "compose.yaml",
                    &options.settings,
                    &options.limits,
                )
                .unwrap_or_else(|e| {
                    format!("(diff hidden: its secrets could not be masked: {e})\n")
                })
            };
            let index = Utf16::new(source);
            let diagnostics: Vec<String> = outcome
                .diagnostics
                .iter()
                .map(|d| diagnostic(&index, d))
                .collect();
            let out_index = Utf16::new(&outcome.output);
            let remaining: Vec<String> = outcome
                .remaining
                .iter()
                .map(|d| diagnostic(&out_index, d))
                .collect();
            let files: Vec<String> = outcome
                .files
                .iter()
                .map(|f| {
                    format!(
                        "{{\"path\":{},\"content\":{}}}",
                        quote(&f.path),
                        quote(&f.content)
                    )
                })
                .collect();
            format!(
                "{{\"ok\":true,\"output\":{},\"diff\":{},\"changed\":{},\"fixed\":{},\"passes\":{},\"diagnostics\":[{}],\"remaining\":[{}],\"files\":[{}]}}",
                quote(&outcome.output),
                quote(&diff),
                outcome.output != source,
                outcome.fixed,
                outcome.passes,
                diagnostics.join(","),
                remaining.join(","),
                files.join(",")
            )
        }
        Err(e) => {
            let (line, column) = e.position().unwrap_or((0, 0));
            format!(
                "{{\"ok\":false,\"error\":{{\"message\":{},\"line\":{line},\"column\":{column}}}}}",
                quote(&e.to_string())
            )
        }
    }
}

/// Rule metadata for the findings' links and the rule toggles. `docs` is the path of the rule's
/// Markdown documentation beside the page (`rules/CG101.md`, copied from `docs/rules/` by
/// `web/build.sh`): the text is fetched when someone opens it rather than compiled into the
/// module, where it would weigh 30 KB.
#[wasm_bindgen]
pub fn rules_json() -> String {
    let items: Vec<String> = rules::all()
        .iter()
        .map(|r| {
            let m = r.meta();
            format!(
                "{{\"code\":{},\"name\":{},\"summary\":{},\"fix\":{},\"cis\":{},\"docs\":{},\"presets\":[{}]}}",
                quote(m.code),
                quote(m.name),
                quote(m.summary),
                quote(m.fix.as_str()),
                m.cis.map_or("null".to_owned(), quote),
                quote(&format!("rules/{}.md", m.code)),
                [("baseline", Preset::Baseline), ("recommended", Preset::Recommended), ("strict", Preset::Strict)]
                    .iter()
                    .filter(|(_, p)| p.includes(m))
                    .map(|(n, _)| quote(n))
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// The library's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Byte offsets to UTF-16 positions, with the UTF-16 offset of every line start computed once
/// (counting from the start of the file for each finding was quadratic).
struct Utf16<'s> {
    source: &'s str,
    lines: LineIndex,
    line_starts: Vec<usize>,
}

impl<'s> Utf16<'s> {
    fn new(source: &'s str) -> Utf16<'s> {
        let lines = LineIndex::new(source);
        let mut line_starts = Vec::with_capacity(lines.len());
        let mut units = 0;
        let mut last = 0;
        for line in 0..lines.len() {
            let start = if line == 0 {
                0
            } else {
                lines.line_start_of(line)
            };
            units += source[last..start].encode_utf16().count();
            line_starts.push(units);
            last = start;
        }
        Utf16 {
            source,
            lines,
            line_starts,
        }
    }

    /// (1-based line, 0-based UTF-16 column, UTF-16 offset from the start).
    fn position(&self, offset: usize) -> (usize, usize, usize) {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.lines.line_of(offset);
        let column = self.source[self.lines.line_start(offset)..offset]
            .encode_utf16()
            .count();
        (line + 1, column, self.line_starts[line] + column)
    }
}

fn diagnostic(index: &Utf16<'_>, d: &composeguard::Diagnostic) -> String {
    let (line, column, from) = index.position(d.range.start);
    let (end_line, end_column, to) = index.position(d.range.end);
    let fix = match &d.fix {
        Some(f) => format!(
            "{{\"applicability\":{},\"message\":{}}}",
            quote(f.applicability().as_str()),
            quote(f.message())
        ),
        None => "null".to_owned(),
    };
    format!(
        "{{\"code\":{},\"name\":{},\"message\":{},\"service\":{},\"line\":{line},\"column\":{column},\"endLine\":{end_line},\"endColumn\":{end_column},\"from\":{from},\"to\":{to},\"fix\":{fix}}}",
        quote(d.code()),
        quote(d.rule.name),
        quote(&d.message),
        d.service.as_deref().map_or("null".to_owned(), quote),
    )
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_utf16() {
        let source = "services:\n  caf\u{e9}-\u{1f980}: {image: x}\n";
        let out = harden(source, false, "recommended", "compose", "CG102", "", false);
        assert!(out.starts_with("{\"ok\":true"), "{out}");
        // `café-🦀` is 7 UTF-16 units (the crab takes two), starting at column 2.
        assert!(
            out.contains("\"line\":2,\"column\":2,\"endLine\":2,\"endColumn\":9"),
            "{out}"
        );
    }

    #[test]
    fn errors_are_values() {
        let out = harden(
            "services: [\n",
            false,
            "recommended",
            "compose",
            "",
            "",
            false,
        );
        assert!(
            out.starts_with("{\"ok\":false,\"error\":{\"message\":"),
            "{out}"
        );
        let deep = format!("services: {}", "[".repeat(100_000));
        assert!(
            harden(&deep, true, "strict", "compose", "", "", false).starts_with("{\"ok\":false")
        );
    }

    #[test]
    fn diffs_mask_every_secret_by_its_span_whatever_rules_run() {
        let source = "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: postgres\n      API_TOKEN: s3cr3t-t0ken\n    image: postgres:16\n";
        // Only CG102 runs: no rule reports the values, and the diff still shows their lines.
        let out = harden(source, true, "recommended", "compose", "CG102", "", false);
        assert!(out.contains("\"changed\":true"), "{out}");
        let diff = out.split("\"diff\":").nth(1).unwrap();
        let diff = &diff[..diff.find("\",\"changed\"").unwrap()];
        assert!(diff.contains("POSTGRES_PASSWORD: ****"), "{diff}");
        assert!(!diff.contains("s3cr3t-t0ken"), "{diff}");
        // The image's name is not the password: it is left alone.
        assert!(diff.contains("image: postgres:16"), "{diff}");
        let shown = harden(source, true, "recommended", "compose", "CG102", "", true);
        assert!(shown.contains("s3cr3t-t0ken"));
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(quote("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
