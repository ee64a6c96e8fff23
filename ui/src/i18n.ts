import i18n from "i18next";
import { initReactI18next } from "react-i18next";

const resources = {
  en: {
    translation: {
      search: { label: "Find a patient", placeholder: "Name, date of birth, phone or MRN  (Ctrl+K)", none: "No matching patients", asking: "Asking the server for more…", serverFailed: "The server could not be asked: {{problem}}" },
      status: { patients: "{{count, number}} patients", synced: "{{source}}: last synced {{when}}", never: "never", syncing: "Syncing {{source}}: {{type}} {{done}}", of: "{{done}} of {{total}}" },
      call: {
        region: "Phone call", incoming: "Incoming call from {{number}}", onCall: "On call with {{number}}",
        ended: "Call with {{number}} ended after {{minutes}} min {{seconds}} s · logged", missed: "Missed call from {{number}} · logged",
        newCaller: "new caller: no patient has this number", household: "{{count}} patients share this number. Choose who the call is about:",
        ownPhone: "own phone", contactPhone: "contact {{name}} ({{relationship}})", open: "Open patient", choose: "Choose patient",
        takeNew: "Search and take intake", dismiss: "Dismiss", history: "Calls",
        duration: "{{minutes}} min {{seconds}} s",
        columns: { time: "Time", number: "Number", duration: "Duration", agent: "Agent", disposition: "Disposition" },
        disposition: { ringing: "ringing", answered: "answered", completed: "completed", missed: "missed" },
      },
      intake: {
        title: "Call intake", noteLabel: "What the caller says", summary: "Chart summary (edit before sending)",
        confirm: "Send note and task to {{routing}}", redraft: "Use the draft again", sent: "Queued: the note and the routed task.",
        needsPatient: "Find the patient in the search first: an intake is sent about a patient.",
        ask: "Ask the language model", modelSaid: "Language model: added {{added}}; {{discarded}} item(s) discarded (not quoted from the note, or unknown).",
        emergency: "Emergency: do this now", on: "on", medications: "Medications mentioned",
        questions: "Ask now (Alt+number: yes, no, not asked)", yes: "Yes", no: "No", notAsked: "not asked",
        answer: { yes: "answered yes", no: "answered no" }, notUnderstood: "Not understood by the assistant: a nurse reviews the call today",
        urgency: { emergency: "Emergency", same_day: "Same day", routine: "Routine" },
        routing: { nurse_triage: "nurse triage", scheduling: "scheduling", refill_queue: "refill queue", billing: "billing" },
        reason: { new_symptom: "new symptom", refill: "refill", appointment: "appointment", results: "results question", billing: "billing", other: "other" },
        assertion: { present: "present", negated: "denied", possible: "possible", historical: "past", hypothetical: "hypothetical" },
        experiencer: { patient: "patient", other: "someone else" },
        columns: { words: "Words", finding: "Finding", assertion: "Said as", about: "About", onset: "Onset", severity: "Severity", site: "Site" },
      },
      patient: {
        allergies: "Allergies", noAllergies: "No known allergies", labs: "Labs", medications: "Medications",
        appointments: "Appointments", visits: "Visits", tasks: "Open tasks", from: "From {{source}}, last synced {{when}}",
        pending: "pending", gone: "This patient is no longer in the cache.",
        records: "Records of this person", system: "System", conflicts: "The systems disagree", alsoIn: "also in {{sources}}",
      },
      links: {
        title: "Review links", empty: "No records wait for review.", intro: "Records in two systems that may be one person. Compare them, then decide.",
        record: "Record", other: "Other record", score: "Score", why: "Why", same: "Same person", notSame: "Not the same person",
      },
      columns: {
        test: "Test", latest: "Latest", date: "Date", range: "Range", results: "Results", medication: "Medication",
        dosage: "Dosage", status: "Status", start: "Start", with: "With", where: "Where", type: "Type",
        practitioner: "Practitioner", location: "Location", reason: "Reason", task: "Task", priority: "Priority", due: "Due",
      },
      actions: {
        note: "Add note", task_create: "New callback task", book: "Book appointment", task_claim: "Claim task",
        task_complete: "Complete task", cancel: "Cancel appointment", reschedule: "Reschedule", arrived: "Arrived",
        no_show: "No-show", remind: "Remind the patient", submit: "Save", close: "Close",
      },
      slots: {
        label: "Free slots", location: "Location", anyLocation: "Any location", usual: "usual practitioner",
        none: "No free slot here: try another location.", picked: "Picked: {{slot}}",
      },
      fields: {
        text: "Note", reason: "Reason", priority: "Priority", due: "Due", owner: "Owner (role or Practitioner/ID)",
        slot: "Slot", claimAs: "Claim as (Practitioner/ID)", claimingAs: "Claimed as {{who}}, who is signed in", outcome: "Outcome note", about: "About", when: "When",
      },
      outbox: {
        title: "Outbox", empty: "Nothing sent from this workstation yet.", pending: "Pending", sent: "Sent",
        failed: "Failed", conflict: "Conflict", discarded: "Discarded", retry: "Retry", discard: "Discard",
      },
      worklist: {
        title: "Worklist", filters: "Worklist filters", mine: "Mine", all: "All open", overdue: "Overdue", any: "Any",
        patient: "Patient", empty: "No open tasks match.", open: "open", claimed: "claimed",
        shown: "The {{shown, number}} most pressing of {{total, number}} open tasks. Filter to narrow the list.",
      },
      schedule: {
        title: "Schedule", previous: "Previous", next: "Next", today: "Today", day: "Day", week: "Week",
        free: "free", busy: "busy", counts: "{{free}} free · {{busy}} busy", empty: "No slots in this period.",
      },
      sources: {
        title: "Sources", none: "No clinic server is connected: you are on the built-in demo clinic. Add your FHIR endpoint below.",
        synced: "last synced {{when}}", never: "not synced yet", edit: "Edit", syncNow: "Sync now", add: "Add or edit a FHIR endpoint",
        signIn: "Sign in", signOut: "Sign out", signedInAs: "signed in as {{who}}", signingIn: "Finish signing in in your browser…",
        pin: "Unlock PIN (4 to 8 digits, for this sign-in)", setPin: "Set PIN", pinSet: "PIN set: it unlocks this sign-in until you sign out.",
        name: "Name", url: "FHIR base URL",
        phoneOn: "Phone: calls are received at http://127.0.0.1:{{port}}/calls (see `switchboard phone token`).",
        phoneOff: "Phone: calls cannot pop on this workstation: {{problem}}.",
      },
      help: {
        title: "Keyboard shortcuts", search: "Find a patient from anywhere", results: "Move through results and open one",
        escape: "Close a list, form or this help", toggle: "Show or hide this help",
        call: "Answer the call on screen: open its patient, choose in a household, or search for a new caller", intake: "Show or hide the call intake", lock: "Lock the screen now",
      },
      rules: {
        title: "Rules", intro: "What Switchboard does on its own when data changes or time passes. A rules.toml in the config directory overrides these by id.",
        id: "Rule", when: "When", makes: "Makes", origin: "From", builtin: "built-in",
        on: { result: "a lab result arrives", "no-show": "a no-show", "task-completed": "a task is completed", "appointment-due": "an appointment is near", "follow-up-due": "a follow-up is due", "task-overdue": "a task is past due" },
      },
      alerts: { title: "Alerts", dismiss: "Dismiss" },
      demo: {
        starting: "Demo clinic: starting its local FHIR server…",
        live: "Live demo clinic on a local FHIR server: actions are delivered and rules run",
        simulated: "Live demo clinic on a local FHIR server · a simulator plays the clinic's day (results, arrivals, cancellations, calls)",
        offline: "Offline demo clinic, in this computer's cache only ({{reason}}): actions stay pending and no rule runs",
        firstRunLive: "The demo clinic runs on a FHIR server on this computer. A simulator plays the clinic's day: new lab results (a few critical), patients arriving or not showing, cancellations and phone calls. Watch a critical result become a nurse callback task, reminders go out and calls pop. Nothing in it is real.",
        firstRunOffline: "The demo clinic is offline, in this computer's cache only: actions stay pending and no rule runs.",
      },
      firstRun: {
        title: "Welcome to Switchboard", body: "No clinic server is connected yet. Look around on the built-in demo clinic (made-up patients), or connect your clinic's FHIR endpoint now.",
        demo: "Start on the demo clinic", connect: "Connect a FHIR endpoint",
      },
      role: { label: "Role", agent: "Call-center agent", frontdesk: "Front desk", nurse: "Nurse", supervisor: "Supervisor" },
      lock: {
        title: "Switchboard is locked",
        why: "Patient data is hidden after a while without use, or with Ctrl+L. Anything half-written is kept.",
        incoming: "Incoming call",
        unlock: "Unlock",
        signingIn: "Sign in again in your browser to unlock…",
        pin: "PIN", withPin: "Unlock with PIN",
      },
      audit: {
        title: "Audit log", filters: "Filter the audit log", user: "User", patient: "Patient", from: "From", to: "To",
        when: "When", action: "What", workstation: "Workstation", detail: "Detail", sent: "On the server", waiting: "waiting",
        empty: "No audit events match.",
        actions: {
          view: "Viewed", search: "Searched", list: "Listed", "call-pop": "Call pop", intake: "Intake analysis", export: "Exported",
          action: "Action", refused: "Refused", "sign-in-failed": "Failed sign-in",
        },
      },
      language: "Language",
      actingAs: "Everything you do here is recorded as done by this person",
    },
  },
  es: {
    translation: {
      search: { label: "Buscar paciente", placeholder: "Nombre, fecha de nacimiento, teléfono o NHC  (Ctrl+K)", none: "Ningún paciente coincide", asking: "Preguntando al servidor…", serverFailed: "No se pudo preguntar al servidor: {{problem}}" },
      status: { patients: "{{count, number}} pacientes", synced: "{{source}}: última sincronización {{when}}", never: "nunca", syncing: "Sincronizando {{source}}: {{type}} {{done}}", of: "{{done}} de {{total}}" },
      call: {
        region: "Llamada", incoming: "Llamada entrante de {{number}}", onCall: "En llamada con {{number}}",
        ended: "La llamada con {{number}} terminó tras {{minutes}} min {{seconds}} s · registrada", missed: "Llamada perdida de {{number}} · registrada",
        newCaller: "persona nueva: ningún paciente tiene este número", household: "{{count}} pacientes comparten este número. Elija de quién se trata:",
        ownPhone: "teléfono propio", contactPhone: "contacto {{name}} ({{relationship}})", open: "Abrir paciente", choose: "Elegir paciente",
        takeNew: "Buscar y tomar datos", dismiss: "Cerrar", history: "Llamadas",
        duration: "{{minutes}} min {{seconds}} s",
        columns: { time: "Hora", number: "Número", duration: "Duración", agent: "Agente", disposition: "Resultado" },
        disposition: { ringing: "sonando", answered: "atendida", completed: "completada", missed: "perdida" },
      },
      intake: {
        title: "Datos de la llamada", noteLabel: "Lo que dice la persona (el asistente lee español e inglés)", summary: "Resumen para el expediente (edítelo antes de enviar)",
        confirm: "Enviar nota y tarea a {{routing}}", redraft: "Usar el borrador otra vez", sent: "En cola: la nota y la tarea.",
        needsPatient: "Busque primero al paciente: los datos se envían sobre un paciente.",
        ask: "Preguntar al modelo de lenguaje", modelSaid: "Modelo de lenguaje: agregó {{added}}; {{discarded}} elemento(s) descartados (no citados de la nota, o desconocidos).",
        emergency: "Emergencia: haga esto ahora", on: "en", medications: "Medicamentos mencionados",
        questions: "Pregunte ahora (Alt+número: sí, no, sin preguntar)", yes: "Sí", no: "No", notAsked: "sin preguntar",
        answer: { yes: "respondió sí", no: "respondió no" }, notUnderstood: "El asistente no entendió esto: enfermería revisa la llamada hoy",
        urgency: { emergency: "Emergencia", same_day: "Hoy mismo", routine: "Rutina" },
        routing: { nurse_triage: "triaje de enfermería", scheduling: "citas", refill_queue: "recetas", billing: "facturación" },
        reason: { new_symptom: "síntoma nuevo", refill: "receta", appointment: "cita", results: "resultados", billing: "facturación", other: "otro" },
        assertion: { present: "presente", negated: "negado", possible: "posible", historical: "pasado", hypothetical: "hipotético" },
        experiencer: { patient: "paciente", other: "otra persona" },
        columns: { words: "Palabras", finding: "Hallazgo", assertion: "Dicho como", about: "Sobre", onset: "Inicio", severity: "Intensidad", site: "Lugar" },
      },
      patient: {
        allergies: "Alergias", noAllergies: "Sin alergias conocidas", labs: "Laboratorio", medications: "Medicamentos",
        appointments: "Citas", visits: "Consultas", tasks: "Tareas abiertas", from: "De {{source}}, sincronizado {{when}}",
        pending: "pendiente", gone: "Este paciente ya no está en la caché.",
        records: "Registros de esta persona", system: "Sistema", conflicts: "Los sistemas no coinciden", alsoIn: "también en {{sources}}",
      },
      links: {
        title: "Revisar vínculos", empty: "No hay registros por revisar.", intro: "Registros de dos sistemas que pueden ser una misma persona. Compárelos y decida.",
        record: "Registro", other: "Otro registro", score: "Puntuación", why: "Motivo", same: "Misma persona", notSame: "No es la misma persona",
      },
      columns: {
        test: "Prueba", latest: "Último", date: "Fecha", range: "Rango", results: "Resultados", medication: "Medicamento",
        dosage: "Dosis", status: "Estado", start: "Inicio", with: "Con", where: "Dónde", type: "Tipo",
        practitioner: "Profesional", location: "Lugar", reason: "Motivo", task: "Tarea", priority: "Prioridad", due: "Vence",
      },
      actions: {
        note: "Añadir nota", task_create: "Nueva tarea de llamada", book: "Reservar cita", task_claim: "Tomar tarea",
        task_complete: "Completar tarea", cancel: "Cancelar cita", reschedule: "Cambiar cita", arrived: "Llegó",
        no_show: "No se presentó", remind: "Recordar al paciente", submit: "Guardar", close: "Cerrar",
      },
      slots: {
        label: "Huecos libres", location: "Lugar", anyLocation: "Cualquier lugar", usual: "profesional habitual",
        none: "No hay huecos libres aquí: pruebe otro lugar.", picked: "Elegido: {{slot}}",
      },
      fields: {
        text: "Nota", reason: "Motivo", priority: "Prioridad", due: "Vence", owner: "Responsable (rol o Practitioner/ID)",
        slot: "Hueco", claimAs: "Tomar como (Practitioner/ID)", claimingAs: "Se toma como {{who}}, con la sesión iniciada", outcome: "Nota de resultado", about: "Sobre", when: "Cuándo",
      },
      outbox: {
        title: "Bandeja de salida", empty: "Aún no se ha enviado nada desde este puesto.", pending: "Pendiente", sent: "Enviado",
        failed: "Fallido", conflict: "Conflicto", discarded: "Descartado", retry: "Reintentar", discard: "Descartar",
      },
      worklist: {
        title: "Lista de trabajo", filters: "Filtros de la lista", mine: "Mías", all: "Todas abiertas", overdue: "Vencidas", any: "Cualquiera",
        patient: "Paciente", empty: "Ninguna tarea abierta coincide.", open: "abierta", claimed: "asignada",
        shown: "Las {{shown, number}} más urgentes de {{total, number}} tareas abiertas. Filtre para acotar la lista.",
      },
      schedule: {
        title: "Agenda", previous: "Anterior", next: "Siguiente", today: "Hoy", day: "Día", week: "Semana",
        free: "libre", busy: "ocupado", counts: "{{free}} libres · {{busy}} ocupados", empty: "No hay huecos en este periodo.",
      },
      sources: {
        title: "Fuentes", none: "No hay servidor de la clínica conectado: está en la clínica de demostración. Añada su punto FHIR abajo.",
        synced: "sincronizado {{when}}", never: "aún sin sincronizar", edit: "Editar", syncNow: "Sincronizar ahora", add: "Añadir o editar un punto FHIR",
        signIn: "Iniciar sesión", signOut: "Cerrar sesión", signedInAs: "sesión de {{who}}", signingIn: "Termine de iniciar sesión en su navegador…",
        pin: "PIN de desbloqueo (4 a 8 dígitos, para esta sesión)", setPin: "Fijar PIN", pinSet: "PIN fijado: desbloquea esta sesión hasta que la cierre.",
        name: "Nombre", url: "URL base FHIR",
        phoneOn: "Teléfono: las llamadas llegan a http://127.0.0.1:{{port}}/calls (vea `switchboard phone token`).",
        phoneOff: "Teléfono: las llamadas no pueden aparecer en este equipo: {{problem}}.",
      },
      help: {
        title: "Atajos de teclado", search: "Buscar un paciente desde cualquier lugar", results: "Recorrer resultados y abrir uno",
        escape: "Cerrar una lista, un formulario o esta ayuda", toggle: "Mostrar u ocultar esta ayuda",
        call: "Atender la llamada en pantalla: abrir al paciente, elegir en un hogar o buscar a una persona nueva", intake: "Mostrar u ocultar los datos de la llamada", lock: "Bloquear la pantalla ahora",
      },
      rules: {
        title: "Reglas", intro: "Lo que Switchboard hace por sí solo cuando cambian los datos o pasa el tiempo. Un rules.toml en el directorio de configuración las reemplaza por id.",
        id: "Regla", when: "Cuándo", makes: "Crea", origin: "Origen", builtin: "integrada",
        on: { result: "llega un resultado", "no-show": "una inasistencia", "task-completed": "se completa una tarea", "appointment-due": "se acerca una cita", "follow-up-due": "vence un seguimiento", "task-overdue": "una tarea vence" },
      },
      alerts: { title: "Alertas", dismiss: "Descartar" },
      demo: {
        starting: "Clínica de demostración: iniciando su servidor FHIR local…",
        live: "Clínica de demostración en vivo en un servidor FHIR local: las acciones se entregan y las reglas se ejecutan",
        simulated: "Clínica de demostración en vivo en un servidor FHIR local · un simulador recrea el día de la clínica (resultados, llegadas, cancelaciones, llamadas)",
        offline: "Clínica de demostración sin conexión, solo en la caché de este equipo ({{reason}}): las acciones quedan pendientes y no se ejecutan reglas",
        firstRunLive: "La clínica de demostración funciona en un servidor FHIR de este equipo. Un simulador recrea el día de la clínica: resultados de laboratorio nuevos (algunos críticos), pacientes que llegan o no se presentan, cancelaciones y llamadas. Vea cómo un resultado crítico se convierte en una tarea de llamada de enfermería, salen recordatorios y aparecen llamadas. Nada es real.",
        firstRunOffline: "La clínica de demostración está sin conexión, solo en la caché de este equipo: las acciones quedan pendientes y no se ejecutan reglas.",
      },
      firstRun: {
        title: "Bienvenido a Switchboard", body: "Aún no hay un servidor de la clínica conectado. Explore la clínica de demostración integrada (pacientes ficticios) o conecte ahora el punto FHIR de su clínica.",
        demo: "Empezar con la clínica de demostración", connect: "Conectar un punto FHIR",
      },
      role: { label: "Función", agent: "Agente de llamadas", frontdesk: "Recepción", nurse: "Enfermería", supervisor: "Supervisión" },
      lock: {
        title: "Switchboard está bloqueado",
        why: "Los datos de pacientes se ocultan tras un tiempo sin uso, o con Ctrl+L. Lo que estaba a medio escribir se conserva.",
        incoming: "Llamada entrante",
        unlock: "Desbloquear",
        signingIn: "Inicie sesión de nuevo en su navegador para desbloquear…",
        pin: "PIN", withPin: "Desbloquear con PIN",
      },
      audit: {
        title: "Registro de auditoría", filters: "Filtrar el registro", user: "Usuario", patient: "Paciente", from: "Desde", to: "Hasta",
        when: "Cuándo", action: "Qué", workstation: "Equipo", detail: "Detalle", sent: "En el servidor", waiting: "pendiente",
        empty: "Ningún evento coincide.",
        actions: {
          view: "Consultó", search: "Buscó", list: "Listó", "call-pop": "Llamada", intake: "Análisis de admisión", export: "Exportó",
          action: "Acción", refused: "Rechazada", "sign-in-failed": "Inicio de sesión fallido",
        },
      },
      language: "Idioma",
      actingAs: "Todo lo que haga aquí queda registrado a nombre de esta persona",
    },
  },
};

void i18n.use(initReactI18next).init({ resources, lng: "en", fallbackLng: "en", interpolation: { escapeValue: false } });

export default i18n;
