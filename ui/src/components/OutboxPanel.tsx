import { useEffect } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";

/// Every staff action and where it stands: pending, sent, failed or conflict, with retry and discard.
export function OutboxPanel() {
  const { t } = useTranslation();
  const queries = useQueryClient();
  const rows = useQuery({
    queryKey: ["outbox"],
    queryFn: ipc.outbox,
    // While something is on its way, look again every few seconds.
    refetchInterval: (query) => (query.state.data?.some((r) => r.state === "pending") ? 3000 : false),
  });
  const settledCount = rows.data?.filter((r) => r.state !== "pending").length ?? 0;
  useEffect(() => {
    // A delivery changes what the server holds: the open patient is read again from the cache.
    void queries.invalidateQueries({ queryKey: ["patient"] });
  }, [settledCount, queries]);
  const change = useMutation({
    mutationFn: ({ id, to }: { id: string; to: "pending" | "discarded" }) => ipc.setActionState(id, to),
    onSuccess: () => void queries.invalidateQueries(),
  });
  if (rows.error) return <p role="alert" className="error">{errorMessage(rows.error)}</p>;
  const list = [...(rows.data ?? [])].reverse();
  return (
    <section aria-label={t("outbox.title")} className="outbox">
      <h3>{t("outbox.title")}</h3>
      {list.length === 0 && <p>{t("outbox.empty")}</p>}
      <ul>
        {list.map((row) => (
          <li key={row.id} className={`state-${row.state}`}>
            <strong>{t(`outbox.${row.state}`)}</strong> {t(`actions.${row.kind}`)} · {row.target}
            {row.error && <span className="why"> — {row.error}</span>}
            {(row.state === "failed" || row.state === "conflict") && (
              <>
                {" "}
                <button onClick={() => change.mutate({ id: row.id, to: "pending" })}>{t("outbox.retry")}</button>{" "}
                <button onClick={() => change.mutate({ id: row.id, to: "discarded" })}>{t("outbox.discard")}</button>
              </>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
