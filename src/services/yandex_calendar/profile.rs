//! How Yandex Calendar is reached: CalDAV at caldav.yandex.ru (docs/protocols-mail.md §4); the
//! sandbox serves it on a listener of its own, since CalDAV's hrefs are paths from the root.

use crate::config::Endpoint;

pub(crate) const ENDPOINT: Endpoint = Endpoint::listener("yandex_caldav", "https://caldav.yandex.ru/", "caldav");
