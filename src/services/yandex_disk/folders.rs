//! Folder trees on the Disk, through the folder-tree engine: the Disk lends it its listings,
//! folder creation, single-file transfers and `custom_properties` (where the local modification
//! time of an uploaded file is recorded).

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::api::{folder_items, make_folder, make_folders, path_arg, set_custom_properties};
use super::transfers::{download, expected_of, upload};
use crate::error::{ErrorCode, Result};
use crate::schema::Call;
use crate::transfer::{Expected, Sink, Source};
use crate::transport::Context;
use crate::tree::{
    self, DownloadSource, RemoteEntry, RemoteFile, RemoteFolder, UploadOptions, UploadTarget, MTIME_PROPERTY,
};

pub(super) async fn upload_directory(call: Call) -> Result<Value> {
    let local_dir = PathBuf::from(call.args.str("local_dir")?);
    let options = UploadOptions {
        overwrite: call.args.bool("overwrite"),
        skip_unchanged: call.args.bool("skip_unchanged"),
    };
    let disk = DiskTree {
        ctx: &call.ctx,
        root: path_arg(&call.args, "path")?,
    };
    tree::upload_tree(&call.ctx, &local_dir, options, &disk).await
}

pub(super) async fn download_directory(call: Call) -> Result<Value> {
    let disk = DiskTree {
        ctx: &call.ctx,
        root: path_arg(&call.args, "path")?,
    };
    let local_dir = PathBuf::from(call.args.str("local_dir")?);
    tree::download_tree(&call.ctx, &disk.root, Path::new(&local_dir), &disk).await
}

/// A tree on the Disk under `root`; folders and files are named by their paths.
struct DiskTree<'a> {
    ctx: &'a Context,
    root: String,
}

/// What a listing of an upload's folder asks for: each file's name, size, checksums and
/// properties.
const UPLOAD_FIELDS: &str = "_embedded.items.name,_embedded.items.path,_embedded.items.type,\
_embedded.items.md5,_embedded.items.sha256,_embedded.items.size,_embedded.items.custom_properties,\
_embedded.total,path";

/// What a listing of a download's folder asks for: what a download needs and must match.
const DOWNLOAD_FIELDS: &str = "_embedded.items.name,_embedded.items.path,_embedded.items.type,\
_embedded.items.md5,_embedded.items.sha256,_embedded.items.size,_embedded.total,path";

impl DiskTree<'_> {
    /// The Disk path of a folder relative to the root.
    fn folder_path(&self, dir: &str) -> String {
        let root = self.root.trim_end_matches('/');
        if dir.is_empty() {
            root.to_string()
        } else {
            format!("{root}/{dir}")
        }
    }
}

/// A file of a listing, as the tree engine compares it.
fn remote_file(item: &Value) -> Option<(String, RemoteFile)> {
    if item.get("type").and_then(Value::as_str) != Some("file") {
        return None;
    }
    let text = |key: &str| item.get(key).and_then(Value::as_str).map(String::from);
    let mtime = item
        .pointer(&format!("/custom_properties/{MTIME_PROPERTY}"))
        .and_then(Value::as_str)
        .map(String::from);
    let file = RemoteFile {
        handle: text("path")?,
        size: item.get("size").and_then(Value::as_u64),
        md5: text("md5"),
        sha256: text("sha256"),
        mtime,
    };
    Some((text("name")?, file))
}

impl UploadTarget for DiskTree<'_> {
    async fn folder(&self, parent: Option<&RemoteFolder>, dir: &str) -> Result<RemoteFolder> {
        let path = self.folder_path(dir);
        let created = |handle: String| RemoteFolder {
            handle,
            created: true,
            ..RemoteFolder::default()
        };
        // Inside a folder this upload made, nothing is there yet.
        if parent.is_some_and(|parent| parent.created) {
            make_folder(self.ctx, &path, true).await?;
            return Ok(created(path));
        }
        match folder_items(self.ctx, &path, None, Some(UPLOAD_FIELDS)).await {
            Ok((items, _)) => Ok(RemoteFolder {
                handle: path,
                files: items.iter().filter_map(remote_file).collect(),
                ..RemoteFolder::default()
            }),
            Err(error) if error.code == ErrorCode::NotFound => {
                make_folders(self.ctx, &path).await?;
                Ok(created(path))
            }
            Err(error) => Err(error),
        }
    }

    async fn upload(
        &self,
        ctx: &Context,
        folder: &RemoteFolder,
        name: &str,
        _existing: Option<&RemoteFile>,
        (source, mtime): (&Source, &str),
    ) -> Result<()> {
        let target = format!("{}/{name}", folder.handle);
        let properties = json!({MTIME_PROPERTY: mtime});
        upload(ctx, &target, source, true, Some(&properties)).await.map(drop)
    }

    async fn record_mtime(&self, ctx: &Context, file: &RemoteFile, mtime: &str) -> Result<()> {
        set_custom_properties(ctx, &file.handle, &json!({MTIME_PROPERTY: mtime}))
            .await
            .map(drop)
    }
}

impl DownloadSource for DiskTree<'_> {
    async fn entries(&self, handle: &str) -> Result<Vec<RemoteEntry>> {
        let (items, _) = folder_items(self.ctx, handle, Some("name"), Some(DOWNLOAD_FIELDS)).await?;
        let entry = |item: &Value| {
            let name = item.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
            let path = item.get("path").and_then(Value::as_str).map(String::from);
            match item.get("type").and_then(Value::as_str) {
                Some("dir") => path.map(|handle| RemoteEntry::Folder { name, handle }),
                _ => Some(RemoteEntry::File {
                    name,
                    handle: path.unwrap_or_default(),
                    expected: expected_of(item),
                }),
            }
        };
        Ok(items.iter().filter_map(entry).collect())
    }

    async fn download(&self, ctx: &Context, handle: &str, expected: &Expected, sink: Sink) -> Result<()> {
        download(ctx, handle, expected, sink).await.map(drop)
    }
}
