//! Disk paths (docs/protocols.md §2.0): `disk:/a/b` equals `/a/b` and `a/b` (bare paths are
//! relative to the root of Disk), `app:/…` is the app's own folder and `trash:/…` the Trash.
//! Inside the emulator a path is a key of one tree: `/` for its root, `/a/b` below it.

use super::error::{DiskError, DiskResult};

/// Longest name and longest full path the real service accepts (YDISK-DOCS upload).
const MAX_NAME_CHARS: usize = 255;
const MAX_PATH_CHARS: usize = 32_760;

/// Which tree a path points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    Disk,
    Trash,
}

/// A client's path resolved to a tree and a key in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub space: Space,
    pub key: String,
    /// Written as `app:/…`: the app folder must exist before the request goes on.
    pub via_app: bool,
}

/// Resolves the query parameter `field` (named in errors). `app_root` is the key of the
/// caller's app folder; `bare` is the tree a path without a scheme points into.
pub fn resolve(field: &str, raw: &str, app_root: &str, bare: Space) -> DiskResult<Location> {
    let invalid = |problem_en: &str, problem_ru: &str| DiskError::field(field, problem_en, problem_ru);
    if raw.chars().count() > MAX_PATH_CHARS {
        return Err(invalid("The path is too long.", "Слишком длинный путь."));
    }
    let (space, base, rest, via_app) = if let Some(rest) = raw.strip_prefix("disk:") {
        (Space::Disk, "", rest, false)
    } else if let Some(rest) = raw.strip_prefix("app:") {
        (Space::Disk, app_root, rest, true)
    } else if let Some(rest) = raw.strip_prefix("trash:") {
        (Space::Trash, "", rest, false)
    } else if raw.contains(':') {
        // The service reads what comes before the first `:` as a scheme, which is why names
        // with `:` must be sent with an explicit `disk:/` (yadisk issue #26). [unverified]
        // whether the real answer is this 400.
        return Err(invalid("Unsupported path scheme.", "Неподдерживаемая схема пути."));
    } else {
        (bare, "", raw, false)
    };
    let mut key = base.to_string();
    for segment in rest.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." {
            return Err(invalid(
                "Path must not contain . or .. segments.",
                "Путь не может содержать . и ..",
            ));
        }
        if segment.chars().count() > MAX_NAME_CHARS {
            return Err(invalid("The name is too long.", "Слишком длинное имя."));
        }
        key.push('/');
        key.push_str(segment);
    }
    if key.is_empty() {
        key.push('/');
    }
    Ok(Location { space, key, via_app })
}

/// The absolute path the service shows for a key: `disk:/a/b`, `trash:/x`.
pub fn display(space: Space, key: &str) -> String {
    let scheme = match space {
        Space::Disk => "disk:",
        Space::Trash => "trash:",
    };
    format!("{scheme}{key}")
}

/// The key of the folder that holds `key` (None for the root).
pub fn parent(key: &str) -> Option<&str> {
    if key == "/" {
        return None;
    }
    match key.rfind('/') {
        Some(0) => Some("/"),
        Some(index) => Some(&key[..index]),
        None => None,
    }
}

/// The last segment of a key; the root of Disk is named `disk`, as the service names it.
pub fn name(key: &str) -> &str {
    match key.rfind('/') {
        Some(index) if key != "/" => &key[index + 1..],
        _ => "disk",
    }
}

/// `key` joined with one more segment.
pub fn join(key: &str, name: &str) -> String {
    if key == "/" {
        format!("/{name}")
    } else {
        format!("{key}/{name}")
    }
}

/// Whether `key` is `ancestor` itself or lies below it.
pub fn is_within(key: &str, ancestor: &str) -> bool {
    ancestor == "/"
        || key == ancestor
        || (key.starts_with(ancestor) && key.as_bytes().get(ancestor.len()) == Some(&b'/'))
}

/// `key` moved from below `from` to below `to` (`key` must be within `from`).
pub fn rebase(key: &str, from: &str, to: &str) -> String {
    let tail = if from == "/" { key } else { &key[from.len()..] };
    match (to, tail) {
        (_, "") => to.to_string(),
        ("/", tail) => tail.to_string(),
        (to, tail) => format!("{to}{tail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "/Приложения/app";

    fn disk_key(raw: &str) -> String {
        resolve("path", raw, APP, Space::Disk).unwrap().key
    }

    #[test]
    fn bare_and_prefixed_paths_are_the_same_key() {
        for raw in ["disk:/a/b", "/a/b", "a/b", "disk:/a//b/", "disk:a/b"] {
            assert_eq!(disk_key(raw), "/a/b", "{raw}");
        }
        assert_eq!(disk_key("disk:/"), "/");
        assert_eq!(disk_key(""), "/");
        assert_eq!(disk_key("app:/x"), "/Приложения/app/x");
        assert_eq!(disk_key("app:/"), APP);
        assert_eq!(disk_key("disk:/a:b"), "/a:b");
    }

    #[test]
    fn colons_need_an_explicit_scheme() {
        assert!(resolve("path", "a:b", APP, Space::Disk).is_err());
        assert!(resolve("path", "/x/../y", APP, Space::Disk).is_err());
    }

    #[test]
    fn key_helpers() {
        assert_eq!(parent("/a/b"), Some("/a"));
        assert_eq!(parent("/a"), Some("/"));
        assert_eq!(parent("/"), None);
        assert_eq!(name("/a/b c"), "b c");
        assert!(is_within("/a/b", "/a"));
        assert!(!is_within("/ab", "/a"));
        assert_eq!(rebase("/a/b/c", "/a", "/x"), "/x/b/c");
        assert_eq!(rebase("/a", "/a", "/x"), "/x");
        assert_eq!(rebase("/a/b", "/a", "/"), "/b");
    }
}
