import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";
import { useFormats } from "../format";

/// Alerts the rules raised (a follow-up overdue, a task past its due time), until someone dismisses them.
export function AlertsPanel() {
  const { t } = useTranslation();
  const f = useFormats();
  const queries = useQueryClient();
  const alerts = useQuery({ queryKey: ["alerts"], queryFn: ipc.alerts });
  const dismiss = useMutation({ mutationFn: ipc.dismissAlert, onSuccess: () => void queries.invalidateQueries({ queryKey: ["alerts"] }) });
  const list = alerts.data ?? [];
  if (alerts.isSuccess && list.length === 0) return null;
  return (
    <section className="alerts" aria-label={t("alerts.title")}>
      <h3>{t("alerts.title")} ({list.length})</h3>
      {alerts.error && <p role="alert" className="error">{errorMessage(alerts.error)}</p>}
      <ul>
        {list.map((alert) => (
          <li key={alert.key}>
            <strong>{alert.role}</strong>: {alert.message} <small>({alert.subject}, {f.since(alert.raisedAt)}, {alert.rule})</small>{" "}
            <button onClick={() => dismiss.mutate(alert.key)}>{t("alerts.dismiss")}</button>
          </li>
        ))}
      </ul>
    </section>
  );
}
