//! `[hl7]`: the HL7 v2 feed receiver (`switchboard hl7 serve`): where it listens, who may connect,
//! which source its resources go to, and how the senders' assigning authorities map to
//! identifier systems.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// The port interface engines use for MLLP by convention.
pub const DEFAULT_HL7_LISTEN: &str = "127.0.0.1:2575";
pub const DEFAULT_MAX_MESSAGE_MB: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hl7Config {
    pub listen: SocketAddr,
    /// Addresses allowed to connect; none listed means only this machine.
    pub allowed_peers: Vec<IpAddr>,
    /// The source the resources are written to; by default the results source, else the shared work.
    pub target: Option<String>,
    pub max_message_mb: usize,
    /// Assigning authority namespace (PID-3's CX-4.1) -> the FHIR identifier system it means.
    pub authorities: BTreeMap<String, String>,
    /// MLLP over TLS instead of plain TCP, when set.
    pub tls: Option<Hl7Tls>,
}

/// The receiver's TLS files (PEM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hl7Tls {
    /// This receiver's certificate chain.
    pub cert: PathBuf,
    /// Its private key; the receiver refuses a key file every account can read.
    pub key: PathBuf,
    /// When set, an engine must present a client certificate issued by one of these authorities.
    pub client_ca: Option<PathBuf>,
}

impl Default for Hl7Config {
    fn default() -> Self {
        Hl7Config {
            listen: DEFAULT_HL7_LISTEN.parse().expect("a socket address"),
            allowed_peers: Vec::new(),
            target: None,
            max_message_mb: DEFAULT_MAX_MESSAGE_MB,
            authorities: BTreeMap::new(),
            tls: None,
        }
    }
}

impl Hl7Config {
    /// Whether a peer may connect.
    pub fn allows(&self, peer: IpAddr) -> bool {
        match self.allowed_peers.is_empty() {
            true => peer.is_loopback(),
            false => self.allowed_peers.contains(&peer),
        }
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHl7 {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    listen: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    allowed_peers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_message_mb: Option<usize>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    authorities: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tls_cert: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tls_key: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tls_client_ca: Option<PathBuf>,
}

impl RawHl7 {
    pub(super) fn from(config: &Hl7Config) -> Option<RawHl7> {
        (config != &Hl7Config::default()).then(|| RawHl7 {
            listen: Some(config.listen.to_string()),
            allowed_peers: config.allowed_peers.iter().map(IpAddr::to_string).collect(),
            target: config.target.clone(),
            max_message_mb: (config.max_message_mb != DEFAULT_MAX_MESSAGE_MB).then_some(config.max_message_mb),
            authorities: config.authorities.clone(),
            tls_cert: config.tls.as_ref().map(|t| t.cert.clone()),
            tls_key: config.tls.as_ref().map(|t| t.key.clone()),
            tls_client_ca: config.tls.as_ref().and_then(|t| t.client_ca.clone()),
        })
    }

    /// The section checked against the sources; (field, problem) when wrong.
    pub(super) fn check(self, sources: &[super::SourceConfig]) -> Result<Hl7Config, (&'static str, String)> {
        let listen = match self.listen {
            Some(text) => {
                text.trim().parse().map_err(|_| ("hl7.listen", format!("{} is not an address and port such as 0.0.0.0:2575", super::quoted(&text))))?
            }
            None => DEFAULT_HL7_LISTEN.parse().expect("a socket address"),
        };
        let allowed_peers = self
            .allowed_peers
            .iter()
            .map(|peer| peer.trim().parse().map_err(|_| ("hl7.allowed_peers", format!("{} is not an IP address", super::quoted(peer)))))
            .collect::<Result<_, _>>()?;
        if let Some(target) = &self.target {
            if !sources.iter().any(|s| &s.name == target) {
                return Err(("hl7.target", format!("names no configured source ({})", super::quoted(target))));
            }
        }
        let max_message_mb = self.max_message_mb.unwrap_or(DEFAULT_MAX_MESSAGE_MB);
        if !(1..=256).contains(&max_message_mb) {
            return Err(("hl7.max_message_mb", "must be between 1 and 256".into()));
        }
        if let Some((namespace, _)) = self.authorities.iter().find(|(_, system)| system.trim().is_empty() || system.contains(char::is_whitespace)) {
            return Err(("hl7.authorities", format!("the system for {} is not an identifier system URI", super::quoted(namespace))));
        }
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some(Hl7Tls { cert, key, client_ca: self.tls_client_ca }),
            (None, None) if self.tls_client_ca.is_none() => None,
            (None, None) => return Err(("hl7.tls_client_ca", "needs tls_cert and tls_key: client certificates are checked only over TLS".into())),
            (Some(_), None) => return Err(("hl7.tls_key", "is missing: tls_cert needs its private key".into())),
            (None, Some(_)) => return Err(("hl7.tls_cert", "is missing: tls_key needs its certificate".into())),
        };
        Ok(Hl7Config { listen, allowed_peers, target: self.target, max_message_mb, authorities: self.authorities, tls })
    }
}
