import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";
import type { PatientRecord } from "../bindings/PatientRecord";

const named = (record: PatientRecord) => `${record.source} ${record.id}`;

/// A linked person's records, one per system. Staff can take a record out ("not this person") after
/// confirming; the decision reaches every workstation through the shared-work source.
export function LinkedRecords({ records }: { records: PatientRecord[] }) {
  const { t } = useTranslation();
  const [asking, setAsking] = useState<PatientRecord | null>(null);
  const queries = useQueryClient();
  const unlink = useMutation({
    mutationFn: (record: PatientRecord) => ipc.unlinkRecord(record),
    onSuccess: () => {
      setAsking(null);
      void queries.invalidateQueries();
    },
  });
  return (
    <div className="origin">
      {t("patient.records")}:
      {records.map((record) => (
        <span key={named(record)} className="record">
          {" "}
          {named(record)}{" "}
          <button className="inline" aria-label={t("links.unlinkRecord", { record: named(record) })} onClick={() => setAsking(record)}>
            {t("links.unlink")}
          </button>
        </span>
      ))}
      {asking && (
        <p role="alert">
          {t("links.confirmUnlink", { record: named(asking) })}{" "}
          <button disabled={unlink.isPending} onClick={() => unlink.mutate(asking)}>{t("links.unlink")}</button>{" "}
          <button onClick={() => setAsking(null)}>{t("links.keep")}</button>
        </p>
      )}
      {unlink.error && <p role="alert" className="error">{errorMessage(unlink.error)}</p>}
    </div>
  );
}
