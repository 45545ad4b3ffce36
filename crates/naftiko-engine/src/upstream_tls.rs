//! TLS for upstream HTTPS on the h1 client: the rustls client settings, built the way
//! reqwest builds its own (`reqwest_client.rs`), so that both trust exactly the same
//! certificates: rustls-platform-verifier (on Linux the system's roots, which
//! `SSL_CERT_FILE` replaces), plus the `--ca-bundle` certificates added beside them, over
//! TLS 1.2 and 1.3 with the process's default crypto provider (aws-lc-rs unless one was
//! installed). No option weakens verification. ALPN offers `http/1.1` only; rustls's
//! default session cache resumes sessions. The settings are built on the first HTTPS
//! connection (loading the roots pages in the TLS stack), once per [`LazyTls`].

use std::sync::{Arc, OnceLock};

use rustls::ClientConfig;
use rustls::crypto::CryptoProvider;
use rustls_pki_types::ServerName;

use crate::ca_bundle::CaBundle;

/// The TLS client settings of one or more h1 clients (every consumed API with the same
/// certificate authorities), built on first use.
#[derive(Debug, Default)]
pub(crate) struct LazyTls {
    extra_roots: Option<Arc<CaBundle>>,
    cell: OnceLock<Result<Arc<ClientConfig>, String>>,
}

impl LazyTls {
    /// Settings trusting the system's roots and `extra_roots`, not built yet.
    pub(crate) fn new(extra_roots: Option<Arc<CaBundle>>) -> Self {
        LazyTls {
            extra_roots,
            cell: OnceLock::new(),
        }
    }

    /// The settings, built now if they were not yet.
    ///
    /// # Errors
    /// When the verifier cannot be set up (no root certificate at all, an unusable one in
    /// the bundle): naftiko's configuration, not the upstream's fault.
    pub(crate) fn get(&self) -> Result<Arc<ClientConfig>, String> {
        self.cell
            .get_or_init(|| client_config(self.extra_roots.as_deref()).map(Arc::new))
            .clone()
    }
}

/// The rustls client settings reqwest 0.13 builds with its default options (`rustls`
/// feature, no `tls_certs_only`, certificate and host name verification on), with ALPN
/// `http/1.1`.
fn client_config(extra_roots: Option<&CaBundle>) -> Result<ClientConfig, String> {
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let verifier = match extra_roots {
        None => rustls_platform_verifier::Verifier::new(provider.clone()),
        Some(bundle) => rustls_platform_verifier::Verifier::new_with_extra_roots(
            bundle.ders().cloned(),
            provider.clone(),
        ),
    }
    .map_err(|e| format!("cannot set up upstream TLS: {e}"))?;
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| format!("cannot set up upstream TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The name a certificate must carry for `host` (a URL's host, IPv6 in brackets): a DNS
/// name (also sent as SNI), or an IP address (no SNI; checked against the certificate's IP
/// addresses), as hyper-rustls names reqwest's connections.
///
/// # Errors
/// A host that is neither.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return Ok(ServerName::from(ip));
    }
    ServerName::try_from(bare.to_owned())
        .map_err(|_| format!("`{bare}` is not a host name a certificate can carry"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_names_and_ip_literals_are_addresses() {
        let name = |url: &str| {
            let url = reqwest::Url::parse(url).unwrap();
            server_name(url.host_str().unwrap())
        };
        assert!(matches!(
            name("https://api.example.com/x").unwrap(),
            ServerName::DnsName(d) if d.as_ref() == "api.example.com"
        ));
        assert!(matches!(
            name("https://127.0.0.1:8443/").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            name("https://[::1]:8443/").unwrap(),
            ServerName::IpAddress(_)
        ));
    }
}
