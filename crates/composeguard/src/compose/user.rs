//! The `user:` form: `USER[:GROUP]`, a name or a numeric uid.

/// What a `user:` value means for the process's uid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSetting {
    /// Empty (`user: ""`) or only a group (`:1000`): the image's own user.
    ImageDefault,
    /// `root`, `0`, `00`, `0:0`, `root:root`, `0:1000` and the like.
    Root,
    /// Any other user name or uid.
    NonRoot,
    /// Interpolated (`${UID}`): unknown until run time.
    Variable,
}

/// Reads a `user:` value the way the Engine does (a numeric uid with leading zeros is that
/// number, so `00` is root).
pub fn user_setting(user: &str) -> UserSetting {
    if user.contains('$') {
        return UserSetting::Variable;
    }
    let name = user.split(':').next().unwrap_or("").trim();
    if name.is_empty() {
        UserSetting::ImageDefault
    } else if name == "root"
        || (name.bytes().all(|b| b.is_ascii_digit()) && name.trim_start_matches('0').is_empty())
    {
        UserSetting::Root
    } else {
        UserSetting::NonRoot
    }
}
