//! Clinical vocabularies for the demo clinic: LOINC lab tests with reference and critical ranges,
//! SNOMED-coded problems, RxNorm-named medications and common allergens.

pub struct LabTest {
    pub loinc: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub critical_low: Option<f64>,
    pub critical_high: Option<f64>,
    pub mean: f64,
    pub sd: f64,
    pub decimals: i32,
}

// One row of the catalog table below, its columns in order.
#[allow(clippy::too_many_arguments)]
const fn test(
    loinc: &'static str,
    name: &'static str,
    unit: &'static str,
    range: (Option<f64>, Option<f64>),
    critical: (Option<f64>, Option<f64>),
    mean: f64,
    sd: f64,
    decimals: i32,
) -> LabTest {
    LabTest { loinc, name, unit, low: range.0, high: range.1, critical_low: critical.0, critical_high: critical.1, mean, sd, decimals }
}

pub struct Panel {
    pub loinc: &'static str,
    pub name: &'static str,
    pub tests: &'static [LabTest],
}

pub const PANELS: &[Panel] = &[
    Panel {
        loinc: "51990-0",
        name: "Basic metabolic panel",
        tests: &[
            test("2951-2", "Sodium", "mmol/L", (Some(135.0), Some(145.0)), (Some(120.0), Some(160.0)), 139.0, 3.5, 0),
            test("2823-3", "Potassium", "mmol/L", (Some(3.5), Some(5.1)), (Some(2.5), Some(6.5)), 4.3, 0.55, 1),
            test("2345-7", "Glucose", "mg/dL", (Some(70.0), Some(99.0)), (Some(40.0), Some(500.0)), 102.0, 30.0, 0),
            test("2160-0", "Creatinine", "mg/dL", (Some(0.6), Some(1.3)), (None, Some(4.0)), 1.0, 0.35, 2),
        ],
    },
    Panel {
        loinc: "58410-2",
        name: "Complete blood count",
        tests: &[
            test("718-7", "Hemoglobin", "g/dL", (Some(12.0), Some(17.5)), (Some(7.0), Some(20.0)), 13.9, 1.7, 1),
            test("6690-2", "Leukocytes", "10*3/uL", (Some(4.0), Some(11.0)), (Some(2.0), Some(30.0)), 7.2, 2.2, 1),
            test("777-3", "Platelets", "10*3/uL", (Some(150.0), Some(400.0)), (Some(50.0), Some(1000.0)), 255.0, 65.0, 0),
        ],
    },
    Panel { loinc: "4548-4", name: "Hemoglobin A1c", tests: &[test("4548-4", "Hemoglobin A1c", "%", (Some(4.0), Some(5.6)), (None, Some(14.0)), 5.9, 1.0, 1)] },
    Panel {
        loinc: "57698-3",
        name: "Lipid panel",
        tests: &[
            test("2093-3", "Cholesterol total", "mg/dL", (None, Some(200.0)), (None, None), 192.0, 36.0, 0),
            test("2085-9", "HDL cholesterol", "mg/dL", (Some(40.0), None), (None, None), 52.0, 13.0, 0),
        ],
    },
];

/// (SNOMED CT code, display)
pub const CONDITIONS: &[(&str, &str)] = &[
    ("38341003", "Hypertension"),
    ("44054006", "Type 2 diabetes mellitus"),
    ("55822004", "Hyperlipidemia"),
    ("195967001", "Asthma"),
    ("35489007", "Depressive disorder"),
    ("197480006", "Anxiety disorder"),
    ("40930008", "Hypothyroidism"),
    ("235595009", "Gastroesophageal reflux disease"),
    ("396275006", "Osteoarthritis"),
    ("13645005", "Chronic obstructive pulmonary disease"),
    ("709044004", "Chronic kidney disease"),
    ("37796009", "Migraine"),
];

/// (RxNorm code, prescribable name, dosage text)
pub const MEDICATIONS: &[(&str, &str, &str)] = &[
    ("314076", "lisinopril 10 MG Oral Tablet", "Take 1 tablet by mouth once daily"),
    ("860975", "metformin hydrochloride 500 MG Oral Tablet", "Take 1 tablet by mouth twice daily with meals"),
    ("617312", "atorvastatin 20 MG Oral Tablet", "Take 1 tablet by mouth at bedtime"),
    ("197361", "amlodipine 5 MG Oral Tablet", "Take 1 tablet by mouth once daily"),
    ("966247", "levothyroxine sodium 0.05 MG Oral Tablet", "Take 1 tablet by mouth every morning on an empty stomach"),
    ("310965", "ibuprofen 200 MG Oral Tablet", "Take 1-2 tablets by mouth every 6 hours as needed for pain"),
    ("745679", "albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", "Inhale 2 puffs every 4-6 hours as needed for wheezing"),
    ("312938", "sertraline 50 MG Oral Tablet", "Take 1 tablet by mouth once daily"),
    ("198211", "simvastatin 40 MG Oral Tablet", "Take 1 tablet by mouth in the evening"),
    ("310798", "hydrochlorothiazide 25 MG Oral Tablet", "Take 1 tablet by mouth once daily in the morning"),
    ("308136", "amoxicillin 500 MG Oral Capsule", "Take 1 capsule by mouth three times daily for 10 days"),
    ("40790", "omeprazole 20 MG Delayed Release Oral Capsule", "Take 1 capsule by mouth before breakfast"),
];

/// (SNOMED CT code, substance, reaction)
pub const ALLERGENS: &[(&str, &str, &str)] = &[
    ("764146007", "Penicillin", "Hives"),
    ("387406002", "Sulfonamide", "Rash"),
    ("91935009", "Peanut", "Anaphylaxis"),
    ("300916003", "Latex", "Contact dermatitis"),
    ("387458008", "Aspirin", "Wheezing"),
    ("227493005", "Cashew nut", "Swelling of lips"),
    ("373270004", "Codeine", "Nausea and vomiting"),
];

/// (code, display) of visit types.
pub const VISIT_TYPES: &[(&str, &str)] = &[
    ("185349003", "Encounter for check up"),
    ("390906007", "Follow-up encounter"),
    ("185345009", "Encounter for symptom"),
    ("410620009", "Well child visit"),
    ("308335008", "Patient encounter procedure"),
];

pub const VISIT_REASONS: &[&str] = &[
    "Annual physical",
    "Blood pressure follow-up",
    "Diabetes follow-up",
    "Cough and fever",
    "Back pain",
    "Medication review",
    "Headache",
    "Sore throat",
    "Lab results review",
    "Rash",
    "Fatigue",
    "Knee pain",
];

pub const SPECIALTIES: &[&str] = &["Family medicine", "Internal medicine", "Pediatrics", "Nurse practitioner"];

pub const TASK_REASONS: &[&str] = &[
    "Call patient about abnormal lab result",
    "Refill request: confirm dose with prescriber",
    "Schedule follow-up visit",
    "Return patient's call about results",
    "Prior authorization needed",
];
