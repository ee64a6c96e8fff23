import { useEffect, useRef, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "./ipc";
import { PatientSearch } from "./components/PatientSearch";
import { PatientWorkspace } from "./components/PatientWorkspace";
import { OutboxPanel } from "./components/OutboxPanel";
import { Worklist, type Role } from "./components/Worklist";
import { AuditLog } from "./components/AuditLog";
import { ReviewLinks } from "./components/ReviewLinks";
import { HelpOverlay } from "./components/HelpOverlay";
import { Sources } from "./components/Sources";
import { Schedule } from "./components/Schedule";
import { FirstRun } from "./components/FirstRun";
import { AlertsPanel } from "./components/AlertsPanel";
import { RulesSettings } from "./components/RulesSettings";
import { CallBanner } from "./components/CallBanner";
import { IntakePanel } from "./components/IntakePanel";
import { LockScreen, useScreenLock } from "./components/LockScreen";
import { forgetDrafts } from "./drafts";
import type { SyncProgress } from "./ipc";
import { typingIn } from "./keys";
import { routeOf } from "./routes";
import { useFormats } from "./format";
import type { ActiveCall, ScreenName, Selected } from "./types";

const ROLE_KEY = "switchboard.role";
const FIRST_RUN_KEY = "switchboard.firstRunDone";


declare global {
  interface Window {
    /// Milliseconds from a call event reaching the listener to its patient's workspace painted;
    /// read by the end-to-end test and the benchmark.
    __switchboardCallPaints?: number[];
    /// Milliseconds from a call event reaching the listener to its pop painted.
    __switchboardPopPaints?: number[];
  }
}

export function App() {
  const { t, i18n } = useTranslation();
  const f = useFormats();
  const [selected, setSelected] = useState<Selected | null>(null);
  // The front desk starts on the schedule; nurses and agents on their worklist.
  const homeOf = (role: string | null) => (role === "frontdesk" ? "schedule" : "home");
  const [screenName, setScreen] = useState<ScreenName>(() => homeOf(localStorage.getItem(ROLE_KEY)));
  // The call being handled: its intake stays open across the search for a new caller.
  const [call, setCall] = useState<ActiveCall | null>(null);
  const [intakeOpen, setIntakeOpen] = useState(false);
  const [prefill, setPrefill] = useState<{ text: string; nonce: number; focus: boolean } | undefined>();
  const callStartedMs = useRef<number | null>(null);
  const open = (patient: Selected | null) => {
    setSelected(patient);
    setScreen("home");
    if (patient && call?.number) {
      // A new caller found in the search: the call is logged against them.
      void ipc.chooseCaller(call.callId, patient).catch(() => undefined);
      setCall({ ...call, number: null });
    }
  };
  const openFromCall = (patient: Selected, receivedMs: number, callId: string) => {
    callStartedMs.current = receivedMs;
    // The call takes over the screen: a half-typed search closes, and focus stays where it was.
    setPrefill({ text: "", nonce: Date.now(), focus: false });
    setCall({ callId, number: null });
    setIntakeOpen(true);
    setSelected(patient);
    setScreen("home");
  };
  const newCaller = (number: string, callId: string) => {
    setCall({ callId, number });
    setIntakeOpen(true);
    setSelected(null);
    setScreen("home");
    setPrefill({ text: number, nonce: Date.now(), focus: true });
  };
  const painted = () => {
    if (callStartedMs.current === null) return;
    (window.__switchboardCallPaints ??= []).push(Date.now() - callStartedMs.current);
    callStartedMs.current = null;
  };
  const [role, setRole] = useState<Role>((localStorage.getItem(ROLE_KEY) as Role | null) ?? "nurse");
  const me = localStorage.getItem("switchboard.user") ?? "";
  const [help, setHelp] = useState(false);
  const searchBox = useRef<HTMLInputElement>(null);
  const overview = useQuery({ queryKey: ["overview"], queryFn: ipc.overview });
  const configured = useQuery({ queryKey: ["sources"], queryFn: ipc.sources });
  const clinic = useQuery({ queryKey: ["clinic"], queryFn: ipc.clinic, staleTime: Infinity });
  const demo = clinic.data?.demo ?? null;
  // Signed in where the clinic maps roles, the role is the person's; otherwise chosen here.
  const fixedRole = clinic.data?.role ?? null;
  const activeRole: Role = fixedRole ?? role;
  useEffect(() => {
    // A signed-in role sets the home screen, as choosing one does.
    if (fixedRole) setScreen(homeOf(fixedRole));
  }, [fixedRole]);
  const [firstRunDone, setFirstRunDone] = useState(() => localStorage.getItem(FIRST_RUN_KEY) !== null);
  const finishFirstRun = (connect: boolean) => {
    localStorage.setItem(FIRST_RUN_KEY, connect ? "connect" : "demo");
    setFirstRunDone(true);
    if (connect) setScreen("sources");
  };
  const [syncing, setSyncing] = useState<SyncProgress | null>(null);
  const queries = useQueryClient();
  const { locked, lock, unlock } = useScreenLock(clinic.data?.idleLockMinutes ?? 10);
  // Signed out: nothing of the last person's work stays on screen or in memory.
  const signedOut = () => {
    forgetDrafts();
    setSelected(null);
    setCall(null);
    setIntakeOpen(false);
    void queries.resetQueries();
  };
  // Someone else signed in (unlocking as another person): the last person's drafts are not theirs.
  const actingAs = clinic.data?.actingAs;
  const lastActingAs = useRef(actingAs);
  useEffect(() => {
    if (lastActingAs.current && actingAs && lastActingAs.current !== actingAs) signedOut();
    lastActingAs.current = actingAs;
  }, [actingAs]);

  useEffect(() => {
    // The background worker synced or delivered: everything shown is read again from the cache.
    const stopChanged = ipc.onDataChanged((change) => {
      if (change.reason === "sync") setSyncing(null);
      void queries.invalidateQueries();
    });
    const stopProgress = ipc.onSyncProgress(setSyncing);
    return () => {
      void stopChanged.then((stop) => stop());
      void stopProgress.then((stop) => stop());
    };
  }, [queries]);

  useEffect(() => {
    // Ctrl+K or "/" opens the search from anywhere.
    const onKey = (e: KeyboardEvent) => {
      const typing = typingIn(document.activeElement);
      if (e.ctrlKey && e.key.toLowerCase() === "l") {
        // Lock now, as when stepping away from the desk.
        e.preventDefault();
        lock();
      } else if ((e.ctrlKey && e.key.toLowerCase() === "k") || (e.key === "/" && !typing)) {
        e.preventDefault();
        setHelp(false);
        searchBox.current?.focus();
        searchBox.current?.select();
      } else if (e.key.toLowerCase() === "i" && !typing && !e.ctrlKey && !e.altKey) {
        setIntakeOpen((shown) => !shown);
      } else if (e.key === "?" && !typing) {
        e.preventDefault();
        setHelp((open) => !open);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [lock]);

  if (locked) {
    return (
      <>
        <header><strong>Switchboard</strong></header>
        <main><LockScreen onUnlock={unlock} pinAllowed={clinic.data?.unlockPin ?? false} /></main>
      </>
    );
  }
  const patients = overview.data?.counts.find(([type]) => type === "Patient")?.[1] ?? 0;
  return (
    <>
      <header>
        <strong>Switchboard</strong>
        <PatientSearch inputRef={searchBox} onOpen={open} prefill={prefill} />
        <button onClick={() => open(null)}>{t("worklist.title")}</button>
        <button onClick={() => setScreen("schedule")}>{t("schedule.title")}</button>
        <button onClick={() => setScreen("sources")}>{t("sources.title")}</button>
        <button onClick={() => setScreen("rules")}>{t("rules.title")}</button>
        {activeRole === "supervisor" && <button onClick={() => setScreen("audit")}>{t("audit.title")}</button>}
        {clinic.data?.linksSources && <button onClick={() => setScreen("links")}>{t("links.title")}</button>}
        <label>
          {t("role.label")}{" "}
          <select
            value={activeRole}
            disabled={fixedRole !== null}
            onChange={(e) => {
              setRole(e.target.value as Role);
              localStorage.setItem(ROLE_KEY, e.target.value);
              setSelected(null);
              setScreen(homeOf(e.target.value));
            }}
          >
            <option value="agent">{t("role.agent")}</option>
            <option value="frontdesk">{t("role.frontdesk")}</option>
            <option value="nurse">{t("role.nurse")}</option>
            <option value="supervisor">{t("role.supervisor")}</option>
          </select>
        </label>
        <label>
          {t("language")}{" "}
          <select value={i18n.language} onChange={(e) => void i18n.changeLanguage(e.target.value)}>
            <option value="en">English</option>
            <option value="es">Español</option>
          </select>
        </label>
        {/* Last in the header: it arrives with the clinic's answer, and must not move the buttons then. */}
        {clinic.data && <span id="acting-as" title={t("actingAs")}>{clinic.data.actingAs}</span>}
      </header>
      <div className="statusbar">
        <span id="status" aria-live="polite">
          {syncing
            ? t("status.syncing", {
                source: syncing.source, type: syncing.resourceType,
                done: syncing.total === null ? syncing.done : t("status.of", { done: syncing.done, total: syncing.total }),
              })
            : overview.data &&
              [t("status.patients", { count: patients }),
               ...overview.data.sources.map((s) => t("status.synced", { source: s.name, when: s.lastSynced ? f.since(s.lastSynced) : t("status.never") }))].join(" · ")}
        </span>
        {demo && (
          <span id="demo-state" className={demo.mode === "offline" ? "warning" : undefined}>
            {demo.mode === "offline" ? t("demo.offline", { reason: demo.reason }) : t(demo.mode === "starting" ? "demo.starting" : demo.simulated ? "demo.simulated" : "demo.live")}
          </span>
        )}
      </div>
      <CallBanner onOpen={openFromCall} onNewCaller={newCaller} />
      <main>
        {overview.error ? (
          // Without the cache nothing else can be shown: one message says why.
          <p role="alert" className="error">{errorMessage(overview.error)}</p>
        ) : (
          <>
            {(() => {
              const route = routeOf(screenName, selected, call, intakeOpen);
              switch (route.kind) {
                case "sources": return <Sources onSignedOut={signedOut} />;
                case "rules": return <RulesSettings />;
                case "audit": return <AuditLog />;
                case "links": return <ReviewLinks />;
                case "schedule": return <Schedule source={overview.data?.sources[0]?.name ?? "demo"} onOpen={open} />;
                case "patient": return (
                  <>
                    {route.intake && <IntakePanel key={call?.callId ?? "intake"} patient={route.patient} />}
                    <PatientWorkspace selected={route.patient} onPainted={painted} onIntake={() => setIntakeOpen((shown) => !shown)} />
                  </>
                );
                case "new-caller-intake": return <IntakePanel key={route.callId} patient={null} />;
                case "worklist": return (
                  <>
                    <AlertsPanel />
                    <Worklist role={activeRole} me={me} onOpen={open} />
                  </>
                );
              }
            })()}
            <OutboxPanel />
          </>
        )}
        {help && <HelpOverlay onClose={() => setHelp(false)} />}
        {configured.isSuccess && configured.data.length === 0 && !firstRunDone && (
          <FirstRun demo={clinic.data?.demo ?? null} onDemo={() => finishFirstRun(false)} onConnect={() => finishFirstRun(true)} />
        )}
      </main>
    </>
  );
}
