//! The resource server's requests to its authorization server (metadata, JWKS,
//! introspection), through the engine's [`Transport`] like every upstream call, within the
//! client limits. Failures become [`Refusal::Unavailable`] with a fixed sentence: no URL, no
//! token, no answer text reaches a denial.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;

use super::settings::Refusal;
use crate::transport::{ClientOptions, Outgoing, Transport};

/// Largest metadata, JWKS or introspection answer read.
const MAX_ANSWER: usize = 1024 * 1024;

/// A transport and its limits.
#[derive(Debug)]
pub(super) struct Fetcher {
    pub(super) transport: Arc<dyn Transport>,
    pub(super) client: ClientOptions,
}

impl Fetcher {
    /// `GET url` answered 200 with a JSON object.
    pub(super) async fn get_json(&self, url: &str) -> Result<Value, Refusal> {
        let (status, body) = self.send(&http::Method::GET, url, None).await?;
        match (status, body) {
            (200, v @ Value::Object(_)) => Ok(v),
            _ => Err(Refusal::Unavailable(
                "the authorization server did not answer as expected",
            )),
        }
    }

    /// `POST url` with a form body; the status and the JSON answer (`Null` when not JSON).
    pub(super) async fn post_form(
        &self,
        url: &str,
        pairs: &[(&str, &str)],
    ) -> Result<(u16, Value), Refusal> {
        let body = crate::form::encode_pairs(
            &pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>(),
        );
        self.send(&http::Method::POST, url, Some(&body)).await
    }

    async fn send(
        &self,
        method: &http::Method,
        url: &str,
        body: Option<&Bytes>,
    ) -> Result<(u16, Value), Refusal> {
        let unavailable = Refusal::Unavailable("the authorization server could not be reached");
        let Ok(url) = reqwest::Url::parse(url) else {
            return Err(unavailable);
        };
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if body.is_some() {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
        }
        let request = Outgoing::Request {
            method,
            url: &url,
            headers: &headers,
            body,
        };
        let sending = self.transport.send(request, MAX_ANSWER);
        match tokio::time::timeout(self.client.total_timeout, sending).await {
            Ok(Ok(received)) => Ok((
                received.status,
                serde_json::from_slice(&received.body).unwrap_or(Value::Null),
            )),
            _ => Err(unavailable),
        }
    }
}
