// The search box on a partial cache: the server is asked once typing stops, says so while it is
// asked, and its answer joins the cache's. The IPC module is mocked; the Rust side runs in cargo tests.
import { createRef } from "react";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { vi } from "vitest";
import "../i18n";
import { PatientSearch } from "./PatientSearch";
import type { PatientHit } from "../ipc";

const hit: PatientHit = {
  source: "ehr", id: "pat-000042", name: "Ana Quispe", family: "Quispe", given: "Ana", gender: "female",
  birthDate: "1961-02-03", age: 65, mrn: "MRN42", phones: [], alsoIn: [],
} as unknown as PatientHit;

let asksServer = true;
/// The server's pending answers, by the text asked.
const answers: Record<string, (hits: PatientHit[]) => void> = {};
const searchPatients = vi.fn(async (_text: string): Promise<PatientHit[]> => []);
const searchServer = vi.fn((text: string) => new Promise<PatientHit[]>((resolve) => { answers[text] = resolve; }));

vi.mock("../ipc", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../ipc")>()),
  ipc: {
    clinic: async () => ({ timeZone: "America/Chicago", phoneRegion: "US", demo: null, idleLockMinutes: 10, actingAs: "desk-1", role: null, unlockPin: false, claimsAs: null, asksServer, linksSources: false }),
    searchPatients: (text: string) => searchPatients(text),
    searchServer: (text: string) => searchServer(text),
  },
}));

function renderSearch() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(<QueryClientProvider client={client}><PatientSearch inputRef={createRef()} onOpen={() => undefined} /></QueryClientProvider>);
  return screen.getByRole("combobox", { name: "Find a patient" });
}

test("a partial cache asks the server once typing stops, without holding up the box, and shows what it found", async () => {
  asksServer = true;
  const user = userEvent.setup();
  const box = renderSearch();
  await user.type(box, "quispe");
  // Only the settled text goes to the server, not every keystroke.
  // The status can show a render before the query's effect calls the server, so wait for the call.
  expect(await screen.findByText("Asking the server for more…")).toBeTruthy();
  await waitFor(() => expect(searchServer.mock.calls.map((c) => c[0])).toEqual(["quispe"]));
  // Typing goes on while the server is asked.
  await user.type(box, " a");
  expect((box as HTMLInputElement).value).toBe("quispe a");
  await user.type(box, "{Backspace}{Backspace}");
  answers["quispe"]([hit]);
  expect(await screen.findByRole("option", { name: /Ana Quispe/ })).toBeTruthy();
  expect(screen.queryByText("Asking the server for more…")).toBeNull();
});

test("a full cache never asks the server", async () => {
  asksServer = false;
  searchServer.mockClear();
  const user = userEvent.setup();
  const box = renderSearch();
  await user.type(box, "quispe");
  expect(await screen.findByText("No matching patients")).toBeTruthy();
  await new Promise((resolve) => setTimeout(resolve, 400));
  expect(searchServer).not.toHaveBeenCalled();
});
