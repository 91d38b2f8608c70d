//! composeguard hardens Docker Compose files without damaging them.
//!
//! The data flows one way: text -> [`Document`] (a YAML tree with byte spans) -> [`Compose`]
//! (services and their effective, merge-resolved values) -> [`rules`] -> [`Diagnostic`]s with
//! [`Fix`]es -> edits spliced into the original text -> new text and the changes made to the
//! input (also [`Edit`]s) -> [`unified_diff`].
//!
//! Every byte outside an edit is kept: comments, anchors, quotes, key order, CRLF, a BOM, a
//! missing final newline. The library does no file or terminal I/O.
//!
//! ```
//! let input = "services:\n  web:\n    image: nginx:1.27\n";
//! let options = composeguard::Options { unsafe_fixes: true, ..Default::default() };
//! let outcome = composeguard::fix(input, &options).unwrap();
//! assert!(outcome.output.starts_with(input)); // new keys are appended; nothing else moves
//! assert!(outcome.output.contains("cap_drop:\n      - ALL"));
//! // What is left needs a person: nginx's master process stays root.
//! assert!(outcome.remaining.iter().any(|d| d.code() == "CG103"));
//! print!("{}", outcome.diff(input, "compose.yaml"));
//! ```

#![warn(missing_docs)]

// One public path per item: the library's types and functions at the crate root, the modules
// private; three modules stay public as namespaces of what is not at the root (the image
// table, secret masking, the rule registry).
mod compose;
mod context;
mod diagnostic;
mod diff;
mod document;
mod edit;
mod engine;
mod error;
mod fix;
pub mod images;
pub mod interpolation;
mod lines;
pub mod masking;
pub mod project;
mod rule;
pub mod rules;
mod settings;
mod sort;
mod style;
mod suppressions;
mod writer;

pub use compose::{Compose, Lookup, Part, Service, ServiceLookup, UserSetting, user_setting};
pub use diagnostic::Diagnostic;
pub use diff::{apply_changes, mask_secrets, unified_diff};
pub use document::{
    Comment, DocRoot, Document, InputLimits, MapTarget, Node, NodeId, NodeKind, QuoteStyle,
};
pub use edit::{Applicability, Edit, Fix, NewFile, NewFileKind};
pub use engine::{Options, check, check_document, decode};
pub use error::Error;
pub use fix::{FixOutcome, MAX_PASSES, fix, fix_document};
pub use lines::{LineIndex, Position};
pub use rule::{FixAvailability, Rule, RuleMeta};
pub use settings::{Preset, ServiceLimits, Settings, Target};
