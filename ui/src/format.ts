// Times, dates, ages and phone numbers the way staff read them: in the UI's language, times in the
// clinic's time zone (whatever the workstation's own), phone numbers in national form.
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";
import { ipc, type ClinicInfo } from "./ipc";

/// Until the clinic is known: the workstation's own zone.
const FALLBACK: ClinicInfo = { timeZone: null, phoneRegion: "US", demo: null, idleLockMinutes: 10, actingAs: "", role: null, unlockPin: false, claimsAs: null, asksServer: false, linksSources: false };
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/// A FHIR date (1980-03-05) has no time: it is shown as that day, never shifted by a time zone.
const isDateOnly = (value: string) => /^\d{4}(-\d{2}){0,2}$/.test(value);

export type Formats = ReturnType<typeof formatsFor>;

/// The formatters for a language and clinic; pure, so tests can call it directly.
export function formatsFor(language: string, clinic: ClinicInfo, now: () => number = Date.now) {
  // No zone named: the workstation's own.
  const zone = { timeZone: clinic.timeZone ?? undefined };
  const zoneName = clinic.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const dateTime = new Intl.DateTimeFormat(language, { ...zone, dateStyle: "medium", timeStyle: "short" });
  const dateOnly = new Intl.DateTimeFormat(language, { ...zone, dateStyle: "medium" });
  const plainDay = new Intl.DateTimeFormat(language, { timeZone: "UTC", dateStyle: "medium" });
  const timeOnly = new Intl.DateTimeFormat(language, { ...zone, timeStyle: "short" });
  const weekday = new Intl.DateTimeFormat(language, { ...zone, weekday: "short", month: "short", day: "numeric" });
  const relative = new Intl.RelativeTimeFormat(language, { numeric: "auto" });
  const parsed = (value: string) => {
    const at = Date.parse(value);
    return Number.isNaN(at) ? null : at;
  };
  return {
    /// A date and time ("Dec 9, 2026, 11:00 AM"); a plain date stays a date.
    dateTime: (value: string | null | undefined) => {
      if (!value) return "–";
      if (isDateOnly(value)) return plainDay.format(Date.parse(value));
      const at = parsed(value);
      return at === null ? value : dateTime.format(at);
    },
    /// The day alone ("Dec 9, 2026").
    date: (value: string | null | undefined) => {
      if (!value) return "–";
      const at = parsed(value);
      if (at === null) return value;
      return isDateOnly(value) ? plainDay.format(at) : dateOnly.format(at);
    },
    /// The clock time alone ("11:00 AM").
    time: (value: string) => {
      const at = parsed(value);
      return at === null ? value : timeOnly.format(at);
    },
    /// A day heading ("Wed, Dec 9").
    weekday: (at: number) => weekday.format(at),
    /// Recent events relatively ("5 minutes ago"), older ones as a date and time.
    since: (value: string | null | undefined) => {
      if (!value) return "–";
      const at = parsed(value);
      if (at === null) return value;
      const minutes = Math.round((at - now()) / MINUTE);
      if (Math.abs(minutes) < 60) return relative.format(minutes, "minute");
      if (Math.abs(minutes) < 12 * 60) return relative.format(Math.round(minutes / 60), "hour");
      return dateTime.format(at);
    },
    /// National form for the clinic's own region, international for any other country.
    phone: (value: string | null | undefined) => {
      if (!value) return "–";
      const number = parsePhoneNumberFromString(value, clinic.phoneRegion as CountryCode);
      if (!number) return value;
      return number.country === clinic.phoneRegion ? number.formatNational() : number.formatInternational();
    },
    /// An age from a birth date: weeks under 2 months, months under 2 years, then years.
    age: (birthDate: string | null | undefined) => {
      if (!birthDate) return "";
      const born = Date.parse(birthDate);
      if (Number.isNaN(born)) return "";
      const days = Math.floor((now() - born) / DAY);
      const unit = (count: number, which: "week" | "month" | "year") =>
        new Intl.NumberFormat(language, { style: "unit", unit: which, unitDisplay: "long" }).format(count);
      if (days < 61) return unit(Math.max(0, Math.floor(days / 7)), "week");
      const today = new Date(now());
      const birth = new Date(born);
      let months = (today.getUTCFullYear() - birth.getUTCFullYear()) * 12 + today.getUTCMonth() - birth.getUTCMonth();
      if (today.getUTCDate() < birth.getUTCDate()) months -= 1;
      return months < 24 ? unit(months, "month") : unit(Math.floor(months / 12), "year");
    },
    /// Midnight in the clinic's time zone of the day `at` falls on, as an instant.
    startOfDay: (at: number) => zonedMidnight(at, zoneName),
  };
}

/// The instant of 00:00 in `timeZone` on the day `at` falls on there (two passes settle a DST day).
export function zonedMidnight(at: number, timeZone: string): number {
  const parts = (instant: number) => {
    const fields = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" })
      .formatToParts(instant)
      .reduce<Record<string, number>>((all, p) => (p.type === "literal" ? all : { ...all, [p.type]: Number(p.value) }), {});
    return fields;
  };
  const day = parts(at);
  let guess = Date.UTC(day.year, day.month - 1, day.day);
  for (let pass = 0; pass < 2; pass += 1) {
    const seen = parts(guess);
    const wall = Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute, seen.second);
    guess -= wall - Date.UTC(day.year, day.month - 1, day.day);
  }
  return guess;
}

/// The formatters for the window: its language and the clinic's time zone and region.
export function useFormats(): Formats {
  const { i18n } = useTranslation();
  const clinic = useQuery({ queryKey: ["clinic"], queryFn: ipc.clinic, staleTime: Infinity });
  return formatsFor(i18n.language, clinic.data ?? FALLBACK);
}
