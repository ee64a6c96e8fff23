import { FormEvent, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTranslation } from "react-i18next";
import { ipc, errorMessage } from "../ipc";
import { useFormats } from "../format";
import { Hl7Feed } from "./Hl7Feed";

/// The clinic's FHIR endpoints: how each last synced, in words, who is signed in to each that a
/// person signs in to, and a form to add or edit one. `onSignedOut` clears what the window showed.
export function Sources({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useTranslation();
  const f = useFormats();
  const queries = useQueryClient();
  const sources = useQuery({ queryKey: ["sources"], queryFn: ipc.sources, refetchInterval: 5000 });
  const [name, setName] = useState("");
  const [fhir, setFhir] = useState("");
  const save = useMutation({
    mutationFn: () => ipc.saveSource(name.trim(), fhir.trim()),
    onSuccess: () => {
      setName("");
      setFhir("");
      void queries.invalidateQueries();
    },
  });
  const sync = useMutation({ mutationFn: ipc.syncNow });
  const signIn = useMutation({ mutationFn: ipc.signIn, onSuccess: () => void queries.invalidateQueries() });
  const signOut = useMutation({
    mutationFn: ipc.signOut,
    onSuccess: () => {
      onSignedOut();
      void queries.invalidateQueries();
    },
  });
  const phone = useQuery({ queryKey: ["phone-status"], queryFn: ipc.phoneStatus });
  const clinic = useQuery({ queryKey: ["clinic"], queryFn: ipc.clinic, staleTime: Infinity });
  const [pin, setPin] = useState("");
  const setUnlockPin = useMutation({ mutationFn: () => ipc.setUnlockPin(pin), onSettled: () => setPin("") });
  const onPin = (e: FormEvent) => {
    e.preventDefault();
    setUnlockPin.mutate();
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const list = sources.data ?? [];
  return (
    <section aria-label={t("sources.title")}>
      <h2>{t("sources.title")}</h2>
      {sources.error && <p role="alert" className="error">{errorMessage(sources.error)}</p>}
      {sources.isSuccess && list.length === 0 && <p>{t("sources.none")}</p>}
      <ul className="sources">
        {list.map((s) => (
          <li key={s.name}>
            <strong>{s.name}</strong> · {s.fhir} · {s.lastSynced ? t("sources.synced", { when: f.since(s.lastSynced) }) : t("sources.never")}
            {s.lastError && <p className="error">{s.lastError}</p>}
            {s.signsIn && (s.signedInAs ? (
              <span className="signed-in">
                {" · "}{t("sources.signedInAs", { who: s.signedInAs })}{" "}
                <button onClick={() => signOut.mutate(s.name)}>{t("sources.signOut")}</button>
              </span>
            ) : (
              <button onClick={() => signIn.mutate(s.name)} disabled={signIn.isPending}>{t("sources.signIn")}</button>
            ))}
            <button onClick={() => { setName(s.name); setFhir(s.fhir); }}>{t("sources.edit")}</button>
          </li>
        ))}
      </ul>
      {signIn.isPending && <p role="status">{t("sources.signingIn")}</p>}
      {(signIn.error || signOut.error) && <p role="alert" className="error">{errorMessage(signIn.error ?? signOut.error)}</p>}
      {clinic.data?.unlockPin && (
        <form className="action-form" aria-label={t("sources.pin")} onSubmit={onPin}>
          <label>{t("sources.pin")} <input type="password" inputMode="numeric" autoComplete="off" name="unlock-pin" value={pin} onChange={(e) => setPin(e.target.value)} /></label>
          <div className="buttons"><button type="submit" disabled={setUnlockPin.isPending || pin === ""}>{t("sources.setPin")}</button></div>
          {setUnlockPin.isSuccess && <p role="status">{t("sources.pinSet")}</p>}
          {setUnlockPin.error && <p role="alert" className="error">{errorMessage(setUnlockPin.error)}</p>}
        </form>
      )}
      {list.length > 0 && <button onClick={() => sync.mutate()}>{t("sources.syncNow")}</button>}
      {phone.data && (
        <p className={phone.data.listening ? undefined : "error"}>
          {phone.data.listening
            ? t("sources.phoneOn", { port: phone.data.port })
            : t("sources.phoneOff", { problem: phone.data.problem ?? "" })}
        </p>
      )}
      <Hl7Feed />
      <form className="action-form" aria-label={t("sources.add")} onSubmit={onSubmit}>
        <h3>{t("sources.add")}</h3>
        <label>{t("sources.name")} <input name="name" value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>{t("sources.url")} <input name="fhir" value={fhir} placeholder="https://fhir.example.org/r4" onChange={(e) => setFhir(e.target.value)} /></label>
        <div className="buttons"><button type="submit" disabled={save.isPending}>{t("actions.submit")}</button></div>
        {save.error && <p role="alert" className="error">{errorMessage(save.error)}</p>}
      </form>
    </section>
  );
}
