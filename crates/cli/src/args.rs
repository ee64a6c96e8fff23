//! The command line, declared with clap.

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};
use switchboard_core::TaskPriority;

#[derive(Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Switchboard: the clinic's systems in one encrypted local workspace",
    long_about = "Run with no arguments to open the desktop app. With a subcommand it runs headless.\n\
                  SWITCHBOARD_HOME=<dir> keeps config and data under <dir>."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Manage the FHIR endpoints Switchboard syncs from
    #[command(subcommand)]
    Source(SourceCommand),
    /// Pull changes from every configured source (or one) into the cache
    Sync {
        /// Only this source
        #[arg(long)]
        source: Option<String>,
        /// Send `Prefer: handling=strict`, so the server rejects search parameters it does not know
        #[arg(long)]
        strict: bool,
        /// Print the summary as JSON
        #[arg(long)]
        json: bool,
    },
    /// Find patients by name, date of birth, phone or MRN
    Search {
        text: String,
        #[arg(long)]
        json: bool,
    },
    /// Show a patient's workspace view, by server id or MRN
    Patient {
        id_or_mrn: String,
        #[arg(long)]
        json: bool,
    },
    /// Who is calling: the patients whose phone, or whose contact's phone, is this number. When the
    /// desktop app is running, the call is also handed to it and pops there (a softphone's "run on
    /// incoming call" hook)
    Call {
        /// The caller's number, in any format (read in the config's phone_region without a country code)
        #[arg(long)]
        from: String,
        /// The number called (the clinic line)
        #[arg(long)]
        to: Option<String>,
        /// The phone system's call id (default: one made up for this call)
        #[arg(long)]
        id: Option<String>,
        /// ringing, answered, ended or missed
        #[arg(long, default_value = "ringing", value_parser = ["ringing", "answered", "ended", "missed"])]
        state: String,
        #[arg(long)]
        json: bool,
    },
    /// The phone connection: the call listener's token
    #[command(subcommand)]
    Phone(PhoneCommand),
    /// Read a call note on standard input: findings, medications, reason, urgency, routing and a draft summary
    Intake {
        #[command(subcommand)]
        command: Option<IntakeCommand>,
        #[arg(long)]
        json: bool,
        /// The patient the call is about (server id or MRN); needed with --confirm
        #[arg(long)]
        patient: Option<String>,
        /// Write the note (a Communication) and a routed Task back through the outbox
        #[arg(long)]
        confirm: bool,
        /// Do not ask the language model even when `[intake] llm_url` is configured
        #[arg(long)]
        no_llm: bool,
        /// The caller's answer to a red-flag question, by its id: `chest-spreading=yes`, `head-neck=no`
        /// (repeatable; questions not answered are recorded as not asked)
        #[arg(long = "answer", value_name = "QUESTION=yes|no")]
        answers: Vec<String>,
        /// The language of the draft summary (the staff's): en or es; the evidence stays in the caller's words
        #[arg(long, value_name = "en|es", default_value = "en", value_parser = ["en", "es"])]
        summary_language: String,
        #[command(flatten)]
        target: SourceArg,
    },
    /// The built-in demo clinic
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Callback tasks: create, claim, complete (queued, then delivered through the outbox)
    #[command(subcommand)]
    Task(TaskCommand),
    /// The orchestration rules: list the active ones, or check a rules file
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Open tasks, most pressing first, for a role's pool (or all)
    Worklist {
        #[arg(long, value_enum)]
        role: Option<Role>,
        #[arg(long)]
        json: bool,
    },
    /// Alerts raised by the rules and not yet dismissed
    Alerts {
        #[arg(long)]
        json: bool,
    },
    /// Run the time-based rules once (reminders, overdue follow-ups, tasks past due); `outbox drain` sends what they made
    Tick {
        /// Evaluate as if it were this time (RFC 3339); default now
        #[arg(long)]
        now: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Add a note about a patient (a Communication)
    Note {
        #[arg(long)]
        patient: String,
        text: String,
        #[command(flatten)]
        target: SourceArg,
    },
    /// Ask for a reminder to the patient (a CommunicationRequest)
    Remind {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        about: String,
        /// When to remind (RFC 3339)
        #[arg(long)]
        when: Option<String>,
        #[command(flatten)]
        target: SourceArg,
    },
    /// Book a patient into a free slot
    Book {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        slot: String,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        target: SourceArg,
    },
    /// Move an appointment to another free slot (the old slot is freed)
    Reschedule {
        #[arg(long)]
        appointment: String,
        #[arg(long)]
        slot: String,
        #[command(flatten)]
        target: SourceArg,
    },
    /// Cancel an appointment (its slot is freed)
    Cancel {
        #[arg(long)]
        appointment: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        target: SourceArg,
    },
    /// Mark that the patient arrived for an appointment
    Arrived {
        #[arg(long)]
        appointment: String,
        #[command(flatten)]
        target: SourceArg,
    },
    /// Mark an appointment as a no-show
    Noshow {
        #[arg(long)]
        appointment: String,
        #[command(flatten)]
        target: SourceArg,
    },
    /// What is pending, sent, failed or in conflict; `drain` delivers now
    Outbox {
        #[command(subcommand)]
        command: Option<OutboxCommand>,
        #[arg(long)]
        json: bool,
    },
    /// Sign in to a source (auth = "user") in the system browser; the sign-in is kept in the OS keyring
    Signin { source: String },
    /// Forget this workstation's sign-in to a source
    Signout { source: String },
    /// Who is who across sources: the review queue and staff decisions
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// The HL7 v2 feed: the MLLP receiver, and the messages it refused or held
    #[command(subcommand)]
    Hl7(Hl7Command),
    /// The audit log: who read or did what, newest first
    Audit {
        /// A user: Practitioner/ID or the name shown
        #[arg(long)]
        user: Option<String>,
        /// A patient id
        #[arg(long)]
        patient: Option<String>,
        /// From this date or time (YYYY-MM-DD is midnight UTC, or RFC 3339)
        #[arg(long)]
        since: Option<String>,
        /// Before this date or time
        #[arg(long)]
        until: Option<String>,
        /// At most this many events
        #[arg(long, default_value_t = 500)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
pub struct SourceArg {
    /// The source the action goes to (default: the only configured source)
    #[arg(long)]
    pub source: Option<String>,
}

#[derive(Subcommand)]
pub enum TaskCommand {
    /// Create a callback task about a patient
    Create {
        #[arg(long)]
        patient: String,
        #[arg(long)]
        reason: String,
        #[arg(long, value_parser = priority_parser())]
        priority: TaskPriority,
        /// When it is due (RFC 3339, e.g. 2026-12-01T09:00:00-06:00)
        #[arg(long)]
        due: Option<String>,
        /// A role pool ("Nurse pool") or a person ("Practitioner/123")
        #[arg(long)]
        owner: Option<String>,
        #[command(flatten)]
        target: SourceArg,
    },
    /// Take a task (owner and in-progress)
    Claim {
        task: String,
        /// Who claims it, e.g. Practitioner/123 (default: $SWITCHBOARD_USER)
        #[arg(long = "as")]
        owner: Option<String>,
        #[command(flatten)]
        target: SourceArg,
    },
    /// Close a task with an outcome note
    Complete {
        task: String,
        #[arg(long)]
        note: String,
        #[command(flatten)]
        target: SourceArg,
    },
}

#[derive(Subcommand)]
pub enum OutboxCommand {
    /// Deliver every due action now; exits non-zero when any failed, conflicted or must wait
    Drain,
    /// Put a failed or conflicting action back in the queue
    Retry { id: String },
    /// Give up on an action (its local change is dropped at the next sync)
    Discard { id: String },
}

#[derive(Subcommand)]
pub enum SourceCommand {
    /// Add a FHIR R4 endpoint
    Add {
        name: String,
        /// The FHIR base URL, e.g. https://fhir.example.org/r4
        #[arg(long)]
        fhir: String,
        /// Read a bearer token from standard input and keep it in the OS keyring
        #[arg(long)]
        token_stdin: bool,
        /// Resources per page (1-1000)
        #[arg(long)]
        page_size: Option<u32>,
    },
    /// List the configured sources and their last sync
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a source from the config (its cached data stays until the cache is cleared)
    Remove { name: String },
    /// Show how a source is synced (search or Bulk Data export) and why, from its CapabilityStatement
    Show { name: String },
    /// Print the public JWKS of this workstation's backend key for a source (auth = "backend"), made
    /// on first use; register it with the clinic's authorization server
    Key { name: String },
}

#[derive(Subcommand)]
pub enum DemoCommand {
    /// Seed a FHIR server with the demo clinic through transaction Bundles
    Seed {
        #[arg(long)]
        fhir: String,
        #[command(flatten)]
        size: DemoSize,
    },
    /// Fill the local cache with the demo clinic, offline
    Load {
        #[command(flatten)]
        size: DemoSize,
    },
    /// Play the demo clinic's day on its local server (started and seeded if none runs): results,
    /// arrivals, no-shows, cancellations and calls to this workstation's call listener. Runs until stopped.
    Live {
        /// How much faster than the clinic's pace happenings come
        #[arg(long, default_value_t = 10.0, value_parser = positive_speed)]
        speed: f64,
    },
}

fn positive_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(speed) if speed > 0.0 && speed <= 1000.0 => Ok(speed),
        _ => Err(format!("{} is not a speed between 0 and 1000", switchboard_core::config::quoted(text))),
    }
}

#[derive(Args)]
pub struct DemoSize {
    /// How many patients
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub patients: u32,
    /// The generator's seed: the same seed gives the same clinic
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Subcommand)]
pub enum PhoneCommand {
    /// Print the token a phone system sends to the call listener (made on first use; kept in the OS keyring)
    Token {
        /// Make a new token; the old one stops working
        #[arg(long)]
        rotate: bool,
    },
}

#[derive(Subcommand)]
pub enum IntakeCommand {
    /// Score the assistant on a labelled set of calls: precision, recall and F1 per field, negation,
    /// the urgency confusion matrix and under-triage
    Eval {
        /// The labelled calls (TOML)
        file: std::path::PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// The active rules and where each comes from (built-in or the rules file)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Check a rules file without using it
    Check { file: std::path::PathBuf },
}

#[derive(Subcommand)]
pub enum IdentityCommand {
    /// Work out again who is who from every cached patient and the staff's decisions
    Relink,
    /// The pairs of records that may be one person, waiting for a person to decide
    Review {
        #[arg(long)]
        json: bool,
    },
    /// Two records (SOURCE/ID each) are one person
    Link { record: String, other: String },
    /// Two records are not the same person (this also undoes a link)
    NotSame { record: String, other: String },
}

#[derive(Subcommand)]
pub enum Hl7Command {
    /// Receive HL7 v2 messages over MLLP (`[hl7]` in config.toml) until stopped
    Serve,
    /// The messages refused (AE or AR) or held for staff, newest first
    Errors {
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Read a refused or held message again, by the id `hl7 errors` shows
    Replay { id: i64 },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Role {
    Nurse,
    Frontdesk,
    Agent,
}

impl Role {
    /// The pool a role's tasks are owned by.
    pub fn pool(self) -> &'static str {
        match self {
            Role::Nurse => "Nurse pool",
            Role::Frontdesk => "Front desk",
            Role::Agent => "Call center",
        }
    }
}

/// The priorities `TaskPriority` defines, listed in the help and the error.
fn priority_parser() -> impl clap::builder::TypedValueParser<Value = TaskPriority> {
    clap::builder::PossibleValuesParser::new(TaskPriority::ALL.iter().map(|p| p.as_str())).map(|word| word.parse().unwrap_or(TaskPriority::Routine))
}
