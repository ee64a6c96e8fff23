import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";
import type { Selected } from "../types";
import { useFormats } from "../format";

const DAY = 24 * 60 * 60 * 1000;

/// Each practitioner's day or week: free and busy slots, and who holds each busy one.
export function Schedule({ source, onOpen }: { source: string; onOpen: (patient: Selected) => void }) {
  const { t } = useTranslation();
  const f = useFormats();
  // Days begin at midnight in the clinic's time zone, whatever the workstation's; the midday guard
  // keeps a 23- or 25-hour day (daylight saving) from landing on the wrong one.
  const addDays = (d: Date, n: number) => new Date(f.startOfDay(d.getTime() + n * DAY + DAY / 2));
  const startOfDay = (d: Date) => new Date(f.startOfDay(d.getTime()));
  // Days from today, so the day follows the clinic's time zone once it is known.
  const [offset, setOffset] = useState(0);
  const day = addDays(startOfDay(new Date()), offset);
  const [week, setWeek] = useState(false);
  const [location, setLocation] = useState("");
  const to = addDays(day, week ? 7 : 1);
  const columns = useQuery({ queryKey: ["schedule", source, day.toISOString(), week], queryFn: () => ipc.schedule(source, day, to) });
  const shown = (columns.data ?? []).filter((c) => !location || c.location === location);
  const locations = [...new Set((columns.data ?? []).map((c) => c.location).filter((l): l is string => !!l))];
  const days = Array.from({ length: 7 }, (_, i) => addDays(day, i));
  const dayName = (d: Date) => f.weekday(d.getTime());
  return (
    <section aria-label={t("schedule.title")}>
      <h2>{t("schedule.title")} · {dayName(day)}{week ? ` – ${dayName(days[6])}` : ""}</h2>
      <div className="buttons">
        <button onClick={() => setOffset((o) => o - (week ? 7 : 1))}>{t("schedule.previous")}</button>
        <button onClick={() => setOffset(0)}>{t("schedule.today")}</button>
        <button onClick={() => setOffset((o) => o + (week ? 7 : 1))}>{t("schedule.next")}</button>
        <button aria-pressed={!week} onClick={() => setWeek(false)}>{t("schedule.day")}</button>
        <button aria-pressed={week} onClick={() => setWeek(true)}>{t("schedule.week")}</button>
        <label>
          {t("columns.location")}{" "}
          <select value={location} onChange={(e) => setLocation(e.target.value)}>
            <option value="">{t("worklist.any")}</option>
            {locations.map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
        </label>
      </div>
      {columns.error && <p role="alert" className="error">{errorMessage(columns.error)}</p>}
      {columns.isSuccess && shown.length === 0 && <p>{t("schedule.empty")}</p>}
      {week ? (
        <table>
          <thead>
            <tr><th>{t("columns.practitioner")}</th>{days.map((d) => <th key={d.toISOString()}>{dayName(d)}</th>)}</tr>
          </thead>
          <tbody>
            {shown.map((c) => (
              <tr key={c.schedule}>
                <td>{c.practitioner} · {c.location}</td>
                {days.map((d) => {
                  const slots = c.slots.filter((s) => new Date(s.start) >= d && new Date(s.start) < addDays(d, 1));
                  const free = slots.filter((s) => s.status === "free").length;
                  return <td key={d.toISOString()}>{slots.length ? t("schedule.counts", { free, busy: slots.length - free }) : "–"}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="schedule-day">
          {shown.map((c) => (
            <div key={c.schedule} className="schedule-column">
              <h3>{c.practitioner}</h3>
              <p className="origin">{c.location}</p>
              <ol>
                {c.slots.map((s) => (
                  <li key={s.id} className={`slot slot-${s.status}`}>
                    <span>{f.time(s.start)}</span>{" "}
                    {s.appointment ? (
                      <button className="link" onClick={() => s.appointment?.patientId && onOpen({ source, id: s.appointment.patientId })}>
                        {s.appointment.patientName ?? s.appointment.id} ({s.appointment.status})
                      </button>
                    ) : (
                      <span>{t(`schedule.${s.status === "free" ? "free" : "busy"}`)}</span>
                    )}
                  </li>
                ))}
              </ol>
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
