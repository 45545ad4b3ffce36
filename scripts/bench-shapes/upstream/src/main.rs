//! Mock JSON POST endpoint for the benchmark shape suite (`scripts/bench-shapes.sh`, shape 4).
//!
//! Usage: bench-shapes-upstream <port> [--threads N]
//!
//! Listens on 127.0.0.1:<port> only (loopback), HTTP/1.1 with keep-alive, like the
//! measurement kit's `bench-upstream` (tokio multi-threaded runtime whose worker count follows
//! the CPUs the process may run on, so `taskset` decides; or `--threads N`).
//!
//!   POST /orders  (Content-Type: application/json, at most 64 KiB)
//!     Two layouts are accepted, and the answer says which one came (`meta.format`):
//!       templated  {"order":{"customer_id":S,"lines":[{"sku":S,"qty":N}],"note":S},"source":S}
//!                  (what naftiko's `body:` template sends)
//!       flat       {"customer":S,"sku":S,"quantity":N,"note":S}
//!                  (what the client sends; nginx passes it through as it came)
//!     `qty`/`quantity` must be a positive integer JSON number: a string (a template that
//!     pasted values in as text) gets 422 {"error":"quantity_not_a_number"}.
//!     -> 200 {"order":{"id":"ord-<customer>-<sku>","status":"accepted","customer":{"id":…},
//!             "lines":[{"sku":…,"quantity":N,"unit_price":{"amount":1999,"currency":"EUR"}}],
//!             "total":{"amount":1999*N,"currency":"EUR"},"note":…,"created_at":…},
//!             "meta":{"format":"templated"|"flat","source":…,"upstream":"bench-shapes-upstream"}}
//!     not JSON or not an object -> 400 {"error":"invalid_json"}
//!     another content type      -> 415 {"error":"unsupported_media_type"}
//!     a missing field           -> 422 {"error":"missing_field","field":"…"}
//!   other method on /orders     -> 405 {"error":"method_not_allowed"}
//!   any other path              -> 404 {"error":"not_found"}

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

const MAX_BODY: usize = 64 * 1024;
const UNIT_PRICE: u64 = 1999;

static NOT_FOUND: &[u8] = br#"{"error":"not_found"}"#;
static NOT_ALLOWED: &[u8] = br#"{"error":"method_not_allowed"}"#;
static TOO_LARGE: &[u8] = br#"{"error":"request_too_large"}"#;
static INVALID_JSON: &[u8] = br#"{"error":"invalid_json"}"#;
static MEDIA_TYPE: &[u8] = br#"{"error":"unsupported_media_type"}"#;
static NOT_A_NUMBER: &[u8] = br#"{"error":"quantity_not_a_number"}"#;

fn usage() -> ! {
    eprintln!("usage: bench-shapes-upstream <port> [--threads N]");
    std::process::exit(2);
}

fn json(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn fixed(status: StatusCode, body: &'static [u8]) -> Response<Full<Bytes>> {
    json(status, Bytes::from_static(body))
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() != "/orders" {
        return Ok(fixed(StatusCode::NOT_FOUND, NOT_FOUND));
    }
    if req.method() != Method::POST {
        return Ok(fixed(StatusCode::METHOD_NOT_ALLOWED, NOT_ALLOWED));
    }
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let v = v.split(';').next().unwrap_or("").trim();
            v.eq_ignore_ascii_case("application/json") || v.to_ascii_lowercase().ends_with("+json")
        })
        .unwrap_or(false);
    if !is_json {
        return Ok(fixed(StatusCode::UNSUPPORTED_MEDIA_TYPE, MEDIA_TYPE));
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(fixed(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE)),
    };
    let doc: Value = match serde_json::from_slice(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return Ok(fixed(StatusCode::BAD_REQUEST, INVALID_JSON)),
    };
    Ok(match order(&doc) {
        Ok(answer) => json(StatusCode::OK, answer),
        Err(resp) => resp,
    })
}

/// A string field, or the 422 that names it.
fn text<'a>(v: Option<&'a Value>, field: &str) -> Result<&'a str, Response<Full<Bytes>>> {
    match v.and_then(Value::as_str) {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(missing(field)),
    }
}

fn missing(field: &str) -> Response<Full<Bytes>> {
    let mut b = String::from(r#"{"error":"missing_field","field":"#);
    push_str(&mut b, field);
    b.push('}');
    json(StatusCode::UNPROCESSABLE_ENTITY, Bytes::from(b))
}

/// A positive integer quantity: a JSON number; a string is the templating mistake this mock
/// exists to catch.
fn quantity(v: Option<&Value>, field: &str) -> Result<u64, Response<Full<Bytes>>> {
    match v {
        Some(Value::Number(n)) => match n.as_u64() {
            Some(q) if q > 0 => Ok(q),
            _ => Err(fixed(StatusCode::UNPROCESSABLE_ENTITY, NOT_A_NUMBER)),
        },
        Some(_) => Err(fixed(StatusCode::UNPROCESSABLE_ENTITY, NOT_A_NUMBER)),
        None => Err(missing(field)),
    }
}

fn order(doc: &Value) -> Result<Bytes, Response<Full<Bytes>>> {
    let (format, customer, sku, qty, note, source) = if let Some(o) = doc.get("order") {
        let line = o.get("lines").and_then(|l| l.get(0));
        (
            "templated",
            text(o.get("customer_id"), "order.customer_id")?,
            text(line.and_then(|l| l.get("sku")), "order.lines[0].sku")?,
            quantity(line.and_then(|l| l.get("qty")), "order.lines[0].qty")?,
            o.get("note").and_then(Value::as_str),
            doc.get("source").and_then(Value::as_str),
        )
    } else {
        (
            "flat",
            text(doc.get("customer"), "customer")?,
            text(doc.get("sku"), "sku")?,
            quantity(doc.get("quantity"), "quantity")?,
            doc.get("note").and_then(Value::as_str),
            None,
        )
    };
    let mut b = String::with_capacity(512);
    b.push_str(r#"{"order":{"id":"#);
    push_str(&mut b, &format!("ord-{customer}-{sku}"));
    b.push_str(r#","status":"accepted","customer":{"id":"#);
    push_str(&mut b, customer);
    b.push_str(r#"},"lines":[{"sku":"#);
    push_str(&mut b, sku);
    b.push_str(&format!(
        r#","quantity":{qty},"unit_price":{{"amount":{UNIT_PRICE},"currency":"EUR"}}}}],"total":{{"amount":{},"currency":"EUR"}},"note":"#,
        UNIT_PRICE * qty
    ));
    push_opt(&mut b, note);
    b.push_str(r#","created_at":"2026-01-01T00:00:00Z"},"meta":{"format":""#);
    b.push_str(format);
    b.push_str(r#"","source":"#);
    push_opt(&mut b, source);
    b.push_str(r#","upstream":"bench-shapes-upstream"}}"#);
    Ok(Bytes::from(b))
}

/// Appends `s` as a JSON string (quoted and escaped).
fn push_str(out: &mut String, s: &str) {
    // serde_json's escaping; a str always serializes.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned()));
}

fn push_opt(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => push_str(out, s),
        None => out.push_str("null"),
    }
}

async fn serve(port: u16) -> std::io::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = TcpListener::bind(addr).await?;
    eprintln!("bench-shapes-upstream listening on http://{addr}");
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // EMFILE and friends: back off briefly instead of spinning.
                eprintln!("accept error: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                .await;
        });
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or_else(|| usage());
    let mut threads: Option<usize> = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--threads" => threads = args.next().and_then(|v| v.parse().ok()).filter(|&n| n > 0),
            _ => usage(),
        }
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if let Some(n) = threads {
        rt.worker_threads(n);
    }
    let rt = match rt.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench-shapes-upstream: runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(serve(port)) {
        eprintln!("bench-shapes-upstream: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(doc: &str) -> Result<Value, u16> {
        let v: Value = serde_json::from_str(doc).unwrap();
        match order(&v) {
            Ok(b) => Ok(serde_json::from_slice(&b).unwrap()),
            Err(r) => Err(r.status().as_u16()),
        }
    }

    #[test]
    fn both_layouts_and_the_type_check() {
        let t = answer(r#"{"order":{"customer_id":"c-1","lines":[{"sku":"A\"1","qty":3}],"note":"n"},"source":"s"}"#)
            .unwrap();
        assert_eq!(t["order"]["id"], "ord-c-1-A\"1");
        assert_eq!(t["order"]["total"]["amount"], 3 * 1999);
        assert_eq!(t["meta"]["format"], "templated");
        assert_eq!(t["meta"]["source"], "s");
        let f = answer(r#"{"customer":"c-2","sku":"B","quantity":2}"#).unwrap();
        assert_eq!(f["meta"]["format"], "flat");
        assert_eq!(f["order"]["note"], Value::Null);
        assert_eq!(answer(r#"{"customer":"c","sku":"B","quantity":"2"}"#), Err(422));
        assert_eq!(answer(r#"{"customer":"c","quantity":2}"#), Err(422));
    }
}
