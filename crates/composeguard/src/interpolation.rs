//! Compose's variable interpolation, for *reading* values (an image reference written as
//! `${PG_IMAGE:-postgres:16}`): never written back. The forms are those of the Compose
//! Specification's "Interpolation" section, as compose-go's `template` package reads them:
//! `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
//! `${VAR:+replacement}`, `${VAR+replacement}`, `$$` for a literal `$`, and defaults and
//! replacements that themselves hold variables.

/// The text with every variable replaced, `lookup` giving each variable's value (None: not
/// set). None when Compose would refuse it: invalid syntax, or a `${VAR:?error}` whose
/// variable is missing.
pub fn interpolate(text: &str, lookup: &dyn Fn(&str) -> Option<&str>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut known = true;
    let rest = expand(text, lookup, &mut out, &mut known, 0)?;
    (rest.is_empty() && known).then_some(out)
}

/// Expands `text` into `out` up to an unmatched `}` (inside a default) or the end, and returns
/// what is left (starting at that `}`); None on a syntax error. `known` is cleared when a
/// `?` form stops Compose.
fn expand<'t>(
    mut text: &'t str,
    lookup: &dyn Fn(&str) -> Option<&str>,
    out: &mut String,
    known: &mut bool,
    depth: usize,
) -> Option<&'t str> {
    if depth > 8 {
        return None;
    }
    loop {
        let Some(at) = text.find(|c| c == '$' || (depth > 0 && c == '}')) else {
            out.push_str(text);
            return Some("");
        };
        out.push_str(&text[..at]);
        text = &text[at..];
        if text.starts_with('}') {
            return Some(text);
        }
        let after = &text[1..];
        if let Some(rest) = after.strip_prefix('$') {
            out.push('$');
            text = rest;
        } else if let Some(braced) = after.strip_prefix('{') {
            text = braced_variable(braced, lookup, out, known, depth)?;
        } else {
            let len = name_len(after);
            if len == 0 {
                return None; // a lone `$`: Compose refuses "invalid interpolation format"
            }
            out.push_str(lookup(&after[..len]).unwrap_or(""));
            text = &after[len..];
        }
    }
}

/// Reads `NAME[op[word]]}` after `${`, writing the result; returns the text after the `}`.
fn braced_variable<'t>(
    text: &'t str,
    lookup: &dyn Fn(&str) -> Option<&str>,
    out: &mut String,
    known: &mut bool,
    depth: usize,
) -> Option<&'t str> {
    let len = name_len(text);
    if len == 0 {
        return None;
    }
    let value = lookup(&text[..len]);
    let rest = &text[len..];
    if let Some(after) = rest.strip_prefix('}') {
        out.push_str(value.unwrap_or(""));
        return Some(after);
    }
    let (colon, rest) = match rest.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let op = rest.chars().next()?;
    if !matches!(op, '-' | '?' | '+') {
        return None;
    }
    // The word may hold variables: expanded into its own buffer, up to its `}`.
    let mut word = String::new();
    let mut word_known = true;
    let after =
        expand(&rest[1..], lookup, &mut word, &mut word_known, depth + 1)?.strip_prefix('}')?;
    // Whether the variable counts as set: `:` also treats the empty string as unset.
    // compose-go expands the word even when it is not used: a `?` in it stops Compose.
    *known &= word_known;
    let set = value.is_some_and(|v| !(colon && v.is_empty()));
    match (op, set) {
        ('-' | '?', true) => out.push_str(value.unwrap_or("")),
        ('-', false) | ('+', true) => out.push_str(&word),
        ('+', false) => {}
        // `?` on a missing variable: Compose stops with the error.
        _ => *known = false,
    }
    Some(after)
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
        interpolate(text, &env)
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
}
