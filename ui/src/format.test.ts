import { describe, expect, it } from "vitest";
import { formatsFor, zonedMidnight } from "./format";

const clinic = { timeZone: "America/Chicago", phoneRegion: "US", demo: null, idleLockMinutes: 10, actingAs: "", role: null, unlockPin: false, claimsAs: null, asksServer: false, linksSources: false };
// "Now" is passed in, so these hold on any date.
const now = Date.parse("2026-12-02T18:00:00Z");
const f = formatsFor("en-US", clinic, () => now);

describe("formats", () => {
  it("shows times in the clinic's time zone, whatever the machine's, and plain dates unshifted", () => {
    expect(f.dateTime("2026-12-09T17:00:00Z")).toMatch(/^Dec 9, 2026, 11:00\sAM$/);
    expect(f.time("2026-12-09T17:00:00Z")).toMatch(/^11:00\sAM$/);
    expect(f.date("1980-03-05")).toBe("Mar 5, 1980");
    expect(f.dateTime("1980-03-05")).toBe("Mar 5, 1980");
  });

  it("says recent events relatively and older ones as a time", () => {
    expect(f.since("2026-12-02T17:55:00Z")).toBe("5 minutes ago");
    expect(f.since("2026-12-02T15:00:00Z")).toBe("3 hours ago");
    expect(f.since("2026-11-20T15:00:00Z")).toMatch(/^Nov 20, 2026, 9:00\sAM$/);
  });

  it("gives ages in weeks under two months and months under two years", () => {
    expect(f.age("2026-11-18")).toBe("2 weeks");
    expect(f.age("2026-04-01")).toBe("8 months");
    expect(f.age("2025-01-15")).toBe("22 months");
    expect(f.age("1980-03-05")).toBe("46 years");
  });

  it("shows the clinic's own numbers nationally and foreign ones internationally", () => {
    expect(f.phone("+12175550101")).toBe("(217) 555-0101");
    expect(f.phone("+525512345678")).toBe("+52 55 1234 5678");
    expect(f.phone("not a number")).toBe("not a number");
  });

  it("finds the clinic's midnight, on a daylight saving day too", () => {
    expect(new Date(zonedMidnight(now, "America/Chicago")).toISOString()).toBe("2026-12-02T06:00:00.000Z");
    // 2027-03-14: clocks jump at 02:00 in Chicago; midnight is still CST (UTC-6).
    expect(new Date(zonedMidnight(Date.parse("2027-03-14T20:00:00Z"), "America/Chicago")).toISOString()).toBe("2027-03-14T06:00:00.000Z");
    expect(new Date(zonedMidnight(Date.parse("2027-03-15T20:00:00Z"), "America/Chicago")).toISOString()).toBe("2027-03-15T05:00:00.000Z");
  });
});
