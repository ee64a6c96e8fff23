import { type ReactNode, useState } from "react";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage, type Intake, type SecondOpinion } from "../ipc";
import type { Selected } from "../App";

/// The note with the words red flags fired on marked. Offsets from Rust count UTF-8 bytes.
function Marked({ note, intake }: { note: string; intake: Intake }) {
  const bytes = new TextEncoder().encode(note);
  const decoder = new TextDecoder();
  const at = (byte: number) => decoder.decode(bytes.slice(0, byte)).length;
  const spans = intake.red_flags.flatMap((f) => f.evidence).map((e) => [at(e.start), at(e.end)] as const).sort((a, b) => a[0] - b[0]);
  const parts: ReactNode[] = [];
  let from = 0;
  for (const [start, end] of spans) {
    if (start < from) continue;
    parts.push(note.slice(from, start), <mark key={start}>{note.slice(start, end)}</mark>);
    from = end;
  }
  parts.push(note.slice(from));
  return <p className="evidence">{parts}</p>;
}

/// The intake assistant: what the caller says becomes findings, urgency and routing as it is typed.
/// It advises; the staff member edits the summary and confirms. `patient` is null for a new caller
/// not yet found in the cache, and then nothing can be sent.
export function IntakePanel({ patient }: { patient: Selected | null }) {
  const { t } = useTranslation();
  const [note, setNote] = useState("");
  const [edited, setEdited] = useState<string | null>(null);
  const queries = useQueryClient();
  const analysis = useQuery({
    queryKey: ["intake", note],
    queryFn: () => ipc.analyzeIntake(note),
    enabled: note.trim().length > 0,
    placeholderData: keepPreviousData,
  });
  // A language model's second opinion, when one is configured, for the note it was asked about.
  const model = useQuery({ queryKey: ["intake-model"], queryFn: ipc.intakeModel });
  const [opinion, setOpinion] = useState<{ note: string; answer: SecondOpinion } | null>(null);
  const ask = useMutation({ mutationFn: () => ipc.intakeSecondOpinion(note), onSuccess: (answer) => setOpinion({ note, answer }) });
  const second = opinion?.note === note ? opinion.answer : null;
  const intake = note.trim() ? (second?.intake ?? analysis.data) : undefined;
  const summary = edited ?? intake?.summary ?? "";
  const confirm = useMutation({
    mutationFn: () => ipc.confirmIntake(patient!.source, patient!.id, note, summary, intake!.urgency),
    onSuccess: () => {
      setNote("");
      setEdited(null);
      void queries.invalidateQueries();
    },
  });
  const send = () => patient && intake && summary.trim() && confirm.mutate();
  return (
    <section className="intake" aria-label={t("intake.title")}>
      <h3>{t("intake.title")}</h3>
      <label>
        {t("intake.noteLabel")}
        <textarea
          rows={4}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && e.ctrlKey) {
              e.preventDefault();
              send();
            }
          }}
        />
      </label>
      {intake && (
        <>
          <p className={`urgency urgency-${intake.urgency}`}>
            <strong>{t(`intake.urgency.${intake.urgency}`)}</strong> · {t(`intake.routing.${intake.routing}`)} · {t(`intake.reason.${intake.reason}`)}
            {intake.reason_evidence && ` (“${intake.reason_evidence.text}”)`}
            <span className="why">{intake.urgency_because}</span>
          </p>
          {intake.emergency_script.length > 0 && (
            <div role="alert" className="emergency">
              <h4>{t("intake.emergency")}</h4>
              <ol>{intake.emergency_script.map((line) => <li key={line}>{line}</li>)}</ol>
            </div>
          )}
          {intake.red_flags.length > 0 && (
            <ul className="red-flags">
              {intake.red_flags.map((f) => (
                <li key={f.rule}>
                  <strong>{f.title}</strong> ({f.rule}) — {t("intake.on")} {f.evidence.map((e) => `“${e.text}”`).join(", ")}
                  <small className="why">{f.citation}</small>
                </li>
              ))}
            </ul>
          )}
          <Marked note={note} intake={intake} />
          {intake.findings.length > 0 && (
            <table>
              <thead>
                <tr>{["words", "finding", "assertion", "about", "onset", "severity", "site"].map((c) => <th key={c}>{t(`intake.columns.${c}`)}</th>)}</tr>
              </thead>
              <tbody>
                {intake.findings.map((f, i) => (
                  <tr key={i}>
                    <td>“{f.evidence.text}”</td>
                    <td>{f.label}</td>
                    <td>{t(`intake.assertion.${f.assertion}`)}</td>
                    <td>{t(`intake.experiencer.${f.experiencer}`)}</td>
                    <td>{f.onset ?? "–"}</td>
                    <td>{f.severity ?? "–"}</td>
                    <td>{f.site ?? "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {intake.medications.length > 0 && (
            <p>
              {t("intake.medications")}: {intake.medications.map((m) => [m.name, m.dose, m.frequency].filter(Boolean).join(" ")).join("; ")}
            </p>
          )}
          <label>
            {t("intake.summary")}
            <textarea rows={6} value={summary} onChange={(e) => setEdited(e.target.value)} />
          </label>
          <div className="buttons">
            <button onClick={send} disabled={!patient || confirm.isPending}>
              {t("intake.confirm", { routing: t(`intake.routing.${intake.routing}`) })} <kbd>Ctrl+Enter</kbd>
            </button>
            {edited !== null && <button onClick={() => setEdited(null)}>{t("intake.redraft")}</button>}
            {model.data && !second && <button onClick={() => ask.mutate()} disabled={ask.isPending}>{t("intake.ask")}</button>}
          </div>
          {second && (
            <p role="status" className="why">
              {t("intake.modelSaid", { added: second.report.added.join(", ") || "–", discarded: second.report.discarded.length })}
            </p>
          )}
          {!patient && <p className="why">{t("intake.needsPatient")}</p>}
        </>
      )}
      {confirm.isSuccess && <p role="status">{t("intake.sent")}</p>}
      {(analysis.error || confirm.error || ask.error) && <p role="alert" className="error">{errorMessage(analysis.error ?? confirm.error ?? ask.error)}</p>}
    </section>
  );
}
