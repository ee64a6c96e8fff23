import { ReactNode, useEffect, useState } from "react";
import { useDraft } from "../drafts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage, type StaffAction } from "../ipc";
import type { Selected } from "../types";
import { ActionForm, type FormTarget } from "./ActionForm";
import { LabTrend } from "./LabTrend";
import { CallHistory } from "./CallHistory";
import { LinkedRecords } from "./LinkedRecords";
import { typingIn } from "../keys";
import { useFormats } from "../format";

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
type Props = { selected: Selected; onPainted?: () => void; onIntake?: () => void };

export function PatientWorkspace({ selected, onPainted, onIntake }: Props) {
  const { t } = useTranslation();
  const f = useFormats();
  const view = useQuery({ queryKey: ["patient", selected.source, selected.id], queryFn: () => ipc.patientView(selected.source, selected.id) });
  // The open form outlives a locked screen, like its text.
  const [form, setForm] = useDraft<FormTarget | null>(`open-form:${selected.source}/${selected.id}`, null);
  const [trend, setTrend] = useState<string | null>(null);
  const queries = useQueryClient();
  const quick = useMutation({
    mutationFn: (action: StaffAction) => ipc.queueAction(selected.source, action),
    onSuccess: () => void queries.invalidateQueries(),
  });
  useEffect(() => {
    // The cached copy shows at once; the server's latest follows through `data-changed`.
    void ipc.refreshPatient(selected.source, selected.id);
  }, [selected.source, selected.id]);
  useEffect(() => {
    // N: note, T: new task, B: book, R: reminder, when not typing in a field.
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.altKey || e.metaKey || typingIn(e.target)) return;
      const kind = ({ n: "note", t: "task_create", b: "book", r: "remind" } as const)[e.key.toLowerCase() as "n" | "t" | "b" | "r"];
      if (kind) {
        e.preventDefault();
        setForm({ kind });
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [setForm]);
  useEffect(() => {
    // Tells whoever opened the workspace (a call) that it is on screen: after the next frame is drawn.
    if (view.data && onPainted) requestAnimationFrame(() => setTimeout(onPainted, 0));
  }, [view.data, selected.id]);
  if (view.error) return <p className="error">{errorMessage(view.error)}</p>;
  if (!view.data) return view.isSuccess ? <p className="error">{t("patient.gone")}</p> : null;
  const v = view.data;
  const p = v.patient;
  const a = v.appointments;
  // A person linked across systems: each row names the system it came from.
  const linked = v.records.length > 1;
  const systemHeader = linked ? [t("patient.system")] : [];
  const system = (item: { source: string; alsoIn?: string[] }) => (linked ? [[item.source, ...(item.alsoIn ?? [])].join(", ")] : []);
  return (
    <section aria-label={p.name ?? p.id}>
      <h2>{p.name}</h2>
      <p>{[p.gender, `${f.date(p.birthDate)} (${f.age(p.birthDate)})`, `MRN ${text(p.mrn)}`, p.phones.map(f.phone).join(", ")].join(" · ")}</p>
      {linked && <LinkedRecords records={v.records} />}
      <p className="allergies">
        {t("patient.allergies")}: {v.allergies.length ? v.allergies.map((x) => (linked ? `${x.substance} (${x.source})` : x.substance)).join(", ") : t("patient.noAllergies")}
      </p>
      <p className="problems">
        {t("patient.problems")}: {v.problems.length ? v.problems.map((x) => (linked ? `${x.condition} (${x.source})` : x.condition)).join(", ") : t("patient.noProblems")}
      </p>
      {v.conflicts.length > 0 && (
        <div role="note" className="conflicts">
          <strong>{t("patient.conflicts")}</strong>
          <ul>{v.conflicts.map((c) => <li key={c}>{c}</li>)}</ul>
        </div>
      )}
      <div className="buttons">
        <button onClick={() => setForm({ kind: "note" })}>{t("actions.note")} <kbd>N</kbd></button>
        <button onClick={() => setForm({ kind: "task_create" })}>{t("actions.task_create")} <kbd>T</kbd></button>
        <button onClick={() => setForm({ kind: "book" })}>{t("actions.book")} <kbd>B</kbd></button>
        <button onClick={() => setForm({ kind: "remind" })}>{t("actions.remind")} <kbd>R</kbd></button>
        {onIntake && <button onClick={onIntake}>{t("intake.title")} <kbd>I</kbd></button>}
      </div>
      {form && <ActionForm key={JSON.stringify(form)} source={selected.source} patient={p.id} target={form} onDone={() => setForm(null)} />}
      {quick.error && <p role="alert" className="error">{errorMessage(quick.error)}</p>}
      <h3>{t("patient.labs")}</h3>
      <Table
        headers={[t("columns.test"), t("columns.latest"), t("columns.date"), t("columns.range"), t("columns.results"), ...systemHeader]}
        rows={v.labs.map((test) => [
          <button className="link" aria-expanded={trend === test.code} onClick={() => setTrend(trend === test.code ? null : test.code)}>
            {text(test.name)}
          </button>,
          <span className={`flag-${test.latest.flag ?? "none"}`}>
            {text(test.latest.value)} {test.latest.flag && test.latest.flag !== "normal" ? test.latest.flag : ""}
          </span>,
          f.dateTime(test.latest.date),
          text(test.range),
          test.history.length,
          ...system(test.latest),
        ])}
      />
      {v.labs.filter((test) => test.code === trend).map((test) => <LabTrend key={test.code} test={test} />)}
      <h3>{t("patient.medications")}</h3>
      <Table
        headers={[t("columns.medication"), t("columns.dosage"), t("columns.status"), ...systemHeader]}
        rows={[...v.medications.active, ...v.medications.past].map((m) => [text(m.name), text(m.dosage), text(m.status), ...system(m)])}
      />
      <h3>{t("patient.appointments")}</h3>
      <Table
        headers={[t("columns.start"), t("columns.status"), t("columns.with"), t("columns.where"), ...systemHeader, ""]}
        rows={[...a.upcoming, ...a.past, ...a.cancelled, ...a.noShows].map((x) => [
          f.dateTime(x.start),
          `${text(x.status)}${x.pending ? ` (${t("patient.pending")})` : ""}`,
          text(x.practitioner),
          text(x.location),
          ...system(x),
          a.upcoming.includes(x) && !x.pending ? (
            <span className="buttons">
              <button onClick={() => setForm({ kind: "reschedule", appointment: x.id })}>{t("actions.reschedule")}</button>
              <button onClick={() => setForm({ kind: "cancel", appointment: x.id })}>{t("actions.cancel")}</button>
              <button onClick={() => quick.mutate({ kind: "arrived", appointment: x.id })}>{t("actions.arrived")}</button>
              <button onClick={() => quick.mutate({ kind: "no_show", appointment: x.id })}>{t("actions.no_show")}</button>
            </span>
          ) : "",
        ])}
      />
      <h3>{t("patient.visits")}</h3>
      <Table
        headers={[t("columns.date"), t("columns.type"), t("columns.practitioner"), t("columns.location"), t("columns.reason"), ...systemHeader]}
        rows={v.encounters.map((e) => [f.date(e.date), text(e.type), text(e.practitioner), text(e.location), text(e.reason), ...system(e)])}
      />
      <CallHistory selected={selected} />
      <h3>{t("patient.tasks")}</h3>
      <Table
        headers={[t("columns.task"), t("columns.priority"), t("columns.due"), t("columns.status"), ...systemHeader, ""]}
        rows={v.tasks.map((task) => [
          `${text(task.description)}${task.pending ? ` (${t("patient.pending")})` : ""}`,
          text(task.priority),
          f.dateTime(task.due),
          `${text(task.status)}${task.owner ? ` · ${task.owner}` : ""}`,
          ...system(task),
          task.pending ? "" : (
            <span className="buttons">
              {task.status !== "in-progress" && <button onClick={() => setForm({ kind: "task_claim", task: task.id })}>{t("actions.task_claim")}</button>}
              <button onClick={() => setForm({ kind: "task_complete", task: task.id })}>{t("actions.task_complete")}</button>
            </span>
          ),
        ])}
      />
      <p className="origin">
        {v.sources.map((s) => t("patient.from", { source: s.name, when: s.lastSynced ? f.since(s.lastSynced) : t("status.never") })).join("; ")}
      </p>
    </section>
  );
}
