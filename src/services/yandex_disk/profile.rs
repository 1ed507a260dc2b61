//! How Yandex Disk is reached and how it answers: errors as `{"error", "description"}` (or
//! `message`), with names such as `DiskNotFoundError` that add nothing to the status.

use crate::config::Endpoint;
use crate::transport::{read_error_and_description, Profile};

pub(crate) const ENDPOINT: Endpoint = Endpoint::new("yandex_disk", "https://cloud-api.yandex.net", "/yandex-disk");

pub(crate) const PROFILE: Profile = Profile::new("yandex_disk", "Yandex Disk", read_error_and_description);
