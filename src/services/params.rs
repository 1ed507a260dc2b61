//! Parameters shared by the transfer methods of every service: the local side of an upload
//! (`file` or `data_base64`) and of a download (`save_path`), and the downloaded answer.

use std::path::PathBuf;

use base64::Engine;
use serde_json::{json, Value};

use crate::error::Result;
use crate::schema::{Args, Param};
use crate::transfer::{Checksums, Downloaded, Sink, Source};

pub(crate) const FILE: Param =
    Param::string("file", "The local file to upload (or give `data_base64`).").opi("File", "Файл", "file");
pub(crate) const DATA: Param = Param::string(
    "data_base64",
    "The bytes to upload, base64-encoded (instead of `file`).",
);
pub(crate) const SAVE_PATH: Param = Param::string(
    "save_path",
    "Local file to write (replaced atomically once verified; a symbolic link is written through; a FIFO or a device is written into as the bytes arrive, unprotected by the verification); absent: the bytes come back as base64 up to transfers.inline_max_bytes.",
)
.opi("SavePath", "ПутьСохранения", "out");

/// What an upload method sends: its `file` or its `data_base64`, exactly one of them.
pub(crate) fn source(args: &Args) -> Result<Source> {
    Source::from_file_or_base64(args.opt_str("file"), args.opt_str("data_base64"))
}

/// Where a download method writes: its `save_path`, or memory.
pub(crate) fn sink(args: &Args) -> Sink {
    match args.opt_str("save_path") {
        Some(save_path) => Sink::File(PathBuf::from(save_path)),
        None => Sink::Memory,
    }
}

/// The result of a download: `{"path", …}` when it went to a file, `{"data_base64", …}` when
/// it came back in memory; `md5` only when it is known (the service's, for bytes verified by
/// its sha256; computed, for a service that reports no sha256).
pub(crate) fn downloaded(args: &Args, downloaded: Downloaded) -> Value {
    let Checksums { size, md5, sha256 } = downloaded.checksums;
    let mut result = match (args.opt_str("save_path"), downloaded.data) {
        (Some(save_path), _) => {
            let target = PathBuf::from(save_path);
            let shown = std::path::absolute(&target).unwrap_or(target);
            json!({"path": shown.to_string_lossy(), "size": size, "sha256": sha256})
        }
        (None, data) => {
            let data = base64::engine::general_purpose::STANDARD.encode(data.unwrap_or_default());
            json!({"data_base64": data, "size": size, "sha256": sha256})
        }
    };
    if let Some(md5) = md5 {
        result["md5"] = json!(md5);
    }
    result
}
