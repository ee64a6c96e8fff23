import { ReactNode } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";
import type { Selected } from "../App";

const day = (value: string | null) => (value ?? "").slice(0, 10) || "–";
const text = (value: string | number | null | undefined) => (value === null || value === undefined ? "–" : String(value));

function Table({ headers, rows }: { headers: string[]; rows: ReactNode[][] }) {
  return (
    <table>
      <thead>
        <tr>{headers.map((h) => <th key={h}>{h}</th>)}</tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>{row.map((cell, j) => <td key={j}>{cell}</td>)}</tr>
        ))}
      </tbody>
    </table>
  );
}

/// One patient's whole picture, from the cache.
export function PatientWorkspace({ selected }: { selected: Selected }) {
  const { t } = useTranslation();
  const view = useQuery({ queryKey: ["patient", selected.source, selected.id], queryFn: () => ipc.patientView(selected.source, selected.id) });
  if (view.error) return <p className="error">{errorMessage(view.error)}</p>;
  if (!view.data) return view.isSuccess ? <p className="error">{t("patient.gone")}</p> : null;
  const v = view.data;
  const p = v.patient;
  const a = v.appointments;
  return (
    <section aria-label={p.name ?? p.id}>
      <h2>{p.name}</h2>
      <p>{[p.gender, `${text(p.birthDate)} (${text(p.age)}y)`, `MRN ${text(p.mrn)}`, p.phones.join(", ")].join(" · ")}</p>
      <p className="allergies">
        {t("patient.allergies")}: {v.allergies.length ? v.allergies.map((x) => x.substance).join(", ") : t("patient.noAllergies")}
      </p>
      <h3>{t("patient.labs")}</h3>
      <Table
        headers={[t("columns.test"), t("columns.latest"), t("columns.date"), t("columns.range"), t("columns.results")]}
        rows={v.labs.map((test) => [
          text(test.name),
          <span className={`flag-${test.latest.flag ?? "none"}`}>
            {text(test.latest.value)} {test.latest.flag && test.latest.flag !== "normal" ? test.latest.flag : ""}
          </span>,
          day(test.latest.date),
          text(test.range),
          test.history.length,
        ])}
      />
      <h3>{t("patient.medications")}</h3>
      <Table
        headers={[t("columns.medication"), t("columns.dosage"), t("columns.status")]}
        rows={[...v.medications.active, ...v.medications.past].map((m) => [text(m.name), text(m.dosage), text(m.status)])}
      />
      <h3>{t("patient.appointments")}</h3>
      <Table
        headers={[t("columns.start"), t("columns.status"), t("columns.with"), t("columns.where")]}
        rows={[...a.upcoming, ...a.past, ...a.cancelled, ...a.noShows].map((x) => [
          text(x.start),
          `${text(x.status)}${x.pending ? ` (${t("patient.pending")})` : ""}`,
          text(x.practitioner),
          text(x.location),
        ])}
      />
      <h3>{t("patient.visits")}</h3>
      <Table
        headers={[t("columns.date"), t("columns.type"), t("columns.practitioner"), t("columns.location"), t("columns.reason")]}
        rows={v.encounters.map((e) => [day(e.date), text(e.type), text(e.practitioner), text(e.location), text(e.reason)])}
      />
      <h3>{t("patient.tasks")}</h3>
      <Table
        headers={[t("columns.task"), t("columns.priority"), t("columns.due")]}
        rows={v.tasks.map((task) => [`${text(task.description)}${task.pending ? ` (${t("patient.pending")})` : ""}`, text(task.priority), text(task.due)])}
      />
      <p className="origin">
        {v.sources.map((s) => t("patient.from", { source: s.name, when: s.lastSynced ?? t("status.never") })).join("; ")}
      </p>
    </section>
  );
}
