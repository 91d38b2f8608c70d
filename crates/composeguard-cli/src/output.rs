//! Report formats: concise (default), full, json, sarif, github.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use composeguard::LineIndex;
use composeguard::{Diagnostic, rules};
use serde_json::{Value, json};

/// One checked file, for reports.
pub struct Report<'a> {
    /// How reports name the file.
    pub path: &'a str,
    /// Its text (for source lines and edit positions).
    pub text: &'a str,
    /// Its findings.
    pub diagnostics: &'a [Diagnostic],
    /// Byte spans of its secret values (see `composeguard::masking`), hidden in source lines.
    pub secrets: &'a [std::ops::Range<usize>],
}

/// The output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line:col: CODE message`, one line per finding.
    Concise,
    /// Like concise, with the source line, a caret and the fix, as rustc shows errors.
    Full,
    /// A JSON array of findings, with fixes and their edits.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

/// Bold, for paths.
pub fn path_style() -> Style {
    Style::new().bold()
}

/// Bold red, for rule codes and `error:`.
pub fn code_style() -> Style {
    Style::new().bold().fg_color(Some(AnsiColor::Red.into()))
}

/// True when `stream` shows styles (anstream's choice: a terminal that supports colours,
/// `NO_COLOR`, `CLICOLOR_FORCE`); elsewhere anstream strips them byte by byte, which was a
/// fifth of printing a 500-service file's findings.
pub fn styled(stream: &impl anstream::stream::RawStream) -> bool {
    anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never
}

/// Writes `text` to a standard stream: straight when it holds no escape sequence (there is
/// nothing to strip or translate), through anstream otherwise.
fn write_plain<S: anstream::stream::RawStream + anstream::stream::AsLockedWrite>(
    stream: S,
    text: &str,
) {
    use std::io::Write as _;
    let _ = if text.contains('\x1b') {
        anstream::AutoStream::auto(stream).write_all(text.as_bytes())
    } else {
        let mut stream = stream;
        stream.write_all(text.as_bytes())
    };
}

/// Writes `text` to standard error (see [`write_plain`]).
pub fn write_stderr(text: &str) {
    write_plain(std::io::stderr().lock(), text);
}

/// Writes `text` to standard output (see [`write_plain`]).
pub fn write_stdout(text: &str) {
    write_plain(std::io::stdout().lock(), text);
}

/// `path:line:col: CODE message`, with styles when `styled`.
pub fn concise(path: &str, d: &Diagnostic) -> String {
    concise_styled(path, d, true)
}

/// [`concise`], styled or not.
pub fn concise_styled(path: &str, d: &Diagnostic, styled: bool) -> String {
    let (p, c) = if styled {
        (path_style(), code_style())
    } else {
        (Style::new(), Style::new())
    };
    format!(
        "{p}{path}:{}:{}:{p:#} {c}{}{c:#} {}",
        d.start.line,
        d.start.column,
        d.code(),
        d.message
    )
}

/// Renders every report in `format`.
pub fn render(format: Format, reports: &[Report<'_>]) -> String {
    let styled = styled(&std::io::stdout());
    match format {
        Format::Concise => reports
            .iter()
            .flat_map(|r| {
                r.diagnostics
                    .iter()
                    .map(move |d| format!("{}\n", concise_styled(r.path, d, styled)))
            })
            .collect(),
        Format::Full => reports.iter().map(full).collect(),
        Format::Json => {
            let items: Vec<Value> = reports
                .iter()
                .flat_map(|r| {
                    let index = LineIndex::new(r.text);
                    r.diagnostics
                        .iter()
                        .map(move |d| json_item(r, &index, d))
                        .collect::<Vec<_>>()
                })
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&items).expect("JSON"))
        }
        Format::Sarif => format!(
            "{}\n",
            serde_json::to_string_pretty(&sarif(reports)).expect("JSON")
        ),
        Format::Github => reports
            .iter()
            .flat_map(|r| r.diagnostics.iter().map(|d| github(r.path, d)))
            .collect(),
    }
}

/// A source line with its secrets masked, and where a finding's start and end fall in it (in
/// characters, 0-based): the caret is measured on the masked line, so it never tells a hidden
/// value's length.
fn masked_line(report: &Report<'_>, index: &LineIndex, d: &Diagnostic) -> (String, usize, usize) {
    let text = report.text;
    let start = d.range.start.min(text.len());
    let mut line_start = index.line_start(start);
    if line_start == 0 && text.starts_with('\u{feff}') {
        line_start = '\u{feff}'.len_utf8();
    }
    let line_end = text[line_start..]
        .find(['\r', '\n'])
        .map_or(text.len(), |i| line_start + i);
    let line = &text[line_start..line_end];
    // The spans on this line, relative to it.
    let spans: Vec<std::ops::Range<usize>> = report
        .secrets
        .iter()
        .filter(|s| s.start < line_end && s.end > line_start)
        .map(|s| s.start.max(line_start) - line_start..s.end.min(line_end) - line_start)
        .collect();
    let masked = composeguard::masking::mask(line, &spans);
    // A byte offset of the line in the masked line (inside a span: its mask's start or end).
    let map = |at: usize, end: bool| -> usize {
        let mut shift: isize = 0;
        for s in &spans {
            if s.end <= at {
                shift += composeguard::masking::MASK.len() as isize - s.len() as isize;
            } else if s.start < at {
                let base = s.start.wrapping_add_signed(shift);
                return if end {
                    base + composeguard::masking::MASK.len()
                } else {
                    base
                };
            }
        }
        at.wrapping_add_signed(shift)
    };
    let chars = |bytes: usize| masked.get(..bytes).map_or(0, |t| t.chars().count());
    let start = start.clamp(line_start, line_end);
    let from = chars(map(start - line_start, false));
    let to = if d.range.end <= line_end && d.start.line == d.end.line {
        chars(map(d.range.end.clamp(start, line_end) - line_start, true))
    } else {
        from + 1
    };
    (masked, from, to.max(from + 1))
}

fn full(report: &Report<'_>) -> String {
    let mut out = String::new();
    let index = LineIndex::new(report.text);
    for d in report.diagnostics {
        let _ = writeln!(out, "{}", concise(report.path, d));
        let number = d.start.line.to_string();
        let pad = " ".repeat(number.len());
        let (line, from, to) = masked_line(report, &index, d);
        let width = to - from;
        let blue = Style::new().bold().fg_color(Some(AnsiColor::Blue.into()));
        let _ = writeln!(out, "{blue}{pad} |{blue:#}");
        let _ = writeln!(out, "{blue}{number} |{blue:#} {line}");
        let caret = format!("{}{}", " ".repeat(from), "^".repeat(width));
        let c = code_style();
        let _ = writeln!(out, "{blue}{pad} |{blue:#} {c}{caret}{c:#}");
        match &d.fix {
            Some(fix) => {
                let _ = writeln!(
                    out,
                    "{blue}{pad} ={blue:#} fix ({}): {}",
                    fix.applicability().as_str(),
                    fix.message()
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "{blue}{pad} ={blue:#} no automatic fix; see `composeguard rule {}`",
                    d.code()
                );
            }
        }
        let _ = writeln!(out);
    }
    out
}

fn position(index: &LineIndex, text: &str, offset: usize) -> Value {
    let p = index.position(text, offset);
    json!({"line": p.line, "column": p.column})
}

/// The JSON object of one finding. Fields (stable): `code`, `name`, `message`, `path`,
/// `service`, `start`/`end` (`line`, `column`: 1-based, columns in characters), `url`, and
/// `fix` (`null`, or `applicability`, `message`, `edits` with `start`, `end`, `content`,
/// `files` with `path`; secret contents are never included).
fn json_item(report: &Report<'_>, index: &LineIndex, d: &Diagnostic) -> Value {
    let fix = d.fix.as_ref().map(|f| {
        json!({
            "applicability": f.applicability().as_str(),
            "message": f.message(),
            "edits": f.edits().iter().map(|e| json!({
                "start": position(index, report.text, e.range().start),
                "end": position(index, report.text, e.range().end),
                "content": e.content(),
            })).collect::<Vec<_>>(),
            "files": f.files().iter().map(|file| json!({"path": file.path})).collect::<Vec<_>>(),
        })
    });
    json!({
        "code": d.code(),
        "name": d.rule.name,
        "message": &*d.message,
        "path": report.path,
        "service": d.service.as_deref(),
        "start": {"line": d.start.line, "column": d.start.column},
        "end": {"line": d.end.line, "column": d.end.column},
        "url": format!("{}/blob/main/docs/rules/{}.md", env!("CARGO_PKG_REPOSITORY"), d.code()),
        "fix": fix,
    })
}

fn region(index: &LineIndex, text: &str, start: usize, end: usize) -> Value {
    let s = index.position(text, start);
    let e = index.position(text, end);
    json!({"startLine": s.line, "startColumn": s.column, "endLine": e.line, "endColumn": e.column})
}

fn sarif(reports: &[Report<'_>]) -> Value {
    let all = rules::all();
    let rules_json: Vec<Value> = all
        .iter()
        .map(|r| {
            let m = r.meta();
            let mut tags = vec!["security".to_owned()];
            if let Some(cis) = m.cis {
                tags.push(format!("CIS-Docker-1.6.0-{cis}"));
            }
            json!({
                "id": m.code,
                "name": m.name,
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": m.summary},
                "help": {"text": m.documentation(), "markdown": m.documentation()},
                "helpUri": format!("{}/blob/main/docs/rules/{}.md", env!("CARGO_PKG_REPOSITORY"), m.code),
                "defaultConfiguration": {"level": "warning"},
                "properties": {"tags": tags, "fix": m.fix.as_str()},
            })
        })
        .collect();
    let mut results = Vec::new();
    for report in reports {
        let index = LineIndex::new(report.text);
        for d in report.diagnostics {
            let rule_index = all
                .iter()
                .position(|r| r.meta().code == d.code())
                .unwrap_or(0);
            let mut result = json!({
                "ruleId": d.code(),
                "ruleIndex": rule_index,
                "level": "warning",
                "message": {"text": &*d.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(report.path)},
                        "region": region(&index, report.text, d.range.start, d.range.end),
                    }
                }],
            });
            if let Some(fix) = &d.fix {
                let replacements: Vec<Value> = fix
                    .edits()
                    .iter()
                    .map(|e| {
                        json!({
                            "deletedRegion": region(&index, report.text, e.range().start, e.range().end),
                            "insertedContent": {"text": e.content()},
                        })
                    })
                    .collect();
                result["fixes"] = json!([{
                    "description": {"text": format!("{} ({})", fix.message(), fix.applicability().as_str())},
                    "artifactChanges": [{"artifactLocation": {"uri": uri(report.path)}, "replacements": replacements}],
                }]);
            }
            results.push(result);
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "composeguard",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules_json,
            }},
            "results": results,
        }],
    })
}

/// A path as a SARIF `uri`: a relative reference for a relative path, a `file://` URI for an
/// absolute one; every byte but unreserved characters and `/` percent-encoded (spaces, `#`,
/// `%`, `?`, `:`, non-ASCII), so that no part reads as a scheme, query or fragment.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `::warning file=...,line=...::message`, with GitHub's escaping.
fn github(path: &str, d: &Diagnostic) -> String {
    let prop = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
            .replace(':', "%3A")
            .replace(',', "%2C")
    };
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    format!(
        "::warning file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        prop(path),
        d.start.line,
        d.start.column,
        d.end.line,
        d.end.column,
        prop(&format!("{} {}", d.code(), d.rule.name)),
        data(&d.message)
    )
}

/// How a diff names a file: relative to the current folder when it is inside it, else the
/// absolute path without its leading `/` (so that `patch -p1 -d /` and `git apply
/// --directory` find it); `..` steps resolved; `-` for standard input.
pub fn diff_path(path: &std::path::Path) -> String {
    use std::path::{Component, Path, PathBuf};
    if path.as_os_str() == "-" {
        return "-".into();
    }
    let plain = path.is_relative()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    let shown: PathBuf = if plain {
        path.components()
            .filter(|c| *c != Component::CurDir)
            .collect()
    } else {
        // Resolve the folder (not the file: a symlinked file keeps its own name).
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let folder = absolute
            .parent()
            .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
        let absolute = match (folder, absolute.file_name()) {
            (Some(f), Some(n)) => f.join(n),
            _ => absolute,
        };
        let cwd = std::env::current_dir()
            .ok()
            .and_then(|d| std::fs::canonicalize(d).ok());
        match cwd.as_deref().and_then(|c| absolute.strip_prefix(c).ok()) {
            Some(relative) => relative.to_path_buf(),
            None => absolute
                .strip_prefix("/")
                .map_or(absolute.clone(), Path::to_path_buf),
        }
    };
    shown.to_string_lossy().into_owned()
}

/// One side's file name in a diff header (`a/` or `b/` and the path) as git writes it: C-style
/// quoted when the name has a `"`, `\` or control character, else followed by a tab when it has
/// a space (GNU patch ends a name at the tab, git apply accepts both).
fn header_name(prefix: &str, path: &str) -> String {
    let name = format!("{prefix}{path}");
    if name
        .chars()
        .any(|c| c == '"' || c == '\\' || c.is_control())
    {
        let mut quoted = String::from("\"");
        for c in name.chars() {
            match c {
                '"' => quoted.push_str("\\\""),
                '\\' => quoted.push_str("\\\\"),
                '\t' => quoted.push_str("\\t"),
                '\n' => quoted.push_str("\\n"),
                '\r' => quoted.push_str("\\r"),
                c if c.is_control() => {
                    let mut buf = [0; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        quoted.push_str(&format!("\\{b:03o}"));
                    }
                }
                c => quoted.push(c),
            }
        }
        quoted.push('"');
        quoted
    } else if name.contains(' ') {
        format!("{name}\t")
    } else {
        name
    }
}

/// A unified diff of the library (whose headers name `path` with `a/` and `b/`) with headers
/// that `git apply` and `patch -p1` read back for any file name.
pub fn with_headers(diff: &str, path: &str) -> String {
    if diff.is_empty() || path == "-" {
        return diff.to_owned();
    }
    // The library's own headers (a name may hold a line break: strip them whole).
    let Some(rest) = diff.strip_prefix(&format!("--- a/{path}\n+++ b/{path}\n")) else {
        return diff.to_owned();
    };
    format!(
        "--- {}\n+++ {}\n{rest}",
        header_name("a/", path),
        header_name("b/", path)
    )
}
