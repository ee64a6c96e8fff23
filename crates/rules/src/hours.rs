//! The clinic's hours, for due times in business days: the `[clinic]` table of the rules file. Time
//! zones come from the system's tz database through `jiff`.

use chrono::{DateTime, Utc};
use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, ZonedDateTime};
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct Clinic {
    pub timezone: TimeZone,
    pub timezone_name: String,
    /// Whether the rules file named the time zone (else UTC is assumed for due times).
    pub timezone_set: bool,
    pub opens: Time,
    pub closes: Time,
    pub days: Vec<Weekday>,
    /// A source's first sync makes no tasks from data older than this many days.
    pub lookback_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawClinic {
    timezone: Option<String>,
    opens: Option<String>,
    closes: Option<String>,
    days: Option<Vec<String>>,
    lookback_days: Option<u32>,
}

impl Default for Clinic {
    fn default() -> Self {
        Clinic {
            timezone: TimeZone::UTC,
            timezone_name: "UTC".into(),
            timezone_set: false,
            opens: Time::constant(8, 0, 0, 0),
            closes: Time::constant(17, 0, 0, 0),
            days: vec![Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday],
            lookback_days: 14,
        }
    }
}

impl Clinic {
    /// Fills in the defaults; an error names the field and the problem.
    pub(crate) fn from_raw(raw: RawClinic) -> Result<Clinic, (&'static str, String)> {
        let mut clinic = Clinic::default();
        if let Some(name) = raw.timezone {
            clinic.timezone = TimeZone::get(&name).map_err(|_| ("timezone", format!("`{name}` is not a time zone (e.g. America/Chicago)")))?;
            clinic.timezone_name = name;
            clinic.timezone_set = true;
        }
        let time = |field: &'static str, text: &str| text.parse::<Time>().map_err(|_| (field, format!("`{text}` is not a time of day like 08:00")));
        if let Some(opens) = raw.opens {
            clinic.opens = time("opens", &opens)?;
        }
        if let Some(closes) = raw.closes {
            clinic.closes = time("closes", &closes)?;
        }
        if clinic.opens >= clinic.closes {
            return Err(("closes", "the clinic must close after it opens".into()));
        }
        if let Some(days) = raw.days {
            clinic.days = days.iter().map(|d| weekday(d).ok_or(("days", format!("`{d}` is not a day (mon, tue, ...)")))).collect::<Result<_, _>>()?;
            if clinic.days.is_empty() {
                return Err(("days", "the clinic needs at least one open day".into()));
            }
        }
        if let Some(days) = raw.lookback_days {
            clinic.lookback_days = days;
        }
        Ok(clinic)
    }

    /// `count` business days after `now`: the same clinic time on the `count`-th open day after the
    /// moment the clinic is next open (a result at 22:00 Friday is due Tuesday at opening).
    pub fn business_days_after(&self, now: DateTime<Utc>, count: u32) -> DateTime<Utc> {
        let mut at = self.local(now);
        // Move to the next moment the clinic is open.
        if !self.is_open_day(at.weekday()) || at.time() >= self.closes {
            at = self.next_opening(&at);
        } else if at.time() < self.opens {
            at = at.with().time(self.opens).build().unwrap_or(at);
        }
        for _ in 0..count {
            let mut next = at.checked_add(1.day()).unwrap_or(at.clone());
            while !self.is_open_day(next.weekday()) {
                next = next.checked_add(1.day()).unwrap_or(next.clone());
            }
            at = next;
        }
        DateTime::from_timestamp(at.timestamp().as_second(), 0).unwrap_or(now)
    }

    /// An instant on the clinic's wall clock.
    pub fn local(&self, at: DateTime<Utc>) -> ZonedDateTime {
        Timestamp::from_second(at.timestamp()).unwrap_or(Timestamp::UNIX_EPOCH).to_zoned_datetime(self.timezone.clone())
    }

    fn is_open_day(&self, day: Weekday) -> bool {
        self.days.contains(&day)
    }

    fn next_opening(&self, from: &ZonedDateTime) -> ZonedDateTime {
        let mut day = from.checked_add(1.day()).unwrap_or(from.clone());
        while !self.is_open_day(day.weekday()) {
            day = day.checked_add(1.day()).unwrap_or(day.clone());
        }
        day.with().time(self.opens).build().unwrap_or(day)
    }
}

fn weekday(text: &str) -> Option<Weekday> {
    Some(match text.to_ascii_lowercase().get(..3)? {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn chicago() -> Clinic {
        Clinic::from_raw(RawClinic { timezone: Some("America/Chicago".into()), opens: None, closes: None, days: None, lookback_days: None }).unwrap()
    }

    #[test]
    fn one_business_day_skips_the_weekend_and_waits_for_opening() {
        let clinic = chicago();
        // Wednesday 2026-11-25 10:00 Chicago (16:00 UTC) -> Thursday 10:00 Chicago.
        let wed = Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).unwrap();
        assert_eq!(clinic.business_days_after(wed, 1), Utc.with_ymd_and_hms(2026, 11, 26, 16, 0, 0).unwrap());
        // Friday 2026-11-27 22:00 Chicago (Sat 04:00 UTC): next opening Monday 08:00, due Tuesday 08:00 (14:00 UTC).
        let fri_night = Utc.with_ymd_and_hms(2026, 11, 28, 4, 0, 0).unwrap();
        assert_eq!(clinic.business_days_after(fri_night, 1), Utc.with_ymd_and_hms(2026, 12, 1, 14, 0, 0).unwrap());
        // Monday 06:00 Chicago (12:00 UTC): opening 08:00, due Tuesday 08:00.
        let mon_early = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        assert_eq!(clinic.business_days_after(mon_early, 1), Utc.with_ymd_and_hms(2026, 12, 1, 14, 0, 0).unwrap());
    }
}
