// UI types shared by the components (the Rust side's types are generated into src/bindings).

/// A patient as the window refers to one: the source it came from and its id there.
export type Selected = { source: string; id: string };

/// The screens the top bar switches between; "home" is the worklist or, with a patient open, the workspace.
export type ScreenName = "home" | "sources" | "schedule" | "rules" | "audit" | "links";

/// The call being handled: its intake stays open across the search for a new caller (`number` set).
export type ActiveCall = { callId: string; number: string | null };
