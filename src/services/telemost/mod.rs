//! Telemost: Yandex's video meetings, over its REST API.

mod profile;

pub(crate) use profile::ENDPOINT;
