//! An upstream's answer as the engine keeps it: status, the four headers naftiko uses
//! (`Content-Type`, `Cache-Control`, `Location`, a `Digest` challenge) and the body. Both
//! upstream clients (the h1 client and reqwest) fill it the same way.

use bytes::{Bytes, BytesMut};

/// An upstream's answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    /// The upstream's `Cache-Control` (a token endpoint's `no-store` must reach the caller).
    pub(crate) cache_control: Option<String>,
    /// The upstream's `Location` (redirects and 201s pass it on).
    pub(crate) location: Option<String>,
    pub(crate) body: Bytes,
}

/// What naftiko keeps of an answer's headers.
#[derive(Debug, Default)]
pub struct Head {
    content_type: Option<String>,
    cache_control: Option<String>,
    location: Option<String>,
    challenge: Option<String>,
}

impl Head {
    /// Notes one answer header: the first `Content-Type`, `Cache-Control` and `Location`,
    /// and the first `WWW-Authenticate` with a `Digest` challenge (values that are not
    /// visible ASCII are ignored, as `HeaderValue::to_str` does).
    pub fn note(&mut self, name: &[u8], value: &[u8]) {
        // By length first: most headers are none of these four.
        let (slot, is_challenge) = match name.len() {
            12 if name.eq_ignore_ascii_case(b"content-type") => (&mut self.content_type, false),
            13 if name.eq_ignore_ascii_case(b"cache-control") => (&mut self.cache_control, false),
            8 if name.eq_ignore_ascii_case(b"location") => (&mut self.location, false),
            16 if name.eq_ignore_ascii_case(b"www-authenticate") => (&mut self.challenge, true),
            _ => return,
        };
        if slot.is_some() {
            return;
        }
        // Visible ASCII and tabs only: what `HeaderValue::to_str` accepts.
        let Some(text) = naftiko_http1::fields::visible_text(value) else {
            return;
        };
        if !is_challenge || text.trim_start().starts_with("Digest") {
            *slot = Some(text.to_owned());
        }
    }

    /// The answer, with the `Digest` challenge beside it.
    pub(crate) fn answer(self, status: u16, body: BytesMut) -> (Answer, Option<String>) {
        (
            Answer {
                status,
                content_type: self.content_type,
                cache_control: self.cache_control,
                location: self.location,
                body: body.freeze(),
            },
            self.challenge,
        )
    }
}
