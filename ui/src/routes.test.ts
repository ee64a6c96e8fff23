import { describe, expect, it } from "vitest";
import { routeOf } from "./routes";

describe("routeOf", () => {
  const patient = { source: "demo", id: "pat-1" };
  it("shows a chosen settings screen over everything", () => {
    expect(routeOf("sources", patient, { callId: "c1", number: "+1" }, true)).toEqual({ kind: "sources" });
    expect(routeOf("schedule", null, null, false)).toEqual({ kind: "schedule" });
  });
  it("on home shows the open patient, else a new caller's intake, else the worklist", () => {
    expect(routeOf("home", patient, null, true)).toEqual({ kind: "patient", patient, intake: true });
    expect(routeOf("home", null, { callId: "c1", number: "+12175550101" }, true)).toEqual({ kind: "new-caller-intake", callId: "c1" });
    expect(routeOf("home", null, { callId: "c1", number: "+12175550101" }, false)).toEqual({ kind: "worklist" });
    expect(routeOf("home", null, { callId: "c1", number: null }, true)).toEqual({ kind: "worklist" });
  });
});
