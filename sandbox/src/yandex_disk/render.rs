//! Resources as JSON (docs/protocols.md §2.2), in the three ways the service shows them: on the
//! owner's Disk, in the Trash and through a public link (paths relative to the public root).

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use super::error::{DiskError, DiskResult};
use super::paths::{self, Space};
use super::transfer;
use super::tree::{Node, Tree};
use crate::util::iso8601;

/// Where a resource is seen from.
#[derive(Clone, Copy)]
pub enum Scope<'a> {
    Disk,
    Trash,
    /// Inside the published resource at `root`, whose key is `public_key`.
    Public {
        root: &'a str,
        public_key: &'a str,
    },
}

/// What rendering needs besides the node: the owner, and how to sign `file` links.
pub struct View<'a> {
    pub base: &'a str,
    pub uid: &'a str,
    pub link_key: &'a str,
    /// When `file` links made now expire (Unix seconds).
    pub links_expire: i64,
}

impl View<'_> {
    pub fn path(&self, scope: Scope, key: &str) -> String {
        match scope {
            Scope::Disk => paths::display(Space::Disk, key),
            Scope::Trash => paths::display(Space::Trash, key),
            Scope::Public { root, .. } => paths::rebase(key, root, "/"),
        }
    }

    pub fn public_url(&self, url_id: &str) -> String {
        format!("{}/yandex-disk/d/{url_id}", self.base)
    }

    /// One resource, without `_embedded`.
    pub fn resource(&self, scope: Scope, key: &str, node: &Node) -> Value {
        let resource_id = format!("{}:{}", self.uid, node.resource_id);
        let name = match (&node.trashed, scope) {
            // A trashed resource keeps its own name; only its path carries the suffix.
            (Some(trashed), _) => paths::name(trashed.origin_path.trim_start_matches("disk:")).to_string(),
            (None, _) => paths::name(key).to_string(),
        };
        let mut out = Map::new();
        out.insert("type".into(), json!(if node.is_dir() { "dir" } else { "file" }));
        out.insert("name".into(), json!(name));
        out.insert("path".into(), json!(self.path(scope, key)));
        out.insert("created".into(), json!(iso8601(node.created)));
        out.insert("modified".into(), json!(iso8601(node.modified)));
        out.insert("resource_id".into(), json!(resource_id));
        out.insert("revision".into(), json!(node.revision));
        out.insert("exif".into(), json!({}));
        out.insert(
            "comment_ids".into(),
            json!({"private_resource": resource_id, "public_resource": resource_id}),
        );
        if let Some(properties) = &node.custom_properties {
            out.insert("custom_properties".into(), Value::Object(properties.clone()));
        }
        match scope {
            Scope::Public { public_key, .. } => {
                out.insert("public_key".into(), json!(public_key));
                if let Some(publication) = &node.publication {
                    out.insert("public_url".into(), json!(self.public_url(&publication.url_id)));
                }
                // [unverified] views are not counted: the recordings only ever show 0.
                out.insert("views_count".into(), json!(0));
            }
            Scope::Disk => {
                if let Some(publication) = &node.publication {
                    out.insert("public_key".into(), json!(publication.public_key));
                    out.insert("public_url".into(), json!(self.public_url(&publication.url_id)));
                }
            }
            Scope::Trash => {
                if let Some(trashed) = &node.trashed {
                    out.insert("origin_path".into(), json!(trashed.origin_path));
                    out.insert("deleted".into(), json!(iso8601(trashed.deleted)));
                }
            }
        }
        if let Some(file) = node.file() {
            let (mime_type, media_type) = super::media::guess(&name);
            out.insert("size".into(), json!(file.size));
            out.insert("mime_type".into(), json!(mime_type));
            out.insert("media_type".into(), json!(media_type));
            out.insert("md5".into(), json!(file.md5));
            out.insert("sha256".into(), json!(file.sha256));
            out.insert("antivirus_status".into(), json!("clean"));
            // Public links are made for uid 0, as the service does [verified-traffic]; files in
            // the Trash cannot be downloaded, so they get none.
            let link_uid = match scope {
                Scope::Disk => Some(self.uid),
                Scope::Public { .. } => Some("0"),
                Scope::Trash => None,
            };
            if let Some(link_uid) = link_uid {
                let href = transfer::download_href(self, link_uid, file, &name);
                out.insert("file".into(), json!(href));
            }
        }
        Value::Object(out)
    }

    /// A folder with its page of children in `_embedded`.
    pub fn folder(&self, scope: Scope, tree: &Tree, key: &str, node: &Node, page: &Page) -> Value {
        let mut out = self.resource(scope, key, node);
        out["_embedded"] = self.embedded(scope, tree, key, page);
        out
    }

    /// `_embedded`: a ResourceList of the children of `key`.
    pub fn embedded(&self, scope: Scope, tree: &Tree, key: &str, page: &Page) -> Value {
        let mut children = tree.children(key);
        page.sort(&mut children);
        let total = children.len();
        let items: Vec<Value> = children
            .into_iter()
            .skip(page.offset)
            .take(page.limit)
            .map(|(child_key, child)| self.resource(scope, child_key, child))
            .collect();
        let mut embedded = json!({
            "items": items,
            "limit": page.limit,
            "offset": page.offset,
            "total": total,
            "path": self.path(scope, key),
            "sort": page.sort_echo,
        });
        if let Scope::Public { public_key, .. } = scope {
            embedded["public_key"] = json!(public_key);
        }
        embedded
    }
}

/// `limit`, `offset` and `sort` of a listing.
pub struct Page {
    pub limit: usize,
    pub offset: usize,
    order: Option<(SortBy, bool)>,
    /// `sort` as the response echoes it (`""` when unsorted).
    pub sort_echo: String,
}

#[derive(Clone, Copy)]
enum SortBy {
    Name,
    Path,
    Created,
    Modified,
    Size,
}

impl Page {
    /// `limit` defaults to 20 (docs/protocols.md §2.2).
    pub fn from_query(query: &super::Query) -> DiskResult<Page> {
        Page::with_default_limit(query, 20)
    }

    pub fn with_default_limit(query: &super::Query, default_limit: usize) -> DiskResult<Page> {
        let limit = query.number("limit", default_limit)?;
        let offset = query.number("offset", 0)?;
        let sort = query.get("sort").unwrap_or("");
        let order = if sort.is_empty() {
            None
        } else {
            let (descending, field) = match sort.strip_prefix('-') {
                Some(field) => (true, field),
                None => (false, sort),
            };
            let by = match field {
                "name" => SortBy::Name,
                "path" => SortBy::Path,
                "created" => SortBy::Created,
                "modified" => SortBy::Modified,
                "size" => SortBy::Size,
                _ => {
                    return Err(DiskError::field(
                        "sort",
                        "Must be one of name, path, created, modified, size (with - for descending).",
                        "Допустимые значения: name, path, created, modified, size (с - для обратного порядка).",
                    ))
                }
            };
            Some((by, descending))
        };
        Ok(Page {
            limit,
            offset,
            order,
            sort_echo: sort.to_string(),
        })
    }

    /// Orders entries by the requested field, then by name. [unverified] the unsorted order:
    /// the sandbox lists by name, which is what the service's listings look like.
    pub fn sort(&self, entries: &mut [(&String, &Node)]) {
        let (by, descending) = self.order.unwrap_or((SortBy::Name, false));
        entries.sort_by(|(a_key, a), (b_key, b)| {
            let primary = match by {
                SortBy::Name => Ordering::Equal,
                SortBy::Path => a_key.cmp(b_key),
                SortBy::Created => a.created.cmp(&b.created),
                SortBy::Modified => a.modified.cmp(&b.modified),
                SortBy::Size => a.size().cmp(&b.size()),
            };
            let ordering = primary.then_with(|| paths::name(a_key).cmp(paths::name(b_key)));
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        });
    }
}
