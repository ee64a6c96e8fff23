import { FormEvent, ReactNode, useRef } from "react";
import { useDraft } from "../drafts";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage, type OutboxRow, type Queued, type StaffAction, type TaskPriority } from "../ipc";
import { SlotPicker } from "./SlotPicker";

/// What a form is about: the action kind and, where it acts on one record, that record's id.
export type FormTarget =
  | { kind: "note" | "task_create" | "book" | "remind" }
  | { kind: "task_claim" | "task_complete"; task: string }
  | { kind: "cancel" | "reschedule"; appointment: string };

const USER_KEY = "switchboard.user";

/// Every priority, lowest first; the record makes the compiler check it against the generated type.
const PRIORITY_ORDER: Record<TaskPriority, number> = { routine: 0, urgent: 1, asap: 2, stat: 3 };
const PRIORITIES = (Object.keys(PRIORITY_ORDER) as TaskPriority[]).sort((a, b) => PRIORITY_ORDER[a] - PRIORITY_ORDER[b]);

/// The outbox line of an action just queued, until the outbox is read again.
function pendingRow(rows: OutboxRow[], queued: Queued, source: string, kind: string): OutboxRow {
  const now = new Date().toISOString();
  const seq = rows.reduce((max, r) => Math.max(max, r.seq), 0) + 1;
  return { seq, id: queued.id, source, kind, target: queued.target, intent: "", state: queued.state, attempts: 0, notBefore: null, error: null, result: null, createdAt: now, updatedAt: now, actor: null };
}

/// One form for every staff action. Submitting queues the action; it shows at once, marked pending.
export function ActionForm({ source, patient, target, onDone }: { source: string; patient: string; target: FormTarget; onDone: () => void }) {
  const { t } = useTranslation();
  const queries = useQueryClient();
  const blank = { priority: "routine", owner: localStorage.getItem(USER_KEY) ?? "" };
  const [fields, setFields] = useDraft<Record<string, string>>(`form:${source}/${patient}:${JSON.stringify(target)}`, blank);
  // Sent or closed: the form starts blank next time (only a lock keeps it half-written).
  const finish = () => {
    setFields(blank);
    onDone();
  };
  const set = (name: string) => (e: { target: { value: string } }) => setFields((f) => ({ ...f, [name]: e.target.value }));
  const needsSlot = target.kind === "book" || target.kind === "reschedule";
  // Signed in, a claim is the person's own: Rust names them.
  const claimsAs = useQuery({ queryKey: ["clinic"], queryFn: ipc.clinic, staleTime: Infinity }).data?.claimsAs ?? null;
  const slots = useQuery({ queryKey: ["free-slots", source, patient], queryFn: () => ipc.freeSlots(source, patient), enabled: needsSlot });
  const form = useRef<HTMLFormElement>(null);
  // A slot picked: on to the reason, or to the button when there is none.
  const pickSlot = (id: string) => {
    setFields((f) => ({ ...f, slot: id }));
    form.current?.querySelector<HTMLElement>("input[name=reason], button[type=submit]")?.focus();
  };
  const submit = useMutation({
    mutationFn: (action: StaffAction) => ipc.queueAction(source, action),
    onSuccess: (queued, action) => {
      // In the outbox at once, pending, even when the worker delivers it before the list is read again.
      queries.setQueryData<OutboxRow[]>(["outbox"], (rows) => rows && !rows.some((r) => r.id === queued.id) ? [...rows, pendingRow(rows, queued, source, action.kind)] : rows);
      void queries.invalidateQueries();
      finish();
    },
  });

  const action = (): StaffAction => {
    const f = fields;
    const optional = (v: string | undefined) => (v && v.trim() ? v : null);
    switch (target.kind) {
      case "note": return { kind: "note", patient, text: f.text ?? "" };
      case "remind": return { kind: "remind", patient, about: f.about ?? "", when: optional(f.when && new Date(f.when).toISOString()) };
      case "task_create": return { kind: "task_create", patient, reason: f.reason ?? "", priority: f.priority as TaskPriority, due: optional(f.due && new Date(f.due).toISOString()), owner: optional(f.owner) };
      case "book": return { kind: "book", patient, slot: f.slot ?? "", reason: optional(f.reason) };
      case "task_claim": return { kind: "task_claim", task: target.task, owner: claimsAs ? "" : f.owner ?? "" };
      case "task_complete": return { kind: "task_complete", task: target.task, note: f.note ?? "" };
      case "cancel": return { kind: "cancel", appointment: target.appointment, reason: f.reason ?? "" };
      case "reschedule": return { kind: "reschedule", appointment: target.appointment, slot: f.slot ?? "" };
    }
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (target.kind === "task_claim" && !claimsAs) localStorage.setItem(USER_KEY, fields.owner ?? "");
    submit.mutate(action());
  };

  const field = (name: string, label: string, input: ReactNode) => (
    <label key={name}>
      {label} {input}
    </label>
  );
  const text = (name: string, label: string, autoFocus = false) =>
    field(name, label, <input name={name} value={fields[name] ?? ""} onChange={set(name)} autoFocus={autoFocus} />);

  return (
    <form
      ref={form}
      className="action-form"
      aria-label={t(`actions.${target.kind}`)}
      onSubmit={onSubmit}
      onKeyDown={(e) => {
        if (e.key === "Escape") finish();
        // Ctrl+Enter sends the form from any field.
        if (e.key === "Enter" && e.ctrlKey) form.current?.requestSubmit();
      }}
    >
      <h3>{t(`actions.${target.kind}`)}</h3>
      {target.kind === "note" && text("text", t("fields.text"), true)}
      {target.kind === "remind" && [
        text("about", t("fields.about"), true),
        field("when", t("fields.when"), <input name="when" type="datetime-local" value={fields.when ?? ""} onChange={set("when")} />),
      ]}
      {target.kind === "task_create" && [
        text("reason", t("fields.reason"), true),
        field("priority", t("fields.priority"), (
          <select name="priority" value={fields.priority} onChange={set("priority")}>
            {PRIORITIES.map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        )),
        field("due", t("fields.due"), <input name="due" type="datetime-local" value={fields.due ?? ""} onChange={set("due")} />),
        text("owner", t("fields.owner")),
      ]}
      {needsSlot && (slots.isLoading ? <p>…</p> : <SlotPicker slots={slots.data ?? []} value={fields.slot ?? ""} onPick={pickSlot} />)}
      {target.kind === "book" && text("reason", t("fields.reason"))}
      {target.kind === "cancel" && text("reason", t("fields.reason"), true)}
      {target.kind === "task_claim" && (claimsAs ? <p>{t("fields.claimingAs", { who: claimsAs })}</p> : text("owner", t("fields.claimAs"), true))}
      {target.kind === "task_complete" && text("note", t("fields.outcome"), true)}
      <div className="buttons">
        <button type="submit" disabled={submit.isPending}>{t("actions.submit")}</button>
        <button type="button" onClick={finish}>{t("actions.close")}</button>
      </div>
      {submit.error && <p role="alert" className="error">{errorMessage(submit.error)}</p>}
    </form>
  );
}
