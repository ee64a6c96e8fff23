import type { ActiveCall, ScreenName, Selected } from "./types";

/// What the main area shows.
export type Route =
  | { kind: "sources" }
  | { kind: "rules" }
  | { kind: "audit" }
  | { kind: "links" }
  | { kind: "schedule" }
  | { kind: "patient"; patient: Selected; intake: boolean }
  | { kind: "new-caller-intake"; callId: string }
  | { kind: "worklist" };

/// The route for the window's state: a settings screen when one is chosen; on home, the open
/// patient, else a new caller's intake, else the worklist.
export function routeOf(screen: ScreenName, selected: Selected | null, call: ActiveCall | null, intakeOpen: boolean): Route {
  if (screen !== "home") return { kind: screen };
  if (selected) return { kind: "patient", patient: selected, intake: intakeOpen };
  if (call?.number && intakeOpen) return { kind: "new-caller-intake", callId: call.callId };
  return { kind: "worklist" };
}
