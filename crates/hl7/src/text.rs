//! From bytes to text: the character set MSH-18 names, segment ends, and the escape sequences inside
//! a value.

use crate::Refusal;

/// The character sets read (MSH-18). Others are refused by name rather than read as mojibake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Latin1,
}

/// The message as text, its segments ended by CR whatever the sender used (CR LF and LF are common).
pub fn decode(bytes: &[u8]) -> Result<(String, Charset), Refusal> {
    if !bytes.starts_with(b"MSH") || bytes.len() < 8 {
        return Err(Refusal::reject(100, "the message does not start with an MSH segment"));
    }
    let first_segment = bytes.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or_default();
    let separator = bytes[3];
    let charset_field = first_segment.split(|&b| b == separator).nth(17).unwrap_or_default();
    let charset_name = String::from_utf8_lossy(charset_field);
    let charset_name = charset_name.split(bytes[4] as char).next().unwrap_or_default().trim().to_ascii_uppercase();
    let charset = match charset_name.as_str() {
        "UNICODE UTF-8" | "UTF-8" => Charset::Utf8,
        "8859/1" => Charset::Latin1,
        "" | "ASCII" => match std::str::from_utf8(bytes) {
            Ok(_) => Charset::Utf8,
            Err(_) => Charset::Latin1,
        },
        other => {
            return Err(Refusal::reject(102, format!("MSH-18 names the character set {other}, which is not read here (ASCII, 8859/1 and UNICODE UTF-8 are)")))
        }
    };
    let text = match charset {
        Charset::Utf8 => String::from_utf8(bytes.to_vec()).map_err(|_| Refusal::reject(102, "MSH-18 says UTF-8, but the message is not valid UTF-8"))?,
        Charset::Latin1 => bytes.iter().map(|&b| b as char).collect(),
    };
    let text = text.replace("\r\n", "\r").replace('\n', "\r");
    Ok((text.trim_end_matches('\r').to_string(), charset))
}

/// The characters that separate a message's parts (MSH-1 and MSH-2).
#[derive(Debug, Clone, Copy)]
pub struct Separators {
    pub field: char,
    pub component: char,
    pub repetition: char,
    pub escape: char,
    pub subcomponent: char,
}

impl Separators {
    pub fn of(parsed: &hl7_parser::Message<'_>) -> Separators {
        let s = &parsed.separators;
        Separators { field: s.field, component: s.component, repetition: s.repetition, escape: s.escape, subcomponent: s.subcomponent }
    }

    /// A value with its escape sequences read: separators, `\X..\` hex bytes in the message's
    /// character set, `\.br\` as a line break. Highlighting and formatting commands are dropped; an
    /// escape left open is kept as written.
    pub fn unescape(&self, raw: &str, charset: Charset) -> String {
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(at) = rest.find(self.escape) {
            out.push_str(&rest[..at]);
            let after = &rest[at + self.escape.len_utf8()..];
            let Some(end) = after.find(self.escape) else {
                out.push_str(&rest[at..]);
                return out;
            };
            let sequence = &after[..end];
            match sequence {
                "F" => out.push(self.field),
                "S" => out.push(self.component),
                "T" => out.push(self.subcomponent),
                "R" => out.push(self.repetition),
                "E" => out.push(self.escape),
                ".br" => out.push('\n'),
                hex if hex.starts_with('X') => out.push_str(&hex_bytes(&hex[1..], charset)),
                _ => {}
            }
            rest = &after[end + self.escape.len_utf8()..];
        }
        out.push_str(rest);
        out
    }
}

fn hex_bytes(hex: &str, charset: Charset) -> String {
    let bytes: Vec<u8> = (0..hex.len() / 2).filter_map(|i| hex.get(2 * i..2 * i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok())).collect();
    match charset {
        Charset::Utf8 => String::from_utf8_lossy(&bytes).into_owned(),
        Charset::Latin1 => bytes.iter().map(|&b| b as char).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEPARATORS: Separators = Separators { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' };

    #[test]
    fn escapes_are_read() {
        let read = |raw: &str| SEPARATORS.unescape(raw, Charset::Utf8);
        assert_eq!(read(r"Smith \T\ Sons\F\ltd"), "Smith & Sons|ltd");
        assert_eq!(read(r"line one\.br\line two"), "line one\nline two");
        assert_eq!(read(r"\H\bold\N\ text"), "bold text");
        assert_eq!(read(r"caf\XC3A9\"), "café");
        assert_eq!(read(r"open \escape"), r"open \escape");
        assert_eq!(read(r"é\S\ü"), "é^ü");
    }

    #[test]
    fn the_character_set_is_read_from_msh_18() {
        let latin = b"MSH|^~\\&|LAB|ACME|||20261207||ORU^R01|1|P|2.5||||||8859/1\rPID|||1||M\xfcller";
        let (text, charset) = decode(latin).unwrap();
        assert_eq!(charset, Charset::Latin1);
        assert!(text.ends_with("Müller"));
        let wrong = b"MSH|^~\\&|LAB|ACME|||20261207||ORU^R01|1|P|2.5||||||UNICODE UTF-8\rPID|||1||M\xfcller";
        assert!(decode(wrong).unwrap_err().words.contains("not valid UTF-8"));
        let unknown = b"MSH|^~\\&|LAB|ACME|||20261207||ORU^R01|1|P|2.5||||||ISO IR87\r";
        assert!(decode(unknown).unwrap_err().words.contains("ISO IR87"));
    }

    #[test]
    fn line_feeds_end_segments_too() {
        let (text, _) = decode(b"MSH|^~\\&|A\r\nPID|1\nOBX|1\r\n").unwrap();
        assert_eq!(text, "MSH|^~\\&|A\rPID|1\rOBX|1");
    }

    #[test]
    fn unescaping_random_text_never_panics() {
        let mut rng = fastrand::Rng::with_seed(3);
        let alphabet: Vec<char> = "\\XF0S.brHé€abc12".chars().collect();
        for _ in 0..5000 {
            let raw: String = (0..rng.usize(0..30)).map(|_| alphabet[rng.usize(0..alphabet.len())]).collect();
            SEPARATORS.unescape(&raw, Charset::Utf8);
            SEPARATORS.unescape(&raw, Charset::Latin1);
        }
    }
}
