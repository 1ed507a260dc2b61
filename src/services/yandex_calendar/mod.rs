//! YandexCalendar: a Yandex user's calendars over CalDAV.

mod profile;

pub(crate) use profile::ENDPOINT;
