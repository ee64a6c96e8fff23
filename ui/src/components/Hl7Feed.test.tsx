// The HL7 feed's dead letters on the Sources page: hidden where no receiver runs; where one does, each
// refused or held message with why, and Replay. The IPC module is mocked; the receiver, its log and the
// replay run in cargo tests against Helios, and in the window in e2e_hl7.
import { cleanup, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { vi } from "vitest";
import "../i18n";
import { Hl7Feed } from "./Hl7Feed";
import type { Hl7Logged, Hl7Problems } from "../ipc";

const held: Hl7Logged = {
  seq: 7, sender: "LIS|ACME LAB", controlId: "K77", kind: "ORU^R01", receivedAt: new Date(Date.now() - 60_000).toISOString(), state: "held",
  ackCode: "AA", errorCode: null, reason: "PID may be record 12 in `clinic` (score 14.2); staff must confirm", actionId: null,
};
let feed: Hl7Problems = { receives: false, messages: [] };
const hl7Problems = vi.fn(async () => feed);
const hl7Replay = vi.fn(async (seq: number) => {
  feed = { receives: true, messages: [] };
  return { ...held, seq, state: "applied", reason: null, actionId: "act-9" };
});

vi.mock("../ipc", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../ipc")>()),
  ipc: {
    clinic: async () => ({ timeZone: "America/Chicago", phoneRegion: "US", demo: null, idleLockMinutes: 10, actingAs: "desk-1", role: null, unlockPin: false, claimsAs: null, asksServer: false, linksSources: false }),
    hl7Problems: () => hl7Problems(),
    hl7Replay: (seq: number) => hl7Replay(seq),
  },
}));

function renderFeed() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(<QueryClientProvider client={client}><Hl7Feed /></QueryClientProvider>);
}

test("where no receiver runs, the section is not shown", async () => {
  const { container } = renderFeed();
  await vi.waitFor(() => expect(hl7Problems).toHaveBeenCalled());
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(container.textContent).toBe("");
});

test("where the receiver runs, a held message is listed with why, and Replay applies it", async () => {
  feed = { receives: true, messages: [held] };
  const user = userEvent.setup();
  renderFeed();
  const section = await screen.findByRole("region", { name: "HL7 feed: messages refused or held" });
  const row = (await within(section).findByText("K77")).closest("tr")!;
  expect(row.textContent).toContain("held for review (AA)");
  expect(row.textContent).toContain("staff must confirm");
  expect(row.textContent).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  await user.click(within(row).getByRole("button", { name: "Replay" }));
  expect(hl7Replay).toHaveBeenCalledWith(7);
  expect((await within(section).findByRole("status")).textContent).toBe("Message 7 replayed: applied");
  expect(await within(section).findByText("No message was refused or held.")).toBeTruthy();
  cleanup();
});
