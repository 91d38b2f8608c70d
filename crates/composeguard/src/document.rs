//! The YAML layer: a parsed document that keeps the exact byte span of every node.
//!
//! The tree is built from `granit-parser`'s event stream. Nothing is ever expanded: an alias is
//! a node of its own that points at its anchor's node, and `<<` merge keys stay ordinary entries
//! (the compose view resolves them on demand). The original text is never re-serialised; edits
//! are spliced into it (see [`crate::edit`]).

use std::ops::Range;

use granit_parser::{ErrorKind, Event, Parser, ScalarStyle, StructureStyle};

use crate::error::Error;
use crate::lines::LineIndex;

/// Index of a node in [`Document::nodes`].
pub type NodeId = usize;

/// Where new entries of a mapping go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapTarget {
    /// An existing mapping node (block or flow).
    Mapping(NodeId),
    /// A key whose value is null (`svc:` or `svc: ~`): the new entries become its mapping.
    Null {
        /// The key node.
        key: NodeId,
        /// The null value node.
        value: NodeId,
        /// True when the key sits in a flow mapping.
        in_flow: bool,
    },
}

/// Hard limits that protect the parser and everything above it from hostile input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLimits {
    /// Largest accepted input, in bytes.
    pub max_bytes: usize,
    /// Deepest accepted nesting of collections.
    pub max_depth: usize,
    /// Most nodes (scalars, collections, aliases) in one file.
    pub max_nodes: usize,
    /// Most nodes the file would have with every alias expanded (what Compose's loader
    /// builds): a "billion laughs" file is rejected here, in linear time.
    pub max_expanded_nodes: u64,
    /// Most services in one file.
    pub max_services: usize,
}

impl Default for InputLimits {
    fn default() -> Self {
        InputLimits {
            max_bytes: 32 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 4_000_000,
            max_expanded_nodes: 20_000_000,
            max_services: 20_000,
        }
    }
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteStyle {
    /// `value`
    Plain,
    /// `'value'`
    Single,
    /// `"value"`
    Double,
    /// `|` or `>` block scalars.
    Block,
}

/// What a node is.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar with its decoded value. `implicit` is true for an empty value (`key:`).
    Scalar {
        /// The value after YAML escape processing.
        value: Box<str>,
        /// How it was written.
        style: QuoteStyle,
        /// True for an empty value that is not written at all (`key:`).
        implicit: bool,
    },
    /// A mapping: (key, value) pairs in source order.
    Mapping(Vec<(NodeId, NodeId)>),
    /// A sequence: items in source order.
    Sequence(Vec<NodeId>),
    /// `*name`: the node that the anchor points to.
    Alias(NodeId),
}

/// A node with its source span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node is.
    pub kind: NodeKind,
    /// Byte offset where the node's content starts (after any anchor or tag).
    pub start: usize,
    /// Byte offset just past the node's last content byte (trailing blank lines and comments
    /// excluded).
    pub end: usize,
    /// True for flow collections (`[a, b]`, `{a: b}`).
    pub flow: bool,
    /// The anchor defined on this node, if any (without `&`).
    pub anchor: Option<Box<str>>,
    /// The tag written on this node, if any, as written (e.g. `!reset`).
    pub tag: Option<Box<str>>,
}

/// A comment, with its span (from `#` to the end of the line, line break excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The span of `# text`.
    pub span: Range<usize>,
}

/// One YAML document of the stream (a compose file usually has exactly one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocRoot {
    /// The root node (None for an empty document).
    pub root: Option<NodeId>,
}

/// A parsed YAML stream that keeps spans of every node and comment.
#[derive(Debug, Clone)]
pub struct Document {
    source: String,
    nodes: Vec<Node>,
    docs: Vec<DocRoot>,
    comments: Vec<Comment>,
    lines: LineIndex,
    /// True when a scalar of the text is `extends` (however it is quoted or escaped): without
    /// one, no service extends another, and lookups need not look for it.
    says_extends: bool,
}

enum Frame {
    Map {
        id: NodeId,
        entries: Vec<(NodeId, NodeId)>,
        pending_key: Option<NodeId>,
    },
    Seq {
        id: NodeId,
        items: Vec<NodeId>,
    },
}

impl Document {
    /// Parses `source` with the default [`InputLimits`].
    pub fn parse(source: &str) -> Result<Document, Error> {
        Document::parse_with_limits(source, &InputLimits::default())
    }

    /// Parses `source`, rejecting input beyond `limits` with a clear error.
    pub fn parse_with_limits(source: &str, limits: &InputLimits) -> Result<Document, Error> {
        let lines = LineIndex::new(source);
        if source.len() > limits.max_bytes {
            return Err(Error::TooLarge {
                bytes: source.len(),
                limit: limits.max_bytes,
            });
        }
        if let Some(offset) = source.find('\0') {
            let pos = lines.position(source, offset);
            return Err(Error::Syntax {
                line: pos.line,
                column: pos.column,
                message: "the file contains a NUL byte; compose files must be text".into(),
            });
        }
        // At most about one node per 8 bytes of YAML (compose files of short keys and values
        // have one per 10, most one per 20): reserving avoids copying (and touching twice) a
        // growing vector on large files, and the pages reserved but never written cost nothing.
        let mut nodes: Vec<Node> = Vec::with_capacity(source.len() / 8 + 16);
        let mut docs = Vec::new();
        let mut comments = Vec::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut anchors: Vec<(usize, NodeId)> = Vec::new();
        let mut root: Option<NodeId> = None;
        let mut last_node: Option<NodeId> = None;
        let mut says_extends = false;
        // Size of each node with aliases expanded (saturating), for the alias-bomb limit.
        let mut expanded: Vec<u64> = Vec::with_capacity(source.len() / 8 + 16);

        let depth_limit = limits.max_depth.min(250);
        let options = granit_parser::options! {
            emit_anchor_events: true,
            flow_nesting_limit: depth_limit,
            block_nesting_limit: depth_limit,
            max_buffered_comment_events: 1 << 20,
        };
        for event in Parser::new_from_str_with_options(source, options) {
            let (event, span) = event.map_err(|e| {
                let marker = e.marker();
                let offset = marker.byte_offset().unwrap_or(0).min(source.len());
                let pos = lines.position(source, offset);
                Error::Syntax {
                    line: pos.line,
                    column: pos.column,
                    message: describe_scan_error(e.kind()),
                }
            })?;
            let range = span.byte_range().unwrap_or(0..0);
            let tag = span
                .tag_span()
                .and_then(|t| t.byte_range())
                .and_then(|r| source.get(r))
                .map(Box::from);
            let new_node = match event {
                Event::Comment(..) => {
                    comments.push(Comment { span: range });
                    continue;
                }
                Event::Anchor(id, name) => {
                    // YAML 1.2 allows `:` and more in an anchor name; go-yaml, Compose's reader,
                    // ends the name at the first such character, so the two read such a file
                    // differently. Refuse rather than edit a file whose meaning is ambiguous.
                    if let Some(bad) = name
                        .chars()
                        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
                    {
                        let pos = lines.position(source, range.start);
                        return Err(Error::Syntax {
                            line: pos.line,
                            column: pos.column,
                            message: format!(
                                "the anchor name `{name}` contains `{bad}`, where Compose's YAML reader ends it; use letters, digits, `-` and `_` only"
                            ),
                        });
                    }
                    if let Some(node) = last_node {
                        nodes[node].anchor = Some(name.into());
                        anchors.push((id, node));
                    }
                    continue;
                }
                Event::StreamStart | Event::StreamEnd => continue,
                Event::DocumentStart(..) => {
                    root = None;
                    anchors.clear();
                    continue;
                }
                Event::DocumentEnd => {
                    docs.push(DocRoot { root: root.take() });
                    continue;
                }
                Event::Scalar(value, style, _, _) => {
                    let (quote, trim) = match style {
                        ScalarStyle::Plain => (QuoteStyle::Plain, true),
                        ScalarStyle::SingleQuoted => (QuoteStyle::Single, false),
                        ScalarStyle::DoubleQuoted => (QuoteStyle::Double, false),
                        ScalarStyle::Literal | ScalarStyle::Folded => (QuoteStyle::Block, true),
                    };
                    let mut end = range.end;
                    if trim {
                        let text = &source[range.start..range.end];
                        end = range.start + text.trim_end_matches([' ', '\t', '\r', '\n']).len();
                        if quote == QuoteStyle::Block && keeps_trailing_lines(source, range.start) {
                            // `|+`: the trailing blank lines belong to the value; end after them.
                            let kept = text.trim_end_matches([' ', '\t']);
                            let kept = kept.strip_suffix('\n').unwrap_or(kept);
                            end = range.start + kept.strip_suffix('\r').unwrap_or(kept).len();
                        }
                    }
                    let implicit = range.is_empty() && quote == QuoteStyle::Plain;
                    says_extends |= value == "extends";
                    Node {
                        kind: NodeKind::Scalar {
                            value: if implicit {
                                Box::default()
                            } else {
                                value.into()
                            },
                            style: quote,
                            implicit,
                        },
                        start: range.start,
                        end,
                        flow: false,
                        anchor: None,
                        tag,
                    }
                }
                Event::Alias(id) => {
                    let target = anchors
                        .iter()
                        .rev()
                        .find(|(a, _)| *a == id)
                        .map(|(_, n)| *n)
                        .ok_or_else(|| {
                            let pos = lines.position(source, range.start);
                            Error::Syntax {
                                line: pos.line,
                                column: pos.column,
                                message: "alias refers to an unknown anchor".into(),
                            }
                        })?;
                    Node {
                        kind: NodeKind::Alias(target),
                        start: range.start,
                        end: range.end,
                        flow: false,
                        anchor: None,
                        tag,
                    }
                }
                Event::MappingStart(style, _, _) | Event::SequenceStart(style, _, _) => {
                    let is_map = matches!(event, Event::MappingStart(..));
                    if stack.len() >= limits.max_depth {
                        let pos = lines.position(source, range.start);
                        return Err(Error::TooDeep {
                            line: pos.line,
                            column: pos.column,
                            limit: limits.max_depth,
                        });
                    }
                    let id = nodes.len();
                    expanded.push(1);
                    nodes.push(Node {
                        kind: if is_map {
                            NodeKind::Mapping(Vec::new())
                        } else {
                            NodeKind::Sequence(Vec::new())
                        },
                        start: range.start,
                        end: range.end,
                        flow: style == StructureStyle::Flow,
                        anchor: None,
                        tag,
                    });
                    last_node = Some(id);
                    stack.push(if is_map {
                        Frame::Map {
                            id,
                            entries: Vec::new(),
                            pending_key: None,
                        }
                    } else {
                        Frame::Seq {
                            id,
                            items: Vec::new(),
                        }
                    });
                    check_node_limit(nodes.len(), limits)?;
                    continue;
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    let Some(frame) = stack.pop() else { continue };
                    let (id, kind, last_child) = match frame {
                        Frame::Map { id, entries, .. } => {
                            if let Some(key) = repeated_key(&nodes, &entries) {
                                let pos = lines.position(source, nodes[key].start);
                                let NodeKind::Scalar { value, .. } = &nodes[key].kind else {
                                    unreachable!("only scalar keys are compared")
                                };
                                return Err(Error::DuplicateKey {
                                    key: value.to_string(),
                                    line: pos.line,
                                    column: pos.column,
                                });
                            }
                            let last = entries.last().map(|(k, v)| {
                                if nodes[*v].end >= nodes[*k].end {
                                    *v
                                } else {
                                    *k
                                }
                            });
                            (id, NodeKind::Mapping(entries), last)
                        }
                        Frame::Seq { id, items } => {
                            let last = items.last().copied();
                            (id, NodeKind::Sequence(items), last)
                        }
                    };
                    if nodes[id].flow {
                        nodes[id].end = range.end;
                    } else if let Some(last) = last_child {
                        nodes[id].end = nodes[last].end;
                    }
                    let children: u64 = match &kind {
                        NodeKind::Mapping(entries) => entries.iter().fold(0u64, |acc, (k, v)| {
                            acc.saturating_add(expanded[*k])
                                .saturating_add(expanded[*v])
                        }),
                        NodeKind::Sequence(items) => items
                            .iter()
                            .fold(0u64, |acc, i| acc.saturating_add(expanded[*i])),
                        _ => 0,
                    };
                    expanded[id] = children.saturating_add(1);
                    check_expansion(expanded[id], limits)?;
                    nodes[id].kind = kind;
                    attach(&mut stack, &mut root, id);
                    continue;
                }
                _ => continue,
            };
            let id = nodes.len();
            let size = match new_node.kind {
                NodeKind::Alias(target) => expanded[target],
                _ => 1,
            };
            nodes.push(new_node);
            expanded.push(size);
            last_node = Some(id);
            check_node_limit(nodes.len(), limits)?;
            check_expansion(size, limits)?;
            attach(&mut stack, &mut root, id);
        }
        Ok(Document {
            source: source.to_owned(),
            nodes,
            docs,
            comments,
            lines,
            says_extends,
        })
    }

    /// False when no scalar of the text is `extends`: then no service extends another.
    pub(crate) fn says_extends(&self) -> bool {
        self.says_extends
    }

    /// The text this document was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every node, indexed by [`NodeId`].
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// One node.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// The documents of the stream, in order.
    pub fn documents(&self) -> &[DocRoot] {
        &self.docs
    }

    /// Every comment, in source order.
    pub fn comments(&self) -> &[Comment] {
        &self.comments
    }

    /// Line starts of the source.
    pub fn lines(&self) -> &LineIndex {
        &self.lines
    }

    /// Follows aliases until a non-alias node.
    pub fn resolve(&self, mut id: NodeId) -> NodeId {
        // An alias always points at an earlier node, so this terminates; the bound is a guard.
        for _ in 0..64 {
            match self.nodes[id].kind {
                NodeKind::Alias(target) => id = target,
                _ => return id,
            }
        }
        id
    }

    /// The scalar value of a node (aliases followed), if it is a scalar.
    pub fn scalar(&self, id: NodeId) -> Option<&str> {
        match &self.nodes[self.resolve(id)].kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// True when the node is a null: `key:`, `~`, `null`.
    pub fn is_null(&self, id: NodeId) -> bool {
        match &self.nodes[self.resolve(id)].kind {
            NodeKind::Scalar {
                value,
                style: QuoteStyle::Plain,
                implicit,
            } => *implicit || matches!(&**value, "~" | "null" | "Null" | "NULL"),
            _ => false,
        }
    }

    /// The entries of a mapping node (aliases followed), or an empty slice.
    pub fn entries(&self, id: NodeId) -> &[(NodeId, NodeId)] {
        match &self.nodes[self.resolve(id)].kind {
            NodeKind::Mapping(entries) => entries,
            _ => &[],
        }
    }

    /// The items of a sequence node (aliases followed), or an empty slice.
    pub fn items(&self, id: NodeId) -> &[NodeId] {
        match &self.nodes[self.resolve(id)].kind {
            NodeKind::Sequence(items) => items,
            _ => &[],
        }
    }

    /// The entries when the node itself is a mapping (an alias is not: resolve it first).
    pub fn as_mapping(&self, id: NodeId) -> Option<&[(NodeId, NodeId)]> {
        match &self.nodes[id].kind {
            NodeKind::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items when the node itself is a sequence (an alias is not: resolve it first).
    pub fn as_sequence(&self, id: NodeId) -> Option<&[NodeId]> {
        match &self.nodes[id].kind {
            NodeKind::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// The value written under `key` in the mapping itself (no merge keys).
    pub fn own_entry(&self, map: NodeId, key: &str) -> Option<(NodeId, NodeId)> {
        self.entries(map)
            .iter()
            .find(|(k, _)| self.scalar_key(*k) == Some(key))
            .copied()
    }

    /// The text of a key, if it is a scalar key (never an alias).
    pub fn scalar_key(&self, id: NodeId) -> Option<&str> {
        match &self.nodes[id].kind {
            NodeKind::Scalar { value, .. } => Some(value),
            NodeKind::Alias(_) => self.scalar(id),
            _ => None,
        }
    }

    /// The column (in bytes from the start of its line) where a node starts.
    pub fn column_of(&self, offset: usize) -> usize {
        offset - self.lines.line_start(offset)
    }

    /// Where a node's text starts with its properties: the tag or anchor written before it on
    /// the same line (`!!str image`, `&a key`), else its content.
    pub fn key_start(&self, id: NodeId) -> usize {
        let node = &self.nodes[id];
        if node.tag.is_none() && node.anchor.is_none() {
            return node.start;
        }
        let line_start = self.lines.line_start(node.start);
        let before = &self.source[line_start..node.start];
        // Walk back over `!tag` / `&anchor` tokens and the spaces between them.
        let mut at = before.len();
        loop {
            let trimmed = before[..at].trim_end_matches(' ');
            let token_start = trimmed
                .rfind([' ', '\t', '-', '[', '{', ',', '?'])
                .map_or(0, |i| i + 1);
            let token = &trimmed[token_start..];
            if token.starts_with('!') || token.starts_with('&') {
                at = token_start;
            } else {
                break;
            }
        }
        line_start + at
    }

    /// The source text of a node.
    pub fn text(&self, id: NodeId) -> &str {
        let node = &self.nodes[id];
        &self.source[node.start..node.end]
    }
}

/// True when the block scalar whose content starts at `content_start` has a `+` (keep)
/// chomping indicator in its header (`|+`, `>2+`).
fn keeps_trailing_lines(source: &str, content_start: usize) -> bool {
    let before = &source[..content_start];
    let Some(indicator) = before.rfind(['|', '>']) else {
        return false;
    };
    let header = &before[indicator..];
    let header = header.split('#').next().unwrap_or(header);
    header.lines().next().is_some_and(|h| h.contains('+'))
}

fn check_expansion(size: u64, limits: &InputLimits) -> Result<(), Error> {
    if size > limits.max_expanded_nodes {
        return Err(Error::AliasBomb {
            limit: limits.max_expanded_nodes,
        });
    }
    Ok(())
}

/// The first repeated scalar key of a mapping (its second occurrence, the earliest if several
/// keys repeat), found by sorting the keys once: a mapping of many keys costs `n log n`, and
/// no hash map is needed (each map type adds kilobytes to the browser module).
fn repeated_key(nodes: &[Node], entries: &[(NodeId, NodeId)]) -> Option<NodeId> {
    let text = |id: NodeId| match &nodes[id].kind {
        NodeKind::Scalar { value, .. } if **value != *"<<" => Some(&**value),
        _ => None,
    };
    let mut keys: Vec<(&str, NodeId)> = entries
        .iter()
        .filter_map(|(k, _)| text(*k).map(|t| (t, *k)))
        .collect();
    crate::sort::sort_by(&mut keys, |a, b| a.cmp(b));
    keys.windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| w[1].1)
        .min()
}

fn check_node_limit(count: usize, limits: &InputLimits) -> Result<(), Error> {
    if count > limits.max_nodes {
        return Err(Error::TooManyNodes {
            limit: limits.max_nodes,
        });
    }
    Ok(())
}

fn attach(stack: &mut [Frame], root: &mut Option<NodeId>, id: NodeId) {
    match stack.last_mut() {
        None => *root = Some(id),
        Some(Frame::Seq { items, .. }) => items.push(id),
        Some(Frame::Map {
            entries,
            pending_key,
            ..
        }) => match pending_key.take() {
            None => *pending_key = Some(id),
            Some(key) => entries.push((key, id)),
        },
    }
}

/// A YAML syntax error in our words, saying what to change. The parser's ninety-odd kinds come
/// down to a few mistakes people make in compose files; its own messages are not compiled in.
fn describe_scan_error(kind: &ErrorKind) -> String {
    use ErrorKind as K;
    let text = match kind {
        K::TabNotAllowed
        | K::TabInBlockIndentation
        | K::TabInIndentation
        | K::TabAtBlockScalarStart
        | K::TabInPlainScalar => {
            "a tab where YAML needs spaces; indent with spaces, YAML does not allow tabs for indentation"
        }
        K::MappingValueNotAllowed
        | K::InvalidColonPlacement
        | K::MappingKeyNotAllowed
        | K::InvalidMappingValueWhitespace
        | K::FlowMappingValueAdjacentCollection => {
            "mapping values are not allowed here; check the indentation of this line, or quote a value that contains `: `"
        }
        K::ExpectedBlockMappingKey
        | K::ExpectedBlockSequenceEntry
        | K::InvalidIndentation
        | K::SimpleKeyExpected
        | K::InvalidSimpleKey
        | K::BlockSequenceEntryNotAllowed
        | K::UnexpectedEofBlockMapping
        | K::UnexpectedEofBlockSequence => {
            "this line does not fit the block around it; check that it is indented like its siblings"
        }
        K::UnknownAnchor => {
            "an alias refers to an unknown anchor; define the anchor (`&name`) before the alias (`*name`) uses it"
        }
        K::MissingAnchorOrAliasName => "`&` or `*` must be followed by a name",
        K::UnclosedFlowCollection { open } => {
            return format!("invalid YAML: a `{open}` is never closed; add its closing bracket");
        }
        K::MismatchedFlowCollectionEnd { open, close } => {
            return format!(
                "invalid YAML: a `{open}` is closed by `{close}`; use the matching bracket"
            );
        }
        K::MisplacedFlowCollectionEnd => "a closing bracket without an opening one",
        K::UnexpectedEofFlowSequence
        | K::UnexpectedEofFlowMapping
        | K::UnexpectedEofImplicitFlowMapping
        | K::ExpectedFlowMappingSeparator
        | K::ExpectedFlowSequenceSeparator
        | K::BlockEntryInFlowCollection => {
            "a `[...]` or `{...}` collection is not closed or lacks a comma; check its brackets and commas"
        }
        K::UnclosedQuotedScalar
        | K::InvalidTrailingSingleQuotedScalar
        | K::InvalidTrailingDoubleQuotedScalar
        | K::DocumentIndicatorInQuotedScalar
        | K::InvalidQuotedScalarIndent
        | K::InvalidFlowScalarIndent => {
            "a quoted string does not end where it should; check its quotes (a `'` inside `'...'` is written `''`)"
        }
        K::UnknownQuotedScalarEscape
        | K::InvalidQuotedScalarHexEscape
        | K::InvalidLowSurrogateHexEscape
        | K::InvalidLowSurrogate
        | K::MissingLowSurrogate
        | K::UnpairedLowSurrogate
        | K::InvalidUnicodeEscape => {
            "an unknown `\\` escape in a double-quoted string; write `\\\\` for a backslash, or use single quotes"
        }
        K::ZeroBlockScalarIndent | K::InvalidBlockScalarHeader | K::InvalidBlockScalarIndent => {
            "a `|` or `>` block is malformed; check its header and the indentation of its lines"
        }
        K::RecursionLimitExceeded
        | K::AnchorCountOverflow
        | K::TooManyComments
        | K::InputByteLimitExceeded { .. }
        | K::DirectiveByteLimitExceeded { .. }
        | K::TooManyReservedDirectiveParams { .. } => {
            "the file nests collections deeper, or has more of something, than composeguard accepts"
        }
        K::UnexpectedCharacter { character } => {
            return format!(
                "invalid YAML: unexpected character `{}`; quote the value that contains it",
                character.escape_default()
            );
        }
        K::CommentNotSeparated | K::CommentInterceptedScalar => {
            "a `#` comment must be separated from what precedes it by a space"
        }
        K::ExpectedWhitespace | K::InvalidBlockEntryWhitespace => {
            "a space is missing after `-` or `:`"
        }
        K::DuplicateVersionDirective
        | K::UnsupportedYamlMajorVersion
        | K::DuplicateTagDirective
        | K::MissingDocumentEndBeforeDirective
        | K::InvalidDirectiveTerminator
        | K::DirectiveDisallowed
        | K::MissingYamlVersionSeparator
        | K::MissingDirectiveName
        | K::InvalidDirectiveName
        | K::YamlVersionTooLong
        | K::MissingYamlVersion
        | K::InvalidTagDirectiveTerminator => {
            "a malformed `%` directive; compose files do not need one, remove it"
        }
        K::ExpectedTagBang
        | K::ExpectedTagDirectiveBang
        | K::InvalidGlobalTagCharacter
        | K::UndeclaredTagHandle
        | K::InvalidTagTerminator
        | K::MissingTagUri
        | K::UnclosedVerbatimTag
        | K::InvalidTagEscape
        | K::InvalidTagUtf8LeadingByte
        | K::InvalidTagUtf8TrailingByte
        | K::InvalidTagUtf8 => "a malformed `!` tag; quote a value that starts with `!`",
        K::BomInsideDocument => "a byte-order mark inside the file; remove it",
        K::PlainScalarStartsWithDashFlowIndicator
        | K::UnexpectedEndOfPlainScalar
        | K::ExpectedNodeContent => {
            "a value is missing, or starts with a character YAML reserves; quote the value"
        }
        K::InvalidDocumentEnd | K::ExpectedDocumentStart | K::ExpectedStreamStart => {
            "a misplaced `---` or `...`; a compose file is one YAML document"
        }
        _ => "this is not valid YAML; check the line's indentation, quotes and brackets",
    };
    format!("invalid YAML: {text}")
}

#[cfg(test)]
mod tests {
    use super::Document;

    #[test]
    fn extends_is_noted_however_it_is_written() {
        let says = |text: &str| Document::parse(text).unwrap().says_extends();
        assert!(says("services:\n  a:\n    extends: b\n  b: {}\n"));
        assert!(says("services:\n  a:\n    \"ext\\x65nds\": b\n  b: {}\n"));
        assert!(says("services:\n  a: {'extends': b}\n  b: {}\n"));
        assert!(!says("services:\n  a:\n    image: extends-like\n"));
    }
}
