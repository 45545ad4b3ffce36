//! What a runtime hands on to the next one built from it (a reload, `Runtime::build_next`):
//! the metrics registry, so that counts go on; and, for each consumed API whose block, base
//! URI, bound values and client settings did not change, its transport (and so its pool of
//! open connections) and its OAuth 2.0 token source (and so its cached token). A consumed
//! API that changed in any of those gets new ones.

use std::collections::HashMap;
use std::sync::Arc;

use naftiko_spec::model::ConsumesHttp;
use sha2::{Digest, Sha256};

use crate::auth::TokenSource;
use crate::transport::{ClientOptions, Transport};

/// A consumed API's identity for reuse: a SHA-256 of everything its client and
/// credentials are made from.
pub(crate) type Fingerprint = [u8; 32];

/// What can be handed on of one consumed API.
#[derive(Clone)]
pub(crate) struct KeptUpstream {
    /// Its transport (the h1 client's or reqwest's connection pool).
    pub(crate) transport: Arc<dyn Transport>,
    /// Its OAuth 2.0 token source, when it uses OAuth 2.0.
    pub(crate) token: Option<Arc<TokenSource>>,
}

impl std::fmt::Debug for KeptUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeptUpstream")
            .field("token", &self.token.is_some())
            .finish_non_exhaustive()
    }
}

/// The consumed APIs of a runtime, by fingerprint.
pub(crate) type Kept = HashMap<Fingerprint, KeptUpstream>;

/// The fingerprint of consumed API `namespace` (block `api`, rendered base URI `base`) in
/// a document whose bound values are `binds`, called with `client`.
pub(crate) fn fingerprint(
    namespace: &str,
    base: &str,
    api: &ConsumesHttp,
    binds: &[Option<String>],
    client: &ClientOptions,
) -> Fingerprint {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(namespace.as_bytes());
    field(base.as_bytes());
    field(serde_json::to_string(api).unwrap_or_default().as_bytes());
    for b in binds {
        field(b.as_deref().unwrap_or("\u{0}absent").as_bytes());
    }
    field(format!("{client:?}").as_bytes());
    h.finalize().into()
}
