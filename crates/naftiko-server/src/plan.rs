//! The listeners a runtime needs: one per distinct address and port of its REST services
//! (services on the same port share one listener and one route table), one per MCP service
//! over HTTP, one per skill catalog, and the control port; and the MCP service on stdio.
//! A listener is known by the address and port the files (or flags) ask for: a reload keeps
//! the open listener of each one the next generation still asks for.

use naftiko_engine::{McpListen, Runtime};

use crate::error::ServeError;

/// What a planned listener serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum What {
    /// These REST services (indexes into `Runtime::rest_services`).
    Rest(Vec<usize>),
    /// This MCP service over HTTP.
    Mcp(usize),
    /// This skill catalog.
    Skill(usize),
    /// The control port.
    Control,
}

/// One listener a runtime needs.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// `rest`, `mcp`, `skill` or `control`.
    pub(crate) kind: &'static str,
    /// The address asked for.
    pub(crate) address: String,
    /// The port asked for (0: any free one).
    pub(crate) port: u16,
    /// The exposes namespaces it serves.
    pub(crate) namespaces: Vec<String>,
    /// What it serves.
    pub(crate) what: What,
}

/// A listener's identity across reloads: the address and port asked for; for port 0 (any
/// free port: several listeners may ask for it) also its kind and namespaces.
pub(crate) type Key = (String, u16, String);

impl Plan {
    /// The listener's identity across reloads.
    pub(crate) fn key(&self) -> Key {
        let who = if self.port == 0 {
            format!("{} {}", self.kind, self.namespaces.join(","))
        } else {
            String::new()
        };
        (self.address.clone(), self.port, who)
    }
}

/// Every listener of a runtime, and the MCP service on stdio.
#[derive(Debug)]
pub(crate) struct Plans {
    /// The listeners, REST first, then MCP, skills and the control port.
    pub(crate) listeners: Vec<Plan>,
    /// The MCP service served on stdio, if any.
    pub(crate) stdio: Option<usize>,
}

/// The listeners `runtime` needs.
///
/// # Errors
/// [`ServeError::TwoStdio`] when two MCP services want stdio.
pub(crate) fn plan(runtime: &Runtime) -> Result<Plans, ServeError> {
    let mut listeners: Vec<Plan> = Vec::new();
    for (i, s) in runtime.rest_services().iter().enumerate() {
        let shared = listeners
            .iter_mut()
            .find(|p| p.address == s.address && p.port == s.port);
        match shared {
            Some(Plan {
                what: What::Rest(members),
                namespaces,
                ..
            }) => {
                members.push(i);
                namespaces.push(s.namespace.clone());
            }
            _ => listeners.push(Plan {
                kind: "rest",
                address: s.address.clone(),
                port: s.port,
                namespaces: vec![s.namespace.clone()],
                what: What::Rest(vec![i]),
            }),
        }
    }
    let mut stdio = None;
    for (i, s) in runtime.mcp_services().iter().enumerate() {
        match &s.listen {
            McpListen::Stdio => {
                if stdio.replace(i).is_some() {
                    return Err(ServeError::TwoStdio(s.namespace.clone()));
                }
            }
            McpListen::Http(address, port) => listeners.push(Plan {
                kind: "mcp",
                address: address.clone(),
                port: *port,
                namespaces: vec![s.namespace.clone()],
                what: What::Mcp(i),
            }),
        }
    }
    for (i, s) in runtime.skill_services().iter().enumerate() {
        listeners.push(Plan {
            kind: "skill",
            address: s.address.clone(),
            port: s.port,
            namespaces: vec![s.namespace.clone()],
            what: What::Skill(i),
        });
    }
    if let Some(c) = runtime.control_service() {
        listeners.push(Plan {
            kind: "control",
            address: c.address.clone(),
            port: c.port,
            namespaces: vec!["control".to_owned()],
            what: What::Control,
        });
    }
    Ok(Plans { listeners, stdio })
}
