//! HL7 v2 feeds: MLLP framing, decoding by the character set the message names, acknowledgements,
//! and the mapping of results (ORU), registrations (ADT) and scheduling (SIU) to FHIR resources,
//! following the HL7 v2-to-FHIR implementation guide. No I/O: the receiver lives in the app.

mod ack;
mod map;
pub mod mllp;
mod segment;
mod text;

pub use ack::{ack, refusal_ack, AckCode};
pub use map::{deterministic_id, place_patient, read, Content, Context as MappingContext, Inbound};
pub use text::Charset;

/// Why a message is not taken, in words for IT, with the HL7 error code (table 0357) and whether the
/// sender should fix the message (AE) or the receiver cannot take it at all (AR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: AckCode,
    pub error: u16,
    pub words: String,
}

impl Refusal {
    /// The receiver cannot take this kind of message, or cannot read it at all (AR).
    pub fn reject(error: u16, words: impl Into<String>) -> Refusal {
        Refusal { code: AckCode::Reject, error, words: words.into() }
    }

    /// The message is readable but wrong: a required field missing, a value unreadable (AE).
    pub fn error(error: u16, words: impl Into<String>) -> Refusal {
        Refusal { code: AckCode::Error, error, words: words.into() }
    }
}

/// The message header's parts the receiver uses (MSH).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub sending_app: String,
    pub sending_facility: String,
    pub receiving_app: String,
    pub receiving_facility: String,
    /// MSH-10: with the sender, names the message; a resend carries the same.
    pub control_id: String,
    /// MSH-9.1 and MSH-9.2, e.g. ORU and R01.
    pub message_type: String,
    pub event: String,
    pub version: String,
}

impl Header {
    /// Who sent it: the application and facility, as one key.
    pub fn sender(&self) -> String {
        format!("{}|{}", self.sending_app, self.sending_facility)
    }

    /// "ORU^R01".
    pub fn kind(&self) -> String {
        format!("{}^{}", self.message_type, self.event)
    }
}

/// A message that was not taken: its header when it could be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub header: Option<Box<Header>>,
    pub refusal: Refusal,
}
