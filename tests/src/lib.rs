//! Oracles shared by the workspace tests, the property tests of `composeguard` and the fuzz
//! target:
//!
//! - [`corpus`]: every input file (fixtures, examples, corpus) and the fix options;
//! - [`docker`]: the Docker engine and `docker-compose` of the engine tests;
//! - [`hostile`]: a proptest generator of the hostile forms of Compose files;
//! - [`loader`]: Compose's own loader (`docker-compose`), found once;
//! - [`model`]: the effective Compose model of a file through serde_yaml_ng (a parser
//!   independent of composeguard's), merge keys and same-file `extends` resolved as Compose
//!   resolves them;
//! - [`validate`]: a semantic validator of that model (capability names, duplicate items,
//!   byte sizes, durations, limits that conflict, host IPs, nulls), returning precise
//!   problems.

pub mod corpus;
pub mod docker;
pub mod hostile;
pub mod loader;
pub mod model;
pub mod validate;

pub use validate::{Problem, new_problems, problems};
