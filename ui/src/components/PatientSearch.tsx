import { RefObject, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";
import type { Selected } from "../App";

type Props = { inputRef: RefObject<HTMLInputElement | null>; onOpen: (patient: Selected) => void };

/// Search as you type; arrow keys move through the results, Enter opens one.
export function PatientSearch({ inputRef, onOpen }: Props) {
  const { t } = useTranslation();
  const [text, setText] = useState("");
  const [active, setActive] = useState(0);
  const query = text.trim();
  const hits = useQuery({ queryKey: ["search", query], queryFn: () => ipc.searchPatients(query), enabled: query.length > 0 });
  const results = hits.data ?? [];

  // Opening a patient closes the list, ready for the next search.
  const open = (patient: Selected) => {
    onOpen(patient);
    setText("");
  };
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === "ArrowDown") setActive((i) => Math.min(i + 1, results.length - 1));
    else if (e.key === "ArrowUp") setActive((i) => Math.max(i - 1, 0));
    else if (e.key === "Enter" && results[active]) open({ source: results[active].source, id: results[active].id });
    else if (e.key === "Escape") setText("");
    else return;
    e.preventDefault();
  };

  return (
    <div className="search">
      <label>
        <span className="visually-hidden">{t("search.label")}</span>
        <input
          ref={inputRef}
          type="search"
          autoFocus
          autoComplete="off"
          role="combobox"
          aria-expanded={results.length > 0}
          aria-controls="results"
          placeholder={t("search.placeholder")}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
        />
      </label>
      {query && (
        <ol id="results" role="listbox" aria-label={t("search.label")}>
          {hits.error && <li className="error">{errorMessage(hits.error)}</li>}
          {hits.isSuccess && results.length === 0 && <li>{t("search.none")}</li>}
          {results.map((hit, i) => (
            <li key={`${hit.source}/${hit.id}`} role="option" aria-selected={i === active} onClick={() => open({ source: hit.source, id: hit.id })}>
              <strong>{hit.name}</strong>
              <small>
                {[hit.gender, `${hit.birthDate ?? "–"} (${hit.age ?? "?"}y)`, hit.phones[0], hit.mrn].filter(Boolean).join(" · ")}
              </small>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
