import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";

/// The active orchestration rules and where each comes from (built-in, or the clinic's rules file).
export function RulesSettings() {
  const { t } = useTranslation();
  const rules = useQuery({ queryKey: ["rules"], queryFn: ipc.rules });
  return (
    <section aria-label={t("rules.title")}>
      <h2>{t("rules.title")}</h2>
      <p>{t("rules.intro")}</p>
      {rules.error && <p role="alert" className="error">{errorMessage(rules.error)}</p>}
      <table>
        <thead>
          <tr><th>{t("rules.id")}</th><th>{t("rules.when")}</th><th>{t("rules.makes")}</th><th>{t("rules.origin")}</th></tr>
        </thead>
        <tbody>
          {(rules.data ?? []).map((rule) => (
            <tr key={rule.id}>
              <td><strong>{rule.id}</strong><br /><small>{rule.description}</small></td>
              <td>{t(`rules.on.${rule.on}`)}</td>
              <td>{rule.makes}</td>
              <td>{rule.origin.kind === "builtin" ? t("rules.builtin") : rule.origin.file}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
