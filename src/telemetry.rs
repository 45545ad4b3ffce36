//! `--otlp-endpoint`: what the command line asks for, and the exporter it starts when the
//! binary has one (the `otlp` cargo feature, `src/otlp/`). Without the feature the flag is
//! still read, and refused as a usage error: the default binary carries no exporter.

use std::sync::Arc;

use naftiko_engine::trace::SpanSink;

/// The collector `--otlp-endpoint` names, checked; `None` without the flag.
///
/// # Errors
/// The URL is not an absolute `http(s)` URL with a host, or this binary has no exporter.
pub(crate) fn endpoint(flag: Option<&str>) -> Result<Option<String>, String> {
    let Some(url) = flag.filter(|f| !f.trim().is_empty()) else {
        return Ok(None);
    };
    if !cfg!(feature = "otlp") {
        return Err(format!(
            "--otlp-endpoint `{url}`: this naftiko was built without OTLP export; \
             build it with `cargo build --release --features otlp`"
        ));
    }
    match naftiko_engine::base_uri_problem(url) {
        None => Ok(Some(url.trim().to_owned())),
        Some(why) => Err(format!(
            "--otlp-endpoint `{url}`: {why}; expected http(s)://HOST[:PORT][/PATH]"
        )),
    }
}

/// The exporter, while `naftiko run` serves.
#[derive(Debug, Default)]
pub(crate) struct Telemetry {
    #[cfg(feature = "otlp")]
    exporter: Option<crate::otlp::Exporter>,
}

impl Telemetry {
    /// Starts exporting to `endpoint` (from [`endpoint`]), on the current tokio runtime.
    ///
    /// # Errors
    /// The exporter cannot start.
    pub(crate) fn start(endpoint: Option<&str>) -> Result<Telemetry, String> {
        #[cfg(feature = "otlp")]
        {
            let exporter = endpoint.map(crate::otlp::Exporter::start).transpose()?;
            Ok(Telemetry { exporter })
        }
        #[cfg(not(feature = "otlp"))]
        {
            match endpoint {
                None => Ok(Telemetry::default()),
                Some(_) => Err("this naftiko was built without OTLP export".to_owned()),
            }
        }
    }

    /// Where spans go, when they are exported.
    pub(crate) fn spans(&self) -> Option<Arc<dyn SpanSink>> {
        #[cfg(feature = "otlp")]
        {
            self.exporter.as_ref().map(crate::otlp::Exporter::sink)
        }
        #[cfg(not(feature = "otlp"))]
        {
            None
        }
    }

    /// Sends the spans still queued, then stops.
    pub(crate) async fn shutdown(self) {
        #[cfg(feature = "otlp")]
        if let Some(exporter) = self.exporter {
            exporter.shutdown().await;
        }
    }
}
