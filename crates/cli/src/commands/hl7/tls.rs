//! MLLP over TLS: the receiver's certificate and key from `[hl7]`, and, when the clinic names a
//! client authority, the engines' certificates checked against it.

use std::path::Path;
use std::sync::Arc;
use switchboard_app::AppError;
use switchboard_core::config::Hl7Tls;
use tokio_rustls::rustls::crypto::ring::default_provider;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{RootCertStore, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// The acceptor for the configured files; a clear error naming the file when one is wrong.
pub fn acceptor(tls: &Hl7Tls) -> Result<TlsAcceptor, AppError> {
    let certs = certificates(&tls.cert, "hl7.tls_cert")?;
    refuse_shared_key(&tls.key)?;
    let key = PrivateKeyDer::from_pem_file(&tls.key).map_err(|e| problem("hl7.tls_key", &tls.key, &format!("holds no private key in PEM ({e})")))?;
    let provider = Arc::new(default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| AppError::Internal(format!("TLS versions: {e}")))?;
    let builder = match &tls.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for cert in certificates(path, "hl7.tls_client_ca")? {
                roots.add(cert).map_err(|e| problem("hl7.tls_client_ca", path, &format!("holds a certificate that cannot be used: {e}")))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| problem("hl7.tls_client_ca", path, &format!("cannot check client certificates: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let config =
        builder.with_single_cert(certs, key).map_err(|e| problem("hl7.tls_key", &tls.key, &format!("does not fit the certificate in tls_cert: {e}")))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn certificates(path: &Path, field: &str) -> Result<Vec<CertificateDer<'static>>, AppError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| problem(field, path, &format!("cannot be read as PEM certificates ({e})")))?;
    if certs.is_empty() {
        return Err(problem(field, path, "holds no certificate"));
    }
    Ok(certs)
}

/// A private key every account can read is as good as published. A group may read it (Debian keeps
/// service keys root:ssl-cert, mode 640).
fn refuse_shared_key(path: &Path) -> Result<(), AppError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).map_err(|e| problem("hl7.tls_key", path, &format!("cannot be read ({e})")))?.permissions().mode();
    if mode & 0o007 != 0 {
        return Err(problem("hl7.tls_key", path, &format!("can be read by every account (mode {:o}); `chmod o-rwx` it", mode & 0o777)));
    }
    Ok(())
}

fn problem(field: &str, path: &Path, words: &str) -> AppError {
    AppError::Invalid(format!("[{field}] {} {words}", path.display()))
}
