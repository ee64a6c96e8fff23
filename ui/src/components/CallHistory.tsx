import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc } from "../ipc";
import type { Selected } from "../types";
import { useFormats } from "../format";

/// The patient's calls from this workstation's log: time, number, duration, agent, disposition.
export function CallHistory({ selected }: { selected: Selected }) {
  const { t } = useTranslation();
  const f = useFormats();
  const calls = useQuery({ queryKey: ["calls", selected.source, selected.id], queryFn: () => ipc.patientCalls(selected.source, selected.id) });
  if (!calls.data?.length) return null;
  return (
    <>
      <h3>{t("call.history")}</h3>
      <table>
        <thead>
          <tr>{["time", "number", "duration", "agent", "disposition"].map((c) => <th key={c}>{t(`call.columns.${c}`)}</th>)}</tr>
        </thead>
        <tbody>
          {calls.data.map((c) => (
            <tr key={c.callId}>
              <td>{f.dateTime(c.started)}</td>
              <td>{f.phone(c.number)}</td>
              <td>{t("call.duration", { minutes: Math.floor(c.seconds / 60), seconds: c.seconds % 60 })}</td>
              <td>{c.agent}</td>
              <td>{t(`call.disposition.${c.disposition}`, { defaultValue: c.disposition })}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
