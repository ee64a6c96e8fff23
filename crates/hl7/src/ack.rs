//! Acknowledgements: MSH with sender and receiver swapped, MSA with the code and the message's
//! control id, and for a refusal an ERR segment saying why.

use crate::{Header, Refusal};
use chrono::{DateTime, FixedOffset};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckCode {
    /// AA: taken, written and queued.
    Accept,
    /// AE: readable but wrong.
    Error,
    /// AR: not taken at all.
    Reject,
}

impl AckCode {
    pub fn as_str(self) -> &'static str {
        match self {
            AckCode::Accept => "AA",
            AckCode::Error => "AE",
            AckCode::Reject => "AR",
        }
    }

    pub fn parse(code: &str) -> Option<AckCode> {
        [AckCode::Accept, AckCode::Error, AckCode::Reject].into_iter().find(|c| c.as_str() == code)
    }
}

fn escape(text: &str) -> String {
    hl7_parser::message::Separators::default().encode(text).to_string()
}

/// The ACK for a message: `text` goes to MSA-3; a refusal adds ERR (code from table 0357, severity E,
/// and the words in ERR-8).
pub fn ack(header: &Header, code: AckCode, text: &str, refusal: Option<&Refusal>, now: DateTime<FixedOffset>) -> Vec<u8> {
    let version = if header.version.is_empty() { "2.5.1" } else { &header.version };
    let mut message = format!(
        "MSH|^~\\&|{}|{}|{}|{}|{}||ACK^{}^ACK|ACK{}|P|{}\rMSA|{}|{}|{}",
        escape(&header.receiving_app),
        escape(&header.receiving_facility),
        escape(&header.sending_app),
        escape(&header.sending_facility),
        now.format("%Y%m%d%H%M%S%z"),
        escape(&header.event),
        escape(&header.control_id),
        escape(version),
        code.as_str(),
        escape(&header.control_id),
        escape(text),
    );
    if let Some(refusal) = refusal {
        message.push_str(&format!("\rERR|||{}^{}^HL70357|E||||{}", refusal.error, error_name(refusal.error), escape(&refusal.words)));
    }
    message.push('\r');
    message.into_bytes()
}

/// The ACK for a refused message, its header as far as it could be read.
pub fn refusal_ack(header: Option<&Header>, refusal: &Refusal, now: DateTime<FixedOffset>) -> Vec<u8> {
    ack(header.unwrap_or(&Header::default()), refusal.code, &refusal.words, Some(refusal), now)
}

/// The names HL7 table 0357 gives the codes used here.
fn error_name(code: u16) -> &'static str {
    match code {
        100 => "Segment sequence error",
        101 => "Required field missing",
        102 => "Data type error",
        103 => "Table value not found",
        200 => "Unsupported message type",
        201 => "Unsupported event code",
        203 => "Unsupported version id",
        204 => "Unknown key identifier",
        206 => "Application record locked",
        _ => "Application internal error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ack_swaps_the_parties_and_names_the_message() {
        let header = Header {
            sending_app: "LAB".into(),
            sending_facility: "ACME".into(),
            receiving_app: "SB".into(),
            receiving_facility: "CLINIC".into(),
            control_id: "MSG-1".into(),
            message_type: "ORU".into(),
            event: "R01".into(),
            version: "2.5.1".into(),
        };
        let now = DateTime::parse_from_rfc3339("2026-01-02T03:04:05+01:00").unwrap();
        let refusal = Refusal::error(101, "OBX-3 (the test code) is missing | in OBX 2");
        let text = String::from_utf8(ack(&header, AckCode::Error, &refusal.words, Some(&refusal), now)).unwrap();
        let segments: Vec<&str> = text.trim_end().split('\r').collect();
        assert_eq!(segments[0], "MSH|^~\\&|SB|CLINIC|LAB|ACME|20260102030405+0100||ACK^R01^ACK|ACKMSG-1|P|2.5.1");
        assert_eq!(segments[1], "MSA|AE|MSG-1|OBX-3 (the test code) is missing \\F\\ in OBX 2");
        assert_eq!(segments[2], "ERR|||101^Required field missing^HL70357|E||||OBX-3 (the test code) is missing \\F\\ in OBX 2");
    }
}
