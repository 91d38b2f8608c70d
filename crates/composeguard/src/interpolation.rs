//! Compose's variable interpolation, for *reading* values (an image reference written as
//! `${PG_IMAGE:-postgres:16}`): never written back. The forms are those of the Compose
//! Specification's "Interpolation" section, as compose-go's `template` package reads them:
//! `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
//! `${VAR:+replacement}`, `${VAR+replacement}`, `$$` for a literal `$`, and defaults and
//! replacements that themselves hold variables.

/// The text with every variable replaced, `lookup` giving each variable's value (None: not
/// set). None when Compose would refuse it: invalid syntax, or a `${VAR:?error}` whose
/// variable is missing.
pub fn interpolate(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut known = true;
    let (out, rest) = expand(text, lookup, &mut known, 0)?;
    (rest.is_empty() && known).then_some(out)
}

/// Expands `text` up to an unmatched `}` (inside a default: `depth` > 0) or its end, giving
/// the result and what is left (starting at that `}`); None on a syntax error. `known` is
/// cleared when a `?` form would stop Compose (compose-go expands a default even when it is
/// not used, so a `?` inside one counts too).
fn expand<'t>(
    mut text: &'t str,
    lookup: &dyn Fn(&str) -> Option<String>,
    known: &mut bool,
    depth: usize,
) -> Option<(String, &'t str)> {
    if depth > 8 {
        return None;
    }
    let mut out = String::new();
    loop {
        let Some(at) = text.find(|c| c == '$' || (depth > 0 && c == '}')) else {
            out.push_str(text);
            return Some((out, ""));
        };
        out.push_str(&text[..at]);
        text = &text[at..];
        if text.starts_with('}') {
            return Some((out, text));
        }
        if let Some(rest) = text.strip_prefix("$$") {
            out.push('$');
            text = rest;
            continue;
        }
        let braced = text[1..].starts_with('{');
        let body = &text[1 + usize::from(braced)..];
        let len = name_len(body);
        if len == 0 {
            return None; // a lone `$`: Compose refuses "invalid interpolation format"
        }
        let value = lookup(&body[..len]);
        text = &body[len..];
        let mut result = value.clone().unwrap_or_default();
        if braced {
            if let Some(rest) = text.strip_prefix('}') {
                text = rest;
            } else {
                // `${NAME[:]op word}`: `:` also treats the empty string as unset.
                let colon = text.starts_with(':');
                let rest = &text[usize::from(colon)..];
                let op = rest.chars().next()?;
                if !matches!(op, '-' | '?' | '+') {
                    return None;
                }
                let (word, after) = expand(&rest[1..], lookup, known, depth + 1)?;
                text = after.strip_prefix('}')?;
                let set = value.is_some_and(|v| !(colon && v.is_empty()));
                match (op, set) {
                    ('-', false) | ('+', true) => result = word,
                    ('+', false) => result.clear(),
                    ('?', false) => *known = false,
                    _ => {}
                }
            }
        }
        out.push_str(&result);
    }
}

/// The variables of an env file (`.env`, `--env-file`) as compose-go's dotenv reader takes
/// them: `KEY=value` lines (an `export ` prefix allowed), `#` comments, unquoted values trimmed
/// and cut at ` #`, `'single'` quotes literal, `"double"` quotes with `\n`, `\t`, `\"`, `\\`
/// escapes and line breaks; unquoted and double-quoted values are interpolated from the lines
/// above and then `outer`. Err with the 1-based line of a line Compose cannot read.
pub fn dotenv(
    text: &str,
    outer: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, usize> {
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, raw)) = line.split_once('=') else {
            // A bare name takes the variable from the environment.
            if name_len(line) == line.len() {
                if let Some(value) = outer(line) {
                    vars.retain(|(k, _)| k != line);
                    vars.push((line.to_owned(), value));
                }
                continue;
            }
            return Err(index + 1);
        };
        let key = key.trim();
        if key.is_empty() || name_len(key) != key.len() && !key.contains('.') {
            return Err(index + 1);
        }
        let raw = raw.trim_start();
        let value = if let Some(body) = raw.strip_prefix('\'') {
            let end = body.find('\'').ok_or(index + 1)?;
            body[..end].to_owned()
        } else {
            // Double-quoted (escapes, line breaks) or unquoted (cut at ` #`): interpolated.
            let written = if let Some(body) = raw.strip_prefix('"') {
                let mut text = body.to_owned();
                let mut value = String::new();
                loop {
                    if let Some(end) = closing_quote(&text) {
                        value.push_str(&unescape(&text[..end]));
                        break;
                    }
                    value.push_str(&unescape(&text));
                    value.push('\n');
                    text = lines.next().ok_or(index + 1)?.1.to_owned();
                }
                value
            } else {
                raw.find(" #")
                    .map_or(raw, |at| &raw[..at])
                    .trim_end()
                    .to_owned()
            };
            let lookup = |n: &str| lookup_in(&vars, outer, n);
            interpolate(&written, &lookup).ok_or(index + 1)?
        };
        vars.retain(|(k, _)| k != key);
        vars.push((key.to_owned(), value));
    }
    Ok(vars)
}

fn lookup_in(
    vars: &[(String, String)],
    outer: &dyn Fn(&str) -> Option<String>,
    name: &str,
) -> Option<String> {
    vars.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .or_else(|| outer(name))
}

/// The byte offset of the first `"` not escaped by a backslash.
fn closing_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The length of the variable name at the start of `text` (`[A-Za-z_][A-Za-z0-9_]*`).
fn name_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    if !bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return 0;
    }
    bytes
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .unwrap_or(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<&str> {
        match name {
            "TAG" => Some("16"),
            "EMPTY" => Some(""),
            "REGISTRY" => Some("ghcr.io/acme/"),
            _ => None,
        }
    }

    fn run(text: &str) -> Option<String> {
        interpolate(text, &|name| env(name).map(str::to_owned))
    }

    #[test]
    fn the_forms_of_the_specification() {
        assert_eq!(run("postgres:${TAG}").as_deref(), Some("postgres:16"));
        assert_eq!(run("postgres:$TAG").as_deref(), Some("postgres:16"));
        assert_eq!(
            run("${PG_IMAGE:-postgres:16}").as_deref(),
            Some("postgres:16")
        );
        assert_eq!(
            run("${PG_IMAGE-postgres:16}").as_deref(),
            Some("postgres:16")
        );
        assert_eq!(run("redis:${EMPTY:-7}").as_deref(), Some("redis:7"));
        assert_eq!(run("redis:${EMPTY-7}x").as_deref(), Some("redis:x"));
        assert_eq!(run("${TAG:+set}").as_deref(), Some("set"));
        assert_eq!(run("${NOPE:+set}x").as_deref(), Some("x"));
        assert_eq!(run("${EMPTY+set}").as_deref(), Some("set"));
        assert_eq!(run("x${EMPTY:+set}").as_deref(), Some("x"));
        assert_eq!(run("${TAG:?needed}").as_deref(), Some("16"));
        assert_eq!(run("$${TAG}").as_deref(), Some("${TAG}"));
        assert_eq!(run("${NOPE}postgres").as_deref(), Some("postgres"));
        assert_eq!(run("plain").as_deref(), Some("plain"));
    }

    #[test]
    fn nested_defaults() {
        assert_eq!(
            run("${REGISTRY:-docker.io/}postgres:${PG:-${TAG:-15}}").as_deref(),
            Some("ghcr.io/acme/postgres:16")
        );
        assert_eq!(run("${A:-${B:-x}}-y").as_deref(), Some("x-y"));
    }

    #[test]
    fn what_compose_refuses_gives_none() {
        // compose-go expands a default even when it is not used (checked with its loader).
        assert_eq!(run("${TAG:-${NOPE:?x}}"), None);
        assert_eq!(run("${NOPE:-${NOPE:?x}}"), None);
        assert_eq!(run("${NOPE:?set it}"), None);
        assert_eq!(run("${NOPE?set it}"), None);
        assert_eq!(run("$"), None);
        assert_eq!(run("${"), None);
        assert_eq!(run("${TAG"), None);
        assert_eq!(run("${TAG:-x"), None);
        assert_eq!(run("${1X}"), None);
        assert_eq!(run("${TAG!x}"), None);
        assert_eq!(run("a}b").as_deref(), Some("a}b"));
    }

    #[test]
    fn env_files() {
        let vars = dotenv("A=1\n\nexport B=\"$A two\"\nC='$A'\nHOME\n", &|n| {
            (n == "HOME").then(|| "/root".to_owned())
        })
        .unwrap();
        let pairs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            pairs,
            [("A", "1"), ("B", "1 two"), ("C", "$A"), ("HOME", "/root")]
        );
        assert_eq!(dotenv("A=1\nB=\"open\n", &|_| None), Err(2));
        assert_eq!(dotenv("A=1\nnot a line\n", &|_| None), Err(2));
        assert_eq!(dotenv("A=${B\n", &|_| None), Err(1));
    }
}
