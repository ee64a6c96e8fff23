//! The command line, declared with clap.

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "switchboard", version, about = "Switchboard: the clinic's systems in one encrypted local workspace",
    long_about = "Run with no arguments to open the desktop app. With a subcommand it runs headless.\n\
                  SWITCHBOARD_HOME=<dir> keeps config and data under <dir>.")]
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
    /// The built-in demo clinic
    #[command(subcommand)]
    Demo(DemoCommand),
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
