//! The OTLP exporter (`--otlp-endpoint`, built with the `otlp` feature): finished spans
//! are queued without waiting (a bounded queue; a span that finds it full is dropped and
//! counted), a background task sends them in batches as OTLP/HTTP protobuf (`POST
//! {endpoint}/v1/traces`, `Content-Type: application/x-protobuf`), at most every second or
//! every [`MAX_BATCH`] spans, and [`Exporter::shutdown`] sends what is left before the
//! process exits. A collector that is down or slow costs requests nothing: its failures are
//! logged at `naftiko::otlp` and the spans in flight dropped.

mod proto;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use naftiko_engine::trace::{SpanRecord, SpanSink};
use tokio::sync::{mpsc, oneshot};

/// Spans waiting to be sent, at most.
const QUEUE: usize = 2048;

/// Spans sent in one request, at most.
const MAX_BATCH: usize = 512;

/// Longest time a span waits before its batch is sent.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Time allowed for one export request.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Time allowed at shutdown for the last spans to be sent.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

/// The sink requests record into: the queue's sending side and the count of dropped spans.
#[derive(Debug)]
struct Queue {
    spans: mpsc::Sender<SpanRecord>,
    dropped: AtomicU64,
}

impl SpanSink for Queue {
    fn record(&self, span: SpanRecord) {
        if self.spans.try_send(span).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A running exporter.
#[derive(Debug)]
pub(crate) struct Exporter {
    queue: Arc<Queue>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Exporter {
    /// Starts exporting to `endpoint` (an `http(s)` URL, checked by the command line) on
    /// the current tokio runtime.
    ///
    /// # Errors
    /// The HTTP client cannot be built.
    pub(crate) fn start(endpoint: &str) -> Result<Exporter, String> {
        let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
        let client = reqwest::Client::builder()
            .timeout(EXPORT_TIMEOUT)
            .build()
            .map_err(|e| format!("the OTLP exporter's HTTP client: {e}"))?;
        tracing::info!(target: "naftiko::otlp", "exporting traces to {}", shown(&url));
        let (tx, rx) = mpsc::channel(QUEUE);
        let queue = Arc::new(Queue {
            spans: tx,
            dropped: AtomicU64::new(0),
        });
        let (stop, stopped) = oneshot::channel();
        let sender = Sender {
            client,
            url,
            source: proto::Source {
                service: "naftiko".to_owned(),
                version: env!("CARGO_PKG_VERSION"),
            },
            queue: queue.clone(),
            reported: 0,
        };
        let task = tokio::spawn(sender.run(rx, stopped));
        Ok(Exporter { queue, stop, task })
    }

    /// Where requests record their spans.
    pub(crate) fn sink(&self) -> Arc<dyn SpanSink> {
        self.queue.clone()
    }

    /// Sends the spans still queued (within [`SHUTDOWN_TIMEOUT`]) and stops.
    pub(crate) async fn shutdown(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(SHUTDOWN_TIMEOUT, self.task)
            .await
            .is_err()
        {
            tracing::warn!(target: "naftiko::otlp", "the last spans were not sent in time");
        }
    }
}

/// The background task's state.
struct Sender {
    client: reqwest::Client,
    /// `{endpoint}/v1/traces`.
    url: String,
    source: proto::Source,
    queue: Arc<Queue>,
    /// Dropped spans already logged.
    reported: u64,
}

impl Sender {
    /// Sends batches until `stop` fires, then what is left.
    async fn run(mut self, mut spans: mpsc::Receiver<SpanRecord>, mut stop: oneshot::Receiver<()>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                span = spans.recv() => match span {
                    Some(span) => {
                        batch.push(span);
                        if batch.len() >= MAX_BATCH {
                            self.export(&mut batch).await;
                        }
                    }
                    None => break,
                },
                _ = tick.tick() => {
                    self.export(&mut batch).await;
                    self.report_dropped();
                }
                _ = &mut stop => {
                    spans.close();
                    while let Some(span) = spans.recv().await {
                        batch.push(span);
                        if batch.len() >= MAX_BATCH {
                            self.export(&mut batch).await;
                        }
                    }
                    break;
                }
            }
        }
        self.export(&mut batch).await;
        self.report_dropped();
    }

    /// Sends `batch` (emptied whatever happens).
    async fn export(&self, batch: &mut Vec<SpanRecord>) {
        if batch.is_empty() {
            return;
        }
        let body = proto::export_request(&self.source, batch);
        let count = batch.len();
        batch.clear();
        let sent = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-protobuf")
            .body(body)
            .send()
            .await;
        let failure = match sent {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => format!("the collector answered {}", r.status().as_u16()),
            // Without the URL: an endpoint may hold credentials.
            Err(e) => format!(
                "the collector cannot be reached: {}",
                error_chain(&e.without_url())
            ),
        };
        tracing::warn!(target: "naftiko::otlp", spans = count, "{failure}; spans dropped");
    }

    /// Logs spans dropped because the queue was full, since the last report.
    fn report_dropped(&mut self) {
        let dropped = self.queue.dropped.load(Ordering::Relaxed);
        if dropped > self.reported {
            let more = dropped - self.reported;
            tracing::warn!(target: "naftiko::otlp", dropped = more, total = dropped, "the span queue was full: spans dropped");
            self.reported = dropped;
        }
    }
}

/// `url` without the credentials it may hold, for a log line.
fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => String::from("(not a URL)"),
    }
}

/// An error and its sources, for a log line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
