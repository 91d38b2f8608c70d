//! Capability names as `cap_add` and `cap_drop` hold them.

/// Normalises a capability name the way the Engine does (`cap_net_raw` = `NET_RAW`).
pub(crate) fn normalize_capability(cap: &str) -> String {
    let upper = cap.trim().to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map_or(upper.clone(), str::to_owned)
}
