//! `--version alpha2|beta5`: the specification version a command writes or describes
//! (`naftiko schema`, `naftiko create capability`).

use clap::ValueEnum;

/// Which specification: `alpha2` (`naftiko: 1.0.0-alpha2`) or `beta5` (`ikanos: 1.0.0-beta5`).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VersionArg {
    /// `naftiko: 1.0.0-alpha2`.
    Alpha2,
    /// `ikanos: 1.0.0-beta5`.
    Beta5,
}

impl VersionArg {
    /// The model's name for it.
    pub(crate) fn spec(self) -> naftiko_spec::model::Spec {
        match self {
            VersionArg::Alpha2 => naftiko_spec::model::Spec::Alpha2,
            VersionArg::Beta5 => naftiko_spec::model::Spec::Beta5,
        }
    }
}
