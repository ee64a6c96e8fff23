// Component tests with the IPC module mocked: the Rust side is exercised by the cargo tests.
import { act, fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { vi } from "vitest";
import "./i18n";
import { App } from "./App";
import type { StaffAction, OutboxRow, PatientHit, PatientView, SyncProgress, WorklistFilter } from "./ipc";
import type { DataChanged } from "./bindings/DataChanged";
import { forgetDrafts } from "./drafts";
import type { AuditFilter } from "./bindings/AuditFilter";
import type { AuditRow } from "./bindings/AuditRow";
import type { DemoState } from "./bindings/DemoState";
import type { Answers, CallPop, Intake } from "./ipc";

const origin = { source: "demo", syncedAt: "2026-11-26T00:00:00Z", pending: false };
const hit: PatientHit = {
  source: "demo", id: "pat-000001", name: "María García", family: "García", given: "María", gender: "female",
  birthDate: "1980-03-05", age: 46, mrn: "MRN1000000", phones: ["(217) 555-0101"], alsoIn: [],
};
const view: PatientView = {
  patient: { ...hit, address: "1 Main St", ...origin },
  allergies: [{ id: "a1", substance: "Penicillin", criticality: "high", status: "active", reactions: ["Hives"], ...origin }],
  problems: [{ id: "c1", condition: "Type 2 diabetes", status: "active", onset: "2019-03-01", ...origin }],
  encounters: [],
  medications: { active: [{ id: "m1", name: "lisinopril 10 MG Oral Tablet", dosage: "1 daily", status: "active", date: null, kind: "MedicationRequest", ...origin }], past: [] },
  labs: [{
    code: "2823-3", name: "Potassium", category: "laboratory", unit: "mmol/L", range: "3.5-5.1 mmol/L",
    latest: { id: "o1", date: "2026-11-20T09:00:00Z", value: "6.9 mmol/L", numeric: 6.9, status: "final", flag: "critical-high", alsoIn: [], ...origin },
    history: [
      { id: "o1", date: "2026-11-20T09:00:00Z", value: "6.9 mmol/L", numeric: 6.9, status: "final", flag: "critical-high", alsoIn: [], ...origin },
      { id: "o0", date: "2026-05-02T09:00:00Z", value: "4.4 mmol/L", numeric: 4.4, status: "final", flag: "normal", alsoIn: [], ...origin },
    ],
  }],
  appointments: {
    upcoming: [{ id: "appt-1", start: "2026-12-03T10:00:00-06:00", end: null, status: "booked", service: null, practitioner: "Dr. Ava Ortiz", location: "Main Street Clinic", reason: null, ...origin }],
    past: [], cancelled: [], noShows: [],
  },
  tasks: [{ id: "task-1", description: "Call about potassium", status: "requested", priority: "stat", owner: null, due: null, authored: null, rule: null, why: null, ...origin }],
  sources: [{ name: "demo", baseUrl: "builtin:demo-clinic", lastSynced: "2026-11-26T00:00:00Z", lastError: null }],
  records: [{ source: "demo", id: "pat-000001" }],
  conflicts: [],
};

const searchPatients = vi.fn(async (text: string) => (text.toLowerCase().startsWith("gar") ? [hit] : []));
// Slots tomorrow, so the week view (which starts today) always shows them.
function tomorrowAt(hour: number, minute: number): string {
  const d = new Date();
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1, hour, minute).toISOString();
}
const dataChanged: ((change: DataChanged) => void)[] = [];
const syncProgress: ((progress: SyncProgress) => void)[] = [];
const refreshPatient = vi.fn(async (_source: string, _id: string) => undefined);
const overview = vi.fn(async () => ({ counts: [["Patient", 1000]], sources: [] }));
const queueAction = vi.fn(async (_source: string, action: StaffAction) => {
  if (action.kind === "cancel" && !action.reason.trim()) throw { code: "invalid", message: "cancelling needs a reason" };
  return { id: "act-1", target: "x", state: "pending" };
});
const worklist = vi.fn(async (filter: WorklistFilter) => ({ total: 1, items: [{
  id: "task-1", description: "Call about potassium", status: "requested", priority: "stat", owner: filter.owner, due: new Date(Date.now() - 3 * 3600_000).toISOString(),
  authored: null, rule: "critical-result-callback", why: "Rule critical-result-callback: Potassium 6.9 mmol/L (critical-high), from Observation/o1",
  ...origin, patientId: "pat-000001", patientName: "María García", mrn: "MRN1000000", overdue: true,
}] }));
const alertRows = [{ key: "task-sla-escalation:Task/t9_overdue", rule: "task-sla-escalation", source: "demo", patientId: "pat-000001",
  role: "Nurse pool lead", message: "Past due: Call about potassium", subject: "Task/t9", raisedAt: "2026-11-26T10:00:00Z" }];
const dismissAlert = vi.fn(async (key: string) => {
  alertRows.splice(alertRows.findIndex((a) => a.key === key), 1);
  return true;
});
const rulesList = vi.fn(async () => [
  { id: "critical-result-callback", description: "A new final critical lab result gets a nurse callback", on: "result", makes: "task for Nurse pool, stat, due 1h", origin: { kind: "builtin" } },
  { id: "no-show-recall", description: "Clinic's own", on: "no-show", makes: "task for Front desk, routine, due 1 business day", origin: { kind: "file", file: "/etc/switchboard/rules.toml" } },
]);
const savedSources: { name: string; fhir: string; pageSize: number; lastSynced: string | null; lastError: string | null }[] = [];
const saveSource = vi.fn(async (name: string, fhir: string) => {
  if (!fhir.startsWith("http")) throw { code: "config", message: "FHIR URL: `" + fhir + "` is not a URL" };
  savedSources.push({ name, fhir, pageSize: 200, lastSynced: null, lastError: "cannot reach the FHIR server" });
  return false;
});
const setActionState = vi.fn(async (_id: string, _to: string) => true);
const outboxRows: OutboxRow[] = [{
  seq: 1, id: "act-0", source: "demo", kind: "task_claim", target: "Task/task-9", intent: "{}", state: "conflict", attempts: 1,
  notBefore: null, error: "already claimed by Practitioner/prac-2", result: null, createdAt: "", updatedAt: "", actor: null,
}];
const callListeners: ((pop: CallPop) => void)[] = [];
const chooseCaller = vi.fn(async (callId: string, patient: { source: string; id: string }) => ({ ...ringing(), callId, chosen: patient }));
const intakeModel = vi.fn(async () => false);
const confirmIntake = vi.fn(async (_source: string, _patient: string, _note: string, _summary: string, _urgency: string, _answers: Answers) => ({ id: "act-9", target: "Communication/local-act-9", state: "pending" }));
const analyzeIntake = vi.fn(async (note: string, answers: Answers): Promise<Intake> => {
  if (note.includes("headache")) {
    const sudden = answers["head-sudden"] === "yes";
    return {
      ...emergencyIntake, urgency: sudden ? "emergency" : "same_day", redFlags: [], emergencyScript: [], summary: "Patient called.",
      findings: [{ ...emergencyIntake.findings[0], concept: "headache", label: "headache", evidence: { text: "headache", start: 7, end: 15 } }],
      notUnderstood: [{ text: "wonky", start: 20, end: 25 }],
      questions: [
        { id: "head-sudden", text: "Did it come on suddenly, the worst headache ever?", textEs: "¿Empezó de repente?", concept: "worst_headache", citation: "NICE CG150", answer: answers["head-sudden"] ?? null },
        { id: "head-neck", text: "Is the neck stiff?", textEs: "¿Tiene el cuello rígido?", concept: "stiff_neck", citation: "NICE CG150", answer: answers["head-neck"] ?? null },
      ],
    };
  }
  return note.includes("chest") ? emergencyIntake : { ...emergencyIntake, urgency: "routine", redFlags: [], findings: [], emergencyScript: [], summary: "Patient called." };
});
const brother: PatientHit = { ...hit, id: "pat-000002", name: "José García", given: "José", birthDate: "2012-06-01", age: 14, mrn: "MRN1000001" };
function ringing(matches: PatientHit[] = [hit]): CallPop {
  return {
    callId: "CA1", number: "+12175550101", state: "ringing", receivedMs: Date.now(), seconds: 0, logged: false,
    matches: matches.map((m, i) => ({ ...m, via: i === 0 ? { kind: "patient" } : { kind: "contact", name: "María García", relationship: "mother" } })),
    chosen: matches.length === 1 ? { source: matches[0].source, id: matches[0].id } : null,
  };
}
const emergencyIntake: Intake = {
  urgency: "emergency", urgencyBecause: "red flag: cardiac-chest-pain",
  redFlags: [{ rule: "cardiac-chest-pain", title: "Chest pain that may be cardiac", titleEs: "Dolor de pecho que puede ser del corazón", urgency: "emergency", citation: "NICE CG95", evidence: [{ text: "chest pain", start: 7, end: 17 }] }],
  findings: [{ text: "chest pain", concept: "chest_pain", label: "chest pain", problem: false, assertion: "present", experiencer: "patient", onset: null, severity: null, site: "chest", evidence: { text: "chest pain", start: 7, end: 17 } }],
  medications: [], reason: "new_symptom", reasonEvidence: { text: "chest pain", start: 7, end: 17 }, routing: "nurse_triage", callingAbout: null, age: null,
  emergencyScript: ["Advise the caller to call 911 now."], summary: "Patient called.\nReports: chest pain.",
  language: "en", notUnderstood: [], questions: [],
};
const slot = (id: string, start: string, practitioner: string, location: string, usual: boolean) =>
  ({ id, start, end: null, schedule: "Schedule/x", practitioner, location, usual });
// Soonest first, as the core sends them; Dr. Chen is the patient's own practitioner.
const freeSlots = [
  slot("s-a", "2026-12-04T09:00:00-06:00", "Dr. Ava Ortiz", "Main Street Clinic", false),
  slot("s-b", "2026-12-04T09:30:00-06:00", "Dr. Ava Ortiz", "Main Street Clinic", false),
  slot("s-c", "2026-12-04T10:00:00-06:00", "Dr. Li Chen", "North Clinic", true),
  slot("s-d", "2026-12-05T09:00:00-06:00", "Dr. Li Chen", "North Clinic", true),
];
const auditLog = vi.fn(async (_filter: AuditFilter): Promise<AuditRow[]> => [
  { seq: 2, id: "a2", recorded: "2026-11-20T15:05:00Z", user: "Practitioner/ann", userName: "Ann Lee", workstation: "desk-1", action: "refused", source: "demo", patient: "pat-000001", detail: "task_complete: not yours", sent: null, error: null },
  { seq: 1, id: "a1", recorded: "2026-11-20T15:00:00Z", user: "Practitioner/ann", userName: "Ann Lee", workstation: "desk-1", action: "view", source: "demo", patient: "pat-000001", detail: "workspace", sent: "2026-11-20T15:00:30Z", error: null },
]);
const lockScreen = vi.fn(async () => undefined);
const unlockScreen = vi.fn(async (_pin?: string) => undefined);
let unlockPin = false;
let claimsAs: string | null = null;
let demoState: DemoState | null = { mode: "live", simulated: true };
function sendCall(pop: CallPop) {
  act(() => callListeners.forEach((listener) => listener(pop)));
}
vi.mock("./ipc", async (importOriginal) => ({
  ...(await importOriginal<typeof import("./ipc")>()),
  ipc: {
    overview: () => overview(),
    onCall: (onCall: (pop: CallPop) => void) => {
      callListeners.push(onCall);
      return Promise.resolve(() => undefined);
    },
    currentCall: async () => null,
    chooseCaller: (callId: string, patient: { source: string; id: string }) => chooseCaller(callId, patient),
    patientCalls: async () => [{ callId: "CA0", number: "+12175550101", started: "2026-11-20T15:00:00Z", answered: "2026-11-20T15:00:05Z", ended: "2026-11-20T15:03:00Z", seconds: 175, agent: "Desk 1", disposition: "completed", source: "demo", patient: "pat-000001", action: "act-0" }],
    analyzeIntake: (note: string, answers: Answers, _language: string, _patient: unknown) => analyzeIntake(note, answers),
    confirmIntake: (source: string, patient: string, note: string, summary: string, urgency: string, answers: Answers) => confirmIntake(source, patient, note, summary, urgency, answers),
    intakeModel: () => intakeModel(),
    clinic: async () => ({ timeZone: "America/Chicago", phoneRegion: "US", demo: demoState, idleLockMinutes: 10, actingAs: "Test Nurse at desk-1", role: null, unlockPin, claimsAs, asksServer: false, linksSources: false }),
    phoneStatus: async () => ({ port: 47800, listening: false, problem: "port 47800 could not be opened (address in use)" }),
    intakeSecondOpinion: async (_note: string) => ({
      intake: { ...emergencyIntake, urgencyBecause: "the language model on “mixing up words”" },
      report: { added: ["slurred_speech"], raisedTo: "emergency", discarded: ["`chest_pain`: its words are not in the note"] },
    }),
    onDataChanged: (onChange: (change: DataChanged) => void) => {
      dataChanged.push(onChange);
      return Promise.resolve(() => undefined);
    },
    onSyncProgress: (onProgress: (progress: SyncProgress) => void) => {
      syncProgress.push(onProgress);
      return Promise.resolve(() => undefined);
    },
    refreshPatient: (source: string, id: string) => refreshPatient(source, id),
    searchPatients: (text: string) => searchPatients(text),
    patientView: async () => view,
    queueAction: (source: string, action: StaffAction) => queueAction(source, action),
    outbox: async () => outboxRows,
    setActionState: (id: string, to: string) => setActionState(id, to),
    worklist: (filter: WorklistFilter) => worklist(filter),
    sources: async () => savedSources,
    hl7Problems: async () => ({ receives: false, messages: [] }),
    saveSource: (name: string, fhir: string) => saveSource(name, fhir),
    syncNow: async () => undefined,
    alerts: async () => [...alertRows],
    dismissAlert: (key: string) => dismissAlert(key),
    rules: () => rulesList(),
    schedule: async () => [{
      schedule: "sched-1", practitioner: "Dr. Ava Ortiz", location: "Main Street Clinic",
      slots: [
        { id: "s1", start: tomorrowAt(9, 0), end: null, status: "free", appointment: null },
        { id: "s2", start: tomorrowAt(9, 30), end: null, status: "busy", appointment: { id: "appt-1", status: "booked", patientId: "pat-000001", patientName: "María García" } },
      ],
    }],
    freeSlots: async () => freeSlots,
    auditLog: (filter: AuditFilter) => auditLog(filter),
    lockScreen: () => lockScreen(),
    unlockScreen: (pin?: string) => unlockScreen(pin),
  },
}));

// Every test but the first-run ones starts past the first-run choice.
beforeEach(() => {
  localStorage.setItem("switchboard.firstRunDone", "demo");
  forgetDrafts();
  unlockPin = false;
  claimsAs = null;
});

function renderApp() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(<QueryClientProvider client={client}><App /></QueryClientProvider>);
}

test("finds a patient by typing and opens the workspace from the keyboard", async () => {
  const user = userEvent.setup();
  renderApp();
  const box = screen.getByRole("combobox", { name: "Find a patient" });
  await user.type(box, "gar");
  const option = await screen.findByRole("option", { name: /María García/ });
  expect(option.textContent).toContain("María García");
  expect(option.textContent).toContain("MRN1000000");
  await user.keyboard("{Enter}");
  const workspace = await screen.findByRole("region", { name: "María García" });
  expect(within(workspace).getByText(/Penicillin/)).toBeTruthy();
  expect(within(workspace).getByText("Problems: Type 2 diabetes")).toBeTruthy();
  // The cached copy is on screen and the worker is asked for the server's latest.
  expect(refreshPatient).toHaveBeenCalledWith("demo", "pat-000001");
  const critical = within(workspace).getByText(/6.9 mmol\/L/);
  expect(critical.className).toBe("flag-critical-high");
  expect(searchPatients).toHaveBeenCalledWith("gar");
  expect(screen.queryByRole("option", { name: /María García/ })).toBeNull();
  // The keyboard is the workspace's now: B opens the booking form, not a "b" in the search.
  await user.keyboard("b");
  expect((screen.getByRole("combobox", { name: "Find a patient" }) as HTMLInputElement).value).toBe("");
  expect(await screen.findByRole("heading", { name: "Book appointment" })).toBeTruthy();
});

test("shows when nothing matches, and the count of cached patients", async () => {
  const user = userEvent.setup();
  renderApp();
  expect(await screen.findByText(/1,000 patients/)).toBeTruthy();
  await user.type(screen.getByRole("combobox", { name: "Find a patient" }), "zzz");
  expect(await screen.findByText("No matching patients")).toBeTruthy();
});

test("switching the language changes the interface text", async () => {
  const user = userEvent.setup();
  renderApp();
  await user.selectOptions(screen.getByRole("combobox", { name: /Language/ }), "es");
  expect(await screen.findByText(/1000 pacientes/)).toBeTruthy();
  await user.selectOptions(screen.getByRole("combobox", { name: /Idioma/ }), "en");
});

async function openPatient(user: ReturnType<typeof userEvent.setup>) {
  renderApp();
  await user.type(screen.getByRole("combobox", { name: "Find a patient" }), "gar");
  await screen.findByRole("option", { name: /María García/ });
  await user.keyboard("{Enter}");
  return screen.findByRole("region", { name: "María García" });
}

test("N opens a note form that queues the note for this patient", async () => {
  const user = userEvent.setup();
  await openPatient(user);
  (document.activeElement as HTMLElement).blur();
  await user.keyboard("n");
  const form = await screen.findByRole("form", { name: "Add note" });
  await user.type(within(form).getByRole("textbox", { name: "Note" }), "Prefers calls after 5pm{Enter}");
  expect(queueAction).toHaveBeenCalledWith("demo", { kind: "note", patient: "pat-000001", text: "Prefers calls after 5pm" });
  expect(screen.queryByRole("form", { name: "Add note" })).toBeNull();
});

test("Ctrl+L locks: no patient data on screen, a call shows only that it rings, and a half-written note comes back", async () => {
  const user = userEvent.setup();
  await openPatient(user);
  (document.activeElement as HTMLElement).blur();
  await user.keyboard("n");
  await user.type(within(await screen.findByRole("form", { name: "Add note" })).getByRole("textbox", { name: "Note" }), "Half a note");
  await user.keyboard("{Control>}l{/Control}");
  expect(await screen.findByRole("region", { name: "Switchboard is locked" })).toBeTruthy();
  expect(lockScreen).toHaveBeenCalled();
  expect(document.body.textContent).not.toMatch(/García|Half a note|MRN/);
  sendCall(ringing());
  expect(await screen.findByText("Incoming call")).toBeTruthy();
  expect(document.body.textContent).not.toMatch(/García|217|555/);
  await user.click(screen.getByRole("button", { name: "Unlock" }));
  expect(unlockScreen).toHaveBeenCalled();
  expect(await screen.findByRole("region", { name: "María García" })).toBeTruthy();
  expect(within(screen.getByRole("form", { name: "Add note" })).getByRole("textbox", { name: "Note" })).toHaveProperty("value", "Half a note");
});

test("signed in, a claim names the signed-in person and asks no name", async () => {
  claimsAs = "Practitioner/prac-1";
  const user = userEvent.setup();
  const workspace = await openPatient(user);
  await user.click(within(workspace).getByRole("button", { name: "Claim task" }));
  const form = await screen.findByRole("form", { name: "Claim task" });
  expect(within(form).getByText("Claimed as Practitioner/prac-1, who is signed in")).toBeTruthy();
  expect(within(form).queryByRole("textbox")).toBeNull();
  await user.click(within(form).getByRole("button", { name: "Save" }));
  expect(queueAction).toHaveBeenCalledWith("demo", { kind: "task_claim", task: "task-1", owner: "" });
});

test("where the clinic allows a PIN, a wrong one says so and keeps the lock, and the right one unlocks", async () => {
  unlockPin = true;
  unlockScreen.mockImplementation(async (pin?: string) => {
    if (pin !== "2468") throw { code: "invalid", message: "wrong PIN (4 tries left)" };
  });
  const user = userEvent.setup();
  await openPatient(user);
  await user.keyboard("{Control>}l{/Control}");
  const pin = within(await screen.findByRole("form", { name: "Unlock with PIN" })).getByLabelText("PIN");
  await user.type(pin, "1357{Enter}");
  expect((await screen.findByRole("alert")).textContent).toContain("wrong PIN (4 tries left)");
  expect(screen.getByRole("region", { name: "Switchboard is locked" })).toBeTruthy();
  expect(pin).toHaveProperty("value", "");
  await user.type(pin, "2468{Enter}");
  expect(unlockScreen).toHaveBeenLastCalledWith("2468");
  expect(await screen.findByRole("region", { name: "María García" })).toBeTruthy();
  unlockScreen.mockReset();
});

test("the screen locks by itself after the clinic's idle time, and not before", async () => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  try {
    renderApp();
    expect(await screen.findByRole("region", { name: "Worklist" })).toBeTruthy();
    act(() => void vi.advanceTimersByTime(9 * 60_000));
    fireEvent.mouseMove(document.body);
    act(() => void vi.advanceTimersByTime(9 * 60_000));
    expect(screen.queryByRole("region", { name: "Switchboard is locked" })).toBeNull();
    act(() => void vi.advanceTimersByTime(60_000 + 1));
    expect(await screen.findByRole("region", { name: "Switchboard is locked" })).toBeTruthy();
    expect(screen.queryByRole("region", { name: "Worklist" })).toBeNull();
  } finally {
    vi.useRealTimers();
  }
});

test("cancelling without a reason shows the refusal in words, and booking offers free slots", async () => {
  const user = userEvent.setup();
  const workspace = await openPatient(user);
  await user.click(within(workspace).getByRole("button", { name: "Cancel appointment" }));
  const form = await screen.findByRole("form", { name: "Cancel appointment" });
  await user.click(within(form).getByRole("button", { name: "Save" }));
  expect((await within(form).findByRole("alert")).textContent).toBe("cancelling needs a reason");

  await user.click(within(workspace).getByRole("button", { name: /Book appointment/ }));
  const book = await screen.findByRole("form", { name: "Book appointment" });
  const mainStreet = await within(book).findByRole("group", { name: "Fri, Dec 4 · Dr. Ava Ortiz · Main Street Clinic" });
  expect(within(mainStreet).getAllByRole("option").map((o) => o.textContent).join(", ")).toMatch(/^9:00\sAM, 9:30\sAM$/);
  await user.click(within(book).getByRole("option", { name: /9:30\sAM/ }));
  await user.click(within(book).getByRole("button", { name: "Save" }));
  expect(queueAction).toHaveBeenLastCalledWith("demo", { kind: "book", patient: "pat-000001", slot: "s-b", reason: null });
});

test("booking by keyboard: slots grouped by day and practitioner, the usual one first, arrows, Enter, a reason, Ctrl+Enter", async () => {
  const user = userEvent.setup();
  const workspace = await openPatient(user);
  await user.click(within(workspace).getByRole("button", { name: /Book appointment/ }));
  const book = await screen.findByRole("form", { name: "Book appointment" });
  const list = await within(book).findByRole("listbox", { name: "Free slots" });
  expect(document.activeElement).toBe(list);
  const groups = within(list).getAllByRole("group").map((g) => g.getAttribute("aria-label"));
  expect(groups).toEqual([
    "Fri, Dec 4 · Dr. Li Chen (usual practitioner) · North Clinic",
    "Sat, Dec 5 · Dr. Li Chen (usual practitioner) · North Clinic",
    "Fri, Dec 4 · Dr. Ava Ortiz · Main Street Clinic",
  ]);
  const active = () => {
    const option = document.getElementById(list.getAttribute("aria-activedescendant")!)!;
    return `${option.closest("[role='group']")!.getAttribute("aria-label")}: ${option.textContent}`;
  };
  expect(active()).toMatch(/Fri, Dec 4 · Dr. Li Chen .*: 10:00\sAM/);
  await user.keyboard("{ArrowDown}");
  expect(active()).toMatch(/Sat, Dec 5 · Dr. Li Chen .*: 9:00\sAM/);
  await user.keyboard("{ArrowRight}{ArrowDown}");
  expect(active()).toMatch(/Dr. Ava Ortiz · Main Street Clinic: 9:30\sAM/);
  await user.keyboard("{Enter}");
  expect(document.activeElement).toBe(within(book).getByRole("textbox", { name: "Reason" }));
  expect(within(book).getByText(/Picked: Dec 4, 2026, 9:30\sAM · Dr. Ava Ortiz/)).toBeTruthy();
  await user.keyboard("Knee pain{Control>}{Enter}{/Control}");
  expect(queueAction).toHaveBeenLastCalledWith("demo", { kind: "book", patient: "pat-000001", slot: "s-b", reason: "Knee pain" });
});

test("the slot picker filters by location", async () => {
  const user = userEvent.setup();
  const workspace = await openPatient(user);
  await user.click(within(workspace).getByRole("button", { name: /Book appointment/ }));
  const book = await screen.findByRole("form", { name: "Book appointment" });
  await user.selectOptions(await within(book).findByRole("combobox", { name: "Location" }), "North Clinic");
  const listbox = within(book).getByRole("listbox");
  expect(within(listbox).getAllByRole("group").every((g) => g.getAttribute("aria-label")!.endsWith("· North Clinic"))).toBe(true);
  expect(within(listbox).getAllByRole("option")).toHaveLength(2);
});

test("the outbox shows a conflict in words, with retry and discard", async () => {
  const user = userEvent.setup();
  renderApp();
  const outbox = await screen.findByRole("region", { name: "Outbox" });
  const row = await within(outbox).findByText(/already claimed by Practitioner\/prac-2/);
  expect(row.closest("li")!.textContent).toContain("Conflict");
  await user.click(within(outbox).getByRole("button", { name: "Discard" }));
  expect(setActionState).toHaveBeenCalledWith("act-0", "discarded");
});

test("R opens a reminder form for this patient", async () => {
  const user = userEvent.setup();
  await openPatient(user);
  (document.activeElement as HTMLElement).blur();
  await user.keyboard("r");
  const form = await screen.findByRole("form", { name: "Remind the patient" });
  await user.type(within(form).getByRole("textbox", { name: "About" }), "Fasting labs Friday{Enter}");
  expect(queueAction).toHaveBeenLastCalledWith("demo", { kind: "remind", patient: "pat-000001", about: "Fasting labs Friday", when: null });
});

test("the worklist opens on the role's pool, filters, and a task opens its patient", async () => {
  const user = userEvent.setup();
  renderApp();
  const list = await screen.findByRole("region", { name: "Worklist" });
  expect(worklist).toHaveBeenLastCalledWith({ owner: "Nurse pool", overdue: false, priority: null });
  expect(await within(list).findByText("open · Nurse pool")).toBeTruthy();
  await user.click(within(list).getByRole("button", { name: "All open" }));
  expect(worklist).toHaveBeenLastCalledWith({ owner: null, overdue: false, priority: null });
  await user.click(within(list).getByRole("checkbox", { name: "Overdue" }));
  expect(worklist).toHaveBeenLastCalledWith({ owner: null, overdue: true, priority: null });
  await user.click(await within(list).findByRole("button", { name: "Call about potassium" }));
  expect(await screen.findByRole("region", { name: "María García" })).toBeTruthy();
});

test("a long worklist says how many open tasks it leaves out", async () => {
  const original = worklist.getMockImplementation()!;
  worklist.mockImplementation(async (filter) => ({ ...(await original(filter)), total: 15000 }));
  try {
    renderApp();
    const list = await screen.findByRole("region", { name: "Worklist" });
    expect(await within(list).findByText("The 1 most pressing of 15,000 open tasks. Filter to narrow the list.")).toBeTruthy();
  } finally {
    worklist.mockImplementation(original);
  }
});

test("? shows every shortcut and Escape closes the help", async () => {
  const user = userEvent.setup();
  renderApp();
  (document.activeElement as HTMLElement).blur();
  await user.keyboard("?");
  const help = await screen.findByRole("dialog", { name: "Keyboard shortcuts" });
  for (const words of ["Find a patient from anywhere", "Add note", "Book appointment", "Remind the patient"]) {
    expect(within(help).getByText(words)).toBeTruthy();
  }
  await user.keyboard("{Escape}");
  expect(screen.queryByRole("dialog")).toBeNull();
});

test("the sources screen offers to connect a FHIR endpoint and shows errors in words", async () => {
  const user = userEvent.setup();
  renderApp();
  await user.click(screen.getByRole("button", { name: "Sources" }));
  const screenRegion = await screen.findByRole("region", { name: "Sources" });
  expect(await within(screenRegion).findByText(/built-in demo clinic/)).toBeTruthy();
  // IT sees when calls cannot pop here, and why.
  expect(await within(screenRegion).findByText(/calls cannot pop on this workstation: port 47800 could not be opened/)).toBeTruthy();
  const form = within(screenRegion).getByRole("form", { name: "Add or edit a FHIR endpoint" });
  await user.type(within(form).getByRole("textbox", { name: "Name" }), "main");
  await user.type(within(form).getByRole("textbox", { name: "FHIR base URL" }), "ftp:x");
  await user.click(within(form).getByRole("button", { name: "Save" }));
  expect((await within(form).findByRole("alert")).textContent).toContain("is not a URL");
  await user.clear(within(form).getByRole("textbox", { name: "FHIR base URL" }));
  await user.type(within(form).getByRole("textbox", { name: "FHIR base URL" }), "https://fhir.example.org/r4");
  await user.click(within(form).getByRole("button", { name: "Save" }));
  expect(saveSource).toHaveBeenLastCalledWith("main", "https://fhir.example.org/r4");
  expect(await within(screenRegion).findByText("cannot reach the FHIR server")).toBeTruthy();
});

test("a lab test opens its trend chart, oldest result first", async () => {
  const user = userEvent.setup();
  const workspace = await openPatient(user);
  await user.click(within(workspace).getByRole("button", { name: "Potassium" }));
  const chart = await within(workspace).findByRole("figure", { name: "Potassium trend" });
  expect(chart.querySelector("svg")).not.toBeNull();
  expect(chart.querySelector("figcaption")!.textContent).toBe("May 2, 2026: 4.4 · Nov 20, 2026: 6.9 (critical-high)");
});

test("a cache that cannot be opened gives one message in words and nothing else", async () => {
  overview.mockRejectedValueOnce({ code: "keyring", message: "the key for the cache is missing from the OS keyring" });
  renderApp();
  const alerts = await screen.findAllByRole("alert");
  expect(alerts.map((a) => a.textContent)).toEqual(["the key for the cache is missing from the OS keyring"]);
  expect(screen.queryByRole("region", { name: "Worklist" })).toBeNull();
});

test("the schedule shows free and busy slots, and a booked slot opens its patient", async () => {
  const user = userEvent.setup();
  renderApp();
  await user.click(screen.getByRole("button", { name: "Schedule" }));
  const schedule = await screen.findByRole("region", { name: "Schedule" });
  expect(await within(schedule).findByText("Dr. Ava Ortiz")).toBeTruthy();
  expect(within(schedule).getByText("free")).toBeTruthy();
  await user.click(within(schedule).getByRole("button", { name: "Week" }));
  expect(await within(schedule).findAllByText("1 free · 1 busy")).toBeTruthy();
  await user.click(within(schedule).getByRole("button", { name: "Day" }));
  await user.click(await within(schedule).findByRole("button", { name: /María García \(booked\)/ }));
  expect(await screen.findByRole("region", { name: "María García" })).toBeTruthy();
});

test("a data-changed event from the background worker reads the cache again", async () => {
  renderApp();
  expect(await screen.findByText(/1,000 patients/)).toBeTruthy();
  const before = overview.mock.calls.length;
  overview.mockResolvedValueOnce({ counts: [["Patient", 1001]], sources: [] });
  act(() => dataChanged.at(-1)!({ reason: "sync" }));
  expect(await screen.findByText(/1,001 patients/)).toBeTruthy();
  expect(overview.mock.calls.length).toBeGreaterThan(before);
});

test("sync progress shows in the status bar until the sync's data-changed arrives", async () => {
  renderApp();
  expect(await screen.findByText(/1,000 patients/)).toBeTruthy();
  act(() => syncProgress.at(-1)!({ source: "main", resourceType: "Observation", done: 1200, total: 5000 }));
  expect(screen.getByText("Syncing main: Observation 1200 of 5000")).toBeTruthy();
  act(() => dataChanged.at(-1)!({ reason: "outbox" }));
  expect(screen.getByText(/Syncing main/)).toBeTruthy();
  act(() => dataChanged.at(-1)!({ reason: "sync" }));
  expect(await screen.findByText(/1,000 patients/)).toBeTruthy();
});

test("first run offers the demo clinic or a FHIR endpoint, and asks only once", async () => {
  const user = userEvent.setup();
  savedSources.length = 0;
  localStorage.removeItem("switchboard.firstRunDone");
  const first = renderApp();
  const dialog = await screen.findByRole("dialog", { name: "Welcome to Switchboard" });
  await user.click(within(dialog).getByRole("button", { name: "Connect a FHIR endpoint" }));
  expect(screen.queryByRole("dialog")).toBeNull();
  expect(await screen.findByRole("form", { name: "Add or edit a FHIR endpoint" })).toBeTruthy();
  first.unmount();

  renderApp();
  expect(await screen.findByRole("region", { name: "Worklist" })).toBeTruthy();
  expect(screen.queryByRole("dialog")).toBeNull();
});

test("on the live demo, the first run and the status bar say what the simulator plays", async () => {
  savedSources.length = 0;
  localStorage.removeItem("switchboard.firstRunDone");
  renderApp();
  const dialog = await screen.findByRole("dialog", { name: "Welcome to Switchboard" });
  expect(within(dialog).getByText(/A simulator plays the clinic's day/)).toBeTruthy();
  expect(await screen.findByText(/Live demo clinic on a local FHIR server · a simulator plays/)).toBeTruthy();
});

test("without its local server the demo says it is offline, why, and that actions stay pending", async () => {
  savedSources.length = 0;
  localStorage.removeItem("switchboard.firstRunDone");
  demoState = { mode: "offline", reason: "the Helios FHIR server is not installed here" };
  try {
    renderApp();
    const dialog = await screen.findByRole("dialog", { name: "Welcome to Switchboard" });
    expect(within(dialog).getByText(/offline, in this computer's cache only: actions stay pending/)).toBeTruthy();
    const status = await screen.findByText(/Offline demo clinic.*Helios FHIR server is not installed here.*actions stay pending/);
    expect(status.className).toBe("warning");
  } finally {
    demoState = { mode: "live", simulated: true };
  }
});

test("choosing the demo clinic on first run stays on the home screen", async () => {
  const user = userEvent.setup();
  savedSources.length = 0;
  localStorage.removeItem("switchboard.firstRunDone");
  renderApp();
  const dialog = await screen.findByRole("dialog", { name: "Welcome to Switchboard" });
  await user.click(within(dialog).getByRole("button", { name: "Start on the demo clinic" }));
  expect(screen.queryByRole("dialog")).toBeNull();
  expect(localStorage.getItem("switchboard.firstRunDone")).toBe("demo");
  expect(await screen.findByRole("region", { name: "Worklist" })).toBeTruthy();
});

test("choosing the front desk role opens the schedule; the nurse role its worklist", async () => {
  const user = userEvent.setup();
  renderApp();
  await user.selectOptions(screen.getByRole("combobox", { name: /Role/ }), "frontdesk");
  expect(await screen.findByRole("region", { name: "Schedule" })).toBeTruthy();
  await user.selectOptions(screen.getByRole("combobox", { name: /Role/ }), "nurse");
  expect(await screen.findByRole("region", { name: "Worklist" })).toBeTruthy();
  expect(worklist).toHaveBeenLastCalledWith({ owner: "Nurse pool", overdue: false, priority: null });
  localStorage.removeItem("switchboard.role");
});

test("a supervisor sees everyone's work and the audit log, filtered by user and patient", async () => {
  const user = userEvent.setup();
  renderApp();
  expect(screen.queryByRole("button", { name: "Audit log" })).toBeNull();
  await user.selectOptions(screen.getByRole("combobox", { name: /Role/ }), "supervisor");
  expect(await screen.findByRole("region", { name: "Worklist" })).toBeTruthy();
  expect(worklist).toHaveBeenLastCalledWith({ owner: null, overdue: false, priority: null });
  await user.click(screen.getByRole("button", { name: "Audit log" }));
  const log = await screen.findByRole("region", { name: "Audit log" });
  expect(await within(log).findByText("Refused")).toBeTruthy();
  expect(within(log).getByText("Viewed")).toBeTruthy();
  expect(within(log).getByText("waiting")).toBeTruthy();
  await user.type(within(log).getByRole("textbox", { name: "User" }), "Ann");
  await user.type(within(log).getByRole("textbox", { name: "Patient" }), "pat-000001");
  expect(auditLog).toHaveBeenLastCalledWith({ user: "Ann", patient: "pat-000001", since: null, until: null, limit: 500 });
  localStorage.removeItem("switchboard.role");
});

test("rule-made tasks say why and count down to their due time; alerts can be dismissed", async () => {
  const user = userEvent.setup();
  renderApp();
  const list = await screen.findByRole("region", { name: "Worklist" });
  expect(await within(list).findByText(/Potassium 6.9 mmol\/L \(critical-high\)/)).toBeTruthy();
  expect(within(list).getByText("3 hours ago")).toBeTruthy();
  const alerts = await screen.findByRole("region", { name: "Alerts" });
  expect(within(alerts).getByText(/Past due: Call about potassium/)).toBeTruthy();
  await user.click(within(alerts).getByRole("button", { name: "Dismiss" }));
  expect(dismissAlert).toHaveBeenCalledWith("task-sla-escalation:Task/t9_overdue");
  expect(await screen.findByRole("region", { name: "Worklist" })).toBeTruthy();
  expect(screen.queryByRole("region", { name: "Alerts" })).toBeNull();
});

test("the rules page lists the active rules and where each comes from", async () => {
  const user = userEvent.setup();
  renderApp();
  await user.click(screen.getByRole("button", { name: "Rules" }));
  const page = await screen.findByRole("region", { name: "Rules" });
  const critical = (await within(page).findByText("critical-result-callback")).closest("tr")!;
  expect(critical.textContent).toContain("a lab result arrives");
  expect(critical.textContent).toContain("built-in");
  const own = within(page).getByText("no-show-recall").closest("tr")!;
  expect(own.textContent).toContain("/etc/switchboard/rules.toml");
  rulesList.mockRejectedValueOnce({ code: "config", message: "rules file rules.toml, rule `x`, field `task.priority`: `now` is not one of routine, urgent, asap, stat" });
  await user.click(screen.getByRole("button", { name: "Sources" }));
  await user.click(screen.getByRole("button", { name: "Rules" }));
  expect((await screen.findByRole("alert")).textContent).toContain("field `task.priority`");
});

test("a ringing call pops its patient without taking focus, and F2 opens the workspace with the intake", async () => {
  const user = userEvent.setup();
  renderApp();
  const box = screen.getByRole("combobox", { name: "Find a patient" });
  await user.type(box, "ga");
  await screen.findByRole("status", { name: "" }).catch(() => undefined);
  sendCall(ringing());
  const pop = await screen.findByRole("region", { name: "Phone call" });
  expect(within(pop).getByText(/Incoming call from \(217\) 555-0101/)).toBeTruthy();
  expect(pop.textContent).toContain("María García");
  expect(document.activeElement).toBe(box);
  await user.type(box, "r");
  expect((box as HTMLInputElement).value).toBe("gar");
  await user.keyboard("{F2}");
  expect(await screen.findByRole("region", { name: "María García" })).toBeTruthy();
  expect(screen.getByRole("region", { name: "Call intake" })).toBeTruthy();
  // The workspace lists the patient's calls from the log.
  expect(await screen.findByText("Desk 1")).toBeTruthy();
  expect(screen.getByText("2 min 55 s")).toBeTruthy();
});

test("a household gets a quick choice: F2 moves to it and a number key chooses", async () => {
  const user = userEvent.setup();
  renderApp();
  sendCall(ringing([hit, brother]));
  const pop = await screen.findByRole("region", { name: "Phone call" });
  expect(within(pop).getByText(/2 patients share this number/)).toBeTruthy();
  expect(pop.textContent).toContain("contact María García (mother)");
  await user.keyboard("{F2}");
  expect(document.activeElement?.textContent).toContain("María García");
  await user.keyboard("2");
  expect(chooseCaller).toHaveBeenCalledWith("CA1", { source: "demo", id: "pat-000002" });
  expect(await screen.findByRole("region", { name: "María García" })).toBeTruthy();
});

test("an unknown caller gets the search filled with the number and a new-caller intake", async () => {
  const user = userEvent.setup();
  renderApp();
  sendCall({ ...ringing([]), number: "+13125550199" });
  const pop = await screen.findByRole("region", { name: "Phone call" });
  expect(pop.textContent).toContain("new caller");
  await user.keyboard("{F2}");
  const box = screen.getByRole("combobox", { name: "Find a patient" }) as HTMLInputElement;
  expect(box.value).toBe("+13125550199");
  expect(document.activeElement).toBe(box);
  const intake = screen.getByRole("region", { name: "Call intake" });
  await user.type(within(intake).getByLabelText("What the caller says"), "my chest hurts");
  expect(await within(intake).findByText(/Find the patient in the search first/)).toBeTruthy();
  expect((within(intake).getByRole("button", { name: /Send note and task/ }) as HTMLButtonElement).disabled).toBe(true);
});

test("an answered call opens its patient by itself, and an ended one says it was logged", async () => {
  renderApp();
  sendCall({ ...ringing(), state: "answered" });
  expect(await screen.findByRole("region", { name: "María García" })).toBeTruthy();
  sendCall({ ...ringing(), state: "ended", seconds: 95, logged: true });
  expect(await screen.findByText(/ended after 1 min 35 s · logged/)).toBeTruthy();
});

test("the intake shows an emergency script and the words a rule fired on, and sends the edited summary", async () => {
  const user = userEvent.setup();
  await user.click(within(await openPatient(user)).getByRole("button", { name: /Call intake/ }));
  const intake = screen.getByRole("region", { name: "Call intake" });
  await user.type(within(intake).getByLabelText("What the caller says"), "I have chest pain");
  const alert = await within(intake).findByRole("alert");
  expect(alert.textContent).toContain("call 911");
  expect(within(intake).getByText(/Chest pain that may be cardiac/).closest("li")?.textContent).toContain("“chest pain”");
  expect(intake.querySelector("mark")?.textContent).toBe("chest pain");
  const summary = within(intake).getByLabelText(/Chart summary/) as HTMLTextAreaElement;
  expect(summary.value).toContain("Reports: chest pain");
  await user.type(summary, " Advised 911.");
  await user.click(within(intake).getByRole("button", { name: /Send note and task to nurse triage/ }));
  expect(confirmIntake).toHaveBeenCalledWith("demo", "pat-000001", "I have chest pain", "Patient called.\nReports: chest pain. Advised 911.", "emergency", {});
});

test("red-flag questions take one key each, raise the urgency through the rules, and go with the intake", async () => {
  const user = userEvent.setup();
  await user.click(within(await openPatient(user)).getByRole("button", { name: /Call intake/ }));
  const intake = screen.getByRole("region", { name: "Call intake" });
  const note = within(intake).getByLabelText("What the caller says");
  await user.type(note, "I have headache and wonky");
  expect(await within(intake).findByText("Did it come on suddenly, the worst headache ever?")).toBeTruthy();
  expect(within(intake).getAllByText("not asked")).toHaveLength(2);
  // Words the assistant did not understand are marked in the note.
  expect(intake.querySelector("mark.unknown")?.textContent).toBe("wonky");
  // Alt+1 in the note answers the first question yes; the reading is asked again with it.
  await user.keyboard("{Alt>}1{/Alt}");
  expect(await within(intake).findByText("answered yes")).toBeTruthy();
  expect(analyzeIntake).toHaveBeenLastCalledWith("I have headache and wonky", { "head-sudden": "yes" });
  expect(within(intake).getAllByText("Emergency").length).toBeGreaterThan(0);
  expect((note as HTMLTextAreaElement).value).toBe("I have headache and wonky");
  // The second by its button: no.
  await user.click(within(within(intake).getByRole("group", { name: "Is the neck stiff?" })).getByRole("button", { name: "No" }));
  expect(await within(intake).findByText("answered no")).toBeTruthy();
  await user.click(within(intake).getByRole("button", { name: /Send note and task/ }));
  expect(confirmIntake).toHaveBeenLastCalledWith("demo", "pat-000001", "I have headache and wonky", expect.any(String), "emergency", { "head-sudden": "yes", "head-neck": "no" });
});

test("with a language model configured, its second opinion can raise the urgency that is sent", async () => {
  intakeModel.mockResolvedValueOnce(true);
  const user = userEvent.setup();
  await user.click(within(await openPatient(user)).getByRole("button", { name: /Call intake/ }));
  const intake = screen.getByRole("region", { name: "Call intake" });
  // "?" and "/" are typed into the note, not taken as shortcuts.
  await user.type(within(intake).getByLabelText("What the caller says"), "he keeps mixing up words?/");
  expect((within(intake).getByLabelText("What the caller says") as HTMLTextAreaElement).value).toBe("he keeps mixing up words?/");
  expect(screen.queryByRole("dialog")).toBeNull();
  expect(within(intake).getByText("Routine")).toBeTruthy();
  await user.click(await within(intake).findByRole("button", { name: "Ask the language model" }));
  expect(await within(intake).findByText(/Language model: added slurred_speech; 1 item\(s\) discarded/)).toBeTruthy();
  expect(within(intake).getAllByText("Emergency").length).toBeGreaterThan(0);
  await user.click(within(intake).getByRole("button", { name: /Send note and task/ }));
  expect(confirmIntake).toHaveBeenLastCalledWith("demo", "pat-000001", "he keeps mixing up words?/", expect.any(String), "emergency", {});
});

/// No screen shows a machine timestamp: every time goes through the formatters (src/format.ts).
test("no screen renders a raw ISO timestamp", async () => {
  const user = userEvent.setup();
  const iso = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
  const noIso = () => expect(document.body.textContent ?? "").not.toMatch(iso);
  renderApp();
  await screen.findByText(/1,000 patients/);
  await screen.findByRole("table");
  noIso();
  await user.type(screen.getByRole("combobox", { name: "Find a patient" }), "gar");
  await screen.findByRole("option", { name: /María García/ });
  noIso();
  await user.keyboard("{Enter}");
  const workspace = await screen.findByRole("region", { name: "María García" });
  await within(workspace).findByText(/Penicillin/);
  noIso();
  await user.click(within(workspace).getAllByRole("button", { name: /Potassium/ })[0]);
  noIso();
  for (const name of ["Schedule", "Sources", "Rules"]) {
    await user.click(screen.getByRole("button", { name }));
    await screen.findByRole("heading", { name: new RegExp(name) });
    noIso();
  }
});
