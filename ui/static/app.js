// A minimal window over the cache: search and the patient view. The full workspace UI replaces it.
const invoke = window.__TAURI__.core.invoke;
const $ = (id) => document.getElementById(id);
const text = (value) => (value === null || value === undefined ? "–" : String(value));
const esc = (value) => text(value).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

function showError(where, error) {
  where.innerHTML = `<p class="error">${esc(error && error.message ? error.message : error)}</p>`;
}

async function refreshStatus() {
  try {
    const overview = await invoke("overview");
    const patients = (overview.counts.find(([type]) => type === "Patient") || [null, 0])[1];
    const synced = overview.sources.map((s) => `${s.name}: ${s.lastSynced || "never"}`).join(" · ");
    $("status").textContent = `${patients} patients · ${synced}`;
  } catch (error) {
    showError($("patient"), error);
  }
}

let searchSeq = 0;
async function search() {
  const seq = ++searchSeq;
  const query = $("search").value;
  if (!query.trim()) return void ($("results").innerHTML = "");
  try {
    const hits = await invoke("search_patients", { text: query });
    if (seq !== searchSeq) return;
    $("results").innerHTML = hits
      .map((h, i) => `<li tabindex="0" data-i="${i}"><strong>${esc(h.name)}</strong>
        <small>${esc(h.gender)} · ${esc(h.birthDate)} (${esc(h.age)}y) · ${esc(h.phones[0])} · ${esc(h.mrn)}</small></li>`)
      .join("");
    $("results").querySelectorAll("li").forEach((li) => {
      const hit = hits[li.dataset.i];
      const open = () => openPatient(hit.source, hit.id);
      li.addEventListener("click", open);
      li.addEventListener("keydown", (e) => e.key === "Enter" && open());
    });
  } catch (error) {
    showError($("patient"), error);
  }
}

function table(headers, rows) {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

async function openPatient(source, id) {
  try {
    const v = await invoke("patient_view", { source, id });
    if (!v) return showError($("patient"), "This patient is no longer in the cache.");
    const p = v.patient;
    const allergies = v.allergies.length ? v.allergies.map((a) => esc(a.substance)).join(", ") : "No known allergies";
    const a = v.appointments;
    $("patient").innerHTML = `
      <h2>${esc(p.name)}</h2>
      <p>${esc(p.gender)} · ${esc(p.birthDate)} (${esc(p.age)}y) · MRN ${esc(p.mrn)} · ${esc(p.phones.join(", "))}</p>
      <p class="allergies">Allergies: ${allergies}</p>
      <h3>Labs</h3>${table(["Test", "Latest", "Date", "Range", "Results"], v.labs.map((t) => [esc(t.name),
        `<span class="flag-${esc(t.latest.flag)}">${esc(t.latest.value)} ${t.latest.flag && t.latest.flag !== "normal" ? esc(t.latest.flag) : ""}</span>`,
        esc((t.latest.date || "").slice(0, 10)), esc(t.range), esc(t.history.length)]))}
      <h3>Medications</h3>${table(["Medication", "Dosage", "Status"], [...v.medications.active, ...v.medications.past].map((m) => [esc(m.name), esc(m.dosage), esc(m.status)]))}
      <h3>Appointments</h3>${table(["Start", "Status", "With", "Where"], [...a.upcoming, ...a.past, ...a.cancelled, ...a.noShows].map((x) => [esc(x.start), esc(x.status), esc(x.practitioner), esc(x.location)]))}
      <h3>Visits</h3>${table(["Date", "Type", "Practitioner", "Location", "Reason"], v.encounters.map((e) => [esc((e.date || "").slice(0, 10)), esc(e.type), esc(e.practitioner), esc(e.location), esc(e.reason)]))}
      <h3>Open tasks</h3>${table(["Task", "Priority", "Due"], v.tasks.map((t) => [esc(t.description), esc(t.priority), esc(t.due)]))}
      <p class="origin">From ${v.sources.map((s) => `${esc(s.name)}, last synced ${esc(s.lastSynced)}`).join("; ")}</p>`;
  } catch (error) {
    showError($("patient"), error);
  }
}

document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey && e.key.toLowerCase() === "k") || (e.key === "/" && document.activeElement !== $("search"))) {
    e.preventDefault();
    $("search").focus();
    $("search").select();
  }
});
$("search").addEventListener("input", search);
$("search").addEventListener("keydown", (e) => {
  if (e.key === "ArrowDown") $("results").querySelector("li")?.focus();
});
refreshStatus();
$("search").focus();
