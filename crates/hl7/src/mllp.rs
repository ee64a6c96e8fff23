//! MLLP framing: each message travels as VT (0x0b), its bytes, FS (0x1c), CR (0x0d).

pub const START: u8 = 0x0b;
pub const END: u8 = 0x1c;
pub const CR: u8 = 0x0d;

/// A message in its frame.
pub fn frame(message: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(message.len() + 3);
    framed.push(START);
    framed.extend_from_slice(message);
    framed.extend_from_slice(&[END, CR]);
    framed
}

/// What came out of the bytes received so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole message, without its frame.
    Message(Vec<u8>),
    /// A message longer than the limit: its bytes up to here were dropped, and the rest up to its end
    /// will be too.
    TooLarge,
}

/// Splits a connection's byte stream into messages. Bytes outside a frame are dropped; a start byte
/// inside a message begins a new one (the sender gave up on the first). Scanning resumes where it
/// stopped, so a large message arriving in small reads is read once.
pub struct Deframer {
    buffer: Vec<u8>,
    scanned: usize,
    in_message: bool,
    dropping: bool,
    max: usize,
}

impl Deframer {
    pub fn new(max: usize) -> Deframer {
        Deframer { buffer: Vec::new(), scanned: 0, in_message: false, dropping: false, max }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next message or refusal the bytes pushed so far hold.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if !self.in_message {
                let start = self.buffer.iter().position(|&b| b == START);
                match start {
                    Some(at) => {
                        self.buffer.drain(..=at);
                        self.in_message = true;
                        self.scanned = 0;
                    }
                    None => {
                        self.buffer.clear();
                        return None;
                    }
                }
            }
            let rest = &self.buffer[self.scanned..];
            match rest.iter().position(|&b| b == END || b == START) {
                Some(offset) if rest[offset] == START => {
                    // The sender started again: what came before is abandoned.
                    self.buffer.drain(..self.scanned + offset);
                    self.in_message = false;
                    self.dropping = false;
                }
                Some(offset) => {
                    let end = self.scanned + offset;
                    let message: Vec<u8> = self.buffer[..end].to_vec();
                    let skip = if self.buffer.get(end + 1) == Some(&CR) { end + 2 } else { end + 1 };
                    self.buffer.drain(..skip.min(self.buffer.len()));
                    self.in_message = false;
                    self.scanned = 0;
                    if std::mem::take(&mut self.dropping) {
                        continue;
                    }
                    return Some(Frame::Message(message));
                }
                None => {
                    self.scanned = self.buffer.len();
                    if self.scanned > self.max {
                        self.buffer.clear();
                        self.scanned = 0;
                        if !std::mem::replace(&mut self.dropping, true) {
                            return Some(Frame::TooLarge);
                        }
                    }
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(deframer: &mut Deframer) -> Vec<Frame> {
        std::iter::from_fn(|| deframer.next_frame()).collect()
    }

    #[test]
    fn messages_are_found_whatever_the_reads_look_like() {
        let stream: Vec<u8> = [frame(b"MSH|one"), b"noise".to_vec(), frame(b"MSH|two")].concat();
        for seed in 0..50 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let mut deframer = Deframer::new(1024);
            let mut found = Vec::new();
            let mut at = 0;
            while at < stream.len() {
                let take = rng.usize(1..=stream.len() - at);
                deframer.push(&stream[at..at + take]);
                at += take;
                found.extend(all(&mut deframer));
            }
            assert_eq!(found, vec![Frame::Message(b"MSH|one".to_vec()), Frame::Message(b"MSH|two".to_vec())], "seed {seed}");
        }
    }

    #[test]
    fn a_restarted_frame_abandons_the_first() {
        let mut deframer = Deframer::new(1024);
        deframer.push(&[&[START][..], b"MSH|cut", &frame(b"MSH|whole")].concat());
        assert_eq!(all(&mut deframer), vec![Frame::Message(b"MSH|whole".to_vec())]);
    }

    #[test]
    fn an_oversized_message_is_refused_once_and_the_next_one_read() {
        let mut deframer = Deframer::new(100);
        deframer.push(&[START]);
        for _ in 0..10 {
            deframer.push(&[b'x'; 60]);
        }
        let first = all(&mut deframer);
        deframer.push(&[END, CR]);
        deframer.push(&frame(b"MSH|after"));
        let second = all(&mut deframer);
        assert_eq!(first, vec![Frame::TooLarge]);
        assert_eq!(second, vec![Frame::Message(b"MSH|after".to_vec())]);
    }

    #[test]
    fn random_bytes_never_panic_and_stay_bounded() {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut deframer = Deframer::new(4096);
        for _ in 0..2000 {
            let chunk: Vec<u8> = (0..rng.usize(0..300)).map(|_| if rng.u8(..) < 20 { [START, END, CR][rng.usize(0..3)] } else { rng.u8(..) }).collect();
            deframer.push(&chunk);
            while deframer.next_frame().is_some() {}
            assert!(deframer.buffer.len() <= 4096 + 300);
        }
    }
}
