//! Edits and fixes, after ruff's model: an [`Edit`] replaces a byte range of the original text;
//! a [`Fix`] is a set of edits with an [`Applicability`] that says how safe it is to apply.

use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

/// One text change: replace `range` (byte offsets into the text the rules saw) by `content`.
///
/// A fix's edits are in the text of the pass that found them; [`crate::FixOutcome::changes`]
/// are edits too, composed over every pass and relative to the input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Edit {
    range: Range<usize>,
    // Shared: an edit carried into a later pass's text moves, its content stays.
    content: Arc<str>,
}

impl Edit {
    /// Inserts `content` at `offset`.
    pub fn insertion(offset: usize, content: impl Into<String>) -> Edit {
        Edit::new(offset..offset, content.into())
    }

    /// Replaces `range` by `content`.
    pub fn replacement(range: Range<usize>, content: impl Into<String>) -> Edit {
        Edit::new(range, content.into())
    }

    /// Deletes `range`.
    pub fn deletion(range: Range<usize>) -> Edit {
        Edit::new(range, String::new())
    }

    /// The constructors' body, once for every type of content (one copy in the browser module).
    fn new(range: Range<usize>, content: String) -> Edit {
        Edit {
            range,
            content: content.into(),
        }
    }

    /// The same content over `range` (the edit moved into another text).
    pub(crate) fn moved(&self, range: Range<usize>) -> Edit {
        Edit {
            range,
            content: Arc::clone(&self.content),
        }
    }

    /// The byte range this edit replaces.
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// The replacement text.
    pub fn content(&self) -> &str {
        &self.content
    }

    /// True when the edit only inserts text.
    pub fn is_insertion(&self) -> bool {
        self.range.is_empty()
    }

    /// True for an insertion that can sit next to another insertion at the same offset in
    /// either order: it starts its own line or its own flow entry.
    pub(crate) fn is_self_delimiting(&self) -> bool {
        self.is_insertion()
            && (self.content.starts_with('\n')
                || self.content.starts_with("\r\n")
                || self.content.starts_with(", "))
    }

    /// Where an insertion sits in the block structure, for ordering insertions made at the same
    /// offset: the deeper one goes first so that it stays inside its own block, and at equal
    /// indentation a sequence item (`- x`) goes before a key, which would end the sequence
    /// (with non-indented sequences the dash and the keys share a column).
    pub(crate) fn nesting(&self) -> usize {
        let rest = self
            .content
            .strip_prefix("\r\n")
            .or_else(|| self.content.strip_prefix('\n'));
        match rest {
            Some(rest) => {
                let text = rest.trim_start_matches(' ');
                let indent = rest.len() - text.len();
                indent * 2 + usize::from(text.starts_with("- "))
            }
            None => usize::MAX,
        }
    }
}

/// How safe a fix is to apply without a human looking at it. Ordered: a fix is applied when its
/// applicability is at least the one the user allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// Shown as a suggestion, never applied: it needs a human choice.
    DisplayOnly,
    /// May break a service (a capability or a writable path it needs); applied with
    /// `--unsafe-fixes`.
    Unsafe,
    /// Cannot stop a working stack from starting or lose data; applied by `fix`.
    Safe,
}

impl Applicability {
    /// A lower-case name for reports (`safe`, `unsafe`, `display-only`).
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

/// A file a fix needs beside the compose file (a secret's content, or lines for an env file).
/// The library never touches the disk: callers write these (the CLI with mode 0600).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NewFile {
    /// Path relative to the compose file's folder, `/`-separated (e.g. `secrets/db_password.txt`).
    pub path: String,
    /// The exact content: for a secret, the original value byte for byte.
    pub content: String,
    /// Whether the file is created whole or appended to.
    pub kind: NewFileKind,
}

/// How a [`NewFile`] is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NewFileKind {
    /// A new file; an existing file with other content is an error.
    Secret,
    /// `KEY=value` lines added to an env file (created if missing); a key already set there to
    /// another value is an error.
    EnvLines,
}

/// A proposed change: edits that belong together, and how safe they are.
///
/// Cheap to clone (one fix may be shared by many diagnostics, e.g. the file-wide secrets
/// fix); two fixes are equal when their edits, files and applicability are.
#[derive(Debug, Clone)]
pub struct Fix {
    applicability: Applicability,
    // Shared by clones (a finding carried into a pass's output keeps its message); most
    // fixes have no files, and hold none. (`Arc<[Edit]>` would save an allocation per fix,
    // and cost the browser module 300 bytes it does not have.)
    edits: Arc<Vec<Edit>>,
    message: Arc<str>,
    files: Option<Arc<Vec<NewFile>>>,
    digest: u64,
}

impl PartialEq for Fix {
    fn eq(&self, other: &Fix) -> bool {
        self.digest == other.digest
            && self.applicability == other.applicability
            && (Arc::ptr_eq(&self.edits, &other.edits) || self.edits == other.edits)
            && self.files() == other.files()
    }
}

impl Eq for Fix {}

impl Hash for Fix {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.digest.hash(state);
    }
}

/// The hasher of [`digest`]: rustc's FxHasher step, a byte at a time. A digest only
/// sorts fixes so that equal ones meet (they are then compared), so it needs speed, not
/// resistance to chosen collisions; SipHash over every fix's text was a tenth of a fix run.
#[derive(Default)]
struct WordHasher(u64);

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0xf135_7aea_2e62_a9c5);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

fn digest(applicability: Applicability, edits: &[Edit], files: &[NewFile]) -> u64 {
    let mut h = WordHasher::default();
    applicability.hash(&mut h);
    edits.hash(&mut h);
    files.hash(&mut h);
    h.finish()
}

impl Fix {
    /// `fix` with other edits (same message, applicability and files).
    pub(crate) fn rebuilt(fix: &Fix, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: fix.applicability,
            digest: digest(fix.applicability, &edits, fix.files()),
            edits: Arc::new(edits),
            message: Arc::clone(&fix.message),
            files: fix.files.clone(),
        }
    }

    /// A fix that is safe to apply.
    pub fn safe(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Safe, message, edits)
    }

    /// A fix that may break the service it touches.
    pub fn unsafe_(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Unsafe, message, edits)
    }

    /// A fix with the given applicability; edits are kept sorted by position.
    pub fn new(applicability: Applicability, message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix::with_message(applicability, message.into(), edits)
    }

    /// [`Fix::new`], once for every type of message (one copy of it in the browser module).
    fn with_message(applicability: Applicability, message: String, mut edits: Vec<Edit>) -> Fix {
        crate::sort::sort_by(&mut edits, |a, b| {
            (a.range.start, a.range.end).cmp(&(b.range.start, b.range.end))
        });
        let digest = digest(applicability, &edits, &[]);
        Fix {
            applicability,
            edits: Arc::new(edits),
            message: message.into(),
            files: None,
            digest,
        }
    }

    /// Attaches files the fix needs (written by the caller when the fix is applied).
    pub fn with_files(mut self, files: Vec<NewFile>) -> Fix {
        self.digest = digest(self.applicability, &self.edits, &files);
        self.files = (!files.is_empty()).then(|| Arc::new(files));
        self
    }

    /// Files this fix needs.
    pub fn files(&self) -> &[NewFile] {
        self.files.as_deref().map_or(&[], Vec::as_slice)
    }

    /// How safe the fix is.
    pub fn applicability(&self) -> Applicability {
        self.applicability
    }

    /// The edits, sorted by position.
    pub fn edits(&self) -> &[Edit] {
        &self.edits
    }

    /// What the fix does, in a few words (e.g. "Add `cap_drop: [ALL]`").
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A hash of the fix's content: equal fixes have equal digests.
    pub(crate) fn digest(&self) -> u64 {
        self.digest
    }

    /// What clones of one fix have in common and other fixes do not: the edits they share
    /// and the digest. Equal for `a` and `b` exactly when `b` is a clone of `a` (one fix
    /// several findings share), as long as `a` is alive to hold its edits' address.
    pub(crate) fn clone_key(&self) -> (usize, u64) {
        (Arc::as_ptr(&self.edits) as usize, self.digest)
    }

    /// True when other findings hold clones of this fix.
    pub(crate) fn is_shared(&self) -> bool {
        Arc::strong_count(&self.edits) > 1
    }

    /// The smallest offset the fix touches.
    pub fn min_start(&self) -> usize {
        self.edits.first().map_or(0, |e| e.range.start)
    }
}
