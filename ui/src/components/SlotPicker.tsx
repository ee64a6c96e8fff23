import { KeyboardEvent, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { FreeSlot } from "../bindings/FreeSlot";
import { useFormats, type Formats } from "../format";

/// `place` is the location every slot of the group shares, named once in its title.
export type SlotGroup = { key: string; day: number; practitioner: string; usual: boolean; place: string | null; slots: FreeSlot[] };

/// Slots grouped by the clinic's day and practitioner: the patient's own practitioner's groups first,
/// then by day and name. The slots keep their order (soonest first).
export function groupSlots(slots: FreeSlot[], f: Pick<Formats, "startOfDay">): SlotGroup[] {
  const groups = new Map<string, SlotGroup>();
  for (const slot of slots) {
    const day = f.startOfDay(Date.parse(slot.start));
    const practitioner = slot.practitioner ?? slot.schedule ?? "";
    const key = `${day}|${practitioner}`;
    const group = groups.get(key) ?? { key, day, practitioner, usual: slot.usual, place: slot.location, slots: [] };
    if (group.place !== slot.location) group.place = null;
    group.slots.push(slot);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => Number(b.usual) - Number(a.usual) || a.day - b.day || a.practitioner.localeCompare(b.practitioner));
}

/// Where a key moves the active slot in `groups` (flattened in order), or null for keys it does not use.
export function moveActive(key: string, active: number, groups: SlotGroup[]): number | null {
  const starts = groups.reduce<number[]>((acc, _, i) => [...acc, i === 0 ? 0 : acc[i - 1] + groups[i - 1].slots.length], []);
  const count = groups.reduce((n, g) => n + g.slots.length, 0);
  if (count === 0) return null;
  const clamp = (i: number) => Math.max(0, Math.min(count - 1, i));
  const group = starts.filter((s) => s <= active).length - 1;
  switch (key) {
    case "ArrowDown": return clamp(active + 1);
    case "ArrowUp": return clamp(active - 1);
    case "ArrowRight": case "PageDown": return group + 1 < starts.length ? starts[group + 1] : active;
    case "ArrowLeft": case "PageUp": return active > starts[group] ? starts[group] : starts[Math.max(0, group - 1)];
    case "Home": return 0;
    case "End": return count - 1;
    default: return null;
  }
}

/// The booking form's slot picker: a listbox of free slots grouped by day and practitioner, with a
/// location filter. Up and Down move a slot, Left and Right a group, Enter picks.
export function SlotPicker({ slots, value, onPick }: { slots: FreeSlot[]; value: string; onPick: (id: string) => void }) {
  const { t } = useTranslation();
  const f = useFormats();
  const [location, setLocation] = useState("");
  const [active, setActive] = useState(0);
  const locations = [...new Set(slots.map((s) => s.location).filter((l): l is string => !!l))].sort();
  const groups = groupSlots(slots.filter((s) => !location || s.location === location), f);
  const flat = groups.flatMap((g) => g.slots);
  const current = flat[Math.min(active, flat.length - 1)];
  const picked = slots.find((s) => s.id === value);
  const list = useRef<HTMLDivElement>(null);
  // The keyboard starts in the list: B, then the arrows.
  useEffect(() => list.current?.focus(), []);
  useEffect(() => {
    if (current) document.getElementById(`slot-${current.id}`)?.scrollIntoView?.({ block: "nearest" });
  }, [current]);

  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Enter" && !e.ctrlKey && current) {
      e.preventDefault();
      onPick(current.id);
      return;
    }
    const next = moveActive(e.key, active, groups);
    if (next !== null) {
      e.preventDefault();
      setActive(next);
    }
  };

  return (
    <div className="slot-picker">
      {locations.length > 1 && (
        <label>
          {t("slots.location")}{" "}
          <select value={location} onChange={(e) => { setLocation(e.target.value); setActive(0); }}>
            <option value="">{t("slots.anyLocation")}</option>
            {locations.map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
        </label>
      )}
      <div role="listbox" ref={list} tabIndex={0} aria-label={t("slots.label")} aria-activedescendant={current ? `slot-${current.id}` : undefined} onKeyDown={onKey}>
        {flat.length === 0 && <p>{t("slots.none")}</p>}
        {groups.map((g) => {
          const title = `${f.weekday(g.day)} · ${g.practitioner}${g.usual ? ` (${t("slots.usual")})` : ""}${g.place ? ` · ${g.place}` : ""}`;
          return (
            <div role="group" key={g.key} aria-label={title}>
              <div className="slot-group-title" aria-hidden="true">{title}</div>
              {g.slots.map((s) => (
                <div
                  role="option"
                  id={`slot-${s.id}`}
                  key={s.id}
                  aria-selected={s.id === value}
                  className={s.id === current?.id ? "active" : undefined}
                  onClick={() => { setActive(flat.indexOf(s)); onPick(s.id); }}
                >
                  {f.time(s.start)}{s.location && !g.place ? ` · ${s.location}` : ""}
                </div>
              ))}
            </div>
          );
        })}
      </div>
      {picked && <p className="picked" aria-live="polite">{t("slots.picked", { slot: `${f.dateTime(picked.start)} · ${picked.practitioner ?? ""}` })}</p>}
    </div>
  );
}
