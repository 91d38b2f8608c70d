//! Typed errors. Every error that points into the file carries a 1-based line and column, and
//! every message says what to do about it.

/// Everything that can stop composeguard from checking or fixing a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The text is not valid YAML.
    #[error("{message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column (characters).
        column: usize,
        /// What is wrong and what to do.
        message: String,
    },
    /// The input bytes are not UTF-8.
    #[error("the file is not valid UTF-8 text; save it as UTF-8 (compose files must be UTF-8)")]
    NotUtf8 {
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column of the first invalid byte.
        column: usize,
    },
    /// A mapping has the same key twice (Compose rejects such files).
    #[error(
        "duplicate key `{key}`: Compose rejects a mapping that repeats a key; remove or merge one of them"
    )]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// 1-based line of the second occurrence.
        line: usize,
        /// 1-based column of the second occurrence.
        column: usize,
    },
    /// Collections nest deeper than the limit.
    #[error(
        "collections nest more than {limit} levels deep; no compose file needs this, so the file is rejected"
    )]
    TooDeep {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The input is larger than the limit.
    #[error(
        "the file is {bytes} bytes, over the limit of {limit} bytes; split it into several files"
    )]
    TooLarge {
        /// Size of the input.
        bytes: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The input has more nodes than the limit.
    #[error("the file has more than {limit} YAML nodes; split it into several files")]
    TooManyNodes {
        /// The limit in force.
        limit: usize,
    },
    /// Aliases expand to more nodes than the limit (a "billion laughs" file).
    #[error(
        "the file's aliases expand to more than {limit} nodes (an alias bomb?); Compose would exhaust memory loading it, so it is rejected"
    )]
    AliasBomb {
        /// The limit in force.
        limit: u64,
    },
    /// The file defines more services than the limit.
    #[error(
        "the file defines {count} services, more than the limit of {limit}; split it into several files"
    )]
    TooManyServices {
        /// How many services.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The file holds no YAML document.
    #[error("the file is empty; a compose file needs at least a `services:` mapping")]
    Empty,
    /// The top level of a document is not a mapping.
    #[error(
        "the top level is {found}, but a compose file must be a mapping (with a `services:` key)"
    )]
    NotAMapping {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was found instead.
        found: &'static str,
    },
    /// `services` is not a mapping of service names to definitions.
    #[error("`services` is {found}, but it must be a mapping of service names to definitions")]
    ServicesNotAMapping {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What was found instead.
        found: &'static str,
    },
    /// A key composeguard edits holds the wrong kind of value (Compose's loader rejects it too).
    #[error(
        "`{path}` is {found}, but Compose expects {expected} there; correct the value (Compose's loader rejects this file as it is)"
    )]
    WrongShape {
        /// Where, e.g. `services.web.logging.driver`.
        path: String,
        /// What Compose expects.
        expected: &'static str,
        /// What was found.
        found: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// Fixing kept producing new edits.
    #[error(
        "fixes did not settle after {passes} passes; nothing was changed. Please report this file as a composeguard bug"
    )]
    NotConverged {
        /// How many passes ran.
        passes: usize,
    },
    /// The guard re-parse of a fixed text failed: a bug in a fix, caught before any output.
    #[error(
        "internal error: a fix would have produced a broken file ({detail}); nothing was changed. Please report this file as a composeguard bug"
    )]
    FixBroke {
        /// What the guard found.
        detail: String,
    },
}

impl Error {
    /// The 1-based (line, column) in the input this error points at, if any.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            Error::Syntax { line, column, .. }
            | Error::NotUtf8 { line, column }
            | Error::DuplicateKey { line, column, .. }
            | Error::TooDeep { line, column, .. }
            | Error::NotAMapping { line, column, .. }
            | Error::ServicesNotAMapping { line, column, .. }
            | Error::WrongShape { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}
