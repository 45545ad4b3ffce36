//! Name resolution for upstream connections, done here rather than by the C library: the
//! resolver reads `/etc/resolv.conf` and `/etc/hosts` itself (hickory), so a static binary
//! in an image with no glibc NSS modules (`FROM scratch`) resolves names as a dynamic one
//! does. One resolver per process, built on first use; the h1 client and every reqwest
//! client share it. IP literals need no lookup. Without a readable `/etc/resolv.conf` a
//! lookup fails with that reason (never a silent fall-back to a public resolver).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::LookupIpStrategy;
use tokio::net::TcpStream;

/// The process's resolver, or why it could not be built.
fn resolver() -> Result<&'static TokioResolver, String> {
    static RESOLVER: OnceLock<Result<TokioResolver, String>> = OnceLock::new();
    RESOLVER
        .get_or_init(|| {
            let mut builder = TokioResolver::builder_tokio()
                .map_err(|e| format!("no DNS configuration (/etc/resolv.conf): {e}"))?;
            builder.options_mut().ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
            builder
                .build()
                .map_err(|e| format!("cannot start the DNS resolver: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The addresses of `host` (a name or an IP literal, IPv6 in brackets or not) at `port`.
///
/// # Errors
/// The lookup's failure, as text.
pub(crate) async fn lookup(host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let found = resolver()?
        .lookup_ip(bare)
        .await
        .map_err(|e| format!("cannot resolve `{bare}`: {e}"))?;
    let addrs: Vec<SocketAddr> = found.iter().map(|ip| SocketAddr::new(ip, port)).collect();
    if addrs.is_empty() {
        return Err(format!("`{bare}` has no address"));
    }
    Ok(addrs)
}

/// A TCP connection to `host:port`: each address in turn until one answers.
///
/// # Errors
/// The lookup's failure, or the last connection error.
pub(crate) async fn connect(host: &str, port: u16) -> std::io::Result<TcpStream> {
    let addrs = lookup(host, port).await.map_err(std::io::Error::other)?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no address to connect to")))
}

/// The same resolver for reqwest clients.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Resolver;

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = lookup(&host, 0).await?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// The resolver as reqwest takes it.
pub(crate) fn for_reqwest() -> Arc<Resolver> {
    Arc::new(Resolver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn literals_need_no_lookup() {
        assert_eq!(
            lookup("127.0.0.1", 80).await,
            Ok(vec!["127.0.0.1:80".parse().unwrap()])
        );
        assert_eq!(
            lookup("[::1]", 443).await,
            Ok(vec!["[::1]:443".parse().unwrap()])
        );
    }

    #[tokio::test]
    async fn localhost_comes_from_the_hosts_file() {
        let addrs = lookup("localhost", 8080).await.unwrap_or_default();
        assert!(
            addrs
                .iter()
                .any(|a| a.ip().is_loopback() && a.port() == 8080),
            "{addrs:?}"
        );
    }
}
