// A person linked across systems: the workspace names each row's system and the systems'
// disagreements, and the review screen sends a person's decision. The IPC module is mocked; the
// Rust side (linking, routing, the decision's delivery) runs in cargo tests against Helios.
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { vi } from "vitest";
import type { ReactNode } from "react";
import "../i18n";
import { PatientWorkspace } from "./PatientWorkspace";
import { ReviewLinks } from "./ReviewLinks";
import type { PatientView } from "../bindings/PatientView";
import type { ReviewPair } from "../bindings/ReviewPair";

const at = (source: string) => ({ source, syncedAt: "2026-11-26T00:00:00Z", pending: false });
const banner = { id: "pat-1", name: "Ana Lopez", family: "Lopez", given: "Ana", gender: "female", birthDate: "1980-03-05", age: 46, mrn: "MRN1", phones: ["2175550101"] };
const view: PatientView = {
  patient: { ...banner, address: null, ...at("ehr") },
  allergies: [{ id: "a1", substance: "Penicillin", criticality: "high", status: "active", reactions: [], ...at("ehr") }],
  problems: [
    { id: "c1", condition: "Hypertension", status: "active", onset: "2019-03-01", ...at("ehr") },
    { id: "c9", condition: "Asthma", status: "active", onset: null, ...at("ehr2") },
  ],
  encounters: [],
  medications: { active: [], past: [] },
  labs: [{
    code: "2823-3", name: "Potassium", category: "laboratory", unit: "mmol/L", range: null,
    latest: { id: "o1", date: "2026-11-20T09:00:00Z", value: "4.1 mmol/L", numeric: 4.1, status: "final", flag: "normal", alsoIn: ["ehr"], ...at("lab") },
    history: [],
  }],
  appointments: { upcoming: [], past: [{ id: "ap1", start: "2026-10-01T10:00:00Z", end: null, status: "fulfilled", service: null, practitioner: null, location: null, reason: null, ...at("sched") }], cancelled: [], noShows: [] },
  tasks: [],
  sources: [],
  records: [{ source: "ehr", id: "pat-1" }, { source: "lab", id: "lab-9" }, { source: "sched", id: "sch-4" }],
  conflicts: ["Allergy to Penicillin is recorded in ehr, not in lab"],
};
const pair: ReviewPair = {
  aSource: "ehr", aPatient: "pat-2", bSource: "sched", bPatient: "sch-7", score: 16.5,
  why: "first name agrees (+6.0); family name differs (-2.0); birth date agrees (+12.0)",
  a: { ...banner, id: "pat-2", name: "Rosa Diaz" }, b: { ...banner, id: "sch-7", name: "Rosa Ortega" },
};
const decideLink = vi.fn(async () => ({ id: "act-1", target: "Linkage/sb-act-1" }));
const unlinkRecord = vi.fn(async () => [{ id: "act-2", target: "Linkage/sb-act-2" }]);

vi.mock("../ipc", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../ipc")>()),
  ipc: {
    clinic: async () => ({ timeZone: "America/Chicago", phoneRegion: "US", demo: null, idleLockMinutes: 10, actingAs: "desk-1", role: null, unlockPin: false, claimsAs: null, asksServer: false, linksSources: true }),
    patientView: async () => view,
    refreshPatient: async () => undefined,
    patientCalls: async () => [],
    reviewQueue: async () => [pair],
    decideLink: (...args: unknown[]) => decideLink(...(args as [])),
    unlinkRecord: (...args: unknown[]) => unlinkRecord(...(args as [])),
  },
}));

function withQueries(node: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(<QueryClientProvider client={client}>{node}</QueryClientProvider>);
}

test("a linked person's workspace names each row's system, a result two systems reported, and where they disagree", async () => {
  withQueries(<PatientWorkspace selected={{ source: "ehr", id: "pat-1" }} />);
  expect(await screen.findByText(/Records of this person/)).toBeTruthy();
  expect(screen.getByText("Problems: Hypertension (ehr), Asthma (ehr2)")).toBeTruthy();
  for (const record of ["ehr pat-1", "lab lab-9", "sched sch-4"]) expect(screen.getByRole("button", { name: `Unlink ${record}` })).toBeTruthy();
  const note = screen.getByRole("note");
  expect(within(note).getByText("Allergy to Penicillin is recorded in ehr, not in lab")).toBeTruthy();
  const labs = screen.getAllByRole("table")[0];
  expect(within(labs).getByRole("columnheader", { name: "System" })).toBeTruthy();
  expect(within(labs).getByRole("cell", { name: "lab, ehr" })).toBeTruthy();
  expect(screen.getByRole("cell", { name: "sched" })).toBeTruthy();
});

test("the review screen shows both records side by side and sends a decision", async () => {
  const user = userEvent.setup();
  withQueries(<ReviewLinks />);
  expect(await screen.findByText("Rosa Diaz")).toBeTruthy();
  expect(screen.getByText("Rosa Ortega")).toBeTruthy();
  await user.click(screen.getByRole("button", { name: "Not the same person" }));
  expect(decideLink).toHaveBeenCalledWith({ source: "ehr", id: "pat-2" }, { source: "sched", id: "sch-7" }, false);
});

test("a record is taken out of a person only after staff confirm", async () => {
  const user = userEvent.setup();
  withQueries(<PatientWorkspace selected={{ source: "ehr", id: "pat-1" }} />);
  await user.click(await screen.findByRole("button", { name: "Unlink lab lab-9" }));
  const ask = screen.getByText(/lab lab-9 is not this person\?/);
  expect(unlinkRecord).not.toHaveBeenCalled();
  await user.click(within(ask).getByRole("button", { name: "Keep linked" }));
  expect(screen.queryByText(/is not this person\?/)).toBeNull();
  await user.click(screen.getByRole("button", { name: "Unlink lab lab-9" }));
  await user.click(within(screen.getByText(/lab lab-9 is not this person\?/)).getByRole("button", { name: "Unlink" }));
  expect(unlinkRecord).toHaveBeenCalledWith({ source: "lab", id: "lab-9" });
});
