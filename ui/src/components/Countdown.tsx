import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";

/// The current time, re-read every `everyMs`, so countdowns move on their own.
function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/// Time left to a due time ("in 42 minutes") or past it ("3 hours ago"), in the UI's language.
export function Countdown({ due }: { due: string }) {
  const { i18n } = useTranslation();
  const now = useNow(15_000);
  const minutes = Math.round((Date.parse(due) - now) / 60_000);
  const format = new Intl.RelativeTimeFormat(i18n.language, { numeric: "auto" });
  const text = Math.abs(minutes) < 90 ? format.format(minutes, "minute")
    : Math.abs(minutes) < 48 * 60 ? format.format(Math.round(minutes / 60), "hour")
    : format.format(Math.round(minutes / 1440), "day");
  return <time dateTime={due} className={minutes < 0 ? "late" : undefined}>{text}</time>;
}
