//! Prometheus metrics (`prometheus-client`, an explicit registry per runtime, no globals):
//! requests, errors and latency per adapter and operation, in-flight requests, and upstream
//! calls and latency per consumed namespace. Adapters record requests; the engine records
//! upstream calls; the control adapter encodes the registry as Prometheus text, and reads
//! the same counts as plain numbers ([`Tally`]) for its status document and page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
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

/// Operation name → its handles.
type ByOperation = HashMap<String, Arc<OperationHandles>>;

/// One operation's latency histogram and its counters by outcome.
#[derive(Debug)]
struct OperationHandles {
    latency: Histogram,
    outcomes: Mutex<Outcomes>,
}

/// The outcomes of one operation seen so far, and which were the last ones.
#[derive(Debug, Default)]
struct Outcomes {
    list: Vec<Outcome>,
    /// Index in `list` of the last request's outcome.
    last: Option<usize>,
    /// Index in `list` of the last failed request's outcome.
    last_error: Option<usize>,
}

/// What has been recorded of one operation (or one consumed API's calls), as plain numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Requests (calls) recorded.
    pub requests: u64,
    /// Those that failed (recorded with an error kind).
    pub errors: u64,
    /// Requests by status, in status order (0: no answer).
    pub statuses: Vec<(u16, u64)>,
    /// The status of the last one (0: no answer).
    pub last_status: Option<u16>,
    /// The error kind of the last one that failed.
    pub last_error: Option<String>,
}

impl OperationHandles {
    /// Counts one outcome, resolving its counters with `make` the first time it is seen.
    fn count(
        &self,
        status: u16,
        kind: Option<&str>,
        make: impl FnOnce() -> (Counter, Option<Counter>),
    ) {
        let mut outcomes = self.outcomes.lock().unwrap_or_else(|e| e.into_inner());
        let at = match outcomes
            .list
            .iter()
            .position(|o| o.status == status && o.kind.as_deref() == kind)
        {
            Some(at) => at,
            None => {
                let (requests, errors) = make();
                outcomes.list.push(Outcome {
                    status,
                    kind: kind.map(str::to_owned),
                    requests,
                    errors,
                    count: 0,
                });
                outcomes.list.len() - 1
            }
        };
        outcomes.last = Some(at);
        if kind.is_some() {
            outcomes.last_error = Some(at);
        }
        let outcome = &mut outcomes.list[at];
        outcome.count += 1;
        outcome.requests.inc();
        if let Some(errors) = &outcome.errors {
            errors.inc();
        }
    }

    /// The counts recorded so far.
    fn tally(&self) -> Tally {
        let outcomes = self.outcomes.lock().unwrap_or_else(|e| e.into_inner());
        let mut tally = Tally::default();
        for o in &outcomes.list {
            tally.requests += o.count;
            if o.kind.is_some() {
                tally.errors += o.count;
            }
            match tally.statuses.iter_mut().find(|(s, _)| *s == o.status) {
                Some((_, n)) => *n += o.count,
                None => tally.statuses.push((o.status, o.count)),
            }
        }
        tally.statuses.sort_unstable();
        let at = |i: Option<usize>| i.and_then(|i| outcomes.list.get(i));
        tally.last_status = at(outcomes.last).map(|o| o.status);
        tally.last_error = at(outcomes.last_error).and_then(|o| o.kind.clone());
        tally
    }
}

/// One adapter's operation, its metric handles resolved ([`Metrics::operation`]).
#[derive(Debug, Clone)]
pub struct OperationMetrics {
    adapter: &'static str,
    operation: Arc<str>,
    handles: Arc<OperationHandles>,
}

impl OperationMetrics {
    /// The operation label.
    pub fn operation(&self) -> &str {
        &self.operation
    }
}

/// One consumed API's call metrics, resolved ([`Metrics::upstream_of`]).
#[derive(Debug, Clone)]
pub struct UpstreamMetrics {
    namespace: Arc<str>,
    handles: Arc<OperationHandles>,
}

/// The counters of one status (and error kind) of an operation.
#[derive(Debug)]
struct Outcome {
    status: u16,
    kind: Option<String>,
    requests: Counter,
    errors: Option<Counter>,
    /// Requests with this outcome (`requests` is shared by the kinds of one status).
    count: u64,
}

/// The runtime's metrics.
#[derive(Debug)]
pub struct Metrics {
    /// Handles already resolved, by adapter then operation.
    handles: RwLock<Vec<(&'static str, ByOperation)>>,
    /// Handles of upstream calls, by consumed namespace.
    upstream_handles: RwLock<ByOperation>,
    registry: Registry,
    requests: Family<Labels, Counter>,
    errors: Family<Labels, Counter>,
    latency: HistogramFamily,
    in_flight: Gauge<i64, std::sync::atomic::AtomicI64>,
    upstream: Family<Labels, Counter>,
    upstream_latency: HistogramFamily,
    reloads: Family<Vec<(&'static str, &'static str)>, Counter>,
    generation: Gauge,
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
        let reloads = Family::<Vec<(&'static str, &'static str)>, Counter>::default();
        registry.register(
            "reloads",
            "Reloads of the capability files (SIGHUP, --watch), by outcome (ok, failed)",
            reloads.clone(),
        );
        let generation = Gauge::default();
        generation.set(1);
        registry.register(
            "generation",
            "The generation of capability files served (1 at start, one more per reload)",
            generation.clone(),
        );
        Metrics {
            reloads,
            generation,
            handles: RwLock::new(Vec::new()),
            upstream_handles: RwLock::new(HashMap::new()),
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
    /// Counts a reload: `Some(generation)` when it is now served, `None` when it failed.
    pub fn reload(&self, generation: Option<u64>) {
        let outcome = if generation.is_some() { "ok" } else { "failed" };
        self.reloads
            .get_or_create(&vec![("outcome", outcome)])
            .inc();
        if let Some(g) = generation {
            self.generation.set(i64::try_from(g).unwrap_or(i64::MAX));
        }
    }

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
        self.record(&self.operation(adapter, operation), status, error, elapsed);
    }

    /// The handles of one adapter's operation, to record its requests with
    /// [`Metrics::record`] without looking them up each time.
    pub fn operation(&self, adapter: &'static str, operation: &str) -> OperationMetrics {
        OperationMetrics {
            adapter,
            operation: operation.into(),
            handles: self.operation_handles(adapter, operation),
        }
    }

    /// Records an answered request of `op`; `error` is its kind when it failed.
    pub fn record(
        &self,
        op: &OperationMetrics,
        status: u16,
        error: Option<&str>,
        elapsed: Duration,
    ) {
        let (adapter, operation, handles) = (op.adapter, op.operation.as_ref(), &op.handles);
        handles.latency.observe(elapsed.as_secs_f64());
        handles.count(status, error, || {
            let mut labels: Labels = vec![
                ("adapter", adapter.to_owned()),
                ("operation", operation.to_owned()),
                ("status", status.to_string()),
            ];
            let requests = self.requests.get_or_create(&labels).clone();
            let errors = error.map(|kind| {
                labels.pop();
                labels.push(("kind", kind.to_owned()));
                self.errors.get_or_create(&labels).clone()
            });
            (requests, errors)
        });
    }

    /// The metric handles of one adapter's operation, created on first use. (Resolving
    /// label sets in the families on every request cost allocations, hashing and a lock.)
    fn operation_handles(&self, adapter: &'static str, operation: &str) -> Arc<OperationHandles> {
        let key = |a: &str| a == adapter;
        {
            let cache = self.handles.read().unwrap_or_else(|e| e.into_inner());
            if let Some((_, ops)) = cache.iter().find(|(a, _)| key(a))
                && let Some(h) = ops.get(operation)
            {
                return h.clone();
            }
        }
        let labels: Labels = vec![
            ("adapter", adapter.to_owned()),
            ("operation", operation.to_owned()),
        ];
        let handles = Arc::new(OperationHandles {
            latency: self.latency.get_or_create(&labels).clone(),
            outcomes: Mutex::default(),
        });
        let mut cache = self.handles.write().unwrap_or_else(|e| e.into_inner());
        let ops = match cache.iter().position(|(a, _)| key(a)) {
            Some(i) => &mut cache[i].1,
            None => {
                cache.push((adapter, HashMap::new()));
                let last = cache.len() - 1;
                &mut cache[last].1
            }
        };
        ops.entry(operation.to_owned()).or_insert(handles).clone()
    }

    /// Records a call to a consumed API (`status` `None` when it did not answer; `error`
    /// the kind of its failure, see [`Metrics::record_upstream`]).
    pub fn upstream(
        &self,
        namespace: &str,
        status: Option<u16>,
        error: Option<&str>,
        elapsed: Duration,
    ) {
        self.record_upstream(&self.upstream_of(namespace), status, error, elapsed);
    }

    /// The handles of one consumed API's calls, for [`Metrics::record_upstream`].
    pub fn upstream_of(&self, namespace: &str) -> UpstreamMetrics {
        let handles = {
            let cache = self
                .upstream_handles
                .read()
                .unwrap_or_else(|e| e.into_inner());
            cache.get(namespace).cloned()
        };
        let handles = match handles {
            Some(h) => h,
            None => {
                let labels: Labels = vec![("namespace", namespace.to_owned())];
                let made = Arc::new(OperationHandles {
                    latency: self.upstream_latency.get_or_create(&labels).clone(),
                    outcomes: Mutex::default(),
                });
                self.upstream_handles
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(namespace.to_owned())
                    .or_insert(made)
                    .clone()
            }
        };
        UpstreamMetrics {
            namespace: namespace.into(),
            handles,
        }
    }

    /// Records a call of `upstream` (`status` `None` when it did not answer). A call
    /// failed when `error` names why (the call's error kind: `upstream-unreachable`,
    /// `upstream-timeout`, …) or when the answer is a 5xx (`upstream-error`); the kind only
    /// reaches [`Metrics::upstreams`], never a metric label.
    pub fn record_upstream(
        &self,
        upstream: &UpstreamMetrics,
        status: Option<u16>,
        error: Option<&str>,
        elapsed: Duration,
    ) {
        let status = status.unwrap_or(0);
        let error = error.or((status >= 500).then_some("upstream-error"));
        let handles = &upstream.handles;
        handles.latency.observe(elapsed.as_secs_f64());
        handles.count(status, error, || {
            let labels: Labels = vec![
                ("namespace", upstream.namespace.to_string()),
                ("status", status.to_string()),
            ];
            (self.upstream.get_or_create(&labels).clone(), None)
        });
    }

    /// The counts of every operation that has been asked for, by adapter then operation
    /// label, in that order.
    pub fn operations(&self) -> Vec<(&'static str, String, Tally)> {
        let cache = self.handles.read().unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<(&'static str, String, Tally)> = cache
            .iter()
            .flat_map(|(adapter, ops)| {
                ops.iter()
                    .map(|(name, h)| (*adapter, name.clone(), h.tally()))
            })
            .collect();
        all.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        all
    }

    /// The counts of every consumed API that has been called, by namespace, in namespace
    /// order.
    pub fn upstreams(&self) -> Vec<(String, Tally)> {
        let cache = self
            .upstream_handles
            .read()
            .unwrap_or_else(|e| e.into_inner());
        let mut all: Vec<(String, Tally)> = cache
            .iter()
            .map(|(ns, h)| (ns.clone(), h.tally()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
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
        m.upstream("oauth2-tokens", Some(200), None, Duration::from_millis(2));
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

    /// Handles are cached per operation and outcome; counts still add up per label set.
    #[test]
    fn repeated_outcomes_accumulate_and_kinds_stay_apart() {
        let m = Metrics::default();
        for _ in 0..3 {
            m.request("rest", "POST /t", 200, None, Duration::from_millis(1));
        }
        m.request(
            "rest",
            "POST /t",
            502,
            Some("upstream-unreachable"),
            Duration::from_millis(1),
        );
        m.request(
            "rest",
            "POST /t",
            502,
            Some("upstream-invalid-body"),
            Duration::from_millis(1),
        );
        m.request("mcp", "POST /t", 200, None, Duration::from_millis(1));
        m.upstream("ns", Some(200), None, Duration::from_millis(1));
        m.upstream("ns", Some(200), None, Duration::from_millis(1));
        m.upstream(
            "ns",
            None,
            Some("upstream-unreachable"),
            Duration::from_millis(1),
        );
        let text = m.encode();
        for expected in [
            r#"naftiko_requests_total{adapter="rest",operation="POST /t",status="200"} 3"#,
            r#"naftiko_requests_total{adapter="rest",operation="POST /t",status="502"} 2"#,
            r#"naftiko_requests_total{adapter="mcp",operation="POST /t",status="200"} 1"#,
            r#"naftiko_request_errors_total{adapter="rest",operation="POST /t",kind="upstream-unreachable"} 1"#,
            r#"naftiko_request_errors_total{adapter="rest",operation="POST /t",kind="upstream-invalid-body"} 1"#,
            r#"naftiko_request_duration_seconds_count{adapter="rest",operation="POST /t"} 5"#,
            r#"naftiko_upstream_requests_total{namespace="ns",status="200"} 2"#,
            r#"naftiko_upstream_requests_total{namespace="ns",status="0"} 1"#,
            r#"naftiko_upstream_duration_seconds_count{namespace="ns"} 3"#,
        ] {
            assert!(text.contains(expected), "missing {expected}\n{text}");
        }
    }

    /// The plain counts add up like the Prometheus ones, and remember the last status and
    /// the last error's kind.
    #[test]
    fn tallies_count_requests_errors_and_the_last_outcome() {
        let m = Metrics::default();
        let ms = Duration::from_millis(1);
        m.request("rest", "POST /t", 200, None, ms);
        m.request("rest", "POST /t", 502, Some("upstream-unreachable"), ms);
        m.request("rest", "POST /t", 502, Some("upstream-invalid-body"), ms);
        m.request("rest", "POST /t", 200, None, ms);
        m.request("mcp", "t", 500, Some("tool-error"), ms);
        let ops = m.operations();
        assert_eq!(ops.len(), 2, "{ops:?}");
        let (adapter, name, rest) = &ops[1];
        assert_eq!((*adapter, name.as_str()), ("rest", "POST /t"));
        assert_eq!(
            *rest,
            Tally {
                requests: 4,
                errors: 2,
                statuses: vec![(200, 2), (502, 2)],
                last_status: Some(200),
                last_error: Some("upstream-invalid-body".to_owned()),
            }
        );
        assert_eq!(ops[0].2.last_error.as_deref(), Some("tool-error"));

        m.upstream("b", Some(200), None, ms);
        m.upstream("b", Some(503), None, ms);
        m.upstream("b", Some(404), None, ms);
        m.upstream("a", None, Some("upstream-timeout"), ms);
        let ups = m.upstreams();
        let names: Vec<&str> = ups.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            ups[1].1,
            Tally {
                requests: 3,
                errors: 1,
                statuses: vec![(200, 1), (404, 1), (503, 1)],
                last_status: Some(404),
                last_error: Some("upstream-error".to_owned()),
            }
        );
        assert_eq!(ups[0].1.last_status, Some(0));
        assert_eq!(ups[0].1.errors, 1);
        // Error kinds never become labels of the upstream counters.
        let text = m.encode();
        assert!(!text.contains("upstream-timeout"), "{text}");
        assert!(
            text.contains(r#"naftiko_upstream_requests_total{namespace="b",status="503"} 1"#),
            "{text}"
        );
    }
}
