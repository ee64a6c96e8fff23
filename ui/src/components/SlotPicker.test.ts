import { expect, test } from "vitest";
import type { FreeSlot } from "../bindings/FreeSlot";
import { groupSlots } from "./SlotPicker";

const slot = (id: string, start: string, practitioner: string, location: string | null): FreeSlot =>
  ({ id, start, end: start, schedule: "Schedule/s1", practitioner, location, usual: false }) as FreeSlot;
const days = { startOfDay: (at: number) => Math.floor(at / 86_400_000) * 86_400_000 };

test("a group names its location once when its slots share it, and not when they differ", () => {
  const groups = groupSlots(
    [
      slot("a", "2026-12-04T15:00:00Z", "Dr. Ava Ortiz", "Main Street Clinic"),
      slot("b", "2026-12-04T15:30:00Z", "Dr. Ava Ortiz", "Main Street Clinic"),
      slot("c", "2026-12-04T15:00:00Z", "Dr. Li Chen", "North Clinic"),
      slot("d", "2026-12-04T16:00:00Z", "Dr. Li Chen", "Main Street Clinic"),
    ],
    days,
  );
  expect(groups.map((g) => [g.practitioner, g.place, g.slots.map((s) => s.id)])).toEqual([
    ["Dr. Ava Ortiz", "Main Street Clinic", ["a", "b"]],
    ["Dr. Li Chen", null, ["c", "d"]],
  ]);
});
