//! TLS on listeners: a rustls server configuration made from a PEM certificate chain and
//! private key (`--tls-cert`, `--tls-key`), offering `http/1.1` by ALPN, TLS 1.3 and 1.2;
//! and which listener gets which ([`Tls`]). The files are read at start and again at each
//! reload, so a renewed certificate is served from the next reload on.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why a certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file cannot be read or holds no PEM certificate.
    #[error("--tls-cert `{}`: {detail}", .path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The key file cannot be read or holds no PEM private key.
    #[error("--tls-key `{}`: {detail}", .path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The key does not go with the certificate, or rustls refuses them.
    #[error("--tls-cert `{}` with --tls-key `{}`: {detail}", .cert.display(), .key.display())]
    Pair {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls says.
        detail: String,
    },
}

/// A listener's TLS: the configuration connections are accepted with.
pub type TlsConfig = Arc<ServerConfig>;

/// The server configuration of the certificate chain in `cert` and the key in `key`.
///
/// # Errors
/// A file cannot be read, holds no certificate or key, or the two do not go together.
pub fn server_config(cert: &Path, key: &Path) -> Result<TlsConfig, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| TlsError::Certificate {
            path: cert.to_owned(),
            detail: pem_problem(&e),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Certificate {
            path: cert.to_owned(),
            detail: "no PEM certificate in it".to_owned(),
        });
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.to_owned(),
        detail: pem_problem(&e),
    })?;
    let pair = |detail: String| TlsError::Pair {
        cert: cert.to_owned(),
        key: key.to_owned(),
        detail,
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| pair(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, private)
        .map_err(|e| pair(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A PEM reading problem, without the file's content (a key must never reach a message).
fn pem_problem(e: &rustls_pki_types::pem::Error) -> String {
    use rustls_pki_types::pem::Error as E;
    match e {
        E::Io(io) => io.to_string(),
        E::NoItemsFound => "no PEM item of the expected kind in it".to_owned(),
        _ => "not a valid PEM file".to_owned(),
    }
}

/// Which listeners serve TLS, with which configuration: one for every listener, and one
/// per exposes namespace (a listener takes the first of its namespaces that has one, else
/// the one for all; `control` names the control port).
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// For every listener without one of its own.
    pub all: Option<TlsConfig>,
    /// By exposes namespace.
    pub namespaces: Vec<(String, TlsConfig)>,
}

impl Tls {
    /// The configuration of a listener serving `namespaces`, if it serves TLS.
    pub fn of(&self, namespaces: &[String]) -> Option<TlsConfig> {
        namespaces
            .iter()
            .find_map(|n| {
                self.namespaces
                    .iter()
                    .find(|(ns, _)| ns == n)
                    .map(|(_, c)| c.clone())
            })
            .or_else(|| self.all.clone())
    }
}
