//! Values the rules write, with defaults a production stack can live with.

/// Values used by fixes. Every field has a sensible default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `max-size` written by the log-rotation fix (json-file syntax, e.g. `10m`).
    pub log_max_size: String,
    /// `max-file` written by the log-rotation fix (a count, written as a quoted string).
    pub log_max_file: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            log_max_size: "10m".into(),
            log_max_file: "3".into(),
        }
    }
}
