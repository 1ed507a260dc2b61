//! The streaming transfer engine shared by the services: upload bodies read from a file (or
//! inline bytes) chunk by chunk and hashed as they go; downloads written to a part file beside
//! the target — over several ranged connections for a large file — and renamed only after size
//! and sha256 (md5 where the service reports no sha256) match, resumed with `Range` after a
//! broken connection. Memory stays bounded by the chunk size, never by the file size. Transfers
//! take a transport [`Context`](crate::transport::Context) and the profile of the service they
//! talk to.

mod checksums;
mod download;
mod fetch;
mod inside;
mod pipeline;
mod ranges;
mod source;
mod target;
mod upload;

pub(crate) use checksums::{hex, local_checksums, verify, Checksums, Expected, Hashers, Verified};
pub(crate) use download::{download, download_from, Access, Downloaded, Sink};
pub(crate) use source::Source;
pub(crate) use target::{is_part_name, remove_stale_parts};
pub(crate) use upload::{put, send_range};

/// How much of a file is read (and hashed) at a time.
const CHUNK: usize = 1024 * 1024;
