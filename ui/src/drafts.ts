import { useCallback, useReducer, useRef } from "react";

/// Half-written work kept in memory outside the components: a locked screen unmounts every patient
/// screen, and unlocking gives back the note, the intake and the open form as they were. Never written
/// to disk or browser storage.
const drafts = new Map<string, unknown>();

type Update<T> = T | ((previous: T) => T);

/// Like `useState`, but the value lives under `key` and outlives the component.
export function useDraft<T>(key: string, initial: T): [T, (next: Update<T>) => void] {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const first = useRef(initial);
  const current = () => (drafts.has(key) ? drafts.get(key) : first.current) as T;
  const set = useCallback(
    (next: Update<T>) => {
      const previous = (drafts.has(key) ? drafts.get(key) : first.current) as T;
      drafts.set(key, typeof next === "function" ? (next as (p: T) => T)(previous) : next);
      rerender();
    },
    [key],
  );
  return [current(), set];
}

/// Forgets every draft (signing out, and between tests).
export function forgetDrafts() {
  drafts.clear();
}
