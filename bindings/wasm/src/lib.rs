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
            // the diff, whatever rules run (as the CLI does), by the spans the fix found on
            // the documents it parsed. Should an outcome ever lack them, no diff is shown
            // rather than one that may hold a secret.
            let diff = outcome.diff(source, "compose.yaml");
            let diff = if show_secrets {
                diff
            } else {
                outcome.mask_diff(&diff, source).unwrap_or_else(|| {
                    "(diff hidden: its secrets could not be masked)\n".to_owned()
                })
            };
            // One string for the whole answer: a string per finding, joined and copied into
            // the answer, was a third of a 1,000-line file's time.
            let mut json = Json(String::with_capacity(
                2 * (outcome.output.len() + diff.len())
                    + 400 * (outcome.diagnostics.len() + outcome.remaining.len())
                    + 200,
            ));
            json.raw("{\"ok\":true,\"output\":")
                .str(&outcome.output)
                .raw(",\"diff\":")
                .str(&diff)
                .raw(if outcome.output != source {
                    ",\"changed\":true,\"fixed\":"
                } else {
                    ",\"changed\":false,\"fixed\":"
                })
                .num(outcome.fixed)
                .raw(",\"passes\":")
                .num(outcome.passes)
                .raw(",\"diagnostics\":[");
            let index = Utf16::new(source);
            for (i, d) in outcome.diagnostics.iter().enumerate() {
                json.raw(if i == 0 { "" } else { "," })
                    .diagnostic(&index, d);
            }
            json.raw("],\"remaining\":[");
            let index = Utf16::new(&outcome.output);
            for (i, d) in outcome.remaining.iter().enumerate() {
                json.raw(if i == 0 { "" } else { "," })
                    .diagnostic(&index, d);
            }
            json.raw("],\"files\":[");
            for (i, f) in outcome.files.iter().enumerate() {
                json.raw(if i == 0 { "{\"path\":" } else { ",{\"path\":" })
                    .str(&f.path)
                    .raw(",\"content\":")
                    .str(&f.content)
                    .raw("}");
            }
            json.raw("]}");
            json.0
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

/// JSON written into one string, each value escaped in place.
struct Json(String);

impl Json {
    fn raw(&mut self, text: &str) -> &mut Json {
        self.0.push_str(text);
        self
    }

    fn num(&mut self, n: usize) -> &mut Json {
        use std::fmt::Write;
        // Writing into a String cannot fail.
        let _ = write!(self.0, "{n}");
        self
    }

    /// A JSON string literal: runs that need no escape are copied whole.
    fn str(&mut self, s: &str) -> &mut Json {
        let out = &mut self.0;
        out.push('"');
        let mut copied = 0;
        for (i, c) in s.char_indices() {
            let escape = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => "",
                _ => continue,
            };
            out.push_str(&s[copied..i]);
            if escape.is_empty() {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04x}", c as u32);
            } else {
                out.push_str(escape);
            }
            copied = i + c.len_utf8();
        }
        out.push_str(&s[copied..]);
        out.push('"');
        self
    }

    /// One finding, its positions in UTF-16 units of `index`'s text.
    fn diagnostic(&mut self, index: &Utf16<'_>, d: &composeguard::Diagnostic) -> &mut Json {
        let (line, column, from) = index.position(d.range.start);
        let (end_line, end_column, to) = index.position(d.range.end);
        self.raw("{\"code\":")
            .str(d.code())
            .raw(",\"name\":")
            .str(d.rule.name)
            .raw(",\"message\":")
            .str(&d.message)
            .raw(",\"service\":");
        match d.service.as_deref() {
            Some(service) => self.str(service),
            None => self.raw("null"),
        };
        self.raw(",\"line\":")
            .num(line)
            .raw(",\"column\":")
            .num(column)
            .raw(",\"endLine\":")
            .num(end_line)
            .raw(",\"endColumn\":")
            .num(end_column)
            .raw(",\"from\":")
            .num(from)
            .raw(",\"to\":")
            .num(to)
            .raw(",\"fix\":");
        match &d.fix {
            Some(f) => self
                .raw("{\"applicability\":")
                .str(f.applicability().as_str())
                .raw(",\"message\":")
                .str(f.message())
                .raw("}}"),
            None => self.raw("null}"),
        }
    }
}

/// A JSON string literal.
fn quote(s: &str) -> String {
    let mut json = Json(String::with_capacity(s.len() + 2));
    json.str(s);
    json.0
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
        // Runs around escapes are copied whole, multi-byte characters included.
        assert_eq!(
            quote("\u{e9}\t\u{1f980}\u{2028}\r\u{e9}"),
            "\"\u{e9}\\t\u{1f980}\\u2028\\r\u{e9}\""
        );
        assert_eq!(quote(""), "\"\"");
    }
}
