//! Folder trees on the Disk, through the folder-tree engine: the Disk lends it its listings,
//! folder creation and single-file transfers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::api::{folder_items, make_folders, path_arg};
use super::transfers::{download, expected_of, upload};
use crate::error::{ErrorCode, Result};
use crate::schema::Call;
use crate::transfer::{Expected, Sink, Source};
use crate::transport::Context;
use crate::tree::{self, DownloadSource, RemoteEntry, RemoteFile, UploadOptions, UploadTarget};

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

/// A tree on the Disk under `root`; folders are paths.
struct DiskTree<'a> {
    ctx: &'a Context,
    root: String,
}

impl DiskTree<'_> {
    /// The Disk path of a folder relative to the root.
    fn folder(&self, dir: &str) -> String {
        let root = self.root.trim_end_matches('/');
        if dir.is_empty() {
            root.to_string()
        } else {
            format!("{root}/{dir}")
        }
    }
}

impl UploadTarget for DiskTree<'_> {
    async fn files_in(&self, dir: &str) -> Result<HashMap<String, RemoteFile>> {
        let folder = self.folder(dir);
        let fields =
            "_embedded.items.name,_embedded.items.type,_embedded.items.md5,_embedded.items.size,_embedded.total,path";
        match folder_items(self.ctx, &folder, None, Some(fields)).await {
            Ok((items, _)) => Ok(items
                .iter()
                .filter(|item| item.get("type").and_then(Value::as_str) == Some("file"))
                .filter_map(|item| {
                    let name = item.get("name")?.as_str()?.to_string();
                    let md5 = item.get("md5").and_then(Value::as_str).map(String::from);
                    let size = item.get("size").and_then(Value::as_u64);
                    Some((name, RemoteFile { md5, size }))
                })
                .collect()),
            Err(error) if error.code == ErrorCode::NotFound => {
                make_folders(self.ctx, &folder).await?;
                Ok(HashMap::new())
            }
            Err(error) => Err(error),
        }
    }

    async fn upload(&self, ctx: &Context, dir: &str, name: &str, source: &Source) -> Result<()> {
        let target = format!("{}/{name}", self.folder(dir));
        upload(ctx, &target, source, true).await.map(drop)
    }
}

impl DownloadSource for DiskTree<'_> {
    async fn entries(&self, handle: &str) -> Result<Vec<RemoteEntry>> {
        let (items, _) = folder_items(self.ctx, handle, Some("name"), None).await?;
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

    async fn download(&self, ctx: &Context, handle: &str, expected: &Expected, target: PathBuf) -> Result<()> {
        download(ctx, handle, expected, Sink::File(target)).await.map(drop)
    }
}
