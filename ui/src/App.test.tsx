// Component tests with the IPC module mocked: the Rust side is exercised by the cargo tests.
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { vi } from "vitest";
import "./i18n";
import { App } from "./App";
import type { PatientHit, PatientView } from "./ipc";

const origin = { source: "demo", syncedAt: "2026-11-26T00:00:00Z", pending: false };
const hit: PatientHit = {
  source: "demo", id: "pat-000001", name: "María García", family: "García", given: "María", gender: "female",
  birthDate: "1980-03-05", age: 46, mrn: "MRN1000000", phones: ["(217) 555-0101"],
};
const view: PatientView = {
  patient: { ...hit, address: "1 Main St", ...origin },
  allergies: [{ id: "a1", substance: "Penicillin", criticality: "high", status: "active", reactions: ["Hives"], ...origin }],
  encounters: [],
  medications: { active: [{ id: "m1", name: "lisinopril 10 MG Oral Tablet", dosage: "1 daily", status: "active", date: null, kind: "MedicationRequest", ...origin }], past: [] },
  labs: [{
    code: "2823-3", name: "Potassium", category: "laboratory", unit: "mmol/L", range: "3.5-5.1 mmol/L",
    latest: { id: "o1", date: "2026-11-20T09:00:00Z", value: "6.9 mmol/L", numeric: 6.9, status: "final", flag: "critical-high", ...origin },
    history: [{ id: "o1", date: "2026-11-20T09:00:00Z", value: "6.9 mmol/L", numeric: 6.9, status: "final", flag: "critical-high", ...origin }],
  }],
  appointments: { upcoming: [], past: [], cancelled: [], noShows: [] },
  tasks: [],
  sources: [{ name: "demo", baseUrl: "builtin:demo-clinic", lastSynced: "2026-11-26T00:00:00Z", lastError: null }],
};

const searchPatients = vi.fn(async (text: string) => (text.toLowerCase().startsWith("gar") ? [hit] : []));
vi.mock("./ipc", () => ({
  ipc: {
    overview: async () => ({ counts: [["Patient", 1000]], sources: [] }),
    searchPatients: (text: string) => searchPatients(text),
    patientView: async () => view,
  },
  errorMessage: (e: unknown) => String(e),
}));

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
  const critical = within(workspace).getByText(/6.9 mmol\/L/);
  expect(critical.className).toBe("flag-critical-high");
  expect(searchPatients).toHaveBeenCalledWith("gar");
  expect(screen.queryByRole("option", { name: /María García/ })).toBeNull();
});

test("shows when nothing matches, and the count of cached patients", async () => {
  const user = userEvent.setup();
  renderApp();
  expect(await screen.findByText(/1000 patients/)).toBeTruthy();
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
