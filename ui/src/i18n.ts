import i18n from "i18next";
import { initReactI18next } from "react-i18next";

const resources = {
  en: {
    translation: {
      search: { label: "Find a patient", placeholder: "Name, date of birth, phone or MRN  (Ctrl+K)", none: "No matching patients" },
      status: { patients: "{{count}} patients", synced: "{{source}}: last synced {{when}}", never: "never" },
      patient: {
        allergies: "Allergies", noAllergies: "No known allergies", labs: "Labs", medications: "Medications",
        appointments: "Appointments", visits: "Visits", tasks: "Open tasks", from: "From {{source}}, last synced {{when}}",
        pending: "pending", gone: "This patient is no longer in the cache.",
      },
      columns: {
        test: "Test", latest: "Latest", date: "Date", range: "Range", results: "Results", medication: "Medication",
        dosage: "Dosage", status: "Status", start: "Start", with: "With", where: "Where", type: "Type",
        practitioner: "Practitioner", location: "Location", reason: "Reason", task: "Task", priority: "Priority", due: "Due",
      },
      language: "Language",
    },
  },
  es: {
    translation: {
      search: { label: "Buscar paciente", placeholder: "Nombre, fecha de nacimiento, teléfono o NHC  (Ctrl+K)", none: "Ningún paciente coincide" },
      status: { patients: "{{count}} pacientes", synced: "{{source}}: última sincronización {{when}}", never: "nunca" },
      patient: {
        allergies: "Alergias", noAllergies: "Sin alergias conocidas", labs: "Laboratorio", medications: "Medicamentos",
        appointments: "Citas", visits: "Consultas", tasks: "Tareas abiertas", from: "De {{source}}, sincronizado {{when}}",
        pending: "pendiente", gone: "Este paciente ya no está en la caché.",
      },
      columns: {
        test: "Prueba", latest: "Último", date: "Fecha", range: "Rango", results: "Resultados", medication: "Medicamento",
        dosage: "Dosis", status: "Estado", start: "Inicio", with: "Con", where: "Dónde", type: "Tipo",
        practitioner: "Profesional", location: "Lugar", reason: "Motivo", task: "Tarea", priority: "Prioridad", due: "Vence",
      },
      language: "Idioma",
    },
  },
};

void i18n.use(initReactI18next).init({ resources, lng: "en", fallbackLng: "en", interpolation: { escapeValue: false } });

export default i18n;
