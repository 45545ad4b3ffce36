//! How to build: the command line's say over the capability files (`--base-uri`,
//! `--listen`, `--expose`, `--control`, client settings) and where bindings are read.

use std::sync::Arc;

use crate::env::EnvSource;
use crate::services::McpListen;
use crate::transport::{ClientOptions, Transport};

/// How to build.
#[derive(Clone)]
pub struct BuildOptions {
    /// `--base-uri NAMESPACE=URL`: replaces a consumed namespace's `baseUri`.
    pub base_uris: Vec<(String, String)>,
    /// `--listen NAMESPACE=HOST:PORT`: moves an exposes block.
    pub listens: Vec<(String, String, u16)>,
    /// Upstream HTTP client settings.
    pub client: ClientOptions,
    /// Where bindings and `in: environment` parameters are read.
    pub env: Arc<dyn EnvSource>,
    /// `--expose mcp=…`: also serve every exposed REST operation as an MCP tool.
    pub expose_mcp: Option<McpListen>,
    /// `--expose skill=HOST:PORT`: also serve a skill catalog with one skill per capability.
    pub expose_skill: Option<(String, u16)>,
    /// `--control HOST:PORT`: serve the control port (health, status, metrics) there.
    pub control: Option<(String, u16)>,
    /// `--general-path`: serve every operation on the general path, with no direct plans
    /// (for comparing the two; the answers are the same).
    pub general_only: bool,
    /// The transport of every upstream request, instead of the h1 client and reqwest (for
    /// benchmarks and tests: a double that answers from memory).
    pub transport: Option<Arc<dyn Transport>>,
    /// `--ca-bundle NAMESPACE=PATH`: certificate authorities a consumed API's HTTPS client
    /// (and its token endpoint and forwards) trusts beside the system's roots and beside
    /// `client.extra_roots`.
    pub ca_bundles: Vec<(String, Arc<crate::ca_bundle::CaBundle>)>,
}

impl BuildOptions {
    /// Options reading bindings from `env`, with everything else as `naftiko run` has it
    /// without flags: no overrides, default client settings, nothing extra exposed.
    pub fn new(env: Arc<dyn EnvSource>) -> Self {
        BuildOptions {
            base_uris: Vec::new(),
            listens: Vec::new(),
            client: ClientOptions::default(),
            env,
            expose_mcp: None,
            expose_skill: None,
            control: None,
            general_only: false,
            transport: None,
            ca_bundles: Vec::new(),
        }
    }

    /// The address and port `--listen` gives an exposes namespace, if any.
    pub(super) fn placement(&self, namespace: &str) -> Option<(String, u16)> {
        self.listens
            .iter()
            .find(|(ns, _, _)| ns == namespace)
            .map(|(_, host, port)| (host.clone(), *port))
    }

    /// Where an exposes block listens: `--listen` for its namespace, else its own
    /// `address` and `port`, else the defaults of its kind.
    pub(super) fn listen_at(
        &self,
        namespace: &str,
        address: &Option<naftiko_spec::model::Text>,
        port: &Option<naftiko_spec::Spanned<u16>>,
        default_address: &str,
        default_port: u16,
    ) -> (String, u16) {
        self.placement(namespace).unwrap_or_else(|| {
            (
                address
                    .as_ref()
                    .map_or_else(|| default_address.to_owned(), |a| a.value.clone()),
                port.as_ref().map_or(default_port, |p| p.value),
            )
        })
    }
}

impl std::fmt::Debug for BuildOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildOptions")
            .field("base_uris", &self.base_uris)
            .field("listens", &self.listens)
            .field("client", &self.client)
            .field("expose_mcp", &self.expose_mcp)
            .field("expose_skill", &self.expose_skill)
            .field("control", &self.control)
            .field("general_only", &self.general_only)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}
