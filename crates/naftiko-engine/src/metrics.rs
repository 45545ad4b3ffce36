//! Prometheus metrics (`prometheus-client`, an explicit registry per runtime, no globals):
//! requests, errors and latency per adapter and operation, in-flight requests, and upstream
//! calls and latency per consumed namespace. Adapters record requests; the engine records
//! upstream calls; the control adapter encodes the registry as Prometheus text.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;
type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

/// Latency buckets in seconds: 0.5 ms to 30 s.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The runtime's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    errors: Family<Labels, Counter>,
    latency: HistogramFamily,
    in_flight: Gauge<i64, std::sync::atomic::AtomicI64>,
    upstream: Family<Labels, Counter>,
    upstream_latency: HistogramFamily,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("naftiko");
        let requests = Family::<Labels, Counter>::default();
        let errors = Family::<Labels, Counter>::default();
        let latency = HistogramFamily::new_with_constructor(latency_histogram);
        let in_flight = Gauge::<i64, std::sync::atomic::AtomicI64>::default();
        let upstream = Family::<Labels, Counter>::default();
        let upstream_latency = HistogramFamily::new_with_constructor(latency_histogram);
        registry.register(
            "requests",
            "Requests answered, by adapter, operation and status",
            requests.clone(),
        );
        registry.register(
            "request_errors",
            "Requests that failed (4xx/5xx, tool errors), by adapter, operation and kind",
            errors.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer a request, by adapter and operation",
            latency.clone(),
        );
        registry.register(
            "in_flight_requests",
            "Requests being answered",
            in_flight.clone(),
        );
        registry.register(
            "upstream_requests",
            "Calls to consumed APIs, by namespace and status (0 when no answer)",
            upstream.clone(),
        );
        registry.register(
            "upstream_duration_seconds",
            "Time of calls to consumed APIs, by namespace",
            upstream_latency.clone(),
        );
        Metrics {
            registry,
            requests,
            errors,
            latency,
            in_flight,
            upstream,
            upstream_latency,
        }
    }
}

/// Decrements the in-flight gauge when dropped.
#[derive(Debug)]
pub struct InFlight<'a>(&'a Gauge<i64, std::sync::atomic::AtomicI64>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl Metrics {
    /// Marks a request in flight until the guard is dropped.
    pub fn start(&self) -> InFlight<'_> {
        self.in_flight.inc();
        InFlight(&self.in_flight)
    }

    /// Records an answered request; `error` is its kind when it failed.
    pub fn request(
        &self,
        adapter: &'static str,
        operation: &str,
        status: u16,
        error: Option<&str>,
        elapsed: Duration,
    ) {
        // One label vector, extended and shortened in place: this runs on every request.
        let mut labels: Labels = Vec::with_capacity(3);
        labels.push(("adapter", adapter.to_owned()));
        labels.push(("operation", operation.to_owned()));
        self.latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        labels.push(("status", status.to_string()));
        self.requests.get_or_create(&labels).inc();
        if let Some(kind) = error {
            labels.pop();
            labels.push(("kind", kind.to_owned()));
            self.errors.get_or_create(&labels).inc();
        }
    }

    /// Records a call to a consumed API (`status` `None` when it did not answer).
    pub fn upstream(&self, namespace: &str, status: Option<u16>, elapsed: Duration) {
        let mut labels: Labels = Vec::with_capacity(2);
        labels.push(("namespace", namespace.to_owned()));
        self.upstream_latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        labels.push(("status", status.unwrap_or(0).to_string()));
        self.upstream.get_or_create(&labels).inc();
    }

    /// The registry in Prometheus text format (OpenMetrics).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_upstream_calls_are_counted() {
        let m = Metrics::default();
        {
            let _g = m.start();
            m.request("rest", "getoauthtoken", 200, None, Duration::from_millis(3));
        }
        m.request(
            "mcp",
            "t",
            502,
            Some("upstream-unreachable"),
            Duration::from_millis(1),
        );
        m.upstream("oauth2-tokens", Some(200), Duration::from_millis(2));
        let text = m.encode();
        assert!(
            text.contains(
                r#"naftiko_requests_total{adapter="rest",operation="getoauthtoken",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"naftiko_request_errors_total{adapter="mcp",operation="t",kind="upstream-unreachable"} 1"#), "{text}");
        assert!(
            text.contains(
                r#"naftiko_upstream_requests_total{namespace="oauth2-tokens",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains("naftiko_in_flight_requests 0"), "{text}");
    }
}
