import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";
import type { AuditFilter } from "../bindings/AuditFilter";
import { useFormats } from "../format";

const DAY_MS = 24 * 60 * 60 * 1000;

/// The supervisor's audit log: who read or did what, newest first, narrowed by user, patient and days.
export function AuditLog() {
  const { t } = useTranslation();
  const f = useFormats();
  const [user, setUser] = useState("");
  const [patient, setPatient] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  // A day typed in the form is the clinic's day: midnight there, to the next midnight for "to".
  const day = (value: string, plus: number) => (value ? new Date(f.startOfDay(Date.parse(`${value}T12:00:00Z`)) + plus).toISOString() : null);
  const filter: AuditFilter = { user: user.trim() || null, patient: patient.trim() || null, since: day(from, 0), until: day(to, DAY_MS), limit: 500 };
  const log = useQuery({ queryKey: ["audit", filter], queryFn: () => ipc.auditLog(filter) });
  return (
    <section aria-label={t("audit.title")}>
      <h2>{t("audit.title")}</h2>
      <form className="buttons" role="search" aria-label={t("audit.filters")} onSubmit={(e) => e.preventDefault()}>
        <label>{t("audit.user")} <input value={user} onChange={(e) => setUser(e.target.value)} /></label>
        <label>{t("audit.patient")} <input value={patient} onChange={(e) => setPatient(e.target.value)} /></label>
        <label>{t("audit.from")} <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} /></label>
        <label>{t("audit.to")} <input type="date" value={to} onChange={(e) => setTo(e.target.value)} /></label>
      </form>
      {log.error && <p role="alert" className="error">{errorMessage(log.error)}</p>}
      {log.isSuccess && log.data.length === 0 && <p>{t("audit.empty")}</p>}
      <table>
        <thead>
          <tr>
            <th>{t("audit.when")}</th><th>{t("audit.action")}</th><th>{t("audit.user")}</th><th>{t("audit.workstation")}</th>
            <th>{t("audit.patient")}</th><th>{t("audit.detail")}</th><th>{t("audit.sent")}</th>
          </tr>
        </thead>
        <tbody>
          {(log.data ?? []).map((row) => (
            <tr key={row.id} className={row.action === "refused" || row.action === "sign-in-failed" ? "overdue" : undefined}>
              <td>{f.dateTime(row.recorded)}</td>
              <td>{t(`audit.actions.${row.action}`)}</td>
              <td>{row.userName}</td>
              <td>{row.workstation}</td>
              <td>{row.patient ?? "–"}</td>
              <td>{row.detail}</td>
              <td>{row.sent ? f.since(row.sent) : t("audit.waiting")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
