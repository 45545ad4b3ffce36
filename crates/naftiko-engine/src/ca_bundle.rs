//! Certificate authorities added to the system's roots for upstream HTTPS (`--ca-bundle`):
//! a private CA in front of an internal API is trusted beside the public ones, never
//! instead of them (`SSL_CERT_FILE` replaces the roots; this adds to them). Both upstream
//! clients get the same certificates: reqwest's as `reqwest::Certificate`s, the h1 client's
//! (`upstream_tls.rs`) as DER.

use std::path::{Path, PathBuf};

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use sha2::{Digest, Sha256};

/// The certificates of one PEM bundle.
#[derive(Clone)]
pub struct CaBundle {
    path: PathBuf,
    /// The certificates, in the file's order.
    ders: Vec<CertificateDer<'static>>,
    /// The same, for reqwest.
    certificates: Vec<reqwest::Certificate>,
    /// A SHA-256 of the file: what the bundle is, for telling a changed one apart.
    digest: [u8; 32],
}

impl std::fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CaBundle({}, {} certificates, sha256 {})",
            self.path.display(),
            self.certificates.len(),
            crate::digest::hex(&self.digest)
        )
    }
}

impl CaBundle {
    /// The certificates of the PEM file at `path`.
    ///
    /// # Errors
    /// The file cannot be read, or holds no PEM certificate (the message names the file).
    pub fn read(path: &Path) -> Result<CaBundle, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
        let not_pem = || format!("`{}`: not a PEM certificate bundle", path.display());
        // What `reqwest::Certificate::from_pem_bundle` does, keeping the DER for rustls.
        let ders = CertificateDer::pem_slice_iter(&bytes)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| not_pem())?;
        if ders.is_empty() {
            return Err(format!("`{}`: no PEM certificate in it", path.display()));
        }
        let certificates = ders
            .iter()
            .map(|der| reqwest::Certificate::from_der(der))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| not_pem())?;
        Ok(CaBundle {
            path: path.to_owned(),
            ders,
            certificates,
            digest: Sha256::digest(&bytes).into(),
        })
    }

    /// This bundle and `other` together (a consumed API's own CAs beside the global ones).
    pub fn merged(&self, other: &CaBundle) -> CaBundle {
        let mut digest = Sha256::new();
        digest.update(self.digest);
        digest.update(other.digest);
        CaBundle {
            path: PathBuf::from(format!(
                "{} + {}",
                self.path.display(),
                other.path.display()
            )),
            ders: self.ders().chain(other.ders()).cloned().collect(),
            certificates: self.certificates().chain(other.certificates()).collect(),
            digest: digest.finalize().into(),
        }
    }

    /// Its certificates.
    pub(crate) fn certificates(&self) -> impl Iterator<Item = reqwest::Certificate> + '_ {
        self.certificates.iter().cloned()
    }

    /// Its certificates as DER (for rustls).
    pub(crate) fn ders(&self) -> impl Iterator<Item = &CertificateDer<'static>> + '_ {
        self.ders.iter()
    }
}
