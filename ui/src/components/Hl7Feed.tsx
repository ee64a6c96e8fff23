import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";
import { useFormats } from "../format";

/// The HL7 feed's dead letters for IT, on the machine that runs `switchboard hl7 serve`: each refused
/// or held message, why, and a Replay once the cause is fixed. Hidden where no receiver runs.
export function Hl7Feed() {
  const { t } = useTranslation();
  const f = useFormats();
  const queries = useQueryClient();
  const feed = useQuery({ queryKey: ["hl7-problems"], queryFn: ipc.hl7Problems, refetchInterval: 5000 });
  const replay = useMutation({ mutationFn: ipc.hl7Replay, onSuccess: () => void queries.invalidateQueries({ queryKey: ["hl7-problems"] }) });
  if (feed.error) return <p role="alert" className="error">{errorMessage(feed.error)}</p>;
  if (!feed.data?.receives) return null;
  const outcome = (state: string) => (state === "refused" || state === "held" || state === "applied" ? t(`hl7.${state}`) : state);
  return (
    <section aria-label={t("hl7.title")}>
      <h3>{t("hl7.title")}</h3>
      {feed.data.messages.length === 0 ? (
        <p>{t("hl7.none")}</p>
      ) : (
        <table className="hl7-problems">
          <thead>
            <tr>
              <th>{t("hl7.received")}</th><th>{t("hl7.sender")}</th><th>{t("hl7.control")}</th><th>{t("hl7.type")}</th>
              <th>{t("hl7.outcome")}</th><th>{t("hl7.reason")}</th><th />
            </tr>
          </thead>
          <tbody>
            {feed.data.messages.map((m) => (
              <tr key={m.seq}>
                <td>{f.since(m.receivedAt)}</td><td>{m.sender}</td><td>{m.controlId}</td><td>{m.kind}</td>
                <td>{outcome(m.state)} ({m.ackCode})</td><td>{m.reason}</td>
                <td><button onClick={() => replay.mutate(m.seq)} disabled={replay.isPending}>{t("hl7.replay")}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {replay.data && <p role="status">{t("hl7.replayed", { seq: replay.data.seq, state: outcome(replay.data.state) })}</p>}
      {replay.error && <p role="alert" className="error">{errorMessage(replay.error)}</p>}
    </section>
  );
}
