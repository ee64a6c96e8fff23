import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";
import type { Selected } from "../types";

const DAY = 24 * 60 * 60 * 1000;
const startOfDay = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
const dayName = (d: Date) => d.toLocaleDateString([], { weekday: "short", month: "short", day: "numeric" });

/// Each practitioner's day or week: free and busy slots, and who holds each busy one.
export function Schedule({ source, onOpen }: { source: string; onOpen: (patient: Selected) => void }) {
  const { t } = useTranslation();
  const [day, setDay] = useState(() => startOfDay(new Date()));
  const [week, setWeek] = useState(false);
  const [location, setLocation] = useState("");
  const to = new Date(day.getTime() + (week ? 7 : 1) * DAY);
  const columns = useQuery({ queryKey: ["schedule", source, day.toISOString(), week], queryFn: () => ipc.schedule(source, day, to) });
  const shown = (columns.data ?? []).filter((c) => !location || c.location === location);
  const locations = [...new Set((columns.data ?? []).map((c) => c.location).filter((l): l is string => !!l))];
  const days = Array.from({ length: 7 }, (_, i) => new Date(day.getTime() + i * DAY));
  return (
    <section aria-label={t("schedule.title")}>
      <h2>{t("schedule.title")} · {dayName(day)}{week ? ` – ${dayName(days[6])}` : ""}</h2>
      <div className="buttons">
        <button onClick={() => setDay(new Date(day.getTime() - (week ? 7 : 1) * DAY))}>{t("schedule.previous")}</button>
        <button onClick={() => setDay(startOfDay(new Date()))}>{t("schedule.today")}</button>
        <button onClick={() => setDay(new Date(day.getTime() + (week ? 7 : 1) * DAY))}>{t("schedule.next")}</button>
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
                  const slots = c.slots.filter((s) => new Date(s.start) >= d && new Date(s.start).getTime() < d.getTime() + DAY);
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
                    <span>{time(s.start)}</span>{" "}
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
