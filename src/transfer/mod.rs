//! The streaming transfer engine shared by the services: upload bodies read from a file (or
//! inline bytes) chunk by chunk, downloads written to a temporary file beside the target and
//! renamed only after size and checksums match, resumed with `Range` after a broken connection.
//! Memory stays bounded by the chunk size, never by the file size. Transfers take a transport
//! [`Context`](crate::transport::Context) and the profile of the service they talk to.

mod checksums;
mod download;
mod inside;
mod pipeline;
mod source;
mod upload;

pub(crate) use checksums::{hex, local_checksums, verify, Checksums, Expected, Hashers};
pub(crate) use download::{download, download_from, Access, Downloaded, Sink};
pub(crate) use source::Source;
pub(crate) use upload::{put, send_range, Sent};

/// How much of a file is read (and hashed) at a time.
const CHUNK: usize = 1024 * 1024;
