import { FormEvent, useCallback, useEffect, useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";

const ACTIVITY = ["keydown", "mousedown", "mousemove", "wheel", "touchstart"] as const;
/// Queries that hold no patient data and stay cached while locked.
const KEPT_WHEN_LOCKED = new Set(["overview", "clinic", "sources"]);

/// The screen lock: after `idleMinutes` without a key press or pointer move, or on Ctrl+L, every
/// patient screen is unmounted, the cached query results that hold patient data are dropped, and the
/// Rust side refuses patient reads until unlocked. Half-written work survives in `drafts`.
export function useScreenLock(idleMinutes: number) {
  const queries = useQueryClient();
  const [locked, setLocked] = useState(false);
  const lock = useCallback(() => {
    setLocked(true);
    void ipc.lockScreen();
    queries.removeQueries({ predicate: (query) => !KEPT_WHEN_LOCKED.has(String(query.queryKey[0])) });
  }, [queries]);
  // Unlocking may ask for a sign-in (or the PIN) first; the window stays locked until it succeeds.
  const unlock = useCallback(async (pin?: string) => {
    await ipc.unlockScreen(pin);
    setLocked(false);
    void queries.invalidateQueries({ queryKey: ["clinic"] });
  }, [queries]);
  useEffect(() => {
    if (locked) return;
    let timer = window.setTimeout(lock, idleMinutes * 60_000);
    let pointer: [number, number] | null = null;
    const active = (e: Event) => {
      // A window opening or closing over a still mouse sends a mousemove without moving: not use.
      if (e instanceof MouseEvent && e.type === "mousemove") {
        const moved = pointer === null || pointer[0] !== e.screenX || pointer[1] !== e.screenY;
        pointer = [e.screenX, e.screenY];
        if (!moved) return;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(lock, idleMinutes * 60_000);
    };
    ACTIVITY.forEach((kind) => window.addEventListener(kind, active, { passive: true }));
    return () => {
      window.clearTimeout(timer);
      ACTIVITY.forEach((kind) => window.removeEventListener(kind, active));
    };
  }, [locked, idleMinutes, lock]);
  return { locked, lock, unlock };
}

/// What a locked window shows: that it is locked, a call coming in (never who), and Unlock (which asks
/// for a sign-in first when someone signed in here). Where the clinic allows it, the signed-in person's
/// PIN unlocks too.
export function LockScreen({ onUnlock, pinAllowed }: { onUnlock: (pin?: string) => Promise<void>; pinAllowed: boolean }) {
  const { t } = useTranslation();
  const [ringing, setRinging] = useState(false);
  const [pin, setPin] = useState("");
  const unlocking = useMutation({ mutationFn: () => onUnlock() });
  const withPin = useMutation({ mutationFn: () => onUnlock(pin), onError: () => setPin("") });
  const onPin = (e: FormEvent) => {
    e.preventDefault();
    withPin.mutate();
  };
  useEffect(() => {
    const stop = ipc.onCall((pop) => setRinging(pop.state === "ringing" || pop.state === "answered"));
    return () => void stop.then((s) => s());
  }, []);
  return (
    <section aria-label={t("lock.title")} className="lock">
      <h2>{t("lock.title")}</h2>
      <p>{t("lock.why")}</p>
      {ringing && <p role="alert" className="incoming">{t("lock.incoming")}</p>}
      {pinAllowed && (
        <form aria-label={t("lock.withPin")} onSubmit={onPin}>
          <label>{t("lock.pin")} <input autoFocus type="password" inputMode="numeric" autoComplete="off" name="pin" value={pin} onChange={(e) => setPin(e.target.value)} /></label>
          <button type="submit" disabled={withPin.isPending || pin === ""}>{t("lock.withPin")}</button>
          {withPin.error && <p role="alert" className="error">{errorMessage(withPin.error)}</p>}
        </form>
      )}
      <button autoFocus={!pinAllowed} onClick={() => unlocking.mutate()} disabled={unlocking.isPending}>{t("lock.unlock")}</button>
      {unlocking.isPending && <p role="status">{t("lock.signingIn")}</p>}
      {unlocking.error && <p role="alert" className="error">{errorMessage(unlocking.error)}</p>}
    </section>
  );
}
