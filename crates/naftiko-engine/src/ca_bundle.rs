//! Certificate authorities added to the system's roots for upstream HTTPS (`--ca-bundle`):
//! a private CA in front of an internal API is trusted beside the public ones, never
//! instead of them (`SSL_CERT_FILE` replaces the roots; this adds to them).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The certificates of one PEM bundle.
#[derive(Clone)]
pub struct CaBundle {
    path: PathBuf,
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
        let certificates = reqwest::Certificate::from_pem_bundle(&bytes)
            .map_err(|_| format!("`{}`: not a PEM certificate bundle", path.display()))?;
        if certificates.is_empty() {
            return Err(format!("`{}`: no PEM certificate in it", path.display()));
        }
        Ok(CaBundle {
            path: path.to_owned(),
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
            certificates: self.certificates().chain(other.certificates()).collect(),
            digest: digest.finalize().into(),
        }
    }

    /// Its certificates.
    pub(crate) fn certificates(&self) -> impl Iterator<Item = reqwest::Certificate> + '_ {
        self.certificates.iter().cloned()
    }
}
