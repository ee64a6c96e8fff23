import { type KeyboardEvent, type ReactNode, useState } from "react";
import { useDraft } from "../drafts";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage, type Answer, type Answers, type Intake, type Language, type Question, type SecondOpinion } from "../ipc";
import type { Selected } from "../types";

/// The note with the words red flags fired on marked, and the words the assistant did not understand
/// marked apart. Offsets from Rust count UTF-8 bytes; an answered question's evidence is empty.
function Marked({ note, intake }: { note: string; intake: Intake }) {
  const { t } = useTranslation();
  const bytes = new TextEncoder().encode(note);
  const decoder = new TextDecoder();
  const at = (byte: number) => decoder.decode(bytes.slice(0, byte)).length;
  const span = (kind: "flag" | "unknown") => (e: { start: number; end: number }) => [at(e.start), at(e.end), kind] as const;
  const spans = [...intake.redFlags.flatMap((f) => f.evidence).map(span("flag")), ...intake.notUnderstood.map(span("unknown"))]
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const parts: ReactNode[] = [];
  let from = 0;
  for (const [start, end, kind] of spans) {
    if (start < from) continue;
    const words = note.slice(start, end);
    parts.push(
      note.slice(from, start),
      kind === "flag" ? <mark key={start}>{words}</mark> : <mark key={start} className="unknown" title={t("intake.notUnderstood")}>{words}</mark>,
    );
    from = end;
  }
  parts.push(note.slice(from));
  return <p className="evidence">{parts}</p>;
}

/// The next answer when the agent presses a question's key: not asked, yes, no, not asked again.
function nextAnswer(answer: Answer | undefined): Answer | undefined {
  return answer === undefined ? "yes" : answer === "yes" ? "no" : undefined;
}

/// The red-flag questions for the complaints recognised, one key each (Alt+1 to Alt+9): a yes raises
/// the urgency through the same rules, a no records it denied, and one left alone is not asked.
function Questions({ questions, answers, onAnswer }: { questions: Question[]; answers: Answers; onAnswer: (id: string, answer: Answer | undefined) => void }) {
  const { t, i18n } = useTranslation();
  if (questions.length === 0) return null;
  return (
    <fieldset className="questions">
      <legend>{t("intake.questions")}</legend>
      <ol>
        {questions.map((q, i) => {
          const answer = answers[q.id];
          const name = i18n.language.startsWith("es") ? q.textEs : q.text;
          return (
            <li key={q.id} className={answer ? `answered-${answer}` : undefined}>
              <span>{name}</span> {i < 9 && <kbd>Alt+{i + 1}</kbd>}{" "}
              <span role="group" aria-label={name}>
                <button aria-pressed={answer === "yes"} onClick={() => onAnswer(q.id, answer === "yes" ? undefined : "yes")}>{t("intake.yes")}</button>
                <button aria-pressed={answer === "no"} onClick={() => onAnswer(q.id, answer === "no" ? undefined : "no")}>{t("intake.no")}</button>
              </span>
              <small className="why">{answer ? t(`intake.answer.${answer}`) : t("intake.notAsked")}</small>
            </li>
          );
        })}
      </ol>
    </fieldset>
  );
}

/// The intake assistant: what the caller says becomes findings, urgency and routing as it is typed.
/// It advises; the staff member edits the summary and confirms. `patient` is null for a new caller
/// not yet found in the cache, and then nothing can be sent.
export function IntakePanel({ patient }: { patient: Selected | null }) {
  const { t, i18n } = useTranslation();
  // The draft summary is written in the window's language; the evidence stays in the caller's words.
  const staff: Language = i18n.language.startsWith("es") ? "es" : "en";
  // Kept outside the panel, so a locked screen gives the intake back as it was.
  const draft = `intake:${patient ? `${patient.source}/${patient.id}` : "new-caller"}`;
  const [note, setNote] = useDraft(`${draft}:note`, "");
  const [edited, setEdited] = useDraft<string | null>(`${draft}:summary`, null);
  const [answers, setAnswers] = useDraft<Answers>(`${draft}:answers`, {});
  const queries = useQueryClient();
  const analysis = useQuery({
    queryKey: ["intake", note, answers, staff],
    queryFn: () => ipc.analyzeIntake(note, answers, staff, patient && { source: patient.source, id: patient.id }),
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
    mutationFn: () => ipc.confirmIntake(patient!.source, patient!.id, note, summary, intake!.urgency, answers),
    onSuccess: () => {
      setNote("");
      setEdited(null);
      setAnswers({});
      void queries.invalidateQueries();
    },
  });
  const send = () => patient && intake && summary.trim() && confirm.mutate();
  const answer = (id: string, value: Answer | undefined) => {
    setAnswers(({ [id]: _, ...rest }) => (value ? { ...rest, [id]: value } : rest));
    setEdited(null);
  };
  // Alt+1..9 cycles a question's answer wherever the focus is in the panel, the note included.
  const onKeyDown = (e: KeyboardEvent) => {
    const n = e.altKey && !e.ctrlKey ? Number(e.code.replace("Digit", "")) : NaN;
    const question = intake?.questions[n - 1];
    if (!question) return;
    e.preventDefault();
    answer(question.id, nextAnswer(answers[question.id]));
  };
  return (
    <section className="intake" aria-label={t("intake.title")} onKeyDown={onKeyDown}>
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
            {intake.reasonEvidence && ` (“${intake.reasonEvidence.text}”)`}
            <span className="why">{intake.urgencyBecause}</span>
          </p>
          {intake.emergencyScript.length > 0 && (
            <div role="alert" className="emergency">
              <h4>{t("intake.emergency")}</h4>
              <ol>{intake.emergencyScript.map((line) => <li key={line}>{line}</li>)}</ol>
            </div>
          )}
          {intake.redFlags.length > 0 && (
            <ul className="red-flags">
              {intake.redFlags.map((f) => (
                <li key={f.rule}>
                  <strong>{f.title}</strong> ({f.rule}) — {t("intake.on")} {f.evidence.map((e) => `“${e.text}”`).join(", ")}
                  <small className="why">{f.citation}</small>
                </li>
              ))}
            </ul>
          )}
          <Questions questions={intake.questions} answers={answers} onAnswer={answer} />
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
