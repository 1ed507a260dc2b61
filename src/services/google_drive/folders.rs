//! Folder trees on Drive, through the folder-tree engine: folders are found by name among a
//! folder's children (Drive names folders by id) and made when missing; files are uploaded as
//! UploadFile sends them, with the local modification time in `appProperties`; a tree on a
//! shared drive is listed in that drive's corpus (`drive_id`). Google Docs, Sheets and Slides
//! have no bytes of their own: a download lists them in `errors` (ExportFile exports them).

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use super::api::{api, corpus, list_all, quoted, segment, send, FOLDER_MIME};
use super::profile::{explain, PROFILE};
use super::upload::{media_type_for, upload, Target, UploadOptions as Sending};
use crate::error::{Error, Result};
use crate::schema::{Args, Call};
use crate::transfer::{download_from, Access, Expected, Sink, Source};
use crate::transport::{Context, Request};
use crate::tree::{
    self, DownloadSource, RemoteEntry, RemoteFile, RemoteFolder, UploadOptions, UploadTarget, MTIME_PROPERTY,
};

/// What a listing of a folder's children asks for.
const CHILD_FIELDS: &str = "nextPageToken,files(id,name,mimeType,size,md5Checksum,sha256Checksum,appProperties)";
/// The largest page Drive gives for files.
const PAGE: &str = "1000";

pub(super) async fn upload_directory(call: Call) -> Result<Value> {
    let local_dir = PathBuf::from(call.args.str("local_dir")?);
    let options = UploadOptions {
        overwrite: call.args.bool("overwrite"),
        skip_unchanged: call.args.bool("skip_unchanged"),
    };
    let drive = DriveTree::new(&call)?;
    let root = drive.root(&call.args).unwrap_or("root").to_string();
    tree::upload_tree(&call.ctx, &local_dir, options, &DriveUpload { drive, root }).await
}

pub(super) async fn download_directory(call: Call) -> Result<Value> {
    let drive = DriveTree::new(&call)?;
    let root = drive
        .root(&call.args)
        .ok_or_else(|| {
            Error::invalid_params("give `folder_id` (the folder to download) or `drive_id` (a whole shared drive)")
        })?
        .to_string();
    let local_dir = PathBuf::from(call.args.str("local_dir")?);
    tree::download_tree(&call.ctx, &root, &local_dir, &drive).await
}

/// A tree on My Drive, or on the shared drive `drive_id`.
struct DriveTree<'a> {
    ctx: &'a Context,
    drive_id: Option<String>,
}

impl<'a> DriveTree<'a> {
    fn new(call: &'a Call) -> Result<DriveTree<'a>> {
        let drive_id = call.args.opt_str("drive_id").filter(|d| !d.is_empty());
        if let Some(id) = drive_id {
            segment(id)?;
        }
        Ok(DriveTree {
            ctx: &call.ctx,
            drive_id: drive_id.map(String::from),
        })
    }

    /// The tree's folder: `folder_id`, else the shared drive's root (its id is the drive's).
    fn root<'b>(&'b self, args: &'b Args) -> Option<&'b str> {
        args.opt_str("folder_id")
            .filter(|f| !f.is_empty())
            .or(self.drive_id.as_deref())
    }

    /// Every child of the folder `id` that is not in the trash.
    async fn children(&self, id: &str) -> Result<Vec<Value>> {
        let mut query = vec![
            ("q", format!("{} in parents and trashed = false", quoted(id))),
            ("fields", CHILD_FIELDS.to_string()),
            ("pageSize", PAGE.to_string()),
        ];
        query.extend(corpus(self.drive_id.as_deref()));
        list_all(self.ctx, "/files", &query, "files").await
    }
}

fn text(item: &Value, key: &str) -> Option<String> {
    item.get(key).and_then(Value::as_str).map(String::from)
}

fn size_of(item: &Value) -> Option<u64> {
    item.get("size").and_then(Value::as_str).and_then(|s| s.parse().ok())
}

/// The target of an upload: `root` on the drive.
struct DriveUpload<'a> {
    drive: DriveTree<'a>,
    root: String,
}

impl UploadTarget for DriveUpload<'_> {
    async fn folder(&self, parent: Option<&RemoteFolder>, dir: &str) -> Result<RemoteFolder> {
        let name = dir.rsplit('/').next().unwrap_or(dir);
        let id = match parent {
            None => self.root.clone(),
            Some(parent) => match parent.folders.get(name) {
                Some(id) => id.clone(),
                None => return self.make_folder(&parent.handle, name).await,
            },
        };
        let mut folder = RemoteFolder {
            handle: id.clone(),
            ..RemoteFolder::default()
        };
        for item in self.drive.children(&id).await? {
            let (Some(name), Some(child)) = (text(&item, "name"), text(&item, "id")) else {
                continue;
            };
            if item.get("mimeType").and_then(Value::as_str) == Some(FOLDER_MIME) {
                folder.folders.entry(name).or_insert(child);
                continue;
            }
            let mtime = item.pointer(&format!("/appProperties/{MTIME_PROPERTY}"));
            let file = RemoteFile {
                handle: child,
                size: size_of(&item),
                md5: text(&item, "md5Checksum"),
                sha256: text(&item, "sha256Checksum"),
                mtime: mtime.and_then(Value::as_str).map(String::from),
            };
            folder.files.entry(name).or_insert(file);
        }
        Ok(folder)
    }

    async fn upload(
        &self,
        ctx: &Context,
        folder: &RemoteFolder,
        name: &str,
        existing: Option<&RemoteFile>,
        (source, mtime): (&Source, &str),
    ) -> Result<()> {
        let mut metadata = Map::new();
        metadata.insert("appProperties".into(), json!({MTIME_PROPERTY: mtime}));
        let target = match existing {
            Some(existing) => Target::Update {
                id: existing.handle.clone(),
                metadata,
            },
            None => {
                metadata.insert("name".into(), json!(name));
                metadata.insert("parents".into(), json!([folder.handle]));
                Target::Create(metadata)
            }
        };
        upload(ctx, target, source, media_type_for(name), &Sending::default())
            .await
            .map(drop)
    }

    async fn record_mtime(&self, ctx: &Context, file: &RemoteFile, mtime: &str) -> Result<()> {
        let url = api(ctx, &format!("/files/{}", segment(&file.handle)?))?;
        let request = Request::patch(&PROFILE, url)
            .query("fields", "id")
            .json(json!({"appProperties": {MTIME_PROPERTY: mtime}}));
        send(ctx, request).await.map(drop)
    }
}

impl DriveUpload<'_> {
    /// A new folder `name` in the folder `parent`. Not sent twice: a create that may have
    /// arrived would make a second folder of the same name.
    async fn make_folder(&self, parent: &str, name: &str) -> Result<RemoteFolder> {
        let metadata = json!({"name": name, "mimeType": FOLDER_MIME, "parents": [parent]});
        let request = Request::post(&PROFILE, api(self.drive.ctx, "/files")?)
            .query("fields", "id")
            .json(metadata);
        let made = send(self.drive.ctx, request).await?;
        let id = text(&made, "id").ok_or_else(|| PROFILE.invalid_response("Drive made a folder without an id"))?;
        Ok(RemoteFolder {
            handle: id,
            created: true,
            ..RemoteFolder::default()
        })
    }
}

impl DownloadSource for DriveTree<'_> {
    async fn entries(&self, handle: &str) -> Result<Vec<RemoteEntry>> {
        let entry = |item: &Value| {
            let (name, id) = (text(item, "name")?, text(item, "id")?);
            let mime = item.get("mimeType").and_then(Value::as_str).unwrap_or("");
            Some(if mime == FOLDER_MIME {
                RemoteEntry::Folder { name, handle: id }
            } else if mime.starts_with("application/vnd.google-apps.") {
                let why = format!("a Google document ({mime}) has no bytes of its own: export it with ExportFile");
                RemoteEntry::Refused { name, why }
            } else {
                let expected = Expected {
                    size: size_of(item),
                    md5: text(item, "md5Checksum"),
                    sha256: text(item, "sha256Checksum"),
                };
                RemoteEntry::File {
                    name,
                    handle: id,
                    expected,
                }
            })
        };
        Ok(self.children(handle).await?.iter().filter_map(entry).collect())
    }

    async fn download(&self, ctx: &Context, handle: &str, expected: &Expected, sink: Sink) -> Result<()> {
        let mut url = api(ctx, &format!("/files/{}", segment(handle)?))?;
        url.query_pairs_mut().append_pair("alt", "media");
        let link = move || {
            let url = url.clone();
            async move { Ok(url) }
        };
        download_from(ctx, &PROFILE, expected, sink, Access::Token, link)
            .await
            .map(drop)
            .map_err(explain)
    }
}
