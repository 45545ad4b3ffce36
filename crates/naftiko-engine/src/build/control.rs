//! The control port: from `--control`, else from the first `exposes: type: control` block.

use naftiko_spec::model::ExposesControl;

use super::options::BuildOptions;
use super::state::{Builder, DocBuild};
use crate::services::ControlService;

/// The control port `--control` asks for, if any (it wins over the files).
pub(super) fn from_options(options: &BuildOptions) -> Option<ControlService> {
    options
        .control
        .as_ref()
        .map(|(address, port)| ControlService {
            address: address.clone(),
            port: *port,
            guard: None,
        })
}

/// A control block: used when no control port is set yet.
pub(super) fn build(b: &mut Builder<'_>, d: &DocBuild<'_>, c: &ExposesControl) {
    if b.control.is_some() {
        return;
    }
    let address = c
        .address
        .as_ref()
        .map(|a| a.value.clone())
        .unwrap_or_else(|| "127.0.0.1".to_owned());
    let port = c.port.as_ref().map(|p| p.value).unwrap_or(9100);
    b.warn_if_open(
        "control",
        "control",
        &address,
        port,
        c.authentication.is_some(),
    );
    let guard = super::guard::guard(b, d, c.authentication.as_ref(), "control");
    b.control = Some(ControlService {
        address,
        port,
        guard,
    });
}
