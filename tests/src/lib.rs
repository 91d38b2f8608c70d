//! Shared helpers for the workspace tests live in the test files themselves.
