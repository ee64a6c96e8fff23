//! v2 times (DTM: YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]) as FHIR dates and dateTimes, at the
//! precision sent. A time without an offset takes the receiver's.

use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone};
use hl7_parser::datetime::parse_timestamp;

/// The FHIR `dateTime` (or `date` when no time was sent); None when it is not a time at all.
pub fn date_time(raw: &str, default: FixedOffset) -> Option<String> {
    let stamp = parse_timestamp(raw.trim(), false).ok()?;
    let year = i32::from(stamp.year);
    let Some(month) = stamp.month else { return Some(format!("{year:04}")) };
    let Some(day) = stamp.day else {
        NaiveDate::from_ymd_opt(year, month.into(), 1)?;
        return Some(format!("{year:04}-{month:02}"));
    };
    let date = NaiveDate::from_ymd_opt(year, month.into(), day.into())?;
    let Some(hour) = stamp.hour else { return Some(date.format("%Y-%m-%d").to_string()) };
    let time = NaiveTime::from_hms_micro_opt(hour.into(), stamp.minute.unwrap_or(0).into(), stamp.second.unwrap_or(0).into(), stamp.microsecond.unwrap_or(0))?;
    let offset = offset_of(raw).unwrap_or(default);
    let at = offset.from_local_datetime(&date.and_time(time)).single()?;
    Some(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
}

/// The date alone (a birth date).
pub fn date(raw: &str) -> Option<String> {
    let stamp = parse_timestamp(raw.trim(), false).ok()?;
    let date = NaiveDate::from_ymd_opt(stamp.year.into(), stamp.month?.into(), stamp.day?.into())?;
    Some(date.format("%Y-%m-%d").to_string())
}

/// The offset written after the digits: +HHMM or -HHMM.
fn offset_of(raw: &str) -> Option<FixedOffset> {
    let at = raw.rfind(['+', '-'])?;
    let digits = &raw[at + 1..];
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let minutes = digits[..2].parse::<i32>().ok()? * 60 + digits[2..].parse::<i32>().ok()?;
    let seconds = if raw.as_bytes()[at] == b'-' { -minutes * 60 } else { minutes * 60 };
    FixedOffset::east_opt(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_and_offsets_are_kept() {
        let utc = FixedOffset::east_opt(0).unwrap();
        let minus_five = FixedOffset::west_opt(5 * 3600).unwrap();
        assert_eq!(date_time("2026", utc).as_deref(), Some("2026"));
        assert_eq!(date_time("202603", utc).as_deref(), Some("2026-03"));
        assert_eq!(date_time("20260312", utc).as_deref(), Some("2026-03-12"));
        assert_eq!(date_time("202603121959", minus_five).as_deref(), Some("2026-03-12T19:59:00-05:00"));
        assert_eq!(date_time("20260312195905.25+0130", utc).as_deref(), Some("2026-03-12T19:59:05.250+01:30"));
        assert_eq!(date_time("20260312195905-0330", utc).as_deref(), Some("2026-03-12T19:59:05-03:30"));
        assert_eq!(date_time("20261332", utc), None);
        assert_eq!(date_time("not a time", utc), None);
        assert_eq!(date("19800229"), Some("1980-02-29".into()));
        assert_eq!(date("19810229"), None);
    }
}
