//! Identifiers the engine hands to adapters: they name built things without borrowing
//! them, so adapters can keep them in routes and tool lists.

/// Identifies an operation of a [`crate::Runtime`]: its index in the runtime's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpId(pub usize);

/// Identifies a `forward` resource of a [`crate::Runtime`]: its index in the runtime's list
/// of forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ForwardId(pub usize);
