//! The times of events as callers give them (ISO 8601: a date, a UTC or offset date-time, or a
//! local date-time with an IANA time zone) and as iCalendar writes them (RFC 5545 §3.3.4–3.3.5,
//! docs/protocols-mail.md §5): `VALUE=DATE:20261210`, `20261210T070000Z`, or
//! `TZID=Europe/Moscow:20261210T100000`. Offsets are turned into UTC here, so no time-zone
//! database is needed; a named zone is left to the server, which knows it.

use crate::error::{Error, Result};

/// A moment of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum When {
    /// An all-day date.
    Date(i64),
    /// Seconds since the Unix epoch.
    Utc(i64),
    /// Seconds since the epoch of the wall clock in a named zone (the zone decides the instant).
    Local(i64, String),
}

const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day number (the inverse of `days_from_civil`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn number(text: &str, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|n| range.contains(n))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    days_from_civil(year + i64::from(month == 12), month % 12 + 1, 1) - days_from_civil(year, month, 1)
}

/// `YYYY-MM-DD` (or `YYYYMMDD`) as a day number.
fn date(text: &str) -> Option<i64> {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    if digits.len() != 8 || (text.len() != 8 && text.len() != 10) {
        return None;
    }
    let year = number(&digits[0..4], 1..=9999)?;
    let month = number(&digits[4..6], 1..=12)?;
    let day = number(&digits[6..8], 1..=days_in_month(year, month))?;
    Some(days_from_civil(year, month, day))
}

/// `HH:MM[:SS]` (or `HHMM[SS]`) as seconds of the day.
fn clock(text: &str) -> Option<i64> {
    let digits: String = text.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 && digits.len() != 6 {
        return None;
    }
    let hour = number(&digits[0..2], 0..=23)?;
    let minute = number(&digits[2..4], 0..=59)?;
    let second = if digits.len() == 6 {
        number(&digits[4..6], 0..=60)?
    } else {
        0
    };
    Some(hour * 3600 + minute * 60 + second.min(59))
}

/// `Z`, `+HH:MM`, `-HHMM` or `+HH` as seconds east of UTC; the clock part before it.
fn split_offset(text: &str) -> Result<(&str, Option<i64>), ()> {
    if let Some(clock) = text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        return Ok((clock, Some(0)));
    }
    let Some(at) = text.rfind(['+', '-']) else {
        return Ok((text, None));
    };
    let (clock, offset) = text.split_at(at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
    let hours = number(digits.get(0..2).ok_or(())?, 0..=14).ok_or(())?;
    let minutes = match digits.len() {
        2 => 0,
        4 => number(&digits[2..4], 0..=59).ok_or(())?,
        _ => return Err(()),
    };
    Ok((clock, Some(sign * (hours * 3600 + minutes * 60))))
}

/// A valid IANA-style zone name (`Europe/Moscow`, `UTC`, `America/Argentina/Buenos_Aires`).
pub(super) fn check_zone(zone: &str) -> Result<()> {
    let fine = !zone.is_empty()
        && zone.len() <= 64
        && zone
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'));
    if fine {
        Ok(())
    } else {
        Err(Error::invalid_params(format!(
            "`timezone` must be an IANA time-zone name such as Europe/Moscow, not {zone:?}"
        )))
    }
}

/// A caller's time: `2026-12-10` (all day), `2026-12-10T10:00:00Z` or `…+03:00` (an instant),
/// or `2026-12-10T10:00` with `zone` (the wall clock there; without a zone it is UTC).
pub(super) fn parse(key: &str, text: &str, zone: Option<&str>) -> Result<When> {
    let bad = || {
        Error::invalid_params(format!(
            "`{key}` must be a date (2026-12-10) or a date and time (2026-12-10T10:00:00, with Z, an offset like +03:00, or `timezone`), not {text:?}"
        ))
    };
    let text = text.trim();
    let Some((day_text, time_text)) = text.split_once(['T', 't', ' ']) else {
        return date(text).map(When::Date).ok_or_else(bad);
    };
    let day = date(day_text).ok_or_else(bad)?;
    let (clock_text, offset) = split_offset(time_text).map_err(|()| bad())?;
    let clock_text = clock_text.split('.').next().unwrap_or("");
    let seconds = day * DAY + clock(clock_text).ok_or_else(bad)?;
    match (offset, zone) {
        (Some(offset), _) => Ok(When::Utc(seconds - offset)),
        (None, Some(zone)) if !zone.eq_ignore_ascii_case("UTC") => {
            check_zone(zone)?;
            Ok(When::Local(seconds, zone.to_string()))
        }
        (None, _) => Ok(When::Utc(seconds)),
    }
}

fn stamp(seconds: i64) -> String {
    let (year, month, day) = civil_from_days(seconds.div_euclid(DAY));
    let second_of_day = seconds.rem_euclid(DAY);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

fn day_stamp(day: i64) -> String {
    let (year, month, day) = civil_from_days(day);
    format!("{year:04}{month:02}{day:02}")
}

/// `20261210T070000Z`, as DTSTAMP and time-range bounds are written.
pub(super) fn utc_stamp(seconds: i64) -> String {
    format!("{}Z", stamp(seconds))
}

impl When {
    /// The iCalendar property `name` with this value (`DTSTART;TZID=…:…`).
    pub(super) fn property(&self, name: &str) -> String {
        match self {
            When::Date(day) => format!("{name};VALUE=DATE:{}", day_stamp(*day)),
            When::Utc(seconds) => format!("{name}:{}", utc_stamp(*seconds)),
            When::Local(seconds, zone) => format!("{name};TZID={zone}:{}", stamp(*seconds)),
        }
    }

    /// The default end of an event starting here: the next day, or an hour later.
    pub(super) fn default_end(&self) -> When {
        match self {
            When::Date(day) => When::Date(day + 1),
            When::Utc(seconds) => When::Utc(seconds + 3600),
            When::Local(seconds, zone) => When::Local(seconds + 3600, zone.clone()),
        }
    }

    /// Comparable position, when both are of one kind.
    fn position(&self) -> (u8, i64, Option<&str>) {
        match self {
            When::Date(day) => (0, day * DAY, None),
            When::Utc(seconds) => (1, *seconds, None),
            When::Local(seconds, zone) => (2, *seconds, Some(zone)),
        }
    }

    /// Whether `end` is after this start (both of a kind RFC 5545 allows together).
    pub(super) fn check_end(&self, end: &When) -> Result<()> {
        let (kind, start_at, zone) = self.position();
        let (end_kind, end_at, _) = end.position();
        if (kind == 0) != (end_kind == 0) {
            return Err(Error::invalid_params(
                "`start` and `end` must both be dates (an all-day event) or both date-times",
            ));
        }
        if end_at <= start_at && (zone.is_none() || kind == end_kind) {
            return Err(Error::invalid_params("`end` must be after `start`"));
        }
        Ok(())
    }
}

/// A time-range bound of a calendar-query (RFC 4791 §9.9): always UTC.
pub(super) fn range_bound(key: &str, text: &str) -> Result<String> {
    Ok(utc_stamp(match parse(key, text, None)? {
        When::Date(day) => day * DAY,
        When::Utc(seconds) | When::Local(seconds, _) => seconds,
    }))
}

/// An iCalendar DATE or DATE-TIME value as the caller's ISO form: `2026-12-10`,
/// `2026-12-10T07:00:00Z`, or `2026-12-10T10:00:00` (local or floating). None if unreadable.
pub(super) fn iso(value: &str) -> Option<String> {
    let value = value.trim();
    let (day_text, rest) = match value.split_once('T') {
        Some((day, rest)) => (day, Some(rest)),
        None => (value, None),
    };
    let day = date(day_text)?;
    let (year, month, day_of_month) = civil_from_days(day);
    let day_iso = format!("{year:04}-{month:02}-{day_of_month:02}");
    let Some(rest) = rest else { return Some(day_iso) };
    let (clock_text, utc) = match rest.strip_suffix('Z') {
        Some(clock_text) => (clock_text, "Z"),
        None => (rest, ""),
    };
    let seconds = clock(clock_text)?;
    Some(format!(
        "{day_iso}T{:02}:{:02}:{:02}{utc}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_arithmetic_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for day in [-800_000, -1, 0, 59, 11_016, 20_000, 2_900_000] {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(days_in_month(2028, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
    }

    #[test]
    fn caller_times() {
        let utc = parse("start", "2026-12-10T10:00:00+03:00", None).unwrap();
        assert_eq!(utc.property("DTSTART"), "DTSTART:20261210T070000Z");
        assert_eq!(utc, parse("start", "2026-12-10T07:00Z", Some("Europe/Moscow")).unwrap());
        let local = parse("start", "2026-12-10T10:00", Some("Europe/Moscow")).unwrap();
        assert_eq!(local.property("DTSTART"), "DTSTART;TZID=Europe/Moscow:20261210T100000");
        assert_eq!(
            local.default_end().property("DTEND"),
            "DTEND;TZID=Europe/Moscow:20261210T110000"
        );
        let day = parse("start", "2026-12-31", None).unwrap();
        assert_eq!(day.property("DTSTART"), "DTSTART;VALUE=DATE:20261231");
        assert_eq!(day.default_end().property("DTEND"), "DTEND;VALUE=DATE:20270101");
        assert_eq!(
            parse("start", "2026-12-10 23:59:59", None).unwrap().property("X"),
            "X:20261210T235959Z"
        );
        for bad in [
            "",
            "2026-13-01",
            "2026-02-30",
            "tomorrow",
            "2026-12-10T25:00",
            "2026-12-10T10:00+99",
            "2026-12-10T1",
        ] {
            assert!(parse("start", bad, None).is_err(), "{bad}");
        }
        assert!(parse("start", "2026-12-10T10:00", Some("Europe/Moscow\r\nX-EVIL:1")).is_err());
        assert!(day.check_end(&local).is_err());
        assert!(local.check_end(&local).is_err());
        assert!(local.check_end(&local.default_end()).is_ok());
        assert_eq!(range_bound("from", "2026-12-01").unwrap(), "20261201T000000Z");
    }

    #[test]
    fn stored_times_read_back() {
        assert_eq!(iso("20261210").as_deref(), Some("2026-12-10"));
        assert_eq!(iso("20261210T070000Z").as_deref(), Some("2026-12-10T07:00:00Z"));
        assert_eq!(iso("20261210T100000").as_deref(), Some("2026-12-10T10:00:00"));
        assert_eq!(iso("garbage"), None);
    }
}
