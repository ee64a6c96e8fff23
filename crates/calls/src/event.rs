//! One call event, read from a Twilio-style form or a JSON body. Bad events are refused in words that
//! name the field, never the caller's number.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "wire", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    Ringing,
    Answered,
    Ended,
    /// Never answered: busy, failed, no answer or cancelled.
    Missed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallEvent {
    /// The phone system's id of the call (Twilio's CallSid).
    pub call_id: String,
    /// The caller's number as the phone system sent it.
    pub from: String,
    /// The number called (the clinic's line).
    pub to: Option<String>,
    pub state: CallState,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    #[error("the event has no `{0}`")]
    Missing(&'static str),
    #[error("`{field}` is not a call state this listener knows: use one of {known}")]
    UnknownState { field: &'static str, known: &'static str },
    #[error("`{0}` is too long or has characters a phone event never has")]
    Malformed(&'static str),
    #[error("the body is not valid JSON: {0}")]
    Json(String),
    #[error("the content type must be application/x-www-form-urlencoded (Twilio) or application/json")]
    ContentType,
}

const TWILIO_STATES: &str = "queued, initiated, ringing, in-progress, completed, busy, failed, no-answer, canceled";
const JSON_STATES: &str = "ringing, answered, in-progress, ended, completed, missed, busy, failed, no-answer, canceled";

fn state_of(word: &str) -> Option<CallState> {
    Some(match word {
        "queued" | "initiated" | "ringing" => CallState::Ringing,
        "answered" | "in-progress" => CallState::Answered,
        "ended" | "completed" => CallState::Ended,
        "missed" | "busy" | "failed" | "no-answer" | "canceled" => CallState::Missed,
        _ => return None,
    })
}

/// A field fit for a call event: short, printable, no control characters.
fn checked(field: &'static str, value: String, max: usize) -> Result<String, EventError> {
    let value = value.trim().to_string();
    if value.is_empty() {
        return Err(EventError::Missing(field));
    }
    if value.len() > max || value.chars().any(char::is_control) {
        return Err(EventError::Malformed(field));
    }
    Ok(value)
}

#[derive(Deserialize)]
struct JsonEvent {
    from: Option<String>,
    to: Option<String>,
    call_id: Option<String>,
    state: Option<String>,
}

/// Reads an event body by its content type.
/// What is wrong with a JSON body, without quoting it (serde's own message repeats values: numbers).
fn json_problem(error: &serde_json::Error) -> String {
    let what = match error.classify() {
        serde_json::error::Category::Eof => "it ends too soon",
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => "it is not well-formed",
        serde_json::error::Category::Data => "a field is missing or has the wrong type",
    };
    format!("{what} (line {}, column {})", error.line(), error.column())
}

pub fn parse_event(content_type: &str, body: &[u8]) -> Result<CallEvent, EventError> {
    let media = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let (from, to, call_id, state, names) = match media.as_str() {
        "application/x-www-form-urlencoded" => {
            let field = |name: &str| url::form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
            (field("From"), field("To"), field("CallSid"), field("CallStatus"), ["From", "CallSid", "CallStatus", TWILIO_STATES])
        }
        "application/json" => {
            let event: JsonEvent = serde_json::from_slice(body).map_err(|e| EventError::Json(json_problem(&e)))?;
            (event.from, event.to, event.call_id, event.state, ["from", "call_id", "state", JSON_STATES])
        }
        _ => return Err(EventError::ContentType),
    };
    let [from_name, id_name, state_name, known] = names;
    let word = checked(state_name, state.unwrap_or_default(), 32)?;
    Ok(CallEvent {
        from: checked(from_name, from.unwrap_or_default(), 64)?,
        to: to.filter(|t| !t.trim().is_empty()).map(|t| checked("to", t, 64)).transpose()?,
        call_id: checked(id_name, call_id.unwrap_or_default(), 128)?,
        state: state_of(&word.to_ascii_lowercase()).ok_or(EventError::UnknownState { field: state_name, known })?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_form_and_json_events_read_the_same() {
        let form = b"CallSid=CA123&From=%2B15551230001&To=%2B15559870000&CallStatus=ringing&Direction=inbound";
        let twilio = parse_event("application/x-www-form-urlencoded; charset=utf-8", form).unwrap();
        assert_eq!(twilio, CallEvent { call_id: "CA123".into(), from: "+15551230001".into(), to: Some("+15559870000".into()), state: CallState::Ringing });
        let json = br#"{"from":"+15551230001","to":"+15559870000","call_id":"CA123","state":"ringing"}"#;
        assert_eq!(parse_event("application/json", json).unwrap(), twilio);
        for (status, state) in
            [("in-progress", CallState::Answered), ("completed", CallState::Ended), ("no-answer", CallState::Missed), ("busy", CallState::Missed)]
        {
            let body = format!("CallSid=CA1&From=5551230001&CallStatus={status}");
            assert_eq!(parse_event("application/x-www-form-urlencoded", body.as_bytes()).unwrap().state, state);
        }
    }

    #[test]
    fn bad_events_are_refused_in_words_that_name_the_field_not_the_number() {
        let cases: [(&str, &[u8], &str); 6] = [
            ("application/x-www-form-urlencoded", b"CallSid=CA1&CallStatus=ringing", "the event has no `From`"),
            ("application/x-www-form-urlencoded", b"CallSid=CA1&From=%2B15551230001&CallStatus=dancing", "`CallStatus` is not a call state"),
            ("application/json", br#"{"from":"+15551230001","state":"ringing"}"#, "the event has no `call_id`"),
            ("application/json", b"{not json", "not valid JSON"),
            ("text/plain", b"hello", "content type must be"),
            ("application/json", br#"{"from":"+1555\u0000","call_id":"x","state":"ringing"}"#, "`from` is too long or has characters"),
        ];
        for (content_type, body, words) in cases {
            let error = parse_event(content_type, body).unwrap_err().to_string();
            assert!(error.contains(words), "{error}");
            assert!(!error.contains("5551230001"), "a number leaked into {error}");
        }
    }
}
