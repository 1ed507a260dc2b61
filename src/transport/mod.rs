//! The transport layer: everything between a service's request and the wire, knowing no
//! service. A [`Context`] carries what one operation needs (configuration, progress, secrets,
//! the token provider); a [`Request`] names the [`Profile`] of the service it goes to; the
//! answer is a [`Reply`]; and every loop that talks to a server borrows a [`RetryContext`] and
//! asks it "again, and after how long?" (docs/architecture.md, "The transport layer").

mod client;
mod context;
mod listeners;
mod profile;
mod reply;
mod request;
mod retry;
mod send;
mod stream;
mod token;

pub(crate) use client::{client, client_lane, failure_error, target_of, within, Failure};
pub(crate) use context::Context;
pub(crate) use profile::{read_error_and_description, Profile, ServiceError};
pub(crate) use reply::Reply;
pub(crate) use request::{header_safe, Request};
pub(crate) use retry::{failure_is_retryable, status_is_retryable, RetryContext};
pub(crate) use send::{send, send_json};
pub(crate) use stream::{connect_endpoint, BoxStream};
pub(crate) use token::TokenProvider;
