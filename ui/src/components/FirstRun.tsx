import { useTranslation } from "react-i18next";
import { Modal } from "./Modal";

/// Shown once while no clinic is configured: stay on the built-in demo clinic, or connect a FHIR endpoint.
export function FirstRun({ onDemo, onConnect }: { onDemo: () => void; onConnect: () => void }) {
  const { t } = useTranslation();
  return (
    <Modal title={t("firstRun.title")} onClose={onDemo}>
      <p>{t("firstRun.body")}</p>
      <div className="buttons">
        <button autoFocus onClick={onDemo}>{t("firstRun.demo")}</button>
        <button onClick={onConnect}>{t("firstRun.connect")}</button>
      </div>
    </Modal>
  );
}
