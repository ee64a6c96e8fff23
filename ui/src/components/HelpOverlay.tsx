import { useTranslation } from "react-i18next";
import { Modal } from "./Modal";

const SHORTCUTS: [string, string][] = [
  ["Ctrl+K, /", "help.search"],
  ["↑ ↓, Enter", "help.results"],
  ["Esc", "help.escape"],
  ["N", "actions.note"],
  ["T", "actions.task_create"],
  ["B", "actions.book"],
  ["R", "actions.remind"],
  ["F2", "help.call"],
  ["I", "help.intake"],
  ["Ctrl+L", "help.lock"],
  ["?", "help.toggle"],
];

/// Every keyboard shortcut, opened with "?".
export function HelpOverlay({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <Modal title={t("help.title")} onClose={onClose}>
      <table>
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={keys}>
              <td><kbd>{keys}</kbd></td>
              <td>{t(what)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button autoFocus onClick={onClose}>{t("actions.close")}</button>
    </Modal>
  );
}
