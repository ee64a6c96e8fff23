import { useTranslation } from "react-i18next";
import { Modal } from "./Modal";
import type { DemoState } from "../bindings/DemoState";

/// Shown once while no clinic is configured: stay on the built-in demo clinic, or connect a FHIR endpoint.
export function FirstRun({ demo, onDemo, onConnect }: { demo: DemoState | null; onDemo: () => void; onConnect: () => void }) {
  const { t } = useTranslation();
  return (
    <Modal title={t("firstRun.title")} onClose={onDemo}>
      <p>{t("firstRun.body")}</p>
      {demo && <p id="first-run-demo">{t(demo.mode === "offline" ? "demo.firstRunOffline" : "demo.firstRunLive")}</p>}
      <div className="buttons">
        <button autoFocus onClick={onDemo}>{t("firstRun.demo")}</button>
        <button onClick={onConnect}>{t("firstRun.connect")}</button>
      </div>
    </Modal>
  );
}
