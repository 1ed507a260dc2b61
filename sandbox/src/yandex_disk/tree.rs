//! One user's resources: a tree of folders and files for Disk and another one for the Trash,
//! each a map from key (`/`, `/a`, `/a/b`) to node, so a subtree is a contiguous key range.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::paths;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Node {
    pub kind: Kind,
    pub created: i64,
    pub modified: i64,
    /// The 64-hex half of `resource_id`; kept by move, trash and restore, new on copy.
    pub resource_id: String,
    /// Microseconds, strictly increasing over the whole sandbox (the service's `revision`).
    pub revision: i64,
    #[serde(default)]
    pub custom_properties: Option<Map<String, Value>>,
    #[serde(default)]
    pub publication: Option<Publication>,
    /// Set on the top-level entries of the Trash.
    #[serde(default)]
    pub trashed: Option<Trashed>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Kind {
    Dir,
    File(FileData),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FileData {
    /// Name of the stored content in the blob directory; copies share it.
    pub blob: String,
    pub size: u64,
    pub md5: String,
    pub sha256: String,
    /// Revision at which the content was uploaded (orders `last-uploaded`; copies keep it).
    pub uploaded: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Publication {
    pub public_key: String,
    /// The id in `public_url` (`…/d/<id>`).
    pub url_id: String,
    /// Revision of publishing (orders `/resources/public`, newest first).
    pub published: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trashed {
    pub origin_path: String,
    pub deleted: i64,
}

impl Node {
    pub fn new(kind: Kind, now: i64, revision: i64) -> Node {
        Node {
            kind,
            created: now,
            modified: now,
            resource_id: crate::util::random_hex(32),
            revision,
            custom_properties: None,
            publication: None,
            trashed: None,
        }
    }

    pub fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir)
    }

    pub fn file(&self) -> Option<&FileData> {
        match &self.kind {
            Kind::File(file) => Some(file),
            Kind::Dir => None,
        }
    }

    pub fn size(&self) -> u64 {
        self.file().map_or(0, |f| f.size)
    }
}

/// Keys mapped to nodes. The root `/` of Disk is a node; the Trash keeps no root node.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Tree {
    nodes: BTreeMap<String, Node>,
}

impl Tree {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.nodes.get(key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.nodes.get_mut(key)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.nodes.contains_key(key)
    }

    pub fn insert(&mut self, key: String, node: Node) {
        self.nodes.insert(key, node);
    }

    /// Everything strictly below `key`, in key order.
    pub fn descendants<'a>(&'a self, key: &str) -> impl Iterator<Item = (&'a String, &'a Node)> + 'a {
        let prefix = if key == "/" { "/".to_string() } else { format!("{key}/") };
        self.nodes
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.as_str() != "/")
    }

    /// The direct children of `key`.
    pub fn children<'a>(&'a self, key: &str) -> Vec<(&'a String, &'a Node)> {
        let depth = if key == "/" { 1 } else { key.matches('/').count() + 1 };
        self.descendants(key)
            .filter(|(k, _)| k.matches('/').count() == depth)
            .collect()
    }

    pub fn has_children(&self, key: &str) -> bool {
        self.descendants(key).next().is_some()
    }

    /// Removes `key` and its subtree, returning them with keys relative to `key` ("" for it).
    pub fn take_subtree(&mut self, key: &str) -> Vec<(String, Node)> {
        let keys: Vec<String> = std::iter::once(key.to_string())
            .filter(|k| self.nodes.contains_key(k))
            .chain(self.descendants(key).map(|(k, _)| k.clone()))
            .collect();
        keys.into_iter()
            .filter_map(|k| {
                let node = self.nodes.remove(&k)?;
                Some((paths::rebase(&k, key, "").trim_start_matches('/').to_string(), node))
            })
            .collect()
    }

    /// A copy of `key` and its subtree with keys relative to `key`, as `take_subtree` gives.
    pub fn clone_subtree(&self, key: &str) -> Vec<(String, Node)> {
        let root = self.nodes.get(key).map(|n| (String::new(), n.clone()));
        root.into_iter()
            .chain(
                self.descendants(key)
                    .map(|(k, n)| (paths::rebase(k, key, "").trim_start_matches('/').to_string(), n.clone())),
            )
            .collect()
    }

    /// Places a subtree taken or cloned from somewhere at `key`.
    pub fn put_subtree(&mut self, key: &str, subtree: Vec<(String, Node)>) {
        for (relative, node) in subtree {
            let target = if relative.is_empty() {
                key.to_string()
            } else {
                paths::join(key, &relative)
            };
            self.nodes.insert(target, node);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Node)> {
        self.nodes.iter()
    }

    pub fn bytes(&self) -> u64 {
        self.nodes.values().map(Node::size).sum()
    }
}

/// One user's Disk and Trash.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserDisk {
    pub disk: Tree,
    pub trash: Tree,
    /// The Disk's `revision`: the latest change of anything in it.
    pub revision: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Node {
        Node::new(Kind::Dir, 0, 0)
    }

    #[test]
    fn subtrees_move_as_ranges() {
        let mut tree = Tree::default();
        for key in ["/", "/a", "/a/b", "/a/b/c", "/ab", "/z"] {
            tree.insert(key.into(), dir());
        }
        let children: Vec<_> = tree.children("/").iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(children, ["/a", "/ab", "/z"]);
        assert_eq!(tree.children("/a").len(), 1);
        let subtree = tree.take_subtree("/a");
        let relative: Vec<_> = subtree.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(relative, ["", "b", "b/c"]);
        tree.put_subtree("/z/a", subtree);
        assert!(tree.contains("/z/a/b/c") && !tree.contains("/a") && tree.contains("/ab"));
    }
}
