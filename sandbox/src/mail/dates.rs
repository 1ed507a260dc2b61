//! The date forms of mail: IMAP's INTERNALDATE (`02-Mar-2026 10:00:05 +0300`) and search dates
//! (`1-Mar-2026`, RFC 3501 §9), and the RFC 5322 `Date:` header. Times are shown in Moscow time,
//! as a Russian mailbox shows them (docs/protocols-mail.md §2.7).

use crate::util::civil_from_days;

/// The offset every date is shown in: Moscow, +03:00.
pub const MOSCOW_OFFSET_S: i64 = 3 * 3600;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

struct Local {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    weekday: usize,
}

fn local(unix: i64) -> Local {
    let shifted = unix + MOSCOW_OFFSET_S;
    let days = shifted.div_euclid(86_400);
    let secs = shifted.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Local {
        year,
        month,
        day,
        hour: secs / 3600,
        minute: secs % 3600 / 60,
        second: secs % 60,
        weekday: days.rem_euclid(7) as usize,
    }
}

/// IMAP `date-time`: `02-Mar-2026 10:00:05 +0300` (two-digit day).
pub fn imap_datetime(unix: i64) -> String {
    let t = local(unix);
    format!(
        "{:02}-{}-{:04} {:02}:{:02}:{:02} +0300",
        t.day,
        MONTHS[t.month as usize - 1],
        t.year,
        t.hour,
        t.minute,
        t.second
    )
}

/// RFC 5322 `date-time`: `Mon, 02 Mar 2026 10:00:05 +0300`.
pub fn rfc5322(unix: i64) -> String {
    let t = local(unix);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} +0300",
        WEEKDAYS[t.weekday],
        t.day,
        MONTHS[t.month as usize - 1],
        t.year,
        t.hour,
        t.minute,
        t.second
    )
}

/// The Moscow calendar day of an instant, as days since 1970-01-01 (what SEARCH compares).
pub fn local_day(unix: i64) -> i64 {
    (unix + MOSCOW_OFFSET_S).div_euclid(86_400)
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn month_number(name: &str) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(name))
        .map(|i| i as u32 + 1)
}

/// A valid (year, month, day) as days since the epoch.
fn checked_days(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=31).contains(&day) || !(1900..=9999).contains(&year) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    (civil_from_days(days) == (year, month, day)).then_some(days)
}

/// IMAP search `date`: `1-Mar-2026` (also quoted by the caller's parser), as days since epoch.
pub fn parse_search_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let day: u32 = parts.next()?.parse().ok()?;
    let month = month_number(parts.next()?)?;
    let year: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    checked_days(year, month, day)
}

/// `+0300` / `-0130` as seconds east of UTC.
fn parse_zone(zone: &str) -> Option<i64> {
    match zone.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" => return Some(0),
        _ => {}
    }
    let (sign, digits) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hours: i64 = digits[..2].parse().ok()?;
    let minutes: i64 = digits[2..].parse().ok()?;
    Some(sign * (hours * 3600 + minutes * 60))
}

fn parse_clock(text: &str) -> Option<i64> {
    let mut parts = text.split(':');
    let hour: i64 = parts.next()?.parse().ok()?;
    let minute: i64 = parts.next()?.parse().ok()?;
    let second: i64 = parts.next().map_or(Some(0), |s| s.parse().ok())?;
    ((0..24).contains(&hour) && (0..60).contains(&minute) && (0..61).contains(&second))
        .then_some(hour * 3600 + minute * 60 + second)
}

/// IMAP `date-time` of APPEND: `2-Mar-2026 10:00:05 +0300` (day space-padded or not).
pub fn parse_imap_datetime(text: &str) -> Option<i64> {
    let mut parts = text.split_whitespace();
    let days = parse_search_date(parts.next()?)?;
    let clock = parse_clock(parts.next()?)?;
    let zone = parse_zone(parts.next()?)?;
    parts.next().is_none().then_some(days * 86_400 + clock - zone)
}

/// RFC 5322 `Date:` (`Mon, 2 Mar 2026 10:00:05 +0300`, weekday optional, comments ignored).
pub fn parse_rfc5322(text: &str) -> Option<i64> {
    let text = text.split('(').next().unwrap_or(text);
    let text = text.split_once(',').map_or(text, |(_, rest)| rest);
    let mut parts = text.split_whitespace();
    let day: u32 = parts.next()?.parse().ok()?;
    let month = month_number(parts.next()?)?;
    let mut year: i64 = parts.next()?.parse().ok()?;
    if year < 100 {
        year += if year < 50 { 2000 } else { 1900 };
    }
    let clock = parse_clock(parts.next()?)?;
    let zone = parts.next().and_then(parse_zone).unwrap_or(0);
    Some(checked_days(year, month, day)? * 86_400 + clock - zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-02 07:00:05 UTC, 10:00:05 in Moscow.
    const T: i64 = 1_772_434_805;

    #[test]
    fn formats_in_moscow_time() {
        assert_eq!(imap_datetime(T), "02-Mar-2026 10:00:05 +0300");
        assert_eq!(rfc5322(T), "Mon, 02 Mar 2026 10:00:05 +0300");
        assert_eq!(local_day(T), days_from_civil(2026, 3, 2));
    }

    #[test]
    fn parses_what_it_formats_and_what_clients_send() {
        assert_eq!(parse_imap_datetime(&imap_datetime(T)), Some(T));
        assert_eq!(parse_imap_datetime(" 2-Mar-2026 07:00:05 +0000"), Some(T));
        assert_eq!(parse_rfc5322(&rfc5322(T)), Some(T));
        assert_eq!(parse_rfc5322("2 Mar 2026 07:00:05 GMT (UTC)"), Some(T));
        assert_eq!(parse_search_date("1-Mar-2026"), Some(days_from_civil(2026, 3, 1)));
        assert_eq!(parse_search_date("31-Feb-2026"), None);
        assert_eq!(parse_search_date("1-Foo-2026"), None);
        assert_eq!(parse_imap_datetime("02-Mar-2026 25:00:00 +0300"), None);
    }
}
