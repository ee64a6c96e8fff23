import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";
import type { ReviewPair } from "../bindings/ReviewPair";
import type { Banner } from "../bindings/Banner";
import { useFormats } from "../format";

/// One record as staff compare it: system, name, birth date, phone, MRN.
function Record({ source, banner }: { source: string; banner: Banner | null }) {
  const f = useFormats();
  if (!banner) return <>{source}</>;
  return (
    <>
      <strong>{banner.name}</strong> <small>{source}</small>
      <br />
      <small>{[banner.gender, f.date(banner.birthDate), banner.phones[0] && f.phone(banner.phones[0]), banner.mrn].filter(Boolean).join(" · ")}</small>
    </>
  );
}

const keyOf = (pair: ReviewPair) => `${pair.aSource}/${pair.aPatient}|${pair.bSource}/${pair.bPatient}`;

/// Pairs of records in two systems that may be one person: staff decide, and every workstation
/// follows (the decision is kept in the shared-work source).
export function ReviewLinks() {
  const { t } = useTranslation();
  const queue = useQuery({ queryKey: ["review-queue"], queryFn: ipc.reviewQueue });
  const queries = useQueryClient();
  const decide = useMutation({
    mutationFn: ({ pair, same }: { pair: ReviewPair; same: boolean }) =>
      ipc.decideLink({ source: pair.aSource, id: pair.aPatient }, { source: pair.bSource, id: pair.bPatient }, same),
    onSuccess: () => void queries.invalidateQueries(),
  });
  return (
    <section aria-label={t("links.title")}>
      <h2>{t("links.title")}</h2>
      <p>{t("links.intro")}</p>
      {queue.error && <p role="alert" className="error">{errorMessage(queue.error)}</p>}
      {decide.error && <p role="alert" className="error">{errorMessage(decide.error)}</p>}
      {queue.isSuccess && queue.data.length === 0 && <p>{t("links.empty")}</p>}
      {queue.isSuccess && queue.data.length > 0 && (
        <table>
          <thead>
            <tr><th>{t("links.record")}</th><th>{t("links.other")}</th><th>{t("links.score")}</th><th>{t("links.why")}</th><th /></tr>
          </thead>
          <tbody>
            {queue.data.map((pair) => (
              <tr key={keyOf(pair)}>
                <td><Record source={pair.aSource} banner={pair.a} /></td>
                <td><Record source={pair.bSource} banner={pair.b} /></td>
                <td>{pair.score.toFixed(1)}</td>
                <td>{pair.why}</td>
                <td className="buttons">
                  <button disabled={decide.isPending} onClick={() => decide.mutate({ pair, same: true })}>{t("links.same")}</button>
                  <button disabled={decide.isPending} onClick={() => decide.mutate({ pair, same: false })}>{t("links.notSame")}</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
