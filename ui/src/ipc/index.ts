// The only module that talks to the Rust side. Every type here is generated from Rust (src/bindings).
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { BoundaryError } from "../bindings/BoundaryError";
import type { Overview } from "../bindings/Overview";
import type { PatientHit } from "../bindings/PatientHit";
import type { PatientView } from "../bindings/PatientView";
import type { StaffAction } from "../bindings/StaffAction";
import type { OutboxState } from "../bindings/OutboxState";
import type { TaskPriority } from "../bindings/TaskPriority";
import type { Queued } from "../bindings/Queued";
import type { OutboxRow } from "../bindings/OutboxRow";
import type { FreeSlot } from "../bindings/FreeSlot";
import type { WorkItem } from "../bindings/WorkItem";
import type { Worklist } from "../bindings/Worklist";
import type { WorklistFilter } from "../bindings/WorklistFilter";
import type { SourceView } from "../bindings/SourceView";
import type { ScheduleColumn } from "../bindings/ScheduleColumn";
import type { DataChanged } from "../bindings/DataChanged";
import type { SyncProgress } from "../bindings/SyncProgress";
import type { RuleView } from "../bindings/RuleView";
import type { AlertRow } from "../bindings/AlertRow";
import type { CallPop } from "../bindings/CallPop";
import type { CallRow } from "../bindings/CallRow";
import type { Intake } from "../bindings/Intake";
import type { PatientRef } from "../bindings/PatientRef";
import type { AuditFilter } from "../bindings/AuditFilter";
import type { AuditRow } from "../bindings/AuditRow";
import type { ReviewPair } from "../bindings/ReviewPair";
import type { PatientRecord } from "../bindings/PatientRecord";
import type { SecondOpinion } from "../bindings/SecondOpinion";
import type { Urgency } from "../bindings/Urgency";
import type { Answer } from "../bindings/Answer";
import type { Question } from "../bindings/Question";
import type { Language } from "../bindings/Language";
import type { PhoneStatus } from "../bindings/PhoneStatus";
import type { ClinicInfo } from "../bindings/ClinicInfo";
import type { Hl7Problems } from "../bindings/Hl7Problems";
import type { Hl7Logged } from "../bindings/Hl7Logged";

export type { Answer, ClinicInfo, Hl7Logged, Hl7Problems, CallPop, Language, CallRow, Intake, PatientRef, PhoneStatus, Question, SecondOpinion, Urgency };
/// The agent's answers to the red-flag questions, by question id; a question not in it was not asked.
export type Answers = Record<string, Answer>;
export type { StaffAction, OutboxState, TaskPriority, AlertRow, BoundaryError, RuleView, SyncProgress, FreeSlot, OutboxRow, Overview, PatientHit, PatientView, Queued, ScheduleColumn, SourceView, WorkItem, Worklist, WorklistFilter };

export const ipc = {
  overview: () => invoke<Overview>("overview"),
  searchPatients: (text: string) => invoke<PatientHit[]>("search_patients", { text }),
  /// A partial cache's second step: asks the server, keeps what it found, returns the cache's results.
  searchServer: (text: string) => invoke<PatientHit[]>("search_server", { text }),
  patientView: (source: string, id: string) => invoke<PatientView | null>("patient_view", { source, id }),
  queueAction: (source: string, action: StaffAction) => invoke<Queued>("queue_action", { source, action }),
  outbox: () => invoke<OutboxRow[]>("outbox"),
  setActionState: (id: string, to: Extract<OutboxState, "pending" | "discarded">) => invoke<boolean>("set_action_state", { id, to }),
  freeSlots: (source: string, patient: string | null) => invoke<FreeSlot[]>("free_slots", { source, patient }),
  worklist: (filter: WorklistFilter) => invoke<Worklist>("worklist", { filter }),
  sources: () => invoke<SourceView[]>("sources"),
  /// The HL7 feed's refused and held messages, when this machine runs the receiver.
  hl7Problems: () => invoke<Hl7Problems>("hl7_problems"),
  hl7Replay: (seq: number) => invoke<Hl7Logged>("hl7_replay", { seq }),
  saveSource: (name: string, fhir: string) => invoke<boolean>("save_source", { name, fhir }),
  syncNow: () => invoke<void>("sync_now"),
  /// Asks the background worker to fetch this patient again; `data-changed` follows when anything changed.
  refreshPatient: (source: string, id: string) => invoke<void>("refresh_patient", { source, id }),
  onSyncProgress: (onProgress: (progress: SyncProgress) => void) => listen<SyncProgress>("sync-progress", (event) => onProgress(event.payload)),
  /// Calls `onChange` whenever the background worker changed the cache (a sync, a delivery).
  onDataChanged: (onChange: (change: DataChanged) => void) => listen<DataChanged>("data-changed", (event) => onChange(event.payload)),
  rules: () => invoke<RuleView[]>("rules"),
  alerts: () => invoke<AlertRow[]>("alerts"),
  dismissAlert: (key: string) => invoke<boolean>("dismiss_alert", { key }),
  /// Calls `onCall` for every call event the phone system (or `switchboard call`, or a tel: link) sends.
  onCall: (onCall: (pop: CallPop) => void) => listen<CallPop>("call", (event) => onCall(event.payload)),
  currentCall: () => invoke<CallPop | null>("current_call"),
  chooseCaller: (callId: string, patient: PatientRef) => invoke<CallPop>("choose_caller", { callId, patient }),
  patientCalls: (source: string, id: string) => invoke<CallRow[]>("patient_calls", { source, id }),
  auditLog: (filter: AuditFilter) => invoke<AuditRow[]>("audit_log", { filter }),
  reviewQueue: () => invoke<ReviewPair[]>("review_queue"),
  decideLink: (record: PatientRecord, other: PatientRecord, same: boolean) => invoke<Queued>("decide_link", { record, other, same }),
  /// "Not the same person" against every other record the person holds.
  unlinkRecord: (record: PatientRecord) => invoke<Queued[]>("unlink_record", { record }),
  lockScreen: () => invoke<void>("lock_screen"),
  signIn: (source: string) => invoke<string>("sign_in", { source }),
  signOut: (source: string) => invoke<void>("sign_out", { source }),
  /// Unlocks with the PIN when given, else by signing in again (when someone signed in here).
  unlockScreen: (pin?: string) => invoke<void>("unlock_screen", { pin: pin ?? null }),
  setUnlockPin: (pin: string) => invoke<void>("set_unlock_pin", { pin }),
  analyzeIntake: (note: string, answers: Answers, language: Language, patient: PatientRef | null) =>
    invoke<Intake>("analyze_intake", { note, answers, language, patient }),
  confirmIntake: (source: string, patient: string, note: string, summary: string, urgency: Urgency, answers: Answers) =>
    invoke<Queued>("confirm_intake", { source, patient, note, summary, urgency, answers }),
  intakeModel: () => invoke<boolean>("intake_model"),
  phoneStatus: () => invoke<PhoneStatus>("phone_status"),
  clinic: () => invoke<ClinicInfo>("clinic"),
  intakeSecondOpinion: (note: string) => invoke<SecondOpinion>("intake_second_opinion", { note }),
  schedule: (source: string, from: Date, to: Date) =>
    invoke<ScheduleColumn[]>("schedule", { source, from: from.toISOString(), to: to.toISOString() }),
};

/// The words of an error from the Rust side (`{ code, message }`), or of anything else thrown.
export function errorMessage(error: unknown): string {
  if (error && typeof error === "object" && "message" in error) return String((error as BoundaryError).message);
  return String(error);
}
