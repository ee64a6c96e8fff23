import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage, type CallPop } from "../ipc";
import type { Selected } from "../types";
import { useFormats } from "../format";

/// How long an ended call's line stays up before it clears itself.
const ENDED_SHOWN_MS = 10_000;

/// The screen pop. It never takes focus: the line is announced politely and F2 accepts from anywhere,
/// even while typing. One patient: F2 opens the workspace. A household: F2 moves to the choice (or
/// press its number). A new caller: F2 opens the search filled with the number, with an intake.
/// When the phone system reports the call answered, the workspace opens by itself.
type Props = {
  onOpen: (patient: Selected, receivedMs: number, callId: string) => void;
  onNewCaller: (number: string, callId: string) => void;
};

export function CallBanner({ onOpen, onNewCaller }: Props) {
  const { t } = useTranslation();
  const f = useFormats();
  const [pop, setPop] = useState<CallPop | null>(null);
  const [error, setError] = useState<string | null>(null);
  const choices = useRef<HTMLUListElement>(null);
  const opened = useRef(new Set<string>());

  useEffect(() => {
    void ipc.currentCall().then((current) => current && !current.logged && setPop(current));
    const stop = ipc.onCall(setPop);
    return () => void stop.then((unlisten) => unlisten());
  }, []);

  const open = (call: CallPop, patient: Selected) => {
    opened.current.add(call.callId);
    onOpen(patient, call.receivedMs, call.callId);
  };
  const accept = (call: CallPop) => {
    if (call.chosen) open(call, call.chosen);
    else if (call.matches.length > 1) (choices.current?.querySelector("button") as HTMLButtonElement | null)?.focus();
    else onNewCaller(call.number, call.callId);
  };
  const choose = async (call: CallPop, index: number) => {
    const m = call.matches[index];
    if (!m) return;
    try {
      const next = await ipc.chooseCaller(call.callId, { source: m.source, id: m.id });
      setPop(next);
      open(next, { source: m.source, id: m.id });
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  useEffect(() => {
    // The time from the listener receiving the event to this pop on screen, for the benchmark.
    if (pop && pop.state === "ringing" && pop.receivedMs > 0) {
      const receivedMs = pop.receivedMs;
      requestAnimationFrame(() => setTimeout(() => (window.__switchboardPopPaints ??= []).push(Date.now() - receivedMs), 0));
    }
  }, [pop]);

  useEffect(() => {
    if (!pop) return;
    // Answered at the phone: the patient's workspace comes up by itself, once per call.
    if (pop.state === "answered" && pop.chosen && !opened.current.has(pop.callId)) open(pop, pop.chosen);
    if (pop.logged) {
      const clear = setTimeout(() => setPop((now) => (now?.callId === pop.callId ? null : now)), ENDED_SHOWN_MS);
      return () => clearTimeout(clear);
    }
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "F2") {
        e.preventDefault();
        accept(pop);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [pop]);

  if (!pop) return null;
  const minutes = Math.floor(pop.seconds / 60);
  const headline = pop.logged
    ? t(pop.seconds > 0 ? "call.ended" : "call.missed", { number: f.phone(pop.number), minutes, seconds: pop.seconds % 60 })
    : t(pop.state === "answered" ? "call.onCall" : "call.incoming", { number: f.phone(pop.number) });
  const only = pop.matches.length === 1 ? pop.matches[0] : null;
  return (
    <section className={`callbar call-${pop.state}`} aria-label={t("call.region")}>
      <p role="status" aria-live="polite">
        <strong>{headline}</strong>
        {only && ` · ${only.name ?? only.id} · ${f.date(only.birthDate)} · MRN ${only.mrn ?? "–"}`}
        {pop.matches.length === 0 && !pop.logged && ` · ${t("call.newCaller")}`}
      </p>
      {pop.matches.length > 1 && !pop.chosen && (
        <>
          <p id="household-hint">{t("call.household", { count: pop.matches.length })}</p>
          <ul
            ref={choices}
            className="household"
            aria-describedby="household-hint"
            onKeyDown={(e) => {
              const n = Number(e.key);
              if (n >= 1 && n <= 9) void choose(pop, n - 1);
            }}
          >
            {pop.matches.map((m, i) => (
              <li key={`${m.source}/${m.id}`}>
                <button onClick={() => void choose(pop, i)}>
                  <kbd>{i + 1}</kbd> {m.name ?? m.id} · {f.date(m.birthDate)} ·{" "}
                  {m.via.kind === "patient" ? t("call.ownPhone") : t("call.contactPhone", { name: m.via.name ?? "–", relationship: m.via.relationship ?? "–" })}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
      {!pop.logged && (
        <button onClick={() => accept(pop)}>
          {pop.chosen ? t("call.open") : pop.matches.length > 1 ? t("call.choose") : t("call.takeNew")} <kbd>F2</kbd>
        </button>
      )}
      <button className="link" onClick={() => setPop(null)}>{t("call.dismiss")}</button>
      {error && <p role="alert" className="error">{error}</p>}
    </section>
  );
}
