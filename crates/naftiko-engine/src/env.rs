//! Where the engine reads the process environment: one trait, so tests pass a map and never
//! mutate the real environment (`std::env::set_var` is `unsafe` in edition 2024).

use std::collections::HashMap;

/// A source of environment variables.
pub trait EnvSource: Send + Sync {
    /// The value of `name`, or `None` when it is not set (or not valid UTF-8).
    fn var(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// A fixed set of variables (tests, and `naftiko` runs that must not see the real
/// environment).
#[derive(Debug, Clone, Default)]
pub struct MapEnv(pub HashMap<String, String>);

impl MapEnv {
    /// An environment holding exactly these pairs.
    pub fn new<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Self {
        MapEnv(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl EnvSource for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// Answers every name with a made-up value derived from it (`fake-NAME`): lets a capability
/// build and run without real secrets (the corpus smoke test).
#[derive(Debug, Clone, Copy, Default)]
pub struct FakeEnv;

impl EnvSource for FakeEnv {
    fn var(&self, name: &str) -> Option<String> {
        Some(format!("fake-{name}"))
    }
}
