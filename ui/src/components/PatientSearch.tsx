import { RefObject, useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { Command } from "cmdk";
import { ipc, errorMessage } from "../ipc";
import type { Selected } from "../types";
import { useFormats } from "../format";

type Props = {
  inputRef: RefObject<HTMLInputElement | null>;
  onOpen: (patient: Selected) => void;
  /// Text to put in the box (a new caller's number, or nothing when a call opens a patient); `nonce`
  /// changes each time it is asked for; `focus` moves the cursor there.
  prefill?: { text: string; nonce: number; focus: boolean };
};

const keyOf = (hit: Selected) => `${hit.source}/${hit.id}`;

/// Fewer local results than this, on a partial cache, and the server is asked too.
const ENOUGH_LOCAL_HITS = 10;
/// How long typing must stop before the server is asked.
const SERVER_SEARCH_DELAY_MS = 150;

/// `value` once it has stayed the same for `delay` ms.
function useSettled(value: string, delay: number): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delay);
    return () => clearTimeout(timer);
  }, [value, delay]);
  return settled;
}

/// Search as you type (cmdk's combobox: arrow keys move through the results, Enter opens one). The
/// cache ranks the results, so cmdk's own filtering is off.
export function PatientSearch({ inputRef, onOpen, prefill }: Props) {
  const { t } = useTranslation();
  const f = useFormats();
  const [text, setText] = useState("");
  useEffect(() => {
    if (!prefill) return;
    setText(prefill.text);
    if (prefill.focus) inputRef.current?.focus();
  }, [prefill?.nonce]);
  const [active, setActive] = useState("");
  const query = text.trim();
  const hits = useQuery({ queryKey: ["search", query], queryFn: () => ipc.searchPatients(query), enabled: query.length > 0 });
  // A partial cache may lack the patient: once typing stops, the server is asked too (in the
  // background; the box keeps taking keys), and its answer, which includes the cache's, replaces it.
  const asksServer = useQuery({ queryKey: ["clinic"], queryFn: ipc.clinic, staleTime: Infinity }).data?.asksServer ?? false;
  const settled = useSettled(query, SERVER_SEARCH_DELAY_MS);
  const wantsMore = asksServer && settled === query && query.length > 1 && hits.isSuccess && hits.data.length < ENOUGH_LOCAL_HITS;
  const server = useQuery({ queryKey: ["searchServer", settled], queryFn: () => ipc.searchServer(settled), enabled: wantsMore, retry: false });
  const results = (server.data && settled === query ? server.data : hits.data) ?? [];
  // New results: the first one is active, so Enter opens it.
  const first = results[0] ? keyOf(results[0]) : "";
  useEffect(() => setActive(first), [hits.data, server.data]);

  // Opening a patient closes the list, ready for the next search, and hands the keyboard to the
  // workspace: N, T, B, R and I work at once.
  const open = (patient: Selected) => {
    onOpen(patient);
    setText("");
    inputRef.current?.blur();
  };

  return (
    <Command
      className="search"
      label={t("search.label")}
      shouldFilter={false}
      value={active}
      onValueChange={setActive}
      // Escape clears the search; on an empty one it returns the keyboard to the screen below.
      onKeyDown={(e) => {
        if (e.key !== "Escape") return;
        if (text) setText("");
        else inputRef.current?.blur();
      }}
    >
      <Command.Input ref={inputRef} autoFocus aria-label={t("search.label")} placeholder={t("search.placeholder")} value={text} onValueChange={setText} />
      {/* Always rendered: the input's aria-controls names it. */}
      <Command.List aria-label={t("search.label")}>
        {query && <>
          {hits.error && <p className="error">{errorMessage(hits.error)}</p>}
          {hits.isSuccess && results.length === 0 && !server.isFetching && <p>{t("search.none")}</p>}
          {server.isFetching && <p role="status">{t("search.asking")}</p>}
          {server.error && <p className="error">{t("search.serverFailed", { problem: errorMessage(server.error) })}</p>}
          {results.map((hit) => (
            <Command.Item key={keyOf(hit)} value={keyOf(hit)} onSelect={() => open({ source: hit.source, id: hit.id })}>
              <strong>{hit.name}</strong>
              <small>
                {[hit.gender, `${f.date(hit.birthDate)} (${f.age(hit.birthDate)})`, hit.phones[0] && f.phone(hit.phones[0]), hit.mrn, hit.alsoIn.length > 0 && t("patient.alsoIn", { sources: [hit.source, ...hit.alsoIn].join(", ") })].filter(Boolean).join(" · ")}
              </small>
            </Command.Item>
          ))}
        </>}
      </Command.List>
    </Command>
  );
}
